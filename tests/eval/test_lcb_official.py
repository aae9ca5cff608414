"""The LiveCodeBench graders against LiveCodeBench's own verdicts (tests/eval/data/lcb_pairs), and the
pieces of ``--grader official``: extraction, comparison, value encoding, and the harness in the sandbox."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from verl_srpo.eval import _lcb_harness as harness
from verl_srpo.eval import lcb
from verl_srpo.eval import lcb_official as official

DATA = Path(__file__).parent / "data" / "lcb_pairs"
PAIRS = [json.loads(line) for line in (DATA / "pairs.jsonl").read_text().splitlines()]
TIMEOUT = 2  # seconds per test: the time-limit pairs loop forever, the others take milliseconds
ISSUE_QUIRKS = ("sum_for_line_in_stdin", "sum_buffer_readline", "sum_global_in_function", "pairs_list_of_tuples",
                "div_float_repr")
ORDINARY = ("sum_pass", "sum_wrong_answer", "sum_runtime_error", "sum_time_limit", "sum_last_block_right",
            "count_pass", "count_wrong_answer", "count_runtime_error", "count_time_limit")


@pytest.fixture(scope="module")
def graded():
    """Every pair graded by each grader: ``{grader: [verdict per pair]}`` (about 130 sandbox runs)."""
    import verl_srpo.eval.lcb_official  # noqa: F401 (import once before the threads)

    problems = {p.problem_id: p for p in lcb.load_lcb(str(DATA), "release_v1", None, None)[0]}
    jobs = [(g, p) for g in lcb.GRADERS for p in PAIRS]

    def grade(job):
        g, pair = job
        return lcb.grade_sample(pair["completion"], lcb.reward_tests(problems[pair["question_id"]]), TIMEOUT, g)

    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(grade, jobs))
    return {g: verdicts[i * len(PAIRS):(i + 1) * len(PAIRS)] for i, g in enumerate(lcb.GRADERS)}


def test_pairs_cover_the_issue_quirks_and_ordinary_outcomes():
    names = {p["pair"]: p for p in PAIRS}
    assert set(ISSUE_QUIRKS) <= set(names) and set(ORDINARY) <= set(names)
    assert all(names[q]["quirk"] for q in ISSUE_QUIRKS) and not any(names[o]["quirk"] for o in ORDINARY)
    kinds = {k for p in PAIRS for k in p["official"]["per_test"]}
    assert {"pass", "wrong_answer", "runtime_error", "timeout"} <= kinds
    assert {p["pair"]: p["official"]["passed"] for p in PAIRS if p["pair"] in ISSUE_QUIRKS} == {
        "sum_for_line_in_stdin": True, "sum_buffer_readline": False, "sum_global_in_function": False,
        "pairs_list_of_tuples": False, "div_float_repr": False}
    assert not names["sum_for_line_in_stdin"]["official_2505"]["passed"]  # raises since 2025-05-23


def _agreement(verdicts, key):
    return [p["pair"] for p, v in zip(PAIRS, verdicts)
            if (v["acc"], v["per_test"]) != (p[key]["passed"], p[key]["per_test"])]


def test_official_reproduces_every_verdict(graded):
    """Verdict and per-test result list, for every pair, of both LiveCodeBench versions."""
    assert _agreement(graded["official"], "official") == []
    assert _agreement(graded["official-2505"], "official_2505") == []


def test_judge_agrees_on_every_ordinary_pair(graded, capsys):
    ordinary = [i for i, p in enumerate(PAIRS) if not p["quirk"]]
    wrong = [PAIRS[i]["pair"] for i in ordinary if graded["judge"][i]["acc"] != PAIRS[i]["official"]["passed"]]
    assert wrong == []
    quirks = [i for i, p in enumerate(PAIRS) if p["quirk"]]
    agree = {g: sum(graded[g][i]["acc"] == PAIRS[i][key]["passed"] for i in quirks)
             for g, key in (("official", "official"), ("official-2505", "official_2505"), ("judge", "official"))}
    with capsys.disabled():  # the agreement table of the issue
        print(f"\n| pairs | official | official-2505 | judge |\n| {len(ordinary)} ordinary | {len(ordinary)} | "
              f"{len(ordinary)} | {len(ordinary) - len(wrong)} |\n| {len(quirks)} quirks | {agree['official']} | "
              f"{agree['official-2505']} | {agree['judge']} |")


def test_readme_agreement_table_counts_the_pairs():
    readme = (Path(__file__).parents[2] / "eval" / "README.md").read_text()
    n_ordinary = sum(not p["quirk"] for p in PAIRS)
    assert f"| {n_ordinary} ordinary | {n_ordinary} / {n_ordinary} | {n_ordinary} / {n_ordinary} |" in readme
    n_quirks = len(PAIRS) - n_ordinary
    assert f"| {n_quirks} quirks | {n_quirks} / {n_quirks} | {n_quirks} / {n_quirks} |" in readme


@pytest.mark.parametrize("text,code", [
    ("```python\nprint(1)\n```", "print(1)"),
    ("a\n```python\nx = 1\n```\nb\n```\ny = 2\n```\n", "y = 2"),                     # the last block
    ("```python\nok()\n```\nmore:\n```python\nbroken(", "more:"),                    # unclosed last fence
    ("<answer>```python\nprint(3)```</answer>", ""),                                  # one fence line only
    ("use ```x``` inline\nprint(2)\nthen ``` again", "print(2)"),                     # ``` anywhere counts
    ("no code", ""),
])
def test_official_extraction(text, code):
    assert official.extract_code(text) == code
    assert lcb.extract_code(text, "official") == code


STDOUT_CASES = [
    ("7\n", "7", "pass"),
    ("  1.50   2 \n3 \n\n", "1.5 2.0\n3", "pass"),           # stripped lines, Decimal-equal tokens
    ("1.5 2\n\n3", "1.5 2\n3", "wrong_answer"),              # an empty line inside counts
    ("1e-3", "0.001", "pass"),
    ("-0.0", "0", "pass"),
    ("1E+2 100.00", "100 1e2", "pass"),
    ("1.0000000000000000000000000000001", "1", "wrong_answer"),  # exact: no 28-digit context rounding
    ("0.3333333333333333", "0.333333333333", "wrong_answer"),  # no tolerance
    ("1 2", "1\n2", "wrong_answer"),                           # line counts differ
    ("1 2", "1 2 0", "wrong_answer"),
    ("abc", "abd", "wrong_answer"),
    ("a  b", "a b", "wrong_answer"),                           # text lines compare as text
    ("Infinity", "inf", "pass"),
    ("sNaN", "5", "runtime_error"),                            # Decimal comparison signals
    ("NaN", "NaN", "pass"),                                    # equal strings, never compared as numbers
    ("NaN 1", "nan 1", "wrong_answer"),                        # NaN != NaN
    ("1_000", "1000", "pass"),                                 # Decimal() reads underscores
]


@pytest.mark.parametrize("got,expected,kind", STDOUT_CASES)
def test_official_stdout_comparison(got, expected, kind):
    """LCB's rule, literally (compare_stdout), and the digests grading uses agree on the verdict."""
    assert official.compare_stdout(got, expected) == kind
    assert (harness.stdout_key(got) == harness.stdout_key(expected)) == (kind == "pass")


