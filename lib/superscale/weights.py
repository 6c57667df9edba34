"""Full weight matrices of a few trained strong-superposition toy models (chapter 5).

The merged sweep files keep row norms and biases but not W itself, and chapter 5's "from overlaps
to loss" check needs every overlap W_i·W_j. This module trains a handful of models with the
paper's schedule shape (peak rate 1e-2, 10 % warm-up, cosine to 5 %) on the CPU, batch 128 and
10 000 steps, n = 1000, the paper's six widths, γ = −1, and saves W and b in float16::

    python -m superscale.sweep weights --alphas 0 1 --to book/data/strong-weights.npz   # ~20 min on 2 cores

Why 10 000 steps: the geometry of the rows settles later than the loss. At α = 1, γ = −1, m = 25
and 63, after 2 500 steps of batch 512 the rows with norm > 1 have mean squared overlap
1.5-2.2 × 1/m and a variance 1.3-3.4 × the random value; after 10 000 steps about 1.0 × 1/m and
0.7-0.8 × the random variance, as in the paper's Fig. 5c-d.

The file holds ``W_{k}``, ``b_{k}`` for model k and arrays ``m``, ``gamma``, ``alpha``, ``E``,
``final_loss``, ``final_loss_se`` (loss in the paper's units, n × MSE), plus a JSON ``meta``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from .fileio import atomic_write
from .paper import PAPER_WIDTHS

__all__ = ["DEFAULT_FILE", "make_weights", "load_weights", "merge_weights", "measure_models"]

DEFAULT_FILE = "strong-weights.npz"
WIDTHS = PAPER_WIDTHS


def make_weights(
    to: str | Path,
    alphas=(0.0, 1.0),
    gammas=(-1.0,),
    widths=WIDTHS,
    n: int = 1000,
    steps: int = 10000,
    batch: int = 128,
    threads: int = 1,
) -> Path:
    """Train ``alphas`` × ``gammas`` × ``widths`` toy models and save W, b (float16) to ``to`` (chapter 5).

    ``steps`` replaces the protocol's 2 500 steps (10 000 by default, see the module docstring).
    Written atomically.
    """
    import torch

    from . import __version__
    from .training import ModelSpec, Protocol, train_models

    if not alphas or not gammas or not widths:
        raise ValueError("alphas, gammas and widths must be non-empty")
    torch.set_num_threads(int(threads))
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    protocol = Protocol("ch5-weights", batch=int(batch), steps=int(steps), eval_samples=102400)
    specs = [
        ModelSpec(int(m), float(g), "power", float(a), 1.0) for a in alphas for g in gammas for m in widths
    ]
    t0 = time.time()
    results = train_models(specs, n, protocol, progress=False)
    arrays: dict[str, np.ndarray] = {}
    for k, r in enumerate(results):
        arrays[f"W_{k}"] = np.asarray(r.W, dtype=np.float16)
        arrays[f"b_{k}"] = np.asarray(r.b, dtype=np.float16)
    arrays["m"] = np.array([s.m for s in specs])
    arrays["gamma"] = np.array([s.gamma for s in specs])
    arrays["alpha"] = np.array([s.alpha for s in specs])
    arrays["E"] = np.array([s.E for s in specs])
    arrays["final_loss"] = np.array([r.final_loss for r in results])
    arrays["final_loss_se"] = np.array([r.final_loss_se for r in results])
    meta = {
        "n": n,
        "protocol": protocol.to_dict(),
        "seconds": time.time() - t0,
        "torch": torch.__version__,
        "package_version": __version__,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(sys.argv),
    }
    arrays["meta"] = np.array(json.dumps(meta))
    return _write_npz(to, arrays)


def _write_npz(to: str | Path, arrays: dict) -> Path:
    """Save ``arrays`` compressed to ``to`` atomically (:func:`superscale.fileio.atomic_write`)."""
    return atomic_write(to, lambda f: np.savez_compressed(f, **arrays))


def merge_weights(sources, to) -> Path:
    """Merge weight files written by :func:`make_weights` (e.g. runs of different α or widths, trained
    in parallel) into one file, sorted by (α, γ, m); ``meta`` keeps each source's meta (chapter 5)."""
    models, metas = [], []
    for src in sources:
        with np.load(src) as z:
            metas.append(json.loads(str(z["meta"])))
            for k in range(len(z["m"])):
                models.append(
                    {key: z[key][k] for key in ("m", "gamma", "alpha", "E", "final_loss", "final_loss_se")}
                )
                models[-1]["W"] = z[f"W_{k}"]
                models[-1]["b"] = z[f"b_{k}"]
    if not models:
        raise ValueError("sources must name at least one weight file with models")
    models.sort(key=lambda d: (float(d["alpha"]), float(d["gamma"]), int(d["m"])))
    keys = [(float(d["alpha"]), float(d["gamma"]), int(d["m"]), float(d["E"])) for d in models]
    if len(set(keys)) != len(keys):
        raise ValueError("sources contain the same (alpha, gamma, m, E) model twice")
    arrays: dict[str, np.ndarray] = {}
    for k, d in enumerate(models):
        arrays[f"W_{k}"] = np.asarray(d["W"], dtype=np.float16)
        arrays[f"b_{k}"] = np.asarray(d["b"], dtype=np.float16)
    for key in ("m", "gamma", "alpha", "E", "final_loss", "final_loss_se"):
        arrays[key] = np.array([d[key] for d in models])
    meta = dict(metas[0])
    meta["merged_from"] = metas
    meta["created_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    arrays["meta"] = np.array(json.dumps(meta))
    return _write_npz(to, arrays)


def load_weights(name: str = DEFAULT_FILE) -> list[dict]:
    """The saved models as a list of dicts with keys m, gamma, alpha, E, W, b (float64), final_loss,
    final_loss_se; found in ``book/data`` by :func:`superscale.bookdata.data_path` (chapter 5)."""
    from .bookdata import data_path

    out = []
    with np.load(data_path(name)) as z:
        for k in range(len(z["m"])):
            out.append(
                {
                    "m": int(z["m"][k]),
                    "gamma": float(z["gamma"][k]),
                    "alpha": float(z["alpha"][k]),
                    "E": float(z["E"][k]),
                    "W": z[f"W_{k}"].astype(np.float64),
                    "b": z[f"b_{k}"].astype(np.float64),
                    "final_loss": float(z["final_loss"][k]),
                    "final_loss_se": float(z["final_loss_se"][k]),
                }
            )
        meta = json.loads(str(z["meta"]))
    for d in out:
        d["meta"] = meta
    return out


def measure_models(models: list[dict]):
    """One row per model of :func:`load_weights` with the columns of
    :func:`superscale.geometry.sweep_overlap_table` plus the one-active-feature loss (chapter 5):
    ``eq8_total``, ``interference``, ``self`` (:func:`superscale.geometry.one_feature_loss` with the
    model's power-law frequencies) and ``bias_median``.
    """
    import pandas as pd

    from .data import power_law_frequencies
    from .geometry import one_feature_loss, overlap_summary, random_overlap_var, welch_bound_paper

    rows = []
    for d in models:
        W, b = d["W"], d["b"]
        n, m = W.shape
        norms = np.linalg.norm(W, axis=1)
        gt1 = overlap_summary(W, rows=norms > 1.0)
        al = overlap_summary(W)
        eq8 = one_feature_loss(W, b, power_law_frequencies(n, d["alpha"], d["E"]))
        rows.append(
            {
                "alpha": d["alpha"],
                "gamma": d["gamma"],
                "m": m,
                "final_loss": d["final_loss"],
                "phi_one": float(np.mean(norms > 1.0)),
                "n_gt1": gt1.count,
                "overlap_mean_gt1": gt1.mean,
                "overlap_var_gt1": gt1.var,
                "overlap_mean_all": al.mean,
                "overlap_var_all": al.var,
                "inv_m": 1.0 / m,
                "kappa2": float(welch_bound_paper(m, n)),
                "mean_ratio": gt1.mean * m,
                "var_ratio": gt1.var / random_overlap_var(m) if gt1.count >= 3 else float("nan"),
                "eq8_total": eq8["total"],
                "interference": eq8["interference"],
                "self": eq8["self"],
                "bias_median": float(np.median(b)),
            }
        )
    return pd.DataFrame(rows)
