"""``verl-srpo plan``: every formula on hand-computed cases, and the whole timeline against a Monte-Carlo run of
the real ``SRPOBatchSampler`` and ``PromptHistory`` (not copies), driven as verl's dataloader drives them.

Tolerances of the Monte-Carlo comparison (20 runs of 60 steps, 1000 prompts, B=50, G=8): the pool at each
epoch within 1% + 2 prompts, the zero-advantage share of epochs of 5 steps or more within 0.02, the steps and
first step of each epoch within 1 (the plan floors the expected pool; a run floors its own).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from verl_srpo.analysis.plan import (
    PlanSettings,
    _boundary,
    _floors,
    dapo_factor,
    make_plan,
    timeline,
    zero_adv_probability,
)
from verl_srpo.config.schema import SRPOConfig, build
from verl_srpo.history import PromptHistory
from verl_srpo.sampler import SRPOBatchSampler
from verl_srpo.stages import Rows, StagePlan, StageSwitch


def srpo(**blocks) -> SRPOConfig:
    """An ``srpo`` block, e.g. ``srpo(stages={"switch_step": 3})``: the plugin's defaults for the rest."""
    return build(SRPOConfig, blocks)


def test_zero_adv_probability_by_hand():
    assert zero_adv_probability(np.array([0.0, 1.0, 0.5]), 4).tolist() == [1.0, 1.0, 0.125]
    assert zero_adv_probability(np.array([0.25]), 2)[0] == pytest.approx(0.25**2 + 0.75**2)  # 0.625
    assert zero_adv_probability(np.array([0.5]), 32)[0] == pytest.approx(2 * 0.5**32)


def test_dapo_factor_by_hand():
    assert dapo_factor(0.0) == 1.0 and dapo_factor(0.5) == 2.0 and dapo_factor(0.75) == 4.0
    assert dapo_factor(1.0) == float("inf")  # no informative group ever: the batch never fills


def test_boundary_drop_floor_and_readmission_by_hand():
    active, pending = np.ones(4), np.array([1.0, 1.0, 1.0, 0.0])
    assert _boundary(active, pending, np.ones(4), [(np.ones(4), 2)], readmit_fraction=0.0) == (2.0, 0.0, 0.0)
    assert active.tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0])  # 3 solved, room for 2: each leaves w.p. 2/3
    assert pending.tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0.0])  # held back, still solved
    active, pending = np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0])
    assert _boundary(active, pending, np.ones(3), [(np.ones(3), 0)], readmit_fraction=1.0) == (1.0, 1.0, 0.0)
    assert active.tolist() == [1.0, 0.0, 1.0]  # the earlier drop is back (history cleared), this one is gone
    active, pending = np.array([0.0, 0.0, 1.0, 1.0]), np.zeros(4)
    assert _boundary(active, pending, np.ones(4), [(np.ones(4), 0)], 0.25) == (0.0, 0.0, 0.5)  # half owed, as HR
    assert _boundary(active, pending, np.ones(4), [(np.ones(4), 0)], 0.25, carry=0.5) == (0.0, 1.0, 0.0)
    assert active.tolist() == [0.5, 0.5, 1.0, 1.0]  # one of the two back, either one


def test_weighted_stage2_floors_by_hand():
    """6 math and 1 code prompt, weights {math: 1, code: 1}, a floor of 4: code holds its 1 row (less than its
    half, 2), math's floor takes the other 3. Every prompt solved: 3 of 6 math leave, in expectation 1/2 each."""
    domain = np.array([0] * 6 + [1])
    plan = StagePlan(["math", "code"], np.bincount(domain), ["math"], {"math": 1, "code": 1})
    eligible = np.ones(7)
    floors = _floors(2, plan, domain, eligible, 4)
    assert [(rows.tolist(), size) for rows, size in floors] == [([1.0] * 6 + [0], 3), ([0.0] * 6 + [1], 1)]
    assert [size for _, size in _floors(1, plan, domain, eligible, 4)] == [4]  # stage 1: one floor
    active, pending = np.ones(7), np.ones(7)
    assert _boundary(active, pending, eligible, floors, 0.0) == (3.0, 0.0, 0.0)  # code's solved prompt is held
    assert active.tolist() == pytest.approx([0.5] * 6 + [1])


