"""Chapter 1, feature frequencies: everything behind the chapter's numbers, figures and claims.

The chapter defines the frequencies p_i ∝ i^(-α), draws data from them, computes the loss left when a
model keeps only the m most frequent features, and measures Zipf's law on real word counts.

What the chapter shows, and the function that makes it:

- the sampled moments against the exact ones (untitled table): :func:`moments_table`;
- Figure 1.1, p_i and the loss L(m) with a slider over α: :func:`frequency_slider_figure`
  (its live ipywidgets version: :func:`show_frequencies`, drawing :func:`frequency_figure`);
- Table 1.1, the exponent fitted to the ideal loss over the paper's widths: :func:`slope_table`;
- Table 1.2, the Zipf exponents of five languages: :func:`word_frequency_curves`, :func:`zipf_fits`,
  :func:`zipf_table`;
- Figure 1.2, word frequency against rank with the fitted laws: :func:`rank_frequency_figure`.

The chapter's statements about these numbers are the checks :func:`check_frequencies`,
:func:`check_moments`, :func:`check_slopes` and :func:`check_zipf`; :func:`claims` runs them all.
The word counts come from the ``wordfreq`` package (no download); the chapter uses no file of the
book's data catalog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import data, theory
from ..checks import Finding, at_least, close_to, holds, within
from ..figures import log_spaced_ranks, slider_figure
from ..fit import PowerLawFit, fit_power_law, fit_rank_frequency
from ..paper import PAPER_ALPHAS, PAPER_TOKEN_ALPHA, PAPER_WIDTHS

__all__ = [
    "N_FEATURES",
    "PAPER_ALPHAS",
    "PAPER_WIDTHS",
    "SLOPE_ALPHAS",
    "N_LARGE",
    "LANGUAGES",
    "ZIPF_WORDS",
    "ZIPF_POINTS",
    "ZIPF_MIN_RANK",
    "RANK_WINDOWS",
    "ZIPF_ERROR_BAR",
    "moments_table",
    "slope_table",
    "word_frequency_curves",
    "zipf_fits",
    "zipf_table",
    "frequency_traces",
    "frequency_figure",
    "frequency_slider_figure",
    "show_frequencies",
    "rank_frequency_figure",
    "check_frequencies",
    "check_moments",
    "check_slopes",
    "check_zipf",
    "claims",
]

#: Number of features of the paper's small model, used throughout the chapter.
N_FEATURES = 1000
#: The frequency exponents of Table 1.1.
SLOPE_ALPHAS: tuple[float, ...] = (0.0, 0.5, 1.0, 1.25, 1.5, 1.75, 2.0)
#: The much larger number of features Table 1.1 compares with (the same law, a thousand times more features).
N_LARGE = 10**6
#: The five languages of Table 1.2 and Figure 1.2: {name shown: wordfreq language code}.
LANGUAGES: dict[str, str] = {
    "English": "en",
    "German": "de",
    "French": "fr",
    "Spanish": "es",
    "Russian": "ru",
}
#: How many of each language's most common words are counted.
ZIPF_WORDS = 20_000
#: Number of log-spaced ranks the Zipf fit uses (the paper's App. C.3 recipe).
ZIPF_POINTS = 1000
#: First rank the Zipf fit uses: the first ranks hold a handful of function words off any straight line.
ZIPF_MIN_RANK = 10
#: The windows of ranks (first, last) over which Table 1.2's spread of the exponent is measured.
RANK_WINDOWS: tuple[tuple[int, int], ...] = ((10, 20_000), (1, 20_000), (10, 2_000), (100, 20_000))
#: The chapter's honest error bar on a measured Zipf exponent: the spread over rank windows, roughly ±0.1.
ZIPF_ERROR_BAR = 0.1

# the rows of the moments table: (label, feature rank or None for the count of active features, power)
_MOMENT_ROWS: tuple[tuple[str, int | None, int], ...] = (
    ("active features per sample", None, 1),
    ("<x_1>", 1, 1),
    ("<x_1^2>", 1, 2),
    ("<x_10>", 10, 1),
    ("<x_10^2>", 10, 2),
)


# --------------------------------------------------------------------------------------------
# Compute
# --------------------------------------------------------------------------------------------


def _check_batch(x, p) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x)
    p = np.asarray(p, dtype=float)
    if p.ndim != 1 or p.size < 10:
        raise ValueError(f"p must be a 1-D array of at least 10 frequencies, got shape {p.shape}")
    if x.ndim != 2 or x.shape[1] != p.size or x.shape[0] < 2:
        raise ValueError(
            f"x must be a batch of shape (samples >= 2, {p.size}) drawn from p, got shape {x.shape}"
        )
    return x, p


def _moment_samples(x: np.ndarray, p: np.ndarray) -> list[tuple[str, np.ndarray, float]]:
    """(label, per-sample values whose mean is the moment, exact value) for each row of the moments table."""
    rows = []
    for label, rank, power in _MOMENT_ROWS:
        if rank is None:
            rows.append((label, (x > 0).sum(axis=1), p.sum()))
        else:
            col = x[:, rank - 1]
            exact = p[rank - 1] if power == 1 else data.V2_MEAN * p[rank - 1]
            rows.append((label, col if power == 1 else col**2, exact))
    return rows


def moments_table(x, p) -> pd.DataFrame:
    """The sampled moments of a batch ``x`` drawn from ``p`` beside the exact ones (chapter 1).

    Rows: the number of active features per sample (exact mean E = Σ p_i), and the mean and second
    moment of features 1 and 10 (exact p_i and 4/3 p_i, since v ~ U(0, 2)). Columns ``quantity``,
    ``sampled``, ``exact``."""
    x, p = _check_batch(x, p)
    rows = _moment_samples(x, p)
    return pd.DataFrame(
        {
            "quantity": [label for label, _, _ in rows],
            "sampled": [values.mean() for _, values, _ in rows],
            "exact": [exact for _, _, exact in rows],
        }
    )


def slope_table(
    n: int = N_FEATURES,
    widths: Sequence[int] = PAPER_WIDTHS,
    alphas: Sequence[float] = SLOPE_ALPHAS,
    n_large: int = N_LARGE,
) -> pd.DataFrame:
    """Table 1.1: the exponent α_m of L ∝ m^(-α_m) fitted to the ideal weak-regime loss (chapter 1).

    For each α the loss of a model that keeps the m most frequent features
    (:func:`superscale.theory.weak_loss`) is fitted by :func:`superscale.fit.fit_power_law` over
    ``widths``, for n features and for ``n_large`` features. Columns ``alpha``, ``alpha_m (n = …)``
    for both, ``alpha - 1`` (NaN for α ≤ 1, where the prediction is no power law) and the R² at n."""
    widths = np.asarray(widths)
    if widths.ndim != 1 or widths.size < 3:
        raise ValueError(f"widths must hold at least 3 widths, got {widths.tolist()}")
    if widths.min() < 1 or widths.max() >= n:
        raise ValueError(f"widths must lie between 1 and n - 1 = {n - 1}, got {widths.tolist()}")
    if n_large <= n:
        raise ValueError(f"n_large must be larger than n = {n}, got {n_large}")
    rows = []
    for a in alphas:
        f = fit_power_law(widths, theory.weak_loss(data.power_law_frequencies(n, a), widths))
        big = data.power_law_frequencies(n_large, a)  # the same law with many more features
        f_big = fit_power_law(widths, theory.weak_loss(big, widths))
        rows.append(
            {
                "alpha": a,
                f"alpha_m (n = {_power_label(n)})": f.exponent,
                f"alpha_m (n = {_power_label(n_large)})": f_big.exponent,
                "alpha - 1": a - 1 if a > 1 else np.nan,
                f"R^2 (n = {_power_label(n)})": f.r2,
            }
        )
    return pd.DataFrame(rows)


def _power_label(n: int) -> str:
    """1000 as "1000", 10**6 as "10^6": how the chapter's tables name a number of features."""
    k = round(np.log10(n))
    return f"10^{k}" if n == 10**k and k > 3 else str(n)


