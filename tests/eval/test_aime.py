import json

import pytest

from verl_srpo.eval import aime


def test_loads_the_h4_parquet_format(aime_file):
    problems, prov = aime.load_aime(str(aime_file), expect=3)
    assert [p.problem_id for p in problems] == ["60", "61", "62"]
    assert problems[1].answer == "204" and "17 times 12" in problems[1].question
    assert prov["source"] == str(aime_file) and prov["revision"] is None
    assert list(prov["files"].values())[0].startswith("sha256:")


def test_loads_the_maxwell_jia_format(tmp_path):
    """Maxwell-Jia/AIME_2024 (lm-eval's source): ID, Problem, Solution, Answer; answers are integers."""
    path = tmp_path / "aime.jsonl"
    path.write_text(json.dumps({"ID": "2024-I-1", "Problem": "p", "Solution": "s", "Answer": 204}) + "\n")
    (problem,), _ = aime.load_aime(str(path), expect=None)
    assert (problem.problem_id, problem.answer) == ("2024-I-1", "204")


def test_wrong_files_fail_clearly(aime_file, tmp_path):
    with pytest.raises(ValueError, match="holds 3 problems, expected 30.*--expect-problems 0"):
        aime.load_aime(str(aime_file))
    dup = tmp_path / "dup.jsonl"
    dup.write_text(json.dumps({"id": 1, "problem": "p", "answer": "1"}) * 1 + "\n"
                   + json.dumps({"id": 1, "problem": "q", "answer": "2"}) + "\n")
    with pytest.raises(ValueError, match=r"duplicate problem ids \['1'\]"):
        aime.load_aime(str(dup), expect=None)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": 1, "question_text": "p", "answer": "1"}) + "\n")
    with pytest.raises(KeyError, match="none of the columns"):
        aime.load_aime(str(bad), expect=None)
    with pytest.raises(FileNotFoundError, match="neither an existing path nor a Hub dataset id"):
        aime.load_aime("no/such/path.parquet")
