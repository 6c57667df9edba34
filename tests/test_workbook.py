"""The workbook's machinery: stubs, the exercise decorator, stale Colab versions, Colab links."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from superscale import workbook
from superscale.workbook import ExerciseError, exercise, expect, stub_source

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "book" / "workbook"
sys.path.insert(0, str(ROOT / "tools"))


def test_stub_source_replaces_each_block_at_its_indentation():
    src = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    # --- solution: add one to x ---\n"
        "    y = x + 1\n"
        "    return y\n"
        "    # --- end solution ---\n"
        "\n"
        "\n"
        "class A:\n"
        "    def g(self):\n"
        '        # --- solution: say "hi" ---\n'
        "        return 'hi'\n"
        "        # --- end solution ---\n"
    )
    out = stub_source(src)
    assert out == (
        "def f(x):\n"
        '    """Doc."""\n'
        '    raise NotImplementedError("add one to x")\n'
        "\n"
        "\n"
        "class A:\n"
        "    def g(self):\n"
        '        raise NotImplementedError("say \\"hi\\"")\n'
    )
    ns: dict = {}
    exec(out, ns)
    with pytest.raises(NotImplementedError, match="add one to x"):
        ns["f"](1)
    with pytest.raises(NotImplementedError, match='say "hi"'):
        ns["A"]().g()
    assert stub_source("x = 1") == "x = 1"  # nothing marked: unchanged


@pytest.mark.parametrize(
    "src, message",
    [
        ("def f():\n    # --- solution: a ---\n    return 1\n", "no '# --- end solution ---'"),
        ("def f():\n    return 1\n    # --- end solution ---\n", "without a '# --- solution"),
        (
            "def f():\n    # --- solution: a ---\n    # --- solution: b ---\n    # --- end solution ---\n",
            "starts inside the block opened on line 2",
        ),
    ],
)
def test_stub_source_rejects_unbalanced_markers(src, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        stub_source(src)


def test_exercise_reports_done_not_done_and_wrong(capsys):
    @exercise("double")
    def check_double(fn):
        expect(fn(2) == 4, f"your double(2) is {fn(2)}; it should be 4")
        return "right on 1 case"

    def stub(x):
        raise NotImplementedError("multiply x by two")

    assert check_double(lambda x: 2 * x) is True
    assert capsys.readouterr().out == "✓ double: right on 1 case\n"
    assert check_double(stub) is False  # the stub prints "not done yet" instead of raising
    out = capsys.readouterr().out
    assert (
        out.startswith("… double: not done yet (fill in the function above)\n") and "multiply x by two" in out
    )
    with pytest.raises(ExerciseError, match=r"your double\(2\) is 3; it should be 4"):
        check_double(lambda x: x + 1)
    assert issubclass(ExerciseError, AssertionError)
    assert check_double.__name__ == "check_double"


def test_solution_namespace_runs_the_solution_cells(tmp_path):
    cell = {"cell_type": "code", "metadata": {"tags": ["solution"]}, "outputs": [], "execution_count": None}
    nb = {
        "cells": [
            {
                **cell,
                "metadata": {"tags": ["remove-cell", "setup"]},
                "source": "import os\nraise RuntimeError('set-up')",
            },
            {**cell, "metadata": {}, "source": "raise RuntimeError('not a solution cell')"},
            {**cell, "metadata": {}, "source": "# imports\nimport math\n\nfrom fractions import Fraction"},
            {**cell, "source": ["def f(x):\n", "    return np.sqrt(x) + math.floor(Fraction(1, 2))\n"]},
            {**cell, "source": "y = f(4.0)"},
        ]
    }
    path = tmp_path / "wb.ipynb"
    path.write_text(json.dumps(nb))
    ns = workbook.solution_namespace(path)
    assert ns["y"] == 2.0
    nb["cells"] = nb["cells"][:3]
    path.write_text(json.dumps(nb))
    with pytest.raises(ValueError, match="no code cell tagged 'solution'"):
        workbook.solution_namespace(path)


def test_colab_link_opens_the_exercise_version_from_the_configured_repository():
    from sync_setup_cells import repo_settings

    url, branch = repo_settings()
    link = workbook.colab_link(2)
    repo = url.removeprefix("https://github.com/")
    assert (
        link
        == f"https://colab.research.google.com/github/{repo}/blob/{branch}/book/workbook/colab/wb2_toy_model.ipynb"
    )
    with pytest.raises(ValueError, match="chapters 1 to 6"):
        workbook.colab_link(7)


def test_colab_versions_are_current():
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_workbook.py"), "--check"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_make_workbook_stubs_and_unfolds_the_solutions():
    import make_workbook

    for src in make_workbook.sources():
        nb = make_workbook.colab_version(src)
        sols = workbook.solution_cells(nb)
        assert sols, src.name
        for cell in sols:
            text = "".join(cell["source"])
            assert "# --- solution" not in text and "NotImplementedError" in text, src.name
            assert "hide-input" not in cell["metadata"]["tags"], src.name
        assert all(c.get("outputs", []) == [] for c in nb["cells"] if c["cell_type"] == "code")


def workbook_notebooks() -> list[Path]:
    return sorted(WORKBOOK.glob("*.ipynb")) + sorted((WORKBOOK / "colab").glob("*.ipynb"))


@pytest.mark.parametrize("path", workbook_notebooks(), ids=lambda p: str(p.relative_to(WORKBOOK)))
def test_workbook_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, f"{path.name} cell {k}"


def test_workbook_sources_follow_the_conventions():
    """Named wbN_<topic> as in superscale.workbook.WORKBOOKS; a title 'Workbook N: ...'; every exercise has its
    difficulty and time; every Colab link in the book is the one colab_link makes."""
    for path in sorted(WORKBOOK.glob("wb*.ipynb")):
        n = int(path.name[2])
        assert path.stem == workbook.WORKBOOKS[n], path.name
        nb = json.loads(path.read_text())
        md = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
        assert md[0].startswith(f"# Workbook {n}: "), f"{path.name} must start with '# Workbook {n}: <topic>'"
        exercises = [t for t in md if t.startswith(f"## Exercise {n}.")]
        assert 3 <= len(exercises) <= 6, f"{path.name} has {len(exercises)} exercises"
        for t in exercises:
            assert "**Difficulty:**" in t and "**Time:**" in t, f"{path.name}: {t.splitlines()[0]}"
    pages = sorted((ROOT / "book").glob("*.ipynb")) + sorted(WORKBOOK.glob("wb*.ipynb"))
    for path in pages:
        text = path.read_text()
        for name in re.findall(r"colab\.research\.google\.com/github/[^)\s\"]*/(wb\d_\w+)\.ipynb", text):
            assert workbook.colab_link(int(name[2])) in text, (
                f"{path.name}: its Colab link to {name} is stale"
            )


def test_colab_stand_in_requires_stubs_to_say_not_done_yet():
    import colab_check
    import nbformat

    def notebook(*lines):
        nb = nbformat.v4.new_notebook()
        sol = nbformat.v4.new_code_cell("def f(): ...", metadata={"tags": ["solution"]})
        check = nbformat.v4.new_code_cell("wb.check_f(f)")
        check.outputs = [nbformat.v4.new_output("stream", name="stdout", text=line) for line in lines]
        nb.cells = [sol, check]
        return nb

    assert colab_check.stub_problems(notebook("… f: not done yet (fill in the function above)\n")) == []
    problems = colab_check.stub_problems(notebook("✓ f: right on 3 cases\n"))
    assert "0 check(s) said 'not done yet' for 1 stubbed solution cell(s)" in problems
    assert any("a check passed on a stub" in p for p in problems)
    assert colab_check.is_workbook("book/workbook/colab/wb1_frequencies.ipynb")
    assert colab_check.is_exercise_version("book/workbook/colab/wb1_frequencies.ipynb")
    assert not colab_check.is_exercise_version("book/workbook/wb1_frequencies.ipynb")
    assert "--workbook" in (ROOT / "Makefile").read_text().split("\ncolab:", 1)[1].split("\n\n", 1)[0]
    assert "make_workbook.py --check" in (ROOT / "Makefile").read_text()


@pytest.mark.parametrize("n", range(1, 7))
def test_every_chapter_links_to_its_workbook(n):
    """Each chapter ends with a link to its workbook and a Colab link that opens the exercise (stub) version."""
    (ch,) = (ROOT / "book").glob(f"0{n}_*.ipynb")
    text = ch.read_text()
    assert f"workbook/{workbook.WORKBOOKS[n]}.ipynb" in text and workbook.colab_link(n) in text, ch.name
