"""The named sweeps of toy models (chapters 2-5): what is trained, with which protocol, in which units.

A :class:`Grid` is widths × γ × (frequency law, α, E) × seeds trained with one
:class:`~superscale.training.Protocol`. :data:`GRIDS` holds the named ones (``python -m superscale.sweep
list``); :mod:`superscale.sweep` runs, merges and combines them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .data import KINDS, paper_density_grid
from .paper import PAPER_ALPHAS, PAPER_GAMMAS, PAPER_WIDTHS
from .training import PROTOCOLS, ModelSpec, Protocol

__all__ = ["Grid", "GRIDS", "BOOK_PROTOCOL", "BOOK_ALPHA_ORDER", "get_grid", "large_cpu_grid"]


#: α in the order the book grid runs them (the most used values first, then every other α, then the
#: rest), so that a run cut short by the clock still covers the range 0..2.
BOOK_ALPHA_ORDER = (1.0, 2.0, 1.5, 0.5, 1.75, 1.25, 0.0, 0.75, 0.25) + PAPER_ALPHAS[1::2]


@dataclass(frozen=True)
class Grid:
    """A named sweep: widths × γ × (kind, α, E) × seeds, trained with one protocol (chapters 2-5).

    ``kinds`` are frequency laws of :func:`superscale.data.feature_frequencies` (α applies to
    "power" only; ``scale`` to "exponential").
    """

    name: str
    n: int
    widths: tuple[int, ...]
    gammas: tuple[float, ...]
    protocol: Protocol
    alphas: tuple[float, ...] = (1.0,)
    Es: tuple[float, ...] = (1.0,)
    kinds: tuple[str, ...] = ("power",)
    scale: float = 400.0
    seeds: tuple[int, ...] = (0,)
    description: str = ""
    extra: dict = field(default_factory=dict)
    #: Train each (γ, m) as its own unit (``("gamma", "m")``): smaller pieces of work for a CPU, run
    #: γ by γ and narrow widths first. The data stream of a model depends only on its data key, so a
    #: model trained in a split unit is bitwise the one trained with its whole group.
    split: tuple[str, ...] = ()

    def validate(self) -> Grid:
        """Check every setting before any work; ``ValueError`` names the parameter and its range."""
        if not (isinstance(self.n, (int, np.integer)) and self.n >= 2):
            raise ValueError(f"n (number of features) must be an integer >= 2, got {self.n!r}")
        if not self.widths:
            raise ValueError("widths must not be empty")
        for m in self.widths:
            if not (isinstance(m, (int, np.integer)) and 1 <= m < self.n):
                raise ValueError(f"width m must be an integer with 1 <= m < n = {self.n}, got {m!r}")
        if not self.gammas or not all(math.isfinite(g) for g in self.gammas):
            raise ValueError(
                f"gammas (weight decay) must be a non-empty list of finite numbers, got {self.gammas}"
            )
        for k in self.kinds:
            if k not in KINDS:
                raise ValueError(f"kind must be one of {KINDS}, got {k!r}")
        for s in self.seeds:
            if not (isinstance(s, (int, np.integer)) and s >= 0):
                raise ValueError(f"seed must be an integer >= 0, got {s!r}")
        if not set(self.split) <= {"gamma", "m"}:
            raise ValueError(f"split must name only 'gamma' and/or 'm', got {self.split!r}")
        self.protocol.validate()
        for sp in self.specs():
            sp.validate(self.n)
        return self

    def units(self) -> list[tuple[str, list[ModelSpec]]]:
        """The grid's units in run order: (unit id, models sharing one data distribution and seed)."""
        out = []
        for seed in self.seeds:
            for kind in self.kinds:
                for a in self.alphas:
                    for E in self.Es:
                        uid = f"{kind}_a{a:.4f}_E{E:.4f}_s{seed}"
                        specs = [
                            ModelSpec(
                                int(m), float(g), kind, float(a), float(E), float(self.scale), int(seed)
                            )
                            for m in self.widths
                            for g in self.gammas
                        ]
                        out.append((uid, specs))
        if not self.split:
            return out
        parts = []
        for k, (uid, specs) in enumerate(out):
            for g in self.gammas if "gamma" in self.split else [None]:
                for m in self.widths if "m" in self.split else [None]:
                    sub = [sp for sp in specs if (g is None or sp.gamma == g) and (m is None or sp.m == m)]
                    tag = (f"_g{g:+.3f}" if g is not None else "") + (f"_m{m}" if m is not None else "")
                    gi = self.gammas.index(g) if g is not None else 0
                    parts.append(((gi, m or 0, k), uid + tag, sub))
        return [(uid, sub) for _, uid, sub in sorted(parts, key=lambda t: t[0])]

    def specs(self) -> list[ModelSpec]:
        return [sp for _, sps in self.units() for sp in sps]

    def settings(self) -> dict:
        """JSON-able description of everything that determines the results."""
        d = asdict(self)
        d.pop("description")
        if not d["split"]:
            d.pop("split")  # unsplit grids keep the settings (and output folders) they always had
        d["protocol"] = self.protocol.to_dict()
        return json.loads(json.dumps(d))

    def with_protocol(self, **changes) -> Grid:
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        return replace(self, protocol=replace(self.protocol, **changes))


