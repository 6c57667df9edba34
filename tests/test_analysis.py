"""Tests of superscale.analysis (chapters 2 and 3)."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import ALPHAS, GAMMAS, WIDTHS, fake_sweep, synthetic_grid  # noqa: F401

from superscale import analysis, catalog, data, exponents, theory


def test_weak_prediction_matches_direct_sum():
    p = data.power_law_frequencies(1000, 1.5)
    assert analysis.weak_prediction(p, 0.0) == pytest.approx(4 / 3)
    assert analysis.weak_prediction(p, 1.0) == 0.0
    assert analysis.weak_prediction(p, 0.05) == pytest.approx(4 / 3 * p[50:].sum())
    assert analysis.weak_prediction(p, 0.05, exact=True) == pytest.approx(theory.weak_loss(p, 50))
    out = analysis.weak_prediction(p, np.array([0.01, 0.1]))
    assert out.shape == (2,) and out[0] > out[1]
    with pytest.raises(ValueError, match="phi"):
        analysis.weak_prediction(p, 1.5)


def test_ideal_alpha_m_matches_paper_finite_n_values():
    # paper.md §3.2: 0.434, 0.606, 0.804, 1.02 at alpha = 1.25, 1.5, 1.75, 2
    for a, ref in [(1.25, 0.434), (1.5, 0.606), (1.75, 0.804), (2.0, 1.02)]:
        assert exponents.ideal_alpha_m(a).exponent == pytest.approx(ref, abs=0.005)
    with pytest.raises(ValueError, match="widths"):
        exponents.ideal_alpha_m(1.5, widths=[10, 20])


def test_weak_table_on_ideal_models_matches_prediction():
    ds = fake_sweep()
    runs = analysis.weak_table(ds)
    assert len(runs) == 3 * 5 * 4
    weak = runs[runs["gamma"] > 0]
    # ideal weak models: loss = exact variance sum, within 1 % of (4/3) Σ p_i for these tails
    assert np.allclose(weak["ratio"], 1.0, atol=0.02)
    assert np.allclose(weak["predicted"], weak["predicted_norms"])
    assert (weak["top_kept"] == 1.0).all()
    strong = runs[runs["gamma"] < 0]
    assert (strong["predicted"] == 0).all() and strong["ratio"].isna().all()


def test_exponent_table_and_maps():
    ds = fake_sweep()
    table = exponents.exponent_table(ds)
    assert len(table) == 5 * 3
    # an ideal weak model's exponent equals the ideal finite-n exponent over the same widths
    row = table[(table["gamma"] > 0) & np.isclose(table["alpha"], 1.5)].iloc[0]
    assert row["alpha_m"] == pytest.approx(row["ideal"], abs=1e-9)
    # laid out on a larger grid: the cells the table has are filled, the others NaN
    gammas = np.append(ds["gamma"].values, 0.9)
    alphas = np.append(0.5, ds["alpha"].values)
    maps = exponents.exponent_maps(table, gammas, alphas)
    assert maps["alpha_m"].shape == (6, 4)
    assert np.isnan(maps["alpha_m"][-1]).all() and np.isnan(maps["se"][:, 0]).all()
    assert maps["alpha_m"][0, 1] == pytest.approx(table.iloc[0]["alpha_m"])  # gamma -1, alpha 1
    assert np.isfinite(maps["r2"][:5, 1:]).all()
    with pytest.raises(ValueError, match="no column"):
        exponents.exponent_maps(table.drop(columns="se"), gammas, alphas)


def test_protocol_summary_reads_the_attributes():
    ds = fake_sweep()
    assert "exactly" in analysis.protocol_summary(ds)
    assert catalog.uses_paper_protocol(ds)
    import json

    pr = json.loads(ds.attrs["protocol"])
    pr.update(batch=512, steps=2500)
    ds.attrs["protocol"] = json.dumps(pr)
    s = analysis.protocol_summary(ds)
    assert "batch size 512 instead of 2048" in s and "32× fewer" in s
    assert not catalog.uses_paper_protocol(ds)


def _join(folder, names):
    """The sweep files ``names`` in ``folder`` joined as the catalog joins one data set's files."""
    import xarray as xr

    parts = []
    for name in names:
        with xr.open_dataset(folder / f"{name}.nc", engine="h5netcdf") as ds:
            parts.append(catalog.trained_only(ds.load(), "alpha"))
    return catalog.join(parts, "test")


