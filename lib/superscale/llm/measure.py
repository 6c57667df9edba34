"""Measure the unembedding geometry of checkpoints and record it in a CSV (chapter 6).

Used by ``python -m superscale.llm measure`` and by the chapter's Colab cells. One row per model:
provenance (date, package version, command, repository, revision, tensor) and the statistics of
:mod:`superscale.llm.overlap`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
import os
import tempfile
import time
from dataclasses import dataclass

from .loader import NoNetworkError, checkpoint_root, hub_filesystem, load_tensor
from .overlap import METHODS, overlap_stats, row_norm_summary
from .registry import Checkpoint, find_checkpoint

#: Tensor names tried, in order, for a repository that is not in the registry.
DEFAULT_HEAD_NAMES: tuple[str, ...] = (
    "lm_head.weight",
    "embed_out.weight",
    "model.embed_tokens.weight",
    "wte.weight",
    "transformer.wte.weight",
    "model.decoder.embed_tokens.weight",
    "decoder.embed_tokens.weight",
    "gpt_neox.embed_out.weight",
)
OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@dataclass(frozen=True)
class Target:
    """What to measure: a label, where it lives (file system + root) and which tensor names to try."""

    label: str
    root: str
    names: tuple[str, ...]
    on_hub: bool
    fs: object = None
    checkpoint: Checkpoint | None = None


def hub_offline() -> bool:
    """True when the environment asks huggingface_hub to stay offline (chapter 6)."""
    return any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on") for k in OFFLINE_ENV)


def resolve_target(model: str, tensor: str | None = None, revision: str | None = None) -> Target:
    """Turn a registry name, Hub repo id, local folder or fsspec URL into a :class:`Target` (chapter 6)."""
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a non-empty string, got {model!r}")
    ck = find_checkpoint(model)
    names = (tensor,) if tensor else (ck.tensor_names if ck else DEFAULT_HEAD_NAMES)
    if ck is not None:
        return Target(ck.name, checkpoint_root(ck.repo_id, revision), names, True, None, ck)
    if "://" in model or os.path.isdir(model):
        import fsspec

        fs, root = fsspec.core.url_to_fs(model)
        return Target(model, root, names, False, fs, None)
    if model.count("/") == 1:
        return Target(model, checkpoint_root(model, revision), names, True, None, None)
    raise ValueError(
        f"model {model!r} is neither a registry name (see `python -m superscale.llm list`), "
        "a Hub repository id 'owner/name', a local folder nor an fsspec URL"
    )


def _hub_revision(repo_id: str, revision: str | None) -> str:
    try:
        from huggingface_hub import HfApi

        return HfApi().model_info(repo_id, revision=revision).sha or (revision or "")
    except Exception:  # provenance only; the measurement itself already succeeded
        return revision or ""


def measure_target(
    target: Target,
    method: str = "gram+pairs",
    n_pairs: int = 1_000_000,
    seed: int = 0,
    device: str | None = None,
    block_rows: int = 4096,
    allow_pickle: bool = False,
    command: str = "",
) -> dict:
    """Load the target's head matrix and return one CSV row of provenance and statistics (chapter 6)."""
    from .. import __version__

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if target.on_hub and hub_offline():
        raise NoNetworkError("no network: HF_HUB_OFFLINE is set, so the Hugging Face Hub is not contacted")
    fs = target.fs if target.fs is not None else hub_filesystem()
    t0 = time.perf_counter()
    W, info = load_tensor(target.root, target.names, fs=fs, allow_pickle=allow_pickle)
    t_read = time.perf_counter() - t0
    norms = row_norm_summary(W)
    st = overlap_stats(W, method=method, n_pairs=n_pairs, seed=seed, block_rows=block_rows, device=device)
    ck = target.checkpoint
    repo = ck.repo_id if ck else (target.root.split("@")[0] if target.on_hub else "")
    rev = target.root.split("@", 1)[1] if "@" in target.root else None
    row = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "superscale_version": __version__,
        "command": command,
        "model": target.label,
        "family": ck.family if ck else "",
        "repo_id": repo,
        "revision": _hub_revision(repo, rev) if target.on_hub else "",
        "source": target.root if not target.on_hub else "hf://" + target.root,
        "tensor": info.name,
        "file": info.path,
        "stored_dtype": info.dtype,
        "n": st.n,
        "m": st.m,
        "fit_width": ck.fit_width if ck else st.m,
        "method": st.method,
        "n_pairs": st.n_pairs,
        "seed": seed if "pairs" in st.method else "",
        "mean_sq_overlap": st.mean_sq,
        "mean_sq_overlap_se": st.mean_sq_se,
        "one_over_m": 1.0 / st.m,
        "mean_abs_overlap": st.mean_abs,
        "mean_abs_overlap_se": st.mean_abs_se,
        "std_abs_overlap": st.std_abs,
        "var_sq_overlap": st.var_sq,
        "var_sq_overlap_se": st.var_sq_se,
        "max_abs_overlap": st.max_abs,
        "n_dropped_rows": st.n_dropped,
        **norms.as_dict(),
        "seconds_read": round(t_read, 3),
        "seconds_stats": round(st.seconds, 3),
    }
    return {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def append_rows(path: str, rows: list[dict]) -> None:
    """Append rows to a CSV atomically: the old rows plus the new ones go to a temporary file in the
    same folder, which then replaces the CSV in one step. Columns are the union, in first-seen order (chapter 6).
    """
    if not rows:
        return
    old: list[dict] = []
    fields: list[str] = []
    if os.path.exists(path):
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            fields = list(reader.fieldnames or [])
            old = list(reader)
    for r in rows:
        for k in r:
            if k not in fields:
                fields.append(k)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields, restval="")
            w.writeheader()
            w.writerows(old)
            w.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
