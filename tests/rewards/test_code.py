"""Code reward: extraction, LiveCodeBench comparison rules (hand-checked), scoring end to end."""

from __future__ import annotations

import json

import pytest

from verl_srpo.rewards.code import call_args, extract_code, parse_tests, return_matches, score_code, stdout_matches

ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
TESTS = {"inputs": ["1 2\n", "10 -3\n", "0 0\n"], "outputs": ["3\n", "7\n", "0\n"], "fn_name": None}


def fenced(code: str, lang: str = "python") -> str:
    return f"<think>easy</think><answer>\n```{lang}\n{code}```\n</answer>"


def test_extract_last_fenced_block():
    reply = "```python\nprint(1)\n```\ntext\n```py\nprint(2)\n```"
    assert extract_code(reply) == "print(2)\n"
    assert extract_code("```\nx = 1\n```") == "x = 1\n"
    assert extract_code("no code here") is None


@pytest.mark.parametrize("got, expected, ok", [
    ("3\n", "3", True),
    ("3   \n\n", "3\n", True),                 # trailing whitespace and blank lines
    ("1 2\n3", "1 2\n3\n", True),
    ("1.0 2.50\n", "1 2.5", True),             # Decimal equality per token
    ("0.333333", "0.3333333", False),          # no tolerance beyond exact decimals
    ("1 2", "1  2", True),                     # inner spacing differs; tokens are equal Decimals
    ("YES", "yes", False),
    ("1\n2", "1 2", False),                    # line counts differ
    ("abc 1", "abc 1.0", False),               # non-numeric token: only exact lines match
    ("", "", True),
])
def test_stdout_rules(got, expected, ok):
    assert stdout_matches(got, expected) is ok


def test_functional_inputs_and_returns():
    assert call_args("[1, 2]\n3") == [[1, 2], 3]      # LiveCodeBench: one JSON value per line
    assert call_args([[1, 2], 3]) == [[1, 2], 3]      # APPS: argument list
    assert return_matches("[1, 2]", "[1, 2]")
    assert return_matches("[1, 2]", (1, 2))
    assert return_matches("5", [5])                   # APPS wraps a single return value in a list
    assert not return_matches("5", [5, 6])
    assert not return_matches("not json", 5)


def test_parse_tests_errors_are_clear():
    assert parse_tests(json.dumps(TESTS))[2] is None
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_tests("{inputs")
    with pytest.raises(ValueError, match="'inputs' and 'outputs'"):
        parse_tests({"input": []})
    with pytest.raises(ValueError, match="as many inputs as outputs"):
        parse_tests({"inputs": ["1"], "outputs": []})


def test_score_correct_wrong_partial():
    assert score_code(fenced(ADD), TESTS, timeout_s=2) == {"acc": 1, "pass_frac": 1.0, "failure": "none", "n_tests": 3}
    wrong = score_code(fenced("print(3)\n"), json.dumps(TESTS), timeout_s=2)
    assert (wrong["acc"], wrong["failure"]) == (0, "wrong_answer")
    assert wrong["pass_frac"] == pytest.approx(1 / 3)
    assert score_code(fenced(ADD), TESTS, max_tests=1, timeout_s=2)["n_tests"] == 1


def test_score_failure_kinds():
    assert score_code("no code", TESTS)["failure"] == "no_code"
    assert score_code(fenced("def f(:\n"), TESTS, timeout_s=2)["failure"] == "compile_error"
    assert score_code(fenced("raise ValueError\n"), TESTS, timeout_s=2)["failure"] == "runtime_error"
    assert score_code(fenced("while True: pass\n"), TESTS, timeout_s=0.5)["failure"] == "timeout"
    mem = score_code(fenced("x = bytearray(8 << 30)\n"), TESTS, timeout_s=2, memory_mb=256)
    assert (mem["acc"], mem["failure"]) == (0, "memory")
    with pytest.raises(ValueError, match="unknown sandbox limits"):
        score_code(fenced(ADD), TESTS, timeout=3)


def test_functional_leetcode_and_plain_function():
    tests = {"inputs": ["[2, 7, 11, 15]\n9", "[3, 3]\n6"], "outputs": ["[0, 1]", "[0, 1]"], "fn_name": "twoSum"}
    leetcode = (
        "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
        "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
        "                return [seen[target - x], i]\n            seen[x] = i\n"
    )
    assert score_code(fenced(leetcode), tests, timeout_s=2)["acc"] == 1
    apps = {"inputs": [[2, 3], [5, 5]], "outputs": [[5], [10]], "fn_name": "add"}
    assert score_code(fenced("def add(a, b):\n    return a + b\n"), apps, timeout_s=2)["acc"] == 1
    assert score_code(fenced("def add(a, b):\n    return a - b\n"), apps, timeout_s=2)["failure"] == "wrong_answer"


