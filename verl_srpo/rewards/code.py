"""Code reward: run the last fenced code block of a reply against the problem's tests.

Ground-truth format (the one data preparation and evaluation convert to), APPS/TACO style, as a
JSON string or a dict::

    {"inputs": [...], "outputs": [...], "fn_name": null | "name"}

- ``fn_name`` null: stdin/stdout tests. ``inputs[i]`` is the whole stdin (a string; a list of
  lines is joined with newlines), ``outputs[i]`` the expected stdout (same).
- ``fn_name`` set: functional tests. The program defines ``fn_name``, or a class ``Solution``
  with method ``fn_name`` (LeetCode). ``inputs[i]`` is either a list of positional arguments, or
  (LiveCodeBench) a string with one JSON value per line, one line per argument;
  ``outputs[i]`` is the return value, or its JSON text (LiveCodeBench).

Comparison follows LiveCodeBench's rules (``lcb_runner/evaluation/testing_util.py``):
stdout and expected are stripped, split into lines, each line stripped; the line counts must
match; a line passes if equal, or else if both split on whitespace into the same number of
tokens that are all numbers with equal ``Decimal`` values ("1.0" == "1", "0.50" == ".5"; no
tolerance beyond exact decimal equality). Return values pass if equal after JSON round-trip
(tuples become lists), or, APPS convention, if the expected value is ``[v]`` and the program
returned ``v``.

A reply scores ``acc`` 1 only if every test passes. ``failure`` is the kind of the first failing
test: "none", "no_code", "wrong_answer", "runtime_error", "timeout", "memory", "output_limit",
"compile_error" or "sandbox_error".
"""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal, InvalidOperation

from verl_srpo.rewards.sandbox import Limits, run_program

FENCE_RE = re.compile(r"```[ \t]*[\w+#.-]*[ \t]*\n(.*?)```", re.DOTALL)
FAILURES = ("none", "no_code", "wrong_answer", "runtime_error", "timeout", "memory", "output_limit",
            "compile_error", "sandbox_error")


def extract_code(reply: str) -> str | None:
    """The body of the last fenced code block (any language tag), or None when there is none."""
    blocks = FENCE_RE.findall(reply)
    return blocks[-1] if blocks else None


def parse_tests(tests) -> tuple[list, list, str | None]:
    """Validate the canonical tests (JSON string or dict). Returns (inputs, outputs, fn_name)."""
    if isinstance(tests, (str, bytes)):
        try:
            tests = json.loads(tests)
        except ValueError as exc:
            raise ValueError(f"code tests are not valid JSON ({exc}); expected "
                             '{"inputs": [...], "outputs": [...], "fn_name": null | "name"}') from None
    if not isinstance(tests, dict) or not {"inputs", "outputs"} <= set(tests):
        raise ValueError(f"code tests must be a dict with 'inputs' and 'outputs' (and 'fn_name'), got {type(tests).__name__}"
                         f" with keys {sorted(tests) if isinstance(tests, dict) else '-'}")
    inputs, outputs, fn_name = _plain(tests["inputs"]), _plain(tests["outputs"]), tests.get("fn_name") or None
    if len(inputs) != len(outputs) or not inputs:
        raise ValueError(f"code tests need as many inputs as outputs, at least one: got {len(inputs)} and {len(outputs)}")
    return inputs, outputs, fn_name


def _plain(value):
    """Lists all the way down (parquet hands back numpy arrays for list columns)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _text(value) -> str:
    return "\n".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except InvalidOperation:
        return None


def stdout_matches(got: str, expected) -> bool:
    """LiveCodeBench's stdin/stdout rule (see the module docstring)."""
    got_lines, exp_lines = _lines(got), _lines(_text(expected))
    if len(got_lines) != len(exp_lines):
        return False
    for g, e in zip(got_lines, exp_lines):
        if g == e:
            continue
        gd, ed = _decimals(g), _decimals(e)
        if gd is None or ed is None or gd != ed:
            return False
    return True


def call_args(test_input) -> list:
    """Positional arguments for a functional test (list as is; LiveCodeBench JSON lines parsed)."""
    if isinstance(test_input, str):
        return [json.loads(line) for line in test_input.split("\n")]
    return list(test_input) if isinstance(test_input, (list, tuple)) else [test_input]


def _expected_value(expected):
    if isinstance(expected, str):
        try:
            return json.loads(expected)
        except ValueError:
            return expected
    return expected


def return_matches(got_json: str, expected) -> bool:
    """Functional-test rule: JSON-equal, or APPS' one-element list wrapping."""
    try:
        got = json.loads(got_json)
    except ValueError:
        return False
    exp = json.loads(json.dumps(_expected_value(expected), default=repr))
    return got == exp or (isinstance(exp, list) and len(exp) == 1 and got == exp[0])


def score_code(solution_str: str, tests, max_tests: int = 0, *, extracted: bool = False, per_test: bool = False,
               **limits) -> dict:
    """Score a reply against its tests.

    Args:
        solution_str: the model reply; its last fenced code block is run.
        tests: canonical tests (module docstring).
        max_tests: run only the first ``max_tests`` tests (0: all).
        extracted: ``solution_str`` is the program itself (e.g. LiveCodeBench's custom-evaluator input).
        per_test: also return ``"per_test"``, the failure kind of each test ("none" when it passed).
        **limits: fields of :class:`verl_srpo.rewards.sandbox.Limits` (``timeout_s``, ``memory_mb``, ...).
    Returns:
        {"acc": 0|1, "pass_frac": float, "failure": str, "n_tests": int} (+ "per_test": [str])
    """
    inputs, outputs, fn_name = parse_tests(tests)
    valid = {f.name for f in dataclasses.fields(Limits)}
    if set(limits) - valid:
        raise ValueError(f"unknown sandbox limits {sorted(set(limits) - valid)}; valid: {sorted(valid)}")
    if max_tests:
        inputs, outputs = inputs[:max_tests], outputs[:max_tests]
    code = solution_str if extracted else extract_code(solution_str)
    if code is None:
        out = {"acc": 0, "pass_frac": 0.0, "failure": "no_code", "n_tests": len(inputs)}
        return {**out, "per_test": []} if per_test else out
    if fn_name is None:
        runs = run_program(code, [_text(i) for i in inputs], None, Limits(**limits))
    else:
        runs = run_program(code, [call_args(i) for i in inputs], fn_name, Limits(**limits))
    passed, failure, kinds = 0, "none", []
    for run, expected in zip(runs, outputs):
        if run.status == "ok":
            ok = stdout_matches(run.out, expected) if fn_name is None else return_matches(run.out, expected)
            kind = "none" if ok else "wrong_answer"
        else:
            kind = "timeout" if run.status == "skipped" else run.status
        passed += kind == "none"
        kinds.append(kind)
        if failure == "none":
            failure = kind
    n = len(runs)
    out = {"acc": int(passed == n), "pass_frac": passed / n, "failure": failure, "n_tests": n}
    return {**out, "per_test": kinds} if per_test else out
