"""Measurements on matrices with known answers (superscale.model)."""

import numpy as np
import pytest

from superscale import model


def _identity_like(n=20, m=5, scale=1.0):
    W = np.zeros((n, m))
    W[np.arange(m), np.arange(m)] = scale
    return W


def test_identity_like_phi_and_overlaps():
    W = _identity_like(scale=1.0)
    assert model.phi_half(W) == pytest.approx(5 / 20)
    assert model.phi_one(W) == 0.0  # norms exactly 1 are not > 1
    W2 = _identity_like(scale=1.1)
    assert model.phi_one(W2) == pytest.approx(5 / 20)
    st = model.overlap_stats(W2, rows=model.row_norms(W2) > 1)
    assert (
        st.count == 5 and st.mean == pytest.approx(0.0, abs=1e-12) and st.var == pytest.approx(0.0, abs=1e-12)
    )
    assert model.overlap_stats(W2).mean == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(model.overlap_stats(W2, rows=[0]).mean)


def test_ambiguity_known_and_brute_force():
    assert model.ambiguity(_identity_like()) == pytest.approx(0.0, abs=1e-12)
    assert model.ambiguity(_identity_like(scale=1.1)) == pytest.approx(0.21)
    rng = np.random.default_rng(0)
    W = rng.normal(size=(60, 7)) / np.sqrt(7)
    Z = np.zeros((60, 60))
    Z[np.arange(7), np.arange(7)] = 1
    assert model.ambiguity(W) == pytest.approx(np.linalg.norm(W @ W.T - Z, 2), rel=1e-9)


def test_overlaps_match_brute_force():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(50, 6))
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    C = (U @ U.T) ** 2
    off = C[~np.eye(50, dtype=bool)]
    st = model.overlap_stats(W, block=7)
    assert st.mean == pytest.approx(off.mean(), rel=1e-6)
    assert st.var == pytest.approx(off.var(), rel=1e-6)


def test_random_unit_rows_have_mean_one_over_m():
    rng = np.random.default_rng(2)
    m = 20
    W = rng.normal(size=(800, m))
    st = model.overlap_stats(W)
    assert st.mean == pytest.approx(1 / m, rel=0.05)
    assert st.var == pytest.approx(model.random_overlap_var(m), rel=0.15)
    assert model.random_overlap_mean(m) == 1 / m


def test_measure_keys_and_fit_alpha_m():
    W = _identity_like(scale=1.1)
    d = model.measure(W)
    assert d["n_gt1"] == 5 and d["phi_half"] == pytest.approx(0.25) and d["ambiguity"] == pytest.approx(0.21)
    m = np.array([10, 15, 25, 39, 63, 100])
    fit = model.fit_alpha_m(m, 3.0 * m**-1.2)
    assert fit.exponent == pytest.approx(1.2) and fit.r2 == pytest.approx(1.0)
    assert model.fit_alpha_m(m, 3.0 * m**-0.7, start=2).n_points == 4


def test_init_params_and_errors():
    import torch

    W, b = model.init_params(400, 50, generator=torch.Generator().manual_seed(0))
    assert W.shape == (400, 50) and b.shape == (400,)
    assert float(W.var()) == pytest.approx(1 / 50, rel=0.1)
    assert float(model.row_norms(W).mean()) == pytest.approx(1.0, rel=0.05)
    with pytest.raises(ValueError, match="m \\(hidden width\\)"):
        model.init_params(10, 10)
    with pytest.raises(ValueError, match="2-D"):
        model.row_norms(np.zeros(3))
