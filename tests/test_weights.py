"""Tests of superscale.weights: the saved weight matrices of chapter 5."""

from __future__ import annotations

import numpy as np
import pytest

from superscale import sweep, weights


def test_make_and_load_weights_round_trip(tmp_path, monkeypatch):
    path = weights.make_weights(
        tmp_path / "w.npz", alphas=(0.5, 1.0), gammas=(-1.0,), widths=(4, 8), n=64, steps=5
    )
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    models = weights.load_weights("w.npz")
    assert len(models) == 4
    assert [(d["alpha"], d["m"]) for d in models] == [(0.5, 4), (0.5, 8), (1.0, 4), (1.0, 8)]
    for d in models:
        assert d["W"].shape == (64, d["m"]) and d["b"].shape == (64,)
        assert d["W"].dtype == np.float64 and np.isfinite(d["W"]).all()
        assert d["gamma"] == -1.0 and d["E"] == 1.0 and d["final_loss"] > 0
        assert d["meta"]["n"] == 64 and d["meta"]["protocol"]["steps"] == 5
    assert path.stat().st_mode & 0o777 == 0o644


def test_make_weights_rejects_empty_grids(tmp_path):
    with pytest.raises(ValueError, match="alphas"):
        weights.make_weights(tmp_path / "w.npz", alphas=())


def test_make_weights_rejects_bad_steps(tmp_path, capsys):
    with pytest.raises(ValueError, match="steps"):
        weights.make_weights(tmp_path / "w.npz", steps=0)
    # the same through the one training command line: a clear message and exit status 2, no file
    assert sweep.main(["weights", "--steps", "0", "--to", str(tmp_path / "w.npz")]) == 2
    assert "steps must be an integer >= 1" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_weights_is_no_longer_a_command_line_of_its_own():
    assert not hasattr(weights, "main")


def test_measure_models_columns():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((50, 5)) / np.sqrt(5) * 1.1
    models = [
        {"m": 5, "gamma": -1.0, "alpha": 1.0, "E": 1.0, "W": W, "b": -0.1 * np.ones(50), "final_loss": 0.5}
    ]
    t = weights.measure_models(models)
    assert len(t) == 1
    row = t.iloc[0]
    for col in ("mean_ratio", "var_ratio", "phi_one", "eq8_total", "interference", "self", "kappa2"):
        assert np.isfinite(row[col]), col
    assert row["eq8_total"] == pytest.approx(row["interference"] + row["self"])


def test_merge_weights(tmp_path, monkeypatch):
    a = weights.make_weights(tmp_path / "a.npz", alphas=(1.0,), widths=(8,), n=32, steps=3)
    b = weights.make_weights(tmp_path / "b.npz", alphas=(0.0,), widths=(4, 8), n=32, steps=3)
    assert sweep.main(["weights", "--merge", str(a), str(b), "--to", str(tmp_path / "ab.npz")]) == 0
    monkeypatch.setenv("SUPERSCALE_DATA", str(tmp_path))
    models = weights.load_weights("ab.npz")
    assert [(d["alpha"], d["m"]) for d in models] == [(0.0, 4), (0.0, 8), (1.0, 8)]
    assert len(models[0]["meta"]["merged_from"]) == 2
    with pytest.raises(ValueError, match="twice"):
        weights.merge_weights([a, a], tmp_path / "aa.npz")
