"""Workbook 6, real language models (chapter 6): the checks of ``book/workbook/wb6_llms.ipynb``.

Exercises: 6.1 mean squared overlap as stored and centred (:func:`check_overlaps`); 6.2 row norm against token
frequency, a Spearman ρ from binned data (:func:`check_binned_spearman`); 6.3 the token frequency exponent with its
standard error (:func:`check_token_alpha`); 6.4 the Chinchilla shapes, N ∝ m^k and α_m = k α_N
(:func:`check_size_exponent`). Data come from the shipped ``llm-packaged`` and ``chinchilla-models`` data sets.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from .. import catalog, llm
from ..fit import fit_power_law
from . import ExerciseError, exercise, expect

MODELS = ("minilm-l6", "smollm2-135m", "gemma3-270m")


# ------------------------------------------------------------------------------------------- data


def planted_matrix(n: int = 400, m: int = 32, strength: float = 3.0, seed: int = 0) -> np.ndarray:
    """A small n × m "token matrix" with a planted common direction (exercise 6.1, chapter 6).

    Gaussian rows plus ``strength`` times one fixed unit vector u, each row then scaled by its own random
    factor (so row norms differ, as in a trained model). ``strength=0`` gives plain random rows.
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(m)
    u /= np.linalg.norm(u)
    W = rng.standard_normal((n, m)) + strength * u
    return W * np.exp(0.5 * rng.standard_normal((n, 1)))


def _packaged() -> tuple[pd.DataFrame, pd.DataFrame]:
    from ..chapters.ch6_llms import load_packaged

    return load_packaged()


def norm_frequency_tables() -> dict[str, pd.DataFrame]:
    """Per model, the shipped norm-by-frequency table (exercise 6.2, chapter 6): columns ``x`` (bin centre,
    log10 token frequency), ``y`` (median row norm of the bin's tokens) and ``count`` (tokens in the bin)."""
    _, curves = _packaged()
    out = {}
    for model in MODELS:
        t = curves[(curves["model"] == model) & (curves["series"] == "norm_by_frequency")]
        t = t[t["variant"] == "as stored"].sort_values("x")
        out[model] = pd.DataFrame(
            {"x": t["x"].to_numpy(float), "y": t["y"].to_numpy(float), "count": t["count"].to_numpy(int)}
        )
    return out


def rank_frequency_curves() -> dict[str, pd.DataFrame]:
    """Per model, the shipped token rank-frequency curve (exercise 6.3, chapter 6): columns ``rank`` (about 200
    ranks spaced evenly in log(rank)) and ``freq`` (the token frequency at that rank)."""
    _, curves = _packaged()
    out = {}
    for model in MODELS:
        t = curves[(curves["model"] == model) & (curves["series"] == "rank_frequency")]
        t = t[t["variant"] == "as stored"].sort_values("x")
        out[model] = pd.DataFrame({"rank": t["x"].to_numpy(int), "freq": t["y"].to_numpy(float)})
    return out


def shipped_statistics() -> pd.DataFrame:
    """The chapter's measured numbers of the three models as stored, one row per model (chapter 6, Table 6.3)."""
    s, _ = _packaged()
    s = s[s["variant"] == "as stored"].set_index("model").loc[list(MODELS)]
    cols = ["m", "n", "mean_sq_overlap", "mean_sq_overlap_centred", "common_share", "norm_freq_spearman"]
    return s[cols + ["token_alpha", "token_alpha_se"]]


# ---------------------------------------------------------------------------------------- helpers


def _number(value, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} should be one number, got {type(value).__name__}: {value!r}") from None
    expect(math.isfinite(v), f"{what} is {v}, not a finite number")
    return v


def _pair(value, what: str) -> tuple[float, float]:
    expect(
        isinstance(value, (tuple, list)) and len(value) == 2,
        f"{what} should return two numbers (value, standard error), got {value!r}",
    )
    return _number(value[0], what), _number(value[1], f"the standard error from {what}")


def _close(a: float, b: float, rtol: float = 1e-3, atol: float = 1e-12) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def _offdiag_mean_sq(U: np.ndarray) -> float:
    """Mean of (u_i·u_j)² over i ≠ j, any rows (not normalised here)."""
    G = U @ U.T
    n = U.shape[0]
    return float(((G**2).sum() - (np.diag(G) ** 2).sum()) / (n * (n - 1)))