def word_frequency_curves(
    languages: Mapping[str, str] = LANGUAGES, n_words: int = ZIPF_WORDS
) -> dict[str, np.ndarray]:
    """Frequencies of the ``n_words`` most common words of each language, in decreasing order (chapter 1).

    ``languages`` maps the name shown to a wordfreq language code; the counts come from
    :func:`superscale.data.word_frequencies` (the ``wordfreq`` package, no download)."""
    if not languages:
        raise ValueError("languages must name at least one language")
    return {name: data.word_frequencies(code, n_words=n_words) for name, code in languages.items()}


def zipf_fits(
    curves: Mapping[str, np.ndarray], points: int = ZIPF_POINTS, min_rank: int = ZIPF_MIN_RANK
) -> dict[str, PowerLawFit]:
    """The Zipf exponent of each rank-frequency curve, fitted on ``points`` log-spaced ranks from
    ``min_rank`` on (:func:`superscale.fit.fit_rank_frequency`, the paper's App. C.3 recipe; chapter 1)."""
    return {name: fit_rank_frequency(f, points=points, min_rank=min_rank) for name, f in curves.items()}


def zipf_table(
    curves: Mapping[str, np.ndarray],
    fits: Mapping[str, PowerLawFit],
    windows: Sequence[tuple[int, int]] = RANK_WINDOWS,
) -> pd.DataFrame:
    """Table 1.2: each language's Zipf exponent, its standard error, its spread over windows of ranks, R².

    The spread is the range of the exponent fitted over each (first rank, last rank) of ``windows``
    (chapter 1): a more honest error bar than the standard error of one least-squares slope."""
    if set(fits) != set(curves):
        raise ValueError(f"fits must have one fit per curve: curves {list(curves)}, fits {list(fits)}")
    if not windows:
        raise ValueError("windows must hold at least one (first rank, last rank) pair")
    table = []
    for name, f in curves.items():
        alts = [fit_rank_frequency(f, min_rank=a, max_rank=b).exponent for a, b in windows]
        table.append(
            {
                "language": name,
                "alpha": fits[name].exponent,
                "std. error": fits[name].exponent_se,
                "spread over rank windows": np.ptp(alts),
                "R^2": fits[name].r2,
            }
        )
    return pd.DataFrame(table)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def frequency_traces(alpha: float, n: int = N_FEATURES, E: float = 1.0, m_max: int | None = None) -> list:
    """Figure 1.1's two traces at one α: p_i against rank i (left axes) and the loss L(m) (right axes)."""
    import plotly.graph_objects as go

    p = data.power_law_frequencies(n, alpha, E)
    m_max = m_max or n - 1
    ms = log_spaced_ranks(m_max, 60)
    ranks = log_spaced_ranks(n, 120)
    return [
        go.Scatter(
            x=ranks,
            y=p[ranks - 1],
            mode="lines",
            name=f"p<sub>i</sub>, α = {alpha:g}",
            line=dict(color="#1f77b4"),
            xaxis="x",
            yaxis="y",
            hovertemplate="rank %{x}<br>p = %{y:.3g}<extra></extra>",
        ),
        go.Scatter(
            x=ms,
            y=theory.weak_loss(p, ms),
            mode="lines+markers",
            marker=dict(size=4),
            name=f"L(m), α = {alpha:g}",
            line=dict(color="#d62728"),
            xaxis="x2",
            yaxis="y2",
            hovertemplate="m = %{x}<br>L = %{y:.3g}<extra></extra>",
        ),
    ]


