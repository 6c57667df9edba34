"""Every number this book quotes from the paper or another publication, in one place (every chapter).

Liu, Liu & Gore (2025), *Superposition Yields Robust Neural Scaling*, arXiv:2505.10465, unless a constant
names another source. Each constant's comment says where it is printed (figure, table, equation, appendix)
and how it was obtained: *quoted* (printed as a number), or *read off* a figure (with the reading error).
:data:`SOURCES` repeats that for every constant as data, so tables and figures can cite it; no other module
of the package defines a published value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Region:
    """A rectangle of the (γ, α) plane drawn on the paper's Fig. 9b (chapter 4)."""

    key: str
    name: str
    gamma: tuple[float, float]
    alpha: tuple[float, float]
    expected: str
    color: str

    def contains(self, gamma: float, alpha: float, tol: float = 1e-6) -> bool:
        """True if (γ, α) lies inside the rectangle (edges included)."""
        return (
            self.gamma[0] - tol <= gamma <= self.gamma[1] + tol
            and self.alpha[0] - tol <= alpha <= self.alpha[1] + tol
        )


#: The small models' hidden widths m = floor(exp(linspace(ln 10, ln 100, 6))) (App. B.2; the paper's code
#: exp-10 and exp-10-3; every sweep of chapters 2-5).
PAPER_WIDTHS: tuple[int, ...] = (10, 15, 25, 39, 63, 100)
#: The small models' ten weight decays γ = linspace(−1, 1, 10) (App. B.2: "increments of 0.22 approximately").
PAPER_GAMMAS: tuple[float, ...] = tuple(float(g) for g in np.linspace(-1.0, 1.0, 10))
#: The small models' 17 frequency exponents α = 0, 0.125, …, 2 (App. B.2: "17 discrete steps").
PAPER_ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.arange(17) * 0.125)


#: The three regions of the paper's Fig. 9b (App. D.1), as γ and α ranges on the n = 1000 grid.
PAPER_REGIONS: tuple[Region, ...] = (
    Region(
        "weak",
        "weak superposition",
        (0.11, 1.0),
        (0.0, 2.0),
        "α_m ≈ α − 1 (power law only for α > 1)",
        "#e6a700",
    ),
    Region("strong-flat", "strong, flat frequencies", (-1.0, -0.33), (0.0, 1.4), "α_m ≈ 1", "#d62728"),
    Region(
        "strong-skewed", "strong, skewed frequencies", (-1.0, -0.11), (1.6, 2.0), "α_m ≈ 2(α − 1)", "#1f77b4"
    ),
)


#: Fitted α_m ± standard error of the large strong runs (γ = −1), App. D.1 / Fig. 1d.
PAPER_LARGE_ALPHA_M: dict[str, tuple[float, float]] = {
    "exponential": (1.01, 0.05),
    "power": (1.0, 0.1),
    "linear": (0.89, 0.05),
}

#: R² of the large-model fits read off Fig. 9a (about ±0.01): {regime: {kind: R²}}.
PAPER_LARGE_R2: dict[str, dict[str, float]] = {
    "strong": {"exponential": 0.984, "power": 0.964, "linear": 0.987},
    "weak": {"exponential": 0.802, "power": 0.992, "linear": 0.867},
}

#: Large-model losses read off Fig. 1b (weak, γ = 0.1) and Fig. 1d (strong, γ = −1), m = 8…1024
#: (read off a log-log figure: about ±5 %).
#: Relative reading error of each value of PAPER_FIG1_LOSS (a log-log figure read by eye).
PAPER_FIG1_READ_ERROR: float = 0.05

PAPER_FIG1_LOSS: dict[str, dict[str, tuple[float, ...]]] = {
    "widths": {"all": (8, 16, 32, 64, 128, 256, 512, 1024)},
    "weak": {
        "linear": (1.33, 1.32, 1.29, 1.22, 1.18, 1.10, 1.02, 0.87),
        "exponential": (1.30, 1.27, 1.26, 1.15, 1.00, 0.88, 0.68, 0.40),
        "power": (0.68, 0.87, 0.91, 0.92, 0.67, 0.55, 0.39, 0.27),
    },
    "strong": {
        "linear": (1.35, 1.25, 0.98, 0.66, 0.33, 0.165, 0.075, 0.055),
        "exponential": (1.25, 0.92, 0.57, 0.20, 0.12, 0.046, 0.033, 0.011),
        "power": (0.54, 0.41, 0.31, 0.155, 0.088, 0.028, 0.030, 0.0087),
    },
}

