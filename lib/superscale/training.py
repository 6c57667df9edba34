"""Training the toy model: the paper's optimizer and schedules, a plain reference loop, and the
batched sparse engine that trains whole grids of models at once (chapters 2-5; the sweeps).

Units. The paper reports L = ⟨‖y − x‖²⟩, summed over the n features and averaged over samples,
i.e. n × mean-squared error. Every loss returned here is in those units. The gradients fed to the
optimizer are those of ``grad_scale`` × mean-squared error, as in the paper's code (grad_scale = 1
for the small models, 100 for the large one); with Adam this only changes the weight of ε.

The engine. For E ≈ 1 active feature per sample, h = Wᵀx is a gather of ≈ E rows of W, and samples
with no active feature all give y = ReLU(b) (handled in closed form); models of one width are stacked
and share each step's random batch. On CPU with Numba installed (the default, mode "fused") the
pre-activations are built from the Gram columns G[:, U] = W W_Uᵀ of the features U active in the batch,
and one compiled pass per sample does the ReLU, the loss and dL/dz (:mod:`superscale.kernels`):
12× faster than a plain PyTorch loop on one core (benchmarks/README.md). Without Numba, or on a GPU,
the PyTorch path runs batched matrix products; when fewer than ``SPARSE_BELOW`` (1 %) of the entries
of dL/dz are non-zero, its backward pass visits only those entries. Every path of the hand-written
forward/backward (:func:`sparse_loss_grad`) is checked against autograd in ``tests/test_training.py``.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .data import (  # noqa: F401  (the samplers are re-exported: the engine draws its batches with them)
    KINDS,
    SAMPLERS,
    SparseBatch,
    feature_frequencies,
    sample_sparse,
    sample_sparse_counts,
)
from .kernels import gram_pass, have_numba

__all__ = [
    "Protocol",
    "PROTOCOLS",
    "ModelSpec",
    "TrainResult",
    "SparseBatch",
    "small_lr",
    "large_lr_factor",
    "large_base_lrs",
    "adamw_update_",
    "sample_sparse",
    "sparse_loss_grad",
    "engine_mode",
    "train_plain",
    "train_models",
]

BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
GROWTH_EPS = 1e-8
#: Use the sparse backward when fewer than this fraction of dL/dz entries are non-zero. Measured on
#: this CPU (1 thread): at 1 % the index_add backward only breaks even with batched matrix products,
#: at 5-6 % it is 2.5-4x slower, so the dense path is the default almost everywhere.
SPARSE_BELOW = 0.01


# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


def small_lr(step, steps: int = 20000, peak: float = 1e-2, warmup: int | None = None, floor: float = 0.05):
    """The small-model learning rate at 0-based ``step`` (chapter 2; the paper's code for n = 1000).

    With t = step + 1 and w = ``warmup`` (default steps // 10, i.e. 2000 of 20 000): η = peak·t/w
    for t < w, then a cosine from peak down to floor·peak at t = steps. Check values for the
    paper's protocol: 5e-6 (step 0), 1e-2 (1999), 5.25e-3 (10999), 5e-4 (19999).
    Accepts a scalar or an array of steps.
    """
    if warmup is None:
        warmup = steps // 10
    t = np.asarray(step, dtype=float) + 1.0
    lo = floor * peak
    cos = (peak - lo) * 0.5 * (1.0 + np.cos(np.pi * (t - warmup) / max(steps - warmup, 1))) + lo
    out = np.where(t < warmup, peak * t / max(warmup, 1), cos)
    return float(out) if out.ndim == 0 else out


def large_lr_factor(step, steps: int = 20000, warmup_frac: float = 0.05, floor: float = 0.05):
    """The large-model schedule factor at 0-based ``step`` (chapter 4; the paper's ``exp-17``).

    w = int(warmup_frac · steps); factor = step/w for step < w, then (1 − floor)·½(1 + cos(π(step − w)/
    (steps − w))) + floor. It multiplies both base rates of :func:`large_base_lrs`.
    """
    w = int(warmup_frac * steps)
    t = np.asarray(step, dtype=float)
    cos = (1.0 - floor) * 0.5 * (1.0 + np.cos(np.pi * (t - w) / max(steps - w, 1))) + floor
    out = np.where(t < w, t / max(w, 1), cos)
    return float(out) if out.ndim == 0 else out


def large_base_lrs(m: int, base: float = 0.02) -> tuple[float, float]:
    """Base learning rates (η_W, η_b) = (0.02·(8/m)^¼, 2/m) of the large model (chapter 4)."""
    return base * (8.0 / m) ** 0.25, 2.0 / m


# --------------------------------------------------------------------------------------------
# Protocols and model specifications
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protocol:
    """How a model is trained and evaluated (chapters 2-5; the sweeps).

    ``schedule`` is "small" (one peak rate ``peak_lr`` for W and b, warm-up ``warmup_frac`` of the
    steps, cosine to ``floor``·peak) or "large" (per-width rates of :func:`large_base_lrs`, warm-up
    ``warmup_frac``). The final loss is measured on ``eval_samples`` fresh samples (the paper:
    100 × its batch of 2048).
    """

    name: str = "paper-small"
    batch: int = 2048
    steps: int = 20000
    schedule: str = "small"
    peak_lr: float = 1e-2
    warmup_frac: float = 0.1
    floor: float = 0.05
    grad_scale: float = 1.0
    eval_samples: int = 204800
    eval_batch: int = 2048
    log_points: int = 100
    #: How each batch is drawn (same distribution, different random stream): "dense" draws one uniform
    #: number per (sample, feature), "counts" draws how many samples hold each feature and then which
    #: ones (:func:`superscale.data.sample_sparse_counts`), much faster when n is large and E small.
    sampler: str = "dense"

    def validate(self) -> Protocol:
        """Raise ``ValueError`` naming the first bad setting and its allowed range."""
        checks = [
            ("batch", isinstance(self.batch, (int, np.integer)) and self.batch >= 1, "an integer >= 1"),
            ("steps", isinstance(self.steps, (int, np.integer)) and self.steps >= 1, "an integer >= 1"),
            ("schedule", self.schedule in ("small", "large"), "'small' or 'large'"),
            ("peak_lr", math.isfinite(self.peak_lr) and self.peak_lr > 0, "a number > 0"),
            ("warmup_frac", 0 <= self.warmup_frac < 1, "0 <= warmup_frac < 1"),
            ("floor", 0 <= self.floor <= 1, "0 <= floor <= 1"),
            ("grad_scale", math.isfinite(self.grad_scale) and self.grad_scale > 0, "a number > 0"),
            (
                "eval_samples",
                isinstance(self.eval_samples, (int, np.integer)) and self.eval_samples >= 2,
                "an integer >= 2",
            ),
            (
                "eval_batch",
                isinstance(self.eval_batch, (int, np.integer)) and self.eval_batch >= 1,
                "an integer >= 1",
            ),
            (
                "log_points",
                isinstance(self.log_points, (int, np.integer)) and self.log_points >= 1,
                "an integer >= 1",
            ),
            ("sampler", self.sampler in ("dense", "counts"), "'dense' or 'counts'"),
        ]
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(f"protocol {name} must be {allowed}, got {getattr(self, name)!r}")
        return self

    def lr_factors(self) -> np.ndarray:
        """Per-step multiplier of the base rates, shape (steps,)."""
        s = np.arange(self.steps)
        if self.schedule == "small":
            w = int(round(self.warmup_frac * self.steps))
            return small_lr(s, self.steps, 1.0, w, self.floor)
        return large_lr_factor(s, self.steps, self.warmup_frac, self.floor)

    def base_lrs(self, m: int) -> tuple[float, float]:
        """(η_W, η_b) before the schedule factor for width m."""
        if self.schedule == "small":
            return self.peak_lr, self.peak_lr
        return large_base_lrs(m, self.peak_lr)

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["sampler"] == "dense":
            d.pop("sampler")  # protocols made before the choice existed keep their description
        return d


#: The paper's protocols (paper.md §1.6 and §1.8 as stated in the paper's text).
PROTOCOLS: dict[str, Protocol] = {
    "paper-small": Protocol("paper-small"),
    "paper-large": Protocol(
        "paper-large",
        batch=2048,
        steps=20000,
        schedule="large",
        peak_lr=0.02,
        warmup_frac=0.05,
        grad_scale=100.0,
        sampler="counts",  # n = 10240: drawing batch × n uniforms a step costs more than training
    ),
}


@dataclass(frozen=True)
class ModelSpec:
    """One model of a sweep: width m, decay γ and its data (chapters 2-5).

    ``kind``/``alpha``/``E``/``scale`` define the feature frequencies (see
    :func:`superscale.data.feature_frequencies`); ``seed`` selects the replicate. Models that share
    (kind, alpha, E, scale, seed) share each step's random batch in the engine.
    """

    m: int
    gamma: float
    kind: str = "power"
    alpha: float = 1.0
    E: float = 1.0
    scale: float = 400.0
    seed: int = 0

    def data_key(self) -> tuple:
        return (
            self.kind,
            round(float(self.alpha), 9),
            round(float(self.E), 9),
            float(self.scale),
            int(self.seed),
        )

    def validate(self, n: int) -> ModelSpec:
        if not (isinstance(self.m, (int, np.integer)) and 1 <= self.m < n):
            raise ValueError(f"m (hidden width) must be an integer with 1 <= m < n = {n}, got {self.m!r}")
        if not math.isfinite(self.gamma):
            raise ValueError(f"gamma (weight decay) must be a finite number, got {self.gamma!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        feature_frequencies(self.kind, n, self.E, self.alpha, self.scale)  # raises with the allowed range
        return self


@dataclass
class TrainResult:
    """A trained model: parameters, final loss (n × MSE) with its standard error, thinned curve."""

    spec: ModelSpec
    W: np.ndarray
    b: np.ndarray
    final_loss: float
    final_loss_se: float
    curve_steps: np.ndarray
    curve_loss: np.ndarray
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def _stable_seed(*parts) -> int:
    return zlib.crc32(repr(parts).encode()) & 0x7FFFFFFF


# --------------------------------------------------------------------------------------------
# The optimizer
# --------------------------------------------------------------------------------------------


def _make_optimizer_class():
    import torch

    class SignedAdamW(torch.optim.Optimizer):
        """AdamW with decoupled weight decay (γ ≥ 0) or norm-targeting growth (γ < 0) (chapter 2).

        Per step, before the Adam update: γ ≥ 0: W ← (1 − ηγ)W; γ < 0: each row
        W_i ← W_i − ηγ W_i (1/(‖W_i‖ + 1e-8) − 1). Then the Adam step with bias correction
        (β = (0.9, 0.999), ε = 1e-8). Give b its own parameter group with weight_decay = 0.
        """

        def __init__(
            self,
            params,
            lr: float = 1e-3,
            betas=BETAS,
            eps: float = ADAM_EPS,
            weight_decay: float = 0.0,
            growth_eps: float = GROWTH_EPS,
        ):
            super().__init__(
                params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, growth_eps=growth_eps)
            )

        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    st = self.state[p]
                    if not st:
                        st["step"] = 0
                        st["exp_avg"] = torch.zeros_like(p)
                        st["exp_avg_sq"] = torch.zeros_like(p)
                    st["step"] += 1
                    t = st["step"]
                    if wd > 0:
                        p.mul_(1.0 - lr * wd)
                    elif wd < 0:
                        if p.ndim < 2:
                            raise ValueError("negative weight_decay (growth) needs a matrix parameter")
                        norms = p.norm(dim=-1, keepdim=True)
                        p.mul_(1.0 - lr * wd * (1.0 / (norms + group["growth_eps"]) - 1.0))
                    g = p.grad
                    st["exp_avg"].lerp_(g, 1.0 - b1)
                    st["exp_avg_sq"].mul_(b2).addcmul_(g, g, value=1.0 - b2)
                    denom = (st["exp_avg_sq"].sqrt() / math.sqrt(1.0 - b2**t)).add_(eps)
                    p.addcdiv_(st["exp_avg"], denom, value=-lr / (1.0 - b1**t))
            return loss

    return SignedAdamW


def __getattr__(name):  # lazy: importing this module must not import torch
    if name == "SignedAdamW":
        cls = _make_optimizer_class()
        globals()["SignedAdamW"] = cls
        return cls
    raise AttributeError(name)


def adamw_update_(
    p,
    g,
    exp_avg,
    exp_avg_sq,
    t: int,
    lr,
    gamma=None,
    betas=BETAS,
    eps: float = ADAM_EPS,
    growth_eps: float = GROWTH_EPS,
) -> None:
    """One in-place step of the signed AdamW for K models at once (the engine; chapter 2).

    ``p``, ``g`` and the moments have shape (K, n, m) (W) or (K, n) (b); ``lr`` is a tensor (K,);
    ``gamma`` a tensor (K,) of decays (None for b, which is never decayed); ``t`` the 1-based step.
    """
    import torch

    K = p.shape[0]
    shape = (K,) + (1,) * (p.ndim - 1)
    lr_v = lr.view(shape)
    if gamma is not None:
        gam = gamma.view(shape)
        norms = p.norm(dim=-1, keepdim=True)
        fac = torch.where(gam >= 0, 1.0 - lr_v * gam, 1.0 - lr_v * gam * (1.0 / (norms + growth_eps) - 1.0))
        p.mul_(fac)
    b1, b2 = betas
    exp_avg.lerp_(g, 1.0 - b1)
    exp_avg_sq.mul_(b2).addcmul_(g, g, value=1.0 - b2)
    denom = (exp_avg_sq.sqrt() / math.sqrt(1.0 - b2**t)).add_(eps)
    p.addcdiv_(exp_avg * (lr_v / (1.0 - b1**t)), denom, value=-1.0)


# --------------------------------------------------------------------------------------------
# Sparse data and the hand-written forward/backward
# --------------------------------------------------------------------------------------------


def engine_mode(device="cpu") -> str:
    """The engine's default mode on ``device`` (the sweeps; benchmarks): "fused" on CPU when Numba is
    installed, otherwise "auto" (PyTorch dense/sparse products)."""
    import torch

    return "fused" if torch.device(device).type == "cpu" and have_numba() else "auto"


def sparse_loss_grad(
    W,
    b,
    batch: SparseBatch,
    grad_scale: float = 1.0,
    mode: str = "auto",
    need_grad: bool = True,
    per_sample: bool = False,
):
    """Loss and hand-derived gradients of K toy models on one sparse batch (the engine; chapter 2).

    ``W`` (K, n, m), ``b`` (K, n). Returns a dict with ``loss`` (K,) in paper units (n × MSE, mean over
    the B samples), ``gW``/``gb`` the gradients of grad_scale × MSE (if ``need_grad``), ``nnz_frac``
    (fraction of non-zero entries of dL/dz among the non-empty samples) and, with ``per_sample``,
    ``sample_loss`` (K, n_rows) and ``empty_loss`` (K,) (loss of an all-zero sample).
    ``mode``: "fused" (Gram columns and one compiled pass per sample, :mod:`superscale.kernels`; CPU
    with Numba only), "dense" (batched matrix products), "sparse" (only non-zero dL/dz entries) or
    "auto" (dense or sparse, from the measured fraction of non-zero entries).
    """
    import torch

    K, n, m = W.shape
    rl, cols, vals, R, B = batch.rows, batch.cols, batch.vals, batch.n_rows, batch.batch
    coef = 2.0 * grad_scale / (B * n)
    rb = torch.relu(b)
    empty_loss = (rb * rb).sum(1)
    out = {}
    if R == 0:
        out["loss"] = batch.n_empty * empty_loss / B
        out["nnz_frac"] = 0.0
        if need_grad:
            out["gW"] = torch.zeros_like(W)
            out["gb"] = coef * batch.n_empty * rb
        if per_sample:
            out["sample_loss"] = W.new_zeros(K, 0)
            out["empty_loss"] = empty_loss
        return out
    if mode == "fused":
        if W.device.type != "cpu" or not have_numba():
            raise ValueError("mode='fused' needs CPU tensors and Numba; use mode='auto', 'dense' or 'sparse'")
        res = gram_pass(W, b, batch, need_grad=need_grad, per_sample=per_sample)
        out["loss"] = (res["loss"].to(W.dtype) + batch.n_empty * empty_loss) / B
        out["nnz_frac"] = float(res["nnz"].sum()) / (K * R * n)
        if need_grad:
            out["gW"] = res["gW"].mul_(coef)
            out["gb"] = res["gb"].add_(rb, alpha=batch.n_empty).mul_(coef)
        if per_sample:
            out["sample_loss"] = res["sample_loss"]
            out["empty_loss"] = empty_loss
        return out
    vw = vals.view(1, -1, 1)
    H = W.new_zeros(K, R, m)
    H.index_add_(1, rl, W[:, cols, :] * vw)
    Z = torch.baddbmm(b.unsqueeze(1), H, W.transpose(1, 2))  # (K, R, n) pre-activations
    Zf = Z.view(K, R * n)
    flat = rl * n + cols
    Za = Zf[:, flat]
    pos = Za > 0
    ra = torch.where(pos, Za - vals, torch.zeros((), dtype=Z.dtype))  # (relu(z) - x) at active entries
    dead = torch.where(pos, torch.zeros((), dtype=Z.dtype), vals * vals)  # active but below threshold
    Z.relu_()
    Zf[:, flat] = ra  # now Z holds relu(z) - x restricted to where the gradient flows; dead entries are 0
    dead_sum = dead.sum(1)
    use_sparse = mode == "sparse"
    if mode == "auto":
        use_sparse = None  # decided below from the actual count
    if per_sample:
        sl = (Z * Z).sum(2)
        sl.index_add_(1, rl, dead)
        out["sample_loss"] = sl
        out["empty_loss"] = empty_loss
    if use_sparse is None:
        nz_idx = Z.view(-1).nonzero().squeeze(1)
        frac = nz_idx.numel() / Z.numel()
        use_sparse = frac < SPARSE_BELOW
    else:
        nz_idx = Z.view(-1).nonzero().squeeze(1) if use_sparse else None
        frac = nz_idx.numel() / Z.numel() if use_sparse else float("nan")
    if use_sparse:
        r = Z.view(-1)[nz_idx]
        k = torch.div(nz_idx, R * n, rounding_mode="floor")
        rem = nz_idx - k * (R * n)
        s = torch.div(rem, n, rounding_mode="floor")
        i = rem - s * n
        ki = k * n + i
        ks = k * R + s
        sq = W.new_zeros(K).index_add_(0, k, r * r)
        out["loss"] = (sq + dead_sum + batch.n_empty * empty_loss) / B
        if need_grad:
            gb = W.new_zeros(K * n).index_add_(0, ki, r).view(K, n)
            gb.add_(rb, alpha=batch.n_empty).mul_(coef)
            gW = W.new_zeros(K * n, m).index_add_(0, ki, r.unsqueeze(1) * H.view(K * R, m)[ks])
            dH = W.new_zeros(K * R, m).index_add_(0, ks, r.unsqueeze(1) * W.reshape(K * n, m)[ki])
            gW = gW.view(K, n, m)
            gW.index_add_(1, cols, dH.view(K, R, m)[:, rl, :] * vw)
            gW.mul_(coef)
    else:
        sq = torch.bmm(Zf.unsqueeze(1), Zf.unsqueeze(2)).view(K)
        out["loss"] = (sq + dead_sum + batch.n_empty * empty_loss) / B
        if need_grad:
            gb = Z.sum(1).add_(rb, alpha=batch.n_empty).mul_(coef)
            gW = torch.bmm(Z.transpose(1, 2), H)
            dH = torch.bmm(Z, W)
            gW.index_add_(1, cols, dH[:, rl, :] * vw)
            gW.mul_(coef)
    out["nnz_frac"] = frac
    if need_grad:
        out["gW"] = gW
        out["gb"] = gb
    return out


# --------------------------------------------------------------------------------------------
# A plain loop, as a reader of the paper would write it (reference and benchmark)
# --------------------------------------------------------------------------------------------


def train_plain(
    spec: ModelSpec,
    n: int,
    protocol: Protocol,
    seed: int | None = None,
    device: str = "cpu",
    progress: bool = False,
) -> TrainResult:
    """Train one model the straightforward way: dense sampling, autograd, :class:`SignedAdamW` (chapter 2).

    This is the reference the engine is checked against and the baseline of the benchmark.
    The final loss is measured on ``protocol.eval_samples`` fresh samples.
    """
    import torch

    from .data import sample_features
    from .model import init_params

    protocol.validate()
    spec.validate(n)
    seed = _stable_seed("plain", spec) if seed is None else seed
    gen = torch.Generator(device=device).manual_seed(seed)
    W0, b0 = init_params(n, spec.m, generator=gen, device=device)
    W = torch.nn.Parameter(W0)
    b = torch.nn.Parameter(b0)
    lrW, lrb = protocol.base_lrs(spec.m)
    Opt = _make_optimizer_class()
    opt = Opt(
        [
            {"params": [W], "weight_decay": spec.gamma, "lr": lrW},
            {"params": [b], "weight_decay": 0.0, "lr": lrb},
        ]
    )
    p = feature_frequencies(spec.kind, n, spec.E, spec.alpha, spec.scale)
    fac = protocol.lr_factors()
    every = max(protocol.steps // protocol.log_points, 1)
    curve, acc = [], 0.0
    t0 = time.perf_counter()
    it = range(protocol.steps)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc=f"plain m={spec.m}")
    for step in it:
        opt.param_groups[0]["lr"] = lrW * fac[step]
        opt.param_groups[1]["lr"] = lrb * fac[step]
        x = sample_features(p, protocol.batch, generator=gen, device=device)
        y = torch.relu((x @ W) @ W.T + b)
        loss = torch.nn.functional.mse_loss(y, x)
        opt.zero_grad(set_to_none=True)
        (loss * protocol.grad_scale).backward()
        opt.step()
        acc += float(loss.detach()) * n
        if (step + 1) % every == 0:
            curve.append(acc / every)
            acc = 0.0
    secs = time.perf_counter() - t0
    with torch.no_grad():
        s1 = s2 = 0.0
        done = 0
        while done < protocol.eval_samples:
            bsz = min(protocol.eval_batch, protocol.eval_samples - done)
            x = sample_features(p, bsz, generator=gen, device=device)
            ls = ((torch.relu((x @ W) @ W.T + b) - x) ** 2).sum(1).double()
            s1 += float(ls.sum())
            s2 += float((ls * ls).sum())
            done += bsz
    mean = s1 / done
    se = math.sqrt(max(s2 / done - mean * mean, 0.0) / done)
    steps_arr = np.arange(1, len(curve) + 1) * every
    return TrainResult(
        spec,
        W.detach().cpu().numpy(),
        b.detach().cpu().numpy(),
        mean,
        se,
        steps_arr,
        np.asarray(curve, dtype=np.float32),
        secs,
    )


# --------------------------------------------------------------------------------------------
# The batched engine
# --------------------------------------------------------------------------------------------


class _Chunk:
    """K models of one width trained together (engine internals)."""

    def __init__(self, specs, n, protocol, device):
        import torch

        from .model import init_params

        self.specs = specs
        m = specs[0].m
        Ws, bs = [], []
        for sp in specs:
            g = torch.Generator(device=device).manual_seed(_stable_seed("init", sp))
            W, b = init_params(n, m, generator=g, device=device)
            Ws.append(W)
            bs.append(b)
        self.W = torch.stack(Ws)
        self.b = torch.stack(bs)
        self.mW = torch.zeros_like(self.W)
        self.vW = torch.zeros_like(self.W)
        self.mb = torch.zeros_like(self.b)
        self.vb = torch.zeros_like(self.b)
        lrW, lrb = protocol.base_lrs(m)
        K = len(specs)
        self.lrW = torch.full((K,), lrW, dtype=torch.float32, device=device)
        self.lrb = torch.full((K,), lrb, dtype=torch.float32, device=device)
        self.gamma = torch.tensor([sp.gamma for sp in specs], dtype=torch.float32, device=device)
        self.curve_acc = torch.zeros(K, dtype=torch.float64, device=device)
        self.curve = []
        self.frac = 1.0
        self.mode = "dense"

    def step(self, batch, t, factor, grad_scale):
        out = sparse_loss_grad(self.W, self.b, batch, grad_scale, mode=self.mode)
        f = out["nnz_frac"]
        if f == f:  # not NaN
            self.frac = f
        adamw_update_(self.W, out["gW"], self.mW, self.vW, t, self.lrW * factor, self.gamma)
        adamw_update_(self.b, out["gb"], self.mb, self.vb, t, self.lrb * factor, None)
        self.curve_acc += out["loss"].double()


def _chunk_size(n: int, m: int, batch: int, max_mem_bytes: float) -> int:
    per_model = 4 * (3 * batch * n + 8 * n * m + 4 * batch * m)
    return max(1, int(max_mem_bytes // per_model))


def train_models(
    specs: Sequence[ModelSpec],
    n: int,
    protocol: Protocol,
    device: str = "cpu",
    progress: bool = True,
    max_mem_gb: float = 2.0,
    mode: str | None = None,
    desc: str | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: float = 300.0,
) -> list[TrainResult]:
    """Train many toy models at once with the sparse batched engine (chapters 2-5; the sweeps).

    Models with the same data (kind, alpha, E, scale, seed) share each step's random batch — each
    model still sees an independent fresh batch at every step, exactly as if trained alone; only
    models of the same replicate are correlated with each other. Models of one width are stacked
    into chunks of at most what fits in ``max_mem_gb``. Results come back in the order of ``specs``.
    On CPU, results are bitwise reproducible for the same specs, protocol and thread count.
    ``mode`` (see :func:`sparse_loss_grad`) defaults to :func:`engine_mode`: the fused Numba kernel on
    CPU, PyTorch products elsewhere.

    ``checkpoint`` (a file path) makes training resumable inside a model: the whole training state
    (weights, optimizer moments, step, loss-curve accumulators, the data generator's state) is written
    there atomically every ``checkpoint_every`` seconds of training, and a later call with the same
    specs, protocol and path continues from it. The result is bitwise identical to an uninterrupted run
    (same device and thread count). A checkpoint of other specs or another protocol raises ``ValueError``.
    With several data distributions among ``specs`` each gets its own file (``PATH.1``, ``PATH.2``, …).
    The caller removes the file when the results are safely stored.
    """
    if checkpoint_every <= 0 or not math.isfinite(checkpoint_every):
        raise ValueError(f"checkpoint_every must be a positive number of seconds, got {checkpoint_every!r}")
    mode = engine_mode(device) if mode is None else mode
    if mode not in ("fused", "auto", "dense", "sparse"):
        raise ValueError(f"mode must be one of 'fused', 'auto', 'dense', 'sparse' (got {mode!r})")
    protocol.validate()
    specs = [sp.validate(n) for sp in specs]
    groups: dict[tuple, list[int]] = {}
    for idx, sp in enumerate(specs):
        groups.setdefault(sp.data_key(), []).append(idx)
    results: list[TrainResult | None] = [None] * len(specs)
    for gi, (key, idxs) in enumerate(groups.items()):
        ckpt = None
        if checkpoint is not None:
            ckpt = Path(checkpoint) if gi == 0 else Path(f"{checkpoint}.{gi}")
        res = _train_group(
            [specs[i] for i in idxs],
            n,
            protocol,
            device,
            progress,
            max_mem_gb,
            mode,
            desc or f"{key[0]} α={key[1]:g} E={key[2]:.3g} seed={key[4]}",
            ckpt,
            checkpoint_every,
        )
        for i, r in zip(idxs, res, strict=False):
            results[i] = r
    return results  # type: ignore[return-value]


_STATE_TENSORS = ("W", "b", "mW", "vW", "mb", "vb", "curve_acc")


def _fingerprint(specs, n, protocol, mode) -> str:
    """What a checkpoint must match to be resumed: the models, n, the protocol and the engine mode."""
    return json.dumps(
        {"specs": [asdict(sp) for sp in specs], "n": n, "protocol": protocol.to_dict(), "mode": mode},
        sort_keys=True,
    )


def _save_checkpoint(path: Path, fingerprint: str, step: int, secs: float, gen, chunks) -> None:
    """The whole training state after ``step`` steps, written atomically (npz, no pickle)."""
    arrays = {"generator": gen.get_state().cpu().numpy()}
    meta = {"fingerprint": fingerprint, "step": step, "seconds": secs, "chunks": []}
    for k, c in enumerate(chunks):
        for name in _STATE_TENSORS:
            arrays[f"c{k}_{name}"] = getattr(c, name).cpu().numpy()
        arrays[f"c{k}_curve"] = np.stack(c.curve) if c.curve else np.zeros((0, len(c.specs)))
        meta["chunks"].append({"frac": c.frac, "mode": c.mode})
    arrays["meta"] = np.array(json.dumps(meta))
    from .fileio import atomic_write

    atomic_write(path, lambda f: np.savez(f, **arrays))


def _load_checkpoint(path: Path, fingerprint: str, gen, chunks, device) -> tuple[int, float]:
    """Restore the state saved by :func:`_save_checkpoint` into ``gen`` and ``chunks``; returns
    (steps done, training seconds so far)."""
    import torch

    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta["fingerprint"] != fingerprint:
            raise ValueError(
                f"checkpoint {str(path)!r} belongs to other models or another protocol; "
                "remove it or train into another output directory"
            )
        gen.set_state(torch.as_tensor(z["generator"]))
        for k, c in enumerate(chunks):
            for name in _STATE_TENSORS:
                getattr(c, name).copy_(torch.as_tensor(z[f"c{k}_{name}"], device=device))
            c.curve = list(z[f"c{k}_curve"])
            c.frac = meta["chunks"][k]["frac"]
            c.mode = meta["chunks"][k]["mode"]
    return int(meta["step"]), float(meta["seconds"])


def _train_group(specs, n, protocol, device, progress, max_mem_gb, mode, desc, ckpt=None, ckpt_every=300.0):
    import torch

    sp0 = specs[0]
    p = feature_frequencies(sp0.kind, n, sp0.E, sp0.alpha, sp0.scale)
    p_t = torch.as_tensor(p, dtype=torch.float32, device=device)
    gen = torch.Generator(device=device).manual_seed(_stable_seed("data", sp0.data_key()))
    by_m: dict[int, list[int]] = {}
    for i, sp in enumerate(specs):
        by_m.setdefault(sp.m, []).append(i)
    chunks, members = [], []
    for m in sorted(by_m):
        idxs = by_m[m]
        k = _chunk_size(n, m, protocol.batch, max_mem_gb * 2**30)
        for s in range(0, len(idxs), k):
            part = idxs[s : s + k]
            chunks.append(_Chunk([specs[i] for i in part], n, protocol, device))
            members.append(part)
    for c in chunks:
        c.mode = mode if mode != "auto" else "dense"
        c.auto = mode == "auto"
    fac = protocol.lr_factors()
    draw = SAMPLERS[protocol.sampler]
    every = max(protocol.steps // protocol.log_points, 1)
    start, done_secs = 0, 0.0
    fp = _fingerprint(specs, n, protocol, mode) if ckpt is not None else ""
    if ckpt is not None and ckpt.exists():
        start, done_secs = _load_checkpoint(ckpt, fp, gen, chunks, device)
    t0 = time.perf_counter() - done_secs
    last_save = time.perf_counter()
    it = range(start, protocol.steps)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(it, desc=desc, leave=False, mininterval=2.0, initial=start, total=protocol.steps)
        it = bar
    with torch.no_grad():
        for step in it:
            if ckpt is not None and time.perf_counter() - last_save >= ckpt_every and step > start:
                _save_checkpoint(ckpt, fp, step, time.perf_counter() - t0, gen, chunks)
                last_save = time.perf_counter()
            batch = draw(p_t, protocol.batch, gen)
            f = float(fac[step])
            for c in chunks:
                if c.auto:
                    # re-check the density of non-zero gradient entries every 25 steps in dense mode
                    c.mode = "sparse" if c.frac < SPARSE_BELOW else ("auto" if step % 25 == 0 else "dense")
                c.step(batch, step + 1, f, protocol.grad_scale)
            if (step + 1) % every == 0:
                for c in chunks:
                    c.curve.append((c.curve_acc / every).cpu().numpy())
                    c.curve_acc.zero_()
        train_secs = time.perf_counter() - t0
        # final loss on fresh data
        s1 = [torch.zeros(len(c.specs), dtype=torch.float64, device=device) for c in chunks]
        s2 = [torch.zeros(len(c.specs), dtype=torch.float64, device=device) for c in chunks]
        done = 0
        while done < protocol.eval_samples:
            bsz = min(protocol.eval_batch, protocol.eval_samples - done)
            batch = draw(p_t, bsz, gen)
            for ci, c in enumerate(chunks):
                em = "fused" if c.mode == "fused" else "dense"
                out = sparse_loss_grad(c.W, c.b, batch, need_grad=False, per_sample=True, mode=em)
                sl = out["sample_loss"].double()
                el = out["empty_loss"].double()
                s1[ci] += sl.sum(1) + batch.n_empty * el
                s2[ci] += (sl * sl).sum(1) + batch.n_empty * el * el
            done += bsz
    if bar is not None:
        bar.close()
    secs = time.perf_counter() - t0
    n_models = len(specs)
    results: list[TrainResult | None] = [None] * n_models
    steps_arr = np.arange(1, len(chunks[0].curve) + 1) * every
    for ci, c in enumerate(chunks):
        mean = (s1[ci] / done).cpu().numpy()
        var = np.maximum((s2[ci] / done).cpu().numpy() - mean**2, 0.0)
        curve = np.stack(c.curve, axis=1) if c.curve else np.zeros((len(c.specs), 0))
        for j, i in enumerate(members[ci]):
            results[i] = TrainResult(
                specs[i],
                c.W[j].cpu().numpy(),
                c.b[j].cpu().numpy(),
                float(mean[j]),
                float(math.sqrt(var[j] / done)),
                steps_arr,
                curve[j].astype(np.float32),
                secs / n_models,
                {"train_seconds_group": train_secs, "final_nnz_frac": c.frac},
            )
    return results  # type: ignore[return-value]
