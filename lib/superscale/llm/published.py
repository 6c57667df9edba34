"""Numbers quoted from the literature, never measured here (chapter 6).

Each constant names its source. The chapter draws these as published and says so.
"""

from __future__ import annotations

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