#: Ranges of the strong-regime α_m read off Fig. 5e (γ = −0.78, −0.56, −0.33): (α, low, high).
PAPER_FIG5E: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.8, 0.9),
    (0.125, 0.8, 0.9),
    (0.25, 0.8, 0.9),
    (0.375, 0.8, 0.9),
    (0.5, 0.8, 0.9),
    (0.625, 0.8, 0.9),
    (0.75, 0.85, 1.2),
    (0.875, 0.85, 1.2),
    (1.0, 0.85, 1.2),
    (1.125, 0.85, 1.2),
    (1.25, 0.85, 1.2),
    (1.375, 1.2, 1.3),
    (1.5, 1.25, 1.5),
    (1.625, 1.4, 1.55),
    (1.75, 1.45, 1.8),
    (1.875, 1.85, 1.95),
    (2.0, 2.05, 2.25),
)

#: The three strong weight decays of Fig. 5e (γ = −0.78, −0.56, −0.33 on the n = 1000 grid), as on the grid.
PAPER_STRONG_GAMMAS: tuple[float, ...] = (-0.778, -0.556, -0.333)

#: The paper's activation densities of Fig. 14b (E = 1 + s(H_1000 − 1), s = 0, 1/4, …, 1), approximately.
DENSITY_PAPER_E: tuple[float, ...] = (1.0, 2.621, 4.243, 5.864, 7.486)

#: α_m ± standard error of Fig. 14b at those densities (α = 1, one strong γ the paper does not name).
PAPER_DENSITY_ALPHA_M: tuple[tuple[float, float], ...] = (
    (1.12, 0.06),
    (1.12, 0.08),
    (1.1, 0.1),
    (1.1, 0.1),
    (1.1, 0.2),
)

#: Losses of Fig. 14b read off the figure (about ±10 %): {E: (loss at m = 10, loss at m = 100)} for the
#: lowest and the highest density (reference/paper.md: "≈0.7 → 0.065 (E = 1) and ≈5.6 → 0.75 (E ≈ 7.5)").
PAPER_FIG14B_LOSS: dict[float, tuple[float, float]] = {1.0: (0.7, 0.065), 7.486: (5.6, 0.75)}


#: φ_1/2 read off the paper's older Fig-3-2 (a) (α = 1, n = 1000; about ±0.03), {γ: {m: φ_1/2}} (chapter 2).
PAPER_FIG3_PHI: dict[float, dict[int, float]] = {
    -0.33: {10: 0.62, 15: 0.87},
    -0.11: {10: 0.08, 15: 0.29, 25: 0.55, 39: 0.69, 63: 0.79, 100: 0.86},
    0.11: {25: 0.07, 39: 0.15, 63: 0.30, 100: 0.46},
}

#: The paper's 9 least ambiguous weak runs, (α, α_m) read off its Fig. 4b (about ±0.03) (chapter 3).
PAPER_WEAK_ALPHA_M: tuple[tuple[float, float], ...] = (
    (1.25, 0.40),
    (1.5, 0.70),
    (1.625, 0.67),
    (1.625, 0.56),
    (1.75, 0.73),
    (1.875, 0.91),
    (1.875, 1.03),
    (2.0, 0.95),
    (2.0, 1.15),
)


#: The paper's Fig. 5d, mean squared overlap of norm > 1 rows vs m (read off the figure, ±5 %).
PAPER_FIG5D_MEAN = {10: 0.10, 15: 0.068, 25: 0.040, 39: 0.026, 63: 0.016, 100: 0.0093}
#: The paper's Fig. 16 (γ = −1): range of φ_1 over α at each m (read off the figure).
PAPER_FIG16_PHI1 = {
    10: (0.08, 0.33),
    15: (0.19, 0.55),
    25: (0.52, 0.79),
    39: (0.70, 0.90),
    63: (0.82, 0.95),
    100: (0.87, 0.97),
}
#: The paper's Fig. 5c (γ = −0.55): variance of squared overlaps of norm > 1 rows over the random value,
#: typical range over α and m (read off the figure); small α shows 0.0 at m = 63, 100.
PAPER_FIG5C_RATIO = (0.45, 0.9)
#: Random unit vectors in R^m: (E[c²], Var[c²]) at m = 10 and 100, from the paper's formulas 1/m and
#: 2(m − 1)/(m²(m + 2)), as quoted in chapter 5's text.
PAPER_RANDOM_OVERLAP_MOMENTS: dict[int, tuple[float, float]] = {10: (0.1, 0.015), 100: (0.01, 1.94e-4)}


