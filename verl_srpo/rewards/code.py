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

Comparison follows LiveCodeBench's rules (``lcb_runner/evaluation/testing_util.py``), as keys of
:mod:`verl_srpo.rewards.lcb_keys` (the one definition, shared with ``--grader official``):
stdout and expected are stripped, split into lines, each line stripped; the line counts must
match; a line passes if equal, or else if both split on whitespace into the same number of
tokens that are all numbers with equal ``Decimal`` values ("1.0" == "1", "0.50" == ".5"; no
tolerance beyond exact decimal equality). A number is what ``Decimal`` reads, as in
LiveCodeBench: "1e5" == "100000", "-0" == "0", "inf" == "Infinity", "1_000" == "1000" (CPython's
``decimal`` drops every underscore), and digits of any script ("١" == "1"); it is read exactly,
whatever the thread's decimal context.
No program output makes the comparison raise (LiveCodeBench's own raises on a signalling NaN):
a NaN, quiet or signalling ("nan", "sNaN", "-NaN5"), equals nothing, so its line passes only
when equal as text; an exponent beyond Decimal's range ("1e99999999999999999999") and any other
token ``Decimal`` refuses is no number; a key costs time linear in the output's length. Return
values pass if equal after JSON round-trip (tuples become lists), or, APPS convention, if the
expected value is ``[v]`` and the program returned ``v``; what a program sends back that Python's
``json`` cannot read (an int over 4300 digits, nesting past the recursion limit) is a wrong answer.

Test data is validated first (:func:`parse_tests`): ``inputs``/``outputs`` must be lists of the same
non-zero length; stdin/stdout values are strings, numbers or lists of them (lines); ``fn_name`` is an
identifier; stdin/stdout texts are valid Unicode (a lone surrogate cannot be on a judge's stdin); a LiveCodeBench
argument string has one JSON value per line (LF, CRLF or CR; trailing blank lines, e.g. a final newline, are
ignored: a blank line is never a JSON value); arguments and expected return values
must have a JSON form (no int over 4300 digits, no nesting past the recursion limit). Test
data that breaks these rules scores 0 with ``failure="bad_ground_truth"`` and never raises: an
exception in the reward would kill the training step.

The code is a fenced block (```` ``` ```` or ``~~~``): the last one whose info string names Python
(``python``, ``py``, ``Python3``, ``py3``, ``pypy``, ``{.python}``, ``python:main.py``...), else the last one with no
info string, else the last one; so a sample run or an expected output shown after the program (```` ```text ````,
```` ``` ````) is never taken for it. Blocks after the last ``</think>`` (the answer) come first: a draft tagged
Python in the reasoning never wins over the answer's program; a reply whose answer has no block falls back to all.
Windows (CRLF) and old Mac (CR) line endings are read as newlines first, so
a ```` ```python\r\n```` fence is found, and the body of a fence indented at the start of its line (in a list
item) loses that indentation, as in CommonMark.

The sandbox's output limit (:class:`verl_srpo.rewards.sandbox.Limits`, 4 MiB per test) is raised for a program
whose tests expect more, to twice the largest expected stdout plus 1 MiB: a correct large answer is never cut.

A reply scores ``acc`` 1 only if every test passes. ``failure`` is the kind of the first failing
test: "none", "no_code", "wrong_answer", "runtime_error", "timeout", "memory", "output_limit",
"compile_error", "sandbox_error" or "bad_ground_truth".
"""

from __future__ import annotations

import dataclasses
import json
import re

from verl_srpo.rewards.lcb_keys import line_key, stdout_lines
from verl_srpo.rewards.sandbox import Limits, run_program

# a fence: its indentation when it starts a line, the fence, the info string, the body up to the same fence
FENCE_RE = re.compile(r"(^[ \t]*)?(```|~~~)([^\n`~]*)\n(.*?)\2", re.DOTALL | re.MULTILINE)
PYTHON_TAGS = frozenset({"python", "python3", "py", "py3", "pypy", "pypy3", "cpython"})
SCHEMA = '{"inputs": [...], "outputs": [...], "fn_name": null | "name"}'


def extract_code(reply: str) -> str | None:
    """The program of a reply (module docstring): among the fenced blocks after the last ``</think>`` (all blocks when
    none is), the body of the last one tagged as Python, else of the last untagged one, else of the last one; an
    indented fence's body loses that indentation. None when there is no block."""
    if not isinstance(reply, str):
        return None
    text = reply.replace("\r\n", "\n").replace("\r", "\n")
    matches = list(FENCE_RE.finditer(text))
    if not matches:
        return None
    answer = text.rfind("</think>")  # drafts in the reasoning never win over a block in the answer
    blocks = [m.groups() for m in matches if m.start(2) > answer] or [m.groups() for m in matches]
    python = [b for b in blocks if _is_python_tag(b[2])]
    untagged = [b for b in blocks if not b[2].strip()]
    indent, _, _, body = (python or untagged or blocks)[-1]
    return _dedent(body, len(indent)) if indent else body


def _is_python_tag(info: str) -> bool:
    """Whether a fence's info string names Python ("python", "py", "Python3", "{.python}", "python title=a.py")."""
    words = re.findall(r"[a-z0-9+#_-]+", info.lower())
    return bool(words) and words[0] in PYTHON_TAGS


def _dedent(body: str, width: int) -> str:
    """Each line loses up to ``width`` leading blanks (spaces or tabs), as CommonMark strips a fence's indentation."""
    return "\n".join(line[min(len(line) - len(line.lstrip(" \t")), width):] for line in body.split("\n"))


def parse_tests(tests) -> tuple[list, list, str | None]:
    """Validate the canonical tests (JSON string or dict; module docstring).

    Returns (inputs, outputs, fn_name) ready to run and compare: stdin texts and expected stdout texts, or
    argument lists and expected return values (decoded, as :func:`expected_value`). Raises ValueError saying
    what is wrong (data nested too deeply for Python's recursion limit included)."""
    try:
        return _parse_tests(tests)
    except RecursionError:
        raise ValueError(f"code tests are nested too deeply; expected {SCHEMA}") from None


def _parse_tests(tests) -> tuple[list, list, str | None]:
    if hasattr(tests, "tolist") and getattr(tests, "ndim", None) == 0:  # a 0-d numpy array around a str or dict
        tests = tests.tolist()
    if isinstance(tests, bytes):
        tests = tests.decode("utf-8", errors="replace")
    if isinstance(tests, str):
        try:
            tests = json.loads(tests)
        except ValueError as exc:
            raise ValueError(f"code tests are not valid JSON ({exc}); expected {SCHEMA}") from None
    if not isinstance(tests, dict) or not {"inputs", "outputs"} <= set(tests):
        raise ValueError(f"code tests must be a dict with 'inputs' and 'outputs' (and 'fn_name'), got "
                         f"{type(tests).__name__} with keys {sorted(map(str, tests)) if isinstance(tests, dict) else '-'}; expected {SCHEMA}")
    inputs, outputs = _plain(tests["inputs"]), _plain(tests["outputs"])
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise ValueError(f"code tests' inputs and outputs must be lists, got {type(inputs).__name__} and "
                         f"{type(outputs).__name__}")
    if len(inputs) != len(outputs) or not inputs:
        raise ValueError(f"code tests need as many inputs as outputs, at least one: got {len(inputs)} and "
                         f"{len(outputs)}")
    fn_name = tests.get("fn_name") or None
    if fn_name is not None and not (isinstance(fn_name, str) and fn_name.isidentifier()):
        raise ValueError(f"code tests' fn_name must be a Python identifier or null, got {fn_name!r}")
    if fn_name is None:
        return [_stdio_text(v, "input") for v in inputs], [_stdio_text(v, "output") for v in outputs], None
    args = [call_args(v) for v in inputs]
    try:
        json.dumps(args, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"functional test arguments must be JSON values ({exc})") from None
    return args, [expected_value(v) for v in outputs], fn_name


def _plain(value):
    """Lists all the way down (parquet hands back numpy arrays for list columns)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _stdio_text(value, what: str) -> str:
    """A stdin/stdout value as text: a string, a number, or a list of them (lines)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    elif isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        value = "\n".join(map(str, value))
    elif not isinstance(value, str):
        raise ValueError(f"a stdin/stdout test {what} must be a string, a number or a list of them, got {value!r:.80}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"a stdin/stdout test {what} is not valid Unicode (a lone surrogate): {value!r:.80}") from None
    return value


def _text(value) -> str:
    return "\n".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def stdout_matches(got: str, expected) -> bool:
    """LiveCodeBench's stdin/stdout rule (see the module docstring): ``stdout_key(got) == stdout_key(expected)``
    of :mod:`verl_srpo.rewards.lcb_keys`, the one definition the official grader uses too, decided line by line
    without the digest (the same verdict: equal line counts and pairwise equal line keys; a line equal as text
    has an equal key, so only lines that differ are keyed). Never raises."""
    got_lines, exp_lines = stdout_lines(got), stdout_lines(_text(expected))
    return len(got_lines) == len(exp_lines) and all(g == e or line_key(g) == line_key(e)
                                                    for g, e in zip(got_lines, exp_lines))


def call_args(test_input) -> list:
    """Positional arguments for a functional test: a list as is; a LiveCodeBench string parsed as one JSON
    value per line (LF, CRLF or CR), trailing blank lines ignored; anything else is the one argument. ValueError on
    bad JSON."""
    if isinstance(test_input, str):
        lines = test_input.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        try:
            return [json.loads(line) for line in lines]
        except ValueError as exc:
            raise ValueError(f"a functional test input must have one JSON value per line ({exc}): "
                             f"{test_input!r:.80}") from None
    return list(test_input) if isinstance(test_input, (list, tuple)) else [test_input]


def expected_value(expected):
    """A functional test's expected return value as the program's will be compared: its JSON text decoded (a
    text that is not JSON stays itself), then through a JSON round trip (tuples become lists). ValueError when
    it has no JSON form (an int over Python's 4300-digit limit, nesting deeper than the recursion limit)."""
    try:
        if isinstance(expected, str):
            try:
                expected = json.loads(expected)
            except ValueError:
                pass
        return json.loads(json.dumps(expected, default=repr))
    except (ValueError, TypeError, RecursionError) as exc:  # TypeError: a dict with tuple keys
        raise ValueError(f"a functional test's expected value has no JSON form ({type(exc).__name__}: "
                         f"{str(exc)[:80]})") from None


def _same_return(got_json: str, exp) -> bool:
    try:
        got = json.loads(got_json)
        return got == exp or (isinstance(exp, list) and len(exp) == 1 and got == exp[0])
    except (ValueError, RecursionError):  # not JSON, an int over 4300 digits, nesting past the recursion limit
        return False


def return_matches(got_json: str, expected) -> bool:
    """Functional-test rule: JSON-equal, or APPS' one-element list wrapping. False for anything the program
    sent back that is not JSON Python can read. ValueError when ``expected`` has no JSON form."""
    return _same_return(got_json, expected_value(expected))


def _limits_for(outputs: list, fn_name: str | None, limits: Limits) -> Limits:
    """``limits`` with room for the expected stdout: the output limit becomes twice the largest expected output
    plus 1 MiB when that is more, so a program printing the right (large) answer is never cut at the limit."""
    if fn_name is not None:
        return limits
    need = 2 * max(len(o.encode("utf-8", "surrogatepass")) for o in outputs) + (1 << 20)
    return dataclasses.replace(limits, output_bytes=need) if need > limits.output_bytes else limits


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
        {"acc": 0|1, "pass_frac": float, "failure": str, "n_tests": int} (+ "per_test": [str]); with bad test
        data, failure "bad_ground_truth", n_tests 0 and "error" saying what is wrong (never raises for data).
    Raises:
        ValueError: an unknown sandbox limit (configuration, checked at start-up).
    """
    valid = {f.name for f in dataclasses.fields(Limits)}
    if set(limits) - valid:
        raise ValueError(f"unknown sandbox limits {sorted(set(limits) - valid)}; valid: {sorted(valid)}")
    try:
        inputs, outputs, fn_name = parse_tests(tests)
    except ValueError as exc:
        out = {"acc": 0, "pass_frac": 0.0, "failure": "bad_ground_truth", "n_tests": 0, "error": str(exc)}
        return {**out, "per_test": []} if per_test else out
    if max_tests:
        inputs, outputs = inputs[:max_tests], outputs[:max_tests]
    code = solution_str if extracted else extract_code(solution_str)
    if code is None:
        out = {"acc": 0, "pass_frac": 0.0, "failure": "no_code", "n_tests": len(inputs)}
        return {**out, "per_test": []} if per_test else out
    runs = run_program(code, inputs, fn_name, _limits_for(outputs, fn_name, Limits(**limits)))  # inputs in run form
    passed, failure, kinds = 0, "none", []
    for run, expected in zip(runs, outputs):
        if run.status == "ok":
            ok = stdout_matches(run.out, expected) if fn_name is None else _same_return(run.out, expected)
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
