"""Power-law fits (chapters 1, 3, 4, 6)."""

import numpy as np
import pytest

from superscale.fit import fit_power_law, fit_rank_frequency


def test_exact_power_law():
    x = np.array([10, 15, 25, 39, 63, 100.0])
    f = fit_power_law(x, 3.0 * x**-1.0)
    assert f.exponent == pytest.approx(1.0, abs=1e-12)
    assert f.amplitude == pytest.approx(3.0, rel=1e-12)
    assert f.r2 == pytest.approx(1.0) and f.exponent_se < 1e-6 and f.n_points == 6
    assert np.allclose(f(x), 3.0 / x)


def test_standard_error_is_calibrated():
    """Over many noisy data sets, about 68 % of |estimate - truth| fall within one standard error."""
    rng = np.random.default_rng(0)
    x = np.geomspace(8, 1024, 8)
    hits = 0
    trials = 400
    for _ in range(trials):
        y = 2.0 * x**-0.9 * np.exp(rng.normal(0, 0.1, x.size))
        f = fit_power_law(x, y)
        hits += abs(f.exponent - 0.9) < f.exponent_se
    # Student t with 6 dof: P(|t| < 1) = 0.644
    assert 0.57 < hits / trials < 0.72


def test_rank_frequency_recovers_zipf():
    r = np.arange(1, 20001)
    f = r**-1.1 / np.sum(r**-1.1)
    fit = fit_rank_frequency(f, points=1000)
    assert fit.exponent == pytest.approx(1.1, abs=1e-9)
    assert fit.n_points < 1000  # duplicate low ranks removed


@pytest.mark.parametrize(
    "x, y, match",
    [
        ([1, 2], [1, 2], "at least 3"),
        ([1, 2, 3], [1, 0, 3], "> 0"),
        ([1, 2, 3], [1, 2], "same length"),
        ([2, 2, 2], [1, 2, 3], "distinct"),
        ([1, 2, np.inf], [1, 2, 3], "finite"),
    ],
)
def test_bad_input(x, y, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law(x, y)


def test_rank_frequency_bad_range():
    with pytest.raises(ValueError, match="min_rank"):
        fit_rank_frequency(np.ones(10), min_rank=5, max_rank=3)
