"""Find the book's data files (``book/data/``) wherever the package runs (chapters 2-6).

Search order: the folder named by ``SUPERSCALE_DATA``; ``book/data`` of the repository this
package was installed from (editable installs); ``book/data`` or ``data``
under the current directory and its parents; the Colab clone
(``SUPERSCALE_HOME``, default ``/content/superscale``).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "SUPERSCALE_DATA"


def data_dirs() -> list[Path]:
    """The folders searched for data files, in order (chapters 2-6)."""
    dirs: list[Path] = []
    if os.environ.get(DATA_ENV):
        dirs.append(Path(os.environ[DATA_ENV]))
    here = Path(__file__).resolve()
    # lib/superscale/bookdata.py -> repository root is two levels above lib/
    dirs.append(here.parents[2] / "book" / "data")
    cwd = Path.cwd().resolve()
    for base in [cwd, *cwd.parents]:
        dirs += [base / "book" / "data", base / "data"]
    dirs.append(Path(os.environ.get("SUPERSCALE_HOME", "/content/superscale")) / "book" / "data")
    seen: set[Path] = set()
    out = []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def data_path(name: str) -> Path:
    """Path of the book data file ``name`` (e.g. ``"paper-small.nc"``); clear error when missing."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"name must be a plain file name such as 'paper-small.nc', got {name!r}")
    for d in data_dirs():
        p = d / name
        if p.is_file():
            return p
    searched = "\n  ".join(str(d) for d in data_dirs()[:6])
    raise FileNotFoundError(
        f"book data file {name!r} not found. Searched:\n  {searched}\n"
        f"Set {DATA_ENV}=/path/to/book/data, or regenerate it with the command in book/data/README.md."
    )
