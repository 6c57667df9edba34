"""Chapter 4's claims as named checks: every statement the chapter makes about its data (chapter 4).

Each ``check_*`` function takes what :mod:`superscale.chapters.ch4_strong` computes and returns a list of
:class:`superscale.checks.Finding`; :func:`claims` runs them all on the book's data sets (the chapter's
one hidden cell: ``checks.require(ch4_strong_checks.claims(...))``). Numbers quoted by the text (our own measurements, rounded) are checked to their
rounding; comparisons with the paper allow the standard errors of our fits where the text does.

- :func:`check_represented`: Table 4.1 (the represented fraction per γ);
- :func:`check_loss_figures`: Figures 4.1 and 4.2 (the slopes, the fan of curves);
- :func:`check_paper_protocol`: Table 4.2, the text below it and Table 4.3 (the paper's protocol, per α);
- :func:`check_short_protocol`: Figure 4.3 and its text (what the short protocol misses);
- :func:`check_second_seed`: a second seed of the two lowest settings (the reproduction notes);
- :func:`check_regions`, :func:`check_r2`: Figures 4.4-4.5 and Table 4.4 (the paper's three regions);
- :func:`check_alpha_m_figure`: Figure 4.6 (α_m against α, the weak runs);
- :func:`check_density_paper`: Figure 4.7 and Table 4.5 (activation density, whichever densities are trained);
- :func:`check_large`: Figure 4.8 and Tables 4.6-4.7 (the large model on a CPU).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import xarray as xr

from .. import catalog, exponents
from ..checks import Finding, at_least, at_most, close_to, holds, within
from ..paper import (
    PAPER_FIG1_LOSS,
    PAPER_FIG5E,
    PAPER_FIG14B_LOSS,
    PAPER_REGIONS,
    PAPER_STRONG_GAMMAS,
    PAPER_WEAK_ALPHA_M,
)
from .ch4_strong import (
    BOOK,
    FULL_RUN,
    LAWS,
    LONG_RUN,
    PAPER,
    SHORT_RUN,
    PhaseMaps,
    density_check,
    fit_grid,
    large_loss_ratios,
    large_runs,
    least_ambiguous_weak,
    load_large,
    nearest,
    paper_fig1_fit,
    phase_maps,
    region_table,
    represented_table,
    strong_overlap,
    strong_rows,
    values,
)

#: The ranges of the strong α_m at the paper's protocol that the text quotes, per α (our numbers, rounded).
TEXT_RANGES = {
    0.0: (0.76, 0.87),
    0.125: (0.77, 0.84),
    0.25: (0.78, 0.88),
    0.375: (0.85, 0.91),
    0.5: (0.81, 0.9),
    0.625: (0.87, 0.97),
    0.75: (0.87, 1.03),
    0.875: (0.94, 1.09),
    1.0: (0.95, 1.15),
    1.125: (0.99, 1.09),
    1.25: (1.2, 1.33),
    1.375: (1.19, 1.48),
    1.5: (1.32, 1.5),
    1.625: (1.29, 1.51),
    1.75: (1.73, 2.04),
    1.875: (1.75, 2.17),
    2.0: (1.8, 2.15),
}


def _each(claim: str, vals, labels, lo: float, hi: float, *, what: str, se=None, k: float = 1.0) -> Finding:
    """One finding for several values that must all lie in [lo, hi] (allowing ``k`` standard errors)."""
    v = np.asarray(vals, dtype=float)
    s = np.zeros_like(v) if se is None else np.asarray(se, dtype=float)
    ok = np.isfinite(v) & (v >= lo - k * s) & (v <= hi + k * s)
    parts = [
        f"{lab}: {x:.2f}" + ("" if se is None else f" ± {e:.2f}")
        for lab, x, e in zip(labels, v, s, strict=True)
    ]
    allow = "" if se is None else f" (allowing {k:g} standard error{'' if k == 1 else 's'})"
    if v.size and ok.all():
        return Finding(claim, True, f"{what}: {', '.join(parts)}, all inside {lo:.2f}–{hi:.2f}{allow}")
    bad = [p for p, o in zip(parts, ok, strict=True) if not o] or ["no value"]
    return Finding(claim, False, f"{what}: {', '.join(bad)} outside {lo:.2f}–{hi:.2f}{allow}")


def _g(values) -> list[str]:
    return [f"γ = {g:+.2f}" for g in values]


def check_represented(paper: xr.Dataset) -> list[Finding]:
    """Table 4.1 at the paper's protocol: who represents how many features (chapter 4)."""
    t = represented_table(paper).set_index("gamma")
    g = t.index.values
    smallest, mean = t["phi_1/2 (smallest)"], t["phi_1/2 (mean)"]
    k33, k11 = (int(np.argmin(np.abs(g - v))) for v in (-0.333, -0.111))
    return [
        at_least(
            "γ ≤ −0.56: every model represents at least 93 % of the features",
            float(smallest[g <= -0.55].min()),
            0.93,
            what="the smallest φ_1/2",
        ),
        within("γ = −0.33: 94 % on average", float(mean.iloc[k33]), 0.935, 0.945, what="the mean φ_1/2"),
        within("γ = −0.11: 67 % on average", float(mean.iloc[k11]), 0.665, 0.675, what="the mean φ_1/2"),
        at_most(
            "γ ≥ 0.11: at most 17 % on average",
            float(mean[g > 0].max()),
            0.175,
            what="the largest mean φ_1/2",
        ),
    ]


