"""Tests of superscale.chapters.ch2_toy_model: chapter 2's claims on the committed data, a broken claim,
and the chapter's own functions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from superscale import catalog, checks, data, theory
from superscale.chapters import ch2_toy_model as ch2

# ---------------------------------------------------------------------------------------------
# The chapter's claims on the committed data
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_run():
    """The two live models exactly as the chapter trains them (about 10 s on one CPU core)."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return ch2.train_live(n=200, m=20, gammas=(0.5, -0.5), alpha=1.0, steps=1500, batch=512, seed=0)


@pytest.fixture(scope="module")
def sweeps():
    return ch2.load()


def test_every_claim_of_chapter_2_holds_on_the_committed_data(live_run, sweeps):
    short, paper = sweeps
    findings = ch2.claims(live_run, paper, short)
    failed = [str(f) for f in findings if not f.ok]
    assert not failed, "\n".join(failed)
    names = {f.claim for f in findings}
    # every group of statements is there: live models, Table 2.1, plateaus, Table 2.3, Figures 2.6-2.7, the notes
    groups = (
        "live model with growth",
        "bimodal row norms",
        "no superposition at",
        "Fig. 3-2",
        "4.7 m",
        "full norm",
    )
    for words in groups + ("γ = −0.11 is 0.8-0.9", "with the book's protocol"):
        assert any(words in n for n in names), words
    assert checks.require(findings, quiet=True) == findings


def test_an_edited_copy_of_the_paper_protocol_data_breaks_the_transition_claim(tmp_path, monkeypatch, sweeps):
    """Change one φ_1/2 in a copy of a data file: the named check fails and says where and by how much."""
    import xarray as xr

    src = catalog.files("paper-small")[0]  # paper-small-a1-2.nc: alpha = 1 ... 2, every gamma
    with xr.open_dataset(src, engine="h5netcdf") as f:
        copy = f.load()
    g = copy["gamma"].values[np.argmin(np.abs(copy["gamma"].values + 0.111))]
    copy["phi_half"].loc[dict(alpha=1.0, gamma=g, m=39)] = 0.5  # the paper's Fig. 3-2 reads 0.69 there
    copy.to_netcdf(tmp_path / src.name, engine="h5netcdf")
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    edited = catalog.load("paper-small")
    assert float(edited["phi_half"].sel(alpha=1.0, gamma=g, m=39)) == 0.5
    found = {f.claim: f for f in ch2.check_transition(edited)}
    bad = found[
        "at the paper's protocol φ_1/2 at α = 1 matches the paper's Fig. 3-2 at every width at γ = −0.11"
    ]
    assert not bad.ok
    assert "the largest difference (m = 39) is 0.19, above 0.05" in bad.message
    with pytest.raises(
        checks.ClaimFailed, match="Fig. 3-2 at every width at γ = −0.11: the largest difference"
    ):
        checks.require(ch2.check_transition(edited, sweeps[0]))


def test_a_low_row_norm_breaks_the_strong_band_claim(sweeps):
    ds = sweeps[1].copy(deep=True)  # the paper's protocol
    g = ds["gamma"].values[0]  # gamma = -1
    ds["row_norm"].loc[dict(alpha=1.0, gamma=g, m=100, feature=500)] = 0.3
    found = [f for f in ch2.check_norms(ch2.norm_table(ds)) if not f.ok]
    assert [f.claim for f in found] == ["every row norm above 1/2 at γ = -1.00"]
    assert found[0].message == "the smallest is 0.300, below 0.500"


def test_a_live_run_without_superposition_breaks_the_growth_claims():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    run = ch2.train_live(n=60, m=6, gammas=(0.5, 0.4), steps=50, batch=64, snapshots=2, eval_samples=512)
    with pytest.raises(ValueError, match="γ > 0 and one with γ < 0"):
        ch2.check_live(run)
    run.gammas = np.array([0.5, -0.5])  # pretend the second model had growth: it did not keep every feature
    run.W[1, -1, :30] = 1 / np.sqrt(6)  # rows of norm 1 ...
    run.W[1, -1, 30:] = 0.0  # ... and half of the features dropped
    bad = {f.claim: f for f in ch2.check_live(run) if not f.ok}
    assert "the live model with growth represents every feature" in bad
    assert "is 0.500, below 1.000" in bad["the live model with growth represents every feature"].message


