"""Chapter 4's figure builders (moved from :mod:`superscale.figures`): the plotly figures behind
Figures 4.1-4.2 (:func:`strong_loss_slider_figure`), 4.3 (:func:`protocol_compare_figure`), 4.4-4.5
(:func:`phase_heatmap_figure`; :func:`phase_heatmap_slider_figure` sets several maps behind a slider), 4.6
(:func:`alpha_m_vs_alpha_figure`), 4.7 (:func:`density_figure`), 4.8 (:func:`large_model_figure`) and the
live version (:func:`loss_width_figure`). :mod:`superscale.chapters.ch4_strong` calls them with the
chapter's data; the shared figure layer (renderer, slider, colours) is :mod:`superscale.figures`.
"""

from __future__ import annotations

import numpy as np

from ..data import feature_frequencies
from ..exponents import grid_arrays, large_fit_min_width
from ..figures import (
    KIND_COLORS,
    KIND_LABELS,
    alpha_color,
    loss_width_traces,
    slider_figure,
    strong_gamma_color,
)
from ..fit import fit_power_law
from ..paper import DENSITY_PAPER_E, PAPER_DENSITY_ALPHA_M, PAPER_FIG1_LOSS, PAPER_FIG5E, PAPER_REGIONS
from ..theory import weak_loss


def _fit_label(exponent: float, se: float, r2: float | None = None) -> str:
    if not np.isfinite(exponent):
        return "no fit"
    tail = "" if r2 is None else f", R² = {r2:.3f}"
    return f"α<sub>m</sub> = {exponent:.2f} ± {se:.2f}{tail}"


#: A legend below the plot, in rows: keeps the plot area wide on a narrow screen (chapter 4).
LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.2, x=0, font=dict(size=11))
#: Margins that leave a narrow screen most of its width for the plot (chapter 4).
MARGIN = dict(l=60, r=20, t=60, b=40)


def _slider_on_top(fig):
    """Move a figure's slider above the plot (under the title), so the legend can sit below the plot."""
    fig.update_layout(margin=dict(l=60, r=20, t=150, b=40), title=dict(y=0.98, yanchor="top"))
    fig.layout.sliders[0].update(y=1.0, yanchor="bottom", pad=dict(t=0, b=10), len=1.0, x=0)
    fig.layout.sliders[0].currentvalue.update(offset=4)
    return fig


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
    curves=None,
):
    """Chapter 4: loss against width with fitted power laws and a built-in slider over α or over γ.

    ``loss`` (and optional ``se``) have shape (len(gammas), len(alphas), len(widths)). With
    ``over="alpha"`` each slider step is one α and shows one curve per γ; with ``over="gamma"``
    each step is one γ and shows one curve per α. Legend entries carry α_m ± standard error and R²
    of the fit (widths ≥ ``min_width``). ``curves`` optionally lists the indices (into ``alphas``
    with ``over="gamma"``, into ``gammas`` with ``over="alpha"``) of the curves drawn at each step;
    default all. The legend sits below the plot.
    """
    import plotly.graph_objects as go

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
        lab = _fit_label(fit.exponent, fit.exponent_se) if fit else "no fit"
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

        shown = range(g.size) if curves is None else curves

        def traces(j):
            return [tr for i in shown for tr in curve(i, j, f"γ = {g[i]:+.2f}", strong_gamma_color(g[i]))]

        label, prefix = (lambda j: f"{a[j]:g}"), "α = "
        title = lambda j: f"Loss against width at α = {a[j]:g}, one curve per γ"  # noqa: E731
        default = int(np.argmin(np.abs(a - 1.0)))
    else:
        steps = list(range(g.size))

        shown = range(a.size) if curves is None else curves

        def traces(i):
            return [tr for j in shown for tr in curve(i, j, f"α = {a[j]:g}", alpha_color(a[j]))]

        label, prefix = (lambda i: f"{g[i]:+.2f}"), "γ = "
        title = lambda i: f"Loss against width at γ = {g[i]:+.2f}, one curve per α"  # noqa: E731
        default = 0
    base = go.Figure()
    base.update_xaxes(type="log", title_text="width m")
    base.update_yaxes(type="log", title_text="loss L")
    base.update_layout(height=680, legend=LEGEND_BELOW)
    fig = slider_figure(
        steps,
        traces,
        label=label,
        prefix=prefix,
        title=title,
        active=default if active is None else active,
        base=base,
    )
    return _slider_on_top(fig)


