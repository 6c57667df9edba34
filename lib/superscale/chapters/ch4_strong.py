"""Chapter 4, strong superposition: loss ∝ 1/m. Everything behind the chapter: load, compute, figures, claims.

Data sets (:mod:`superscale.catalog`): ``short-small`` (the small grid at the book's short CPU protocol),
``paper-small`` (the same grid at the paper's protocol), ``paper-strong-seed1`` (a second seed of two
settings), ``short-density`` and ``paper-density-strong`` (the activation-density sweep at both
protocols), ``paper-large`` (the large model, n = 10240, at the paper's protocol; partial while it trains),
``large-batch256`` and ``short-large`` (the same model with cheaper CPU protocols).

Figures and tables, and the function that makes each (all at the paper's protocol unless named):

- Table 4.1, represented fraction per γ: :func:`represented_table`
- Figures 4.1 and 4.2, loss against width in strong superposition: :func:`strong_loss_figure`
- Table 4.2, strong α_m at seven α beside the paper's Fig. 5e: :func:`strong_exponent_table`
  (numbers: :func:`strong_exponents`)
- Figure 4.3, the paper's protocol against the short one: :func:`protocol_figure`
- Figures 4.4 and 4.5, α_m and R² over (γ, α): :func:`phase_maps`, :func:`phase_figure`, :func:`r2_figure`
- Figure 4.6, α_m against α: :func:`alpha_m_figure` (weak points: :func:`least_ambiguous_weak`)
- Figure 4.7, activation density: :func:`density_figure` (numbers: :func:`density_check`)
- Figure 4.8, the large toy model: :func:`large_figure` (runs: :func:`load_large`, :func:`large_runs`,
  :func:`large_stand_ins`; what is trained so far: :func:`large_status`); Table 4.8, its training
  time per model: :func:`large_time_table`
- Live version (widgets): :func:`live_explorer`

In the reproduction notes: Table 4.3, both protocols at every α: :func:`protocol_rows`; Table 4.4, α_m
per region of the paper's Fig. 9b: :func:`region_table`; Table 4.5, the density sweep:
:func:`density_check_table`; Tables 4.6 and 4.7, the large model's exponents and losses against the
paper's: :func:`large_exponent_table`, :func:`large_ratio_table` (numbers: :func:`large_loss_ratios`).

The chapter is three files, each kept short: this one (load, compute, tables, and the figure functions
above); :mod:`superscale.chapters.ch4_strong_figures`, the plotly builders those figure functions pass
the chapter's data to; and :mod:`superscale.chapters.ch4_strong_checks`, the chapter's claims as
``check_*`` functions, whose :func:`~superscale.chapters.ch4_strong_checks.claims` runs them all on the
data sets above (the chapter's hidden cell and ``tests/test_ch4_strong.py``). The checks import this
module, never the other way round.

Shared with chapter 3 and imported from where they live: :func:`superscale.exponents.exponent_table`,
:func:`superscale.exponents.exponent_maps`, :func:`superscale.analysis.protocol_check`,
:func:`superscale.exponents.fit_exponent_grid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import plotly.graph_objects as go
    import xarray as xr

    from ..fit import PowerLawFit

from .. import analysis, catalog, exponents
from ..fit import fit_power_law
from ..paper import (
    DENSITY_PAPER_E,
    PAPER_DENSITY_ALPHA_M,
    PAPER_FIG1_LOSS,
    PAPER_FIG1_READ_ERROR,
    PAPER_FIG5E,
    PAPER_LARGE_ALPHA_M,
    PAPER_LARGE_R2,
    PAPER_REGION_ALPHA_M,
    PAPER_REGIONS,
    PAPER_STRONG_GAMMAS,
)
from . import ch4_strong_figures as figs

#: The sweep dimensions and their symbols, as :func:`summary` names them.
DIM_SYMBOLS = (("alpha", "α"), ("E", "E"), ("gamma", "γ"), ("m", "widths"))
#: The axes order of every (γ, α, m) array of this chapter.
ORDER = ("gamma", "alpha", "m")
#: The α of Table 4.2.
SHOW_ALPHAS = (0.0, 0.5, 1.0, 1.25, 1.5, 1.75, 2.0)
#: The two protocols of Table 4.4, as it names them.
BOOK, PAPER = "short protocol", "paper's protocol"
#: The width at which Figure 4.7 and Table 4.5 show the loss.
DENSITY_WIDTH = 63
#: The large-model data sets, the longer protocol first.
LARGE_SETS = ("paper-large", "large-batch256", "short-large")
FULL_RUN, LONG_RUN, SHORT_RUN = "2048 × 20 000", "256 × 20 000", "128 × 6 000"
LAWS = ("exponential", "power", "linear")


# ------------------------------------------------------------------------------------------------
# Loading and the small grid
# ------------------------------------------------------------------------------------------------


def summary(ds: xr.Dataset) -> str:
    """One sentence for the reader: which data set, how many models, and how its training compares with
    the paper's (batch 2048 × 20 000 steps) (chapter 4)."""
    from ..training import PROTOCOLS

    a = ds.attrs
    dims = " × ".join(f"{ds.sizes[d]} {sym}" for d, sym in DIM_SYMBOLS if d in ds.sizes and ds.sizes[d] > 1)
    done = int(np.asarray(ds["completed"]).sum()) if "completed" in ds else -1
    ref = PROTOCOLS["paper-small"]
    batch, steps = int(a["batch"]), int(a["steps"])
    if (batch, steps) == (int(ref.batch), int(ref.steps)):
        how = "the paper's own training"
    else:
        k = ref.batch * ref.steps / (batch * steps)
        how = f"{k:.0f} times fewer samples per model than the paper's"
    return (
        f"{a.get('dataset', '?')}: {done} models ({dims}; n = {int(a['n'])}), trained with batch {batch} "
        f"for {steps:,} steps: {how}".replace(f"{steps:,}", f"{steps:,}".replace(",", "\u2009"))
    )


