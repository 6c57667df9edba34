"""Tests of chapter 4's helpers (superscale.phase) and figure functions, on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from superscale import phase, plots

WIDTHS = np.array([10, 15, 25, 39, 63, 100])
GAMMAS = np.round(np.linspace(-1, 1, 10), 3)
ALPHAS = np.round(np.arange(0, 2.0001, 0.125), 3)


def synthetic_grid(noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Losses (γ, α, m) that follow the paper's three regions exactly (plus optional log-normal noise)."""
    rng = np.random.default_rng(seed)
    L = np.empty((GAMMAS.size, ALPHAS.size, WIDTHS.size))
    for i, g in enumerate(GAMMAS):
        for j, a in enumerate(ALPHAS):
            e = phase.predicted_alpha_m(a, "strong") if g < 0 else max(a - 1, 0.05)
            L[i, j] = 2.0 * WIDTHS ** (-e) * np.exp(noise * rng.standard_normal(WIDTHS.size))
    return L


def test_fit_exponent_grid_recovers_exact_exponents():
    L = synthetic_grid()
    grid = phase.fit_exponent_grid(L, WIDTHS)
    assert grid.exponent.shape == (GAMMAS.size, ALPHAS.size)
    for i, g in enumerate(GAMMAS):
        for j, a in enumerate(ALPHAS):
            want = phase.predicted_alpha_m(a, "strong") if g < 0 else max(a - 1, 0.05)
            assert grid.exponent[i, j] == pytest.approx(want, abs=1e-9)
    np.testing.assert_allclose(grid.r2, 1.0, atol=1e-12)
    np.testing.assert_allclose(grid.se, 0.0, atol=1e-6)
    np.testing.assert_allclose(grid.amplitude, 2.0, rtol=1e-9)


def test_fit_exponent_grid_matches_single_fits_and_width_range():
    L = synthetic_grid(noise=0.1, seed=3)
    grid = phase.fit_exponent_grid(L, WIDTHS, min_width=15)
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
    grid = phase.fit_exponent_grid(L, WIDTHS)
    assert grid.exponent[0, 0] == pytest.approx(1.0)
    assert np.isnan(grid.exponent[0, 1]) and np.isnan(grid.r2[0, 1])


def test_fit_exponent_grid_rejects_bad_input():
    with pytest.raises(ValueError, match="loss must have shape"):
        phase.fit_exponent_grid(np.ones((3, 5)), WIDTHS)
    with pytest.raises(ValueError, match="min_width"):
        phase.fit_exponent_grid(np.ones((3, 6)), WIDTHS, min_width=50)
    with pytest.raises(ValueError, match="widths"):
        phase.fit_exponent_grid(np.ones(2), [1, 2])


def test_regions_match_the_paper():
    assert phase.region_of(0.556, 0.0) == "weak"
    assert phase.region_of(1.0, 2.0) == "weak"
    assert phase.region_of(-0.778, 1.0) == "strong-flat"
    assert phase.region_of(-0.333, 1.375) == "strong-flat"
    assert phase.region_of(-0.111, 2.0) == "strong-skewed"
    assert phase.region_of(-1.0, 1.625) == "strong-skewed"
    assert phase.region_of(-0.111, 0.5) is None  # the transition column outside the boxes
    assert phase.region_of(-0.556, 1.5) is None  # between the flat and skewed boxes


def test_region_means_on_synthetic_grid():
    grid = phase.fit_exponent_grid(synthetic_grid(), WIDTHS)
    s = phase.region_means(grid.exponent, GAMMAS, ALPHAS)
    assert s["strong-flat"]["mean"] == pytest.approx(1.0)
    assert s["strong-flat"]["count"] == 4 * 12  # γ ≤ −0.33, α ≤ 1.375
    assert s["strong-skewed"]["min"] == pytest.approx(2 * (1.625 - 1))
    assert s["strong-skewed"]["max"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="values must have shape"):
        phase.region_means(grid.exponent.T, GAMMAS, ALPHAS)