def _unit(W: np.ndarray) -> np.ndarray:
    return W / np.linalg.norm(W, axis=1, keepdims=True)


# ---------------------------------------------------------------------------- exercise 6.1


@exercise("mean squared overlap, as stored and centred")
def check_overlaps(
    mean_sq_overlap: Callable[[np.ndarray], float], centred_mean_sq_overlap: Callable[[np.ndarray], float]
) -> str:
    """Exercise 6.1 (chapter 6): both functions against :func:`superscale.llm.overlap.mean_squared_overlap` on a random
    and a planted matrix, with messages for the usual slips (diagonal included, no normalisation, no centring,
    normalising before centring, the wrong axis)."""
    cases = {"a random matrix": planted_matrix(300, 24, 0.0, seed=1), "a planted matrix": planted_matrix()}
    for label, W in cases.items():
        n = W.shape[0]
        ref = llm.mean_squared_overlap(W.copy()).mean_sq
        got = _number(mean_sq_overlap(W.copy()), "mean_sq_overlap(W)")
        if not _close(got, ref):
            expect(
                not _close(got, (ref * n * (n - 1) + n) / n**2),
                f"on {label} your mean includes the pairs i = j (each overlap of a row with itself is 1): "
                "average over the n(n−1) pairs i ≠ j only",
            )
            expect(
                not _close(got, _offdiag_mean_sq(W)),
                f"on {label} you averaged squared dot products of the rows as they are; the overlap is between "
                "directions: divide each row by its norm first",
            )
            raise ExerciseError(f"on {label} your mean squared overlap is {got:.6g}; expected {ref:.6g}")
        ref_c = llm.mean_squared_overlap(W - W.mean(axis=0)).mean_sq
        got_c = _number(centred_mean_sq_overlap(W.copy()), "centred_mean_sq_overlap(W)")
        if not _close(got_c, ref_c):
            expect(
                not _close(got_c, ref),
                f"on {label} your centred value equals the value as stored ({got_c:.6g}): subtract the mean "
                "row W.mean(axis=0) from every row before measuring",
            )
            U = _unit(W)
            expect(
                not _close(got_c, _offdiag_mean_sq(_unit(U - U.mean(axis=0)))),
                f"on {label} you normalised the rows before removing the mean row ({got_c:.6g}); the chapter "
                "subtracts the mean of the rows as stored, then normalises each centred row "
                f"(expected {ref_c:.6g})",
            )
            expect(
                not _close(got_c, _offdiag_mean_sq(_unit(W - W.mean(axis=1, keepdims=True)))),
                f"on {label} you subtracted each row's own mean (axis=1); the common direction is the mean "
                "row, W.mean(axis=0)",
            )
            raise ExerciseError(
                f"on {label} your centred mean squared overlap is {got_c:.6g}; expected {ref_c:.6g}"
            )
    return "both match superscale.llm.mean_squared_overlap on a random and a planted matrix"


# ---------------------------------------------------------------------------- exercise 6.2