#: The four evaluation data sets of the paper's loss fit (App. C.2).
DATASETS: tuple[str, ...] = ("wikitext", "c4", "pile", "bookcorpus")

#: The paper's fit L = A/m^α + B_g to 108 losses (27 models x 4 data sets), from the printed
#: outputs of its analysis notebook ``LLMs/nonlinearfit-3.ipynb`` (Liu, Liu & Gore 2025, Eq. 6, Fig. 6b).
PAPER_LOSS_FIT: dict = {
    "A": 476.0763,
    "alpha": 0.9098,
    "alpha_se": 0.035991,
    "mse": 0.0051977,
    "n_points": 108,
    "offsets": {
        ("OPT", "wikitext"): 2.2074,
        ("OPT", "c4"): 2.2745,
        ("OPT", "pile"): 1.7193,
        ("OPT", "bookcorpus"): 2.1845,
        ("Qwen2.5", "wikitext"): 1.6079,
        ("Qwen2.5", "c4"): 2.1009,
        ("Qwen2.5", "pile"): 1.4890,
        ("Qwen2.5", "bookcorpus"): 1.9348,
        ("GPT-2", "wikitext"): 2.3018,
        ("GPT-2", "c4"): 2.3546,
        ("GPT-2", "pile"): 1.9413,
        ("GPT-2", "bookcorpus"): 2.2961,
        ("Pythia", "wikitext"): 2.1407,
        ("Pythia", "c4"): 2.2998,
        ("Pythia", "pile"): 1.5203,
        ("Pythia", "bookcorpus"): 2.2415,
    },
}

#: The paper's headline width exponent of LLM loss, α_m = 0.91 ± 0.04 (§3.3, Fig. 6b).
PAPER_ALPHA_M: tuple[float, float] = (0.91, 0.04)
#: The paper's Chinchilla width-parameter exponent, N ∝ m^(2.52 ± 0.03) (App. D.7, Fig. 23b).
PAPER_CHINCHILLA_K: tuple[float, float] = (2.52, 0.03)
#: The paper's common N-m exponent for the four open families (Fig. 23a; no error given).
PAPER_OPEN_FAMILIES_K: float = 2.51
#: The paper's Chinchilla-implied width exponent α_m = 2.52 x 0.35 = 0.88 ± 0.06 (§3.3).
PAPER_ALPHA_M_CHINCHILLA: tuple[float, float] = (0.88, 0.06)
#: Parameter exponent α_N = 0.35 ± 0.02 of the Chinchilla replication (Besiroglu et al. 2024,
#: arXiv:2404.10102; rounded from 0.3478 ± 0.0154 in the authors' analysis notebook).
BESIROGLU_ALPHA_N: tuple[float, float] = (0.35, 0.02)
#: Hoffmann et al. 2022's own parameter exponent (§3.3, rounded; 0.33917 unrounded).
HOFFMANN_ALPHA_N: float = 0.34
#: The paper's token-frequency result: α ≈ 1 for 4 tokenizers x 4 data sets (App. C.3); no per-pair values.
PAPER_TOKEN_ALPHA: float = 1.0
#: The paper's Fig. 6a: mean squared overlap of each family's language-model heads, as (1/m, mean c²)
#: pairs read off the log-log figure (roughly ±15 %); the underlying numbers were not published.
PAPER_FIG6A_OVERLAPS: dict[str, tuple[tuple[float, float], ...]] = {
    "OPT": (
        (1.09e-4, 6e-3),
        (1.4e-4, 1.8e-3),
        (2.4e-4, 1.2e-2),
        (3.9e-4, 9e-3),
        (4.9e-4, 3.5e-2),
        (1.3e-3, 0.10),
        (1.95e-3, 0.088),
    ),
    "Qwen2.5": (
        (1.22e-4, 9.5e-3),
        (1.95e-4, 3.2e-3),
        (1.95e-4, 1.6e-3),
        (2.8e-4, 1.3e-2),
        (4.9e-4, 1e-2),
        (6.5e-4, 1.7e-2),
        (1.12e-3, 3.4e-2),
    ),
    "GPT-2": ((6.25e-4, 8.8e-3), (7.8e-4, 9.8e-3), (9.8e-4, 0.095), (1.3e-3, 0.075)),
    "Pythia": (
        (1.95e-4, 1.0e-3),
        (2.4e-4, 3.5e-3),
        (3.9e-4, 5.8e-3),
        (4.9e-4, 1.1e-2),
        (4.9e-4, 7.2e-3),
        (9.8e-4, 1.3e-2),
    ),
}


