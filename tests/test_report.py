"""``verl-srpo report``: hand-computed pieces, and the README's commands on runs written by verl's own trainer.

The module's one rehearsal (``python -m verl_srpo.rehearsal --runs runs``, the README's first command) drives
verl's real ``step()`` for an SRPO run and for verl's ``grpo`` with its sync trainer, and writes what verl's
``fit()`` writes: the ``file`` logger's metrics JSONL, the rollout dumps and ``.hydra/config.yaml``. The report
derived from the dumps is checked against the SRPO trainer's own logged metrics, and against the bundled
rollouts by hand for the GRPO run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from verl_srpo.analysis.data import PromptMatcher
from verl_srpo.analysis.report import hr_boundaries, steps_to_reach, trailing_mean
from verl_srpo.analysis.runs import Run
from verl_srpo.analysis.runs import Derivation, acc_rule, locate

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def readme_commands() -> list[str]:
    section = (REPO / "README.md").read_text().split("## Reports and plans", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1).strip().splitlines()


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Every command of the README's "Reports and plans" block, in order, in a fresh folder."""
    cwd = tmp_path_factory.mktemp("readme")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HF_HUB_OFFLINE": "1",
           "RAY_USAGE_STATS_ENABLED": "0", "TOKENIZERS_PARALLELISM": "false", "WANDB_MODE": "disabled"}
    outputs = []
    for line in readme_commands():
        proc = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{line}\n{(proc.stdout + proc.stderr)[-4000:]}"
        outputs.append(proc.stdout)
    return cwd, outputs


@pytest.fixture(scope="module")
def bundled():
    """The bundled rollouts scored by SRPO's reward, as the rehearsal replays them: ``{index: [(text, reward)]}``."""
    from verl_srpo.rehearsal import load_problems, score_responses

    problems = load_problems()
    return score_responses(problems), {p["index"]: p["domain"] for p in problems}


def test_trailing_mean_and_steps_to_reach_by_hand():
    assert trailing_mean([0.1, 0.5, 0.9, 0.9], 2) == pytest.approx([0.1, 0.3, 0.7, 0.9])
    assert steps_to_reach([10, 20, 30, 40], [0.1, 0.5, 0.9, 0.9], 0.5, window=2) == 30
    assert steps_to_reach([10, 20, 30, 40], [0.1, 0.5, 0.9, 0.9], 0.5, window=1) == 20
    assert steps_to_reach([10, 20], [0.1, 0.2], 0.5) is None


def _run(kind: str, logged: list[dict]) -> Run:
    return Run("r", None, None, kind, "", [{"step": i, "logged": m, "derived": {}} for i, m in enumerate(logged, 1)],
               [])


def test_hr_boundaries_come_from_the_trainers_boundary_metrics():
    """Only steps where the SRPO trainer logged a boundary (HR on); the first epoch's (nothing to drop) is left out."""
    logged = [{"srpo/epoch": 1, "srpo/boundary/epoch": 1, "srpo/boundary/dropped": 0, "srpo/boundary/pool_size": 8},
              {"srpo/epoch": 1},
              {"srpo/epoch": 2, "srpo/boundary/epoch": 2, "srpo/boundary/dropped": 3, "srpo/boundary/pool_size": 5},
              {"srpo/epoch": 3, "srpo/boundary/epoch": 3, "srpo/boundary/dropped": 0, "srpo/boundary/pool_size": 9}]
    assert [(b["step"], b["dropped"], b["pool_size"]) for b in hr_boundaries(_run("SRPO", logged))] == [
        (3, 3, 5), (4, 0, 9)]
    # HR off: the sampler's epochs still grow, but no boundary metrics are logged and none is reported.
    off = [{"srpo/epoch": e} for e in (1, 1, 2, 3)]
    assert hr_boundaries(_run("SRPO (HR off)", off)) == [] and hr_boundaries(_run("GRPO", off)) == []
    # A run written before the boundary metrics existed, with HR on: where srpo/epoch grew.
    assert [b["step"] for b in hr_boundaries(_run("SRPO", off))] == [3, 4]


def test_acc_rule_by_hand():
    def cfg(**kwargs):
        return OmegaConf.create({"reward": {"custom_reward_function": {"path": "pkg://verl_srpo.rewards",
                                                                       "reward_kwargs": kwargs}}})

    assert acc_rule(cfg())[0] == pytest.approx(0.5)  # wrong <= 0.1 < 0.5 < 0.9 <= correct
    assert acc_rule(cfg(format_weight=0.3, lang_penalty=0.1))[0] == pytest.approx((0.3 + 0.9) / 2)
    with pytest.raises(ValueError, match="--acc-threshold"):
        acc_rule(cfg(format_weight=0.6, lang_penalty=0.5))
    other = OmegaConf.create({"reward": {"custom_reward_function": {"path": "my_reward.py"}}})
    assert acc_rule(other)[0] == 0.5 and "0/1" in acc_rule(other)[1]
    assert acc_rule(other, 0.8)[0] == 0.8


