"""Benchmark: the paper's large model (n = 10240) at its own protocol, per width and frequency law (issue 21).

Two measurements, both printed as tables:

1. **Time per step** of one model at each width and law, on one device (the CPU's fused kernel with one
   thread, or a GPU with the PyTorch engine), from two short trainings of ``--short`` and ``--long``
   steps (their difference removes set-up and evaluation), repeated ``--rounds`` times (median). The
   projection to the paper's 20 000 steps gives the hours of one model, of each law's eight widths and
   of the 24 strong models — the numbers behind "how long does `sweep run paper-large` take here".
2. **Engine check** (``--check``): the same small case (n = 10240, m = 8, the paper-large schedule
   compressed to ``--check-steps`` steps, three laws) trained with the CPU's fused kernel and with the
   PyTorch engine on ``--device``; the final losses must agree within their combined standard error
   (``|ΔL| ≤ 3 SE`` passes). Run this first on a GPU before trusting its sweeps.

    python benchmarks/bench_large.py [--device cpu|cuda] [--widths 8,64,1024] [--rounds 3] [--check]

Results of runs on this project's machines are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import os

# One thread for the BLAS libraries; Numba's pool is sized once, at import, to every core, and --threads then
# picks how many of it (and of torch's) a model uses.
for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, str(os.cpu_count() or 1) if _v == "NUMBA_NUM_THREADS" else "1")

import argparse
import dataclasses
import statistics
import sys
import time

import torch

from superscale.grids import get_grid
from superscale.training import ModelSpec, engine_mode, train_models

LAWS = ("power", "exponential", "linear")


def _spec(kind: str, m: int, gamma: float = -1.0) -> ModelSpec:
    grid = get_grid("paper-large")
    return ModelSpec(m=m, gamma=gamma, kind=kind, alpha=grid.alphas[0], E=grid.Es[0], seed=0)


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def seconds_per_step(kind: str, m: int, device: str, short: int, long: int, rounds: int) -> float:
    """Median over ``rounds`` of (t(long) − t(short)) / (long − short) for one model of the paper-large grid."""
    grid = get_grid("paper-large")
    warm = dataclasses.replace(grid.protocol, steps=1, eval_samples=2048)
    train_models(
        [_spec(kind, m)], grid.n, warm, device=device, progress=False
    )  # compile, allocate, warm caches
    out = []
    for _ in range(rounds):
        ts = []
        for steps in (short, long):
            pr = dataclasses.replace(grid.protocol, steps=steps, eval_samples=2048)
            _sync(device)
            t0 = time.perf_counter()
            train_models([_spec(kind, m)], grid.n, pr, device=device, progress=False)
            _sync(device)
            ts.append(time.perf_counter() - t0)
        out.append((ts[1] - ts[0]) / (long - short))
    return statistics.median(out)


def engine_check(device: str, steps: int) -> bool:
    """Fused CPU kernel against the PyTorch engine on ``device``: same models, same protocol (m = 8)."""
    grid = get_grid("paper-large")
    pr = dataclasses.replace(grid.protocol, steps=steps, eval_samples=20480)
    ok = True
    print(
        f"\nengine check: n = {grid.n}, m = 8, gamma = -1, {steps} steps of batch {pr.batch}, eval 20 480 samples"
    )
    print(f"{'law':12s} {'fused (CPU)':>22s} {f'PyTorch ({device})':>22s} {'|diff| / SE':>12s}")
    for kind in LAWS:
        a = train_models([_spec(kind, 8)], grid.n, pr, device="cpu", progress=False, mode="fused")[0]
        b = train_models([_spec(kind, 8)], grid.n, pr, device=device, progress=False, mode="auto")[0]
        se = (a.final_loss_se**2 + b.final_loss_se**2) ** 0.5
        z = abs(a.final_loss - b.final_loss) / se
        ok &= z <= 3.0
        print(
            f"{kind:12s} {a.final_loss:12.4f} ± {a.final_loss_se:.4f} {b.final_loss:12.4f} ± {b.final_loss_se:.4f}"
            f" {z:12.2f}"
        )
    print("engine check:", "PASS (every law within 3 SE)" if ok else "FAIL (a law differs by more than 3 SE)")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--widths", default="8,16,32,64,128,256,512,1024")
    ap.add_argument("--laws", default=",".join(LAWS))
    ap.add_argument("--short", type=int, default=3, help="steps of the shorter timing run (default 3)")
    ap.add_argument("--long", type=int, default=13, help="steps of the longer timing run (default 13)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="also compare the engines on a small case")
    ap.add_argument("--check-steps", type=int, default=400)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads of one model (default 1; CPU only)")
    a = ap.parse_args(argv)
    widths = [int(w) for w in a.widths.split(",")]
    laws = a.laws.split(",")
    if not 1 <= a.short < a.long:
        ap.error(f"--short and --long must satisfy 1 <= short < long, got {a.short} and {a.long}")
    bad = [k for k in laws if k not in LAWS]
    if bad:
        ap.error(f"--laws must be among {LAWS}, got {bad}")
    cores = os.cpu_count() or 1
    if not 1 <= a.threads <= cores:
        ap.error(f"--threads must be between 1 and this machine's {cores} cores, got {a.threads}")
    torch.set_num_threads(a.threads if a.device == "cpu" else torch.get_num_threads())
    dev = a.device
    cpu = f"CPU, {a.threads} thread" + ("s" if a.threads > 1 else "")
    name = torch.cuda.get_device_name() if torch.device(dev).type == "cuda" else cpu
    print(f"device: {dev} ({name}); engine mode {engine_mode(dev)}; torch {torch.__version__}")
    ok = True
    if not a.no_timing:
        steps = get_grid("paper-large").protocol.steps
        print(
            f"\nseconds per step, median of {a.rounds} rounds of ({a.long} − {a.short}) steps; hours for {steps} steps"
        )
        print(f"{'law':12s} " + " ".join(f"{'m=' + str(w):>9s}" for w in widths) + f" {'h (all)':>9s}")
        total = 0.0
        for kind in laws:
            s = [seconds_per_step(kind, w, dev, a.short, a.long, a.rounds) for w in widths]
            hours = sum(s) * steps / 3600
            total += hours
            print(f"{kind:12s} " + " ".join(f"{x:9.4f}" for x in s) + f" {hours:9.2f}")
            print(f"{'  h/model':12s} " + " ".join(f"{x * steps / 3600:9.2f}" for x in s), flush=True)
        print(
            f"strong curves of these laws and widths: {total:.1f} device-hours (one γ; the weak γ about as much)"
        )
    if a.check:
        ok = engine_check(dev, a.check_steps)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
