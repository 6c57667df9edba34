"""Workbook 5 (chapter 5): every check passes on the notebook's solutions and explains typical wrong answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from superscale import geometry
from superscale.workbook import ExerciseError, solution_namespace
from superscale.workbook import ch5 as wb

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "workbook" / "wb5_geometry.ipynb"


@pytest.fixture(scope="module")
def sol() -> dict:
    return solution_namespace(NOTEBOOK)


def _fails(check, *args, words: tuple[str, ...]) -> str:
    with pytest.raises(ExerciseError) as err:
        check(*args)
    msg = str(err.value)
    for w in words:
        assert w in msg, f"expected {w!r} in the message: {msg}"
    return msg


def _stub(*args):
    raise NotImplementedError("fill me in")


# --- every check passes on the solutions ---------------------------------------------------------


def test_every_check_passes_on_the_solutions(sol, capsys):
    assert wb.check_random_overlaps(sol["random_overlap_stats"]) is True
    assert wb.check_mean_overlap(sol["mean_squared_overlap"]) is True
    assert wb.check_welch(sol["welch"]) is True
    assert wb.check_simplex(sol["simplex"]) is True
    assert wb.check_tightness(sol["tightness"], sol["simplex"]) is True
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(line.startswith("✓ ") for line in lines)


def test_stubs_are_reported_as_not_done_yet(sol, capsys):
    for check in (wb.check_random_overlaps, wb.check_mean_overlap, wb.check_welch, wb.check_simplex):
        assert check(_stub) is False
    assert wb.check_tightness(_stub, _stub) is False
    assert wb.check_tightness(sol["tightness"], _stub) is False  # the simplex of Exercise 5.4 not done yet
    assert capsys.readouterr().out.count("not done yet") == 6


# --- Exercise 5.1: random directions -------------------------------------------------------------


def _pairs(m, pairs, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, pairs, m))


def test_random_without_normalising_is_explained():
    def raw(m, pairs, seed=0):
        u, v = _pairs(m, pairs, seed)
        c2 = np.einsum("ij,ij->i", u, v) ** 2
        return c2.mean(), c2.var()

    _fails(wb.check_random_overlaps, raw, words=("at most 1", "divide each vector by its length"))


def test_random_without_squaring_is_explained():
    def unsquared(m, pairs, seed=0):
        u, v = _pairs(m, pairs, seed)
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        c = np.einsum("ij,ij->i", u, v)
        return c.mean(), c.var()

    _fails(wb.check_random_overlaps, unsquared, words=("mean of the overlaps c", "squares c²"))


def test_random_normalising_the_wrong_axis_is_explained():
    def columns(m, pairs, seed=0):
        u, v = _pairs(m, pairs, seed)
        u /= np.linalg.norm(u, axis=0, keepdims=True)
        v /= np.linalg.norm(v, axis=0, keepdims=True)
        c2 = np.einsum("ij,ij->i", u, v) ** 2
        return c2.mean(), c2.var()

    _fails(wb.check_random_overlaps, columns, words=("much shorter than 1", "each row, axis=1"))


def test_random_returning_the_standard_deviation_is_explained(sol):
    def std(m, pairs, seed=0):
        mean, var = sol["random_overlap_stats"](m, pairs, seed)
        return mean, np.sqrt(var)

    _fails(wb.check_random_overlaps, std, words=("standard deviation",))


def test_random_directions_from_a_cube_are_explained():
    def cube(m, pairs, seed=0):
        rng = np.random.default_rng(seed)
        u, v = rng.uniform(-1, 1, (2, pairs, m))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        c2 = np.einsum("ij,ij->i", u, v) ** 2
        return c2.mean(), c2.var()

    _fails(
        wb.check_random_overlaps,
        cube,
        words=("the mean is right but not the spread", "not uniform numbers in a cube"),
    )


# --- Exercise 5.2: the Gram matrix ---------------------------------------------------------------


def _unit(W):
    return W / np.linalg.norm(W, axis=1, keepdims=True)


def test_gram_counting_i_equals_j_is_explained():
    def diagonal(W):
        U = _unit(W)
        n = U.shape[0]
        return ((U.T @ U) ** 2).sum() / (n * (n - 1))

    _fails(wb.check_mean_overlap, diagonal, words=("terms i = j", "subtract n"))


def test_gram_dividing_by_n_squared_is_explained():
    def n_squared(W):
        U = _unit(W)
        n = U.shape[0]
        return (((U.T @ U) ** 2).sum() - n) / n**2

    _fails(wb.check_mean_overlap, n_squared, words=("n(n − 1)", "not by n²"))


def test_gram_without_normalising_the_rows_is_explained():
    def raw(W):
        n = W.shape[0]
        return (((W.T @ W) ** 2).sum() - (np.linalg.norm(W, axis=1) ** 4).sum()) / (n * (n - 1))

    msg = _fails(wb.check_mean_overlap, raw, words=("lengths", "divide each row by its norm"))
    assert "300 vectors in R^8" in msg  # the unit-length cases pass: only the scaled rows reveal it


def test_gram_counting_each_pair_once_is_explained():
    def half(W):
        U = _unit(W)
        n = U.shape[0]
        return (((U.T @ U) ** 2).sum() - n) / (n * (n - 1) / 2)

    _fails(wb.check_mean_overlap, half, words=("counts every pair twice",))


# --- Exercise 5.3: the Welch bound ---------------------------------------------------------------


def test_welch_with_m_times_n_is_explained():
    _fails(
        wb.check_welch, lambda m, n: max(0.0, (n - m) / (m * n)), words=("divided by m·n", "n(n − 1) pairs")
    )


def test_welch_negative_below_m_is_explained():
    _fails(
        wb.check_welch, lambda m, n: (n - m) / (m * (n - 1)), words=("can all be orthogonal", "bound is 0")
    )


def test_welch_as_one_over_m_is_explained():
    _fails(wb.check_welch, lambda m, n: 1 / m, words=("mean for random vectors, 1/m",))


# --- Exercises 5.4 and 5.5: the simplex and tightness --------------------------------------------


def test_simplex_left_in_m_plus_1_dimensions_is_explained():
    _fails(
        wb.check_simplex, lambda m: np.eye(m + 1) - 1 / (m + 1), words=("m + 1 = 3 coordinates", "hyperplane")
    )


def test_simplex_without_normalising_is_explained():
    def unnormalised(m):
        E = np.eye(m + 1) - 1.0 / (m + 1)
        return E @ np.linalg.svd(E)[2][:m].T

    _fails(wb.check_simplex, unnormalised, words=("make them unit vectors",))


def test_simplex_with_m_vectors_is_explained():
    _fails(wb.check_simplex, lambda m: np.eye(m), words=("should be (3, 2)", "m + 1 vectors in R^m"))


def test_simplex_with_other_overlaps_is_explained():
    def wrong_angle(m):
        V = geometry.simplex_frame(m)
        return np.vstack([V[:-1], V[0]])  # one vertex twice

    _fails(wb.check_simplex, wrong_angle, words=("every pair of a regular simplex", "−1/m"))


def test_tightness_against_the_identity_is_explained(sol):
    def identity(V):
        U = _unit(V)
        m = U.shape[1]
        return np.linalg.norm(U.T @ U - np.eye(m)) / np.linalg.norm(np.eye(m))

    _fails(wb.check_tightness, identity, sol["simplex"], words=("(n/m) I, not I",))


def test_tightness_without_normalising_is_explained(sol):
    def raw(V):
        n, m = V.shape
        return np.linalg.norm(V.T @ V - n / m * np.eye(m)) / np.linalg.norm(n / m * np.eye(m))

    _fails(wb.check_tightness, raw, sol["simplex"], words=("normalise each row first",))


def test_tightness_of_a_wrong_simplex_is_reported(sol):
    def repeated_vertex(m):
        V = geometry.simplex_frame(m)
        return np.vstack([V[:-1], V[0]])

    _fails(wb.check_tightness, sol["tightness"], repeated_vertex, words=("see Exercise 5.4",))