def check_loss_figures(paper: xr.Dataset) -> list[Finding]:
    """Figures 4.1-4.2 at the paper's protocol: the slopes and the fan of curves (chapter 4)."""
    grid, g, a = fit_grid(paper), paper["gamma"].values, paper["alpha"].values
    s, flat, top = g <= -0.33, a <= 1.0 + 1e-9, int(np.argmax(a))
    first = values(paper)[g < 0][:, :, 0]
    return [
        _each(
            "Figure 4.1: for γ ≤ −0.33 the slope is close to −1 up to α = 1",
            grid.exponent[np.ix_(s, flat)].ravel(),
            [f"{x}, α = {y:g}" for x in _g(g[s]) for y in a[flat]],
            0.75,
            1.25,
            what="α_m",
        ),
        _each(
            "Figure 4.1: for γ ≤ −0.33 the slope is about −2 at α = 2",
            grid.exponent[s, top],
            _g(g[s]),
            1.75,
            2.2,
            what="α_m at α = 2",
        ),
        holds(
            "Figure 4.2: the skewed curves start lower (α = 2 below α = 0 at m = 10, every γ < 0)",
            bool(np.all(first[:, top] < first[:, 0])),
            f"α = 2: {first[:, top].round(3).tolist()}, α = 0: {first[:, 0].round(3).tolist()}",
        ),
        holds(
            "Figure 4.2: the skewed curves fall faster (α_m at α = 2 above α = 0, every γ < 0)",
            bool(np.all(grid.exponent[g < 0, top] > grid.exponent[g < 0, 0])),
            f"α = 2: {grid.exponent[g < 0, top].round(2).tolist()}, α = 0: "
            f"{grid.exponent[g < 0, 0].round(2).tolist()}",
        ),
    ]


def check_short_protocol(short: xr.Dataset, paper: xr.Dataset) -> list[Finding]:
    """Figure 4.3 and its text: the paper's three strong γ at the short protocol against the paper's (chapter 4)."""
    rows, a, w = strong_rows(paper), paper["alpha"].values, paper["m"].values
    sh = short.sel(gamma=paper["gamma"].values[rows], alpha=a, m=w, method="nearest")
    gs = exponents.fit_exponent_grid(values(sh), w)
    lp, ls = values(paper)[rows], values(sh)
    lab, out = _g(paper["gamma"].values[rows]), []
    seen = [int(d.attrs["batch"]) * int(d.attrs["steps"]) for d in (paper, short)]
    out.append(
        holds(
            "the paper's protocol shows each model 41 million samples, the short one 80 times fewer",
            round(seen[0] / 1e6) == 41 and round(seen[0] / seen[1]) == 80,
            f"{seen[0]:,} and {seen[1]:,} samples",
        )
    )
    for al, lo, hi, rlo, rhi in ((2.0, 0.91, 1.02, 8.5, 9.5), (0.0, 0.67, 0.70, 1.25, 1.35)):
        j = int(np.argmin(np.abs(a - al)))
        out.append(
            _each(
                f"short protocol, α = {al:g}: α_m {lo:.2f}–{hi:.2f}",
                gs.exponent[:, j],
                lab,
                lo - 0.005,
                hi + 0.005,
                what="α_m (short protocol)",
            )
        )
        r = ls[:, j] / lp[:, j]
        out.append(
            within(
                f"short protocol, α = {al:g}: losses {(rlo + rhi) / 2:g} times higher (median)",
                float(np.median(r)),
                rlo,
                rhi,
                what="the median loss ratio",
            )
        )
        if al == 2.0:
            i, k = np.unravel_index(np.argmax(r), r.shape)
            out.append(
                holds(
                    "short protocol, α = 2: 53 times higher at m = 100",
                    52.5 <= r[i, k] < 53.5 and int(w[k]) == 100,
                    f"the largest ratio is {r[i, k]:.1f} at m = {int(w[k])}",
                )
            )
    return out


