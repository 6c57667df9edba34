"""Chapter 6's claims on the shipped data, and what a broken claim looks like (superscale.chapters.ch6_llms)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from superscale import checks
from superscale.chapters import ch6_llms as ch6


@pytest.fixture(scope="module")
def stats():
    return ch6.load_packaged()[0]


@pytest.fixture(scope="module")
def chapter(stats):
    rand, _ = ch6.random_directions(n=1500, widths=[16, 64, 256])
    toy = ch6.load_toy("paper-small")
    words = ch6.load_word_tables("large")
    zipf = ch6.word_zipf_table(words)
    sample_alpha, sample_sd, _ = ch6.sampled_word_alpha(words["en"])
    _, alphas, exact = ch6.published_fit_replicas(replicas=40)
    k = ch6.size_exponents()
    return dict(
        rand=rand,
        toy=toy,
        stats=stats,
        zipf=zipf,
        sample_alpha=sample_alpha,
        sample_sd=sample_sd,
        alphas=alphas,
        exact=exact,
        k=k,
    )


def test_every_claim_holds_on_the_shipped_data(chapter):
    c = chapter
    found = ch6.claims(
        c["rand"],
        c["toy"],
        c["stats"],
        c["zipf"],
        c["sample_alpha"],
        c["sample_sd"],
        c["alphas"],
        c["exact"],
        c["k"],
    )
    assert len(found) > 40
    checks.require(found)  # raises, listing every failed statement


def test_a_broken_common_direction_claim_fails_readably(stats):
    broken = stats.copy()
    sel = broken["model"] == "smollm2-135m"
    broken.loc[sel, "mean_sq_overlap_centred"] = broken.loc[sel, "mean_sq_overlap"]
    f = ch6.check_common_direction(broken)[0]
    assert not f.ok
    assert "a common direction inflates the uncentred overlap" in f.claim
    assert "raw/centred mean c² is 1.00, below 2.00" in f.message
    with pytest.raises(checks.ClaimFailed, match="SmolLM2-135M-Instruct: a common direction"):
        checks.require([f])


def test_a_broken_quantization_control_fails_readably(stats):
    broken = stats.copy()
    sel = (broken["model"] == "minilm-l6") & (broken["variant"] == "requantized Q8_0")
    broken.loc[sel, "norm_mean"] *= 1.02
    bad = [f for f in ch6.check_quantization(broken) if not f.ok]
    assert len(bad) == 1 and "Q8_0" in bad[0].claim and "(norm mean)" in bad[0].message


def test_fewer_than_three_models_fails(stats):
    one = stats[stats["model"] == "minilm-l6"]
    f = ch6.check_packaged(one)[0]
    assert not f.ok and "models is 1, below 3" in f.message


def test_norm_frequency_claim_fails_when_the_sign_flips(stats):
    broken = stats.copy()
    broken.loc[broken["model"] == "smollm2-135m", "norm_freq_spearman"] *= -1
    bad = [f for f in ch6.check_norm_frequency(broken) if not f.ok]
    assert len(bad) == 1 and "SmolLM2-135M-Instruct: frequent tokens have smaller row norms" == bad[0].claim
    assert "Spearman ρ(norm, frequency) is 0.62, above -0.30" in bad[0].message


def test_quantization_effect_is_relative_change(stats):
    q = ch6.quantization_effect(stats)
    assert list(q.index) == ["requantized Q8_0", "requantized Q4_1"]
    ref = stats[(stats["model"] == "minilm-l6") & (stats["variant"] == "as stored")].iloc[0]
    row = stats[(stats["model"] == "minilm-l6") & (stats["variant"] == "requantized Q4_1")].iloc[0]
    assert q.loc["requantized Q4_1", "mean c²"] == pytest.approx(
        row["mean_sq_overlap"] / ref["mean_sq_overlap"] - 1
    )
    with pytest.raises(ValueError, match="no 'as stored' row"):
        ch6.quantization_effect(stats[stats["variant"] != "as stored"])


def test_random_directions_and_summary(chapter):
    rand = chapter["rand"]
    assert list(rand["m"]) == [16, 64, 256]
    assert np.allclose(rand["m × mean c²"], 1, atol=0.05)
    t = ch6.summary_table(
        chapter["rand"],
        chapter["toy"],
        chapter["stats"],
        chapter["zipf"],
        chapter["sample_alpha"],
        chapter["alphas"],
        chapter["k"],
    )
    assert isinstance(t, pd.DataFrame) and {"quantity", "paper", "this book", "source"} == set(t.columns)
    assert t["source"].str.contains("measured here").sum() >= 6


def test_figures_build(chapter, stats):
    _, curves = ch6.load_packaged()
    fig = ch6.overlap_vs_width_figure(chapter["rand"], chapter["toy"], stats)
    names = [t.name for t in fig.data]
    assert sum("measured here): raw" in n for n in names) == 3
    assert sum("quoted: paper's Fig. 6a" in n for n in names) == 4
    same_shape = next(t for t in fig.data if "each model's shape" in t.name)
    assert np.allclose(np.asarray(same_shape.y) / np.asarray(same_shape.x), 1, atol=0.02)
    nf = ch6.norms_figure(stats, curves)
    assert len(nf.data) == 6 and len(nf.layout.sliders[0].steps) == 3
