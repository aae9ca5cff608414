import json
from datetime import datetime

import pytest

from tests.eval.eval_fixtures import lcb_row
from verl_srpo.eval import lcb
from verl_srpo.eval.safe_pickle import UnsafePickleError


def test_release_files():
    assert lcb.release_files("release_v1") == ["test.jsonl"]
    assert lcb.release_files("release_v3") == ["test.jsonl", "test2.jsonl", "test3.jsonl"]
    assert lcb.release_files("v2") == ["test2.jsonl"]
    assert lcb.release_files("v4_v5") == ["test4.jsonl", "test5.jsonl"]
    assert lcb.release_files("release_latest") is None
    with pytest.raises(ValueError, match="unknown LiveCodeBench release 'v5_v4'"):
        lcb.release_files("v5_v4")


def test_load_window_and_release(lcb_dir):
    problems, prov = lcb.load_lcb(str(lcb_dir), "release_v2", "2024-08-01", "2025-01-31")
    assert [p.problem_id for p in problems] == ["3001", "abc001", "abc002"]  # sorted; abc000 is July
    abc001 = problems[1]
    assert abc001.private_tests[0] == {"input": "10 20\n", "output": "30\n", "testtype": "stdin"}
    assert abc001.contest_date == datetime(2024, 8, 10)
    assert prov["release"] == "release_v2" and prov["window"] == {"start": "2024-08-01", "end": "2025-01-31"}
    assert set(prov["files"]) == {"test.jsonl", "test2.jsonl"}
    only_v1, _ = lcb.load_lcb(str(lcb_dir), "release_v1", None, None)
    assert [p.problem_id for p in only_v1] == ["abc000", "abc001"]


def test_missing_release_file_and_empty_window_fail_clearly(lcb_dir):
    with pytest.raises(FileNotFoundError, match=r"lacks \['test3.jsonl'\]"):
        lcb.load_lcb(str(lcb_dir), "release_v3")
    with pytest.raises(ValueError, match="no problems of release_v2 fall in 2030-01-01"):
        lcb.load_lcb(str(lcb_dir), "release_v2", "2030-01-01", "2030-02-01")
    with pytest.raises(ValueError):
        lcb.load_lcb(str(lcb_dir), "release_v2", "2024-13-01", None)


def test_window_bounds_follow_lcb(lcb_dir):
    """LiveCodeBench compares datetimes with the bounds read as midnight: inclusive at midnight."""
    row = lcb_row("x", "2025-01-31T00:00:00", [], [])
    late = lcb_row("y", "2025-01-31T12:00:00", [], [])
    assert lcb.in_window(lcb.parse_row(row), "2024-08-01", "2025-01-31")
    assert not lcb.in_window(lcb.parse_row(late), "2024-08-01", "2025-01-31")


def test_malicious_private_tests_are_rejected(tmp_path):
    import base64
    import os
    import pickle
    import zlib

    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo pwned > /tmp/srpo_lcb_pwned",))

    row = lcb_row("evil", "2024-09-01T00:00:00", [], [])
    row["private_test_cases"] = base64.b64encode(zlib.compress(pickle.dumps(Exploit()))).decode()
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UnsafePickleError, match="refusing to unpickle global"):
        lcb.load_lcb(str(tmp_path), "release_v1")
    assert not os.path.exists("/tmp/srpo_lcb_pwned")


def test_reward_tests_format(lcb_dir):
    problems, _ = lcb.load_lcb(str(lcb_dir), "release_v2")
    fn = problems[0]
    assert lcb.reward_tests(fn) == {"inputs": ["1\n2", "5\n-7"], "outputs": ["3", "-2"], "fn_name": "addTwo"}
    assert lcb.reward_tests(problems[1], private=False) == {"inputs": ["1 2\n"], "outputs": ["3\n"], "fn_name": None}
    assert "starter code" in lcb.question_text(fn) and "class Solution" in lcb.question_text(fn)
    assert "stdin" in lcb.question_text(problems[1])


def test_extract_code_and_custom_evaluator_format(lcb_dir, tmp_path):
    text = "<think>try ```python\nx=1\n```</think><answer>```python\nprint(3)\n```</answer>"
    assert lcb.extract_code(text, "judge") == "print(3)\n"  # the last complete block
    assert lcb.extract_code(text) == "print(3)"  # official: the lines between the last two fence lines
    assert lcb.extract_code("no code") == lcb.extract_code("no code", "judge") == ""
    problems, _ = lcb.load_lcb(str(lcb_dir), "release_v2")
    comps = {p.problem_id: [text, "none"] for p in problems}
    path = tmp_path / "custom.json"
    for grader, code in (("official", "print(3)"), ("judge", "print(3)\n")):
        lcb.write_custom_evaluator(path, problems, comps, grader)
        records = json.loads(path.read_text())
        assert [r["question_id"] for r in records] == ["3001", "abc001", "abc002"]
        assert records[0]["code_list"] == [code, ""]


def test_hub_dataset_offline_reads_the_local_cache(lcb_dir, tmp_path, monkeypatch):
    """A Hub id with the Hub unreachable: the cached snapshot's files, and its commit as revision."""
    import shutil

    import huggingface_hub.constants as hf_constants

    sha = "89abcdef0123456789abcdef0123456789abcdef"
    repo = tmp_path / "datasets--livecodebench--code_generation_lite"
    shutil.copytree(lcb_dir, repo / "snapshots" / sha)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path))
    problems, prov = lcb.load_lcb("livecodebench/code_generation_lite", "release_v2")
    assert len(problems) == 3 and prov["revision"] == sha and prov["files"] == ["test.jsonl", "test2.jsonl"]
    with pytest.raises(RuntimeError, match="cannot read dataset org/absent"):
        lcb.load_lcb("org/absent", "release_v2")
