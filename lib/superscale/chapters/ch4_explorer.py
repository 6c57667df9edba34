"""Chapter 4's headline explorer: pick α and γ, see one loss-versus-width curve and its fitted α_m.

The figure shows, for the frequency exponent α and the weight decay γ the reader picks, the final loss of
the six trained widths (with error bars), the power law fitted to them, the fitted α_m ± its standard
error large in the title, and two guide lines through the curve at the smallest width: 1/m (strong
superposition) and m^−(α−1) (weak superposition, a power law only for α > 1). Data: ``paper-small``
(all 1,020 models of the small sweep at the paper's protocol).

- The static figure: :func:`explorer_figure`. Two plotly sliders (α, all 17; γ, all 10) and precomputed
  traces for all 170 (α, γ) pairs. Plotly's built-in sliders act alone, so their steps do nothing by
  themselves (method ``"skip"``); the small script ``superscale/static/explorer.js``, which the book
  serves like plotly.js, listens to ``plotly_sliderchange`` on every figure whose ``layout.meta`` holds an
  ``"explorer"`` entry (:func:`explorer_meta`) and shows the pair the two sliders select. Without the
  script the figure still opens on α = 2, γ = −0.78 with the right title. :func:`show_explorer` shows it
  with the script attached, for Jupyter or Colab without the book.
- The live version: :func:`explorer_widget` (ipywidgets, the same traces).
- The numbers: :func:`explorer_table` (α_m ± SE for every pair, :func:`pair_data` for one pair).
- The claim: :func:`check_explorer` (at α = 2, γ = −0.78 the explorer shows α_m in the range the book
  quotes).

The browser check ``tools/check_explorer.py`` moves both sliders of the built page and compares what is
drawn with :func:`explorer_table`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import plotly.graph_objects as go
    import xarray as xr

from .. import catalog, checks, exponents, figures
from ..fit import PowerLawFit, fit_power_law
from ..paper import PAPER_FIG5E, PAPER_STRONG_GAMMAS

#: The data set the explorer draws.
DATASET = "paper-small"
#: The pair the figure opens on: α = 2 and the strongest γ of the paper's Fig. 5e.
INITIAL = (2.0, -0.778)
#: The range of α_m at α = 2 over the three strong γ of Fig. 5e that the book quotes for the paper's protocol.
BOOK_ALPHA_M_AT_2 = (1.8, 2.1)
#: The traces of each (α, γ) pair, in order: the m^−(α−1) guide, the 1/m guide, the fitted law, the losses.
ROLES = ("weak guide", "strong guide", "fit", "data")
TRACES_PER_PAIR = len(ROLES)
#: The script that wires the two sliders (served by the book from this folder).
SCRIPT = Path(__file__).resolve().parents[1] / "static" / "explorer.js"

_FRACTIONS = {0.0: "", 0.125: "⅛", 0.25: "¼", 0.375: "⅜", 0.5: "½", 0.625: "⅝", 0.75: "¾", 0.875: "⅞"}
_GUIDE_STRONG, _GUIDE_WEAK = "#444444", "#8c8c8c"


def load() -> xr.Dataset:
    """The explorer's data: ``paper-small`` (chapter 4)."""
    return catalog.load(DATASET)


@dataclass(frozen=True)
class Pair:
    """One (α, γ) of the explorer: the losses over the widths and their power-law fit (chapter 4).

    ``fit`` is None when fewer than 3 widths have a finite, positive loss of a completed model;
    ``used`` marks the widths that entered the fit."""

    alpha: float
    gamma: float
    widths: np.ndarray
    loss: np.ndarray
    se: np.ndarray
    used: np.ndarray
    fit: PowerLawFit | None


def _index(values, v: float, what: str) -> int:
    vals = np.asarray(values, dtype=float)
    i = int(np.argmin(np.abs(vals - v)))
    if abs(vals[i] - v) > 0.01:
        raise ValueError(f"{what} = {v} is not in the data (nearest {vals[i]:g})")
    return i