def check_paper_protocol(paper: xr.Dataset) -> list[Finding]:
    """Table 4.2, the text below it and Table 4.3: the strong α_m at the paper's protocol, per α (chapter 4)."""
    t = exponents.exponent_table(paper)
    ct = t[np.isin(t["gamma"].round(2), np.round(PAPER_STRONG_GAMMAS, 2))]
    out = [
        holds(
            "the paper's three strong γ are trained at every α at the paper's protocol",
            ct["alpha_m"].notna().all(),
            f"{int(ct['alpha_m'].notna().sum())} of {len(ct)} (γ, α) fits exist",
        )
    ]
    below, n_flat, fig5e = [], 0, {a: (lo, hi) for a, lo, hi in PAPER_FIG5E}
    for a, f in ct.groupby("alpha"):
        lab, what = _g(f["gamma"]), f"strong α_m at α = {a:g} (paper's protocol)"
        if a <= 1:
            n_flat += len(f)
            below += [(a, g) for g, e in zip(f["gamma"], f["alpha_m"], strict=True) if e < 0.8]
            out.append(
                _each(
                    f"α = {a:g}: within one standard error of the 0.8–1.25 band",
                    f["alpha_m"],
                    lab,
                    0.8,
                    1.25,
                    se=f["se"],
                    what=what,
                )
            )
        if np.isclose(a, 1.0):
            out.append(_each("α = 1: inside the 0.8–1.25 band", f["alpha_m"], lab, 0.8, 1.25, what=what))
        near = [q for q in TEXT_RANGES if np.isclose(q, a)]
        lo, hi = TEXT_RANGES[near[0]] if near else (fig5e[a][0] - 0.35, fig5e[a][1] + 0.35)
        claim = f"α = {a:g}: the range the text quotes" if near else f"α = {a:g}: near the paper's Fig. 5e"
        out.append(_each(claim, f["alpha_m"], lab, lo, hi, what=what))
        out.append(_each(f"α = {a:g}: the strong fits are power laws", f["r2"], lab, 0.92, 1.0, what="R²"))
    odd = [(a, g) for a, g in below if not (a <= 0.25 and abs(g + 0.333) < 0.01)]
    out.append(
        holds(
            "the fits at α ≤ 1 below 0.8 are all γ = −0.33 at α ≤ 0.25",
            not odd,
            f"below 0.8: {[(round(g, 2), a) for a, g in below]}",
        )
    )
    out.append(
        holds(
            "24 of the 27 fits at α ≤ 1 lie inside the 0.8–1.25 band",
            n_flat == 27 and len(below) == 3,
            f"{n_flat - len(below)} of {n_flat} inside",
        )
    )
    fl = ct[ct["alpha"] <= 1.0 + 1e-9]
    out.append(
        _each(
            "α ≤ 1: the strong α_m span 0.77–1.14",
            [fl["alpha_m"].min(), fl["alpha_m"].max()],
            ["smallest", "largest"],
            0.765,
            1.145,
            what="strong α_m at α ≤ 1 (paper's protocol)",
        )
    )
    low = fl[fl["alpha_m"] < 0.8]
    lab = [f"γ = {g:+.2f}, α = {a:g}" for g, a in zip(low["gamma"], low["alpha"], strict=True)]
    out.append(_each("the three below 0.8: α_m 0.77–0.79", low["alpha_m"], lab, 0.765, 0.795, what="α_m"))
    out.append(_each("the three below 0.8: SE 0.08–0.09", low["se"], lab, 0.075, 0.095, what="SE"))
    out.append(
        _each(
            "the three below 0.8: each within one SE of the paper's 0.8–0.9",
            low["alpha_m"],
            lab,
            0.8,
            0.9,
            se=low["se"],
            what="α_m",
        )
    )
    ov = strong_overlap(paper)
    out.append(
        _each(
            "the strong rows with norm > 1 sit on 1/m at the paper's protocol",
            ov.values,
            [f"α = {a:g}" for a in ov.index],
            0.95,
            1.05,
            what="median m·⟨c²⟩",
        )
    )
    return out