def test_paper_checks_load_and_compare(tmp_path, monkeypatch):
    """Files with the paper's protocol are combined along α; the side-by-side table sees the differences."""
    import json

    paper = fake_sweep(alphas=(0.5, 1.5, 2.0))
    paper.sel(alpha=[1.5, 2.0]).to_netcdf(tmp_path / "check-paper-small.nc", engine="h5netcdf")
    paper.sel(alpha=[0.5], gamma=[-1.0, -0.5556]).to_netcdf(
        tmp_path / "check-paper-strong.nc", engine="h5netcdf"
    )
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    # name the files: a name missing from tmp_path would be found in the repository's book/data
    both = _join(tmp_path, ("check-paper-small", "check-paper-strong"))
    assert both["alpha"].values.tolist() == [0.5, 1.5, 2.0]
    # a third file with strong runs at another alpha joins along alpha in order
    mid = fake_sweep(alphas=(0.25,)).sel(gamma=[-1.0, -0.5556])
    mid.to_netcdf(tmp_path / "check-paper-strong-mid.nc", engine="h5netcdf")
    three = _join(tmp_path, ("check-paper-small", "check-paper-strong", "check-paper-strong-mid"))
    assert three["alpha"].values.tolist() == [0.25, 0.5, 1.5, 2.0]
    assert bool(three["completed"].sel(alpha=0.25, gamma=-1.0).all())
    assert not bool(three["completed"].sel(alpha=0.25, gamma=0.3333).any())
    # a fourth file with the other gammas at alpha values the strong files hold fills the gaps
    rest = fake_sweep(alphas=(0.25, 0.5)).sel(gamma=[-0.1111, 0.3333, 0.5556])
    rest.to_netcdf(tmp_path / "check-paper-small-rest.nc", engine="h5netcdf")
    names4 = ("check-paper-small", "check-paper-strong", "check-paper-strong-mid", "check-paper-small-rest")
    four = _join(tmp_path, names4)
    assert four["alpha"].values.tolist() == [0.25, 0.5, 1.5, 2.0]
    assert bool(four["completed"].sel(alpha=[0.25, 0.5]).all())  # all five gammas at both alphas now
    ref = fake_sweep(alphas=(0.25, 0.5))
    for name in ("final_loss", "phi_half", "row_norm"):
        np.testing.assert_array_equal(
            four[name].sel(alpha=[0.25, 0.5]).transpose(*ref[name].dims).values, ref[name].values
        )
    np.testing.assert_array_equal(
        four["final_loss"].sel(alpha=[1.5, 2.0]).values, three["final_loss"].sel(alpha=[1.5, 2.0]).values
    )
    # the same model in two files with different results is refused
    clash = fake_sweep(alphas=(0.5,)).sel(gamma=[-0.5556, 0.3333])
    clash["final_loss"] = clash["final_loss"] * 1.1
    clash.to_netcdf(tmp_path / "check-paper-small-rest.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="same model"):
        _join(tmp_path, names4)
    (tmp_path / "check-paper-small-rest.nc").unlink()
    (tmp_path / "check-paper-strong-mid.nc").unlink()
    assert not bool(both["completed"].sel(alpha=0.5, gamma=0.3333).any())  # not in the strong-only file
    assert bool(both["completed"].sel(alpha=0.5, gamma=-0.5556).all())
    cheap = fake_sweep(alphas=(0.5, 1.0, 1.5, 2.0))
    cheap["final_loss"] = cheap["final_loss"] * 1.25
    pr = json.loads(cheap.attrs["protocol"])
    pr.update(batch=128, steps=4000)
    cheap.attrs["protocol"] = json.dumps(pr)
    table = analysis.protocol_check(cheap, both)
    assert (
        table.loc[(2.0, "weak loss, book protocol / paper protocol (median)"), "book CPU protocol"] == "1.25"
    )
    assert (
        table.loc[(0.5, "strong loss, book protocol / paper protocol (median)"), "book CPU protocol"]
        == "1.25"
    )
    assert (0.5, "weak φ_1/2 · n/m (median)") not in table.index  # no weak runs at α = 0.5
    row = table.loc[(1.5, "weak models within 10 % of (4/3)Σ_{i>φn} p_i")]
    assert row["paper's protocol (ours)"] == "8 of 8" and row["book CPU protocol"] == "0 of 8"
    assert table.loc[(1.5, "weak φ_1/2 · n/m (median)"), "paper's protocol (ours)"] == "1.00"
    # the same exponent under both protocols: a constant factor does not change α_m
    r = table.loc[(2.0, "weak α_m (γ ≥ 0.33)")]
    assert r["book CPU protocol"] == r["paper's protocol (ours)"]
    # a file that claims to be a paper-protocol check but is not
    cheap.to_netcdf(tmp_path / "paper-small-a1-2.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="paper's protocol"):
        catalog.load("paper-small")