# ---------------------------------------------------------------------------------------------
# The chapter's functions (moved from superscale.analysis and superscale.figures)
# ---------------------------------------------------------------------------------------------


def test_snapshot_steps_cover_start_and_end():
    s = ch2.snapshot_steps(2000, 8)
    assert s[0] == 0 and s[-1] == 2000
    assert np.all(np.diff(s) > 0)
    with pytest.raises(ValueError, match="count"):
        ch2.snapshot_steps(100, 1)
    with pytest.raises(ValueError, match="steps"):
        ch2.snapshot_steps(0, 4)


def test_train_live_small_case_separates_the_two_regimes():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    run = ch2.train_live(n=60, m=6, gammas=(0.5, -0.5), steps=400, batch=512, snapshots=4, eval_samples=4096)
    assert run.W.shape == (2, run.steps.size, 60, 6)
    assert run.steps[0] == 0 and run.steps[-1] == 400
    norms_weak, norms_strong = run.norms(0), run.norms(1)
    # decay switches most rare features off; growth pulls (almost) every row towards norm 1
    assert np.mean(norms_weak > 0.5) < 0.35
    assert np.mean(norms_strong > 0.5) > 0.85
    assert np.all(np.isfinite(run.final_loss)) and np.all(run.final_loss_se > 0)
    assert run.gram(1, top=10).shape == (10, 10)
    table = ch2.live_table(run)
    assert list(table["phi_1/2"]) == [np.mean(norms_weak > 0.5), np.mean(norms_strong > 0.5)]
    p = data.power_law_frequencies(60, 1.0)
    assert table["no-superposition loss (first m features)"].iloc[0] == pytest.approx(theory.weak_loss(p, 6))
    assert len(ch2.gram_slider_figure(run, top=10).data) == 2 * run.steps.size
    assert len(ch2.live_run_figure(run).data) == 4
    assert "γ = -0.5" in ch2.live_model_figure(run, 1, top=10).layout.title.text
    with pytest.raises(ValueError, match="m"):
        ch2.train_live(n=10, m=10)
    with pytest.raises(ValueError, match="top"):
        ch2.gram_slider_figure(run, top=1)
    with pytest.raises(ValueError, match="k must be"):
        ch2.live_model_figure(run, 2)


def test_decay_growth_figure_has_its_fixed_points():
    fig = ch2.decay_growth_figure(eta=0.01)
    for tr in fig.data:
        g = float(tr.name.split("=")[1])
        r, dr = np.asarray(tr.x), np.asarray(tr.y)
        fixed = r[np.isclose(dr, 0.0)]
        assert fixed.tolist() == ([0.0] if g > 0 else [1.0])
    with pytest.raises(ValueError, match="eta"):
        ch2.decay_growth_figure(eta=0.0)


def _fake_sweep(n=200, widths=(10, 15, 25, 39), alphas=(1.0, 1.5, 2.0)):
    """A synthetic sweep with the book's schema: γ > 0 models keep exactly their first m features."""
    import xarray as xr

    from superscale.training import PROTOCOLS

    gammas = np.array([-1.0, -0.5556, -0.3333, -0.1111, 0.1111, 0.3333, 0.5556])
    A, G, M = len(alphas), gammas.size, len(widths)
    phi = np.zeros((A, G, M))
    norms = np.zeros((A, G, M, n))
    for j, g in enumerate(gammas):
        for k, m in enumerate(widths):
            keep = m if g > 0 else n
            norms[:, j, k, :keep] = 1.0
            phi[:, j, k] = keep / n
    dims = ("alpha", "gamma", "m")
    ds = xr.Dataset(
        {
            "phi_half": (dims, phi),
            "completed": (dims, np.ones_like(phi, dtype=bool)),
            "row_norm": (dims + ("feature",), norms),
        },
        coords={"alpha": list(alphas), "gamma": gammas, "m": list(widths), "feature": np.arange(1, n + 1)},
    )
    ds.attrs.update(
        grid="fake", protocol=json.dumps(PROTOCOLS["paper-small"].to_dict()), units_finished=3, units_total=3
    )
    return ds


