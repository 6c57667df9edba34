"""Workbook 4 (chapter 4): every check passes on the notebook's solutions and explains typical wrong answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from superscale.fit import fit_power_law
from superscale.workbook import ExerciseError, solution_namespace
from superscale.workbook import ch4 as wb

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "workbook" / "wb4_strong.ipynb"


@pytest.fixture(scope="module")
def sol() -> dict:
    return solution_namespace(NOTEBOOK)


def _fails(check, fn, *words: str) -> str:
    with pytest.raises(ExerciseError) as err:
        check(fn)
    msg = str(err.value)
    for w in words:
        assert w in msg, f"expected {w!r} in the message: {msg}"
    return msg


# --- every check passes on the solutions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "name"),
    [
        (wb.check_prediction, "predict_alpha_m"),
        (wb.check_fit, "fit_loss_exponent"),
        (wb.check_compare, "compare_exponents"),
        (wb.check_density, "alpha_m_by_density"),
    ],
)
def test_check_passes_on_the_solution(sol, check, name, capsys):
    assert check(sol[name]) is True
    assert capsys.readouterr().out.startswith("✓ ")


def test_a_stub_is_reported_as_not_done_yet(capsys):
    def stub(*args):
        raise NotImplementedError("fill me in")

    for check in (wb.check_prediction, wb.check_fit, wb.check_compare, wb.check_density):
        assert check(stub) is False
    out = capsys.readouterr().out
    assert out.count("not done yet") == 4


# --- Exercise 4.1: predictions -------------------------------------------------------------------


def test_prediction_of_one_for_skewed_frequencies_is_explained():
    _fails(
        wb.check_prediction,
        lambda: (1.0, 1.0),
        "α = 2",
        "α_m ≈ 1 holds for flat frequencies only",
        "2(α − 1)",
    )


def test_prediction_with_the_weak_rule_is_explained():
    _fails(wb.check_prediction, lambda: (-0.5, 1.0), "weak rule α_m = α − 1", "nothing is left out")


def test_prediction_must_be_two_numbers():
    _fails(wb.check_prediction, lambda: 1.0, "must return two numbers")


# --- Exercise 4.2: the fit -----------------------------------------------------------------------


def _ls(x, y):
    dx = x - x.mean()
    slope = float((dx * (y - y.mean())).sum() / (dx**2).sum())
    res = y - y.mean() - slope * dx
    return slope, res, dx


def test_fit_with_the_slope_sign_is_explained():
    def signed(m, loss):
        f = fit_power_law(m, loss)
        return -f.exponent, f.exponent_se

    _fails(wb.check_fit, signed, "wrong sign", "minus that slope")


def test_fit_with_log10_on_one_axis_is_explained():
    def mixed(m, loss):
        slope, res, dx = _ls(np.log10(m), np.log(loss))
        return -slope, 0.0

    _fails(wb.check_fit, mixed, "2.303 times", "natural log on one axis and log10 on the other")


def test_fit_on_linear_axes_is_explained():
    def linear(m, loss):
        return -np.polyfit(m, loss, 1)[0], 0.0

    _fails(wb.check_fit, linear, "linear axes", "log L against log m")


def test_fit_se_divided_by_k_is_explained():
    def by_k(m, loss):
        slope, res, dx = _ls(np.log(m), np.log(loss))
        return -slope, math.sqrt((res**2).sum() / m.size / (dx**2).sum())

    _fails(wb.check_fit, by_k, "your α_m is right", "divide by k − 2 = 4")


def test_fit_returning_the_variance_is_explained():
    def variance(m, loss):
        f = fit_power_law(m, loss)
        return f.exponent, f.exponent_se**2

    _fails(wb.check_fit, variance, "variance of the slope", "square root")


def test_fit_returning_the_fit_object_is_explained():
    _fails(wb.check_fit, fit_power_law, "return two numbers", "f.exponent_se")


# --- Exercise 4.3: comparing exponents -----------------------------------------------------------


def test_compare_adding_the_ses_is_explained():
    def added(a1, s1, a2, s2):
        z = abs(a1 - a2) / (s1 + s2)
        return z, z > 2

    _fails(wb.check_compare, added, "added the two SEs", "in quadrature")


def test_compare_without_absolute_value_is_explained():
    def signed(a1, s1, a2, s2):
        z = (a1 - a2) / math.hypot(s1, s2)
        return z, abs(z) > 2

    _fails(wb.check_compare, signed, "absolute value")


def test_compare_with_a_wrong_verdict_is_explained():
    def one_se(a1, s1, a2, s2):
        z = abs(a1 - a2) / math.hypot(s1, s2)
        return z, z > 0.5

    _fails(wb.check_compare, one_se, "cannot be told apart", "return False")


# --- Exercise 4.4: the density sweep ------------------------------------------------------------


def test_density_transposed_is_explained(sol):
    _fails(wb.check_density, lambda ds: sol["alpha_m_by_density"](ds).T, "your rows are γ")


def test_density_with_the_wrong_sign_is_explained(sol):
    _fails(wb.check_density, lambda ds: -sol["alpha_m_by_density"](ds), "wrong sign")


def test_density_fitted_over_E_is_explained():
    def over_e(ds):
        loss = ds["final_loss"].transpose("gamma", "m", "E").values
        am = [
            [fit_power_law(ds["E"].values, loss[g, k]).exponent for k in range(loss.shape[1])]
            for g in range(3)
        ]
        return pd.DataFrame(am)

    _fails(wb.check_density, over_e, "shape (3, 6)", "over the six widths m (not over E)")


def test_density_as_an_array_is_explained(sol):
    _fails(wb.check_density, lambda ds: sol["alpha_m_by_density"](ds).to_numpy(), "return a pandas DataFrame")
