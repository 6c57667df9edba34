"""Checks of Workbook 5, the geometry of packing (chapter 5): ``book/workbook/wb5_geometry.ipynb``.

- Exercise 5.1, squared overlaps of random unit vectors (mean 1/m, variance): :func:`check_random_overlaps`
- Exercise 5.2, the mean squared overlap through the m × m Gram matrix: :func:`check_mean_overlap`
- Exercise 5.3, the Welch bound: :func:`check_welch`
- Exercise 5.4, a simplex frame: :func:`check_simplex`
- Exercise 5.5, how tight is a frame?: :func:`check_tightness`

Each check runs the reader's function on small cases, compares with :mod:`superscale.geometry`, and
raises :class:`superscale.workbook.ExerciseError` with the likely mistake when the answer is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import geometry
from . import ExerciseError, exercise, expect

#: (m, pairs) of the sampling cases of Exercise 5.1.
RANDOM_CASES = ((3, 100_000), (10, 100_000), (100, 20_000))
#: How many standard errors a sampled mean or variance may be from the exact value.
K_SE = 6.0


def _number(x, what: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} must return a number, got {x!r}") from None
    expect(math.isfinite(v), f"{what} returned {v}; it must be a finite number")
    return v


def _num(x: float) -> str:
    """A number with a true minus sign."""
    return f"{x:.4g}".replace("-", "\u2212")


def _span(values: np.ndarray) -> str:
    """The range of some values in words: one number when they are all equal (to 4 digits)."""
    lo, hi = _num(float(np.min(values))), _num(float(np.max(values)))
    return lo if lo == hi else f"between {lo} and {hi}"


def _close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-12) -> bool:
    return bool(math.isfinite(a) and abs(a - b) <= max(rel * abs(b), abs_))


# ------------------------------------------------------------------------------------------------
# Exercise 5.1: random unit vectors
# ------------------------------------------------------------------------------------------------


def beta_moments(m: int) -> tuple[float, float, float]:
    """For c² ~ Beta(1/2, (m − 1)/2), the squared overlap of two random unit vectors in R^m: its mean 1/m,
    its variance, and √(μ₄ − var²), which divided by √pairs is the standard error of a sampled variance
    (chapter 5)."""
    d = geometry.squared_overlap_distribution(m)
    mu = float(d.mean())
    raw = [float(d.moment(k)) for k in range(1, 5)]
    var = raw[1] - mu**2
    mu4 = raw[3] - 4 * mu * raw[2] + 6 * mu**2 * raw[1] - 3 * mu**4
    return mu, var, math.sqrt(max(mu4 - var**2, 0.0))


@exercise("random_overlap_stats")
def check_random_overlaps(stats: Callable[[int, int, int], tuple[float, float]]) -> str:
    """Compare the reader's sampled mean and variance of c² with 1/m and 2(m − 1)/(m²(m + 2)), within
    :data:`K_SE` standard errors of the sample size (chapter 5)."""
    lines = []
    for m, pairs in RANDOM_CASES:
        out = stats(m, pairs, 0)
        try:
            mean, var = (float(v) for v in out)
        except (TypeError, ValueError):
            raise ExerciseError(f"random_overlap_stats must return (mean, variance), got {out!r}") from None
        mu, v, sd4 = beta_moments(m)
        se_mean, se_var = math.sqrt(v / pairs), sd4 / math.sqrt(pairs)
        where = f"in m = {m} dimensions ({pairs:,} pairs)".replace(",", " ")
        if abs(mean - mu) > K_SE * se_mean:
            if mean > 1:
                why = (
                    f"a squared overlap of two unit vectors is at most 1, yet your mean is about {mean * m:.3g}/m: "
                    "divide each vector by its length before taking the dot product"
                )
            elif abs(mean) < K_SE * math.sqrt(1 / m / pairs) and abs(var - mu) < 0.2 * mu:
                why = (
                    "that is the mean of the overlaps c, which is 0 by symmetry; the question is about their "
                    "squares c²"
                )
            elif mean < 0.05 * mu:
                why = (
                    "your vectors are much shorter than 1: normalise each vector (each row, axis=1), "
                    "not each coordinate over the sample"
                )
            else:
                why = "sample each direction as a vector of standard normals divided by its length"
            raise ExerciseError(
                f"{where} your mean squared overlap is {mean:.4g}; it should be 1/m = {mu:.4g}: {why}."
            )
        if abs(var - v) > K_SE * se_var:
            if _close(var, math.sqrt(v), 0.05):
                why = "that is a standard deviation; return the variance (its square)"
            else:
                why = (
                    "the mean is right but not the spread: draw directions uniformly on the sphere (standard "
                    "normals divided by their length, not uniform numbers in a cube), one fresh pair per sample"
                )
            raise ExerciseError(
                f"{where} your variance of c² is {var:.4g}; it should be 2(m − 1)/(m²(m + 2)) = {v:.4g}: {why}."
            )
        lines.append(f"m = {m}: {mean:.4f} (1/m = {mu:.4f})")
    return "the sampled means sit on 1/m and the variances on 2(m − 1)/(m²(m + 2)); " + ", ".join(lines)


# ------------------------------------------------------------------------------------------------
# Exercise 5.2: the mean squared overlap through the m × m Gram matrix
# ------------------------------------------------------------------------------------------------


def _gram_cases() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    scaled = geometry.random_unit_vectors(300, 8, rng) * rng.uniform(0.1, 3.0, size=(300, 1))
    return [
        ("200 random unit vectors in R^10", geometry.random_unit_vectors(200, 10, rng)),
        ("the simplex frame of R^5 (6 unit vectors)", geometry.simplex_frame(5)),
        ("300 vectors in R^8 with lengths between 0.1 and 3", scaled),
    ]


def _gram_mistake(got: float, W: np.ndarray) -> str:
    U = geometry.normalize_rows(W, eps=0.0)
    n = U.shape[0]
    F = float(((U.T @ U) ** 2).sum())
    off = F - n
    raw = W.T @ W
    col = W / np.linalg.norm(W, axis=0, keepdims=True)
    guesses = {
        f"you kept the n = {n} terms i = j (each (Ŵ_i·Ŵ_i)² = 1): subtract n from ‖ŴᵀŴ‖_F²": F
        / (n * (n - 1)),
        "you kept the terms i = j and divided by n²; subtract n, then divide by n(n − 1)": F / n**2,
        "divide by n(n − 1), the number of ordered pairs i ≠ j, not by n²": off / n**2,
        "‖ŴᵀŴ‖_F² counts every pair twice, (i, j) and (j, i): divide by n(n − 1), not by n(n − 1)/2": off
        / (n * (n - 1) / 2),
        "you took ‖ŴᵀŴ‖_F without squaring it; the sum of squared overlaps is the squared norm": (
            math.sqrt(F) - n
        )
        / (n * (n - 1)),
        "your answer depends on the lengths of the rows: divide each row by its norm first (Ŵ_i = W_i / ‖W_i‖)": (
            float((raw**2).sum()) - float((np.linalg.norm(W, axis=1) ** 4).sum())
        )
        / (n * (n - 1)),
        "you normalised the columns; normalise the rows (each W_i, axis=1)": (
            float(((col.T @ col) ** 2).sum()) - float((np.linalg.norm(col, axis=1) ** 4).sum())
        )
        / (n * (n - 1)),
    }
    for text, value in guesses.items():
        if _close(got, value, 1e-6) and not _close(got, off / (n * (n - 1)), 1e-6):
            return text
    return ""


@exercise("mean_squared_overlap")
def check_mean_overlap(mean_overlap: Callable[[np.ndarray], float]) -> str:
    """Compare the reader's mean squared overlap (through the m × m Gram matrix) with
    :func:`superscale.geometry.overlap_summary` on three sets of vectors, then on 1000 random unit
    vectors in R^10 beside 1/m and the Welch bound (chapter 5)."""
    for what, W in _gram_cases():
        got = _number(mean_overlap(W.copy()), "mean_squared_overlap(W)")
        want = geometry.overlap_summary(W).mean
        if not _close(got, want, 1e-6):
            hint = _gram_mistake(got, W)
            raise ExerciseError(
                f"for {what} your mean squared overlap is {got:.6g}; it should be {want:.6g}"
                + (f": {hint}." if hint else ": (‖ŴᵀŴ‖_F² − n) / (n(n − 1)) with the rows normalised.")
            )
    W = geometry.random_unit_vectors(1000, 10, seed=0)
    got = _number(mean_overlap(W), "mean_squared_overlap(W)")
    return (
        f"right on 3 sets of vectors. 1000 random unit vectors in R^10: {got:.4f}, against 1/m = 0.1 and "
        f"the Welch bound κ² = {geometry.welch_bound(10, 1000):.4f}: random directions are already almost as "
        "good as possible on average"
    )


# ------------------------------------------------------------------------------------------------
# Exercise 5.3: the Welch bound
# ------------------------------------------------------------------------------------------------

#: (m, n) of the Welch cases, n > m except the last two.
WELCH_CASES = ((3, 4), (3, 6), (10, 11), (10, 1000), (7, 28), (50, 1250), (5, 5), (8, 3))


@exercise("welch")
def check_welch(welch: Callable[[int, int], float]) -> str:
    """Compare the reader's Welch bound with :func:`superscale.geometry.welch_bound` (chapter 5)."""
    for m, n in WELCH_CASES:
        got = _number(welch(m, n), "welch(m, n)")
        want = geometry.welch_bound(m, n)
        if _close(got, want, 1e-9):
            continue
        if n <= m:
            raise ExerciseError(
                f"for n = {n} vectors in m = {m} dimensions your bound is {got:.4g}; with n ≤ m the vectors can "
                "all be orthogonal, so the bound is 0 (return max(0, ...))"
            )
        guesses = {
            "you divided by m·n; the mean runs over the n(n − 1) pairs i ≠ j, so the bound is (n − m)/(m(n − 1))": (
                n - m
            )
            / (m * n),
            "that is the mean for random vectors, 1/m; the bound (n − m)/(m(n − 1)) is lower, much lower for n near m": 1
            / m,
            "you have n − 1 and n swapped: (n − m)/(m(n − 1))": (n - m) / (m * (n + 1)),
        }
        hint = next((t for t, v in guesses.items() if _close(got, v, 1e-9)), "")
        raise ExerciseError(
            f"for n = {n} unit vectors in m = {m} dimensions your bound is {got:.6g}; it should be "
            f"(n − m)/(m(n − 1)) = {want:.6g}" + (f": {hint}." if hint else ".")
        )
    return (
        f"right on {len(WELCH_CASES)} cases. At n = m + 1 it is 1/m² (the simplex, Exercise 5.4); for n ≫ m it "
        f"tends to 1/m: κ² = {geometry.welch_bound(10, 1000):.4f} for 1000 vectors in R^10"
    )


