"""Evaluation results attach only to the weights they measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from release import ReleaseError
from release.evaluation import TaskResult, load_results


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
    # Both published numbers average 32 samples (shared/SRPO.md "Results"), LiveCodeBench's too.
    assert lcb.deviations() == ["n=4 (protocol: 32)", "temperature=1.0 (protocol: 0.6)"]
    assert TaskResult("lcb", "pass@1", 0.4, 0.3, 0.5, 200, dict(protocol), {}, Path("r")).deviations() == [
        "grader not recorded (the published numbers: official, LiveCodeBench's own)"]
    judged = TaskResult("lcb", "pass@1", 0.4, 0.3, 0.5, 200, dict(protocol), {}, Path("r"), grader="judge")
    assert judged.deviations() == ["grader=judge (the published numbers: official, LiveCodeBench's own)"]