def values(ds: xr.Dataset, var: str = "final_loss") -> np.ndarray:
    """``ds[var]`` as an array over (γ, α, m) (chapter 4)."""
    if var not in ds:
        raise ValueError(f"var must be a variable of the sweep, got {var!r}")
    return ds[var].transpose(*ORDER).values


def strong_rows(ds: xr.Dataset) -> np.ndarray:
    """Indices of the paper's three strong γ of Fig. 5e in ``ds["gamma"]`` (chapter 4)."""
    g = np.asarray(ds["gamma"].values, dtype=float)
    return np.array([int(np.argmin(np.abs(g - s))) for s in PAPER_STRONG_GAMMAS])


def fit_grid(ds: xr.Dataset) -> exponents.ExponentGrid:
    """α_m, its standard error and R², fitted over the widths for every (γ, α) of ``ds`` (chapter 4)."""
    return exponents.fit_exponent_grid(values(ds), ds["m"].values)


def represented_table(ds: xr.Dataset) -> pd.DataFrame:
    """Table 4.1: the smallest and the mean φ_1/2 over all α and widths, for each γ (chapter 4)."""
    phi = values(ds, "phi_half")
    return pd.DataFrame(
        {
            "gamma": ds["gamma"].values,
            "phi_1/2 (smallest)": np.nanmin(phi, axis=(1, 2)),
            "phi_1/2 (mean)": np.nanmean(phi, axis=(1, 2)),
        }
    )


def strong_loss_figure(ds: xr.Dataset, over: str = "alpha") -> go.Figure:
    """Figures 4.1 (``over="alpha"``) and 4.2 (``over="gamma"``): loss against width for γ < 0 (chapter 4).

    Figure 4.2 draws every other α (0, 0.25, …, 2), so that nine curves stay readable."""
    strong = ds["gamma"].values < 0
    every_other = list(range(0, ds.sizes["alpha"], 2)) if over == "gamma" else None
    return figs.strong_loss_slider_figure(
        ds["m"].values,
        values(ds)[strong],
        ds["gamma"].values[strong],
        ds["alpha"].values,
        over=over,
        se=values(ds, "final_loss_se")[strong],
        curves=every_other,
    )


def protocol_figure(short: xr.Dataset, paper: xr.Dataset, active_alpha: float = 2.0) -> go.Figure:
    """Figure 4.3: the paper's three strong γ of Fig. 5e trained two ways, the paper's protocol and the
    short one, with a slider over α (chapter 4)."""
    rows, alphas = strong_rows(paper), paper["alpha"].values
    gammas = paper["gamma"].values[rows]
    sh = short.sel(gamma=gammas, alpha=alphas, m=paper["m"].values, method="nearest")
    return figs.protocol_compare_figure(
        paper["m"].values,
        alphas,
        gammas,
        values(paper)[rows],
        values(sh),
        active=int(np.argmin(np.abs(alphas - active_alpha))),
    )


def strong_exponents(ds: xr.Dataset, alphas: tuple[float, ...] = SHOW_ALPHAS) -> pd.DataFrame:
    """α_m ± se of every strong γ (γ < 0) at the given α that ``ds`` holds, one row per (α, γ) (chapter 4)."""
    grid, g, a = fit_grid(ds), ds["gamma"].values, ds["alpha"].values
    rows = []
    for al in alphas:
        j = int(np.argmin(np.abs(a - al)))
        if abs(a[j] - al) > 1e-6:
            continue
        for i in np.flatnonzero(g < 0):
            rows.append({"alpha": al, "gamma": g[i], "alpha_m": grid.exponent[i, j], "se": grid.se[i, j]})
    return pd.DataFrame(rows)