def test_prompt_matcher_by_hand():
    import pyarrow as pa

    def row(question, truth):
        return {"prompt": [{"role": "system", "content": "S"}, {"role": "user", "content": question}],
                "reward_model": {"ground_truth": truth}}

    table = pa.Table.from_pylist([row("What is 1 + 1?", "2"), row("What is 1 + 1? Then add 0.", "2"),
                                  row("Print  3.\n\nUse Python.", '{"inputs": []}')])
    m = PromptMatcher(table)
    assert m.position("S User: What is 1 + 1? Assistant: <think>", "2") == 0
    assert m.position("S User: What is 1 + 1? Then add 0. Assistant:", "2") == 1  # the longest match
    assert m.position("system\nS\nuser\nPrint 3. Use Python.\nassistant\n", '{"inputs": []}') == 2  # whitespace
    assert m.position("S User: What is 1 + 1? Assistant:", "wrong truth") == 0  # falls back to every row
    with pytest.raises(KeyError, match="not in the training data"):
        m.position("S User: What is 2 + 2?", "4")


def test_derivation_of_one_step_by_hand():
    lines = [
        {"uid": "a_0_0", "input": "0", "output": "Wait, so 2.", "score": 1.1},
        {"uid": "a_1_0", "input": "0", "output": "so 3", "score": 0.1},
        {"uid": "b_0_0", "input": "1", "output": "draft", "score": 1.0},
        {"uid": "b_0_1", "input": "1", "output": "let me verify it", "score": 1.0},  # the session's last output
        {"uid": "b_1_0", "input": "1", "output": "verify", "score": 0.9},
        {"uid": "c_0_0", "input": "2", "output": "x", "score": 0.1},
        {"uid": "c_1_0", "input": "2", "output": "y", "score": 0.0},
    ]
    d = Derivation(lambda text, truth: int(text), np.array([10, 11, 12]), np.array([0, 1, 1]), ["math", "code"],
                   ["wait", "let me verify", "verify"], lambda texts: [len(t) for t in texts], 0.5)
    out, drawn = d.step(lines)
    assert drawn == [10, 11, 12] and out["responses"] == 6 and out["groups"] == 3
    assert out["zero_adv_share/acc"] == pytest.approx(2 / 3)  # b all correct, c all wrong; a mixed
    assert out["zero_adv_share/score"] == 0.0  # every group's scores differ (format bonus, penalty)
    assert out["acc/math"] == 0.5 and out["score/math"] == pytest.approx(0.6)
    assert out["acc/code"] == 0.5 and out["score/code"] == pytest.approx((1.0 + 0.9 + 0.1 + 0.0) / 4)
    assert out["response_length/math"] == (11 + 4) / 2
    assert out["reflection_rate/any"] == 0.5
    rates = [out[f"reflection_rate/{p}"] for p in ("wait", "let me verify", "verify")]
    assert rates == pytest.approx([1 / 6, 1 / 6, 2 / 6])


