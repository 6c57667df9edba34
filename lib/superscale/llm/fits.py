"""Fits for the LLM evidence: loss against width, parameters against width (chapter 6).

* L = A/m^α + B_g, one offset B_g per (family, dataset) group (the paper's Eq. 6), by
  ``scipy.optimize.least_squares`` on the losses themselves, α with its standard error.
* N ∝ m^k, by ordinary least squares of ln N on ln m, with one intercept per family and a common
  slope (or a single family).
* α_m = k·α_N: the width exponent implied by a parameter exponent α_N, with propagated error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


def _finite_positive(name: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=float).ravel()
    if a.size == 0 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError(f"{name} must be a non-empty array of finite numbers > 0")
    return a


@dataclass(frozen=True)
class WidthLossFit:
    """Result of fitting L = A/m^α + B_g (chapter 6).

    ``alpha_se`` and ``A_se`` come from the Jacobian at the optimum (s² (JᵀJ)⁻¹ with
    s² = RSS/(N - p)). ``alpha_se_paper`` is the paper's own error formula (the standard error of
    the slope of ln(L - B_g) against ln m with N - 3 degrees of freedom), for comparison.
    """

    A: float
    A_se: float
    alpha: float
    alpha_se: float
    offsets: dict[str, float]
    offsets_se: dict[str, float]
    rss: float
    n_points: int
    alpha_se_paper: float

    @property
    def n_params(self) -> int:
        """2 + number of groups."""
        return 2 + len(self.offsets)

    @property
    def mse(self) -> float:
        """Mean squared residual (the paper reports 0.0052 for its 108 losses)."""
        return self.rss / self.n_points

    def model_part(self, m):
        """The width-dependent part A/m^α."""
        return self.A * np.asarray(m, dtype=float) ** (-self.alpha)

    def predict(self, m, group: str):
        """Fitted loss A/m^α + B_group."""
        return self.model_part(m) + self.offsets[str(group)]

    def __str__(self) -> str:
        return (
            f"α = {self.alpha:.4f} ± {self.alpha_se:.4f}, A = {self.A:.4g} ± {self.A_se:.2g}, "
            f"{len(self.offsets)} offsets, {self.n_points} points, MSE = {self.mse:.3g}"
        )


def paper_alpha_error(
    width: ArrayLike, loss: ArrayLike, groups: Sequence, A: float, alpha: float, offsets: dict[str, float]
) -> float:
    """The paper's slope error for the loss fit (its analysis notebook; chapter 6).

    √( Σ [ln(L - B_g) - ln(A m^-α)]² / Σ (ln m - mean ln m)² / (N - 3) ), with the terms of points
    where L - B_g <= 0 set to zero, as the paper's code does.
    """
    m = _finite_positive("width", width)
    L = np.asarray(loss, dtype=float).ravel()
    B = np.array([offsets[str(g)] for g in groups], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.log(L - B) - np.log(A * m ** (-alpha))
    d = np.where(np.isfinite(d), d, 0.0)
    lm = np.log(m)
    return float(math.sqrt(np.sum(d**2) / np.sum((lm - lm.mean()) ** 2) / (m.size - 3)))


def fit_loss_vs_width(
    width: ArrayLike, loss: ArrayLike, groups: Sequence, A0: float = 500.0, alpha0: float = 1.0
) -> WidthLossFit:
    """Fit L = A/m^α + B_g with one offset per group by nonlinear least squares (chapter 6, the paper's Eq. 6).

    ``width``: hidden widths m (> 0); ``loss``: losses in nats per token; ``groups``: one label per
    point (e.g. "OPT/wikitext"). The parameters are ln A, α and the offsets; residuals are in loss
    units, as in the paper (which minimised the mean squared error with Adam). Needs at least two
    distinct widths and more points than parameters.
    """
    from scipy.optimize import least_squares

    m = _finite_positive("width", width)
    L = np.asarray(loss, dtype=float).ravel()
    if L.shape != m.shape or not np.all(np.isfinite(L)):
        raise ValueError(f"loss must hold {m.size} finite numbers, one per width")
    g = [str(x) for x in groups]
    if len(g) != m.size:
        raise ValueError(f"groups must hold {m.size} labels, one per width, got {len(g)}")
    labels = sorted(set(g))
    idx = np.array([labels.index(x) for x in g])
    if np.unique(m).size < 2:
        raise ValueError("width must take at least two distinct values")
    p = 2 + len(labels)
    if m.size <= p:
        raise ValueError(f"need more points than parameters: {m.size} points, {p} parameters")
    if not (A0 > 0 and math.isfinite(alpha0)):
        raise ValueError(f"A0 must be > 0 and alpha0 finite, got {A0}, {alpha0}")
    lm = np.log(m)
    onehot = np.zeros((m.size, len(labels)))
    onehot[np.arange(m.size), idx] = 1.0

    def resid(th):
        return np.exp(th[0] - th[1] * lm) + th[2:][idx] - L

    def jac(th):
        part = np.exp(th[0] - th[1] * lm)
        return np.column_stack([part, -part * lm, onehot])

    B0 = np.array([np.mean(L[idx == k] - A0 * m[idx == k] ** (-alpha0)) for k in range(len(labels))])
    th0 = np.concatenate([[math.log(A0), alpha0], B0])
    res = least_squares(resid, th0, jac=jac, method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=20000)
    th = res.x
    r = resid(th)
    rss = float(r @ r)
    J = jac(th)
    s2 = rss / (m.size - p)
    cov = s2 * np.linalg.pinv(J.T @ J)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    A = float(math.exp(th[0]))
    offsets = {lab: float(th[2 + k]) for k, lab in enumerate(labels)}
    return WidthLossFit(
        A=A,
        A_se=A * float(se[0]),
        alpha=float(th[1]),
        alpha_se=float(se[1]),
        offsets=offsets,
        offsets_se={lab: float(se[2 + k]) for k, lab in enumerate(labels)},
        rss=rss,
        n_points=int(m.size),
        alpha_se_paper=paper_alpha_error(m, L, g, A, float(th[1]), offsets),
    )


@dataclass(frozen=True)
class SizeWidthFit:
    """Result of fitting ln N = k ln m + c_family (chapter 6): N ∝ m^k with one intercept per family."""

    k: float
    k_se: float
    intercepts: dict[str, float]
    r2: float
    n_points: int

    def predict(self, m, family: str | None = None):
        """Fitted N at width m for ``family`` (the only family if there is one)."""
        if family is None:
            if len(self.intercepts) != 1:
                raise ValueError(f"family must be one of {sorted(self.intercepts)}")
            family = next(iter(self.intercepts))
        return np.exp(self.intercepts[family]) * np.asarray(m, dtype=float) ** self.k

    def __str__(self) -> str:
        return (
            f"k = {self.k:.3f} ± {self.k_se:.3f} ({self.n_points} points, {len(self.intercepts)} intercepts)"
        )


def fit_size_vs_width(
    width: ArrayLike, n_params: ArrayLike, families: Sequence | None = None
) -> SizeWidthFit:
    """Fit N ∝ m^k by OLS of ln N on ln m, common slope, one intercept per family (chapter 6).

    ``families=None`` fits a single line (e.g. the Chinchilla table); otherwise one label per point.
    """
    m = _finite_positive("width", width)
    N = _finite_positive("n_params", n_params)
    if N.shape != m.shape:
        raise ValueError(f"n_params must hold {m.size} values, one per width, got {N.size}")
    fam = ["all"] * m.size if families is None else [str(f) for f in families]
    if len(fam) != m.size:
        raise ValueError(f"families must hold {m.size} labels, got {len(fam)}")
    labels = sorted(set(fam))
    X = np.zeros((m.size, 1 + len(labels)))
    X[:, 0] = np.log(m)
    for i, f in enumerate(fam):
        X[i, 1 + labels.index(f)] = 1.0
    y = np.log(N)
    dof = m.size - X.shape[1]
    if dof < 1:
        raise ValueError(f"need more points than parameters: {m.size} points, {X.shape[1]} parameters")
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ coef
    s2 = float(r @ r) / dof
    cov = s2 * np.linalg.pinv(X.T @ X)
    # R² against the per-family means (the part the slope explains)
    centred = y - X[:, 1:] @ np.array([y[np.array(fam) == lab].mean() for lab in labels])
    ss = float(centred @ centred)
    r2 = 1.0 - float(r @ r) / ss if ss > 0 else 1.0
    return SizeWidthFit(
        k=float(coef[0]),
        k_se=float(math.sqrt(cov[0, 0])),
        intercepts={lab: float(coef[1 + i]) for i, lab in enumerate(labels)},
        r2=r2,
        n_points=int(m.size),
    )


def fit_size_vs_width_per_family(
    width: ArrayLike, n_params: ArrayLike, families: Sequence
) -> dict[str, SizeWidthFit]:
    """One :func:`fit_size_vs_width` per family with at least 3 points of 2+ distinct widths (chapter 6)."""
    m = np.asarray(width, dtype=float)
    N = np.asarray(n_params, dtype=float)
    fam = np.array([str(f) for f in families])
    out = {}
    for lab in sorted({str(f) for f in fam}):
        sel = fam == lab
        if sel.sum() >= 3 and np.unique(m[sel]).size >= 2:
            out[lab] = fit_size_vs_width(m[sel], N[sel], [lab] * int(sel.sum()))
    return out


@dataclass(frozen=True)
class WidthExponent:
    """α_m = k·α_N with its error, by quadrature (independent errors) and by adding relative errors."""

    value: float
    se: float
    se_linear: float
    k: float
    k_se: float
    alpha_n: float
    alpha_n_se: float

    def __str__(self) -> str:
        return f"{self.value:.3f} ± {self.se:.3f} (± {self.se_linear:.3f} adding relative errors)"


def width_exponent(k: float, k_se: float, alpha_n: float, alpha_n_se: float) -> WidthExponent:
    """Width exponent α_m = k·α_N implied by L ∝ N^-α_N and N ∝ m^k (chapter 6, the paper's §3.3).

    ``se`` adds the relative errors in quadrature; ``se_linear`` adds them linearly (this reproduces
    the paper's ± 0.06).
    """
    for name, v in (("k", k), ("alpha_n", alpha_n)):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    for name, v in (("k_se", k_se), ("alpha_n_se", alpha_n_se)):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    val = k * alpha_n
    rk, ra = k_se / k, alpha_n_se / alpha_n
    return WidthExponent(val, val * math.hypot(rk, ra), val * (rk + ra), k, k_se, alpha_n, alpha_n_se)