def test_parquet_numpy_columns_become_lists():
    import numpy as np

    inputs, outputs, fn_name = parse_tests({"inputs": np.array([np.array([1, 2]), np.array([3, 4])], dtype=object),
                                            "outputs": np.array([3, 7]), "fn_name": "add"})
    assert (inputs, outputs, fn_name) == ([[1, 2], [3, 4]], [3, 7], "add")
    assert json.dumps(inputs)  # travels to the sandbox as JSON


# --- line endings and fences (issue 11) ----------------------------------------------------------------------------


@pytest.mark.parametrize("reply, code", [
    ("```python\r\nprint(1)\r\n```\r\n", "print(1)\n"),                   # Windows line endings
    ("text\r\n```py\r\na = 1\r\nprint(a)\r\n```", "a = 1\nprint(a)\n"),
    ("```python\rprint(1)\r```", "print(1)\n"),                            # old Mac line endings
    ("~~~python\nprint(2)\n~~~", "print(2)\n"),                            # tilde fences
    ("```python title=main.py\nprint(3)\n```", "print(3)\n"),              # an info string after the language
    ("<answer>```python\nprint(4)\n```</answer>", "print(4)\n"),           # fences inside the answer tag
])
def test_fences_of_every_shape(reply, code):
    assert extract_code(reply) == code


@pytest.mark.parametrize("reply, code", [
    # the program, then its sample run or expected output in a later block: the Python block is the program
    ("```python\nprint(1)\n```\nOutput:\n```\n3\n```", "print(1)\n"),
    ("```py\nprint(1)\n```\n```text\n3\n```\n```bash\npython3 main.py < in.txt\n```", "print(1)\n"),
    ("```Python3\nprint(1)\n```\n~~~\n3\n~~~", "print(1)\n"),
    ("```python:main.py\nprint(1)\n```\n```\n3\n```", "print(1)\n"),
    ("```{.python}\nprint(1)\n```\n```\n3\n```", "print(1)\n"),
    ("```\nprint(1)\n```\n```text\n3\n```", "print(1)\n"),            # no Python tag: the last untagged block
    ("```python\nprint(0)\n```\nFixed:\n```python\nprint(1)\n```\n```\n1\n```", "print(1)\n"),  # last Python one
    ("```\nprint(0)\n```\n```\nprint(1)\n```", "print(1)\n"),            # untagged only: the last one
    ("```cpp\nint main() {}\n```", "int main() {}\n"),                    # no Python, no untagged: the last one
    # the answer (after </think>) first: a Python-tagged draft in the reasoning never wins over the answer's block
    ("<think>```python\nprint(0)\n```</think><answer>```\nprint(1)\n```</answer>", "print(1)\n"),
    ("<think>```python\nprint(0)\n```</think><answer>```python\nprint(1)\n```\n```\n1\n```</answer>", "print(1)\n"),
    ("<think>```python\nprint(1)\n```</think><answer>It prints 1.</answer>", "print(1)\n"),  # none in the answer
    # a fence indented in a list item: its body loses the fence's indentation (CommonMark)
    ("1. The code:\n   ```python\n   def f():\n       return 1\n   print(f())\n   ```\n",
     "def f():\n    return 1\nprint(f())\n"),
    ("\t~~~py\n\tx = 1\n\n\tprint(x)\n\t~~~", "x = 1\n\nprint(x)\n"),
    ("  ```python\r\n  print(1)\r\n  ```", "print(1)\n"),
])
def test_the_program_is_the_python_block(reply, code):
    assert extract_code(reply) == code


def test_sample_output_after_the_program_scores_1():
    reply = ("Solution:\n```python\n" + ADD + "```\nFor the first sample it prints:\n```\n3\n```")
    assert score_code(reply, TESTS, timeout_s=5)["acc"] == 1
    listed = "1. Read the input.\n2. Print the sum:\n   ```python\n" + "".join("   " + ln + "\n" for ln in
                                                                             ADD.splitlines()) + "   ```\n"
    assert score_code(listed, TESTS, timeout_s=5)["acc"] == 1


def test_a_correct_answer_larger_than_the_output_limit_is_not_cut():
    big = "".join(f"{i}\n" for i in range(40_000))  # 228,890 bytes
    tests = {"inputs": [""], "outputs": [big]}
    code = "import sys\nsys.stdout.write(''.join(f'{i}\\n' for i in range(40000)))\n"
    assert score_code(fenced(code), tests, timeout_s=5, output_bytes=64 << 10)["acc"] == 1
    flood = "import sys\nsys.stdout.write('x' * (4 << 20))\n"  # far past 2 x expected + 1 MiB: still cut
    assert score_code(fenced(flood), tests, timeout_s=5, output_bytes=64 << 10)["failure"] == "output_limit"


