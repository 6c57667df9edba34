"""Do decayed models switch off frequent features in a plain implementation too? (chapter 3)

Chapter 3 finds that weakly superposed models (γ > 0) trained with the book's engine drop some of
their most frequent features for good: the row norm goes to 0 and the bias turns negative, so the
ReLU is closed and no gradient can revive the feature. This script asks whether that is a property
of the paper's setup or of the engine: it trains the same setting with the plain PyTorch loop
(`superscale.training.train_plain`: dense sampling, autograd, the paper's optimizer as a
`torch.optim` class) and with the engine (`train_models`), several seeds each, at the paper's batch
of 2048 with a shortened schedule of the same shape, and prints, per model:

- φ_1/2·n/m (features kept, in units of the width),
- top kept: the fraction of the φ_1/2·n most frequent features that are kept (1 = the model keeps
  exactly its most frequent features),
- among the m most frequent features, how many are dropped (norm ≤ 1/2) and how many of those have
  a negative bias (dead),
- loss / (4/3)Σ_{i>φ_1/2·n} p_i (the top-feature prediction of chapter 3).

    python benchmarks/dead_features.py                      # α = 1, γ = 0.556, m = 39, 2048 × 3000, 3 seeds
    python benchmarks/dead_features.py --steps 1500 --seeds 2
"""

from __future__ import annotations

import os

for _k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_k, "1")

import argparse
import time

import numpy as np
import torch

from superscale.analysis import weak_prediction
from superscale.data import feature_frequencies
from superscale.training import ModelSpec, Protocol, train_models, train_plain


def describe(W: np.ndarray, b: np.ndarray, loss: float, p: np.ndarray, m: int) -> dict:
    norms = np.linalg.norm(W, axis=1)
    n = norms.size
    kept = norms > 0.5
    k = int(kept.sum())
    top_m = slice(0, m)
    dropped_top = ~kept[top_m]
    return {
        "phi n/m": k / m,
        "top kept": float(kept[:k].mean()) if k else float("nan"),
        "top-m dropped": int(dropped_top.sum()),
        "of them dead (b < 0)": int((dropped_top & (b[top_m] < 0)).sum()),
        "loss / prediction": loss / float(weak_prediction(p, k / n)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--gamma", type=float, default=0.556)
    ap.add_argument("--m", type=int, default=39)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    pr = Protocol(
        "dead-features", batch=args.batch, steps=args.steps, eval_samples=51200, eval_batch=2048
    ).validate()
    p = feature_frequencies("power", args.n, 1.0, args.alpha)
    print(
        f"n = {args.n}, m = {args.m}, alpha = {args.alpha}, gamma = {args.gamma}, batch {args.batch} x "
        f"{args.steps} steps (schedule shape of the paper: 10 % warm-up, cosine to 5 %), one thread"
    )
    rows = []
    for s in range(args.seeds):
        sp = ModelSpec(args.m, args.gamma, "power", args.alpha, 1.0, 0.0, s)
        t = time.perf_counter()
        r = train_plain(sp, args.n, pr, seed=5000 + s)
        rows.append(("plain loop", s, time.perf_counter() - t, describe(r.W, r.b, r.final_loss, p, args.m)))
        t = time.perf_counter()
        e = train_models([sp], args.n, pr, progress=False)[0]
        rows.append(("engine", s, time.perf_counter() - t, describe(e.W, e.b, e.final_loss, p, args.m)))
        for name, seed, secs, d in rows[-2:]:
            cells = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in d.items())
            print(f"{name:10s} seed {seed}: {cells} ({secs:.0f} s)", flush=True)
    for name in ("plain loop", "engine"):
        ds = [d for nm, _, _, d in rows if nm == name]
        med = {k: float(np.median([d[k] for d in ds])) for k in ds[0]}
        print(f"{name:10s} median: " + ", ".join(f"{k} {v:.3g}" for k, v in med.items()))


if __name__ == "__main__":
    main()
