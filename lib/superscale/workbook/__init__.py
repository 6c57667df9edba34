"""The workbook's checks: exercises beside every chapter (the Workbook part of the book).

A check takes the reader's function, runs it on small cases and prints ``✓ name: ...`` when it is right,
``… name: not done yet`` while the function still raises ``NotImplementedError`` (the Colab stubs), and raises
:class:`ExerciseError` with a message in the reader's terms when it is wrong. One module per chapter
(``superscale.workbook.ch1`` … ``ch6``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

__all__ = ["ExerciseError", "exercise", "expect", "solution_namespace"]


class ExerciseError(AssertionError):
    """A reader's answer is wrong; the message says what is wrong and how to look for it (every workbook)."""


def exercise(name: str) -> Callable:
    """Decorator for a check function ``check(fn, ...) -> str`` (every workbook).

    The wrapped check returns the text after ``✓ name:``; if the reader's function raises
    ``NotImplementedError`` the check prints that the exercise is not done yet and returns False; an
    :class:`ExerciseError` propagates. Returns True when the check passed.
    """

    def deco(check: Callable[..., str]) -> Callable[..., bool]:
        @functools.wraps(check)
        def wrapper(*args, **kwargs) -> bool:
            try:
                text = check(*args, **kwargs)
            except NotImplementedError:
                print(f"… {name}: not done yet (fill in the function above)")
                return False
            print(f"✓ {name}: {text}")
            return True

        return wrapper

    return deco


def expect(ok: bool, message: str) -> None:
    """Raise :class:`ExerciseError` with ``message`` unless ``ok`` (every workbook)."""
    if not ok:
        raise ExerciseError(message)


def solution_namespace(path: str | Path) -> dict:
    """Execute every cell tagged ``solution`` of a workbook notebook, in order, in one namespace (the tests)."""
    nb = json.loads(Path(path).read_text())
    ns: dict = {"__name__": "workbook_solutions"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "solution" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            exec(compile(src, str(path), "exec"), ns)
    return ns
