"""Chapter 5, the geometry of packing: load -> compute -> figures -> claims.

The core geometry (random overlaps, the Welch bound, ETFs, the packer, the one-active-feature loss) is
:mod:`superscale.geometry`; the measurements of the saved weight matrices are
:func:`superscale.weights.measure_models`. This module holds what only chapter 5 does with them.

The chapter's tables, and the function that computes each (the figures are drawn by
:mod:`superscale.chapters.ch5_geometry_figures`):

- sampled against exact moments of random squared overlaps: :func:`random_overlap_table`
  (shown by :func:`style_random_table`);
- Table 5.1, frames that meet the Welch bound: :func:`etf_table` (shown by :func:`style_etf_table`);
- Figure 5.2's data and Table 5.2: :func:`packing_runs`, :func:`packing_table`;
- the trained models: :func:`strong_runs` (of ``paper-small``), :func:`describe_sweep`, :func:`describe_models`;
- Table 5.3, the mean squared overlap of the norm > 1 rows: :func:`mean_ratio_table` (in words:
  :func:`mean_ratio_words`);
- Table 5.4, their spread at one γ: :func:`spread_table` (in words: :func:`spread_words`);
- Table 5.5, the strongly represented fraction φ₁: :func:`phi_one_table` (in words: :func:`phi_one_words`);
- Table 5.6, fitted exponents: :func:`overlap_loss_table` (in words: :func:`overlap_loss_words`).

The chapter's statements about its data are the ``check_*`` functions; :func:`claims` runs them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import geometry
from ..checks import Finding, at_least, at_most, close_to, holds, within
from ..fit import fit_power_law
from ..paper import PAPER_FIG5D_MEAN, PAPER_FIG16_PHI1, PAPER_RANDOM_OVERLAP_MOMENTS

if TYPE_CHECKING:
    import xarray as xr
    from pandas.io.formats.style import Styler


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


# ---- The trained toy models: loading and describing them -----------------------------------


def strong_runs(ds: xr.Dataset, min_rows: int = 0) -> pd.DataFrame:
    """The runs of a sweep with γ < 0 and at least ``min_rows`` rows of norm > 1, one row a model, with
    the columns of :func:`superscale.geometry.sweep_overlap_table` (chapter 5)."""
    table = geometry.sweep_overlap_table(ds)
    return table[(table["gamma"] < 0) & (table["n_gt1"] >= min_rows)].copy()


def describe_sweep(ds: xr.Dataset, strong: pd.DataFrame) -> str:
    """One line on a sweep: its name, training length and its strong runs (chapter 5)."""
    a = ds.attrs
    return (
        f"{a.get('dataset')}: {a.get('steps')} steps of batch {a.get('batch')}; {len(strong)} models with γ < 0 "
        f"({strong['gamma'].nunique()} γ × {strong['alpha'].nunique()} α × {strong['m'].nunique()} widths), "
        f"from {int(strong['n_gt1'].min())} to {int(strong['n_gt1'].max())} rows with norm > 1"
    )


def steps_label(models: list[dict]) -> str:
    """The saved models' label in tables and legends, e.g. "10 000 steps" (chapter 5)."""
    return f"{models[0]['meta']['protocol']['steps']:,} steps".replace(",", " ")


def describe_models(models: list[dict], long: pd.DataFrame) -> str:
    """One line on the models with saved weights: how many, their training, γ and α (chapter 5)."""
    pr = models[0]["meta"]["protocol"]
    return (
        f"models with saved weights: {len(models)}, {pr['steps']} steps of batch {pr['batch']}, "
        f"γ = {sorted(set(long['gamma']))}, α = {sorted(set(long['alpha']))}"
    )


# ---- Strongly represented rows sit on 1/m (Figure 5.3, Table 5.3) --------------------------


