"""Chapter 2, the toy model and weight decay as the dial of superposition: load, compute, figures, claims.

Everything behind ``book/02_toy_model.ipynb`` that no other chapter uses lives here.

========================  =====================================================================
What the chapter shows    Made by
========================  =====================================================================
Figure 2.1                :func:`decay_growth_figure`
live table (2 models)     :func:`train_live`, then :func:`live_table`
Figure 2.2                :func:`gram_slider_figure`
Figure 2.3                :func:`live_run_figure`
the data and protocol     :func:`load` (data sets ``short-small`` and ``paper-small`` of
                          :mod:`superscale.catalog`), :func:`data_summary`, :func:`protocol_table`
Figure 2.4                :func:`norm_hist_slider_figure`
Table 2.1                 :func:`norm_table`
Figure 2.5                :func:`phi_gamma_slider_figure`
Table 2.2                 :func:`phi_table`
Table 2.3                 :func:`comparison_table` (from :func:`phi_comparison`)
the plateau counts        :func:`strong_plateau`, :func:`weak_ratio`
Figure 2.6                :func:`phi_heatmap_slider_figure`
Figure 2.7                :func:`kept_figure`; the notes' table :func:`kept_table` (from :func:`kept_per_width`)
the live widget           :func:`train_live`, :func:`live_model_figure`
the readable step         :func:`superscale.live.engine_steps`, :func:`check_same_as_engine`
the chapter's claims      :func:`claims` (runs :func:`check_live`, :func:`check_norms`,
                          :func:`check_plateaus`, :func:`check_transition`, :func:`check_kept`)
========================  =====================================================================

Losses are in the paper's units (summed over the n features, averaged over samples).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis import protocol_summary, weak_prediction
from ..checks import Finding, at_least, at_most, holds, within
from ..data import power_law_frequencies
from ..figures import gamma_color, log_spaced_ranks, sel_near, slider_figure, width_color
from ..live import LiveRun, engine_steps, gram_heatmap, live_model_figure, snapshot_steps, train_live  # noqa: F401
from ..model import phi_half
from ..paper import PAPER_FIG3_PHI

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "KEPT_CLAIMS",
    "TRANSITION_CLAIMS",
    "LiveRun",
    "snapshot_steps",
    "train_live",
    "engine_steps",
    "live_model_figure",
    "live_table",
    "load",
    "data_summary",
    "protocol_table",
    "pick_alpha",
    "norm_table",
    "phi_table",
    "phi_comparison",
    "comparison_table",
    "Plateau",
    "strong_plateau",
    "weak_ratio",
    "kept_per_width",
    "kept_table",
    "decay_growth_figure",
    "gram_slider_figure",
    "live_run_figure",
    "norm_hist_slider_figure",
    "phi_gamma_slider_figure",
    "phi_heatmap_slider_figure",
    "kept_figure",
    "check_live",
    "check_norms",
    "check_plateaus",
    "check_transition",
    "check_kept",
    "check_same_as_engine",
    "claims",
]

#: γ at or below which the paper finds every feature represented (strong growth; its grid value −0.56).
STRONG_GAMMA_MAX = -0.55
#: γ at or above which the paper finds about m features represented (clear decay; its grid value 0.33).
WEAK_GAMMA_MIN = 0.33


# --------------------------------------------------------------------------------------------
# A small live run (Figures 2.2, 2.3 and the live widget)
# --------------------------------------------------------------------------------------------


def live_table(run: LiveRun) -> pd.DataFrame:
    """The live models' final loss (± standard error), φ_1/2 and the loss of the ideal model without
    superposition (its m most frequent features represented exactly), one row per γ (chapter 2)."""
    p = power_law_frequencies(run.n, run.alpha)
    phi = [phi_half(run.W[k, -1]) for k in range(run.gammas.size)]
    return pd.DataFrame(
        {
            "gamma": run.gammas,
            "final loss": run.final_loss,
            "std. error": run.final_loss_se,
            "phi_1/2": phi,
            "m/n": run.m / run.n,
            "no-superposition loss (first m features)": weak_prediction(p, run.m / run.n, exact=True),
        }
    )


# --------------------------------------------------------------------------------------------
# The precomputed n = 1000 sweep (Figures 2.4-2.7, Tables 2.1-2.3)
# --------------------------------------------------------------------------------------------


def load() -> tuple[xr.Dataset, xr.Dataset]:
    """The chapter's two sweeps of the paper's small grid (n = 1000), as xarray Datasets (chapter 2):
    ``short-small`` (the book's short CPU protocol) and ``paper-small`` (the paper's own protocol)."""
    from .. import catalog

    return catalog.load("short-small"), catalog.load("paper-small")


def data_summary(ds) -> str:
    """One sentence naming the data set's file, its grid and how its protocol departs from the paper's
    (chapter 2; :func:`superscale.analysis.protocol_summary` with the catalog's file name)."""
    name = ds.attrs.get("dataset")
    return protocol_summary(ds.assign_attrs(loaded_from=name) if name else ds)


def protocol_table(ds) -> pd.DataFrame:
    """How the sweep in ``ds`` was trained, beside the paper's protocol (chapter 2's Reproduction notes),
    as a DataFrame. Everything in the first column is read from the file's attributes."""
    from ..training import PROTOCOLS

    pr, paper = json.loads(ds.attrs["protocol"]), PROTOCOLS["paper-small"].to_dict()
    rows = [
        ("batch size", pr.get("batch"), paper["batch"]),
        ("training steps", pr.get("steps"), paper["steps"]),
        ("samples seen per model", pr.get("batch", 0) * pr.get("steps", 0), paper["batch"] * paper["steps"]),
        ("peak learning rate", pr.get("peak_lr"), paper["peak_lr"]),
        ("warm-up (fraction of steps)", pr.get("warmup_frac"), paper["warmup_frac"]),
        ("final learning rate (fraction of peak)", pr.get("floor"), paper["floor"]),
        ("fresh samples for the final loss", pr.get("eval_samples"), paper["eval_samples"]),
        (
            "training time (CPU-seconds, all models)",
            f"{float(ds.attrs.get('train_seconds_total', np.nan)):.0f}",
            "—",
        ),
    ]
    name = "short protocol" if pr.get("name") != "paper-small" else "these models"
    return pd.DataFrame(rows, columns=["setting", name, "paper's protocol"]).set_index("setting")


def pick_alpha(ds, target: float = 1.0) -> float:
    """The exponent α of the sweep closest to ``target`` (chapter 2): ``target`` itself when the file
    has it, otherwise the nearest one."""
    a = np.asarray(ds["alpha"].values, dtype=float)
    if a.size == 0:
        raise ValueError("the sweep holds no α value")
    return float(a[int(np.argmin(np.abs(a - target)))])


def _nearest(ds, name: str, v: float):
    """The value of coordinate ``name`` of ``ds`` within 0.02 of ``v`` (γ and α are stored rounded, e.g.
    −0.5556); ``ValueError`` naming the grid when there is none."""
    values = np.asarray(ds[name].values, dtype=float)
    j = int(np.argmin(np.abs(values - float(v))))
    if abs(values[j] - float(v)) > 0.02:
        raise ValueError(f"{name} must be one of {np.round(values, 3).tolist()}, got {v!r}")
    return ds[name].values[j]


def norm_table(ds, alpha: float = 1.0, m: int = 100) -> pd.DataFrame:
    """Row norms of the width-``m`` models at ``alpha``, one row per γ (chapter 2, Table 2.1): φ_1/2, the
    fraction of norms in the gap (0.2, 0.8), the median, smallest and largest norm."""
    a = _nearest(ds, "alpha", alpha)
    rows = []
    for g in ds["gamma"].values:
        r = ds["row_norm"].sel(alpha=a, gamma=g, m=m).values.astype(float)
        rows.append(
            {
                "gamma": round(float(g), 2),
                "phi_1/2": float(np.mean(r > 0.5)),
                "norms in (0.2, 0.8)": float(np.mean((r > 0.2) & (r < 0.8))),
                "median norm": float(np.median(r)),
                "smallest norm": float(r.min()),
                "largest norm": float(r.max()),
            }
        )
    return pd.DataFrame(rows).set_index("gamma")


def phi_table(ds, alpha: float = 1.0) -> pd.DataFrame:
    """φ_1/2 at ``alpha``, rows γ (rounded to 2 decimals), one column per width (chapter 2, Table 2.2)."""
    phi = ds["phi_half"].sel(alpha=_nearest(ds, "alpha", alpha)).to_pandas()
    phi.index = np.round(phi.index, 2)
    phi.columns = [f"m = {m}" for m in phi.columns]
    return phi


def phi_comparison(ds, alpha: float = 1.0) -> pd.DataFrame:
    """φ_1/2 of the sweep beside the paper's Fig-3-2 readings at the γ near the transition (chapter 2).

    Returns a DataFrame indexed by (γ, width) with columns "ours" and "paper" (NaN where the paper
    shows no value).
    """
    a = float(_nearest(ds, "alpha", alpha))
    rows = []
    for g, ref in PAPER_FIG3_PHI.items():
        gg = float(_nearest(ds, "gamma", g))
        for m in ds["m"].values:
            ours = float(ds["phi_half"].sel(alpha=a, gamma=gg, m=m))
            rows.append({"γ": round(gg, 2), "m": int(m), "ours": ours, "paper": ref.get(int(m), np.nan)})
    return pd.DataFrame(rows).set_index(["γ", "m"])


def comparison_table(ds, alpha: float = 1.0) -> pd.DataFrame:
    """Table 2.3 (chapter 2): φ_1/2 near the transition, the runs ``ds`` ("ours") beside the paper's
    Fig. 3-2 ("paper"); rows width, columns (source, γ)."""
    return phi_comparison(ds, alpha=alpha).unstack(0)


@dataclass
class Plateau:
    """The strong-growth models (γ ≤ −0.56) of a sweep, over every α and width (chapter 2).

    ``models``: how many were trained; ``below_one``: how many have φ_1/2 < 1; ``smallest``: the
    smallest φ_1/2; ``low``: φ_1/2 of those below ``below`` (index α, γ, m)."""

    models: int
    below_one: int
    smallest: float
    low: pd.Series


def strong_plateau(ds, below: float = 0.99) -> Plateau:
    """How far the strong-growth models of ``ds`` (trained ones, γ ≤ −0.56) sit from φ_1/2 = 1 (chapter 2)."""
    phi = ds["phi_half"].where(ds["gamma"] <= STRONG_GAMMA_MAX, drop=True)
    phi = phi.where(ds["completed"].sel(gamma=phi["gamma"]))
    return Plateau(
        models=int(phi.notnull().sum()),
        below_one=int((phi < 1).sum()),
        smallest=float(phi.min()),
        low=phi.where(phi < below).to_series().dropna(),
    )


def weak_ratio(ds) -> xr.DataArray:
    """φ_1/2 / (m/n) of the clearly decayed models (γ ≥ 0.33), every α, width and γ, as an xarray
    DataArray (chapter 2): 1 means exactly m features represented."""
    weak = ds["phi_half"].where(ds["gamma"] >= WEAK_GAMMA_MIN, drop=True)
    return weak / (ds["m"] / ds.sizes["feature"])


def kept_per_width(ds, gamma_min: float = WEAK_GAMMA_MIN) -> pd.Series:
    """Median of φ_1/2·n/m (represented features in units of the width) over the trained models with
    γ >= ``gamma_min`` and every width, one value per α, as a pandas Series (chapter 2, Fig. 2.7)."""
    r = ds["phi_half"].where(ds["completed"]) * ds.sizes["feature"] / ds["m"]
    return r.where(ds["gamma"] >= gamma_min).median(["gamma", "m"]).to_series()


def kept_table(ds, paper) -> pd.DataFrame:
    """Figure 2.7's table (chapter 2): :func:`kept_per_width` of the book's sweep ``ds`` and of the runs
    at the paper's protocol, one row per α that both hold."""
    return pd.DataFrame(
        {"book's protocol": kept_per_width(ds), "paper's protocol": kept_per_width(paper)}
    ).dropna()


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def decay_growth_figure(eta: float = 1e-2, gammas=(0.5, 1.0, -0.5, -1.0)):
    """Figure 2.1: how far one optimizer step's decay (γ > 0) or growth (γ < 0) moves a row norm r.

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


def gram_slider_figure(run: LiveRun, top: int = 40, pair: tuple[int, int] = (0, 1)):
    """Figure 2.2: heat maps of W Wᵀ (top ``top`` features) for two live models, with a slider over
    training steps (chapter 2).

    ``run`` is a :class:`LiveRun`; ``pair`` picks the two models shown (left and right), normally one
    with γ > 0 and one with γ < 0.
    """
    from plotly.subplots import make_subplots

    K = run.W.shape[0]
    if not (0 <= pair[0] < K and 0 <= pair[1] < K):
        raise ValueError(f"pair must hold two model indices in [0, {K - 1}], got {pair}")
    if not (isinstance(top, (int, np.integer)) and 2 <= top <= run.n):
        raise ValueError(f"top must be an integer in [2, {run.n}], got {top!r}")
    titles = tuple(f"γ = {run.gammas[k]:+g}" for k in pair)
    base = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.1)

    def traces(s):
        return [
            gram_heatmap(
                run.gram(k, s, top),
                top,
                showscale=j == 1,
                colorbar=dict(title=dict(text="(W Wᵀ)<sub>ij</sub>"), len=0.9),
                xaxis=f"x{j + 1 if j else ''}",
                yaxis=f"y{j + 1 if j else ''}",
                hovertemplate="i = %{y}, j = %{x}<br>W<sub>i</sub>·W<sub>j</sub> = %{z}<extra></extra>",
            )
            for j, k in enumerate(pair)
        ]

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


def live_run_figure(run: LiveRun):
    """Figure 2.3: training loss against step (left) and row norm ‖W_i‖ against rank i (right) of the
    live models (chapter 2)."""
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


def _norm_hist_traces(ds, gamma: float, alpha: float, m: int) -> list:
    """Histogram of the row norms (left axes) and row norm against rank (right axes) of one sweep model."""
    import plotly.graph_objects as go

    sel = sel_near(ds, gamma=gamma, alpha=alpha, m=m)
    counts = np.asarray(ds["norm_hist"].sel(**sel).values, dtype=float)
    centers = np.asarray(ds["bin"].values, dtype=float)
    norms = np.asarray(ds["row_norm"].sel(**sel).values, dtype=float)
    ranks = log_spaced_ranks(norms.size, 300)
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
        *_guides(norms.size, m),
    ]


def _guides(n: int, m: int) -> list:
    """Figure 2.4's guide lines as traces (shapes on a subplot without data are dropped): the threshold
    1/2, dotted, on both panels, and rank m, dashed, on the right."""
    import plotly.graph_objects as go

    kw = dict(mode="lines", hoverinfo="skip", showlegend=False)
    dot, dash = dict(color="gray", width=1.5, dash="dot"), dict(color="gray", width=1.5, dash="dash")
    return [
        go.Scatter(
            x=[0.5, 0.5], y=[0.8, 1.25 * n], line=dot, name="threshold 1/2", xaxis="x", yaxis="y", **kw
        ),
        go.Scatter(x=[1, n], y=[0.5, 0.5], line=dot, name="threshold 1/2", xaxis="x2", yaxis="y2", **kw),
        go.Scatter(x=[m, m], y=[0, 2], line=dash, name=f"rank m = {m}", xaxis="x2", yaxis="y2", **kw),
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
    fig.update_layout(height=440, showlegend=False, margin=dict(t=90), bargap=0)
    return fig


def _norm_title(ds, gamma, alpha, m) -> str:
    sel = sel_near(ds, gamma=gamma, alpha=alpha, m=m)
    phi = float(ds["phi_half"].sel(**sel))
    n = int(ds.sizes["feature"])
    return (
        f"γ = {float(sel['gamma']):+.2f}, α = {float(sel['alpha']):g}, m = {int(sel['m'])}: "
        f"φ<sub>1/2</sub> = {phi:.3f} (m/n = {int(sel['m']) / n:.3f})"
    )


def norm_hist_slider_figure(ds, alpha: float = 1.0, m: int = 100, active_gamma: float | None = None):
    """Figure 2.4: row-norm histogram and norm against rank with a built-in slider over γ (the paper's
    Fig. 3a; chapter 2). The slider starts at the γ nearest ``active_gamma`` (the first γ if None)."""
    gammas = [float(g) for g in ds["gamma"].values]
    active = 0 if active_gamma is None else int(np.argmin(np.abs(np.asarray(gammas) - active_gamma)))
    return slider_figure(
        gammas,
        lambda g: _norm_hist_traces(ds, g, alpha, m),
        label=lambda g: f"{g:+.2f}",
        prefix="γ = ",
        title=lambda g: _norm_title(ds, g, alpha, m),
        active=active,
        base=_norm_hist_base(int(ds.sizes["feature"]), m),
    )


def _phi_gamma_traces(ds, alpha: float) -> list:
    """φ_1/2 against γ, one line per width, with the m/n levels dashed (the paper's Fig. 3b)."""
    import plotly.graph_objects as go

    a = _nearest(ds, "alpha", alpha)
    n = int(ds.sizes["feature"])
    ws = [int(m) for m in ds["m"].values]
    g = np.asarray(ds["gamma"].values, dtype=float)
    out = []
    for m in ws:
        col = width_color(m, min(ws), max(ws))
        y = np.asarray(ds["phi_half"].sel(alpha=a, m=m).values, dtype=float)
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


def phi_gamma_slider_figure(ds, active_alpha: float = 1.0):
    """Figure 2.5: φ_1/2 against γ for every width, with a built-in slider over α (the paper's Fig. 3b;
    chapter 2)."""
    alphas = [float(a) for a in ds["alpha"].values]
    active = int(np.argmin(np.abs(np.asarray(alphas) - active_alpha)))
    fig = slider_figure(
        alphas,
        lambda a: _phi_gamma_traces(ds, a),
        label=lambda a: f"{a:g}",
        prefix="α = ",
        title=lambda a: f"Represented fraction against γ, α = {a:g} (dashed: m/n)",
        active=active,
    )
    fig.update_xaxes(title_text="weight decay γ  (γ < 0: growth)", range=[-1.08, 1.08])
    fig.update_yaxes(
        type="log", title_text="φ<sub>1/2</sub> (fraction of features represented)", range=[-2.3, 0.1]
    )
    fig.add_vline(x=0, line=dict(color="gray", width=1))
    fig.update_layout(height=480, margin=dict(t=90))
    return fig


def phi_heatmap_slider_figure(ds, active_m: int | None = None, note: str = ""):
    """Figures 2.6 and 2.7: heat map of φ_1/2 over (γ, α), with a built-in slider over the width m
    (chapter 2).

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


def kept_figure(ds):
    """Figure 2.7 (chapter 2): represented features in units of the width, φ_1/2·n/m, of the decayed
    models (γ ≥ 0.33) against α: the median over γ at each width, and over γ and widths (black)."""
    import plotly.graph_objects as go

    ws = [int(m) for m in ds["m"].values]
    r = ds["phi_half"].where(ds["completed"]) * ds.sizes["feature"] / ds["m"]
    r = r.where(ds["gamma"] >= WEAK_GAMMA_MIN)
    fig = go.Figure()
    for m in ws:
        col = width_color(m, min(ws), max(ws))
        y = r.sel(m=m).median("gamma").to_series()
        fig.add_trace(
            go.Scatter(x=y.index, y=y.values, mode="lines+markers", name=f"m = {m}", line=dict(color=col))
        )
    k = kept_per_width(ds)
    fig.add_trace(
        go.Scatter(x=k.index, y=k.values, mode="lines", name="all widths", line=dict(color="black", width=3))
    )
    fig.add_hline(y=1, line=dict(dash="dash", color="gray", width=1))
    fig.update_xaxes(title_text="frequency exponent α")
    fig.update_yaxes(type="log", title_text="represented features / m  (φ<sub>1/2</sub> n/m)")
    fig.update_layout(
        height=420,
        title_text="Features kept by decay (γ ≥ 0.33), per width m",
        legend=dict(orientation="h", y=-0.2),
    )
    return fig


# --------------------------------------------------------------------------------------------
# The chapter's claims
# --------------------------------------------------------------------------------------------

#: Figure 2.7 and the notes: (protocol, α from, α to, lower, upper bound, what it says) on the median φ_1/2 n/m.
KEPT_CLAIMS = (
    ("paper's protocol", 0.0, 0.0, 4.5, 4.9, "4.7 m features at α = 0"),
    ("paper's protocol", 1.0, 1.0, 1.5, 1.8, "1.7 m features at α = 1"),
    ("paper's protocol", 2.0, 2.0, 0.15, 0.25, "about 0.2 m features at α = 2"),
    ("book's protocol", 0.0, 2.0, 0.0, 0.155, "at most 0.15 m features at every α"),
)
#: Figure 2.6's caption on φ_1/2 at γ = −0.11, the paper's protocol: (α from, α to, width, lower, upper, words).
TRANSITION_CLAIMS = (
    (0.0, 1.0, 10, 0.0, 0.40, "at most 0.4 at m = 10 for α ≤ 1"),
    (0.0, 1.0, 100, 0.80, 0.90, "0.8-0.9 at m = 100 for α ≤ 1"),
    (1.375, 2.0, 100, 0.95, 1.0, "above 0.95 at m = 100 for α ≥ 1.375"),
)


def _at_gamma(s: pd.Series, g: float) -> pd.Series:
    """The part of a Series indexed by (γ, m) at the γ within 0.01 of ``g``."""
    level = s.index.get_level_values("γ")
    return s[np.isclose(level, g, atol=0.01)].droplevel("γ")


def check_live(run: LiveRun) -> list[Finding]:
    """What the chapter says about the two live models (its first table, Figures 2.2-2.3): decay keeps
    about m features, growth keeps every feature and beats the ideal model without superposition, and
    the decay model's loss is close to that ideal model's (chapter 2)."""
    t = live_table(run)
    if not ((t["gamma"] > 0).any() and (t["gamma"] < 0).any()):
        raise ValueError(
            f"run must hold a model with γ > 0 and one with γ < 0, got γ = {run.gammas.tolist()}"
        )
    w, s = t[t["gamma"] > 0].iloc[0], t[t["gamma"] < 0].iloc[0]
    mn, ideal = run.m / run.n, "no-superposition loss (first m features)"
    gap, se = s[ideal] - s["final loss"], s["std. error"]
    what = f"φ_1/2 of the live model at γ = {w['gamma']:+g} (m/n = {mn:.2f}; from m/(2n) to 3m/n expected)"
    decay, growth = "the live model with decay", "the live model with growth"
    return [
        within(f"{decay} keeps about m features", w["phi_1/2"], mn / 2, 3 * mn, what=what, digits=3),
        at_least(f"{growth} represents every feature", s["phi_1/2"], 1.0, what="its φ_1/2", digits=3),
        holds(
            f"{growth} reaches a clearly lower loss than any model without superposition",
            gap > 2 * se,
            f"its loss {s['final loss']:.4f} ± {se:.4f} is {gap:+.4f} below the no-superposition loss "
            f"{s[ideal]:.4f} (more than 2 standard errors needed)",
        ),
        within(
            f"{decay} has a loss close to the ideal model without superposition",
            w["final loss"] / w[ideal],
            0.85,
            1.15,
            what="its loss divided by the no-superposition loss",
        ),
    ]


def check_norms(table: pd.DataFrame) -> list[Finding]:
    """Table 2.1's claims (``table`` from :func:`norm_table`; chapter 2): with decay (γ ≥ 0.33) at most a
    few percent of the norms lie in the gap (0.2, 0.8); with strong growth (γ ≤ −0.56) at least 99 % of
    the norms are above 1/2 and the median is near 1; at the strongest growth every norm is above 1/2."""
    out = []
    for g, r in table.iterrows():
        if g >= WEAK_GAMMA_MIN:
            gap = r["norms in (0.2, 0.8)"]
            what = "the fraction between 0.2 and 0.8"
            out.append(at_most(f"bimodal row norms at γ = {g:+.2f}", gap, 0.05, what=what, digits=3))
        if g <= STRONG_GAMMA_MAX:
            claim = f"nearly every row norm above 1/2 at γ = {g:+.2f}"
            out.append(at_least(claim, r["phi_1/2"], 0.99, what="the fraction above 1/2", digits=3))
            mid = r["median norm"]
            out.append(
                within(
                    f"one band of norms around 1 at γ = {g:+.2f}", mid, 0.8, 1.3, what="the median", digits=3
                )
            )
    g = table.index.min()
    low = table.loc[g, "smallest norm"]
    out.append(at_least(f"every row norm above 1/2 at γ = {g:+.2f}", low, 0.5, what="the smallest", digits=3))
    return out


def check_plateaus(ds, alpha: float = 1.0) -> list[Finding]:
    """The two plateaus of the paper's Fig. 3b in the runs at the paper's protocol ``ds`` (Table 2.2 and
    the counts below it; chapter 2). At ``alpha``: φ_1/2 ≥ 0.99 at every width for γ ≤ −0.56, and between
    m/(3n) and 3m/n for γ ≥ 0.33. Over all α: at least 95 % of the growth models keep 99 % of their
    features, none loses more than 10 %, and most of those below 99 % are at the widest width."""
    out, a = [], _nearest(ds, "alpha", alpha)
    where = f"α = {float(a):g}"
    for g in ds["gamma"].values:
        phi = ds["phi_half"].sel(alpha=a, gamma=g)
        ratio = phi / (phi["m"] / ds.sizes["feature"])
        if g <= STRONG_GAMMA_MAX:
            claim = f"nearly every feature represented at every width at γ = {g:+.2f} ({where})"
            what = f"the smallest φ_1/2 (m = {int(phi.idxmin())})"
            out.append(at_least(claim, phi.min(), 0.99, what=what, digits=3))
        if g >= WEAK_GAMMA_MIN:
            claim = f"no superposition at γ = {g:+.2f} (between m/3 and 3m features at every width; {where})"
            for stat, v in (("smallest", ratio.min()), ("largest", ratio.max())):
                out.append(within(claim, float(v), 1 / 3, 3.0, what=f"the {stat} φ_1/2 / (m/n)"))
    pl, widest = strong_plateau(ds), int(ds["m"].max())
    at_widest = int((pl.low.index.get_level_values("m") == widest).sum())
    growth = "the growth models (γ ≤ −0.56, every α)"
    return out + [
        at_least(
            f"{growth} nearly all keep at least 99 % of their features",
            1 - pl.low.size / max(pl.models, 1),
            0.95,
            what=f"the fraction that do ({pl.models - pl.low.size} of {pl.models})",
        ),
        at_least(
            f"{growth} lose at most 10 % of their features", pl.smallest, 0.9, what="the smallest φ_1/2"
        ),
        holds(
            f"{growth} below 99 % are mostly at the widest width",
            at_widest > pl.low.size / 2,
            f"{at_widest} of the {pl.low.size} below 99 % have m = {widest}",
        ),
    ]


def check_transition(ds, short=None) -> list[Finding]:
    """Table 2.3's claims (chapter 2): at the paper's protocol (``ds``) φ_1/2 at α = 1 follows the
    paper's Fig. 3-2 (within 0.05 at γ = −0.11, within 0.15 wherever the paper shows a point) and rises
    with the width at γ = −0.11. With ``short`` (the short protocol; the Reproduction notes) the transition
    moves: φ_1/2 ≥ 0.8 at every width at γ = −0.11, ≤ 0.2 at γ = +0.11."""
    pc = phi_comparison(ds, alpha=1.0).dropna()
    diff = (pc["ours"] - pc["paper"]).abs()
    (g, m), d011 = diff.idxmax(), _at_gamma(diff, -0.11)
    worst = f"γ = {g:+.2f}, m = {m}: ours {pc['ours'][(g, m)]:.2f}, paper {pc['paper'][(g, m)]:.2f}"
    col = _at_gamma(pc["ours"], -0.11).sort_index()
    fig32 = "at the paper's protocol φ_1/2 at α = 1"
    out = [
        at_most(
            f"{fig32} follows the paper's Fig. 3-2 wherever the paper shows a point",
            diff.max(),
            0.15,
            what=f"the largest difference ({worst})",
        ),
        at_most(
            f"{fig32} matches the paper's Fig. 3-2 at every width at γ = −0.11",
            d011.max(),
            0.05,
            what=f"the largest difference (m = {d011.idxmax()})",
        ),
        holds(
            f"{fig32} rises with the width at γ = −0.11 (wider models keep more features)",
            bool((np.diff(col.values) > 0).all()),
            "φ_1/2 by width: " + ", ".join(f"m = {m}: {v:.2f}" for m, v in col.items()),
        ),
    ]
    if short is None:
        return out
    ours = phi_comparison(short, alpha=1.0)["ours"]
    for g, lo, hi, what in ((-0.11, 0.8, 1.0, "nearly every feature"), (0.11, 0.0, 0.2, "almost no feature")):
        v = _at_gamma(ours, g)
        for stat, x in (("smallest", v.min()), ("largest", v.max())):
            claim = f"with the book's protocol {what} is represented at γ = {g:+.2f}, α = 1"
            out.append(within(claim, x, lo, hi, what=f"the {stat} φ_1/2 over the widths", digits=3))
    return out


def check_kept(kept: pd.DataFrame, ds) -> list[Finding]:
    """Figures 2.6-2.7 and the notes (``kept`` from :func:`kept_table`, ``ds`` the runs at the paper's
    protocol; chapter 2): the decayed models keep fewer features (per width) as α grows, how many at
    α = 0, 1 and 2 (:data:`KEPT_CLAIMS`), the rows they keep at α = 0 have full norm (above 0.9, not
    just above 1/2), and φ_1/2 at γ = −0.11 (:data:`TRANSITION_CLAIMS`)."""
    pk = kept["paper's protocol"]
    rise = np.diff(pk.values)
    k = int(np.argmax(rise))
    out = [
        holds(
            "at the paper's protocol the decayed models keep fewer features (per width) as α grows",
            bool((rise <= 0.05).all()),
            f"the largest rise from one α to the next is {rise[k]:+.2f} (α = {pk.index[k]:g} to "
            f"{pk.index[k + 1]:g}; at most +0.05 allowed)",
        )
    ]
    for col, a0, a1, lo, hi, says in KEPT_CLAIMS:
        s = kept[col]
        for a, v in s[(s.index >= a0 - 1e-9) & (s.index <= a1 + 1e-9)].items():
            claim = f"at the {col} the decayed models (γ ≥ 0.33) keep {says}"
            out.append(within(claim, v, lo, hi, what=f"the median φ_1/2 n/m at α = {a:g}", digits=3))
    r = ds["row_norm"].sel(alpha=0.0).where(ds["gamma"] >= WEAK_GAMMA_MIN, drop=True).astype(float)
    kept0 = r.where(r > 0.5)
    out.append(
        at_least(
            "at α = 0 the rows the decayed models keep have full norm, not just above 1/2",
            float(kept0.min()),
            0.9,
            what=f"the smallest norm above 1/2 (median {float(kept0.median()):.2f})",
            digits=3,
        )
    )
    tr = ds["phi_half"].where(ds["completed"]).sel(gamma=-0.111, method="nearest")
    a = pk.index.values
    for a0, a1, m, lo, hi, says in TRANSITION_CLAIMS:
        for aa, v in tr.sel(alpha=a[(a >= a0 - 1e-9) & (a <= a1 + 1e-9)], m=m).to_series().items():
            claim = f"at the paper's protocol φ_1/2 at γ = −0.11 is {says}"
            out.append(within(claim, v, lo, hi, what=f"φ_1/2 at α = {aa:g}", digits=3))
    return out


def check_same_as_engine(mine, engine, gamma: float, tol: float = 1e-8) -> Finding:
    """The readable model and optimizer of chapter 2 give the engine's parameters (``mine`` and
    ``engine`` are (W, b) pairs after the same steps; :func:`superscale.live.engine_steps`)."""
    d = max(float((x - y).abs().max()) for x, y in zip(mine, engine))
    claim = f"the readable forward pass and optimizer step match the engine at γ = {gamma:+g}"
    return holds(claim, d <= tol, f"the largest difference in W or b is {d:.1e} (at most {tol:.0e} allowed)")


def claims(run: LiveRun, ds, short) -> list[Finding]:
    """Every statement chapter 2 makes about its data: the live models ``run`` (:func:`train_live` with
    the chapter's settings), the runs at the paper's protocol ``ds`` and at the short protocol ``short``
    (:func:`load`)."""
    a1 = pick_alpha(ds, 1.0)
    return (
        check_live(run)
        + check_norms(norm_table(ds, alpha=a1, m=100))
        + check_plateaus(ds, alpha=a1)
        + check_transition(ds, short)
        + check_kept(kept_table(short, ds), ds)
    )