def test_timeline_by_hand():
    """4 math prompts p = 1, 1, 0, 1/2 and 4 code prompts p = 1/2; G = 2, B = 2, stage 2 after one epoch, 6 steps."""
    p = np.array([1, 1, 0, 0.5, 0.5, 0.5, 0.5, 0.5])
    domain = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    epochs = timeline(p, domain, ["math", "code"], PlanSettings(2, 2, 6))
    assert [(e.index, e.stage, e.first_step, e.steps) for e in epochs] == [(1, 1, 1, 2), (2, 2, 3, 2), (3, 2, 5, 2)]
    # epoch 1: the 4 math prompts, each drawn once; zero advantage 1, 1, 1, 1/4 + 1/4.
    assert epochs[0].pool == {"math": 4} and epochs[0].zero_adv == pytest.approx((1 + 1 + 1 + 0.5) / 4)
    # boundary: the two p=1 prompts leave, the p=1/2 one with probability 1/4.
    assert epochs[1].dropped == pytest.approx(2.25)
    assert epochs[1].pool == pytest.approx({"math": 1.75, "code": 4})
    assert epochs[1].zero_adv == pytest.approx((1 + 0.75 * 0.5 + 4 * 0.5) / 5.75)
    # epoch 2 draws 4 of 5.75 expected prompts: each leaves at the next boundary w.p. (4 / 5.75) * 1/4.
    drawn = 4 / 5.75
    assert epochs[2].dropped == pytest.approx(0.75 * drawn / 4 + 4 * drawn / 4)
    assert epochs[2].pool["math"] == pytest.approx(1.75 - 0.75 * drawn / 4)
    assert epochs[2].zero_adv == pytest.approx((1 + (0.75 - 0.75 * drawn / 4) * 0.5 + (4 - drawn) * 0.5)
                                               / (5.75 - 0.75 * drawn / 4 - drawn))


def test_timeline_switch_step_cuts_the_epoch_and_weights_mix_stage_2():
    p, domain = np.full(10, 0.5), np.array([0] * 6 + [1] * 4)
    s = PlanSettings(2, 2, 9, srpo(stages={"switch_step": 3, "switch_epoch": None,
                                           "stage2_weights": {"math": 1, "code": 3}}))
    epochs = timeline(p, domain, ["math", "code"], s)
    # stage 1: 2 of its 3 steps, cut by the switch; the drawn 4 math prompts each leave w.p. 1/4.
    assert [(e.stage, e.first_step, e.steps) for e in epochs][:2] == [(1, 1, 2), (2, 3, 4)]
    assert epochs[1].dropped == pytest.approx(1.0) and epochs[1].pool == pytest.approx({"math": 5, "code": 4})
    assert epochs[1].draws == pytest.approx({"math": 0.25, "code": 0.75})
    assert epochs[0].zero_adv == epochs[1].zero_adv == pytest.approx(0.5)


def test_plan_without_the_srpo_trainer_is_every_row_every_epoch():
    p, domain = np.array([0.0, 0.5, 1.0, 0.5, 0.5]), np.array([0, 0, 0, 1, 1])
    plan = make_plan(p, domain, ["math", "code"], PlanSettings(2, 2, 5, staged=False))
    assert plan.steps_per_epoch == 2 and [(e.first_step, e.steps) for e in plan.epochs] == [(1, 2), (3, 2), (5, 1)]
    assert all(e.zero_adv == pytest.approx((1 + 0.5 + 1 + 0.5 + 0.5) / 5) for e in plan.epochs)
    assert plan.grpo_zero_adv == pytest.approx({"math": 2.5 / 3, "code": 0.5, "all": 3.5 / 5})
    assert plan.dapo_factor["code"] == pytest.approx(2.0) and plan.dapo_factor["math"] == pytest.approx(6.0)


