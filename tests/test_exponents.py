"""Tests of chapter 4's helpers (superscale.exponents) and figure functions, on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import ALPHAS, GAMMAS, WIDTHS, fake_sweep, synthetic_grid  # noqa: F401

from superscale import exponents, paper


def test_fit_exponent_grid_recovers_exact_exponents():
    L = synthetic_grid()
    grid = exponents.fit_exponent_grid(L, WIDTHS)
    assert grid.exponent.shape == (GAMMAS.size, ALPHAS.size)
    for i, g in enumerate(GAMMAS):
        for j, a in enumerate(ALPHAS):
            want = exponents.predicted_alpha_m(a, "strong") if g < 0 else max(a - 1, 0.05)
            assert grid.exponent[i, j] == pytest.approx(want, abs=1e-9)
    np.testing.assert_allclose(grid.r2, 1.0, atol=1e-12)
    np.testing.assert_allclose(grid.se, 0.0, atol=1e-6)
    np.testing.assert_allclose(grid.amplitude, 2.0, rtol=1e-9)


def test_fit_exponent_grid_matches_single_fits_and_width_range():
    L = synthetic_grid(noise=0.1, seed=3)
    grid = exponents.fit_exponent_grid(L, WIDTHS, min_width=15)
    from superscale.fit import fit_power_law

    f = fit_power_law(WIDTHS[1:], L[2, 5, 1:])
    assert grid.exponent[2, 5] == pytest.approx(f.exponent)
    assert grid.se[2, 5] == pytest.approx(f.exponent_se)
    assert grid.r2[2, 5] == pytest.approx(f.r2)
    assert list(grid.widths) == list(WIDTHS[1:])


def test_fit_exponent_grid_skips_missing_points_and_flags_unfittable_runs():
    L = synthetic_grid()
    L[0, 0, 0] = np.nan  # one missing width: still fitted on 5 points
    L[0, 1, :4] = np.nan  # only 2 usable widths left: NaN
    grid = exponents.fit_exponent_grid(L, WIDTHS)
    assert grid.exponent[0, 0] == pytest.approx(1.0)
    assert np.isnan(grid.exponent[0, 1]) and np.isnan(grid.r2[0, 1])


def test_fit_exponent_grid_rejects_bad_input():
    with pytest.raises(ValueError, match="loss must have shape"):
        exponents.fit_exponent_grid(np.ones((3, 5)), WIDTHS)
    with pytest.raises(ValueError, match="min_width"):
        exponents.fit_exponent_grid(np.ones((3, 6)), WIDTHS, min_width=50)
    with pytest.raises(ValueError, match="widths"):
        exponents.fit_exponent_grid(np.ones(2), [1, 2])


def test_regions_match_the_paper():
    assert exponents.region_of(0.556, 0.0) == "weak"
    assert exponents.region_of(1.0, 2.0) == "weak"
    assert exponents.region_of(-0.778, 1.0) == "strong-flat"
    assert exponents.region_of(-0.333, 1.375) == "strong-flat"
    assert exponents.region_of(-0.111, 2.0) == "strong-skewed"
    assert exponents.region_of(-1.0, 1.625) == "strong-skewed"
    assert exponents.region_of(-0.111, 0.5) is None  # the transition column outside the boxes
    assert exponents.region_of(-0.556, 1.5) is None  # between the flat and skewed boxes


def test_predicted_alpha_m():
    assert exponents.predicted_alpha_m(2.0, "weak") == pytest.approx(1.0)
    assert exponents.predicted_alpha_m(0.3, "strong-flat") == 1.0
    assert exponents.predicted_alpha_m(1.75, "strong-skewed") == pytest.approx(1.5)
    np.testing.assert_allclose(exponents.predicted_alpha_m([0.5, 1.5, 2.0], "strong"), [1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="region"):
        exponents.predicted_alpha_m(1.0, "medium")
    with pytest.raises(ValueError, match="alpha"):
        exponents.predicted_alpha_m(-1.0, "weak")


def test_large_fit_ranges_follow_the_paper():
    assert exponents.large_fit_min_width("exponential", -1.0) == 8
    assert exponents.large_fit_min_width("power", -1.0) == 32
    assert exponents.large_fit_min_width("linear", -1.0) == 32
    assert exponents.large_fit_min_width("power", 0.1) == 64
    assert exponents.large_fit_min_width("linear", 0.1) == 8
    with pytest.raises(ValueError, match="kind"):
        exponents.large_fit_min_width("zipf", -1.0)
    w = np.array([8, 16, 32, 64, 128, 256, 512, 1024])
    f = exponents.fit_large(w, 3.0 / w, "power", -1.0)
    assert f.n_points == 6 and f.exponent == pytest.approx(1.0)
    assert exponents.fit_large(w[:4], 3.0 / w[:4], "power", -1.0) is None  # only m = 32, 64 in range
    with pytest.raises(ValueError, match="same shape"):
        exponents.fit_large(w, w[:3], "power", -1.0)


def test_paper_numbers_are_consistent():
    assert set(paper.PAPER_LARGE_ALPHA_M) == {"exponential", "power", "linear"}
    assert len(paper.PAPER_DENSITY_ALPHA_M) == len(paper.DENSITY_PAPER_E) == 5
    assert [r[0] for r in paper.PAPER_FIG5E] == list(ALPHAS)
    assert all(lo <= hi for _, lo, hi in paper.PAPER_FIG5E)
    for regime in ("weak", "strong"):
        for kind, v in paper.PAPER_FIG1_LOSS[regime].items():
            assert len(v) == 8, (regime, kind)


# ---------------------------------------------------------------------------------------------
# Figures (smoke tests: right number of traces, slider steps, bad input rejected)
# ---------------------------------------------------------------------------------------------


def test_phase_is_no_longer_a_command_line_of_its_own():
    # the large model's CPU run is `python -m superscale.sweep large` (tests/test_sweep.py)
    assert not hasattr(exponents, "main") and not hasattr(exponents, "large_cpu_grid")
