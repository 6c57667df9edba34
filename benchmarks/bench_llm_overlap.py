"""Benchmark (chapter 6): exact mean squared overlap, Gram matrix against all pairs by blocks.

GPT-2's unembedding has shape 50257 x 768. The mean of (ŵ_i·ŵ_j)² over its 1.26e9 pairs can be
computed from the 768 x 768 Gram matrix in O(n m²), or pair by pair, block against block, in
O(n² m). Both are exact; this script times them on a random matrix of that shape and checks that
they agree to 1e-6 relative. Wall time and CPU time (all threads) are both printed: on a shared
machine the CPU time is the steadier of the two.

    python benchmarks/bench_llm_overlap.py [--n 50257] [--m 768] [--threads T]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

from superscale.llm.overlap import mean_squared_overlap, overlap_stats_blocks  # noqa: E402


def main(argv=None) -> int:
    """Run the benchmark and print times, ratio and agreement; exit 1 if they disagree (chapter 6)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50257, help="rows (tokens); default GPT-2's 50257")
    ap.add_argument("--m", type=int, default=768, help="columns (width); default GPT-2's 768")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.n < 2 or args.m < 1:
        ap.error("need --n >= 2 and --m >= 1")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    W = np.random.default_rng(args.seed).standard_normal((args.n, args.m), dtype=np.float32)
    print(
        f"random matrix {args.n} x {args.m} (float32), torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs"
    )

    mean_squared_overlap(W[:2048])  # warm-up (thread pools, allocator)
    grams = {}
    for precision in ("float32", "float64"):  # float32 products are the package default
        best = (float("inf"), float("inf"))
        for _ in range(3):  # best of 3: the machine may be shared
            t, c = time.perf_counter(), time.process_time()
            res = mean_squared_overlap(W, precision=precision)
            best = min(best, (time.perf_counter() - t, time.process_time() - c))
        grams[precision] = (res, best)
        print(
            f"Gram method, {precision} products (O(n m²)):  {res.mean_sq:.12e}   wall {best[0]:7.3f} s   "
            f"CPU {best[1]:7.3f} s (best of 3)"
        )

    t, c = time.perf_counter(), time.process_time()
    blocks = overlap_stats_blocks(W, block_rows=4096)
    t_blocks = (time.perf_counter() - t, time.process_time() - c)
    print(
        f"all pairs by blocks, float32 (O(n² m)): {blocks.mean_sq:.12e}   wall {t_blocks[0]:7.3f} s   "
        f"CPU {t_blocks[1]:7.3f} s"
    )
    gram, t_gram = grams["float32"]
    t_g64 = grams["float64"][1]
    print(
        f"speed-up of the Gram method, wall time: {t_blocks[0] / t_gram[0]:.1f}x (float32, default), "
        f"{t_blocks[0] / t_g64[0]:.1f}x (float64)"
    )
    print(
        f"speed-up of the Gram method, CPU time:  {t_blocks[1] / t_gram[1]:.1f}x (float32, default), "
        f"{t_blocks[1] / t_g64[1]:.1f}x (float64)"
    )
    rel = abs(gram.mean_sq - blocks.mean_sq) / abs(blocks.mean_sq)
    print(f"1/m = {1 / args.m:.12e}; relative difference between methods {rel:.2e}")
    rel64 = abs(grams["float64"][0].mean_sq - blocks.mean_sq) / abs(blocks.mean_sq)
    print(f"(float64 Gram against blocks: {rel64:.2e})")
    ok = rel < 1e-6 and rel64 < 1e-6
    print("agreement to 1e-6 relative:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
