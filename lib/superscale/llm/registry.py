"""The 27 language-model checkpoints analysed in the paper, as typed records (chapter 6).

Every number here comes from ``shared/reference/llm-facts.md``: widths, vocabulary rows and tying
from each checkpoint's ``config.json``; parameter counts computed from the configs (they match the
published counts where those exist); the tensor analysed is the language-model head, or the input
embedding when the head is tied to it (the paper's App. C.1).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FAMILIES: tuple[str, ...] = ("OPT", "Qwen2.5", "GPT-2", "Pythia")


@dataclass(frozen=True)
class Checkpoint:
    """One public checkpoint and how to find its unembedding matrix (chapter 6).

    ``width`` is the hidden width d_model (the m used in the loss fit). ``head_width`` is the number
    of columns of the head matrix; it differs from ``width`` only for OPT-350m, whose embedding and
    head are 512 wide and projected to and from its 1024-wide residual stream. ``head_tensor`` is
    the name stored in the checkpoint file; ``alt_tensors`` are other spellings tried when the
    stored name differs (the exact stored key of some families is unconfirmed).
    """

    name: str
    family: str
    repo_id: str
    head_tensor: str
    width: int
    vocab_rows: int
    n_params: int
    n_params_nonembedding: int
    tied: bool
    head_width: int | None = None
    alt_tensors: tuple[str, ...] = ()
    quirks: str = ""

    @property
    def overlap_width(self) -> int:
        """Width of the rows whose overlaps are measured (512 for OPT-350m, else ``width``)."""
        return self.head_width if self.head_width is not None else self.width

    @property
    def fit_width(self) -> int:
        """Width entered in the loss-against-width fit (the hidden width; 1024 for OPT-350m)."""
        return self.width

    @property
    def tensor_names(self) -> tuple[str, ...]:
        """The head tensor name followed by its alternative spellings, in the order tried."""
        return (self.head_tensor, *self.alt_tensors)

    def as_dict(self) -> dict:
        """Plain dict of the record, with ``overlap_width`` and ``fit_width`` added."""
        d = asdict(self)
        d["alt_tensors"] = ";".join(self.alt_tensors)
        d["overlap_width"] = self.overlap_width
        d["fit_width"] = self.fit_width
        return d


def _opt(size, width, n, n_ne, head="model.decoder.embed_tokens.weight", head_width=None, quirks=""):
    alts = ("decoder.embed_tokens.weight", "lm_head.weight", "model.decoder.embed_tokens.weight")
    alts = tuple(a for a in alts if a != head)
    return Checkpoint(
        f"opt-{size}",
        "OPT",
        f"facebook/opt-{size}",
        head,
        width,
        50272,
        n,
        n_ne,
        True,
        head_width,
        alts,
        quirks,
    )


def _qwen(size, width, rows, n, n_ne, tied, quirks=""):
    head = "model.embed_tokens.weight" if tied else "lm_head.weight"
    alts = ("lm_head.weight",) if tied else ()
    return Checkpoint(
        f"qwen2.5-{size.lower()}",
        "Qwen2.5",
        f"Qwen/Qwen2.5-{size}",
        head,
        width,
        rows,
        n,
        n_ne,
        tied,
        None,
        alts,
        quirks,
    )


def _gpt2(suffix, width, n, n_ne, quirks=""):
    name = "gpt2" + (f"-{suffix}" if suffix else "")
    return Checkpoint(
        name,
        "GPT-2",
        f"openai-community/{name}",
        "wte.weight",
        width,
        50257,
        n,
        n_ne,
        True,
        None,
        ("transformer.wte.weight", "lm_head.weight"),
        quirks,
    )


def _pythia(size, width, rows, n, n_ne, quirks=""):
    return Checkpoint(
        f"pythia-{size}",
        "Pythia",
        f"EleutherAI/pythia-{size}",
        "embed_out.weight",
        width,
        rows,
        n,
        n_ne,
        False,
        None,
        ("gpt_neox.embed_out.weight",),
        quirks,
    )


CHECKPOINTS: tuple[Checkpoint, ...] = (
    _opt("125m", 768, 125_239_296, 85_056_000),
    _opt(
        "350m",
        1024,
        331_196_416,
        303_357_952,
        head_width=512,
        quirks="word_embed_proj_dim = 512: head rows are 512 wide (overlaps at m = 512), "
        "hidden width 1024 used in the loss fit; post-LayerNorm",
    ),
    _opt("1.3b", 2048, 1_315_758_080, 1_208_602_624),
    _opt("2.7b", 2560, 2_651_596_800, 2_517_652_480),
    _opt("6.7b", 4096, 6_658_473_984, 6_444_163_072),
    _opt("13b", 5120, 12_853_473_280, 12_585_584_640),
    _opt("30b", 7168, 29_974_540_288, 29_599_496_192),
    _opt(
        "66b",
        9216,
        65_719_701_504,
        65_237_501_952,
        head="lm_head.weight",
        quirks="the paper reads lm_head.weight; whether the files store it is unconfirmed",
    ),
    _qwen("0.5B", 896, 151936, 494_032_768, 357_898_112, True),
    _qwen("1.5B", 1536, 151936, 1_543_714_304, 1_310_340_608, True),
    _qwen("3B", 2048, 151936, 3_085_938_688, 2_774_773_760, True, quirks="research licence"),
    _qwen("7B", 3584, 152064, 7_615_616_512, 6_525_621_760, False),
    _qwen("14B", 5120, 152064, 14_770_033_664, 13_212_898_304, False),
    _qwen("32B", 5120, 152064, 32_763_876_352, 31_206_740_992, False, quirks="same width as 14B"),
    _qwen("72B", 8192, 152064, 72_706_203_648, 70_214_787_072, False, quirks="Qwen licence"),
    _gpt2("", 768, 124_439_808, 85_056_000),
    _gpt2("medium", 1024, 354_823_168, 302_311_424),
    _gpt2("large", 1280, 774_030_080, 708_390_400),
    _gpt2("xl", 1600, 1_557_611_200, 1_475_561_600),
    _pythia("70m", 512, 50304, 70_426_624, 18_915_328),
    _pythia("160m", 768, 50304, 162_322_944, 85_056_000),
    _pythia("410m", 1024, 50304, 405_334_016, 302_311_424),
    _pythia("1b", 2048, 50304, 1_011_781_632, 805_736_448),
    _pythia("1.4b", 2048, 50304, 1_414_647_808, 1_208_602_624),
    _pythia("2.8b", 2560, 50304, 2_775_208_960, 2_517_652_480),
    _pythia("6.9b", 4096, 50432, 6_857_302_016, 6_444_163_072, quirks="50432 vocabulary rows"),
    _pythia("12b", 5120, 50688, 11_846_072_320, 11_327_027_200, quirks="50688 vocabulary rows"),
)

_BY_KEY: dict[str, Checkpoint] = {}
for _c in CHECKPOINTS:
    _BY_KEY[_c.name.lower()] = _c
    _BY_KEY[_c.repo_id.lower()] = _c
    _BY_KEY[_c.repo_id.split("/")[1].lower()] = _c
_BY_KEY["openai-community/gpt2".lower()] = _BY_KEY["gpt2"]


@dataclass(frozen=True)
class Registry:
    """Read-only view of :data:`CHECKPOINTS` with look-ups by name or repository id (chapter 6)."""

    checkpoints: tuple[Checkpoint, ...] = field(default=CHECKPOINTS)

    def __len__(self) -> int:
        return len(self.checkpoints)

    def __iter__(self) -> Iterator[Checkpoint]:
        return iter(self.checkpoints)

    def family(self, family: str) -> list[Checkpoint]:
        """All checkpoints of one family, smallest first."""
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
        return [c for c in self.checkpoints if c.family == family]


REGISTRY = Registry()


def get_checkpoint(name: str) -> Checkpoint:
    """Look up a registry checkpoint by short name ("pythia-70m"), repo id or repo name (chapter 6).

    Case-insensitive. Raises ``KeyError`` listing the known names when there is no match.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    try:
        return _BY_KEY[name.lower()]
    except KeyError:
        from .packages import PACKAGED

        known = ", ".join(c.name for c in CHECKPOINTS)
        raise KeyError(
            f"{name!r} is not in the registry of the paper's 27 checkpoints; known: {known}; "
            f"packaged models (superscale.llm.packages): {', '.join(PACKAGED)}"
        ) from None


def find_checkpoint(name: str) -> Checkpoint | None:
    """Like :func:`get_checkpoint` but returns ``None`` for names outside the registry (chapter 6)."""
    try:
        return get_checkpoint(name)
    except (KeyError, ValueError):
        return None


def find_model(name: str):
    """A registry checkpoint or a packaged model (:mod:`superscale.llm.packages`) by name, or ``None`` (chapter 6)."""
    from .packages import PACKAGED

    ck = find_checkpoint(name)
    if ck is not None:
        return ck
    return PACKAGED.get(name.lower()) if isinstance(name, str) else None


def registry_frame() -> pd.DataFrame:
    """The registry as a pandas DataFrame, one row per checkpoint (chapter 6)."""
    import pandas as pd

    return pd.DataFrame([c.as_dict() for c in CHECKPOINTS])
