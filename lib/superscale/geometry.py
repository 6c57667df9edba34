"""The geometry of packing many unit vectors into few dimensions (chapter 5).

In strong superposition the toy model stores n features as n rows W_i of an n × m matrix, with
n ≫ m. How much the rows interfere is measured by their *squared overlaps* c_ij² = (Ŵ_i · Ŵ_j)²,
Ŵ_i = W_i / ‖W_i‖. This module collects the reference points the book compares trained models with:

- random unit vectors: c² follows the Beta(1/2, (m − 1)/2) law exactly, with mean 1/m and variance
  2(m − 1)/(m²(m + 2));
- the Welch bound: for ν unit vectors in R^m the *mean* squared overlap, hence also the largest, is at
  least κ² = (ν − m)/(m(ν − 1)); it is met by tight frames (mean) and equiangular tight frames (max);
- constructions that meet it exactly: the simplex, Paley's conference-matrix frames (the icosahedron's
  6 diagonals in R³ is the smallest) and the 28 equiangular lines in R⁷;
- a numerical packer that lowers the largest (or the mean) squared overlap by gradient descent;
- the one-active-feature loss of the toy model (the paper's Eq. 8), which links overlaps to loss.

Everything works in float64 NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .paper import (  # noqa: F401  (moved to superscale.paper)
    PAPER_FIG5C_RATIO,
    PAPER_FIG5D_MEAN,
    PAPER_FIG16_PHI1,
)

__all__ = [
    "squared_overlap_distribution",
    "squared_overlap_pdf",
    "squared_overlap_cdf",
    "random_overlap_mean",
    "random_overlap_var",
    "random_unit_vectors",
    "sample_squared_overlaps",
    "normalize_rows",
    "squared_overlaps",
    "OverlapSummary",
    "overlap_summary",
    "welch_bound",
    "welch_bound_paper",
    "orthoplex_bound",
    "max_overlap_lower_bound",
    "gerzon_limit",
    "frame_tightness",
    "simplex_frame",
    "paley_etf",
    "icosahedron_lines",
    "twenty_eight_lines",
    "PackResult",
    "pack_lines",
    "relu2_uniform_mean",
    "one_feature_loss",
    "packing_comparison",
    "known_etfs",
    "sweep_overlap_table",
    "PAPER_FIG5D_MEAN",
    "PAPER_FIG16_PHI1",
    "PAPER_FIG5C_RATIO",
]


def _check_dim(m, name: str = "m", low: int = 2) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < low:
        raise ValueError(f"{name} (dimension) must be an integer >= {low}, got {m!r}")
    return int(m)


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------------------------
# Random unit vectors
# --------------------------------------------------------------------------------------------


def squared_overlap_distribution(m: int):
    """The exact law of c² = (u · v)² for independent uniform unit vectors u, v in R^m (chapter 5).

    By rotation invariance c² has the law of u_1², the squared first coordinate of one random unit
    vector, which is Beta(1/2, (m − 1)/2). Returns the frozen ``scipy.stats.beta`` distribution.
    """
    from scipy import stats

    m = _check_dim(m)
    return stats.beta(0.5, (m - 1) / 2.0)


def squared_overlap_pdf(x, m: int) -> np.ndarray:
    """Density of the squared overlap of two random unit vectors in R^m at x ∈ (0, 1) (chapter 5)."""
    return squared_overlap_distribution(m).pdf(np.asarray(x, dtype=float))


def squared_overlap_cdf(x, m: int) -> np.ndarray:
    """Cumulative distribution of the squared overlap of two random unit vectors in R^m (chapter 5)."""
    return squared_overlap_distribution(m).cdf(np.asarray(x, dtype=float))


def random_overlap_mean(m: int) -> float:
    """E[c²] = 1/m for two independent random unit vectors in R^m (chapter 5)."""
    m = _check_dim(m, low=1)
    return 1.0 / m


def random_overlap_var(m: int) -> float:
    """Var[c²] = 2(m − 1)/(m²(m + 2)) for two independent random unit vectors in R^m (chapter 5)."""
    m = _check_dim(m, low=1)
    return 2.0 * (m - 1) / (m * m * (m + 2))


def random_unit_vectors(count: int, m: int, seed=None) -> np.ndarray:
    """``count`` independent uniform unit vectors in R^m, as the rows of a (count, m) array (chapter 5).

    ``seed`` is an int, ``None`` or a ``numpy.random.Generator``. Gaussian vectors divided by their
    norms are uniform on the sphere.
    """
    m = _check_dim(m, low=1)
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}")
    X = _rng(seed).standard_normal((int(count), m))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def sample_squared_overlaps(m: int, size: int, seed=None) -> np.ndarray:
    """``size`` independent squared overlaps (u · v)² of fresh pairs of random unit vectors in R^m
    (chapter 5). Each value uses its own pair, so the samples are i.i.d. Beta(1/2, (m − 1)/2)."""
    m = _check_dim(m)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be an integer >= 1, got {size!r}")
    rng = _rng(seed)
    u = random_unit_vectors(int(size), m, rng)
    v = random_unit_vectors(int(size), m, rng)
    return np.einsum("ij,ij->i", u, v) ** 2


# --------------------------------------------------------------------------------------------
# Overlap statistics of a given set of vectors
# --------------------------------------------------------------------------------------------


def _as_matrix(V, name: str = "V") -> np.ndarray:
    if hasattr(V, "detach"):
        V = V.detach().cpu().numpy()
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] < 1 or V.shape[1] < 1:
        raise ValueError(f"{name} must be a non-empty 2-D array (vectors as rows), got shape {V.shape}")
    if not np.all(np.isfinite(V)):
        raise ValueError(f"{name} must contain only finite numbers")
    return V


def _select(V: np.ndarray, rows) -> np.ndarray:
    if rows is None:
        return V
    rows = np.asarray(rows)
    if rows.dtype == bool:
        if rows.shape != (V.shape[0],):
            raise ValueError(f"rows as a mask must have shape ({V.shape[0]},), got {rows.shape}")
        return V[rows]
    if rows.size and (rows.min() < -V.shape[0] or rows.max() >= V.shape[0]):
        raise ValueError(f"rows indices must lie in [0, {V.shape[0] - 1}]")
    return V[rows.astype(int)]


def normalize_rows(V, eps: float = 1e-9) -> np.ndarray:
    """Rows divided by their norms, V_i / (‖V_i‖ + eps), as the paper normalises W (chapter 5)."""
    V = _as_matrix(V)
    return V / (np.linalg.norm(V, axis=1, keepdims=True) + eps)


def squared_overlaps(V, rows=None, eps: float = 1e-9) -> np.ndarray:
    """All squared overlaps (V̂_i · V̂_j)², i < j, of the normalised rows as a flat array (chapter 5).

    ``rows`` is an optional boolean mask or index array. Forms the full Gram matrix: meant for up to a
    few thousand rows; use :func:`overlap_summary` for statistics of larger sets.
    """
    U = _select(normalize_rows(V, eps), rows)
    G = U @ U.T
    iu = np.triu_indices(U.shape[0], 1)
    return G[iu] ** 2


@dataclass(frozen=True)
class OverlapSummary:
    """Statistics of the squared overlaps c_ij², i ≠ j, of ``count`` normalised vectors in R^``dim``
    (chapter 5). ``mean``, ``var`` and ``max`` are NaN when fewer than two vectors were selected."""

    mean: float
    var: float
    max: float
    count: int
    dim: int

    @property
    def random_mean(self) -> float:
        """1/m, the mean for random vectors in the same dimension."""
        return 1.0 / self.dim

    @property
    def var_ratio(self) -> float:
        """Variance relative to random vectors, var / (2(m − 1)/(m²(m + 2))); NaN if undefined."""
        rv = random_overlap_var(self.dim)
        return float(self.var / rv) if rv > 0 else float("nan")

    @property
    def welch(self) -> float:
        """κ², the Welch bound for this many vectors in this dimension (0 when count <= dim)."""
        return welch_bound(self.dim, self.count) if self.count >= 2 else float("nan")


def overlap_summary(V, rows=None, eps: float = 1e-9, block: int = 1024) -> OverlapSummary:
    """Mean, variance and maximum of the squared overlaps of the normalised rows of V (chapter 5).

    ``rows`` (boolean mask or index array) restricts the set, e.g. ``norms > 1`` for the paper's
    strongly represented features (Fig. 5c, d). Pairs i ≠ j only. Works in blocks of ``block`` rows,
    so no matrix larger than block × count is formed. An empty or one-row selection gives NaNs with
    ``count`` 0 or 1: check ``count`` before comparing.
    """
    U = _select(normalize_rows(V, eps), rows)
    k, m = U.shape
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"block must be an integer >= 1, got {block!r}")
    if k < 2:
        nan = float("nan")
        return OverlapSummary(nan, nan, nan, int(k), int(m))
    s2 = s4 = 0.0
    mx = 0.0
    for start in range(0, k, block):
        C = U[start : start + block] @ U.T
        idx = np.arange(C.shape[0])
        C[idx, start + idx] = 0.0  # drop the diagonal i = j
        C2 = C * C
        s2 += float(C2.sum())
        s4 += float((C2 * C2).sum())
        mx = max(mx, float(C2.max()))
    pairs = k * (k - 1)
    mean = s2 / pairs
    var = max(s4 / pairs - mean * mean, 0.0)
    return OverlapSummary(float(mean), float(var), float(mx), int(k), int(m))


def frame_tightness(V) -> float:
    """How far the normalised rows are from a tight frame, ‖ÛᵀÛ − (ν/m) I‖_F / ‖(ν/m) I‖_F (chapter 5).

    0 for a tight frame (Σ_i Û_i Û_iᵀ proportional to the identity); tight frames are exactly the sets
    whose mean squared overlap equals the Welch bound.
    """
    U = normalize_rows(V, eps=0.0)
    nu, m = U.shape
    S = U.T @ U
    target = nu / m
    return float(np.linalg.norm(S - target * np.eye(m)) / (target * math.sqrt(m)))


# --------------------------------------------------------------------------------------------
# Bounds
# --------------------------------------------------------------------------------------------


def welch_bound(m, nu) -> float:
    """The Welch bound κ² = (ν − m)/(m(ν − 1)) on squared overlaps of ν unit vectors in R^m (chapter 5).

    For any ν unit vectors with ν > m, the mean of the ν(ν − 1) squared overlaps, and so also the
    largest, is at least κ². The mean meets it exactly for tight frames, the maximum for equiangular
    tight frames. For ν <= m the vectors can be orthogonal and the bound is 0. ``m`` >= 1 and
    ``nu`` > 1 may be non-integer (the paper uses ν = m²/2); arrays broadcast.
    """
    m_arr = np.asarray(m, dtype=float)
    nu_arr = np.asarray(nu, dtype=float)
    if np.any(~np.isfinite(m_arr)) or np.any(m_arr < 1):
        raise ValueError(f"m must be >= 1, got {m!r}")
    if np.any(~np.isfinite(nu_arr)) or np.any(nu_arr <= 1):
        raise ValueError(f"nu (number of vectors) must be > 1, got {nu!r}")
    k2 = np.maximum((nu_arr - m_arr) / (m_arr * (nu_arr - 1.0)), 0.0)
    return float(k2) if k2.ndim == 0 else k2


def welch_bound_paper(m, n) -> float:
    """κ² with ν = min(n, m²/2), the paper's reference line for the norm > 1 rows (chapter 5, Fig. 5d).

    About m²/2 features are strongly represented at width m (the paper's Fig. 16), never more than n.
    Check values for n = 1000: 0.0816, 0.0583, 0.0369, 0.0244, 0.0149, 0.0090 at m = 10, 15, 25, 39,
    63, 100.
    """
    m_arr = np.asarray(m, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(m_arr < 2):
        raise ValueError(f"m must be >= 2 (so that m²/2 > 1), got {m!r}")
    if np.any(n_arr < 2):
        raise ValueError(f"n (number of features) must be >= 2, got {n!r}")
    return welch_bound(m_arr, np.minimum(n_arr, m_arr**2 / 2.0))


def gerzon_limit(m: int) -> int:
    """m(m + 1)/2, the most equiangular lines that can exist in R^m (chapter 5)."""
    m = _check_dim(m, low=1)
    return m * (m + 1) // 2


def orthoplex_bound(m, nu) -> float:
    """The orthoplex bound: more than m(m + 1)/2 lines in R^m must have a squared overlap >= 1/m
    (chapter 5). Returns 1/m when ν > m(m + 1)/2, otherwise 0 (no constraint)."""
    m_arr = np.asarray(m, dtype=float)
    nu_arr = np.asarray(nu, dtype=float)
    if np.any(m_arr < 1):
        raise ValueError(f"m must be >= 1, got {m!r}")
    if np.any(nu_arr <= 1):
        raise ValueError(f"nu (number of vectors) must be > 1, got {nu!r}")
    out = np.where(nu_arr > m_arr * (m_arr + 1) / 2.0, 1.0 / m_arr, 0.0)
    return float(out) if out.ndim == 0 else out


def max_overlap_lower_bound(m, nu) -> float:
    """The larger of the Welch and orthoplex bounds on the largest squared overlap (chapter 5)."""
    return np.maximum(welch_bound(m, nu), orthoplex_bound(m, nu))


# --------------------------------------------------------------------------------------------
# Frames that meet the Welch bound
# --------------------------------------------------------------------------------------------


def _embed_in_hyperplane(X: np.ndarray) -> np.ndarray:
    """Coordinates of rows lying in the hyperplane ⊥ (1, …, 1) of R^k, in an orthonormal basis of it."""
    k = X.shape[1]
    # Orthonormal basis of the complement of the all-ones vector: QR of [1 | e_1 … e_{k-1}].
    A = np.concatenate([np.ones((k, 1)), np.eye(k)[:, : k - 1]], axis=1)
    Q, _ = np.linalg.qr(A)
    return X @ Q[:, 1:]


def simplex_frame(m: int) -> np.ndarray:
    """The m + 1 vertices of a regular simplex centred at 0, as unit vectors in R^m (chapter 5).

    Every pair has overlap −1/m, so every squared overlap is 1/m², which is the Welch bound for
    ν = m + 1: the simplest equiangular tight frame. Shape (m + 1, m).
    """
    m = _check_dim(m, low=1)
    E = np.eye(m + 1) - 1.0 / (m + 1)  # standard basis minus the centroid
    V = _embed_in_hyperplane(E)
    return V / np.linalg.norm(V, axis=1, keepdims=True)


def _is_prime(p: int) -> bool:
    return p >= 2 and all(p % d for d in range(2, math.isqrt(p) + 1))


def paley_etf(p: int) -> np.ndarray:
    """Paley's equiangular tight frame: p + 1 unit vectors in R^((p+1)/2) with all squared overlaps
    1/p, for a prime p ≡ 1 (mod 4) (chapter 5).

    Built from the symmetric conference matrix C of order p + 1 (C = [[0, 1ᵀ], [1, Q]] with
    Q_ij = Legendre symbol of j − i mod p). C² = p I, so G = I + C/√p is a Gram matrix with
    eigenvalues 0 and 2 and unit diagonal; its range gives the vectors. p = 5 is the 6 diagonals of
    the icosahedron; p = 13, 17, 29, … give 14 lines in R⁷, 18 in R⁹, 30 in R¹⁵, …
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not _is_prime(int(p)) or p % 4 != 1:
        raise ValueError(f"p must be a prime with p ≡ 1 (mod 4) (5, 13, 17, 29, 37, 41, …), got {p!r}")
    p = int(p)
    squares = {(k * k) % p for k in range(1, p)}
    chi = np.array([0] + [1 if r in squares else -1 for r in range(1, p)], dtype=float)
    idx = (np.arange(p)[None, :] - np.arange(p)[:, None]) % p
    C = np.zeros((p + 1, p + 1))
    C[0, 1:] = C[1:, 0] = 1.0
    C[1:, 1:] = chi[idx]
    G = np.eye(p + 1) + C / math.sqrt(p)
    w, vecs = np.linalg.eigh(G)
    half = (p + 1) // 2
    V = vecs[:, -half:] * np.sqrt(w[-half:])
    return V / np.linalg.norm(V, axis=1, keepdims=True)


def icosahedron_lines() -> np.ndarray:
    """The 6 diagonals of the regular icosahedron as unit vectors in R³ (chapter 5).

    All squared overlaps equal 1/5, the Welch bound for ν = 6, m = 3 (and 6 = 3·4/2 is the most
    equiangular lines R³ can hold).
    """
    g = (1 + math.sqrt(5)) / 2
    V = np.array([[0, 1, g], [0, 1, -g], [1, g, 0], [1, -g, 0], [g, 0, 1], [-g, 0, 1]], dtype=float)
    return V / np.linalg.norm(V, axis=1, keepdims=True)


def twenty_eight_lines() -> np.ndarray:
    """The 28 equiangular lines in R⁷ as unit vectors (chapter 5).

    In R⁸ take every vector with two entries 3 and six entries −1: they are orthogonal to (1, …, 1),
    so they live in a 7-dimensional space, and any two have overlap ±1/3. Squared overlaps 1/9 meet
    the Welch bound for ν = 28, m = 7, and 28 = 7·8/2 is the most lines R⁷ can hold.
    """
    from itertools import combinations

    X = []
    for a, b in combinations(range(8), 2):
        x = -np.ones(8)
        x[[a, b]] = 3.0
        X.append(x)
    V = _embed_in_hyperplane(np.array(X))
    return V / np.linalg.norm(V, axis=1, keepdims=True)


# --------------------------------------------------------------------------------------------
# A numerical packer
# --------------------------------------------------------------------------------------------


@dataclass
class PackResult:
    """Outcome of :func:`pack_lines` (chapter 5): the best vectors found and their statistics.

    ``vectors`` has unit rows, shape (ν, m). ``start_*`` describe the initial vectors. ``history``
    holds the exact objective (largest or mean squared overlap) every ``record_every`` steps.
    """

    vectors: np.ndarray
    objective: str
    max_sq_overlap: float
    mean_sq_overlap: float
    start_max_sq_overlap: float
    start_mean_sq_overlap: float
    welch: float
    steps: int
    history: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))