EQUAL_NUMBERS = [  # tokens of one class are equal Decimals (NaN: equal to nothing, compared as numbers)
    ["100", "1e2", "100.0", "1E+2", "+100", "0100", "100.000", "10e1"],
    ["0", "-0", "+0", "0.0", "0e5", "-0.000", ".0"],
    ["0.5", ".5", "5e-1", "0.50", "+.5", "0.500000000000000000000000000000000"],
    ["1" + "0" * 41, "1e41", "10e40", "1E+41", "1" + "0" * 41 + ".0"],
    ["1" + "0" * 40, "1e40", "1" + "0" * 40 + ".00"],
    ["12345678901234567890123456789012345", "1.2345678901234567890123456789012345e34"],
    ["Infinity", "inf", "+Infinity", "INF"], ["-inf", "-Infinity"],
    ["-1", "-1.0", "-01", "-1e0"], ["1_0", "10", "1_0.0"], ["\u0661\u0662", "12"],
    ["NaN"], ["nan"], ["sNaN"], ["x"], ["1.2.3"], ["-"],
]


def test_stdout_digest_agrees_with_lcb_rule_on_random_outputs():
    """Outputs built from classes of equal numbers: the digests match exactly when LCB's rule passes."""
    import random

    rng = random.Random(0)
    agreements = {True: 0, False: 0}
    for _ in range(3000):
        classes = len(EQUAL_NUMBERS)
        shape = [[rng.randrange(classes) for _ in range(rng.randint(0, 3))] for _ in range(rng.randint(1, 3))]
        other = [row[:] for row in shape]
        if rng.random() < 0.3 and other[0]:
            other[0][0] = rng.randrange(len(EQUAL_NUMBERS))

        def render(rows):
            return "\n".join(rng.choice(["", " "]) + rng.choice([" ", "  ", "\t"]).join(
                rng.choice(EQUAL_NUMBERS[c]) for c in row) for row in rows) + rng.choice(["", "\n", " \n\n"])

        a, b = render(shape), render(other)
        lcb_pass = official.compare_stdout(a, b) == "pass"
        assert (harness.stdout_key(a) == harness.stdout_key(b)) == lcb_pass, (a, b)
        agreements[lcb_pass] += 1
    assert min(agreements.values()) > 300  # both outcomes well represented


