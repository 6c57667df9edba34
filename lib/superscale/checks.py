"""The book's claims as named checks (every chapter).

A chapter states things about the data ("strong α_m at α = 2 is close to the paper's 2"). Each such
statement is a *check function* in the chapter's module (:mod:`superscale.chapters`) that takes the
computed tables and returns a list of :class:`Finding`: what was claimed, whether the data bear it out,
and a message a reader understands. pytest runs every chapter's checks on the committed data
(``tests/test_claims.py``); each chapter calls them once, in one short hidden cell, through
:func:`require`.

Tolerances come from standard errors (:func:`within`, :func:`close_to` take ``se`` and ``k``), not from
pinning today's exact counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Finding", "ClaimFailed", "require", "within", "close_to", "at_least", "at_most", "holds"]


@dataclass(frozen=True)
class Finding:
    """One checked statement of the book (every chapter).

    ``claim`` names the statement (short, the reader's words); ``ok`` says whether the data bear it out;
    ``message`` says what was measured against what, in a sentence that reads well when it fails."""

    claim: str
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"[{'ok' if self.ok else 'FAILS'}] {self.claim}: {self.message}"


class ClaimFailed(AssertionError):
    """Raised by :func:`require` when the data contradict a statement of the book."""


def require(*groups: Iterable[Finding], quiet: bool = False) -> list[Finding]:
    """Check every finding; raise :class:`ClaimFailed` listing the failed ones (every chapter's hidden cell).

    Returns the findings when all hold, and prints one line saying how many statements were checked
    unless ``quiet``."""
    findings = [f for g in groups for f in g]
    if not findings:
        raise ValueError("require() needs at least one finding: a check returned nothing")
    bad = [f for f in findings if not f.ok]
    if bad:
        lines = "\n".join(f"- {f.claim}: {f.message}" for f in bad)
        raise ClaimFailed(
            f"{len(bad)} of {len(findings)} statements of this chapter do not hold for the data loaded:\n{lines}"
        )
    if not quiet:
        print(f"All {len(findings)} statements this chapter makes about its data hold.")
    return findings


def _fmt(x: float, digits: int) -> str:
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def within(
    claim: str,
    value: float,
    lo: float,
    hi: float,
    *,
    se: float = 0.0,
    k: float = 2.0,
    what: str = "the value",
    digits: int = 2,
) -> Finding:
    """``value`` lies in [lo, hi], allowing ``k`` standard errors ``se`` on either side."""
    value = float(value)
    slack = k * float(se) if se and math.isfinite(se) else 0.0
    ok = math.isfinite(value) and lo - slack <= value <= hi + slack
    se_txt = f" ± {_fmt(float(se), digits)}" if se else ""
    rel = "inside" if ok else "outside"
    allow = f" (allowing {k:g} standard errors)" if se else ""
    msg = f"{what} is {_fmt(value, digits)}{se_txt}, {rel} {_fmt(lo, digits)}–{_fmt(hi, digits)}{allow}"
    return Finding(claim, ok, msg)


def close_to(
    claim: str,
    value: float,
    target: float,
    *,
    se: float = 0.0,
    k: float = 2.0,
    rel: float = 0.0,
    what: str = "the value",
    target_what: str = "",
    digits: int = 2,
) -> Finding:
    """``|value − target| ≤ k·se + rel·|target|``: equal within the measurement error (and a relative margin)."""
    value, target = float(value), float(target)
    tol = (k * float(se) if se else 0.0) + rel * abs(target)
    ok = math.isfinite(value) and abs(value - target) <= tol
    tw = f" ({target_what})" if target_what else ""
    msg = (
        f"{what} is {_fmt(value, digits)}, {'within' if ok else 'more than'} {_fmt(tol, digits)} "
        f"of {_fmt(target, digits)}{tw}"
    )
    return Finding(claim, ok, msg)


def at_least(claim: str, value: float, bound: float, *, what: str = "the value", digits: int = 2) -> Finding:
    """``value ≥ bound``."""
    value = float(value)
    ok = math.isfinite(value) and value >= bound
    return Finding(
        claim, ok, f"{what} is {_fmt(value, digits)}, {'at least' if ok else 'below'} {_fmt(bound, digits)}"
    )


def at_most(claim: str, value: float, bound: float, *, what: str = "the value", digits: int = 2) -> Finding:
    """``value ≤ bound``."""
    value = float(value)
    ok = math.isfinite(value) and value <= bound
    return Finding(
        claim, ok, f"{what} is {_fmt(value, digits)}, {'at most' if ok else 'above'} {_fmt(bound, digits)}"
    )


def holds(claim: str, ok: bool, message: str) -> Finding:
    """A statement that is true or false as a whole (e.g. an ordering); ``message`` describes what was seen."""
    return Finding(claim, bool(ok), message)
