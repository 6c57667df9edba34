"""Optimizer, schedules and the sparse engine against autograd (superscale.training)."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from superscale import training as tr
from superscale.data import power_law_frequencies


def test_small_schedule_check_values():
    assert tr.small_lr(0) == pytest.approx(5e-6)
    assert tr.small_lr(1999) == pytest.approx(1e-2)
    assert tr.small_lr(10999) == pytest.approx(5.25e-3)
    assert tr.small_lr(19999) == pytest.approx(5e-4)
    f = tr.Protocol().lr_factors()
    assert f.shape == (20000,) and f[1999] == pytest.approx(1.0) and f[19999] == pytest.approx(0.05)
    short = tr.Protocol(steps=2500).lr_factors()  # same shape: 10 % warm-up, cosine to 5 %
    assert (
        short[0] == pytest.approx(1 / 250)
        and short[249] == pytest.approx(1.0)
        and short[-1] == pytest.approx(0.05)
    )


def test_large_schedule_and_rates():
    assert tr.large_lr_factor(0, 40000) == 0.0
    assert tr.large_lr_factor(2000, 40000) == pytest.approx(1.0)
    assert tr.large_lr_factor(39999, 40000) == pytest.approx(0.05, abs=1e-6)
    assert tr.large_base_lrs(8) == pytest.approx((0.02, 0.25))
    assert tr.large_base_lrs(128)[0] == pytest.approx(0.01)
    assert tr.large_base_lrs(1024) == pytest.approx((0.02 * (8 / 1024) ** 0.25, 2 / 1024))


def _hand_step(W, g, lr, gamma, t=1, m0=None, v0=None):
    """One signed-AdamW step written out with numpy (float64)."""
    W = W.astype(float).copy()
    if gamma >= 0:
        W *= 1 - lr * gamma
    else:
        nr = np.linalg.norm(W, axis=1, keepdims=True)
        W = W - lr * gamma * W * (1 / (nr + 1e-8) - 1)
    m = 0.1 * g if m0 is None else 0.9 * m0 + 0.1 * g
    v = 0.001 * g * g if v0 is None else 0.999 * v0 + 0.001 * g * g
    mh = m / (1 - 0.9**t)
    vh = v / (1 - 0.999**t)
    return W - lr * mh / (np.sqrt(vh) + 1e-8)


@pytest.mark.parametrize("gamma", [0.7, -0.8, 0.0])
def test_optimizer_matches_hand_computed_step(gamma):
    rng = np.random.default_rng(0)
    W0 = rng.normal(size=(6, 3)) * np.array([[0.3], [0.8], [1.0], [1.5], [2.0], [0.1]])
    g = rng.normal(size=(6, 3))
    lr = 0.05
    expected = _hand_step(W0, g, lr, gamma)
    # the torch.optim class
    W = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float64))
    opt = tr.SignedAdamW([{"params": [W], "weight_decay": gamma, "lr": lr}])
    W.grad = torch.tensor(g)
    opt.step()
    np.testing.assert_allclose(W.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    # the batched functional update
    Wb = torch.tensor(W0)[None].clone()
    mW, vW = torch.zeros_like(Wb), torch.zeros_like(Wb)
    tr.adamw_update_(
        Wb,
        torch.tensor(g)[None],
        mW,
        vW,
        1,
        torch.tensor([lr], dtype=torch.float64),
        torch.tensor([gamma], dtype=torch.float64),
    )
    np.testing.assert_allclose(Wb[0].numpy(), expected, rtol=1e-10, atol=1e-12)
    # growth pulls norms towards 1, decay shrinks them
    if gamma < 0:
        W1 = _hand_step(W0, np.zeros_like(g), lr, gamma)
        n0, n1 = np.linalg.norm(W0, axis=1), np.linalg.norm(W1, axis=1)
        assert np.all(np.abs(n1 - 1) <= np.abs(n0 - 1) + 1e-12)


def test_second_step_uses_bias_correction():
    rng = np.random.default_rng(3)
    W0, g1, g2 = rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    W = torch.nn.Parameter(torch.tensor(W0))
    opt = tr.SignedAdamW([{"params": [W], "weight_decay": 0.3, "lr": 0.01}])
    for g in (g1, g2):
        W.grad = torch.tensor(g)
        opt.step()
    W1 = _hand_step(W0, g1, 0.01, 0.3)
    m1, v1 = 0.1 * g1, 0.001 * g1 * g1
    W2 = _hand_step(W1, g2, 0.01, 0.3, t=2, m0=m1, v0=v1)
    np.testing.assert_allclose(W.detach().numpy(), W2, rtol=1e-10)


def _autograd(W, b, x, grad_scale):
    Wr = W.clone().requires_grad_()
    br = b.clone().requires_grad_()
    y = torch.relu(torch.einsum("bn,knm->kbm", x, Wr) @ Wr.transpose(1, 2) + br[:, None, :])
    mse = ((y - x) ** 2).mean((1, 2))
    (grad_scale * mse).sum().backward()
    return mse.detach() * x.shape[1], Wr.grad, br.grad


@pytest.mark.parametrize("mode", ["dense", "sparse", "auto", "fused"])
@pytest.mark.parametrize("E", [0.05, 1.0, 4.0])
def test_sparse_engine_equals_autograd(mode, E):
    if mode == "fused":
        pytest.importorskip("numba")
    torch.manual_seed(0)
    n, m, K, B = 150, 6, 3, 48
    p = torch.tensor(power_law_frequencies(n, 1.0, E), dtype=torch.float64)
    batch = tr.sample_sparse(p, B, torch.Generator().manual_seed(1))
    W = torch.randn(K, n, m, dtype=torch.float64) / math.sqrt(m)
    b = torch.randn(K, n, dtype=torch.float64) * 0.3 - 0.1
    out = tr.sparse_loss_grad(W, b, batch, grad_scale=100.0, mode=mode, per_sample=True)
    loss, gW, gb = _autograd(W, b, batch.dense(), 100.0)
    torch.testing.assert_close(out["loss"], loss, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(out["gW"], gW, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(out["gb"], gb, rtol=1e-9, atol=1e-12)
    per = torch.cat([out["sample_loss"], out["empty_loss"][:, None].expand(K, batch.n_empty)], 1)
    torch.testing.assert_close(per.mean(1), loss, rtol=1e-10, atol=1e-10)


def test_fused_kernel_float32_and_errors():
    """The float32 fused pass (what the engine runs) agrees with the float64 dense path."""
    pytest.importorskip("numba")
    torch.manual_seed(1)
    n, m, K, B = 300, 9, 4, 256
    p = torch.tensor(power_law_frequencies(n, 0.5, 1.0), dtype=torch.float32)
    batch = tr.sample_sparse(p, B, torch.Generator().manual_seed(2))
    W = torch.randn(K, n, m) / math.sqrt(m)
    b = torch.randn(K, n) * 0.2 - 0.2
    f = tr.sparse_loss_grad(W, b, batch, mode="fused", per_sample=True)
    b64 = dataclasses.replace(batch, vals=batch.vals.double())
    d = tr.sparse_loss_grad(W.double(), b.double(), b64, mode="dense", per_sample=True)
    torch.testing.assert_close(f["loss"].double(), d["loss"], rtol=1e-5, atol=0)
    torch.testing.assert_close(f["gW"].double(), d["gW"], rtol=1e-4, atol=1e-9)
    torch.testing.assert_close(f["gb"].double(), d["gb"], rtol=1e-4, atol=1e-9)
    torch.testing.assert_close(f["sample_loss"].double(), d["sample_loss"], rtol=1e-4, atol=1e-6)
    assert 0 < f["nnz_frac"] < 1
    assert tr.engine_mode("cpu") == "fused"
    import numba

    assert numba.threading_layer() == "workqueue"  # not OpenMP, which slows every PyTorch op down
    with pytest.raises(ValueError, match="mode must be one of"):
        tr.train_models([tr.ModelSpec(4, 0.1)], 40, tr.Protocol("t", batch=8, steps=2), mode="fast")


def test_sampler_frequencies():
    p = power_law_frequencies(50, 1.0, 1.0)
    batch = tr.sample_sparse(torch.tensor(p, dtype=torch.float32), 40000, torch.Generator().manual_seed(0))
    counts = np.bincount(batch.cols.numpy(), minlength=50) / 40000
    np.testing.assert_allclose(counts, p, atol=5 * np.sqrt(p.max() / 40000))
    v = batch.vals.numpy()
    assert 0 <= v.min() and v.max() <= 2 and abs(v.mean() - 1) < 0.02
    assert batch.n_rows + batch.n_empty == 40000


def test_engine_is_reproducible_and_learns():
    torch.set_num_threads(1)
    pr = tr.Protocol("t", batch=64, steps=60, eval_samples=1024, eval_batch=512, log_points=6)
    specs = [tr.ModelSpec(4, g, alpha=1.0) for g in (-0.5, 0.5)] + [tr.ModelSpec(8, 0.5, alpha=1.0)]
    r1 = tr.train_models(specs, 64, pr, progress=False)
    r2 = tr.train_models(specs, 64, pr, progress=False)
    for a, c in zip(r1, r2, strict=False):
        assert a.final_loss == c.final_loss and np.array_equal(a.W, c.W)
        assert a.curve_loss.shape == (6,) and a.curve_loss[-1] < a.curve_loss[0]
        assert a.final_loss_se > 0 and a.final_loss < a.curve_loss[0]


def test_plain_loop_runs_and_bad_protocol():
    pr = tr.Protocol("t", batch=32, steps=20, eval_samples=256, eval_batch=128, log_points=4)
    r = tr.train_plain(tr.ModelSpec(4, 0.3), 40, pr)
    assert r.W.shape == (40, 4) and r.curve_loss.shape == (4,) and r.final_loss > 0
    with pytest.raises(ValueError, match="steps"):
        tr.Protocol(steps=-5).validate()
    with pytest.raises(ValueError, match="m \\(hidden width\\)"):
        tr.ModelSpec(40, 0.1).validate(40)


def test_counts_sampler_has_the_dense_samplers_distribution():
    """sample_sparse_counts draws x_i = u_i v_i with u_i ~ Bernoulli(p_i) independent: per-feature rates,
    a pair's co-occurrence and the per-sample number of active features match within 4 standard errors."""
    import torch

    n, B, T = 40, 256, 300
    p = torch.linspace(0.6, 0.01, n)
    g = torch.Generator().manual_seed(3)
    u = np.concatenate([tr.sample_sparse_counts(p, B, g).dense().numpy() > 0 for _ in range(T)])
    N = B * T
    pn = p.numpy().astype(float)
    se = np.sqrt(pn * (1 - pn) / N)
    assert np.all(np.abs(u.mean(0) - pn) < 4 * se + 1e-12)
    both = (u[:, 0] & u[:, 1]).mean()
    p01 = pn[0] * pn[1]
    assert abs(both - p01) < 4 * np.sqrt(p01 * (1 - p01) / N)
    k = u.sum(1)
    assert abs(k.var() - (pn * (1 - pn)).sum()) < 0.05 * (pn * (1 - pn)).sum()
    # no feature appears twice in one sample, rows come sorted, values lie in (0, 2)
    b = tr.sample_sparse_counts(p, B, g)
    assert b.n_rows + b.n_empty == B
    x = b.dense().numpy()
    assert x.shape == (B, n) and x.min() >= 0 and x.max() < 2


def test_protocol_sampler_is_checked_and_kept_out_of_old_descriptions():
    with pytest.raises(ValueError, match="sampler"):
        tr.Protocol(sampler="fast").validate()
    assert "sampler" not in tr.PROTOCOLS["paper-small"].to_dict()
    assert tr.PROTOCOLS["paper-large"].to_dict()["sampler"] == "counts"
