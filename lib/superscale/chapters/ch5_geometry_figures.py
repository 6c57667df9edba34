"""Chapter 5's figure builders: the plotly figures behind Figure 5.1 (:func:`overlap_distribution_slider_figure`,
live: :func:`overlap_distribution_figure`), 5.2 (:func:`packing_slider_figure`, live:
:func:`packing_result_figure`), 5.3 (:func:`trained_overlap_figure`), 5.4 (:func:`variance_ratio_slider_figure`),
5.5 (:func:`phi_one_figure`) and 5.6 (:func:`interference_slider_figure`). The data they draw are computed by
:mod:`superscale.chapters.ch5_geometry`; the shared figure layer (slider, colours) is :mod:`superscale.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import geometry
from ..figures import alpha_color, log_spaced_ranks, slider_figure
from ..paper import PAPER_FIG5C_RATIO, PAPER_FIG5D_MEAN, PAPER_FIG16_PHI1

_HOVER_NU = "ν = %{x}<br>%{y:.4f}<extra>%{fullData.name}</extra>"
_HOVER_M = "m = %{x}<br>%{y:.3g}<extra>%{fullData.name}</extra>"
_DASH, _DOT = dict(dash="dash"), dict(dash="dot")


def _line(x, y, name, color, mode="lines+markers", line=None, **kw) -> go.Scatter:
    """A trace of this chapter's usual kind: a line of one colour (``line`` adds to its style)."""
    return go.Scatter(x=x, y=y, mode=mode, name=name, line=dict(color=color, **(line or {})), **kw)


_SAMPLED_OVERLAPS: dict = {}


def _sampled_overlaps(m: int, samples: int, seed: int) -> np.ndarray:
    """Sampled squared overlaps, cached so a slider's traces and titles share one draw."""
    key = (m, samples, seed)
    if key not in _SAMPLED_OVERLAPS:
        if len(_SAMPLED_OVERLAPS) > 32:
            _SAMPLED_OVERLAPS.clear()
        _SAMPLED_OVERLAPS[key] = geometry.sample_squared_overlaps(m, samples, seed=seed)
    return _SAMPLED_OVERLAPS[key]


def _overlap_traces(m: int, samples: int = 20000, seed: int = 0, bins: int = 64) -> list:
    """Histogram of m·c² for random unit vectors in R^m, the exact density and the χ²₁ limit."""
    edges = np.linspace(0.0, 8.0, bins + 1)
    counts, _ = np.histogram(m * _sampled_overlaps(int(m), int(samples), int(seed)), bins=edges)
    dens = counts / (samples * np.diff(edges))
    grid = np.linspace(0.02, 8.0, 250)
    exact = np.where(grid < m, geometry.squared_overlap_pdf(np.clip(grid / m, 0, 1), m) / m, np.nan)
    chi2 = np.exp(-grid / 2) / np.sqrt(2 * np.pi * grid)
    skip = dict(hoverinfo="skip")
    hov, beta = "m·c² = %{x:.2f}<br>exact %{y:.3g}<extra></extra>", "exact: c² ~ Beta(½, (m−1)/2)"
    return [
        go.Bar(
            x=0.5 * (edges[1:] + edges[:-1]),
            y=np.where(dens > 0, dens, np.nan),
            width=np.diff(edges),
            marker=dict(color="#9ecae1", line=dict(width=0)),
            name=f"{samples:,} sampled pairs",
            hovertemplate="m·c² = %{x:.2f}<br>density %{y:.3g}<extra></extra>",
        ),
        _line(grid, exact, beta, "#08519c", "lines", dict(width=2.5), hovertemplate=hov),
        _line(grid, chi2, "large-m limit: χ²₁", "#d62728", "lines", dict(width=1.5, **_DASH), **skip),
    ]


def _overlap_title(m: int, samples: int, seed: int) -> str:
    c2 = _sampled_overlaps(int(m), int(samples), int(seed))
    return (
        f"m = {m}: sampled mean c² = {c2.mean():.4g} (exact 1/m = {geometry.random_overlap_mean(m):.4g}), "
        f"variance {c2.var():.3g} (exact {geometry.random_overlap_var(m):.3g})"
    )