def strong_exponent_table(ds: xr.Dataset) -> pd.DataFrame:
    """Table 4.2 as shown: α_m ± se per strong γ, the paper's Fig. 5e range and 2(α − 1) (chapter 4)."""
    t = strong_exponents(ds)
    paper_rng = {a: (lo, hi) for a, lo, hi in PAPER_FIG5E}
    rows = []
    for a, f in t.groupby("alpha", sort=False):
        row = {"alpha": a}
        for r in f.itertuples():
            row[f"gamma = {r.gamma:+.2f}"] = f"{r.alpha_m:.2f} ± {r.se:.2f}"
        lo, hi = paper_rng[a]
        row["paper (Fig. 5e)"] = f"{lo:.2f}–{hi:.2f}"
        row["2(α − 1)"] = f"{2 * (a - 1):.2f}" if a > 1 else "–"
        rows.append(row)
    return pd.DataFrame(rows).set_index("alpha")


def protocol_rows(small: xr.Dataset, paper: xr.Dataset) -> pd.DataFrame:
    """Table 4.3: the strong rows of :func:`superscale.analysis.protocol_check` (chapter 4)."""
    t = analysis.protocol_check(small, paper)
    t = t[t.index.get_level_values("quantity").str.startswith("strong")]
    t = t.rename(columns={"book CPU protocol": "short protocol"})
    return t.rename(index=lambda q: q.replace("book protocol", "short protocol"), level="quantity")


def strong_overlap(ds: xr.Dataset) -> pd.Series:
    """m·⟨c²⟩ of the rows with norm > 1 in the strong runs (γ < 0): the median over γ and widths of the
    models with at least 10 such rows, one value per α (chapter 4; the paper's Fig. 5d, 1 = exactly 1/m)."""
    sub = ds.sel(gamma=ds["gamma"].values[ds["gamma"].values < 0])
    r = (sub["overlap_mean_gt1"] * sub["m"]).where(sub["n_gt1"] >= 10)
    return r.median(["gamma", "m"]).to_series()


# ------------------------------------------------------------------------------------------------
# The phase diagram (Figures 4.4-4.6, Table 4.4)
# ------------------------------------------------------------------------------------------------


@dataclass
class PhaseMaps:
    """α_m, its standard error and R² over the (γ, α) grid, for each protocol (chapter 4, Figures 4.4-4.5)."""

    gammas: np.ndarray
    alphas: np.ndarray
    alpha_m: dict
    se: dict
    r2: dict


def phase_maps(paper: xr.Dataset, short: xr.Dataset | None = None) -> PhaseMaps:
    """The fitted exponents over (γ, α) of ``paper`` (the paper's protocol) and, when given, of ``short``
    (the short protocol) on the same γ and α, NaN where a cell was not trained (chapter 4)."""
    gammas, alphas = paper["gamma"].values, paper["alpha"].values
    out = PhaseMaps(gammas, alphas, {}, {}, {})
    for label, ds in ((PAPER, paper), (BOOK, short)):
        if ds is None:
            continue
        pm = exponents.exponent_maps(exponents.exponent_table(ds), gammas, alphas)
        out.alpha_m[label], out.se[label], out.r2[label] = pm["alpha_m"], pm["se"], pm["r2"]
    return out


def phase_figure(maps: PhaseMaps) -> go.Figure:
    """Figure 4.4: α_m over (γ, α) at the paper's protocol, with the paper's regions (chapter 4)."""
    fig = figs.phase_heatmap_figure(
        maps.alpha_m[PAPER], maps.gammas, maps.alphas, se=maps.se[PAPER], zmin=0, zmax=2.4
    )
    fig.update_layout(title_text="Fitted α<sub>m</sub> over γ and α")
    return fig


def r2_figure(maps: PhaseMaps) -> go.Figure:
    """Figure 4.5: R² of the same fits (chapter 4)."""
    fig = figs.phase_heatmap_figure(
        maps.r2[PAPER], maps.gammas, maps.alphas, what="R²", zmin=0, zmax=1, colorscale="Greys_r"
    )
    fig.update_layout(title_text="R² of the power-law fits over γ and α")
    return fig


#: What the paper's Fig. 9b shows in each region (read off its colours; :data:`superscale.paper.PAPER_REGIONS`).


def region_means(values, gammas, alphas) -> dict[str, dict[str, float]]:
    """Summary of a (γ, α) map per paper region: mean, min, max and count of the finite values (chapter 4).

    ``values`` has shape (len(gammas), len(alphas)), e.g. the fitted α_m.
    """
    v, g, a = exponents.grid_arrays(values, gammas, alphas)
    out = {}
    for r in PAPER_REGIONS:
        mask = np.array([[r.contains(gi, ai) for ai in a] for gi in g]) & np.isfinite(v)
        sel = v[mask]
        out[r.key] = {
            "mean": float(sel.mean()) if sel.size else float("nan"),
            "min": float(sel.min()) if sel.size else float("nan"),
            "max": float(sel.max()) if sel.size else float("nan"),
            "count": int(sel.size),
        }
    return out