def _weighted(t: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(t["count"], dtype=int)
    return np.repeat(np.asarray(t["x"], float), c), np.repeat(np.asarray(t["y"], float), c)


def reference_binned_spearman(table: pd.DataFrame) -> float:
    """Spearman ρ of (x, y) with each bin counted ``count`` times (exercise 6.2, chapter 6)."""
    return float(stats.spearmanr(*_weighted(table)).statistic)


def _synthetic_bins() -> pd.DataFrame:
    x = np.linspace(-8.0, -2.0, 12)
    y = np.exp(1.5 * (x + 8.0)) / 50 + 0.5
    y[2], y[9] = y[9] + 1.0, y[2]  # two bins out of order, so ρ < 1
    count = np.array([5, 40, 300, 900, 1500, 1200, 800, 400, 150, 3, 20, 8])
    return pd.DataFrame({"x": x, "y": y, "count": count})


@exercise("Spearman ρ of row norm against token frequency")
def check_binned_spearman(binned_spearman: Callable[[pd.DataFrame], float]) -> str:
    """Exercise 6.2 (chapter 6): the count-weighted Spearman ρ of a binned table, on a synthetic table and the
    three shipped ones, with messages for Pearson instead of Spearman, ignoring the counts, and the sign."""
    cases = {"a synthetic table": _synthetic_bins()}
    cases.update({f"the {k} table": t for k, t in norm_frequency_tables().items()})
    for label, t in cases.items():
        ref = reference_binned_spearman(t)
        got = _number(binned_spearman(t.copy()), "binned_spearman(table)")
        if _close(got, ref, rtol=1e-6, atol=1e-9):
            continue
        x, y = _weighted(t)
        expect(
            not _close(got, float(np.corrcoef(x, y)[0, 1]), 1e-6)
            and not _close(got, float(np.corrcoef(t["x"], t["y"])[0, 1]), 1e-6),
            f"on {label} you computed Pearson's r ({got:.4f}), which measures a straight-line relation; "
            "Spearman's ρ correlates the ranks (scipy.stats.spearmanr)",
        )
        expect(
            not _close(got, float(stats.spearmanr(t["x"], t["y"]).statistic), 1e-6),
            f"on {label} you gave every bin the same weight ({got:.4f}); a bin stands for `count` tokens, "
            "so repeat each (x, y) count times (np.repeat)",
        )
        expect(
            not _close(got, -ref, 1e-6),
            f"on {label} your ρ has the wrong sign ({got:.4f}): x is log10 of the frequency, so frequent "
            "tokens have large x; correlate the norm with x itself, not with a rank where 1 is the most frequent",
        )
        raise ExerciseError(f"on {label} your ρ is {got:.4f}; expected {ref:.4f}")
    return "matches the count-weighted Spearman ρ on a synthetic table and the three models' tables"


# ---------------------------------------------------------------------------- exercise 6.3


def _synthetic_curve() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rank = np.unique(np.round(np.logspace(0, 4.5, 120)).astype(int))
    freq = 0.08 * rank**-1.3 * np.exp(0.1 * rng.standard_normal(rank.size))
    return pd.DataFrame({"rank": rank, "freq": freq})


@exercise("token frequency exponent with its standard error")
def check_token_alpha(token_alpha: Callable[[pd.DataFrame], tuple[float, float]]) -> str:
    """Exercise 6.3 (chapter 6): (α, standard error) against :func:`superscale.fit.fit_power_law` on a synthetic
    curve and the three shipped ones, with messages for the slope's sign, fitting without logs, fitting the
    stored points as ranks 1, 2, 3, ..., and a wrong standard error."""
    cases = {"a synthetic curve (α = 1.3)": _synthetic_curve()}
    cases.update({f"the {k} curve": c for k, c in rank_frequency_curves().items()})
    for label, c in cases.items():
        ref = fit_power_law(c["rank"], c["freq"])
        a, se = _pair(token_alpha(c.copy()), "token_alpha(curve)")
        if not _close(a, ref.exponent):
            expect(
                not _close(a, -ref.exponent),
                f"on {label} your α is {a:.4f}: f ∝ r^−α, so α is minus the slope of log f against log r",
            )
            lin = np.polyfit(c["rank"].to_numpy(float), c["freq"].to_numpy(float), 1)[0]
            semi = np.polyfit(c["rank"].to_numpy(float), np.log(c["freq"].to_numpy(float)), 1)[0]
            expect(
                not any(_close(abs(a), abs(v)) for v in (lin, semi)),
                f"on {label} your α is {a:.4g}: a power law is a straight line only on log-log axes; fit "
                "log(freq) against log(rank), not the raw ranks",
            )
            pos = fit_power_law(np.arange(1, len(c) + 1), c["freq"]).exponent
            expect(
                not _close(a, pos, 1e-2),
                f"on {label} your α is {a:.4f}: you fitted the stored points as ranks 1, 2, 3, …; the curve keeps "
                "about 200 ranks spaced evenly in log(rank), so use the `rank` column (fit_rank_frequency(freq) "
                "re-ranks the points and makes this mistake)",
            )
            raise ExerciseError(f"on {label} your α is {a:.4f}; expected {ref.exponent:.4f}")
        expect(
            _close(se, ref.exponent_se, 1e-2),
            f"on {label} α is right but its standard error is {se:.4g}; expected {ref.exponent_se:.4g}: the "
            "standard error of an OLS slope is sqrt(s² / Σ(ln r − mean ln r)²), s² the residual variance over n − 2",
        )
    return "α and its standard error match superscale.fit.fit_power_law on a synthetic curve and the three models"


# ---------------------------------------------------------------------------- exercise 6.4


def chinchilla_shapes() -> pd.DataFrame:
    """The 50 Chinchilla models (exercise 6.4, chapter 6): ``width`` (d_model) and ``n_params`` (parameters)."""
    chin = catalog.load("chinchilla-models")
    return pd.DataFrame({"width": chin["d_model"].to_numpy(float), "n_params": chin["params_million"] * 1e6})


def _synthetic_shapes() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    width = np.repeat([256.0, 512, 768, 1024, 1536, 2048, 3072, 4096], 2)
    return pd.DataFrame(
        {"width": width, "n_params": 40 * width**2.7 * np.exp(0.15 * rng.standard_normal(width.size))}
    )


@exercise("Chinchilla: N ∝ m^k and α_m = k α_N")
def check_size_exponent(
    size_exponent: Callable[[np.ndarray, np.ndarray], tuple[float, float]],
    width_exponent: Callable[[float, float, float, float], tuple[float, float]],
) -> str:
    """Exercise 6.4 (chapter 6): (k, se) against :func:`superscale.llm.fits.fit_size_vs_width` on synthetic shapes and
    the Chinchilla table, and (α_m, se) against :func:`superscale.llm.fits.width_exponent` (errors in quadrature), with
    messages for swapped axes, no logs, a wrong error, α_N / k and the linear error sum."""
    cases = {"synthetic shapes (k = 2.7)": _synthetic_shapes(), "the Chinchilla table": chinchilla_shapes()}
    for label, d in cases.items():
        m, N = d["width"].to_numpy(float), d["n_params"].to_numpy(float)
        ref = llm.fit_size_vs_width(m, N)
        k, se = _pair(size_exponent(m.copy(), N.copy()), "size_exponent(width, n_params)")
        if not _close(k, ref.k):
            swapped = stats.linregress(np.log(N), np.log(m)).slope
            expect(
                not (_close(k, swapped) or _close(k, 1 / swapped)),
                f"on {label} your k is {k:.4f}: you regressed ln m on ln N; k is the slope of ln N against ln m",
            )
            expect(
                not _close(k, stats.linregress(m, N).slope),
                f"on {label} your k is {k:.4g}: N ∝ m^k is a straight line only on log-log axes; fit ln N against ln m",
            )
            raise ExerciseError(f"on {label} your k is {k:.4f}; expected {ref.k:.4f}")
        expect(
            _close(se, ref.k_se, 1e-2),
            f"on {label} k is right but its standard error is {se:.4g}; expected {ref.k_se:.4g} (the OLS "
            "standard error of the slope)",
        )
    a_n, a_n_se = 0.35, 0.02
    for kk, kse in ((2.52, 0.03), (2.0, 0.2)):
        ref = llm.width_exponent(kk, kse, a_n, a_n_se)
        a, ase = _pair(width_exponent(kk, kse, a_n, a_n_se), "width_exponent(k, k_se, alpha_n, alpha_n_se)")
        expect(
            not _close(a, a_n / kk),
            f"for k = {kk} your α_m is α_N / k = {a:.4f}: L ∝ N^−α_N and N ∝ m^k give L ∝ m^−k α_N",
        )
        expect(_close(a, ref.value), f"for k = {kk} your α_m is {a:.4f}; expected k α_N = {ref.value:.4f}")
        expect(
            not (_close(ase, ref.se_linear) and not _close(ase, ref.se)),
            f"for k = {kk} your error {ase:.4f} adds the relative errors (the paper's ± 0.06 convention); "
            f"add them in quadrature, as for independent errors: expected {ref.se:.4f}",
        )
        expect(
            _close(ase, ref.se),
            f"for k = {kk} your error on α_m is {ase:.4f}; expected {ref.se:.4f}: relative errors of a product "
            "add in quadrature, σ/α_m = sqrt((σ_k/k)² + (σ_N/α_N)²)",
        )
    return "k and α_m with their errors match superscale.llm on synthetic shapes and the Chinchilla table"
