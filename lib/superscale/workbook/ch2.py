"""Workbook 2: checks for the exercises on the toy model and its optimizer (chapter 2).

Each check runs the reader's function on small cases against the package (:mod:`superscale.model`, the
engine's :func:`superscale.training.sparse_loss_grad` and :func:`superscale.training.adamw_update_`,
:func:`superscale.live.train_live`) and, when the answer is wrong, says what is wrong in the reader's terms.
Arrays use the chapter's shapes: W (n, m), b (n,), a batch x (B, n) with one sample per row.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import ExerciseError, exercise, expect

if TYPE_CHECKING:
    from ..live import LiveRun

__all__ = [
    "check_forward",
    "check_loss",
    "check_decay_growth",
    "check_phi_half",
    "check_regime",
    "live_models",
]


def _np(x) -> np.ndarray | None:
    if x is None:
        return None
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _call(fn: Callable, what: str, hint: str, *args: object) -> object:
    """Call the reader's function; turn any error except NotImplementedError into an explained ExerciseError."""
    try:
        return fn(*args)
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as e:  # the reader's code failed: say where, in the reader's terms
        raise ExerciseError(f"your {what} raised {type(e).__name__}: {e}. {hint}") from e


def _case(n: int, m: int, B: int, seed: int):
    import torch

    g = torch.Generator().manual_seed(seed)
    W = torch.randn(n, m, generator=g, dtype=torch.float64) / math.sqrt(m)
    b = torch.randn(n, generator=g, dtype=torch.float64) - 0.3
    x = 2 * torch.rand(B, n, generator=g, dtype=torch.float64) * (torch.rand(B, n, generator=g) < 0.5)
    return W, b, x


# --------------------------------------------------------------------------------------------
# Exercise 2.1: the forward pass
# --------------------------------------------------------------------------------------------


@exercise("forward")
def check_forward(forward: Callable) -> str:
    """Check the reader's ``forward(W, b, x)`` against :func:`superscale.model.forward` (chapter 2).

    Three small cases (one with as many samples as features, where a product taken in the wrong order still
    runs); a wrong answer is matched against the usual mistakes (no ReLU, no bias, bias outside the ReLU,
    W Wᵀ applied from the left, output of shape (B, m))."""

    from .. import model

    cases = [(6, 2, 4, 0), (5, 3, 5, 1), (10, 4, 1, 2)]
    for n, m, B, seed in cases:
        W, b, x = _case(n, m, B, seed)
        shapes = f"W of shape ({n}, {m}), b of shape ({n},) and x of shape ({B}, {n})"
        hint = (
            f"It was called with {shapes}: x holds one sample per row, so h = Wᵀx for the whole batch is "
            "x @ W, of shape (B, m), and W Wᵀ x is x @ W @ W.T."
        )
        y = _np(_call(forward, "forward", hint, W.clone(), b.clone(), x.clone()))
        expect(y is not None, "your forward returned None: end it with `return y`.")
        want = model.forward(W, b, x).numpy()
        expect(
            y.shape != (B, m),
            f"your output has shape (B, m) = ({B}, {m}): that is the hidden vector h = Wᵀx. The model maps back "
            f"to n = {n} features: y = ReLU(h Wᵀ + b), of shape (B, n).",
        )
        expect(
            not (y.shape == (n, B) and n != B),
            f"your output has shape (n, B) = ({n}, {B}); the batch has one sample per row, so y must have shape "
            f"(B, n) = ({B}, {n}), like x.",
        )
        expect(
            y.shape == want.shape, f"your output has shape {y.shape} for {shapes}; it should be ({B}, {n})."
        )
        if np.allclose(y, want, rtol=1e-6, atol=1e-9):
            continue
        G = (W @ W.T).numpy()
        xn, bn = x.numpy(), b.numpy()
        wrong = {
            "you forgot the ReLU: your output has negative entries, but y = ReLU(...) is never negative.": xn
            @ G
            + bn,
            "you forgot the bias b: y = ReLU(x W Wᵀ + b).": np.maximum(xn @ G, 0),
            "you added the bias after the ReLU; it goes inside: y = ReLU(x W Wᵀ + b).": np.maximum(xn @ G, 0)
            + bn,
        }
        if B == n:
            wrong[
                "you multiplied x by W Wᵀ from the wrong side (W @ W.T @ x): with one sample per row of x the "
                "product is x @ W @ W.T. (It only ran because this batch has as many samples as features.)"
            ] = np.maximum(G @ xn + bn, 0)
        for msg, cand in wrong.items():
            expect(not np.allclose(y, cand, rtol=1e-6, atol=1e-9), msg)
        i, j = np.unravel_index(np.argmax(np.abs(y - want)), y.shape)
        raise ExerciseError(
            f"your output differs from ReLU(x W Wᵀ + b) for {shapes}: at sample {i}, feature {j} you give "
            f"{y[i, j]:.4f}, the model {want[i, j]:.4f}."
        )
    return f"same as superscale.model.forward on {len(cases)} small cases, output of shape (B, n)"