def simulate(p, domain, names, s: PlanSettings, seed: int) -> dict[int, dict]:
    """One run of the real sampler and history with Bernoulli(p) rollouts; ``{epoch: first, steps, pool, zero_adv}``.
    Driven as verl drives them: the stage switch before each step, a new pass when the batch sampler is done."""
    rng = np.random.default_rng(seed)
    rows = Rows(np.arange(len(p), dtype=np.int64) * 7 + 3, domain.astype(np.int8), names)
    hr, st = s.srpo.history, s.srpo.stages
    plan = StagePlan(names, np.bincount(domain, minlength=len(names)), st.stage1_domains, st.stage2_weights)
    history = PromptHistory(len(p), hr.readmit_fraction, max(hr.min_pool_size, s.train_batch_size)) \
        if hr.enable else None
    sampler = SRPOBatchSampler(rows, plan, s.train_batch_size, s.train_batch_size, seed, history)
    switch = StageSwitch(st.switch_step, st.switch_epoch)
    it, epochs = iter(sampler), {}
    for step in range(1, s.total_steps + 1):
        switch(sampler, step)
        try:
            batch = np.array(next(it))
        except StopIteration:
            it = iter(sampler)
            batch = np.array(next(it))
        correct = rng.random((len(batch), s.rollout_n)) < p[batch][:, None]
        sampler.record(np.repeat(rows.ids[batch], s.rollout_n), correct.ravel())
        k = correct.sum(axis=1)
        # The epoch's pool, after its boundary (the sampler's own count; BoundaryReport.pool per domain).
        e = epochs.setdefault(sampler.epoch, {"first": step, "steps": 0, "zero": [], "stage": sampler.stage,
                                             "pool": sampler.pool_size()})
        e["steps"] += 1
        e["zero"].append(np.mean((k == 0) | (k == s.rollout_n)))
    return epochs


def _data():
    rng = np.random.default_rng(0)
    correct = np.concatenate([rng.choice(9, 600, p=[.3, .1, .08, .07, .07, .08, .1, .1, .1]),
                              rng.choice(9, 400, p=[.15, .05, .05, .05, .1, .1, .15, .15, .2])])
    return correct / 8, np.array([0] * 600 + [1] * 400), ["math", "code"]


def _small_code_data():
    """150 math prompts, 125 always solved, and 20 code prompts, 12 always solved: with weights {math: 1, code: 1}
    and B = 50, code's share of the pool floor (25) is more than it has, and HR soon brings math to its floor."""
    rng = np.random.default_rng(1)
    math = np.concatenate([np.ones(125), rng.choice(7, 25) / 8])
    code = np.concatenate([np.ones(12), rng.choice(7, 8) / 8])
    return np.concatenate([math, code]), np.array([0] * 150 + [1] * 20), ["math", "code"]


def _easy_math_data():
    """150 math prompts, 140 always solved, and 200 code prompts of :func:`_data`: with weights {math: 1, code: 1}
    the code pool alone holds more than B, yet math keeps its own floor of 25 (a single floor would let it go)."""
    p, _, _ = _data()
    math = np.concatenate([np.ones(140), np.random.default_rng(2).choice(7, 10) / 8])
    return np.concatenate([math, p[600:800]]), np.array([0] * 150 + [1] * 200), ["math", "code"]


WEIGHTS_1_1 = {"stage2_weights": {"math": 1, "code": 1}}


@pytest.mark.parametrize("options", [
    {},  # the plugin's defaults: stage 2 after one math epoch, solved prompts gone for good
    {"history": {"readmit_fraction": 0.3},
     "stages": {"switch_step": 14, "switch_epoch": None, "stage2_weights": {"math": 1, "code": 3}}},
    {"history": {"min_pool_size": 850}},  # the floor holds the pool
    {"history": {"enable": False}},
    # code has fewer rows than its share of the floor: math's floor takes the rest (the floors add up to B)
    {"stages": WEIGHTS_1_1, "data": _small_code_data},
    {"stages": WEIGHTS_1_1, "history": {"min_pool_size": 120}, "data": _small_code_data},
    {"stages": WEIGHTS_1_1, "data": _easy_math_data},  # math held at its floor
])
def test_plan_matches_the_real_sampler_and_history(options):
    options = dict(options)
    p, domain, names = options.pop("data", _data)()
    s = PlanSettings(8, 50, 60, srpo(**options))
    plan = make_plan(p, domain, names, s)
    runs = [simulate(p, domain, names, s, seed) for seed in range(20)]
    checked = 0
    for e in plan.epochs:
        mc = [r[e.index] for r in runs if e.index in r]
        if len(mc) < len(runs) // 2:
            continue
        pool = sum(e.pool.values())
        assert np.mean([m["pool"] for m in mc]) == pytest.approx(pool, abs=0.01 * pool + 2), e
        assert abs(np.mean([m["first"] for m in mc]) - e.first_step) <= 1 and abs(
            np.mean([m["steps"] for m in mc]) - e.steps) <= 1, e
        assert {m["stage"] for m in mc} == {e.stage}, e
        if e.steps >= 5:
            assert np.mean([np.mean(m["zero"]) for m in mc]) == pytest.approx(e.zero_adv, abs=0.02), e
        checked += 1
    assert checked >= 3