def region_table(maps: PhaseMaps) -> pd.DataFrame:
    """Table 4.4: α_m (mean, min, max, count) and mean R² in each of the paper's regions, per protocol (chapter 4)."""
    tables = {}
    for label in maps.alpha_m:
        s = region_means(maps.alpha_m[label], maps.gammas, maps.alphas)
        r2 = region_means(maps.r2[label], maps.gammas, maps.alphas)
        tables[label] = pd.DataFrame(
            [
                {
                    "region": r.name,
                    "gamma": f"{r.gamma[0]:+.2f} … {r.gamma[1]:+.2f}",
                    "alpha": f"{r.alpha[0]:g} … {r.alpha[1]:g}",
                    "runs": s[r.key]["count"],
                    "alpha_m mean": s[r.key]["mean"],
                    "alpha_m min": s[r.key]["min"],
                    "alpha_m max": s[r.key]["max"],
                    "R^2 mean": r2[r.key]["mean"],
                    "paper (Fig. 9b)": PAPER_REGION_ALPHA_M[r.key],
                }
                for r in PAPER_REGIONS
            ]
        ).set_index("region")
    return pd.concat(tables, names=["protocol"])


def least_ambiguous(
    ambiguity, gammas, alphas, k: int = 9, gamma_min: float = 0.0
) -> list[tuple[float, float]]:
    """The ``k`` (γ, α) cases with γ > ``gamma_min`` whose largest ambiguity over the widths is smallest
    (the paper's choice of the weak-regime points of Fig. 4b and 5e, App. D.5; chapter 4).

    ``ambiguity`` has shape (len(gammas), len(alphas), widths). Cases with any NaN are skipped.
    """
    A = np.asarray(ambiguity, dtype=float)
    g = np.asarray(gammas, dtype=float)
    a = np.asarray(alphas, dtype=float)
    if A.ndim != 3 or A.shape[:2] != (g.size, a.size):
        raise ValueError(f"ambiguity must have shape (len(gammas), len(alphas), widths), got {A.shape}")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    worst = A.max(axis=2)
    cand = [
        (worst[i, j], float(g[i]), float(a[j]))
        for i in range(g.size)
        for j in range(a.size)
        if g[i] > gamma_min and np.isfinite(worst[i, j])
    ]
    cand.sort()
    return [(gi, aj) for _, gi, aj in cand[:k]]


def least_ambiguous_weak(ds: xr.Dataset, k: int = 9) -> list[tuple[float, float]]:
    """The ``k`` weak (γ > 0) runs closest to no superposition, the paper's choice of Fig. 5e (chapter 4)."""
    return least_ambiguous(values(ds, "ambiguity"), ds["gamma"].values, ds["alpha"].values, k=k)


def alpha_m_figure(paper: xr.Dataset, weak: list[tuple[float, float]]) -> go.Figure:
    """Figure 4.6: α_m against α for the paper's three strong γ at the paper's protocol, and the weak
    runs ``weak`` (from :func:`least_ambiguous_weak`) (chapter 4)."""
    grid, gammas, alphas = fit_grid(paper), list(paper["gamma"].values), list(paper["alpha"].values)
    series = {float(gammas[i]): (grid.exponent[i], grid.se[i]) for i in strong_rows(paper)}
    fig = figs.alpha_m_vs_alpha_figure(alphas, series)
    ij = [(gammas.index(g), alphas.index(a)) for g, a in weak]
    fig.add_scatter(
        x=[a for _, a in weak],
        y=[grid.exponent[i, j] for i, j in ij],
        mode="markers",
        name=f"weak: the {len(weak)} runs closest to no superposition",
        text=[f"γ = {g:+.2f}" for g, _ in weak],
        marker=dict(symbol="diamond", size=10, color="#e6a700", line=dict(width=1, color="#222")),
        error_y=dict(type="data", array=[grid.se[i, j] for i, j in ij], thickness=1, width=2),
    )
    fig.update_layout(title_text="Model exponent α<sub>m</sub> against frequency exponent α")
    return fig


# ------------------------------------------------------------------------------------------------
# Activation density (Figure 4.7, Table 4.5)
# ------------------------------------------------------------------------------------------------


def density_figure(t: pd.DataFrame, width: int = DENSITY_WIDTH) -> go.Figure:
    """Figure 4.7: loss against E at one width and α_m against E, from :func:`density_check` (the
    paper's protocol; every density it holds) (chapter 4)."""
    am, se, loss = (t[c].unstack("E") for c in ("alpha_m", "se", "loss"))
    fig = figs.density_figure(am.columns.values, loss.values, am.index.values, width, am.values, se.values)
    fig.update_layout(title_text="Activation density E at the paper's protocol")
    return fig


def nearest(grid_values, v: float) -> float:
    """The value of ``grid_values`` closest to ``v``; ``ValueError`` when none is within 0.02 (chapter 4)."""
    g = np.asarray(grid_values, dtype=float)
    k = int(np.argmin(np.abs(g - v)))
    if abs(g[k] - v) > 0.02:
        raise ValueError(f"no grid value within 0.02 of {v}; the grid has {np.round(g, 3).tolist()}")
    return float(g[k])


