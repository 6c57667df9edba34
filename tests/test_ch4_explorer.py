"""Tests of chapter 4's headline explorer (superscale.chapters.ch4_explorer): the figure's two sliders and
its meta for explorer.js, the opening pair, every pair's title, the claim on the committed data and on a
modified copy, the live version."""

from __future__ import annotations

import numpy as np
import pytest

from superscale import checks, exponents
from superscale.chapters import ch4_explorer as x
from superscale.fit import fit_power_law


@pytest.fixture(scope="module")
def ds():
    return x.load()


@pytest.fixture(scope="module")
def fig(ds):
    return x.explorer_figure(ds)


@pytest.fixture(scope="module")
def table(ds):
    return x.explorer_table(ds)


def _k(ds, alpha, gamma):
    i = int(np.argmin(np.abs(ds["alpha"].values - alpha)))
    j = int(np.argmin(np.abs(ds["gamma"].values - gamma)))
    return i * ds.sizes["gamma"] + j


def test_two_sliders_with_every_alpha_and_every_gamma(ds, fig):
    assert ds.sizes["alpha"] == 17 and ds.sizes["gamma"] == 10
    alpha_slider, gamma_slider = fig.layout.sliders
    assert len(alpha_slider.steps) == 17 and len(gamma_slider.steps) == 10
    # The steps do nothing by themselves: explorer.js combines the two sliders.
    assert {s.method for s in alpha_slider.steps + gamma_slider.steps} == {"skip"}
    assert [s.label for s in alpha_slider.steps][:3] == ["0", "⅛", "¼"] and alpha_slider.steps[
        -1
    ].label == "2"
    assert gamma_slider.steps[1].label == "−0.78" and gamma_slider.steps[-1].label == "+1.00"
    assert any(g < 0 for g in ds["gamma"].values) and any(g > 0 for g in ds["gamma"].values)