def _frequency_base():
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=("feature frequencies p<sub>i</sub>", "loss L(m), m most frequent kept"),
    )
    fig.update_xaxes(type="log", title_text="rank i", row=1, col=1)
    fig.update_yaxes(type="log", title_text="p<sub>i</sub>", range=[-7, 0.05], row=1, col=1)
    fig.update_xaxes(type="log", title_text="width m (features kept)", row=1, col=2)
    fig.update_yaxes(type="log", title_text="L(m)", range=[-4, 0.3], row=1, col=2)
    fig.update_layout(height=460, showlegend=False, margin=dict(t=60))
    return fig


def _frequency_title(alpha: float, n: int, E: float) -> str:
    return f"p<sub>i</sub> ∝ i<sup>-{alpha:g}</sup>, n = {n}, E = {E:g}"


def frequency_figure(alpha: float, n: int = N_FEATURES, E: float = 1.0):
    """Figure 1.1 for one α (chapter 1; what the live ipywidgets slider draws)."""
    fig = _frequency_base()
    for tr in frequency_traces(alpha, n, E):
        fig.add_trace(tr)
    fig.update_layout(title_text=_frequency_title(alpha, n, E))
    return fig


def frequency_slider_figure(
    alphas: Sequence[float] = PAPER_ALPHAS, n: int = N_FEATURES, E: float = 1.0, active: int | None = None
):
    """Figure 1.1 with a built-in slider over α, one precomputed step per α (chapter 1, static book).

    ``active`` is the index of the α shown first (default: the middle one)."""
    alphas = list(alphas)
    active = len(alphas) // 2 if active is None else active
    return slider_figure(
        alphas,
        lambda a: frequency_traces(a, n, E),
        label=lambda a: f"{a:g}",
        prefix="α = ",
        title=lambda a: _frequency_title(a, n, E),
        active=active,
        base=_frequency_base(),
    )


