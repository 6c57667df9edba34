"""Chapter 6's figure builders: the plotly figures behind the chapter (loaded, computed and checked in
:mod:`superscale.chapters.ch6_llms`, which re-exports them).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import llm, paper
from ..figures import COLOR_STRONG, COLOR_WEAK, TEMPLATE, log_spaced_ranks, slider_figure

FAMILY_COLORS = {"OPT": "#1f77b4", "Qwen2.5": "#ff7f0e", "GPT-2": "#2ca02c", "Pythia": "#d62728"}
MODEL_COLORS = {"minilm-l6": "#8c564b", "smollm2-135m": "#e377c2", "gemma3-270m": "#17becf"}
RANDOM_WIDTHS = (16, 32, 64, 128, 256, 512, 1024)


def _overlap_density(c, m):
    from scipy.special import gammaln

    logk = gammaln(m / 2) - gammaln((m - 1) / 2) - 0.5 * math.log(math.pi)
    return np.exp(logk + (m - 3) / 2 * np.log1p(-(c**2)))


def random_histogram_figure(rand_stats: dict, n: int):
    """Figure 6.1: histogram of the overlaps of n random directions against the exact density, slider over m."""
    import plotly.graph_objects as go

    def traces(m):
        st = rand_stats[m]
        edges, counts = st.hist_edges, st.hist_counts
        centres, width = (edges[1:] + edges[:-1]) / 2, edges[1] - edges[0]
        keep = np.abs(centres) <= min(1.0, 6 / math.sqrt(m))
        dens = counts / (counts.sum() * width)
        return [
            go.Bar(
                x=centres[keep],
                y=dens[keep],
                width=width,
                name="measured (all pairs)",
                marker_color="#9ecae1",
                hovertemplate="c = %{x:.3f}<br>density %{y:.3g}<extra></extra>",
            ),
            go.Scatter(
                x=centres[keep],
                y=_overlap_density(centres[keep], m),
                mode="lines",
                name="random, exact",
                line=dict(color=COLOR_STRONG, width=2),
            ),
        ]

    widths = list(rand_stats)
    return slider_figure(
        widths,
        traces,
        label=str,
        prefix="width m = ",
        active=min(3, len(widths) - 1),
        title=lambda m: (
            f"Overlaps of {n} random directions in m = {m}: mean c² = {rand_stats[m].mean_sq:.4g}, "
            f"1/m = {1 / m:.4g}"
        ),
        layout=dict(
            xaxis_title="overlap c = ŵ<sub>i</sub>·ŵ<sub>j</sub>",
            yaxis_title="density",
            height=460,
            bargap=0,
            legend=dict(x=0.01, y=0.98),
            template=TEMPLATE,
        ),
    )


def overlap_vs_width_figure(
    rand: pd.DataFrame, toy: pd.DataFrame | None, stats: pd.DataFrame, live: pd.DataFrame | None = None
):
    """Figure 6.2: mean squared overlap against 1/m: random rows, the toy models, the three packaged models
    (as stored and centred, measured here), live Hub measurements if any, and the paper's Fig. 6a (quoted)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for fam, pts in paper.PAPER_FIG6A_OVERLAPS.items():
        x, y = zip(*pts)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="markers",
                name=f"{fam} (quoted: paper's Fig. 6a, read off)",
                marker=dict(
                    size=8,
                    color=FAMILY_COLORS[fam],
                    symbol="x-thin-open",
                    line=dict(width=2, color=FAMILY_COLORS[fam]),
                ),
                opacity=0.6,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=1 / rand["m"],
            y=rand["mean c² (Gram)"],
            mode="markers",
            name="random directions (measured here)",
            marker=dict(symbol="circle-open", size=10, color="black"),
        )
    )
    if toy is not None:
        strong = toy[toy["gamma"] < 0]
        for col, label, symbol in (
            ("overlap_mean_gt1", "rows with norm > 1", "diamond"),
            ("overlap_mean_all", "all rows", "diamond-open"),
        ):
            med = strong.groupby("m")[col].median()
            fig.add_trace(
                go.Scatter(
                    x=1 / med.index.values,
                    y=med.values,
                    mode="markers+lines",
                    name=f"toy models, γ < 0, {label} (median, measured here)",
                    marker=dict(symbol=symbol, size=9, color="#9467bd"),
                )
            )
    s = stats[stats["variant"] == "as stored"]
    for _, r in s.iterrows():
        c = MODEL_COLORS.get(r["model"], "#444")
        fig.add_trace(
            go.Scatter(
                x=[1 / r["m"]] * 2,
                y=[r["mean_sq_overlap"], r["mean_sq_overlap_centred"]],
                mode="markers+lines",
                name=f"{r['title']} (measured here): raw ● / centred ○",
                line=dict(color=c, width=1),
                marker=dict(size=[13, 11], color=c, symbol=["circle", "circle-open"]),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=1 / s["m"],
            y=s["random_mean_sq_overlap"],
            mode="markers",
            text=s["title"],
            name="Gaussian rows of each model's shape (measured here)",
            marker=dict(symbol="square-open", size=9, color="gray"),
        )
    )
    if live is not None and len(live):
        for fam, sub in live.groupby(live["family"].fillna("other")):
            fig.add_trace(
                go.Scatter(
                    x=1 / sub["m"],
                    y=sub["mean_sq_overlap"],
                    mode="markers",
                    text=sub["model"],
                    name=f"{fam} (measured live)",
                    marker=dict(size=10, color=FAMILY_COLORS.get(fam)),
                )
            )
    x = np.array([5e-5, 0.1])
    fig.add_trace(go.Scatter(x=x, y=x, mode="lines", name="1/m", line=dict(dash="dash", color="gray")))
    fig.update_layout(
        xaxis=dict(type="log", title="1/m"),
        yaxis=dict(type="log", title="mean squared overlap"),
        height=560,
        title_text="Mean squared overlap against 1/m",
        template=TEMPLATE,
        legend=dict(font=dict(size=10)),
    )
    return fig