def test_dapo_factor_matches_over_generation():
    """DAPO's dynamic sampling: draw prompts until B groups are mixed; prompts drawn per kept group."""
    p, _, _ = _data()
    rng = np.random.default_rng(1)
    z = zero_adv_probability(p, 8).mean()
    drawn = kept = 0
    while kept < 20000:
        batch = rng.integers(0, len(p), 512)
        k = (rng.random((512, 8)) < p[batch][:, None]).sum(axis=1)
        drawn += 512
        kept += int(((k > 0) & (k < 8)).sum())
    assert drawn / kept == pytest.approx(dapo_factor(z), rel=0.03)


@pytest.fixture
def labelled(tmp_path):
    """A training parquet as recipes/data writes it (combine.to_frame), labelled by pass@8."""
    from verl_srpo.recipes.data.combine import to_frame

    counts = {"math": [0, 0, 1, 2, 4, 8, 8, 3, 0, 6, 5, 8], "code": [8, 8, 2, 0, 4, 6, 1, 8]}
    records = [{"source": f"fixture_{d}", "source_id": str(i), "domain": d, "question": f"{d} problem {i}",
                "answer": str(i), "pass_k": 8, "num_correct": c, "pass_rate": c / 8}
               for d, cs in counts.items() for i, c in enumerate(cs)]
    path = tmp_path / "train.parquet"
    to_frame(records, "train").to_parquet(path)
    return path


