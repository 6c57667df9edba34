"""Numbers quoted from the literature (chapter 6): they now live in :mod:`superscale.paper`."""

from __future__ import annotations

from ..paper import (  # noqa: F401
    BESIROGLU_ALPHA_N,
    DATASETS,
    HOFFMANN_ALPHA_N,
    PAPER_ALPHA_M,
    PAPER_ALPHA_M_CHINCHILLA,
    PAPER_CHINCHILLA_K,
    PAPER_LOSS_FIT,
    PAPER_OPEN_FAMILIES_K,
    PAPER_TOKEN_ALPHA,
)
