"""Workbook 6 (chapter 6, real language models): every check passes on the notebook's solutions and fails, with
its explanation, on the typical wrong answers (superscale.workbook.ch6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from superscale import workbook
from superscale.fit import fit_rank_frequency
from superscale.workbook import ch6 as wb

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "workbook" / "wb6_llms.ipynb"


@pytest.fixture(scope="module")
def sol():
    """The notebook's solutions, executed after its import cell (the cell after the set-up cell)."""
    nb = json.loads(NOTEBOOK.read_text())
    code = [
        c for c in nb["cells"] if c["cell_type"] == "code" and "setup" not in c["metadata"].get("tags", [])
    ]
    ns: dict = {}
    exec("".join(code[0]["source"]), ns)
    for cell in code:
        if "solution" in cell["metadata"].get("tags", []):
            exec("".join(cell["source"]), ns)
    return ns


def _fails(check, *fns, match: str):
    with pytest.raises(workbook.ExerciseError, match=match):
        check(*fns)


def _raises_not_implemented(*args):
    raise NotImplementedError("fill me in")


# ------------------------------------------------------------------------------------------- 6.1


def test_overlaps_pass_on_the_solution(sol, capsys):
    assert wb.check_overlaps(sol["mean_sq_overlap"], sol["centred_mean_sq_overlap"]) is True
    assert "✓ mean squared overlap" in capsys.readouterr().out


def test_overlaps_stub_is_not_done_yet(sol, capsys):
    assert wb.check_overlaps(_raises_not_implemented, sol["centred_mean_sq_overlap"]) is False
    assert "not done yet" in capsys.readouterr().out


def _unit(W):
    return W / np.linalg.norm(W, axis=1, keepdims=True)


def _with_diagonal(W):
    U = _unit(W)
    return float(((U @ U.T) ** 2).mean())


def _not_normalised(W):
    G = W @ W.T
    n = len(W)
    return float(((G**2).sum() - (np.diag(G) ** 2).sum()) / (n * (n - 1)))


def test_overlaps_catch_the_diagonal_and_missing_normalisation(sol):
    c = sol["centred_mean_sq_overlap"]
    _fails(wb.check_overlaps, _with_diagonal, c, match="includes the pairs i = j")
    _fails(wb.check_overlaps, _not_normalised, c, match="divide each row by its norm")


def test_overlaps_catch_centring_mistakes(sol):
    f = sol["mean_sq_overlap"]
    _fails(wb.check_overlaps, f, f, match="subtract the mean row")  # not centred at all
    _fails(
        wb.check_overlaps,
        f,
        lambda W: f(_unit(W) - _unit(W).mean(axis=0)),
        match="normalised the rows before",
    )
    _fails(wb.check_overlaps, f, lambda W: f(W - W.mean(axis=1, keepdims=True)), match="axis=1")


def test_planted_direction_inflates_the_uncentred_overlap(sol):
    W = wb.planted_matrix()
    m = W.shape[1]
    raw, cen = m * sol["mean_sq_overlap"](W), m * sol["centred_mean_sq_overlap"](W)
    assert raw > 1.5 * cen and 0.8 < m * sol["mean_sq_overlap"](wb.planted_matrix(strength=0.0)) < 1.2


# ------------------------------------------------------------------------------------------- 6.2


def test_binned_spearman_passes_on_the_solution(sol):
    assert wb.check_binned_spearman(sol["binned_spearman"]) is True


def test_binned_spearman_catches_pearson_unweighted_and_sign(sol):
    def pearson(t):
        c = t["count"].to_numpy(int)
        return float(np.corrcoef(np.repeat(t["x"], c), np.repeat(t["y"], c))[0, 1])

    _fails(wb.check_binned_spearman, pearson, match="Pearson")
    _fails(
        wb.check_binned_spearman,
        lambda t: float(stats.spearmanr(t["x"], t["y"]).statistic),
        match="same weight",
    )
    _fails(wb.check_binned_spearman, lambda t: -sol["binned_spearman"](t), match="wrong sign")


def test_binned_signs_agree_with_the_chapter_for_minilm_and_smollm2(sol):
    shipped = wb.shipped_statistics()["norm_freq_spearman"]
    for model, t in wb.norm_frequency_tables().items():
        if model != "gemma3-270m":
            assert np.sign(sol["binned_spearman"](t)) == np.sign(shipped[model])


# ------------------------------------------------------------------------------------------- 6.3


def test_token_alpha_passes_on_the_solution(sol):
    assert wb.check_token_alpha(sol["token_alpha"]) is True


def test_token_alpha_catches_sign_logs_positions_and_error(sol):
    good = sol["token_alpha"]

    def positions(c):
        f = fit_rank_frequency(c["freq"])
        return f.exponent, f.exponent_se

    def no_logs(c):
        r = stats.linregress(c["rank"], c["freq"])
        return -r.slope, r.stderr

    _fails(wb.check_token_alpha, lambda c: (-good(c)[0], good(c)[1]), match="minus the slope")
    _fails(wb.check_token_alpha, no_logs, match="log-log")
    _fails(wb.check_token_alpha, positions, match="ranks 1, 2, 3")
    _fails(wb.check_token_alpha, lambda c: (good(c)[0], 2 * good(c)[1]), match="standard error")


def test_token_alpha_is_near_one_but_steeper(sol):
    for curve in wb.rank_frequency_curves().values():
        assert 1.0 < sol["token_alpha"](curve)[0] < 1.3


# ------------------------------------------------------------------------------------------- 6.4


def test_size_exponent_passes_on_the_solution(sol):
    assert wb.check_size_exponent(sol["size_exponent"], sol["width_exponent"]) is True
    chin = wb.chinchilla_shapes()
    k, _ = sol["size_exponent"](chin["width"], chin["n_params"])
    assert abs(k - 2.52) < 0.03


def test_size_exponent_catches_swapped_axes_no_logs_and_error_rules(sol):
    fk, fa = sol["size_exponent"], sol["width_exponent"]

    def swapped(m, N):
        r = stats.linregress(np.log(N), np.log(m))
        return r.slope, r.stderr

    def no_logs(m, N):
        r = stats.linregress(m, N)
        return r.slope, r.stderr

    def linear_error(k, k_se, a, a_se):
        return k * a, k * a * (k_se / k + a_se / a)

    _fails(wb.check_size_exponent, swapped, fa, match="regressed ln m on ln N")
    _fails(wb.check_size_exponent, no_logs, fa, match="log-log")
    _fails(wb.check_size_exponent, fk, lambda k, ks, a, s: (a / k, s), match="α_N / k")
    _fails(wb.check_size_exponent, fk, linear_error, match="quadrature")


def test_wrong_return_shape_is_explained(sol):
    _fails(wb.check_token_alpha, lambda c: sol["token_alpha"](c)[0], match="two numbers")
    _fails(wb.check_overlaps, lambda W: np.zeros(3), sol["centred_mean_sq_overlap"], match="one number")


def test_tables_have_the_documented_columns():
    for t in wb.norm_frequency_tables().values():
        assert list(t.columns) == ["x", "y", "count"] and len(t) == 20
    for c in wb.rank_frequency_curves().values():
        assert list(c.columns) == ["rank", "freq"] and c["rank"].is_monotonic_increasing
    assert isinstance(wb.chinchilla_shapes(), pd.DataFrame) and len(wb.chinchilla_shapes()) == 50
