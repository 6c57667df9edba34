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
