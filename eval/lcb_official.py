"""``--grader official``: LiveCodeBench's own verdicts, quirks included, computed in our sandbox.

The published numbers this project compares against (R1-Zero 40.2, SRPO-Qwen-32B 41.6) come from
LiveCodeBench's ``lcb_runner``. This module reproduces the behaviour of its grader at commit b95a71c
(2025-01-18; ``testing_util.py`` unchanged until 2025-05-23 and identical to the one in PyPI
``nvidia-livecodebench`` 26.3), learned from reading it, in our own code:

- **extraction** (``utils/extraction_utils.extract_code``, every model style but CodeLlama/GenericBase):
  the lines that contain three backticks anywhere; with fewer than two such lines the code is ""; else the
  lines strictly between the last two of them (:func:`extract_code`).
- **execution** (``evaluation/testing_util.py``): :mod:`eval._lcb_harness`, run as the program of one
  sandbox run (``verl_srpo.rewards.sandbox``) for all tests of a program; model-written code never runs
  outside the sandbox, and the expected outputs never enter it.
- **stdout comparison** (``grade_stdio``): both texts stripped, split on "\\n", each line stripped; the
  line counts must match; a line passes if equal, or if both split on whitespace into ``Decimal`` lists
  that are equal (exact: no tolerance); a signalling NaN in that comparison is a runtime error (the tests
  hold this rule literally, as the oracle the keys are checked against).
- **return values** (``grade_call_based``): ``prediction == json.loads(expected)`` with Python's ``==``,
  after turning a returned tuple (top level only) into a list: ``[(1, 2)]`` is wrong for ``[[1, 2]]``,
  ``True`` is right for ``1``, ``3.0`` for ``3``. Expected integers of up to 50000 digits are read (LCB's
  ``sys.set_int_max_str_digits(50000)``). On a wrong value LCB writes ``str(prediction)`` into its
  message inside the test's ``try``: when that raises (an int of over 50000 digits, a value nested deeper
  than the recursion limit), the test's result list gets ``-4`` after ``False``, one entry more.
- **digests**: the sandbox sends back, per test, a digest of the output under these rules
  (``stdout_key``, ``value_key`` of :mod:`verl_srpo.rewards.lcb_keys`, the training code reward's rule too,
  pasted into the harness), compared here with the expected output's:
  equal digests exactly when LiveCodeBench's comparison passes, and a few bytes per test, whatever the
  output size. A signalling NaN counts as a wrong answer, not a runtime error (the same verdict).
- **time**: ``timeout`` seconds per test (an alarm) and ``(timeout + 1) * n_tests + 5`` s for the whole
  program (``compute_code_generation_metrics.check_correctness``).
- **verdict**: a sample passes iff every test passes (``pass_k_utils``: ``all(r > 0)``); tests stop at the
  first failure, so ``per_test`` is as long as LiveCodeBench's result list.

``variant="2505"`` selects LiveCodeBench's stdin stand-in of commit 16de2a1 (2025-05-23, its ``main``
since): ``sys.stdin.buffer`` exists (its ``readline()`` returns the first line every time), ``read()``
returns the whole input every time, and ``for line in sys.stdin`` raises.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from pathlib import Path

from verl_srpo.rewards import lcb_keys
from verl_srpo.rewards.lcb_keys import stdout_key, value_key

LCB_COMMIT = "b95a71cc75872256247772e984245cedfb375e55"  # 2025-01-18; testing_util.py blob a80d009
LCB_COMMIT_2505 = "16de2a1ef5c07342f6b9782a415cc29cee9ce6e4"  # 2025-05-23: sys.stdin mock with .buffer
VARIANTS = {"2501": LCB_COMMIT, "2505": LCB_COMMIT_2505}
MEMORY_MB = 4096  # (ours) LiveCodeBench sets no memory limit; the sandbox needs one
OUTPUT_BYTES = 16 << 20  # (ours) the harness's reply: a digest and at most 300 characters of error per test
PER_TEST = ("pass", "wrong_answer", "runtime_error", "timeout", "killed")
# per_test kind -> LiveCodeBench's result code: True, -2 (wrong answer), -4 (runtime error, also a program
# that does not compile or load), -3 (time limit); "killed" (the whole program ran out of time, or its
# process died): LiveCodeBench records [-2] with error_code -5, "TestRunnerError".


def extract_code(text: str) -> str:
    """The program LiveCodeBench grades: the lines between the last two lines containing three backticks."""
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return ""
    return "\n".join(lines[fences[-2] + 1:fences[-1]])


INT_DIGITS = 50000  # LCB's sys.set_int_max_str_digits(50000): its json.loads reads longer ints than Python's 4300


def _json_int(text: str) -> int:
    """An integer of an expected JSON value, as LCB's ``json.loads`` reads it: up to :data:`INT_DIGITS` digits
    (whatever this process's own limit), else ValueError."""
    if len(text.lstrip("-")) > INT_DIGITS:
        raise ValueError(f"Exceeds the limit ({INT_DIGITS} digits) for integer string conversion")
    return int(Decimal(text))  # exact, and not subject to the int <-> str digit limit


@functools.lru_cache(maxsize=16)
def expected_keys(outputs: tuple[str, ...], fn_name: str | None) -> tuple[str, ...] | None:
    """The digests of a problem's expected outputs (None: one is not JSON), computed once per problem."""
    if fn_name is None:
        return tuple(stdout_key(o) for o in outputs)
    try:
        return tuple(value_key(json.loads(o, parse_int=_json_int)) for o in outputs)
    except (ValueError, RecursionError):
        return None


KEYS_IMPORT = "from verl_srpo.rewards.lcb_keys import stdout_key, value_key"


@functools.lru_cache(maxsize=1)
def harness_source() -> str:
    """The program of the sandbox run: ``_lcb_harness.py`` with its import of :mod:`verl_srpo.rewards.lcb_keys`
    replaced by that module's source (the sandbox runs one stdlib-only script: ``verl_srpo`` is not there)."""
    harness = (Path(__file__).parent / "_lcb_harness.py").read_text()
    lines = harness.splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if line.startswith(KEYS_IMPORT)]
    if len(at) != 1:
        raise RuntimeError(f"_lcb_harness.py must import lcb_keys exactly once, as {KEYS_IMPORT!r}; found {len(at)}")
    keys = Path(lcb_keys.__file__).read_text()
    return "".join(lines[:at[0]]) + keys + "".join(lines[at[0] + 1:])


