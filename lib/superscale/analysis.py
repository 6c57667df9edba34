"""Analysis helpers for chapters 2 and 3: a small live training run with snapshots of W, and the
weak-superposition measurements on the precomputed sweeps (φ_1/2 tables, the weak-regime prediction,
α_m fits, the least ambiguous runs).

Losses are in the paper's units (summed over the n features, averaged over samples).
"""

from __future__ import annotations

import numpy as np

from .data import V2_MEAN
from .exponents import ideal_alpha_m
from .paper import (  # noqa: F401  (moved to superscale.paper)
    PAPER_FIG3_PHI,
    PAPER_WEAK_ALPHA_M,
)

__all__ = [
    "protocol_summary",
    "PAPER_FIG3_PHI",
    "weak_prediction",
    "weak_table",
    "PAPER_WEAK_ALPHA_M",
    "protocol_check",
]


# --------------------------------------------------------------------------------------------
# A small live run (chapter 2)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The precomputed n = 1000 sweep (chapters 2 and 3)
# --------------------------------------------------------------------------------------------


def protocol_summary(ds) -> str:
    """One sentence, read from the file's attributes, saying which protocol made the sweep and where it
    departs from the paper's (chapters 2-3)."""
    import json

    from .training import PROTOCOLS

    pr = json.loads(ds.attrs["protocol"])
    paper = PROTOCOLS["paper-small"].to_dict()
    names = {
        "batch": "batch size",
        "steps": "training steps",
        "peak_lr": "peak learning rate",
        "warmup_frac": "warm-up fraction",
        "floor": "final learning-rate fraction",
        "eval_samples": "fresh samples for the final loss",
    }
    diffs = [
        f"{label} {pr.get(k)} instead of {paper[k]}" for k, label in names.items() if pr.get(k) != paper[k]
    ]
    name = ds.attrs.get("dataset") or ds.attrs.get("grid")
    done = int(np.asarray(ds["completed"]).sum()) if "completed" in ds else 0
    total = int(np.asarray(ds["completed"]).size) if "completed" in ds else 0
    head = (
        f"Data: the data set {name!r} ({done} of {total} models trained; {ds.sizes.get('alpha', 1)} α × "
        f"{ds.sizes['gamma']} γ × {ds.sizes['m']} widths, n = {ds.sizes['feature']}; protocol {pr.get('name')!r})."
    )
    if not diffs:
        return head + " It follows the paper's small-model protocol exactly."
    ratio = (paper["batch"] * paper["steps"]) / max(pr.get("batch", 1) * pr.get("steps", 1), 1)
    return (
        head
        + " It departs from the paper's small-model protocol in: "
        + "; ".join(diffs)
        + f" (each model sees {ratio:.0f}× fewer samples than in the paper)."
    )


# --------------------------------------------------------------------------------------------
# Weak superposition (chapter 3)
# --------------------------------------------------------------------------------------------


def weak_prediction(p, phi, exact: bool = False):
    """The weak-regime loss of a model that represents its φ·n most frequent features (chapter 3).

    ``(4/3) Σ_{i > φn} p_i`` (the paper's Fig. 4a), or with ``exact`` the variance sum
    ``Σ_{i > φn} (4/3 p_i − p_i²)`` (the paper's Eq. 4 before dropping p_i²). φ·n is rounded to the
    nearest integer. ``phi`` may be a scalar or an array of fractions in [0, 1].
    """
    from .theory import weak_loss

    ps = np.sort(np.asarray(p, dtype=float))[::-1]
    phi_a = np.asarray(phi, dtype=float)
    if np.any(~np.isfinite(phi_a)) or np.any(phi_a < 0) or np.any(phi_a > 1):
        raise ValueError(f"phi (represented fraction) must be in [0, 1], got {phi!r}")
    k = np.rint(phi_a * ps.size).astype(int)
    if exact:
        return weak_loss(ps, k)
    tail = np.concatenate([np.cumsum(ps[::-1])[::-1], [0.0]])
    out = V2_MEAN * tail[k]
    return float(out) if out.ndim == 0 else out