def show_frequencies(alpha: float = 1.0, E: float = 1.0, n: int = N_FEATURES) -> None:
    """Show Figure 1.1 for one (α, E), or say why E is too large (chapter 1's live ipywidgets callback)."""
    if E > data.max_density(n, alpha):
        print(f"E = {E} is too large for alpha = {alpha}: at most {data.max_density(n, alpha):.3g}")
        return
    frequency_figure(alpha, n=n, E=E).show()


def rank_frequency_figure(
    curves: Mapping[str, np.ndarray],
    fits: Mapping[str, PowerLawFit] | None = None,
    title: str | None = "Word frequency against rank, fitted power laws",
):
    """Figure 1.2: rank-frequency curves (solid) with their fitted power laws (dashed) (chapter 1).

    ``curves`` maps a label to frequencies in decreasing order; ``fits`` maps the same labels to
    :class:`superscale.fit.PowerLawFit` results."""
    import plotly.graph_objects as go

    fig = go.Figure()
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    for k, (lab, f) in enumerate(curves.items()):
        f = np.asarray(f, dtype=float)
        r = log_spaced_ranks(f.size, 300)
        col = palette[k % len(palette)]
        fig.add_trace(go.Scatter(x=r, y=f[r - 1], mode="lines", name=lab, line=dict(color=col)))
        if fits and lab in fits:
            ft = fits[lab]
            fig.add_trace(
                go.Scatter(
                    x=r,
                    y=ft(r),
                    mode="lines",
                    line=dict(color=col, dash="dash", width=1),
                    name=f"{lab}: α = {ft.exponent:.2f}",
                    showlegend=True,
                )
            )
    fig.update_xaxes(type="log", title_text="rank")
    fig.update_yaxes(type="log", title_text="frequency")
    fig.update_layout(height=460)
    if title:
        fig.update_layout(title_text=title)
    return fig


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


