"""Chapter 5, the geometry of packing: load -> compute -> figures -> claims.

The core geometry (random overlaps, the Welch bound, ETFs, the packer, the one-active-feature loss) is
:mod:`superscale.geometry`; the measurements of the saved weight matrices are
:func:`superscale.weights.measure_models`. This module holds what only chapter 5 does with them.

The chapter's figures and tables, and the function that makes each:

- the table of sampled against exact moments of random squared overlaps: :func:`random_overlap_table`
  (shown by :func:`style_random_table`);
- Figure 5.1, random squared overlaps with a slider over m: :func:`overlap_distribution_slider_figure`
  (the live version: :func:`overlap_distribution_figure`);
- Table 5.1, frames that meet the Welch bound: :func:`etf_table` (shown by :func:`style_etf_table`);
- Figure 5.2, random against packed vectors: :func:`packing_runs`, :func:`packing_slider_figure`
  (the live packer: :func:`packing_result_figure`);
- Table 5.2, its numbers: :func:`packing_table`;
- Figure 5.3, mean squared overlap of the norm > 1 rows (the paper's Fig. 5d): :func:`trained_overlap_figure`;
- Table 5.3, the same in numbers: :func:`mean_ratio_table` (in words: :func:`mean_ratio_words`);
- Table 5.4, the strong runs at the paper's protocol: :func:`paper_protocol_table`;
- Figure 5.4, the variance ratio (the paper's Fig. 5c): :func:`variance_ratio_slider_figure`;
- Table 5.5, its numbers: :func:`variance_ratio_table`, :func:`rows_gt1_table` (in words:
  :func:`variance_ratio_words`);
- Figure 5.5, the strongly represented fraction φ₁ (the paper's Fig. 16): :func:`phi_one_figure`;
- Table 5.6, its numbers: :func:`phi_one_table` (in words: :func:`phi_one_words`);
- Figure 5.6, from overlaps to loss: :func:`interference_slider_figure`;
- Table 5.7, fitted exponents: :func:`overlap_loss_table` (in words: :func:`overlap_loss_words`).

The chapter's statements about its data are the ``check_*`` functions; :func:`claims` runs them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import geometry
from ..checks import Finding, at_least, at_most, close_to, holds, within
from ..figures import alpha_color, log_spaced_ranks, slider_figure
from ..fit import fit_power_law
from ..paper import PAPER_FIG5C_RATIO, PAPER_FIG5D_MEAN, PAPER_FIG16_PHI1, PAPER_RANDOM_OVERLAP_MOMENTS

if TYPE_CHECKING:
    import xarray as xr
    from pandas.io.formats.style import Styler

_HOVER_NU = "ν = %{x}<br>%{y:.4f}<extra>%{fullData.name}</extra>"
_HOVER_M = "m = %{x}<br>%{y:.3g}<extra>%{fullData.name}</extra>"
_DASH, _DOT = dict(dash="dash"), dict(dash="dot")


def _line(x, y, name, color, mode="lines+markers", line=None, **kw) -> go.Scatter:
    """A trace of this chapter's usual kind: a line of one colour (``line`` adds to its style)."""
    return go.Scatter(x=x, y=y, mode=mode, name=name, line=dict(color=color, **(line or {})), **kw)


# ---- Random directions (the first table, Figure 5.1) ---------------------------------------


def random_overlap_table(
    ms: Sequence[int] = (3, 10, 100), pairs: int = 100_000, ks_pairs: int = 20_000
) -> pd.DataFrame:
    """Sampled against exact mean and variance of the squared overlap of random unit vectors in R^m,
    one row per m (``pairs`` pairs, seed m), with the p-value of a Kolmogorov-Smirnov test of the first
    ``ks_pairs`` samples against the exact Beta law (chapter 5). ``attrs["pairs"]`` keeps ``pairs``."""
    from scipy import stats

    if not 1 <= ks_pairs <= pairs:
        raise ValueError(f"ks_pairs must be between 1 and pairs ({pairs}), got {ks_pairs}")
    rows = []
    for m in ms:
        c2 = geometry.sample_squared_overlaps(m, pairs, seed=m)
        ks = stats.kstest(c2[:ks_pairs], geometry.squared_overlap_distribution(m).cdf)
        rows.append(
            {
                "m": m,
                "sampled mean": c2.mean(),
                "exact mean 1/m": geometry.random_overlap_mean(m),
                "sampled variance": c2.var(),
                "exact variance": geometry.random_overlap_var(m),
                "KS p-value vs Beta": ks.pvalue,
            }
        )
    table = pd.DataFrame(rows)
    table.attrs["pairs"] = int(pairs)
    return table


