"""Rank-frequency curves and their exponents, as the paper measured them for tokens (chapter 6).

The paper counts 10⁶ tokens per (tokenizer, data set), sorts the counts, keeps 1000 ranks evenly
spaced in log10(rank) and fits a straight line in log-log: frequency ∝ rank^-α.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..fit import PowerLawFit, fit_power_law


def rank_frequency(counts: ArrayLike | dict) -> np.ndarray:
    """Counts (or frequencies) sorted in decreasing order, zeros dropped: index 0 is rank 1 (chapter 6)."""
    if isinstance(counts, dict):
        counts = list(counts.values())
    c = np.asarray(counts, dtype=float).ravel()
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError("counts must be finite numbers >= 0")
    c = np.sort(c[c > 0])[::-1]
    if c.size < 3:
        raise ValueError(f"need at least 3 nonzero counts, got {c.size}")
    return c


def log_spaced_ranks(n_ranks: int, n_points: int = 1000, min_rank: int = 1) -> np.ndarray:
    """About ``n_points`` distinct integer ranks evenly spaced in log10(rank) from min_rank to n_ranks (chapter 6)."""
    if n_ranks < 3 or not 1 <= min_rank < n_ranks:
        raise ValueError(f"need n_ranks >= 3 and 1 <= min_rank < n_ranks, got {n_ranks}, {min_rank}")
    if n_points < 3:
        raise ValueError(f"n_points must be >= 3, got {n_points}")
    r = np.unique(np.round(np.logspace(np.log10(min_rank), np.log10(n_ranks), n_points)).astype(np.int64))
    return r


def fit_zipf(
    counts: ArrayLike | dict, n_points: int = 1000, min_rank: int = 1, max_rank: int | None = None
) -> PowerLawFit:
    """Fit frequency ∝ rank^-α on log-spaced ranks, the paper's recipe (chapter 6). Returns a PowerLawFit.

    ``counts``: raw counts or frequencies in any order (a dict's values are used). ``max_rank``
    caps the ranks used (default: all nonzero counts).
    """
    f = rank_frequency(counts)
    top = f.size if max_rank is None else min(int(max_rank), f.size)
    r = log_spaced_ranks(top, n_points, min_rank)
    return fit_power_law(r, f[r - 1])


def wordfreq_counts(lang: str = "en", wordlist: str = "large") -> np.ndarray:
    """Word frequencies of one language from the ``wordfreq`` package, rank order (chapter 6).

    wordfreq ships its tables with the package, so this works offline. Its values are rounded to
    steps of 0.01 in log10 (centibels), and words rarer than about 1e-8 are left out.
    """
    try:
        import wordfreq
    except ImportError as exc:  # pragma: no cover
        raise ImportError("wordfreq is needed: pip install 'superscale[zipf]'") from exc
    langs = wordfreq.available_languages(wordlist)
    if lang not in langs:
        raise ValueError(f"lang must be one of {sorted(langs)} for wordlist {wordlist!r}, got {lang!r}")
    return rank_frequency(wordfreq.get_frequency_dict(lang, wordlist))
