"""Open every page of the built book in headless Chromium and check what a reader would see.

For every HTML page under the build folder:
- no JavaScript error (uncaught exceptions and console errors), with the network cut off except
  for the book's own local server, as for a reader offline;
- every plotly figure drew its plot (an SVG with at least one drawn trace);
- the first figure with a built-in slider is moved, and its drawing must change;
- no script, style sheet or font is asked from outside the book's own files (no CDN);
- every formula is typeset: no raw TeX (``\\(``, ``\\[``, ``$$``, ``\\frac`` ...) is left in the visible text
  outside MathJax's output and outside code (MathJax itself is served by the book, so offline it must load);
- phone width: every page is opened again 400 px wide, and every panel of every plotly figure (each subplot's
  ``.nsewdrag`` rectangle) must be at least ``--min-plot-px`` (250) wide, every slider rail too.
It prints each page's size, and a page over ``--max-page-mb`` (default 2 MB of HTML; plotly.js is
loaded once per page from the book's static files, not embedded) is a problem. ``--selftest`` builds pages
with a blank figure, a broken script, a dead slider, raw TeX, a script from a CDN and a legend that squeezes the plot at 400 px,
and checks that each is reported (so the check itself can fail).

    python tools/check_html.py _build/html
    python tools/check_html.py --selftest
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A known, harmless duplicate-declaration error that sphinx-thebe 0.3.1 (pulled in by Jupyter Book 1.x)
# causes on every page even with Thebe off. Anything else is an error.
KNOWN = ("Identifier 'THEBE_JS_URL' has already been declared",)
SKIP_PAGES = {"genindex.html", "search.html", "py-modindex.html"}

FIGURE_STATE = """
(gd) => {
  const svg = gd.querySelector('svg.main-svg');
  const drawn = gd.querySelectorAll('g.trace, g.hm, g.imagelayer image, g.pielayer path, g.barlayer path').length;
  const data = Array.isArray(gd.data) ? gd.data.length : 0;
  const box = gd.getBoundingClientRect();
  return {svg: !!svg, drawn: drawn, data: data, w: box.width, h: box.height,
          sliders: (gd.layout && gd.layout.sliders) ? gd.layout.sliders.length : 0};
}
"""

SIGNATURE = """
(gd) => {
  const vis = (gd._fullData || []).map(t => String(t.visible)).join(',');
  const paths = Array.from(gd.querySelectorAll('g.trace path, g.hm image')).filter(
      e => e.getBoundingClientRect().width > 0 || e.getBoundingClientRect().height > 0)
    .map(e => (e.getAttribute('d') || e.getAttribute('href') || '').length).join(',');
  const title = gd.querySelector('.gtitle') ? gd.querySelector('.gtitle').textContent : '';
  return vis + '|' + paths + '|' + title;
}
"""


# Raw TeX in the text a reader sees: MathJax did not run (or failed) on a formula.
RAW_TEX = r"\\[()\[\]]|\$\$|\\(?:frac|sqrt|alpha|gamma|varphi|propto|mathbb|mathrm|lVert|langle|sum|top)(?![A-Za-z])"

VISIBLE_TEX = """
(pattern) => {
  const re = new RegExp(pattern);
  const skip = 'mjx-container, script, style, code, pre, kbd, samp, textarea, .highlight, .MathJax, svg, .plotly-graph-div';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true})) continue;
    const text = node.textContent;
    const m = text.match(re);
    if (m) {
      const at = Math.max(0, m.index - 30);
      found.push(text.slice(at, m.index + 40).replace(/\\s+/g, ' '));
    }
  }
  return found;
}
"""

MATHJAX_READY = """
async () => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    await Promise.race([mj.startup.promise, new Promise(r => setTimeout(r, 10000))]);
  }
  return !!(mj && mj.version);
}
"""

# The plot area of a figure at phone width: the width of its narrowest subplot (drag rectangle, one per subplot),
# and the width of each slider rail. Figures not shown (width 0, e.g. inside a closed dropdown) are skipped.
PLOT_AREA = """
(gd) => {
  const box = gd.getBoundingClientRect();
  const rects = Array.from(gd.querySelectorAll('rect.nsewdrag')).map(e => e.getBoundingClientRect())
    .filter(r => r.width > 0);
  const rails = Array.from(gd.querySelectorAll('rect.slider-rail-rect')).map(e => e.getBoundingClientRect().width);
  const span = rects.length ? Math.min(...rects.map(r => r.width)) : null;  // the narrowest panel
  // a panel is cut off when it reaches below the figure's box or below an ancestor of fixed height
  let bottom = box.bottom;
  for (let e = gd.parentElement, i = 0; e && i < 4; e = e.parentElement, i++) {
    if (e.style && e.style.height && e.style.height !== 'auto') bottom = Math.min(bottom, e.getBoundingClientRect().bottom);
  }
  const clipped = rects.filter(r => r.bottom > bottom + 2 || r.right > box.right + 2).length;
  return {fig: box.width, span: span, panels: rects.length, clipped: clipped, rails: rails};
}
"""

NARROW_PX = 400


def serve(root: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args, **kwargs):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def move_slider(page, gd) -> bool:
    """Click near the right end of the slider rail, as a reader would; return True if it moved."""
    before = page.evaluate("(gd) => gd.layout.sliders[0].active", gd)
    rail = gd.query_selector("g.slider-container rect.slider-rail-touch-rect") or gd.query_selector(
        "g.slider-container rect"
    )
    if rail is None:
        return False
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    for frac in (0.97, 0.03):
        page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
        page.wait_for_timeout(400)
        if page.evaluate("(gd) => gd.layout.sliders[0].active", gd) != before:
            return True
    return False


def check_math(page, rel: str) -> list[str]:
    """Wait for MathJax (if the page loads it), then report raw TeX left in the visible text."""
    page.evaluate(MATHJAX_READY)
    raw = page.evaluate(VISIBLE_TEX, RAW_TEX)
    return [f"{rel}: raw TeX visible, formula not typeset: ...{t}..." for t in raw[:5]] + (
        [f"{rel}: ... and {len(raw) - 5} more places with raw TeX"] if len(raw) > 5 else []
    )


def check_narrow(ctx, base: str, rel: str, min_plot_px: float) -> tuple[list[str], int]:
    """Open the page at phone width; every shown figure's plot area and slider rails must stay usable."""
    problems: list[str] = []
    page = ctx.new_page()
    page.goto(base + rel, wait_until="load")
    page.wait_for_timeout(900)  # the book's narrow-figures.js relays out the figures after load
    figs = page.query_selector_all("div.plotly-graph-div")
    for k, gd in enumerate(figs):
        st = page.evaluate(PLOT_AREA, gd)
        if st["fig"] <= 0:
            continue
        if st["span"] is not None and st["span"] < min_plot_px:
            problems.append(
                f"{rel}: figure #{k + 1} at {NARROW_PX} px: "
                + ("a panel" if st["panels"] > 1 else "plot area")
                + f" {st['span']:.0f} px wide (figure {st['fig']:.0f} px), less than {min_plot_px:.0f} px"
            )
        if st["clipped"]:
            problems.append(
                f"{rel}: figure #{k + 1} at {NARROW_PX} px: {st['clipped']} panel(s) outside the figure's box "
                "(cut off by its height)"
            )
        for w in st["rails"]:
            if w < min_plot_px:
                problems.append(
                    f"{rel}: figure #{k + 1} at {NARROW_PX} px: slider {w:.0f} px wide, less than {min_plot_px:.0f} px"
                )
    page.close()
    return problems, len(figs)