def style_random_table(table: pd.DataFrame) -> Styler:
    """:func:`random_overlap_table` formatted for display (chapter 5)."""
    fmt = dict.fromkeys(["sampled mean", "exact mean 1/m"], "{:.5f}")
    fmt |= dict.fromkeys(["sampled variance", "exact variance"], "{:.3e}")
    return table.style.format(fmt | {"KS p-value vs Beta": "{:.2f}"})


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


# ---- The Welch bound and packing (Table 5.1, Figure 5.2, Table 5.2) ------------------------


def etf_table(etfs: list[dict], draws: int = 20) -> pd.DataFrame:
    """Table 5.1: for each frame of :func:`superscale.geometry.known_etfs`, its largest, mean and variance
    of squared overlaps, the Welch bound, how far it is from tight, and the median largest squared overlap
    of ``draws`` sets of random vectors of the same size (chapter 5)."""
    rows = []
    for e in etfs:
        s = geometry.overlap_summary(e["vectors"], eps=0.0)
        vecs = (geometry.random_unit_vectors(e["nu"], e["m"], k) for k in range(draws))
        rand = [geometry.overlap_summary(v).max for v in vecs]
        rows.append(
            {
                "frame": e["name"],
                "m": e["m"],
                "ν": e["nu"],
                "largest c²": s.max,
                "mean c²": s.mean,
                "variance of c²": s.var,
                "Welch κ²": geometry.welch_bound(e["m"], e["nu"]),
                "tightness error": geometry.frame_tightness(e["vectors"]),
                "random vectors: largest c² (median)": np.median(rand),
            }
        )
    return pd.DataFrame(rows).set_index("frame")


def style_etf_table(table: pd.DataFrame) -> Styler:
    """Table 5.1 formatted for display (chapter 5)."""
    return table.style.format(precision=4).format({"variance of c²": "{:.1e}", "tightness error": "{:.1e}"})


def packing_runs(nus_by_m: dict, steps: int = 600, draws: int = 5, seed: int = 0) -> dict:
    """Figure 5.2's data: for each m, :func:`superscale.geometry.packing_comparison` over its ν (chapter 5)."""
    kw = dict(steps=steps, draws=draws, seed=seed)
    return {m: geometry.packing_comparison(m, nus, **kw) for m, nus in nus_by_m.items()}


def packing_table(runs: dict) -> pd.DataFrame:
    """Table 5.2: the rows of :func:`packing_runs` with ``packed / κ²`` and ``random / packed`` (chapter 5)."""
    table = pd.DataFrame([r for rows in runs.values() for r in rows])
    table["packed / κ²"] = table["packed_max"] / table["welch"]
    table["random / packed"] = table["random_max"] / table["packed_max"]
    return table


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
    :func:`packing_runs`' output, ``etfs`` :func:`superscale.geometry.known_etfs` (chapter 5)."""
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


# ---- The trained toy models: loading and describing them -----------------------------------


def strong_runs(ds: xr.Dataset, min_rows: int = 0) -> pd.DataFrame:
    """The runs of a sweep with γ < 0 and at least ``min_rows`` rows of norm > 1, one row a model, with
    the columns of :func:`superscale.geometry.sweep_overlap_table` (chapter 5)."""
    table = geometry.sweep_overlap_table(ds)
    return table[(table["gamma"] < 0) & (table["n_gt1"] >= min_rows)].copy()


def describe_sweep(ds: xr.Dataset, strong: pd.DataFrame) -> str:
    """One line saying which sweep was loaded, its protocol and its strong runs (chapter 5)."""
    a = ds.attrs
    return (
        f"sweep: {a.get('loaded_from')}, {a.get('steps')} steps of batch {a.get('batch')}, "
        f"{a.get('units_finished')}/{a.get('units_total')} units; {len(strong)} runs with γ < 0, "
        f"α from {strong['alpha'].min():g} to {strong['alpha'].max():g}"
    )


def steps_label(models: list[dict]) -> str:
    """The longer-trained models' label in tables and legends, e.g. "10 000 steps" (chapter 5)."""
    return f"{models[0]['meta']['protocol']['steps']:,} steps".replace(",", " ")


