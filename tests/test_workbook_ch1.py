"""Workbook 1 (chapter 1): every check passes on the notebook's solutions and explains typical wrong answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from superscale.workbook import ExerciseError, solution_namespace
from superscale.workbook import ch1 as wb

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "workbook" / "wb1_frequencies.ipynb"


@pytest.fixture(scope="module")
def sol() -> dict:
    return solution_namespace(NOTEBOOK)


def test_every_check_passes_on_the_solutions(sol, capsys):
    assert wb.check_frequencies(sol["frequencies"]) is True
    assert wb.check_sampler(sol["sample"]) is True
    assert wb.check_weak_loss(sol["weak_loss"]) is True
    assert wb.check_fit(sol["fit_power"]) is True
    assert wb.check_differ(sol["exponents_differ"]) is True
    out = capsys.readouterr().out
    assert out.count("✓") == 5 and "not done yet" not in out


def test_every_check_reports_a_stub_as_not_done(capsys):
    def stub(*args):
        raise NotImplementedError("fill me in")

    for check in (wb.check_frequencies, wb.check_sampler, wb.check_weak_loss, wb.check_fit, wb.check_differ):
        assert check(stub) is False
    assert capsys.readouterr().out.count("not done yet") == 5


def _raises(check, fn, message):
    with pytest.raises(ExerciseError, match=message):
        check(fn)


# Exercise 1.1 -------------------------------------------------------------------------------------


def test_frequencies_wrong_answers():
    def unnormalised(n, alpha, E=1.0):  # forgot to scale to E
        return np.arange(1, n + 1, dtype=float) ** (-alpha)

    def growing(n, alpha, E=1.0):  # i^alpha instead of i^(-alpha)
        w = np.arange(1, n + 1, dtype=float) ** alpha
        return E * w / w.sum()

    def from_zero(n, alpha, E=1.0):  # ranks 0..n-1
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.arange(n, dtype=float) ** (-alpha)
            return E * w / w.sum()

    def normalised_to_one(n, alpha, E=1.0):  # sums to 1 whatever E
        w = np.arange(1, n + 1, dtype=float) ** (-alpha)
        return w / w.sum()

    _raises(wb.check_frequencies, unnormalised, r"sum to 2\.92897; they must sum to E = 1\.0")
    _raises(wb.check_frequencies, growing, r"your p_i grow with the rank i")
    _raises(wb.check_frequencies, from_zero, r"inf or nan: the ranks run i = 1\.\.n")
    _raises(
        wb.check_frequencies, normalised_to_one, r"n = 1000, α = 1\.5, E = 2\.0 your frequencies sum to 1"
    )
    _raises(wb.check_frequencies, lambda n, alpha, E=1.0: np.ones((n, 1)) * E / n, r"shape \(10, 1\)")


# Exercise 1.2 -------------------------------------------------------------------------------------


def test_sampler_wrong_answers():
    def half_values(p, B, rng):  # v ~ U(0, 1)
        return (rng.random((B, len(p))) < p) * rng.random((B, len(p)))

    def no_value(p, B, rng):  # x = u
        return (rng.random((B, len(p))) < p).astype(float)

    def always_active(p, B, rng):  # forgot the Bernoulli
        return rng.uniform(0, 2, (B, len(p)))

    def shared_u(p, B, rng):  # one uniform per sample for all features: correlated features
        return (rng.random((B, 1)) < p) * rng.uniform(0, 2, (B, len(p)))

    def transposed(p, B, rng):
        return ((rng.random((B, len(p))) < p) * rng.uniform(0, 2, (B, len(p)))).T

    _raises(
        wb.check_sampler,
        half_values,
        r"about p_i / 2 .*uniform between 0 and 2 \(mean 1\), not between 0 and 1",
    )
    _raises(wb.check_sampler, no_value, r"your ⟨x_i²⟩ is about p_i .*4/3 p_i")
    _raises(wb.check_sampler, always_active, r"every feature is active in \(nearly\) every sample")
    _raises(
        wb.check_sampler, shared_u, r"variance .* draw u independently for every sample and every feature"
    )
    _raises(wb.check_sampler, transposed, r"shape \(8, 100000\): one row per sample")


# Exercise 1.3 -------------------------------------------------------------------------------------


def test_weak_loss_wrong_answers():
    def unsorted(p, m):  # takes the first m entries as given
        rest = np.asarray(p)[m:]
        return float(np.sum(4 / 3 * rest - rest**2))

    def mean_square(p, m):  # outputs 0 for a dropped feature
        return float(4 / 3 * np.sort(p)[::-1][m:].sum())

    def unit_v2(p, m):  # <v^2> = 1
        rest = np.sort(p)[::-1][m:]
        return float(np.sum(rest - rest**2))

    def off_by_one(p, m):  # sums from i = m
        rest = np.sort(p)[::-1][max(m - 1, 0) :]
        return float(np.sum(4 / 3 * rest - rest**2))

    _raises(wb.check_weak_loss, unsorted, r"shuffled order.*the m largest p_i")
    _raises(wb.check_weak_loss, mean_square, r"outputting 0 for a dropped feature.*4/3 p_i − p_i²")
    _raises(wb.check_weak_loss, unit_v2, r"you used ⟨v²⟩ = 1")
    _raises(wb.check_weak_loss, off_by_one, r"m = 1 .*which is the loss at m = 0")


# Exercise 1.4 -------------------------------------------------------------------------------------


def _line(x, y):
    lx, ly = np.log(x), np.log(y)
    slope, intercept = np.polyfit(lx, ly, 1)
    resid = ly - (slope * lx + intercept)
    return lx, slope, resid


def test_fit_wrong_answers():
    def plus_slope(x, y):  # returned the slope itself
        lx, slope, resid = _line(x, y)
        return slope, np.sqrt(resid @ resid / (lx.size - 2) / np.sum((lx - lx.mean()) ** 2))

    def k_minus_one(x, y):  # residual variance over k - 1
        lx, slope, resid = _line(x, y)
        return -slope, np.sqrt(resid @ resid / (lx.size - 1) / np.sum((lx - lx.mean()) ** 2))

    def semilog(x, y):  # forgot the log of x
        slope = np.polyfit(np.asarray(x, float), np.log(y), 1)[0]
        return -slope, 0.0

    def residual_sd(x, y):  # the residuals' spread, not the slope's standard error
        lx, slope, resid = _line(x, y)
        return -slope, np.sqrt(resid @ resid / (lx.size - 2))

    _raises(wb.check_fit, plus_slope, r"MINUS the slope of ln y against ln x")
    _raises(wb.check_fit, k_minus_one, r"divides by k − 2 = 10 \(two fitted parameters\), not 11")
    _raises(wb.check_fit, semilog, r"fit a straight line to \(ln x, ln y\)")
    _raises(wb.check_fit, residual_sd, r"s / sqrt\(Σ \(ln x − mean ln x\)²\)")
    _raises(wb.check_fit, lambda x, y: 1.0, r"two numbers, \(exponent, standard error\)")


# Exercise 1.5 -------------------------------------------------------------------------------------


def test_differ_wrong_answers():
    _raises(wb.check_differ, lambda a, sa, b, sb: bool(abs(a - b) > 2 * (sa + sb)), r"add in quadrature")
    _raises(wb.check_differ, lambda a, sa, b, sb: bool(b - a > 2 * np.hypot(sa, sb)), r"compare \|a − b\|")
    _raises(wb.check_differ, lambda a, sa, b, sb: bool(abs(a - b) > 2 * sb), r"both errors count")
    _raises(wb.check_differ, lambda a, sa, b, sb: abs(a - b) - 2 * np.hypot(sa, sb), r"return True or False")
