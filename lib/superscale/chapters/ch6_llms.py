"""Chapter 6, real language models: load -> compute -> figures -> claims.

Figures and tables of ``book/06_llms.ipynb`` and the function that makes each:

- Table 6.1, random directions: :func:`random_directions` (numbers), :func:`random_table` (shown);
- Figure 6.1, overlap histogram of random directions: :func:`~superscale.chapters.ch6_llms_figures.random_histogram_figure`;
- Table 6.2, the paper's 27 checkpoints: :func:`registry_table`;
- Table 6.3, three real models measured here: :func:`packaged_table` (numbers: :func:`packaged_summary`);
- Figure 6.2, mean squared overlap against 1/m: :func:`~superscale.chapters.ch6_llms_figures.overlap_vs_width_figure`;
- Figure 6.3, row norms and norms against token frequency: :func:`~superscale.chapters.ch6_llms_figures.norms_figure`;
- Table 6.4, the quantization control: :func:`quantization_effect`;
- Table 6.5, word- and token-frequency exponents: :func:`word_zipf_table`, :func:`token_zipf_table`;
- Figure 6.4, rank-frequency curves of tokens and words: :func:`~superscale.chapters.ch6_llms_figures.rank_frequency_figure`;
- Figure 6.5, the paper's loss fit (quoted): :func:`~superscale.chapters.ch6_llms_figures.published_fit_figure`;
- Table 6.6, refits of the published curves: :func:`published_fit_replicas`;
- Table 6.7 and Figure 6.6, the Chinchilla cross-check: :func:`size_exponents`, :func:`~superscale.chapters.ch6_llms_figures.size_figure`;
- Table 6.8, every number of the chapter: :func:`summary_table`;
- the reproduction notes: :func:`reproduction_table`.

Claims: :func:`claims` runs every ``check_*`` function.
"""

from __future__ import annotations

import math
import os
import socket

import numpy as np
import pandas as pd

from .. import catalog, llm, paper
from ..checks import Finding, at_least, at_most, holds, within
from ..fit import fit_rank_frequency
from .ch6_llms_figures import (  # noqa: F401  (the chapter calls them through this module)
    FAMILY_COLORS,
    MODEL_COLORS,
    RANDOM_WIDTHS,
    norms_figure,
    overlap_vs_width_figure,
    published_fit_figure,
    random_histogram_figure,
    random_overlap_live_figure,
    rank_frequency_figure,
    size_figure,
)

#: Colours of the paper's four families (quoted points) and of the three models measured here.

# ----------------------------------------------------------------------------------------------- load


