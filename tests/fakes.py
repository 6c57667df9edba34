"""Synthetic data shared by the tests: a small sweep with the book's schema, an exact phase-diagram grid."""

from __future__ import annotations

import numpy as np

from superscale import data, exponents, theory

WIDTHS = np.array([10, 15, 25, 39, 63, 100])
GAMMAS = np.round(np.linspace(-1, 1, 10), 3)
ALPHAS = np.round(np.arange(0, 2.0001, 0.125), 3)


def fake_sweep(n=200, widths=(10, 15, 25, 39), alphas=(1.0, 1.5, 2.0)):
    """A synthetic sweep with the book's schema: γ > 0 models keep exactly their first m features."""
    import json

    import xarray as xr

    from superscale.training import PROTOCOLS

    gammas = np.array([-1.0, -0.5556, -0.1111, 0.3333, 0.5556])
    A, G, M = len(alphas), gammas.size, len(widths)
    loss = np.zeros((A, G, M))
    phi = np.zeros((A, G, M))
    amb = np.zeros((A, G, M))
    norms = np.zeros((A, G, M, n), dtype=np.float16)
    p_all = np.stack([data.power_law_frequencies(n, a) for a in alphas])
    for i in range(A):
        for j, g in enumerate(gammas):
            for k, m in enumerate(widths):
                keep = m if g > 0 else n
                r = np.zeros(n)
                r[:keep] = 1.0
                norms[i, j, k] = r
                phi[i, j, k] = keep / n
                loss[i, j, k] = theory.weak_loss(p_all[i], keep) if g > 0 else 0.5 / m
                amb[i, j, k] = 0.1 * g if g > 0 else 5.0
    dims = ("alpha", "gamma", "m")
    ds = xr.Dataset(
        {
            "final_loss": (dims, loss),
            "final_loss_se": (dims, 1e-3 * np.ones_like(loss)),
            "phi_half": (dims, phi),
            "ambiguity": (dims, amb),
            "completed": (dims, np.ones_like(loss, dtype=bool)),
            "row_norm": (dims + ("feature",), norms),
            "bias": (dims + ("feature",), np.where(norms > 0.5, -0.1, 0.01).astype(np.float16)),
            "p": (("alpha", "feature"), p_all),
        },
        coords={"alpha": list(alphas), "gamma": gammas, "m": list(widths), "feature": np.arange(1, n + 1)},
    )
    ds.attrs.update(
        grid="fake", protocol=json.dumps(PROTOCOLS["paper-small"].to_dict()), units_finished=3, units_total=3
    )
    return ds


def synthetic_grid(noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Losses (γ, α, m) that follow the paper's three regions exactly (plus optional log-normal noise)."""
    rng = np.random.default_rng(seed)
    L = np.empty((GAMMAS.size, ALPHAS.size, WIDTHS.size))
    for i, g in enumerate(GAMMAS):
        for j, a in enumerate(ALPHAS):
            e = exponents.predicted_alpha_m(a, "strong") if g < 0 else max(a - 1, 0.05)
            L[i, j] = 2.0 * WIDTHS ** (-e) * np.exp(noise * rng.standard_normal(WIDTHS.size))
    return L