# --------------------------------------------------------------------------------------------
# Exercise 2.2: the loss in the paper's units
# --------------------------------------------------------------------------------------------


@exercise("paper_loss")
def check_loss(paper_loss: Callable) -> str:
    """Check the reader's ``paper_loss(y, x)`` = ⟨‖y − x‖²⟩ (summed over features, averaged over samples)
    on a small case and against the engine's loss on a sparse batch (chapter 2)."""
    import torch

    from .. import data, model
    from ..training import sparse_loss_grad

    g = torch.Generator().manual_seed(3)
    n, B = 50, 256
    W, b = model.init_params(n, 5, generator=g, dtype=torch.float64)
    batch = data.sample_sparse(torch.tensor(data.power_law_frequencies(n, 1.0)), B, generator=g)
    x = batch.dense()
    y = model.forward(W, b, x)
    engine = float(sparse_loss_grad(W[None], b[None], batch, mode="dense")["loss"][0])
    hint = f"It was called with y and x of shape (B, n) = ({B}, {n})."
    got = _call(paper_loss, "paper_loss", hint, y.clone(), x.clone())
    try:
        got = float(got)
    except (TypeError, ValueError) as e:
        raise ExerciseError(
            f"your paper_loss returned {got!r}; it should return one number (a float)."
        ) from e
    d = (y - x).numpy()
    sq = d * d
    if math.isclose(got, engine, rel_tol=1e-6):
        return f"{got:.4f} on a batch of {B} samples with n = {n}, the same as the training engine's loss"
    wrong = {
        f"your loss is n = {n} times too small: that is the mean-squared error. The paper sums the squared "
        "error over the n features and averages only over the samples (n × MSE).": sq.mean(),
        f"your loss is B = {B} times too large: you summed over the samples too; the paper averages over "
        "them (and sums over the features).": sq.sum(),
        "you averaged over the features and summed over the samples; it is the other way round: "
        "sum over the n features, mean over the B samples.": sq.mean(1).sum(),
        "you forgot to square the errors: L = ⟨Σ_i (y_i − x_i)²⟩.": np.abs(d).sum(1).mean(),
        "you averaged the norm ‖y − x‖ instead of its square ‖y − x‖².": np.sqrt(sq.sum(1)).mean(),
        "you took the square root at the end: L is the mean of ‖y − x‖², not its root.": math.sqrt(
            sq.sum(1).mean()
        ),
    }
    for msg, cand in wrong.items():
        expect(not math.isclose(got, float(cand), rel_tol=1e-6), msg)
    raise ExerciseError(
        f"your loss is {got:.6g}; the paper's L = ⟨‖y − x‖²⟩ (sum over the n = {n} features, mean over the "
        f"B = {B} samples) is {engine:.6g} on this batch."
    )


# --------------------------------------------------------------------------------------------
# Exercise 2.3: the signed decay/growth step
# --------------------------------------------------------------------------------------------


def _engine_decay(W, lr: float, gamma: float):
    """The engine's step with a zero gradient: only the decay or growth factor acts (Adam moves nothing)."""
    import torch

    from ..training import adamw_update_

    Wk = W.clone()[None]
    z = torch.zeros_like(Wk)
    t = torch.tensor([lr], dtype=W.dtype)
    adamw_update_(Wk, z, z.clone(), z.clone(), 1, t, torch.tensor([gamma], dtype=W.dtype))
    return Wk[0]