def density_check(
    dens: xr.Dataset,
    e1: xr.Dataset | None = None,
    cheap: xr.Dataset | None = None,
    width: int = DENSITY_WIDTH,
) -> pd.DataFrame:
    """α_m and the loss at one width against the activation density E, for the strong runs of the
    density sweep (chapter 4; the paper's Fig. 14), as a DataFrame indexed by (E, gamma).

    ``dens`` holds the runs at densities E (dims E, gamma, m, as ``catalog.load("paper-density-strong")``).
    ``e1`` (optional) is a sweep over α (``paper-small``) whose α = 1 runs at the same γ, widths and
    protocol are the E = 1 models; they are added as E = 1 when ``dens`` lacks it. ``cheap`` (optional)
    is the same density sweep at another protocol (``short-density``); its α_m at the same (E, γ) goes
    in the column ``alpha_m_cheap``.

    Columns: alpha_m, se, r2 (power-law fit over all widths); loss (the final loss at ``width``);
    loss_per_E (loss / E divided by the same at the smallest E of the table); alpha_m_cheap;
    paper_alpha_m, paper_se (Fig. 14b at the paper's five densities, NaN elsewhere). Raises
    ``ValueError`` if ``width`` is not one of the widths, or if ``e1`` does not match.
    """
    dens = catalog.trained_only(dens, "E")
    widths = np.asarray(dens["m"].values)
    if int(width) not in widths.astype(int).tolist():
        raise ValueError(
            f"width must be one of the sweep's widths {widths.astype(int).tolist()}, got {width}"
        )
    gammas = np.asarray(dens["gamma"].values, dtype=float)
    Es = np.asarray(dens["E"].values, dtype=float)
    loss = dens["final_loss"].transpose("E", "gamma", "m").values
    if e1 is not None and not np.any(np.isclose(Es, 1.0)):
        if e1.attrs.get("protocol") != dens.attrs.get("protocol"):
            raise ValueError("e1 must carry the same protocol as dens (its α = 1 runs are the E = 1 models)")
        try:
            a1 = e1.sel(alpha=nearest(e1["alpha"].values, 1.0))
            gsel = [nearest(a1["gamma"].values, g) for g in gammas]
        except ValueError as err:
            raise ValueError("e1 must hold α = 1 runs at the density sweep's γ") from err
        if not set(widths.tolist()) <= set(a1["m"].values.tolist()):
            raise ValueError("e1 must hold the density sweep's widths at α = 1")
        sub = a1.sel(gamma=gsel, m=widths)
        if not bool(sub["completed"].all()):
            raise ValueError("e1's α = 1 runs at the density sweep's γ and widths are not all trained")
        Es = np.concatenate([[1.0], Es])
        loss = np.concatenate([sub["final_loss"].transpose("gamma", "m").values[None], loss], axis=0)
    order = np.argsort(Es)
    Es, loss = Es[order], loss[order]
    grid = exponents.fit_exponent_grid(loss, widths)
    k = int(np.flatnonzero(widths.astype(int) == int(width))[0])
    per_e = loss[:, :, k] / Es[:, None]
    cheap_map = {}
    if cheap is not None:
        c = catalog.trained_only(cheap, "E")
        cg = exponents.fit_exponent_grid(
            c["final_loss"].transpose("E", "gamma", "m").sel(m=widths).values, widths
        )
        for a, e in enumerate(np.asarray(c["E"].values, dtype=float)):
            for b, g in enumerate(np.asarray(c["gamma"].values, dtype=float)):
                cheap_map[(round(e, 3), round(g, 3))] = cg.exponent[a, b]
    rows, index = [], []
    for a, e in enumerate(Es):
        near = int(np.argmin(np.abs(np.asarray(DENSITY_PAPER_E) - e)))
        pv, ps = PAPER_DENSITY_ALPHA_M[near] if abs(DENSITY_PAPER_E[near] - e) < 0.05 else (np.nan, np.nan)
        for b, g in enumerate(gammas):
            rows.append(
                {
                    "alpha_m": grid.exponent[a, b],
                    "se": grid.se[a, b],
                    "r2": grid.r2[a, b],
                    "loss": loss[a, b, k],
                    "loss_per_E": per_e[a, b] / per_e[0, b],
                    "alpha_m_cheap": cheap_map.get((round(e, 3), round(g, 3)), np.nan),
                    "paper_alpha_m": pv,
                    "paper_se": ps,
                }
            )
            index.append((round(float(e), 3), round(float(g), 3)))
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["E", "gamma"]))