def check_second_seed(seed1: xr.Dataset, paper: xr.Dataset) -> list[Finding]:
    """The text's "it is not the seed": a second seed of γ = −0.33 at α = 0, 0.25 gives the same α_m (chapter 4)."""
    a = exponents.exponent_table(seed1)
    b = exponents.exponent_table(
        paper.sel(alpha=seed1["alpha"].values, gamma=seed1["gamma"].values, method="nearest")
    )
    out = []
    for r1, r0 in zip(a.itertuples(), b.itertuples(), strict=True):
        what = f"α_m of the second seed at γ = {r1.gamma:+.2f}, α = {r1.alpha:g}"
        se = float(np.hypot(r1.se, r0.se))
        out.append(
            close_to(
                f"second seed, α = {r1.alpha:g}: the same α_m as the first",
                r1.alpha_m,
                r0.alpha_m,
                se=se,
                what=what,
                target_what="the first seed, allowing 2 standard errors of the difference",
            )
        )
        out.append(
            at_most(f"second seed, α = {r1.alpha:g}: again just under 0.8", r1.alpha_m, 0.8, what=what)
        )
    return out


def check_regions(maps: PhaseMaps) -> list[Finding]:
    """Table 4.4 and Figure 4.4 at the paper's protocol, what the text says about the three regions (chapter 4)."""
    tab = region_table(maps)
    wk, fl, sk = (tab.loc[PAPER].loc[r.name] for r in PAPER_REGIONS)
    book_sk = tab.loc[BOOK].loc[sk.name]
    pm, g, a = maps.alpha_m[PAPER], maps.gammas, maps.alphas
    out = [
        holds(
            "every cell of the strong, skewed corner is trained at the paper's protocol",
            sk["runs"] == book_sk["runs"],
            f"{sk['runs']} of {book_sk['runs']} cells",
        ),
        at_least("strong, skewed: the smallest α_m", sk["alpha_m min"], 1.25, what="the smallest"),
        within(
            "strong, skewed: the largest α_m near the paper's 2.4",
            sk["alpha_m max"],
            2.35,
            2.5,
            what="the largest",
        ),
        within("strong, skewed: the mean α_m", sk["alpha_m mean"], 1.75, 1.9, what="the mean"),
        at_most(
            "strong, skewed: the book's protocol stays near 1",
            book_sk["alpha_m max"],
            1.2,
            what="its largest",
        ),
        within("strong, flat: the mean α_m is about 1", fl["alpha_m mean"], 0.95, 1.05, what="the mean"),
        within("strong, flat: the range of α_m", fl["alpha_m min"], 0.75, 1.5, what="the smallest"),
        within("strong, flat: the range of α_m", fl["alpha_m max"], 0.75, 1.5, what="the largest"),
        at_most("weak: the smallest α_m", wk["alpha_m min"], 0.06, what="the smallest"),
        within("weak: the largest α_m", wk["alpha_m max"], 1.2, 1.35, what="the largest"),
    ]
    corner = np.isin(g.round(2), [-1.0, -0.78, -0.56, -0.33, -0.11])[:, None] & (a >= 1.6)[None, :]
    i, j = np.unravel_index(np.nanargmax(np.where(corner, pm, np.nan)), corner.shape)
    out.append(
        holds(
            "the largest α_m of the skewed corner is at γ = −0.11, α = 2, as in the paper",
            np.isclose(g[i], -0.111, atol=0.01) and np.isclose(a[j], 2.0),
            f"it is at γ = {g[i]:+.2f}, α = {a[j]:g}",
        )
    )
    hi = np.argwhere(pm[g > 0] > 0.8)
    where = sorted({round(float(g[g > 0][k]), 2) for k in hi[:, 0]})
    out.append(
        holds(
            "the weak cells above the paper's 0.8 are the two smallest decays (γ = 0.11, 0.33) at α ≥ 1.5",
            where == [0.11, 0.33] and a[hi[:, 1]].min() >= 1.5,
            f"weak cells above 0.8 at γ = {where}, α ≥ {a[hi[:, 1]].min() if hi.size else float('nan'):g}",
        )
    )
    wi, _ = np.unravel_index(np.nanargmin(np.where((g > 0)[:, None], pm, np.nan)), pm.shape)
    out.append(at_least("weak: the smallest α_m at the largest decays", float(g[wi]), 0.75, what="its γ"))
    fig4b = [v for al, v in PAPER_WEAK_ALPHA_M if al == 2.0]
    out.append(
        holds(
            "the paper's Fig. 4b: weak exponents 0.95–1.15 at α = 2",
            (min(fig4b), max(fig4b)) == (0.95, 1.15),
            f"{fig4b}",
        )
    )
    k = int(np.argmin(np.abs(g + 0.111)))
    low = pm[k][(a < 1) & np.isfinite(pm[k])]
    out.append(
        _each(
            "γ = −0.11 below α = 1 sits between the regimes",
            low,
            [f"α = {x:g}" for x in a[(a < 1) & np.isfinite(pm[k])]],
            0.5,
            0.75,
            what="α_m at γ = −0.11",
        )
    )
    return out


def _e_rows(t: pd.DataFrame, lo: float, hi: float) -> pd.DataFrame:
    E = t.index.get_level_values("E")
    return t[(E > lo) & (E < hi)]


