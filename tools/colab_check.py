"""Run every chapter in a Colab stand-in and check what a Colab reader would get.

Colab itself cannot be reached from CI. The stand-in is a separate virtual environment with the
package versions Colab ships (tools/colab/colab-versions.txt), a stand-in ``google.colab`` module
imported at kernel start (so each set-up cell takes its Colab branch), and the repository served
from a local bare git repository (``file://``) through ``SUPERSCALE_REPO`` in place of GitHub.

For every chapter listed in ``_toc.yml`` it

1. starts a fresh kernel in the stand-in environment, in an empty working folder (like ``/content``);
   for the first chapter ``SUPERSCALE_HOME`` does not exist yet, so the set-up cell clones the
   repository and pip-installs it; later chapters reuse that clone (``--fresh-each``: every chapter
   clones and installs, as in Colab, where each notebook gets its own runtime; the cells are identical,
   ``tools/sync_setup_cells.py --check`` makes sure of it);
2. runs the notebook top to bottom (any error fails the check);
3. checks that the package was imported from the clone, that plotly uses the ``colab`` renderer and
   that the chapter produced plotly figures (not required of the workbook's notebooks, book/workbook/);
   for a workbook's exercise version (book/workbook/colab/, ``--workbook``), that every check reported
   "not done yet" (one per solution cell) and none passed: the stubs run top to bottom without crashing;
4. finds every live ipywidgets ``interactive`` (ipywidgets 7 API), moves each of its sliders one
   step and checks that its Output widget received new output and no error.

Before and after, it records the installed numpy, torch, plotly, pandas, ipywidgets and numba and fails if
a set-up cell upgraded or downgraded any of them. The environment is reset to its recorded
baseline first, so every run starts from what Colab has.

Usage (the Makefile's ``colab`` target does all of this)::

    python tools/colab_check.py --prepare .venv-colab   # once, after creating the environment
    python tools/colab_check.py --venv .venv-colab      # run the chapters from HEAD
    python tools/colab_check.py --venv .venv-colab --include-uncommitted   # the working tree instead
    python tools/colab_check.py --only 02 --also book/07_draft.ipynb        # some chapters, or unlisted ones
    python tools/colab_check.py --venv .venv-colab --workbook               # + the workbook's exercise versions

By default the chapters and the package come from the commit at HEAD: uncommitted changes are NOT
included (CI runs on a clean clone, where this makes no difference).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from sync_setup_cells import repo_settings  # noqa: E402

KERNEL_NAME = "colab-stand-in"
WATCHED = ["numpy", "torch", "plotly", "pandas", "ipywidgets", "numba"]
BASELINE = "colab-baseline.txt"
CELL_TIMEOUT = 900  # seconds per cell


def log(msg: str) -> None:
    print(f"[colab] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


# ------------------------------------------------------------------------------------------------
# The stand-in environment
# ------------------------------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    out = run(
        [str(venv_python(venv)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
    )
    return Path(out.stdout.strip())


def freeze(venv: Path) -> dict[str, str]:
    """Installed packages of the stand-in environment as {normalised name: "name==version"}."""
    out = run(
        [str(venv_python(venv)), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
    )
    return {
        p["name"].lower().replace("_", "-"): f"{p['name']}=={p['version']}" for p in json.loads(out.stdout)
    }


def watched_versions(pkgs: dict[str, str]) -> dict[str, str]:
    return {name: pkgs.get(name, "(not installed)") for name in WATCHED}


def prepare(venv: Path) -> None:
    """Install the google.colab stand-in, the IPython start-up file and the kernelspec; record the baseline."""
    sp = site_packages(venv)
    dest = sp / "google" / "colab"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "tools" / "colab" / "google" / "colab", dest)
    ipydir = venv / "etc" / "ipython"
    startup = ipydir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-google-colab.py").write_text(
        "# Colab's kernel has google.colab imported from the start; so does the stand-in.\nimport google.colab\n"
    )
    kdir = venv / "share" / "jupyter" / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(venv_python(venv).absolute()), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Colab stand-in)",
        "language": "python",
        "env": {"IPYTHONDIR": str(ipydir.absolute()), "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    }
    (kdir / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    (venv / BASELINE).write_text("\n".join(sorted(freeze(venv).values())) + "\n")
    log(f"stand-in ready in {venv}: google.colab stub, kernel '{KERNEL_NAME}', baseline recorded")


def reset_to_baseline(venv: Path) -> None:
    """Undo what earlier runs' set-up cells installed, so this run starts from Colab's state."""
    base = {
        line.split("==")[0].lower().replace("_", "-"): line for line in (venv / BASELINE).read_text().split()
    }
    now = freeze(venv)
    extra = sorted(name for name in now if name not in base)
    changed = sorted(base[n] for n in base if n in now and now[n] != base[n])
    missing = sorted(base[n] for n in base if n not in now)
    py = str(venv_python(venv))
    if extra:
        log(f"reset: uninstalling {', '.join(extra)}")
        run([py, "-m", "pip", "uninstall", "-q", "-y", *extra])
    if changed or missing:
        log(f"reset: reinstalling {', '.join(changed + missing)}")
        run([py, "-m", "pip", "install", "-q", "--no-deps", "--only-binary=:all:", *changed, *missing])


# ------------------------------------------------------------------------------------------------
# The repository, served from a local git URL
# ------------------------------------------------------------------------------------------------


def git(*args: str, env: dict | None = None) -> str:
    return run(["git", "-C", str(ROOT), *args], capture_output=True, env=env).stdout.strip()


def snapshot_commit(include_uncommitted: bool, tmp: Path) -> str:
    """The commit to serve: HEAD, or a snapshot of the working tree (without touching the real index)."""
    dirty = git("status", "--porcelain", "--untracked-files=normal")
    if not include_uncommitted:
        if dirty:
            log(
                "NOTE: serving HEAD; these uncommitted changes are NOT included "
                "(use --include-uncommitted to test them):"
            )
            for line in dirty.splitlines()[:20]:
                log(f"    {line}")
        return git("rev-parse", "HEAD")
    index = tmp / "index"
    gitdir = Path(git("rev-parse", "--absolute-git-dir"))
    if (gitdir / "index").exists():
        shutil.copyfile(gitdir / "index", index)
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    git("add", "-A", env=env)
    tree = git("write-tree", env=env)
    commit = git("commit-tree", tree, "-p", "HEAD", "-m", "colab stand-in: working-tree snapshot", env=env)
    log(f"serving a snapshot of the working tree (tree {tree[:10]}), uncommitted changes included")
    return commit


def serve_repository(commit: str, branch: str, tmp: Path) -> str:
    """A bare repository holding ``commit`` as ``branch``; returns its file:// URL."""
    bare = tmp / "superscale.git"
    run(["git", "init", "-q", "--bare", str(bare)])
    git("push", "-q", "--force", str(bare), f"{commit}:refs/heads/{branch}")
    return bare.absolute().as_uri()


