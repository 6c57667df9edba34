"""Power-law fits with standard errors (chapters 1, 3, 4 and 6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PowerLawFit:
    """Result of fitting y = amplitude * x**(-exponent) by least squares on log y against log x.

    ``exponent_se`` is the standard error of the fitted slope, ``r2`` the coefficient of
    determination of the log-log line, ``n_points`` the number of points used.
    """

    exponent: float
    exponent_se: float
    amplitude: float
    r2: float
    n_points: int

    def __call__(self, x):
        """Evaluate the fitted law at ``x``."""
        return self.amplitude * np.asarray(x, dtype=float) ** (-self.exponent)

    def __str__(self) -> str:
        return f"{self.exponent:.3f} ± {self.exponent_se:.3f} (R² = {self.r2:.3f}, {self.n_points} points)"


def fit_power_law(x, y) -> PowerLawFit:
    """Fit y ∝ x^(-exponent) by ordinary least squares of ln y on ln x (the paper's α_m fit, §2.5).

    Used in chapter 1 (Zipf exponent of real text), chapters 3-4 (α_m from loss against width)
    and chapter 6. Raises ``ValueError`` if fewer than 3 points, or any x or y is not positive
    and finite.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 3:
        raise ValueError(f"need at least 3 points for a fit with a standard error, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(x > 0) and np.all(y > 0)):
        raise ValueError("x and y must be finite and > 0 for a log-log fit")
    lx, ly = np.log(x), np.log(y)
    if np.ptp(lx) == 0:
        raise ValueError("x must take at least two distinct values")
    res = stats.linregress(lx, ly)
    r2 = float(res.rvalue**2) if np.ptp(ly) > 0 else 1.0
    return PowerLawFit(
        exponent=float(-res.slope),
        exponent_se=float(res.stderr),
        amplitude=float(np.exp(res.intercept)),
        r2=r2,
        n_points=int(x.size),
    )


def rank_frequency(counts) -> np.ndarray:
    """Counts or frequencies in any order (a dict's values are used), sorted in decreasing order with
    zeros dropped: index 0 is rank 1 (chapters 1 and 6). ``ValueError`` for negative or non-finite values."""
    if isinstance(counts, dict):
        counts = list(counts.values())
    c = np.asarray(counts, dtype=float).ravel()
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError("counts must be finite numbers >= 0")
    return np.sort(c[c > 0])[::-1]


def fit_rank_frequency(
    freqs, points: int = 1000, min_rank: int = 1, max_rank: int | None = None
) -> PowerLawFit:
    """Fit the Zipf exponent α of a rank-frequency curve, f(r) ∝ r^(-α) (chapters 1 and 6).

    ``freqs``: counts or frequencies in any order (sorted here, zeros dropped; a dict's values are
    used). As in the paper (App. C.3), the fit uses ``points`` ranks spaced evenly in log(rank) between
    ``min_rank`` and ``max_rank`` (default, and at most: all nonzero counts; duplicates removed), so the many rare
    ranks do not dominate.
    """
    f = rank_frequency(freqs)
    if f.size < 3:
        raise ValueError(f"freqs must hold at least 3 nonzero frequencies, got {f.size}")
    max_rank = f.size if max_rank is None else min(int(max_rank), f.size)
    if not 1 <= min_rank < max_rank <= f.size:
        raise ValueError(
            f"need 1 <= min_rank < max_rank <= {f.size}, got min_rank={min_rank}, max_rank={max_rank}"
        )
    if points < 3:
        raise ValueError(f"points must be >= 3, got {points}")
    ranks = np.unique(np.round(np.logspace(np.log10(min_rank), np.log10(max_rank), points)).astype(int))
    return fit_power_law(ranks, f[ranks - 1])
