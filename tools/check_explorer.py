"""Move both sliders of the book's headline explorer in headless Chromium and check what the reader sees.

The explorer (chapter 4, ``superscale.chapters.ch4_explorer``) is a plotly figure with two built-in
sliders, α and γ, whose steps do nothing by themselves; the book's script ``explorer.js`` shows the pair
the two sliders select. This check, offline (only the book's own local server answers):

- finds the page(s) under the build folder whose figure carries ``layout.meta.explorer``;
- checks the figure's HTML is under ``--max-figure-mb`` (default 1 MB) and the page has no JavaScript error;
- at 1280 px and at 400 px: clicks the α slider's step, then the γ slider's, then α again (real mouse
  clicks on the steps' ticks) and after each click checks that exactly the chosen pair's traces are
  visible, that the drawn losses are that pair's losses and that the title shows the α_m ± SE computed
  here in Python (``ch4_explorer.pair_data`` on the ``paper-small`` data set).

``--selftest`` builds small pages from synthetic data: a working explorer must pass, the same explorer
without the script and one whose titles are wrong must be reported (so the check itself can fail).

    python tools/check_explorer.py _build/html
    python tools/check_explorer.py --selftest
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "lib"))

from check_html import ARGS, CHROMIUM, KNOWN, serve  # noqa: E402

MARK = re.compile(r'"explorer":\s*\{\s*"version"')
WIDTHS = (1280, 400)

FIND = """
() => Array.from(document.querySelectorAll('div.plotly-graph-div')).findIndex(
  gd => gd.layout && gd.layout.meta && gd.layout.meta.explorer)
