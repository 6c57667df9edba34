"""Workbook 1 (chapter 1, feature frequencies): the checks of its exercises.

- :func:`check_frequencies`: power-law frequencies p_i ∝ i^(-α), normalised so that Σ p_i = E;
- :func:`check_sampler`: the sampler x_i = u_i v_i, u_i ~ Bernoulli(p_i), v_i ~ U(0, 2), by its moments;
- :func:`check_weak_loss`: the loss of a model that keeps the m most frequent features;
- :func:`check_fit`: a power-law fit with the standard error of its exponent;
- :func:`check_differ`: whether two fitted exponents differ, given their standard errors.

Each check runs the reader's function on small cases and raises
:class:`superscale.workbook.ExerciseError` saying what is wrong in the reader's terms.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import data, fit, theory
from . import ExerciseError, exercise, expect

__all__ = ["check_frequencies", "check_sampler", "check_weak_loss", "check_fit", "check_differ"]

#: (n, α, E) on which the reader's frequencies are checked.
FREQUENCY_CASES: tuple[tuple[int, float, float], ...] = (
    (10, 1.0, 1.0),
    (1000, 1.5, 2.0),
    (5, 0.0, 3.0),
    (100, 2.0, 1.0),
)
#: Samples drawn from the reader's sampler, and the tolerance in standard errors of its moments.
SAMPLES = 100_000
K_SE = 5.0


def _array(value, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} should be an array of numbers, got {type(value).__name__}") from None


@exercise("power-law frequencies")
def check_frequencies(frequencies: Callable) -> str:
    """Check ``frequencies(n, alpha, E)``: p_i ∝ i^(-α), i = 1..n, with Σ p_i = E (workbook 1, ex. 1.1)."""
    for n, alpha, E in FREQUENCY_CASES:
        case = f"n = {n}, α = {alpha}, E = {E}"
        p = _array(frequencies(n, alpha, E), "your frequencies")
        expect(
            p.shape == (n,),
            f"for {case} your function returned shape {p.shape}; it should return one frequency per feature, shape ({n},)",
        )
        expect(
            bool(np.all(np.isfinite(p))),
            f"for {case} your frequencies contain inf or nan: the ranks run i = 1..n (i = 0 would give 0^(-α))",
        )
        ref = data.power_law_frequencies(n, alpha, E)
        expect(
            abs(p.sum() - E) <= 1e-9 * E,
            f"for {case} your frequencies sum to {p.sum():.6g}; they must sum to E = {E}: divide i^(-α) by "
            "Σ_j j^(-α) and multiply by E",
        )
        if alpha > 0:
            expect(
                p[0] > p[-1],
                f"for {case} your p_i grow with the rank i (p_1 = {p[0]:.4g}, p_n = {p[-1]:.4g}): use i^(-α), "
                "so that feature 1 is the most frequent",
            )
            ratio, want = p[0] / p[1], 2.0**alpha
            expect(
                abs(ratio - want) <= 1e-9 * want,
                f"for {case} your p_1/p_2 = {ratio:.4g}; for p_i ∝ i^(-α) it is 2^α = {want:.4g}",
            )
        bad = np.flatnonzero(~np.isclose(p, ref, rtol=1e-9, atol=0))
        expect(
            bad.size == 0,
            f"for {case} your p_{bad[0] + 1 if bad.size else 0} = {p[bad[0]] if bad.size else 0:.6g}, "
            f"expected {ref[bad[0]] if bad.size else 0:.6g}",
        )
    return f"p_i ∝ i^(-α) with Σ p_i = E on {len(FREQUENCY_CASES)} cases (n up to 1000, α from 0 to 2)"


def _z(values: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """(sample mean − exact) in standard errors of the mean, per column."""
    se = values.std(axis=0) / np.sqrt(values.shape[0])
    return (values.mean(axis=0) - exact) / np.maximum(se, 1e-12)


@exercise("sampler")
def check_sampler(sample: Callable) -> str:
    """Check ``sample(p, batch_size, rng)``: a batch of shape (batch_size, n) with x_i = u_i v_i,
    u_i ~ Bernoulli(p_i), v_i ~ U(0, 2), by its moments within 5 standard errors (workbook 1, ex. 1.2)."""
    p = data.power_law_frequencies(8, 1.0, 2.0)
    n, B = p.size, SAMPLES
    x = _array(sample(p, B, np.random.default_rng(0)), "your batch")
    if x.shape == (n, B):
        raise ExerciseError(
            f"your batch has shape {x.shape}: one row per sample, shape (batch_size, n) = ({B}, {n})"
        )
    expect(
        x.shape == (B, n),
        f"your batch has shape {x.shape}; for {n} features and batch_size = {B} it should be ({B}, {n})",
    )
    expect(
        bool(np.all(np.isfinite(x))) and x.min() >= 0 and x.max() <= 2,
        f"your values run from {x.min():.3g} to {x.max():.3g}; x_i = u_i v_i lies between 0 and 2",
    )
    active = (x > 0).mean(axis=0)
    expect(
        not np.all(active > 0.99),
        "every feature is active in (nearly) every sample: draw u_i ~ Bernoulli(p_i), active with probability p_i",
    )
    z = (active - p) / np.sqrt(p * (1 - p) / B)
    i = int(np.argmax(np.abs(z)))
    expect(
        abs(z[i]) <= K_SE,
        f"feature {i + 1} is active (x > 0) in a fraction {active[i]:.4f} of your samples; it should be p_{i + 1} = "
        f"{p[i]:.4f} (give or take {K_SE:g} standard errors, {K_SE * np.sqrt(p[i] * (1 - p[i]) / B):.4f})",
    )
    count = (x > 0).sum(axis=1)
    var, want = count.var(), float(np.sum(p * (1 - p)))
    expect(
        abs(var - want) <= 0.1 * want,
        f"the number of active features per sample has variance {var:.3f}; for independent features it is "
        f"Σ p_i(1 − p_i) = {want:.3f}: draw u independently for every sample and every feature",
    )
    mean = x.mean(axis=0)
    z = _z(x, p)
    i = int(np.argmax(np.abs(z)))
    if np.allclose(mean, p / 2, rtol=0.05):
        raise ExerciseError(
            f"your ⟨x_i⟩ is about p_i / 2 (⟨x_1⟩ = {mean[0]:.3f}, p_1 = {p[0]:.3f}): an active feature's value v is "
            "uniform between 0 and 2 (mean 1), not between 0 and 1"
        )
    expect(
        abs(z[i]) <= K_SE,
        f"your ⟨x_{i + 1}⟩ = {mean[i]:.4f} over {B} samples; it should be p_{i + 1} = {p[i]:.4f} "
        f"(within {K_SE:g} standard errors)",
    )
    second = (x**2).mean(axis=0)
    if np.allclose(second, p, rtol=0.05):
        raise ExerciseError(
            f"your ⟨x_i²⟩ is about p_i (⟨x_1²⟩ = {second[0]:.3f}): an active feature should take a value v uniform "
            "between 0 and 2, so that ⟨x_i²⟩ = ⟨v²⟩ p_i = 4/3 p_i"
        )
    z = _z(x**2, data.V2_MEAN * p)
    i = int(np.argmax(np.abs(z)))
    expect(
        abs(z[i]) <= K_SE,
        f"your ⟨x_{i + 1}²⟩ = {second[i]:.4f}; it should be 4/3 p_{i + 1} = {data.V2_MEAN * p[i]:.4f} "
        f"(within {K_SE:g} standard errors)",
    )
    return (
        f"shape ({B}, {n}), values in [0, 2], independent features, ⟨x_i⟩ = p_i and ⟨x_i²⟩ = 4/3 p_i "
        f"within {K_SE:g} standard errors (⟨x_1⟩ = {mean[0]:.4f} for p_1 = {p[0]:.4f})"
    )


def _tail(var: np.ndarray, m: int) -> float:
    return float(var[m:].sum())


@exercise("weak-regime loss")
def check_weak_loss(weak_loss: Callable) -> str:
    """Check ``weak_loss(p, m)``: Σ_{i>m} (4/3 p_i − p_i²) over the features outside the m most frequent,
    against :func:`superscale.theory.weak_loss` (workbook 1, ex. 1.3)."""
    p_sorted = data.power_law_frequencies(1000, 1.0, 3.0)
    shuffled = np.random.default_rng(1).permutation(p_sorted)
    cases = [(p_sorted, m, "p_i ∝ i^(-1), n = 1000, E = 3") for m in (0, 1, 10, 100, 1000)]
    cases.append((shuffled, 10, "the same frequencies in shuffled order"))
    for p, m, what in cases:
        got = _array(weak_loss(p.copy(), m), "your loss")
        expect(got.size == 1, f"your loss for m = {m} has shape {got.shape}; return one number")
        got = float(got.reshape(()))
        want = float(theory.weak_loss(p, m))
        if np.isclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        ps = np.sort(p)[::-1]
        case = f"for {what} and m = {m} your loss is {got:.6g}, expected {want:.6g}"
        if p is shuffled and np.isclose(got, float(np.sum(data.V2_MEAN * p[m:] - p[m:] ** 2)), rtol=1e-9):
            raise ExerciseError(
                f"{case}: you dropped the last n − m entries of p as given; the model keeps the m MOST FREQUENT "
                "features, the m largest p_i (sort p in decreasing order first)"
            )
        if np.isclose(got, _tail(data.V2_MEAN * ps, m), rtol=1e-9):
            raise ExerciseError(
                f"{case}: that is Σ_(i>m) ⟨x_i²⟩, the loss of outputting 0 for a dropped feature; the best constant "
                "output is its mean ⟨x_i⟩ = p_i, which leaves the variance ⟨x_i²⟩ − ⟨x_i⟩² = 4/3 p_i − p_i²"
            )
        if np.isclose(got, _tail(ps - ps**2, m), rtol=1e-9):
            raise ExerciseError(f"{case}: you used ⟨v²⟩ = 1; with v uniform between 0 and 2, ⟨v²⟩ = 4/3")
        var = data.V2_MEAN * ps - ps**2
        for shift in (-1, 1):
            if 0 <= m + shift <= ps.size and np.isclose(got, _tail(var, m + shift), rtol=1e-9):
                raise ExerciseError(
                    f"{case}, which is the loss at m = {m + shift}: the kept features are i = 1..m, the loss sums "
                    "over i = m + 1..n"
                )
        raise ExerciseError(f"{case} = Σ_(i>m) (4/3 p_i − p_i²)")
    p = data.power_law_frequencies(1000, 1.5, 1.0)
    return (
        f"Σ_(i>m) (4/3 p_i − p_i²) on {len(cases)} cases; at α = 1.5, n = 1000, E = 1 your L(10) = "
        f"{float(weak_loss(p, 10)):.4f} and L(100) = {float(weak_loss(p, 100)):.4f}"
    )


def _pair(value, what: str) -> tuple[float, float]:
    try:
        a, b = value
        return float(a), float(b)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} should return two numbers, (exponent, standard error)") from None


@exercise("power-law fit")
def check_fit(fit_power: Callable) -> str:
    """Check ``fit_power(x, y) -> (exponent, se)``: least squares of ln y on ln x, exponent = minus the
    slope, se its standard error; against :func:`superscale.fit.fit_power_law` (workbook 1, ex. 1.4)."""
    rng = np.random.default_rng(2)
    x_exact = np.array([1.0, 2.0, 5.0, 10.0, 20.0, 50.0])
    x_noisy = np.geomspace(1, 100, 12)
    widths = np.array([10, 15, 25, 39, 63, 100])
    cases = [
        ("y = 3 x^(-0.7) exactly", x_exact, 3.0 * x_exact**-0.7),
        (
            "y = 2 x^(-1.2) with 10% noise",
            x_noisy,
            2.0 * x_noisy**-1.2 * np.exp(0.1 * rng.standard_normal(12)),
        ),
        (
            "the weak-regime loss at α = 1.5",
            widths,
            theory.weak_loss(data.power_law_frequencies(1000, 1.5), widths),
        ),
    ]
    for what, x, y in cases:
        ref = fit.fit_power_law(x, y)
        a, se = _pair(fit_power(x.copy(), y.copy()), "your fit_power")
        k = x.size
        if not np.isclose(a, ref.exponent, rtol=1e-6, atol=1e-9):
            if np.isclose(a, -ref.exponent, rtol=1e-6):
                raise ExerciseError(
                    f"on {what} your exponent is {a:.4g}: y ∝ x^(-exponent) falls as x grows, so the exponent is "
                    "MINUS the slope of ln y against ln x"
                )
            raise ExerciseError(
                f"on {what} your exponent is {a:.4g}, expected {ref.exponent:.4g}: fit a straight line to "
                "(ln x, ln y) by least squares"
            )
        if np.isclose(se, ref.exponent_se, rtol=1e-6, atol=1e-9):
            continue
        for dof in (k - 1, k):
            if np.isclose(se, ref.exponent_se * np.sqrt((k - 2) / dof), rtol=1e-6):
                raise ExerciseError(
                    f"on {what} ({k} points) your standard error is {se:.4g}, expected {ref.exponent_se:.4g}: the "
                    f"residual variance of a straight-line fit divides by k − 2 = {k - 2} (two fitted parameters), "
                    f"not {dof}"
                )
        raise ExerciseError(
            f"on {what} your standard error is {se:.4g}, expected {ref.exponent_se:.4g}: it is "
            "s / sqrt(Σ (ln x − mean ln x)²), with s² the sum of squared residuals divided by k − 2"
        )
    big = data.power_law_frequencies(10**6, 1.5)
    a, se = _pair(fit_power(widths, theory.weak_loss(big, widths)), "your fit_power")
    ref = fit.fit_power_law(widths, cases[2][2])
    return (
        f"agrees with superscale.fit on {len(cases)} cases; on the ideal loss at α = 1.5 over m = 10..100 your "
        f"exponent is {ref.exponent:.3f} ± {ref.exponent_se:.3f} at n = 1000 and {a:.3f} ± {se:.3f} at n = 10^6 "
        "(the large-n theory says α − 1 = 0.5)"
    )


@exercise("do two exponents differ?")
def check_differ(exponents_differ: Callable) -> str:
    """Check ``exponents_differ(a, se_a, b, se_b) -> bool``: True when |a − b| > 2 sqrt(se_a² + se_b²)
    (workbook 1, ex. 1.5)."""
    cases = [  # (a, se_a, b, se_b, answer, what a wrong answer usually did)
        (1.0, 0.01, 1.1, 0.01, True, ""),
        (
            1.0,
            0.1,
            1.1,
            0.1,
            False,
            "the difference 0.1 is smaller than its standard error sqrt(0.1² + 0.1²)",
        ),
        (1.1, 0.01, 1.0, 0.01, True, "a − b can be negative: compare |a − b|"),
        (
            1.0,
            1.0,
            4.0,
            1.0,
            True,
            "the standard error of a − b is sqrt(se_a² + se_b²) = 1.41, not se_a + se_b = 2 "
            "(independent errors add in quadrature)",
        ),
        (
            1.0,
            1.0,
            2.5,
            0.1,
            False,
            "the difference 1.5 is within two standard errors sqrt(1² + 0.1²) = 1.005 of zero: both errors count",
        ),
    ]
    for a, se_a, b, se_b, answer, why in cases:
        got = exponents_differ(a, se_a, b, se_b)
        expect(
            isinstance(got, (bool, np.bool_)),
            f"exponents_differ({a}, {se_a}, {b}, {se_b}) returned {got!r}; return True or False",
        )
        expect(
            bool(got) == answer,
            f"exponents_differ({a}, {se_a}, {b}, {se_b}) returned {bool(got)}, expected {answer}"
            + (f": {why}" if why else ""),
        )
    return f"right on {len(cases)} cases (differences of 0.7 to 7 standard errors, both signs)"