def protocol_compare_figure(widths, alphas, gammas, paper_loss, short_loss, *, active: int = 0):
    """Chapter 4: the same strong models at the paper's protocol (filled, dashed fit) and at the short
    protocol (open, dotted fit), one colour per γ, with a built-in slider over α.

    ``paper_loss`` and ``short_loss`` have shape (len(gammas), len(alphas), len(widths)); each curve's
    legend entry carries its fitted α_m.
    """
    w, a, g = (np.asarray(v, dtype=float) for v in (widths, alphas, gammas))
    P, S = (np.asarray(v, dtype=float) for v in (paper_loss, short_loss))
    for nm, arr in (("paper_loss", P), ("short_loss", S)):
        if arr.shape != (g.size, a.size, w.size):
            raise ValueError(f"{nm} must have shape {(g.size, a.size, w.size)}, got {arr.shape}")

    def traces(j):
        out = []
        for i, gam in enumerate(g):
            col = strong_gamma_color(gam)
            for L, what, sym, dash in (
                (P, "paper's protocol", "circle", "dash"),
                (S, "short", "circle-open", "dot"),
            ):
                f = fit_power_law(w, L[i, j])
                tr = loss_width_traces(
                    w,
                    L[i, j],
                    name=f"γ = {gam:+.2f}, {what}: α<sub>m</sub> = {f.exponent:.2f}",
                    color=col,
                    fit=f,
                    symbol=sym,
                )
                tr[1].line.dash = dash
                out += tr
        return out

    import plotly.graph_objects as go

    base = go.Figure()
    base.update_xaxes(type="log", title_text="width m")
    base.update_yaxes(type="log", title_text="loss L")
    base.update_layout(height=680, legend=LEGEND_BELOW)
    fig = slider_figure(
        list(range(a.size)),
        traces,
        label=lambda j: f"{a[j]:g}",
        prefix="α = ",
        title=lambda j: f"The same models, two trainings, α = {a[j]:g}",
        active=active,
        base=base,
    )
    return _slider_on_top(fig)


def _region_shapes(regions, gammas, alphas) -> tuple[list, list]:
    """The boxes of the paper's regions and, for each, a legend entry (a line of the box's colour):
    the labels stay off the cells."""
    import plotly.graph_objects as go

    g = np.sort(np.asarray(gammas, dtype=float))
    a = np.sort(np.asarray(alphas, dtype=float))
    dg = float(np.min(np.diff(g))) / 2 if g.size > 1 else 0.1
    da = float(np.min(np.diff(a))) / 2 if a.size > 1 else 0.0625
    shapes, notes = [], []
    for r in regions:
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
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line=dict(color=r.color, width=3),
                name=f"{r.name}: " + r.expected.replace("α_m", "α<sub>m</sub>"),
                hoverinfo="skip",
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
    defaults to :data:`superscale.paper.PAPER_REGIONS`; pass ``()`` for none.
    """
    import plotly.graph_objects as go

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
            colorbar=dict(title=dict(text=what), thickness=12),
            hovertemplate=hover + "<extra></extra>",
        )
    )
    shapes, notes = _region_shapes(PAPER_REGIONS if regions is None else regions, g, a)
    for tr in notes:
        fig.add_trace(tr)
    fig.update_layout(
        shapes=shapes,
        height=680,
        margin=dict(l=60, r=10, t=60, b=40),
        legend=dict(orientation="h", yanchor="top", y=-0.14, x=0, font=dict(size=11)),
    )
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
    base.update_layout(height=740)
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
    (default :data:`superscale.paper.PAPER_FIG5E`; ``()`` for none) are drawn as grey bars: the
    range of the paper's strong-regime points at each α, read off its figure. ``other`` maps a γ to
    ``(alphas, exponent, se)`` of a second set of runs (for example the same models trained with the
    paper's protocol on part of the grid), drawn as solid squares with a dark outline, labelled with
    ``other_label``. Every marker is solid, so it shows on the grey bars and in the legend.
    """
    import plotly.graph_objects as go

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
                marker=dict(color="rgba(150,150,150,0.45)", line=dict(width=0)),
                name="the paper's strong points (range, read off its Fig. 5e)",
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
                    marker=dict(
                        color=col,
                        size=9 if hollow else 10,
                        symbol="square" if hollow else "circle",
                        line=dict(width=1.5 if hollow else 1, color="#222"),
                    ),
                    error_y=dict(type="data", array=s, thickness=1.2, width=3, color=col),
                    hovertemplate="α = %{x:.3f}<br>α<sub>m</sub> = %{y:.3f}<extra>γ = "
                    + f"{gam:+.2f}{suffix}"
                    + "</extra>",
                )
            )
    fig.update_xaxes(title_text="frequency exponent α", range=[-0.08, 2.08])
    fig.update_yaxes(title_text="fitted α<sub>m</sub>", rangemode="tozero")
    fig.update_layout(height=600, legend=LEGEND_BELOW, margin=MARGIN)
    return fig