"""

STATE = """
(gd) => {
  const ex = gd.layout.meta.explorer;
  const full = gd._fullData || [];
  // As the figure asks (gd.data), not as drawn: plotly hides empty traces (the weak guide at α ≤ 1).
  const visible = gd.data.map((t, i) => (t.visible === undefined || t.visible === true ? i : -1)).filter(i => i >= 0);
  const dataRole = ex.roles ? ex.roles.indexOf('data') : ex.per_pair - 1;
  const dataTraces = visible.filter(i => i >= ex.first && (i - ex.first) % ex.per_pair === dataRole);
  const y = dataTraces.length ? Array.from(full[dataTraces[0]].y || []).map(Number) : [];
  const title = gd.querySelector('.gtitle') ? gd.querySelector('.gtitle').textContent : '';
  const act = (k) => gd._fullLayout.sliders[k].active;
  return {visible: visible, y: y, title: title.replace(/\\u200b/g, ''),
          alpha: act(ex.alpha_slider), gamma: act(ex.gamma_slider), nAlpha: ex.alphas.length,
          nGamma: ex.gammas.length, perPair: ex.per_pair, first: ex.first,
          wired: !!gd._explorerWired};
}
"""

TICK = """
([gd, slider, step]) => {
  const group = gd.querySelectorAll('g.slider-group')[slider];
  const ticks = group ? group.querySelectorAll('rect.slider-tick-rect') : [];
  const rail = group ? group.querySelector('rect.slider-rail-touch-rect') : null;
  if (!rail || step >= ticks.length) return null;
  const t = ticks[step].getBoundingClientRect(), r = rail.getBoundingClientRect();
  return {x: t.x + t.width / 2, y: r.y + r.height / 2};
}
"""

#: expected(i, j) -> (the α_m ± SE text the title must show, the losses drawn) for α index i, γ index j.
Expected = Callable[[int, int], tuple[str, list[float]]]


def expected_from(ds) -> Expected:
    """What the explorer must show for each pair of ``ds``, computed here in Python."""
    import numpy as np

    from superscale.chapters import ch4_explorer as x

    alphas, gammas = ds["alpha"].values, ds["gamma"].values

    def exp(i: int, j: int):
        p = x.pair_data(ds, float(alphas[i]), float(gammas[j]))
        ok = np.isfinite(p.loss) & (p.loss > 0)
        return x.alpha_m_label(p.fit), [float(v) for v in p.loss[ok]]

    return exp


def click_step(page, gd, slider: int, step: int) -> bool:
    """Click the tick of ``step`` on slider ``slider`` as a reader would; True if the slider went there."""
    where = page.evaluate(TICK, [gd, slider, step])
    if where is None:
        return False
    page.mouse.click(where["x"], where["y"])
    page.wait_for_timeout(350)
    return page.evaluate("([gd, k]) => gd._fullLayout.sliders[k].active", [gd, slider]) == step


def check_state(st: dict, i: int, j: int, expected: Expected, what: str) -> list[str]:
    """Problems with the drawn state ``st`` when the sliders select α index i and γ index j."""
    out = []
    if (st["alpha"], st["gamma"]) != (i, j):
        out.append(f"{what}: sliders at ({st['alpha']}, {st['gamma']}), expected ({i}, {j})")
    k = i * st["nGamma"] + j
    want = list(range(st["first"] + k * st["perPair"], st["first"] + (k + 1) * st["perPair"]))
    shown = [
        v
        for v in st["visible"]
        if st["first"] <= v < st["first"] + st["nAlpha"] * st["nGamma"] * st["perPair"]
    ]
    if shown != want:
        out.append(
            f"{what}: the visible curve is not the chosen pair's (traces {shown[:8]}, expected {want})"
        )
    label, loss = expected(i, j)
    if f"= {label}" not in st["title"]:
        out.append(f"{what}: the title reads {st['title'][:90]!r}, expected α_m = {label}")
    if len(st["y"]) != len(loss) or any(abs(a - b) > 1e-9 * max(1.0, abs(b)) for a, b in zip(st["y"], loss)):
        out.append(f"{what}: the drawn losses {st['y'][:3]}… are not the pair's {loss[:3]}…")
    return out


def moves(n_alpha: int, n_gamma: int, i0: int, j0: int) -> list[tuple[int, int]]:
    """Three slider moves (slider, step): α, then γ (to the other sign of γ when possible), then α again."""
    i1 = n_alpha // 2 if i0 != n_alpha // 2 else 0
    j1 = n_gamma - 3 if n_gamma > 3 and j0 != n_gamma - 3 else (j0 + 1) % n_gamma
    i2 = 0 if i1 != 0 else n_alpha - 1
    return [(0, i1), (1, j1), (0, i2)]


def check_page(ctx, url: str, expected: Expected, label: str) -> list[str]:
    """Open ``url``, move the explorer's sliders and return the problems found."""
    problems: list[str] = []
    errors: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(f"console: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.goto(url, wait_until="load")
    page.wait_for_timeout(500)
    try:
        k = page.evaluate(FIND)
        if k < 0:
            return [f"{label}: no figure with layout.meta.explorer was drawn"]
        gd = page.query_selector_all("div.plotly-graph-div")[k]
        gd.scroll_into_view_if_needed()
        st = page.evaluate(STATE, gd)
        i, j = st["alpha"], st["gamma"]
        problems += check_state(st, i, j, expected, f"{label}, as opened")
        for slider, step in moves(st["nAlpha"], st["nGamma"], i, j):
            name = "α" if slider == 0 else "γ"
            if not click_step(page, gd, slider, step):
                problems.append(f"{label}: clicking step {step} of the {name} slider did not move it")
                break
            i, j = (step, j) if slider == 0 else (i, step)
            found = check_state(
                page.evaluate(STATE, gd), i, j, expected, f"{label}, {name} slider → step {step}"
            )
            problems += found
            if found:
                break
        errors = [e for e in errors if not any(s in e for s in KNOWN)]
        problems += [f"{label}: JavaScript error: {e[:300]}" for e in errors]
    finally:
        page.close()
    return problems


def figure_bytes(html: str) -> int:
    """Size of the explorer's figure in a page: from its div to the end of the script that draws it."""
    m = MARK.search(html)
    start = html.rfind('<div id="', 0, m.start())
    end = html.find("</script>", m.end())
    return end - start


def check_site(
    root: Path, expected: Expected | None = None, verbose: bool = True, max_figure_mb: float = 1.0
):
    """Check every page of ``root`` that holds an explorer; return the problems."""
    from playwright.sync_api import sync_playwright

    pages = [
        p
        for p in sorted(Path(root).rglob("*.html"))
        if "_static" not in p.parts and MARK.search(p.read_text(errors="replace"))
    ]
    if not pages:
        return [f"no page under {root} holds an explorer figure (layout.meta.explorer)"]
    if expected is None:
        from superscale.chapters import ch4_explorer as x

        expected = expected_from(x.load())
    problems: list[str] = []
    httpd = serve(Path(root))
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for path in pages:
                rel = path.relative_to(root).as_posix()
                size = figure_bytes(path.read_text(errors="replace"))
                if size > max_figure_mb * 1e6:
                    problems.append(
                        f"{rel}: the explorer figure is {size / 1e6:.2f} MB, more than {max_figure_mb} MB"
                    )
                for width in WIDTHS:
                    ctx = browser.new_context(viewport={"width": width, "height": 900})
                    ctx.route(
                        "**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort()
                    )
                    found = check_page(ctx, base + rel, expected, f"{rel} at {width} px")
                    problems += found
                    ctx.close()
                    if verbose:
                        print(
                            f"{rel} at {width} px: explorer figure {size / 1e6:.2f} MB; α, γ, α sliders clicked: "
                            + ("title, curve and losses follow" if not found else f"{len(found)} problems")
                        )
            browser.close()
    finally:
        httpd.shutdown()
    return problems


def synthetic_dataset():
    """A small sweep with the explorer's variables: α_m differs from pair to pair."""
    import numpy as np
    import xarray as xr

    alphas = np.array([0.5, 1.0, 1.5, 2.0])
    gammas = np.array([-0.778, -0.333, 0.333, 0.778])
    widths = np.array([10, 15, 25, 39, 63, 100])
    wobble = 1 + 0.03 * np.sin(np.arange(widths.size) * 2.1)
    loss = np.array(
        [
            [0.5 * widths ** -(0.4 + 0.35 * i + 0.12 * j) * wobble for j in range(gammas.size)]
            for i in range(alphas.size)
        ]
    )
    dims = ("alpha", "gamma", "m")
    return xr.Dataset(
        {
            "final_loss": (dims, loss),
            "final_loss_se": (dims, 0.02 * loss),
            "completed": (dims, np.ones(loss.shape, dtype=bool)),
        },
        coords={"alpha": alphas, "gamma": gammas, "m": widths},
    )


def _write_page(site: Path, fig, with_script: bool | str) -> None:
    """A page with ``fig``; ``with_script``: True serves explorer.js, "inline" attaches it as in Jupyter/Colab."""
    import plotly
    from plotly.io import to_html

    from superscale.chapters import ch4_explorer as x

    site.mkdir(parents=True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", site / "plotly.min.js")
    head = "<script src='plotly.min.js'></script>"
    if with_script is True:
        shutil.copyfile(x.SCRIPT, site / "explorer.js")
        head += "<script src='explorer.js'></script>"
    post = x.explorer_script() if with_script == "inline" else None
    body = to_html(
        fig, include_plotlyjs=False, full_html=False, default_width="100%", validate=False, post_script=post
    )
    (site / "index.html").write_text(f"<html><head>{head}</head><body>{body}</body></html>")


def selftest() -> int:
    from superscale.chapters import ch4_explorer as x

    ds = synthetic_dataset()
    expected = expected_from(ds)
    good = x.explorer_figure(ds, alpha=2.0, gamma=-0.778)
    wrong = x.explorer_figure(ds, alpha=2.0, gamma=-0.778)
    meta = wrong.layout.meta
    meta["explorer"]["titles"] = list(reversed(meta["explorer"]["titles"]))
    wrong.update_layout(meta=meta)
    cases = {
        "working": (good, True, None),
        "working, script inline (Jupyter, Colab)": (good, "inline", None),
        "no script": (good, False, "visible curve"),
        "wrong titles": (wrong, True, "title"),
    }
    tmp = Path(tempfile.mkdtemp())
    ok = True
    try:
        for name, (fig, with_script, must) in cases.items():
            site = tmp / re.sub(r"\W+", "-", name)
            _write_page(site, fig, with_script)
            problems = check_site(site, expected, verbose=False)
            if must is None:
                good_run = not problems
                print(f"selftest {name}: {'passes' if good_run else 'FAILS'} {problems[:2]}")
            else:
                good_run = any(must in p for p in problems)
                print(f"selftest {name}: {'reported' if good_run else 'NOT REPORTED'}: {problems[:1]}")
            ok &= good_run
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("selftest: the check passes a working explorer and fails broken ones" if ok else "selftest FAILED")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="_build/html", help="built HTML folder")
    ap.add_argument("--selftest", action="store_true", help="check that a broken explorer is reported")
    ap.add_argument(
        "--max-figure-mb", type=float, default=1.0, help="largest allowed explorer figure (MB of HTML)"
    )
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    root = Path(a.root)
    if not root.is_dir():
        print(f"{root} does not exist: build the book first (make book)", file=sys.stderr)
        return 2
    problems = check_site(root, max_figure_mb=a.max_figure_mb)
    for p in problems:
        print("PROBLEM:", p)
    print(f"checked the explorer under {root}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
