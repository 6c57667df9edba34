"""Tests of superscale.workbook.ch2 (workbook 2, the toy model): every check passes on the notebook's solutions,
says "not done yet" for a stub, and fails with its explanation on typical wrong answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from superscale.workbook import ExerciseError, solution_namespace

torch = pytest.importorskip("torch")
from superscale.workbook import ch2 as wb  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "workbook" / "wb2_toy_model.ipynb"


@pytest.fixture(scope="module")
def sol() -> dict:
    ns = solution_namespace(NOTEBOOK)
    ns.update(np=np, torch=torch)  # the notebook imports these in its first cell
    return ns


def fails(check, *args, match: str) -> None:
    with pytest.raises(ExerciseError, match=match):
        check(*args)


def stub(*args):
    raise NotImplementedError("fill me in")


@pytest.mark.parametrize(
    "check, names",
    [
        (wb.check_forward, ["forward"]),
        (wb.check_loss, ["paper_loss"]),
        (wb.check_decay_growth, ["decay_or_grow"]),
        (wb.check_phi_half, ["phi_half"]),
    ],
)
def test_checks_pass_on_the_solutions_and_wait_for_stubs(sol, capsys, check, names):
    assert check(*[sol[n] for n in names]) is True
    assert capsys.readouterr().out.startswith("✓ ")
    assert check(*[stub for _ in names]) is False
    assert "not done yet" in capsys.readouterr().out


def test_regime_check_passes_on_the_solution_with_two_live_models(sol, capsys):
    torch.set_num_threads(1)
    assert wb.check_regime(sol["predict_regime"], sol["regime"]) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ weak or strong") and "the live models agree" in out
    assert wb.check_regime(stub, sol["regime"]) is False


def test_forward_wrong_answers():
    fails(wb.check_forward, lambda W, b, x: torch.relu(x @ W), match=r"shape \(B, m\).*maps back")
    fails(wb.check_forward, lambda W, b, x: torch.relu(x @ W @ W.T), match="forgot the bias")
    fails(wb.check_forward, lambda W, b, x: x @ W @ W.T + b, match="forgot the ReLU")
    fails(wb.check_forward, lambda W, b, x: torch.relu(x @ W @ W.T) + b, match="after the ReLU")
    fails(
        wb.check_forward,
        lambda W, b, x: torch.relu(W @ W.T @ x + b),
        match=r"one sample per row.*x @ W @ W\.T",
    )
    fails(wb.check_forward, lambda W, b, x: None, match="returned None")


def test_loss_wrong_answers():
    fails(wb.check_loss, lambda y, x: float(((y - x) ** 2).mean()), match="n = 50 times too small")
    fails(wb.check_loss, lambda y, x: float(((y - x) ** 2).sum()), match="B = 256 times too large")
    fails(wb.check_loss, lambda y, x: float((y - x).abs().sum(1).mean()), match="forgot to square")
    fails(
        wb.check_loss,
        lambda y, x: float((y - x).norm(dim=1).mean()),
        match="norm ‖y − x‖ instead of its square",
    )


def test_decay_growth_wrong_answers():
    fails(wb.check_decay_growth, lambda W, lr, g: W * (1 - lr * g), match="grows without limit")

    def columns(W, lr, g):
        return W * (1 - lr * g) if g >= 0 else W * (1 - lr * g * (1 / W.norm(dim=0, keepdim=True) - 1))

    fails(wb.check_decay_growth, columns, match="norms of the m columns")

    def no_minus_one(W, lr, g):
        return W * (1 - lr * g) if g >= 0 else W * (1 - lr * g / W.norm(dim=1, keepdim=True))

    fails(wb.check_decay_growth, no_minus_one, match="norm exactly 1 changed")

    def flipped(W, lr, g):
        return W * (1 - lr * g) if g >= 0 else W * (1 + lr * g * (1 / W.norm(dim=1, keepdim=True) - 1))

    fails(wb.check_decay_growth, flipped, match="away from 1")
    fails(wb.check_decay_growth, lambda W, lr, g: W * (1 - g), match="ignores the learning rate")

    def in_place(W, lr, g):
        W.mul_(1 - lr * g)

    fails(wb.check_decay_growth, in_place, match="add `return W`")


def test_phi_half_wrong_answers():
    fails(wb.check_phi_half, lambda W: float((W.norm(dim=1) > 0.5).sum()), match="number of represented rows")
    fails(
        wb.check_phi_half, lambda W: float((W.norm(dim=1) ** 2 > 0.5).double().mean()), match="squared norm"
    )
    fails(wb.check_phi_half, lambda W: float((W.norm(dim=1) > 1).double().mean()), match="threshold 1")
    fails(wb.check_phi_half, lambda W: float((W.norm(dim=0) > 0.5).double().mean()), match="columns")


def test_regime_wrong_answers(sol):
    regime = sol["regime"]
    fails(wb.check_regime, lambda g: "strong", regime, match=r"'strong' for γ = \+0\.5 \(decay\)")
    fails(wb.check_regime, lambda g: "weak", regime, match=r"'weak' for γ = −0\.5 \(growth\)")
    fails(wb.check_regime, lambda g: "maybe", regime, match="return 'weak' or 'strong'")
    predict = sol["predict_regime"]
    by_one = lambda norms, m: "strong" if np.mean(norms > 1) > 0.9 else "weak"  # noqa: E731
    fails(wb.check_regime, predict, by_one, match="threshold 1/2")
    more_than_m = lambda norms, m: "strong" if np.sum(norms > 0.5) > m else "weak"  # noqa: E731
    fails(wb.check_regime, predict, more_than_m, match="keeps more than m features")