def check_site(
    root: Path, verbose: bool = True, max_page_mb: float = 2.0, min_plot_px: float = 250.0
) -> list[str]:
    from playwright.sync_api import sync_playwright

    root = Path(root)
    pages = sorted(p for p in root.rglob("*.html") if p.name not in SKIP_PAGES and "_static" not in p.parts)
    if not pages:
        return [f"no HTML pages under {root}"]
    problems: list[str] = []
    httpd = serve(root)
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    slider_checked = False
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            narrow = browser.new_context(viewport={"width": NARROW_PX, "height": 850})
            # Offline reader: only the book's own server answers. A script, style sheet or font asked from
            # elsewhere (a CDN) would be missing offline: that is a problem of the page that asked.
            external: list[str] = []

            def offline(route):
                if route.request.url.startswith(base):
                    return route.continue_()
                if route.request.resource_type in ("script", "stylesheet", "font"):
                    external.append(f"{route.request.resource_type} {route.request.url[:120]}")
                return route.abort()

            for c in (ctx, narrow):
                c.route("**/*", offline)
            for path in pages:
                rel = path.relative_to(root).as_posix()
                if 'http-equiv="refresh"' in path.read_text(errors="replace").lower():
                    # A redirect page (index.html): it navigates away at once, so there is nothing to inspect
                    # (and inspecting it races the navigation); its target is checked on its own.
                    if verbose:
                        print(f"{rel}: redirect page, {path.stat().st_size / 1e6:.2f} MB HTML")
                    continue
                errors: list[str] = []
                page = ctx.new_page()
                page.on("pageerror", lambda exc, errors=errors: errors.append(f"uncaught: {exc}"))

                def on_console(msg, errors=errors):
                    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                        errors.append(f"console: {msg.text}")

                page.on("console", on_console)
                page.goto(base + rel, wait_until="load")
                page.wait_for_timeout(300)
                math = check_math(page, rel)
                problems += [f"{rel}: asks the network for a {u} (not served by the book)" for u in external]
                external.clear()
                problems += math
                errors = [e for e in errors if not any(k in e for k in KNOWN)]
                for e in errors:
                    problems.append(f"{rel}: JavaScript error: {e[:300]}")
                figs = page.query_selector_all("div.plotly-graph-div")
                blank = 0
                for k, gd in enumerate(figs):
                    st = page.evaluate(FIGURE_STATE, gd)
                    if not (st["svg"] and st["drawn"] > 0 and st["data"] > 0 and st["w"] > 0 and st["h"] > 0):
                        blank += 1
                        problems.append(f"{rel}: plotly figure #{k + 1} did not draw ({st})")
                    elif st["sliders"] and not slider_checked:
                        sig0 = page.evaluate(SIGNATURE, gd)
                        if not move_slider(page, gd):
                            problems.append(f"{rel}: figure #{k + 1}: its slider did not move when clicked")
                        elif page.evaluate(SIGNATURE, gd) == sig0:
                            problems.append(
                                f"{rel}: figure #{k + 1}: moving the slider did not change the figure"
                            )
                        else:
                            slider_checked = True
                            if verbose:
                                print(f"  slider of figure #{k + 1} on {rel}: moved, figure changed")
                size = path.stat().st_size
                if size > max_page_mb * 1e6:
                    problems.append(f"{rel}: {size / 1e6:.2f} MB of HTML, more than {max_page_mb} MB")
                page.close()
                small, _ = check_narrow(narrow, base, rel, min_plot_px)
                external.clear()  # the same page again: what it asks was reported above
                problems += small
                if verbose:
                    print(
                        f"{rel}: {size / 1e6:.2f} MB HTML, {len(figs)} plotly figures, {blank} blank, "
                        f"{len(errors)} JS errors, {len(math)} raw TeX, {len(small)} too narrow at {NARROW_PX} px"
                    )
            browser.close()
    finally:
        httpd.shutdown()
    if not slider_checked:
        problems.append("no plotly figure with a working built-in slider was found in the book")
    return problems