def describe_models(models: list[dict], long: pd.DataFrame) -> str:
    """One line on the longer-trained models: how many, their protocol, γ and α (chapter 5)."""
    pr = models[0]["meta"]["protocol"]
    return (
        f"longer-trained models: {len(models)}, {pr['steps']} steps of batch {pr['batch']}, "
        f"γ = {sorted(set(long['gamma']))}, α = {sorted(set(long['alpha']))}"
    )


# ---- Strongly represented rows sit on 1/m (Figure 5.3, Tables 5.3 and 5.4) ------------------


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
    """Add the traces of ``df`` and, as black-edged diamonds, of ``extra`` (the longer-trained models)."""
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
    in ``strong`` (:func:`strong_runs`), ``extra`` (e.g. the longer-trained models) as diamonds, with 1/m,
    κ² at ν = min(n, m²/2) and the paper's values (chapter 5)."""
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


def mean_ratio_table(strong: pd.DataFrame, long: pd.DataFrame, n: int, label: str) -> pd.DataFrame:
    """Table 5.3: m·⟨c²⟩ of the norm > 1 rows by width: median, lowest and highest over the sweep's strong
    runs, the longer-trained models (``label``) per α, the paper's Fig. 5d and m·κ² (chapter 5)."""
    by_m = strong.dropna(subset=["overlap_mean_gt1"]).groupby("m")["mean_ratio"]
    sweep = pd.concat({"median": by_m.median(), "lowest": by_m.min(), "highest": by_m.max()}, axis=1)
    sweep["runs"] = by_m.size()
    ratio = pd.Series({m: v * m for m, v in PAPER_FIG5D_MEAN.items()})
    kappa = [float(geometry.welch_bound_paper(m, n)) * m for m in ratio.index]
    return pd.concat(
        {
            "sweep, γ < 0: m·⟨c²⟩": sweep,
            f"{label}: m·⟨c²⟩ per α": long.pivot_table(index="m", columns="alpha", values="mean_ratio"),
            "paper": pd.DataFrame({"m·⟨c²⟩ (Fig. 5d)": ratio, "m·κ²": kappa}),
        },
        axis=1,
    )


def mean_ratio_words(long: pd.DataFrame, table: pd.DataFrame, ds: xr.Dataset) -> str:
    """Table 5.3 in words (Markdown): the longer-trained models against the sweep's strong runs (chapter 5)."""
    ok = long[long["n_gt1"] >= 10]["mean_ratio"]
    sw = table["sweep, γ < 0: m·⟨c²⟩"]["median"]
    return (
        f"**Ours beside the paper.** In the longer-trained models the strongly represented rows have "
        f"m·⟨c²⟩ = {ok.min():.2f}–{ok.max():.2f} (models with at least 10 such rows): "
        f"they sit on the 1/m line for every α, as in the paper's Fig. 5d (0.93–1.02 × 1/m read off the figure). "
        f"The sweep's strong runs ({ds.attrs.get('steps')} steps of batch {ds.attrs.get('batch')}) do **not** "
        f"reproduce this: their median is {sw.min():.2f}–{sw.max():.2f} × 1/m. This is a real difference from the "
        f"paper, and it is one of training length: the same α = 1, γ = −1 models at m = 25 and 63 have 1.52 and "
        f"2.19 × 1/m after 2 500 steps of batch 512 and 1.02 and 0.99 × 1/m after 10 000 steps of the same "
        f"batch (see `superscale.weights`): the arrangement of the rows keeps improving long after a shorter "
        f"protocol stops."
    )


def paper_protocol_table(cstrong: pd.DataFrame) -> pd.DataFrame:
    """Table 5.4: medians over γ of m·⟨c²⟩ and of the variance ratio of the norm > 1 rows, by m and α, for
    the strong runs at the paper's protocol (:func:`strong_runs` of ``paper-small``; chapter 5)."""
    cols = {"m·⟨c²⟩, norm > 1": "mean_ratio", "variance / random": "var_ratio"}
    pivot = lambda v: cstrong.pivot_table(index="m", columns="alpha", values=v, aggfunc="median")  # noqa: E731
    return pd.concat({k: pivot(v) for k, v in cols.items()}, axis=1)


def describe_paper_protocol(cstrong: pd.DataFrame) -> str:
    """One line on Table 5.4: how many runs, and the range of both ratios (chapter 5)."""
    mr, vr = cstrong["mean_ratio"], cstrong["var_ratio"]
    return (
        f"{len(cstrong)} strong runs (γ < 0, at least 10 rows with norm > 1): m·⟨c²⟩ from "
        f"{mr.min():.2f} to {mr.max():.2f}; variance ratio from {vr.min():.2f} to {vr.max():.2f}"
    )