def test_meta_describes_the_trace_layout(ds, fig):
    ex = fig.layout.meta["explorer"]
    assert ex["alphas"] == pytest.approx(list(ds["alpha"].values))
    assert ex["gammas"] == pytest.approx(list(ds["gamma"].values))
    assert ex["per_pair"] == x.TRACES_PER_PAIR == len(ex["roles"]) and ex["first"] == 0
    assert ex["order"] == "alpha-major" and (ex["alpha_slider"], ex["gamma_slider"]) == (0, 1)
    assert len(ex["titles"]) == 170 and len(fig.data) == 170 * x.TRACES_PER_PAIR
    data_role = ex["roles"].index("data")
    # Pair k's data trace holds the losses of α index k // 10, γ index k % 10.
    for k in (0, 37, 169):
        a, g = ds["alpha"].values[k // 10], ds["gamma"].values[k % 10]
        tr = fig.data[k * x.TRACES_PER_PAIR + data_role]
        np.testing.assert_allclose(tr.y, ds["final_loss"].sel(alpha=a, gamma=g).values)


def test_opens_on_alpha_2_gamma_minus_078_with_its_alpha_m_in_the_title(ds, fig):
    k0 = _k(ds, 2.0, -0.778)
    shown = [i for i, t in enumerate(fig.data) if t.visible]
    assert shown == list(range(k0 * x.TRACES_PER_PAIR, (k0 + 1) * x.TRACES_PER_PAIR))
    assert (fig.layout.sliders[0].active, fig.layout.sliders[1].active) == (16, 1)
    loss = ds["final_loss"].sel(alpha=2.0).isel(gamma=1).values
    f = fit_power_law(ds["m"].values, loss)
    title = fig.layout.title.text
    assert title == fig.layout.meta["explorer"]["titles"][k0]
    assert f"α<sub>m</sub> = {f.exponent:.2f} ± {f.exponent_se:.2f}" in title
    assert "α = 2, γ = −0.78" in title and "Fig. 5e" in title
    assert 1.6 < f.exponent < 2.3


def test_every_pair_title_shows_its_own_fit(ds, fig, table):
    titles = fig.layout.meta["explorer"]["titles"]
    assert len(table) == len(titles) == 170
    assert len(set(titles)) == 170
    for k, row in table.iterrows():
        assert f"= {row['label']}</b>" in titles[k]
        assert f"α = {row['alpha']:g}".replace("-", "−") in titles[k]
        assert f"γ = {row['gamma']:+.2f}".replace("-", "−") in titles[k]
        assert ("weak" if row["gamma"] > 0 else "strong") + " superposition" in titles[k]


def test_alpha_m_is_chapter_4s_fit(ds, table):
    grid = exponents.fit_exponent_grid(
        ds["final_loss"].transpose("alpha", "gamma", "m").values, ds["m"].values
    )
    np.testing.assert_allclose(table["alpha_m"].values, grid.exponent.ravel())
    np.testing.assert_allclose(table["alpha_m_se"].values, grid.se.ravel())


def test_pair_traces_guides_pass_through_the_smallest_width(ds):
    for alpha, gamma in ((2.0, -0.778), (1.5, 0.556), (0.5, 0.556)):
        p = x.pair_data(ds, alpha, gamma)
        weak, strong, fit, pts = x.pair_traces(p)
        np.testing.assert_allclose(strong.y[0], p.loss[0])
        np.testing.assert_allclose(strong.y[-1] / strong.y[0], (strong.x[0] / strong.x[-1]) ** 1.0)
        np.testing.assert_allclose(fit.y, p.fit(fit.x))
        np.testing.assert_allclose(pts.error_y.array, p.se)
        if alpha > 1:
            np.testing.assert_allclose(weak.y[-1] / weak.y[0], (weak.x[0] / weak.x[-1]) ** (alpha - 1))
        else:
            assert len(weak.x) == 0 and "no power law" in weak.name


def test_pair_data_rejects_values_not_in_the_data(ds):
    with pytest.raises(ValueError, match="alpha"):
        x.pair_data(ds, 2.3, -0.778)
    with pytest.raises(ValueError, match="gamma"):
        x.explorer_figure(ds, gamma=0.0)


def test_incomplete_pairs_are_fitted_on_what_was_trained(ds):
    cut = ds.copy(deep=True)
    cut["completed"].loc[dict(alpha=2.0, gamma=cut["gamma"].values[1], m=[63, 100])] = False
    p = x.pair_data(cut, 2.0, -0.778)
    assert p.used.sum() == 4 and p.fit.n_points == 4
    cut["completed"].loc[dict(alpha=2.0, gamma=cut["gamma"].values[1])] = False
    assert x.pair_data(cut, 2.0, -0.778).fit is None
    assert "no fit" in x.explorer_figure(cut).layout.title.text


def test_the_page_stays_light(fig):
    from plotly.io import to_html

    html = to_html(fig, include_plotlyjs=False, full_html=False, validate=False)
    assert len(html) < 1_000_000, f"{len(html) / 1e6:.2f} MB"


def test_the_script_reads_the_meta_the_figure_writes():
    js = x.explorer_script()
    for key in (
        "explorer",
        "titles",
        "per_pair",
        "first",
        "alpha_slider",
        "gamma_slider",
        "plotly_sliderchange",
    ):
        assert key in js, key


def test_claim_holds_on_the_committed_data(ds):
    findings = x.check_explorer(ds)
    assert len(findings) == 3
    assert all(f.ok for f in findings), "\n".join(map(str, findings))
    assert checks.require(findings, quiet=True) == findings


def test_claim_fails_on_a_modified_copy(ds):
    bent = ds.copy(deep=True)
    sel = dict(alpha=2.0, gamma=bent["gamma"].values[1])
    bent["final_loss"].loc[sel] = bent["final_loss"].loc[sel].values * (bent["m"].values / 10.0) ** -1.0
    findings = x.check_explorer(bent)
    bad = [f for f in findings if not f.ok]
    assert [f.claim for f in bad] == ["at α = 2, γ = −0.78 the explorer shows α_m ≈ 1.8–2.1"]
    assert "outside 1.80–2.10" in bad[0].message
    with pytest.raises(checks.ClaimFailed):
        checks.require(findings, quiet=True)


def test_live_version_draws_the_chosen_pair(ds, monkeypatch):
    import plotly.graph_objects as go

    shown = []
    monkeypatch.setattr(go.Figure, "show", lambda self, *a, **k: shown.append(self))
    w = x.explorer_widget(ds)
    controls = w.widget.kwargs_widgets
    assert [c.description for c in controls] == ["alpha", "gamma"]
    assert len(controls[0].options) == 17 and len(controls[1].options) == 10
    controls[1].value = float(ds["gamma"].values[7])
    title = shown[-1].layout.title.text
    assert "γ = +0.56" in title and "α = 2," in title
    assert x.alpha_m_label(x.pair_data(ds, 2.0, float(ds["gamma"].values[7])).fit) in title
