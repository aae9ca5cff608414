"""The whole AIME and LiveCodeBench pipelines with a tiny random Qwen2 on the transformers backend,
then the same run re-scored from hand-written cached completions (``--score-only``)."""

import json

import pytest

from verl_srpo.eval.cli import main
from verl_srpo.eval.fingerprint import local_fingerprint

FAST = ["--backend", "transformers", "--n", "4", "--max-new-tokens", "8", "--dtype", "float32"]


def _rewrite_texts(run_dir, texts):
    """Replace the cached completions' texts: texts[(problem_id, sample)] -> text."""
    path = run_dir / "completions.jsonl"
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for rec in recs:
        rec["text"] = texts.get((rec["problem_id"], rec["sample"]), "<think>no idea")  # no answer
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))


def test_aime_pipeline(tiny_model, aime_file, tmp_path):
    out = tmp_path / "aime"
    args = ["aime24", "--model", str(tiny_model), "--dataset", str(aime_file), "--expect-problems", "3",
            "--out", str(out), *FAST]
    assert main(args) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["model"]["fingerprint"] == local_fingerprint(tiny_model)
    assert res["sampling"] == {"n": 4, "temperature": 0.6, "top_p": 0.95, "max_new_tokens": 8, "seed": 0}
    assert res["dataset"]["files"] and res["headline"]["metric"] == "avg@4"
    assert [p["problem_id"] for p in res["problems"]] == ["60", "61", "62"]
    assert all(len(p["samples"]) == 4 for p in res["problems"])
    assert {"avg@4", "pass@1", "pass@4", "maj@1", "maj@4"} <= set(res["metrics"])
    assert (out / "results.png").stat().st_size > 0 and "| avg@4 |" in (out / "results.md").read_text()
    print((out / "results.md").read_text())  # the fixture run's table, shown with -s

    # Hand-checked texts for problem 61 (answer 204): right, wrong, truncated, right in the wrong place.
    _rewrite_texts(out, {("61", 0): "<think>17*12</think> <answer>204</answer>",
                         ("61", 1): "<answer>200</answer>",
                         ("61", 2): "<think>17 * 12 = 120 + 8",
                         ("61", 3): "<think>204? no</think> <answer>196</answer>",
                         ("60", 0): "<answer>24</answer>", ("60", 1): "<answer>24</answer>"})
    assert main(args + ["--score-only"]) == 0
    res = json.loads((out / "results.json").read_text())
    print((out / "results.md").read_text())  # the hand-checked re-scoring, shown with -s
    acc = {p["problem_id"]: p["accuracy"] for p in res["problems"]}
    assert acc == {"60": 0.5, "61": 0.25, "62": 0.0}
    assert res["headline"]["mean"] == pytest.approx((0.5 + 0.25) / 3)
    assert res["metrics"]["pass@4"]["mean"] == pytest.approx(2 / 3)
    # maj@4: 60 -> "24" wins (1); 61 -> 204/200/196 tie (1/3); 62 -> no answers (0)
    assert res["metrics"]["maj@4"]["mean"] == pytest.approx((1 + 1 / 3) / 3)
    assert main(args + ["--temperature", "1.0"]) == 2  # SettingsMismatch, one line (tests/eval/test_cli_errors.py)


def test_lcb_pipeline(tiny_model, lcb_dir, tmp_path):
    out = tmp_path / "lcb"
    args = ["lcb", "--model", str(tiny_model), "--dataset", str(lcb_dir), "--release", "release_v2",
            "--out", str(out), *FAST]
    assert main(args) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["dataset"]["window"] == {"start": "2024-08-01", "end": "2025-01-31"}
    assert res["dataset"]["test_timeout_s"] == 6 and res["headline"]["metric"] == "pass@1"
    assert [p["problem_id"] for p in res["problems"]] == ["3001", "abc001", "abc002"]
    custom = json.loads((out / "lcb_custom_outputs.json").read_text())
    assert [c["question_id"] for c in custom] == ["3001", "abc001", "abc002"]
    assert all(len(c["code_list"]) == 4 for c in custom)

    right = "<answer>```python\na, b = map(int, input().split())\nprint(a + b)\n```</answer>"
    public_only = "<answer>```python\nprint(int(input()) + 2)\n```</answer>"
    _rewrite_texts(out, {("abc001", 0): right, ("abc001", 1): right, ("abc002", 0): public_only})
    assert main(args + ["--score-only"]) == 0
    res = json.loads((out / "results.json").read_text())
    print((out / "results.md").read_text())
    assert res["grader"]["name"] == res["headline"]["grader"] == "official"  # the default
    assert "- grader: `official`" in (out / "results.md").read_text()
    by_id = {p["problem_id"]: p for p in res["problems"]}
    assert by_id["abc001"]["accuracy"] == 0.5 and by_id["abc002"]["accuracy"] == 0.0
    assert by_id["abc002"]["samples"][0]["failure"] == "wrong_answer"
    assert res["metrics"]["pass@1"]["mean"] == pytest.approx(0.5 / 3)
    custom = json.loads((out / "lcb_custom_outputs.json").read_text())
    assert custom[1]["code_list"][0] == "a, b = map(int, input().split())\nprint(a + b)"  # LCB's extraction
    verdicts = [json.loads(line) for line in (out / "verdicts.jsonl").read_text().splitlines()]
    assert len(verdicts) == 12 and verdicts[4] == {"question_id": "abc001", "sample": 0, "passed": True,
                                                   "grader": "official", "failure": "none",
                                                   "per_test": ["pass", "pass", "pass"]}
    assert verdicts[8]["per_test"] == ["pass", "wrong_answer"]  # abc002 sample 0: public passes, private not

    assert main(args + ["--score-only", "--grader", "judge"]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["grader"]["name"] == "judge" and res["metrics"]["pass@1"]["mean"] == pytest.approx(0.5 / 3)
    assert res["problems"][2]["samples"][0]["pass_frac"] == pytest.approx(0.5)


def test_chat_prompt_style(tiny_model):
    from transformers import AutoTokenizer

    from verl_srpo.eval.pipeline import render_prompt

    tok = AutoTokenizer.from_pretrained(tiny_model)
    text = render_prompt("What is 17 times 12?", "math", "chat", tok)
    assert text.startswith("<|system|>A conversation between User and Assistant")
    assert "<|user|>What is 17 times 12?" in text and text.endswith("<|assistant|>")
    assert render_prompt("Q?", "code", "r1_zero", None).endswith("Assistant: <think>")