# ---- Rows are more evenly spread than random (Figure 5.4, Table 5.5) -----------------------


def nearest_gamma(strong: pd.DataFrame, gamma: float = -0.55) -> tuple[list[float], int]:
    """The strong γ of the sweep, sorted, and the index of the one nearest ``gamma`` (chapter 5)."""
    gammas = sorted(strong["gamma"].unique())
    return gammas, int(np.argmin(np.abs(np.array(gammas) - gamma)))


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


def variance_ratio_table(
    at_gamma: pd.DataFrame, long: pd.DataFrame, gamma: float, label: str
) -> pd.DataFrame:
    """Table 5.5: variance ratios by m (rows) and α (columns), the sweep at ``gamma`` beside the
    longer-trained models (chapter 5)."""
    sweep = at_gamma.pivot_table(index="m", columns="alpha", values="var_ratio")
    longer = long.pivot_table(index="m", columns="alpha", values="var_ratio")
    return pd.concat({f"sweep, γ = {gamma:.2f}": sweep, f"{label}, γ = −1": longer}, axis=1)


def rows_gt1_table(at_gamma: pd.DataFrame) -> pd.DataFrame:
    """Table 5.5's second part: how many rows have norm > 1 in each sweep run, by m and α (chapter 5)."""
    return at_gamma.pivot_table(index="m", columns="alpha", values="n_gt1").astype(int)


def variance_ratio_words(long: pd.DataFrame, at_gamma: pd.DataFrame, gamma: float, ds: xr.Dataset) -> str:
    """Table 5.5 in words (Markdown): the variance ratios beside the paper's Fig. 5c (chapter 5)."""
    vr, sw = long["var_ratio"].dropna(), at_gamma["var_ratio"].dropna()
    below = int((vr < 1).sum())
    text = (
        f"**Ours beside the paper.** In the longer-trained models (γ = −1) the variance ratio of the norm > 1 "
        f"rows is {vr.min():.2f}–{vr.max():.2f}, below the random value in {below} of {len(vr)} models"
    )
    if below != len(vr):
        above = long[long["var_ratio"] >= 1].itertuples()
        exceptions = ", ".join(f"α = {r.alpha:g}, m = {r.m}: {r.var_ratio:.2f}" for r in above)
        text += f" (the exceptions: {exceptions})"
    text += (
        ", in line with the paper's 0.45–0.9: the strongly represented rows are more evenly spread than random, "
        "though far from an exact ETF. "
    )
    if len(sw):
        text += f"In the sweep at γ = {gamma:.2f} ({ds.attrs.get('steps')} steps) it is {sw.min():.2f}–{sw.max():.2f}"
        text += (
            ", in the paper's range."
            if sw.max() < 1
            else ", partly or wholly above 1: the sweep's shorter training leaves the rows less even than random, "
            "unlike the paper."
        )
    return text + (
        " We find no run with a ratio of exactly 0; the paper's zeros at small α and m = 63, 100 may be "
        "norm > 1 sets too small to measure rather than perfect frames (the paper does not give the set sizes)."
    )


# ---- How many rows are strongly represented? (Figure 5.5, Table 5.6) -----------------------


def phi_one_runs(strong: pd.DataFrame) -> pd.DataFrame:
    """The strong runs at the most negative γ of the sweep (γ = −1, as in the paper's Fig. 16; chapter 5)."""
    return strong[np.isclose(strong["gamma"], strong["gamma"].min())]


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


def phi_one_table(g1: pd.DataFrame, long: pd.DataFrame, n: int, label: str) -> pd.DataFrame:
    """Table 5.6: by width, the lowest and highest φ₁ over α in the sweep at γ = −1, the paper's range,
    m/n, min(1, m²/2n), and the longer-trained models (``label``) per α (chapter 5)."""
    phi = g1.pivot_table(index="alpha", columns="m", values="phi_one")
    ms = phi.columns.to_numpy()
    paper = [PAPER_FIG16_PHI1.get(int(m), (np.nan, np.nan)) for m in ms]
    table = pd.DataFrame(
        {
            "sweep: lowest φ₁": phi.min().to_numpy(),
            "sweep: highest φ₁": phi.max().to_numpy(),
            "paper: lowest": [p[0] for p in paper],
            "paper: highest": [p[1] for p in paper],
            "m/n": ms / n,
            "min(1, m²/2n)": np.minimum(1, ms**2 / (2 * n)),
        },
        index=pd.Index(ms, name="m"),
    )
    longer = long.pivot_table(index="m", columns="alpha", values="phi_one")
    return table.join(longer.add_prefix(f"{label}, α = "))


