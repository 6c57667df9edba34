"""A small live training run with snapshots of W (chapter 2; the workbook).

:func:`train_live` trains a few toy models (one per γ) for a minute or less with the same engine as the
sweeps and keeps copies of W at a few steps, so a chapter can show superposition forming.
Losses are in the paper's units (summed over the n features, averaged over samples).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .data import power_law_frequencies

__all__ = ["LiveRun", "snapshot_steps", "train_live", "engine_steps", "gram_heatmap", "live_model_figure"]


@dataclass
class LiveRun:
    """Result of :func:`train_live` (chapter 2).

    ``W`` has shape (K, S, n, m): the weights of the K models (one per γ in ``gammas``) at the S
    steps in ``steps`` (0 = initialisation, the last = end of training). ``curve_steps`` and
    ``curve_loss`` (K, T) are the training loss averaged over windows of steps; ``final_loss`` and
    ``final_loss_se`` (K,) are measured on fresh samples after training.
    """

    n: int
    m: int
    alpha: float
    gammas: np.ndarray
    steps: np.ndarray
    W: np.ndarray
    b: np.ndarray
    curve_steps: np.ndarray
    curve_loss: np.ndarray
    final_loss: np.ndarray
    final_loss_se: np.ndarray
    seconds: float

    def gram(self, k: int, s: int = -1, top: int | None = None) -> np.ndarray:
        """W Wᵀ of model ``k`` at snapshot ``s``, restricted to the ``top`` most frequent features."""
        W = self.W[k, s]
        if top is not None:
            W = W[:top]
        return W @ W.T

    def norms(self, k: int, s: int = -1) -> np.ndarray:
        """Row norms ‖W_i‖ of model ``k`` at snapshot ``s``."""
        return np.linalg.norm(self.W[k, s], axis=1)


def snapshot_steps(steps: int, count: int) -> np.ndarray:
    """``count`` distinct steps from 0 to ``steps``, roughly evenly spaced in log(step + 1) (chapter 2)."""
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if not (isinstance(count, (int, np.integer)) and count >= 2):
        raise ValueError(f"count (number of snapshots) must be an integer >= 2, got {count!r}")
    s = np.unique(np.round(np.logspace(0, np.log10(steps + 1), count) - 1).astype(int))
    s[0], s[-1] = 0, steps
    return np.unique(s)


def train_live(
    n: int = 200,
    m: int = 20,
    gammas=(0.5, -0.5),
    alpha: float = 1.0,
    steps: int = 2000,
    batch: int = 1024,
    peak_lr: float = 1e-2,
    snapshots: int = 8,
    eval_samples: int = 20480,
    seed: int = 0,
) -> LiveRun:
    """Train one toy model per γ in ``gammas`` on p_i ∝ i^(-alpha) (E = 1), keeping snapshots of W (chapter 2).

    Uses the training engine's pieces (:func:`superscale.training.sample_sparse`,
    :func:`~superscale.training.sparse_loss_grad`, :func:`~superscale.training.adamw_update_`) with
    the paper's small-model schedule shortened to ``steps`` (warm-up over the first tenth, cosine
    down to 5 % of ``peak_lr``) and the paper's initialisation. All models see the same fresh batch
    at each step. With the defaults two models train in about 10 s on one CPU core.
    """
    import torch

    from .model import init_params
    from .training import adamw_update_, engine_mode, sample_sparse, small_lr, sparse_loss_grad

    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"n (number of features) must be an integer >= 2, got {n!r}")
    if not (isinstance(m, (int, np.integer)) and 1 <= m < n):
        raise ValueError(f"m (hidden width) must be an integer with 1 <= m < n = {n}, got {m!r}")
    gam = np.atleast_1d(np.asarray(gammas, dtype=float))
    if gam.ndim != 1 or gam.size == 0 or not np.all(np.isfinite(gam)):
        raise ValueError(f"gammas must be a non-empty list of finite numbers, got {gammas!r}")
    if not (isinstance(batch, (int, np.integer)) and batch >= 1):
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    if not (math.isfinite(peak_lr) and peak_lr > 0):
        raise ValueError(f"peak_lr must be a number > 0, got {peak_lr!r}")
    if not (isinstance(eval_samples, (int, np.integer)) and eval_samples >= 2):
        raise ValueError(f"eval_samples must be an integer >= 2, got {eval_samples!r}")
    snaps = snapshot_steps(steps, snapshots)
    mode = "fused" if engine_mode("cpu") == "fused" else "dense"
    p = power_law_frequencies(n, alpha, 1.0)
    p_t = torch.as_tensor(p, dtype=torch.float32)
    gen = torch.Generator().manual_seed(int(seed))
    K = gam.size
    Ws, bs = zip(*[init_params(n, m, generator=gen) for _ in range(K)], strict=True)
    W, b = torch.stack(Ws), torch.stack(bs)
    mW, vW, mb, vb = (torch.zeros_like(W), torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(b))
    gamma_t = torch.tensor(gam, dtype=torch.float32)
    lr = small_lr(np.arange(steps), steps, peak_lr, max(steps // 10, 1))
    every = max(steps // 100, 1)
    out_W = np.empty((K, snaps.size, n, m), dtype=np.float32)
    curve, acc = [], torch.zeros(K, dtype=torch.float64)
    t0 = time.perf_counter()
    with torch.no_grad():
        out_W[:, 0] = W.numpy()
        si = 1
        for step in range(steps):
            bt = sample_sparse(p_t, batch, gen)
            res = sparse_loss_grad(W, b, bt, mode=mode)
            lr_t = torch.full((K,), float(lr[step]), dtype=torch.float32)
            adamw_update_(W, res["gW"], mW, vW, step + 1, lr_t, gamma_t)
            adamw_update_(b, res["gb"], mb, vb, step + 1, lr_t, None)
            acc += res["loss"].double()
            if (step + 1) % every == 0:
                curve.append((acc / every).numpy().copy())
                acc.zero_()
            if si < snaps.size and step + 1 == snaps[si]:
                out_W[:, si] = W.numpy()
                si += 1
        s1 = torch.zeros(K, dtype=torch.float64)
        s2 = torch.zeros(K, dtype=torch.float64)
        done = 0
        while done < eval_samples:
            bsz = min(2048, eval_samples - done)
            bt = sample_sparse(p_t, bsz, gen)
            res = sparse_loss_grad(W, b, bt, need_grad=False, per_sample=True, mode=mode)
            sl, el = res["sample_loss"].double(), res["empty_loss"].double()
            s1 += sl.sum(1) + bt.n_empty * el
            s2 += (sl * sl).sum(1) + bt.n_empty * el * el
            done += bsz
    mean = (s1 / done).numpy()
    var = np.maximum((s2 / done).numpy() - mean**2, 0.0)
    return LiveRun(
        n=int(n),
        m=int(m),
        alpha=float(alpha),
        gammas=gam,
        steps=snaps,
        W=out_W,
        b=b.numpy().copy(),
        curve_steps=np.arange(1, len(curve) + 1) * every,
        curve_loss=np.stack(curve, axis=1) if curve else np.zeros((K, 0)),
        final_loss=mean,
        final_loss_se=np.sqrt(var / done),
        seconds=time.perf_counter() - t0,
    )


def gram_heatmap(G: np.ndarray, top: int, **kw):
    """A heat map of W Wᵀ (``G``, the ``top`` most frequent features) on a fixed red-blue scale (chapter 2)."""
    import plotly.graph_objects as go

    ticks = list(range(1, top + 1))
    return go.Heatmap(z=np.round(G, 3), x=ticks, y=ticks, zmin=-1.2, zmax=1.2, colorscale="RdBu_r", **kw)


def live_model_figure(run: LiveRun, k: int = 0, top: int = 40):
    """The live widget's figure: W Wᵀ (top ``top`` features) and row norm against rank of one live model
    (chapter 2)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .figures import gamma_color

    if not 0 <= k < run.W.shape[0]:
        raise ValueError(f"k must be a model index in [0, {run.W.shape[0] - 1}], got {k}")
    top = min(int(top), run.n)
    g = float(run.gammas[k])
    norms = run.norms(k)
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=(f"W Wᵀ, first {top} features", "row norms")
    )
    fig.add_trace(gram_heatmap(run.gram(k, -1, top), top, colorbar=dict(x=0.43, len=0.9)), row=1, col=1)
    fig.add_trace(
        go.Scatter(
            x=np.arange(1, run.n + 1), y=norms, mode="markers", marker=dict(color=gamma_color(g), size=5)
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    fig.update_xaxes(type="log", title_text="rank i", row=1, col=2)
    fig.update_yaxes(title_text="‖W<sub>i</sub>‖", row=1, col=2)
    fig.add_hline(y=0.5, line=dict(dash="dot", color="gray", width=1), row=1, col=2)
    fig.update_layout(
        height=430,
        showlegend=False,
        title_text=f"γ = {g:+g}, α = {run.alpha:g}, n = {run.n}, m = {run.m}: "
        f"φ<sub>1/2</sub> = {np.mean(norms > 0.5):.3f}, loss {run.final_loss[k]:.3f}",
    )
    return fig


def engine_steps(W, b, batch, gamma: float, lr: float = 1e-2, steps: int = 3):
    """``steps`` steps of the training engine on one toy model and one batch, for comparison with a
    readable version (chapter 2): :func:`superscale.training.sparse_loss_grad` (dense products, the
    gradient of the mean-squared error) and :func:`~superscale.training.adamw_update_` with decay or
    growth ``gamma`` on W and none on b, the same batch (a :class:`superscale.data.SparseBatch`) at
    every step. ``W`` (n, m) and ``b`` (n,) are not changed; returns the new (W, b)."""
    import torch

    from .training import adamw_update_, sparse_loss_grad

    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    W, b = W.detach().clone()[None], b.detach().clone()[None]
    mW, vW, mb, vb = (torch.zeros_like(W), torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(b))
    lr_t, g_t = torch.tensor([lr], dtype=W.dtype), torch.tensor([gamma], dtype=W.dtype)
    with torch.no_grad():
        for t in range(1, steps + 1):
            res = sparse_loss_grad(W, b, batch, mode="dense")
            adamw_update_(W, res["gW"], mW, vW, t, lr_t, g_t)
            adamw_update_(b, res["gb"], mb, vb, t, lr_t, None)
    return W[0], b[0]
