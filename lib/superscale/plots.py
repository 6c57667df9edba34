"""Chapter figures not yet moved into their chapter's module (see :mod:`superscale.chapters`).

The shared figure layer (renderer, built-in slider, colours) is :mod:`superscale.figures`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence  # noqa: F401
from typing import Any  # noqa: F401

import numpy as np

from .figures import (  # noqa: F401
    BOOK_RENDERER,
    COLOR_STRONG,
    COLOR_WEAK,
    COLORSCALE_ALPHA,
    COLORSCALE_GAMMA,
    KIND_COLORS,
    KIND_LABELS,
    TEMPLATE,
    alpha_color,
    gamma_color,
    log_spaced_ranks,
    setup_plotly,
    slider_figure,
    strong_gamma_color,
    width_color,
)


def frequency_traces(alpha: float, n: int = 1000, E: float = 1.0, m_max: int | None = None) -> list:
    """Two traces for chapter 1: p_i against rank i (left axes) and the weak-regime loss L(m) (right axes)."""
    import plotly.graph_objects as go

    from .data import power_law_frequencies
    from .theory import weak_loss

    p = power_law_frequencies(n, alpha, E)
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
            y=weak_loss(p, ms),
            mode="lines+markers",
            marker=dict(size=4),
            name=f"L(m), α = {alpha:g}",
            line=dict(color="#d62728"),
            xaxis="x2",
            yaxis="y2",
            hovertemplate="m = %{x}<br>L = %{y:.3g}<extra></extra>",
        ),
    ]


def _frequency_base(n: int):
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=("feature frequencies p<sub>i</sub>", "loss when the m most frequent are represented"),
    )
    fig.update_xaxes(type="log", title_text="rank i", row=1, col=1)
    fig.update_yaxes(type="log", title_text="p<sub>i</sub>", range=[-7, 0.05], row=1, col=1)
    fig.update_xaxes(type="log", title_text="width m (features represented)", row=1, col=2)
    fig.update_yaxes(type="log", title_text="L(m)", range=[-4, 0.3], row=1, col=2)
    fig.update_layout(height=460, showlegend=False, margin=dict(t=60))
    return fig


def frequency_figure(alpha: float, n: int = 1000, E: float = 1.0):
    """Chapter 1's figure for one α (the callback of the live ipywidgets slider)."""
    fig = _frequency_base(n)
    for tr in frequency_traces(alpha, n, E):
        fig.add_trace(tr)
    fig.update_layout(title_text=f"p<sub>i</sub> ∝ i<sup>-{alpha:g}</sup>, n = {n}, E = {E:g}")
    return fig


def frequency_slider_figure(alphas, n: int = 1000, E: float = 1.0, active: int | None = None):
    """Chapter 1's figure with a built-in slider over α (static book)."""
    alphas = list(alphas)
    active = len(alphas) // 2 if active is None else active
    return slider_figure(
        alphas,
        lambda a: frequency_traces(a, n, E),
        label=lambda a: f"{a:g}",
        prefix="α = ",
        title=lambda a: f"p<sub>i</sub> ∝ i<sup>-{a:g}</sup>, n = {n}, E = {E:g}",
        active=active,
        base=_frequency_base(n),
    )


def rank_frequency_figure(curves: dict, fits: dict | None = None):
    """Rank-frequency curves of real languages with their fitted power laws (chapters 1 and 6).

    ``curves`` maps a label to an array of frequencies sorted in decreasing order; ``fits`` maps
    the same labels to ``PowerLawFit`` results drawn as dashed lines.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    for k, (lab, f) in enumerate(curves.items()):
        f = np.asarray(f, dtype=float)
        r = log_spaced_ranks(f.size, 300)
        f = f[r - 1]
        col = palette[k % len(palette)]
        fig.add_trace(go.Scatter(x=r, y=f, mode="lines", name=lab, line=dict(color=col)))
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
    return fig


# --------------------------------------------------------------------------------------------
# Chapter 2: the toy model, weight decay as the dial of superposition
# --------------------------------------------------------------------------------------------


def gram_slider_figure(run, top: int = 40, pair: tuple[int, int] = (0, 1)):
    """Chapter 2: heat maps of W Wᵀ (top ``top`` features) for two live models, with a slider over training steps.

    ``run`` is a :class:`superscale.analysis.LiveRun`; ``pair`` picks the two models shown (left and
    right), normally one with γ > 0 and one with γ < 0.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    K = run.W.shape[0]
    if not (0 <= pair[0] < K and 0 <= pair[1] < K):
        raise ValueError(f"pair must hold two model indices in [0, {K - 1}], got {pair}")
    if not (isinstance(top, (int, np.integer)) and 2 <= top <= run.n):
        raise ValueError(f"top must be an integer in [2, {run.n}], got {top!r}")
    titles = tuple(f"γ = {run.gammas[k]:+g}" for k in pair)
    base = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.1)
    ticks = list(range(1, top + 1))

    def traces(s):
        out = []
        for j, k in enumerate(pair):
            G = np.round(run.gram(k, s, top), 3)
            out.append(
                go.Heatmap(
                    z=G,
                    x=ticks,
                    y=ticks,
                    zmin=-1.2,
                    zmax=1.2,
                    colorscale="RdBu_r",
                    showscale=j == 1,
                    colorbar=dict(title=dict(text="(W Wᵀ)<sub>ij</sub>"), len=0.9),
                    xaxis=f"x{j + 1 if j else ''}",
                    yaxis=f"y{j + 1 if j else ''}",
                    hovertemplate="i = %{y}, j = %{x}<br>W<sub>i</sub>·W<sub>j</sub> = %{z}<extra></extra>",
                )
            )
        return out

    fig = slider_figure(
        list(range(run.steps.size)),
        traces,
        label=lambda s: str(int(run.steps[s])),
        prefix="training step ",
        title=lambda s: (
            f"W Wᵀ for the {top} most frequent features after {int(run.steps[s])} steps "
            f"(n = {run.n}, m = {run.m}, α = {run.alpha:g})"
        ),
        active=run.steps.size - 1,
        base=base,
    )
    for j in (1, 2):
        fig.update_xaxes(title_text="feature j", row=1, col=j)
        fig.update_yaxes(
            title_text="feature i", autorange="reversed", scaleanchor=f"x{j if j > 1 else ''}", row=1, col=j
        )
    fig.update_layout(height=520, margin=dict(t=90))
    return fig