# ------------------------------------------------------------------------------------------------
# Exercises 5.4 and 5.5: the simplex frame and tightness
# ------------------------------------------------------------------------------------------------


def _as_array(V, what: str) -> np.ndarray:
    try:
        A = np.asarray(V, dtype=float)
    except (TypeError, ValueError):
        raise ExerciseError(f"{what} must return a NumPy array, got {type(V).__name__}") from None
    expect(A.ndim == 2, f"{what} must return a 2-D array (vectors as rows), got shape {A.shape}")
    expect(bool(np.all(np.isfinite(A))), f"{what} returned NaN or infinite entries")
    return A


@exercise("simplex")
def check_simplex(simplex: Callable[[int], np.ndarray]) -> str:
    """Check the reader's simplex: m + 1 unit vectors in R^m with pairwise overlap −1/m, a tight frame
    meeting the Welch bound (chapter 5)."""
    for m in (2, 3, 7):
        V = _as_array(simplex(m), f"simplex({m})")
        if V.shape == (m + 1, m + 1):
            raise ExerciseError(
                f"simplex({m}) has shape {V.shape}: your vectors have m + 1 = {m + 1} coordinates. They lie in "
                "the hyperplane x_1 + … + x_{m+1} = 0; write them in an orthonormal basis of it (m coordinates)"
            )
        expect(
            V.shape == (m + 1, m),
            f"simplex({m}) has shape {V.shape}; it should be ({m + 1}, {m}): m + 1 vectors in R^m, as rows",
        )
        norms = np.linalg.norm(V, axis=1)
        expect(
            bool(np.allclose(norms, 1.0, atol=1e-9)),
            f"the rows of simplex({m}) have lengths {_span(norms)}; make them unit vectors",
        )
        G = V @ V.T
        off = G[~np.eye(m + 1, dtype=bool)]
        expect(
            bool(np.allclose(off, -1.0 / m, atol=1e-9)),
            f"the overlaps of simplex({m}) are {_span(off)}; every pair of a "
            f"regular simplex centred at 0 has overlap −1/m = {_num(-1 / m)} (the m + 1 vectors add up to 0)",
        )
        tight = geometry.frame_tightness(V)
        expect(
            tight < 1e-9,
            f"simplex({m}) is not a tight frame: ‖VᵀV − ((m+1)/m) I‖ is {tight:.3g} of its scale",
        )
    return (
        "m + 1 unit vectors with overlaps −1/m for m = 2, 3, 7; every squared overlap is 1/m², the Welch bound "
        "for n = m + 1, and VᵀV = ((m + 1)/m) I: an equiangular tight frame"
    )