#: Tolerance of the decay/growth comparison: the engine adds 1e-8 to each norm before dividing.
_RTOL, _ATOL = 1e-7, 1e-10


@exercise("decay_or_grow")
def check_decay_growth(decay_or_grow: Callable) -> str:
    """Check the reader's ``decay_or_grow(W, lr, gamma)`` (the step on W before Adam) against the engine's
    :func:`superscale.training.adamw_update_` with a zero gradient, on rows of norms 0.2 to 3 (chapter 2)."""
    import torch

    norms = torch.tensor([0.2, 0.5, 1.0, 1.5, 3.0, 0.8], dtype=torch.float64)
    g = torch.Generator().manual_seed(4)
    U = torch.randn(6, 3, generator=g, dtype=torch.float64)
    W = U / U.norm(dim=1, keepdim=True) * norms[:, None]
    lr = 0.1
    for gamma in (0.5, 1.0, -0.5, -1.0):
        arg = W.clone()
        hint = f"It was called with W of shape (6, 3), lr = {lr} and gamma = {gamma:+g}."
        out = _call(decay_or_grow, "decay_or_grow", hint, arg, lr, gamma)
        if out is None:
            expect(
                torch.equal(arg, W),
                "your decay_or_grow changed W in place but returned None: add `return W` at the end.",
            )
            raise ExerciseError("your decay_or_grow returned None: return the new W.")
        got = _np(out)
        want = _engine_decay(W, lr, gamma).numpy()
        expect(got.shape == want.shape, f"your step returned shape {got.shape}; W has shape {want.shape}.")
        if np.allclose(got, want, rtol=_RTOL, atol=_ATOL):
            continue
        Wn, r = W.numpy(), norms.numpy()[:, None]
        col = np.linalg.norm(Wn, axis=0, keepdims=True)
        eg = lr * gamma
        decay = [
            (
                "your decay ignores the learning rate: each step multiplies W by 1 − ηγ, not 1 − γ.",
                Wn * (1 - gamma),
            ),
            (
                "for γ > 0 (decay) every row shrinks by the same factor 1 − ηγ; your step uses the growth formula.",
                Wn * (1 - eg * (1 / r - 1)),
            ),
        ]
        growth = [
            (
                "for γ < 0 your step multiplies every row by the same factor 1 − ηγ > 1, so every row grows "
                "without limit. Growth rescales row i by 1 − ηγ(1/‖W_i‖ − 1), which pulls its norm towards 1 "
                "(rows longer than 1 shrink).",
                Wn * (1 - eg),
            ),
            (
                "you used the norms of the m columns of W; growth uses the norm of each row, ‖W_i‖ "
                "(W.norm(dim=1, keepdim=True)).",
                Wn * (1 - eg * (1 / col - 1)),
            ),
            (
                "a row of norm exactly 1 changed under growth: the factor is 1 − ηγ(1/‖W_i‖ − 1), and the − 1 "
                "makes norm 1 the fixed point.",
                Wn * (1 - eg / r),
            ),
            (
                "your growth step pushes norms away from 1 (the sign of ηγ is flipped): with γ < 0, "
                "W_i ← W_i − ηγ W_i (1/‖W_i‖ − 1).",
                Wn * (1 + eg * (1 / r - 1)),
            ),
            (
                "use the norm ‖W_i‖, not its square, in the growth factor 1 − ηγ(1/‖W_i‖ − 1).",
                Wn * (1 - eg * (1 / r**2 - 1)),
            ),
            (
                "your growth ignores the learning rate: the factor is 1 − ηγ(1/‖W_i‖ − 1).",
                Wn * (1 - gamma * (1 / r - 1)),
            ),
        ]
        for msg, cand in decay if gamma >= 0 else growth:
            expect(not np.allclose(got, cand, rtol=_RTOL, atol=_ATOL), msg)
        before = ", ".join(f"{v:.2f}" for v in r[:, 0])
        mine = ", ".join(f"{v:.3f}" for v in np.linalg.norm(got, axis=1))
        theirs = ", ".join(f"{v:.3f}" for v in np.linalg.norm(want, axis=1))
        raise ExerciseError(
            f"at γ = {gamma:+g}, η = {lr} rows of norms {before} should end with norms {theirs}; yours end with "
            f"{mine}."
        )
    after = np.linalg.norm(_engine_decay(W, lr, -1.0).numpy(), axis=1)
    moved = ", ".join(f"{a:g} → {b:.3g}" for a, b in zip(norms.tolist(), after) if a in (0.2, 1.0, 3.0))
    return f"the same as the engine's step for γ = ±0.5 and ±1; at γ = −1, η = {lr} the row norms go {moved}"


