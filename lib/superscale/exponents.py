"""Fitting the model exponent α_m (chapters 3-5): power laws along the width axis of whole grids.

α_m fitted along m for every (γ, α) of a sweep at once (:func:`fit_exponent_grid`, :func:`exponent_table`,
:func:`exponent_maps`), the finite-n exponent of an ideal weak model (:func:`ideal_alpha_m`), the paper's
three regions of the (γ, α) plane with their predicted exponents, and the large model's fit ranges
(:func:`large_fit_min_width`, :func:`fit_large`). The published values they are compared with live in
:mod:`superscale.paper`. Losses are in the paper's units (summed over the n features, averaged over samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .data import power_law_frequencies
from .fit import PowerLawFit, fit_power_law
from .paper import PAPER_REGIONS

__all__ = [
    "ExponentGrid",
    "fit_exponent_grid",
    "region_of",
    "predicted_alpha_m",
    "large_fit_min_width",
    "fit_large",
    "ideal_alpha_m",
    "exponent_table",
    "exponent_maps",
]


# --------------------------------------------------------------------------------------------
# Fitting α_m over a grid of runs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExponentGrid:
    """α_m fitted along the width axis of a grid of runs (chapter 4).

    All arrays have the leading shape of the loss array (the width axis removed): ``exponent``
    (α_m), ``se`` (its standard error), ``r2`` (R² of the log-log line), ``amplitude`` (L at m = 1
    of the fitted law). Entries whose losses could not be fitted (fewer than 3 usable widths) are NaN.
    ``widths`` are the widths that were eligible for the fit.
    """

    exponent: np.ndarray
    se: np.ndarray
    r2: np.ndarray
    amplitude: np.ndarray
    widths: np.ndarray


def _check_widths(widths) -> np.ndarray:
    w = np.asarray(widths, dtype=float).ravel()
    if w.size < 3:
        raise ValueError(f"widths must hold at least 3 values, got {w.size}")
    if not (np.all(np.isfinite(w)) and np.all(w > 0)):
        raise ValueError("widths must be finite and > 0")
    return w


def fit_exponent_grid(
    loss, widths, min_width: float | None = None, max_width: float | None = None
) -> ExponentGrid:
    """Fit L ∝ m^(−α_m) for every run of a grid at once (chapter 4; the paper's §2.5 fit).

    ``loss`` has shape (..., len(widths)): the last axis runs over ``widths``. Only widths in
    [``min_width``, ``max_width``] are used (the paper fits the large strong power-law and linear
    runs from m = 32). Non-finite or non-positive losses are skipped; a run with fewer than 3 usable
    widths gets NaN. Raises ``ValueError`` if the last axis does not match ``widths`` or if the
    width range leaves fewer than 3 widths.
    """
    w = _check_widths(widths)
    y = np.asarray(loss, dtype=float)
    if y.ndim == 0 or y.shape[-1] != w.size:
        raise ValueError(f"loss must have shape (..., {w.size}) to match widths, got {y.shape}")
    keep = np.ones(w.size, dtype=bool)
    if min_width is not None:
        keep &= w >= min_width
    if max_width is not None:
        keep &= w <= max_width
    if keep.sum() < 3:
        raise ValueError(
            f"min_width/max_width must leave at least 3 of the widths {w.tolist()}, got "
            f"min_width={min_width}, max_width={max_width}"
        )
    lead = y.shape[:-1]
    flat = y.reshape(-1, w.size)[:, keep]
    wk = w[keep]
    out = np.full((4, flat.shape[0]), np.nan)
    for k, row in enumerate(flat):
        ok = np.isfinite(row) & (row > 0)
        if ok.sum() < 3:
            continue
        f = fit_power_law(wk[ok], row[ok])
        out[:, k] = (f.exponent, f.exponent_se, f.r2, f.amplitude)
    e, se, r2, amp = (a.reshape(lead) for a in out)
    return ExponentGrid(e, se, r2, amp, wk)


# --------------------------------------------------------------------------------------------
# The paper's regions and predictions
# --------------------------------------------------------------------------------------------


def region_of(gamma: float, alpha: float) -> str | None:
    """Key of the paper's region that contains (γ, α): "weak", "strong-flat", "strong-skewed" or None (chapter 4)."""
    for r in PAPER_REGIONS:
        if r.contains(gamma, alpha):
            return r.key
    return None


def predicted_alpha_m(alpha, region: str):
    """The paper's predicted α_m at frequency exponent α in a region (chapter 4).

    "weak": α − 1 (weak superposition, Result 1); "strong-flat": 1 (isotropic overlaps ∝ 1/m,
    Result 2); "strong-skewed": 2(α − 1) (the m²/2 most frequent features packed, the rest squeezed,
    App. A.1); "strong": the larger of the two strong predictions, max(1, 2(α − 1)).
    """
    a = np.asarray(alpha, dtype=float)
    if np.any(a < 0) or not np.all(np.isfinite(a)):
        raise ValueError(f"alpha must be finite and >= 0, got {alpha!r}")
    if region == "weak":
        out = a - 1.0
    elif region == "strong-flat":
        out = np.ones_like(a)
    elif region == "strong-skewed":
        out = 2.0 * (a - 1.0)
    elif region == "strong":
        out = np.maximum(1.0, 2.0 * (a - 1.0))
    else:
        raise ValueError(f"region must be 'weak', 'strong-flat', 'strong-skewed' or 'strong', got {region!r}")
    return float(out) if out.ndim == 0 else out


def grid_arrays(values, gammas, alphas) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (γ, α) map and its axes as float arrays, checking the shape (chapter 4's tables and heat maps)."""
    v = np.asarray(values, dtype=float)
    g = np.asarray(gammas, dtype=float)
    a = np.asarray(alphas, dtype=float)
    if v.shape != (g.size, a.size):
        raise ValueError(
            f"values must have shape (len(gammas), len(alphas)) = {(g.size, a.size)}, got {v.shape}"
        )
    return v, g, a


# --------------------------------------------------------------------------------------------
# The large model (n = 10240)
# --------------------------------------------------------------------------------------------


def large_fit_min_width(kind: str, gamma: float) -> int:
    """Smallest width the paper includes in its α_m fit of a large-model run (chapter 4; App. D.1).

    Strong (γ < 0): power law and linear from m = 32, exponential from m = 8 (all points).
    Weak (γ > 0): power law from m = 64 (last 5 points), exponential and linear all points.
    """
    if kind not in ("power", "exponential", "linear"):
        raise ValueError(f"kind must be 'power', 'exponential' or 'linear', got {kind!r}")
    if not math.isfinite(gamma):
        raise ValueError(f"gamma must be finite, got {gamma!r}")
    if gamma < 0:
        return 8 if kind == "exponential" else 32
    return 64 if kind == "power" else 8


def fit_large(widths, loss, kind: str, gamma: float):
    """α_m of one large-model run over the paper's fit range (chapter 4).

    Returns a :class:`superscale.fit.PowerLawFit`, or None when fewer than 3 of the given widths
    fall in the paper's range (e.g. a CPU run that stops at m = 64).
    """
    w = np.asarray(widths, dtype=float)
    y = np.asarray(loss, dtype=float)
    if w.shape != y.shape:
        raise ValueError(f"widths and loss must have the same shape, got {w.shape} and {y.shape}")
    keep = (w >= large_fit_min_width(kind, gamma)) & np.isfinite(y) & (y > 0)
    if keep.sum() < 3:
        return None
    return fit_power_law(w[keep], y[keep])


def ideal_alpha_m(alpha: float, n: int = 1000, widths=(10, 15, 25, 39, 63, 100)) -> PowerLawFit:
    """α_m of the ideal weak-regime loss (the m most frequent features represented) at finite n (chapter 3).

    Fits ``theory.weak_loss(p, m)`` over ``widths`` for p_i ∝ i^(-alpha), E = 1, exactly as the
    trained models are fitted; paper.md §3.2 gives 0.434, 0.606, 0.804, 1.02 at α = 1.25 … 2.
    """
    from .theory import weak_loss

    widths = np.asarray(widths)
    if widths.ndim != 1 or widths.size < 3 or np.any(widths < 1) or np.any(widths >= n):
        raise ValueError(f"widths must hold at least 3 integers in [1, n = {n}), got {widths!r}")
    p = power_law_frequencies(n, alpha, 1.0)
    return fit_power_law(widths, weak_loss(p, widths))


def exponent_table(ds, widths=None):
    """α_m fitted over the widths for every (γ, α) of the sweep, with the ambiguity (chapter 3).

    Columns: gamma, alpha, alpha_m, se, r2, max_ambiguity (the largest ‖W Wᵀ − Z‖₂ over the widths,
    the paper's App. D.5 measure; NaN if the file has no ``ambiguity``), ideal (α_m of the ideal
    weak loss at the same n and widths, :func:`ideal_alpha_m`).
    """
    import pandas as pd

    w = np.asarray(ds["m"].values if widths is None else widths)
    sub = ds.sel(m=w)
    loss = sub["final_loss"].transpose("gamma", "alpha", "m").values
    grid = fit_exponent_grid(loss, w)
    if "ambiguity" in sub:
        amb = sub["ambiguity"].transpose("gamma", "alpha", "m").values.max(axis=-1)
    else:
        amb = np.full(loss.shape[:2], np.nan)
    n = int(ds.sizes["feature"])
    ideal = {float(a): ideal_alpha_m(float(a), n, w).exponent for a in ds["alpha"].values}
    rows = []
    for i, g in enumerate(ds["gamma"].values):
        for j, a in enumerate(ds["alpha"].values):
            rows.append(
                {
                    "gamma": float(g),
                    "alpha": float(a),
                    "alpha_m": grid.exponent[i, j],
                    "se": grid.se[i, j],
                    "r2": grid.r2[i, j],
                    "max_ambiguity": amb[i, j],
                    "ideal": ideal[float(a)],
                }
            )
    return pd.DataFrame(rows)


def exponent_maps(table, gammas, alphas, columns=("alpha_m", "se", "r2")) -> dict[str, np.ndarray]:
    """Columns of an :func:`exponent_table` laid out on a (γ, α) grid (chapter 4's phase maps).

    Returns {column: array of shape (len(gammas), len(alphas))}; a cell whose (γ, α) is not in
    ``table`` (matched to 1e-6) is NaN, so a partly trained grid maps onto the full one.
    """
    g = np.asarray(gammas, dtype=float)
    a = np.asarray(alphas, dtype=float)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; it must come from exponent_table")
    out = {c: np.full((g.size, a.size), np.nan) for c in columns}
    for row in table.itertuples(index=False):
        i = np.flatnonzero(np.isclose(g, row.gamma, rtol=0.0, atol=1e-6))
        j = np.flatnonzero(np.isclose(a, row.alpha, rtol=0.0, atol=1e-6))
        if i.size and j.size:
            for c in columns:
                out[c][i[0], j[0]] = getattr(row, c)
    return out
