"""Benchmark: a plain one-model-at-a-time PyTorch loop against the batched sparse engine (issue 3).

Side by side in one process, interleaved in rounds so both see the same machine load, on the paper's
small setting: n = 1000, the 6 widths × 10 values of γ at α = 1, batch 2048. Prints the time per
model-step of both (median over rounds), the ratio, and the peak memory of each (measured in a child
process). Two states are timed: freshly initialised models (the first steps, where about half of
all outputs pass the ReLU) and trained models (weights from a short engine run, where the engine's
backward is sparse). The plain loop costs the same in both states.

Then fidelity (engine vs plain loop, same protocol, several seeds) and the convergence table read
from ``benchmarks/results/conv_*.jsonl`` (written by ``benchmarks/convergence.py``).

    python benchmarks/bench_engine.py [--rounds 3] [--steps 5] [--fidelity-steps 1500]
"""

from __future__ import annotations

import argparse
import json
import math
import os

# one thread everywhere, set before the libraries start their pools: without this, numpy/torch helper
# threads ran on the second core and the process used 1.6 CPU-seconds per wall-second
for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from superscale.data import power_law_frequencies, sample_features
from superscale.paper import PAPER_GAMMAS, PAPER_WIDTHS
from superscale.training import (
    SPARSE_BELOW,
    ModelSpec,
    Protocol,
    SignedAdamW,
    _Chunk,
    sample_sparse,
    train_models,
    train_plain,
)

N = 1000
HERE = Path(__file__).resolve().parent


