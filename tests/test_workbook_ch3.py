"""Tests of superscale.workbook.ch3 (workbook 3, weak superposition): every check passes on the notebook's
solutions, says "not done yet" for a stub, and fails with its explanation on typical wrong answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from superscale.workbook import ExerciseError, solution_namespace
from superscale.workbook import ch3 as wb

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "workbook" / "wb3_weak.ipynb"


@pytest.fixture(scope="module")
def sol() -> dict:
    ns = solution_namespace(NOTEBOOK)
    ns.update(np=np)  # the notebook imports it in its first cell
    return ns


@pytest.fixture(scope="module")
def paper():
    return wb.paper_small()


def fails(check, *args, match: str) -> None:
    with pytest.raises(ExerciseError, match=match):
        check(*args)


def stub(*args):
    raise NotImplementedError("fill me in")


def test_checks_pass_on_the_solutions_and_wait_for_stubs(sol, paper, capsys):
    runs = [
        (wb.check_weak_loss, [sol["weak_loss"]]),
        (wb.check_fit, [sol["fit_alpha_m"]]),
        (wb.check_ideal_exponent, [sol["ideal_exponent"]]),
        (wb.check_sweep_alpha_m, [sol["alpha_m_from_sweep"], sol["differs"], paper]),
        (wb.check_prediction, [sol["predict_alpha_m"], paper]),
    ]
    for check, args in runs:
        assert check(*args) is True
        assert capsys.readouterr().out.startswith("✓ ")
        assert check(stub, *args[1:]) is False
        assert "not done yet" in capsys.readouterr().out


def _tail(p, m, f):
    ps = np.sort(p)[::-1]
    return float(np.sum(f(ps)[m:]))


def test_weak_loss_wrong_answers():
    fails(wb.check_weak_loss, lambda p, m: _tail(p, m, lambda q: 4 / 3 * q), match="left out the − p_i² term")
    fails(wb.check_weak_loss, lambda p, m: _tail(p, m, lambda q: q - q**2), match="⟨v²⟩ = 1")
    kept = lambda p, m: float(np.sum((4 / 3 * np.sort(p)[::-1] - np.sort(p)[::-1] ** 2)[:m]))  # noqa: E731
    fails(wb.check_weak_loss, kept, match="summed over the m kept features")
    off = lambda p, m: _tail(p, max(m - 1, 0), lambda q: 4 / 3 * q - q**2)  # noqa: E731
    fails(wb.check_weak_loss, off, match="included feature m itself")
    unsorted = lambda p, m: float(np.sum((4 / 3 * p - p**2)[m:]))  # noqa: E731
    fails(wb.check_weak_loss, unsorted, match="ranked by frequency")


def _line(x, y):
    slope, icpt = np.polyfit(x, y, 1)
    r = y - (slope * x + icpt)
    X = x - x.mean()
    return (
        slope,
        math.sqrt(float(r @ r) / (x.size - 2) / float(X @ X)),
        math.sqrt(float(r @ r) / (x.size - 2)),
    )


def test_fit_wrong_answers(sol):
    semilog = lambda w, L: (-_line(np.log(w), L)[0], _line(np.log(w), L)[1])  # noqa: E731
    fails(wb.check_fit, semilog, match="semi-log")
    mixed = lambda w, L: (-_line(np.log10(w), np.log(L))[0], 0.0)  # noqa: E731
    fails(wb.check_fit, mixed, match="mixed logarithms.*too steep")
    mixed2 = lambda w, L: (-_line(np.log(w), np.log10(L))[0], 0.0)  # noqa: E731
    fails(wb.check_fit, mixed2, match="mixed logarithms.*too shallow")
    sign = lambda w, L: (_line(np.log(w), np.log(L))[0], _line(np.log(w), np.log(L))[1])  # noqa: E731
    fails(wb.check_fit, sign, match="wrong sign")
    resid = lambda w, L: (-_line(np.log(w), np.log(L))[0], _line(np.log(w), np.log(L))[2])  # noqa: E731
    fails(wb.check_fit, resid, match="residual standard deviation")
    fails(wb.check_fit, lambda w, L: 0.5, match=r"return two numbers: \(alpha_m, se\)")


def test_ideal_exponent_wrong_answers(sol):
    fails(wb.check_ideal_exponent, lambda alpha, n: alpha - 1, match="returned α − 1")
    fails(wb.check_ideal_exponent, lambda alpha, n: -sol["ideal_exponent"](alpha, n), match="wrong sign")


def test_sweep_alpha_m_wrong_answers(sol, paper):
    fit, differs = sol["fit_alpha_m"], sol["differs"]
    exact = lambda ds, a, g: fit(ds["m"].values, ds["final_loss"].sel(alpha=a, gamma=g).values)  # noqa: E731
    fails(wb.check_sweep_alpha_m, exact, differs, paper, match="method='nearest'")

    def semilog(ds, a, g):
        L = ds["final_loss"].sel(alpha=a, gamma=g, method="nearest").values
        return -_line(np.log(ds["m"].values), L)[0], 0.1

    fails(wb.check_sweep_alpha_m, semilog, differs, paper, match="semi-log")

    def of_se(ds, a, g):
        return fit(ds["m"].values, ds["final_loss_se"].sel(alpha=a, gamma=g, method="nearest").values)

    fails(wb.check_sweep_alpha_m, of_se, differs, paper, match="final_loss_se")
    one_se = lambda a, se, v: abs(a - v) > se  # noqa: E731
    fails(
        wb.check_sweep_alpha_m, sol["alpha_m_from_sweep"], one_se, paper, match="more than 2 standard errors"
    )
    signed = lambda a, se, v: a - v > 2 * se  # noqa: E731
    fails(wb.check_sweep_alpha_m, sol["alpha_m_from_sweep"], signed, paper, match="absolute difference")


def test_prediction_wrong_answers(paper):
    fails(wb.check_prediction, lambda a, g: 1.0, paper, match="strong-superposition exponent")
    fails(wb.check_prediction, lambda a, g: a, paper, match="α itself")
    fails(wb.check_prediction, lambda a, g: 1 - a, paper, match="it is positive")
    fails(wb.check_prediction, lambda a, g: 2.5, paper, match=r"α_m ≈ α − 1 = 0\.5")
