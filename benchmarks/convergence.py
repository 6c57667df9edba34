"""Convergence of the final loss with steps and batch size on a checked subset (issue 3).

Trains the same models (α = 1 unless --alpha, widths and γ below) under several protocols with the
same schedule shape, and appends one JSON line per protocol to the output file. The reference is the
paper's protocol (batch 2048, 20 000 steps). Run:  python benchmarks/convergence.py --out FILE
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from superscale.training import ModelSpec, Protocol, train_models


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--widths", default="15,39")
    ap.add_argument("--gammas", default="-0.5556,0.5556")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument(
        "--protocols",
        default="512x2500,512x5000,1024x2500,256x5000,2048x5000,2048x20000",
        help="comma-separated BATCHxSTEPS",
    )
    args = ap.parse_args()
    widths = [int(x) for x in args.widths.split(",")]
    gammas = [float(x) for x in args.gammas.split(",")]
    specs = [ModelSpec(m, g, alpha=args.alpha) for m in widths for g in gammas]
    for tag in args.protocols.split(","):
        b, s = (int(v) for v in tag.split("x"))
        pr = Protocol(f"b{b}-s{s}", batch=b, steps=s)
        t0 = time.perf_counter()
        res = train_models(specs, 1000, pr, progress=False)
        dt = time.perf_counter() - t0
        rec = {
            "batch": b,
            "steps": s,
            "seconds": dt,
            "models": [
                {
                    "m": r.spec.m,
                    "gamma": r.spec.gamma,
                    "alpha": r.spec.alpha,
                    "loss": r.final_loss,
                    "se": r.final_loss_se,
                    "phi_half": float((np.linalg.norm(r.W, axis=1) > 0.5).mean()),
                }
                for r in res
            ],
        }
        with open(args.out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(
            tag,
            f"{dt:.0f}s",
            [(r.spec.m, round(r.spec.gamma, 2), round(r.final_loss, 4)) for r in res],
            flush=True,
        )


if __name__ == "__main__":
    main()