SELFTEST_PAGES = {
    # A figure div whose data never gets drawn (e.g. plotly.js missing or a mime-only output).
    "blank.html": "<div id='f' class='plotly-graph-div' style='height:300px;width:400px'></div>",
    # A script error on the page.
    "broken.html": "<script>undefined_function_call();</script>",
    # A slider whose steps change nothing.
    "deadslider.html": """<div id='g' class='plotly-graph-div' style='height:400px;width:600px'></div>
<script>Plotly.newPlot('g', [{y: [1, 2, 3]}], {sliders: [{active: 0, steps: [
  {label: 'a', method: 'skip', args: []}, {label: 'b', method: 'skip', args: []}]}]});</script>""",
    # A formula MathJax never typeset (e.g. MathJax asked from a CDN while offline): raw \\( ... \\) shows.
    "rawtex.html": "<p>The loss falls as <span class='math'>\\(L \\propto m^{-1}\\)</span>, or</p>"
    "<div class='math'>$$\\frac{1}{m}$$</div>",
    # MathJax asked from a CDN: offline it never arrives.
    "cdn.html": "<script defer src='https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js'></script>",
    # A legend at the right with long names: at 400 px the plot is squeezed to a strip (no narrow relayout).
    "squeezed.html": """<div id='s' class='plotly-graph-div' style='height:400px;width:100%'></div>
<script>Plotly.newPlot('s', [0, 1, 2].map(k => ({y: [1, 2, 3].map(v => v * (k + 1)),
  name: 'paper protocol, γ = −0.78, α = 2, curve number ' + k})), {margin: {l: 60, r: 20}}, {responsive: true});</script>""",
    # Two panels stacked by a relayout that forgot the div's own CSS height: the lower panel is cut off.
    "clipped.html": """<div style='height:400px;width:100%'><div id='c' class='plotly-graph-div' style='height:700px;width:100%'></div></div>
<script>var L = Object.assign({}, TWO_PANELS.layout, {height: 700,
  xaxis: {domain: [0, 1], anchor: 'y'}, yaxis: {domain: [0.55, 1], anchor: 'x'},
  xaxis2: {domain: [0, 1], anchor: 'y2'}, yaxis2: {domain: [0, 0.45], anchor: 'x2'}});
Plotly.newPlot('c', TWO_PANELS.data, L, {responsive: true});</script>""",
    # Two panels side by side at 400 px: each about 150 px wide (no narrow relayout stacks them).
    "twopanel.html": """<div id='t' class='plotly-graph-div' style='height:400px;width:100%'></div>
<script>Plotly.newPlot('t', TWO_PANELS.data, TWO_PANELS.layout, {responsive: true});</script>""",
}

