"""The collector: the resume check by hand, and the whole collect path (``verl-srpo report``'s implementation) on
files written by verl's own file logger and rollout dump writer (fed by real CPU sampling of the tiny model)."""

from __future__ import annotations

import json

import pytest

from benchmarks.e2e.collect import collect, lookup, prompt_index, resume_check, summarize
from benchmarks.e2e.passrate import measure
from benchmarks.e2e.rehearsal_log import write_run


def _rec(step, drawn, stage=2, pool=40):
    return {"step": step, "drawn": drawn, "srpo/stage": stage, "srpo/pool_size": pool}


def test_resume_check_by_hand():
    original = [_rec(s, [s]) for s in (5, 6, 7, 8)]
    same = [_rec(s, [s]) for s in (7, 8)]
    assert resume_check(original, same) == {"compared_steps": 2, "same_batches": True, "steps": [
        {"step": 7, "same_prompts": True, "same_stage": True, "same_pool_size": True},
        {"step": 8, "same_prompts": True, "same_stage": True, "same_pool_size": True}]}
    assert resume_check(original, [same[0], _rec(8, [99])])["same_batches"] is False
    assert resume_check(original, [same[0], _rec(8, [8], pool=39)])["same_batches"] is False
    assert resume_check(original, [])["same_batches"] is False  # nothing compared proves nothing


def test_step_time_ratio_by_hand():
    """Step 1 (start-up, compilation) is left out; the median ignores one slow step (a checkpoint save)."""
    srpo = [{"step": s, "timing_s/step": t} for s, t in zip(range(1, 6), (47.0, 10.0, 11.0, 30.0, 12.0))]
    grpo = [{"step": s, "timing_s/step": t} for s, t in zip(range(1, 6), (45.0, 10.0, 10.0, 11.0, 12.0))]
    out = summarize({"srpo": srpo, "grpo": grpo})
    assert out["srpo"]["step_time_median_s"] == 11.5 and out["grpo"]["step_time_median_s"] == 10.5
    assert out["step_time_median_ratio_srpo_over_grpo"] == pytest.approx(11.5 / 10.5)
    assert out["step_time_ratio_srpo_over_grpo"] == pytest.approx(15.75 / 10.75)


def test_collect_on_verl_written_files(e2e_base, e2e_data, tmp_path):
    dump = tmp_path / "samples.jsonl"
    measure(e2e_base, e2e_data["train"], n=2, max_new_tokens=8, limit=4, dump=dump, batch_prompts=2)
    runs = tmp_path / "runs"
    assert write_run(dump, runs / "rehearsal") == 2
    result = collect(e2e_data["train"], runs, ["rehearsal"], tmp_path / "report", png=tmp_path / "plot.png")
    steps = result["runs"]["rehearsal"]
    chunks = [json.loads(line) for line in dump.read_text().splitlines()]
    assert [s["step"] for s in steps] == [1, 2]
    assert [s["drawn"] for s in steps] == [sorted(p["index"] for p in c["prompts"]) for c in chunks]
    index = prompt_index(e2e_data["train"])
    for s, c in zip(steps, chunks):
        assert s["timing_s/step"] == pytest.approx(c["gen_s"] + c["score_s"])
        scores = [v for p in c["prompts"] for v in p["scores"]]
        assert s["critic/score/mean"] == pytest.approx(sum(scores) / len(scores))
        assert s["score/all"] == pytest.approx(sum(scores) / len(scores), abs=1e-6)
        groups = [p["scores"] for p in c["prompts"]]
        equal = sum(len(set(g)) == 1 for g in groups) / len(groups)
        assert s["zero_adv_share/score"] == pytest.approx(equal)
        assert not any(k.startswith("srpo/") for k in s)  # nothing SRPO-specific is invented
        accs = [a for p in c["prompts"] for a in p["accs"]]  # the reward's own acc, which verl's dump drops
        assert s["acc/all"] == pytest.approx(sum(accs) / len(accs))
        assert all(lookup(index, p["text"])[0] == p["index"] for p in c["prompts"])
    assert result["report"]["rehearsal"]["kind"].startswith("unknown")  # no .hydra/config.yaml: said, not guessed
    assert any("no .hydra/config.yaml" in n for n in result["report"]["rehearsal"]["notes"])
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## rehearsal" in (tmp_path / "report" / "report.md").read_text()
