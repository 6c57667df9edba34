"""Chapter 1 (feature frequencies): its tables and figures, and its claims on the chapter's own data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
import torch

from superscale import checks, data, figures, fit, theory
from superscale.chapters import ch1_frequencies as ch1

N = ch1.N_FEATURES


@pytest.fixture(scope="module")
def batch():
    """The chapter's batch: 20 000 samples from p_i ∝ i^-1, n = 1000, E = 1, seed 0."""
    p = data.power_law_frequencies(N, 1.0, E=1.0)
    x = data.sample_features(p, batch_size=20_000, generator=torch.Generator().manual_seed(0)).numpy()
    return x, p


@pytest.fixture(scope="module")
def slopes():
    return ch1.slope_table()


@pytest.fixture(scope="module")
def curves():
    pytest.importorskip("wordfreq")
    return ch1.word_frequency_curves()


@pytest.fixture(scope="module")
def zipf(curves):
    return ch1.zipf_table(curves, ch1.zipf_fits(curves))


def failed(findings: list[checks.Finding]) -> list[checks.Finding]:
    return [f for f in findings if not f.ok]


# ---------------------------------------------------------------------------------------------
# (a) the chapter's claims hold on its data
# ---------------------------------------------------------------------------------------------


def test_all_claims_hold(batch, slopes, zipf):
    x, p = batch
    findings = checks.require(ch1.claims(x, p, slopes, zipf), quiet=True)
    names = {f.claim for f in findings}
    # every part of the chapter is covered
    assert "the sampled moments agree with the exact ones" in names
    assert "with 10^6 features the fitted exponent is α − 1" in names
    assert "real word frequencies are close to Zipf's α = 1" in names
    assert "a density above the largest allowed one is refused with the allowed range" in names


def test_claims_without_wordfreq_hold(batch, slopes):
    x, p = batch
    assert not failed(ch1.check_frequencies() + ch1.check_moments(x, p) + ch1.check_slopes(slopes))


# ---------------------------------------------------------------------------------------------
# (b) breaking the data breaks the named claim, with a readable message
# ---------------------------------------------------------------------------------------------


def test_steeper_word_counts_break_the_zipf_claim(curves):
    # a copy of the word counts with every frequency squared: f ∝ r^-2α, no longer Zipf-like
    squared = {name: f**2 for name, f in curves.items()}
    table = ch1.zipf_table(squared, ch1.zipf_fits(squared))
    bad = failed(ch1.check_zipf(table))
    claims = {f.claim for f in bad}
    assert "real word frequencies are close to Zipf's α = 1" in claims
    english = next(f for f in bad if f.claim.startswith("real word") and "English" in f.message)
    assert "the fitted exponent of English is 2.2" in english.message
    assert "more than 0.200 of 1.000" in english.message


def test_an_edited_table_1_1_fails_by_name(batch, slopes, zipf):
    x, p = batch
    edited = slopes.copy()
    row = edited["alpha"] == 1.5
    edited.loc[row, "alpha_m (n = 10^6)"] = 0.6  # a copy of Table 1.1 with one number changed
    with pytest.raises(checks.ClaimFailed) as err:
        checks.require(ch1.claims(x, p, edited, zipf))
    text = str(err.value)
    assert "1 of " in text
    assert (
        "with 10^6 features the fitted exponent is α − 1: α_m at α = 1.5, n = 10^6 is 0.600, outside" in text
    )


def test_wrong_feature_values_break_the_moments_claim(batch):
    x, p = batch
    bad = failed(ch1.check_moments(x / 2, p))  # values uniform on (0, 1) instead of (0, 2)
    assert {f.claim for f in bad} == {"the sampled moments agree with the exact ones"}
    assert (
        len(bad) == 4
    )  # the mean and second moment of features 1 and 10; the count of active ones is unchanged
    assert any("<x_1> over 20000 samples" in f.message and "more than" in f.message for f in bad)


def test_a_sampler_with_the_wrong_density_breaks_the_moments_claim(batch):
    x, p = batch
    bad = failed(ch1.check_moments(x, p * 1.2))
    assert any(f.message.startswith("the sampled active features per sample") for f in bad)


def test_frequencies_that_accept_any_density_break_the_refusal_claim(monkeypatch):
    real = data.power_law_frequencies

    def lenient(n, alpha, E=1.0):
        return np.minimum(real(n, alpha) * E, 1.0)  # clips instead of refusing

    monkeypatch.setattr(data, "power_law_frequencies", lenient)
    bad = failed(ch1.check_frequencies(alphas=(1.0,)))
    assert [f.claim for f in bad] == [
        "a density above the largest allowed one is refused with the allowed range"
    ]
    assert "no error was raised" in bad[0].message


def test_a_flat_loss_above_alpha_1_breaks_the_power_law_claim(slopes):
    edited = slopes.copy()
    edited.loc[edited["alpha"] == 1.25, "R^2 (n = 1000)"] = 0.95
    bad = failed(ch1.check_slopes(edited))
    assert [f.claim for f in bad] == ["for α ≤ 1 the loss is not a power law"]
    assert "R² = 0.950" in bad[0].message


# ---------------------------------------------------------------------------------------------
# (c) the chapter's functions
# ---------------------------------------------------------------------------------------------


