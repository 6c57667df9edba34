"""The toy model y = ReLU(W Wᵀ x + b) and the measurements made on a trained W (chapters 2-5).

W has shape (n, m): row W_i represents feature i (features ranked by frequency, i = 1 first).
All measurement functions accept a NumPy array or a torch tensor of shape (n, m) and return
plain Python floats or NumPy arrays; they work in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .fit import PowerLawFit, fit_power_law

__all__ = [
    "init_params",
    "forward",
    "row_norms",
    "phi_half",
    "phi_one",
    "overlap_stats",
    "OverlapStats",
    "ambiguity",
    "random_overlap_mean",
    "random_overlap_var",
    "measure",
    "norm_histogram",
    "fit_alpha_m",
]


def _as_np(W) -> np.ndarray:
    if hasattr(W, "detach"):
        W = W.detach().cpu().numpy()
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.size == 0:
        raise ValueError(f"W must be a non-empty 2-D array of shape (n, m), got shape {W.shape}")
    return W


def init_params(n: int, m: int, generator=None, dtype=None, device=None):
    """Initial (W, b) as in the paper's code: W_ij ~ N(0, 1/m), b_i ~ N(0, 1) (chapter 2).

    Returns two torch tensors of shapes (n, m) and (n,). Raises ``ValueError`` unless 1 <= m < n.
    """
    import torch

    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"n (number of features) must be an integer >= 2, got {n!r}")
    if not (isinstance(m, (int, np.integer)) and 1 <= m < n):
        raise ValueError(f"m (hidden width) must be an integer with 1 <= m < n = {n}, got {m!r}")
    dtype = dtype or torch.float32
    W = torch.randn(n, m, generator=generator, dtype=dtype, device=device) / math.sqrt(m)
    b = torch.randn(n, generator=generator, dtype=dtype, device=device)
    return W, b


def forward(W, b, x):
    """The toy model's output ReLU(x W Wᵀ + b) for a batch x of shape (batch, n) (chapter 2)."""
    import torch

    return torch.relu((x @ W) @ W.T + b)


def row_norms(W) -> np.ndarray:
    """Euclidean norms ‖W_i‖ of the n rows of W, shape (n,) (chapters 2, 4, 5)."""
    return np.linalg.norm(_as_np(W), axis=1)


def phi_half(W) -> float:
    """Represented fraction φ_1/2 = |{i : ‖W_i‖ > 1/2}| / n (chapter 2; the paper's Eq. 3)."""
    return float(np.mean(row_norms(W) > 0.5))


def phi_one(W) -> float:
    """Strongly represented fraction φ_1 = |{i : ‖W_i‖ > 1}| / n (chapter 4; the paper's Eq. 9)."""
    return float(np.mean(row_norms(W) > 1.0))


@dataclass(frozen=True)
class OverlapStats:
    """Mean and variance of the squared overlaps (Ŵ_i·Ŵ_j)², i ≠ j, over ``count`` rows (chapter 5).

    ``mean`` and ``var`` are NaN when fewer than 2 rows were selected.
    """

    mean: float
    var: float
    count: int


def overlap_stats(W, rows=None, eps: float = 1e-9, block: int = 2048) -> OverlapStats:
    """Squared-overlap statistics of the normalised rows Ŵ_i = W_i/(‖W_i‖ + eps) (chapters 4-5).

    ``rows`` is an optional boolean mask or index array selecting the rows (e.g. ``row_norms(W) > 1``
    for the strongly represented features, the paper's Fig. 5c-d). Pairs i ≠ j only. The mean uses
    the m×m Gram trick Σ_{i≠j} c_ij² = ‖ŴᵀŴ‖_F² − Σ_i ‖Ŵ_i‖⁴; the variance needs Σ c_ij⁴ and is
    accumulated in row blocks of ``block`` rows, so no n×n matrix larger than block×n is formed.
    """
    W = _as_np(W)
    if rows is not None:
        W = W[np.asarray(rows)]
    k = W.shape[0]
    if k < 2:
        return OverlapStats(float("nan"), float("nan"), int(k))
    U = W / (np.linalg.norm(W, axis=1, keepdims=True) + eps)
    d4 = np.sum(np.sum(U * U, axis=1) ** 2)  # Σ_i (Ŵ_i·Ŵ_i)², the diagonal to remove
    M = U.T @ U
    s2 = float(np.sum(M * M) - d4)
    s4 = 0.0
    for start in range(0, k, block):
        C = U[start : start + block] @ U.T
        s4 += float(np.sum((C * C) ** 2))
    s4 -= float(np.sum(np.sum(U * U, axis=1) ** 4))
    pairs = k * (k - 1)
    mean = s2 / pairs
    var = max(s4 / pairs - mean**2, 0.0)
    return OverlapStats(float(mean), float(var), int(k))