def norms_figure(stats: pd.DataFrame, curves: pd.DataFrame):
    """Figure 6.3: per packaged model (slider), the histogram of row norms and the median row norm (with
    quartiles) against the token's frequency through the model's own tokenizer."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    s = stats[stats["variant"] == "as stored"].set_index("model")
    models = list(s.index)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("row norms", "row norm against token frequency"))
    for k, model in enumerate(models):
        c = curves[curves["model"] == model]
        h, nf = c[c["series"] == "norm_hist"], c[c["series"] == "norm_by_frequency"]
        col, vis = MODEL_COLORS.get(model, "#444"), k == 0
        fig.add_trace(
            go.Bar(x=h["x"], y=h["y"], name="row norms", marker_color=col, visible=vis, showlegend=False),
            1,
            1,
        )
        fig.add_trace(
            go.Scatter(
                x=10 ** nf["x"],
                y=nf["y"],
                mode="lines+markers",
                name="median norm",
                line=dict(color=col),
                visible=vis,
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=nf["y_hi"] - nf["y"],
                    arrayminus=nf["y"] - nf["y_lo"],
                    thickness=1,
                ),
            ),
            1,
            2,
        )
    steps = []
    for k, model in enumerate(models):
        vis = [False] * (2 * len(models))
        vis[2 * k : 2 * k + 2] = [True, True]
        r = s.loc[model]
        title = (
            f"{r['title']}: {int(r['n'])} rows of width {int(r['m'])}; Spearman ρ(norm, frequency) = "
            f"{r['norm_freq_spearman']:.2f} over {int(r['tokens_seen'])} tokens seen"
        )
        steps.append(dict(method="update", label=model, args=[{"visible": vis}, {"title.text": title}]))
    fig.update_layout(
        sliders=[dict(active=0, steps=steps, pad={"t": 50}, currentvalue={"prefix": "model: "})],
        title_text=steps[0]["args"][1]["title.text"],
        height=470,
        template=TEMPLATE,
        showlegend=False,
        bargap=0,
    )
    fig.update_xaxes(title_text="row norm |w_i|", row=1, col=1)
    fig.update_yaxes(title_text="tokens", row=1, col=1)
    fig.update_xaxes(
        title_text="token frequency (word tables through the tokenizer)", type="log", row=1, col=2
    )
    fig.update_yaxes(title_text="row norm: median and quartiles", row=1, col=2)
    return fig


def rank_frequency_figure(
    stats: pd.DataFrame, curves: pd.DataFrame, word_counts: dict[str, np.ndarray], zipf: pd.DataFrame
):
    """Figure 6.4: rank-frequency curves with the paper's fit, slider over the packaged models' tokenizers
    (English words through each tokenizer) and the word tables of every language."""
    import plotly.graph_objects as go

    s = stats[stats["variant"] == "as stored"].set_index("model")
    keys = [f"tokens: {m}" for m in s.index] + [f"words: {lang}" for lang in word_counts]

    def data(key):
        kind, name = key.split(": ")
        if kind == "tokens":
            c = curves[(curves["model"] == name) & (curves["series"] == "rank_frequency")]
            return (
                c["x"].to_numpy(),
                c["y"].to_numpy(),
                s.loc[name, "token_alpha"],
                MODEL_COLORS.get(name, "#444"),
            )
        f = word_counts[name]
        r = log_spaced_ranks(f.size, 400)
        return r, f[r - 1], zipf.loc[name, "alpha (all ranks)"], COLOR_STRONG

    def traces(key):
        r, f, a, col = data(key)
        amp = np.exp(np.mean(np.log(f) + a * np.log(r)))  # line of the fitted slope through the curve
        return [
            go.Scatter(x=r, y=f, mode="lines", name="measured", line=dict(color=col)),
            go.Scatter(
                x=r,
                y=amp * r.astype(float) ** -a,
                mode="lines",
                name=f"slope −{a:.3f} (the fit)",
                line=dict(dash="dash", color=COLOR_WEAK),
            ),
        ]

    return slider_figure(
        keys,
        traces,
        prefix="",
        active=0,
        title=lambda key: f"Frequency against rank, {key}: α = {data(key)[2]:.3f}",
        layout=dict(
            xaxis=dict(type="log", title="rank"),
            yaxis=dict(type="log", title="frequency"),
            height=460,
            template=TEMPLATE,
        ),
    )


def published_fit_figure():
    """Figure 6.5: the paper's fitted loss curves, quoted, one data set per slider step (not data)."""
    import plotly.graph_objects as go

    P = paper.PAPER_LOSS_FIT
    m_grid = np.geomspace(500, 10_000, 200)

    def traces(dataset):
        out = []
        for fam in llm.FAMILIES:
            B = P["offsets"][(fam, dataset)]
            ms = np.array(sorted({c.fit_width for c in llm.REGISTRY.family(fam)}), dtype=float)
            col = FAMILY_COLORS[fam]
            out.append(
                go.Scatter(
                    x=m_grid,
                    y=P["A"] * m_grid ** -P["alpha"] + B,
                    mode="lines",
                    name=f"{fam}: B = {B:.3f}",
                    line=dict(color=col),
                )
            )
            out.append(
                go.Scatter(
                    x=ms,
                    y=P["A"] * ms ** -P["alpha"] + B,
                    mode="markers",
                    showlegend=False,
                    marker=dict(color=col, size=8, symbol="circle-open"),
                    hovertemplate=f"{fam}, m = %{{x}}<br>fitted L = %{{y:.3f}}<extra>fit, not data</extra>",
                )
            )
        return out

    return slider_figure(
        list(paper.DATASETS),
        traces,
        prefix="data set: ",
        title=lambda d: (
            f"Published fit (quoted): L = {P['A']:.2f} / m<sup>{P['alpha']:.4f}</sup> + B, data set {d}"
        ),
        layout=dict(
            xaxis=dict(type="log", title="hidden width m"),
            yaxis=dict(title="loss (nats per token)"),
            height=480,
            template=TEMPLATE,
        ),
    )