def pair_data(ds: xr.Dataset, alpha: float, gamma: float) -> Pair:
    """The losses of (α, γ) over the widths of ``ds`` and the power law fitted to them (chapter 4).

    α and γ must match values of ``ds`` to within 0.01 (``ValueError`` otherwise)."""
    i, j = _index(ds["alpha"].values, alpha, "alpha"), _index(ds["gamma"].values, gamma, "gamma")
    sel = ds[[v for v in ("final_loss", "final_loss_se", "completed") if v in ds]].isel(alpha=i, gamma=j)
    w = np.asarray(ds["m"].values, dtype=float)
    loss = np.asarray(sel["final_loss"].values, dtype=float)
    se = (
        np.asarray(sel["final_loss_se"].values, dtype=float)
        if "final_loss_se" in ds
        else np.full_like(loss, np.nan)
    )
    done = np.asarray(sel["completed"].values, dtype=bool) if "completed" in ds else np.ones(w.size, bool)
    used = done & np.isfinite(loss) & (loss > 0)
    fit = fit_power_law(w[used], loss[used]) if used.sum() >= 3 else None
    return Pair(float(ds["alpha"].values[i]), float(ds["gamma"].values[j]), w, loss, se, used, fit)


def explorer_table(ds: xr.Dataset) -> pd.DataFrame:
    """α_m ± SE and R² of every (α, γ) of ``ds``, in the explorer's order (α-major; chapter 4)."""
    rows = []
    for a in ds["alpha"].values:
        for g in ds["gamma"].values:
            p = pair_data(ds, float(a), float(g))
            f = p.fit
            rows.append(
                dict(
                    alpha=p.alpha,
                    gamma=p.gamma,
                    alpha_m=f.exponent if f else math.nan,
                    alpha_m_se=f.exponent_se if f else math.nan,
                    r2=f.r2 if f else math.nan,
                    widths=int(p.used.sum()),
                    label=alpha_m_label(f),
                )
            )
    return pd.DataFrame(rows)


def alpha_m_label(fit: PowerLawFit | None) -> str:
    """α_m ± SE as the title prints it, e.g. ``1.81 ± 0.12`` (chapter 4)."""
    return "no fit (fewer than 3 widths)" if fit is None else f"{fit.exponent:.2f} ± {fit.exponent_se:.2f}"


def _num(x: float) -> str:
    return f"{x:g}".replace("-", "−")


def alpha_label(a: float) -> str:
    """A short slider label for α: 1⅞ for 1.875 (chapter 4)."""
    whole, frac = divmod(round(a * 8) / 8, 1)
    if round(frac, 3) in _FRACTIONS and (whole or frac):
        return f"{int(whole) if whole else ''}{_FRACTIONS[round(frac, 3)]}"
    return _num(a)


def _paper_range(alpha: float, gamma: float) -> tuple[float, float] | None:
    if min(abs(gamma - g) for g in PAPER_STRONG_GAMMAS) > 0.01:
        return None
    for a, lo, hi in PAPER_FIG5E:
        if abs(a - alpha) < 1e-6:
            return lo, hi
    return None


def paper_note(alpha: float, gamma: float) -> str:
    """What the paper says about (α, γ): its measured range (Fig. 5e) and its prediction (chapter 4)."""
    region = exponents.region_of(gamma, alpha)
    if region is None:
        pred = "between the paper's regions"
    elif region == "weak" and alpha <= 1:
        pred = "predicted: no power law (α ≤ 1)"
    else:
        formula = {"weak": "α − 1 = ", "strong-flat": "", "strong-skewed": "2(α − 1) = "}[region]
        pred = f"predicted {formula}{exponents.predicted_alpha_m(alpha, region):.2f}"
    paper = _paper_range(alpha, gamma)
    return (f"paper's Fig. 5e: {paper[0]:.2f}–{paper[1]:.2f} · " if paper else "") + pred


def pair_title(p: Pair) -> str:
    """The figure's title for one pair: α_m ± SE large, then α, γ and what the paper has (chapter 4)."""
    regime = "strong superposition" if p.gamma < 0 else "weak superposition"
    head = f"<b>α<sub>m</sub> = {alpha_m_label(p.fit)}</b>"
    sub = f"α = {_num(p.alpha)}, γ = {p.gamma:+.2f} ({regime})".replace("-", "−")
    return f"{head}<br><span style='font-size:14px'>{sub}<br>{paper_note(p.alpha, p.gamma)}</span>"