def phi_one_words(long: pd.DataFrame, table: pd.DataFrame, slack: float = 0.05) -> str:
    """Table 5.6 in words (Markdown): φ₁ of the longer-trained models and of the sweep beside the paper's
    Fig. 16 (chapter 5)."""
    lp = long.pivot_table(index="m", columns="alpha", values="phi_one")
    rng = {m: PAPER_FIG16_PHI1[m] for m in lp.index if m in PAPER_FIG16_PHI1}
    inside = sum(rng[m][0] - slack <= v <= rng[m][1] + slack for m in rng for v in lp.loc[m])
    short = int((table["sweep: highest φ₁"] < table["paper: lowest"]).sum())
    text = (
        f"**Ours beside the paper.** The longer-trained models have φ₁ from {lp.min().min():.2f} to "
        f"{lp.max().max():.2f}; {inside} of {lp.size} values lie within {slack:g} of the paper's range at the "
        f"same width. Every model is far above m/n. In the sweep at γ = −1, φ₁ runs from "
        f"{table['sweep: lowest φ₁'].min():.2f} to {table['sweep: highest φ₁'].max():.2f} "
        f"(the paper: 0.08 at m = 10 up to 0.97 at m = 100)"
    )
    return text + (
        f"; at {short} of {len(table)} widths even the sweep's highest φ₁ is below the paper's lowest, so fewer "
        "rows have grown past norm 1 with the sweep's shorter training."
        if short
        else ", within or near the paper's range."
    )


# ---- From overlaps to loss (Figure 5.6, Table 5.7) -----------------------------------------


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


_FITTED = {
    "α_m (measured loss)": "final_loss",
    "exponent of Eq. 8": "eq8_total",
    "exponent of (median bias)²": "bias2",
    "exponent of ⟨c²⟩, norm > 1": "overlap_mean_gt1",
}


def _exponent_fits(long: pd.DataFrame) -> dict:
    """{(α, column of Table 5.7): PowerLawFit over m} for the fitted quantities of Table 5.7."""
    long = long.assign(bias2=long["bias_median"] ** 2)
    return {(a, k): fit_power_law(s["m"], s[c]) for a, s in long.groupby("alpha") for k, c in _FITTED.items()}


def overlap_loss_table(long: pd.DataFrame) -> pd.DataFrame:
    """Table 5.7, one row per α (the index): fitted exponents over m of the measured loss, Eq. 8, the
    squared median bias and ⟨c²⟩ of the norm > 1 rows; the range of −b·√m; the largest interference
    share of Eq. 8; and Eq. 8 over the measured loss, averaged over m (chapter 5)."""
    fits = _exponent_fits(long)
    rows = []
    for a, s in long.groupby("alpha"):
        bsm = -s["bias_median"] * np.sqrt(s["m"])
        rows.append(
            {
                "α": a,
                **{k: fits[(a, k)].exponent for k in _FITTED},
                "−(median bias)·√m: lowest": bsm.min(),
                "−(median bias)·√m: highest": bsm.max(),
                "interference share of Eq. 8 (largest)": (s["interference"] / s["eq8_total"]).max(),
                "Eq. 8 / measured loss": (s["eq8_total"] / s["final_loss"]).mean(),
            }
        )
    return pd.DataFrame(rows).set_index("α")


def overlap_loss_words(table: pd.DataFrame, max_alpha: float = 1.0) -> str:
    """Table 5.7 in words (Markdown), for α ≤ ``max_alpha`` (chapter 5)."""
    fl = table[table.index <= max_alpha]
    am, ov = fl["α_m (measured loss)"], fl["exponent of ⟨c²⟩, norm > 1"]
    b_lo, b_hi = fl["−(median bias)·√m: lowest"].min(), fl["−(median bias)·√m: highest"].max()
    return (
        f"**What this shows.** In these models the loss falls with exponent α_m = {am.min():.2f}–{am.max():.2f} "
        f"(the paper: ≈ 1 for α ≤ 1), the mean squared overlap of the strongly represented rows with exponent "
        f"{ov.min():.2f}–{ov.max():.2f}. "
        f"The one-active-feature loss explains about {fl['Eq. 8 / measured loss'].mean():.0%} of the measured "
        f"loss (it ignores samples with two or more active features), but almost none of it is interference "
        f"(at most {fl['interference share of Eq. 8 (largest)'].max():.1%}): the median bias sits "
        f"{b_lo:.1f}–{b_hi:.1f} typical overlaps (1/√m) below zero, so "
        f"the ReLU closes on nearly every pair. What the model pays is the self term, the bias cutting into each "
        f"feature's own output, and since the bias is set by the overlap scale, that price falls like 1/m as well. "
        f"So the 1/m comes from the squared overlaps, as the paper argues, but in the trained toy model it is paid "
        f"through the biases rather than as leftover interference: a refinement of the paper's wording "
        f"(its Eq. 8 and App. A.1 speak of the interference terms scaling as 1/m)."
    )