def _overlap_layout(fig):
    fig.update_xaxes(title_text="m × squared overlap  (m·c², mean 1)", range=[0, 8])
    fig.update_yaxes(type="log", title_text="probability density", range=[-3, 1.0])
    fig.update_layout(height=470, bargap=0, legend=dict(x=0.55, y=0.97), title_font_size=14)
    return fig


def overlap_distribution_figure(m: int, samples: int = 20000, seed: int = 0) -> go.Figure:
    """Figure 5.1 for one width m (the live version's callback; chapter 5)."""
    fig = go.Figure(_overlap_traces(m, samples, seed))
    fig.update_layout(title_text=_overlap_title(m, samples, seed))
    return _overlap_layout(fig)


def overlap_distribution_slider_figure(
    ms: Sequence[int], samples: int = 20000, seed: int = 0, active: int | None = None
) -> go.Figure:
    """Figure 5.1: the random-overlap histogram with a built-in slider over the dimension m (chapter 5)."""
    ms = [int(m) for m in ms]
    active = len(ms) // 2 if active is None else active
    traces = lambda m: _overlap_traces(m, samples, seed)  # noqa: E731
    title = lambda m: _overlap_title(m, samples, seed)  # noqa: E731
    return _overlap_layout(slider_figure(ms, traces, prefix="m = ", title=title, active=active))


def _packing_traces(rows: list[dict], etfs: list[dict] | None = None) -> list:
    """Against ν for one m: largest c² of random and packed vectors, random mean, Welch, best bound, ETFs."""
    m = rows[0]["m"]
    nu = np.array([r["nu"] for r in rows])
    grid = np.unique(np.round(np.geomspace(m + 1, nu.max(), 200)).astype(int))
    etf = [e for e in (etfs or []) if e["m"] == m]
    col = {k: [r[k] for r in rows] for k in ("random_max", "random_mean", "packed_max")}
    best, h = geometry.max_overlap_lower_bound(m, grid), dict(hovertemplate=_HOVER_NU)
    hollow = dict(symbol="circle-open")
    return [
        _line(nu, col["random_max"], "random: largest c²", "#ff7f0e", **h),
        _line(nu, col["random_mean"], "random: mean c²", "#ff7f0e", line=_DOT, marker=hollow, **h),
        _line(nu, col["packed_max"], "packed: largest c²", "#1f77b4", **h),
        _line(grid, geometry.welch_bound(m, grid), "Welch bound κ²", "black", "lines", _DASH, **h),
        _line(grid, best, "best lower bound (Welch, orthoplex 1/m)", "#7f7f7f", "lines", dict(width=1), **h),
        go.Scatter(
            x=[e["nu"] for e in etf],
            y=[geometry.welch_bound(m, e["nu"]) for e in etf],
            mode="markers",
            name="exact ETFs",
            marker=dict(symbol="star", size=14, color="#2ca02c"),
            text=[e["name"] for e in etf],
            hovertemplate="%{text}<br>ν = %{x}, c² = %{y:.4f}<extra></extra>",
        ),
    ]


def packing_slider_figure(runs: dict, etfs: list[dict] | None = None, active: int = 0) -> go.Figure:
    """Figure 5.2: largest squared overlap against ν, with a built-in slider over m; ``runs`` is
    :func:`~superscale.chapters.ch5_geometry.packing_runs`' output, ``etfs``
    :func:`superscale.geometry.known_etfs` (chapter 5)."""
    title = "{} dimensions: how small can the largest squared overlap of ν vectors be?".format
    traces = lambda m: _packing_traces(runs[m], etfs)  # noqa: E731
    fig = slider_figure(list(runs), traces, prefix="m = ", title=title, active=active)
    fig.update_xaxes(type="log", title_text="number of vectors ν")
    fig.update_yaxes(type="log", title_text="squared overlap c²")
    fig.update_layout(height=480, title_font_size=14)
    return fig


