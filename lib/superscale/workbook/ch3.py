"""Workbook 3: checks for the exercises on weak superposition (chapter 3).

The reader writes the weak-regime loss of a model that keeps its m most frequent features, a power-law fit
with its standard error, the exponent of the ideal loss at large and finite n, the fitted α_m of the trained
models of ``paper-small`` and a prediction of one of them. Each check compares with the package
(:func:`superscale.theory.weak_loss`, :func:`superscale.fit.fit_power_law`,
:func:`superscale.exponents.ideal_alpha_m`, the explorer's :func:`superscale.chapters.ch4_explorer.pair_data`)
and, when the answer is wrong, says what is wrong in the reader's terms.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import ExerciseError, exercise, expect
from .ch2 import _call

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "WIDTHS",
    "check_weak_loss",
    "check_fit",
    "check_ideal_exponent",
    "check_sweep_alpha_m",
    "check_prediction",
    "paper_small",
]

#: The paper's six widths (chapter 3).
WIDTHS = (10, 15, 25, 39, 63, 100)
LN10 = math.log(10.0)


@functools.lru_cache(maxsize=1)
def paper_small() -> xr.Dataset:
    """The data set ``paper-small`` (every small model at the paper's protocol; cached; chapter 3)."""
    from .. import catalog

    return catalog.load("paper-small")


def _float(x: object, what: str) -> float:
    try:
        return float(x)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"your {what} returned {x!r}; it should return one number.") from e


# --------------------------------------------------------------------------------------------
# Exercise 3.1: the weak-regime loss
# --------------------------------------------------------------------------------------------


@exercise("weak_loss")
def check_weak_loss(weak_loss: Callable) -> str:
    """Check the reader's ``weak_loss(p, m)`` = Σ_{i>m} (4/3 p_i − p_i²), features ranked by p, against
    :func:`superscale.theory.weak_loss` (chapter 3)."""
    from .. import theory
    from ..data import power_law_frequencies

    p = power_law_frequencies(50, 1.2, 1.0)
    shuffled = np.random.default_rng(7).permutation(p)
    flat = power_law_frequencies(30, 0.5, 1.0)
    cases = [
        ("p_i ∝ i^-1.2 (n = 50)", p, 5),
        ("p_i ∝ i^-1.2 (n = 50)", p, 0),
        ("p_i ∝ i^-1.2 (n = 50)", p, 50),
        ("p_i ∝ i^-0.5 (n = 30)", flat, 10),
        ("the same 50 frequencies in random order", shuffled, 5),
    ]
    for label, pp, m in cases:
        hint = f"It was called with p = {label} (a NumPy array) and m = {m}."
        got = _float(_call(weak_loss, "weak_loss", hint, pp.copy(), m), "weak_loss")
        want = theory.weak_loss(pp, m)
        if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            continue
        ps = np.sort(pp)[::-1]
        var = 4 / 3 * ps - ps**2
        wrong = {
            "you left out the − p_i² term: feature i's variance is ⟨v²⟩p_i − ⟨v⟩²p_i², with ⟨v²⟩ = 4/3 and "
            "⟨v⟩ = 1 for v ~ U(0, 2).": 4 / 3 * ps[m:].sum(),
            "you used ⟨v²⟩ = 1; for v ~ U(0, 2), ⟨v²⟩ = 4/3 (and ⟨v⟩² = 1).": (ps - ps**2)[m:].sum(),
            "you summed over the m kept features; the loss is what the n − m dropped ones (i > m) leave over.": var[
                :m
            ].sum(),
            "you included feature m itself: the model keeps features 1 … m, so the sum starts at i = m + 1 "
            "(0-based index m).": var[max(m - 1, 0) :].sum(),
            "features are ranked by frequency: the m kept ones are the m largest p_i, wherever they sit in the "
            "array (sort p in decreasing order first).": (4 / 3 * pp - pp**2)[m:].sum(),
        }
        for msg, cand in wrong.items():
            expect(not math.isclose(got, float(cand), rel_tol=1e-9, abs_tol=1e-12), msg)
        raise ExerciseError(
            f"for p = {label} and m = {m} your loss is {got:.6g}; Σ_(i>m) (4/3 p_i − p_i²) = {want:.6g}."
        )
    return f"same as superscale.theory.weak_loss on {len(cases)} cases (m = 0 and m = n included)"


# --------------------------------------------------------------------------------------------
# Exercise 3.2: a power-law fit with its standard error
# --------------------------------------------------------------------------------------------