def pair_traces(p: Pair) -> list[go.Scatter]:
    """The four traces of one pair: the m^−(α−1) and 1/m guides, the fitted law, the losses ± SE (chapter 4).

    Both guides pass through the loss at the smallest fitted width. For α ≤ 1 the weak guide is an empty
    trace (no power law is expected there; plotly leaves it out of the legend, and the title of a γ > 0
    pair says so), so every pair has the same four traces."""
    import plotly.graph_objects as go

    color = figures.gamma_color(p.gamma)
    w, y = p.widths, p.loss
    ok = np.isfinite(y) & (y > 0)
    err = dict(type="data", array=np.where(np.isfinite(p.se), p.se, 0.0)[ok], thickness=1.2, width=4)
    pts = go.Scatter(
        x=w[ok],
        y=y[ok],
        error_y=err,
        mode="lines+markers",
        name="trained models ± SE",
        marker=dict(color=color, size=9),
        line=dict(color=color, width=1),
        hovertemplate="m = %{x}<br>L = %{y:.4g}<extra></extra>",
    )
    ends = np.array([w[p.used].min(), w[p.used].max()]) if p.fit else np.array([])
    fit = go.Scatter(
        x=ends,
        y=p.fit(ends) if p.fit else ends,
        mode="lines",
        name="fitted power law",
        line=dict(color=color, width=2.5, dash="dash"),
        hoverinfo="skip",
    )

    def guide(slope: float, name: str, color: str, dash: str, draw: bool) -> go.Scatter:
        xs = np.array([w[p.used].min(), w[p.used].max()]) if draw else np.array([])
        ys = y[p.used][0] * (xs / w[p.used].min()) ** -slope if draw else xs
        return go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=name,
            line=dict(color=color, width=1.5, dash=dash),
            hoverinfo="skip",
        )

    slope = p.alpha - 1.0
    strong = guide(1.0, "1/m (strong)", _GUIDE_STRONG, "dot", bool(p.used.any()))
    strong.line.width = 2
    weak_name = (
        f"m<sup>−{slope:.3g}</sup> = m<sup>−(α−1)</sup> (weak)"
        if slope > 0
        else "m<sup>−(α−1)</sup> (weak): no power law for α ≤ 1"
    )
    weak = guide(slope, weak_name, _GUIDE_WEAK, "solid", slope > 0 and bool(p.used.any()))
    weak.line.width, weak.opacity = 5, 0.45  # a wide pale band: the 1/m line stays visible on it at α = 2
    return [weak, strong, fit, pts]  # drawn in this order: the data on top


def _axes(fig: go.Figure, widths) -> None:
    fig.update_xaxes(type="log", title_text="width m", tickvals=[float(w) for w in widths])
    fig.update_yaxes(type="log", title_text="final loss L", exponentformat="power")


# Heights in pixels of the explorer: title (three lines), plot area, x-axis title and the two sliders.
_TOP, _PLOT, _BOTTOM = 130, 380, 240
_HEIGHT = _TOP + _PLOT + _BOTTOM


def _title(text: str, height: int = _HEIGHT) -> dict:
    # Placed by its first line: a three-line title hangs below that point.
    return dict(text=text, x=0.5, xanchor="center", y=1 - 36 / height, yref="container", font=dict(size=24))


def _legend() -> dict:
    # Inside the plot, bottom left: every curve here falls from the top left, so that corner stays empty
    # (and a phone keeps the full width for the plot).
    return dict(
        x=0.01,
        y=0.01,
        xanchor="left",
        yanchor="bottom",
        traceorder="reversed",
        bgcolor="rgba(255,255,255,0.8)",
        font=dict(size=11),
    )


def pair_figure(p: Pair) -> go.Figure:
    """One pair alone, as the live version draws it (chapter 4)."""
    import plotly.graph_objects as go

    fig = go.Figure(pair_traces(p))
    _axes(fig, p.widths)
    fig.update_layout(
        title=_title(pair_title(p), _TOP + _PLOT + 60),
        height=_TOP + _PLOT + 60,
        margin=dict(t=_TOP, l=60, r=20, b=60),
        legend=_legend(),
    )
    return fig


def explorer_meta(alphas, gammas, titles, first: int = 0) -> dict:
    """What ``explorer.js`` reads from ``layout.meta["explorer"]`` (chapter 4).

    Pair k = i·len(gammas) + j (α index i, γ index j) owns the traces ``first + k·per_pair`` to
    ``first + (k+1)·per_pair − 1`` (in the order of ``roles``); slider ``alpha_slider`` picks i, slider
    ``gamma_slider`` picks j; ``titles[k]`` is the title of pair k."""
    return {
        "version": 1,
        "alphas": [float(a) for a in alphas],
        "gammas": [float(g) for g in gammas],
        "per_pair": TRACES_PER_PAIR,
        "roles": list(ROLES),
        "first": int(first),
        "order": "alpha-major",
        "alpha_slider": 0,
        "gamma_slider": 1,
        "titles": list(titles),
    }


def _slider(labels, active: int, prefix: str, y: float) -> dict:
    return dict(
        active=active,
        steps=[dict(method="skip", args=[], label=lab) for lab in labels],
        currentvalue=dict(prefix=prefix, font=dict(size=15)),
        font=dict(size=11),
        x=0.0,
        len=1.0,
        xanchor="left",
        y=y,
        yanchor="top",
        pad=dict(t=10, b=0, l=0, r=0),
    )