# A figure of two subplots in one row with their titles, as plotly's make_subplots writes it.
TWO_PANELS_JS = """<script>var TWO_PANELS = {data: [{y: [3, 2, 1], name: 'weak'},
  {y: [1, 2, 3], name: 'strong', xaxis: 'x2', yaxis: 'y2'}], layout: {
  xaxis: {domain: [0, 0.45], anchor: 'y', title: {text: 'width m'}}, yaxis: {domain: [0, 1], anchor: 'x'},
  xaxis2: {domain: [0.55, 1], anchor: 'y2', title: {text: 'width m'}}, yaxis2: {domain: [0, 1], anchor: 'x2'},
  annotations: [{text: 'weak superposition', x: 0.225, y: 1, xref: 'paper', yref: 'paper', xanchor: 'center',
    yanchor: 'bottom', showarrow: false}, {text: 'strong superposition', x: 0.775, y: 1, xref: 'paper',
    yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false}], height: 400}};</script>"""


# The control page: what the book serves (its own MathJax, narrow-figures.js) must pass every check.
GOOD_PAGE = """<p>The loss falls as <span class='math notranslate nohighlight'>\\(L \\propto m^{-1}\\)</span>:</p>
<div class='math notranslate nohighlight'>\\[\\frac{1}{m}\\]</div>
<div id='g' class='plotly-graph-div' style='height:450px;width:100%'></div>
<script>Plotly.newPlot('g', [0, 1, 2, 3, 4, 5].map(k => ({y: [1, 2, 3].map(v => v * (k % 3 + 1) + k),
  name: 'paper protocol, γ = −0.78, α = 2, curve number ' + k, visible: k < 3})),
  {title: {text: 'Loss against width'}, sliders: [{active: 0, currentvalue: {prefix: 'α = '}, steps: [
  {label: '1', method: 'update', args: [{visible: [true, true, true, false, false, false]}]},
  {label: '2', method: 'update', args: [{visible: [false, false, false, true, true, true]}]}]}]},
  {responsive: true});</script>
<div style='height:400px;width:100%'><div id='t' class='plotly-graph-div' style='height:400px;width:100%'></div></div>
<script>Plotly.newPlot('t', TWO_PANELS.data, TWO_PANELS.layout, {responsive: true});</script>
<div id='h' class='plotly-graph-div' style='height:450px;width:100%'></div>
<script>Plotly.newPlot('h', [{type: 'heatmap', z: [[1, 2, 3], [3, 2, 1]], colorbar: {title: {text: 'fitted α_m'}}}],
  {title: {text: 'α_m over (γ, α)'}}, {responsive: true});</script>"""


