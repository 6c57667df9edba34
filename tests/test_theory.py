"""The weak-regime loss formula (chapters 1 and 3)."""

import numpy as np
import pytest

from superscale import data, theory


def brute_force(p, m):
    ps = sorted(p, reverse=True)
    return sum(4 / 3 * q - q * q for q in ps[m:])


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.7])
def test_weak_loss_matches_brute_force(alpha):
    p = data.power_law_frequencies(300, alpha)
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(p)  # ranking is by frequency, not by position
    for m in [0, 1, 7, 150, 299, 300]:
        assert theory.weak_loss(shuffled, m) == pytest.approx(brute_force(p, m), rel=1e-12, abs=1e-15)
    ms = np.array([0, 10, 100])
    assert np.allclose(theory.weak_loss(p, ms), [brute_force(p, int(k)) for k in ms])


def test_weak_loss_is_variance_of_unrepresented_features():
    """Sampled: Σ_{i>m} Var(x_i) equals the formula within sampling error."""
    import torch

    p = data.power_law_frequencies(100, 1.0)
    x = data.sample_features(p, 50_000, generator=torch.Generator().manual_seed(0)).double().numpy()
    m = 10
    sampled = x[:, m:].var(0).sum()
    assert sampled == pytest.approx(theory.weak_loss(p, m), rel=0.02)


def test_weak_loss_power_law_exponent():
    """For alpha > 1 and n >> m the fitted exponent is alpha - 1."""
    from superscale.fit import fit_power_law

    p = data.power_law_frequencies(10**6, 1.5)
    ms = np.array([10, 30, 100, 300, 1000])
    assert fit_power_law(ms, theory.weak_loss(p, ms)).exponent == pytest.approx(0.5, abs=0.02)


def test_integral_approximation():
    """Eq. 14 is the ratio of two integrals of i^-alpha; for alpha = 0 it equals the exact tail sum."""
    from scipy.integrate import quad

    n = 1000
    for alpha in [0.5, 1.5, 2.0]:
        for phi in [0.01, 0.1]:
            num = quad(lambda i, a=alpha: i**-a, phi * n, n)[0]
            den = quad(lambda i, a=alpha: i**-a, 1, n)[0]
            assert theory.weak_loss_integral(phi, n, alpha) == pytest.approx(4 / 3 * num / den, rel=1e-6)
    p = data.power_law_frequencies(n, 0.0)
    assert theory.weak_loss_integral(0.1, n, 0.0) == pytest.approx(4 / 3 * p[100:].sum(), rel=2e-3)
    assert theory.weak_loss_integral(1.0, n, 1.0) == pytest.approx(0.0, abs=1e-12)
    assert theory.weak_loss_integral(1 / n, n, 1.0) == pytest.approx(4 / 3)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: theory.weak_loss([0.5, 0.2], 3), "m "),
        (lambda: theory.weak_loss([0.5, 0.2], -1), "m "),
        (lambda: theory.weak_loss([0.5, 0.2], 1.5), "integer"),
        (lambda: theory.weak_loss([1.5, 0.2], 1), "probabilities"),
        (lambda: theory.weak_loss([], 0), "non-empty"),
        (lambda: theory.weak_loss_integral(0.0, 100, 1.0), "phi"),
        (lambda: theory.weak_loss_integral(0.5, 1, 1.0), "n must"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
