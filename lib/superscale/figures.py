"""The figure layer shared by every chapter: plotly set-up, the built-in slider, colours and style.

Figures in the static book must draw with no kernel and no internet. The book build (``make book``)
sets ``SUPERSCALE_BOOK_BUILD=1``; figures are then written as plain HTML that expects ``window.Plotly``,
which the book loads once per page from its own static files. Elsewhere (Jupyter, nbval) plotly.js is
embedded once by ``init_notebook_mode``; in Colab plotly's own ``colab`` renderer is used.

Each chapter's own figures live in its module under :mod:`superscale.chapters`; this module holds only
what several chapters share.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

BOOK_RENDERER = "superscale_book"
#: Colours used consistently: weak superposition (gamma > 0) warm, strong (gamma < 0) cool.
COLORSCALE_GAMMA = "RdBu"
COLORSCALE_ALPHA = "Viridis"
TEMPLATE = "plotly_white"
#: Colour of the weak-superposition (γ > 0) and strong-superposition (γ < 0) examples (chapters 2-3).
COLOR_WEAK = "#d6604d"
COLOR_STRONG = "#2166ac"
#: Colours of the large model's three frequency laws (as in the paper's Fig. 1).
KIND_COLORS = {"exponential": "#1f77b4", "power": "#ff7f0e", "linear": "#2ca02c"}
KIND_LABELS = {
    "exponential": "exponential e<sup>−i/400</sup>",
    "power": "power law i<sup>−1.2</sup>",
    "linear": "linear n − i",
}


def in_colab() -> bool:
    """True when running inside Google Colab (all chapters)."""
    return "google.colab" in sys.modules


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


def gamma_color(g: float) -> str:
    """The weak (γ > 0) or strong (γ ≤ 0) example colour (chapters 2-3)."""
    return COLOR_WEAK if g > 0 else COLOR_STRONG


def strong_gamma_color(gamma: float) -> str:
    """Colour of a decay γ on a blue (γ = −1, strong) to red (γ = +1, weak) scale, never near white (chapters 3-5)."""
    from plotly.colors import sample_colorscale

    g = float(np.clip(gamma, -1.0, 1.0))
    t = 0.5 + np.sign(g) * (0.18 + 0.32 * abs(g)) if g != 0 else 0.5
    return sample_colorscale(COLORSCALE_GAMMA, [1.0 - t])[0]


def alpha_color(alpha: float, lo: float = 0.0, hi: float = 2.0) -> str:
    """Colour of a frequency exponent α on the Viridis scale over [lo, hi] (chapters 3-5)."""
    from plotly.colors import sample_colorscale

    t = float(np.clip((alpha - lo) / (hi - lo), 0.0, 1.0)) if hi > lo else 0.5
    return sample_colorscale(COLORSCALE_ALPHA, [t])[0]


def width_color(m: float, lo: float = 10, hi: float = 100) -> str:
    """Colour of a width m on the Viridis scale in log m over [lo, hi] (chapters 2-3)."""
    from plotly.colors import sample_colorscale

    t = float(np.clip(np.log(m / lo) / np.log(hi / lo), 0, 1)) if hi > lo else 0.5
    return sample_colorscale(COLORSCALE_ALPHA, [t])[0]


# ------------------------------------------------------------------------------------------
# Figures shared by chapters 3 and 4
# ------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# Chapter 2: the toy model, weight decay as the dial of superposition
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Chapter 5: the geometry of packing
# --------------------------------------------------------------------------------------------


_SAMPLED_OVERLAPS: dict = {}


def sel_near(ds, **kw):
    """``ds.sel`` with nearest matching on float coordinates (γ, α), exact on integers (chapters 2-3)."""
    out = {}
    for k, v in kw.items():
        vals = np.asarray(ds[k].values, dtype=float)
        j = int(np.argmin(np.abs(vals - float(v))))
        if abs(vals[j] - float(v)) > 0.02:
            raise ValueError(f"{k} must be one of {np.round(vals, 3).tolist()}, got {v!r}")
        out[k] = ds[k].values[j]
    return out


# --------------------------------------------------------------------------------------------
# Chapter 3: weak superposition, "power law in, power law out"
# --------------------------------------------------------------------------------------------


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
                lc = cheap.sel(**sel_near(cheap, alpha=a, gamma=g))["final_loss"].sel(m=widths).values
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