def random_overlap_mean(m: int) -> float:
    """E[(u·v)²] = 1/m for independent random unit vectors in R^m (chapter 5)."""
    return 1.0 / m


def random_overlap_var(m: int) -> float:
    """Var[(u·v)²] = 2(m − 1)/(m²(m + 2)) for independent random unit vectors in R^m (chapter 5)."""
    return 2.0 * (m - 1) / (m * m * (m + 2))


def ambiguity(W) -> float:
    """Distance from no superposition, ‖W Wᵀ − Z‖₂ with Z = diag(I_m, 0) (chapter 3; paper App. D.5).

    Computed exactly without the n×n matrix: W Wᵀ − Z = U S Uᵀ with U = [W, E_m] (n × 2m) and
    S = diag(I, −I); with U = QR its non-zero eigenvalues are those of R S Rᵀ (2m × 2m).
    """
    W = _as_np(W)
    n, m = W.shape
    if m > n:
        raise ValueError(f"W must have m <= n, got shape {W.shape}")
    E = np.zeros((n, m))
    E[np.arange(m), np.arange(m)] = 1.0
    U = np.concatenate([W, E], axis=1)
    _, R = np.linalg.qr(U, mode="reduced")
    S = np.concatenate([np.ones(m), -np.ones(m)])
    A = (R * S) @ R.T
    ev = np.linalg.eigvalsh((A + A.T) / 2)
    return float(np.max(np.abs(ev)))


def norm_histogram(W, bins: np.ndarray) -> np.ndarray:
    """Counts of the row norms of W in the given bin edges (chapters 2, 4); values beyond the edges
    are clipped into the first and last bins."""
    r = np.clip(row_norms(W), bins[0], np.nextafter(bins[-1], -np.inf))
    return np.histogram(r, bins=bins)[0]


def measure(W) -> dict:
    """All scalar measurements of one trained W, as a dict (chapters 2-5; used by the sweeps).

    Keys: phi_half, phi_one, n_gt1 (rows with norm > 1), overlap_mean_all, overlap_var_all,
    overlap_mean_gt1, overlap_var_gt1, ambiguity.
    """
    W = _as_np(W)
    norms = np.linalg.norm(W, axis=1)
    a = overlap_stats(W)
    g = overlap_stats(W, rows=norms > 1.0)
    return {
        "phi_half": float(np.mean(norms > 0.5)),
        "phi_one": float(np.mean(norms > 1.0)),
        "n_gt1": int(np.sum(norms > 1.0)),
        "overlap_mean_all": a.mean,
        "overlap_var_all": a.var,
        "overlap_mean_gt1": g.mean,
        "overlap_var_gt1": g.var,
        "ambiguity": ambiguity(W),
    }


def fit_alpha_m(widths, losses, start: int = 0) -> PowerLawFit:
    """The model exponent α_m: least-squares fit of ln L on ln m, L ∝ m^(−α_m) (chapters 3-4).

    ``start`` skips the first points (the paper fits the large strong power-law runs from the 3rd
    width). Returns a :class:`superscale.fit.PowerLawFit` (exponent = α_m, its standard error, R²).
    """
    widths = np.asarray(widths, dtype=float)[start:]
    losses = np.asarray(losses, dtype=float)[start:]
    return fit_power_law(widths, losses)
