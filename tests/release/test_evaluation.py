"""Evaluation results attach only to the weights they measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.evaluation import TaskResult, load_results


def test_results_of_this_folder_attach(release_fixture):
    results = load_results([release_fixture["EVAL"]], release_fixture["OUT"])
    aime = results["aime24"]
    assert aime.metric == "avg@2" and aime.num_problems == 2 and 0.0 <= aime.mean <= 1.0
    assert aime.deviations() == ["n=2 (protocol: 32)", "max_new_tokens=8 (protocol: 32768)"]


def test_a_directory_is_searched_for_results(release_fixture):
    results = load_results([Path(release_fixture["EVAL"]).parent.parent], release_fixture["OUT"])
    assert list(results) == ["aime24"]


def test_stale_fingerprint_is_refused(release_fixture, tmp_path):
    data = json.loads(Path(release_fixture["EVAL"]).read_text())
    data["model"]["fingerprint"] = "sha256:" + "0" * 64  # measured on other weights
    stale = tmp_path / "results.json"
    stale.write_text(json.dumps(data))
    with pytest.raises(ReleaseError, match="not this model's. Re-run the evaluation"):
        load_results([stale], release_fixture["OUT"])


def test_the_same_task_twice_is_ambiguous(release_fixture):
    with pytest.raises(ReleaseError, match="two results for aime24"):
        load_results([release_fixture["EVAL"], release_fixture["EVAL"]], release_fixture["OUT"])


def test_protocol_deviations_hand_computed():
    protocol = {"n": 32, "temperature": 0.6, "top_p": 0.95, "max_new_tokens": 32768}
    res = TaskResult("aime24", "avg@32", 0.5, 0.4, 0.6, 30, dict(protocol), {}, Path("r.json"))
    assert res.deviations() == []
    lcb = TaskResult("lcb", "pass@1", 0.4, 0.3, 0.5, 200, {**protocol, "n": 4, "temperature": 1.0}, {}, Path("r"),
                     grader="official")
    # Both published numbers average 32 samples (docs/SRPO.md "Results"), LiveCodeBench's too.
    assert lcb.deviations() == ["n=4 (protocol: 32)", "temperature=1.0 (protocol: 0.6)"]
    assert TaskResult("lcb", "pass@1", 0.4, 0.3, 0.5, 200, dict(protocol), {}, Path("r")).deviations() == [
        "grader not recorded (the published numbers: official, LiveCodeBench's own)"]
    judged = TaskResult("lcb", "pass@1", 0.4, 0.3, 0.5, 200, dict(protocol), {}, Path("r"), grader="judge")
    assert judged.deviations() == ["grader=judge (the published numbers: official, LiveCodeBench's own)"]


def test_math_verify_failures_are_a_deviation():
    protocol = {"n": 32, "temperature": 0.6, "top_p": 0.95, "max_new_tokens": 32768}
    clean = TaskResult("aime24", "avg@32", 0.5, 0.4, 0.6, 30, dict(protocol), {}, Path("r"), math_verify_errors=0)
    assert clean.deviations() == []
    broken = TaskResult("aime24", "avg@32", 0.5, 0.4, 0.6, 30, dict(protocol), {}, Path("r"), math_verify_errors=3)
    assert broken.deviations() == ["math-verify failed on 3 checks, each counted wrong, so avg@32 is a lower bound "
                                   "(math-verify broken where it was scored)"]


def test_an_aime_run_with_a_broken_math_verify_is_flagged_on_the_card(tmp_path, broken_math_verify):
    """python -m eval scores AIME where math-verify is broken: results.json counts the failed checks, the release
    kit reads the count, and the model card states it next to the number. The scoring is eval's own, from a
    completions file; the release kit refuses a completions run (not drawn from the weights), so the file is read
    as a sampled run writes it: the same results.json with ``backend`` "vllm"."""
    from tests.eval.eval_fixtures import AIME_ROWS
    from verl_srpo.eval.cli import main as eval_main
    from verl_srpo.release.card import _note
    from verl_srpo.release.evaluation import read_results

    aime = tmp_path / "aime24.jsonl"
    aime.write_text("".join(json.dumps(row) + "\n" for row in AIME_ROWS))
    answers = {"60": ["24", "2 \\cdot 12"], "61": ["204", "204"], "62": ["3^2", "9"]}  # 2 need math-verify
    completions = tmp_path / "completions.jsonl"
    completions.write_text("".join(json.dumps({"question_id": q, "responses": [f"<answer>{a}</answer>" for a in r]})
                                   + "\n" for q, r in answers.items()))
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"the weights these completions are said to come from")
    out = tmp_path / "eval"
    assert eval_main(["aime24", "--dataset", str(aime), "--expect-problems", "3", "--completions", str(completions),
                      "--model", str(model), "--out", str(out)]) == 0
    with pytest.raises(ReleaseError, match="grades completions read from a file"):
        read_results([out])
    results = json.loads((out / "results.json").read_text())
    assert results["metrics"]["math_verify_errors"] == 2
    (out / "results.json").write_text(json.dumps({**results, "backend": "vllm"}))
    res = read_results([out])["aime24"]
    assert res.math_verify_errors == 2 and res.mean == pytest.approx(2 / 3)
    assert "math-verify failed on 2 checks, each counted wrong, so avg@2 is a lower bound" in _note(res)
    assert "**Deviates from the protocol:**" in _note(res)


@pytest.mark.parametrize("count", ["2", -1, 1.5, True])
def test_a_malformed_error_count_is_refused(tmp_path, count):
    data = {"schema_version": 1, "task": "aime24", "headline": {"metric": "avg@32", "mean": 0.5, "ci95_low": 0.4,
            "ci95_high": 0.6}, "sampling": {}, "dataset": {}, "model": {"fingerprint": "sha256:00"},
            "metrics": {"math_verify_errors": count}}  # fmt: skip
    (tmp_path / "results.json").write_text(json.dumps(data))
    from verl_srpo.release.evaluation import read_results

    with pytest.raises(ReleaseError, match="metrics.math_verify_errors is .*, expected a count"):
        read_results([tmp_path / "results.json"])