def check_r2(maps: PhaseMaps) -> list[Finding]:
    """Figure 4.5: R² of the fits at the paper's protocol (chapter 4)."""
    r2, g = maps.r2[PAPER], maps.gammas
    strong = r2[g <= -0.33]
    low = int(np.sum(strong < 0.92 - 0.005))
    col = np.nanmean(r2, axis=1)
    i, _ = np.unravel_index(np.nanargmin(r2), r2.shape)
    return [
        holds(
            "γ ≤ −0.33: R² at least 0.92 in every cell but one",
            low == 1,
            f"{low} cells below 0.92 (smallest {np.nanmin(strong):.2f})",
        ),
        holds(
            "the least regular curves are at the largest decay, γ = 1",
            np.isclose(g[i], 1.0) and np.isclose(g[int(np.nanargmin(col))], 1.0),
            f"smallest R² at γ = {g[i]:+.2f}; smallest mean R² at γ = {g[int(np.nanargmin(col))]:+.2f}",
        ),
    ]


def check_alpha_m_figure(paper: xr.Dataset) -> list[Finding]:
    """Figure 4.6 at the paper's protocol: where the strong points leave 1, where the weak runs sit (chapter 4)."""
    grid, g, a = fit_grid(paper), list(paper["gamma"].values), paper["alpha"].values
    rows, weak = strong_rows(paper), least_ambiguous_weak(paper, k=9)
    up = a >= 1.25 - 1e-9
    gaps = [
        grid.exponent[rows, list(a).index(al)].min() - grid.exponent[g.index(gw), list(a).index(al)]
        for gw, al in weak
    ]
    return [
        _each(
            "Figure 4.6: from α = 1.25 on the strong points are above 1.2",
            grid.exponent[np.ix_(rows, up)].ravel(),
            [f"{x}, α = {y:g}" for x in _g(paper["gamma"].values[rows]) for y in a[up]],
            1.2,
            9.0,
            what="α_m",
        ),
        holds(
            "the weak runs the paper's rule picks all have α ≥ 1.625",
            min(al for _, al in weak) >= 1.625,
            f"their α: {sorted(al for _, al in weak)}",
        ),
        at_least(
            "the weak runs lie at least 0.7 below the strong points at the same α",
            float(min(gaps)),
            0.7,
            what="the smallest gap",
        ),
    ]


