"""Closed-form predictions for the loss (chapters 1, 3 and 4).

Weak superposition (the paper's Eq. 4): a model that represents exactly the m most frequent
features, with the optimal bias b_i = <x_i> for the others, has loss

    L(m) = Σ_{i>m} Var(x_i) = Σ_{i>m} (<v²> p_i − <v>² p_i²).
"""

from __future__ import annotations

import numpy as np

from .data import V2_MEAN, V_MEAN


def _sorted_p(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"p must be a non-empty 1-D array, got shape {p.shape}")
    if np.any(p < 0) or np.any(p > 1) or not np.all(np.isfinite(p)):
        raise ValueError("p must hold probabilities in [0, 1]")
    return np.sort(p)[::-1]


def weak_loss(p, m) -> np.ndarray | float:
    """Loss Σ_{i>m} (<v²> p_i − <v>² p_i²) when the m most frequent features are represented.

    ``m`` may be a scalar or an array of integers in [0, n]; features are ranked by ``p``
    (chapter 1, chapter 3's prediction line). Uses a cumulative sum, O(n + len(m)).
    """
    ps = _sorted_p(p)
    n = ps.size
    m_arr = np.asarray(m)
    if not np.issubdtype(m_arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(m_arr, 1), 0)):
            raise ValueError("m (number of represented features) must be an integer")
        m_arr = m_arr.astype(int)
    if np.any(m_arr < 0) or np.any(m_arr > n):
        raise ValueError(f"m (number of represented features) must be in [0, {n}], got {m}")
    var = V2_MEAN * ps - V_MEAN**2 * ps**2
    tail = np.concatenate([np.cumsum(var[::-1])[::-1], [0.0]])  # tail[k] = Σ_{i>k} var (0-based)
    out = tail[m_arr]
    return float(out) if out.ndim == 0 else out


def weak_loss_integral(phi, n: int, alpha: float, E: float = 1.0):
    """Integral approximation of the weak-regime loss for p_i ∝ i^(-alpha) (the paper's Eq. 14 × <v²>E).

    ``phi`` is the represented fraction φ_1/2 in (0, 1]. Used in chapter 3 to draw the theory line.
    """
    phi = np.asarray(phi, dtype=float)
    if np.any(phi <= 0) or np.any(phi > 1):
        raise ValueError("phi (represented fraction) must be in (0, 1]")
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    if abs(alpha - 1.0) < 1e-9:
        frac = -np.log(phi) / np.log(n)
    else:
        a1 = 1.0 - alpha
        frac = (phi**a1 - 1.0) * n**a1 / (1.0 - n**a1)
    return V2_MEAN * E * frac