def density_check_table(t: pd.DataFrame) -> pd.DataFrame:
    """Table 4.5 as shown, from :func:`density_check` (chapter 4)."""
    paper_col = [
        f"{v:.2f} ± {s:.2f}" if np.isfinite(v) else "—"
        for v, s in zip(t.paper_alpha_m, t.paper_se, strict=True)
    ]
    return pd.DataFrame(
        {
            "alpha_m ± se (paper's protocol)": [
                f"{a:.2f} ± {s:.2f}" for a, s in zip(t.alpha_m, t.se, strict=True)
            ],
            "R^2": t.r2.round(3).values,
            "alpha_m (book's protocol)": t.alpha_m_cheap.round(2).values,
            f"loss at m = {DENSITY_WIDTH}": t.loss.round(3).values,
            "(L/E) / (L/E at E = 1)": t.loss_per_E.round(2).values,
            "paper (Fig. 14b)": paper_col,
        },
        index=t.index,
    )


# ------------------------------------------------------------------------------------------------
# The large toy model, n = 10240 (Figure 4.8, Tables 4.6-4.7)
# ------------------------------------------------------------------------------------------------


def run_label(ds: xr.Dataset) -> str:
    """A large-model run's protocol as "batch × steps", e.g. "256 × 20 000" (chapter 4)."""
    return f"{ds.attrs['batch']} × {ds.attrs['steps']:,}".replace(",", " ")


def load_large(names: tuple[str, ...] = LARGE_SETS) -> dict:
    """The large-model data sets, {run label: Dataset}, the longer protocol first (chapter 4)."""
    out = {}
    for name in names:
        ds = catalog.load(name)
        out[run_label(ds)] = ds
    return out


def large_curves(ds: xr.Dataset) -> dict:
    """The trained loss curves of a large-model sweep, keyed by (regime, law) (chapter 4).

    regime is "strong" for γ < 0 and "weak" otherwise. Each value is a dict with the trained widths
    ``widths``, ``loss`` and ``se`` over them, and ``fit``: α_m over the paper's fit range for that law
    and regime (:func:`superscale.exponents.fit_large`; None with fewer than 3 widths in it).
    """
    out: dict = {}
    for g in ds["gamma"].values:
        regime = "strong" if g < 0 else "weak"
        for kind in ds["kind"].values:
            sub = ds.sel(kind=kind, gamma=g)
            done = np.asarray(sub["completed"].values, dtype=bool)
            if not done.any():
                continue
            w = np.asarray(ds["m"].values, dtype=float)[done]
            y = np.asarray(sub["final_loss"].values, dtype=float)[done]
            out[(regime, str(kind))] = {
                "widths": w,
                "loss": y,
                "se": np.asarray(sub["final_loss_se"].values, dtype=float)[done],
                "fit": exponents.fit_large(w, y, str(kind), float(g)),
            }
    return out


def describe_sweep(ds: xr.Dataset) -> str:
    """One line on what a merged sweep holds: grid, n, widths, γ and α counts, protocol, completeness (chapter 4)."""
    a = ds.attrs
    dims = ", ".join(f"{d}: {ds.sizes[d]}" for d in ("kind", "alpha", "E", "gamma", "m") if d in ds.sizes)
    done = int(np.asarray(ds["completed"]).sum()) if "completed" in ds else -1
    total = int(np.asarray(ds["completed"]).size) if "completed" in ds else -1
    return (
        f"sweep {a.get('grid', '?')}: n = {a.get('n', '?')}, widths {list(np.asarray(ds['m']).tolist())}, "
        f"{dims}; batch {a.get('batch', '?')}, {a.get('steps', '?')} steps; {done}/{total} models trained"
    )


def large_runs(sweeps: dict) -> dict:
    """{run label: :func:`large_curves`} for the sweeps of :func:`load_large` (chapter 4)."""
    return {label: large_curves(ds) for label, ds in sweeps.items()}


def describe_large(sweeps: dict, runs: dict) -> str:
    """What each large-model data set holds: protocol, grid, training time, trained widths (chapter 4)."""
    lines = []
    for label, ds in sweeps.items():
        hours = ds.attrs["train_seconds_total"] / 3600
        lines.append(
            f"{ds.attrs['dataset']} ({label}): {describe_sweep(ds)}; {hours:.1f} h of training on one CPU thread"
        )
        for (regime, kind), c in runs[label].items():
            lines.append(f"  {regime:6s} {kind:12s} trained widths {c['widths'].astype(int).tolist()}")
    return "\n".join(lines)


def large_stand_ins(runs: dict) -> dict:
    """For each (regime, law) of the large model: the run drawn in full and, where a cheaper run reaches
    wider, the one that stands in beyond it (chapter 4, Figure 4.8).

    ``runs`` is :func:`large_runs`, the paper's protocol first. Returns {key: (label, curves, other)}:
    ``label`` and ``curves`` of the longest protocol that trained the key, ``other`` None or
    ``(label, curves)`` of the run with the most widths among those that reach a wider width.
    """
    out = {}
    labels = list(runs)
    for key in sorted({k for c in runs.values() for k in c}):
        have = [lab for lab in labels if key in runs[lab]]
        main = have[0]
        top = runs[main][key]["widths"].max()
        wider = [lab for lab in have[1:] if runs[lab][key]["widths"].max() > top]
        other = max(wider, key=lambda lab: runs[lab][key]["widths"].size) if wider else None
        out[key] = (main, runs[main][key], None if other is None else (other, runs[other][key]))
    return out