def test_kept_per_width_is_the_median_over_decayed_trained_models():
    ds = _fake_sweep()  # gamma > 0 models keep exactly m features: phi_1/2 n/m = 1
    k = ch2.kept_per_width(ds)
    assert list(k.index) == [1.0, 1.5, 2.0] and np.allclose(k.values, 1.0)
    ds["phi_half"].loc[dict(alpha=1.0, gamma=0.3333)] = 0.5  # far above m/n at every width
    ds["completed"].loc[dict(alpha=1.0, gamma=0.3333)] = False  # but untrained: ignored
    assert np.allclose(ch2.kept_per_width(ds).values, 1.0)
    # every gamma (4 growth, 3 decay) at 4 widths: 12 ones, then 200/39 four times: the 14th-15th of 28 values
    assert ch2.kept_per_width(ds, gamma_min=-2.0).loc[2.0] == pytest.approx(200 / 39)
    both = ch2.kept_table(ds, ds.sel(alpha=[1.5, 2.0]))
    assert list(both.index) == [1.5, 2.0] and list(both.columns) == ["book's protocol", "paper's protocol"]


def test_phi_heatmap_leaves_untrained_cells_blank():
    ds = _fake_sweep()
    fig = ch2.phi_heatmap_slider_figure(ds, note=" (test)")
    assert len(fig.data) == ds.sizes["m"] and "(test)" in fig.layout.title.text
    z = np.asarray(fig.data[-1].z, dtype=float)  # widest width, rows alpha, columns gamma
    assert np.isfinite(z).all()
    ds["completed"].loc[dict(alpha=1.0, gamma=-1.0)] = False
    z = np.asarray(ch2.phi_heatmap_slider_figure(ds).data[-1].z, dtype=float)
    assert np.isnan(z[0, 0]) and np.isfinite(z[1:]).all() and np.isfinite(z[0, 1:]).all()


def test_tables_read_the_sweep():
    ds = _fake_sweep()
    t = ch2.norm_table(ds, alpha=1.0, m=25)
    assert t.loc[0.33, "phi_1/2"] == pytest.approx(25 / 200) and t.loc[-1.0, "smallest norm"] == 1.0
    assert t.loc[0.33, "norms in (0.2, 0.8)"] == 0.0 and t.loc[0.33, "median norm"] == 0.0
    assert ch2.phi_table(ds, alpha=1.5).loc[0.56, "m = 39"] == pytest.approx(39 / 200)
    cmp = ch2.comparison_table(ds, alpha=1.0)
    assert cmp.loc[39, ("ours", -0.11)] == 1.0 and cmp.loc[39, ("paper", -0.11)] == 0.69
    assert np.isnan(cmp.loc[39, ("paper", -0.33)])
    assert ch2.pick_alpha(ds, 1.2) == 1.0
    with pytest.raises(ValueError, match="alpha must be one of"):
        ch2.norm_table(ds, alpha=0.5)


def test_plateau_counts_and_weak_ratio():
    ds = _fake_sweep()
    ds["phi_half"].loc[dict(alpha=2.0, gamma=-0.5556, m=39)] = 0.95
    ds["completed"].loc[dict(alpha=2.0, gamma=-1.0, m=10)] = False
    pl = ch2.strong_plateau(ds)
    assert pl.models == 3 * 2 * 4 - 1 and pl.below_one == 1 and pl.smallest == 0.95
    assert list(pl.low.index) == [(2.0, -0.5556, 39)]
    r = ch2.weak_ratio(ds)
    assert set(r["gamma"].values) == {0.3333, 0.5556} and np.allclose(r.values, 1.0)


def test_protocol_table_and_summary_read_the_attributes():
    ds = _fake_sweep()
    pr = json.loads(ds.attrs["protocol"])
    pr.update(batch=512, steps=2500)
    ds.attrs["protocol"] = json.dumps(pr)
    t = ch2.protocol_table(ds)
    assert t.loc["batch size"].iloc[0] == 512 and t.loc["samples seen per model"].iloc[0] == 512 * 2500
    ds.attrs["dataset"] = "fake-set"
    assert ch2.data_summary(ds).startswith("Data: the data set 'fake-set' (84 of 84 models trained")