def check_density_paper(
    t: pd.DataFrame, dcheck: xr.Dataset, paper: xr.Dataset, dens: xr.Dataset
) -> list[Finding]:
    """Figure 4.7 and Table 4.5: the density sweep at the paper's protocol, over whichever
    densities are trained (chapter 4). ``t`` is :func:`~superscale.chapters.ch4_strong.density_check` of ``dcheck``."""
    am, se, r2 = (t[c].unstack("gamma") for c in ("alpha_m", "se", "r2"))
    Es, lab = am.index.values, _g(am.columns)
    out = [
        holds(
            "E = 1 and the largest density, 7.49, are in Table 4.5",
            np.isclose(Es[0], 1.0) and np.isclose(Es[-1], 7.486, atol=0.01),
            f"the table's densities are {Es.round(2).tolist()}",
        ),
        _each("E = 1: α_m as in Table 4.2", am.iloc[0], lab, 0.95, 1.15, what="α_m at E = 1"),
    ]
    for e in Es[1:]:
        out.append(
            _each(
                f"E = {e:.2f}: inside the strong band (within one SE)",
                am.loc[e],
                lab,
                0.8,
                1.15,
                what=f"α_m at E = {e:.2f}",
                se=se.loc[e],
            )
        )
    top = Es[-1]
    drift = am.iloc[0] - am.iloc[-1]
    out += [
        _each("E = 1: α_m 0.96–1.14", am.iloc[0], lab, 0.955, 1.145, what="α_m at E = 1"),
        _each(f"E = {top:.2f}: α_m 0.81–0.93", am.iloc[-1], lab, 0.805, 0.935, what=f"α_m at E = {top:.2f}"),
        _each(
            f"E = {top:.2f}: lower than at E = 1 by one to 1.5 SE",
            drift / se.iloc[-1],
            lab,
            0.9,
            1.6,
            what="α_m(E = 1) − α_m, in SE",
        ),
        _each("E = 1: R² 0.97–0.99", r2.iloc[0], lab, 0.965, 0.995, what="R² at E = 1"),
        _each(f"E = {top:.2f}: R² 0.91–0.92", r2.iloc[-1], lab, 0.905, 0.925, what=f"R² at E = {top:.2f}"),
        _each(
            f"E = {top:.2f}: L/E 1.6–2.0 times its value at E = 1",
            t.loss_per_E.unstack("gamma").iloc[-1],
            lab,
            1.55,
            2.05,
            what="(L/E) / (L/E at E = 1)",
        ),
    ]
    far = _e_rows(t, 4.0, 99.0)
    out.append(
        _each(
            "E ≥ 4.24: the short protocol comes within 0.07 of the exponent",
            (far.alpha_m - far.alpha_m_cheap).abs(),
            [f"E = {e:.2f}, γ = {g:+.2f}" for e, g in far.index],
            0.0,
            0.07,
            what="|α_m − α_m (short protocol)|",
        )
    )
    # the paper's end points of Fig. 14b (read off the figure, about ±10 %) against our three γ
    sg3 = [nearest(paper["gamma"].values, g) for g in dcheck["gamma"].values]
    ends = {1.0: paper["final_loss"].sel(alpha=1.0, gamma=sg3).transpose("gamma", "m").values}
    ends[7.486] = dcheck["final_loss"].sel(E=7.486, method="nearest").transpose("gamma", "m").values
    for e, (l10, l100) in PAPER_FIG14B_LOSS.items():
        for col, target, tol, m in ((0, l10, 0.05, 10), (-1, l100, 0.1, 100)):
            y = ends[e][:, col]
            out.append(
                holds(
                    f"E = {e:.2f}, m = {m}: our curves pass through the paper's Fig. 14b",
                    y.min() <= (1 + tol) * target and y.max() >= (1 - tol) * target,
                    f"our losses {y.min():.3f}–{y.max():.3f} against the paper's {target:g} (± {tol:.0%})",
                )
            )
    l10, l100 = PAPER_FIG14B_LOSS[7.486]
    out.append(
        close_to(
            "the slope through the paper's end points at E = 7.49 is 0.87",
            np.log(l10 / l100) / np.log(10),
            0.87,
            rel=0.005 / 0.87,
            what="ln(L10 / L100) / ln 10",
        )
    )
    # φ_1/2 of the trained densities, picked by value: {E: (γ, m) array}
    ph = {
        round(float(e), 3): dcheck["phi_half"].sel(E=e).transpose("gamma", "m").values
        for e in dcheck["E"].values
    }
    quoted = {2.621: 0.41, 4.243: 0.10, 5.864: 0.67, 7.486: 0.66}  # γ = −0.33's smallest, as the text says
    at = {e: next((k for k in ph if abs(k - e) < 0.005), None) for e in quoted}
    for e, q in quoted.items():
        if at[e] is not None:
            out.append(
                close_to(
                    f"E = {e:.2f}: γ = −0.33's smallest φ_1/2",
                    ph[at[e]][2].min(),
                    q,
                    rel=0.005 / q,
                    what="it",
                )
            )
    out.append(
        at_least(
            "γ = −0.78, −0.56 stay strong at E > 1",
            min(v[:2].min() for v in ph.values()),
            0.82,
            what="smallest φ_1/2",
        )
    )
    if at[4.243] is not None:
        out.append(
            holds(
                "the 0.10 at E = 4.24 is the m = 15 model",
                ph[at[4.243]][2].argmin() == 1,
                f"width index {ph[at[4.243]][2].argmin()}",
            )
        )
    top_e = max(ph)
    out.append(
        at_most(
            f"E = {top_e:.2f}: γ = −0.33 does not represent every feature",
            ph[top_e][2].max(),
            0.94,
            what="largest φ_1/2",
        )
    )
    cost = am.iloc[0] - t["alpha_m_cheap"].unstack("gamma").iloc[0]
    out.append(
        _each(
            "E = 1: the short protocol costs 0.1–0.3 of the exponent",
            cost,
            lab,
            0.09,
            0.31,
            what="α_m − α_m (book)",
        )
    )
    return out