def packing_result_figure(result: geometry.PackResult, seed: int = 0) -> go.Figure:
    """The live packer's figure: all squared overlaps of ν vectors in R^m, sorted, for the random start and
    the packed result of :func:`superscale.geometry.pack_lines`, with κ² and 1/m (chapter 5)."""
    nu, m = result.vectors.shape
    start = np.sort(geometry.squared_overlaps(geometry.random_unit_vectors(nu, m, seed), eps=0.0))[::-1]
    packed = np.sort(geometry.squared_overlaps(result.vectors, eps=0.0))[::-1]
    rank = np.arange(1, start.size + 1)
    keep = log_spaced_ranks(start.size, 300) - 1
    ends = [1, rank[-1]]
    fig = go.Figure(
        [
            _line(rank[keep], start[keep], "random start", "#ff7f0e", "lines"),
            _line(rank[keep], packed[keep], "packed", "#1f77b4", "lines"),
            _line(ends, [result.welch] * 2, "Welch bound κ²", "black", "lines", _DASH),
            _line(ends, [1 / m] * 2, "1/m", "#7f7f7f", "lines", _DOT),
        ]
    )
    fig.update_xaxes(type="log", title_text="pairs, largest squared overlap first")
    fig.update_yaxes(type="log", title_text="squared overlap c²")
    title = (
        f"ν = {nu} vectors in R<sup>{m}</sup> ({result.objective} objective): largest c² "
        f"{result.start_max_sq_overlap:.3f} → {result.max_sq_overlap:.3f}, mean "
        f"{result.start_mean_sq_overlap:.4f} → {result.mean_sq_overlap:.4f}, κ² = {result.welch:.4f}"
    )
    fig.update_layout(height=430, title_text=title, title_font_size=13)
    return fig


def _strong_scatter(df, ycol: str, *, size: int = 7, symbol: str = "circle", label: str = "") -> list:
    """One trace per α of df[ycol] against m, coloured by α. ``label`` prefixes the names."""
    traces = []
    edge = dict(width=0.5, color="white") if symbol == "circle" else dict(width=1.5, color="black")
    hov = f"γ = %{{customdata[1]:.2f}}, m = %{{customdata[0]}}<br>{ycol} = %{{y:.4g}}"
    hov += "<br>rows with norm > 1: %{customdata[2]}<extra></extra>"
    for a, sub in df.groupby("alpha"):
        sub = sub.sort_values(["gamma", "m"])
        jitter = 1.0 + 0.012 * (a - 1.0)  # spread the α values a little along m
        traces.append(
            go.Scatter(
                x=sub["m"] * jitter,
                y=sub[ycol],
                mode="markers",
                marker=dict(color=alpha_color(a), size=size, symbol=symbol, line=edge),
                name=f"{label}α = {a:g}",
                legendgroup=label or "alpha",
                customdata=np.stack([sub["m"], sub["gamma"], sub["n_gt1"]], axis=1),
                hovertemplate=f"α = {a:g}, " + hov,
            )
        )
    return traces


def _with_extra(fig, df, extra, ycol: str, extra_label: str):
    """Add the traces of ``df`` and, as black-edged diamonds, of ``extra`` (the saved models)."""
    for tr in _strong_scatter(df, ycol):
        fig.add_trace(tr)
    if extra is not None and len(extra):
        for tr in _strong_scatter(extra, ycol, size=11, symbol="diamond", label=extra_label):
            fig.add_trace(tr)
    return fig


def trained_overlap_figure(
    strong: pd.DataFrame, n: int = 1000, extra: pd.DataFrame | None = None, extra_label: str = "longer: "
) -> go.Figure:
    """Figure 5.3 (the paper's Fig. 5d): mean squared overlap of the norm > 1 rows against m for every run
    in ``strong`` (:func:`~superscale.chapters.ch5_geometry.strong_runs`), ``extra`` (e.g. the saved
    models) as diamonds, with 1/m, κ² at ν = min(n, m²/2) and the paper's values (chapter 5)."""
    col = "overlap_mean_gt1"
    extra = None if extra is None else extra.dropna(subset=[col])
    fig = _with_extra(go.Figure(), strong.dropna(subset=[col]), extra, col, extra_label)
    grid = np.geomspace(strong["m"].min() * 0.9, strong["m"].max() * 1.1, 100)
    fig.add_trace(_line(grid, 1 / grid, "1/m (random vectors)", "black", "lines", _DASH))
    kappa2 = geometry.welch_bound_paper(grid, n)
    fig.add_trace(_line(grid, kappa2, "κ², ν = min(n, m²/2)", "#d62728", "lines", _DOT))
    marker = dict(symbol="x-thin-open", size=14, line=dict(width=2.5), color="#444")
    x, y, name = list(PAPER_FIG5D_MEAN), list(PAPER_FIG5D_MEAN.values()), "paper, Fig. 5d (read off)"
    fig.add_trace(go.Scatter(x=x, y=y, mode="markers", marker=marker, name=name))
    fig.update_xaxes(type="log", title_text="width m")
    fig.update_yaxes(type="log", title_text="mean squared overlap, rows with ‖W<sub>i</sub>‖ > 1")
    fig.update_layout(height=480, title_text="Mean squared overlap of the rows with norm > 1")
    return fig


