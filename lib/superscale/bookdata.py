"""Find the book's data files (``book/data/``) wherever the package runs (chapters 2-6).

Search order: the folder named by ``SUPERSCALE_DATA``; ``book/data`` of the repository this
package was installed from (editable installs); ``book/data`` or ``data``
under the current directory and its parents; the Colab clone
(``SUPERSCALE_HOME``, default ``/content/superscale``); the download cache
(``SUPERSCALE_CACHE``, default ``~/.cache/superscale/data``).

A copy of the package installed without the repository (``pip install git+…``) finds none of
these; :func:`data_path` then downloads the file once from the repository named in
``superscale._repository`` into the cache. Set ``SUPERSCALE_OFFLINE=1`` to forbid that; offline,
the error says where to get the file.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

from . import _repository
from .fileio import atomic_write

DATA_ENV = "SUPERSCALE_DATA"
CACHE_ENV = "SUPERSCALE_CACHE"
OFFLINE_ENV = "SUPERSCALE_OFFLINE"
URL_ENV = "SUPERSCALE_DATA_URL"


def cache_dir() -> Path:
    """Where downloaded data files are kept (chapters 2-6): ``SUPERSCALE_CACHE`` or ``~/.cache/superscale/data``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "superscale" / "data"


def data_url(name: str) -> str:
    """URL of the data file ``name`` in the book's repository (chapters 2-6).

    ``SUPERSCALE_DATA_URL`` (a folder URL; ``file://`` works too) overrides the repository's
    ``book/data`` on the branch of ``superscale._repository``."""
    base = os.environ.get(URL_ENV) or f"{_repository.URL}/raw/{_repository.BRANCH}/book/data"
    return f"{base.rstrip('/')}/{name}"


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
    dirs.append(cache_dir())
    seen: set[Path] = set()
    out = []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"name must be a plain file name such as 'short-small.nc', got {name!r}")


def download(name: str, timeout: float = 60.0) -> Path:
    """Download the book data file ``name`` into :func:`cache_dir` and return its path (chapters 2-6).

    Meant for an installed copy of the package on a user's machine. The file is written to a
    temporary file and renamed, so an interrupted download leaves nothing behind. Raises
    ``OSError`` naming the URL when the download fails (for example offline)."""
    _check_name(name)
    url = data_url(name)
    dest = cache_dir() / name

    def fetch(f) -> None:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            shutil.copyfileobj(r, f)
        if f.tell() == 0:
            raise OSError(f"downloaded an empty file from {url}")

    try:
        return atomic_write(dest, fetch)
    except (OSError, ValueError) as e:  # urllib.error.URLError is an OSError
        raise OSError(f"could not download {url}: {e}") from e


def data_path(name: str, download_missing: bool | None = None) -> Path:
    """Path of the book data file ``name`` (e.g. ``"short-small.nc"``; chapters 2-6).

    Searches :func:`data_dirs`. When the file is in none of them and ``download_missing`` is true
    (default: unless ``SUPERSCALE_OFFLINE`` is set), downloads it with :func:`download`. Raises
    ``FileNotFoundError`` with the places searched and what to do when it cannot be found."""
    _check_name(name)
    for d in data_dirs():
        p = d / name
        if p.is_file():
            return p
    if download_missing is None:
        download_missing = os.environ.get(OFFLINE_ENV, "").strip().lower() in ("", "0", "false", "no")
    reason = f"downloads are off ({OFFLINE_ENV} is set)"
    if download_missing:
        try:
            return download(name)
        except OSError as e:
            reason = str(e)
    searched = "\n  ".join(str(d) for d in data_dirs()[:6])
    raise FileNotFoundError(
        f"book data file {name!r} not found. Searched:\n  {searched}\n  {cache_dir()}\n"
        f"and {reason}.\nSet {DATA_ENV}=/path/to/book/data, or regenerate it with the command in "
        f"book/data/README.md."
    )