def density_figure(E, loss, gammas, width: int, exponent, se, *, paper=None, paper_E=None):
    """Chapter 4: activation density (the paper's Fig. 14). Left: loss against E at one width, one line per γ.
    Right: fitted α_m against E, one series per γ, with the paper's values (black squares).

    ``loss``, ``exponent`` and ``se`` have shape (len(gammas), len(E)). ``paper`` is a sequence of
    (α_m, se) at densities ``paper_E`` (default: :data:`superscale.paper.PAPER_DENSITY_ALPHA_M`).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

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
    fig.update_layout(height=560, legend=LEGEND_BELOW, margin=MARGIN)
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
    names: dict | None = None,
):
    """Chapter 4: the large toy model (the paper's Fig. 1b, d). Left: weak (γ > 0); right: strong (γ < 0).

    ``loss`` maps ``(regime, kind)`` with regime in {"weak", "strong"} and kind in {"exponential",
    "power", "linear"} to losses over ``widths`` (NaN where a width was not trained), or to a pair
    ``(widths_of_this_run, losses)`` (``se`` then has the same length as those losses). ``fits`` maps
    the same keys to PowerLawFit (or None) drawn dashed over the widths they used (attribute
    ``widths``, else all). With ``paper`` the paper's values read off Fig. 1 are drawn as faint open
    markers; with ``ideal`` the weak panel shows the loss of the ideal no-superposition model, (4/3)Σ_{i>m}p_i − p_i².
    ``other`` maps the same keys to ``(widths, loss)`` or ``(widths, loss, label)`` of a second run (another
    protocol), drawn as open circles on dotted lines and named ``label`` (else ``other_label``) in the legend.
    ``names`` (optional) maps keys to the protocol of the main run, added to its legend entry.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

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
                ow, oy = (np.asarray(v, dtype=float) for v in other[key][:2])
                olab = other[key][2] if len(other[key]) > 2 else other_label
                fig.add_trace(
                    go.Scatter(
                        x=ow,
                        y=oy,
                        mode="lines+markers",
                        marker=dict(color=c, symbol="circle-open", size=7),
                        line=dict(color=c, width=1, dash="dot"),
                        name=f"{KIND_LABELS[kind]} ({regime}), {olab}",
                        legendgroup=f"other-{regime}-{kind}",
                        hovertemplate=f"{olab}, m = %{{x}}<br>L = %{{y:.4g}}<extra></extra>",
                    ),
                    row=1,
                    col=col,
                )
            if key not in loss:
                continue
            fit = (fits or {}).get(key)
            lab = f"{KIND_LABELS[kind]} ({regime})"
            if names and key in names:
                lab += f", {names[key]}"
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
