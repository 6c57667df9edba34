"""The book's wiring: table of contents, stripped notebooks, set-up cells, citations, API page, Colab pins."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
sys.path.insert(0, str(ROOT / "tools"))

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
BIB_KEY = re.compile(r"^@\w+\{\s*([^,\s]+)\s*,", re.MULTILINE)


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def source_of(entry: str) -> Path:
    for ext in (".ipynb", ".md"):
        if (ROOT / (entry + ext)).is_file():
            return ROOT / (entry + ext)
    raise AssertionError(f"_toc.yml lists {entry!r}, but neither {entry}.ipynb nor {entry}.md exists")


def notebooks() -> list[Path]:
    return sorted(BOOK.glob("*.ipynb"))


def markdown_text(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return path.read_text()


def test_every_toc_entry_exists_and_appears_once():
    files = toc_files()
    for entry in files:
        source_of(entry)
    assert len(files) == len(set(files)), f"_toc.yml lists a file twice: {files}"


def test_reference_part_follows_the_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    captions = [p.get("caption") for p in toc["parts"]]
    assert captions[-1] == "Reference", captions
    ref = [c["file"] for c in toc["parts"][-1]["chapters"]]
    for page in ("book/appendix_sweeps", "book/glossary", "book/api", "book/references"):
        assert page in ref, f"{page} is missing from the Reference part of _toc.yml"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name} cell {k} has outputs: strip them before committing"
        assert cell.get("execution_count") is None, f"{path.name} cell {k} has an execution count"
    widgets = nb.get("metadata", {}).get("widgets")
    assert not widgets, f"{path.name} carries saved widget state in its metadata"


def test_setup_cells_are_current():
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sync_setup_cells.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_cite_key_is_in_the_bibliography():
    keys = set(BIB_KEY.findall((BOOK / "references.bib").read_text()))
    assert "liu2025superposition" in keys
    pages = notebooks() + sorted(BOOK.glob("*.md"))
    missing = []
    for page in pages:
        for group in CITE.findall(markdown_text(page)):
            for key in group.split(","):
                if key.strip() not in keys:
                    missing.append(f"{page.name}: {key.strip()}")
    assert not missing, "cited but not in book/references.bib: " + ", ".join(missing)


def test_bibliography_keys_are_unique():
    keys = BIB_KEY.findall((BOOK / "references.bib").read_text())
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert not dupes, f"duplicate BibTeX keys: {dupes}"


def test_one_bibliography_directive_on_the_references_page():
    found = [p.name for p in notebooks() + sorted(BOOK.glob("*.md")) if "{bibliography}" in markdown_text(p)]
    assert found == ["references.md"], (
        f"the {{bibliography}} directive must appear once, in references.md: {found}"
    )


def public_modules() -> list[str]:
    """Every module of the package that git tracks (or, outside git, every file)."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "lib/superscale"], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        listed = []
    files = [ROOT / f for f in listed] or sorted((ROOT / "lib" / "superscale").rglob("*.py"))
    mods = []
    for f in files:
        if f.suffix != ".py" or f.name == "__main__.py" or f.name.startswith("_") and f.name != "__init__.py":
            continue
        rel = f.relative_to(ROOT / "lib").with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append(".".join(parts))
    return sorted(mods)


def test_api_page_documents_every_module():
    text = (BOOK / "api.md").read_text()
    documented = set(re.findall(r"\.\. automodule:: (\S+)", text))
    missing = [m for m in public_modules() if m not in documented and m != "superscale"]
    assert not missing, f"add these modules to book/api.md (automodule with :members:): {missing}"
    for mod in documented - {"superscale.llm"}:
        block = text.split(f".. automodule:: {mod}\n", 1)[1].split("```", 1)[0]
        assert ":members:" in block, f"{mod} in book/api.md needs :members:"


def test_glossary_defines_the_books_symbols():
    text = (BOOK / "glossary.md").read_text()
    body = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    terms = [line.strip() for line in body.splitlines() if line and not line.startswith(" ")]
    for symbol in ["n", "m", "p_i", "α", "E", "γ", "φ_1/2", "φ_1", "α_m", "κ"]:
        assert symbol in terms, f"the glossary has no entry for {symbol}"


