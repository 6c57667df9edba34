"""The workbook's machinery: checks that explain mistakes, stubs for the Colab versions (the Workbook part).

Each chapter N has an exercise notebook ``book/workbook/wbN_<topic>.ipynb`` with its solutions, and a
generated Colab version ``book/workbook/colab/wbN_<topic>.ipynb`` whose solutions are replaced by stubs
(``tools/make_workbook.py``). The checks of chapter N live in ``superscale.workbook.chN``; every check is a
function decorated with :func:`exercise`, which turns the three outcomes into what the reader sees:

- the reader's function still raises ``NotImplementedError`` (the stub): prints
  ``… <name>: not done yet (fill in the function above)`` and returns False;
- it passes: prints ``✓ <name>: <what was checked>`` and returns True;
- it is wrong: the check raises :class:`ExerciseError` with a message in the reader's terms.

Inside a solution cell, the solution sits between the marker lines ``# --- solution: <hint> ---`` and
``# --- end solution ---``; :func:`stub_source` replaces each such block by
``raise NotImplementedError("<hint>")``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "WORKBOOKS",
    "ExerciseError",
    "colab_link",
    "exercise",
    "expect",
    "solution_cells",
    "solution_namespace",
    "stub_source",
]

#: The six exercise notebooks by chapter: ``book/workbook/<name>.ipynb`` (all chapters).
WORKBOOKS: dict[int, str] = {
    1: "wb1_frequencies",
    2: "wb2_toy_model",
    3: "wb3_weak",
    4: "wb4_strong",
    5: "wb5_geometry",
    6: "wb6_llms",
}

SOLUTION_TAG = "solution"
START = re.compile(r"^(?P<indent>[ \t]*)# --- solution: (?P<hint>.*?) ---[ \t]*$")
END = re.compile(r"^[ \t]*# --- end solution ---[ \t]*$")


class ExerciseError(AssertionError):
    """A reader's answer to an exercise is wrong; the message says what is wrong in the reader's terms
    (all chapters' workbooks)."""


def expect(ok: bool, message: str) -> None:
    """Raise :class:`ExerciseError` with ``message`` when ``ok`` is false (all chapters' workbook checks)."""
    if not ok:
        raise ExerciseError(message)


def exercise(name: str) -> Callable[[Callable[..., str]], Callable[..., bool]]:
    """Decorator for a workbook check ``check(fn, ...) -> str`` (all chapters' workbooks).

    The decorated check calls the wrapped one. If the reader's function raises ``NotImplementedError``
    (it is still the stub of the Colab version), it prints ``… <name>: not done yet (fill in the function
    above)`` with the stub's hint and returns False. Otherwise it prints ``✓ <name>: <text>``, where text
    is what the check returned (what was checked), and returns True. An :class:`ExerciseError` (a wrong
    answer) propagates with its message.
    """

    def decorate(check: Callable[..., str]) -> Callable[..., bool]:
        @functools.wraps(check)
        def run(*args: Any, **kwargs: Any) -> bool:
            try:
                done = check(*args, **kwargs)
            except NotImplementedError as err:
                print(f"… {name}: not done yet (fill in the function above)")
                hint = str(err).strip()
                if hint:
                    print(f"  hint: {hint}")
                return False
            print(f"✓ {name}: {done}")
            return True

        return run

    return decorate


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def solution_cells(nb: dict) -> list[dict]:
    """The code cells tagged ``solution`` of a notebook (as a JSON dict), in order (all workbooks)."""
    return [
        c
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code" and SOLUTION_TAG in c.get("metadata", {}).get("tags", [])
    ]


def _imports_only(src: str) -> bool:
    """True for a cell of import statements only (comments and blank lines aside)."""
    lines = [ln.strip() for ln in src.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(ln.startswith(("import ", "from ")) for ln in lines)


def solution_namespace(path: str | Path) -> dict[str, Any]:
    """Execute the solution cells of the source notebook ``path`` and return their namespace (the workbook
    tests of every chapter).

    The namespace already holds ``import numpy as np``. In notebook order, it runs every code cell tagged
    ``solution`` and every cell of imports only (such as ``import torch``) except the set-up cell, so that a
    solution may use what the notebook imports above it. Raises ``ValueError`` if the notebook has no
    solution cell.
    """
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    if not solution_cells(nb):
        raise ValueError(f"{path.name} has no code cell tagged {SOLUTION_TAG!r}")
    import numpy as np

    ns: dict[str, Any] = {"np": np, "__name__": f"workbook_{path.stem}"}
    for k, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        src = _cell_source(cell)
        if SOLUTION_TAG in tags or ("setup" not in tags and _imports_only(src)):
            exec(compile(src, f"{path.name}:cell {k}", "exec"), ns)  # the book's own notebook, for its tests
    return ns


def stub_source(src: str) -> str:
    """Replace each marked solution block of ``src`` by a stub (the Colab versions; all workbooks).

    A block runs from a line ``# --- solution: <hint> ---`` to a line ``# --- end solution ---`` (both
    included) and becomes ``raise NotImplementedError("<hint>")`` at the indentation of its first marker.
    Raises ``ValueError`` naming the line if the markers are unbalanced (an end without a start, a start
    inside a block, or a block that is never closed).
    """
    out: list[str] = []
    open_at: int | None = None
    for k, line in enumerate(src.splitlines(), start=1):
        start, end = START.match(line), END.match(line)
        if start:
            if open_at is not None:
                raise ValueError(
                    f"line {k}: a solution block starts inside the block opened on line {open_at}; "
                    "close it first with '# --- end solution ---'"
                )
            open_at = k
            hint = json.dumps(start["hint"].strip(), ensure_ascii=False)
            out.append(f"{start['indent']}raise NotImplementedError({hint})")
        elif end:
            if open_at is None:
                raise ValueError(
                    f"line {k}: '# --- end solution ---' without a '# --- solution: ... ---' above"
                )
            open_at = None
        elif open_at is None:
            out.append(line)
    if open_at is not None:
        raise ValueError(f"line {open_at}: the solution block opened here has no '# --- end solution ---'")
    text = "\n".join(out)
    return text + "\n" if src.endswith("\n") else text


def colab_link(n: int) -> str:
    """The Colab URL that opens the exercise version (stubs) of workbook ``n`` (1-6; every chapter's link
    to its exercises). Built from the repository URL and branch of ``_config.yml``."""
    from .. import _repository

    if n not in WORKBOOKS:
        raise ValueError(f"there is a workbook for chapters 1 to 6, not {n!r}")
    prefix = "https://github.com/"
    if not _repository.URL.startswith(prefix):
        raise ValueError(f"Colab opens notebooks from GitHub; the repository is {_repository.URL}")
    repo = _repository.URL[len(prefix) :].strip("/")
    return (
        f"https://colab.research.google.com/github/{repo}/blob/{_repository.BRANCH}"
        f"/book/workbook/colab/{WORKBOOKS[n]}.ipynb"
    )
