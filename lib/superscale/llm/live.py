"""Live measurements that need the Hugging Face Hub: token counts on WikiText-103 and losses of Hub checkpoints
(chapter 6's Colab cells). Needs ``transformers``, ``datasets`` and the network; nothing here runs in the book build."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..fit import fit_rank_frequency
from .registry import get_checkpoint


def live_token_frequencies(tokenizer_ids: dict[str, str], tokens: int = 1_000_000) -> pd.DataFrame:
    """Colab only: count ``tokens`` tokens of WikiText-103 with each Hub tokenizer (no special tokens) and fit
    the rank-frequency exponent with the paper's recipe. Needs ``transformers``, ``datasets`` and the network."""
    from collections import Counter

    from datasets import load_dataset
    from transformers import AutoTokenizer

    rows = []
    for name, repo in tokenizer_ids.items():
        tok = AutoTokenizer.from_pretrained(repo)
        counts, total = Counter(), 0
        for rec in load_dataset("Salesforce/wikitext", "wikitext-103-v1", split="train", streaming=True):
            ids = tok(rec["text"], add_special_tokens=False)["input_ids"]
            counts.update(ids)
            total += len(ids)
            if total >= tokens:
                break
        fz = fit_rank_frequency(np.array(list(counts.values())))
        rows.append(
            {"tokenizer": name, "tokens": total, "distinct": len(counts), "alpha": fz.exponent, "R²": fz.r2}
        )
    return pd.DataFrame(rows)


def live_losses(names: list[str], device: str = "cpu", segments: int = 50) -> pd.DataFrame:
    """Colab only: token-weighted mean loss of Hub checkpoints on ``segments`` WikiText-103 validation chunks of
    at least 700 words (truncated at 1024 tokens). Needs ``transformers``, ``datasets`` and the network."""
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    texts = [
        r["text"]
        for r in load_dataset("Salesforce/wikitext", "wikitext-103-v1", split="validation")
        if r["text"].strip()
    ]
    segs, buf = [], []
    for t in texts:  # whitespace-word chunks of >= 700 words, as the paper's loader builds them
        buf.append(t)
        if sum(len(b.split()) for b in buf) >= 700:
            segs.append("".join(buf))
            buf = []
        if len(segs) == segments:
            break
    rows = []
    for name in names:
        ck = get_checkpoint(name)
        tok = AutoTokenizer.from_pretrained(ck.repo_id)
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        model = AutoModelForCausalLM.from_pretrained(ck.repo_id, torch_dtype=dtype).to(device).eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for s in segs:
                ids = tok(s, return_tensors="pt", truncation=True, max_length=1024)["input_ids"].to(device)
                total += float(model(ids, labels=ids).loss) * (ids.shape[1] - 1)
                count += ids.shape[1] - 1
        rows.append({"model": name, "family": ck.family, "m": ck.fit_width, "loss": total / count})
        print(f"{name:12s} m = {ck.fit_width:5d}  loss = {total / count:.4f}", flush=True)
        del model
    return pd.DataFrame(rows)
