"""Plotting helpers shared by all chapters: plotly set-up, built-in sliders, a common style.

Figures in the static book must draw with no kernel and no internet. The book build (``make book``)
sets ``SUPERSCALE_BOOK_BUILD=1``; figures are then written as plain HTML that expects ``window.Plotly``,
which the book loads once per page from its own static files. Elsewhere (Jupyter, nbval) plotly.js is
embedded once by ``init_notebook_mode``; in Colab plotly's own ``colab`` renderer is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

BOOK_RENDERER = "superscale_book"
#: Colours used consistently: weak superposition (gamma > 0) warm, strong (gamma < 0) cool.
COLORSCALE_GAMMA = "RdBu"
COLORSCALE_ALPHA = "Viridis"
TEMPLATE = "plotly_white"


def _book_renderer():
    from plotly.io import to_html
    from plotly.io._base_renderers import HtmlRenderer

    class BookRenderer(HtmlRenderer):
        """text/html without plotly.js and without MathJax: the book page provides plotly.js."""

        def to_mimebundle(self, fig_dict):
            html = to_html(
                fig_dict,
                include_plotlyjs=False,
                include_mathjax=False,
                full_html=False,
                default_width="100%",
                default_height=500,
                validate=False,
                config={"responsive": True, "displaylogo": False},
            )
            return {"text/html": html}

    return BookRenderer()


def setup_plotly() -> str:
    """Choose the plotly renderer for where the chapter runs and return its name (all chapters).

    Must be called in a top-level cell before any figure, never first inside an ipywidgets
    ``interact``: embedding plotly.js through an Output widget stalls the notebook executor.
    """
    import plotly.graph_objects as go
    import plotly.io as pio

    from .notebook import in_colab

    # plotly_white, with powers of ten (10⁻³) instead of SI prefixes (1m, 100µ) on log axes
    tpl = go.layout.Template(pio.templates[TEMPLATE])
    tpl.layout.xaxis.exponentformat = "power"
    tpl.layout.yaxis.exponentformat = "power"
    pio.templates["superscale"] = tpl
    pio.templates.default = "superscale"
    if in_colab():
        pio.renderers.default = "colab"
    elif os.environ.get("SUPERSCALE_BOOK_BUILD") == "1":
        pio.renderers[BOOK_RENDERER] = _book_renderer()
        pio.renderers.default = BOOK_RENDERER
    else:
        from plotly.offline import init_notebook_mode

        init_notebook_mode(connected=False)
    return pio.renderers.default


def slider_figure(
    steps: Sequence[Any],
    make_traces: Callable[[Any], list],
    *,
    label: Callable[[Any], str] = str,
    prefix: str = "",
    title: Callable[[Any], str] | None = None,
    active: int = 0,
    layout: dict | None = None,
    base=None,
):
    """A figure with a plotly built-in slider: one precomputed set of traces per step.

    ``make_traces(step)`` returns the traces shown at that step; all steps must return the same
    number of traces. Moving the slider only toggles visibility, so it works in the static book
    with no kernel. ``base`` is an optional empty figure (e.g. from ``make_subplots``); traces
    then carry their own ``xaxis``/``yaxis``. Used by chapters 1-6 for every "move the slider" figure.
    """
    import plotly.graph_objects as go

    if len(steps) == 0:
        raise ValueError("steps must hold at least one value")
    if not 0 <= active < len(steps):
        raise ValueError(f"active must be in [0, {len(steps) - 1}], got {active}")
    fig = base if base is not None else go.Figure()
    counts = []
    for k, s in enumerate(steps):
        traces = make_traces(s)
        counts.append(len(traces))
        for tr in traces:
            tr.visible = k == active
            fig.add_trace(tr)
    if len(set(counts)) != 1:
        raise ValueError(f"make_traces must return the same number of traces for every step, got {counts}")
    per = counts[0]
    slider_steps = []
    for k, s in enumerate(steps):
        mask = [False] * (per * len(steps))
        mask[k * per : (k + 1) * per] = [True] * per
        relayout = {"title.text": title(s)} if title else {}
        slider_steps.append(dict(method="update", label=label(s), args=[{"visible": mask}, relayout]))
    fig.update_layout(
        sliders=[dict(active=active, currentvalue={"prefix": prefix}, pad={"t": 50}, steps=slider_steps)],
        **(layout or {}),
    )
    if title:
        fig.update_layout(title_text=title(steps[active]))
    return fig


def log_spaced_ranks(n: int, points: int) -> np.ndarray:
    """About ``points`` distinct integers from 1 to n, evenly spaced in log: keeps log-log figures light (all chapters)."""
    return np.unique(np.round(np.logspace(0, np.log10(n), points)).astype(int))


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten covering [lo, hi], for tick marks on log axes (chapters 1-6)."""
    a, b = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    return [10.0**k for k in range(a, b + 1)]


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