def size_figure(k: dict):
    """Figure 6.6: parameters against width with the fitted power laws; slider over the three ways of counting."""
    import plotly.graph_objects as go

    chin, reg = k["chin"], k["reg"]
    sets = {
        "Chinchilla (Table A9)": (
            chin["d_model"].to_numpy(),
            chin["params_million"].to_numpy() * 1e6,
            np.array(["Chinchilla"] * len(chin)),
            k["k_chin"],
        ),
        "27 checkpoints, total": (
            reg["width"].to_numpy(),
            reg["n_params"].to_numpy(),
            reg["family"].to_numpy(),
            k["k_total"],
        ),
        "27 checkpoints, non-embedding": (
            reg["width"].to_numpy(),
            reg["n_params_nonembedding"].to_numpy(),
            reg["family"].to_numpy(),
            k["k_nonemb"],
        ),
    }
    colors = dict(FAMILY_COLORS, Chinchilla="#7f7f7f")

    def traces(key):
        m, N, fam, f = sets[key]
        out = []
        for name in ["Chinchilla", *llm.FAMILIES]:
            sel = fam == name
            xs = np.geomspace(max(m.min() * 0.9, 400), m.max() * 1.1, 50)
            if sel.any():
                out.append(
                    go.Scatter(
                        x=m[sel], y=N[sel], mode="markers", name=name, marker=dict(color=colors[name], size=8)
                    )
                )
                out.append(
                    go.Scatter(
                        x=xs,
                        y=f.predict(xs, name if len(f.intercepts) > 1 else None),
                        mode="lines",
                        showlegend=False,
                        line=dict(color=colors[name], dash="dash"),
                    )
                )
            else:  # the same number of traces in every slider step
                out += [go.Scatter(x=[], y=[], showlegend=False), go.Scatter(x=[], y=[], showlegend=False)]
        return out

    return slider_figure(
        list(sets),
        traces,
        prefix="",
        title=lambda key: f"Parameters against width, {key}: N ∝ m<sup>{sets[key][3].k:.2f}</sup>",
        layout=dict(
            xaxis=dict(type="log", title="width m (d_model)"),
            yaxis=dict(type="log", title="parameters N"),
            height=480,
            template=TEMPLATE,
        ),
    )


def random_overlap_live_figure(m: int = 64, n: int = 2000):
    """The live version of Figure 6.1 (Colab or Jupyter): overlaps of n random directions in width m."""
    import plotly.graph_objects as go

    W = np.random.default_rng(m * 100_003 + n).standard_normal((n, m))
    st = llm.overlap_stats_blocks(W, block_rows=2048, bins=200)
    centres, width = (st.hist_edges[1:] + st.hist_edges[:-1]) / 2, st.hist_edges[1] - st.hist_edges[0]
    keep = np.abs(centres) <= min(1.0, 6 / math.sqrt(m))
    f = go.Figure(
        [
            go.Bar(
                x=centres[keep],
                y=(st.hist_counts / (st.hist_counts.sum() * width))[keep],
                width=width,
                name="measured",
            ),
            go.Scatter(x=centres[keep], y=_overlap_density(centres[keep], m), name="random, exact"),
        ]
    )
    f.update_layout(
        title_text=f"n = {n}, m = {m}: mean c² = {st.mean_sq:.4g}, 1/m = {1 / m:.4g}",
        bargap=0,
        xaxis_title="overlap c",
        yaxis_title="density",
        height=420,
        template=TEMPLATE,
    )
    return f
