"""Writing files safely (the sweeps, the data files, the LLM measurements).

Nothing half-written is ever left under a final name: :func:`atomic_write` writes to a temporary file in
the same folder, flushes it to disk and renames it over the target in one step.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["atomic_write"]


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(f)`` on a binary temporary file next to ``path``, then rename it to ``path``.

    On any error (or interruption) the temporary file is removed and ``path`` is left as it was.
    Creates the parent folder if needed. Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
