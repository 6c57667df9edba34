"""Checks of Workbook 4, strong superposition (chapter 4): ``book/workbook/wb4_strong.ipynb``.

- Exercise 4.1, predict α_m before looking: :func:`check_prediction`
- Exercise 4.2, fit a power law with its standard error: :func:`check_fit`
- Exercise 4.3, do two exponents differ?: :func:`check_compare`
- Exercise 4.4, α_m along the activation density E: :func:`check_density`

Each check runs the reader's function on small cases and on the chapter's data (``paper-small``,
``paper-density-strong``) and raises :class:`superscale.workbook.ExerciseError` with the likely mistake
when the answer is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import catalog
from ..fit import fit_power_law
from . import ExerciseError, exercise, expect

#: The widths of the chapter's runs, used for the synthetic cases.
WIDTHS = np.array([10, 15, 25, 39, 63, 100], dtype=float)
#: The weight decay of the prediction exercise (the strongest of the paper's Fig. 5e) and its two α.
PREDICT_GAMMA, PREDICT_ALPHAS = -0.778, (0.5, 2.0)
#: How far a guess may be from the fitted α_m.
PREDICT_TOL = 0.3
#: Two exponents differ when they are more than this many combined standard errors apart.
Z_DIFFER = 2.0
LN10 = math.log(10.0)


def _g(x: float) -> str:
    """A weight decay as the book prints it, with a true minus sign: −0.78, +0.56."""
    return f"{x:+.2f}".replace("-", "\u2212")


def _close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    return bool(np.isfinite(a) and abs(a - b) <= max(rel * abs(b), abs_))


def _fit_at(ds, alpha: float, gamma: float):
    """The package's power-law fit of the final loss over the widths at (α, γ) of ``paper-small``."""
    sub = ds.sel(alpha=alpha, gamma=gamma, method="nearest")
    return fit_power_law(sub["m"].values, sub["final_loss"].values)


# ------------------------------------------------------------------------------------------------
# Exercise 4.1: predict before looking
# ------------------------------------------------------------------------------------------------


def _two_numbers(result, what: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in result)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} must return two numbers, got {result!r}") from None
    expect(math.isfinite(a) and math.isfinite(b), f"{what} must return two finite numbers, got {a}, {b}")
    return a, b


@exercise("prediction")
def check_prediction(predict: Callable[[], tuple[float, float]]) -> str:
    """Compare the reader's guesses of α_m at (α = 0.5, γ = −0.78) and (α = 2, γ = −0.78) with the fits
    of ``paper-small`` (chapter 4; within :data:`PREDICT_TOL`)."""
    flat, skewed = _two_numbers(predict(), "predict_alpha_m()")
    ds = catalog.load("paper-small")
    f_flat, f_skew = (_fit_at(ds, a, PREDICT_GAMMA) for a in PREDICT_ALPHAS)
    if abs(flat - f_flat.exponent) > PREDICT_TOL:
        why = (
            " That is the weak rule α_m = α − 1, which counts the features a model leaves out; in strong "
            "superposition nothing is left out."
            if abs(flat - (PREDICT_ALPHAS[0] - 1)) < 0.1
            else ""
        )
        raise ExerciseError(
            f"for flat frequencies (α = 0.5, γ = −0.78) you guessed α_m = {flat:.2f}; the fit gives "
            f"{f_flat.exponent:.2f} ± {f_flat.exponent_se:.2f}.{why} In strong superposition every feature "
            "has a row; the rows overlap like random directions, with squared overlaps ≈ 1/m, so L ∝ 1/m "
            "and α_m ≈ 1 whatever α is, as long as the frequencies are not too skewed."
        )
    if abs(skewed - f_skew.exponent) > PREDICT_TOL:
        why = " α_m ≈ 1 holds for flat frequencies only." if abs(skewed - 1.0) < 0.15 else ""
        raise ExerciseError(
            f"for skewed frequencies (α = 2, γ = −0.78) you guessed α_m = {skewed:.2f}; the fit gives "
            f"{f_skew.exponent:.2f} ± {f_skew.exponent_se:.2f}.{why} With skewed frequencies the model gives "
            "the about m²/2 most frequent features a nearly interference-free arrangement and squeezes the "
            "rare ones into what is left; the loss is then set by the rare features, "
            "L ∝ Σ_{i > m²/2} p_i ∝ m^−2(α−1), so the curve steepens towards 2(α − 1) = 2."
        )
    return (
        f"you guessed {flat:.2f} and {skewed:.2f}; the fits give {f_flat.exponent:.2f} ± "
        f"{f_flat.exponent_se:.2f} (α = 0.5) and {f_skew.exponent:.2f} ± {f_skew.exponent_se:.2f} (α = 2), "
        f"both within {PREDICT_TOL}. The strong-regime rule: α_m ≈ 1 for flat frequencies, steeper, "
        "towards 2(α − 1), for skewed ones."
    )