def mathjax_dir() -> Path | None:
    """MathJax's es5 folder as the book serves it (make vendor), or from the installed package."""
    import importlib.util

    built = Path(__file__).resolve().parents[1] / "_vendor" / "static" / "mathjax"
    if (built / "tex-mml-chtml.js").is_file():
        return built
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec and spec.submodule_search_locations:
        found = Path(spec.submodule_search_locations[0]) / "static" / "mathjax"
        if (found / "tex-mml-chtml.js").is_file():
            return found
    return None


def selftest() -> int:
    import plotly

    tmp = Path(tempfile.mkdtemp())
    static = Path(__file__).resolve().parents[1] / "lib" / "superscale" / "static"
    try:
        shutil.copyfile(
            Path(plotly.__file__).parent / "package_data" / "plotly.min.js", tmp / "plotly.min.js"
        )
        expected = {
            "blank.html": "did not draw",
            "broken.html": "JavaScript error",
            "deadslider.html": "slider",
            "rawtex.html": "raw TeX",
            "cdn.html": "asks the network",
            "squeezed.html": "plot area",
            "twopanel.html": "a panel",
            "clipped.html": "outside the figure's box",
        }
        ok = True
        for name, body in SELFTEST_PAGES.items():
            site = tmp / name.replace(".html", "")
            site.mkdir()
            shutil.copyfile(tmp / "plotly.min.js", site / "plotly.min.js")
            (site / name).write_text(
                f"<html><head><meta charset='utf-8'><script src='plotly.min.js'></script>{TWO_PANELS_JS}</head>"
                f"<body>{body}</body></html>"
            )
            problems = check_site(site, verbose=False)
            hit = [p for p in problems if expected[name] in p]
            print(f"selftest {name}: {'reported' if hit else 'NOT REPORTED'}: {hit[:1] or problems[:1]}")
            ok &= bool(hit)
        # The control: the book's own MathJax typesets offline and narrow-figures.js keeps the plot usable.
        mj = mathjax_dir()
        if mj is None:
            print("selftest good.html: MathJax not found (make vendor, or pip install -r requirements.txt)")
            ok = False
        else:
            site = tmp / "good"
            site.mkdir()
            shutil.copyfile(tmp / "plotly.min.js", site / "plotly.min.js")
            shutil.copyfile(static / "narrow-figures.js", site / "narrow-figures.js")
            (site / "mathjax").symlink_to(mj, target_is_directory=True)
            (site / "good.html").write_text(
                "<html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
                "<script src='plotly.min.js'></script><script src='narrow-figures.js'></script>"
                + TWO_PANELS_JS
                + "<script defer src='mathjax/tex-mml-chtml.js'></script></head>"
                f"<body>{GOOD_PAGE}</body></html>"
            )
            problems = check_site(site, verbose=False)
            print(
                f"selftest good.html (the book's MathJax and narrow-figures.js): {problems or 'no problem'}"
            )
            ok &= not problems
        print("selftest: the check fails on broken pages, as it must" if ok else "selftest FAILED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="_build/html", help="built HTML folder")
    ap.add_argument("--selftest", action="store_true", help="check that broken pages are reported")
    ap.add_argument("--max-page-mb", type=float, default=2.0, help="largest allowed HTML page (MB)")
    ap.add_argument(
        "--min-plot-px", type=float, default=250.0, help=f"narrowest allowed plot area at {NARROW_PX} px"
    )
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    root = Path(a.root)
    if not root.is_dir():
        print(f"{root} does not exist: build the book first (make book)", file=sys.stderr)
        return 2
    problems = check_site(root, max_page_mb=a.max_page_mb, min_plot_px=a.min_plot_px)
    for p in problems:
        print("PROBLEM:", p)
    total = sum(p.stat().st_size for p in root.rglob("*.html"))
    print(f"checked {root}: {len(problems)} problems; all pages together {total / 1e6:.2f} MB of HTML")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