def network_available(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    """True if a TCP connection to host:443 opens (the Colab cells need the Hub)."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def live() -> bool:
    """Whether the chapter's live cells run: in Colab, outside the book build, with the Hub reachable."""
    from ..figures import in_colab

    return in_colab() and os.environ.get("SUPERSCALE_BOOK_BUILD") != "1" and network_available()


def load_packaged() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped measurements of the three packaged models: (statistics, curves), the latest row of each
    (model, variant) (data set ``llm-packaged``)."""
    d = catalog.load("llm-packaged")
    stats, curves = d["llm-packaged"], d["llm-packaged-curves"]
    stats = stats.sort_values("date_utc").drop_duplicates(["model", "variant"], keep="last")
    return stats.reset_index(drop=True), curves.drop_duplicates(["model", "series", "x"], keep="last")


def load_toy(name: str = "paper-small") -> pd.DataFrame:
    """Mean squared overlaps of the trained toy models (all rows and rows with norm > 1), one row per model."""
    ds = catalog.load(name)
    sub = ds[["overlap_mean_gt1", "overlap_mean_all"]].where(ds["completed"])
    df = sub.to_dataframe().reset_index()
    return df[["alpha", "gamma", "m", "overlap_mean_gt1", "overlap_mean_all"]].dropna(
        subset=["overlap_mean_all"]
    )


def load_word_tables(wordlist: str = "large") -> dict[str, np.ndarray]:
    """Word frequencies, most frequent first, of every language wordfreq ships in ``wordlist``."""
    import wordfreq

    from ..data import word_frequencies

    return {
        lang: word_frequencies(lang, None, wordlist)
        for lang in sorted(wordfreq.available_languages(wordlist))
    }


# -------------------------------------------------------------------------------------------- compute


def random_directions(n: int = 4000, widths=RANDOM_WIDTHS, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Overlap statistics of n Gaussian random rows per width, by the Gram method and over all pairs (Table 6.1).

    Returns (table, {m: OverlapStats over all pairs, with a 400-bin histogram}).
    """
    rng = np.random.default_rng(seed)
    rows, stats = [], {}
    for m in widths:
        W = rng.standard_normal((n, m)).astype(np.float32)
        gram = llm.mean_squared_overlap(W)
        blocks = llm.overlap_stats_blocks(W, block_rows=2048, bins=400)
        ref = llm.random_overlap_moments(m)
        stats[m] = blocks
        rows.append(
            {
                "m": m,
                "mean c² (Gram)": gram.mean_sq,
                "mean c² (all pairs)": blocks.mean_sq,
                "1/m": ref["mean_sq"],
                "m × mean c²": m * gram.mean_sq,
                "Var c²": blocks.var_sq,
                "Var c², random": ref["var_sq"],
                "mean |c|": blocks.mean_abs,
                "mean |c|, random": ref["mean_abs"],
                "n": n,
            }
        )
    return pd.DataFrame(rows), stats


def toy_table(toy: pd.DataFrame) -> pd.DataFrame:
    """m × mean c² of the rows with norm > 1, median over α, per width (rows) and weight decay (columns)."""
    t = toy.assign(scaled=toy["m"] * toy["overlap_mean_gt1"]).pivot_table(
        index="m", columns="gamma", values="scaled", aggfunc="median"
    )
    t.columns = [f"γ = {g:.2f}" for g in t.columns]
    return t


def packaged_summary(stats: pd.DataFrame) -> pd.DataFrame:
    """One row per packaged model as stored: the chapter's statistics, as numbers (Table 6.3)."""
    s = stats[stats["variant"] == "as stored"].set_index("model")
    return pd.DataFrame(
        {
            "model": s["title"],
            "stored as": s["stored_dtype"],
            "n": s["n"],
            "m": s["m"],
            "norm mean": s["norm_mean"],
            "norm std": s["norm_std"],
            "norm min": s["norm_min"],
            "m × mean c²": s["m"] * s["mean_sq_overlap"],
            "m × mean c², centred": s["m"] * s["mean_sq_overlap_centred"],
            "m × mean c², random rows": s["m"] * s["random_mean_sq_overlap"],
            "mean |c|": s["mean_abs_overlap"],
            "mean |c|, centred": s["mean_abs_overlap_centred"],
            "mean |c|, random rows": s["random_mean_abs_overlap"],
            "common direction |μ|": s["common_norm"],
            "share of |w|² along μ": s["common_share"],
            "token α": s["token_alpha"],
            "token α s.e.": s["token_alpha_se"],
            "tokens seen": s["tokens_seen"],
            "norm–frequency ρ (Spearman)": s["norm_freq_spearman"],
        }
    )


def quantization_effect(stats: pd.DataFrame, model: str = "minilm-l6") -> pd.DataFrame:
    """Relative change of each statistic when the float matrix of ``model`` is stored in a GGUF format and
    read back (Table 6.4): rows are formats, columns statistics, values (requantized − stored)/stored."""
    cols = {
        "norm_mean": "norm mean",
        "norm_std": "norm std",
        "mean_sq_overlap": "mean c²",
        "mean_sq_overlap_centred": "mean c², centred",
        "mean_abs_overlap": "mean |c|",
        "common_norm": "|μ|",
        "norm_freq_spearman": "norm–frequency ρ",
    }
    s = stats[stats["model"] == model].set_index("variant")
    if "as stored" not in s.index:
        raise ValueError(f"no 'as stored' row for {model!r} in the measurements")
    ref = s.loc["as stored", list(cols)].astype(float)
    other = s.drop(index="as stored")[list(cols)].astype(float)
    return ((other - ref) / ref).rename(columns=cols)


def word_zipf_table(word_counts: dict[str, np.ndarray]) -> pd.DataFrame:
    """The paper's rank-frequency fit on each language's word table, over all ranks and ranks 1–50 000."""
    rows = []
    for lang, f in word_counts.items():
        full, head = fit_rank_frequency(f), fit_rank_frequency(f, max_rank=50_000)
        rows.append(
            {
                "language": lang,
                "words": f.size,
                "alpha (all ranks)": full.exponent,
                "std. error": full.exponent_se,
                "R²": full.r2,
                "alpha (ranks 1–50 000)": head.exponent,
            }
        )
    return pd.DataFrame(rows).set_index("language")


def sampled_word_alpha(
    freqs: np.ndarray, tokens: int = 1_000_000, samples: int = 5
) -> tuple[float, float, int]:
    """Mean and standard deviation of α fitted to ``samples`` corpora of ``tokens`` words drawn from a
    word table (the paper's sample size), and the distinct words the last sample saw."""
    p = freqs / freqs.sum()
    fits, counts = [], None
    for seed in range(samples):
        counts = np.random.default_rng(seed).multinomial(tokens, p)
        fits.append(fit_rank_frequency(counts).exponent)
    return float(np.mean(fits)), float(np.std(fits, ddof=1)), int(np.count_nonzero(counts))


def token_zipf_table(stats: pd.DataFrame) -> pd.DataFrame:
    """Token-frequency exponents through each packaged model's own tokenizer (from the measurements)."""
    s = stats[stats["variant"] == "as stored"].set_index("model")
    return pd.DataFrame(
        {
            "tokenizer": s["title"],
            "vocabulary": s["n"],
            "tokens seen": s["tokens_seen"],
            "alpha": s["token_alpha"],
            "std. error": s["token_alpha_se"],
            "R²": s["token_alpha_r2"],
        }
    )


def published_fit_replicas(replicas: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, object]:
    """Refit the paper's published loss curves at the 27 checkpoints' widths, noise-free and with noise of the
    published residual size ``replicas`` times (Table 6.6). Returns (table, refitted α values, noise-free fit)."""
    P = paper.PAPER_LOSS_FIT
    rng = np.random.default_rng(seed)
    m_pts, g_pts, clean = [], [], []
    for c in llm.CHECKPOINTS:
        for d in paper.DATASETS:
            m_pts.append(c.fit_width)
            g_pts.append(f"{c.family}/{d}")
            clean.append(P["A"] * c.fit_width ** -P["alpha"] + P["offsets"][(c.family, d)])
    m_pts, clean = np.array(m_pts, dtype=float), np.array(clean)
    noise = math.sqrt(P["mse"])
    exact = llm.fit_loss_vs_width(m_pts, clean, g_pts)
    sims = [
        llm.fit_loss_vs_width(m_pts, clean + noise * rng.standard_normal(clean.size), g_pts)
        for _ in range(replicas)
    ]
    alphas = np.array([s.alpha for s in sims])
    table = pd.DataFrame(
        {
            "quantity": [
                "α recovered from the noise-free published curves",
                f"α over {replicas} noisy replicas: mean",
                f"α over {replicas} noisy replicas: standard deviation",
                "Jacobian standard error (median)",
                "the paper's own error formula (median)",
                "the paper's quoted error",
            ],
            "value": [
                exact.alpha,
                alphas.mean(),
                alphas.std(ddof=1),
                np.median([s.alpha_se for s in sims]),
                np.median([s.alpha_se_paper for s in sims]),
                P["alpha_se"],
            ],
        }
    )
    return table, alphas, exact


def size_exponents() -> dict:
    """k in N ∝ m^k: Chinchilla's 50 models, the 27 open checkpoints (total and non-embedding parameters, one
    intercept per family) and each family alone; and α_m = k α_N with the quoted α_N (Table 6.7)."""
    chin = catalog.load("chinchilla-models")
    reg = llm.registry_frame()
    out = {
        "chin": chin,
        "reg": reg,
        "k_chin": llm.fit_size_vs_width(chin["d_model"], chin["params_million"] * 1e6),
        "k_total": llm.fit_size_vs_width(reg["width"], reg["n_params"], reg["family"]),
        "k_nonemb": llm.fit_size_vs_width(reg["width"], reg["n_params_nonembedding"], reg["family"]),
        "k_family": llm.fit_size_vs_width_per_family(reg["width"], reg["n_params"], reg["family"]),
    }
    a, a_se = paper.BESIROGLU_ALPHA_N
    out["alpha_m"] = llm.width_exponent(out["k_chin"].k, out["k_chin"].k_se, a, a_se)
    return out


def size_table(k: dict) -> pd.DataFrame:
    """Table 6.7 from :func:`size_exponents`."""
    ck, ok = paper.PAPER_CHINCHILLA_K, paper.PAPER_OPEN_FAMILIES_K
    rows = [
        ("Chinchilla, 50 models (Table A9)", k["k_chin"], f"{ck[0]} ± {ck[1]}"),
        ("27 open checkpoints, total parameters", k["k_total"], f"{ok} (N not specified)"),
        ("27 open checkpoints, non-embedding parameters", k["k_nonemb"], f"{ok} (N not specified)"),
    ] + [(f"{fam} alone, total parameters", f, "—") for fam, f in k["k_family"].items()]
    return pd.DataFrame([{"fit": a, "k": f.k, "std. error": f.k_se, "paper": p} for a, f, p in rows])


# ------------------------------------------------------------------------------------- shown tables


def random_table(rand: pd.DataFrame):
    """Table 6.1, formatted."""
    return (
        rand.drop(columns="n")
        .style.format({c: "{:.5g}" for c in rand.columns if c not in ("m", "n")})
        .hide(axis="index")
    )


def registry_table():
    """Table 6.2: the 27 checkpoints of the paper, from the registry."""
    reg = llm.registry_frame()
    view = reg[
        [
            "name",
            "family",
            "repo_id",
            "head_tensor",
            "width",
            "overlap_width",
            "vocab_rows",
            "n_params",
            "tied",
        ]
    ].rename(
        columns={
            "width": "m (hidden)",
            "overlap_width": "m (head rows)",
            "vocab_rows": "n (rows)",
            "n_params": "parameters",
        }
    )
    return view.style.format({"parameters": "{:,}"}).hide(axis="index")


def packaged_table(stats: pd.DataFrame):
    """Table 6.3, formatted: the main statistics of the three packaged models."""
    shown = ["model", "stored as", "n", "m", "norm mean", "norm std", "m × mean c²", "m × mean c², centred"]
    shown += [
        "mean |c|",
        "mean |c|, random rows",
        "share of |w|² along μ",
        "token α",
        "norm–frequency ρ (Spearman)",
    ]
    t = packaged_summary(stats)[shown]
    return t.style.format(
        {c: "{:.3f}" for c in t.columns if c not in ("model", "stored as", "n", "m")}
        | {"m × mean c²": "{:.2f}", "m × mean c², centred": "{:.2f}"}
    ).hide(axis="index")


def summary_table(rand, toy, stats, zipf, sample_alpha, alphas, k) -> pd.DataFrame:
    """Table 6.8: every number of the chapter, the paper's value, this book's, and where it comes from."""
    P = paper.PAPER_LOSS_FIT
    s = packaged_summary(stats)
    ratio = rand["m × mean c²"]
    strong = toy[toy["gamma"] < 0]
    en = zipf.loc["en"]
    am = k["alpha_m"]
    raw = ", ".join(f"{i}: {v:.2f}" for i, v in s["m × mean c²"].items())
    cen = ", ".join(f"{i}: {v:.2f}" for i, v in s["m × mean c², centred"].items())
    ta = ", ".join(f"{i}: {v:.2f}" for i, v in s["token α"].items())
    rho = ", ".join(f"{i}: {v:.2f}" for i, v in s["norm–frequency ρ (Spearman)"].items())
    rows = [
        (
            "m × mean c², random directions",
            "1 (theory)",
            f"{ratio.min():.3f} to {ratio.max():.3f}",
            "measured here",
        ),
        (
            "m × mean c², toy models (γ < 0, rows with norm > 1)",
            "≈ 1 (Fig. 5c)",
            f"median {(strong['m'] * strong['overlap_mean_gt1']).median():.2f}",
            "measured here (paper-small)",
        ),
        (
            "m × mean c², the paper's LLM heads",
            '"roughly follow 1/m", no fit (Fig. 6a)',
            "{:.0f} to {:.0f} (the points of Fig. 6a)".format(*_quoted_ratio_range()),
            "quoted (read off the figure); not measurable offline",
        ),
        ("m × mean c², three packaged models", "—", raw, "measured here (llm-packaged)"),
        ("the same after removing the mean row", "— (the paper does not centre)", cen, "measured here"),
        (
            "token-frequency exponent α",
            "≈ 1 (4 tokenizers × 4 data sets)",
            ta,
            "measured here: English word table through each tokenizer",
        ),
        (
            "word-frequency exponent α, English",
            "—",
            f"{en['alpha (ranks 1–50 000)']:.2f} (ranks ≤ 50 000), "
            f"{en['alpha (all ranks)']:.2f} (all), {sample_alpha:.2f} (10⁶-word samples)",
            "measured here",
        ),
        (
            "row norm vs token frequency (Spearman ρ)",
            "not measured (Figs. 19, 20 show norms only)",
            rho,
            "measured here",
        ),
        (
            "α_m from the loss fit of 27 LLMs",
            f"{paper.PAPER_ALPHA_M[0]} ± {paper.PAPER_ALPHA_M[1]}",
            f"{P['alpha']:.4f} ± {P['alpha_se']:.3f}",
            "quoted (losses unpublished)",
        ),
        (
            "spread of refitted α_m at the paper's residual level",
            "—",
            f"{alphas.std(ddof=1):.3f}",
            "measured here (simulation from the quoted fit)",
        ),
        (
            "k in N ∝ m^k, Chinchilla models",
            f"{paper.PAPER_CHINCHILLA_K[0]} ± {paper.PAPER_CHINCHILLA_K[1]}",
            f"{k['k_chin'].k:.3f} ± {k['k_chin'].k_se:.3f}",
            "recomputed (Table A9)",
        ),
        (
            "k in N ∝ m^k, 27 open checkpoints",
            f"{paper.PAPER_OPEN_FAMILIES_K}",
            f"{k['k_total'].k:.2f} (total), {k['k_nonemb'].k:.2f} (non-emb.)",
            "recomputed (registry)",
        ),
        (
            "α_N, Chinchilla replication",
            "0.35 ± 0.02",
            f"{paper.BESIROGLU_ALPHA_N[0]} ± {paper.BESIROGLU_ALPHA_N[1]}",
            "quoted (Besiroglu et al. 2024)",
        ),
        (
            "α_m = k α_N",
            f"{paper.PAPER_ALPHA_M_CHINCHILLA[0]} ± {paper.PAPER_ALPHA_M_CHINCHILLA[1]}",
            f"{am.value:.3f} ± {am.se:.3f} (± {am.se_linear:.3f} linear)",
            "recomputed from k and quoted α_N",
        ),
    ]
    return pd.DataFrame(rows, columns=["quantity", "paper", "this book", "source"])


def reproduction_table(stats: pd.DataFrame) -> pd.DataFrame:
    """The reproduction notes: every shipped statistic per model and variant, with its provenance."""
    cols = (
        "model variant n m stored_dtype norm_mean norm_std norm_min norm_q01 norm_median norm_q99 norm_max "
        "mean_sq_overlap mean_sq_overlap_centred random_mean_sq_overlap mean_abs_overlap mean_abs_overlap_se "
        "mean_abs_overlap_centred random_mean_abs_overlap common_norm common_share token_alpha token_alpha_se "
        "tokens_seen norm_freq_spearman norm_freq_pearson_log norm_mean_seen norm_mean_unseen seconds_read "
        "seconds_stats package file_sha256 gguf_version tokenizers_version wordfreq_version command date_utc"
    ).split()
    return stats[[c for c in cols if c in stats.columns]].set_index(["model", "variant"]).T


# --------------------------------------------------------------------------------------------- claims


def check_random(rand: pd.DataFrame) -> list[Finding]:
    """Table 6.1: the Gram method equals the all-pairs mean; m × mean c² is 1 within 3 standard errors; the
    variance of c² matches the formula within 5 %."""
    out = []
    for _, r in rand.iterrows():
        m, n = int(r["m"]), int(r["n"])
        se = math.sqrt(r["Var c², random"] / (n * (n - 1) / 2))
        out.append(
            holds(
                f"m = {m}: the Gram method gives the all-pairs mean c²",
                abs(r["mean c² (Gram)"] - r["mean c² (all pairs)"]) <= 1e-6 * r["1/m"],
                f"Gram {r['mean c² (Gram)']:.8g} vs all pairs {r['mean c² (all pairs)']:.8g}",
            )
        )
        out.append(
            within(
                f"m = {m}: random directions have mean c² = 1/m",
                r["mean c² (Gram)"],
                1 / m - 3 * se,
                1 / m + 3 * se,
                what="mean c²",
                digits=6,
            )
        )
        out.append(
            within(
                f"m = {m}: Var c² matches 2(m−1)/(m²(m+2))",
                r["Var c²"] / r["Var c², random"],
                0.95,
                1.05,
                what="measured/formula",
            )
        )
    return out


def check_toy(toy: pd.DataFrame) -> list[Finding]:
    """§6.2: in the strong regime the represented rows overlap like 1/m (median m × mean c² between 0.7 and 1.5)."""
    strong = toy[toy["gamma"] < 0]
    return [
        within(
            "toy models in strong superposition: represented rows overlap like 1/m",
            float((strong["m"] * strong["overlap_mean_gt1"]).median()),
            0.7,
            1.5,
            what="median m × mean c²",
        )
    ]


def _quoted_ratio_range() -> tuple[float, float]:
    """Smallest and largest m × mean c² among the paper's Fig. 6a points (quoted, read off the figure)."""
    r = [y / x for pts in paper.PAPER_FIG6A_OVERLAPS.values() for x, y in pts]
    return min(r), max(r)


def check_packaged(stats: pd.DataFrame) -> list[Finding]:
    """§6.3: at least three real models are measured; each one's token directions overlap more than random
    directions (m × mean c² above 1, the random baseline within 2 % of 1), within a factor 2 of the range the
    paper's checkpoints span; centring lowers the overlap but leaves it 2–8 times the random value; every row
    has a nonzero norm."""
    s = stats[stats["variant"] == "as stored"]
    lo, hi = _quoted_ratio_range()
    out = [
        at_least("at least three real trained models are measured here", len(s), 3, what="models", digits=0)
    ]
    for _, r in s.iterrows():
        name, m = r["title"], r["m"]
        out.append(
            at_least(
                f"{name}: token directions overlap more than random ones",
                m * r["mean_sq_overlap"],
                1.0,
                what="m × mean c²",
            )
        )
        out.append(
            within(
                f"{name}: overlaps in the band the paper's checkpoints span (quoted {lo:.0f}–{hi:.0f}, "
                "within a factor 2)",
                m * r["mean_sq_overlap"],
                lo / 2,
                2 * hi,
                what="m × mean c²",
            )
        )
        out.append(
            within(
                f"{name}: random rows of the same shape give m × mean c² = 1",
                m * r["random_mean_sq_overlap"],
                0.98,
                1.02,
                what="m × mean c², random rows",
                digits=3,
            )
        )
        out.append(
            within(
                f"{name}: centred, the rows still overlap a few times more than random ones",
                m * r["mean_sq_overlap_centred"],
                2.0,
                8.0,
                what="m × mean c², centred",
            )
        )
        out.append(
            at_most(
                f"{name}: removing the common direction lowers the overlap",
                r["mean_sq_overlap_centred"] / r["mean_sq_overlap"],
                1.0,
                what="centred/raw",
            )
        )
        out.append(
            at_least(
                f"{name}: every token has a nonzero row norm",
                r["norm_min"],
                1e-3,
                what="smallest row norm",
                digits=4,
            )
        )
    return out


def _row(stats: pd.DataFrame, model: str):
    r = stats[(stats["variant"] == "as stored") & (stats["model"] == model)]
    return None if r.empty else r.iloc[0]


def check_overlap_range(stats: pd.DataFrame) -> list[Finding]:
    """Table 6.3: the uncentred overlaps range from a few times 1/m (MiniLM, 2–5) to over a hundred times
    (SmolLM2); the paper's quoted points lie 5 to 100 times above 1/m."""
    lo, hi = _quoted_ratio_range()
    out = [
        within("the paper's Fig. 6a points lie 5 to 100 times above 1/m (quoted)", lo, 4, 6, what="smallest"),
        within(
            "the paper's Fig. 6a points lie 5 to 100 times above 1/m (quoted)", hi, 80, 120, what="largest"
        ),
    ]
    r = _row(stats, "minilm-l6")
    if r is not None:
        out.append(
            within(
                f"{r['title']}: a few times the random overlap",
                r["m"] * r["mean_sq_overlap"],
                2,
                5,
                what="m × mean c²",
            )
        )
    r = _row(stats, "smollm2-135m")
    if r is not None:
        out.append(
            at_least(
                f"{r['title']}: over a hundred times the random overlap",
                r["m"] * r["mean_sq_overlap"],
                100,
                what="m × mean c²",
            )
        )
    return out


def check_common_direction(stats: pd.DataFrame) -> list[Finding]:
    """§6.3: the two decoders' rows share a large common direction (at least a tenth of the squared row norm),
    which inflates their uncentred overlap at least twofold; MiniLM's common direction is small (under 5 %)."""
    out = []
    for model in ("smollm2-135m", "gemma3-270m"):
        r = _row(stats, model)
        if r is None:
            out.append(holds(f"{model} is measured", False, f"no row for {model} in the measurements"))
            continue
        out.append(
            at_least(
                f"{r['title']}: a common direction inflates the uncentred overlap",
                r["mean_sq_overlap"] / r["mean_sq_overlap_centred"],
                2.0,
                what="raw/centred mean c²",
            )
        )
        out.append(
            at_least(
                f"{r['title']}: the common direction carries a large share of the squared norm",
                r["common_share"],
                0.1,
                what="share along the mean row",
            )
        )
    r = _row(stats, "minilm-l6")
    if r is not None:
        out.append(
            at_most(
                f"{r['title']}: the common direction is small",
                r["common_share"],
                0.05,
                what="share along the mean row",
            )
        )
    return out


def check_norm_frequency(stats: pd.DataFrame) -> list[Finding]:
    """Figure 6.3: MiniLM gives frequent tokens larger norms (Spearman ρ ≥ 0.5), SmolLM2 smaller ones (ρ ≤ −0.3),
    and Gemma's rows all have the same norm (relative spread under 0.1 %), so its ρ is near 0 (|ρ| ≤ 0.1)."""
    out = []
    r = _row(stats, "minilm-l6")
    if r is not None:
        out.append(
            at_least(
                f"{r['title']}: frequent tokens have larger row norms",
                r["norm_freq_spearman"],
                0.5,
                what="Spearman ρ(norm, frequency)",
            )
        )
    r = _row(stats, "smollm2-135m")
    if r is not None:
        out.append(
            at_most(
                f"{r['title']}: frequent tokens have smaller row norms",
                r["norm_freq_spearman"],
                -0.3,
                what="Spearman ρ(norm, frequency)",
            )
        )
    r = _row(stats, "gemma3-270m")
    if r is not None:
        out.append(
            at_most(
                f"{r['title']}: all rows have the same norm, to a tenth of a percent",
                r["norm_std"] / r["norm_mean"],
                0.001,
                what="relative spread of the norms",
                digits=4,
            )
        )
        out.append(
            within(
                f"{r['title']}: its norms do not follow token frequency",
                r["norm_freq_spearman"],
                -0.1,
                0.1,
                what="Spearman ρ(norm, frequency)",
            )
        )
    return out


def check_quantization(stats: pd.DataFrame) -> list[Finding]:
    """Table 6.4: storing MiniLM's float matrix as Q8_0 (the format of the two GGUF token matrices) moves every
    statistic by less than 0.5 %; the coarser Q4_1 by less than 5 %."""
    q = quantization_effect(stats)
    out = []
    for fmt, tol in (("Q8_0", 0.005), ("Q4_1", 0.05)):
        key = f"requantized {fmt}"
        if key not in q.index:
            out.append(holds(f"the {fmt} quantization control was run", False, f"no '{key}' row"))
            continue
        worst = q.loc[key].abs()
        out.append(
            at_most(
                f"stored as {fmt}, every statistic moves by less than {tol:.1%}",
                float(worst.max()),
                tol,
                what=f"largest relative change ({worst.idxmax()})",
                digits=4,
            )
        )
    return out


def check_tokens(stats: pd.DataFrame) -> list[Finding]:
    """§6.4: through each model's tokenizer, the token-frequency exponent is near 1, at most 1.3 (1.0 to 1.3)."""
    s = stats[stats["variant"] == "as stored"]
    return [
        within(
            f"{r['title']}: token frequencies follow a power law with α near 1",
            r["token_alpha"],
            1.0,
            1.3,
            what="α",
        )
        for _, r in s.iterrows()
    ]


def check_words(zipf: pd.DataFrame, sample_alpha: float, sample_sd: float) -> list[Finding]:
    """Table 6.5: word exponents near 1 over a vocabulary-sized range, 1.0–1.45 over whole tables."""
    out = [
        within(
            f"{lang}: word α over ranks 1–50 000 is near 1", r["alpha (ranks 1–50 000)"], 0.85, 1.25, what="α"
        )
        for lang, r in zipf.iterrows()
    ]
    out += [
        within(
            f"{lang}: word α over the whole table is 1.0–1.45", r["alpha (all ranks)"], 1.0, 1.45, what="α"
        )
        for lang, r in zipf.iterrows()
    ]
    out.append(within("English, 10⁶-word samples: α between 0.95 and 1.3", sample_alpha, 0.95, 1.3, what="α"))
    out.append(
        at_most(
            "English, 10⁶-word samples: α varies little between samples",
            sample_sd,
            0.02,
            what="standard deviation",
            digits=4,
        )
    )
    return out


def check_loss_fit(alphas: np.ndarray, exact) -> list[Finding]:
    """Table 6.6: the fitter recovers the published fit without noise; with noise, α scatters by 0.02–0.08."""
    P = paper.PAPER_LOSS_FIT
    return [
        holds(
            "without noise the fitter returns the published α_m and A",
            abs(exact.alpha - P["alpha"]) < 1e-6 and abs(exact.A - P["A"]) / P["A"] < 1e-5,
            f"α = {exact.alpha:.7f} (published {P['alpha']}), A = {exact.A:.4f} (published {P['A']})",
        ),
        within(
            "noisy refits are centred on the published α_m",
            float(alphas.mean()),
            P["alpha"] - 0.02,
            P["alpha"] + 0.02,
            what="mean α",
            digits=3,
        ),
        within(
            "noisy refits scatter by 0.02–0.08",
            float(alphas.std(ddof=1)),
            0.02,
            0.08,
            what="spread",
            digits=3,
        ),
    ]


def check_chinchilla(k: dict) -> list[Finding]:
    """Table 6.7: Chinchilla's k near the paper's 2.52 ± 0.03 and the implied α_m near 0.88 ± 0.06."""
    kc, am = k["k_chin"], k["alpha_m"]
    return [
        within(
            "Chinchilla shapes give k = 2.52 (the paper's value)",
            kc.k,
            2.52 - kc.k_se,
            2.52 + kc.k_se,
            what="k",
            digits=3,
        ),
        within("α_m = k α_N is the paper's 0.88", am.value, 0.87, 0.89, what="α_m", digits=3),
        within(
            "relative errors added give the paper's ± 0.06",
            am.se_linear,
            0.055,
            0.065,
            what="error",
            digits=3,
        ),
        within(
            "open checkpoints, total parameters: k = 2.32", k["k_total"].k, 2.30, 2.34, what="k", digits=3
        ),
        within(
            "open checkpoints, non-embedding parameters: k = 2.55",
            k["k_nonemb"].k,
            2.53,
            2.57,
            what="k",
            digits=3,
        ),
    ]


def claims(rand, toy, stats, zipf, sample_alpha, sample_sd, alphas, exact, k) -> list[Finding]:
    """Every claim of chapter 6."""
    return (
        check_random(rand)
        + check_toy(toy)
        + check_packaged(stats)
        + check_overlap_range(stats)
        + check_common_direction(stats)
        + check_norm_frequency(stats)
        + check_quantization(stats)
        + check_tokens(stats)
        + check_words(zipf, sample_alpha, sample_sd)
        + check_loss_fit(alphas, exact)
        + check_chinchilla(k)
    )