_PLAIN_LAWS = {
    "exponential": "exponential e^(−i/400)",
    "power": "power law i^(−1.2)",
    "linear": "linear n − i",
}


def large_status(runs: dict) -> pd.DataFrame:
    """Which models of the paper's large model are trained at the paper's protocol so far (chapter 4,
    below Figure 4.8): rows (regime, law), columns the paper's widths, "✓" where trained and "·" where
    still to train, and a last column counting the trained widths."""
    allw = [int(w) for w in PAPER_FIG1_LOSS["widths"]["all"]]
    curves = runs.get(FULL_RUN, {})
    rows, index = [], []
    for regime, g in (("strong", "γ = −1"), ("weak", "γ = 0.1")):
        for kind in LAWS:
            c = curves.get((regime, kind))
            got = set() if c is None else set(c["widths"].astype(int).tolist())
            rows.append(["✓" if w in got else "·" for w in allw] + [f"{len(got)} of {len(allw)}"])
            index.append((f"{regime} ({g})", _PLAIN_LAWS[kind]))
    return pd.DataFrame(
        rows,
        index=pd.MultiIndex.from_tuples(index, names=["regime", "law"]),
        columns=[f"m = {w}" for w in allw] + ["trained"],
    )


def large_figure(runs: dict, sweeps: dict) -> go.Figure:
    """Figure 4.8: loss against width of the large model (the paper's Fig. 1b, d). Each curve from the
    longest protocol that trained it (the paper's, where it exists); where a cheaper run reaches wider
    widths it is drawn beside it as open circles (chapter 4)."""
    best = large_stand_ins(runs)
    widest = max((c["widths"] for _, c, _ in best.values()), key=len)
    fig = figs.large_model_figure(
        widest,
        {k: (c["widths"], c["loss"]) for k, (_, c, _) in best.items()},
        se={k: c["se"] for k, (_, c, _) in best.items()},
        fits={k: c["fit"] for k, (_, c, _) in best.items()},
        names={k: lab for k, (lab, _, _) in best.items()},
        n=int(next(iter(sweeps.values())).attrs["n"]),
        other={k: (o[1]["widths"], o[1]["loss"], o[0]) for k, (_, _, o) in best.items() if o is not None},
    )
    fig.update_layout(
        title_text=f"Large toy model, n = {next(iter(sweeps.values())).attrs['n']}: loss against width"
    )
    return fig


def large_time_table(ds: xr.Dataset) -> pd.DataFrame:
    """Table 4.8: hours of training (one CPU thread, evaluation included) of each model of the large-model
    sweep ``ds``, by (regime, law) and width, NaN where not trained yet (chapter 4; the paper's protocol)."""
    hours = ds["train_seconds"].where(ds["completed"]) / 3600
    rows, index = [], []
    for g in ds["gamma"].values:
        for kind in ds["kind"].values:
            rows.append(hours.sel(gamma=g, kind=kind).values)
            index.append(("strong" if g < 0 else "weak", str(kind)))
    t = pd.DataFrame(
        rows,
        index=pd.MultiIndex.from_tuples(index, names=["regime", "law"]),
        columns=[f"m = {int(m)}" for m in ds["m"].values],
    )
    t["trained (h)"] = t.sum(axis=1, min_count=1)
    return t


def paper_fig1_fit(kind: str, regime: str, widths) -> tuple[PowerLawFit | None, float]:
    """α_m fitted to the paper's own Fig. 1 losses over those of ``widths`` the figure shows, and the standard
    error that reading the figure (±5 % a loss) puts on that slope; (None, nan) with fewer than 3 widths
    (chapter 4, Table 4.6)."""
    if regime not in ("strong", "weak"):
        raise ValueError(f"regime must be 'strong' or 'weak', got {regime!r}")
    pw = np.asarray(PAPER_FIG1_LOSS["widths"]["all"], dtype=float)
    same = np.isin(pw, np.asarray(widths, dtype=float))
    if same.sum() < 3:
        return None, float("nan")
    x = np.log(pw[same])
    read_se = PAPER_FIG1_READ_ERROR / float(np.sqrt(np.sum((x - x.mean()) ** 2)))
    return fit_power_law(pw[same], np.asarray(PAPER_FIG1_LOSS[regime][kind], dtype=float)[same]), read_se


