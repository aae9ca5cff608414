"""Scoring on hand-checked completions, through the training rewards (verl_srpo.rewards): the AIME
scorer and LiveCodeBench's ``judge`` grader (the official one: test_lcb_official.py)."""

import pytest

from verl_srpo.eval import aime, lcb

RIGHT_PROGRAM = "<think>easy</think><answer>```python\na, b = map(int, input().split())\nprint(a + b)\n```</answer>"
# Passes the public test of abc002 (2 -> 4) but not the private one (5 -> 10).
PUBLIC_ONLY = "<answer>```python\nprint(int(input()) + 2)\n```</answer>"
FUNCTIONAL = ("<answer>```python\nclass Solution:\n    def addTwo(self, a: int, b: int) -> int:\n"
              "        return a + b\n```</answer>")


@pytest.mark.parametrize("text,acc,pred", [
    ("<think>17 * 12 = 204</think> <answer>204</answer>", True, "204"),                # right
    ("<think>17 * 12 = 200</think> <answer>200</answer>", False, "200"),               # wrong
    ("<think>17 * 12 = 10 * 12 + 7 * 12 = 120 + 8", False, None),                      # truncated
    ("<think>I cannot solve this.</think> <answer>I do not know</answer>", False, None),  # no answer
    ("<think>Is it 204? No, 196.</think> <answer>196</answer>", False, "196"),         # right, wrong place
])
def test_math_scoring_hand_checked(text, acc, pred):
    out = aime.score_sample(text, "204")
    assert out["acc"] is acc
    if pred is None:
        assert out["pred"] in (None, "I do not know")
    else:
        assert out["pred"] == pred


SYMBOLIC = "<think>204 = 2 * 102</think> <answer>2 \\cdot 102</answer>"  # not a rational: math-verify decides


def test_math_scoring_counts_math_verify_failures(broken_math_verify):
    """A broken math-verify: the symbolic answer counts as wrong and the failed check is counted; an answer the
    exact path decides needs no math-verify, so nothing is counted for it."""
    assert aime.score_sample(SYMBOLIC, "204") == {"acc": False, "pred": "2 \\cdot 102", "math_verify_errors": 1}
    assert aime.score_sample("<answer>0204</answer>", "204") == {"acc": True, "pred": "0204", "math_verify_errors": 0}


def test_math_scoring_with_math_verify_working():
    assert aime.score_sample(SYMBOLIC, "204") == {"acc": True, "pred": "2 \\cdot 102", "math_verify_errors": 0}


def test_code_scoring_hand_checked(lcb_dir):
    problems = {p.problem_id: p for p in lcb.load_lcb(str(lcb_dir), "release_v2")[0]}
    tests = lcb.reward_tests(problems["abc001"])
    assert lcb.grade_sample(RIGHT_PROGRAM, tests, grader="judge")["acc"] is True
    assert lcb.grade_sample(RIGHT_PROGRAM.replace("a + b", "a - b"), tests, grader="judge")["acc"] is False  # wrong
    assert lcb.grade_sample("<answer>no code here</answer>", tests, grader="judge")["acc"] is False  # no program
    public_only = lcb.grade_sample(PUBLIC_ONLY, lcb.reward_tests(problems["abc002"], private=False), grader="judge")
    full = lcb.grade_sample(PUBLIC_ONLY, lcb.reward_tests(problems["abc002"]), grader="judge")
    assert public_only["acc"] is True and full["acc"] is False and full["pass_frac"] == pytest.approx(0.5)
    assert full["per_test"] == ["pass", "wrong_answer"] and full["failure"] == "wrong_answer"
    fn_tests = lcb.reward_tests(problems["3001"])
    assert lcb.grade_sample(FUNCTIONAL, fn_tests, grader="judge")["acc"] is True
    assert lcb.grade_sample(FUNCTIONAL.replace("a + b", "a * b"), fn_tests, grader="judge")["acc"] is False


def test_code_scoring_follows_lcb_comparison_rules():
    """LCB strips the output, compares line by line, and accepts numerically equal tokens."""
    tests = {"inputs": ["\n"], "outputs": ["1.50 2\n3\n"], "fn_name": None}
    loose = "<answer>```python\nprint('1.5  2.0  ')\nprint()\nprint(' 3')\n```</answer>"
    assert lcb.grade_sample(loose.replace("print()\n", ""), tests, grader="judge")["acc"] is True
    assert lcb.grade_sample("<answer>```python\nprint('1.5 2 3')\n```</answer>", tests, grader="judge")["acc"] is False