def live_run_figure(run):
    """Chapter 2: training loss against step (left) and row norm ‖W_i‖ against rank i (right) of the live models."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=("training loss", "row norms after training"),
    )
    ranks = np.arange(1, run.n + 1)
    for k, g in enumerate(run.gammas):
        col = gamma_color(g) if run.gammas.size <= 2 else None
        name = f"γ = {g:+g}"
        fig.add_trace(
            go.Scatter(
                x=run.curve_steps,
                y=run.curve_loss[k],
                mode="lines",
                name=name,
                legendgroup=name,
                line=dict(color=col),
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=ranks,
                y=run.norms(k),
                mode="markers",
                name=name,
                legendgroup=name,
                showlegend=False,
                marker=dict(size=5, color=col),
                hovertemplate="rank %{x}<br>‖W<sub>i</sub>‖ = %{y:.3f}<extra></extra>",
            ),
            row=1,
            col=2,
        )
    fig.add_hline(y=0.5, line=dict(dash="dot", color="gray", width=1), row=1, col=2)
    fig.add_vline(x=run.m, line=dict(dash="dash", color="gray", width=1), row=1, col=2)
    fig.update_xaxes(type="log", title_text="step", row=1, col=1)
    fig.update_yaxes(type="log", title_text="L (summed over features)", row=1, col=1)
    fig.update_xaxes(type="log", title_text="rank i (most frequent first)", row=1, col=2)
    fig.update_yaxes(title_text="‖W<sub>i</sub>‖", row=1, col=2)
    fig.update_layout(height=440, legend=dict(x=0.32, y=0.98))
    return fig


def decay_growth_figure(eta: float = 1e-2, gammas=(0.5, 1.0, -0.5, -1.0)):
    """Chapter 2: how far one optimizer step's decay (γ > 0) or growth (γ < 0) moves a row norm r.

    Decay: r → (1 − ηγ) r, so Δr = −ηγ r (towards 0). Growth: r → r + η|γ|(1 − r) (towards 1).
    """
    import plotly.graph_objects as go

    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta (learning rate) must be a number > 0, got {eta!r}")
    r = np.linspace(0, 1.6, 81)
    fig = go.Figure()
    for g in gammas:
        dr = -eta * g * r if g >= 0 else eta * abs(g) * (1 - r)
        fig.add_trace(
            go.Scatter(
                x=r,
                y=dr,
                mode="lines",
                name=f"γ = {g:+g}",
                line=dict(color=gamma_color(g), dash="solid" if abs(g) == 1 else "dash"),
            )
        )
    fig.add_hline(y=0, line=dict(color="gray", width=1))
    fig.update_xaxes(title_text="row norm r = ‖W<sub>i</sub>‖ before the step")
    fig.update_yaxes(title_text="change Δr from decay or growth alone")
    fig.update_layout(height=400, title_text=f"One step of decay or growth at learning rate η = {eta:g}")
    return fig


# --------------------------------------------------------------------------------------------
# Chapter 4: strong superposition, the phase diagram of α_m, activation density, the large model
# --------------------------------------------------------------------------------------------


def loss_width_traces(
    widths,
    loss,
    *,
    name: str,
    color: str,
    se=None,
    fit=None,
    fit_widths=None,
    xaxis: str = "x",
    yaxis: str = "y",
    symbol: str = "circle",
    showlegend: bool = True,
) -> list:
    """Two traces for chapter 4: measured loss against width (markers, optional error bars) and the
    fitted power law ``fit`` (dashed, from the smallest to the largest of ``fit_widths``, default all
    widths; an empty trace when ``fit`` is None, so every call returns two traces)."""
    import plotly.graph_objects as go

    w = np.asarray(widths, dtype=float)
    y = np.asarray(loss, dtype=float)
    err = None if se is None else dict(type="data", array=np.asarray(se, dtype=float), thickness=1, width=3)
    pts = go.Scatter(
        x=w,
        y=y,
        mode="lines+markers",
        name=name,
        legendgroup=name,
        showlegend=showlegend,
        marker=dict(color=color, size=7, symbol=symbol),
        line=dict(color=color, width=1),
        error_y=err,
        xaxis=xaxis,
        yaxis=yaxis,
        hovertemplate="m = %{x}<br>L = %{y:.4g}<extra>" + name + "</extra>",
    )
    if fit is not None:
        fw = w if fit_widths is None else np.asarray(fit_widths, dtype=float)
        xs = np.geomspace(fw.min(), fw.max(), 2)
        ys = fit(xs)
    else:
        xs, ys = [], []
    line = go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=color, dash="dash", width=1.5),
        legendgroup=name,
        showlegend=False,
        hoverinfo="skip",
        xaxis=xaxis,
        yaxis=yaxis,
    )
    return [pts, line]


def _fit_label(exponent: float, se: float, r2: float) -> str:
    if not np.isfinite(exponent):
        return "no fit"
    return f"α<sub>m</sub> = {exponent:.2f} ± {se:.2f}, R² = {r2:.3f}"


def strong_loss_slider_figure(
    widths,
    loss,
    gammas,
    alphas,
    *,
    over: str = "alpha",
    se=None,
    min_width: float | None = None,
    active: int | None = None,
):
    """Chapter 4: loss against width with fitted power laws and a built-in slider over α or over γ.

    ``loss`` (and optional ``se``) have shape (len(gammas), len(alphas), len(widths)). With
    ``over="alpha"`` each slider step is one α and shows one curve per γ; with ``over="gamma"``
    each step is one γ and shows one curve per α. Legend entries carry α_m ± standard error and R²
    of the fit (widths ≥ ``min_width``).
    """
    import plotly.graph_objects as go

    from .fit import fit_power_law

    if over not in ("alpha", "gamma"):
        raise ValueError(f"over must be 'alpha' or 'gamma', got {over!r}")
    w = np.asarray(widths, dtype=float)
    g = np.asarray(gammas, dtype=float)
    a = np.asarray(alphas, dtype=float)
    L = np.asarray(loss, dtype=float)
    if L.shape != (g.size, a.size, w.size):
        raise ValueError(
            f"loss must have shape (len(gammas), len(alphas), len(widths)) = "
            f"{(g.size, a.size, w.size)}, got {L.shape}"
        )
    S = None if se is None else np.asarray(se, dtype=float).reshape(L.shape)
    keep = w >= (min_width if min_width is not None else -np.inf)

    def curve(i: int, j: int, name: str, color: str) -> list:
        y = L[i, j]
        ok = keep & np.isfinite(y) & (y > 0)
        fit = fit_power_law(w[ok], y[ok]) if ok.sum() >= 3 else None
        lab = _fit_label(fit.exponent, fit.exponent_se, fit.r2) if fit else "no fit"
        return loss_width_traces(
            w,
            y,
            name=f"{name}: {lab}",
            color=color,
            se=None if S is None else S[i, j],
            fit=fit,
            fit_widths=w[ok],
        )

    if over == "alpha":
        steps = list(range(a.size))

        def traces(j):
            return [
                tr for i in range(g.size) for tr in curve(i, j, f"γ = {g[i]:+.2f}", strong_gamma_color(g[i]))
            ]

        label, prefix = (lambda j: f"{a[j]:g}"), "α = "
        title = lambda j: f"Loss against width at α = {a[j]:g}, one curve per γ"  # noqa: E731
        default = int(np.argmin(np.abs(a - 1.0)))
    else:
        steps = list(range(g.size))

        def traces(i):
            return [tr for j in range(a.size) for tr in curve(i, j, f"α = {a[j]:g}", alpha_color(a[j]))]

        label, prefix = (lambda i: f"{g[i]:+.2f}"), "γ = "
        title = lambda i: f"Loss against width at γ = {g[i]:+.2f}, one curve per α"  # noqa: E731
        default = 0
    base = go.Figure()
    base.update_xaxes(type="log", title_text="width m")
    base.update_yaxes(type="log", title_text="loss L")
    base.update_layout(height=560, legend=dict(font=dict(size=10)), margin=dict(t=60))
    return slider_figure(
        steps,
        traces,
        label=label,
        prefix=prefix,
        title=title,
        active=default if active is None else active,
        base=base,
    )


def _region_shapes(regions, gammas, alphas) -> tuple[list, list]:
    g = np.sort(np.asarray(gammas, dtype=float))
    a = np.sort(np.asarray(alphas, dtype=float))
    dg = float(np.min(np.diff(g))) / 2 if g.size > 1 else 0.1
    da = float(np.min(np.diff(a))) / 2 if a.size > 1 else 0.0625
    shapes, notes = [], []
    for k, r in enumerate(regions):
        x0, x1 = r.gamma[0] - dg * 0.9, r.gamma[1] + dg * 0.9
        y0, y1 = r.alpha[0] - da * 0.9, r.alpha[1] + da * 0.9
        shapes.append(
            dict(
                type="rect",
                x0=x0,
                x1=x1,
                y0=y0,
                y1=y1,
                line=dict(color=r.color, width=3),
                fillcolor="rgba(0,0,0,0)",
            )
        )
        notes.append(
            dict(
                x=(x0 + x1) / 2,
                y=y1,
                yshift=10 + 12 * (k == 2),
                text=f"<b>{r.name}</b>: " + r.expected.replace("α_m", "α<sub>m</sub>"),
                showarrow=False,
                font=dict(color=r.color, size=11),
                bgcolor="rgba(255,255,255,0.8)",
            )
        )
    return shapes, notes


def phase_heatmap_figure(
    values,
    gammas,
    alphas,
    *,
    what: str = "α<sub>m</sub>",
    se=None,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = "Viridis",
    regions=None,
    text_format: str = ".2f",
):
    """Chapter 4: a (γ, α) map of a fitted quantity (α_m or R²) with the paper's regions drawn as boxes.

    ``values`` (and optional standard errors ``se``, shown on hover) have shape (len(gammas),
    len(alphas)); γ runs along x, α along y, each cell is labelled with its value. ``regions``
    defaults to :data:`superscale.phase.PAPER_REGIONS`; pass ``()`` for none.
    """
    import plotly.graph_objects as go

    from .phase import PAPER_REGIONS, grid_arrays

    v, g, a = grid_arrays(values, gammas, alphas)
    z = v.T  # rows = α, columns = γ
    custom = None if se is None else np.asarray(se, dtype=float).reshape(v.shape).T
    hover = "γ = %{x:.2f}<br>α = %{y:.3f}<br>" + what + " = %{z:.3f}"
    if custom is not None:
        hover += " ± %{customdata:.3f}"
    fig = go.Figure(
        go.Heatmap(
            x=g,
            y=a,
            z=z,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            customdata=custom,
            texttemplate="%{z:" + text_format + "}",
            textfont=dict(size=9),
            colorbar=dict(title=dict(text=what)),
            hovertemplate=hover + "<extra></extra>",
        )
    )
    shapes, notes = _region_shapes(PAPER_REGIONS if regions is None else regions, g, a)
    fig.update_layout(shapes=shapes, annotations=notes, height=620, margin=dict(t=90))
    fig.update_xaxes(
        title_text="weight decay γ (negative: growth)", tickvals=g, ticktext=[f"{x:+.2f}" for x in g]
    )
    fig.update_yaxes(title_text="frequency exponent α", tickvals=a[::2])
    return fig


def phase_heatmap_slider_figure(
    maps: dict,
    gammas,
    alphas,
    *,
    se: dict | None = None,
    what: str = "α<sub>m</sub>",
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = "Viridis",
    regions=None,
    prefix: str = "",
    active: int = 0,
):
    """Chapter 4: several (γ, α) maps of one quantity (e.g. α_m from two training protocols) in one
    :func:`phase_heatmap_figure`, with a built-in slider that picks the map (works with no kernel).

    ``maps`` is {slider label: values of shape (len(gammas), len(alphas))}, NaN where a cell was not
    trained (left blank); ``se`` optionally holds standard errors under the same labels.
    """
    import plotly.graph_objects as go

    if not maps:
        raise ValueError("maps must hold at least one entry {label: values}")
    se = se or {}
    unknown = set(se) - set(maps)
    if unknown:
        raise ValueError(f"se has labels that maps does not: {sorted(unknown)}")
    figs = {
        label: phase_heatmap_figure(
            v,
            gammas,
            alphas,
            what=what,
            se=se.get(label),
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            regions=regions,
        )
        for label, v in maps.items()
    }
    labels = list(maps)
    base = go.Figure(layout=figs[labels[0]].layout)
    base.update_layout(height=700, margin=dict(t=90, b=40))
    return slider_figure(labels, lambda k: list(figs[k].data), prefix=prefix, active=active, base=base)


def alpha_m_vs_alpha_figure(
    alphas,
    series: dict,
    *,
    paper_ranges=None,
    weak_line: bool = True,
    other: dict | None = None,
    other_label: str = "paper's protocol",
):
    """Chapter 4: fitted α_m against α, one series per γ, with the lines 1, 2(α − 1) and α − 1 (the paper's Fig. 5e).

    ``series`` maps a γ (float) to ``(exponent, se)`` arrays over ``alphas``. ``paper_ranges``
    (default :data:`superscale.phase.PAPER_FIG5E`; ``()`` for none) are drawn as grey bars: the
    range of the paper's strong-regime points at each α, read off its figure. ``other`` maps a γ to
    ``(alphas, exponent, se)`` of a second set of runs (for example the same models trained with the
    paper's protocol on part of the grid), drawn as open markers labelled with ``other_label``.
    """
    import plotly.graph_objects as go

    from .phase import PAPER_FIG5E

    a = np.asarray(alphas, dtype=float)
    fig = go.Figure()
    rng = PAPER_FIG5E if paper_ranges is None else paper_ranges
    if len(rng):
        pa = np.array([r[0] for r in rng])
        lo = np.array([r[1] for r in rng])
        hi = np.array([r[2] for r in rng])
        fig.add_trace(
            go.Bar(
                x=pa,
                y=hi - lo,
                base=lo,
                width=0.06,
                marker=dict(color="rgba(120,120,120,0.35)"),
                name="paper, strong γ (read off Fig. 5e)",
                hovertemplate="α = %{x}<br>paper: %{base:.2f}–%{y:.2f} wide<extra></extra>",
            )
        )
    xs = np.linspace(0, 2, 81)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=np.ones_like(xs),
            mode="lines",
            line=dict(color="#d62728", dash="dash"),
            name="α<sub>m</sub> = 1 (strong, flat)",
        )
    )
    xs2 = np.linspace(1.0, 2.0, 41)
    fig.add_trace(
        go.Scatter(
            x=xs2,
            y=2 * (xs2 - 1),
            mode="lines",
            line=dict(color="#1f77b4", dash="dash"),
            name="α<sub>m</sub> = 2(α − 1) (strong, skewed)",
        )
    )
    if weak_line:
        fig.add_trace(
            go.Scatter(
                x=xs2,
                y=xs2 - 1,
                mode="lines",
                line=dict(color="#2ca02c", dash="dash"),
                name="α<sub>m</sub> = α − 1 (weak)",
            )
        )
    sets = [({g: (a, *v) for g, v in series.items()}, "", 0.0, False)]
    if other:
        sets.append((other, f", {other_label}", 0.035, True))
    for group, suffix, shift, hollow in sets:  # filled markers: ``series``; open markers: ``other``
        keys = sorted(group)
        for k, gam in enumerate(keys):
            x, e, s = (np.asarray(v, dtype=float) for v in group[gam])
            if not (x.shape == e.shape == s.shape):
                raise ValueError(
                    f"other[{gam}] must be three arrays of one shape, got {x.shape}, {e.shape}, {s.shape}"
                    if hollow
                    else f"series[{gam}] must be two arrays of the shape of alphas {a.shape}, got {e.shape}, {s.shape}"
                )
            col = strong_gamma_color(gam)
            fig.add_trace(
                go.Scatter(
                    x=x + (k - (len(keys) - 1) / 2) * 0.012 + shift,
                    y=e,
                    mode="markers",
                    name=f"γ = {gam:+.2f}{suffix}",
                    marker=dict(color="white", size=8, symbol="circle-open", line=dict(width=2, color=col))
                    if hollow
                    else dict(color=col, size=8, line=dict(width=0.5, color="#333")),
                    error_y=dict(
                        type="data", array=s, thickness=1, width=2, **({"color": col} if hollow else {})
                    ),
                    hovertemplate="α = %{x:.3f}<br>α<sub>m</sub> = %{y:.3f}<extra>γ = "
                    + f"{gam:+.2f}{suffix}"
                    + "</extra>",
                )
            )
    fig.update_xaxes(title_text="frequency exponent α", range=[-0.08, 2.08])
    fig.update_yaxes(title_text="fitted α<sub>m</sub>", rangemode="tozero")
    fig.update_layout(height=520, legend=dict(font=dict(size=11)))
    return fig


def density_figure(E, loss, gammas, width: int, exponent, se, *, paper=None, paper_E=None):
    """Chapter 4: activation density (the paper's Fig. 14). Left: loss against E at one width, one line per γ.
    Right: fitted α_m against E, one series per γ, with the paper's values (black squares).

    ``loss``, ``exponent`` and ``se`` have shape (len(gammas), len(E)). ``paper`` is a sequence of
    (α_m, se) at densities ``paper_E`` (default: :data:`superscale.phase.PAPER_DENSITY_ALPHA_M`).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .phase import DENSITY_PAPER_E, PAPER_DENSITY_ALPHA_M

    Ev = np.asarray(E, dtype=float)
    g = np.asarray(gammas, dtype=float)
    L = np.asarray(loss, dtype=float)
    X = np.asarray(exponent, dtype=float)
    S = np.asarray(se, dtype=float)
    for nm, arr in (("loss", L), ("exponent", X), ("se", S)):
        if arr.shape != (g.size, Ev.size):
            raise ValueError(
                f"{nm} must have shape (len(gammas), len(E)) = {(g.size, Ev.size)}, got {arr.shape}"
            )
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(f"loss against E at m = {width}", "fitted α<sub>m</sub> against E"),
    )
    for i, gam in enumerate(g):
        col = strong_gamma_color(gam)
        fig.add_trace(
            go.Scatter(
                x=Ev,
                y=L[i],
                mode="lines+markers",
                name=f"γ = {gam:+.2f}",
                legendgroup=str(i),
                marker=dict(color=col, size=6),
                line=dict(color=col),
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=Ev,
                y=X[i],
                mode="lines+markers",
                name=f"γ = {gam:+.2f}",
                legendgroup=str(i),
                showlegend=False,
                marker=dict(color=col, size=6),
                line=dict(color=col, width=1),
                error_y=dict(type="data", array=S[i], thickness=1, width=2),
            ),
            row=1,
            col=2,
        )
    pv = PAPER_DENSITY_ALPHA_M if paper is None else paper
    pe = DENSITY_PAPER_E if paper_E is None else paper_E
    if len(pv):
        fig.add_trace(
            go.Scatter(
                x=np.asarray(pe, dtype=float),
                y=[v[0] for v in pv],
                mode="markers",
                name="paper, Fig. 14b",
                marker=dict(color="black", symbol="square-open", size=10),
                error_y=dict(type="data", array=[v[1] for v in pv], thickness=1.5, width=4),
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="activation density E", row=1, col=1)
    fig.update_xaxes(title_text="activation density E", row=1, col=2)
    fig.update_yaxes(title_text="loss L", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="α<sub>m</sub>", row=1, col=2)
    fig.update_layout(height=480, legend=dict(font=dict(size=10)))
    return fig


def large_model_figure(
    widths,
    loss: dict,
    *,
    se: dict | None = None,
    fits: dict | None = None,
    n: int = 10240,
    paper: bool = True,
    ideal: bool = True,
    other: dict | None = None,
    other_label: str = "shorter protocol",
):
    """Chapter 4: the large toy model (the paper's Fig. 1b, d). Left: weak (γ > 0); right: strong (γ < 0).

    ``loss`` maps ``(regime, kind)`` with regime in {"weak", "strong"} and kind in {"exponential",
    "power", "linear"} to losses over ``widths`` (NaN where a width was not trained), or to a pair
    ``(widths_of_this_run, losses)`` (``se`` then has the same length as those losses). ``fits`` maps
    the same keys to PowerLawFit (or None) drawn dashed over the widths they used (attribute
    ``widths``, else all). With ``paper`` the paper's values read off Fig. 1 are drawn as faint open
    markers; with ``ideal`` the weak panel shows the loss of the ideal no-superposition model, (4/3)Σ_{i>m}p_i − p_i².
    ``other`` maps the same keys to ``(widths, loss)`` of a second run (another protocol), drawn as open
    circles on dotted lines and named ``other_label`` in the legend.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .data import feature_frequencies
    from .phase import PAPER_FIG1_LOSS, large_fit_min_width
    from .theory import weak_loss

    w = np.asarray(widths, dtype=float)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=("weak superposition (γ = 0.1)", "strong superposition (γ = −1)"),
    )
    pw = np.asarray(PAPER_FIG1_LOSS["widths"]["all"], dtype=float)
    for col, regime in ((1, "weak"), (2, "strong")):
        ax = "" if col == 1 else "2"
        for kind in ("exponential", "power", "linear"):
            c = KIND_COLORS[kind]
            first = col == 1
            if ideal and regime == "weak":
                p = feature_frequencies(kind, n, 1.0, 1.2, 400.0)
                ms = np.unique(
                    np.geomspace(max(1, w.min() if w.size else 8), min(1024, n - 1), 40).astype(int)
                )
                fig.add_trace(
                    go.Scatter(
                        x=ms,
                        y=weak_loss(p, ms),
                        mode="lines",
                        line=dict(color=c, dash="dot", width=1),
                        name="ideal weak loss (theory)" if kind == "exponential" else None,
                        showlegend=kind == "exponential",
                        legendgroup="ideal",
                        hoverinfo="skip",
                    ),
                    row=1,
                    col=col,
                )
            if paper:
                fig.add_trace(
                    go.Scatter(
                        x=pw,
                        y=PAPER_FIG1_LOSS[regime][kind],
                        mode="markers",
                        marker=dict(color=c, symbol="square-open", size=9, opacity=0.6),
                        name="paper (read off Fig. 1)" if kind == "exponential" else None,
                        legendgroup="paper",
                        showlegend=first and kind == "exponential",
                        hovertemplate="paper, m = %{x}<br>L ≈ %{y:.3g}<extra></extra>",
                    ),
                    row=1,
                    col=col,
                )
            key = (regime, kind)
            if other and key in other:
                ow, oy = (np.asarray(v, dtype=float) for v in other[key])
                fig.add_trace(
                    go.Scatter(
                        x=ow,
                        y=oy,
                        mode="lines+markers",
                        marker=dict(color=c, symbol="circle-open", size=7),
                        line=dict(color=c, width=1, dash="dot"),
                        name=f"{KIND_LABELS[kind]} ({regime}), {other_label}",
                        legendgroup=f"other-{regime}-{kind}",
                        hovertemplate=f"{other_label}, m = %{{x}}<br>L = %{{y:.4g}}<extra></extra>",
                    ),
                    row=1,
                    col=col,
                )
            if key not in loss:
                continue
            fit = (fits or {}).get(key)
            lab = f"{KIND_LABELS[kind]} ({regime})"
            if fit is not None:
                lab += f": α<sub>m</sub> = {fit.exponent:.2f} ± {fit.exponent_se:.2f}"
            if isinstance(loss[key], tuple):
                kw, y = (np.asarray(v, dtype=float) for v in loss[key])
            else:
                kw, y = w, np.asarray(loss[key], dtype=float)
            if kw.shape != y.shape:
                raise ValueError(f"loss[{key}]: widths and losses differ in shape, {kw.shape} and {y.shape}")
            fw = kw[(kw >= large_fit_min_width(kind, -1.0 if regime == "strong" else 1.0)) & np.isfinite(y)]
            for tr in loss_width_traces(
                kw,
                y,
                name=lab,
                color=c,
                se=None if se is None else se.get(key),
                fit=fit,
                fit_widths=fw,
                xaxis="x" + ax,
                yaxis="y" + ax,
            ):
                fig.add_trace(tr)
    for col in (1, 2):
        fig.update_xaxes(
            type="log", title_text="width m", range=[np.log10(6), np.log10(1500)], row=1, col=col
        )
        fig.update_yaxes(
            type="log", title_text="loss L", range=[np.log10(0.005), np.log10(3)], row=1, col=col
        )
    fig.update_layout(height=560, legend=dict(font=dict(size=10), orientation="h", y=-0.18))
    return fig


# --------------------------------------------------------------------------------------------
# Chapter 5: the geometry of packing
# --------------------------------------------------------------------------------------------


_SAMPLED_OVERLAPS: dict = {}


def _sampled_overlaps(m: int, samples: int, seed: int) -> np.ndarray:
    """Sampled squared overlaps, cached so a slider's traces and titles share one draw (chapter 5)."""
    from .geometry import sample_squared_overlaps

    key = (m, samples, seed)
    if key not in _SAMPLED_OVERLAPS:
        if len(_SAMPLED_OVERLAPS) > 32:
            _SAMPLED_OVERLAPS.clear()
        _SAMPLED_OVERLAPS[key] = sample_squared_overlaps(m, samples, seed=seed)
    return _SAMPLED_OVERLAPS[key]


def overlap_distribution_traces(m: int, samples: int = 20000, seed: int = 0, bins: int = 64) -> list:
    """Three traces for chapter 5: a sampled histogram of m·c² for random unit vectors in R^m, the exact
    density (c² ~ Beta(1/2, (m − 1)/2), rescaled) and the large-m limit χ²₁ (dashed)."""
    import plotly.graph_objects as go

    from .geometry import squared_overlap_pdf

    c2 = _sampled_overlaps(int(m), int(samples), int(seed))
    x = m * c2
    edges = np.linspace(0.0, 8.0, bins + 1)
    counts, _ = np.histogram(x, bins=edges)
    dens = counts / (samples * np.diff(edges))
    mids = 0.5 * (edges[1:] + edges[:-1])
    grid = np.linspace(0.02, 8.0, 250)
    exact = squared_overlap_pdf(np.clip(grid / m, 0, 1), m) / m
    exact = np.where(grid < m, exact, np.nan)
    chi2 = np.exp(-grid / 2) / np.sqrt(2 * np.pi * grid)
    return [
        go.Bar(
            x=mids,
            y=np.where(dens > 0, dens, np.nan),
            width=np.diff(edges),
            marker=dict(color="#9ecae1", line=dict(width=0)),
            name=f"{samples:,} sampled pairs",
            hovertemplate="m·c² = %{x:.2f}<br>density %{y:.3g}<extra></extra>",
        ),
        go.Scatter(
            x=grid,
            y=exact,
            mode="lines",
            line=dict(color="#08519c", width=2.5),
            name="exact: c² ~ Beta(½, (m−1)/2)",
            hovertemplate="m·c² = %{x:.2f}<br>exact %{y:.3g}<extra></extra>",
        ),
        go.Scatter(
            x=grid,
            y=chi2,
            mode="lines",
            line=dict(color="#d62728", width=1.5, dash="dash"),
            name="large-m limit: χ²₁",
            hoverinfo="skip",
        ),
    ]


def _overlap_title(m: int, samples: int, seed: int) -> str:
    from .geometry import random_overlap_mean, random_overlap_var

    c2 = _sampled_overlaps(int(m), int(samples), int(seed))
    return (
        f"m = {m}: sampled mean c² = {c2.mean():.4g} (exact 1/m = {random_overlap_mean(m):.4g}), "
        f"variance {c2.var():.3g} (exact {random_overlap_var(m):.3g})"
    )


def _overlap_layout(fig):
    fig.update_xaxes(title_text="m × squared overlap  (m·c², mean 1)", range=[0, 8])
    fig.update_yaxes(type="log", title_text="probability density", range=[-3, 1.0])
    fig.update_layout(height=470, bargap=0, legend=dict(x=0.55, y=0.97), title_font_size=14)
    return fig


def overlap_distribution_figure(m: int, samples: int = 20000, seed: int = 0):
    """Chapter 5's random-overlap histogram for one width m (the callback of the live slider)."""
    import plotly.graph_objects as go

    fig = go.Figure(overlap_distribution_traces(m, samples, seed))
    fig.update_layout(title_text=_overlap_title(m, samples, seed))
    return _overlap_layout(fig)


def overlap_distribution_slider_figure(ms, samples: int = 20000, seed: int = 0, active: int | None = None):
    """Chapter 5's random-overlap histogram with a built-in slider over the dimension m (static book)."""
    ms = [int(m) for m in ms]
    active = len(ms) // 2 if active is None else active
    fig = slider_figure(
        ms,
        lambda m: overlap_distribution_traces(m, samples, seed),
        label=str,
        prefix="m = ",
        title=lambda m: _overlap_title(m, samples, seed),
        active=active,
    )
    return _overlap_layout(fig)


def packing_traces(rows: list[dict], etfs: list[dict] | None = None) -> list:
    """Six traces for chapter 5: against ν for one m, the largest squared overlap of random and of packed
    vectors, the mean for random vectors, the Welch bound κ², the best lower bound, and exact ETFs."""
    import plotly.graph_objects as go

    from .geometry import max_overlap_lower_bound, welch_bound

    m = rows[0]["m"]
    nu = np.array([r["nu"] for r in rows])
    grid = np.unique(np.round(np.geomspace(m + 1, nu.max(), 200)).astype(int))
    etf = [e for e in (etfs or []) if e["m"] == m]
    hov = "ν = %{x}<br>%{y:.4f}<extra>%{fullData.name}</extra>"
    return [
        go.Scatter(
            x=nu,
            y=[r["random_max"] for r in rows],
            mode="lines+markers",
            name="random: largest c²",
            line=dict(color="#ff7f0e"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=nu,
            y=[r["random_mean"] for r in rows],
            mode="lines+markers",
            name="random: mean c²",
            line=dict(color="#ff7f0e", dash="dot"),
            marker=dict(symbol="circle-open"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=nu,
            y=[r["packed_max"] for r in rows],
            mode="lines+markers",
            name="packed: largest c²",
            line=dict(color="#1f77b4"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=grid,
            y=welch_bound(m, grid),
            mode="lines",
            name="Welch bound κ²",
            line=dict(color="black", dash="dash"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=grid,
            y=max_overlap_lower_bound(m, grid),
            mode="lines",
            name="best lower bound (Welch, orthoplex 1/m)",
            line=dict(color="#7f7f7f", width=1),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=[e["nu"] for e in etf],
            y=[welch_bound(m, e["nu"]) for e in etf],
            mode="markers",
            name="exact ETFs",
            marker=dict(symbol="star", size=14, color="#2ca02c"),
            text=[e["name"] for e in etf],
            hovertemplate="%{text}<br>ν = %{x}, c² = %{y:.4f}<extra></extra>",
        ),
    ]


def packing_slider_figure(rows_by_m: dict, etfs: list[dict] | None = None, active: int = 0):
    """Chapter 5's packing figure, largest squared overlap vs ν, with a built-in slider over m.

    ``rows_by_m`` maps m to the rows of :func:`superscale.geometry.packing_comparison`.
    """
    ms = list(rows_by_m)
    fig = slider_figure(
        ms,
        lambda m: packing_traces(rows_by_m[m], etfs),
        label=str,
        prefix="m = ",
        title=lambda m: f"{m} dimensions: how small can the largest squared overlap of ν vectors be?",
        active=active,
    )
    fig.update_xaxes(type="log", title_text="number of vectors ν")
    fig.update_yaxes(type="log", title_text="squared overlap c²")
    fig.update_layout(height=480, title_font_size=14)
    return fig


def _strong_scatter(
    df, ycol: str, *, hover_extra: str = "", size: int = 7, symbol: str = "circle", label: str = ""
) -> list:
    """One trace per α of df[ycol] against m, coloured by α (chapter 5). ``label`` prefixes the names."""
    import plotly.graph_objects as go

    traces = []
    edge = dict(width=0.5, color="white") if symbol == "circle" else dict(width=1.5, color="black")
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
                hovertemplate=(
                    f"α = {a:g}, γ = %{{customdata[1]:.2f}}, m = %{{customdata[0]}}<br>{ycol} = %{{y:.4g}}"
                    f"<br>rows with norm > 1: %{{customdata[2]}}{hover_extra}<extra></extra>"
                ),
            )
        )
    return traces


def trained_overlap_figure(
    df, n: int = 1000, paper: dict | None = None, extra=None, extra_label: str = "longer training: "
):
    """Chapter 5 (the paper's Fig. 5d): mean squared overlap of the norm > 1 rows against m for every
    run in ``df`` (from :func:`superscale.geometry.sweep_overlap_table`), with 1/m, κ² and the paper.
    ``extra`` (same columns) is drawn as black-edged diamonds, e.g. models trained for longer."""
    import plotly.graph_objects as go

    from .geometry import welch_bound_paper

    fig = go.Figure(_strong_scatter(df.dropna(subset=["overlap_mean_gt1"]), "overlap_mean_gt1"))
    if extra is not None and len(extra):
        for tr in _strong_scatter(
            extra.dropna(subset=["overlap_mean_gt1"]),
            "overlap_mean_gt1",
            size=11,
            symbol="diamond",
            label=extra_label,
        ):
            fig.add_trace(tr)
    grid = np.geomspace(df["m"].min() * 0.9, df["m"].max() * 1.1, 100)
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=1 / grid,
            mode="lines",
            line=dict(color="black", dash="dash"),
            name="1/m (random vectors)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=welch_bound_paper(grid, n),
            mode="lines",
            line=dict(color="#d62728", dash="dot"),
            name="κ², ν = min(n, m²/2)",
        )
    )
    if paper:
        fig.add_trace(
            go.Scatter(
                x=list(paper),
                y=list(paper.values()),
                mode="markers",
                marker=dict(symbol="x-thin-open", size=14, line=dict(width=2.5), color="#444"),
                name="paper, Fig. 5d (read off)",
            )
        )
    fig.update_xaxes(type="log", title_text="width m")
    fig.update_yaxes(type="log", title_text="mean squared overlap, rows with ‖W<sub>i</sub>‖ > 1")
    fig.update_layout(height=480)
    return fig


def variance_ratio_slider_figure(df, gammas, active: int = 0, paper_range: tuple | None = None):
    """Chapter 5 (the paper's Fig. 5c): variance of the squared overlaps of norm > 1 rows relative to random
    vectors against m, one slider step per γ; runs with fewer than 3 such rows are left out."""
    import plotly.graph_objects as go

    alphas = sorted(df["alpha"].unique())
    gammas = list(gammas)

    def traces(g):
        sub = df[np.isclose(df["gamma"], g)]
        out = []
        for a in alphas:
            s = sub[np.isclose(sub["alpha"], a)].sort_values("m")
            out.append(
                go.Scatter(
                    x=s["m"],
                    y=s["var_ratio"],
                    mode="lines+markers",
                    name=f"α = {a:g}",
                    line=dict(color=alpha_color(a), width=1.5),
                    marker=dict(size=7),
                    customdata=s["n_gt1"],
                    hovertemplate=f"α = {a:g}, m = %{{x}}<br>ratio %{{y:.3f}}<br>rows with norm > 1: "
                    "%{customdata}<extra></extra>",
                )
            )
        out.append(
            go.Scatter(
                x=[8, 120],
                y=[1, 1],
                mode="lines",
                line=dict(color="black", dash="dash"),
                name="random vectors",
            )
        )
        lo, hi = paper_range or (np.nan, np.nan)
        out.append(
            go.Scatter(
                x=[8, 120, 120, 8, 8],
                y=[lo, lo, hi, hi, lo],
                fill="toself",
                mode="lines",
                line=dict(width=0),
                fillcolor="rgba(120,120,120,0.15)",
                name="paper's range, γ = −0.55",
                hoverinfo="skip",
            )
        )
        return out

    fig = slider_figure(
        gammas,
        traces,
        label=lambda g: f"{g:.2f}",
        prefix="γ = ",
        title=lambda g: f"γ = {g:.2f}: how uneven are the overlaps of the norm > 1 rows?",
        active=active,
    )
    fig.update_xaxes(type="log", title_text="width m", range=[np.log10(8), np.log10(120)])
    fig.update_yaxes(type="log", title_text="Var(c²) / random value 2(m−1)/(m²(m+2))")
    fig.update_layout(height=480, title_font_size=14)
    return fig


def phi_one_figure(
    df, n: int = 1000, paper: dict | None = None, extra=None, extra_label: str = "longer training: "
):
    """Chapter 5 (the paper's Fig. 16): the strongly represented fraction φ_1 against m, coloured by α,
    with the lines m/n and min(1, m²/2n) and the paper's range at each m; ``extra`` as diamonds."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if paper:
        ms = np.array(list(paper))
        lo = np.array([v[0] for v in paper.values()])
        hi = np.array([v[1] for v in paper.values()])
        fig.add_trace(
            go.Scatter(
                x=ms,
                y=(lo + hi) / 2,
                mode="markers",
                name="paper's range over α (Fig. 16)",
                marker=dict(size=1, color="rgba(0,0,0,0)"),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=hi - (lo + hi) / 2,
                    arrayminus=(lo + hi) / 2 - lo,
                    color="#999",
                    thickness=8,
                    width=0,
                ),
                hovertemplate="m = %{x}: paper %{customdata}<extra></extra>",
                customdata=[f"{a:.2f}–{b:.2f}" for a, b in zip(lo, hi, strict=True)],
            )
        )
    for tr in _strong_scatter(df, "phi_one"):
        fig.add_trace(tr)
    if extra is not None and len(extra):
        for tr in _strong_scatter(extra, "phi_one", size=11, symbol="diamond", label=extra_label):
            fig.add_trace(tr)
    grid = np.geomspace(df["m"].min() * 0.9, df["m"].max() * 1.1, 200)
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=grid / n,
            mode="lines",
            line=dict(color="black", dash="dash"),
            name="m/n (no superposition)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=grid,
            y=np.minimum(1.0, grid**2 / (2 * n)),
            mode="lines",
            line=dict(color="#d62728", dash="dot"),
            name="min(1, m²/2n)",
        )
    )
    fig.update_xaxes(type="log", title_text="width m")
    fig.update_yaxes(
        type="log", title_text="φ<sub>1</sub> = fraction of rows with norm > 1", range=[-2.2, 0.08]
    )
    fig.update_layout(height=480)
    return fig


def interference_traces(table, alpha: float) -> list:
    """Traces for chapter 5's "overlaps to loss" check at one α, against m: the measured loss, the
    one-active-feature loss (Eq. 8) with its self and interference parts, the squared median bias, and
    the mean squared overlap of the norm > 1 rows (right axis)."""
    import plotly.graph_objects as go

    s = table[np.isclose(table["alpha"], alpha)].sort_values("m")
    hov = "m = %{x}<br>%{y:.3g}<extra>%{fullData.name}</extra>"
    interf = s["interference"].where(s["interference"] > 0)
    return [
        go.Scatter(
            x=s["m"],
            y=s["final_loss"],
            mode="lines+markers",
            name="measured loss",
            line=dict(color="black", width=2.5),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=s["m"],
            y=s["eq8_total"],
            mode="lines+markers",
            name="one-active-feature loss (Eq. 8)",
            line=dict(color="#7f7f7f", dash="dot"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=s["m"],
            y=s["self"],
            mode="lines+markers",
            name="  its self part",
            line=dict(color="#2ca02c"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=s["m"],
            y=interf,
            mode="lines+markers",
            name="  its interference part",
            line=dict(color="#1f77b4"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=s["m"],
            y=s["bias_median"] ** 2,
            mode="lines+markers",
            name="(median bias)²",
            line=dict(color="#9467bd", dash="dashdot"),
            marker=dict(symbol="diamond-open"),
            hovertemplate=hov,
        ),
        go.Scatter(
            x=s["m"],
            y=s["overlap_mean_gt1"],
            mode="lines+markers",
            name="mean squared overlap, norm > 1 rows (right axis)",
            line=dict(color="#d62728", dash="dash"),
            marker=dict(symbol="square-open"),
            yaxis="y2",
            hovertemplate=hov,
        ),
    ]


def interference_slider_figure(table, alphas, active: int = 0):
    """Chapter 5's "from overlaps to loss" figure with a built-in slider over α. ``table`` is
    :func:`superscale.weights.measure_models`' output. The right axis spans the same number of decades
    as the left, so equal slopes look parallel."""
    alphas = list(alphas)
    left = table[["final_loss", "eq8_total", "self", "interference"]].to_numpy().ravel()
    left = np.concatenate([left, table["bias_median"].to_numpy() ** 2])
    left = left[left > 0]
    lo, hi = np.floor(np.log10(left.min())), np.ceil(np.log10(left.max()))
    o = table["overlap_mean_gt1"].to_numpy()
    ohi = np.ceil(np.log10(np.nanmax(o)))
    fig = slider_figure(
        alphas,
        lambda a: interference_traces(table, a),
        label=lambda a: f"{a:g}",
        prefix="α = ",
        title=lambda a: f"α = {a:g}, γ = −1: loss, its parts, the bias and the overlaps against width",
        active=active,
    )
    fig.update_xaxes(type="log", title_text="width m")
    fig.update_layout(
        yaxis=dict(
            type="log",
            title_text="loss (summed over features), bias²",
            range=[lo, hi],
            dtick=1,
            exponentformat="power",
        ),
        yaxis2=dict(
            type="log",
            title_text="mean squared overlap",
            overlaying="y",
            side="right",
            range=[ohi - (hi - lo), ohi],
            dtick=1,
            exponentformat="power",
            showgrid=False,
        ),
        height=600,
        legend=dict(orientation="h", x=0.0, y=1.02, yanchor="bottom", font_size=11),
        margin=dict(t=150),
        title_font_size=14,
    )
    return fig


def packing_result_figure(result, seed: int = 0):
    """Chapter 5's live packer figure: all squared overlaps of ν vectors in R^m, sorted, for the random
    start and for the packed result of :func:`superscale.geometry.pack_lines`, with κ² and 1/m."""
    import plotly.graph_objects as go

    from .geometry import random_unit_vectors, squared_overlaps

    nu, m = result.vectors.shape
    start = np.sort(squared_overlaps(random_unit_vectors(nu, m, seed), eps=0.0))[::-1]
    packed = np.sort(squared_overlaps(result.vectors, eps=0.0))[::-1]
    rank = np.arange(1, start.size + 1)
    keep = log_spaced_ranks(start.size, 300) - 1
    fig = go.Figure(
        [
            go.Scatter(
                x=rank[keep], y=start[keep], mode="lines", name="random start", line=dict(color="#ff7f0e")
            ),
            go.Scatter(x=rank[keep], y=packed[keep], mode="lines", name="packed", line=dict(color="#1f77b4")),
            go.Scatter(
                x=[1, rank[-1]],
                y=[result.welch] * 2,
                mode="lines",
                name="Welch bound κ²",
                line=dict(color="black", dash="dash"),
            ),
            go.Scatter(
                x=[1, rank[-1]],
                y=[1 / m] * 2,
                mode="lines",
                name="1/m",
                line=dict(color="#7f7f7f", dash="dot"),
            ),
        ]
    )
    fig.update_xaxes(type="log", title_text="pairs, largest squared overlap first")
    fig.update_yaxes(type="log", title_text="squared overlap c²")
    fig.update_layout(
        height=430,
        title_text=(
            f"ν = {nu} vectors in R<sup>{m}</sup> ({result.objective} objective): largest c² "
            f"{result.start_max_sq_overlap:.3f} → {result.max_sq_overlap:.3f}, mean "
            f"{result.start_mean_sq_overlap:.4f} → {result.mean_sq_overlap:.4f}, κ² = {result.welch:.4f}"
        ),
        title_font_size=13,
    )
    return fig


def loss_width_figure(
    widths,
    curves: dict,
    *,
    se: dict | None = None,
    min_width: float | None = None,
    colors: dict | None = None,
    title: str = "",
):
    """Chapter 4 (live version): loss against width for a few runs, each with its fitted power law
    over the widths ≥ ``min_width``; ``curves`` maps a label to losses over ``widths``."""
    import plotly.graph_objects as go

    from .fit import fit_power_law

    w = np.asarray(widths, dtype=float)
    fig = go.Figure()
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for k, (lab, y) in enumerate(curves.items()):
        y = np.asarray(y, dtype=float)
        ok = (w >= (min_width if min_width is not None else -np.inf)) & np.isfinite(y) & (y > 0)
        f = fit_power_law(w[ok], y[ok]) if ok.sum() >= 3 else None
        name = f"{lab}: " + (
            _fit_label(f.exponent, f.exponent_se, f.r2) if f else "fewer than 3 widths, no fit"
        )
        col = (colors or {}).get(lab, palette[k % len(palette)])
        for tr in loss_width_traces(
            w, y, name=name, color=col, se=None if se is None else se.get(lab), fit=f, fit_widths=w[ok]
        ):
            fig.add_trace(tr)
    fig.update_xaxes(type="log", title_text="width m")
    fig.update_yaxes(type="log", title_text="loss L")
    fig.update_layout(height=460, title_text=title, legend=dict(font=dict(size=11)))
    return fig


def _sel_near(ds, **kw):
    """``ds.sel`` with nearest matching on float coordinates (γ, α), exact on integers (chapters 2-3)."""
    out = {}
    for k, v in kw.items():
        vals = np.asarray(ds[k].values, dtype=float)
        j = int(np.argmin(np.abs(vals - float(v))))
        if abs(vals[j] - float(v)) > 0.02:
            raise ValueError(f"{k} must be one of {np.round(vals, 3).tolist()}, got {v!r}")
        out[k] = ds[k].values[j]
    return out


def norm_hist_traces(ds, gamma: float, alpha: float, m: int) -> list:
    """Chapter 2: histogram of the row norms (left axes) and row norm against rank (right axes) of one sweep model."""
    import plotly.graph_objects as go

    sel = _sel_near(ds, gamma=gamma, alpha=alpha, m=m)
    counts = np.asarray(ds["norm_hist"].sel(**sel).values, dtype=float)
    centers = np.asarray(ds["bin"].values, dtype=float)
    norms = np.asarray(ds["row_norm"].sel(**sel).values, dtype=float)
    n = norms.size
    ranks = log_spaced_ranks(n, 300)
    col = gamma_color(float(sel["gamma"]))
    width = float(centers[1] - centers[0]) if centers.size > 1 else 0.02
    return [
        go.Bar(
            x=centers,
            y=np.where(counts > 0, counts, np.nan),
            width=width,
            marker=dict(color=col),
            name="histogram",
            xaxis="x",
            yaxis="y",
            hovertemplate="‖W<sub>i</sub>‖ ≈ %{x:.2f}: %{y} rows<extra></extra>",
        ),
        go.Scatter(
            x=ranks,
            y=norms[ranks - 1],
            mode="markers",
            marker=dict(color=col, size=4),
            name="norm by rank",
            xaxis="x2",
            yaxis="y2",
            hovertemplate="rank %{x}<br>‖W<sub>i</sub>‖ = %{y:.3f}<extra></extra>",
        ),
    ]


def _norm_hist_base(n: int, m: int):
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=("histogram of the row norms", "row norm against frequency rank"),
    )
    fig.update_xaxes(title_text="‖W<sub>i</sub>‖", range=[0, 2], row=1, col=1)
    fig.update_yaxes(
        type="log", title_text="number of features", range=[-0.1, np.log10(n) + 0.1], row=1, col=1
    )
    fig.update_xaxes(type="log", title_text="rank i (most frequent first)", row=1, col=2)
    fig.update_yaxes(title_text="‖W<sub>i</sub>‖", range=[0, 2], row=1, col=2)
    fig.add_hline(y=0.5, line=dict(dash="dot", color="gray", width=1), row=1, col=2)
    fig.add_vline(x=m, line=dict(dash="dash", color="gray", width=1), row=1, col=2)
    fig.add_vline(x=0.5, line=dict(dash="dot", color="gray", width=1), row=1, col=1)
    fig.update_layout(height=440, showlegend=False, margin=dict(t=90), bargap=0)
    return fig


def _norm_title(ds, gamma, alpha, m) -> str:
    sel = _sel_near(ds, gamma=gamma, alpha=alpha, m=m)
    phi = float(ds["phi_half"].sel(**sel))
    n = int(ds.sizes["feature"])
    return (
        f"γ = {float(sel['gamma']):+.2f}, α = {float(sel['alpha']):g}, m = {int(sel['m'])}: "
        f"φ<sub>1/2</sub> = {phi:.3f} (m/n = {int(sel['m']) / n:.3f})"
    )


def norm_hist_figure(ds, gamma: float, alpha: float = 1.0, m: int = 100):
    """Chapter 2: row norms of one model of the sweep (the callback of the live widget)."""
    fig = _norm_hist_base(int(ds.sizes["feature"]), m)
    for tr in norm_hist_traces(ds, gamma, alpha, m):
        fig.add_trace(tr)
    fig.update_layout(title_text=_norm_title(ds, gamma, alpha, m))
    return fig


def norm_hist_slider_figure(ds, alpha: float = 1.0, m: int = 100, active: int | None = None):
    """Chapter 2: row-norm histogram and norm against rank with a built-in slider over γ (the paper's Fig. 3a)."""
    gammas = [float(g) for g in ds["gamma"].values]
    active = 0 if active is None else active
    return slider_figure(
        gammas,
        lambda g: norm_hist_traces(ds, g, alpha, m),
        label=lambda g: f"{g:+.2f}",
        prefix="γ = ",
        title=lambda g: _norm_title(ds, g, alpha, m),
        active=active,
        base=_norm_hist_base(int(ds.sizes["feature"]), m),
    )


def phi_gamma_traces(ds, alpha: float) -> list:
    """Chapter 2: φ_1/2 against γ, one line per width, with the m/n levels dashed (the paper's Fig. 3b)."""
    import plotly.graph_objects as go

    sel = _sel_near(ds, alpha=alpha)
    n = int(ds.sizes["feature"])
    ws = [int(m) for m in ds["m"].values]
    g = np.asarray(ds["gamma"].values, dtype=float)
    out = []
    for m in ws:
        col = width_color(m, min(ws), max(ws))
        y = np.asarray(ds["phi_half"].sel(alpha=sel["alpha"], m=m).values, dtype=float)
        out.append(
            go.Scatter(
                x=g,
                y=y,
                mode="lines+markers",
                name=f"m = {m}",
                legendgroup=str(m),
                line=dict(color=col),
                marker=dict(color=col, size=7),
                hovertemplate="γ = %{x:.2f}<br>φ<sub>1/2</sub> = %{y:.3f}<extra>m = " + str(m) + "</extra>",
            )
        )
        out.append(
            go.Scatter(
                x=[-1.05, 1.05],
                y=[m / n, m / n],
                mode="lines",
                line=dict(color=col, dash="dash", width=1),
                name=f"m/n = {m / n:.3f}",
                legendgroup=str(m),
                showlegend=False,
                hoverinfo="skip",
            )
        )
    return out


def _phi_gamma_layout(fig):
    fig.update_xaxes(title_text="weight decay γ  (γ < 0: growth)", range=[-1.08, 1.08])
    fig.update_yaxes(
        type="log", title_text="φ<sub>1/2</sub> (fraction of features represented)", range=[-2.3, 0.1]
    )
    fig.add_vline(x=0, line=dict(color="gray", width=1))
    fig.update_layout(height=480, margin=dict(t=90))
    return fig


def phi_gamma_figure(ds, alpha: float = 1.0):
    """Chapter 2: φ_1/2 against γ for every width at one α (the callback of the live widget)."""
    import plotly.graph_objects as go

    fig = go.Figure(phi_gamma_traces(ds, alpha))
    fig.update_layout(title_text=f"Represented fraction against γ, α = {alpha:g} (dashed: m/n)")
    return _phi_gamma_layout(fig)


def phi_gamma_slider_figure(ds, active_alpha: float = 1.0):
    """Chapter 2: φ_1/2 against γ for every width, with a built-in slider over α (the paper's Fig. 3b)."""
    alphas = [float(a) for a in ds["alpha"].values]
    active = int(np.argmin(np.abs(np.asarray(alphas) - active_alpha)))
    fig = slider_figure(
        alphas,
        lambda a: phi_gamma_traces(ds, a),
        label=lambda a: f"{a:g}",
        prefix="α = ",
        title=lambda a: f"Represented fraction against γ, α = {a:g} (dashed: m/n)",
        active=active,
    )
    return _phi_gamma_layout(fig)


def phi_heatmap_slider_figure(ds, active_m: int | None = None, note: str = ""):
    """Chapter 2: heat map of φ_1/2 over (γ, α), with a built-in slider over the width m.

    Cells of ``ds`` that are not ``completed`` are left blank; ``note`` is added to the title
    (e.g. which protocol trained the runs).
    """
    import plotly.graph_objects as go

    ws = [int(m) for m in ds["m"].values]
    n = int(ds.sizes["feature"])
    active = len(ws) - 1 if active_m is None else ws.index(int(active_m))
    g = np.round(np.asarray(ds["gamma"].values, dtype=float), 2)
    a = np.asarray(ds["alpha"].values, dtype=float)

    def traces(m):
        z = np.asarray(ds["phi_half"].sel(m=m).transpose("alpha", "gamma").values, dtype=float)
        if "completed" in ds:
            z = np.where(ds["completed"].sel(m=m).transpose("alpha", "gamma").values.astype(bool), z, np.nan)
        return [
            go.Heatmap(
                x=g,
                y=a,
                z=np.round(np.log10(np.maximum(z, 1e-3)), 3),
                customdata=np.round(z, 3),
                zmin=-2,
                zmax=0,
                colorscale="Viridis",
                colorbar=dict(
                    title=dict(text="φ<sub>1/2</sub>"),
                    tickvals=[-2, -1.5, -1, -0.5, 0],
                    ticktext=["0.01", "0.03", "0.1", "0.3", "1"],
                ),
                hovertemplate="γ = %{x}<br>α = %{y}<br>φ<sub>1/2</sub> = %{customdata}<extra></extra>",
            )
        ]

    fig = slider_figure(
        ws,
        traces,
        label=str,
        prefix="m = ",
        title=lambda m: (
            f"φ<sub>1/2</sub> over (γ, α) at m = {m} (m/n = {m / n:.3f}){note}; colour on a log scale"
        ),
        active=active,
    )
    fig.update_xaxes(title_text="weight decay γ")
    fig.update_yaxes(title_text="frequency exponent α")
    fig.update_layout(height=500, margin=dict(t=90))
    return fig


def live_model_figure(run, k: int = 0, top: int = 40):
    """Chapter 2: W Wᵀ (top ``top`` features) and row norm against rank of one live model (the live widget)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if not 0 <= k < run.W.shape[0]:
        raise ValueError(f"k must be a model index in [0, {run.W.shape[0] - 1}], got {k}")
    top = min(int(top), run.n)
    g = float(run.gammas[k])
    norms = run.norms(k)
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.14, subplot_titles=(f"W Wᵀ, first {top} features", "row norms")
    )
    fig.add_trace(
        go.Heatmap(
            z=np.round(run.gram(k, -1, top), 3),
            x=list(range(1, top + 1)),
            y=list(range(1, top + 1)),
            zmin=-1.2,
            zmax=1.2,
            colorscale="RdBu_r",
            colorbar=dict(x=0.43, len=0.9),
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=np.arange(1, run.n + 1), y=norms, mode="markers", marker=dict(color=gamma_color(g), size=5)
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    fig.update_xaxes(type="log", title_text="rank i", row=1, col=2)
    fig.update_yaxes(title_text="‖W<sub>i</sub>‖", row=1, col=2)
    fig.add_hline(y=0.5, line=dict(dash="dot", color="gray", width=1), row=1, col=2)
    fig.update_layout(
        height=430,
        showlegend=False,
        title_text=f"γ = {g:+g}, α = {run.alpha:g}, n = {run.n}, m = {run.m}: "
        f"φ<sub>1/2</sub> = {np.mean(norms > 0.5):.3f}, loss {run.final_loss[k]:.3f}",
    )
    return fig


# --------------------------------------------------------------------------------------------
# Chapter 3: weak superposition, "power law in, power law out"
# --------------------------------------------------------------------------------------------


def weak_scatter_figure(df):
    """Chapter 3: measured loss against the weak-regime prediction (4/3)Σ_{i>φn} p_i, every run, colour = γ.

    ``df`` is :func:`superscale.analysis.weak_table`. Buttons switch between linear axes (the paper's
    older Fig. 5-1a) and log axes (runs with φ_1/2 = 1 have prediction 0 and drop out there).
    """
    import plotly.graph_objects as go

    hi = float(max(df["loss"].max(), df["predicted"].max())) * 1.05
    custom = np.stack([df["gamma"], df["alpha"], df["m"], df["phi_half"]], axis=1)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[1e-4, hi],
            y=[1e-4, hi],
            mode="lines",
            line=dict(color="black", dash="dash", width=1),
            name="loss = prediction",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=df["predicted"],
            y=df["loss"],
            mode="markers",
            name="trained models",
            customdata=np.round(custom, 3),
            marker=dict(
                color=df["gamma"],
                cmin=-1,
                cmax=1,
                colorscale="RdBu_r",
                size=6,
                line=dict(width=0.3, color="#333"),
                colorbar=dict(title=dict(text="γ")),
            ),
            hovertemplate="predicted %{x:.4g}<br>loss %{y:.4g}<br>γ = %{customdata[0]}, α = %{customdata[1]}, "
            "m = %{customdata[2]}<br>φ<sub>1/2</sub> = %{customdata[3]}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title_text="predicted (4/3) Σ<sub>i > φ<sub>1/2</sub>n</sub> p<sub>i</sub>", range=[0, hi]
    )
    fig.update_yaxes(title_text="measured loss", range=[0, hi])
    lo = max(float(df["loss"][df["loss"] > 0].min()) / 2, 1e-4)
    fig.update_layout(
        height=520,
        legend=dict(x=0.02, y=0.98),
        updatemenus=[
            dict(
                type="buttons",
                direction="right",
                x=1.0,
                y=1.12,
                xanchor="right",
                buttons=[
                    dict(
                        label="linear axes",
                        method="relayout",
                        args=[
                            {
                                "xaxis.type": "linear",
                                "yaxis.type": "linear",
                                "xaxis.range": [0, hi],
                                "yaxis.range": [0, hi],
                            }
                        ],
                    ),
                    dict(
                        label="log axes",
                        method="relayout",
                        args=[
                            {
                                "xaxis.type": "log",
                                "yaxis.type": "log",
                                "xaxis.range": [np.log10(lo), np.log10(hi)],
                                "yaxis.range": [np.log10(lo), np.log10(hi)],
                            }
                        ],
                    ),
                ],
            )
        ],
    )
    return fig


def weak_phi_figure(df, ds, gamma_min: float = 0.0):
    """Chapter 3: loss against the number of represented features φ_1/2·n for the γ > ``gamma_min`` runs,
    colour = α, with the prediction (4/3)Σ_{i>k} p_i dashed for each α (the paper's Fig. 4a)."""
    import plotly.graph_objects as go

    from .analysis import weak_prediction

    n = int(ds.sizes["feature"])
    w = df[df["gamma"] > gamma_min]
    fig = go.Figure()
    ks = np.unique(np.round(np.logspace(0, np.log10(n - 1), 60)).astype(int))
    for a in ds["alpha"].values:
        p = np.asarray(ds["p"].sel(alpha=a).values, dtype=float)
        col = alpha_color(float(a))
        fig.add_trace(
            go.Scatter(
                x=ks,
                y=weak_prediction(p, ks / n),
                mode="lines",
                line=dict(color=col, dash="dash", width=1),
                name=f"prediction α = {a:g}",
                legendgroup=f"{a:g}",
                showlegend=False,
                hoverinfo="skip",
            )
        )
        sub = w[np.isclose(w["alpha"], a)]
        fig.add_trace(
            go.Scatter(
                x=sub["phi_half"] * n,
                y=sub["loss"],
                mode="markers",
                name=f"α = {a:g}",
                legendgroup=f"{a:g}",
                marker=dict(color=col, size=7, line=dict(width=0.4, color="#333")),
                customdata=np.round(np.stack([sub["gamma"], sub["m"]], axis=1), 2),
                hovertemplate="φ<sub>1/2</sub>n = %{x:.0f}<br>loss %{y:.4g}<br>γ = %{customdata[0]}, m = "
                "%{customdata[1]}<extra>α = " + f"{a:g}" + "</extra>",
            )
        )
    fig.update_xaxes(type="log", title_text="represented features φ<sub>1/2</sub>·n")
    fig.update_yaxes(type="log", title_text="loss")
    fig.update_layout(height=520, legend=dict(font=dict(size=10)))
    return fig


def weak_width_traces(ds, alpha: float, gammas, ideal: bool = True) -> list:
    """Chapter 3: loss against width for the given γ at one α, each with its fitted power law, and the
    ideal weak loss Σ_{i>m}(4/3 p_i − p_i²) (black). Always 2·len(gammas) + 1 traces."""
    import plotly.graph_objects as go

    from .fit import fit_power_law
    from .theory import weak_loss

    sel = _sel_near(ds, alpha=alpha)
    ws = np.asarray(ds["m"].values)
    out = []
    for g in gammas:
        gs = _sel_near(ds, gamma=g)["gamma"]
        y = np.asarray(ds["final_loss"].sel(alpha=sel["alpha"], gamma=gs).values, dtype=float)
        se = np.asarray(ds["final_loss_se"].sel(alpha=sel["alpha"], gamma=gs).values, dtype=float)
        ok = np.isfinite(y) & (y > 0)
        f = fit_power_law(ws[ok], y[ok]) if ok.sum() >= 3 else None
        lab = f"γ = {float(gs):+.2f}" + (
            f": α<sub>m</sub> = {f.exponent:.2f} ± {f.exponent_se:.2f}" if f else ""
        )
        out += loss_width_traces(ws, y, name=lab, color=strong_gamma_color(float(gs)), se=se, fit=f)
    p = np.asarray(ds["p"].sel(alpha=sel["alpha"]).values, dtype=float)
    fi = fit_power_law(ws, weak_loss(p, ws))
    out.append(
        go.Scatter(
            x=ws,
            y=weak_loss(p, ws) if ideal else [],
            mode="lines",
            line=dict(color="black", width=2),
            name=f"ideal: first m features, α<sub>m</sub> = {fi.exponent:.2f}",
            hovertemplate="m = %{x}<br>ideal L = %{y:.4g}<extra></extra>",
        )
    )
    return out


def weak_width_slider_figure(ds, gammas=None, active_alpha: float = 1.5):
    """Chapter 3: loss against width for the weak runs (γ > 0 by default), with a built-in slider over α."""
    if gammas is None:
        gammas = [float(g) for g in ds["gamma"].values if g > 0]
    alphas = [float(a) for a in ds["alpha"].values]
    active = int(np.argmin(np.abs(np.asarray(alphas) - active_alpha)))
    fig = slider_figure(
        alphas,
        lambda a: weak_width_traces(ds, a, gammas),
        label=lambda a: f"{a:g}",
        prefix="α = ",
        title=lambda a: f"Loss against width, weak superposition, α = {a:g}",
        active=active,
    )
    fig.update_xaxes(type="log", title_text="width m")
    fig.update_yaxes(type="log", title_text="loss")
    fig.update_layout(height=520, legend=dict(font=dict(size=11)), margin=dict(t=90))
    return fig


def weak_alpha_m_figure(table, least, paper_points=None, n: int = 1000, widths=(10, 15, 25, 39, 63, 100)):
    """Chapter 3: α_m against α for the least ambiguous runs (the paper's Fig. 4b), with the line α − 1,
    the finite-n ideal curve and the paper's points.

    ``table`` is :func:`superscale.analysis.exponent_table` (all runs with γ > 0 are drawn faintly),
    ``least`` its least ambiguous rows (:func:`~superscale.analysis.least_ambiguous`).
    """
    import plotly.graph_objects as go

    from .analysis import PAPER_WEAK_ALPHA_M, ideal_alpha_m

    paper_points = PAPER_WEAK_ALPHA_M if paper_points is None else paper_points
    fig = go.Figure()
    xs = np.linspace(1.0, 2.0, 21)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=xs - 1,
            mode="lines",
            line=dict(color="#2ca02c", dash="dash"),
            name="α<sub>m</sub> = α − 1",
        )
    )
    ai = np.round(np.arange(0, 2.0001, 0.0625), 4)
    fig.add_trace(
        go.Scatter(
            x=ai,
            y=[ideal_alpha_m(float(a), n, widths).exponent for a in ai],
            mode="lines",
            line=dict(color="black", width=2),
            name=f"ideal weak loss at n = {n}, m = {min(widths)}…{max(widths)}",
        )
    )
    weak = table[table["gamma"] > 0]
    fig.add_trace(
        go.Scatter(
            x=weak["alpha"],
            y=weak["alpha_m"],
            mode="markers",
            marker=dict(color="rgba(150,150,150,0.45)", size=6),
            name="all γ > 0 runs",
            visible="legendonly",
            customdata=np.round(weak["gamma"], 2),
            hovertemplate="α = %{x}<br>α<sub>m</sub> = %{y:.3f}<extra>γ = %{customdata}</extra>",
        )
    )
    if len(paper_points):
        pa = np.array(paper_points, dtype=float)
        fig.add_trace(
            go.Scatter(
                x=pa[:, 0],
                y=pa[:, 1],
                mode="markers",
                marker=dict(symbol="diamond-open", size=10, color="#555", line=dict(width=2)),
                name="paper (read off Fig. 4b)",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=least["alpha"],
            y=least["alpha_m"],
            mode="markers",
            error_y=dict(type="data", array=least["se"], thickness=1, width=3),
            marker=dict(
                color=least["gamma"],
                cmin=-1,
                cmax=1,
                colorscale="RdBu_r",
                size=10,
                line=dict(width=0.8, color="#222"),
                colorbar=dict(title=dict(text="γ"), x=1.02),
            ),
            customdata=np.round(np.stack([least["gamma"], least["max_ambiguity"]], axis=1), 3),
            name=f"this book: {len(least)} least ambiguous runs",
            hovertemplate="α = %{x}<br>α<sub>m</sub> = %{y:.3f}<br>γ = %{customdata[0]}, max ambiguity "
            "%{customdata[1]}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="frequency exponent α", range=[-0.05, 2.08])
    fig.update_yaxes(title_text="fitted α<sub>m</sub>")
    fig.update_layout(height=520, legend=dict(x=0.01, y=0.99, font=dict(size=11)))
    return fig


def weak_width_figure(ds, alpha: float, gammas):
    """Chapter 3: loss against width at one α for the given γ, with fits and the ideal curve (live widget)."""
    import plotly.graph_objects as go

    fig = go.Figure(weak_width_traces(ds, alpha, list(gammas)))
    fig.update_xaxes(type="log", title_text="width m")
    fig.update_yaxes(type="log", title_text="loss")
    fig.update_layout(
        height=480, title_text=f"Loss against width, α = {alpha:g}", legend=dict(font=dict(size=11))
    )
    return fig


def protocol_check_figure(cheap, paper, active_alpha: float = 1.0):
    """Loss against width for the runs trained with the paper's own protocol (filled markers, dashed
    fitted power law) beside the same models trained with the book's CPU protocol (open markers), one
    colour per γ, with a built-in slider over the α that ``paper`` holds (chapters 3-4).

    ``cheap`` and ``paper`` are sweep Datasets with the same widths; ``paper`` may have γ values that are
    not trained at every α (``completed`` False): those curves are left empty at that α.
    """
    from .fit import fit_power_law

    alphas = [float(a) for a in paper["alpha"].values]
    if not alphas:
        raise ValueError("paper must hold at least one α")
    widths = np.asarray(paper["m"].values, dtype=float)
    gammas = [float(g) for g in paper["gamma"].values]

    def traces(a):
        out = []
        for g in gammas:
            done = bool(paper["completed"].sel(alpha=a, gamma=g).all())
            col = strong_gamma_color(g)
            lab = f"γ = {g:+.2f}"
            if done:
                lp = paper["final_loss"].sel(alpha=a, gamma=g).values
                lc = cheap.sel(**_sel_near(cheap, alpha=a, gamma=g))["final_loss"].sel(m=widths).values
                f = fit_power_law(widths, lp)
                out += loss_width_traces(
                    widths, lp, name=f"{lab}, paper's protocol (α_m = {f.exponent:.2f})", color=col, fit=f
                )
                out += loss_width_traces(
                    widths, lc, name=f"{lab}, book's CPU protocol", color=col, symbol="circle-open"
                )
                out[-2].line.dash = "dot"
            else:
                out += loss_width_traces([], [], name=lab, color=col, showlegend=False)
                out += loss_width_traces([], [], name=lab, color=col, showlegend=False)
        return out

    active = int(np.argmin(np.abs(np.asarray(alphas) - active_alpha)))
    return slider_figure(
        alphas,
        traces,
        label=lambda a: f"{a:g}",
        prefix="α = ",
        title=lambda a: f"Paper's protocol (filled) and the book's CPU protocol (open), α = {a:g}",
        active=active,
        layout=dict(
            xaxis=dict(type="log", title="width m"),
            yaxis=dict(type="log", title="final loss L"),
            height=560,
            legend=dict(font=dict(size=10)),
        ),
    )
