"""Tests of superscale.analysis (chapters 2 and 3)."""

from __future__ import annotations

import numpy as np
import pytest

from superscale import analysis, data, theory


def test_snapshot_steps_cover_start_and_end():
    s = analysis.snapshot_steps(2000, 8)
    assert s[0] == 0 and s[-1] == 2000
    assert np.all(np.diff(s) > 0)
    with pytest.raises(ValueError, match="count"):
        analysis.snapshot_steps(100, 1)
    with pytest.raises(ValueError, match="steps"):
        analysis.snapshot_steps(0, 4)


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
        assert analysis.ideal_alpha_m(a).exponent == pytest.approx(ref, abs=0.005)
    with pytest.raises(ValueError, match="widths"):
        analysis.ideal_alpha_m(1.5, widths=[10, 20])


def test_train_live_small_case_separates_the_two_regimes():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    run = analysis.train_live(
        n=60, m=6, gammas=(0.5, -0.5), steps=400, batch=512, snapshots=4, eval_samples=4096
    )
    assert run.W.shape == (2, run.steps.size, 60, 6)
    assert run.steps[0] == 0 and run.steps[-1] == 400
    norms_weak, norms_strong = run.norms(0), run.norms(1)
    # decay switches most rare features off; growth pulls (almost) every row towards norm 1
    assert np.mean(norms_weak > 0.5) < 0.35
    assert np.mean(norms_strong > 0.5) > 0.85
    assert np.all(np.isfinite(run.final_loss)) and np.all(run.final_loss_se > 0)
    assert run.gram(1, top=10).shape == (10, 10)
    with pytest.raises(ValueError, match="m"):
        analysis.train_live(n=10, m=10)


def _fake_sweep(n=200, widths=(10, 15, 25, 39), alphas=(1.0, 1.5, 2.0)):
    """A synthetic sweep with the book's schema: γ > 0 models keep exactly their first m features."""
    import json

    import xarray as xr

    from superscale.training import PROTOCOLS

    gammas = np.array([-1.0, -0.5556, -0.1111, 0.3333, 0.5556])
    A, G, M = len(alphas), gammas.size, len(widths)
    loss = np.zeros((A, G, M))
    phi = np.zeros((A, G, M))
    amb = np.zeros((A, G, M))
    norms = np.zeros((A, G, M, n), dtype=np.float16)
    p_all = np.stack([data.power_law_frequencies(n, a) for a in alphas])
    for i in range(A):
        for j, g in enumerate(gammas):
            for k, m in enumerate(widths):
                keep = m if g > 0 else n
                r = np.zeros(n)
                r[:keep] = 1.0
                norms[i, j, k] = r
                phi[i, j, k] = keep / n
                loss[i, j, k] = theory.weak_loss(p_all[i], keep) if g > 0 else 0.5 / m
                amb[i, j, k] = 0.1 * g if g > 0 else 5.0
    dims = ("alpha", "gamma", "m")
    ds = xr.Dataset(
        {
            "final_loss": (dims, loss),
            "final_loss_se": (dims, 1e-3 * np.ones_like(loss)),
            "phi_half": (dims, phi),
            "ambiguity": (dims, amb),
            "completed": (dims, np.ones_like(loss, dtype=bool)),
            "row_norm": (dims + ("feature",), norms),
            "bias": (dims + ("feature",), np.where(norms > 0.5, -0.1, 0.01).astype(np.float16)),
            "p": (("alpha", "feature"), p_all),
        },
        coords={"alpha": list(alphas), "gamma": gammas, "m": list(widths), "feature": np.arange(1, n + 1)},
    )
    ds.attrs.update(
        grid="fake", protocol=json.dumps(PROTOCOLS["paper-small"].to_dict()), units_finished=3, units_total=3
    )
    return ds