def _tight_cases() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(6)
    return [
        ("the simplex frame of R^4", geometry.simplex_frame(4)),
        ("50 random unit vectors in R^5", geometry.random_unit_vectors(50, 5, rng)),
        ("the identity basis of R^3 with its rows scaled by 1, 2 and 5", np.diag([1.0, 2.0, 5.0])),
        (
            "20 vectors in R^4 with lengths between 0.1 and 3",
            rng.standard_normal((20, 4)) * rng.uniform(0.1, 3, (20, 1)),
        ),
    ]


def _tight_mistake(got: float, V: np.ndarray) -> str:
    n, m = V.shape
    U = geometry.normalize_rows(V, eps=0.0)
    S = U.T @ U
    target = (n / m) * np.eye(m)
    Sr = V.T @ V
    guesses = {
        f"a tight frame has ŴᵀŴ = (n/m) I, not I: the trace of ŴᵀŴ is n (here {n})": float(
            np.linalg.norm(S - np.eye(m)) / np.linalg.norm(np.eye(m))
        ),
        "divide by ‖(n/m) I‖_F so that the answer does not depend on n": float(np.linalg.norm(S - target)),
        "your answer depends on the lengths of the rows: normalise each row first": float(
            np.linalg.norm(Sr - target) / np.linalg.norm(target)
        ),
    }
    right = float(np.linalg.norm(S - target) / np.linalg.norm(target))
    return next((t for t, v in guesses.items() if _close(got, v, 1e-6) and not _close(got, right, 1e-6)), "")