def test_moments_table_exact_column(batch):
    x, p = batch
    t = ch1.moments_table(x, p)
    assert list(t.columns) == ["quantity", "sampled", "exact"]
    assert t["exact"].tolist() == pytest.approx([1.0, p[0], 4 / 3 * p[0], p[9], 4 / 3 * p[9]])
    assert t.loc[0, "sampled"] == pytest.approx((x > 0).sum(axis=1).mean())
    with pytest.raises(ValueError, match="x must be a batch"):
        ch1.moments_table(x[:, :10], p)
    with pytest.raises(ValueError, match="p must be"):
        ch1.moments_table(x, p[:5])


def test_slope_table_matches_a_direct_fit(slopes):
    widths = np.array(ch1.PAPER_WIDTHS)
    direct = fit.fit_power_law(widths, theory.weak_loss(data.power_law_frequencies(N, 1.5), widths))
    row = slopes.set_index("alpha").loc[1.5]
    assert row["alpha_m (n = 1000)"] == direct.exponent
    assert row["R^2 (n = 1000)"] == direct.r2
    assert np.isnan(slopes.set_index("alpha").loc[1.0, "alpha - 1"])
    assert list(slopes.columns) == [
        "alpha",
        "alpha_m (n = 1000)",
        "alpha_m (n = 10^6)",
        "alpha - 1",
        "R^2 (n = 1000)",
    ]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"widths": [10, 20]}, "widths"),
        ({"widths": [10, 100, 1000]}, "widths"),
        ({"n_large": 500}, "n_large"),
    ],
)
def test_slope_table_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ch1.slope_table(**kwargs)


def test_zipf_table_on_exact_power_laws():
    r = np.arange(1, 20_001, dtype=float)
    curves = {"a": r**-1.1, "b": r**-0.9}
    table = ch1.zipf_table(curves, ch1.zipf_fits(curves)).set_index("language")
    assert table.loc["a", "alpha"] == pytest.approx(1.1, abs=1e-9)
    assert table.loc["b", "alpha"] == pytest.approx(0.9, abs=1e-9)
    assert (table["spread over rank windows"] < 1e-9).all()  # a pure power law: every window agrees
    assert (table["R^2"] > 1 - 1e-12).all()
    with pytest.raises(ValueError, match="fits must have one fit per curve"):
        ch1.zipf_table(curves, {"a": ch1.zipf_fits(curves)["a"]})


def test_check_zipf_needs_table_1_2():
    with pytest.raises(ValueError, match="zipf must be Table 1.2"):
        ch1.check_zipf(pd.DataFrame({"language": ["x"], "alpha": [1.0]}))


def test_check_slopes_needs_both_sides_of_alpha_1(slopes):
    with pytest.raises(ValueError, match="slopes must hold rows"):
        ch1.check_slopes(slopes[slopes["alpha"] > 1])
    with pytest.raises(ValueError, match="slopes must have a column"):
        ch1.check_slopes(slopes.drop(columns="R^2 (n = 1000)"))


def test_frequency_traces_draw_p_and_the_loss():
    tr_p, tr_loss = ch1.frequency_traces(1.0, n=100)
    p = data.power_law_frequencies(100, 1.0)
    assert np.allclose(tr_p.y, p[np.asarray(tr_p.x) - 1])
    assert np.allclose(tr_loss.y, theory.weak_loss(p, np.asarray(tr_loss.x)))
    assert tr_p.xaxis == "x" and tr_loss.xaxis == "x2"


def test_frequency_slider_has_all_alphas():
    fig = ch1.frequency_slider_figure([0.0, 1.0, 2.0], n=100)
    assert [s.label for s in fig.layout.sliders[0].steps] == ["0", "1", "2"]
    assert len(fig.data) == 6 and fig.layout.sliders[0].active == 1
    assert len(ch1.frequency_slider_figure(n=100).layout.sliders[0].steps) == 17  # the paper's α by default


def test_book_renderer_omits_plotlyjs(monkeypatch):
    monkeypatch.setenv("SUPERSCALE_BOOK_BUILD", "1")
    assert figures.setup_plotly() == figures.BOOK_RENDERER
    fig = ch1.frequency_figure(1.0, n=100)
    html = pio.renderers[figures.BOOK_RENDERER].to_mimebundle(fig.to_dict())["text/html"]
    assert "Plotly.newPlot" in html
    assert len(html) < 200_000  # no embedded plotly.js (which is about 4.8 MB)


def test_show_frequencies_refuses_too_large_a_density(capsys):
    ch1.show_frequencies(alpha=1.0, E=10.0, n=1000)
    assert "E = 10.0 is too large for alpha = 1.0: at most 7.49" in capsys.readouterr().out


def test_rank_frequency_figure_draws_each_curve_and_fit():
    r = np.arange(1, 1001, dtype=float)
    curves = {"a": r**-1.0, "b": r**-1.2}
    fits = ch1.zipf_fits(curves, min_rank=1)
    fig = ch1.rank_frequency_figure(curves, fits)
    assert [t.name for t in fig.data] == ["a", "a: α = 1.00", "b", "b: α = 1.20"]
    assert fig.layout.title.text.startswith("Word frequency against rank")
    assert len(ch1.rank_frequency_figure(curves).data) == 2