# ------------------------------------------------------------------------------------------------
# Exercise 4.2: fit a power law with its standard error
# ------------------------------------------------------------------------------------------------


def _fit_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(description, m, L) of the cases the fit is tested on: an exact law, a noisy one, two real curves."""
    rng = np.random.default_rng(4)
    noisy = 0.5 * WIDTHS**-0.8 * np.exp(0.08 * rng.standard_normal(WIDTHS.size))
    ds = catalog.load("paper-small")
    cases = [
        ("the exact power law L = 3 m^−1.3", WIDTHS, 3.0 * WIDTHS**-1.3),
        ("the noisy power law L ≈ 0.5 m^−0.8", WIDTHS, noisy),
    ]
    for alpha, gamma in ((1.0, -0.778), (2.0, 0.556)):
        sub = ds.sel(alpha=alpha, gamma=gamma, method="nearest")
        cases.append(
            (
                f"the chapter's run α = {alpha:g}, γ = {_g(gamma)}",
                sub["m"].values.astype(float),
                sub["final_loss"].values.astype(float),
            )
        )
    return cases


def _exponent_mistake(a: float, m: np.ndarray, y: np.ndarray, want: float) -> str:
    """The likely mistake behind a wrong exponent ``a`` (an empty string when none is recognised)."""
    if _close(a, -want, 1e-4):
        return (
            "it has the wrong sign: L = c m^−α_m falls with m, so the slope of log L against log m is "
            "negative and α_m is minus that slope"
        )
    for factor in (LN10, 1 / LN10, -LN10, -1 / LN10):
        if _close(a, factor * want, 1e-4):
            return (
                f"it is {abs(factor):.3f} times the right one{' with the wrong sign' if factor < 0 else ''}: "
                "you took the natural log on one axis and log10 on the other; use the same log on both"
            )
    slope = np.polyfit(m, y, 1)[0]
    if _close(abs(a), abs(slope), 1e-4):
        return (
            "it is the slope of L against m on linear axes; a power law is a straight line only on "
            "log-log axes: fit log L against log m"
        )
    return ""


def _se_mistake(se: float, m: np.ndarray, y: np.ndarray, want: float) -> str:
    k = m.size
    lx, ly = np.log(m), np.log(y)
    slope, icept = np.polyfit(lx, ly, 1)
    res = ly - (slope * lx + icept)
    if _close(se, want * math.sqrt((k - 2) / k), 1e-4):
        return (
            f"you divided the sum of squared residuals by k = {k}; two parameters were fitted (slope and "
            f"intercept), so divide by k − 2 = {k - 2}"
        )
    if _close(se, want * math.sqrt((k - 2) / (k - 1)), 1e-4):
        return f"you divided the sum of squared residuals by k − 1 = {k - 1}; divide by k − 2 = {k - 2}"
    if _close(se, want**2, 1e-4):
        return "that is the variance of the slope; its standard error is the square root"
    if _close(se, math.sqrt((res**2).sum() / (k - 2)), 1e-4):
        return "that is the scatter of the residuals; divide its square by Σ(log m − mean)² before the root"
    icept_se = want * math.sqrt(float((lx**2).mean()))
    if _close(se, icept_se, 1e-4):
        return "that is the standard error of the intercept, not of the slope"
    return ""


@exercise("fit_loss_exponent")
def check_fit(fit: Callable[[np.ndarray, np.ndarray], tuple[float, float]]) -> str:
    """Check the reader's power-law fit (α_m, SE) against :func:`superscale.fit.fit_power_law` on an exact
    law, a noisy one and two of the chapter's loss curves (chapter 4)."""
    cases = _fit_cases()
    for what, m, y in cases:
        ref = fit_power_law(m, y)
        out = fit(m.copy(), y.copy())
        if hasattr(out, "exponent") and not isinstance(out, tuple):
            raise ExerciseError(
                "return two numbers, (alpha_m, se), e.g. `return f.exponent, f.exponent_se`, not the fit object"
            )
        a, se = _two_numbers(out, "fit_loss_exponent(m, loss)")
        if not _close(a, ref.exponent, 1e-6, 1e-8):
            hint = _exponent_mistake(a, m, y, ref.exponent)
            raise ExerciseError(
                f"for {what} your α_m is {a:.4f}; it should be {ref.exponent:.4f}"
                + (
                    f": {hint}."
                    if hint
                    else ". Fit a straight line to log L against log m; α_m is minus its slope."
                )
            )
        if ref.exponent_se < 1e-6:
            expect(abs(se) < 1e-6, f"for {what} (no scatter at all) your SE is {se:.3g}; it should be 0")
            continue
        if not _close(se, ref.exponent_se, 1e-5, 1e-10):
            hint = _se_mistake(se, m, y, ref.exponent_se)
            raise ExerciseError(
                f"your α_m is right, but for {what} your standard error is {se:.4g}; it should be "
                f"{ref.exponent_se:.4g}"
                + (
                    f": {hint}."
                    if hint
                    else ". SE = √(Σ residual² / (k − 2) / Σ (log m − mean log m)²) for k points."
                )
            )
    real = fit_power_law(cases[2][1], cases[2][2])
    return (
        f"α_m and its SE agree with superscale.fit.fit_power_law on {len(cases)} curves; e.g. "
        f"{cases[2][0]}: α_m = {real.exponent:.2f} ± {real.exponent_se:.2f}"
    )