# ---- The chapter's claims ------------------------------------------------------------------


def check_random_overlaps(table: pd.DataFrame, k: float = 5.0, min_p: float = 1e-3) -> list[Finding]:
    """Random squared overlaps follow the Beta law: sampled mean and variance within ``k`` standard errors
    of the exact ones, a Kolmogorov-Smirnov p-value above ``min_p``; and the exact moments are the ones the
    text quotes from the paper's formulas (chapter 5). ``table`` is :func:`random_overlap_table`'s output."""
    pairs, out = table.attrs.get("pairs", 100_000), []
    for _, r in table.iterrows():
        m = int(r["m"])
        d = geometry.squared_overlap_distribution(m)
        mu, var = d.mean(), d.var()
        se_var = np.sqrt((d.expect(lambda x, mu=mu: (x - mu) ** 4) - var**2) / pairs)
        c, w = f"random overlaps at m = {m} follow the Beta law", f"the mean of {pairs} sampled c²"
        se_mean = np.sqrt(var / pairs)
        out.append(close_to(c + " (mean)", r["sampled mean"], mu, se=se_mean, k=k, what=w, digits=5))
        w = f"the variance of {pairs} sampled c²"
        out.append(close_to(c + " (variance)", r["sampled variance"], var, se=se_var, k=k, what=w, digits=7))
        p = r["KS p-value vs Beta"]
        out.append(at_least(c + " (KS test)", p, min_p, what="the Kolmogorov-Smirnov p-value", digits=3))
    for m, quoted in PAPER_RANDOM_OVERLAP_MOMENTS.items():
        exact = (geometry.random_overlap_mean(m), geometry.random_overlap_var(m))
        for name, value, q in zip(("mean", "variance"), exact, quoted, strict=True):
            w = f"the exact {name} of c² at m = {m}"
            out.append(close_to(f"{w} is the one quoted", value, q, rel=0.01, what=w, digits=6))
    return out


def check_etfs(table: pd.DataFrame, tol: float = 1e-12) -> list[Finding]:
    """Every constructed ETF meets the Welch bound exactly (largest = mean = κ², no spread, tight), random
    vectors of the same size have a largest squared overlap more than twice κ², and the simplex in R^m
    has c² = κ² = 1/m² for m = 2, 10, 100 (chapter 5). ``table`` is :func:`etf_table`'s output."""
    out = []
    for name, r in table.iterrows():
        cols = ["largest c²", "mean c²", "Welch κ²", "variance of c²", "tightness error"]
        big, mean, k2, var, tight = r[cols]
        rand = r["random vectors: largest c² (median)"]
        exact = abs(big - k2) < tol and abs(mean - k2) < tol and var < tol * k2**2 and tight < tol
        seen = f"largest c² {big:.6g}, mean {mean:.6g}, κ² {k2:.6g}, variance {var:.1e}, tightness error {tight:.1e}"
        out.append(holds(f"{name} meets the Welch bound exactly", exact, seen))
        w = "the largest c² of random vectors (median) over κ²"
        out.append(at_least(f"random vectors are far from {name}", rand / k2, 2.0, what=w))
    for m in (2, 10, 100):
        s = geometry.overlap_summary(geometry.simplex_frame(m), eps=0.0)
        ok = abs(s.max - 1 / m**2) < tol and abs(geometry.welch_bound(m, m + 1) - 1 / m**2) < tol
        out.append(holds(f"the simplex in R^{m} has c² = κ² = 1/m²", ok, f"its largest c² is {s.max:.6g}"))
    return out


