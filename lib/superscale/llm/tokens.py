"""Token frequencies through a model's own tokenizer, and row norms against them (chapter 6).

The paper counts 10⁶ tokens per (tokenizer, data set), sorts the counts and fits frequency ∝ rank^-α
on 1000 log-spaced ranks (:func:`superscale.fit.fit_rank_frequency`). Offline, this book has no corpus,
but it has word-frequency tables (:func:`superscale.data.word_frequency_table`): each word is
tokenized once, as it appears inside running text (after a space), and each of its tokens is counted
with the word's frequency as weight. That gives the token frequencies of the text the table describes,
up to the context effects a word-by-word tokenization misses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..fit import PowerLawFit, fit_rank_frequency, rank_frequency

__all__ = [
    "rank_frequency",
    "token_frequencies",
    "TokenFrequencyFit",
    "fit_token_frequencies",
    "norm_frequency",
]


def token_frequencies(
    tokenizer: Any, words, weights: ArrayLike, n_vocab: int, prefix: str = " "
) -> np.ndarray:
    """Weighted token counts over a vocabulary of ``n_vocab`` ids (chapter 6).

    Each word is encoded as ``prefix + word`` without special tokens; every token id it gives is
    counted with the word's weight. Returns frequencies summing to 1 (ids never produced get 0).
    """
    words = list(words)
    w = np.asarray(weights, dtype=float).ravel()
    if len(words) != w.size or w.size == 0:
        raise ValueError(
            f"words and weights must have the same nonzero length, got {len(words)} and {w.size}"
        )
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and >= 0")
    enc = tokenizer.encode_batch([prefix + x for x in words], add_special_tokens=False)
    lengths = np.array([len(e.ids) for e in enc])
    ids = np.fromiter((i for e in enc for i in e.ids), dtype=np.int64, count=int(lengths.sum()))
    if ids.size and ids.max() >= n_vocab:
        raise ValueError(f"the tokenizer produced id {ids.max()}, outside a vocabulary of {n_vocab} rows")
    counts = np.bincount(ids, weights=np.repeat(w, lengths), minlength=n_vocab)
    return counts / counts.sum()


@dataclass(frozen=True)
class TokenFrequencyFit:
    """Rank-frequency fit of token frequencies (chapter 6): the fit, tokens seen, vocabulary size."""

    fit: PowerLawFit
    n_seen: int
    n_vocab: int


def fit_token_frequencies(freqs: ArrayLike, points: int = 1000) -> TokenFrequencyFit:
    """The paper's recipe (1000 log-spaced ranks over every token seen) on token frequencies (chapter 6)."""
    f = np.asarray(freqs, dtype=float)
    return TokenFrequencyFit(fit_rank_frequency(f, points=points), int(np.count_nonzero(f)), int(f.size))


def norm_frequency(norms: ArrayLike, freqs: ArrayLike, bins: int = 20) -> tuple[dict, Any]:
    """Row norm against token frequency over the tokens seen (chapter 6; the paper's Fig. 19/20 analogue).

    Returns (correlations, binned table): Spearman rank correlation and Pearson correlation of log norm
    with log frequency, the number of tokens seen and the mean norm of tokens never seen; the table has,
    per bin of log10 frequency, the bin centre, token count and the median and quartiles of the norm.
    """
    import pandas as pd
    from scipy import stats

    r = np.asarray(norms, dtype=float).ravel()
    f = np.asarray(freqs, dtype=float).ravel()
    if r.shape != f.shape:
        raise ValueError(f"norms and freqs must have the same length, got {r.size} and {f.size}")
    seen = f > 0
    if seen.sum() < 3:
        raise ValueError("need at least 3 tokens with nonzero frequency")
    lf, rs = np.log10(f[seen]), r[seen]
    corr = {
        "spearman": float(stats.spearmanr(rs, lf).statistic),
        "pearson_log": float(np.corrcoef(np.log10(np.maximum(rs, 1e-30)), lf)[0, 1]),
        "n_seen": int(seen.sum()),
        "norm_mean_seen": float(rs.mean()),
        "norm_mean_unseen": float(r[~seen].mean()) if (~seen).any() else float("nan"),
    }
    edges = np.linspace(lf.min(), lf.max(), bins + 1)
    which = np.clip(np.digitize(lf, edges) - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        x = rs[which == b]
        if x.size:
            q1, q2, q3 = np.quantile(x, [0.25, 0.5, 0.75])
            rows.append(
                {
                    "log10_freq": (edges[b] + edges[b + 1]) / 2,
                    "tokens": x.size,
                    "norm_median": q2,
                    "norm_q25": q1,
                    "norm_q75": q3,
                }
            )
    return corr, pd.DataFrame(rows)