def mean_ratio_table(strong: pd.DataFrame, long: pd.DataFrame, n: int, label: str) -> pd.DataFrame:
    """Table 5.3: m·⟨c²⟩ of the norm > 1 rows by width: median, lowest and highest over the strong runs
    of a sweep, the saved models (``label``) per α, the paper's Fig. 5d and m·κ² (chapter 5)."""
    by_m = strong.dropna(subset=["overlap_mean_gt1"]).groupby("m")["mean_ratio"]
    sweep = pd.concat({"median": by_m.median(), "lowest": by_m.min(), "highest": by_m.max()}, axis=1)
    sweep["runs"] = by_m.size()
    ratio = pd.Series({m: v * m for m, v in PAPER_FIG5D_MEAN.items()})
    kappa = [float(geometry.welch_bound_paper(m, n)) * m for m in ratio.index]
    return pd.concat(
        {
            "all strong runs": sweep,
            f"{label}: per α": long.pivot_table(index="m", columns="alpha", values="mean_ratio"),
            "paper": pd.DataFrame({"Fig. 5d": ratio, "m·κ²": kappa}),
        },
        axis=1,
    )


def mean_ratio_words(long: pd.DataFrame, table: pd.DataFrame) -> str:
    """Table 5.3 in words (Markdown): the strong runs and the saved models beside the paper (chapter 5)."""
    ok = long[long["n_gt1"] >= 10]["mean_ratio"]
    sw = table["all strong runs"]
    return (
        f"**Ours beside the paper.** Over all {int(sw['runs'].sum())} strong runs, m·⟨c²⟩ of the strongly "
        f"represented rows is {sw['lowest'].min():.2f}–{sw['highest'].max():.2f}, with medians "
        f"{sw['median'].min():.2f}–{sw['median'].max():.2f} across widths; the saved models give "
        f"{ok.min():.2f}–{ok.max():.2f}. The paper's Fig. 5d reads 0.93–1.02: the rows sit on the 1/m line for "
        f"every α and γ, as in the paper."
    )


# ---- Rows are more evenly spread than random (Figure 5.4, Table 5.4) -----------------------


def nearest_gamma(strong: pd.DataFrame, gamma: float = -0.55) -> tuple[list[float], int]:
    """The strong γ of the sweep, sorted, and the index of the one nearest ``gamma`` (chapter 5)."""
    gammas = sorted(strong["gamma"].unique())
    return gammas, int(np.argmin(np.abs(np.array(gammas) - gamma)))


def spread_table(at_gamma: pd.DataFrame) -> Styler:
    """Table 5.4, formatted with every column shown: for each α (rows) and width, the variance ratio of the
    norm > 1 rows and how many rows have norm > 1, at one γ (chapter 5)."""
    cols = {"variance / random": "var_ratio", "rows with norm > 1": "n_gt1"}
    pivot = lambda v: at_gamma.pivot_table(index="alpha", columns="m", values=v)  # noqa: E731
    table = pd.concat({k: pivot(v) for k, v in cols.items()}, axis=1)
    table.index.name = "α"
    fmt = {c: ("{:.2f}" if c[0] == "variance / random" else "{:.0f}") for c in table.columns}
    return table.style.format(fmt).format_index("{:g}")


def spread_words(at_gamma: pd.DataFrame, gamma: float) -> str:
    """Table 5.4 in words (Markdown): the variance ratios beside the paper's Fig. 5c, and the size of the
    norm > 1 sets where the paper reports zeros (α = 0, m = 63 and 100; chapter 5)."""
    vr = at_gamma["var_ratio"]
    z = at_gamma[(at_gamma["alpha"] == 0) & at_gamma["m"].isin([63, 100])].sort_values("m")
    zeros = " and ".join(
        f"{int(r.n_gt1)} rows (ratio {r.var_ratio:.2f}) at m = {r.m}" for r in z.itertuples()
    )
    return (
        f"**Ours beside the paper.** At γ = {gamma:.2f} the variance ratio runs from {vr.min():.2f} to "
        f"{vr.max():.2f} (median {vr.median():.2f}); the paper's Fig. 5c shows 0.45–0.9. The rows are more evenly "
        f"spread than random, though far from an exact ETF. The paper also shows ratios of exactly 0 at small α "
        f"for m = 63 and 100. Our models there have large norm > 1 sets, {zeros}, so the zeros do not come from "
        f"sets too small to measure; what produces them is not explained here."
    )


