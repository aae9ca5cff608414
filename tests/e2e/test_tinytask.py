"""The synthetic task family: correct references score 1 with the training reward, wrong ones 0, and the
files are in the formats verl, the evaluation loaders and the warm-up read."""

from __future__ import annotations

import json
import random
import re

import pandas as pd
import pytest

from benchmarks.e2e.tinytask import CODE_FAMILIES, MATH_LEVELS, code_problem, math_problem
from verl_srpo.rewards import compute_score


@pytest.mark.parametrize("level", MATH_LEVELS)
def test_math_levels_digits_and_gold(level):
    p = math_problem(random.Random(level), level)
    a, op, b = re.fullmatch(r"What is (\d+) ([+*]) (\d+)\?", p.question).groups()
    if level == 5:
        assert (op, len(a), len(b)) == ("*", 2, 1)
    else:
        assert (op, len(a), len(b)) == ("+", level, level)
    assert int(p.ground_truth) == (int(a) * int(b) if op == "*" else int(a) + int(b))
    good = compute_score(f"synthetic/tiny_{p.domain}", p.response, p.ground_truth, {"domain": "math"})
    bad = compute_score("x", p.response.replace(p.ground_truth, str(int(p.ground_truth) + 1)), p.ground_truth,
                        {"domain": "math"})
    assert (good["acc"], good["format"], bad["acc"]) == (1.0, 1.0, 0.0)


def test_math_example_by_hand():
    # random.Random(0).randint(0, 9) twice -> 6, 6
    p = math_problem(random.Random(0), 1)
    assert (p.question, p.ground_truth) == ("What is 6 + 6?", "12")
    assert p.response == "<think> 6 + 6 = 12 </think> <answer> 12 </answer>"


@pytest.mark.parametrize("family", CODE_FAMILIES)
def test_code_reference_passes_and_off_by_one_fails(family):
    p = code_problem(random.Random(1), family)
    tests = json.loads(p.ground_truth)
    assert tests["fn_name"] is None and len(tests["inputs"]) == len(tests["outputs"]) == 3
    assert p.question.endswith("(do not directly test on the sample inputs).")
    good = compute_score("synthetic/tiny_code", p.response, p.ground_truth, {"domain": "code"})
    wrong = p.response.replace("\n```", "\nprint(0)\n```", 1)  # an extra line of output
    bad = compute_score("synthetic/tiny_code", wrong, p.ground_truth, {"domain": "code"})
    assert (good["acc"], good["format"], bad["acc"]) == (1.0, 1.0, 0.0)


def test_bad_level_and_family_fail_clearly():
    with pytest.raises(ValueError, match="math level 9"):
        math_problem(random.Random(0), 9)
    with pytest.raises(ValueError, match="unknown code family 'nope'"):
        code_problem(random.Random(0), "nope")


def test_build_writes_verl_rows_sft_and_eval_fixtures(e2e_data):
    from verl_srpo.eval.aime import load_aime
    from verl_srpo.eval.lcb import load_lcb, question_text, reward_tests

    train = pd.read_parquet(e2e_data["train"])
    assert list(train.columns) == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    index = [e["index"] for e in train.extra_info]
    assert index == list(range(16)) and train.ability.tolist() == ["math"] * 10 + ["code"] * 6
    assert [m["role"] for m in train.prompt[0]] == ["system", "user"]
    val = pd.read_parquet(e2e_data["val"])
    assert min(e["index"] for e in val.extra_info) == 16  # unique across train + val
    sft = [json.loads(line) for line in e2e_data["sft"].read_text().splitlines()]
    rl_questions = {e["question"] for e in list(train.extra_info) + list(val.extra_info)}
    assert len(sft) == 300 and not rl_questions & {s["messages"][1]["content"].split("\n\n")[0] for s in sft}
    problems, _ = load_aime(str(e2e_data["aime"]), expect=None)
    assert len(problems) == 5 and all(p.answer.lstrip("-").isdigit() for p in problems)
    code, _ = load_lcb(str(e2e_data["lcb"].parent), "release_v1")
    assert len(code) == 3
    for p in code:  # the evaluation prompt is the training prompt's question, the tests the reward's format
        assert question_text(p).endswith("(do not directly test on the sample inputs).")
        assert len(reward_tests(p)["inputs"]) == 3