def test_predicted_alpha_m():
    assert phase.predicted_alpha_m(2.0, "weak") == pytest.approx(1.0)
    assert phase.predicted_alpha_m(0.3, "strong-flat") == 1.0
    assert phase.predicted_alpha_m(1.75, "strong-skewed") == pytest.approx(1.5)
    np.testing.assert_allclose(phase.predicted_alpha_m([0.5, 1.5, 2.0], "strong"), [1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="region"):
        phase.predicted_alpha_m(1.0, "medium")
    with pytest.raises(ValueError, match="alpha"):
        phase.predicted_alpha_m(-1.0, "weak")


def test_large_fit_ranges_follow_the_paper():
    assert phase.large_fit_min_width("exponential", -1.0) == 8
    assert phase.large_fit_min_width("power", -1.0) == 32
    assert phase.large_fit_min_width("linear", -1.0) == 32
    assert phase.large_fit_min_width("power", 0.1) == 64
    assert phase.large_fit_min_width("linear", 0.1) == 8
    with pytest.raises(ValueError, match="kind"):
        phase.large_fit_min_width("zipf", -1.0)
    w = np.array([8, 16, 32, 64, 128, 256, 512, 1024])
    f = phase.fit_large(w, 3.0 / w, "power", -1.0)
    assert f.n_points == 6 and f.exponent == pytest.approx(1.0)
    assert phase.fit_large(w[:4], 3.0 / w[:4], "power", -1.0) is None  # only m = 32, 64 in range
    with pytest.raises(ValueError, match="same shape"):
        phase.fit_large(w, w[:3], "power", -1.0)


def test_paper_numbers_are_consistent():
    assert set(phase.PAPER_LARGE_ALPHA_M) == {"exponential", "power", "linear"}
    assert len(phase.PAPER_DENSITY_ALPHA_M) == len(phase.DENSITY_PAPER_E) == 5
    assert [r[0] for r in phase.PAPER_FIG5E] == list(ALPHAS)
    assert all(lo <= hi for _, lo, hi in phase.PAPER_FIG5E)
    for regime in ("weak", "strong"):
        for kind, v in phase.PAPER_FIG1_LOSS[regime].items():
            assert len(v) == 8, (regime, kind)


# ---------------------------------------------------------------------------------------------
# Figures (smoke tests: right number of traces, slider steps, bad input rejected)
# ---------------------------------------------------------------------------------------------


def test_strong_loss_slider_figure_over_alpha_and_gamma():
    L = synthetic_grid(noise=0.05)
    neg = GAMMAS < 0
    fig = plots.strong_loss_slider_figure(WIDTHS, L[neg], GAMMAS[neg], ALPHAS, over="alpha")
    assert len(fig.layout.sliders[0].steps) == ALPHAS.size
    assert len(fig.data) == ALPHAS.size * neg.sum() * 2
    assert sum(bool(t.visible) for t in fig.data) == neg.sum() * 2
    assert "α<sub>m</sub> =" in fig.data[0].name
    fig = plots.strong_loss_slider_figure(WIDTHS, L[neg], GAMMAS[neg], ALPHAS, over="gamma", se=0.01 * L[neg])
    assert len(fig.layout.sliders[0].steps) == neg.sum()
    with pytest.raises(ValueError, match="over"):
        plots.strong_loss_slider_figure(WIDTHS, L[neg], GAMMAS[neg], ALPHAS, over="m")
    with pytest.raises(ValueError, match="loss must have shape"):
        plots.strong_loss_slider_figure(WIDTHS, L, GAMMAS[neg], ALPHAS)


def test_phase_heatmap_and_alpha_m_figures():
    grid = phase.fit_exponent_grid(synthetic_grid(noise=0.05), WIDTHS)
    fig = plots.phase_heatmap_figure(grid.exponent, GAMMAS, ALPHAS, se=grid.se, zmin=0, zmax=2.4)
    assert len(fig.layout.shapes) == 3
    assert fig.data[0].z.shape == (ALPHAS.size, GAMMAS.size)
    fig = plots.phase_heatmap_figure(grid.r2, GAMMAS, ALPHAS, what="R²", regions=())
    assert len(fig.layout.shapes) == 0
    with pytest.raises(ValueError, match="values must have shape"):
        plots.phase_heatmap_figure(grid.exponent.T, GAMMAS, ALPHAS)
    part = grid.exponent.copy()
    part[:, : ALPHAS.size // 2] = np.nan  # a second map trained only at the larger alpha
    fig = plots.phase_heatmap_slider_figure(
        {"all": grid.exponent, "part": part}, GAMMAS, ALPHAS, se={"all": grid.se}, zmin=0, zmax=2.4
    )
    assert len(fig.data) == 2 and [d.visible for d in fig.data] == [True, False]
    assert [s.label for s in fig.layout.sliders[0].steps] == ["all", "part"]
    assert fig.layout.sliders[0].steps[1].args[0]["visible"] == [False, True]
    assert np.isnan(fig.data[1].z[0, 0]) and fig.data[1].z[-1, 0] == pytest.approx(grid.exponent[0, -1])
    assert fig.data[0].customdata is not None and fig.data[1].customdata is None
    assert len(fig.layout.shapes) == 3
    with pytest.raises(ValueError, match="maps must hold"):
        plots.phase_heatmap_slider_figure({}, GAMMAS, ALPHAS)
    with pytest.raises(ValueError, match="se has labels"):
        plots.phase_heatmap_slider_figure({"all": grid.exponent}, GAMMAS, ALPHAS, se={"other": grid.se})
    series = {float(g): (grid.exponent[i], grid.se[i]) for i, g in enumerate(GAMMAS) if g < 0}
    fig = plots.alpha_m_vs_alpha_figure(ALPHAS, series)
    assert len(fig.data) == 4 + len(series)
    sub = ALPHAS[::4]
    other = {g: (sub, e[::4], s[::4]) for g, (e, s) in series.items()}
    fig = plots.alpha_m_vs_alpha_figure(ALPHAS, series, other=other, other_label="paper's protocol")
    assert len(fig.data) == 4 + 2 * len(series)
    assert fig.data[-1].name.endswith("paper's protocol") and len(fig.data[-1].x) == sub.size
    with pytest.raises(ValueError, match="three arrays of one shape"):
        plots.alpha_m_vs_alpha_figure(ALPHAS, series, other={-1.0: (sub, sub[:-1], sub)})


def test_density_and_large_model_figures():
    E = np.linspace(1, 7.5, 9)
    g = GAMMAS[:3]
    L = np.outer(1 + 0 * g, E) * 0.1
    fig = plots.density_figure(E, L, g, 63, np.ones_like(L), 0.1 * np.ones_like(L))
    assert len(fig.data) == 2 * g.size + 1
    with pytest.raises(ValueError, match="exponent must have shape"):
        plots.density_figure(E, L, g, 63, np.ones(3), np.ones_like(L))
    w = np.array([8, 16, 32, 64, 128, 256, 512, 1024], dtype=float)
    loss = {("strong", k): 1.5 / w**0.9 for k in ("exponential", "power", "linear")}
    loss[("weak", "power")] = np.where(w <= 128, 0.5 / w**0.3, np.nan)
    fits = {
        key: phase.fit_large(w, v, key[1], -1.0 if key[0] == "strong" else 0.1) for key, v in loss.items()
    }
    fig = plots.large_model_figure(w, loss, fits=fits)
    names = " ".join(t.name or "" for t in fig.data)
    assert "α<sub>m</sub> = 0.90" in names
    assert len(fig.data) == 3 + 6 + 2 * len(loss)  # ideal lines, paper markers, ours
    # a second protocol's runs: one more trace per key, on its own widths, named in the legend
    other = {("strong", "power"): (w[:5], 2.0 / w[:5] ** 0.5)}
    fig2 = plots.large_model_figure(w, loss, fits=fits, other=other, other_label="128 × 6000")
    assert len(fig2.data) == len(fig.data) + 1
    extra = [t for t in fig2.data if t.name and "128 × 6000" in t.name]
    assert len(extra) == 1 and list(extra[0].x) == list(w[:5]) and extra[0].xaxis == "x2"


def test_least_ambiguous_picks_weak_runs_with_smallest_worst_case():
    A = np.ones((GAMMAS.size, ALPHAS.size, WIDTHS.size))
    A[7, 3, :] = 0.1  # best weak case
    A[6, 10, :] = 0.2
    A[2, 0, :] = 0.01  # strong: never chosen
    A[8, 4, 2] = np.nan  # skipped
    got = phase.least_ambiguous(A, GAMMAS, ALPHAS, k=2)
    assert got == [(float(GAMMAS[7]), float(ALPHAS[3])), (float(GAMMAS[6]), float(ALPHAS[10]))]
    assert len(phase.least_ambiguous(A, GAMMAS, ALPHAS, k=9)) == 9
    with pytest.raises(ValueError, match="ambiguity must have shape"):
        phase.least_ambiguous(A[0], GAMMAS, ALPHAS)
    with pytest.raises(ValueError, match="k must be"):
        phase.least_ambiguous(A, GAMMAS, ALPHAS, k=0)


def test_loss_width_figure():
    fig = plots.loss_width_figure(WIDTHS, {"a": 1.0 / WIDTHS, "b": 2.0 / WIDTHS}, min_width=15)
    assert len(fig.data) == 4 and "α<sub>m</sub> = 1.00" in fig.data[0].name
    fig = plots.loss_width_figure(WIDTHS, {"a": 1.0 / WIDTHS}, min_width=63)
    assert "no fit" in fig.data[0].name


def test_phase_is_no_longer_a_command_line_of_its_own():
    # the large model's CPU run is `python -m superscale.sweep large` (tests/test_sweep.py)
    assert not hasattr(phase, "main") and not hasattr(phase, "large_cpu_grid")