# ---- How many rows are strongly represented? (Figure 5.5, Table 5.5) -----------------------


def phi_one_runs(strong: pd.DataFrame) -> pd.DataFrame:
    """The strong runs at the most negative γ of the sweep (γ = −1, as in the paper's Fig. 16; chapter 5)."""
    return strong[np.isclose(strong["gamma"], strong["gamma"].min())]


def phi_one_table(g1: pd.DataFrame, long: pd.DataFrame, n: int, label: str) -> pd.DataFrame:
    """Table 5.5: by width, the lowest and highest φ₁ over α in the sweep at γ = −1, the paper's range,
    m/n, min(1, m²/2n), and the saved models (``label``) per α (chapter 5)."""
    phi = g1.pivot_table(index="alpha", columns="m", values="phi_one")
    ms = phi.columns.to_numpy()
    paper = [PAPER_FIG16_PHI1.get(int(m), (np.nan, np.nan)) for m in ms]
    table = pd.DataFrame(
        {
            "ours: lowest φ₁": phi.min().to_numpy(),
            "ours: highest φ₁": phi.max().to_numpy(),
            "paper: lowest": [p[0] for p in paper],
            "paper: highest": [p[1] for p in paper],
            "m/n": ms / n,
            "min(1, m²/2n)": np.minimum(1, ms**2 / (2 * n)),
        },
        index=pd.Index(ms, name="m"),
    )
    longer = long.pivot_table(index="m", columns="alpha", values="phi_one")
    return table.join(longer.add_prefix(f"{label}, α = "))


def _phi_inside(g1: pd.DataFrame, slack: float) -> tuple[int, int]:
    """How many (α, m) of ``g1`` have φ₁ within ``slack`` of the paper's range at their width, out of how many."""
    rng = g1["m"].map(lambda m: PAPER_FIG16_PHI1.get(int(m), (np.nan, np.nan)))
    lo, hi = np.array([r[0] for r in rng]), np.array([r[1] for r in rng])
    inside = (g1["phi_one"].to_numpy() >= lo - slack) & (g1["phi_one"].to_numpy() <= hi + slack)
    return int(inside.sum()), int(np.isfinite(lo).sum())


def phi_one_words(g1: pd.DataFrame, table: pd.DataFrame, slack: float = 0.05) -> str:
    """Table 5.5 in words (Markdown): φ₁ of the sweep at γ = −1 beside the paper's Fig. 16 (chapter 5)."""
    inside, total = _phi_inside(g1, slack)
    return (
        f"**Ours beside the paper.** At γ = −1, φ₁ runs from {table['ours: lowest φ₁'].min():.2f} to "
        f"{table['ours: highest φ₁'].max():.2f} (the paper: {PAPER_FIG16_PHI1[10][0]:.2f} at m = 10 up to "
        f"{PAPER_FIG16_PHI1[100][1]:.2f} at m = 100); {inside} of "
        f"{total} models lie within {slack:g} of the paper's range at their width, and every one is far above m/n."
    )


# ---- From overlaps to loss (Figure 5.6, Table 5.6) -----------------------------------------


_FITTED = {
    "α_m (measured loss)": "final_loss",
    "exponent of Eq. 8": "eq8_total",
    "exponent of (median bias)²": "bias2",
    "exponent of ⟨c²⟩, norm > 1": "overlap_mean_gt1",
}


def _exponent_fits(long: pd.DataFrame) -> dict:
    """{(α, column of Table 5.6): PowerLawFit over m} for the fitted quantities of Table 5.6."""
    long = long.assign(bias2=long["bias_median"] ** 2)
    return {(a, k): fit_power_law(s["m"], s[c]) for a, s in long.groupby("alpha") for k, c in _FITTED.items()}