def toc_chapters(commit: str) -> list[str]:
    """Paths (with extension) of the entries in _toc.yml at ``commit``, in order."""
    import yaml

    toc = yaml.safe_load(git("show", f"{commit}:_toc.yml"))
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    tracked = set(git("ls-tree", "-r", "--name-only", commit).splitlines())
    out = []
    for f in files:
        for ext in (".ipynb", ".md", ""):
            if f + ext in tracked:
                out.append(f + ext)
                break
        else:
            raise SystemExit(f"_toc.yml lists {f!r}, which is not in commit {commit[:10]}")
    return out


# ------------------------------------------------------------------------------------------------
# Running one chapter
# ------------------------------------------------------------------------------------------------

PROBE = r"""
import json as _json, sys as _sys
import plotly.io as _pio
import superscale as _ss
print("COLAB-PROBE " + _json.dumps({
    "google_colab": "google.colab" in _sys.modules,
    "superscale_file": _ss.__file__,
    "renderer": _pio.renderers.default,
}))
"""

FIND_WIDGETS = r"""
import json as _json
import ipywidgets as _ipw
_colab_check_interactives = [w for w in list(_ipw.Widget.widgets.values()) if isinstance(w, _ipw.interactive)]

def _colab_check_slider_moves(_w):
    '''(index, new value) for each slider of an interactive: one step away from the current value.'''
    out = []
    for _j, _c in enumerate(_w.kwargs_widgets):
        if isinstance(_c, _ipw.widgets.widget_selection._Selection):
            _n = len(_c.options)
            if _n > 1:
                _k = _c.index + 1 if _c.index + 1 < _n else _c.index - 1
                out.append((_j, ("index", _k)))
        elif hasattr(_c, "min") and hasattr(_c, "max") and hasattr(_c, "step") and not isinstance(_c.value, tuple):
            _v = _c.value + _c.step if _c.value + _c.step <= _c.max else _c.value - _c.step
            out.append((_j, ("value", _v)))
    return out

print("COLAB-WIDGETS " + _json.dumps([
    {"index": _i, "function": getattr(_w.f, "__name__", "?"),
     "sliders": [[_j, _a, _v] for _j, (_a, _v) in _colab_check_slider_moves(_w)]}
    for _i, _w in enumerate(_colab_check_interactives)
]))
"""