def test_reflection_phrases_are_the_trainers_definition():
    """The report's fast check equals ``phrase_pattern([p]).search`` (the trainer's) on every text and phrase."""
    import random

    from verl_srpo.metrics import phrase_pattern

    phrases = ["wait", "recheck", "re-check", "double-check", "let me verify", "let me check", "verify", "reconsider"]
    pieces = ["Wait", "wait,", "awaits", "waiting", "let me  verify", "Let me\nverify", "letme verify", "re-check",
              "recheck", "double-checking", "Double-Check.", "verify!", "unverify", "reconsider", "let", "me", "check",
              "x", "LET ME CHECK"]
    rng = random.Random(0)
    texts = [" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(400)]
    d = Derivation(lambda t, g: 0, np.zeros(1), np.zeros(1), ["math"], phrases, len, 0.5)
    expected = np.array([[phrase_pattern([p]).search(t) is not None for p in phrases] for t in texts])
    assert (d.reflections(texts) == expected).all() and expected.any(axis=0).all() and not expected.all(axis=0).any()


def test_missing_files_are_named_with_the_setting_that_writes_them(tmp_path):
    from verl_srpo.cli import main

    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    OmegaConf.save({"trainer": {"logger": ["console"], "project_name": "p", "experiment_name": "e"}},
                   run / ".hydra" / "config.yaml")
    with pytest.raises(SystemExit) as err:
        main(["report", str(run), "--out", str(tmp_path / "out")])
    message = str(err.value)
    assert "trainer.logger='[console,file]'" in message and "VERL_FILE_LOGGER_PATH" in message
    assert "this run's trainer.logger=['console']" in message and "trainer.rollout_data_dir" in message
    with pytest.raises(SystemExit, match="does not exist"):
        main(["report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])


# ----------------------------------------------------------------- on the rehearsal's runs


def _report(cwd: Path) -> dict:
    return json.loads((cwd / "runs" / "report" / "report.json").read_text())


@pytest.mark.slow  # the module's one rehearsal: two runs through verl's trainer, ~2 min on 2 cores
def test_readme_commands_write_the_report_and_the_plan(readme_run):
    cwd, outputs = readme_run
    assert len(outputs) == 3  # every command of the section ran
    assert "runs written" in outputs[0]
    assert re.search(r"srpo: SRPO, steps 1-8 \(8 dumped\), stage 2 from step 4", outputs[1])
    assert re.search(r"grpo: GRPO, steps 1-8 \(8 dumped\), stage 2 from step -", outputs[1])
    assert "responses per step  = 4 prompts x 4 rollouts = 16" in outputs[2]
    assert "steps per epoch     = floor(12 rows / 4) = 3" in outputs[2] and "total steps         = 9" in outputs[2]
    for png in (cwd / "runs" / "report" / "dashboard.png", cwd / "runs" / "plan" / "plan.png"):
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 10000
    md = (cwd / "runs" / "report" / "report.md").read_text()
    assert "![dashboard](dashboard.png)" in md and "## srpo (SRPO)" in md and "## grpo (GRPO)" in md
    assert "Plan (from the data's pass@k labels) vs. this run" in md
    assert "history resampling takes solved prompts out of an SRPO run's batches" in md  # SRPO vs a baseline
    assert _report(cwd)["length_unit"] == "tokens"  # the run's tokenizer (actor_rollout_ref.model.path)


@pytest.mark.slow
def test_srpo_run_derived_from_dumps_equals_the_trainers_own_metrics(readme_run):
    steps = _report(readme_run[0])["runs"]["srpo"]["steps"]
    assert [s["step"] for s in steps] == list(range(1, 9))
    for s in steps:
        logged, derived = s["logged"], s["derived"]
        assert derived["zero_adv_share/acc"] == logged["srpo/zero_adv_group_frac"]
        assert derived["zero_adv_share/score"] == logged["srpo/zero_adv_group_frac_score"]
        assert derived["reflection_rate/any"] == logged["srpo/reflection_rate"]  # 16 responses, all sampled
        for domain in ("math", "code"):
            if f"srpo/{domain}/acc_mean" in logged:
                assert derived[f"acc/{domain}"] == pytest.approx(logged[f"srpo/{domain}/acc_mean"])
                assert derived[f"score/{domain}"] == pytest.approx(logged[f"srpo/{domain}/reward_mean"], abs=1e-6)
                assert derived[f"response_length/{domain}"] == logged[f"srpo/{domain}/response_length_mean"]
            else:
                assert f"acc/{domain}" not in derived


@pytest.mark.slow
def test_grpo_run_derived_by_hand_from_the_bundled_rollouts(readme_run, bundled):
    scored, domain = bundled
    steps = _report(readme_run[0])["runs"]["grpo"]["steps"]
    assert len(steps) == 8 and not any(k.startswith("srpo/") for s in steps for k in s["logged"])
    for s in steps:
        groups = [scored[i] for i in s["drawn"]]
        accs = [[r["acc"] for _, r in g] for g in groups]
        scores = [[round(r["score"], 6) for _, r in g] for g in groups]
        assert s["derived"]["zero_adv_share/acc"] == pytest.approx(np.mean([len(set(a)) == 1 for a in accs]))
        assert s["derived"]["zero_adv_share/score"] == pytest.approx(np.mean([len(set(x)) == 1 for x in scores]))
        math = [a for i, g in zip(s["drawn"], accs) if domain[i] == "math" for a in g]
        assert s["derived"].get("acc/math") == (pytest.approx(np.mean(math)) if math else None)
        texts = [t for g in groups for t, _ in g]
        assert s["derived"]["reflection_rate/wait"] == pytest.approx(np.mean([bool(re.search(r"\bwait\b", t, re.I))
                                                                              for t in texts]))


@pytest.mark.slow
def test_summary_stage_switch_boundaries_and_plan_next_to_the_run(readme_run):
    cwd = readme_run[0]
    report = _report(cwd)
    srpo = report["runs"]["srpo"]
    logged = {}
    for line in (cwd / "runs" / "srpo" / "metrics.jsonl").read_text().splitlines():
        rec = json.loads(line)
        logged[rec["step"]] = rec["data"]
    assert srpo["summary"]["stage_switch_step"] == min(k for k, v in logged.items() if v["srpo/stage"] == 2) == 4
    epochs = [logged[k]["srpo/epoch"] for k in sorted(logged)]
    opened = [k for k in range(2, 9) if epochs[k - 1] > epochs[k - 2]]
    bounds = srpo["summary"]["hr_boundaries"]
    assert [b["step"] for b in bounds] == opened  # the trainer's srpo/boundary/* steps are where epochs opened
    assert [b["dropped"] for b in bounds] == [logged[k]["srpo/boundary/dropped"] for k in opened]
    assert [b["pool_size"] for b in bounds] == [logged[k]["srpo/boundary/pool_size"] for k in opened]
    assert srpo["summary"]["final"]["srpo/pool_size"] == logged[8]["srpo/pool_size"]
    assert report["runs"]["grpo"]["summary"]["stage_switch_step"] is None
    assert report["runs"]["grpo"]["summary"]["hr_boundaries"] == []
    vs = report["plan"]["srpo"]["vs_run"]
    assert vs[0]["pool_plan"] == vs[0]["pool_logged"] == 8  # the 8 math prompts
    assert abs(vs[1]["pool_plan"] - vs[1]["pool_logged"]) < 0.5  # 3 solved prompts gone (the plan: 3.19 expected)
    assert next(v["first_step"] for v in vs if v["stage"] == 2) == 4  # the plan switches where the run did
    assert all(v["pool_logged"] is None and v["pool_plan"] == 12 for v in report["plan"]["grpo"]["vs_run"])


@pytest.mark.slow
def test_a_cut_run_is_read_up_to_its_last_whole_line(readme_run, tmp_path):
    from verl_srpo.cli import main

    run = tmp_path / "cut"
    shutil.copytree(readme_run[0] / "runs" / "srpo", run)
    config = OmegaConf.load(run / ".hydra" / "config.yaml")
    config.trainer.rollout_data_dir = str(run / "rollouts")  # the copy's dumps, not the original's
    OmegaConf.save(config, run / ".hydra" / "config.yaml")
    metrics = (run / "metrics.jsonl").read_bytes()
    (run / "metrics.jsonl").write_bytes(metrics[:-40])  # the writer was stopped mid-line
    dump = (run / "rollouts" / "8.jsonl").read_bytes()
    (run / "rollouts" / "8.jsonl").write_bytes(dump[:-25])
    data = readme_run[0] / "runs" / "data" / "train.parquet"
    assert main(["report", f"cut={run}", "--out", str(tmp_path / "out"), "--data", str(data)]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())["runs"]["cut"]
    steps = {s["step"]: s for s in report["steps"]}
    assert sorted(steps) == list(range(1, 8))  # step 8: its metrics line is cut, its dump still being written
    assert "srpo/pool_size" in steps[7]["logged"] and "derived" in steps[7]
    notes = " ".join(report["summary"]["notes"])
    assert "the last line is cut" in notes and "step 8 left out" in notes
    # a growing run: a rerun reads only what changed (the cache), and the finished step joins
    (run / "rollouts" / "8.jsonl").write_bytes(dump)
    assert main(["report", f"cut={run}", "--out", str(tmp_path / "out"), "--data", str(data), "--no-png"]) == 0
    again = json.loads((tmp_path / "out" / "report.json").read_text())["runs"]["cut"]
    assert "derived" in {s["step"]: s for s in again["steps"]}[8]
    assert len(list((tmp_path / "out" / ".cache").glob("cut-*.json"))) == 1


@pytest.mark.slow
def test_runs_without_dumps_or_metrics_say_which_setting_is_missing(readme_run, tmp_path):
    from verl_srpo.cli import main

    no_dumps, no_metrics = tmp_path / "no_dumps", tmp_path / "no_metrics"
    shutil.copytree(readme_run[0] / "runs" / "srpo", no_dumps, ignore=shutil.ignore_patterns("rollouts"))
    shutil.copytree(readme_run[0] / "runs" / "grpo", no_metrics, ignore=shutil.ignore_patterns("metrics.jsonl"))
    assert locate(str(no_dumps)).dumps is not None  # the config's absolute rollout path still exists ...
    config = OmegaConf.load(no_dumps / ".hydra" / "config.yaml")
    config.trainer.rollout_data_dir = str(tmp_path / "elsewhere")  # ... so point it where nothing was written
    OmegaConf.save(config, no_dumps / ".hydra" / "config.yaml")
    assert main(["report", str(no_dumps), str(no_metrics), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())["runs"]
    assert any("trainer.rollout_data_dir" in n for n in report["no_dumps"]["summary"]["notes"])
    assert any("VERL_FILE_LOGGER_PATH" in n for n in report["no_metrics"]["summary"]["notes"])
    assert report["no_dumps"]["summary"]["final"]["srpo/pool_size"] == 9 and "acc/math" not in \
        report["no_dumps"]["summary"]["final"]
    assert (tmp_path / "out" / "dashboard.png").read_bytes()[:8] == PNG