def overlap_loss_table(long: pd.DataFrame) -> pd.DataFrame:
    """Table 5.6, one row per α (the index): fitted exponents over m of the measured loss, Eq. 8, the
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
    """Table 5.6 in words (Markdown), for α ≤ ``max_alpha`` (chapter 5)."""
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


def check_trained_overlaps(long: pd.DataFrame, rel: float = 0.25) -> list[Finding]:
    """Figure 5.3 and Table 5.3: in the saved models, ⟨c²⟩ of the norm > 1 rows is within ``rel`` of 1/m
    for every model with at least 10 such rows (at least half the models; chapter 5)."""
    ok = long[long["n_gt1"] >= 10]
    share = f"the share ({len(ok)} of {len(long)})"
    c = "most saved models have 10 rows of norm > 1"
    out = [at_least(c, len(ok) / max(len(long), 1), 0.5, what=share)]
    if len(ok):
        f = ok.loc[(ok["mean_ratio"] - 1).abs().idxmax()]
        c = f"saved models sit on 1/m (farthest: α = {f['alpha']:g}, m = {f['m']:g})"
        out.append(within(c, f["mean_ratio"], 1 - rel, 1 + rel, what="m·⟨c²⟩ of the norm > 1 rows"))
    return out


def check_short_protocol(short: pd.DataFrame, rel: float = 0.25, gamma: float = -0.55) -> list[Finding]:
    """The Reproduction notes: at the short protocol (``short`` is :func:`strong_runs` of ``short-small``)
    the median strong run is more than ``rel`` off 1/m at some width, and at the γ nearest ``gamma`` the
    median variance ratio is above 1 (chapter 5)."""
    med = short.dropna(subset=["overlap_mean_gt1"]).groupby("m")["mean_ratio"].median()
    gammas, i = nearest_gamma(short, gamma)
    at = short[np.isclose(short["gamma"], gammas[i])]["var_ratio"].median()
    w = "the largest distance of its median m·⟨c²⟩ from 1 over the widths"
    return [
        at_least("the short protocol does not yet sit on 1/m", (med - 1).abs().max(), rel, what=w),
        at_least(
            f"at the short protocol most rows are less even than random at γ = {gammas[i]:.2f}",
            at,
            1.0,
            what="the median variance ratio",
        ),
    ]


def check_paper_protocol(strong: pd.DataFrame, rel: float = 0.25) -> list[Finding]:
    """Figure 5.3 and Table 5.3: every strong run of the sweep (``strong`` is :func:`strong_runs` of
    ``paper-small``) has at least 10 rows of norm > 1 and ⟨c²⟩ within ``rel`` of 1/m (chapter 5)."""
    few = int((strong["n_gt1"] < 10).sum())
    out = [holds("every strong run has 10 rows of norm > 1", few == 0, f"{few} of {len(strong)} have fewer")]
    f = strong.loc[(strong["mean_ratio"] - 1).abs().idxmax()]
    c = f"strong runs at the paper's protocol sit on 1/m (farthest: {_where(f)})"
    return out + [within(c, f["mean_ratio"], 1 - rel, 1 + rel, what="m·⟨c²⟩ of the norm > 1 rows")]


def _where(r) -> str:
    return f"α = {r.alpha:g}, γ = {r.gamma:.2f}, m = {r.m:g}"


def check_spread(strong: pd.DataFrame, ds: xr.Dataset, gamma: float = -0.55) -> list[Finding]:
    """Figure 5.4 and Table 5.4, at the paper's protocol: for α ≤ 1 the variance ratio is below 1 at every
    m ≥ 15; the median run is more even than random; no run is more than 25 % above 1 or below 0.3; the
    median ratio is lowest at m = 25–63 and varies by at most 0.15 over γ; and at α = 0, m = 63 and 100
    (where the paper shows zeros) the norm > 1 sets, counted from the row norms, hold more than 800 rows
    with a ratio above 0.5 (chapter 5)."""
    flat = strong[(strong["alpha"] <= 1) & (strong["m"] >= 15)]
    h, lo, w = strong.loc[strong["var_ratio"].idxmax()], strong.loc[strong["var_ratio"].idxmin()], "its ratio"
    low_m = strong.groupby("m")["var_ratio"].median().idxmin()
    by_g = strong.groupby("gamma")["var_ratio"].median()
    out = [
        at_most(
            "runs with α ≤ 1 are more even than random at m ≥ 15",
            flat["var_ratio"].max(),
            1 - 1e-12,
            what="the highest variance ratio",
        ),
        at_most(
            "the median strong run is more even than random",
            strong["var_ratio"].median(),
            1.0,
            what="the median variance ratio",
        ),
        at_most(f"no run is much less even than random ({_where(h)})", h["var_ratio"], 1.25, what=w),
        at_least(f"no ratio is near 0 ({_where(lo)})", lo["var_ratio"], 0.3, what=w),
        holds(
            "the spread is lowest at middle widths",
            low_m in (25, 39, 63),
            f"the lowest median is at m = {low_m}",
        ),
        at_most(
            "the spread barely depends on γ",
            float(np.ptp(by_g)),
            0.15,
            what="the range of the medians over γ",
        ),
    ]
    gammas, i = nearest_gamma(strong, gamma)
    for m in (63, 100):
        r = strong[(strong["alpha"] == 0) & (strong["m"] == m) & np.isclose(strong["gamma"], gammas[i])].iloc[
            0
        ]
        norms = ds["row_norm"].sel(alpha=0.0, gamma=gammas[i], m=m).astype("float64")
        counted = int((norms > 1).sum())
        c = f"at α = 0, m = {m}, γ = {gammas[i]:.2f} the norm > 1 set is large and counted right"
        seen = f"{counted} rows with norm > 1 counted, {int(r.n_gt1)} stored"
        out += [
            holds(c, counted == int(r.n_gt1) and counted > 800, seen),
            at_least(f"at α = 0, m = {m} the ratio is far from 0", r.var_ratio, 0.5, what=w),
        ]
    return out


def check_phi_one(
    g1: pd.DataFrame, long: pd.DataFrame, factor: float = 3.0, slack: float = 0.05
) -> list[Finding]:
    """Figure 5.5 and Table 5.5: at γ = −1 (``g1``) at least 90 % of the models have φ₁ within ``slack`` of
    the paper's range at their width, and every model, and every saved model, has φ₁ at least ``factor``
    × m/n: at least factor·m rows of norm > 1 (chapter 5)."""
    inside, total = _phi_inside(g1, slack)
    out = [
        at_least(
            "φ₁ lies in the paper's range",
            inside / max(total, 1),
            0.9,
            what=f"the share ({inside} of {total})",
        )
    ]
    for name, df in (("at γ = −1", g1), ("in the saved models", long)):
        w = df.loc[(df["n_gt1"] / df["m"]).idxmin()]
        claim = f"φ₁ {name} is far above m/n (lowest: α = {w['alpha']:g}, m = {w['m']:g})"
        out.append(at_least(claim, w["n_gt1"] / w["m"], factor, what="φ₁ over m/n"))
    return out


def check_overlaps_to_loss(long: pd.DataFrame, max_alpha: float = 1.0, k: float = 2.0) -> list[Finding]:
    """Table 5.6, for the saved models with α ≤ ``max_alpha``: the measured loss and Eq. 8 fall
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
    return out or [holds("saved models with α ≤ 1 exist", False, f"none has α ≤ {max_alpha:g}")]


def claims(
    random_table: pd.DataFrame,
    etf_tab: pd.DataFrame,
    pack_tab: pd.DataFrame,
    sweep: xr.Dataset,
    long: pd.DataFrame,
    short: xr.Dataset,
) -> list[Finding]:
    """Every statement chapter 5 makes about its data (chapter 5): ``random_table``
    (:func:`random_overlap_table`), ``etf_tab`` (:func:`etf_table`), ``pack_tab`` (:func:`packing_table`),
    ``sweep`` (``catalog.load("paper-small")``), ``long`` (:func:`superscale.weights.measure_models`) and
    ``short`` (``catalog.load("short-small")``, for the Reproduction notes)."""
    strong = strong_runs(sweep)
    return [
        *check_random_overlaps(random_table),
        *check_etfs(etf_tab),
        *check_packing(pack_tab),
        *check_paper_protocol(strong),
        *check_trained_overlaps(long),
        *check_spread(strong, sweep),
        *check_phi_one(phi_one_runs(strong), long),
        *check_overlaps_to_loss(long),
        *check_short_protocol(strong_runs(short)),
    ]
