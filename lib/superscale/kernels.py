"""The engine's fused CPU kernel: loss and gradients of K toy models through their Gram columns
(the engine behind chapters 2-5 and the sweeps).

Why. For one sample with active features S, the pre-activations are

    z = W Wᵀ x + b = Σ_{j ∈ S} x_j G[:, j] + b,   G = W Wᵀ,

so a batch only needs the columns of G that belong to features active somewhere in the batch, the
set U (|U| ≤ n, and |U| ≪ B for skewed frequencies). The gradient goes back the same way: with
dG[:, j] = Σ_samples x_j dL/dz, dL/dW = dG_U W_U + (scatter of dG_Uᵀ W onto the rows U). The matrix
products cost 3 |U| n m instead of 3 B n m, and everything per sample — building z, the ReLU, the loss,
dL/dz, its accumulation into dG and db — happens in one pass over n numbers held in the L1 cache,
instead of several passes over a K × B × n tensor in memory. This module holds that pass, compiled
with Numba; :func:`superscale.training.sparse_loss_grad` calls it (mode ``"fused"``) and keeps the
pure-PyTorch paths for GPUs and for installations without Numba.
"""

from __future__ import annotations

import functools
import os

import numpy as np

__all__ = ["have_numba", "gram_pass"]


@functools.cache
def have_numba() -> bool:
    """True when Numba can be imported (the fused CPU kernel is then used by the engine)."""
    try:
        import numba  # noqa: F401
    except Exception:  # pragma: no cover - depends on the installation
        return False
    return True


@functools.cache
def _compiled():
    # Numba's default OpenMP layer fights PyTorch's own OpenMP runtime: measured here, every PyTorch
    # operation in the process then ran 6-7x slower. Numba's built-in work queue has no such conflict.
    # (Set in the environment too: Numba re-reads its configuration from there when it compiles.)
    os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")
    import numba
    from numba import njit, prange

    numba.config.THREADING_LAYER = os.environ["NUMBA_THREADING_LAYER"]

    @njit(parallel=True, fastmath={"reassoc", "contract", "nsz", "arcp"}, cache=False, boundscheck=False)
    def kernel(Gt, b, ptr, inv, cols, vals, dGt, gb, loss, rowloss, nnz, need_grad, per_sample):
        K, u, n = Gt.shape
        R = ptr.shape[0] - 1
        for k in prange(K):
            z = np.empty(n, dtype=Gt.dtype)
            if need_grad:
                dGt[k, :, :] = 0.0
                gb[k, :] = 0.0
            acc = 0.0
            cnt = 0
            for r in range(R):
                s = ptr[r]
                e = ptr[r + 1]
                a0 = inv[s]
                v0 = vals[s]
                for i in range(n):
                    z[i] = b[k, i] + v0 * Gt[k, a0, i]
                for q in range(s + 1, e):
                    a = inv[q]
                    v = vals[q]
                    for i in range(n):
                        z[i] += v * Gt[k, a, i]
                # every output as if inactive (target 0): relu(z)^2, then correct the active ones
                ls = 0.0
                c_r = 0
                for i in range(n):
                    zi = max(z[i], 0.0)
                    ls += zi * zi
                    c_r += zi > 0.0
                    z[i] = zi
                for q in range(s, e):
                    c = cols[q]
                    v = vals[q]
                    zc = z[c]
                    if zc > 0.0:  # passes the ReLU: residual zc - v
                        ls += (zc - v) * (zc - v) - zc * zc
                        z[c] = zc - v
                    else:  # below threshold: loss v^2, no gradient (z[c] is already 0)
                        ls += v * v
                acc += ls
                cnt += c_r
                if per_sample:
                    rowloss[k, r] = ls
                if need_grad:
                    for i in range(n):
                        gb[k, i] += z[i]
                        dGt[k, a0, i] += v0 * z[i]
                    for q in range(s + 1, e):
                        a = inv[q]
                        v = vals[q]
                        for i in range(n):
                            dGt[k, a, i] += v * z[i]
            loss[k] = acc
            nnz[k] = cnt

    return kernel


def gram_pass(W, b, batch, need_grad: bool = True, per_sample: bool = False) -> dict:
    """Sums over the non-empty samples of one sparse batch, for K models at once (engine; chapter 2).

    ``W`` (K, n, m) and ``b`` (K, n) are CPU tensors (float32 or float64), ``batch`` a
    :class:`superscale.training.SparseBatch` with at least one active entry. Returns a dict with
    ``loss`` (K,) float64, the summed loss Σ_samples ‖relu(z) − x‖²; ``nnz`` (K,) the number of
    non-zero entries of dL/dz; with ``need_grad`` the raw sums ``gW`` = Σ dL/dz-terms of the gradient
    with respect to W and ``gb`` = Σ_samples (relu(z) − x)·1[z > 0] (both to be scaled by the caller);
    with ``per_sample`` ``sample_loss`` (K, n_rows).
    """
    import numba
    import torch

    kernel = _compiled()  # first: it chooses Numba's threading layer, which set_num_threads starts
    numba.set_num_threads(max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS)))
    K, n, m = W.shape
    rl, cols, vals, R = batch.rows, batch.cols, batch.vals, batch.n_rows
    U, inv = torch.unique(cols, return_inverse=True)
    WU = W[:, U, :]  # (K, u, m)
    Gt = torch.bmm(WU, W.transpose(1, 2))  # (K, u, n): the Gram columns G[:, U], stored as rows
    ptr = torch.zeros(R + 1, dtype=torch.int64)
    ptr[1:] = torch.cumsum(torch.bincount(rl, minlength=R), 0)
    dGt = torch.empty_like(Gt) if need_grad else Gt.new_empty(1, 1, 1)
    gb = torch.empty_like(b) if need_grad else b.new_empty(1, 1)
    loss = torch.empty(K, dtype=torch.float64)
    nnz = torch.empty(K, dtype=torch.int64)
    rowloss = torch.empty(K, R if per_sample else 1, dtype=W.dtype)
    vals = vals.to(W.dtype)
    kernel(
        Gt.numpy(),
        b.contiguous().numpy(),
        ptr.numpy(),
        inv.numpy(),
        cols.numpy(),
        vals.numpy(),
        dGt.numpy(),
        gb.numpy(),
        loss.numpy(),
        rowloss.numpy(),
        nnz.numpy(),
        need_grad,
        per_sample,
    )
    out = {"loss": loss, "nnz": nnz}
    if per_sample:
        out["sample_loss"] = rowloss
    if need_grad:
        gW = torch.bmm(dGt.transpose(1, 2), WU)  # dG_U W_U
        gW.index_add_(1, U, torch.bmm(dGt, W))  # rows U: dG_Uᵀ W
        out["gW"] = gW
        out["gb"] = gb
    return out
