"""Set-up shared by every chapter: seeds, device, plotting.

Every chapter's first (hidden) cell calls :func:`setup`. In Colab the cell first clones the
repository and installs this package (see ``tools/sync_setup_cells.py``, which writes that cell
into every notebook from ``_config.yml``).
"""

from __future__ import annotations

import os
import random

import numpy as np

from .figures import in_colab, setup_plotly

__all__ = ["in_colab", "seed_everything", "pick_device", "setup", "glue"]


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and (if installed) PyTorch. Used by every chapter's set-up cell."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # torch is optional for the chapters that only plot
        return
    torch.manual_seed(seed)


def pick_device(prefer: str | None = None) -> str:
    """Return ``"cuda"`` when a GPU is usable, else ``"cpu"`` (all chapters).

    ``prefer`` (or the environment variable ``SUPERSCALE_DEVICE``) forces a choice; asking for
    ``"cuda"`` on a machine without one raises ``ValueError``.
    """
    prefer = prefer or os.environ.get("SUPERSCALE_DEVICE")
    try:
        import torch
    except ImportError:
        if prefer not in (None, "cpu"):
            raise ValueError(f"device={prefer!r} needs PyTorch, which is not installed") from None
        return "cpu"
    has_cuda = torch.cuda.is_available()
    if prefer is None:
        return "cuda" if has_cuda else "cpu"
    if prefer not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {prefer!r}")
    if prefer == "cuda" and not has_cuda:
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available")
    return prefer


def setup(seed: int = 0, device: str | None = None, quiet: bool = False) -> str:
    """Seed everything, pick the device and set up plotly; return the device (all chapters)."""
    seed_everything(seed)
    dev = pick_device(device)
    renderer = setup_plotly()
    if not quiet:
        where = "Colab" if in_colab() else "local"
        hint = ""
        if dev == "cpu" and in_colab():
            hint = " (Runtime > Change runtime type > GPU makes the training cells faster)"
        print(f"superscale set-up: {where}, device={dev}{hint}, plotly renderer={renderer}, seed={seed}")
    return dev


def glue(name: str, obj, display: bool = False) -> None:
    """Hand ``obj`` (a table or figure) to the book under ``name`` for a ``{glue}`` directive elsewhere on the
    page, e.g. inside the reproduction notes (chapters 2-6). Where myst-nb is not installed (Colab, plain
    Jupyter) the object is shown right here instead, so the reader still sees it."""
    try:
        from myst_nb import glue as _glue
    except ImportError:
        from IPython.display import display as _show

        _show(obj)
        return
    _glue(name, obj, display=display)
