"""Print, as a Markdown table, what the paper-protocol large model (data set ``paper-large``) has trained so far.

One row per trained model: regime, law, width, final loss ± SE, the paper's loss read off its Fig. 1, our loss
over the paper's, and the hours of one CPU thread it took (training and final evaluation); then the hours per
regime and law and in all. The table in ``book/data/README.md`` and the closing notes of issue 21 come from it:

    python tools/paper_large_progress.py [path/to/paper-large.nc]

Without a path it reads the book's copy through the catalog (chapter 4, Figure 4.8 and Table 4.8).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from superscale import catalog  # noqa: E402
from superscale.paper import PAPER_FIG1_LOSS  # noqa: E402


def progress_rows(ds: xr.Dataset) -> list[dict]:
    """The trained models of a paper-large merge, strong γ first, then by law and width."""
    paper_w = [int(w) for w in PAPER_FIG1_LOSS["widths"]["all"]]
    rows = []
    for g in sorted(ds["gamma"].values):
        regime = "strong" if g < 0 else "weak"
        for kind in ds["kind"].values:
            sub = ds.sel(gamma=g, kind=kind)
            for m, done, loss, se, sec in zip(
                sub["m"].values,
                sub["completed"].values,
                sub["final_loss"].values,
                sub["final_loss_se"].values,
                sub["train_seconds"].values,
                strict=True,
            ):
                if not bool(done):
                    continue
                paper = dict(zip(paper_w, PAPER_FIG1_LOSS[regime][str(kind)], strict=True)).get(
                    int(m), np.nan
                )
                rows.append(
                    {
                        "regime": f"{regime} (γ = {g:g})",
                        "law": str(kind),
                        "m": int(m),
                        "loss": f"{loss:.4f} ± {se:.4f}",
                        "paper (Fig. 1)": f"{paper:.3g}",
                        "ours / paper": f"{loss / paper:.2f}",
                        "hours": sec / 3600,
                    }
                )
    return rows


def markdown(ds: xr.Dataset) -> str:
    """The table of :func:`progress_rows` and a line of hours per regime and law."""
    rows = progress_rows(ds)
    if not rows:
        return "No model of paper-large is trained yet."
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(f"{v:.2f}" if k == "hours" else str(v) for k, v in r.items()) + " |")
    per: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        per.setdefault((r["regime"], r["law"]), []).append(r["hours"])
    total = sum(h for hs in per.values() for h in hs)
    parts = [
        f"{reg.split()[0]} {law}: {len(hs)} model{'s' * (len(hs) > 1)}, {sum(hs):.2f} h"
        for (reg, law), hs in per.items()
    ]
    n_all = int(np.asarray(ds["completed"]).size)
    lines.append("")
    lines.append(f"{len(rows)} of {n_all} models, {total:.2f} core-hours in all ({'; '.join(parts)}).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1:
        print("usage: python tools/paper_large_progress.py [path/to/paper-large.nc]", file=sys.stderr)
        return 2
    if argv:
        path = Path(argv[0])
        if not path.exists():
            print(f"paper-large file {str(path)!r} does not exist", file=sys.stderr)
            return 2
        with xr.open_dataset(path, engine="h5netcdf") as f:
            ds = f.load()
    else:
        ds = catalog.load("paper-large")
    print(markdown(ds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