MOVE = r"""
_w = _colab_check_interactives[{i}]
setattr(_w.kwargs_widgets[{j}], {attr!r}, {value!r})
"""

INSPECT = r"""
import json as _json
_w = _colab_check_interactives[{i}]
_outs = list(_w.out.outputs)
print("COLAB-OUTPUT " + _json.dumps({{
    "n": len(_outs),
    "errors": [o.get("ename", "") + ": " + o.get("evalue", "") for o in _outs if o.get("output_type") == "error"],
    "figures": sum("Plotly.newPlot" in str(o.get("data", {{}}).get("text/html", "")) for o in _outs),
    "value": repr(_w.kwargs_widgets[{j}].value) if len(_w.kwargs_widgets) > {j} else None,
    "digest": hash(_json.dumps(_outs, sort_keys=True, default=str)),
}}))
"""


def tagged_json(outputs, tag: str):
    for o in outputs:
        if o.get("output_type") == "stream":
            for line in o.get("text", "").splitlines():
                if line.startswith(tag + " "):
                    return json.loads(line[len(tag) + 1 :])
    raise AssertionError(f"no {tag} line in the output: {outputs!r}")


def count_figures(outputs) -> int:
    n = 0
    for o in outputs:
        data = o.get("data", {})
        if "application/vnd.plotly.v1+json" in data or "Plotly.newPlot" in str(data.get("text/html", "")):
            n += 1
    return n


def is_workbook(path: str) -> bool:
    """A workbook notebook (source or exercise version): exercises, which need not draw a figure."""
    return path.startswith("book/workbook/")


def is_exercise_version(path: str) -> bool:
    return path.startswith("book/workbook/colab/")


def workbook_versions(commit: str) -> list[str]:
    """The workbook's exercise versions at ``commit`` (book/workbook/colab/*.ipynb), in order."""
    tracked = git("ls-tree", "-r", "--name-only", commit, "book/workbook/colab").splitlines()
    return sorted(p for p in tracked if p.endswith(".ipynb"))


