"""Feature frequencies and the toy model's data (chapter 1; used by the training engine).

Features are ranked by frequency, i = 1 is the most frequent. Feature i is active with
probability p_i and then takes a value v ~ U(0, 2):  x_i = u_i v_i,  u_i ~ Bernoulli(p_i).
The expected number of active features per sample is E = Σ_i p_i (the activation density).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

#: Moments of the feature value v ~ U(0, 2).
V_MEAN = 1.0
V2_MEAN = 4.0 / 3.0

Kind = Literal["power", "exponential", "linear"]
KINDS: tuple[str, ...] = ("power", "exponential", "linear")


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (number of features) must be an integer >= 1, got {n!r}")
    return int(n)


def _normalise(weights: np.ndarray, E: float, what: str) -> np.ndarray:
    if not (isinstance(E, (int, float, np.floating, np.integer)) and math.isfinite(E) and E > 0):
        raise ValueError(f"E (expected number of active features) must be a finite number > 0, got {E!r}")
    e_max = float(weights.sum() / weights.max())
    if E > e_max * (1 + 1e-12):
        raise ValueError(
            f"E = {E} is too large for {what}: the most frequent feature would have p_1 > 1; "
            f"allowed range is 0 < E <= {e_max:.6g}"
        )
    p = weights * (E / weights.sum())
    return np.minimum(p, 1.0)


def power_law_frequencies(n: int, alpha: float, E: float = 1.0) -> np.ndarray:
    """p_i ∝ i^(-alpha), i = 1..n, scaled so that Σ p_i = E (chapter 1; the paper's Eq. 1).

    alpha = 0 gives equal frequencies; alpha = 1 is Zipf's law. Raises ``ValueError`` for
    alpha < 0, n < 1, E <= 0, or E > Σ i^(-alpha) (which would need p_1 > 1).
    """
    n = _check_n(n)
    if not (isinstance(alpha, (int, float, np.floating, np.integer)) and math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha (frequency exponent) must be a finite number >= 0, got {alpha!r}")
    w = np.arange(1, n + 1, dtype=float) ** (-float(alpha))
    return _normalise(w, E, f"a power law with alpha = {alpha}, n = {n}")


def exponential_frequencies(n: int, scale: float = 400.0, E: float = 1.0) -> np.ndarray:
    """p_i ∝ exp(-(i - 1)/scale), i = 1..n, with Σ p_i = E (chapter 4, the paper's large model)."""
    n = _check_n(n)
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
    w = np.exp(-np.arange(n, dtype=float) / float(scale))
    return _normalise(w, E, f"an exponential with scale = {scale}, n = {n}")


def linear_frequencies(n: int, E: float = 1.0) -> np.ndarray:
    """p_i ∝ n - i + 1, i = 1..n, with Σ p_i = E (chapter 4, the paper's large model)."""
    n = _check_n(n)
    w = np.arange(n, 0, -1, dtype=float)
    return _normalise(w, E, f"a linear law with n = {n}")


def feature_frequencies(
    kind: str, n: int, E: float = 1.0, alpha: float = 1.0, scale: float = 400.0
) -> np.ndarray:
    """Dispatch on ``kind`` in {"power", "exponential", "linear"} (chapters 1 and 4, the sweeps)."""
    if kind == "power":
        return power_law_frequencies(n, alpha, E)
    if kind == "exponential":
        return exponential_frequencies(n, scale, E)
    if kind == "linear":
        return linear_frequencies(n, E)
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def max_density(n: int, alpha: float) -> float:
    """Largest allowed E for a power law: Σ_{i<=n} i^(-alpha), reached when p_1 = 1 (chapters 1, 4)."""
    n = _check_n(n)
    return float(np.sum(np.arange(1, n + 1, dtype=float) ** (-float(alpha))))


def paper_density_grid(n: int = 1000, steps: int = 9) -> np.ndarray:
    """The paper's activation densities at alpha = 1: E = 1 + s (H_n - 1), s = linspace(0, 1, steps) (chapter 4)."""
    return 1.0 + np.linspace(0.0, 1.0, steps) * (max_density(n, 1.0) - 1.0)


def sample_features(p, batch_size: int, generator=None, device=None, dtype=None):
    """Draw a batch x of shape (batch_size, n): x_i = u_i v_i, u_i ~ Bernoulli(p_i), v_i ~ U(0, 2).

    A dense PyTorch sampler, as the paper's code does it (chapters 1 and 2). ``p`` is a 1-D array
    of probabilities in [0, 1]. The training engine draws the same distribution sparsely.
    """
    import torch

    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    dtype = dtype or torch.float32
    p_t = torch.as_tensor(np.asarray(p, dtype=float), dtype=dtype, device=device)
    if p_t.ndim != 1 or p_t.numel() == 0:
        raise ValueError(f"p must be a non-empty 1-D array, got shape {tuple(p_t.shape)}")
    if bool((p_t < 0).any()) or bool((p_t > 1).any()):
        raise ValueError("p must hold probabilities in [0, 1]")
    n = p_t.numel()
    u = torch.rand(batch_size, n, generator=generator, device=device, dtype=dtype)
    v = torch.rand(batch_size, n, generator=generator, device=device, dtype=dtype)
    return (u < p_t).to(dtype) * (2.0 * v)


def word_frequency_table(lang: str = "en", wordlist: str = "large"):
    """Every word of one language's ``wordfreq`` table with its frequency, most frequent first, as a
    pandas Series indexed by word (chapters 1 and 6).

    Real usage data shipped inside the ``wordfreq`` package (Speer 2022: Wikipedia, subtitles, news,
    books, web text, ...), so no download is needed. Its values are rounded to steps of 0.01 in log10,
    and words rarer than about 1e-8 are left out.
    """
    import pandas as pd

    try:
        import wordfreq
    except ImportError as e:
        raise ImportError("the word tables need the 'wordfreq' package: pip install wordfreq") from e
    langs = wordfreq.available_languages(wordlist)
    if lang not in langs:
        raise ValueError(f"lang must be one of {sorted(langs)} for wordlist {wordlist!r}, got {lang!r}")
    s = pd.Series(wordfreq.get_frequency_dict(lang, wordlist), dtype=float)
    return s[s > 0].sort_values(ascending=False, kind="stable")


def word_frequencies(lang: str = "en", n_words: int | None = 20000, wordlist: str = "best") -> np.ndarray:
    """Frequencies of the ``n_words`` most common words of a language, in decreasing order (chapters 1 and 6).

    ``n_words=None`` gives the whole table of ``wordlist`` (:func:`word_frequency_table`); otherwise the
    top words of wordfreq's ``top_n_list``. Install wordfreq with ``pip install wordfreq``.
    """
    if n_words is None:
        return word_frequency_table(lang, wordlist).to_numpy()
    try:
        import wordfreq
    except ImportError as e:
        raise ImportError("word_frequencies needs the 'wordfreq' package: pip install wordfreq") from e
    if isinstance(n_words, bool) or not isinstance(n_words, (int, np.integer)) or n_words < 10:
        raise ValueError(f"n_words must be an integer >= 10, got {n_words!r}")
    if lang not in wordfreq.available_languages(wordlist=wordlist):
        raise ValueError(
            f"lang must be one of {sorted(wordfreq.available_languages(wordlist=wordlist))}, got {lang!r}"
        )
    words = wordfreq.top_n_list(lang, n_words, wordlist=wordlist)
    f = np.array([wordfreq.word_frequency(w, lang, wordlist=wordlist) for w in words])
    return np.sort(f)[::-1]


# ------------------------------------------------------------------------------------------
# Batches for the training engine (sparse, on the device of the frequencies)
# ------------------------------------------------------------------------------------------


@dataclass
class SparseBatch:
    """A batch of B samples stored sparsely (the engine).

    Only the ``n_rows`` samples with at least one active feature are kept; ``rows`` (local row of
    each active entry, sorted), ``cols`` (feature index) and ``vals`` (value in (0, 2)) list the
    active entries; ``n_empty`` = B − n_rows samples are all-zero.
    """

    rows: object
    cols: object
    vals: object
    n_rows: int
    n_empty: int
    batch: int
    n: int

    def dense(self):
        """The batch as a dense (B, n) tensor, empty samples last (for tests)."""
        import torch

        x = torch.zeros(self.batch, self.n, dtype=self.vals.dtype, device=self.vals.device)
        x[self.rows, self.cols] = self.vals
        return x


def _batch(r, c, vals, batch: int, n: int) -> SparseBatch:
    """A :class:`SparseBatch` from the active entries (row, feature, value) sorted by row."""
    import torch

    if r.numel():
        uniq, rl = torch.unique_consecutive(r, return_inverse=True)
        n_rows = int(uniq.numel())
    else:
        rl, n_rows = r, 0
    return SparseBatch(rl, c, vals, n_rows, batch - n_rows, batch, n)


def sample_sparse(p_t, batch: int, generator=None) -> SparseBatch:
    """Draw a batch with x_i = u_i v_i, u_i ~ Bernoulli(p_i), v_i ~ U(0, 2), stored sparsely (engine).

    Same distribution as :func:`superscale.data.sample_features` (chapter 1); ``p_t`` is a float32
    tensor of shape (n,).
    """
    import torch

    n = p_t.numel()
    u = torch.rand(batch, n, generator=generator, device=p_t.device, dtype=p_t.dtype)
    r, c = (u < p_t).nonzero(as_tuple=True)
    vals = 2.0 * torch.rand(r.numel(), generator=generator, device=p_t.device, dtype=p_t.dtype)
    return _batch(r, c, vals, batch, n)


def sample_sparse_counts(p_t, batch: int, generator=None) -> SparseBatch:
    """The batch of :func:`sample_sparse` (same distribution), drawn feature by feature (engine).

    For each feature i the number of samples holding it is Binomial(batch, p_i); which samples hold it
    is a uniform subset of that size (rows drawn uniformly, repeated rows of one feature drawn again
    until all differ: a procedure symmetric in the rows, hence uniform over subsets). The cost grows with
    n + batch·E instead of batch·n, which matters for the large model (n = 10240).
    """
    import torch

    n = p_t.numel()
    dev = p_t.device
    counts = torch.binomial(
        torch.full((n,), float(batch), device=dev), p_t.to(torch.float32), generator=generator
    )
    counts = counts.to(torch.int64)
    c = torch.repeat_interleave(torch.arange(n, device=dev), counts)
    r = torch.randint(batch, (c.numel(),), generator=generator, device=dev)
    while c.numel():
        key = c * batch + r
        order = torch.argsort(key, stable=True)
        ks = key[order]
        dup = torch.zeros_like(ks, dtype=torch.bool)
        dup[1:] = ks[1:] == ks[:-1]
        if not bool(dup.any()):
            break
        idx = order[dup]
        r[idx] = torch.randint(batch, (idx.numel(),), generator=generator, device=dev)
    order = torch.argsort(r * n + c)
    r, c = r[order], c[order]
    vals = 2.0 * torch.rand(r.numel(), generator=generator, device=dev, dtype=p_t.dtype)
    return _batch(r, c, vals, batch, n)


SAMPLERS = {"dense": sample_sparse, "counts": sample_sparse_counts}