def large_exponent_table(runs: dict) -> pd.DataFrame:
    """Table 4.6: α_m of the large model for each run beside the paper's (chapter 4).

    One row per (law, regime, run): the widths trained, α_m ± se and R² over the paper's fit range,
    α_m over all trained widths, the paper's published α_m (strong runs; m = 8…1024) and α_m fitted
    to the paper's own losses (read off its Fig. 1) over the same fit widths as ours.
    """
    rows = []
    for kind in LAWS:
        for regime in ("strong", "weak"):
            for label, curves in runs.items():
                c = curves.get((regime, kind))
                if c is None:
                    continue
                w, y, f = c["widths"], c["loss"], c["fit"]
                lo = exponents.large_fit_min_width(kind, -1.0 if regime == "strong" else 1.0)
                f_paper, _ = paper_fig1_fit(kind, regime, w[(w >= lo) & np.isfinite(y)])
                f_all = fit_power_law(w, y) if np.isfinite(y).sum() >= 3 else None
                pv = PAPER_LARGE_ALPHA_M.get(kind) if regime == "strong" else None
                rows.append(
                    {
                        "law": kind,
                        "regime": regime,
                        "run": label,
                        "widths trained": (
                            f"{int(w.min())}–{int(w.max())}" if w.min() < w.max() else f"{int(w.min())}"
                        ),
                        "fit range (paper's rule)": f"m ≥ {lo}",
                        "α_m (ours, paper's range)": (
                            f"{f.exponent:.2f} ± {f.exponent_se:.2f}" if f else "fewer than 3 widths"
                        ),
                        "R²": round(f.r2, 3) if f else np.nan,
                        "α_m (ours, all widths)": round(f_all.exponent, 2) if f_all else np.nan,
                        "α_m (paper, m = 8…1024)": f"{pv[0]:.2f} ± {pv[1]:.2f}" if pv else "not a power law",
                        "α_m (paper's Fig. 1 losses, our fit widths)": (
                            round(f_paper.exponent, 2) if f_paper else np.nan
                        ),
                        "R² (paper, Fig. 9a)": PAPER_LARGE_R2[regime][kind],
                    }
                )
    return pd.DataFrame(rows).set_index(["law", "regime", "run"])


def large_loss_ratios(runs: dict, regime: str = "strong") -> pd.DataFrame:
    """Our large-model losses divided by the paper's (read off its Fig. 1), per run, law and width (chapter 4).

    Indexed by (run, law), one column per width the paper shows; NaN where the run did not train it.
    """
    if regime not in ("strong", "weak"):
        raise ValueError(f"regime must be 'strong' or 'weak', got {regime!r}")
    pw = [int(w) for w in PAPER_FIG1_LOSS["widths"]["all"]]
    rows, index = [], []
    for label, curves in runs.items():
        for kind in LAWS:
            c = curves.get((regime, kind))
            if c is None:
                continue
            paper = dict(zip(pw, PAPER_FIG1_LOSS[regime][kind], strict=True))
            ours = dict(zip(c["widths"].astype(int).tolist(), c["loss"], strict=True))
            rows.append([ours[w] / paper[w] if w in ours else np.nan for w in pw])
            index.append((label, kind))
    return pd.DataFrame(
        rows, index=pd.MultiIndex.from_tuples(index, names=["run", "law"]), columns=[f"m = {w}" for w in pw]
    )


def large_ratio_table(runs: dict) -> pd.DataFrame:
    """Table 4.7: :func:`large_loss_ratios` for the strong and the weak runs, widths no run trained left out."""
    ratios = pd.concat({regime: large_loss_ratios(runs, regime) for regime in ("strong", "weak")})
    return ratios.dropna(axis=1, how="all")


# ------------------------------------------------------------------------------------------------
# Live version
# ------------------------------------------------------------------------------------------------


def live_explorer(ds: xr.Dataset):
    """The live version: pick α, two γ and the smallest width of the fit (ipywidgets; chapter 4)."""
    import ipywidgets as widgets

    widths, gammas, alphas = ds["m"].values, ds["gamma"].values, ds["alpha"].values
    loss, loss_se = values(ds), values(ds, "final_loss_se")

    def show_runs(alpha=1.0, gamma_a=-0.556, gamma_b=0.556, min_width=10):
        j = int(np.argmin(np.abs(alphas - alpha)))
        curves, errs = {}, {}
        for g in (gamma_a, gamma_b):
            i = int(np.argmin(np.abs(gammas - g)))
            curves[f"γ = {gammas[i]:+.2f}"] = loss[i, j]
            errs[f"γ = {gammas[i]:+.2f}"] = loss_se[i, j]
        title = f"α = {alphas[j]:g}: fits over m ≥ {min_width}"
        figs.loss_width_figure(widths, curves, se=errs, min_width=min_width, title=title).show()

    options = [(f"{g:+.2f}", float(g)) for g in gammas]
    return widgets.interact(
        show_runs,
        alpha=widgets.SelectionSlider(options=[float(a) for a in alphas], value=1.0, description="alpha"),
        gamma_a=widgets.Dropdown(options=options, value=float(gammas[2]), description="gamma A"),
        gamma_b=widgets.Dropdown(options=options, value=float(gammas[7]), description="gamma B"),
        min_width=widgets.SelectionSlider(
            options=[int(m) for m in widths[:4]], value=int(widths[0]), description="fit from m"
        ),
    )