def stub_problems(nb) -> list[str]:
    """An exercise version must report every exercise "not done yet" and pass none: its stubs raise
    NotImplementedError, which the checks (superscale.workbook.exercise) report instead of crashing."""
    text = "\n".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
    solutions = sum(1 for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", []))
    problems = []
    if text.count("not done yet") < solutions:
        problems.append(
            f"{text.count('not done yet')} check(s) said 'not done yet' for {solutions} stubbed solution cell(s)"
        )
    passed = [line for line in text.splitlines() if line.startswith("✓ ")]
    if passed:
        problems.append(f"a check passed on a stub (it does not call the reader's function): {passed[0]}")
    return problems


def run_chapter(path: str, commit: str, venv: Path, repo_url: str, tmp: Path, k: int, fresh: bool) -> dict:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.reads(git("show", f"{commit}:{path}"), as_version=4)
    content = tmp / f"content-{k}"  # an empty working folder, like Colab's /content
    content.mkdir()
    # A fresh folder makes the set-up cell clone and pip-install; a shared one (after the first chapter)
    # takes the cell's "already installed" branch, as when a reader re-runs a chapter in the same runtime.
    home = tmp / (f"home-{k}" if fresh else "home") / "superscale"
    env = {
        key: v
        for key, v in os.environ.items()
        if key not in ("SUPERSCALE_BOOK_BUILD", "SUPERSCALE_DATA", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env["PATH"] = f"{venv_python(venv).parent.absolute()}{os.pathsep}{env.get('PATH', '')}"
    env["SUPERSCALE_REPO"] = repo_url
    env["SUPERSCALE_HOME"] = str(home)
    ksm = KernelSpecManager(kernel_dirs=[str((venv / "share" / "jupyter" / "kernels").absolute())])
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
    client = NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(content)}},
    )
    result = {"chapter": path, "problems": []}
    t0 = time.perf_counter()
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    with client.setup_kernel(env=env, cleanup_kc=True):  # shut the kernel down afterwards
        t_start = time.perf_counter()
        for idx, cell in enumerate(nb.cells):
            t_cell = time.perf_counter()
            client.execute_cell(cell, idx)
            if code_cells and idx == code_cells[0]:
                result["setup_s"] = time.perf_counter() - t_cell
        result["cells_s"] = time.perf_counter() - t_start
        figures = sum(count_figures(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")

        def extra(src: str):
            cell = nbformat.v4.new_code_cell(src)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            return cell.outputs

        probe = tagged_json(extra(PROBE), "COLAB-PROBE")
        if not probe["google_colab"]:
            result["problems"].append("google.colab was not imported in the kernel")
        if not Path(probe["superscale_file"]).resolve().is_relative_to(home.resolve()):
            result["problems"].append(
                f"superscale was imported from {probe['superscale_file']}, not the clone"
            )
        if probe["renderer"] != "colab":
            result["problems"].append(f"plotly renderer is {probe['renderer']!r}, not 'colab'")
        widgets = tagged_json(extra(FIND_WIDGETS), "COLAB-WIDGETS")
        # Figures drawn inside the live widgets' Output areas at start count as figures too.
        for w in widgets:
            start = tagged_json(extra(INSPECT.format(i=w["index"], j=0)), "COLAB-OUTPUT")
            figures += start["figures"]
            if start["errors"]:
                result["problems"].append(f"interactive {w['function']} failed at start: {start['errors']}")
        moved = []
        for w in widgets:
            if not w["sliders"]:
                result["problems"].append(f"interactive {w['function']} has no slider to move")
            last = tagged_json(extra(INSPECT.format(i=w["index"], j=0)), "COLAB-OUTPUT")["digest"]
            for j, attr, value in w["sliders"]:
                extra(MOVE.format(i=w["index"], j=j, attr=attr, value=value))
                out = tagged_json(extra(INSPECT.format(i=w["index"], j=j)), "COLAB-OUTPUT")
                moved.append(
                    f"{w['function']}[{j}]={out['value']}: {out['n']} output(s), {out['figures']} fig"
                )
                if out["n"] == 0 or out["digest"] == last:
                    result["problems"].append(f"moving {w['function']} slider {j} produced no new output")
                last = out["digest"]
                if out["errors"]:
                    result["problems"].append(f"moving {w['function']} slider {j} raised {out['errors']}")
        result["figures"] = figures
        result["widgets"] = len(widgets)
        result["moves"] = moved
        if figures == 0 and not is_workbook(path):
            result["problems"].append("the chapter produced no plotly figure")
        if is_exercise_version(path):
            result["problems"] += stub_problems(nb)
    result["total_s"] = time.perf_counter() - t0
    return result


# ------------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv-colab", help="the stand-in environment")
    ap.add_argument("--prepare", type=Path, metavar="VENV", help="install the stub and kernelspec into VENV")
    ap.add_argument("--include-uncommitted", action="store_true", help="serve the working tree, not HEAD")
    ap.add_argument("--only", nargs="*", help="run only chapters whose path contains one of these strings")
    ap.add_argument(
        "--also", nargs="*", default=[], help="notebooks to run that _toc.yml does not list (yet)"
    )
    ap.add_argument(
        "--fresh-each",
        action="store_true",
        help="clone and install afresh for every chapter (as Colab, where each notebook has its own runtime); "
        "by default only the first chapter does, the others reuse that clone (saves about 15 s per chapter)",
    )
    ap.add_argument(
        "--workbook",
        action="store_true",
        help="also run the workbook's exercise versions (book/workbook/colab/*.ipynb, not in _toc.yml): "
        "their stubs must make every check say 'not done yet' without stopping the notebook",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (clones, working folders)")
    args = ap.parse_args()
    if args.prepare:
        prepare(args.prepare)
        return 0
    venv = args.venv
    if not (venv / BASELINE).exists():
        raise SystemExit(f"{venv} is not a prepared stand-in environment: run `make colab`")
    if sysconfig.get_paths()["purelib"].startswith(str(venv.absolute())):
        raise SystemExit("run this script with the book's environment (.venv), not the stand-in's")

    t_all = time.perf_counter()
    reset_to_baseline(venv)
    before = freeze(venv)
    log("before: " + ", ".join(watched_versions(before).values()))
    url, branch = repo_settings()
    tmp = Path(tempfile.mkdtemp(prefix="superscale-colab-"))
    failures = []
    results = []
    try:
        commit = snapshot_commit(args.include_uncommitted, tmp)
        repo_url = serve_repository(commit, branch, tmp)
        log(f"serving {commit[:10]} as branch {branch!r} at {repo_url} (stands in for {url})")
        chapters = [p for p in toc_chapters(commit) if p.endswith(".ipynb")]
        if args.only:
            chapters = [p for p in chapters if any(s in p for s in args.only)]
        if args.workbook:
            versions = workbook_versions(commit)
            if not versions:
                raise SystemExit(f"--workbook: no book/workbook/colab/*.ipynb in commit {commit[:10]}")
            chapters += [p for p in versions if not args.only or any(s in p for s in args.only)]
        chapters += [p for p in args.also if p not in chapters]
        if not chapters:
            raise SystemExit("no chapter notebooks to run")
        for k, path in enumerate(chapters):
            log(f"{path}: running ...")
            try:
                r = run_chapter(path, commit, venv, repo_url, tmp, k, args.fresh_each)
            except Exception as err:  # a cell raised or timed out
                if getattr(err, "ename", None):  # nbclient's CellExecutionError
                    src = (
                        str(err).split("------------------")[1].strip().splitlines()
                        if "---" in str(err)
                        else []
                    )
                    evalue = str(err.evalue).strip().splitlines()
                    detail = [f"{err.ename}: " + (evalue[0] if evalue else "")] + evalue[1:12]
                    detail += ["in the cell starting:"] + [f"  {line}" for line in src[:6]]
                else:
                    detail = str(err).strip().splitlines()[-15:]
                failures.append(f"{path}: " + "\n    ".join(detail))
                log(f"{path}: FAILED ({type(err).__name__})")
                continue
            results.append(r)
            log(
                f"{path}: {r['total_s']:.1f} s (set-up cell {r.get('setup_s', 0):.1f} s), "
                f"{r['figures']} figure(s), {r['widgets']} live widget(s)"
            )
            for m in r["moves"]:
                log(f"    slider moved: {m}")
            failures += [f"{path}: {p}" for p in r["problems"]]
        after = freeze(venv)
        log("after:  " + ", ".join(watched_versions(after).values()))
        for name in WATCHED:
            if before.get(name) != after.get(name):
                failures.append(f"a set-up cell changed {name}: {before.get(name)} -> {after.get(name)}")
        added = sorted(set(after) - set(before))
        if added:
            log("installed by the set-up cells: " + ", ".join(after[n] for n in added))
        other = sorted(n for n in before if n in after and before[n] != after[n] and n not in WATCHED)
        if other:
            log("changed by the set-up cells: " + ", ".join(f"{before[n]} -> {after[n]}" for n in other))
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        reset_to_baseline(venv)
    log(
        "chapter timings: "
        + ", ".join(
            f"{r['chapter'].removeprefix('book/').removesuffix('.ipynb')} {r['total_s']:.0f} s"
            for r in results
        )
    )
    log(f"total {time.perf_counter() - t_all:.0f} s")
    if failures:
        print("\nColab stand-in check FAILED:", file=sys.stderr)
        for f in failures:
            print("  - " + f, file=sys.stderr)
        return 1
    log(
        f"all {len(results)} chapter(s) ran as in Colab; numpy, torch, plotly, pandas, ipywidgets, numba unchanged"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
