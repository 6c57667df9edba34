"""The workbook's check machinery: one exercise notebook per chapter, each exercise checked by the package.

(Local copy of the API shared by the workbook modules; the infrastructure version replaces it at merge.)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path


class ExerciseError(AssertionError):
    """A reader's answer is wrong; the message says what is wrong in the reader's terms."""


def expect(ok: bool, message: str) -> None:
    """Raise :class:`ExerciseError` with ``message`` when ``ok`` is false."""
    if not ok:
        raise ExerciseError(message)


def exercise(name: str) -> Callable:
    """Decorator for a check: prints ``✓ name: <what the check returns>`` on success, ``… name: not done yet``
    when the reader's function raises NotImplementedError; an :class:`ExerciseError` propagates."""

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


def _imports_only(source: str) -> bool:
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(ln.startswith(("import ", "from ")) for ln in lines)


def solution_namespace(path: str | Path) -> dict:
    """Execute the import cells (code cells holding only imports, not the set-up cell) and every cell tagged
    ``solution`` of a source notebook, in order, and return the resulting namespace."""
    nb = json.loads(Path(path).read_text())
    ns: dict = {}
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and (
            "solution" in tags or ("setup" not in tags and _imports_only(source))
        ):
            exec(source, ns)
    return ns
