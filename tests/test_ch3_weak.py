"""Tests of superscale.chapters.ch3_weak (chapter 3): the chapter's claims on the committed data, a
broken copy of the data that a named check catches, and unit tests of the chapter's functions."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import ALPHAS, GAMMAS, WIDTHS, fake_sweep, synthetic_grid  # noqa: F401

from superscale import analysis, checks, exponents
from superscale.chapters import ch3_weak as ch3


@pytest.fixture(scope="module")
def short():
    return ch3.load_short()


@pytest.fixture(scope="module")
def paper():
    return ch3.load_paper()


def _by_claim(findings, start: str):
    hits = [f for f in findings if f.claim.startswith(start)]
    assert len(hits) == 1, [f.claim for f in findings]
    return hits[0]


# --------------------------------------------------------------------------------------------
# The chapter's claims on the committed data
# --------------------------------------------------------------------------------------------


def test_every_claim_of_chapter_3_holds_on_the_committed_data(short, paper):
    findings = ch3.claims(short, paper)
    bad = [str(f) for f in findings if not f.ok]
    assert not bad, "\n".join(bad)
    assert len(findings) >= 40  # every statement of the text has its check
    assert len({f.claim for f in findings}) == len(findings), "two checks share a name"
    checks.require(findings, quiet=True)


def test_a_loss_changed_in_a_copy_of_the_paper_data_fails_the_named_check(short, paper):
    broken = paper.copy(deep=True)
    where = dict(alpha=1.0, gamma=broken["gamma"].values[6], m=39)  # γ = 0.33
    assert np.isclose(float(where["gamma"]), 0.333, atol=0.01)
    broken["final_loss"].loc[where] = 1.05 * float(paper["final_loss"].sel(**where))
    findings = ch3.claims(short, broken)
    f = _by_claim(findings, "at α = 0.125–1.625 the loss is the variance of the dropped features")
    assert not f.ok
    assert "γ = +0.33, α = 1, m = 39" in f.message and "allowing 2 standard errors" in f.message
    assert "fall outside" in f.message
    with pytest.raises(checks.ClaimFailed, match="the loss is the variance of the dropped features"):
        checks.require(findings, quiet=True)


def test_a_zero_loss_in_a_copy_of_the_paper_data_fails_the_growth_check(paper):
    broken = paper.copy(deep=True)
    g = broken["gamma"].values[0]  # γ = −1
    broken["final_loss"].loc[dict(alpha=1.0, gamma=g, m=39)] = 0.0
    findings = ch3.check_prediction(analysis.weak_table(broken))
    f = _by_claim(findings, "growth models (γ ≤ −0.56) have a non-zero loss")
    assert not f.ok and "γ = -1.00, α = 1, m = 39" in f.message and "is 0.00" in f.message
    assert _by_claim(findings, "every weak model sits on or above").ok  # the weak models are untouched


def test_table_3_6_shows_every_alpha_and_the_numbers_the_text_quotes(short, paper):
    shown = ch3.protocol_table(analysis.protocol_check(short, paper))
    assert shown.shape == (17, 7) and shown.index[0] == "0" and shown.index[-1] == "2"
    assert shown.loc["1", "kept φ_1/2·n/m, short"] == "0.13"
    assert shown.loc["1", "kept φ_1/2·n/m, paper's protocol"] == "1.66"
    assert shown.loc["2", "α_m, paper (published)"].startswith("0.95 / 1.15")


# --------------------------------------------------------------------------------------------
# Unit tests on a synthetic sweep (moved with the functions from tests/test_analysis.py)
# --------------------------------------------------------------------------------------------


def test_least_ambiguous_and_the_comparison_with_the_paper():
    ds = fake_sweep()
    table = exponents.exponent_table(ds)
    least = ch3.least_ambiguous(table, k=3)
    assert (least["gamma"] > 0).all() and len(least) == 3
    assert list(least["alpha"]) == sorted(least["alpha"])
    with pytest.raises(ValueError, match="k"):
        ch3.least_ambiguous(table, k=0)
    with pytest.raises(ValueError, match="ambiguity"):
        ch3.least_ambiguous(table.assign(max_ambiguity=np.nan))
    cmp = ch3.weak_alpha_m_comparison(table, least)
    assert {1.5, 2.0} <= set(cmp["alpha"])  # the paper's α that the sweep has
    assert np.issubdtype(cmp["alpha_m"].dtype, np.floating) and np.issubdtype(cmp["se"].dtype, np.floating)
    row = cmp[cmp["alpha"] == 2.0].iloc[0]
    assert row["paper"] == (0.95, 1.15) and row["ideal"] == pytest.approx(row["alpha_m"], abs=1e-9)
    shown = ch3.comparison_table(cmp)
    assert shown.loc[2.0, "paper alpha_m"] == "0.95 / 1.15"
    assert shown.loc[2.0, "our alpha_m"] == " / ".join(
        f"{e:.2f} ± {s:.2f}"
        for e, s in zip(cmp[cmp["alpha"] == 2.0]["alpha_m"], cmp[cmp["alpha"] == 2.0]["se"])
    )


def test_dropped_frequent_features_counts_the_top_m_rows():
    ds = fake_sweep()
    out = ch3.dropped_frequent_features(ds)  # ideal weak models keep all of their first m features
    assert (out["dropped"] == 0).all() and (out["top-m slots"] == 2 * sum((10, 15, 25, 39))).all()
    ds["row_norm"].values[0, 3, 0, :3] = 0.0  # alpha = 1, gamma = 0.33, m = 10: drop the three most frequent
    ds["bias"].values[0, 3, 0, :3] = [-1.0, -1.0, 0.05]
    out = ch3.dropped_frequent_features(ds)
    assert out.loc[1.0, "dropped"] == 3 and out.loc[1.0, "dropped with b < 0"] == 2
    with pytest.raises(ValueError, match="bias"):
        ch3.dropped_frequent_features(ds.drop_vars("bias"))


def test_tables_of_the_first_part_on_ideal_weak_models():
    ds = fake_sweep()
    runs = analysis.weak_table(ds)
    ratios = ch3.ratio_summary(runs)
    assert list(ratios.index) == [-1.0, -0.56, -0.11, 0.33, 0.56]
    assert (ratios.loc[[0.33, 0.56], "within 10 %"] == 1.0).all()
    assert ratios.loc[-1.0, "with phi_1/2 < 1"] == 0 and np.isnan(ratios.loc[-1.0, "median ratio"])
    med = ch3.weak_medians(runs)
    assert list(med.columns) == ["ratio", "top_kept", "phi_half", "m_over_n"] and (med["top_kept"] == 1).all()
    assert ch3.kept_in_widths(runs, 1.0) == pytest.approx(1.0)
    ideal = ch3.ideal_table()
    assert ideal["ideal alpha_m (n = 1000)"].to_numpy() == pytest.approx(ch3.NOTES_IDEAL_ALPHA_M, abs=0.005)
    assert all(f.ok for f in ch3.check_ideal_exponents(ideal))


def test_checks_on_ideal_models_and_their_messages():
    ds = fake_sweep()
    runs = analysis.weak_table(ds)
    assert all(f.ok for f in ch3.check_prediction(runs))
    table = exponents.exponent_table(ds)
    least = ch3.least_ambiguous(table, k=6)
    found = ch3.check_least_ambiguous(least, table)
    assert _by_claim(found, "the least ambiguous runs are weak").ok and _by_claim(found, "at least 3").ok
    f = _by_claim(found, "no weak run has a largest ambiguity below 1")
    assert not f.ok  # ideal weak models are not ambiguous at all
    worse = runs.copy()
    worse.loc[(worse["gamma"] > 0) & (worse["alpha"] == 1.5) & (worse["m"] == 25), ["loss", "ratio"]] *= 0.5
    f = _by_claim(ch3.check_prediction(worse), "every weak model sits on or above")
    assert not f.ok and f.message.startswith("2 of 24 fall outside") and "α = 1.5, m = 25" in f.message
    f = _by_claim(
        ch3.check_least_ambiguous(least.assign(gamma=-0.5), table), "the least ambiguous runs are weak"
    )
    assert not f.ok and "-0.50" in f.message


def test_figures_have_their_traces():
    ds = fake_sweep()
    runs = analysis.weak_table(ds)
    fig = ch3.weak_scatter_figure(runs)
    assert len(fig.data) == 2 and fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0
    assert len(ch3.weak_phi_figure(runs, ds).data) == 2 * ds.sizes["alpha"]
    assert len(ch3.weak_width_traces(ds, 1.5, [0.3333, 0.5556])) == 5
    assert len(ch3.weak_width_figure(ds, 2.0, [0.3333]).data) == 3
    fig = ch3.weak_width_slider_figure(ds, active_alpha=2.0)
    assert fig.layout.sliders[0].active == 2
    table = exponents.exponent_table(ds)
    fig = ch3.weak_alpha_m_figure(table, ch3.least_ambiguous(table, k=3), widths=(10, 15, 25, 39), n=200)
    assert len(fig.data) == 5 and fig.data[-1].name == "this book: 3 least ambiguous runs"
    fig = ch3.weak_alpha_m_figure(table, ch3.smallest_decays(table), n=200, by_gamma=True)
    assert [t.name for t in fig.data[-2:]] == ["this book: γ = 0.33", "this book: γ = 0.56"]
    assert fig.data[-1].marker.colorbar.title.text is None  # one colour per γ, no colour bar
    fig = ch3.protocol_width_figure(ds, ds, gammas=(0.3333, 0.5556), active_alpha=2.0)
    assert len(fig.data) == 8 * ds.sizes["alpha"] and fig.layout.sliders[0].active == 2
    assert sum(bool(t.showlegend) for t in fig.data[:8]) == 4  # four curves, one legend entry each
    with pytest.raises(ValueError, match="alpha"):
        ch3.weak_width_traces(ds, 0.7, [0.3333])