def check_frequencies(n: int = N_FEATURES, alphas: Sequence[float] = (0.0, 1.0, 2.0)) -> list[Finding]:
    """The chapter's statements about p_i (chapter 1): the frequencies sum to E; α = 0 makes every
    feature equally frequent; E may reach Σ_j j^(-α), where p_1 = 1, and a larger E is refused with an
    error that names the allowed range."""
    out = []
    for a in alphas:
        p = data.power_law_frequencies(n, a, E=1.0)
        out.append(
            holds(
                "the frequencies sum to the density E",
                abs(p.sum() - 1.0) <= 1e-9,
                f"Σ p_i at α = {a:g}, n = {n}, E = 1 is {p.sum():.12f}",
            )
        )
        e_max = data.max_density(n, a)
        p_max = data.power_law_frequencies(n, a, E=e_max)
        out.append(
            holds(
                "at the largest allowed density, the most frequent feature is always active",
                abs(p_max[0] - 1.0) <= 1e-9,
                f"p_1 at α = {a:g}, E = Σ j^(-α) = {e_max:.6g} is {p_max[0]:.12f}",
            )
        )
        try:
            data.power_law_frequencies(n, a, E=1.01 * e_max)
            refused, said = False, "no error was raised"
        except ValueError as err:
            refused = "allowed range" in str(err) and f"{e_max:.6g}" in str(err)
            said = f"the error says: {err}"
        out.append(
            holds(
                "a density above the largest allowed one is refused with the allowed range",
                refused,
                f"asking for E = {1.01 * e_max:.4g} at α = {a:g} (largest allowed {e_max:.6g}): {said}",
            )
        )
    p0 = data.power_law_frequencies(n, 0.0)
    out.append(
        holds(
            "α = 0 makes every feature equally frequent",
            bool(np.ptp(p0) <= 1e-12 * p0.max()),
            f"at α = 0 the frequencies range from {p0.min():.6g} to {p0.max():.6g}",
        )
    )
    return out


def check_moments(x, p, k: float = 5.0) -> list[Finding]:
    """The sampled batch has the moments the chapter derives, within ``k`` standard errors (chapter 1):
    on average E = Σ p_i active features per sample, ⟨x_i⟩ = p_i and ⟨x_i²⟩ = 4/3 p_i."""
    x, p = _check_batch(x, p)
    out = []
    for label, values, exact in _moment_samples(x, p):
        values = np.asarray(values, dtype=float)
        se = values.std() / np.sqrt(values.size)
        out.append(
            close_to(
                "the sampled moments agree with the exact ones",
                values.mean(),
                exact,
                se=se,
                k=k,
                what=f"the sampled {label} over {values.size} samples ({se:.2g} standard error)",
                target_what="exact",
                digits=4,
            )
        )
    return out


def _column(table: pd.DataFrame, prefix: str, parameter: str = "slopes") -> str:
    cols = [c for c in table.columns if str(c).startswith(prefix)]
    if not cols:
        raise ValueError(
            f"{parameter} must have a column starting with {prefix!r}, got {list(table.columns)}"
        )
    return cols[0]


def check_slopes(slopes: pd.DataFrame, n: int = N_FEATURES, n_large: int = N_LARGE) -> list[Finding]:
    """Table 1.1's statements (chapter 1): with ``n_large`` features the fitted α_m is α − 1 for α > 1
    (within 0.03); at the paper's n it sits higher (about 0.43 at α = 1.25 and 1.02 at α = 2); the slope
    steepens with α; and for α ≤ 1 the loss is not a power law (a worse log-log fit than at any α > 1)."""
    small = _column(slopes, f"alpha_m (n = {_power_label(n)})")
    large = _column(slopes, f"alpha_m (n = {_power_label(n_large)})")
    r2 = _column(slopes, f"R^2 (n = {_power_label(n)})")
    s = slopes.set_index("alpha").sort_index()
    above = s[s.index > 1]
    if above.empty or (s.index <= 1).sum() == 0:
        raise ValueError(f"slopes must hold rows with α ≤ 1 and α > 1, got α = {list(s.index)}")
    out = []
    for a, row in above.iterrows():
        out.append(
            within(
                f"with {_power_label(n_large)} features the fitted exponent is α − 1",
                row[large],
                a - 1 - 0.03,
                a - 1 + 0.03,
                what=f"α_m at α = {a:g}, n = {_power_label(n_large)}",
                digits=3,
            )
        )
        out.append(
            holds(
                f"at n = {n} the fitted exponent sits above α − 1 and above its value for many features",
                row[small] > max(a - 1, row[large]),
                f"at α = {a:g}: α_m is {row[small]:.3f} at n = {n}, {row[large]:.3f} at "
                f"n = {_power_label(n_large)}, α − 1 = {a - 1:g}",
            )
        )
    for a, quoted in ((1.25, 0.43), (2.0, 1.02)):
        if a in s.index:
            out.append(
                close_to(
                    f"at n = {n} the exponent is about 0.43 at α = 1.25 and 1.02 at α = 2",
                    s.loc[a, small],
                    quoted,
                    rel=0.01 / quoted,
                    what=f"α_m at α = {a:g}, n = {n}",
                    target_what="the value the text quotes",
                    digits=3,
                )
            )
    steps = np.diff(s[small].to_numpy())
    out.append(
        holds(
            "the fitted slope steepens with α",
            bool(np.all(steps > 0)),
            f"α_m at n = {n} for α = {', '.join(f'{a:g}' for a in s.index)}: "
            + ", ".join(f"{v:.3f}" for v in s[small]),
        )
    )
    worst_above, best_below = above[r2].min(), s.loc[s.index <= 1, r2].max()
    out.append(
        holds(
            "for α ≤ 1 the loss is not a power law",
            best_below < worst_above,
            f"the best log-log fit at α ≤ 1 has R² = {best_below:.3f}, the worst at α > 1 has R² = {worst_above:.3f}",
        )
    )
    return out