def _check_paper_large(runs: dict) -> list[Finding]:
    """The large model at the paper's protocol, over whichever models are trained so far (chapter 4)."""
    if FULL_RUN not in runs or not runs[FULL_RUN]:
        return [
            holds("the large model at the paper's protocol: some models trained", False, "none in the data")
        ]
    out = []
    for regime in ("strong", "weak"):
        mine = large_loss_ratios({FULL_RUN: runs[FULL_RUN]}, regime)
        if mine.empty:
            continue
        r = mine.stack().dropna()
        narrow = r[[int(str(k[2]).split("=")[1]) <= 16 for k in r.index]]
        if not narrow.empty:
            worst = narrow.sub(1).abs().idxmax()
            out.append(
                at_most(
                    f"the paper's protocol, {regime}: within 10 % of the paper's Fig. 1 at m = 8 and 16",
                    float(narrow.sub(1).abs().max()),
                    0.10,
                    what=f"the largest |ratio − 1| ({worst[1]}, {worst[2]})",
                )
            )
        if regime == "strong" and r.size > narrow.size:
            out.append(
                holds(
                    "the paper's protocol, strong: our losses 0.87–1.38 times the paper's at every width",
                    round(float(r.min()), 2) == 0.87 and round(float(r.max()), 2) == 1.38,
                    f"ratios from {float(r.min()):.3f} to {float(r.max()):.3f}",
                )
            )
        for kind in LAWS:  # where three widths of the paper's fit range are trained
            c = runs[FULL_RUN].get((regime, kind))
            if c is None or c["fit"] is None:
                continue
            lo = exponents.large_fit_min_width(kind, -1.0 if regime == "strong" else 1.0)
            fw = c["widths"][c["widths"] >= lo]
            ref, read_se = paper_fig1_fit(kind, regime, fw)
            if ref is None:
                continue
            out.append(
                at_most(
                    f"the paper's protocol, {regime} {kind}: α_m over m = {int(fw.min())}–{int(fw.max())} "
                    "agrees with the slope of the paper's own losses over the same widths (2 SE)",
                    abs(c["fit"].exponent - ref.exponent),
                    2 * float(np.hypot(c["fit"].exponent_se, read_se)),
                    what=f"|α_m − the paper's {ref.exponent:.2f}| (ours {c['fit'].exponent:.2f})",
                )
            )
        if LONG_RUN in runs and regime == "strong":
            z = {}  # (L_paper's protocol − L_batch 256) / combined SE, at every width both trained
            for kind in LAWS:
                a, c = runs[FULL_RUN].get((regime, kind)), runs[LONG_RUN].get((regime, kind))
                if a is None or c is None:
                    continue
                for w, la, sa in zip(a["widths"], a["loss"], a["se"], strict=True):
                    k = np.flatnonzero(c["widths"] == w)
                    if k.size:
                        z[(kind, int(w))] = (la - c["loss"][k[0]]) / np.hypot(sa, c["se"][k[0]])
            if z:
                worse = sorted(key for key, v in z.items() if v > 2.0)
                out.append(
                    holds(
                        f"the paper's protocol is worse than {LONG_RUN} (beyond 2 SE) only at exponential m = 32",
                        worse == [("exponential", 32)],
                        f"worse beyond 2 SE at {worse or 'no width'}",
                    )
                )
    return out


def _check_paper_curves_bend() -> list[Finding]:
    """The paper's own strong curves are flatter over the first three widths of the fit range than over all of it."""
    out = []
    for kind in LAWS:
        lo = exponents.large_fit_min_width(kind, -1.0)
        widths = [w for w in PAPER_FIG1_LOSS["widths"]["all"] if w >= lo]
        first, _ = paper_fig1_fit(kind, "strong", widths[:3])
        whole, _ = paper_fig1_fit(kind, "strong", widths)
        out.append(
            holds(
                f"the paper's strong {kind} curve is flatter at its narrow end",
                first.exponent < whole.exponent,
                f"slope of the paper's losses over m = {widths[0]}–{widths[2]}: {first.exponent:.2f}, "
                f"over m = {widths[0]}–{widths[-1]}: {whole.exponent:.2f}",
            )
        )
    return out


