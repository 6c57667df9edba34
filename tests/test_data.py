"""Feature frequencies and the sampler (chapter 1)."""

import numpy as np
import pytest
import torch

from superscale import data


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 1.5, 2.0])
@pytest.mark.parametrize("E", [0.5, 1.0, 1.6])
def test_power_law_normalised_and_shaped(alpha, E):
    n = 1000
    p = data.power_law_frequencies(n, alpha, E)
    assert p.shape == (n,)
    assert p.sum() == pytest.approx(E, rel=1e-12)
    assert np.all(np.diff(p) <= 0)
    # the ratio of any two frequencies is fixed by the exponent
    assert p[0] / p[9] == pytest.approx(10.0**alpha, rel=1e-12)


def test_other_shapes():
    n = 10240
    pe = data.exponential_frequencies(n, 400.0)
    assert pe.sum() == pytest.approx(1.0)
    assert pe[0] / pe[400] == pytest.approx(np.e, rel=1e-12)
    pl = data.linear_frequencies(n)
    assert pl.sum() == pytest.approx(1.0)
    assert pl[0] / pl[-1] == pytest.approx(n)
    assert np.allclose(
        data.feature_frequencies("power", 100, alpha=1.2), data.power_law_frequencies(100, 1.2)
    )


def test_density_limit_and_grid():
    n = 1000
    hmax = data.max_density(n, 1.0)
    assert hmax == pytest.approx(np.sum(1.0 / np.arange(1, n + 1)))
    p = data.power_law_frequencies(n, 1.0, hmax)
    assert p[0] == pytest.approx(1.0)
    grid = data.paper_density_grid(n)
    assert grid[0] == pytest.approx(1.0) and grid[-1] == pytest.approx(7.4855, abs=1e-4)
    assert np.allclose(np.diff(grid), np.diff(grid)[0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.power_law_frequencies(100, -0.1), "alpha"),
        (lambda: data.power_law_frequencies(0, 1.0), "n "),
        (lambda: data.power_law_frequencies(2.5, 1.0), "n "),
        (lambda: data.power_law_frequencies(100, 1.0, 0.0), "E "),
        (lambda: data.power_law_frequencies(100, 1.0, -1.0), "E "),
        (lambda: data.power_law_frequencies(100, 1.0, float("nan")), "E "),
        (lambda: data.power_law_frequencies(100, 1.0, 50.0), "allowed range"),
        (lambda: data.exponential_frequencies(100, 0.0), "scale"),
        (lambda: data.feature_frequencies("zipf", 100), "kind"),
        (lambda: data.sample_features(np.array([0.5, 1.5]), 4), "probabilities"),
        (lambda: data.sample_features(np.array([0.5]), 0), "batch_size"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_sampler_moments():
    """Mean activity E, <x_i> = p_i and <x_i^2> = 4/3 p_i within 5 standard errors."""
    n, B = 200, 40_000
    p = data.power_law_frequencies(n, 0.8, E=2.0)
    g = torch.Generator().manual_seed(1)
    x = data.sample_features(p, B, generator=g).double().numpy()
    assert x.shape == (B, n) and x.min() >= 0 and x.max() <= 2
    k = (x > 0).sum(1)
    assert abs(k.mean() - 2.0) < 5 * k.std() / np.sqrt(B)
    mean, se = x.mean(0), x.std(0) / np.sqrt(B)
    assert np.all(np.abs(mean - p) < 5 * se + 1e-12)
    m2, se2 = (x**2).mean(0), (x**2).std(0) / np.sqrt(B)
    assert np.all(np.abs(m2 - data.V2_MEAN * p) < 5 * se2 + 1e-12)
    # active values are uniform on (0, 2): mean 1, variance 1/3
    v = x[x > 0]
    assert abs(v.mean() - 1.0) < 5 * np.sqrt(1 / 3 / v.size)


def test_sampler_reproducible():
    p = data.power_law_frequencies(50, 1.0)
    a = data.sample_features(p, 16, generator=torch.Generator().manual_seed(3))
    b = data.sample_features(p, 16, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_word_frequencies_zipf_like():
    pytest.importorskip("wordfreq")
    f = data.word_frequencies("en", 2000)
    assert f.shape == (2000,) and np.all(np.diff(f) <= 0) and f[0] > 0.01
    with pytest.raises(ValueError, match="lang"):
        data.word_frequencies("xx-not-a-language", 100)