def test_plan_command_prints_the_table_and_writes_json_and_png(labelled, tmp_path, capsys):
    from verl_srpo.cli import main

    assert main(["plan", "--data", str(labelled), "--rollout-n", "8", "--train-batch-size", "4", "--epochs", "2",
                 "--max-prompt-length", "512", "--max-response-length", "1024", "--out", str(tmp_path / "plan")]) == 0
    out = capsys.readouterr().out
    assert "responses per step  = 4 prompts x 8 rollouts = 32" in out
    assert "max tokens per step = 32 x (512 prompt + 1024 response) = 49152" in out
    assert "steps per epoch     = floor(20 rows / 4) = 5" in out and "total steps         = 10" in out
    math = np.array([0, 0, 1, 2, 4, 8, 8, 3, 0, 6, 5, 8]) / 8
    z = np.mean(zero_adv_probability(math, 8))
    assert re.search(rf"math\s+12\s+{math.mean():.3f}\s+{z:.3f}\s+{1 / (1 - z):.2f}x", out)
    saved = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert saved["epochs"][0]["pool"] == {"math": 12.0} and saved["stages"][0]["steps"] == 3  # floor(12 / 4)
    assert saved["epochs"][1]["stage"] == 2 and saved["epochs"][1]["dropped"] == pytest.approx(np.sum(math**8))
    assert saved["settings"]["srpo"]["stages"]["switch_epoch"] == 1 and saved["settings"]["rollout_n"] == 8
    png = (tmp_path / "plan" / "plan.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000


def test_plan_refuses_unlabelled_data_and_too_small_pools(tmp_path, labelled):
    from verl_srpo.cli import main
    from verl_srpo.recipes.data.combine import to_frame

    unlabelled = tmp_path / "unlabelled.parquet"
    to_frame([{"source": "s", "source_id": "1", "domain": "math", "question": "q", "answer": "1"}], "train") \
        .to_parquet(unlabelled)
    with pytest.raises(SystemExit, match="no pass@k label.*recipes.data.prepare"):
        main(["plan", "--data", str(unlabelled), "--rollout-n", "8", "--train-batch-size", "1"])
    with pytest.raises(SystemExit, match="fewer than one step"):
        main(["plan", "--data", str(labelled), "--rollout-n", "8", "--train-batch-size", "13"])
    with pytest.raises(SystemExit, match="no training row has"):
        main(["plan", "--data", str(labelled), "--rollout-n", "8", "--train-batch-size", "4",
              "--stage1-domains", "chess"])
    # 21 > 20 rows: verl's epoch has no step; the message names the flag and the bound, not flags that are fine.
    with pytest.raises(SystemExit, match=r"^verl-srpo plan: --train-batch-size 21 is more than the data's 20 rows: "
                                         r".* Set --train-batch-size <= 20\.$"):
        main(["plan", "--data", str(labelled), "--rollout-n", "8", "--train-batch-size", "21"])


@pytest.mark.parametrize("flags, message", [
    (["--readmit-fraction", "2"], "--readmit-fraction: srpo.history.readmit_fraction=2.0 must be in [0.0, 1.0]. "
                                  "Set 0 to drop solved prompts for good."),
    (["--stage2-weights", "math=-1,code=1"], "--stage2-weights: srpo.stages.stage2_weights={'math': -1.0, 'code': 1.0} "
                                             "must map domains to non-negative numbers"),
    (["--stage2-weights", "math=lots"], "srpo.stages.stage2_weights={'math': 'lots'} must be a map from names to "
                                        "numbers, or null."),
    (["--stage2-weights", "math:1"], "--stage2-weights 'math:1': write domain=weight pairs"),
    (["--min-pool-size", "-1"], "--min-pool-size: srpo.history.min_pool_size=-1 must be >= 0."),
    (["--switch-epoch", "0"], "srpo.stages.switch_epoch=0 must be an integer >= 1, or null"),
    (["--stage1-domains", ","], "srpo.stages.stage1_domains is empty"),
    (["--rollout-n", "1"], "--rollout-n=1 must be >= 2."),
])
def test_plan_flags_are_checked_by_the_schema(labelled, capsys, flags, message):
    """Each srpo flag is built into SRPOConfig by the schema: a bad value exits 2 with the schema's message
    (as argparse's own errors), before the data is read."""
    from verl_srpo.cli import main

    argv = ["plan", "--data", str(labelled), "--rollout-n", "8", "--train-batch-size", "4", *flags]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("verl-srpo plan: error: ") and message in err, err


def test_plan_flags_report_every_problem_at_once(capsys, tmp_path):
    from verl_srpo.cli import main

    argv = ["plan", "--data", str(tmp_path / "missing.parquet"), "--rollout-n", "8", "--train-batch-size", "0",
            "--readmit-fraction", "-0.5", "--switch-step", "-2"]
    assert main(argv) == 2  # the flags first: the missing file is not reached
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[2].strip() for line in lines] == [
        "--train-batch-size=0 must be >= 1.", "--readmit-fraction", "--switch-step"]


def test_plan_settings_hold_only_the_plans_own_fields_and_the_srpo_block():
    """The srpo options come from SRPOConfig (defaults, types, ranges), not from copies."""
    from dataclasses import fields

    assert [f.name for f in fields(PlanSettings)] == ["rollout_n", "train_batch_size", "total_steps", "srpo", "staged"]
    s = PlanSettings(8, 64, 10)
    assert s.srpo == SRPOConfig() and s.floor == 64
    assert PlanSettings(8, 64, 10, srpo(history={"min_pool_size": 100})).floor == 100
    with pytest.raises(ValueError, match="rollout_n >= 2"):
        PlanSettings(1, 64, 10)


def test_plan_prints_the_per_domain_floors_of_weighted_stage_2(labelled, capsys):
    """12 math and 8 code prompts, weights {math: 1, code: 3}, B = 4, --min-pool-size 16: the floor's quarter
    and three quarters would be 4 and 12, but code has 8 rows; math's floor takes the other 4."""
    from verl_srpo.cli import main

    assert main(["plan", "--data", str(labelled), "--rollout-n", "8", "--train-batch-size", "4",
                 "--stage2-weights", "math=1,code=3", "--min-pool-size", "16"]) == 0
    assert "pool floor 16 (stage 2: code 8, math 8)" in capsys.readouterr().out