#: What the paper says of α_m in each region of Fig. 9b, as text (App. D.1).
PAPER_REGION_ALPHA_M: dict[str, str] = {
    "weak": "0 – 0.8, smallest at large γ",
    "strong-flat": "0.8 – 1.3",
    "strong-skewed": "1.5 – 2.4 (largest at γ = −0.11, α = 2)",
}


@dataclass(frozen=True)
class Source:
    """Where a published value comes from: ``where`` (figure/table/section and work) and ``how``
    ("quoted", or "read off the figure, ±…")."""

    where: str
    how: str


#: Every constant of this module, with where it is printed and how it was obtained.
SOURCES: dict[str, Source] = {
    "PAPER_WIDTHS": Source("App. B.2; the paper's code exp-10, exp-10-3", "quoted (the code's formula)"),
    "PAPER_GAMMAS": Source("App. B.2; the paper's code exp-10", "quoted (the code's linspace(−1, 1, 10))"),
    "PAPER_ALPHAS": Source(
        "App. B.2; the paper's code exp-10, exp-10-3", "quoted (0 to 2 in steps of 0.125)"
    ),
    "PAPER_REGION_ALPHA_M": Source("Fig. 9b, App. D.1", "read off the figure (ranges of α_m per region)"),
    "PAPER_REGIONS": Source("Fig. 9b, App. D.1", "read off the figure (region edges on the γ, α grid)"),
    "PAPER_LARGE_ALPHA_M": Source("Fig. 1d, App. D.1", "quoted"),
    "PAPER_LARGE_R2": Source("Fig. 9a", "read off the figure, ±0.01"),
    "PAPER_FIG1_LOSS": Source("Fig. 1b and 1d", "read off a log-log figure, ±5 %"),
    "PAPER_FIG1_READ_ERROR": Source(
        "Fig. 1b and 1d", "our estimate of the error of reading the log-log figure"
    ),
    "PAPER_FIG5E": Source("Fig. 5e", "read off the figure (ranges over the three strong γ)"),
    "PAPER_STRONG_GAMMAS": Source("Fig. 5e", "quoted in the legend (γ = −7/9, −5/9, −3/9 of the grid)"),
    "DENSITY_PAPER_E": Source("Fig. 14b, App. D.3", "computed from the caption's E = 1 + s(H_1000 − 1)"),
    "PAPER_DENSITY_ALPHA_M": Source("Fig. 14b", "quoted in the figure's legend"),
    "PAPER_FIG14B_LOSS": Source("Fig. 14b", "read off the figure, ±10 %"),
    "PAPER_FIG3_PHI": Source("Fig. 3 (arXiv v1, panel a)", "read off the figure, ±0.03"),
    "PAPER_WEAK_ALPHA_M": Source("Fig. 4b", "read off the figure, ±0.03"),
    "PAPER_FIG5D_MEAN": Source("Fig. 5d", "read off the figure, ±5 %"),
    "PAPER_FIG16_PHI1": Source("Fig. 16", "read off the figure"),
    "PAPER_FIG5C_RATIO": Source("Fig. 5c", "read off the figure (typical range)"),
    "PAPER_RANDOM_OVERLAP_MOMENTS": Source(
        "§3.2 and App. A.1 (E[c²] = 1/m, Var[c²] = 2(m − 1)/(m²(m + 2)))",
        "computed from the quoted formulas, rounded",
    ),
    "DATASETS": Source("App. C.2", "quoted"),
    "PAPER_LOSS_FIT": Source(
        "Eq. 6, Fig. 6b; the paper's notebook LLMs/nonlinearfit-3.ipynb", "quoted (printed outputs)"
    ),
    "PAPER_ALPHA_M": Source("§3.3, Fig. 6b", "quoted"),
    "PAPER_CHINCHILLA_K": Source("App. D.7, Fig. 23b", "quoted"),
    "PAPER_OPEN_FAMILIES_K": Source("Fig. 23a", "quoted"),
    "PAPER_ALPHA_M_CHINCHILLA": Source("§3.3", "quoted"),
    "BESIROGLU_ALPHA_N": Source("Besiroglu et al. 2024, arXiv:2404.10102", "quoted (rounded)"),
    "HOFFMANN_ALPHA_N": Source("Hoffmann et al. 2022, §3.3", "quoted (rounded)"),
    "PAPER_TOKEN_ALPHA": Source("App. C.3", "quoted"),
    "PAPER_FIG6A_OVERLAPS": Source("Fig. 6a", "read off a log-log figure, roughly ±15 %"),
}
