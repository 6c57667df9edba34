"""Write a file atomically: a temporary file in the same folder, then a rename (the sweeps, chapters 2-6).

A reader never sees a half-written file, and a run killed while writing leaves the old file (or none)
and no temporary file behind. Every file the package writes (sweep units and merged sweeps, weight
files, downloaded data, measurement tables) goes through :func:`atomic_write`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write"]


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[Any], object],
    mode: str | None = "wb",
    encoding: str | None = None,
    newline: str | None = None,
) -> Path:
    """Write ``path`` through ``write`` into a temporary file beside it, then rename it into place.

    ``write`` receives the temporary file opened with ``mode`` (``"wb"`` by default, ``"w"`` for text,
    with ``encoding`` and ``newline``), or, with ``mode=None``, the temporary file's path, for writers that
    open the file themselves (``xarray.Dataset.to_netcdf``). The data are flushed to disk before the
    rename; the file gets the permissions 0o644. If ``write`` raises, the temporary file is removed and
    the exception propagates, leaving ``path`` as it was. Missing parent folders are created. Returns
    ``path`` (the sweeps, chapters 2-6).
    """
    path = Path(path)
    if not path.name:
        raise ValueError(f"path must name a file, got {str(path)!r}")
    if mode is not None and not mode.startswith("w"):
        raise ValueError(f"mode must be a write mode such as 'wb' or 'w', or None, got {mode!r}")
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=path.name + ".", suffix=".partial")
    try:
        if mode is None:
            os.close(fd)
            write(Path(tmp))
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        else:
            with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
