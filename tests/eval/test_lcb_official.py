"""The LiveCodeBench graders against LiveCodeBench's own verdicts (tests/eval/data/lcb_pairs), and the
pieces of ``--grader official``: extraction, comparison, value encoding, and the harness in the sandbox."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from verl_srpo.eval import _lcb_harness as harness
from verl_srpo.eval import lcb
from verl_srpo.eval import lcb_official as official
from verl_srpo.rewards import lcb_keys

DATA = Path(__file__).parent / "data" / "lcb_pairs"
PAIRS = [json.loads(line) for line in (DATA / "pairs.jsonl").read_text().splitlines()]
TIMEOUT = 2  # seconds per test: the time-limit pairs loop forever, the others take milliseconds
ISSUE_QUIRKS = ("sum_for_line_in_stdin", "sum_buffer_readline", "sum_global_in_function", "pairs_list_of_tuples",
                "div_float_repr")
ORDINARY = ("sum_pass", "sum_wrong_answer", "sum_runtime_error", "sum_time_limit", "sum_last_block_right",
            "count_pass", "count_wrong_answer", "count_runtime_error", "count_time_limit")
# Quirks found by grading hand-made programs with LiveCodeBench's package (each was a disagreement of ours once):
# LiveCodeBench's verdict on each, as {pair: (passed, per_test)}.
FOUND_QUIRKS = {
    "sum_exit_caught": (False, ["runtime_error"]),  # site's exit() closes sys.stdin before raising SystemExit
    "sum_stdout_name_20mb": (True, ["pass"] * 3),  # the real stdout takes output of any size
    "sum_argv_file": (False, ["runtime_error"]),  # sys.argv[1] is an option of LCB's command line
    "sum_dunder_stdin": (False, ["runtime_error"]),  # sys.__stdin__ is closed in LCB's worker
    "pairs_debug_print_20mb": (True, ["pass"] * 3),  # print in a functional program: any size too
    "ten_pass": (True, ["pass"] * 3),  # an expected int of 5000 digits (LCB reads up to 50000)
    "ten_unprintable_wrong": (False, ["wrong_answer", "runtime_error"]),  # str() of the wrong value raises
}


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
    assert {q: (names[q]["official"]["passed"], names[q]["official"]["per_test"]) for q in FOUND_QUIRKS} == FOUND_QUIRKS
    assert all(names[q]["quirk"] for q in FOUND_QUIRKS)


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


def test_the_sandbox_program_carries_the_one_key_module(tmp_path):
    """The harness runs in the sandbox as one script without verl_srpo: harness_source() pastes lcb_keys.py in
    place of its import, and the script's keys are the reward's (the rule is written once)."""
    import ast
    import subprocess
    import sys

    from verl_srpo.rewards import lcb_keys

    source = official.harness_source()
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert "verl_srpo" not in imported and imported <= set(sys.stdlib_module_names), imported
    assert Path(lcb_keys.__file__).read_text() in source
    script = tmp_path / "harness_keys.py"  # the sandbox program's definitions, run by an isolated interpreter
    script.write_text(source.replace('if __name__ == "__main__":', "if False:") + "\nimport json, sys\n"
                      "print(json.dumps([stdout_key(sys.argv[1]), value_key([1, 2.5])]))\n")
    out = subprocess.run([sys.executable, "-I", str(script), " 1.50 2\n"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [lcb_keys.stdout_key("1.5 2.0"), lcb_keys.value_key([1, 2.5])]


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
    # a wrong value nested past the recursion limit: LCB's str() of it raises after ==, so [False, -4]
    ("def f(a):\n    x = []\n    for _ in range(100000):\n        x = [x]\n    return x\n", "f", "wrong_answer",
     ["wrong_answer", "runtime_error"]),
    ("print(int(input()) * 2)\nprint('x' * 10)\n", None, "wrong_answer", ["wrong_answer"]),
])
def test_official_failures(code, fn_name, failure, per_test):
    inputs, outputs = (["3\n"], ["6\n"]) if fn_name is None else (["3"], ["6"])
    verdict = _grade(code, inputs, outputs, fn_name)
    assert (verdict["acc"], verdict["failure"], verdict["per_test"]) == (False, failure, per_test)


def test_expected_ints_are_read_up_to_lcb_digit_limit():
    """LCB reads expected JSON ints of up to 50000 digits (its sys.set_int_max_str_digits), Python 4300."""
    assert official.expected_keys(("1" + "0" * 4999, "-7"), "f") == (lcb_keys.value_key(10 ** 4999),
                                                                    lcb_keys.value_key(-7))
    assert official.expected_keys(("1" * 50001,), "f") is None  # LCB: a runtime error before the first test


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
