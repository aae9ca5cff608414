"""LiveCodeBench's stdout rule written literally, as ``grade_stdio`` decides it (lcb_runner @ b95a71c,
``evaluation/testing_util.py``): the oracle that :mod:`verl_srpo.rewards.lcb_keys` is checked against. Only the
tests use it; grading compares keys."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def _stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except Exception:
        return None


def compare_stdout(got: str, expected: str) -> str:
    """"pass", "wrong_answer", or "runtime_error" (a signalling NaN compared), as ``grade_stdio`` decides."""
    got_lines, exp_lines = _stripped_lines(got), _stripped_lines(expected)
    if len(got_lines) != len(exp_lines):
        return "wrong_answer"
    for g, e in zip(got_lines, exp_lines):
        if g == e:
            continue
        gd, ed = _decimals(g), _decimals(e)
        if gd is None or ed is None:
            return "wrong_answer"
        try:
            if gd != ed:
                return "wrong_answer"
        except InvalidOperation:
            return "runtime_error"
    return "pass"