def _surrogate_and_grad(U: np.ndarray, G: np.ndarray, C2: np.ndarray, pw: float, objective: str):
    """The packer's smooth objective at unit rows U and its gradient with respect to the unnormalised
    rows X at X = U (G = U Uᵀ, C2 = G² with a zero diagonal). Each unordered pair counts once."""
    nu = U.shape[0]
    pairs = nu * (nu - 1) / 2.0
    if objective == "max":
        # L = top·(mean_{i<j} q^p)^(1/p) with q = c²/top; dL/dc²_ij = M^(1/p − 1) q^(p−1) / pairs
        top = max(float(C2.max()), 1e-300)
        Q = C2 / top
        Qp1 = Q ** (pw - 1.0)
        M = float((Qp1 * Q).sum() / (2 * pairs))
        value = top * M ** (1.0 / pw)
        F = M ** (1.0 / pw - 1.0) * Qp1 / pairs
    else:
        value = float(C2.sum() / (2 * pairs))
        F = np.full_like(C2, 1.0 / pairs)
    np.fill_diagonal(F, 0.0)
    grad_U = (2.0 * F * G) @ U  # G = U Uᵀ: dL/dU = (dL/dG + dL/dGᵀ) U
    # through U = X/‖X‖ at ‖X‖ = 1: remove the radial part
    return value, grad_U - np.sum(grad_U * U, axis=1, keepdims=True) * U


