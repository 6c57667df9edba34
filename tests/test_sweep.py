"""Sweeps: bad settings, sharding, resume after kill, merge and load (superscale.sweep)."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from superscale import sweep

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "lib"), "OMP_NUM_THREADS": "1"}


def _cli(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "superscale.sweep", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
        cwd=ROOT,
    )


def test_named_grids():
    g = sweep.get_grid("paper-small")
    assert (g.n, g.widths, len(g.gammas), len(g.alphas), g.protocol.batch, g.protocol.steps) == (
        1000,
        (10, 15, 25, 39, 63, 100),
        10,
        17,
        2048,
        20000,
    )
    assert g.gammas[0] == -1.0 and g.gammas[-1] == 1.0 and g.alphas[-1] == 2.0
    d = sweep.get_grid("paper-density")
    assert len(d.Es) == 9 and d.Es[-1] == pytest.approx(7.4855, abs=1e-3)
    big = sweep.get_grid("paper-large")
    assert big.n == 10240 and big.widths[-1] == 1024 and big.gammas == (-1.0, 0.1) and len(big.kinds) == 3
    assert big.protocol.schedule == "large"
    assert len(sweep.get_grid("book-small").specs()) == 1020


def test_bad_settings_fail_before_work(tmp_path, capsys):
    assert sweep.main(["run", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "grid must be one of" in capsys.readouterr().err
    assert sweep.main(["run", "quick", "--steps", "-3", "--out", str(tmp_path / "x")]) == 2
    assert "steps must be an integer >= 1" in capsys.readouterr().err
    assert sweep.main(["run", "quick", "--shard", "2/2", "--out", str(tmp_path / "x")]) == 2
    assert "shard must look like i/N" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    with pytest.raises(ValueError, match="width m must be an integer with 1 <= m < n = 64"):
        replace(sweep.get_grid("quick"), widths=(4, 64)).validate()
    with pytest.raises(ValueError, match="shard"):
        sweep.parse_shard("3/3")


def test_shard_parsing(monkeypatch):
    assert sweep.parse_shard("1/4") == (1, 4)
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID", raising=False)
    assert sweep.parse_shard(None) == (0, 1)
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "2")
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "5")
    assert sweep.parse_shard(None) == (2, 5)


def test_out_dir_from_other_grid(tmp_path, capsys):
    g = sweep.get_grid("quick").with_protocol(steps=4)
    sweep._check_out(g, tmp_path, create=True)
    with pytest.raises(ValueError, match="different settings.*protocol"):
        sweep.run_grid(g.with_protocol(steps=5), tmp_path, progress=False)
    assert sweep.main(["run", "preview-small", "--out", str(tmp_path)]) == 2
    assert "holds results of grid 'quick'" in capsys.readouterr().err


def test_resume_after_kill_matches_uninterrupted_run(tmp_path):
    import torch

    torch.set_num_threads(1)
    g = sweep.get_grid("quick").with_protocol(steps=30)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "superscale.sweep",
            "run",
            "quick",
            "--steps",
            "30",
            "--out",
            str(out),
            "--threads",
            "1",
            "--quiet",
        ],
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = time.time()
    while proc.poll() is None and time.time() - t0 < 600:  # generous: a loaded machine starts slowly
        if (out / "units").exists() and list((out / "units").glob("*.npz")):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_before = len(list((out / "units").glob("*.npz")))
    assert n_before >= 1
    assert sweep.grid_status(g, out)["missing"] or n_before == 3
    sweep.run_grid(g, out, progress=False)  # resume in this process: only the missing units
    assert not sweep.grid_status(g, out)["missing"]
    sweep.merge_grid(g, out, tmp_path / "a.nc", command="test")
    sweep.run_grid(g, tmp_path / "ref", progress=False)  # uninterrupted reference
    sweep.merge_grid(g, tmp_path / "ref", tmp_path / "b.nc")
    a = xr.open_dataset(tmp_path / "a.nc", engine="h5netcdf")
    b = xr.open_dataset(tmp_path / "b.nc", engine="h5netcdf")
    assert a.sizes == b.sizes and bool(a.completed.all())
    np.testing.assert_array_equal(a.final_loss.values, b.final_loss.values)
    np.testing.assert_array_equal(a.row_norm.values, b.row_norm.values)
    assert a.attrs["grid"] == "quick" and a.attrs["steps"] == 30 and a.attrs["command"] == "test"
    for v in (
        "final_loss",
        "final_loss_se",
        "phi_half",
        "phi_one",
        "n_gt1",
        "overlap_mean_gt1",
        "ambiguity",
        "loss_curve",
        "norm_hist",
        "p",
    ):
        assert v in a
    a.close()
    b.close()


def test_cli_end_to_end(tmp_path):
    r = _cli("run", "quick", "--steps", "3", "--out", str(tmp_path / "r"), "--threads", "1", "--quiet")
    assert r.returncode == 0 and "3/3 units finished" in r.stdout, r.stderr
    r = _cli("merge", "quick", "--steps", "3", "--out", str(tmp_path / "r"), "--to", str(tmp_path / "q.nc"))
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(tmp_path / "q.nc", engine="h5netcdf") as ds:
        assert "python -m superscale.sweep merge quick" in ds.attrs["command"]


def test_large_cpu_grid_units_are_single_models_strong_first():
    g = sweep.large_cpu_grid(widths=(8, 16, 32), steps=10, batch=16)
    units = g.units()
    assert len(units) == 3 * 2 * 3 and all(len(s) == 1 for _, s in units)
    assert all(s[0].gamma < 0 for _, s in units[:9]) and all(s[0].gamma > 0 for _, s in units[9:])
    assert [s[0].m for _, s in units[:9]] == [8, 8, 8, 16, 16, 16, 32, 32, 32]
    assert len({u for u, _ in units}) == len(units)
    assert (
        g.protocol.eval_samples == 1600 and g.protocol.schedule == "large" and g.protocol.grad_scale == 100.0
    )
    # same settings as the paper-large grid apart from what was reduced, so old run folders stay valid
    base = sweep.get_grid("paper-large")
    assert (g.kinds, g.alphas, g.scale) == (base.kinds, base.alphas, base.scale)
    with pytest.raises(ValueError, match="widths"):
        sweep.large_cpu_grid(widths=(8, 20000))
    with pytest.raises(ValueError, match="steps"):
        sweep.large_cpu_grid(steps=0)


def test_large_cpu_run_status_and_merge_end_to_end(tmp_path, capsys):
    args = ["--widths", "4,8,16", "--steps", "5", "--batch", "16", "--eval-samples", "64", "--n", "64"]
    out = str(tmp_path / "run")
    assert sweep.main(["large", "run", *args, "--out", out]) == 0
    assert "18/18 finished" in capsys.readouterr().out
    assert sweep.main(["large", "status", *args, "--out", out]) == 0
    assert capsys.readouterr().out.startswith("18/18 models finished")
    assert sweep.main(["large", "merge", *args, "--out", out, "--to", str(tmp_path / "l.nc")]) == 0
    with xr.open_dataset(tmp_path / "l.nc", engine="h5netcdf") as ds:
        assert ds["final_loss"].dims == ("kind", "gamma", "m") and bool(ds["completed"].all())
        assert ds.attrs["grid"] == "large-cpu"
        assert ds.attrs["command"].startswith("python -m superscale.sweep large merge --widths 4,8,16")
    assert sweep.main(["large", "merge", *args, "--out", out]) == 2  # no --to
    assert "merge needs --to" in capsys.readouterr().err


def test_partial_merge_and_load(tmp_path, monkeypatch):
    g = sweep.get_grid("quick").with_protocol(steps=4)
    sweep.run_grid(g, tmp_path / "r", progress=False, max_units=1)
    with pytest.raises(ValueError, match="units are missing"):
        sweep.merge_grid(g, tmp_path / "r", tmp_path / "p.nc")
    # the command line's --keep-untrained is drop_missing=False (the book's paper-large.nc keeps every law)
    args = ["--steps", "4", "--out", str(tmp_path / "r"), "--allow-partial", "--keep-untrained"]
    assert sweep.main(["merge", "quick", *args, "--to", str(tmp_path / "quick-test.nc")]) == 0
    sweep.merge_grid(g, tmp_path / "r", tmp_path / "quick-drop.nc", allow_partial=True)
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    ds = sweep.load_sweep("quick-test")
    assert int(ds.completed.sum()) == 4 and ds.attrs["complete"] == 0 and ds.sizes["alpha"] == 3
    assert np.isnan(ds.final_loss.values[~ds.completed.values]).all()
    dd = sweep.load_sweep("quick-drop.nc")
    assert "alpha" not in dd.dims and float(dd.alpha) == 0.5 and bool(dd.completed.all())
    with pytest.raises(FileNotFoundError):
        sweep.load_sweep("does-not-exist")


def test_combine_files_equals_one_merge(tmp_path):
    """Units trained in two folders, merged separately and combined, give the file one merge of all would."""
    import xarray as xr

    g = sweep.get_grid("quick").with_protocol(steps=4)
    sweep.run_grid(g, tmp_path / "all", progress=False)
    sweep.merge_grid(g, tmp_path / "all", tmp_path / "whole.nc")
    for name, only in (("a", [1]), ("b", [0, 2])):  # alpha 1.0 between 0.5 and 1.5
        sweep.run_grid(g, tmp_path / name, progress=False, only=only)
        sweep.merge_grid(g, tmp_path / name, tmp_path / f"{name}.nc", allow_partial=True)
    # b first: the result is ordered by alpha and by the grid's run order, not by argument order
    assert (
        sweep.main(
            ["combine", str(tmp_path / "b.nc"), str(tmp_path / "a.nc"), "--to", str(tmp_path / "c.nc")]
        )
        == 0
    )
    with (
        xr.open_dataset(tmp_path / "whole.nc", engine="h5netcdf") as w,
        xr.open_dataset(tmp_path / "c.nc", engine="h5netcdf") as c,
    ):
        assert c["alpha"].values.tolist() == w["alpha"].values.tolist() == [0.5, 1.0, 1.5]
        for v in ("final_loss", "phi_half", "row_norm", "completed", "p", "norm_hist", "loss_curve"):
            assert c[v].dims == w[v].dims, v
            np.testing.assert_allclose(c[v].values.astype(float), w[v].values.astype(float), err_msg=v)
        assert c.attrs["units_finished_list"] == w.attrs["units_finished_list"]
        assert c.attrs["complete"] == 1 and c.attrs["units_finished"] == 3
        assert "a.nc" in c.attrs["combined_from"] and "sweep combine" in c.attrs["command"]
    # merges that keep every model (--keep-untrained) share all axes: each model comes from the file that trained it
    for name in ("ka", "kb"):  # the run folders a (alpha 1.0) and b (0.5, 1.5) above
        sweep.merge_grid(
            g, tmp_path / name[1], tmp_path / f"{name}.nc", allow_partial=True, drop_missing=False
        )
    sweep.combine_files([tmp_path / "ka.nc", tmp_path / "kb.nc"], tmp_path / "k.nc")
    with (
        xr.open_dataset(tmp_path / "whole.nc", engine="h5netcdf") as w,
        xr.open_dataset(tmp_path / "ka.nc", engine="h5netcdf") as ka,
        xr.open_dataset(tmp_path / "k.nc", engine="h5netcdf") as k,
    ):
        assert int(ka["completed"].sum()) < int(w["completed"].sum())  # the halves really are partial
        for v in ("final_loss", "phi_half", "row_norm", "completed", "p", "norm_hist", "loss_curve", "n_gt1"):
            assert k[v].dims == w[v].dims and k[v].dtype == w[v].dtype, v
            np.testing.assert_allclose(k[v].values.astype(float), w[v].values.astype(float), err_msg=v)
        assert k.attrs["units_finished_list"] == w.attrs["units_finished_list"] and k.attrs["complete"] == 1
    # the same unit twice, a different protocol, a missing file: clear errors, nothing written
    with pytest.raises(ValueError, match="is in both"):
        sweep.combine_files([tmp_path / "a.nc", tmp_path / "whole.nc"], tmp_path / "bad.nc")
    g5 = g.with_protocol(steps=5)
    sweep.run_grid(g5, tmp_path / "five", progress=False, only=[1])
    sweep.merge_grid(g5, tmp_path / "five", tmp_path / "five.nc", allow_partial=True)
    with pytest.raises(ValueError, match="other settings"):
        sweep.combine_files([tmp_path / "a.nc", tmp_path / "five.nc"], tmp_path / "bad.nc")
    with pytest.raises(ValueError, match="does not exist"):
        sweep.combine_files([tmp_path / "a.nc", tmp_path / "nope.nc"], tmp_path / "bad.nc")
    with pytest.raises(ValueError, match="at least 2"):
        sweep.combine_files([tmp_path / "a.nc"], tmp_path / "bad.nc")
    assert not (tmp_path / "bad.nc").exists() and not list(tmp_path.glob("*.partial"))


def test_kill_inside_a_model_resumes_from_its_checkpoint_bitwise(tmp_path):
    """A run killed in the middle of a model continues from the model's last checkpoint and ends with
    exactly the result of an uninterrupted run (weights, losses, loss curve)."""
    import torch

    torch.set_num_threads(1)
    steps = 3000
    g = sweep.get_grid("quick").with_protocol(steps=steps)
    out = tmp_path / "killed"
    ckpt = out / "units" / f"{g.units()[0][0]}.ckpt.npz"
    args = ["run", "quick", "--steps", str(steps), "--out", str(out), "--threads", "1", "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "superscale.sweep", *args, "--units", "0", "--checkpoint-every", "0.2"],
        env=ENV,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = time.time()
    prog = None
    while proc.poll() is None and time.time() - t0 < 600:  # generous: a loaded machine starts slowly
        prog = sweep.checkpoint_progress(ckpt)
        if prog is not None and prog["step"] > 0:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert prog is not None and 0 < prog["step"] < steps, f"no checkpoint inside the model ({prog})"
    status = sweep.grid_status(g, out)
    assert status["in_progress"][g.units()[0][0]]["steps"] == steps
    assert not (out / "units" / f"{g.units()[0][0]}.npz").exists()
    sweep.run_grid(g, out, progress=False, only=[0])  # resumes from the checkpoint
    assert not ckpt.exists(), "the checkpoint is removed once the unit is stored"
    sweep.run_grid(g, tmp_path / "ref", progress=False, only=[0])  # uninterrupted reference
    uid = g.units()[0][0]
    with np.load(out / "units" / f"{uid}.npz") as a, np.load(tmp_path / "ref" / "units" / f"{uid}.npz") as b:
        for key in ("final_loss", "final_loss_se", "b", "curve_loss", "W_0", "W_3"):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_checkpoint_of_other_models_is_refused(tmp_path):
    from superscale import training as tr

    g = sweep.get_grid("quick").with_protocol(steps=5)
    specs = g.units()[0][1]
    ckpt = tmp_path / "state.npz"
    tr.train_models(specs, g.n, g.protocol, progress=False, checkpoint=ckpt, checkpoint_every=1e-9)
    assert ckpt.exists()  # the caller removes it; here it stays to be misused below
    with pytest.raises(ValueError, match="other models or another protocol"):
        tr.train_models(specs[:2], g.n, g.protocol, progress=False, checkpoint=ckpt)
    with pytest.raises(ValueError, match="checkpoint_every"):
        tr.train_models(specs, g.n, g.protocol, progress=False, checkpoint=ckpt, checkpoint_every=0)


def test_split_grid_trains_each_model_as_in_its_whole_group(tmp_path):
    """Units split by (γ, m) give bitwise the models of the unsplit grid (same data stream per data key)."""
    g = sweep.get_grid("quick").with_protocol(steps=20)
    s = replace(g, name="quick-split", split=("gamma", "m"))
    assert len(s.units()) == len(g.units()) * len(g.gammas) * len(g.widths)
    assert [sp.gamma for _, sps in s.units() for sp in sps][: len(g.alphas) * len(g.widths)] == [
        g.gammas[0]
    ] * (len(g.alphas) * len(g.widths)), "split grids run γ by γ"
    with pytest.raises(ValueError, match="split"):
        replace(g, split=("alpha",)).validate()
    whole = sweep.get_grid("quick").with_protocol(steps=20)
    sweep.run_grid(whole, tmp_path / "whole", progress=False, only=[0])
    sweep.run_grid(s, tmp_path / "split", progress=False)
    uid = whole.units()[0][0]
    with np.load(tmp_path / "whole" / "units" / f"{uid}.npz") as z:
        ref = {
            (int(m), float(gm)): (z[f"W_{j}"], z["final_loss"][j])
            for j, (m, gm) in enumerate(zip(z["m"], z["gamma"]))
        }
    for suid, _sps in s.units():
        if not suid.startswith(uid):
            continue
        with np.load(tmp_path / "split" / "units" / f"{suid}.npz") as z:
            W, loss = ref[(int(z["m"][0]), float(z["gamma"][0]))]
            np.testing.assert_array_equal(z["W_0"], W)
            assert z["final_loss"][0] == loss
