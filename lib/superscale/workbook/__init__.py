"""The Workbook's checks: run a reader's function on small cases and explain what is wrong (every chapter).

Each workbook notebook (``book/workbook/wbN_*.ipynb``) asks the reader to write small functions; a check
from ``superscale.workbook.chN`` runs the function and prints ``✓ name: ...`` when it is right, or
``… name: not done yet`` while it still raises ``NotImplementedError`` (the stub version). A wrong answer
raises :class:`ExerciseError`, whose message says what is wrong in the reader's terms.

(Local copy of the shared API, written by the chapter 4-5 workbook; the infra engineer's version wins.)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

__all__ = ["ExerciseError", "exercise", "expect", "solution_namespace"]


class ExerciseError(AssertionError):
    """A reader's answer is wrong; the message says what is wrong and how to fix it (every chapter)."""


def exercise(name: str) -> Callable:
    """Decorator for a check function (every chapter): the check returns the text shown after ``✓ name:``.

    If the reader's function raises ``NotImplementedError`` the decorated check prints
    ``… name: not done yet (fill in the function above)`` and returns False; on success it prints
    ``✓ name: <text>`` and returns True; an :class:`ExerciseError` propagates."""

    def wrap(check: Callable[..., str]) -> Callable[..., bool]:
        @functools.wraps(check)
        def run(*args, **kwargs) -> bool:
            try:
                text = check(*args, **kwargs)
            except NotImplementedError:
                print(f"… {name}: not done yet (fill in the function above)")
                return False
            print(f"✓ {name}: {text}")
            return True

        return run

    return wrap


def expect(ok: bool, message: str) -> None:
    """Raise :class:`ExerciseError` with ``message`` when ``ok`` is false (every chapter)."""
    if not ok:
        raise ExerciseError(message)


def solution_namespace(path: str | Path) -> dict:
    """Execute every cell tagged ``solution`` of a workbook notebook, in order, in one namespace, and
    return it (every chapter; the tests use it to get the reference solutions)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    ns: dict = {"__name__": "workbook_solutions"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "solution" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            exec(compile(src, f"{path}:solution", "exec"), ns)
    return ns
