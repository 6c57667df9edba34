"""Tests of chapter 5's module: its claims on the committed data, a broken claim, and its tables and figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from superscale import catalog, checks, geometry, weights
from superscale.chapters import ch5_geometry as ch5
from superscale.chapters import ch5_geometry_figures as ch5fig

PACK_NUS = {3: [4, 6, 9, 16, 40], 7: [8, 14, 28, 50, 100], 10: [11, 20, 55, 100, 200]}


@pytest.fixture(scope="module")
def tables():
    """Everything the chapter computes, as the chapter computes it (about 20 s)."""
    long = weights.measure_models(catalog.load("strong-weights"))
    return {
        "random_table": ch5.random_overlap_table((3, 10, 100), pairs=100_000, ks_pairs=20_000),
        "etf_tab": ch5.etf_table(geometry.known_etfs()),
        "pack_tab": ch5.packing_table(ch5.packing_runs(PACK_NUS, steps=600, draws=5, seed=0)),
        "sweep": catalog.load("paper-small"),
        "long": long,
        "short": catalog.load("short-small"),
    }


def _failed(findings, claim_part: str) -> list:
    return [f for f in findings if not f.ok and claim_part in f.claim]


# --- (a) the chapter's claims hold for the committed data -------------------------------------


def test_every_claim_of_chapter_5_holds_on_the_committed_data(tables):
    findings = ch5.claims(**tables)
    assert len(findings) >= 50
    bad = [str(f) for f in findings if not f.ok]
    assert not bad, "\n".join(bad)
    checks.require(findings, quiet=True)
    names = {f.claim for f in findings}
    for part in (
        "Beta law",
        "Welch bound",
        "packer finds",
        "sit on 1/m",
        "more even than random",
        "norm > 1 set is large",
        "short protocol",
        "φ₁",
        "Eq. 8",
    ):
        assert any(part in c for c in names), part


# --- (b) breaking the data breaks the named check, with a readable message --------------------


def test_paper_protocol_check_fails_when_one_run_is_off_one_over_m(tables):
    ds = tables["sweep"].copy(deep=True)
    sel = dict(alpha=1.0, gamma=float(ds["gamma"].min()), m=25)
    ds["overlap_mean_gt1"].loc[sel] = 1.6 / 25  # m·⟨c²⟩ = 1.6: far off the 1/m line
    findings = ch5.claims(**{**tables, "sweep": ds})
    bad = _failed(findings, "strong runs at the paper's protocol sit on 1/m")
    assert len(bad) == 1 and len(_failed(findings, "")) == 1
    assert "α = 1, γ = -1.00, m = 25" in bad[0].claim
    assert "is 1.60, outside 0.75–1.25" in bad[0].message
    with pytest.raises(checks.ClaimFailed, match="sit on 1/m"):
        checks.require(findings)


def test_loss_exponent_check_fails_on_an_edited_copy_of_the_weights_file(tables, tmp_path, monkeypatch):
    src = catalog.files("strong-weights")[0]
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["final_loss"] = arrays["final_loss"] * arrays["m"] / 10.0  # the loss no longer falls like 1/m
    np.savez(tmp_path / src.name, **arrays)
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    long = weights.measure_models(catalog.load("strong-weights"))
    findings = ch5.check_overlaps_to_loss(long)
    bad = _failed(findings, "the loss falls like 1/m")
    assert bad and all("α_m of the loss" in f.message for f in bad if "α_m" in f.message)
    assert any("is 0.0" in f.message and "more than" in f.message for f in bad), [str(f) for f in bad]
    # the overlaps themselves are untouched
    assert not _failed(ch5.check_trained_overlaps(long), "")


def test_short_protocol_check_fails_if_the_short_sweep_sat_on_one_over_m(tables):
    short = ch5.strong_runs(tables["short"]).assign(mean_ratio=1.0)
    bad = _failed(ch5.check_short_protocol(short), "does not yet sit on 1/m")
    assert len(bad) == 1 and "is 0.00, below 0.25" in bad[0].message


def test_spread_check_counts_the_norm_above_one_rows_from_the_row_norms(tables):
    ds = tables["sweep"].copy(deep=True)
    strong = ch5.strong_runs(ds)
    g = ch5.nearest_gamma(strong)[0][2]
    assert not _failed(ch5.check_spread(strong, ds), "")
    row_norm = ds["row_norm"].values
    ia, ig, im = (list(ds[k].values).index(v) for k, v in (("alpha", 0.0), ("gamma", g), ("m", 63)))
    row_norm[ia, ig, im, :] = 0.5  # no row of this model has norm > 1 any more
    ds["row_norm"].values = row_norm
    bad = _failed(ch5.check_spread(strong, ds), "the norm > 1 set is large")
    assert len(bad) == 1 and "0 rows with norm > 1 counted, 837 stored" in bad[0].message
    # a zero variance ratio, as in the paper's figure, breaks "no ratio is near 0"
    zero = strong.copy()
    zero.loc[zero.index[0], "var_ratio"] = 0.0
    assert _failed(ch5.check_spread(zero, tables["sweep"]), "no ratio is near 0")


# --- (c) the chapter's tables and figures -----------------------------------------------------


def test_random_overlap_table_and_its_bad_input():
    t = ch5.random_overlap_table((4, 50), pairs=2_000, ks_pairs=500)
    assert list(t["m"]) == [4, 50] and t.attrs["pairs"] == 2_000
    assert t["exact mean 1/m"].tolist() == pytest.approx([0.25, 0.02])
    assert t["exact variance"].tolist() == pytest.approx(
        [geometry.random_overlap_var(4), geometry.random_overlap_var(50)]
    )
    assert np.allclose(t["sampled mean"], t["exact mean 1/m"], rtol=0.2)
    with pytest.raises(ValueError, match="ks_pairs"):
        ch5.random_overlap_table((4,), pairs=100, ks_pairs=200)
    # checks catch a wrong sampled mean
    bad = t.copy()
    bad.loc[0, "sampled mean"] = 0.5
    assert _failed(ch5.check_random_overlaps(bad), "m = 4 follow the Beta law (mean)")


def test_etf_table_and_check_catch_a_frame_off_the_bound():
    etfs = [e for e in geometry.known_etfs() if e["nu"] <= 8]
    t = ch5.etf_table(etfs, draws=3)
    assert list(t.columns[:3]) == ["m", "ν", "largest c²"]
    assert not _failed(ch5.check_etfs(t), "")
    off = t.copy()
    off.iloc[0, off.columns.get_loc("largest c²")] *= 1.01
    assert len(_failed(ch5.check_etfs(off), "meets the Welch bound exactly")) == 1


def test_packing_table_ratios_and_check():
    runs = ch5.packing_runs({3: [4, 6]}, steps=300, draws=2, seed=0)
    t = ch5.packing_table(runs)
    assert list(t["nu"]) == [4, 6]
    assert t["packed / κ²"].tolist() == pytest.approx((t["packed_max"] / t["welch"]).tolist())
    assert t["random / packed"].tolist() == pytest.approx((t["random_max"] / t["packed_max"]).tolist())
    worse = t.assign(packed_max=t["random_max"])
    assert _failed(ch5.check_packing(worse), "beats random vectors")


def _fake_strong(gammas=(-1.0, -0.5), alphas=(0.0, 1.0), ms=(10, 15, 25, 39, 63, 100)) -> pd.DataFrame:
    rows = [
        {"alpha": a, "gamma": g, "m": m, "n_gt1": int(m * m / 2), "phi_one": min(1, m * m / 2000)}
        for a in alphas
        for g in gammas
        for m in ms
    ]
    df = pd.DataFrame(rows)
    df["overlap_mean_gt1"] = 1.0 / df["m"]
    df["mean_ratio"] = 1.0
    df["var_ratio"] = 0.8
    return df


def test_tables_of_the_trained_models_have_the_chapters_layout():
    strong = _fake_strong()
    long = _fake_strong(gammas=(-1.0,))
    fig5d = ch5.mean_ratio_table(strong, long, 1000, "10 000 steps")
    assert fig5d["all strong runs"]["runs"].tolist() == [4] * 6
    assert fig5d["paper"]["Fig. 5d"].loc[10] == pytest.approx(1.0)
    assert "Over all 24 strong runs" in ch5.mean_ratio_words(long, fig5d)
    g1 = ch5.phi_one_runs(strong)
    assert (g1["gamma"] == -1.0).all()
    phi = ch5.phi_one_table(g1, long, 1000, "L")
    assert phi.loc[25, "m/n"] == pytest.approx(0.025) and "L, α = 1.0" in phi.columns
    gammas, active = ch5.nearest_gamma(strong, -0.55)
    assert gammas == [-1.0, -0.5] and active == 1
    at = strong[strong["gamma"] == -0.5]
    table = ch5.spread_table(at).data
    assert table.shape == (2, 12) and table.loc[0.0, ("rows with norm > 1", 10)] == 50
    html = ch5.spread_table(at).to_html()
    assert "1984" in html and "0.80" in html  # every column is shown (n_gt1 at m = 63 is 63²/2 = 1984)
    words = ch5.spread_words(at, -0.5)
    assert "1984 rows (ratio 0.80) at m = 63 and 5000 rows (ratio 0.80) at m = 100" in words


def test_slider_figures_have_one_step_per_value():
    fig = ch5fig.overlap_distribution_slider_figure([3, 10], samples=1_000, active=1)
    assert len(fig.layout.sliders[0].steps) == 2 and len(fig.data) == 6
    assert fig.layout.title.text.startswith("m = 10:")
    strong = _fake_strong()
    fig = ch5fig.variance_ratio_slider_figure(strong, [-1.0, -0.5], active=0)
    assert len(fig.layout.sliders[0].steps) == 2 and len(fig.data) == 2 * 4
    long = _fake_strong(gammas=(-1.0,))
    m = long["m"]
    long["final_loss"], long["eq8_total"], long["self"], long["interference"] = (
        1 / m,
        0.8 / m,
        0.79 / m,
        0.01 / m,
    )
    long["bias_median"] = -1 / np.sqrt(m)
    fig = ch5fig.interference_slider_figure(long)
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "1"]
    assert fig.layout.sliders[0].active == 1  # opens at α = 1
    assert fig.layout.yaxis2.overlaying == "y"
    table = ch5.overlap_loss_table(long)
    assert table.loc[1.0, "α_m (measured loss)"] == pytest.approx(1.0)
    assert table.loc[1.0, "exponent of (median bias)²"] == pytest.approx(1.0)
    assert not _failed(ch5.check_overlaps_to_loss(long), "")


def test_packing_result_figure_title_names_the_packing():
    result = geometry.pack_lines(6, 3, steps=50, seed=0)
    fig = ch5fig.packing_result_figure(result, seed=0)
    assert fig.layout.title.text.startswith("ν = 6 vectors in R<sup>3</sup>")
    assert len(fig.data) == 4