def variance_ratio_slider_figure(
    df: pd.DataFrame, gammas: Sequence[float], active: int = 0, paper_range: tuple | None = PAPER_FIG5C_RATIO
) -> go.Figure:
    """Figure 5.4 (the paper's Fig. 5c): variance of the squared overlaps of the norm > 1 rows over the
    random value against m, one line per α, a slider step per γ; runs with fewer than 3 such rows are
    left out; ``paper_range`` is shaded (chapter 5)."""
    alphas = sorted(df["alpha"].unique())
    lo, hi = paper_range or (np.nan, np.nan)
    band = go.Scatter(x=[8, 120, 120, 8, 8], y=[lo, lo, hi, hi, lo], fill="toself", mode="lines")
    band.update(line=dict(width=0))
    band.update(fillcolor="rgba(120,120,120,0.15)", name="paper's range, γ = −0.55", hoverinfo="skip")
    hov = "ratio %{y:.3f}<br>rows with norm > 1: %{customdata}<extra></extra>"

    def traces(g):
        sub = df[np.isclose(df["gamma"], g)]
        out = []
        for a in alphas:
            s = sub[np.isclose(sub["alpha"], a)].sort_values("m")
            name, kw = f"α = {a:g}", dict(marker=dict(size=7), customdata=s["n_gt1"])
            kw["hovertemplate"] = f"{name}, m = %{{x}}<br>" + hov
            out.append(_line(s["m"], s["var_ratio"], name, alpha_color(a), line=dict(width=1.5), **kw))
        return out + [_line([8, 120], [1, 1], "random vectors", "black", "lines", _DASH), go.Scatter(band)]

    title = "γ = {:.2f}: how uneven are the overlaps of the norm > 1 rows?".format
    label = "{:.2f}".format
    fig = slider_figure(list(gammas), traces, label=label, prefix="γ = ", title=title, active=active)
    fig.update_xaxes(type="log", title_text="width m", range=[np.log10(8), np.log10(120)])
    fig.update_yaxes(type="log", title_text="Var(c²) / random value 2(m−1)/(m²(m+2))")
    fig.update_layout(height=480, title_font_size=14)
    return fig


def phi_one_figure(
    g1: pd.DataFrame, n: int = 1000, extra: pd.DataFrame | None = None, extra_label: str = "longer: "
) -> go.Figure:
    """Figure 5.5 (the paper's Fig. 16): the strongly represented fraction φ₁ against m, coloured by α,
    ``extra`` as diamonds, with m/n, min(1, m²/2n) and the paper's range at each m (chapter 5)."""
    ms = np.array(list(PAPER_FIG16_PHI1))
    lo, hi = (np.array([v[k] for v in PAPER_FIG16_PHI1.values()]) for k in (0, 1))
    mid = (lo + hi) / 2
    bar = dict(type="data", symmetric=False, array=hi - mid, arrayminus=mid - lo, color="#999")
    bar.update(thickness=8, width=0)
    paper = go.Scatter(x=ms, y=mid, mode="markers", name="paper's range over α (Fig. 16)", error_y=bar)
    paper.update(marker=dict(size=1, color="rgba(0,0,0,0)"))
    paper.update(hovertemplate="m = %{x}: paper %{customdata}<extra></extra>")
    paper.update(customdata=[f"{a:.2f}–{b:.2f}" for a, b in zip(lo, hi, strict=True)])
    fig = _with_extra(go.Figure(paper), g1, extra, "phi_one", extra_label)
    grid = np.geomspace(g1["m"].min() * 0.9, g1["m"].max() * 1.1, 200)
    fig.add_trace(_line(grid, grid / n, "m/n (no superposition)", "black", "lines", _DASH))
    fig.add_trace(_line(grid, np.minimum(1.0, grid**2 / (2 * n)), "min(1, m²/2n)", "#d62728", "lines", _DOT))
    fig.update_xaxes(type="log", title_text="width m")
    ylabel = "φ<sub>1</sub> = fraction of rows with norm > 1"
    fig.update_yaxes(type="log", title_text=ylabel, range=[-2.2, 0.08])
    title = f"Strongly represented fraction φ₁ at γ = {g1['gamma'].iloc[0]:g}"
    fig.update_layout(height=480, title_text=title)
    return fig