def test_norm_figure_draws_its_guide_lines():
    """Figure 2.4's dotted threshold 1/2 and dashed rank m are traces in every slider step, so plotly
    cannot drop them (shapes on a subplot without data are dropped)."""
    ds = _fake_sweep()
    edges = np.linspace(0, 2, 101)
    hist = np.apply_along_axis(lambda r: np.histogram(r, edges)[0], -1, ds["row_norm"].values)
    ds = ds.assign_coords(bin=(edges[:-1] + edges[1:]) / 2)
    ds["norm_hist"] = (("alpha", "gamma", "m", "bin"), hist)
    fig = json.loads(ch2.norm_hist_slider_figure(ds, alpha=1.0, m=25).to_json())
    steps = ds.sizes["gamma"]
    assert len(fig["data"]) == 5 * steps and not fig["layout"].get("shapes")
    guides = [t for t in fig["data"] if t.get("line", {}).get("dash") in ("dot", "dash")]
    assert len(guides) == 3 * steps
    rank_m = [t for t in guides if t["line"]["dash"] == "dash"]
    assert all(t["x"] == [25, 25] and t["xaxis"] == "x2" for t in rank_m)
    half = [t for t in guides if t["line"]["dash"] == "dot"]
    assert {t["xaxis"] for t in half} == {"x", "x2"}
    assert all(0.5 in t["x"] or 0.5 in t["y"] for t in half)
    assert len(ch2.kept_figure(ds).data) == ds.sizes["m"] + 1


def _readable_steps(W, b, x, gamma, lr=1e-2, steps=3, growth_minus_one=True):
    """The chapter's readable forward pass and signed AdamW step (copied from the notebook)."""
    torch = pytest.importorskip("torch")

    def loss_fn(W, b):
        return ((torch.relu((x @ W) @ W.T + b) - x) ** 2).mean()

    params = {"W": W.clone().requires_grad_(), "b": b.clone().requires_grad_()}
    state = {k: (torch.zeros_like(p), torch.zeros_like(p)) for k, p in params.items()}
    for t in range(1, steps + 1):
        grads = dict(
            zip(params, torch.autograd.grad(loss_fn(params["W"], params["b"]), list(params.values())))
        )
        with torch.no_grad():
            Wp = params["W"]
            if gamma >= 0:
                Wp *= 1 - lr * gamma
            else:
                Wp *= 1 - lr * gamma * (1 / Wp.norm(dim=1, keepdim=True) - (1 if growth_minus_one else 0))
            for name, p in params.items():
                g, (m1, m2) = grads[name], state[name]
                m1.mul_(0.9).add_(0.1 * g)
                m2.mul_(0.999).add_(0.001 * g * g)
                p -= lr / (1 - 0.9**t) * m1 / ((m2 / (1 - 0.999**t)).sqrt() + 1e-8)
    return params["W"].detach(), params["b"].detach()


def test_the_readable_step_matches_the_engine_and_a_wrong_one_does_not():
    torch = pytest.importorskip("torch")
    from superscale import model

    gen = torch.Generator().manual_seed(1)
    W, b = model.init_params(50, 5, generator=gen, dtype=torch.float64)
    batch = data.sample_sparse(torch.tensor(data.power_law_frequencies(50, 1.0)), 64, generator=gen)
    x = batch.dense()
    for gamma in (0.5, 0.0, -0.5):
        found = ch2.check_same_as_engine(
            _readable_steps(W, b, x, gamma), ch2.engine_steps(W, b, batch, gamma), gamma
        )
        assert found.ok, str(found)
    wrong = _readable_steps(W, b, x, -0.5, growth_minus_one=False)
    bad = ch2.check_same_as_engine(wrong, ch2.engine_steps(W, b, batch, -0.5), -0.5)
    assert not bad.ok and "the largest difference in W or b is" in bad.message
    with pytest.raises(ValueError, match="steps"):
        ch2.engine_steps(W, b, batch, 0.5, steps=0)