def check_packing(table: pd.DataFrame, rel: float = 0.02) -> list[Finding]:
    """The packer never ends below the lower bounds, beats random vectors everywhere, and finds the
    icosahedron's 6 lines in R³, the 28 lines of R⁷ and the simplices to within ``rel`` (chapter 5).
    ``table`` is :func:`packing_table`'s output."""
    below = int((table["packed_max"] < table["bound"] - 1e-9).sum())
    worse = int((table["packed_max"] >= table["random_max"]).sum())
    of = f" of {len(table)} packings"
    out = [
        holds("the packer respects the lower bounds", below == 0, f"{below}{of} end below the lower bound"),
        holds("the packer beats random vectors", worse == 0, f"{worse}{of} are no better than random"),
    ]
    packed = table.set_index(["m", "nu"])["packed_max"]
    known = {(3, 6, "the icosahedron's 6 lines"): 0.2, (7, 28, "the 28 lines of R⁷"): 1 / 9}
    known.update({(m, m + 1, f"the simplex in R^{m}"): 1 / m**2 for m in table["m"].unique()})
    for (m, nu, name), etf in known.items():
        if (m, nu) in packed.index:
            w = f"the packed largest c² of {nu} vectors in R^{m}"
            out.append(close_to(f"the packer finds {name}", packed[(m, nu)], etf, rel=rel, what=w, digits=4))
    return out


def check_trained_overlaps(long: pd.DataFrame, strong: pd.DataFrame, rel: float = 0.25) -> list[Finding]:
    """Figure 5.3 and Table 5.3: in the longer-trained models, ⟨c²⟩ of the norm > 1 rows is within ``rel``
    of 1/m for every model with at least 10 such rows (at least half the models); the sweep at the short
    protocol is not there yet: its median strong run is more than ``rel`` off 1/m at some width (chapter 5)."""
    ok = long[long["n_gt1"] >= 10]
    med = strong.dropna(subset=["overlap_mean_gt1"]).groupby("m")["mean_ratio"].median()
    w = "the largest distance of its median m·⟨c²⟩ from 1 over the widths"
    share = f"the share ({len(ok)} of {len(long)})"
    out = [
        at_least(
            "most longer-trained models have 10 rows of norm > 1",
            len(ok) / max(len(long), 1),
            0.5,
            what=share,
        ),
        at_least("the short-protocol sweep does not yet sit on 1/m", (med - 1).abs().max(), rel, what=w),
    ]
    if len(ok):
        f = ok.loc[(ok["mean_ratio"] - 1).abs().idxmax()]
        c = f"longer-trained models sit on 1/m (farthest: α = {f['alpha']:g}, m = {f['m']:g})"
        out.append(within(c, f["mean_ratio"], 1 - rel, 1 + rel, what="m·⟨c²⟩ of the norm > 1 rows"))
    return out


def check_paper_protocol(cstrong: pd.DataFrame, total: int, rel: float = 0.25) -> list[Finding]:
    """Table 5.4: at the paper's protocol at least 90 % of the ``total`` strong runs have 10 rows of norm
    > 1; each of those has ⟨c²⟩ within ``rel`` of 1/m; the variance ratio is below 1 in the median run and
    nowhere more than 25 % above 1 (chapter 5). ``cstrong`` is :func:`strong_runs` with ``min_rows=10``."""
    c = "almost every strong run at the paper's protocol has 10 rows of norm > 1"
    out = [at_least(c, len(cstrong) / max(total, 1), 0.9, what=f"the share ({len(cstrong)} of {total})")]
    if cstrong.empty:
        return out
    f = cstrong.loc[(cstrong["mean_ratio"] - 1).abs().idxmax()]
    h = cstrong.loc[cstrong["var_ratio"].idxmax()]
    where = "α = {:g}, γ = {:.2f}, m = {:g}".format
    c = f"strong runs at the paper's protocol sit on 1/m (farthest: {where(f.alpha, f.gamma, f.m)})"
    out.append(within(c, f["mean_ratio"], 1 - rel, 1 + rel, what="m·⟨c²⟩ of the norm > 1 rows"))
    c = "at the paper's protocol the median run is more even than random"
    out.append(at_most(c, cstrong["var_ratio"].median(), 1.0, what="the median variance ratio"))
    c = f"no run at the paper's protocol is much less even than random ({where(h.alpha, h.gamma, h.m)})"
    return out + [at_most(c, h["var_ratio"], 1.25, what="the highest variance ratio")]