# ------------------------------------------------------------------------------------------------
# Exercise 4.3: do two exponents differ?
# ------------------------------------------------------------------------------------------------

#: (α_m A, SE A, α_m B, SE B) of the small cases.
COMPARE_CASES = ((1.0, 0.03, 1.12, 0.04), (2.0, 0.1, 1.0, 0.2), (0.9, 0.05, 0.87, 0.05), (1.3, 0.3, 1.9, 0.1))


def _z_mistake(z: float, a1: float, s1: float, a2: float, s2: float) -> str:
    d = abs(a1 - a2)
    guesses = {
        "you added the two SEs; independent errors add in quadrature: √(SE_A² + SE_B²)": d / (s1 + s2),
        "you forgot the square root: divide by √(SE_A² + SE_B²), not by SE_A² + SE_B²": d / (s1**2 + s2**2),
        "you divided by the first SE only; both fits are uncertain, use √(SE_A² + SE_B²)": d / s1,
        "you divided by the second SE only; both fits are uncertain, use √(SE_A² + SE_B²)": d / s2,
        "you averaged the variances; their sum is the variance of the difference": d
        / math.sqrt((s1**2 + s2**2) / 2),
        "you returned a signed number; take the absolute value of the difference": (a1 - a2)
        / math.hypot(s1, s2),
    }
    for text, value in guesses.items():
        if _close(z, value, 1e-6) and not _close(z, d / math.hypot(s1, s2), 1e-6):
            return text
    return ""


@exercise("compare_exponents")
def check_compare(compare: Callable[[float, float, float, float], tuple[float, bool]]) -> str:
    """Check the reader's z = |α_A − α_B| / √(SE_A² + SE_B²) and the verdict z > 2, then apply it to
    runs of ``paper-small`` (chapter 4)."""
    for a1, s1, a2, s2 in COMPARE_CASES:
        out = compare(a1, s1, a2, s2)
        try:
            z, differ = out
            z = float(z)
        except (TypeError, ValueError):
            raise ExerciseError(f"compare_exponents must return (z, differ), got {out!r}") from None
        want = abs(a1 - a2) / math.hypot(s1, s2)
        if not _close(z, want, 1e-6):
            hint = _z_mistake(z, a1, s1, a2, s2)
            raise ExerciseError(
                f"for α_m = {a1} ± {s1} against {a2} ± {s2} your z is {z:.4g}; it should be {want:.4g}"
                + (f": {hint}." if hint else ", the difference in units of its own standard error.")
            )
        expect(
            isinstance(differ, (bool, np.bool_)),
            f"the second value must be True or False (do they differ?), got {differ!r}",
        )
        expect(
            bool(differ) == (want > Z_DIFFER),
            f"z = {want:.2f} is {'more' if want > Z_DIFFER else 'less'} than {Z_DIFFER:g}, so the two exponents "
            f"{'differ' if want > Z_DIFFER else 'cannot be told apart'}: return {want > Z_DIFFER}.",
        )
    ds = catalog.load("paper-small")
    words = []
    for (a_1, g_1), (a_2, g_2) in (((0.5, -0.778), (2.0, -0.778)), ((0.0, -1.0), (0.0, -0.333))):
        f1, f2 = _fit_at(ds, a_1, g_1), _fit_at(ds, a_2, g_2)
        z, differ = compare(f1.exponent, f1.exponent_se, f2.exponent, f2.exponent_se)
        words.append(
            f"(α = {a_1:g}, γ = {_g(g_1)}) against (α = {a_2:g}, γ = {_g(g_2)}): z = {float(z):.1f}, "
            + ("they differ" if differ else "not distinguishable")
        )
    return f"right on {len(COMPARE_CASES)} cases. On the chapter's runs: " + "; ".join(words)