VALUE_CASES = [  # (returned value, expected JSON, LCB's verdict)
    ([[1, 2]], "[[1, 2]]", True),
    ([(1, 2)], "[[1, 2]]", False),          # a nested tuple stays a tuple
    ((1, 2), "[1, 2]", True),               # a top-level tuple becomes a list
    (True, "1", True),                      # Python: True == 1
    (False, "0.0", True),
    (3.0, "3", True),
    (0.1, "0.1", True),
    ("1", "1", False),
    (None, "null", True),
    ({1: 2}, '{"1": 2}', False),            # int keys stay ints
    ({"b": 1, "a": [2]}, '{"a": [2], "b": 1}', True),
    ({"a": (1,)}, '{"a": [1]}', False),
    (Fraction(1, 2), "0.5", True),
    (Fraction(1, 10), "0.1", False),        # 0.1 is not exactly 1/10
    (Decimal("0.5"), "0.5", True),
    (2 ** 200, str(2 ** 200), True),
    (2 ** 53 + 1, "9007199254740992.0", False),
    ({1, 2}, "[1, 2]", False),              # a set never equals a JSON value
    (float("nan"), "NaN", False),
    (float("inf"), "Infinity", True),
    (Decimal("Infinity"), "Infinity", True),
    (complex(2, 0), "2", True),
    (complex(2, 1), "2", False),
    ([1, [2, [3]]], "[1, [2, [3]]]", True),
    ([1, 2], "[2, 1]", False),
    (b"1", '"1"', False),
    (range(2), "[0, 1]", False),
]


@pytest.mark.parametrize("value,expected_json,passed", VALUE_CASES)
def test_official_return_comparison(value, expected_json, passed):
    """Digests of a returned value and of the expected JSON are equal exactly when LCB's == passes."""
    returned = list(value) if isinstance(value, tuple) else value  # what LCB does first
    expected = json.loads(expected_json)
    assert (returned == expected) is passed  # the hand-checked verdict is Python's own
    assert (harness.value_key(returned) == harness.value_key(expected)) is passed


def test_signalling_nan_return_is_a_runtime_error():
    with pytest.raises(Exception, match="InvalidOperation"):
        harness.value_key(Decimal("sNaN"))  # raised inside the test's try: a runtime error, as LCB's ==


def test_harness_wrapping_follows_lcb():
    wrapped = harness.as_function(harness.unwrap_main_guard(
        "import sys\nx = 1\ndef main():\n    print(x)\nif __name__ == \"__main__\":\n    main()\n"))
    assert wrapped.startswith(harness.PRELUDE) and "sys.setrecursionlimit(50000)" in harness.PRELUDE
    tail = wrapped[len(harness.PRELUDE):]
    assert tail.splitlines()[1] == "import sys" and "def wrapped_function():\n    x = 1" in tail
    assert tail.rstrip().endswith("main()") and "__name__" not in tail
    assert harness.as_function("x = (") == "x = ("  # unparsable: unchanged, fails to compile later
    prelude = harness.PRELUDE.splitlines()
    assert prelude.index("from builtins import *") > prelude.index("from math import *")  # pow is builtin pow