def test_weak_table_on_ideal_models_matches_prediction():
    ds = _fake_sweep()
    runs = analysis.weak_table(ds)
    assert len(runs) == 3 * 5 * 4
    weak = runs[runs["gamma"] > 0]
    # ideal weak models: loss = exact variance sum, within 1 % of (4/3) Σ p_i for these tails
    assert np.allclose(weak["ratio"], 1.0, atol=0.02)
    assert np.allclose(weak["predicted"], weak["predicted_norms"])
    assert (weak["top_kept"] == 1.0).all()
    strong = runs[runs["gamma"] < 0]
    assert (strong["predicted"] == 0).all() and strong["ratio"].isna().all()


def test_exponent_table_and_least_ambiguous():
    ds = _fake_sweep()
    table = analysis.exponent_table(ds)
    assert len(table) == 5 * 3
    least = analysis.least_ambiguous(table, k=3)
    assert (least["gamma"] > 0).all() and len(least) == 3
    # an ideal weak model's exponent equals the ideal finite-n exponent over the same widths
    row = table[(table["gamma"] > 0) & np.isclose(table["alpha"], 1.5)].iloc[0]
    assert row["alpha_m"] == pytest.approx(row["ideal"], abs=1e-9)
    cmp = analysis.weak_alpha_m_comparison(table, least)
    assert 2.0 in cmp.index
    with pytest.raises(ValueError, match="k"):
        analysis.least_ambiguous(table, k=0)
    # laid out on a larger grid: the cells the table has are filled, the others NaN
    gammas = np.append(ds["gamma"].values, 0.9)
    alphas = np.append(0.5, ds["alpha"].values)
    maps = analysis.exponent_maps(table, gammas, alphas)
    assert maps["alpha_m"].shape == (6, 4)
    assert np.isnan(maps["alpha_m"][-1]).all() and np.isnan(maps["se"][:, 0]).all()
    assert maps["alpha_m"][0, 1] == pytest.approx(table.iloc[0]["alpha_m"])  # gamma -1, alpha 1
    assert np.isfinite(maps["r2"][:5, 1:]).all()
    with pytest.raises(ValueError, match="no column"):
        analysis.exponent_maps(table.drop(columns="se"), gammas, alphas)


def test_protocol_summary_reads_the_attributes():
    ds = _fake_sweep()
    assert "exactly" in analysis.protocol_summary(ds)
    assert analysis.uses_paper_protocol(ds)
    import json

    pr = json.loads(ds.attrs["protocol"])
    pr.update(batch=512, steps=2500)
    ds.attrs["protocol"] = json.dumps(pr)
    s = analysis.protocol_summary(ds)
    assert "batch size 512 instead of 2048" in s and "32× fewer" in s
    assert not analysis.uses_paper_protocol(ds)
    assert analysis.protocol_table(ds).loc["batch size"].iloc[0] == 512


def test_dropped_frequent_features_counts_the_top_m_rows():
    ds = _fake_sweep()
    # ideal weak models keep all of their first m features
    out = analysis.dropped_frequent_features(ds)
    assert (out["dropped"] == 0).all() and (out["top-m slots"] == 2 * sum((10, 15, 25, 39))).all()
    r = ds["row_norm"].values.copy()
    r[0, 3, 0, :3] = 0.0  # alpha = 1, gamma = 0.33, m = 10: drop the three most frequent features
    ds["row_norm"].values[:] = r
    b = ds["bias"].values.copy()
    b[0, 3, 0, :3] = [-1.0, -1.0, 0.05]
    ds["bias"].values[:] = b
    out = analysis.dropped_frequent_features(ds)
    assert out.loc[1.0, "dropped"] == 3 and out.loc[1.0, "dropped with b < 0"] == 2
    with pytest.raises(ValueError, match="bias"):
        analysis.dropped_frequent_features(ds.drop_vars("bias"))