def _verdict(per_test: list[str], failure: str | None = None, n_tests: int | None = None) -> dict:
    passed = failure is None and len(per_test) == n_tests and all(k == "pass" for k in per_test)
    if failure is None:
        failure = "none" if passed else next((k for k in per_test if k != "pass"), "killed")
    return {"acc": passed, "failure": failure, "per_test": per_test}


def grade_program(code: str, tests: dict, *, timeout: float = 6, variant: str = "2501",
                  memory_mb: int = MEMORY_MB) -> dict:
    """LiveCodeBench's verdict on one extracted program.

    Args:
        code: the program (already extracted, see :func:`extract_code`).
        tests: ``{"inputs": [str], "outputs": [str], "fn_name": str | None}`` in LiveCodeBench's text form
            (``eval.lcb.reward_tests``): stdin text, or one JSON value per line per argument.
        timeout: seconds per test (LiveCodeBench's ``--timeout``, default 6).
        variant: "2501" (commit b95a71c, the default) or "2505" (commit 16de2a1).
    Returns:
        ``{"acc": bool, "failure": str, "per_test": [kind, ...]}``; ``failure`` is "none", "no_code",
        "compile_error", "wrong_answer", "runtime_error", "timeout", "killed", "memory", "output_limit"
        or "sandbox_error"; ``per_test`` uses :data:`PER_TEST`.
    """
    from verl_srpo.rewards.sandbox import Limits, run_program

    if variant not in VARIANTS:
        raise ValueError(f"unknown LiveCodeBench grader variant {variant!r}; known: {sorted(VARIANTS)}")
    inputs, outputs, fn_name = list(tests["inputs"]), list(tests["outputs"]), tests.get("fn_name") or None
    n = len(inputs)
    if not code.strip():  # LCB wraps nothing into a function with no body: a compile error, [-4]
        return _verdict(["runtime_error"], "no_code")
    expected = expected_keys(tuple(outputs), fn_name)
    if expected is None:  # LCB parses every expected value before the first test: [-4]
        return _verdict(["runtime_error"], "runtime_error")
    request = {"code": code, "inputs": inputs, "fn_name": fn_name, "timeout": timeout, "stdin": variant}
    budget = (timeout + 1) * n + 5
    limits = Limits(timeout_s=budget, total_timeout_s=budget, memory_mb=memory_mb, output_bytes=OUTPUT_BYTES)
    (run,) = run_program(harness_source(), [json.dumps(request)], None, limits, prelude=False)
    if run.status != "ok":  # out of time as a whole, out of memory, too much output, or no sandbox
        return _verdict(["killed"], {"runtime_error": "killed"}.get(run.status, run.status))
    try:
        reply = json.loads(run.out)
        if "setup" in reply:
            return _verdict(["runtime_error"], reply["setup"]["kind"])
        results = reply["results"]
    except (ValueError, KeyError, TypeError):  # the harness died (os._exit, SystemExit) or was tampered with
        return _verdict(["killed"], "killed")
    per_test = []
    for i, res in enumerate(results[:n]):
        if res.get("status") != "ok":
            kind = res.get("status") if res.get("status") in ("timeout", "runtime_error") else "runtime_error"
        else:
            kind = "pass" if res.get("key") == expected[i] else "wrong_answer"
        per_test.append(kind)
        if kind == "wrong_answer" and res.get("unprintable"):  # LCB's str() of the wrong value raised: -4 too
            per_test.append("runtime_error")
        if kind != "pass":
            break
    return _verdict(per_test, n_tests=n)