def test_crlf_reply_scores_like_its_lf_twin():
    reply = fenced(ADD).replace("\n", "\r\n")
    assert score_code(reply, TESTS, timeout_s=5) == {"acc": 1, "pass_frac": 1.0, "failure": "none", "n_tests": 3}


# --- malformed or odd test data: a failure kind, never an exception (issue 11) -------------------------------------


def test_functional_input_with_a_trailing_newline():
    """LiveCodeBench's one-JSON-value-per-line inputs, ending in a newline (or CRLF): the blank line is no argument."""
    assert call_args("[1, 2]\n3\n") == [[1, 2], 3]
    assert call_args("[1, 2]\r\n3\r\n\r\n") == [[1, 2], 3]
    assert call_args("") == []
    assert call_args("[1, 2]\r3\r") == [[1, 2], 3]                          # old Mac line endings
    code = "class Solution:\n    def add(self, xs, k):\n        return [x + k for x in xs]\n"
    tests = {"inputs": ["[1, 2]\n3\n"], "outputs": ["[4, 5]"], "fn_name": "add"}
    assert score_code(fenced(code), tests, timeout_s=5)["acc"] == 1


def test_tests_inside_a_0d_numpy_array():
    import numpy as np

    tests = np.array(json.dumps(TESTS), dtype=object)
    assert parse_tests(tests)[0] == TESTS["inputs"]
    assert score_code(fenced(ADD), tests, timeout_s=5)["acc"] == 1


def test_number_and_line_list_stdio_values_are_text():
    inputs, outputs, _ = parse_tests({"inputs": [5, ["1 2", "3"]], "outputs": [10, [3, 3]]})
    assert inputs == ["5", "1 2\n3"] and outputs == ["10", "3\n3"]


BAD_TESTS = [
    None, 5, 3.5, True, "", "   ", "not json", "[1, 2]", "{}", "null", b"\xff\xfe", [], {"inputs": []},
    {"inputs": [], "outputs": []}, {"inputs": ["1"], "outputs": []}, {"inputs": "12", "outputs": "24"},
    {"inputs": {"a": 1}, "outputs": {"a": 2}}, {"inputs": [None], "outputs": ["1"]},
    {"inputs": ["1"], "outputs": [None]}, {"inputs": [{"x": 1}], "outputs": ["1"]},
    {"inputs": [True], "outputs": ["1"]}, {"inputs": [[None]], "outputs": ["1"]},
    {"inputs": ["1"], "outputs": ["2"], "fn_name": 5}, {"inputs": ["1"], "outputs": ["2"], "fn_name": "not a name"},
    {"inputs": ["not json"], "outputs": ["2"], "fn_name": "f"},
    {"inputs": ["1\n\n2"], "outputs": ["2"], "fn_name": "f"},
    {"inputs": [[{1, 2}]], "outputs": ["2"], "fn_name": "f"},
    {"inputs": [[1]], "outputs": [{(1, 2): 3}], "fn_name": "f"},               # a dict key JSON cannot hold
    {"inputs": ["\ud800"], "outputs": ["1"]}, {"inputs": ["1"], "outputs": [["\udfff"]]},  # no UTF-8 form
    {"inputs": [[object()]], "outputs": ["2"], "fn_name": "f"}, {"outputs": ["1"]}, {"input": ["1"], "output": ["1"]},
    {"inputs": ["1"], "outputs": [10 ** 5000], "fn_name": "f"},                 # no JSON form: over 4300 digits
    {"inputs": ["1"], "outputs": ["[" * 5000 + "]" * 5000], "fn_name": "f"},     # nested past the recursion limit
    '{"inputs": ' + "[" * 5000 + "]" * 5000 + ', "outputs": ["1"]}',
]


@pytest.mark.parametrize("tests", BAD_TESTS, ids=range(len(BAD_TESTS)))
def test_malformed_tests_are_a_failure_kind(tests):
    with pytest.raises(ValueError):
        parse_tests(tests)
    res = score_code(fenced(ADD), tests, timeout_s=5)
    assert (res["acc"], res["failure"], res["n_tests"]) == (0, "bad_ground_truth", 0) and res["error"]


