"""Strong superposition and the "phase diagram" of the model exponent α_m (chapter 4).

Helpers that turn precomputed losses into exponents: α_m fitted along the width axis of a whole grid
of runs at once, the paper's three regions of the (γ, α) plane, the predicted exponents in each
region and the paper's fit ranges for the large model. The paper's published numbers live in
:mod:`superscale.paper` (re-exported here); the large model's CPU run is
``python -m superscale.sweep large`` (:func:`superscale.sweep.large_cpu_grid`).

Everything works on plain NumPy arrays, so it does not depend on how a sweep file is laid out.
Losses are in the paper's units (summed over the n features, averaged over samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .fit import fit_power_law
from .paper import (  # noqa: F401  (moved to superscale.paper)
    DENSITY_PAPER_E,
    PAPER_DENSITY_ALPHA_M,
    PAPER_FIG1_LOSS,
    PAPER_FIG5E,
    PAPER_FIG14B_LOSS,
    PAPER_LARGE_ALPHA_M,
    PAPER_LARGE_R2,
    PAPER_REGIONS,
    Region,
)

__all__ = [
    "ExponentGrid",
    "fit_exponent_grid",
    "least_ambiguous",
    "load_first",
    "describe_sweep",
    "Region",
    "PAPER_REGIONS",
    "region_of",
    "region_means",
    "predicted_alpha_m",
    "large_fit_min_width",
    "fit_large",
    "PAPER_LARGE_ALPHA_M",
    "PAPER_LARGE_R2",
    "PAPER_FIG1_LOSS",
    "PAPER_FIG5E",
    "PAPER_DENSITY_ALPHA_M",
    "DENSITY_PAPER_E",
    "PAPER_FIG14B_LOSS",
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


def least_ambiguous(
    ambiguity, gammas, alphas, k: int = 9, gamma_min: float = 0.0
) -> list[tuple[float, float]]:
    """The ``k`` (γ, α) cases with γ > ``gamma_min`` whose largest ambiguity over the widths is smallest
    (the paper's choice of the weak-regime points of Fig. 4b and 5e, App. D.5; chapter 4).

    ``ambiguity`` has shape (len(gammas), len(alphas), widths). Cases with any NaN are skipped.
    """
    A = np.asarray(ambiguity, dtype=float)
    g = np.asarray(gammas, dtype=float)
    a = np.asarray(alphas, dtype=float)
    if A.ndim != 3 or A.shape[:2] != (g.size, a.size):
        raise ValueError(f"ambiguity must have shape (len(gammas), len(alphas), widths), got {A.shape}")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    worst = A.max(axis=2)
    cand = [
        (worst[i, j], float(g[i]), float(a[j]))
        for i in range(g.size)
        for j in range(a.size)
        if g[i] > gamma_min and np.isfinite(worst[i, j])
    ]
    cand.sort()
    return [(gi, aj) for _, gi, aj in cand[:k]]


def load_first(*names: str):
    """Open the first of the named sweeps found in ``book/data`` and return ``(dataset, name)`` (chapter 4).

    For example ``load_first("paper-small", "book-small", "preview-small")`` uses the paper-protocol
    sweep when present and falls back to the cheaper ones. Returns ``(None, None)`` if none is found.
    """
    from .sweep import load_sweep

    if not names:
        raise ValueError("names must list at least one sweep name, e.g. 'paper-small'")
    for nm in names:
        try:
            return load_sweep(nm), nm
        except FileNotFoundError:
            continue
    return None, None


def describe_sweep(ds) -> str:
    """One line on what a merged sweep holds: grid, n, widths, γ and α counts, protocol, completeness (chapter 4)."""
    a = ds.attrs
    dims = ", ".join(f"{d}: {ds.sizes[d]}" for d in ("kind", "alpha", "E", "gamma", "m") if d in ds.sizes)
    done = int(np.asarray(ds["completed"]).sum()) if "completed" in ds else -1
    total = int(np.asarray(ds["completed"]).size) if "completed" in ds else -1
    return (
        f"sweep {a.get('grid', '?')}: n = {a.get('n', '?')}, widths {list(np.asarray(ds['m']).tolist())}, "
        f"{dims}; batch {a.get('batch', '?')}, {a.get('steps', '?')} steps; {done}/{total} models trained"
    )


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


def region_means(values, gammas, alphas) -> dict[str, dict[str, float]]:
    """Summary of a (γ, α) map per paper region: mean, min, max and count of the finite values (chapter 4).

    ``values`` has shape (len(gammas), len(alphas)), e.g. the fitted α_m.
    """
    v, g, a = grid_arrays(values, gammas, alphas)
    out = {}
    for r in PAPER_REGIONS:
        mask = np.array([[r.contains(gi, ai) for ai in a] for gi in g]) & np.isfinite(v)
        sel = v[mask]
        out[r.key] = {
            "mean": float(sel.mean()) if sel.size else math.nan,
            "min": float(sel.min()) if sel.size else math.nan,
            "max": float(sel.max()) if sel.size else math.nan,
            "count": int(sel.size),
        }
    return out


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