def test_paper_checks_load_and_compare(tmp_path, monkeypatch):
    """Files with the paper's protocol are combined along α; the side-by-side table sees the differences."""
    import json

    paper = _fake_sweep(alphas=(0.5, 1.5, 2.0))
    paper.sel(alpha=[1.5, 2.0]).to_netcdf(tmp_path / "check-paper-small.nc", engine="h5netcdf")
    paper.sel(alpha=[0.5], gamma=[-1.0, -0.5556]).to_netcdf(
        tmp_path / "check-paper-strong.nc", engine="h5netcdf"
    )
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    # name the files: a name missing from tmp_path would be found in the repository's book/data
    both = analysis.load_paper_checks(("check-paper-small", "check-paper-strong"))
    assert both["alpha"].values.tolist() == [0.5, 1.5, 2.0]
    # a third file with strong runs at another alpha joins along alpha in order
    mid = _fake_sweep(alphas=(0.25,)).sel(gamma=[-1.0, -0.5556])
    mid.to_netcdf(tmp_path / "check-paper-strong-mid.nc", engine="h5netcdf")
    three = analysis.load_paper_checks(("check-paper-small", "check-paper-strong", "check-paper-strong-mid"))
    assert three["alpha"].values.tolist() == [0.25, 0.5, 1.5, 2.0]
    assert bool(three["completed"].sel(alpha=0.25, gamma=-1.0).all())
    assert not bool(three["completed"].sel(alpha=0.25, gamma=0.3333).any())
    # a fourth file with the other gammas at alpha values the strong files hold fills the gaps
    rest = _fake_sweep(alphas=(0.25, 0.5)).sel(gamma=[-0.1111, 0.3333, 0.5556])
    rest.to_netcdf(tmp_path / "check-paper-small-rest.nc", engine="h5netcdf")
    names4 = ("check-paper-small", "check-paper-strong", "check-paper-strong-mid", "check-paper-small-rest")
    four = analysis.load_paper_checks(names4)
    assert four["alpha"].values.tolist() == [0.25, 0.5, 1.5, 2.0]
    assert bool(four["completed"].sel(alpha=[0.25, 0.5]).all())  # all five gammas at both alphas now
    ref = _fake_sweep(alphas=(0.25, 0.5))
    for name in ("final_loss", "phi_half", "row_norm"):
        np.testing.assert_array_equal(
            four[name].sel(alpha=[0.25, 0.5]).transpose(*ref[name].dims).values, ref[name].values
        )
    np.testing.assert_array_equal(
        four["final_loss"].sel(alpha=[1.5, 2.0]).values, three["final_loss"].sel(alpha=[1.5, 2.0]).values
    )
    # the same model in two files with different results is refused
    clash = _fake_sweep(alphas=(0.5,)).sel(gamma=[-0.5556, 0.3333])
    clash["final_loss"] = clash["final_loss"] * 1.1
    clash.to_netcdf(tmp_path / "check-paper-small-rest.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="same model"):
        analysis.load_paper_checks(names4)
    (tmp_path / "check-paper-small-rest.nc").unlink()
    (tmp_path / "check-paper-strong-mid.nc").unlink()
    assert not bool(both["completed"].sel(alpha=0.5, gamma=0.3333).any())  # not in the strong-only file
    assert bool(both["completed"].sel(alpha=0.5, gamma=-0.5556).all())
    cheap = _fake_sweep(alphas=(0.5, 1.0, 1.5, 2.0))
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
        analysis.load_paper_checks()


def test_large_curves_and_exponent_table():
    import xarray as xr

    kinds, gammas, widths = ["power", "exponential", "linear"], [-1.0, 0.1], [8, 16, 32, 64, 128]
    w = np.asarray(widths, dtype=float)
    loss = np.empty((3, 2, 5))
    loss[:, 0] = 2.0 * w**-1.0  # strong: an exact 1/m law
    loss[:, 1] = 1.0 * w**-0.3
    done = np.ones_like(loss, dtype=bool)
    done[1, 0, 4] = False  # exponential strong m = 128 not trained
    done[:, 1] = False  # no weak runs
    done[0, 1, :3] = True  # ... except the weak power law at m = 8-32
    ds = xr.Dataset(
        {
            "final_loss": (("kind", "gamma", "m"), np.where(done, loss, np.nan)),
            "final_loss_se": (("kind", "gamma", "m"), np.where(done, 0.01 * loss, np.nan)),
            "completed": (("kind", "gamma", "m"), done),
        },
        coords={"kind": kinds, "gamma": gammas, "m": widths},
    )
    c = analysis.large_curves(ds)
    assert set(c) == {("strong", k) for k in kinds} | {("weak", "power")}
    assert list(c[("strong", "exponential")]["widths"]) == [8, 16, 32, 64]
    assert c[("strong", "power")]["fit"].exponent == pytest.approx(1.0, abs=1e-9)  # fitted on m >= 32
    assert c[("weak", "power")]["fit"] is None  # the paper fits the weak power law from m = 64 only
    t = analysis.large_exponent_table({"A": c, "B": {k: v for k, v in c.items() if k[0] == "strong"}})
    assert len(t) == 7
    row = t.loc[("linear", "strong", "A")]
    assert (
        row["α_m (ours, paper's range)"] == "1.00 ± 0.00" and row["α_m (paper, m = 8…1024)"] == "0.89 ± 0.05"
    )
    assert t.loc[("power", "weak", "A")]["α_m (ours, paper's range)"] == "fewer than 3 widths"
    assert t.loc[("power", "weak", "A")]["α_m (paper, m = 8…1024)"] == "not a power law"
    r = analysis.large_loss_ratios({"A": c})
    from superscale.phase import PAPER_FIG1_LOSS

    assert r.loc[("A", "power"), "m = 16"] == pytest.approx(2.0 / 16 / PAPER_FIG1_LOSS["strong"]["power"][1])
    assert np.isnan(r.loc[("A", "exponential"), "m = 128"]) and np.isnan(r.loc[("A", "power"), "m = 256"])
    with pytest.raises(ValueError, match="regime must be"):
        analysis.large_loss_ratios({"A": c}, regime="both")


def test_kept_per_width_is_the_median_over_decayed_trained_models():
    ds = _fake_sweep()  # gamma > 0 models keep exactly m features: phi_1/2 n/m = 1
    k = analysis.kept_per_width(ds)
    assert list(k.index) == [1.0, 1.5, 2.0] and np.allclose(k.values, 1.0)
    ds["phi_half"].loc[dict(alpha=1.0, gamma=0.3333)] = 0.5  # far above m/n at every width
    ds["completed"].loc[dict(alpha=1.0, gamma=0.3333)] = False  # but untrained: ignored
    assert np.allclose(analysis.kept_per_width(ds).values, 1.0)
    # with the growth models (phi_1/2 = 1, so n/m = 200/m) the median of 20 values is the 10th-11th: 200/39
    assert analysis.kept_per_width(ds, gamma_min=-2.0).loc[2.0] == pytest.approx(200 / 39)


def test_phi_heatmap_leaves_untrained_cells_blank():
    from superscale import plots

    ds = _fake_sweep()
    fig = plots.phi_heatmap_slider_figure(ds, note=" (test)")
    assert len(fig.data) == ds.sizes["m"] and "(test)" in fig.layout.title.text
    z = np.asarray(fig.data[-1].z, dtype=float)  # widest width, rows alpha, columns gamma
    assert np.isfinite(z).all()
    ds["completed"].loc[dict(alpha=1.0, gamma=-1.0)] = False
    z = np.asarray(plots.phi_heatmap_slider_figure(ds).data[-1].z, dtype=float)
    assert np.isnan(z[0, 0]) and np.isfinite(z[1:]).all() and np.isfinite(z[0, 1:]).all()


def _fake_density(Es, gammas, widths, protocol, expo=1.0, untrained_E=None):
    """Strong runs with L = c(γ) · E · m^-expo exactly (so α_m = expo and loss/E does not change)."""
    import xarray as xr

    E = np.asarray(Es, dtype=float)[:, None, None]
    c = 1.0 + np.arange(len(gammas))[None, :, None]
    w = np.asarray(widths, dtype=float)[None, None, :]
    loss = c * E * w**-expo
    done = np.ones_like(loss, dtype=bool)
    if untrained_E is not None:
        done[untrained_E] = False
        loss[untrained_E] = np.nan
    ds = xr.Dataset(
        {"final_loss": (("E", "gamma", "m"), loss), "completed": (("E", "gamma", "m"), done)},
        coords={"E": list(Es), "gamma": list(gammas), "m": list(widths)},
    )
    ds.attrs["protocol"] = protocol
    return ds


def test_density_check_recovers_exponent_proportional_loss_and_adds_e1():
    import json

    import xarray as xr

    from superscale.phase import PAPER_DENSITY_ALPHA_M
    from superscale.training import PROTOCOLS

    proto = json.dumps(PROTOCOLS["paper-small"].to_dict())
    gammas, widths = [-0.7778, -0.3333], [10, 15, 25, 39, 63, 100]
    dens = _fake_density([4.2427, 7.4855, 2.6214], gammas, widths, proto, untrained_E=2)
    one = _fake_density([1.0], gammas, widths, proto)  # the alpha = 1 runs of the small grid, as E = 1
    e1 = xr.Dataset(
        {
            "final_loss": (("alpha", "gamma", "m"), np.concatenate([one["final_loss"].values] * 2)),
            "completed": (("alpha", "gamma", "m"), np.ones((2, 2, 6), dtype=bool)),
        },
        coords={"alpha": [0.5, 1.0], "gamma": gammas, "m": widths},
    )
    e1["final_loss"][0] *= 3.0  # alpha = 0.5 must not be used
    e1.attrs["protocol"] = proto
    cheap = _fake_density([4.2427, 7.4855], gammas, widths, "{}", expo=0.8)
    t = analysis.density_check(dens, e1=e1, cheap=cheap, width=63)
    assert list(t.index.get_level_values("E").unique()) == [1.0, 4.243, 7.486]  # untrained E = 2.62 dropped
    assert np.allclose(t["alpha_m"], 1.0) and np.allclose(t["r2"], 1.0)
    assert np.allclose(t["loss_per_E"], 1.0)  # loss exactly proportional to E
    assert t.loc[(7.486, -0.333), "loss"] == pytest.approx(2.0 * 7.4855 / 63)
    assert np.isnan(t.loc[(1.0, -0.778), "alpha_m_cheap"])
    assert np.allclose(t.xs(4.243, level="E")["alpha_m_cheap"], 0.8)
    assert t.loc[(1.0, -0.778), "paper_alpha_m"] == PAPER_DENSITY_ALPHA_M[0][0]
    assert t.loc[(7.486, -0.778), "paper_se"] == PAPER_DENSITY_ALPHA_M[4][1]
    # without e1 the smallest trained E is the reference of loss_per_E
    t2 = analysis.density_check(dens)
    assert list(t2.index.get_level_values("E").unique()) == [4.243, 7.486]
    with pytest.raises(ValueError, match="width must be one of"):
        analysis.density_check(dens, width=64)
    with pytest.raises(ValueError, match="same protocol"):
        analysis.density_check(dens, e1=e1.assign_attrs(protocol="{}"))
    with pytest.raises(ValueError, match="γ and widths"):
        analysis.density_check(dens, e1=e1.assign_coords(gamma=[-1.0, 0.5]))


def test_load_density_check_keeps_trained_densities_and_the_paper_protocol(tmp_path, monkeypatch):
    import json

    from superscale.training import PROTOCOLS

    proto = json.dumps(PROTOCOLS["paper-small"].to_dict())
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    widths = [10, 15, 25, 39, 63, 100]
    assert analysis.load_density_check("no-such-density-file") is None
    _fake_density([7.4855, 4.2427], [-0.5556], widths, proto, untrained_E=1).to_netcdf(
        tmp_path / "dens-part.nc", engine="h5netcdf"
    )
    ds = analysis.load_density_check("dens-part")
    assert ds["E"].values.tolist() == [7.4855] and ds.attrs["loaded_from"] == "dens-part"
    _fake_density([7.4855], [-0.5556], widths, proto, untrained_E=0).to_netcdf(
        tmp_path / "dens-none.nc", engine="h5netcdf"
    )
    assert analysis.load_density_check("dens-none") is None
    cheap = json.dumps({**PROTOCOLS["paper-small"].to_dict(), "steps": 4000})
    _fake_density([7.4855], [-0.5556], widths, cheap).to_netcdf(tmp_path / "dens-cheap.nc", engine="h5netcdf")
    with pytest.raises(ValueError, match="paper's protocol"):
        analysis.load_density_check("dens-cheap")