def check_zipf(zipf: pd.DataFrame, r2_min: float = 0.98) -> list[Finding]:
    """Table 1.2's statements (chapter 1): every language's exponent is close to Zipf's 1, as the paper
    finds for LLM tokens (within twice the ±0.1 error bar); the exponents lie between about 0.95 and 1.1;
    the straight lines fit well (R² ≥ ``r2_min``); the least-squares standard error understates the
    uncertainty (it is smaller than the spread over rank windows), and that spread is roughly ±0.1."""
    need = {"language", "alpha", "std. error", "spread over rank windows", "R^2"}
    if not need <= set(zipf.columns) or zipf.empty:
        raise ValueError(f"zipf must be Table 1.2 with columns {sorted(need)}, got {list(zipf.columns)}")
    out = []
    for _, row in zipf.iterrows():
        lang = row["language"]
        out.append(
            close_to(
                "real word frequencies are close to Zipf's α = 1",
                row["alpha"],
                PAPER_TOKEN_ALPHA,
                rel=2 * ZIPF_ERROR_BAR / PAPER_TOKEN_ALPHA,
                what=f"the fitted exponent of {lang}",
                target_what="Zipf's law; the paper finds α ≈ 1 for LLM tokens, App. C.3",
                digits=3,
            )
        )
        out.append(
            within(
                "the fitted exponents lie between about 0.95 and 1.1 (0.05 allowed for 'about')",
                row["alpha"],
                0.95 - 0.05,
                1.1 + 0.05,
                what=f"the fitted exponent of {lang}",
                digits=3,
            )
        )
        out.append(
            at_least(
                "the rank-frequency curves are close to straight lines",
                row["R^2"],
                r2_min,
                what=f"R² of the log-log fit for {lang}",
                digits=3,
            )
        )
        out.append(
            holds(
                "the standard error of the slope understates the uncertainty",
                row["std. error"] < row["spread over rank windows"],
                f"for {lang} the standard error is {row['std. error']:.4f}, the spread over rank windows "
                f"{row['spread over rank windows']:.4f}",
            )
        )
        out.append(
            within(
                "the spread over rank windows is roughly ±0.1",
                row["spread over rank windows"],
                0.0,
                2 * ZIPF_ERROR_BAR,
                what=f"the spread of {lang}'s exponent over rank windows",
                digits=3,
            )
        )
    return out


def claims(x, p, slopes: pd.DataFrame, zipf: pd.DataFrame, n: int = N_FEATURES) -> list[Finding]:
    """Every statement chapter 1 makes about its numbers, checked (the chapter's hidden check cell).

    ``x`` is the sampled batch drawn from the frequencies ``p``, ``slopes`` Table 1.1
    (:func:`slope_table`), ``zipf`` Table 1.2 (:func:`zipf_table`)."""
    return [
        *check_frequencies(n),
        *check_moments(x, p),
        *check_slopes(slopes, n=n),
        *check_zipf(zipf),
    ]