def test_publish_workflow_uses_the_readme_command_and_no_other_url():
    wf = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    jobs = yaml.safe_load(wf)["jobs"]
    runs = " ".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "make book" in runs and "make book" in (ROOT / "README.md").read_text()
    uses = [s.get("uses", "") for job in jobs.values() for s in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    assert "path: _build/html" in wf
    assert "github.com/" not in wf and "superscale-book" not in wf, (
        "the repository URL belongs in _config.yml"
    )


def colab_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "tools" / "colab" / "colab-versions.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_colab_pins_match_what_colab_ships():
    pins = colab_pins()
    assert pins["numpy"].startswith("2.0.")
    assert pins["plotly"].startswith("5.")
    assert pins["ipywidgets"].startswith("7.7.")
    assert pins["pandas"].startswith("2.2.")
    assert pins["torch"] == "2.13.0"


def test_package_requirements_accept_colabs_versions():
    """The set-up cell's pip install must find Colab's versions good enough (no upgrade, no downgrade)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in ("llm", "zipf"):
        reqs += project.get("optional-dependencies", {}).get(extra, [])
    pins = colab_pins()
    bad = []
    for spec in reqs:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        if name == "torch":
            bad.append("torch must not be a dependency (Colab's CUDA build would be replaced)")
        elif name in pins and not req.specifier.contains(pins[name], prereleases=True):
            bad.append(f"{spec} rejects Colab's {name}=={pins[name]}")
    assert not bad, bad


def test_sphinx_api_extension_keeps_prose_docstrings_valid():
    import sphinx_api

    lines = ["φ = |{i : ‖W_i‖ > 1/2}| / n, see ``a | b`` and :math:`|x|`"]
    sphinx_api._before_napoleon(None, "function", "f", None, None, lines)
    assert lines == [r"φ = \|{i : ‖W_i‖ > 1/2}\| / n, see ``a | b`` and :math:`|x|`"]
    # napoleon splits a constant's comment "a: b: c" into a description and types; the split is undone
    lines = ["c", "", ":type: a", "", ":type: b"]
    sphinx_api._after_napoleon(None, "data", "X", None, None, lines)
    assert lines == ["a: b: c"]
    lines = ["unchanged", "", ":type: int"]
    sphinx_api._after_napoleon(None, "function", "f", None, None, lines)
    assert lines == ["unchanged", "", ":type: int"]


def test_appendix_names_every_grid():
    sweep = pytest.importorskip("superscale.sweep")
    text = (BOOK / "appendix_sweeps.md").read_text()
    named = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, re.MULTILINE))
    assert named == set(sweep.GRIDS), (
        f"appendix_sweeps.md's grid table is out of date: {named ^ set(sweep.GRIDS)}"
    )


def test_glossary_defines_the_books_terms():
    text = (BOOK / "glossary.md").read_text()
    terms = [
        line.strip()
        for block in text.split("```{glossary}")[1:]
        for line in block.split("```", 1)[0].splitlines()
        if line and not line.startswith(" ")
    ]
    for term in [
        "paper protocol",
        "short protocol",
        "Gerzon limit",
        "ambiguity",
        "dead unit",
        "dead feature",
    ]:
        assert term in terms, f"the glossary has no entry for {term!r}"


def test_math_and_figure_scripts_are_served_by_the_book():
    """No CDN: MathJax (pinned, from PyPI) and narrow-figures.js come from the book's own static files."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    path = config["mathjax_path"]
    assert not path.startswith(("http:", "https:", "//")), f"mathjax_path must be local, got {path}"
    assert path.startswith("mathjax/") and "_vendor/static" in config["html_static_path"]
    assert (
        "narrow-figures.js" in config["html_js_files"]
        and (ROOT / "lib" / "superscale" / "static" / "narrow-figures.js").is_file()
    )
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    pins = [Requirement(line) for line in lines if "mathjax" in line and not line.startswith("#")]
    assert [str(r.specifier) for r in pins] == ["==0.0.2"], "pin the MathJax package (sphinx-mathjax-offline)"
    assert "sphinx-mathjax-offline" in (ROOT / "Makefile").read_text(), "make vendor must copy MathJax"