# --------------------------------------------------------------------------------------------
# Exercise 2.4: the represented fraction
# --------------------------------------------------------------------------------------------


@exercise("phi_half")
def check_phi_half(phi_half: Callable) -> str:
    """Check the reader's ``phi_half(W)`` against :func:`superscale.model.phi_half` (chapter 2)."""
    import torch

    from .. import model

    g = torch.Generator().manual_seed(5)
    norms = np.array([0.1, 0.4, 0.6, 0.65, 0.9, 1.1, 1.5, 0.2])
    U = np.random.default_rng(5).normal(size=(8, 3))
    designed = U / np.linalg.norm(U, axis=1, keepdims=True) * norms[:, None]
    weak = np.zeros((50, 5))
    weak[:5] = np.eye(5)
    weak[5:] = 0.01
    cases = [
        ("8 rows of norms 0.1 to 1.5", torch.tensor(designed)),
        ("a weak model (5 of 50 rows with norm 1)", torch.tensor(weak)),
        ("the paper's initialisation, n = 1000, m = 25", model.init_params(1000, 25, generator=g)[0]),
    ]
    values = []
    for label, W in cases:
        hint = f"It was called with {label}, a tensor W of shape {tuple(W.shape)}."
        got = _call(phi_half, "phi_half", hint, W.clone())
        try:
            got = float(got)
        except (TypeError, ValueError) as e:
            raise ExerciseError(f"your phi_half returned {got!r}; it should return one number.") from e
        want = model.phi_half(W)
        if math.isclose(got, want, abs_tol=1e-9):
            values.append(f"{got:g}")
            continue
        Wn = W.double().numpy()
        r = np.linalg.norm(Wn, axis=1)
        n = r.size
        wrong = {
            f"you returned the number of represented rows ({got:g}); φ_1/2 is the fraction of the n = {n} rows.": (
                r > 0.5
            ).sum(),
            "you compared the squared norm ‖W_i‖² with 1/2; φ_1/2 compares the norm ‖W_i‖ itself with 1/2.": np.mean(
                r**2 > 0.5
            ),
            "you used the threshold 1 (that is φ_1 of chapter 4); φ_1/2 counts rows with ‖W_i‖ > 1/2.": np.mean(
                r > 1.0
            ),
            "you took the norms of the m columns of W; φ_1/2 uses the norms of the n rows (one per feature).": np.mean(
                np.linalg.norm(Wn, axis=0) > 0.5
            ),
        }
        for msg, cand in wrong.items():
            expect(not math.isclose(got, float(cand), abs_tol=1e-9), msg)
        raise ExerciseError(
            f"for {label} your phi_half gives {got:g}; the fraction of rows with ‖W_i‖ > 1/2 is {want:g}."
        )
    return f"correct on {len(cases)} matrices (φ_1/2 = {', '.join(values)}, the last at initialisation)"


# --------------------------------------------------------------------------------------------
# Exercise 2.5: predict the regime, then train
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def live_models() -> LiveRun:
    """The two live models of exercise 2.5: n = 200, m = 20, α = 1, γ = +0.5 and −0.5, 1000 steps of 512
    samples (:func:`superscale.live.train_live`, about 2-10 s on one CPU core; cached; chapter 2)."""
    import torch

    from ..live import train_live

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_live(
            n=200, m=20, gammas=(0.5, -0.5), alpha=1.0, steps=1000, batch=512, snapshots=2, seed=0
        )
    finally:
        torch.set_num_threads(threads)


