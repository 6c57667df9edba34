"""Tests of superscale.geometry against closed forms (chapter 5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from superscale import geometry as g

# --------------------------------------------------------------------------------------------
# Random unit vectors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [2, 3, 10, 100])
def test_random_moments_closed_form(m):
    dist = g.squared_overlap_distribution(m)
    assert dist.mean() == pytest.approx(1 / m, rel=1e-12)
    assert dist.var() == pytest.approx(2 * (m - 1) / (m**2 * (m + 2)), rel=1e-12)
    assert g.random_overlap_mean(m) == pytest.approx(dist.mean(), rel=1e-12)
    assert g.random_overlap_var(m) == pytest.approx(dist.var(), rel=1e-12)


def test_random_moment_check_values():
    # paper.md §7: 0.1 / 0.015 at m = 10, 0.01 / 1.94e-4 at m = 100
    assert g.random_overlap_var(10) == pytest.approx(0.015, rel=1e-12)
    assert g.random_overlap_var(100) == pytest.approx(1.94e-4, rel=1e-3)


def test_pdf_integrates_to_one_and_matches_cdf():
    m = 7
    total, _ = integrate.quad(lambda x: g.squared_overlap_pdf(x, m), 0, 1, points=[1e-6])
    assert total == pytest.approx(1.0, abs=1e-6)
    half, _ = integrate.quad(lambda x: g.squared_overlap_pdf(x, m), 0, 0.2)
    assert half == pytest.approx(float(g.squared_overlap_cdf(0.2, m)), abs=1e-6)


@pytest.mark.parametrize("m", [3, 10, 50])
def test_sampled_moments_within_sampling_error(m):
    c2 = g.sample_squared_overlaps(m, 40_000, seed=1)
    se_mean = np.sqrt(g.random_overlap_var(m) / c2.size)
    assert abs(c2.mean() - 1 / m) < 5 * se_mean
    # standard error of the sample variance: sqrt((mu4 - sigma^4) / N) from the exact Beta moments
    dist = g.squared_overlap_distribution(m)
    mu = dist.mean()
    mu4 = dist.expect(lambda x: (x - mu) ** 4)
    se_var = np.sqrt((mu4 - dist.var() ** 2) / c2.size)
    assert abs(c2.var() - g.random_overlap_var(m)) < 5 * se_var


@pytest.mark.parametrize("m", [4, 25])
def test_sampled_overlaps_follow_beta(m):
    c2 = g.sample_squared_overlaps(m, 5_000, seed=2)
    res = stats.kstest(c2, g.squared_overlap_distribution(m).cdf)
    assert res.pvalue > 0.01


def test_pairs_of_one_set_match_random_moments():
    m = 20
    V = g.random_unit_vectors(400, m, seed=3)
    s = g.overlap_summary(V)
    assert s.count == 400 and s.dim == m
    assert s.mean == pytest.approx(1 / m, rel=0.05)
    assert s.var_ratio == pytest.approx(1.0, abs=0.15)


def test_random_unit_vectors_are_unit_and_seeded():
    V = g.random_unit_vectors(50, 6, seed=4)
    assert V.shape == (50, 6)
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(V, g.random_unit_vectors(50, 6, seed=4))


# --------------------------------------------------------------------------------------------
# Overlap statistics
# --------------------------------------------------------------------------------------------


def test_overlap_summary_matches_brute_force_and_blocks():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((37, 5)) * rng.uniform(0.5, 2, size=(37, 1))
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    c2 = np.array([(U[i] @ U[j]) ** 2 for i, j in itertools.permutations(range(37), 2)])
    for block in (1, 4, 1000):
        s = g.overlap_summary(W, eps=0.0, block=block)
        assert s.mean == pytest.approx(c2.mean(), rel=1e-12)
        assert s.var == pytest.approx(c2.var(), rel=1e-10)
        assert s.max == pytest.approx(c2.max(), rel=1e-12)
    flat = g.squared_overlaps(W, eps=0.0)
    assert flat.size == 37 * 36 // 2
    assert flat.mean() == pytest.approx(c2.mean(), rel=1e-12)


def test_overlap_summary_row_mask_and_degenerate_sets():
    rng = np.random.default_rng(6)
    W = rng.standard_normal((30, 4))
    norms = np.linalg.norm(W, axis=1)
    mask = norms > np.median(norms)
    s = g.overlap_summary(W, rows=mask)
    assert s.count == mask.sum()
    assert s.mean == pytest.approx(g.overlap_summary(W[mask]).mean, rel=1e-12)
    assert g.overlap_summary(W, rows=np.flatnonzero(mask)).mean == pytest.approx(s.mean, rel=1e-12)
    empty = g.overlap_summary(W, rows=np.zeros(30, bool))
    assert empty.count == 0 and np.isnan(empty.mean) and np.isnan(empty.var) and np.isnan(empty.max)
    one = g.overlap_summary(W, rows=[3])
    assert one.count == 1 and np.isnan(one.mean)


# --------------------------------------------------------------------------------------------
# Welch bound and frames that meet it
# --------------------------------------------------------------------------------------------


def test_welch_bound_check_values():
    ms = np.array([10, 15, 25, 39, 63, 100])
    expected = [0.0816, 0.0583, 0.0369, 0.0244, 0.0149, 0.0090]
    np.testing.assert_allclose(g.welch_bound_paper(ms, 1000), expected, atol=6e-5)
    assert g.welch_bound(3, 6) == pytest.approx(0.2)
    assert g.welch_bound(4, 3) == 0.0  # fewer vectors than dimensions: orthogonal is possible
    assert g.welch_bound_paper(100, 1000) == pytest.approx(g.welch_bound(100, 1000))


@pytest.mark.parametrize("m", [1, 2, 3, 7, 20, 64])
def test_simplex_meets_welch_exactly(m):
    V = g.simplex_frame(m)
    assert V.shape == (m + 1, m)
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-12)
    G = V @ V.T
    off = G[~np.eye(m + 1, dtype=bool)]
    np.testing.assert_allclose(off, -1.0 / m, atol=1e-12)
    s = g.overlap_summary(V, eps=0.0)
    if m >= 2:
        assert s.max == pytest.approx(g.welch_bound(m, m + 1), abs=1e-12)
        # equiangular: the variance is zero up to the one-pass formula's cancellation,
        # E[c^4] - E[c^2]^2, which leaves about machine epsilon times mean^2
        assert 0.0 <= s.var <= 64 * np.finfo(float).eps * s.mean**2
    assert g.frame_tightness(V) < 1e-12


@pytest.mark.parametrize(
    "V, m",
    [
        (g.icosahedron_lines(), 3),
        (g.paley_etf(5), 3),
        (g.paley_etf(13), 7),
        (g.paley_etf(17), 9),
        (g.paley_etf(29), 15),
        (g.twenty_eight_lines(), 7),
    ],
)
def test_etfs_meet_welch(V, m):
    nu = V.shape[0]
    assert V.shape[1] == m
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-12)
    c2 = g.squared_overlaps(V, eps=0.0)
    np.testing.assert_allclose(c2, g.welch_bound(m, nu), atol=1e-12)  # every pair: equiangular
    assert g.frame_tightness(V) < 1e-12  # and tight
    assert nu <= g.gerzon_limit(m)


def test_maximal_etfs_reach_gerzon_limit():
    assert g.icosahedron_lines().shape[0] == g.gerzon_limit(3) == 6
    assert g.twenty_eight_lines().shape[0] == g.gerzon_limit(7) == 28


def test_mean_overlap_never_below_welch_and_tight_frames_meet_it():
    rng = np.random.default_rng(7)
    for nu, m in [(10, 3), (50, 8), (200, 10)]:
        V = rng.standard_normal((nu, m))
        assert g.overlap_summary(V, eps=0.0).mean >= g.welch_bound(m, nu) - 1e-15
    # Two orthonormal bases in R^4 form a tight frame (not equiangular): mean = Welch, max above it.
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    V = np.vstack([np.eye(4), Q])
    s = g.overlap_summary(V, eps=0.0)
    assert s.mean == pytest.approx(g.welch_bound(4, 8), rel=1e-12)
    assert s.max > g.welch_bound(4, 8)


def test_bounds_combined():
    assert g.orthoplex_bound(3, 6) == 0.0
    assert g.orthoplex_bound(3, 7) == pytest.approx(1 / 3)
    assert g.max_overlap_lower_bound(3, 7) == pytest.approx(1 / 3)
    assert g.max_overlap_lower_bound(3, 6) == pytest.approx(0.2)


# --------------------------------------------------------------------------------------------
# Packer
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nu, m, seed", [(12, 4, 0), (40, 6, 1), (9, 3, 2)])
def test_packer_never_ends_above_start_and_beats_random(nu, m, seed):
    r = g.pack_lines(nu, m, steps=300, seed=seed)
    assert r.vectors.shape == (nu, m)
    np.testing.assert_allclose(np.linalg.norm(r.vectors, axis=1), 1.0, atol=1e-12)
    assert r.max_sq_overlap <= r.start_max_sq_overlap
    assert r.max_sq_overlap == pytest.approx(g.overlap_summary(r.vectors, eps=0.0).max, rel=1e-9)
    assert r.max_sq_overlap >= g.max_overlap_lower_bound(m, nu) - 1e-9
    # random vectors in the same dimension: the packer must do clearly better than a typical draw
    rand = np.median([g.overlap_summary(g.random_unit_vectors(nu, m, s)).max for s in range(20)])
    assert r.max_sq_overlap < 0.8 * rand


def test_packer_keeps_start_when_it_cannot_improve():
    V = g.simplex_frame(4)  # already optimal
    r = g.pack_lines(5, 4, init=V, steps=50, lr=0.5)
    assert r.max_sq_overlap <= g.welch_bound(4, 5) + 1e-12
    r0 = g.pack_lines(10, 3, steps=0, seed=3)
    assert r0.max_sq_overlap == pytest.approx(r0.start_max_sq_overlap)


def test_packer_finds_icosahedron():
    r = g.pack_lines(6, 3, steps=600, seed=0)
    assert r.max_sq_overlap == pytest.approx(0.2, abs=2e-3)


def test_packer_mean_objective_reaches_tight_frame():
    r = g.pack_lines(30, 5, objective="mean", steps=400, lr=0.02, seed=0)
    assert r.mean_sq_overlap <= r.start_mean_sq_overlap
    assert r.mean_sq_overlap == pytest.approx(g.welch_bound(5, 30), rel=1e-3)


# --------------------------------------------------------------------------------------------
# From overlaps to loss
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [(0.3, -0.1), (-0.3, 0.2), (0.7, 0.4), (0.0, 0.5), (0.0, -0.5), (-1, -1)])
def test_relu2_uniform_mean(a, b):
    kink = [-b / a] if a != 0 and 0 < -b / a < 2 else None
    exact, _ = integrate.quad(lambda v: max(a * v + b, 0.0) ** 2 / 2, 0, 2, points=kink, limit=200)
    assert float(g.relu2_uniform_mean(a, b)) == pytest.approx(exact, abs=1e-12)


def test_one_feature_loss_matches_monte_carlo():
    rng = np.random.default_rng(8)
    n, m = 40, 6
    W = rng.standard_normal((n, m)) / np.sqrt(m)
    b = -0.2 * rng.uniform(size=n)
    p = rng.uniform(size=n)
    p /= p.sum()
    out = g.one_feature_loss(W, b, p, block=7)
    # Monte Carlo: draw the active feature j ~ p and v ~ U(0, 2)
    N = 200_000
    j = rng.choice(n, size=N, p=p)
    v = rng.uniform(0, 2, size=N)
    y = np.maximum((W[j] @ W.T) * v[:, None] + b[None, :], 0.0)
    target = np.zeros_like(y)
    target[np.arange(N), j] = v
    err = (y - target) ** 2
    self_part = err[np.arange(N), j]
    inter = err.sum(axis=1) - self_part
    assert out["interference"] == pytest.approx(inter.mean(), abs=5 * inter.std() / np.sqrt(N))
    assert out["self"] == pytest.approx(self_part.mean(), abs=5 * self_part.std() / np.sqrt(N))
    assert out["total"] == pytest.approx(out["interference"] + out["self"])


def test_one_feature_loss_orthogonal_rows_have_no_interference():
    W = np.eye(5)[:, :5]
    out = g.one_feature_loss(W, np.zeros(5), np.full(5, 0.2))
    assert out["interference"] == pytest.approx(0.0, abs=1e-15)
    assert out["self"] == pytest.approx(0.0, abs=1e-10)


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: g.squared_overlap_distribution(1), "m"),
        (lambda: g.squared_overlap_distribution(2.5), "m"),
        (lambda: g.random_unit_vectors(0, 3), "count"),
        (lambda: g.sample_squared_overlaps(3, 0), "size"),
        (lambda: g.welch_bound(0, 5), "m"),
        (lambda: g.welch_bound(3, 1), "nu"),
        (lambda: g.welch_bound_paper(1, 1000), "m"),
        (lambda: g.welch_bound_paper(10, 1), "n"),
        (lambda: g.simplex_frame(0), "m"),
        (lambda: g.paley_etf(7), "p"),
        (lambda: g.paley_etf(9), "p"),
        (lambda: g.pack_lines(1, 3), "nu"),
        (lambda: g.pack_lines(5, 3, objective="min"), "objective"),
        (lambda: g.pack_lines(5, 3, steps=-1), "steps"),
        (lambda: g.pack_lines(5, 3, lr=0), "lr"),
        (lambda: g.pack_lines(5, 3, init=np.ones((4, 3))), "init"),
        (lambda: g.overlap_summary(np.ones(3)), "V"),
        (lambda: g.overlap_summary(np.ones((3, 2)), rows=np.ones(2, bool)), "rows"),
        (lambda: g.overlap_summary(np.ones((3, 2)), rows=[5]), "rows"),
        (lambda: g.overlap_summary(np.array([[np.nan, 1.0]])), "finite"),
        (lambda: g.one_feature_loss(np.ones((3, 2)), np.zeros(2), np.ones(3) / 3), "b"),
        (lambda: g.one_feature_loss(np.ones((3, 2)), np.zeros(3), np.ones(3) * 2), "p"),
    ],
)
def test_bad_input_raises_clear_errors(call, word):
    with pytest.raises(ValueError, match=word):
        call()


# --------------------------------------------------------------------------------------------
# Sweep table and chapter tables
# --------------------------------------------------------------------------------------------


def _fake_sweep(alphas=(0.0, 1.0)):
    xr = pytest.importorskip("xarray")
    gammas, ms = [-1.0, 0.5], [10, 100]
    shape = (len(alphas), len(gammas), len(ms))
    rng = np.random.default_rng(9)
    n_gt1 = np.array([[[0, 2], [5, 50]]] * len(alphas))
    ds = xr.Dataset(
        {
            k: (("alpha", "gamma", "m"), rng.uniform(0.01, 1, size=shape))
            for k in [
                "final_loss",
                "phi_one",
                "overlap_mean_gt1",
                "overlap_var_gt1",
                "overlap_mean_all",
                "overlap_var_all",
            ]
        },
        coords={"alpha": list(alphas), "gamma": gammas, "m": ms},
    )
    ds["n_gt1"] = (("alpha", "gamma", "m"), n_gt1)
    ds["completed"] = (("alpha", "gamma", "m"), np.ones(shape, bool))
    ds.attrs["n"] = 1000
    return ds


def test_sweep_overlap_table():
    ds = _fake_sweep()
    ds["completed"][0, 0, 0] = False
    t = g.sweep_overlap_table(ds)
    assert len(t) == 7
    row = t[(t.alpha == 1.0) & (t.gamma == 0.5) & (t.m == 100)].iloc[0]
    assert row["mean_ratio"] == pytest.approx(
        100 * float(ds.overlap_mean_gt1.sel(alpha=1.0, gamma=0.5, m=100))
    )
    assert row["var_ratio"] == pytest.approx(
        float(ds.overlap_var_gt1.sel(alpha=1.0, gamma=0.5, m=100)) / g.random_overlap_var(100)
    )
    assert row["kappa2"] == pytest.approx(g.welch_bound_paper(100, 1000))
    assert np.isnan(t[(t.alpha == 1.0) & (t.gamma == -1.0) & (t.m == 100)]["var_ratio"]).all()  # 2 rows only
    # a sweep with a single alpha (a scalar coordinate) works too
    one = g.sweep_overlap_table(_fake_sweep((1.0,)).squeeze("alpha"))
    assert len(one) == 4 and (one.alpha == 1.0).all()
    with pytest.raises(ValueError, match="missing"):
        g.sweep_overlap_table(ds.drop_vars("n_gt1"))


def test_packing_comparison_and_known_etfs():
    rows = g.packing_comparison(4, [5, 12], steps=100, draws=2, seed=0)
    assert [r["nu"] for r in rows] == [5, 12]
    for r in rows:
        assert r["bound"] - 1e-12 <= r["packed_max"] < r["random_max"]
        assert r["welch"] == pytest.approx(g.welch_bound(4, r["nu"]))
    for e in g.known_etfs():
        assert e["vectors"].shape == (e["nu"], e["m"])
    with pytest.raises(ValueError, match="nu"):
        g.packing_comparison(4, [1])


@pytest.mark.parametrize("objective, pw", [("max", 1.0), ("max", 8.0), ("mean", 1.0)])
def test_packer_gradient_matches_finite_differences(objective, pw):
    V = g.random_unit_vectors(7, 3, seed=11)

    def value(X):
        U = X / np.linalg.norm(X, axis=1, keepdims=True)
        G = U @ U.T
        C2 = G * G
        np.fill_diagonal(C2, 0.0)
        top = C2.max()  # held fixed in the packer's gradient: use the same value on both sides
        return g._surrogate_and_grad(U, G, C2, pw, objective)[0], top

    U = V
    G = U @ U.T
    C2 = G * G
    np.fill_diagonal(C2, 0.0)
    _, grad = g._surrogate_and_grad(U, G, C2, pw, objective)
    rng = np.random.default_rng(0)
    for _ in range(5):
        d = rng.standard_normal(V.shape)
        h = 1e-6
        fd = (value(V + h * d)[0] - value(V - h * d)[0]) / (2 * h)
        assert fd == pytest.approx(np.sum(grad * d), rel=1e-4, abs=1e-9)