def test_fuzzed_test_data_never_raises():
    """Random nested shapes for the tests, the reply and the gold: compute_score always returns a row."""
    import random

    import numpy as np

    from verl_srpo.rewards import compute_score

    # the failure kinds of the code reward (verl_srpo/rewards/code.py, module docstring)
    kinds = ("none", "no_code", "wrong_answer", "runtime_error", "timeout", "memory", "output_limit", "compile_error",
             "sandbox_error", "bad_ground_truth")

    rng = random.Random(0)
    leaves = [None, 0, -1, 2.5, float("nan"), True, "", "1", "1\n", "[1]\n", "x y", "\n\n", b"1", "{\"a\": 1}"]

    def value(depth=0):
        r = rng.random()
        if depth > 2 or r < 0.5:
            return rng.choice(leaves)
        if r < 0.7:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        if r < 0.8:
            return np.array([rng.randint(0, 9) for _ in range(rng.randint(0, 3))])
        return {rng.choice(["inputs", "outputs", "fn_name", "x"]): value(depth + 1) for _ in range(rng.randint(0, 3))}

    for _ in range(300):
        tests = value()
        if rng.random() < 0.5:
            tests = {"inputs": value(1), "outputs": value(1), **({"fn_name": rng.choice([None, "f", "", 3])}
                                                                  if rng.random() < 0.5 else {})}
        if rng.random() < 0.3:
            try:
                tests = json.dumps(tests)
            except (TypeError, ValueError):
                pass
        reply = rng.choice([None, 7, "no code here", b"bytes"])
        row = compute_score("livecodebench", reply, tests)
        assert row["failure"] in kinds and row["acc"] == 0.0
        math_row = compute_score("aime24", reply, value())
        assert math_row["failure"] in ("bad_ground_truth", "no_answer", "wrong_answer") and math_row["acc"] == 0.0


# --- numbers in program output: every Decimal case is a clean verdict ---------------------------------------------
# (got line, expected line, passes), by LiveCodeBench's rule: equal text, or the same count of tokens that Decimal
# reads, pairwise equal. LiveCodeBench's own comparison raises on a signalling NaN; ours says "no".
NUMBER_LINES = [
    ("sNaN", "1", False), ("1", "sNaN", False), ("-sNaN7", "0", False), ("sNaN", "sNaN", True),  # text equal
    ("sNaN 1", "sNaN 1.0", False),                      # a NaN, signalling or quiet, equals nothing
    ("NaN", "nan", False), ("nan", "nan", True), ("NaN 2", "NaN 2", True), ("NaN5 2", "NaN5 2.0", False),
    ("inf", "Infinity", True), ("-inf", "-Infinity", True), ("inf", "-inf", False), ("Infinity", "9" * 50, False),
    ("1e999999999", "1E+999999999", True), ("10e999999998", "1e999999999", True), ("1e999999999", "1e999999998", False),
    ("1e-999999999", "0", False),
    ("1e99999999999999999999", "1e99999999999999999999", True),     # past Decimal's exponent range: no number...
    ("1e99999999999999999999", "10e99999999999999999998", False),   # ...so only equal text passes
    ("1e" + "9" * 5000, "1e" + "9" * 5000 + " ", True), ("1e" + "9" * 5000, "1E" + "9" * 5000, False),
    ("\u0661\u0662", "12", True), ("\uff11", "1", True), ("\u0663.\u0665", "3.5", True),  # digits of any script
    ("1_000", "1000", True), ("_1__0_", "10", True), ("in_f", "inf", True),  # CPython's decimal drops every "_"
    ("0x10", "16", False), ("1e", "1", False), (".", "0", False),
    ("1.", "1", True), (".5", "0.50", True), ("+1", "1", True), ("-0", "0", True), ("-0.0e5", "0", True),
    ("1.0 2", "1 2.00", True), ("1 2", "1 2 3", False), ("1 x", "1.0 x", False),  # a non-number: only equal text
    ("9" * 1_000_000, "9" * 999_999 + "8", False), ("0." + "0" * 1_000_000 + "1", "1e-1000001", True),
]


@pytest.mark.parametrize("got, expected, ok", NUMBER_LINES, ids=range(len(NUMBER_LINES)))
def test_numbers_in_output_never_raise(got, expected, ok):
    assert stdout_matches(got, expected) is ok
    assert stdout_matches(f"a\n{got}\n", f"a\n{expected}") is ok


@pytest.mark.parametrize("got, expected, ok", NUMBER_LINES, ids=range(len(NUMBER_LINES)))
def test_numbers_agree_with_the_official_grader(got, expected, ok):
    """LiveCodeBench's rule written literally (tests/rewards/lcb_oracle.py): same verdict; its signalling-NaN
    exception is a fail here."""
    from tests.rewards.lcb_oracle import compare_stdout

    official = compare_stdout(got, expected)
    assert official == ("pass" if ok else "runtime_error" if "snan" in (got + expected).lower() and got != expected
                        else "wrong_answer")
    assert (official == "pass") is stdout_matches(got, expected)