def check_large(runs: dict, sweeps: dict) -> list[Finding]:
    """Figure 4.8 and Tables 4.6-4.7: what the text says about the CPU runs of the large model (chapter 4)."""
    out = _check_paper_large(runs) + _check_paper_curves_bend()
    for label, curves in runs.items():
        if label == FULL_RUN:
            continue  # trained widths grow run by run: its own checks above
        for kind in LAWS:
            c = curves[("strong", kind)]
            out.append(
                holds(
                    f"{label}, strong {kind}: the loss falls with width",
                    c["widths"].size >= 4 and np.all(np.diff(c["loss"]) < 0),
                    f"losses {np.round(c['loss'], 3).tolist()}",
                )
            )
            out.append(
                at_most(
                    f"{label}, strong {kind}: widest / m = 8", c["loss"][-1] / c["loss"][0], 0.7, what="ratio"
                )
            )
    if LONG_RUN in sweeps:
        a = sweeps[LONG_RUN].attrs
        out.append(
            holds(
                f"{LONG_RUN}: the paper's number of steps, 8 times fewer samples",
                int(a["steps"]) == 20000 and 2048 * 20000 / (int(a["batch"]) * int(a["steps"])) == 8,
                f"batch {a['batch']}, {a['steps']} steps",
            )
        )
    r = large_loss_ratios(runs)
    small_m = ["m = 8", "m = 16", "m = 32"]
    if LONG_RUN in runs:
        long_r = r.xs(LONG_RUN, level="run")
        out.append(
            at_most(
                f"{LONG_RUN}: within 20 % of the paper at m = 8–32",
                float(long_r[small_m].sub(1).abs().max().max()),
                0.2,
                what="the largest |ratio − 1|",
            )
        )
        for kind, row in long_r.iterrows():
            widest = row.dropna().index[-1]
            out.append(
                holds(
                    f"{LONG_RUN}, {kind}: further from the paper at the widest width than at m = 32",
                    row[widest] > row["m = 32"],
                    f"{row[widest]:.2f} at {widest}, {row['m = 32']:.2f} at m = 32",
                )
            )
        if SHORT_RUN in runs:
            lv, sv = long_r.to_numpy(), r.xs(SHORT_RUN, level="run").loc[long_r.index].to_numpy()
            both = np.isfinite(lv) & np.isfinite(sv)
            out.append(
                at_most(
                    f"{LONG_RUN} is never worse than {SHORT_RUN}",
                    float(np.max(lv[both] / sv[both])),
                    1.02,
                    what="largest ratio",
                )
            )
        pw = np.asarray(PAPER_FIG1_LOSS["widths"]["all"])
        c = runs[LONG_RUN][("strong", "exponential")]
        for top, lo, hi in ((128, 0.0, 0.1), (256, 0.1, 0.2)):
            if c["widths"].max() < top:
                continue
            k = c["widths"] <= top
            ours = exponents.fit_exponent_grid(c["loss"][k][None], c["widths"][k]).exponent[0]
            same = np.isin(pw, c["widths"][k])
            py = np.asarray(PAPER_FIG1_LOSS["strong"]["exponential"])[same]
            theirs = exponents.fit_exponent_grid(py[None], pw[same]).exponent[0]
            out.append(
                within(
                    f"exponential law, m = 8–{top}: our α_m against the paper's own losses",
                    theirs - ours,
                    lo,
                    hi,
                    what=f"the paper's {theirs:.2f} minus our {ours:.2f}",
                )
            )
    if SHORT_RUN in runs:
        out.append(
            at_least(
                f"{SHORT_RUN}: never more than 10 % better than the paper",
                float(np.nanmin(r.xs(SHORT_RUN, level="run").to_numpy())),
                0.9,
                what="the smallest ratio",
            )
        )
        ws = sweeps[SHORT_RUN].sel(gamma=0.1)
        kept = (ws["phi_half"] * ws.sizes["feature"] / ws["m"]).values
        out.append(
            at_most(
                "weak runs keep few features (φ_1/2 ≤ 2 m/n)",
                float(kept.max()),
                2.0,
                what="largest φ_1/2 n/m",
            )
        )
        rw = large_loss_ratios({SHORT_RUN: runs[SHORT_RUN]}, "weak")
        out.append(
            at_most(
                "weak runs: within 10 % of the paper at m = 16–64",
                float(rw[["m = 16", "m = 32", "m = 64"]].sub(1).abs().max().max()),
                0.1,
                what="the largest |ratio − 1|",
            )
        )
    return out


def claims(
    small: xr.Dataset | None = None,
    paper: xr.Dataset | None = None,
    seed1: xr.Dataset | None = None,
    dens: xr.Dataset | None = None,
    dcheck: xr.Dataset | None = None,
    large: dict | None = None,
) -> list[Finding]:
    """Every statement chapter 4 makes about its data, checked (chapter 4).

    Each argument is a data set as :func:`superscale.catalog.load` gives it (``large``: the dict of
    :func:`~superscale.chapters.ch4_strong.load_large`); one left out is loaded from the catalog. The tables come from
    :mod:`superscale.chapters.ch4_strong`."""
    small = catalog.load("short-small") if small is None else small
    paper = catalog.load("paper-small") if paper is None else paper
    seed1 = catalog.load("paper-strong-seed1") if seed1 is None else seed1
    dens = catalog.load("short-density") if dens is None else dens
    dcheck = catalog.load("paper-density-strong") if dcheck is None else dcheck
    large = load_large() if large is None else large
    maps = phase_maps(paper, small)
    return [
        *check_represented(paper),
        *check_loss_figures(paper),
        *check_paper_protocol(paper),
        *check_short_protocol(small, paper),
        *check_second_seed(seed1, paper),
        *check_regions(maps),
        *check_r2(maps),
        *check_alpha_m_figure(paper),
        *check_density_paper(density_check(dcheck, e1=paper, cheap=dens), dcheck, paper, dens),
        *check_large(large_runs(large), large),
    ]