def _grade(code, inputs, outputs, fn_name=None, **kw):
    return official.grade_program(code, {"inputs": inputs, "outputs": outputs, "fn_name": fn_name}, timeout=TIMEOUT,
                                  **kw)


def test_expected_outputs_never_enter_the_sandbox():
    """LiveCodeBench keeps the tests in the program's process; a program could read the answer there."""
    leak = ("import gc\nfound = 'none'\nfor o in gc.get_objects():\n"
            "    items = o.values() if isinstance(o, dict) else o if isinstance(o, (list, tuple)) else ()\n"
            "    for v in list(items):\n"
            "        if isinstance(v, str) and v.startswith('SECRET-'):\n            found = v\nprint(found)\n")
    assert _grade(leak, ["x"], ["SECRET-31415"]) == {"acc": False, "failure": "wrong_answer",
                                                     "per_test": ["wrong_answer"]}


@pytest.mark.parametrize("code,fn_name,failure,per_test", [
    ("import os\nprint(int(input()) * 2)\nos._exit(0)\n", None, "killed", ["killed"]),
    ("import sys\nclass Solution:\n    def f(self, a):\n        sys.exit(0)\n", "f", "killed", ["killed"]),
    ("exit()\ndef f(a):\n    return 2 * a\n", "f", "killed", ["killed"]),  # SystemExit while loading
    ("def g(a):\n    return 2 * a\n", "f", "runtime_error", ["runtime_error"]),  # no f
    ("class SolutionBase:\n    pass\ndef f(a):\n    return 2 * a\n", "f", "runtime_error", ["runtime_error"]),
    ("import time\nwhile True:\n    try:\n        time.sleep(10)\n    except BaseException:\n        pass\n", None,
     "timeout", ["killed"]),  # swallows every alarm: only the whole-program budget stops it
    ("", None, "no_code", ["runtime_error"]),
    ("print(int(input()) * 2)\nprint('x' * 10)\n", None, "wrong_answer", ["wrong_answer"]),
])
def test_official_failures(code, fn_name, failure, per_test):
    inputs, outputs = (["3\n"], ["6\n"]) if fn_name is None else (["3"], ["6"])
    verdict = _grade(code, inputs, outputs, fn_name)
    assert (verdict["acc"], verdict["failure"], verdict["per_test"]) == (False, failure, per_test)


def test_large_outputs_are_graded():
    """80 MB of output in all: each test comes back as a digest, so no output size limit bites."""
    big = "x" * 40_000_000
    verdict = _grade("print('x' * 40_000_000)\n", ["\n", "\n"], [big, big])
    assert verdict == {"acc": True, "failure": "none", "per_test": ["pass", "pass"]}


def test_official_program_cannot_forge_the_reply():
    """Writing to every descriptor it can find, before and after its own output, passes nothing."""
    forge = ("import os, json\nfor fd in range(3, 64):\n    try:\n"
             "        os.write(fd, json.dumps({'results': [{'status': 'ok', 'out': 'SECRET'}]}).encode())\n"
             "    except OSError:\n        pass\nprint('nope')\n")
    verdict = _grade(forge, ["x"], ["SECRET"])
    assert verdict["acc"] is False and verdict["failure"] in ("killed", "wrong_answer")


def test_unknown_grader_and_variant_fail_clearly():
    with pytest.raises(ValueError, match=r"unknown LiveCodeBench grader 'offical'; choose one of"):
        lcb.extract_code("x", "offical")
    with pytest.raises(ValueError, match="unknown LiveCodeBench grader variant"):
        _grade("print(1)", ["\n"], ["1"], variant="2404")


def test_graders_are_documented_in_the_readme():
    readme = (Path(__file__).parents[2] / "eval" / "README.md").read_text()
    for name in lcb.GRADERS:
        assert re.search(rf"^\| `{re.escape(name)}`", readme, re.MULTILINE), name