#: The cheaper protocol validated against the paper's (benchmarks/README.md): same schedule shape.
BOOK_PROTOCOL = Protocol("book-cpu", batch=128, steps=4000, eval_samples=102400)

#: The named grids (``python -m superscale.sweep list``).
GRIDS: dict[str, Grid] = {
    "paper-small": Grid(
        "paper-small",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS,
        PROTOCOLS["paper-small"],
        alphas=PAPER_ALPHAS,
        description="The paper's small models (exp-10 and exp-10-3): n = 1000, 6 widths, 10 γ, 17 α, E = 1.",
    ),
    "paper-density": Grid(
        "paper-density",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS,
        PROTOCOLS["paper-small"],
        Es=tuple(float(e) for e in paper_density_grid()),
        description="The paper's activation-density sweep (exp-15): α = 1, 9 values of E from 1 to H_1000.",
    ),
    "paper-large": Grid(
        "paper-large",
        10240,
        tuple(2**k for k in range(3, 11)),
        (-1.0, 0.1),
        PROTOCOLS["paper-large"],
        alphas=(1.2,),
        kinds=("power", "exponential", "linear"),
        scale=400.0,
        description="The paper's large model (exp-17): n = 10240, widths 8..1024, γ ∈ {−1, 0.1}, "
        "power law i^-1.2, exponential e^(-i/400), linear; batch 2048, 20 000 steps as in the paper's text. "
        "One unit a (γ, m, law): strong first, narrow widths first.",
        split=("gamma", "m"),
    ),
    "book-small": Grid(
        "book-small",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS,
        BOOK_PROTOCOL,
        alphas=BOOK_ALPHA_ORDER,
        description="paper-small with the cheaper CPU protocol; α = 1, 2, 1.5, 0.5, 1.75, 1.25, 0, 0.75, 0.25 first.",
    ),
    "book-density": Grid(
        "book-density",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS,
        BOOK_PROTOCOL,
        Es=tuple(float(e) for e in paper_density_grid()[[8, 4, 2, 6, 0, 1, 3, 5, 7]]),
        description="paper-density with the cheaper CPU protocol; E = 7.49, 4.24, 2.62, 5.86 first; E = 1 is the α = 1 unit of book-small.",
    ),
    "paper-strong": Grid(
        "paper-strong",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS[1:4],
        PROTOCOLS["paper-small"],
        alphas=(0.0, 0.5),
        description="A check of the strong regime at the paper's own protocol on a CPU: paper-small's three "
        "γ of Fig. 5e (−0.78, −0.56, −0.33) at the flat end α = 0, 0.5 (18 models a unit).",
    ),
    "paper-strong-mid": Grid(
        "paper-strong-mid",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS[1:4],
        PROTOCOLS["paper-small"],
        alphas=(0.25, 0.75, 0.125, 0.875, 0.375, 0.625),
        description="paper-strong at the α between 0 and 1 (0.25, 0.75 first, then 0.125, 0.875, 0.375, "
        "0.625): the paper's protocol for the strong-regime check of chapter 4 at every α ≤ 1.",
    ),
    "paper-small-rest": Grid(
        "paper-small-rest",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS[:1] + PAPER_GAMMAS[4:],
        PROTOCOLS["paper-small"],
        alphas=(0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0),
        description="paper-small's other seven γ (−1, −0.11, 0.11, …, 1) at α < 1, highest α first: with "
        "paper-strong and paper-strong-mid it completes paper-small at the paper's protocol (42 models a unit).",
    ),
    "paper-strong-seed1": Grid(
        "paper-strong-seed1",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS[3:4],
        PROTOCOLS["paper-small"],
        alphas=(0.0, 0.25),
        seeds=(1,),
        description="A replicate (seed 1) of the two paper-strong runs whose α_m fell just under 0.8 "
        "(γ = −0.33 at α = 0 and 0.25): is that the seed or the setting? (6 models a unit)",
    ),
    "paper-density-strong": Grid(
        "paper-density-strong",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS[1:4],
        PROTOCOLS["paper-small"],
        Es=tuple(float(e) for e in paper_density_grid()[[8, 4, 2, 6]]),
        description="A check of the paper's Fig. 14b at its own protocol on a CPU: paper-density's three "
        "strong γ (−0.78, −0.56, −0.33) at E = 7.49, 4.24 first, then 2.62, 5.86 (18 models a unit; "
        "E = 1 is the α = 1 unit of paper-small).",
    ),
    "preview-small": Grid(
        "preview-small",
        1000,
        PAPER_WIDTHS,
        PAPER_GAMMAS,
        Protocol("preview", batch=256, steps=300, eval_samples=20480),
        alphas=(0.0, 1.0, 2.0),
        description="A tiny, unconverged preview with the schema of book-small (for chapter writers only).",
    ),
    "quick": Grid(
        "quick",
        64,
        (4, 8),
        (-0.5, 0.5),
        Protocol("quick", batch=64, steps=40, eval_samples=512, eval_batch=256, log_points=10),
        alphas=(0.5, 1.0, 1.5),
        description="A seconds-long grid for tests.",
    ),
}