def check_spread(long: pd.DataFrame, max_alpha: float = 1.0, min_m: int = 25) -> list[Finding]:
    """Figure 5.4 and Table 5.5: the longer-trained models' norm > 1 rows are more even than random
    (variance ratio below 1) for α ≤ ``max_alpha`` at every m ≥ ``min_m`` (at least 4 models), and the
    ratio stays below 1.2 at every width (chapter 5)."""
    flat = long[long["alpha"] <= max_alpha]
    wide, w = flat[flat["m"] >= min_m], "the highest variance ratio"
    strict = 1 - 1e-12  # "below", not "at most"
    c = f"longer-trained models with α ≤ {max_alpha:g}"
    return [
        at_least(f"there are at least 4 {c} and m ≥ {min_m}", len(wide), 4, what="their number", digits=0),
        at_most(f"{c} are more even than random at m ≥ {min_m}", wide["var_ratio"].max(), strict, what=w),
        at_most(f"{c} are never much less even than random", flat["var_ratio"].max(), 1.2 * strict, what=w),
    ]


def check_phi_one(long: pd.DataFrame, factor: float = 3.0) -> list[Finding]:
    """Figure 5.5: every longer-trained model has far more strongly represented rows than a model without
    superposition: φ₁ at least ``factor`` × m/n, that is at least factor·m rows of norm > 1 (chapter 5)."""
    w = long.loc[(long["n_gt1"] / long["m"]).idxmin()]
    claim = f"φ₁ is far above m/n (lowest: α = {w['alpha']:g}, m = {w['m']:g})"
    return [at_least(claim, w["n_gt1"] / w["m"], factor, what="φ₁ over m/n")]


def check_overlaps_to_loss(long: pd.DataFrame, max_alpha: float = 1.0, k: float = 2.0) -> list[Finding]:
    """Table 5.7, for the longer-trained models with α ≤ ``max_alpha``: the measured loss and Eq. 8 fall
    like 1/m and like ⟨c²⟩ of the norm > 1 rows (exponents within ``k`` standard errors plus 2 %);
    −b·√m varies by less than a factor 1.6 over the widths; interference is under 5 % of Eq. 8; Eq. 8
    explains 70–130 % of the measured loss (chapter 5)."""
    table, fits, out = overlap_loss_table(long), _exponent_fits(long), []
    for a, r in table[table.index <= max_alpha].iterrows():
        at, g = f"at α = {a:g}", fits[(a, "exponent of ⟨c²⟩, norm > 1")]
        for col, w in (("α_m (measured loss)", "α_m of the loss"), ("exponent of Eq. 8", "Eq. 8's exponent")):
            f = fits[(a, col)]
            c = f"{at} the loss falls like 1/m"
            out.append(close_to(c, f.exponent, 1.0, se=f.exponent_se, k=k, rel=0.02, what=w))
            se = float(np.hypot(f.exponent_se, g.exponent_se))
            c = f"{at} the loss falls like the squared overlaps (exponent {g.exponent:.2f})"
            out.append(close_to(c, f.exponent, g.exponent, se=se, k=k, rel=0.02, what=w))
        bias = r["−(median bias)·√m: highest"] / r["−(median bias)·√m: lowest"]
        interference, eq8 = r["interference share of Eq. 8 (largest)"], r["Eq. 8 / measured loss"]
        out += [
            at_most(f"{at} the bias follows the overlap scale", bias, 1.6, what="highest / lowest −b·√m"),
            at_most(f"{at} the biases block nearly all interference", interference, 0.05, what="its share"),
            within(f"{at} Eq. 8 explains most of the loss", eq8, 0.7, 1.3, what="Eq. 8 / measured loss"),
        ]
    return out or [holds("longer-trained models with α ≤ 1 exist", False, f"none has α ≤ {max_alpha:g}")]


def claims(
    random_table: pd.DataFrame,
    etf_tab: pd.DataFrame,
    pack_tab: pd.DataFrame,
    strong: pd.DataFrame,
    long: pd.DataFrame,
    paper_sweep: xr.Dataset,
) -> list[Finding]:
    """Every statement chapter 5 makes about its data (chapter 5): ``random_table``
    (:func:`random_overlap_table`), ``etf_tab`` (:func:`etf_table`), ``pack_tab`` (:func:`packing_table`),
    ``strong`` (:func:`strong_runs` of the short-protocol sweep), ``long``
    (:func:`superscale.weights.measure_models`) and ``paper_sweep`` (``catalog.load("paper-small")``)."""
    return [
        *check_random_overlaps(random_table),
        *check_etfs(etf_tab),
        *check_packing(pack_tab),
        *check_trained_overlaps(long, strong),
        *check_paper_protocol(strong_runs(paper_sweep, min_rows=10), len(strong_runs(paper_sweep))),
        *check_spread(long),
        *check_phi_one(long),
        *check_overlaps_to_loss(long),
    ]