def plain_steps(W0, b0, gamma, p, batch, steps, gen):
    """`steps` steps of the plain loop for one model; returns seconds."""
    W = torch.nn.Parameter(W0.clone())
    b = torch.nn.Parameter(b0.clone())
    opt = SignedAdamW(
        [{"params": [W], "weight_decay": gamma, "lr": 1e-2}, {"params": [b], "weight_decay": 0.0}], lr=1e-2
    )
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        x = sample_features(p, batch, generator=gen)
        y = torch.relu((x @ W) @ W.T + b)
        loss = torch.nn.functional.mse_loss(y, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, time.process_time() - c0


def engine_steps(state, p_t, batch, steps, gen, mode="fused"):
    """`steps` engine steps for all 60 models (one chunk per width); returns seconds.

    ``mode`` "fused": the Numba kernel through the Gram columns (the default engine on CPU);
    "torch": the PyTorch-only engine (dense batched products, sparse backward below 1 %)."""
    chunks = []
    for m, (W, b) in state.items():
        specs = [ModelSpec(m, g) for g in PAPER_GAMMAS]
        c = _Chunk(specs, N, Protocol(), "cpu")
        c.W.copy_(W)
        c.b.copy_(b)
        c.mode, c.auto = ("fused", False) if mode == "fused" else ("dense", True)
        chunks.append(c)
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for step in range(steps):
            bt = sample_sparse(p_t, batch, gen)
            for c in chunks:
                if c.auto:
                    c.mode = "sparse" if c.frac < SPARSE_BELOW else ("auto" if step % 25 == 0 else "dense")
                c.step(bt, step + 1, 1e-2, 1.0)
    return time.perf_counter() - t0, time.process_time() - c0, [c.frac for c in chunks]


def init_state(trained: bool, alpha: float):
    """Weights per width, shape (10, n, m): fresh, or trained for a short cheap run."""
    if not trained:
        g = torch.Generator().manual_seed(0)
        return {
            m: (torch.randn(10, N, m, generator=g) / math.sqrt(m), torch.randn(10, N, generator=g))
            for m in PAPER_WIDTHS
        }
    unit = HERE.parent / "runs" / "book-small" / "units" / f"power_a{alpha:.4f}_E1.0000_s0.npz"
    out = {}
    if unit.exists():  # trained weights of the book's sweep (batch 128, 4000 steps)
        with np.load(unit) as z:
            for m in PAPER_WIDTHS:
                idx = [j for j in range(len(z["m"])) if int(z["m"][j]) == m]
                out[m] = (torch.tensor(np.stack([z[f"W_{j}"] for j in idx])), torch.tensor(z["b"][idx]))
        return out
    specs = [ModelSpec(m, g, alpha=alpha) for m in PAPER_WIDTHS for g in PAPER_GAMMAS]
    res = train_models(specs, N, Protocol("warm", batch=128, steps=1500, eval_samples=2048), progress=False)
    for m in PAPER_WIDTHS:
        rs = [r for r in res if r.spec.m == m]
        out[m] = (torch.tensor(np.stack([r.W for r in rs])), torch.tensor(np.stack([r.b for r in rs])))
    return out


def child_memory(part: str, batch: int) -> tuple[float, float]:
    """Peak resident memory (MiB) of a child process doing a few steps of `part`, and its growth over
    the process before those steps."""
    code = f"""
import resource, torch, sys
sys.path.insert(0, {str(HERE)!r})
import bench_engine as be
torch.set_num_threads(1)
st = be.init_state(False, 1.0)
p = be.power_law_frequencies(be.N, 1.0, 1.0)
g = torch.Generator().manual_seed(0)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if {part!r} == 'plain':
    for m, (W, b) in st.items():
        be.plain_steps(W[0], b[0], 0.1, p, {batch}, 2, g)
else:
    be.engine_steps(st, torch.tensor(p, dtype=torch.float32), {batch}, 2, g, {part!r})
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak, extra = out.stdout.strip().splitlines()[-1].split()
    return float(peak), float(extra)


def timing(args):
    p = power_law_frequencies(N, args.alpha, 1.0)
    p_t = torch.tensor(p, dtype=torch.float32)
    rows = []
    for trained in (False, True):
        st = init_state(trained, args.alpha)
        wall = {"plain": [], "torch": [], "fused": []}
        cpu = {"plain": [], "torch": [], "fused": []}
        fracs = {}
        g = torch.Generator().manual_seed(1)
        engine_steps(st, p_t, args.batch, 1, g, "fused")  # compile the kernel outside the timing
        for _ in range(args.rounds):
            tot = totc = 0.0
            for W, b in st.values():  # one γ per width: the plain loop's cost does not depend on γ
                dt, dc = plain_steps(W[5], b[5], PAPER_GAMMAS[5], p, args.batch, args.steps, g)
                tot, totc = tot + dt, totc + dc
            wall["plain"].append(1000 * tot / (len(st) * args.steps))
            cpu["plain"].append(1000 * totc / (len(st) * args.steps))
            for mode in ("torch", "fused"):
                dt, dc, fracs[mode] = engine_steps(st, p_t, args.batch, args.steps, g, mode)
                wall[mode].append(1000 * dt / (60 * args.steps))
                cpu[mode].append(1000 * dc / (60 * args.steps))
        med = {k: statistics.median(v) for k, v in cpu.items()}
        medw = {k: statistics.median(v) for k, v in wall.items()}
        name = "trained" if trained else "fresh init"
        rows.append((name, med, medw, fracs))
        print(
            f"  {name:10s} CPU ms/model-step: plain {med['plain']:7.2f} | torch engine {med['torch']:6.2f} "
            f"({med['plain'] / med['torch']:4.1f}x) | fused engine {med['fused']:6.2f} "
            f"({med['plain'] / med['fused']:4.1f}x)\n"
            f"             wall ms/model-step: plain {medw['plain']:7.2f} | torch {medw['torch']:6.2f} "
            f"({medw['plain'] / medw['torch']:4.1f}x) | fused {medw['fused']:6.2f} "
            f"({medw['plain'] / medw['fused']:4.1f}x)\n"
            f"             rounds CPU plain {[round(x, 1) for x in cpu['plain']]} torch "
            f"{[round(x, 2) for x in cpu['torch']]} fused {[round(x, 2) for x in cpu['fused']]}\n"
            f"             non-zero fraction of dL/dz per width {[round(f, 4) for f in fracs['fused']]}",
            flush=True,
        )
    return rows


def fidelity(args):
    """Engine vs plain loop at the same (cheap) protocol, several seeds; differences vs their error."""
    pr = Protocol("fidelity", batch=128, steps=args.fidelity_steps, eval_samples=51200)
    cfgs = [(10, -0.5556), (10, 0.5556), (25, -0.5556), (25, 0.5556)]
    print(
        f"\nFidelity: protocol batch {pr.batch}, {pr.steps} steps (same schedule shape), α = {args.alpha}, "
        f"{args.seeds} seeds each; eval on {pr.eval_samples} fresh samples"
    )
    print("   m     γ   | engine mean ± se (seeds)     | plain mean ± se (seeds)      | diff / combined se")
    out = []
    for m, gam in cfgs:
        e_l, p_l = [], []
        for s in range(args.seeds):
            sp = ModelSpec(m, gam, alpha=args.alpha, seed=s)
            e_l.append(train_models([sp], N, pr, progress=False)[0].final_loss)
            p_l.append(train_plain(sp, N, pr, seed=1000 + s).final_loss)
        em, es = np.mean(e_l), np.std(e_l, ddof=1) / math.sqrt(len(e_l))
        pm, ps = np.mean(p_l), np.std(p_l, ddof=1) / math.sqrt(len(p_l))
        z = (em - pm) / math.sqrt(es**2 + ps**2)
        out.append((m, gam, em, es, pm, ps, z))
        print(
            f" {m:4d} {gam:6.3f} | {em:.4f} ± {es:.4f} {np.round(e_l, 4)} | {pm:.4f} ± {ps:.4f} "
            f"{np.round(p_l, 4)} | {z:+.2f}",
            flush=True,
        )
    return out


def convergence_table():
    ref, rows = {}, []
    for f in sorted((HERE / "results").glob("conv_*.jsonl")):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            for mm in rec["models"]:
                key = (mm["m"], round(mm["gamma"], 3), mm.get("alpha", 1.0))
                if (rec["batch"], rec["steps"]) == (2048, 20000):
                    ref[key] = (mm["loss"], mm["se"])
                rows.append(((rec["batch"], rec["steps"]), key, mm["loss"], mm["se"], rec["seconds"]))
    if not rows:
        print("\n(no convergence results yet: run benchmarks/convergence.py)")
        return
    print("\nConvergence: final loss (n × MSE, eval on 204 800 samples) by protocol (batch × steps)")
    protos = sorted({r[0] for r in rows}, key=lambda x: (x[0] * x[1], x[0]))
    keys = sorted({r[1] for r in rows})
    print("  batch x steps  " + "".join(f"| m={k[0]:<3d} γ={k[1]:+.2f} " for k in keys) + "| seconds")
    for pr in protos:
        cells, secs = [], 0
        for k in keys:
            v = [r for r in rows if r[0] == pr and r[1] == k]
            if not v:
                cells.append(" " * 17)
                continue
            loss = v[-1][2]
            secs = v[-1][4]
            rel = f"{100 * (loss / ref[k][0] - 1):+5.1f}%" if k in ref else "      "
            cells.append(f"{loss:.4f} {rel}  ")
        print(f"  {pr[0]:5d} x {pr[1]:5d}  | " + "| ".join(cells) + f"| {secs:.0f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--fidelity-steps", type=int, default=1500)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: timing,memory,fidelity")
    args = ap.parse_args()
    torch.set_num_threads(1)
    skip = set(args.skip.split(","))
    print(
        f"torch {torch.__version__}, 1 thread, n = {N}, widths {list(PAPER_WIDTHS)}, 10 γ, α = {args.alpha}, "
        f"batch {args.batch}; {time.strftime('%Y-%m-%d %H:%M:%S')}"
    )
    if "timing" not in skip:
        print(
            "\nTime per model-step (median of rounds; plain = one model at a time, dense sampling, autograd):"
        )
        timing(args)
    if "memory" not in skip:
        mem = {part: child_memory(part, args.batch) for part in ("plain", "torch", "fused")}
        print(
            "\nPeak resident memory of a child process (total, and growth over the process after it has "
            "made the 60 models' weights):\n  "
            + " | ".join(f"{k}: {v[0]:.0f} MiB (+{v[1]:.0f} MiB)" for k, v in mem.items())
        )
    if "fidelity" not in skip:
        fidelity(args)
    convergence_table()


if __name__ == "__main__":
    main()