def get_grid(name: str) -> Grid:
    """The named grid (see ``python -m superscale.sweep list``); clear error for an unknown name."""
    if name not in GRIDS:
        raise ValueError(f"grid must be one of {sorted(GRIDS)}, got {name!r}")
    return GRIDS[name]


def large_cpu_grid(
    widths: tuple[int, ...] = (8, 16, 32, 64, 128),
    gammas: tuple[float, ...] = (-1.0, 0.1),
    steps: int = 8000,
    batch: int = 128,
    n: int = 10240,
    eval_samples: int | None = None,
    name: str = "large-cpu",
) -> Grid:
    """The ``paper-large`` grid (three frequency laws, n = 10240) reduced for one CPU core (chapter 4;
    ``python -m superscale.sweep large``).

    Same model, optimizer, per-width learning rates and schedule shape as ``paper-large``; only the
    widths, γ, steps, batch (and, if given, n) change. The final loss is measured on
    ``eval_samples`` fresh samples (default 100 × batch, the paper's rule). Each model is its own
    unit, so a killed run loses at most one model and a rerun resumes.
    """
    base = get_grid("paper-large")
    widths = tuple(int(m) for m in widths)
    if any(not (1 <= m < n) for m in widths) or not widths:
        raise ValueError(f"widths must be integers with 1 <= m < n = {n}, got {widths}")
    if not (isinstance(steps, int) and steps >= 1):
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if not (isinstance(batch, int) and batch >= 1):
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    ev = 100 * batch if eval_samples is None else int(eval_samples)
    pr = replace(
        base.protocol,
        name=name,
        steps=steps,
        batch=batch,
        eval_samples=ev,
        eval_batch=min(2048, ev),
        sampler="dense",  # as the shipped short-large and large-batch256 runs were drawn
    )
    desc = (
        f"The paper's large model reduced for one CPU core: n = {n}, widths {list(widths)}, "
        f"γ ∈ {list(gammas)}, power law i^-1.2, exponential e^(-i/400), linear; batch {batch}, "
        f"{steps} steps, the paper's per-width learning rates and schedule shape."
    )
    return Grid(
        name,
        n,
        widths,
        tuple(float(g) for g in gammas),
        pr,
        alphas=base.alphas,
        kinds=base.kinds,
        scale=base.scale,
        description=desc,
        split=("gamma", "m"),
    ).validate()
