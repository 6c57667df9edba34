"""Analysis helpers for chapters 2 and 3: a small live training run with snapshots of W, and the
weak-superposition measurements on the precomputed sweeps (φ_1/2 tables, the weak-regime prediction,
α_m fits, the least ambiguous runs).

Losses are in the paper's units (summed over the n features, averaged over samples).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .catalog import trained_only, uses_paper_protocol  # uses_paper_protocol moved to superscale.catalog
from .data import V2_MEAN, power_law_frequencies
from .fit import PowerLawFit, fit_power_law
from .paper import (  # noqa: F401  (moved to superscale.paper)
    PAPER_FIG3_PHI,
    PAPER_WEAK_ALPHA_M,
)

__all__ = [
    "LiveRun",
    "train_live",
    "snapshot_steps",
    "SMALL_SWEEPS",
    "load_small_sweep",
    "protocol_table",
    "protocol_summary",
    "pick_alpha",
    "uses_paper_protocol",
    "PAPER_FIG3_PHI",
    "phi_comparison",
    "weak_prediction",
    "weak_table",
    "exponent_table",
    "exponent_maps",
    "kept_per_width",
    "least_ambiguous",
    "weak_alpha_m_comparison",
    "dropped_frequent_features",
    "ideal_alpha_m",
    "PAPER_WEAK_ALPHA_M",
    "large_curves",
    "large_exponent_table",
    "large_loss_ratios",
    "load_paper_checks",
    "protocol_check",
    "DENSITY_CHECK_SWEEP",
    "load_density_check",
    "density_check",
    "trained_densities",
]


# --------------------------------------------------------------------------------------------
# A small live run (chapter 2)
# --------------------------------------------------------------------------------------------


@dataclass
class LiveRun:
    """Result of :func:`train_live` (chapter 2).

    ``W`` has shape (K, S, n, m): the weights of the K models (one per γ in ``gammas``) at the S
    steps in ``steps`` (0 = initialisation, the last = end of training). ``curve_steps`` and
    ``curve_loss`` (K, T) are the training loss averaged over windows of steps; ``final_loss`` and
    ``final_loss_se`` (K,) are measured on fresh samples after training.
    """

    n: int
    m: int
    alpha: float
    gammas: np.ndarray
    steps: np.ndarray
    W: np.ndarray
    b: np.ndarray
    curve_steps: np.ndarray
    curve_loss: np.ndarray
    final_loss: np.ndarray
    final_loss_se: np.ndarray
    seconds: float

    def gram(self, k: int, s: int = -1, top: int | None = None) -> np.ndarray:
        """W Wᵀ of model ``k`` at snapshot ``s``, restricted to the ``top`` most frequent features."""
        W = self.W[k, s]
        if top is not None:
            W = W[:top]
        return W @ W.T

    def norms(self, k: int, s: int = -1) -> np.ndarray:
        """Row norms ‖W_i‖ of model ``k`` at snapshot ``s``."""
        return np.linalg.norm(self.W[k, s], axis=1)


def snapshot_steps(steps: int, count: int) -> np.ndarray:
    """``count`` distinct steps from 0 to ``steps``, roughly evenly spaced in log(step + 1) (chapter 2)."""
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if not (isinstance(count, (int, np.integer)) and count >= 2):
        raise ValueError(f"count (number of snapshots) must be an integer >= 2, got {count!r}")
    s = np.unique(np.round(np.logspace(0, np.log10(steps + 1), count) - 1).astype(int))
    s[0], s[-1] = 0, steps
    return np.unique(s)


def train_live(
    n: int = 200,
    m: int = 20,
    gammas=(0.5, -0.5),
    alpha: float = 1.0,
    steps: int = 2000,
    batch: int = 1024,
    peak_lr: float = 1e-2,
    snapshots: int = 8,
    eval_samples: int = 20480,
    seed: int = 0,
) -> LiveRun:
    """Train one toy model per γ in ``gammas`` on p_i ∝ i^(-alpha) (E = 1), keeping snapshots of W (chapter 2).

    Uses the training engine's pieces (:func:`superscale.training.sample_sparse`,
    :func:`~superscale.training.sparse_loss_grad`, :func:`~superscale.training.adamw_update_`) with
    the paper's small-model schedule shortened to ``steps`` (warm-up over the first tenth, cosine
    down to 5 % of ``peak_lr``) and the paper's initialisation. All models see the same fresh batch
    at each step. With the defaults two models train in about 10 s on one CPU core.
    """
    import torch

    from .model import init_params
    from .training import adamw_update_, engine_mode, sample_sparse, small_lr, sparse_loss_grad

    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValueError(f"n (number of features) must be an integer >= 2, got {n!r}")
    if not (isinstance(m, (int, np.integer)) and 1 <= m < n):
        raise ValueError(f"m (hidden width) must be an integer with 1 <= m < n = {n}, got {m!r}")
    gam = np.atleast_1d(np.asarray(gammas, dtype=float))
    if gam.ndim != 1 or gam.size == 0 or not np.all(np.isfinite(gam)):
        raise ValueError(f"gammas must be a non-empty list of finite numbers, got {gammas!r}")
    if not (isinstance(batch, (int, np.integer)) and batch >= 1):
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    if not (math.isfinite(peak_lr) and peak_lr > 0):
        raise ValueError(f"peak_lr must be a number > 0, got {peak_lr!r}")
    if not (isinstance(eval_samples, (int, np.integer)) and eval_samples >= 2):
        raise ValueError(f"eval_samples must be an integer >= 2, got {eval_samples!r}")
    snaps = snapshot_steps(steps, snapshots)
    mode = "fused" if engine_mode("cpu") == "fused" else "dense"
    p = power_law_frequencies(n, alpha, 1.0)
    p_t = torch.as_tensor(p, dtype=torch.float32)
    gen = torch.Generator().manual_seed(int(seed))
    K = gam.size
    Ws, bs = zip(*[init_params(n, m, generator=gen) for _ in range(K)], strict=True)
    W, b = torch.stack(Ws), torch.stack(bs)
    mW, vW, mb, vb = (torch.zeros_like(W), torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(b))
    gamma_t = torch.tensor(gam, dtype=torch.float32)
    lr = small_lr(np.arange(steps), steps, peak_lr, max(steps // 10, 1))
    every = max(steps // 100, 1)
    out_W = np.empty((K, snaps.size, n, m), dtype=np.float32)
    curve, acc = [], torch.zeros(K, dtype=torch.float64)
    t0 = time.perf_counter()
    with torch.no_grad():
        out_W[:, 0] = W.numpy()
        si = 1
        for step in range(steps):
            bt = sample_sparse(p_t, batch, gen)
            res = sparse_loss_grad(W, b, bt, mode=mode)
            lr_t = torch.full((K,), float(lr[step]), dtype=torch.float32)
            adamw_update_(W, res["gW"], mW, vW, step + 1, lr_t, gamma_t)
            adamw_update_(b, res["gb"], mb, vb, step + 1, lr_t, None)
            acc += res["loss"].double()
            if (step + 1) % every == 0:
                curve.append((acc / every).numpy().copy())
                acc.zero_()
            if si < snaps.size and step + 1 == snaps[si]:
                out_W[:, si] = W.numpy()
                si += 1
        s1 = torch.zeros(K, dtype=torch.float64)
        s2 = torch.zeros(K, dtype=torch.float64)
        done = 0
        while done < eval_samples:
            bsz = min(2048, eval_samples - done)
            bt = sample_sparse(p_t, bsz, gen)
            res = sparse_loss_grad(W, b, bt, need_grad=False, per_sample=True, mode=mode)
            sl, el = res["sample_loss"].double(), res["empty_loss"].double()
            s1 += sl.sum(1) + bt.n_empty * el
            s2 += (sl * sl).sum(1) + bt.n_empty * el * el
            done += bsz
    mean = (s1 / done).numpy()
    var = np.maximum((s2 / done).numpy() - mean**2, 0.0)
    return LiveRun(
        n=int(n),
        m=int(m),
        alpha=float(alpha),
        gammas=gam,
        steps=snaps,
        W=out_W,
        b=b.numpy().copy(),
        curve_steps=np.arange(1, len(curve) + 1) * every,
        curve_loss=np.stack(curve, axis=1) if curve else np.zeros((K, 0)),
        final_loss=mean,
        final_loss_se=np.sqrt(var / done),
        seconds=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------------------------
# The precomputed n = 1000 sweep (chapters 2 and 3)
# --------------------------------------------------------------------------------------------

#: Sweep files tried in order by :func:`load_small_sweep`: the real grid first, then the small preview.
SMALL_SWEEPS: tuple[str, ...] = ("short-small",)


def load_small_sweep(names=SMALL_SWEEPS, complete_only: bool = True):
    """The n = 1000 sweep of chapters 2-3 as an xarray Dataset: the first of ``names`` found in book/data.

    Loads through :func:`superscale.sweep.load_sweep`. With ``complete_only``, α values that are not
    trained at every (γ, m) are dropped, so a file merged from a partial run still gives full
    tables. ``ds.attrs["loaded_from"]`` records which file was used. Raises ``FileNotFoundError``
    naming every file tried when none exists.
    """
    from .sweep import load_sweep

    names = (names,) if isinstance(names, str) else tuple(names)
    if not names:
        raise ValueError("names must hold at least one sweep name, e.g. 'paper-small'")
    errors = []
    for name in names:
        try:
            ds = load_sweep(name)
        except FileNotFoundError as err:
            errors.append(str(err).splitlines()[0])
            continue
        if "alpha" in ds.coords and "alpha" not in ds.dims:
            ds = ds.expand_dims("alpha")  # a file with a single α keeps it as a scalar coordinate
        if complete_only and "alpha" in ds.dims:
            full = ds["completed"].all(dim=[d for d in ds["completed"].dims if d != "alpha"]).values
            if not full.any():
                errors.append(f"{name}: no α value is complete")
                continue
            ds = ds.isel(alpha=np.flatnonzero(full))
        ds.attrs["loaded_from"] = name
        return ds
    raise FileNotFoundError("no sweep file found; tried: " + "; ".join(errors))


def protocol_table(ds):
    """How the sweep in ``ds`` was trained, beside the paper's protocol (chapters 2-3), as a DataFrame.

    Everything in the "this data" column is read from the file's attributes.
    """
    import json

    import pandas as pd

    from .training import PROTOCOLS

    pr = json.loads(ds.attrs["protocol"])
    paper = PROTOCOLS["paper-small"].to_dict()
    rows = [
        ("protocol", pr.get("name"), "paper-small (exp-10, exp-10-3)"),
        ("batch size", pr.get("batch"), paper["batch"]),
        ("training steps", pr.get("steps"), paper["steps"]),
        ("samples seen per model", pr.get("batch", 0) * pr.get("steps", 0), paper["batch"] * paper["steps"]),
        ("peak learning rate", pr.get("peak_lr"), paper["peak_lr"]),
        ("warm-up (fraction of steps)", pr.get("warmup_frac"), paper["warmup_frac"]),
        ("final learning rate (fraction of peak)", pr.get("floor"), paper["floor"]),
        ("fresh samples for the final loss", pr.get("eval_samples"), paper["eval_samples"]),
        (
            "units trained / in the grid",
            f"{ds.attrs.get('units_finished')} / {ds.attrs.get('units_total')}",
            "—",
        ),
        (
            "training time (CPU-seconds, all units)",
            f"{float(ds.attrs.get('train_seconds_total', np.nan)):.0f}",
            "—",
        ),
    ]
    return pd.DataFrame(rows, columns=["setting", f"this data ({ds.attrs.get('grid')})", "paper"]).set_index(
        "setting"
    )


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
    head = (
        f"Data: {ds.attrs.get('loaded_from', ds.attrs.get('grid'))}.nc (grid {ds.attrs.get('grid')!r}, "
        f"protocol {pr.get('name')!r}; {ds.attrs.get('units_finished')} of {ds.attrs.get('units_total')} units; "
        f"{ds.sizes.get('alpha', 1)} α × {ds.sizes['gamma']} γ × {ds.sizes['m']} widths, n = {ds.sizes['feature']})."
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


def pick_alpha(ds, target: float = 1.0) -> float:
    """The exponent α of the sweep closest to ``target`` (chapters 2-3): ``target`` itself when the file
    has it, otherwise the nearest one (a partial file may hold only some α)."""
    a = np.asarray(ds["alpha"].values, dtype=float)
    if a.size == 0:
        raise ValueError("the sweep holds no α value")
    return float(a[int(np.argmin(np.abs(a - target)))])


def _nearest(values, v: float) -> float:
    values = np.asarray(values, dtype=float)
    k = int(np.argmin(np.abs(values - v)))
    if abs(values[k] - v) > 0.02:
        raise ValueError(f"no grid value within 0.02 of {v}; the grid has {np.round(values, 3).tolist()}")
    return float(values[k])


def phi_comparison(ds, alpha: float = 1.0):
    """φ_1/2 of the sweep beside the paper's Fig-3-2 readings at the γ near the transition (chapter 2).

    Returns a DataFrame indexed by (γ, width) with columns "ours" and "paper" (NaN where the paper
    shows no value).
    """
    import pandas as pd

    a = _nearest(ds["alpha"].values, alpha)
    rows = []
    for g, ref in PAPER_FIG3_PHI.items():
        gg = _nearest(ds["gamma"].values, g)
        for m in ds["m"].values:
            ours = float(ds["phi_half"].sel(alpha=a, gamma=gg, m=m))
            rows.append({"γ": round(gg, 2), "m": int(m), "ours": ours, "paper": ref.get(int(m), np.nan)})
    return pd.DataFrame(rows).set_index(["γ", "m"])


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


def ideal_alpha_m(alpha: float, n: int = 1000, widths=(10, 15, 25, 39, 63, 100)) -> PowerLawFit:
    """α_m of the ideal weak-regime loss (the m most frequent features represented) at finite n (chapter 3).

    Fits ``theory.weak_loss(p, m)`` over ``widths`` for p_i ∝ i^(-alpha), E = 1, exactly as the
    trained models are fitted; paper.md §3.2 gives 0.434, 0.606, 0.804, 1.02 at α = 1.25 … 2.
    """
    from .theory import weak_loss

    widths = np.asarray(widths)
    if widths.ndim != 1 or widths.size < 3 or np.any(widths < 1) or np.any(widths >= n):
        raise ValueError(f"widths must hold at least 3 integers in [1, n = {n}), got {widths!r}")
    p = power_law_frequencies(n, alpha, 1.0)
    return fit_power_law(widths, weak_loss(p, widths))


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


def exponent_table(ds, widths=None):
    """α_m fitted over the widths for every (γ, α) of the sweep, with the ambiguity (chapter 3).

    Columns: gamma, alpha, alpha_m, se, r2, max_ambiguity (the largest ‖W Wᵀ − Z‖₂ over the widths,
    the paper's App. D.5 measure; NaN if the file has no ``ambiguity``), ideal (α_m of the ideal
    weak loss at the same n and widths, :func:`ideal_alpha_m`).
    """
    import pandas as pd

    from .phase import fit_exponent_grid

    w = np.asarray(ds["m"].values if widths is None else widths)
    sub = ds.sel(m=w)
    loss = sub["final_loss"].transpose("gamma", "alpha", "m").values
    grid = fit_exponent_grid(loss, w)
    if "ambiguity" in sub:
        amb = sub["ambiguity"].transpose("gamma", "alpha", "m").values.max(axis=-1)
    else:
        amb = np.full(loss.shape[:2], np.nan)
    n = int(ds.sizes["feature"])
    ideal = {float(a): ideal_alpha_m(float(a), n, w).exponent for a in ds["alpha"].values}
    rows = []
    for i, g in enumerate(ds["gamma"].values):
        for j, a in enumerate(ds["alpha"].values):
            rows.append(
                {
                    "gamma": float(g),
                    "alpha": float(a),
                    "alpha_m": grid.exponent[i, j],
                    "se": grid.se[i, j],
                    "r2": grid.r2[i, j],
                    "max_ambiguity": amb[i, j],
                    "ideal": ideal[float(a)],
                }
            )
    return pd.DataFrame(rows)


def kept_per_width(ds, gamma_min: float = 0.33):
    """Median of φ_1/2·n/m (represented features in units of the width) over the trained models with
    γ >= ``gamma_min`` and every width, one value per α, as a pandas Series (chapter 2, Fig. 2.7)."""
    r = ds["phi_half"].where(ds["completed"]) * ds.sizes["feature"] / ds["m"]
    return r.where(ds["gamma"] >= gamma_min).median(["gamma", "m"]).to_series()


def exponent_maps(table, gammas, alphas, columns=("alpha_m", "se", "r2")) -> dict[str, np.ndarray]:
    """Columns of an :func:`exponent_table` laid out on a (γ, α) grid (chapter 4's phase maps).

    Returns {column: array of shape (len(gammas), len(alphas))}; a cell whose (γ, α) is not in
    ``table`` (matched to 1e-6) is NaN, so a partly trained grid maps onto the full one.
    """
    g = np.asarray(gammas, dtype=float)
    a = np.asarray(alphas, dtype=float)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; it must come from exponent_table")
    out = {c: np.full((g.size, a.size), np.nan) for c in columns}
    for row in table.itertuples(index=False):
        i = np.flatnonzero(np.isclose(g, row.gamma, rtol=0.0, atol=1e-6))
        j = np.flatnonzero(np.isclose(a, row.alpha, rtol=0.0, atol=1e-6))
        if i.size and j.size:
            for c in columns:
                out[c][i[0], j[0]] = getattr(row, c)
    return out


def least_ambiguous(table, k: int = 9):
    """The ``k`` (γ, α) runs whose largest ambiguity over the widths is smallest (chapter 3; paper App. D.5).

    ``table`` is the output of :func:`exponent_table`; rows without an ambiguity are ignored. Sorted by α.
    """
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    t = table[np.isfinite(table["max_ambiguity"])]
    if t.empty:
        raise ValueError("table has no finite max_ambiguity; the sweep file must store 'ambiguity'")
    return t.nsmallest(k, "max_ambiguity").sort_values(["alpha", "gamma"]).reset_index(drop=True)


def weak_alpha_m_comparison(table, least, paper_points=None):
    """Our α_m beside the paper's Fig. 4b values at each α the paper shows (chapter 3), as a DataFrame.

    For each such α: the paper's values, ours from the least ambiguous runs at that α (``least``) or,
    when none of them has that α, from the γ > 0 run with the smallest ambiguity at that α (marked in
    the "source" column), and the ideal finite-n value.
    """
    import pandas as pd

    pts = PAPER_WEAK_ALPHA_M if paper_points is None else paper_points
    rows = []
    for a in sorted({float(p[0]) for p in pts}):
        paper = sorted(float(p[1]) for p in pts if np.isclose(p[0], a))
        ours = least[np.isclose(least["alpha"], a)]
        source = "least ambiguous 9"
        if ours.empty:
            cand = table[
                np.isclose(table["alpha"], a) & (table["gamma"] > 0) & np.isfinite(table["max_ambiguity"])
            ]
            ours = cand.nsmallest(1, "max_ambiguity")
            source = "least ambiguous γ > 0 run at this α"
        if ours.empty:
            continue
        rows.append(
            {
                "alpha": a,
                "paper alpha_m": " / ".join(f"{v:.2f}" for v in paper),
                "our alpha_m": " / ".join(
                    f"{e:.2f} ± {s:.2f}" for e, s in zip(ours["alpha_m"], ours["se"], strict=True)
                ),
                "our gamma": " / ".join(f"{g:+.2f}" for g in ours["gamma"]),
                "ideal (finite n)": float(ours["ideal"].iloc[0]),
                "alpha - 1": a - 1,
                "source": source,
            }
        )
    return pd.DataFrame(rows).set_index("alpha")


def dropped_frequent_features(ds, gamma_min: float = 0.33):
    """How many of its m most frequent features each weak model (γ ≥ ``gamma_min``) leaves unrepresented,
    and the sign of their trained bias (chapter 3), summed per α, as a DataFrame.

    A dropped feature whose bias is negative has an output that is always 0 (ReLU closed), so no gradient
    reaches its row: it cannot come back. Columns: top-m slots (Σ m over the models), dropped (rows with
    ‖W_i‖ ≤ 1/2 among the first m), dropped with b_i < 0, kept with b_i < 0.
    """
    import pandas as pd

    if "bias" not in ds:
        raise ValueError("the sweep file must store 'bias' for this diagnostic")
    rows = []
    for a in ds["alpha"].values:
        slots = dropped = dropped_neg = kept = kept_neg = 0
        for g in ds["gamma"].values:
            if g < gamma_min:
                continue
            for m in ds["m"].values:
                sel = dict(alpha=a, gamma=g, m=m)
                if not bool(ds["completed"].sel(**sel)):
                    continue
                r = np.asarray(ds["row_norm"].sel(**sel).values[: int(m)], dtype=float)
                b = np.asarray(ds["bias"].sel(**sel).values[: int(m)], dtype=float)
                slots += int(m)
                d = r <= 0.5
                dropped += int(d.sum())
                dropped_neg += int((d & (b < 0)).sum())
                kept += int((~d).sum())
                kept_neg += int((~d & (b < 0)).sum())
        rows.append(
            {
                "alpha": float(a),
                "top-m slots": slots,
                "dropped": dropped,
                "dropped with b < 0": dropped_neg,
                "kept": kept,
                "kept with b < 0": kept_neg,
            }
        )
    return pd.DataFrame(rows).set_index("alpha")


# --------------------------------------------------------------------------------------------
# The paper's own protocol on a subset of the grid (chapters 2-5)
# --------------------------------------------------------------------------------------------


def load_paper_checks(names=None):
    """The runs trained with the paper's exact protocol (batch 2048, 20 000 steps) on part of the small
    grid, combined into one Dataset over (α, γ) (chapters 2-5), or ``None`` when none of the files exists.

    Each file is loaded with :func:`load_small_sweep` (so only α values trained at all of that file's
    (γ, m) are kept). Files may share an α if they hold different γ there (``paper-strong-mid`` and
    ``paper-small-rest`` split paper-small's ten γ at α < 1); a model stored by two files must agree
    in both, else ``ValueError``. (γ, α) that no file has are NaN with ``completed`` False. Raises
    ``ValueError`` if a file found does not carry the paper's protocol.
    """
    from .catalog import get, join

    if names is None:  # the four files of the catalog's paper-small
        names = tuple(f.removesuffix(".nc") for f in get("paper-small").files)
    parts = []
    for name in (names,) if isinstance(names, str) else tuple(names):
        try:
            ds = load_small_sweep(name)
        except FileNotFoundError:
            continue
        if not uses_paper_protocol(ds):
            raise ValueError(
                f"{name}.nc does not carry the paper's protocol (it says {ds.attrs['protocol']})"
            )
        parts.append(ds)
    if not parts:
        return None
    out = join(parts, "paper-small")  # outer join over (alpha, gamma); a model stored twice must agree
    out.attrs["loaded_from"] = " + ".join(p.attrs["loaded_from"] for p in parts)
    out.attrs["grid"] = "paper-protocol checks"
    return out


def _span(values) -> str:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "—"
    return f"{v.min():.2f}" if np.isclose(v.min(), v.max(), atol=0.005) else f"{v.min():.2f}–{v.max():.2f}"


def protocol_check(cheap, paper, strong_gammas=(-0.778, -0.556, -0.333), weak_min: float = 0.33):
    """The same models trained with the book's CPU protocol (``cheap``) and with the paper's own
    (``paper``, from :func:`load_paper_checks`), side by side with the paper's published numbers
    (chapters 2-5), as a DataFrame indexed by (α, quantity).

    Quantities, for each α of ``paper`` (runs compared only where both files have them):
    strong α_m at the paper's three γ of Fig. 5e; m·⟨c²⟩ of the rows with norm > 1 in the strong runs
    (median over γ < 0 and widths; paper Fig. 5d ≈ 0.93–1.02); and, where ``paper`` has weak runs
    (γ ≥ ``weak_min``): φ_1/2·n/m (median; paper ≈ 1), the number of weak models within 10 % of the
    prediction (4/3)Σ_{i>φ_1/2 n} p_i, the weak α_m (paper Fig. 4b where it shows that α; the finite-n
    ideal otherwise) and the loss ratio book protocol / paper protocol.
    """
    import pandas as pd

    from .phase import PAPER_FIG5E, fit_exponent_grid

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


def large_curves(ds) -> dict:
    """The trained loss curves of a large-model sweep (``large-cpu*.nc``), keyed by (regime, kind) (chapter 4).

    regime is "strong" for γ < 0 and "weak" otherwise. Each value is a dict with the trained widths
    ``widths``, ``loss`` and ``se`` over them, and ``fit``: α_m over the paper's fit range for that law
    and regime (:func:`superscale.phase.fit_large`; None with fewer than 3 widths in it). Laws with no
    trained width are left out.
    """
    from .phase import fit_large

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
                "fit": fit_large(w, y, str(kind), float(g)),
            }
    return out


def large_exponent_table(runs: dict):
    """α_m of the large model for one or more runs beside the paper's (chapter 4), as a DataFrame.

    ``runs`` maps a label (e.g. the protocol, "256 × 20 000") to the output of :func:`large_curves`.
    One row per (law, regime, run): the widths trained, α_m ± se and R² over the paper's fit range,
    α_m over all trained widths, the paper's published α_m (strong runs; m = 8…1024) and α_m fitted
    to the paper's own losses (read off its Fig. 1) over the same fit widths as ours, the like-for-like
    comparison when fewer widths were trained.
    """
    import pandas as pd

    from .phase import PAPER_FIG1_LOSS, PAPER_LARGE_ALPHA_M, PAPER_LARGE_R2, large_fit_min_width

    pw = np.asarray(PAPER_FIG1_LOSS["widths"]["all"], dtype=float)
    rows = []
    for kind in ("exponential", "power", "linear"):
        for regime in ("strong", "weak"):
            for label, curves in runs.items():
                c = curves.get((regime, kind))
                if c is None:
                    continue
                w, y, f = c["widths"], c["loss"], c["fit"]
                lo = large_fit_min_width(kind, -1.0 if regime == "strong" else 1.0)
                fw = w[(w >= lo) & np.isfinite(y)]
                py = np.asarray(PAPER_FIG1_LOSS[regime][kind], dtype=float)
                same = np.isin(pw, fw)
                f_paper = fit_power_law(pw[same], py[same]) if same.sum() >= 3 else None
                f_all = fit_power_law(w, y) if np.isfinite(y).sum() >= 3 else None
                pv = PAPER_LARGE_ALPHA_M.get(kind) if regime == "strong" else None
                rows.append(
                    {
                        "law": kind,
                        "regime": regime,
                        "run": label,
                        "widths trained": f"{int(w.min())}–{int(w.max())}",
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


def large_loss_ratios(runs: dict, regime: str = "strong"):
    """Our large-model losses divided by the paper's (read off its Fig. 1), per run, law and width (chapter 4).

    ``runs`` as in :func:`large_exponent_table`. Returns a DataFrame indexed by (run, law) with one column
    per width the paper shows; NaN where the run did not train that width. Values near 1 mean the same
    loss as the paper's (about ±5 % is the reading error of the figure).
    """
    import pandas as pd

    from .phase import PAPER_FIG1_LOSS

    if regime not in ("strong", "weak"):
        raise ValueError(f"regime must be 'strong' or 'weak', got {regime!r}")
    pw = [int(w) for w in PAPER_FIG1_LOSS["widths"]["all"]]
    rows, index = [], []
    for label, curves in runs.items():
        for kind in ("exponential", "power", "linear"):
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


# --------------------------------------------------------------------------------------------
# The activation-density check at the paper's protocol (chapter 4)
# --------------------------------------------------------------------------------------------

#: The file with the strong γ of the density sweep trained at the paper's protocol (book/data/README.md).
DENSITY_CHECK_SWEEP = "paper-density-strong"


def trained_densities(ds):
    """``ds`` with a dimension ``E`` (a file with one density keeps E as a scalar coordinate), cut to
    the densities trained at every (γ, m) (chapter 4); :func:`superscale.catalog.trained_only`."""
    return trained_only(ds, "E")


def load_density_check(name: str = DENSITY_CHECK_SWEEP):
    """The density sweep's strong runs at the paper's protocol (chapter 4), cut to the trained
    densities, or ``None`` when the file is not in book/data or holds no finished density.

    Raises ``ValueError`` if the file does not carry the paper's protocol.
    """
    from .sweep import load_sweep

    try:
        ds = load_sweep(name)
    except FileNotFoundError:
        return None
    if not uses_paper_protocol(ds):
        raise ValueError(f"{name}.nc does not carry the paper's protocol (it says {ds.attrs['protocol']})")
    ds = trained_densities(ds)
    if ds.sizes["E"] == 0:
        return None
    ds.attrs["loaded_from"] = name
    return ds


def density_check(dens, e1=None, cheap=None, width: int = 63):
    """α_m and the loss at one width against the activation density E, for the strong runs of the
    density sweep (chapter 4; the paper's Fig. 14), as a DataFrame indexed by (E, gamma).

    ``dens`` holds the runs at densities E (dims E, gamma, m, as from :func:`load_density_check`).
    ``e1`` (optional) is a sweep over α (e.g. :func:`load_paper_checks`) whose α = 1 runs at the same
    γ, widths and protocol are the E = 1 models (the density sweep's E = 1 unit is exactly the α = 1
    unit of the small grid); they are added as E = 1 when ``dens`` lacks it. ``cheap`` (optional) is the
    same density sweep at another protocol (e.g. the book's ``paper-density.nc``); its α_m at the same
    (E, γ) goes in the column ``alpha_m_cheap``.

    Columns: alpha_m, se, r2 (power-law fit over all widths); loss (the final loss at ``width``);
    loss_per_E (loss / E divided by the same at the smallest E of the table, 1 when the loss is
    exactly proportional to E); alpha_m_cheap; paper_alpha_m, paper_se (Fig. 14b, at the paper's five
    densities, NaN elsewhere). Raises ``ValueError`` if ``width`` is not one of the widths, or if
    ``e1`` is given with a different protocol or without the density sweep's widths and γ.
    """
    import pandas as pd

    from .phase import DENSITY_PAPER_E, PAPER_DENSITY_ALPHA_M, fit_exponent_grid

    dens = trained_densities(dens)
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
            a1 = e1.sel(alpha=_nearest(e1["alpha"].values, 1.0))
        except ValueError as err:
            raise ValueError("e1 must hold α = 1 runs (the E = 1 models of the density sweep)") from err
        try:
            gsel = [_nearest(a1["gamma"].values, g) for g in gammas]
        except ValueError:
            gsel = []
        if (
            len(gsel) != gammas.size
            or not np.allclose(gsel, gammas, atol=1e-3)
            or not set(widths.tolist()) <= set(a1["m"].values.tolist())
        ):
            raise ValueError("e1 must hold the density sweep's γ and widths at α = 1")
        sub = a1.sel(gamma=gsel, m=widths)
        if not bool(sub["completed"].all()):
            raise ValueError("e1's α = 1 runs at the density sweep's γ and widths are not all trained")
        Es = np.concatenate([[1.0], Es])
        loss = np.concatenate([sub["final_loss"].transpose("gamma", "m").values[None], loss], axis=0)
    order = np.argsort(Es)
    Es, loss = Es[order], loss[order]
    grid = fit_exponent_grid(loss, widths)
    k = int(np.flatnonzero(widths.astype(int) == int(width))[0])
    per_e = loss[:, :, k] / Es[:, None]
    cheap_map = {}
    if cheap is not None:
        c = trained_densities(cheap)
        cg = fit_exponent_grid(c["final_loss"].transpose("E", "gamma", "m").sel(m=widths).values, widths)
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