@exercise("tightness")
def check_tightness(tightness: Callable[[np.ndarray], float], simplex: Callable[[int], np.ndarray]) -> str:
    """Compare the reader's tightness with :func:`superscale.geometry.frame_tightness`, then measure the
    reader's simplex with it (chapter 5)."""
    for what, V in _tight_cases():
        got = _number(tightness(V.copy()), "tightness(V)")
        want = geometry.frame_tightness(V)
        if not _close(got, want, 1e-6, 1e-9):
            hint = _tight_mistake(got, V)
            raise ExerciseError(
                f"for {what} your tightness is {got:.6g}; it should be {0.0 if want < 1e-12 else want:.6g}"
                + (f": {hint}." if hint else ": ‖ŴᵀŴ − (n/m) I‖_F / ‖(n/m) I‖_F with the rows normalised.")
            )
    S = _as_array(simplex(6), "simplex(6)")
    t_simplex = _number(tightness(S), "tightness(simplex(6))")
    expect(
        t_simplex < 1e-9,
        f"your tightness is right, but your simplex(6) gives {t_simplex:.3g}, not 0: see Exercise 5.4",
    )
    t_rand = geometry.frame_tightness(geometry.random_unit_vectors(7, 6, seed=0))
    return (
        f"right on {len(_tight_cases())} cases; your simplex(6) is tight ({t_simplex:.1e}), 7 random unit "
        f"vectors in R^6 are not ({t_rand:.2f})"
    )
