"""Open every page of the built book in headless Chromium and check what a reader would see.

For every HTML page under the build folder:
- no JavaScript error (uncaught exceptions and console errors), with the network cut off except
  for the book's own local server, as for a reader offline;
- every plotly figure drew its plot (an SVG with at least one drawn trace);
- the first figure with a built-in slider is moved, and its drawing must change.
It prints each page's size, and a page over ``--max-page-mb`` (default 2 MB of HTML; plotly.js is
loaded once per page from the book's static files, not embedded) is a problem. ``--selftest`` builds pages with a blank figure, a broken script and a
dead slider, and checks that each is reported (so the check itself can fail).

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


def check_site(root: Path, verbose: bool = True, max_page_mb: float = 2.0) -> list[str]:
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
            # Offline reader: only the book's own server answers.
            ctx.route(
                "**/*",
                lambda route: route.continue_() if route.request.url.startswith(base) else route.abort(),
            )
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
                if verbose:
                    print(
                        f"{rel}: {size / 1e6:.2f} MB HTML, {len(figs)} plotly figures, {blank} blank, {len(errors)} JS errors"
                    )
                page.close()
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
}


def selftest() -> int:
    import plotly

    tmp = Path(tempfile.mkdtemp())
    try:
        shutil.copyfile(
            Path(plotly.__file__).parent / "package_data" / "plotly.min.js", tmp / "plotly.min.js"
        )
        expected = {
            "blank.html": "did not draw",
            "broken.html": "JavaScript error",
            "deadslider.html": "slider",
        }
        ok = True
        for name, body in SELFTEST_PAGES.items():
            site = tmp / name.replace(".html", "")
            site.mkdir()
            shutil.copyfile(tmp / "plotly.min.js", site / "plotly.min.js")
            (site / name).write_text(
                f"<html><head><script src='plotly.min.js'></script></head><body>{body}</body></html>"
            )
            problems = check_site(site, verbose=False)
            hit = [p for p in problems if expected[name] in p]
            print(f"selftest {name}: {'reported' if hit else 'NOT REPORTED'}: {hit[:1] or problems[:1]}")
            ok &= bool(hit)
        print("selftest: the check fails on broken pages, as it must" if ok else "selftest FAILED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="_build/html", help="built HTML folder")
    ap.add_argument("--selftest", action="store_true", help="check that broken pages are reported")
    ap.add_argument("--max-page-mb", type=float, default=2.0, help="largest allowed HTML page (MB)")
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    root = Path(a.root)
    if not root.is_dir():
        print(f"{root} does not exist: build the book first (make book)", file=sys.stderr)
        return 2
    problems = check_site(root, max_page_mb=a.max_page_mb)
    for p in problems:
        print("PROBLEM:", p)
    total = sum(p.stat().st_size for p in root.rglob("*.html"))
    print(f"checked {root}: {len(problems)} problems; all pages together {total / 1e6:.2f} MB of HTML")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