_REGIMES = ("weak", "strong")


def _regime(fn: Callable, norms: np.ndarray, m: int, label: str) -> str:
    hint = f"It was called with the {norms.size} row norms of {label} (a NumPy array) and m = {m}."
    out = _call(fn, "regime", hint, norms.copy(), m)
    expect(out in _REGIMES, f"your regime returned {out!r} for {label}; return 'weak' or 'strong'.")
    return out


@exercise("weak or strong")
def check_regime(predict_regime: Callable, regime: Callable) -> str:
    """Check the reader's prediction ``predict_regime(gamma)`` for γ = ±0.5, then the reader's
    ``regime(norms, m)`` on two ideal models, a decay model that keeps 2m features, and two models trained
    live (:func:`live_models`; chapter 2)."""
    pred = {}
    for gamma in (0.5, -0.5):
        p = _call(predict_regime, "predict_regime", f"It was called with gamma = {gamma:+g}.", gamma)
        expect(p in _REGIMES, f"your predict_regime({gamma:+g}) returned {p!r}; return 'weak' or 'strong'.")
        pred[gamma] = p
    expect(
        pred[0.5] == "weak",
        "you predicted 'strong' for γ = +0.5 (decay). Decay shrinks every row by the same factor at every step; "
        "a row survives only if the loss gradient pushes it back out, and that push is proportional to how often "
        "the feature occurs. The rare features drop to norm 0: weak superposition.",
    )
    expect(
        pred[-0.5] == "strong",
        "you predicted 'weak' for γ = −0.5 (growth). Growth pulls every row norm towards 1, frequent feature or "
        "not, so every feature stays represented and they must share the m dimensions: strong superposition.",
    )
    n, m = 200, 20
    rng = np.random.default_rng(6)
    ideal_weak = np.r_[np.ones(m), np.zeros(n - m)]
    ideal_strong = rng.uniform(0.6, 1.2, n)
    keeps_2m = np.r_[rng.uniform(0.9, 1.1, 2 * m), rng.uniform(0.0, 0.1, n - 2 * m)]
    expect(
        _regime(regime, ideal_weak, m, "a model without superposition (m rows of norm 1, the rest 0)")
        == "weak",
        "your regime calls a model without superposition (m rows of norm 1, all others 0) strong.",
    )
    expect(
        _regime(regime, ideal_strong, m, "a model whose norms all lie between 0.6 and 1.2") == "strong",
        "your regime calls a model whose row norms all lie between 0.6 and 1.2 weak: every one of its features "
        "is represented (norm > 1/2), so it is in strong superposition. (If you compared the norms with 1, "
        "use the threshold 1/2 of φ_1/2: with growth many norms sit a little below 1.)",
    )
    expect(
        _regime(regime, keeps_2m, m, "a model with 2m rows of norm about 1 and the rest near 0") == "weak",
        "your regime calls a model strong because it keeps more than m features (2m rows of norm about 1, the "
        "other 160 near 0). Decay can keep more than m features (chapter 2 finds about 1.7 m at α = 1); what "
        "tells the regimes apart is whether nearly every row is represented (φ_1/2 near 1) or most are switched "
        "off (φ_1/2 a small multiple of m/n).",
    )
    run = live_models()
    phis = []
    for k, gamma in enumerate(run.gammas):
        r = run.norms(k)
        phis.append(float(np.mean(r > 0.5)))
        want = "weak" if gamma > 0 else "strong"
        got = _regime(regime, r, m, f"the live model with γ = {gamma:+g}")
        expect(
            got == want,
            f"your regime calls the live model with γ = {gamma:+g} {got}, but its φ_1/2 = {phis[-1]:.2f} "
            f"(m/n = {m / n:g}; norms from {r.min():.2f} to {r.max():.2f}): it is in {want} superposition.",
        )
    return (
        f"you predicted weak for γ = +0.5 and strong for γ = −0.5, and the live models agree: φ_1/2 = "
        f"{phis[0]:.2f} and {phis[1]:.2f} (m/n = {m / n:g}; trained in {run.seconds:.1f} s)"
    )