def pack_lines(
    nu: int,
    m: int,
    objective: str = "max",
    steps: int = 1500,
    lr: float = 0.01,
    lr_final_ratio: float = 0.1,
    p_start: float = 2.0,
    p_end: float = 1000.0,
    seed=0,
    init=None,
    record_every: int = 50,
) -> PackResult:
    """Spread ν unit vectors in R^m so that their largest (or mean) squared overlap is small (chapter 5).

    Adam on unconstrained vectors X, renormalised to unit rows after every step. For
    ``objective="max"`` the loss is a smooth stand-in for the largest squared overlap, the p-norm
    (mean_{i<j} c_ij^(2p))^(1/p), with p raised geometrically from ``p_start`` to ``p_end`` so the
    descent first spreads all pairs and then pushes on the worst ones. For ``objective="mean"`` the
    loss is the mean squared overlap itself (its minimum, κ², is reached by any tight frame).
    The learning rate decays geometrically to ``lr_final_ratio`` × ``lr``. The best iterate is kept,
    so the result is never worse than the start. ``init`` (shape (ν, m)) replaces the random start.
    A local method: it can stop above the best packing known, especially for ν ≫ m. Plain NumPy.
    """
    nu = _check_dim(nu, "nu", low=2)
    m = _check_dim(m, low=1)
    if objective not in ("max", "mean"):
        raise ValueError(f"objective must be 'max' or 'mean', got {objective!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not 0 < lr_final_ratio <= 1:
        raise ValueError(f"lr_final_ratio must be in (0, 1], got {lr_final_ratio!r}")
    if not 1 <= p_start <= p_end:
        raise ValueError(f"need 1 <= p_start <= p_end, got p_start={p_start!r}, p_end={p_end!r}")
    if isinstance(record_every, bool) or not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ValueError(f"record_every must be an integer >= 1, got {record_every!r}")
    if init is None:
        X0 = random_unit_vectors(nu, m, seed)
    else:
        X0 = _as_matrix(init, "init")
        if X0.shape != (nu, m):
            raise ValueError(f"init must have shape (nu, m) = ({nu}, {m}), got {X0.shape}")
        if np.any(np.linalg.norm(X0, axis=1) == 0):
            raise ValueError("init must not contain zero rows")
        X0 = X0 / np.linalg.norm(X0, axis=1, keepdims=True)

    def exact(U: np.ndarray) -> tuple[float, float]:
        s = overlap_summary(U, eps=0.0)
        return s.max, s.mean

    start_max, start_mean = exact(X0)
    key = 0 if objective == "max" else 1
    best = (start_max, start_mean)
    best_X = X0.copy()
    history = [best[key]]

    # Adam by hand (β = 0.9, 0.999, ε = 1e-8, as torch.optim.Adam), with the exact gradient below.
    beta1, beta2, adam_eps = 0.9, 0.999, 1e-8
    X = X0.copy()
    mom = np.zeros_like(X)
    vel = np.zeros_like(X)
    pairs = nu * (nu - 1) / 2.0
    off = ~np.eye(nu, dtype=bool)
    ps = np.geomspace(p_start, p_end, max(steps, 1))
    step_lr = lr
    decay = lr_final_ratio ** (1.0 / max(steps, 1))
    for t in range(steps):
        U = X  # rows have unit norm here
        G = U @ U.T
        C2 = G * G
        C2[~off] = 0.0
        cur = (float(C2.max()), float(C2.sum() / (2 * pairs)))
        if cur[key] < best[key]:  # score the iterate before this step exactly
            best, best_X = cur, U.copy()
        if t % record_every == 0 and t > 0:
            history.append(cur[key])
        _, g = _surrogate_and_grad(U, G, C2, ps[t], objective)
        mom = beta1 * mom + (1 - beta1) * g
        vel = beta2 * vel + (1 - beta2) * g * g
        k = t + 1
        denom = np.sqrt(vel) / math.sqrt(1 - beta2**k) + adam_eps
        X = X - (step_lr / (1 - beta1**k)) * mom / denom
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
        step_lr *= decay
    U_final = X
    fin = exact(U_final)
    if fin[key] < best[key]:
        best, best_X = fin, U_final.copy()
    best_X = best_X / np.linalg.norm(best_X, axis=1, keepdims=True)
    bmax, bmean = exact(best_X)
    return PackResult(
        vectors=best_X,
        objective=objective,
        max_sq_overlap=bmax,
        mean_sq_overlap=bmean,
        start_max_sq_overlap=start_max,
        start_mean_sq_overlap=start_mean,
        welch=welch_bound(m, nu),
        steps=int(steps),
        history=np.asarray(history),
    )


# --------------------------------------------------------------------------------------------
# From overlaps to loss
# --------------------------------------------------------------------------------------------


def relu2_uniform_mean(a, b) -> np.ndarray:
    """⟨ReLU(a v + b)²⟩ for v ~ Uniform(0, 2), exactly, elementwise over arrays a, b (chapter 5).

    With x = ReLU(2a + b) and y = ReLU(b): (x² + xy + y²)/3 when both ends are positive, else
    (x³ − y³)/(6a) (the integral of (a v + b)² over the part of [0, 2] where it is positive, halved).
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    x = np.maximum(2 * a + b, 0.0)
    y = np.maximum(b, 0.0)
    out = np.zeros(x.shape)
    live = (x > 0) | (y > 0)  # elsewhere the ReLU is 0 on all of [0, 2]; usually most entries
    a, x, y = a[live], x[live], y[live]
    both = (x > 0) & (y > 0)
    safe_a = np.where(a == 0, 1.0, a)
    one_side = np.where(a == 0, 0.0, (x**3 - y**3) / (6 * safe_a))
    out[live] = np.where(both, (x * x + x * y + y * y) / 3.0, one_side)
    return out if out.ndim else float(out)


def one_feature_loss(W, b, p, block: int = 512) -> dict:
    """The toy model's loss when exactly one feature is active at a time (the paper's Eq. 8; chapter 5).

    Feature j is active with weight p_j and value v ~ Uniform(0, 2); output i ≠ j is then
    ReLU(W_i·W_j v + b_i) against a target 0 (interference), output j is ReLU(‖W_j‖² v + b_j)
    against v (self). Returns a dict with ``interference`` = Σ_j p_j Σ_{i≠j} ⟨ReLU²(W_i·W_j v + b_i)⟩,
    ``self`` = Σ_j p_j ⟨(ReLU(‖W_j‖² v + b_j) − v)²⟩, ``total`` (their sum), and
    ``interference_per_feature`` (the inner sums, shape (n,)). Losses are summed over outputs, as in
    the paper. Works in blocks of ``block`` active features.
    """
    W = _as_matrix(W, "W")
    n = W.shape[0]
    b = np.asarray(b, dtype=float).reshape(-1)
    p = np.asarray(p, dtype=float).reshape(-1)
    if b.shape != (n,):
        raise ValueError(f"b must have shape ({n},) to match W, got {b.shape}")
    if p.shape != (n,) or np.any(p < 0) or np.any(p > 1):
        raise ValueError(f"p must have shape ({n},) with entries in [0, 1], got shape {p.shape}")
    per = np.zeros(n)
    for start in range(0, n, block):
        j = np.arange(start, min(start + block, n))
        A = W[j] @ W.T  # (block, n): overlaps W_j · W_i
        R = relu2_uniform_mean(A, b[None, :])
        R[np.arange(j.size), j] = 0.0  # the active feature's own output is the self term
        per[j] = R.sum(axis=1)
    # Self term by Gauss-Legendre quadrature on [0, 2] (64 nodes; the kink makes it accurate to ~1e-6).
    nodes, weights = np.polynomial.legendre.leggauss(64)
    v = nodes + 1.0  # map [-1, 1] to [0, 2]; the mean over v is Σ w f / 2
    sq = np.sum(W * W, axis=1)
    err = (np.maximum(sq[:, None] * v[None, :] + b[:, None], 0.0) - v[None, :]) ** 2
    self_term = err @ weights / 2.0
    interference = float(p @ per)
    selfl = float(p @ self_term)
    return {
        "interference": interference,
        "self": selfl,
        "total": interference + selfl,
        "interference_per_feature": per,
    }


# --------------------------------------------------------------------------------------------
# Tables for chapter 5
# --------------------------------------------------------------------------------------------


def known_etfs() -> list[dict]:
    """The equiangular tight frames built by this module, one dict each (name, m, nu, vectors) (chapter 5)."""
    out = [
        {"name": f"simplex in R^{m}", "m": m, "nu": m + 1, "vectors": simplex_frame(m)} for m in (3, 7, 10)
    ]
    out.append({"name": "icosahedron diagonals", "m": 3, "nu": 6, "vectors": icosahedron_lines()})
    for p in (13, 17, 29):
        V = paley_etf(p)
        out.append({"name": f"Paley, p = {p}", "m": V.shape[1], "nu": V.shape[0], "vectors": V})
    out.append({"name": "28 lines in R^7", "m": 7, "nu": 28, "vectors": twenty_eight_lines()})
    return out


def packing_comparison(m: int, nus, steps: int = 600, draws: int = 5, seed: int = 0) -> list[dict]:
    """For ν vectors in R^m, ν in ``nus``: random vectors, the packer, and the bounds (chapter 5, Fig. 5.2).

    Each row: m, nu, random_max and random_mean (medians over ``draws`` random sets), packed_max,
    packed_mean (:func:`pack_lines` from a random start, ``steps`` steps), welch (κ²), bound (the larger
    of Welch and orthoplex).
    """
    m = _check_dim(m)
    rows = []
    rng = np.random.default_rng(seed)
    for nu in np.asarray(nus, dtype=int):
        if nu < 2:
            raise ValueError(f"every nu must be >= 2, got {nu}")
        rs = [overlap_summary(random_unit_vectors(int(nu), m, rng), eps=0.0) for _ in range(draws)]
        pk = pack_lines(int(nu), m, steps=steps, seed=int(rng.integers(2**31)))
        rows.append(
            {
                "m": m,
                "nu": int(nu),
                "random_max": float(np.median([r.max for r in rs])),
                "random_mean": float(np.median([r.mean for r in rs])),
                "packed_max": pk.max_sq_overlap,
                "packed_mean": pk.mean_sq_overlap,
                "welch": float(welch_bound(m, nu)),
                "bound": float(max_overlap_lower_bound(m, nu)),
            }
        )
    return rows


def sweep_overlap_table(ds):
    """The overlap measurements of a merged sweep (``superscale.sweep.load_sweep``) as a flat
    ``pandas.DataFrame`` with one row per trained model (chapter 5).

    Columns: alpha, gamma, m, final_loss, phi_one, n_gt1, overlap_mean_gt1, overlap_var_gt1,
    overlap_mean_all, overlap_var_all, plus inv_m (1/m), kappa2 (:func:`welch_bound_paper` with the
    sweep's n), mean_ratio (overlap_mean_gt1 · m), var_ratio (overlap_var_gt1 over the random value,
    NaN when fewer than 3 rows have norm > 1). Untrained entries are dropped.
    """
    import xarray as xr

    names = [
        "final_loss",
        "phi_one",
        "n_gt1",
        "overlap_mean_gt1",
        "overlap_var_gt1",
        "overlap_mean_all",
        "overlap_var_all",
    ]
    missing = [k for k in names + ["completed"] if k not in ds]
    if missing:
        raise ValueError(f"ds must be a merged sweep with variables {names}; missing {missing}")
    keep = {}
    for k in names + ["completed"]:
        da = ds[k]
        if "alpha" not in da.dims:
            da = da.expand_dims(alpha=[float(ds["alpha"])] if "alpha" in ds.coords else [1.0])
        extra = [d for d in da.dims if d not in ("alpha", "gamma", "m")]
        for d in extra:  # e.g. seed or E: keep the first entry
            da = da.isel({d: 0})
        keep[k] = da.transpose("alpha", "gamma", "m")
    df = xr.Dataset(keep).to_dataframe().reset_index()
    df = df[df["completed"].astype(bool)].drop(columns=["completed"])
    df = df[[c for c in df.columns if c in ["alpha", "gamma", "m"] + names]]
    n = int(ds.attrs.get("n", ds.sizes.get("feature", 1000)))
    df["inv_m"] = 1.0 / df["m"]
    df["kappa2"] = welch_bound_paper(df["m"].to_numpy(), n)
    df["mean_ratio"] = df["overlap_mean_gt1"] * df["m"]
    rv = 2.0 * (df["m"] - 1) / (df["m"] ** 2 * (df["m"] + 2))
    df["var_ratio"] = np.where(df["n_gt1"] >= 3, df["overlap_var_gt1"] / rv, np.nan)
    return df.reset_index(drop=True)