def weak_table(ds):
    """One row per trained model of the sweep with its loss and the weak-regime predictions (chapter 3).

    Columns: alpha, gamma, m, loss, loss_se, phi_half, predicted = (4/3) Σ_{i > φ_1/2·n} p_i,
    predicted_norms = (4/3) Σ p_i over the rows that actually have ‖W_i‖ ≤ 1/2 (whichever they are),
    top_kept = the fraction of the φ_1/2·n most frequent features that are represented (1 when the model
    keeps exactly its most frequent features), ratio = loss / predicted (NaN where the prediction is 0,
    i.e. φ_1/2 = 1), m_over_n.
    """
    import pandas as pd

    n = int(ds.sizes["feature"])
    rows = []
    for a in ds["alpha"].values:
        p = np.asarray(ds["p"].sel(alpha=a).values, dtype=float)
        for g in ds["gamma"].values:
            for m in ds["m"].values:
                sel = dict(alpha=a, gamma=g, m=m)
                if not bool(ds["completed"].sel(**sel)):
                    continue
                phi = float(ds["phi_half"].sel(**sel))
                norms = np.asarray(ds["row_norm"].sel(**sel).values, dtype=float)
                pred = weak_prediction(p, phi)
                rows.append(
                    {
                        "alpha": float(a),
                        "gamma": float(g),
                        "m": int(m),
                        "loss": float(ds["final_loss"].sel(**sel)),
                        "loss_se": float(ds["final_loss_se"].sel(**sel)),
                        "phi_half": phi,
                        "predicted": pred,
                        "predicted_norms": V2_MEAN * float(p[norms <= 0.5].sum()),
                        "top_kept": float(np.mean(norms[:k] > 0.5)) if (k := int(round(phi * n))) else np.nan,
                        "m_over_n": m / n,
                    }
                )
    df = pd.DataFrame(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["ratio"] = np.where(df["predicted"] > 0, df["loss"] / df["predicted"], np.nan)
    return df


# --------------------------------------------------------------------------------------------
# The paper's own protocol on a subset of the grid (chapters 2-5)
# --------------------------------------------------------------------------------------------


def _span(values) -> str:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "—"
    return f"{v.min():.2f}" if np.isclose(v.min(), v.max(), atol=0.005) else f"{v.min():.2f}–{v.max():.2f}"


def protocol_check(cheap, paper, strong_gammas=(-0.778, -0.556, -0.333), weak_min: float = 0.33):
    """The same models trained with the book's CPU protocol (``cheap``) and with the paper's own
    (``paper``, from ``catalog.load("paper-small")``), side by side with the paper's published numbers
    (chapters 2-5), as a DataFrame indexed by (α, quantity).

    Quantities, for each α of ``paper`` (runs compared only where both files have them):
    strong α_m at the paper's three γ of Fig. 5e; m·⟨c²⟩ of the rows with norm > 1 in the strong runs
    (median over γ < 0 and widths; paper Fig. 5d ≈ 0.93–1.02); and, where ``paper`` has weak runs
    (γ ≥ ``weak_min``): φ_1/2·n/m (median; paper ≈ 1), the number of weak models within 10 % of the
    prediction (4/3)Σ_{i>φ_1/2 n} p_i, the weak α_m (paper Fig. 4b where it shows that α; the finite-n
    ideal otherwise) and the loss ratio book protocol / paper protocol.
    """
    import pandas as pd

    from .exponents import fit_exponent_grid
    from .paper import PAPER_FIG5E

    rows = []
    widths = np.asarray(paper["m"].values)

    def fit(ds, a, gammas):
        sub = ds.sel(alpha=a, m=widths).sel(gamma=gammas, method="nearest")
        return fit_exponent_grid(sub["final_loss"].transpose("gamma", "m").values, widths)

    def loss_ratio(a, gammas, regime):
        lc, lp = (
            ds.sel(alpha=a, m=widths).sel(gamma=gammas, method="nearest")["final_loss"].values
            for ds in (cheap, paper)
        )
        return (
            a,
            f"{regime} loss, book protocol / paper protocol (median)",
            f"{np.median(lc / lp):.2f}",
            "1",
            "—",
        )

    shared = [float(a) for a in paper["alpha"].values if np.isclose(cheap["alpha"].values, a).any()]
    weak_tables = [weak_table(ds.sel(alpha=shared, method="nearest")) for ds in (cheap, paper)]
    for a in shared:
        pa = paper.sel(alpha=a)
        done = pa["completed"].all("m").values
        g_all = paper["gamma"].values[done]
        strong = [g for g in g_all if any(np.isclose(g, s, atol=0.01) for s in strong_gammas)]
        pub = [(lo, hi) for (al, lo, hi) in PAPER_FIG5E if np.isclose(al, a)]
        if strong:
            fc, fp = fit(cheap, a, strong), fit(paper, a, strong)
            rows.append(
                (
                    a,
                    "strong α_m (γ = −0.78, −0.56, −0.33)",
                    _span(fc.exponent),
                    _span(fp.exponent),
                    f"{pub[0][0]:.2f}–{pub[0][1]:.2f} (Fig. 5e)" if pub else "—",
                )
            )
        neg = [g for g in g_all if g < 0]
        if neg and "overlap_mean_gt1" in paper and "overlap_mean_gt1" in cheap:
            vals = []
            for ds in (cheap, paper):
                sub = ds.sel(alpha=a, m=widths).sel(gamma=neg, method="nearest")
                r = (sub["overlap_mean_gt1"] * sub["m"]).where(sub["n_gt1"] >= 10)
                vals.append(float(np.nanmedian(r.values)))
            rows.append(
                (
                    a,
                    "strong m·⟨c²⟩, rows with norm > 1 (median)",
                    f"{vals[0]:.2f}",
                    f"{vals[1]:.2f}",
                    "0.93–1.02 (Fig. 5d)",
                )
            )
        if neg:
            rows.append(loss_ratio(a, neg, "strong"))
        weak = [g for g in g_all if g >= weak_min]
        if weak:
            n = int(paper.sizes["feature"])
            phis, within = [], []
            for wt in weak_tables:  # the per-model predictions of weak_table, at this α and the weak γ
                t = wt[np.isclose(wt["alpha"], a) & np.isin(np.round(wt["gamma"], 3), np.round(weak, 3))]
                phis.append(float(np.median(t["phi_half"] / t["m_over_n"])))
                within.append(f"{int((t['ratio'].sub(1).abs() <= 0.10).sum())} of {len(t)}")
            rows.append((a, "weak φ_1/2 · n/m (median)", f"{phis[0]:.2f}", f"{phis[1]:.2f}", "≈ 1 (Fig. 3b)"))
            rows.append(
                (a, "weak models within 10 % of (4/3)Σ_{i>φn} p_i", within[0], within[1], "all (Fig. 4a)")
            )
            fc, fp = fit(cheap, a, weak), fit(paper, a, weak)
            pubw = [v for al, v in PAPER_WEAK_ALPHA_M if np.isclose(al, a)]
            ideal = ideal_alpha_m(a, n, widths).exponent
            rows.append(
                (
                    a,
                    "weak α_m (γ ≥ 0.33)",
                    _span(fc.exponent),
                    _span(fp.exponent),
                    (" / ".join(f"{v:.2f}" for v in pubw) + " (Fig. 4b)") if pubw else f"ideal {ideal:.2f}",
                )
            )
            rows.append(loss_ratio(a, weak, "weak"))
    cols = ["alpha", "quantity", "book CPU protocol", "paper's protocol (ours)", "paper (published)"]
    return pd.DataFrame(rows, columns=cols).set_index(["alpha", "quantity"])


# --------------------------------------------------------------------------------------------
# The large toy model, n = 10240 (chapter 4)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The activation-density check at the paper's protocol (chapter 4)
# --------------------------------------------------------------------------------------------