def _as_fit(out: object, what: str) -> tuple[float, float]:
    if hasattr(out, "exponent") and hasattr(out, "exponent_se"):
        return float(out.exponent), float(out.exponent_se)
    try:
        a, se = out
        return float(a), float(se)
    except (TypeError, ValueError) as e:
        raise ExerciseError(f"your {what} returned {out!r}; return two numbers: (alpha_m, se).") from e


def _slope_se(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """Slope, its standard error, the residual standard deviation and the intercept's standard error."""
    X = x - x.mean()
    sxx = float(X @ X)
    slope = float(X @ (y - y.mean())) / sxx
    res = y - y.mean() - slope * X
    s = math.sqrt(float(res @ res) / (x.size - 2))
    return slope, s / math.sqrt(sxx), s, s * math.sqrt(1 / x.size + x.mean() ** 2 / sxx)


def _explain_fit(widths, losses, a: float, se: float, what: str) -> None:
    """Raise an ExerciseError naming the mistake when (a, se) is not the log-log fit of losses on widths."""
    from ..fit import fit_power_law

    w, L = np.asarray(widths, float), np.asarray(losses, float)
    f = fit_power_law(w, L)
    ok_a = math.isclose(a, f.exponent, rel_tol=1e-6, abs_tol=1e-9)
    if ok_a and math.isclose(se, f.exponent_se, rel_tol=1e-4, abs_tol=1e-9):
        return
    if not ok_a:
        wrong = {
            "your α_m has the wrong sign: L ∝ m^(−α_m), so α_m is minus the slope of ln L against ln m.": -f.exponent,
            "you fitted L against ln m (a semi-log fit); a power law is a straight line when both axes are "
            "logarithmic: fit ln L against ln m.": -_slope_se(np.log(w), L)[0],
            "you fitted L against log10 m (a semi-log fit); fit ln L against ln m (both axes logarithmic).": -_slope_se(
                np.log10(w), L
            )[0],
            "you mixed logarithms: ln L against log10 m makes the slope ln 10 ≈ 2.30 times too steep; use the same "
            "logarithm on both axes.": f.exponent * LN10,
            "you mixed logarithms: log10 L against ln m makes the slope ln 10 ≈ 2.30 times too shallow; use the "
            "same logarithm on both axes.": f.exponent / LN10,
            "you fitted L against m on linear axes; a power law is a straight line on log-log axes: fit ln L "
            "against ln m.": -_slope_se(w, L)[0],
        }
        for msg, cand in wrong.items():
            expect(
                not math.isclose(a, cand, rel_tol=1e-6, abs_tol=1e-9), f"{msg} (your {what} gave {a:.4g}.)"
            )
        raise ExerciseError(
            f"your {what} gives α_m = {a:.4g}; the least-squares slope of ln L against ln m gives {f.exponent:.4g}."
        )
    x, y = np.log(w), np.log(L)
    _, s_slope, s_res, s_icpt = _slope_se(x, y)
    X = x - x.mean()
    wrong_se = {
        "your standard error is the residual standard deviation; the slope's SE divides it by "
        "√Σ(ln m − mean ln m)².": s_res,
        "your standard error is that of the intercept; α_m needs the slope's SE.": s_icpt,
        "your standard error divides the squared residuals by N; with two fitted parameters divide by N − 2.": s_slope
        * math.sqrt((x.size - 2) / x.size),
        "your standard error is the variance of the slope; take its square root.": s_slope**2,
        "your standard error forgot to divide by √Σ(ln m − mean ln m)².": s_slope * math.sqrt(float(X @ X)),
    }
    for msg, cand in wrong_se.items():
        expect(not math.isclose(se, cand, rel_tol=1e-4, abs_tol=1e-12), msg)
    raise ExerciseError(
        f"your α_m = {a:.4g} is right but its standard error is {se:.4g}; the slope's standard error is "
        f"{f.exponent_se:.4g} (√(Σ residual² / (N − 2)) / √Σ(ln m − mean ln m)²)."
    )


@exercise("fit_alpha_m")
def check_fit(fit_alpha_m: Callable) -> str:
    """Check the reader's ``fit_alpha_m(widths, losses) -> (alpha_m, se)`` against
    :func:`superscale.fit.fit_power_law` on an exact and a noisy power law (chapter 3)."""
    w = np.array(WIDTHS, dtype=float)
    rng = np.random.default_rng(8)
    cases = [
        ("an exact power law 2.5 m^-0.7", 2.5 * w**-0.7),
        ("a noisy power law 3 m^-0.45", 3.0 * w**-0.45 * np.exp(0.08 * rng.normal(size=w.size))),
        ("a noisy power law 1.2 m^-1.1", 1.2 * w**-1.1 * np.exp(0.1 * rng.normal(size=w.size))),
    ]
    for label, L in cases:
        hint = f"It was called with the widths {list(WIDTHS)} and the losses of {label} (NumPy arrays)."
        a, se = _as_fit(_call(fit_alpha_m, "fit_alpha_m", hint, w.copy(), L.copy()), "fit_alpha_m")
        _explain_fit(w, L, a, se, f"fit of {label}")
    return "the same α_m and standard error as superscale.fit.fit_power_law on 3 power laws"


# --------------------------------------------------------------------------------------------
# Exercise 3.3: the exponent of the ideal loss, large and finite n
# --------------------------------------------------------------------------------------------


@exercise("ideal_exponent")
def check_ideal_exponent(ideal_exponent: Callable) -> str:
    """Check the reader's ``ideal_exponent(alpha, n)`` (α_m fitted to the ideal weak loss over the paper's
    widths, p_i ∝ i^-α summing to 1) against :func:`superscale.exponents.ideal_alpha_m` (chapter 3)."""
    from ..exponents import ideal_alpha_m

    lines = []
    for alpha in (1.5, 2.0):
        row = []
        for n in (1000, 100_000):
            hint = f"It was called with alpha = {alpha} and n = {n}."
            out = _call(ideal_exponent, "ideal_exponent", hint, alpha, n)
            got = (
                _as_fit(out, "ideal_exponent")[0]
                if isinstance(out, tuple) or hasattr(out, "exponent")
                else out
            )
            got = _float(got, "ideal_exponent")
            want = ideal_alpha_m(alpha, n, WIDTHS).exponent
            if not math.isclose(got, want, abs_tol=2e-3):
                expect(
                    not math.isclose(got, alpha - 1, abs_tol=1e-9),
                    f"you returned α − 1 = {alpha - 1:g} at n = {n}; fit the exponent of the finite sum instead. "
                    f"At n = {n} the cut-off of Σ_(i>m) p_i at i = n makes the fitted slope {want:.3f}.",
                )
                expect(
                    not math.isclose(got, -want, rel_tol=1e-3),
                    "your exponent has the wrong sign: the loss falls with m, L ∝ m^(−α_m) with α_m > 0.",
                )
                expect(
                    not math.isclose(got, want * LN10, rel_tol=1e-3)
                    and not math.isclose(got, want / LN10, rel_tol=1e-3),
                    "your exponent is off by a factor ln 10: use the same logarithm for L and for m.",
                )
                raise ExerciseError(
                    f"at α = {alpha}, n = {n} your exponent is {got:.4f}; the ideal weak loss Σ_(i>m)(4/3 p_i − p_i²) "
                    f"with p_i ∝ i^-α (summing to 1) fitted over m = {list(WIDTHS)} gives {want:.4f}."
                )
            row.append(f"{got:.2f} at n = {n:,}".replace(",", " "))
        lines.append(f"α = {alpha:g}: " + ", ".join(row) + f" (α − 1 = {alpha - 1:g})")
    return "; ".join(lines)


# --------------------------------------------------------------------------------------------
# Exercise 3.4: α_m of the trained models, and does it differ from α − 1?
# --------------------------------------------------------------------------------------------

_PAIRS = ((2.0, 0.333), (1.25, 0.333), (1.5, 0.556))


@exercise("alpha_m_from_sweep")
def check_sweep_alpha_m(alpha_m_from_sweep: Callable, differs: Callable, ds: xr.Dataset | None = None) -> str:
    """Check the reader's ``alpha_m_from_sweep(ds, alpha, gamma) -> (alpha_m, se)`` against the explorer
    (:func:`superscale.chapters.ch4_explorer.pair_data`) and ``differs(alpha_m, se, value)`` (more than two
    standard errors apart) on four cases; reports the verdict at γ = 0.33 against α − 1 (chapter 3)."""
    from ..chapters.ch4_explorer import pair_data

    ds = paper_small() if ds is None else ds
    fits = {}
    for alpha, gamma in _PAIRS:
        hint = (
            f"It was called with the data set paper-small, alpha = {alpha} and gamma = {gamma}. The values of "
            f"ds['gamma'] are not round (0.3333…, 0.5556…): select with ds.sel(alpha=…, gamma=…, method='nearest')."
        )
        a, se = _as_fit(
            _call(alpha_m_from_sweep, "alpha_m_from_sweep", hint, ds, alpha, gamma), "alpha_m_from_sweep"
        )
        p = pair_data(ds, alpha, gamma)
        L = p.loss[p.used]
        if not math.isclose(a, p.fit.exponent, rel_tol=1e-6):
            se_L = p.se[p.used]
            expect(
                not math.isclose(a, -_slope_se(np.log(p.widths[p.used]), np.log(se_L))[0], rel_tol=1e-6),
                "you fitted final_loss_se (the standard error of each loss); fit final_loss against m.",
            )
        _explain_fit(p.widths[p.used], L, a, se, f"α_m at α = {alpha}, γ = {gamma}")
        fits[(alpha, gamma)] = (a, se)
    cases = [
        ((0.75, 0.066, 0.5), True, "0.75 is 3.8 standard errors above 0.5"),
        ((1.0, 0.13, 1.0), False, "the two are equal"),
        ((0.3, 0.066, 0.5), True, "0.3 is 3 standard errors *below* 0.5: compare the absolute difference"),
        (
            (0.6, 0.066, 0.5),
            False,
            "0.6 is only 1.5 standard errors from 0.5; call two values different when "
            "they are more than 2 standard errors apart",
        ),
    ]
    for args, want, why in cases:
        got = _call(differs, "differs", f"It was called with (alpha_m, se, value) = {args}.", *args)
        expect(got in (True, False), f"your differs{args} returned {got!r}; return True or False.")
        expect(bool(got) == want, f"your differs{args} returned {got}, but {why}.")
    out = []
    for alpha in (2.0, 1.25):
        a, se = fits[(alpha, 0.333)]
        d = differs(a, se, alpha - 1)
        out.append(
            f"α = {alpha:g}: {a:.2f} ± {se:.2f} against α − 1 = {alpha - 1:g}, "
            f"{abs(a - alpha + 1) / se:.1f} SE: {'differs' if d else 'does not differ'}"
        )
    return "agrees with the explorer at 3 (α, γ); at γ = 0.33, " + "; ".join(out)


# --------------------------------------------------------------------------------------------
# Exercise 3.5: predict α_m before looking
# --------------------------------------------------------------------------------------------


@exercise("prediction")
def check_prediction(
    predict_alpha_m: Callable, ds: xr.Dataset | None = None, alpha: float = 1.5, gamma: float = 0.556
) -> str:
    """Compare the reader's ``predict_alpha_m(alpha, gamma)`` with the explorer's fitted α_m at (α, γ) =
    (1.5, 0.56): it passes within two standard errors, otherwise the message explains the gap (chapter 3)."""
    from ..chapters.ch4_explorer import pair_data
    from ..exponents import ideal_alpha_m

    hint = f"It was called with alpha = {alpha} and gamma = {gamma}."
    pred = _float(_call(predict_alpha_m, "predict_alpha_m", hint, alpha, gamma), "predict_alpha_m")
    expect(math.isfinite(pred), f"your predict_alpha_m returned {pred}; return a finite number.")
    ds = paper_small() if ds is None else ds
    f = pair_data(ds, alpha, gamma).fit
    ideal = ideal_alpha_m(alpha, int(ds.sizes["feature"]), WIDTHS).exponent
    z = abs(pred - f.exponent) / f.exponent_se
    measured = (
        f"the explorer's α_m = {f.exponent:.2f} ± {f.exponent_se:.2f} at α = {alpha:g}, γ = {gamma:+.2f}"
    )
    if z <= 2:
        return f"your {pred:.2f} is {z:.1f} SE from {measured} (α − 1 = {alpha - 1:g}, finite-n ideal {ideal:.2f})"
    base = f"your prediction {pred:.2f} is {z:.1f} standard errors from {measured}. "
    weak = (
        f"γ = {gamma:+.2f} is a decay, so the model is in weak superposition: its loss is the variance of the "
        f"features it drops, Σ_(i>m) p_i ∝ m^−(α−1), so α_m ≈ α − 1 = {alpha - 1:g} (the finite-n ideal at "
        f"n = 1000 is {ideal:.2f})."
    )
    if pred < 0:
        raise ExerciseError(
            base + "α_m is the exponent of the decrease, L ∝ m^(−α_m), so it is positive. " + weak
        )
    if math.isclose(pred, alpha, abs_tol=0.05):
        raise ExerciseError(
            base + "You predicted α itself; summing p_i ∝ i^−α over i > m loses one power. " + weak
        )
    if math.isclose(pred, 1.0, abs_tol=0.05):
        raise ExerciseError(
            base
            + "1 is the strong-superposition exponent (loss ∝ 1/m, chapter 4), which needs growth (γ < 0). "
            + weak
        )
    raise ExerciseError(base + weak)