def test_numbers_read_exactly_whatever_the_decimal_context():
    """Another library may lower the precision or stop trapping in this thread's context: the verdicts stay."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec, ctx.traps[decimal.InvalidOperation] = 2, False   # Decimal("abc") would now be NaN
        ctx.Emax, ctx.Emin = 10, -10
        assert stdout_matches("1.0001", "1.0002") is False
        assert stdout_matches("abc", "NaN") is False and stdout_matches("1e999999999", "1E+999999999") is True
        assert stdout_matches("sNaN", "1") is False


def test_a_program_printing_special_numbers_scores_cleanly():
    tests = {"inputs": ["\n"], "outputs": ["1\n"]}
    for printed in ("sNaN", "-sNaN", "NaN", "inf", "1e99999999999999999999", "1e999999999"):
        res = score_code(fenced(f"print({printed!r})\n"), tests, timeout_s=5)
        assert (res["acc"], res["failure"]) == (0, "wrong_answer"), printed
    assert score_code(fenced("print('sNaN')\n"), {"inputs": [""], "outputs": ["sNaN\n"]}, timeout_s=5)["acc"] == 1
    assert score_code(fenced("print('1.0 2e0')\n"), {"inputs": [""], "outputs": ["1 2"]}, timeout_s=5)["acc"] == 1


def test_return_values_python_cannot_read_are_wrong_answers():
    """What the program sends back is hostile: deep nesting or a huge int on the result channel is no exception."""
    assert not return_matches("[" * 100_000 + "]" * 100_000, [])     # RecursionError in json.loads
    assert not return_matches("1" * 5000, 1)                          # over the 4300-digit limit
    assert return_matches("[[1, 2]]", "[[1, 2]]") and return_matches("[1, 2]", ((1, 2),))
    tests = {"inputs": ["[1, 2]"], "outputs": ["3"], "fn_name": "add"}
    for payload in ("b'[' * 100000 + b']' * 100000", "b'1' * 5000"):
        code = f"import os\ndef add(xs):\n    os.write(3, {payload})\n    os._exit(0)\n"
        assert score_code(fenced(code), tests, timeout_s=5)["failure"] == "wrong_answer"
    assert score_code(fenced("def add(xs):\n    return 10 ** 5000\n"), tests, timeout_s=5)["failure"] == "runtime_error"


def test_expected_json_text_is_decoded_once():
    """A LiveCodeBench expected value '"[1]"' is the string "[1]", never the list [1]."""
    _, outputs, _ = parse_tests({"inputs": ["1"], "outputs": ['"[1]"'], "fn_name": "f"})
    assert outputs == ["[1]"]
    assert score_code(fenced("def f(x):\n    return '[1]'\n"), {"inputs": ["1"], "outputs": ['"[1]"'], "fn_name": "f"},
                      timeout_s=5)["acc"] == 1
    assert score_code(fenced("def f(x):\n    return [1]\n"), {"inputs": ["1"], "outputs": ['"[1]"'], "fn_name": "f"},
                      timeout_s=5)["failure"] == "wrong_answer"


# --- what a real judge accepts: the program runs as `python3 main.py` (issue 11; the full table: test_sandbox) ------


@pytest.mark.parametrize("code, passes", [
    ("from __future__ import annotations\nfrom typing import List\ndef f(xs: List[int]) -> int:\n    return sum(xs)\n"
     "print(f(list(map(int, input().split()))))\n", True),
    ('"""Sum."""\nfrom __future__ import annotations\nprint(sum(map(int, input().split())))\n', True),
    ("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(sum(map(int, input().split())))\n", True),
    ("import sys\nprint(sum(map(int, input().split())))\nsys.stdout.close()\n", True),
    ("import sys\nprint(sum(map(int, input().split())))\nsys.stdout.flush()\nquit()\n", True),
    ("import sys, threading\ndef main():\n    print(sum(map(int, input().split())))\n"
     "threading.stack_size(1 << 26)\nthreading.Thread(target=main).start()\n", True),
    ("import sys\nprint(sum(map(int, input().split())))\nsys.exit(1)\n", False),   # exit status 1: runtime error
])
def test_programs_a_real_judge_accepts(code, passes):
    res = score_code(fenced(code), TESTS, timeout_s=5)
    assert (res["acc"], res["failure"]) == ((1, "none") if passes else (0, "runtime_error"))