def _interference_traces(table: pd.DataFrame, alpha: float) -> list:
    """At one α, against m: the measured loss, Eq. 8 and its parts, the squared median bias, and the mean
    squared overlap of the norm > 1 rows (right axis)."""
    s = table[np.isclose(table["alpha"], alpha)].sort_values("m")
    m, h = s["m"], dict(hovertemplate=_HOVER_M)
    interference = s["interference"].where(s["interference"] > 0)
    overlap = "mean squared overlap, norm > 1 rows (right axis)"
    diamond, square, dashdot = dict(symbol="diamond-open"), dict(symbol="square-open"), dict(dash="dashdot")
    return [
        _line(m, s["final_loss"], "measured loss", "black", line=dict(width=2.5), **h),
        _line(m, s["eq8_total"], "one-active-feature loss (Eq. 8)", "#7f7f7f", line=_DOT, **h),
        _line(m, s["self"], "  its self part", "#2ca02c", **h),
        _line(m, interference, "  its interference part", "#1f77b4", **h),
        _line(m, s["bias_median"] ** 2, "(median bias)²", "#9467bd", line=dashdot, marker=diamond, **h),
        _line(m, s["overlap_mean_gt1"], overlap, "#d62728", line=_DASH, marker=square, yaxis="y2", **h),
    ]


def interference_slider_figure(
    table: pd.DataFrame, alphas: Sequence[float] | None = None, active_alpha: float = 1.0
) -> go.Figure:
    """Figure 5.6: loss, Eq. 8 and its parts, bias² and overlaps against m with a built-in slider over α
    (opening at ``active_alpha`` when present). ``table`` is :func:`superscale.weights.measure_models`'
    output. The right axis spans as many decades as the left, so equal slopes look parallel (chapter 5)."""
    alphas = sorted(table["alpha"].unique()) if alphas is None else list(alphas)
    left = table[["final_loss", "eq8_total", "self", "interference"]].to_numpy().ravel()
    left = np.concatenate([left, table["bias_median"].to_numpy() ** 2])
    left = left[left > 0]
    lo, hi = np.floor(np.log10(left.min())), np.ceil(np.log10(left.max()))
    ohi = np.ceil(np.log10(np.nanmax(table["overlap_mean_gt1"].to_numpy())))
    title = "α = {:g}, γ = −1: loss, its parts, the bias and the overlaps against width".format
    active = alphas.index(active_alpha) if active_alpha in alphas else 0
    traces = lambda a: _interference_traces(table, a)  # noqa: E731
    fig = slider_figure(alphas, traces, label="{:g}".format, prefix="α = ", title=title, active=active)
    fig.update_xaxes(type="log", title_text="width m")
    axis = dict(type="log", dtick=1, exponentformat="power")
    fig.update_layout(
        yaxis=dict(title_text="loss (summed over features), bias²", range=[lo, hi], **axis),
        yaxis2=dict(title_text="mean squared overlap", range=[ohi - (hi - lo), ohi], **axis),
        height=600,
        legend=dict(orientation="h", x=0.0, y=1.02, yanchor="bottom", font_size=11),
        margin=dict(t=150),
        title_font_size=14,
    )
    fig.update_layout(yaxis2=dict(overlaying="y", side="right", showgrid=False))
    return fig