# ------------------------------------------------------------------------------------------------
# Exercise 4.4: α_m along the activation density
# ------------------------------------------------------------------------------------------------


def density_exponents(ds) -> pd.DataFrame:
    """α_m fitted over the widths for every (E, γ) of ``paper-density-strong``, as a DataFrame with one
    row per E and one column per γ (chapter 4; the reference for :func:`check_density`)."""
    loss = ds["final_loss"].transpose("E", "gamma", "m").values
    widths = ds["m"].values
    am = [
        [fit_power_law(widths, loss[i, j]).exponent for j in range(loss.shape[1])]
        for i in range(loss.shape[0])
    ]
    return pd.DataFrame(am, index=ds["E"].values, columns=ds["gamma"].values)


@exercise("alpha_m_by_density")
def check_density(by_density: Callable) -> str:
    """Check the reader's α_m over (E, γ) of ``paper-density-strong`` against :func:`density_exponents`
    (chapter 4; the right panel of Figure 4.7)."""
    ds = catalog.load("paper-density-strong")
    want = density_exponents(ds)
    got = by_density(ds.copy())
    expect(
        isinstance(got, pd.DataFrame),
        f"return a pandas DataFrame (one row per E, one column per γ), got {type(got).__name__}",
    )
    E, G = want.index.values, want.columns.values

    def same(a, b) -> bool:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and np.allclose(a, b)

    if got.shape == want.shape[::-1] and same(got.index, G) and same(got.columns, E):
        raise ExerciseError("your rows are γ and your columns E; put one row per E and one column per γ")
    if got.shape != want.shape:
        raise ExerciseError(
            f"your table has shape {got.shape}; it should be {want.shape}: one α_m per (E, γ), each fitted "
            "over the six widths m (not over E)"
        )
    gi, gc = np.asarray(got.index, dtype=float), np.asarray(got.columns, dtype=float)
    if same(gi, G) and same(gc, E) and not same(gi, E):
        raise ExerciseError("your rows are γ and your columns E; put one row per E and one column per γ")
    expect(
        same(gi, E) and same(gc, G),
        f"label the rows with ds['E'] ({np.round(E, 2).tolist()}) and the columns with ds['gamma'] "
        f"({np.round(G, 2).tolist()})",
    )
    v, w = got.to_numpy(dtype=float), want.to_numpy()
    if not np.allclose(v, w, rtol=1e-6, atol=1e-8):
        if np.allclose(v, -w, rtol=1e-4):
            raise ExerciseError(
                "your exponents have the wrong sign: α_m is minus the slope of log L against log m"
            )
        if v.shape == w.T.shape and np.allclose(v, w.T, rtol=1e-6):
            raise ExerciseError("your values are transposed: row i should hold E[i], column j γ[j]")
        i, j = np.unravel_index(int(np.argmax(np.abs(v - w))), w.shape)
        raise ExerciseError(
            f"at E = {E[i]:.2f}, γ = {_g(G[j])} your α_m is {v[i, j]:.3f}; it should be {w[i, j]:.3f}. Fit "
            "log final_loss against log m over the six widths (ds['final_loss'].sel(E=..., gamma=...))"
        )
    lo, hi = w.min(axis=1), w.max(axis=1)
    paper = catalog.load("paper-small")
    e1 = [_fit_at(paper, 1.0, g).exponent for g in G]
    return (
        f"α_m = {min(e1):.2f}–{max(e1):.2f} at E = 1 (the α = 1 runs of paper-small), {lo[0]:.2f}–{hi[0]:.2f} "
        f"at E = {E[0]:.2f}, {lo[-1]:.2f}–{hi[-1]:.2f} at E = {E[-1]:.2f} (the paper: 1.1 ± 0.2 at E ≈ 7.5): "
        "a small drift down as E grows, still in the strong band"
    )