def explorer_figure(ds: xr.Dataset, alpha: float = INITIAL[0], gamma: float = INITIAL[1]) -> go.Figure:
    """The headline explorer (chapter 4): two sliders, α and γ, over every pair of ``ds``.

    Opens on (``alpha``, ``gamma``). The sliders change the figure through ``explorer.js`` (which the
    book serves; :func:`show_explorer` attaches it elsewhere); without it the figure stays on the
    opening pair, drawn and titled correctly."""
    import plotly.graph_objects as go

    alphas, gammas = np.asarray(ds["alpha"].values, float), np.asarray(ds["gamma"].values, float)
    ia, ig = _index(alphas, alpha, "alpha"), _index(gammas, gamma, "gamma")
    fig = go.Figure()
    titles = []
    for i, a in enumerate(alphas):
        for j, g in enumerate(gammas):
            p = pair_data(ds, a, g)
            titles.append(pair_title(p))
            for tr in pair_traces(p):
                tr.visible = (i, j) == (ia, ig)
                fig.add_trace(tr)
    _axes(fig, ds["m"].values)
    gamma_labels = [f"{g:+.2f}".replace("-", "−") for g in gammas]
    fig.update_layout(
        title=_title(titles[ia * gammas.size + ig]),
        height=_HEIGHT,
        margin=dict(t=_TOP, l=60, r=20, b=_BOTTOM),
        legend=_legend(),
        sliders=[
            _slider([alpha_label(a) for a in alphas], ia, "frequency exponent α: ", -55 / _PLOT),
            _slider(gamma_labels, ig, "weight decay γ (< 0 strong, > 0 weak): ", -150 / _PLOT),
        ],
        meta={"explorer": explorer_meta(alphas, gammas, titles)},
    )
    return fig


def explorer_script() -> str:
    """The text of ``explorer.js``, the script that wires the explorer's two sliders (chapter 4)."""
    return SCRIPT.read_text()


def show_explorer(ds: xr.Dataset) -> None:
    """Show :func:`explorer_figure` with ``explorer.js`` attached (chapter 4).

    In the book the script is served with the page (the book's renderer ignores ``post_script``); in
    classic Jupyter and Colab the HTML renderers run it after drawing, so the sliders work there too."""
    explorer_figure(ds).show(post_script=explorer_script())


def explorer_widget(ds: xr.Dataset):
    """The live version (Colab, Jupyter): α and γ as ipywidgets sliders, redrawing :func:`pair_figure`."""
    import ipywidgets as widgets

    alphas = [float(a) for a in ds["alpha"].values]
    gammas = [(f"{g:+.2f}", float(g)) for g in ds["gamma"].values]

    def show(alpha=INITIAL[0], gamma=INITIAL[1]):
        pair_figure(pair_data(ds, alpha, gamma)).show()

    g0 = gammas[_index([g for _, g in gammas], INITIAL[1], "gamma")][1]
    return widgets.interact(
        show,
        alpha=widgets.SelectionSlider(options=alphas, value=INITIAL[0], description="alpha"),
        gamma=widgets.SelectionSlider(options=gammas, value=g0, description="gamma"),
    )


def check_explorer(ds: xr.Dataset) -> list[checks.Finding]:
    """The explorer's claim (chapter 4): at α = 2, γ = −0.78 its α_m lies in the range the book quotes
    (within 2 standard errors), and the figure opens on that pair with that number in its title."""
    p = pair_data(ds, *INITIAL)
    f = p.fit
    lo, hi = BOOK_ALPHA_M_AT_2
    out = [
        checks.holds(
            "the explorer fits α = 2, γ = −0.78",
            f is not None,
            f"{int(p.used.sum())} of {p.widths.size} widths usable",
        )
    ]
    if f is None:
        return out
    out.append(
        checks.within(
            "at α = 2, γ = −0.78 the explorer shows α_m ≈ 1.8–2.1",
            f.exponent,
            lo,
            hi,
            se=f.exponent_se,
            k=2.0,
            what="α_m",
        )
    )
    fig = explorer_figure(ds)
    title = fig.layout.title.text or ""
    shown = [k for k, t in enumerate(fig.data) if t.visible]
    out.append(
        checks.holds(
            "the explorer opens on α = 2, γ = −0.78 with its α_m in the title",
            alpha_m_label(f) in title and len(shown) == TRACES_PER_PAIR,
            f"title {title.split('<br>')[0]!r}, {len(shown)} traces shown",
        )
    )
    return out
