"""Compare the figures and printed numbers of two executed copies of a chapter (refactoring check).

    python tools/compare_outputs.py BEFORE.ipynb AFTER.ipynb [--show 3]

Both notebooks must have been executed (for example with ``SUPERSCALE_BOOK_BUILD=1``, so figures are the
book's plain HTML). Every plotly figure is reduced to its JSON (data and layout; element ids and
random names removed), every table and printed text to its characters, in the order they appear. Prints
how many figures and text outputs match and the first differences; exits 1 when anything differs.
Hidden check cells' one-line summaries are ignored.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\bT_[0-9a-f]{5}(?=[_\"])")
_NEWPLOT = re.compile(r"Plotly\.newPlot\(\s*\"[^\"]*\",\s*(\[.*?\]),\s*(\{.*?\}),\s*\{\"responsive\"", re.S)


def _figure(html: str) -> str | None:
    m = _NEWPLOT.search(html)
    if not m:
        return None
    data, layout = json.loads(m.group(1)), json.loads(m.group(2))
    return json.dumps({"data": data, "layout": layout}, sort_keys=True)


def outputs(path: str) -> tuple[list[str], list[str]]:
    """(figures as JSON strings, text outputs) of an executed notebook, in order."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    figs, texts = [], []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "application/vnd.plotly.v1+json" in data:
                figs.append(json.dumps(data["application/vnd.plotly.v1+json"], sort_keys=True))
                continue
            html = "".join(data.get("text/html", ""))
            fig = _figure(html) if "Plotly.newPlot" in html else None
            if fig is not None:
                figs.append(fig)
                continue
            text = "".join(out.get("text", "")) or html or "".join(data.get("text/plain", ""))
            text = _UUID.sub("<id>", text).strip()
            if text and not text.startswith(("All ", "superscale set-up")):
                texts.append(text)
    return figs, texts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--show", type=int, default=3, help="differences to print (default 3)")
    args = ap.parse_args(argv)
    fb, tb = outputs(args.before)
    fa, ta = outputs(args.after)
    bad = 0
    same_f = sum(a == b for a, b in zip(fb, fa, strict=False))
    print(f"figures: {len(fb)} before, {len(fa)} after, {same_f} identical in order")
    texts_a = set(ta)
    missing = [t for t in tb if t not in texts_a]
    print(
        f"text outputs: {len(tb)} before, {len(ta)} after, {len(tb) - len(missing)} of the former found unchanged"
    )
    if len(fb) != len(fa) or same_f != len(fb):
        bad = 1
        shown = 0
        for k, (a, b) in enumerate(zip(fb, fa, strict=False)):
            if a != b and shown < args.show:
                shown += 1
                i = next(i for i in range(min(len(a), len(b))) if a[i] != b[i]) if a[:1] else 0
                print(
                    f"  figure {k + 1} differs near: …{a[max(0, i - 80) : i + 80]}…\n    after: …{b[max(0, i - 80) : i + 80]}…"
                )
    if missing:
        bad = 1
        for t in missing[: args.show]:
            print(f"  text output not found after the change:\n    {t[:300]!r}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
