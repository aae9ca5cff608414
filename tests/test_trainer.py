"""The registered SRPO trainer driven through verl's own step loop with a real TransferQueue.

No model: the rollout is scripted, through the package's one harness (``verl_srpo.testing.harness``). Its
``ReplayRollout`` stands where verl's AgentLoopManager stands (``generate_sequences``) and writes trajectory
rows into TransferQueue the way verl's agent loop does (prompt fields, ``extra_fields.reward_extra_info``, a
``response_len`` tag, then the prompt's ``finished`` status). Each step runs verl's real ``step()``:
``prepare_step`` draws the batch through the SRPO dataloader and submits it, verl's ``ReplayBuffer.sample``
collects the groups, and the SRPO override records the outcomes. Only the model half of a step (log-probs,
advantage, update) is left out. Checkpoints go through verl's real save and load (``data.pt``) with a no-op
actor worker group.
"""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import open_dict

from tests.test_stages import write_parquet
from verl_srpo.testing.harness import NoModel, ReplayRollout, run_steps

pytestmark = pytest.mark.slow

N = 4  # rollouts per prompt
MATH = list(range(100, 108))  # 8 math prompts
CODE = list(range(200, 204))  # 4 code prompts


def scripted_acc(index: int) -> list[float]:
    """Per-rollout accuracy of a prompt: %4==0 all correct, %4==1 all wrong, else mixed."""
    if index % 4 == 0:
        return [1.0] * N
    if index % 4 == 1:
        return [0.0] * N
    return [1.0, 0.0, 1.0, 0.0]


# Responses of 2..5 words; sessions 1 and 3 reflect ("wait", "verify").
TEXTS = ["the answer", "wait let me", "the answer is done", "wait let me verify the"]


def scripted(index: int) -> list[tuple[str, dict]]:
    """The replayed rollouts of a prompt: a wrong answer still earns a 0.1 format bonus."""
    return [(text, {"acc": acc, "score": acc + 0.1}) for text, acc in zip(TEXTS, scripted_acc(index))]


@pytest.fixture(scope="module")
def transfer_queue():
    import ray
    import transfer_queue as tq

    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False)  # TQ's actors need more than 2 CPUs' slots
    tq.init()
    yield tq
    tq.close()
    ray.shutdown()


@pytest.fixture(scope="module")
def tokenizer():
    from verl_srpo.testing.tiny import word_tokenizer

    return word_tokenizer(TEXTS)


@pytest.fixture
def make_trainer(compose, tokenizer, tmp_path):
    rows = [(i, "math", "gsm8k") for i in MATH] + [(i, "code", "lcb") for i in CODE]
    data = write_parquet(tmp_path / "train.parquet", rows)

    def _make(**srpo):
        overrides = [
            "+plugin=verl_srpo", f"data.train_files=[{data}]", f"data.val_files=[{data}]",
            "data.train_batch_size=4", "data.gen_batch_size=2", "data.filter_overlong_prompts=false", "data.seed=11",
            f"++data.cache_dir={tmp_path}/cache", "actor_rollout_ref.rollout.n=4", f"trainer.default_local_dir={tmp_path}/ckpt",
            "trainer.save_freq=1", "trainer.resume_mode=disable", "srpo.metrics.reflection_sample_size=64",
        ] + [f"srpo.{k}={v}" for k, v in srpo.items()]
        from verl_srpo.testing.harness import build_trainer  # the one harness (the rehearsal's names above too)

        # the registered class (trainer.v1.trainer_mode=srpo), as verl's main_ppo looks it up
        return build_trainer(compose(overrides), tokenizer, ReplayRollout(tokenizer, scripted))

    return _make


def test_two_epochs_hr_and_stage_switch(transfer_queue, make_trainer):
    trainer = make_trainer(**{"stages.switch_epoch": 2})
    assert trainer.trainer_mode == "sync" and isinstance(trainer.actor_rollout_wg, NoModel)
    logged = run_steps(trainer, 1, 7)
    steps = [sorted(d) for d in trainer.agent_loop_manager.drawn]  # one submitted batch (2 fetches of 2) a step
    assert len(steps) == 7 and all(len(s) == 4 for s in steps)

    # stage 1, epoch 1 (steps 1-2): every math prompt once, no code.
    assert sorted(steps[0] + steps[1]) == MATH
    # boundary: 100 and 104 were all correct -> dropped; all-wrong 101/105 and mixed ones stay.
    # stage 1, epoch 2: 6 math prompts, cut to one step of 4 (step 3).
    assert all(i in MATH for i in steps[2]) and not {100, 104} & set(steps[2])
    assert [m["srpo/stage"] for m in logged] == [1, 1, 1, 2, 2, 2, 2]
    assert [m["srpo/dropped_total"] for m in logged[:3]] == [0, 0, 2]
    assert logged[2]["srpo/pool_size"] == 6
    # stage 2 (after two stage-1 epochs): math + code, solved prompts never come back.
    stage2 = [i for s in steps[3:] for i in s]
    assert set(CODE) <= set(stage2) and not {100, 104, 200} & set(steps[5] + steps[6])
    assert {101, 105} & set(stage2)  # all-wrong prompts stay in the pool
    # stage-2 epoch 1 (steps 4-5): 6 math + 4 code = 10, cut to 8; then 200 (all correct) is dropped.
    assert logged[3]["srpo/pool_size"] == 10
    assert trainer.srpo_sampler.history.active[trainer.srpo_sampler.ranks(np.array([100, 104]))].sum() == 0

    # metrics: groups with identical accuracy are the %4 in (0, 1) prompts; format bonus does not count.
    first = steps[0]
    expected = np.mean([i % 4 in (0, 1) for i in first])
    assert logged[0]["srpo/zero_adv_group_frac"] == pytest.approx(expected)
    assert logged[0]["srpo/zero_adv_group_frac_score"] == pytest.approx(expected)  # every response has the bonus
    acc = np.mean([np.mean(scripted_acc(i)) for i in first])
    assert logged[0]["srpo/math/acc_mean"] == pytest.approx(acc)
    assert logged[0]["srpo/math/reward_mean"] == pytest.approx(acc + 0.1)
    assert logged[0]["srpo/math/response_length_mean"] == pytest.approx(np.mean([2, 3, 4, 5]))
    assert "srpo/code/acc_mean" not in logged[0] and any("srpo/code/acc_mean" in m for m in logged[3:])
    assert logged[0]["srpo/reflection_rate"] == pytest.approx(0.5)  # sessions 1 and 3 say "wait" / "verify"


def test_checkpoint_resume_draws_the_same_batches(transfer_queue, make_trainer, tmp_path):
    # The switch is due at the first resumed step: the stage must be the checkpoint's before on_step_begin.
    srpo = {"stages.switch_step": 4, "stages.switch_epoch": "null"}
    straight = make_trainer(**srpo)
    run_steps(straight, 1, 3, save_at=3)
    tail = run_steps(straight, 4, 8)
    tail_drawn = straight.agent_loop_manager.drawn[3:]

    resumed = make_trainer(**srpo)
    with open_dict(resumed.config):
        resumed.config.trainer.resume_mode = "resume_path"
        resumed.config.trainer.resume_from_path = f"{tmp_path}/ckpt/global_step_3"
    from verl_srpo.testing.harness import resume

    resume(resumed)  # verl's: reads data.pt into the dataloader; ours restores the sampler now
    assert resumed.global_steps == 3 and resumed.srpo_sampler.history.dropped_total == 2
    again = run_steps(resumed, 4, 8)
    assert resumed.agent_loop_manager.drawn == tail_drawn
    keys = ["srpo/stage", "srpo/pool_size", "srpo/dropped_total", "srpo/zero_adv_group_frac", "srpo/epoch"]
    assert [[m[k] for k in keys] for m in again] == [[m[k] for k in keys] for m in tail]
    assert [m["srpo/stage"] for m in again] == [2, 2, 2, 2, 2]
    assert max(m["srpo/dropped_total"] for m in again) > 2  # HR kept working after the resume


def test_registration_survives_a_reload():
    import importlib

    from verl.trainer.ppo.v1 import get_trainer_cls

    import verl_srpo.trainer as module

    before = get_trainer_cls("srpo")
    reloaded = importlib.reload(module)
    assert reloaded.SRPOTrainer is before is get_trainer_cls("srpo")


# ---------------------------------------------------------------- through verl's own fit() (issue 18)
# Each run below is verl's PPOTrainer.fit(): its step and epoch counting, saves by trainer.save_freq, and
# _load_checkpoint for resumes; the harness (verl_srpo/testing/harness.py) replays the rollouts.

MATH_ROWS = [(i, "math", "gsm8k") for i in MATH]
CODE_ROWS = [(i, "code", "lcb") for i in CODE]


@pytest.fixture
def fit_run(compose, tokenizer, tmp_path, caplog):
    """``fit_run(files, *overrides, outcomes=scripted, resume=None) -> trainer`` after verl's fit() returned.

    ``files``: parquet paths (data.train_files, in that order); ``resume``: a global step to resume from.
    The trainer's ``logged`` holds each step's metrics, its rollout's ``drawn`` each step's extra_info.index.
    """
    import logging

    from verl_srpo.testing.harness import FIT_OVERRIDES, build_trainer, fit

    caplog.set_level(logging.INFO, logger="verl_srpo")

    def _run(files, *overrides, outcomes=scripted, resume=None):
        listed = ",".join(str(f) for f in files)
        config = compose([
            "+plugin=verl_srpo", f"data.train_files=[{listed}]", f"data.val_files=[{files[0]}]",
            "data.train_batch_size=4", "data.gen_batch_size=2", "data.filter_overlong_prompts=false", "data.seed=11",
            f"++data.cache_dir={tmp_path}/cache", "actor_rollout_ref.rollout.n=4",
            f"trainer.default_local_dir={tmp_path}/ckpt", "trainer.save_freq=1", "srpo.metrics.reflection_sample_size=0",
            "trainer.resume_mode=" + ("disable" if resume is None else "resume_path"),
            f"trainer.resume_from_path={tmp_path}/ckpt/global_step_{resume}", *FIT_OVERRIDES, *overrides,
        ])
        trainer = build_trainer(config, tokenizer, ReplayRollout(tokenizer, outcomes))
        fit(trainer)
        return trainer

    return _run


def steps_of(trainer):
    return [sorted(d) for d in trainer.agent_loop_manager.drawn]


SRPO_KEYS = ["srpo/stage", "srpo/epoch", "srpo/pool_size", "srpo/dropped_total"]


@pytest.mark.parametrize("change", ["train_files swapped", "parquet rewritten shuffled"])
def test_resume_with_rows_in_another_order_draws_the_uninterrupted_batches(transfer_queue, fit_run, tmp_path, change,
                                                                           caplog):
    math = write_parquet(tmp_path / "math.parquet", MATH_ROWS)
    code = write_parquet(tmp_path / "code.parquet", CODE_ROWS)
    schedule = ["trainer.total_training_steps=9", "srpo.stages.switch_step=5", "srpo.stages.switch_epoch=null"]
    straight = fit_run([math, code], *schedule)
    assert len(straight.logged) == 9
    if change == "train_files swapped":
        files = [code, math]
    else:
        rows = MATH_ROWS + CODE_ROWS
        files = [write_parquet(tmp_path / "shuffled.parquet", [rows[i] for i in np.random.default_rng(3).permutation(12)])]
    resumed = fit_run(files, *schedule, resume=3)
    assert steps_of(resumed) == steps_of(straight)[3:]  # steps 4-9: the end of stage 1, the switch, stage 2
    assert [[m[k] for k in SRPO_KEYS] for m in resumed.logged] == [[m[k] for k in SRPO_KEYS] for m in straight.logged[3:]]
    assert "come in another order than in the checkpoint's run" in caplog.text


@pytest.mark.parametrize("change", ["renumbered", "relabelled"])
def test_resume_on_other_prompts_of_the_same_count_is_refused(transfer_queue, fit_run, tmp_path, change):
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    fit_run([data], "trainer.total_training_steps=3")
    if change == "renumbered":  # extra_info.index rewritten for two rows
        rows = [(i + 1000 if i in (100, 101) else i, d, s) for i, d, s in MATH_ROWS + CODE_ROWS]
    else:  # one math row now says code
        rows = [(i, "code" if i == 107 else d, s) for i, d, s in MATH_ROWS + CODE_ROWS]
    other = write_parquet(tmp_path / "other.parquet", rows)
    with pytest.raises(ValueError) as err:
        fit_run([other], "trainer.total_training_steps=6", resume=3)
    message = str(err.value)
    assert "saved over other training prompts (12 prompts then, 12 now)" in message
    assert "trainer.resume_mode=disable" in message
    if change == "renumbered":
        assert "2 of its prompts are not in this run's data (extra_info.index [100, 101])" in message
        assert "2 of this run's prompts are not in it ([1100, 1101])" in message
    else:
        assert "1 prompts changed domain (107: math -> code)" in message


def test_resume_with_a_new_train_batch_size_mid_epoch_cuts_the_epoch(transfer_queue, fit_run, tmp_path, caplog):
    """Steps of 2 (epoch 1: 8 math prompts, 4 steps), saved after step 1; resumed with steps of 4: step 2 draws
    the next 4 prompts of the uninterrupted run's epoch 1, the last 2 wait, and epoch 2 starts at step 3."""
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    small = ["data.train_batch_size=2", "srpo.stages.switch_epoch=null"]
    straight = fit_run([data], "trainer.total_training_steps=4", *small)
    resumed = fit_run([data], "trainer.total_training_steps=6", "srpo.stages.switch_epoch=null", resume=1)
    drawn = resumed.agent_loop_manager.drawn
    assert sorted(drawn[0]) == sorted(straight.agent_loop_manager.drawn[1] + straight.agent_loop_manager.drawn[2])
    assert all(len(set(step)) == len(step) == 4 for step in drawn)
    assert [m["srpo/epoch"] for m in resumed.logged] == [1, 2, 3, 4, 5]  # then 6 math (HR dropped 2): a step each
    assert "data.train_batch_size is 4, the checkpoint's run had 2" in caplog.text
    assert "cut to 1 step(s) of 4, the other 2 prompts stay in the pool for epoch 2" in caplog.text


def all_math_solved(index):
    """Every math prompt is always all correct; code as scripted."""
    return [(t, {"acc": 1.0, "score": 1.1}) for t in TEXTS] if index in MATH else scripted(index)


def test_weighted_domain_keeps_its_floor_when_solved_and_every_boundary_is_logged(transfer_queue, fit_run, tmp_path,
                                                                                  caplog):
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    trainer = fit_run([data], "trainer.total_training_steps=10", "srpo.stages.stage2_weights={math: 1, code: 1}",
                      outcomes=all_math_solved)
    logged = trainer.logged
    stage2 = [step for step, m in zip(steps_of(trainer), logged) if m["srpo/stage"] == 2]
    assert len(stage2) >= 6 and all(sum(i in MATH for i in step) == 2 for step in stage2)  # half math to the end
    boundaries = [m for m in logged if "srpo/boundary/epoch" in m]
    assert [m["srpo/boundary/epoch"] for m in boundaries] == sorted({m["srpo/epoch"] for m in logged})
    assert all(m["srpo/boundary/epoch"] == m["srpo/epoch"] for m in boundaries)  # at the new epoch's first step
    first2 = next(m for m in boundaries if m["srpo/stage"] == 2)
    # The switch comes after stage 1's first epoch, before any boundary dropped a math prompt. Stage 2's first
    # boundary: all 8 math prompts solved; math keeps its own floor, ceil(0.5 * data.train_batch_size=4) = 2.
    assert (first2["srpo/boundary/math/dropped"], first2["srpo/boundary/math/held_back"]) == (6, 2)
    assert first2["srpo/boundary/math/pool_size"] == 2 and first2["srpo/boundary/code/pool_size"] == 4
    assert all(m["srpo/boundary/math/pool_size"] == 2 for m in boundaries if m["srpo/stage"] == 2)
    lines = [r.getMessage() for r in caplog.records if "boundary: dropped" in r.getMessage()]
    assert len(lines) == len(boundaries)
    assert "srpo: epoch 2 (stage 2) boundary: dropped 6 (code 0, math 6), readmitted 0 (code 0, math 0), held back 2 " \
           "(code 0, math 2), pool 6 (code 4, math 2)" in lines
    floor = [r for r in caplog.records if "prompts of the math pool were all correct" in r.getMessage()]
    warned = [r.getMessage() for r in floor if r.levelname == "WARNING"]
    assert len(warned) == 1 and "dropping 6 at random, holding back 2" in warned[0]  # once, when the floor first binds
    later = [r.getMessage() for r in floor if r.levelname == "INFO"]  # then each boundary at the floor, at INFO
    assert later and all("dropping 0 at random, holding back 2" in m for m in later)


def all_solved(index):
    return [(t, {"acc": 1.0, "score": 1.1}) for t in TEXTS]


def test_a_weighted_domain_smaller_than_its_floor_share_leaves_a_full_step(transfer_queue, fit_run, tmp_path, caplog):
    """8 math and 1 code prompt, stage2_weights {math: 1, code: 1}, steps of 4, every prompt always solved: code's
    half of the pool floor (2) is more than its 1 row, so math's floor takes 3 and every stage-2 pool holds a step
    (verl's fit() used to stop at the first stage-2 boundary: 'stage 2's pool has 3 prompts to draw')."""
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS[:1])
    trainer = fit_run([data], "trainer.total_training_steps=8", "srpo.stages.stage2_weights={math: 1, code: 1}",
                      outcomes=all_solved)
    assert len(trainer.logged) == 8
    stage2 = [m for m in trainer.logged if m["srpo/stage"] == 2 and "srpo/boundary/epoch" in m]
    assert len(stage2) == 6  # steps 3-8: epochs of one step at the floor
    assert all((m["srpo/boundary/math/pool_size"], m["srpo/boundary/code/pool_size"]) == (3, 1) for m in stage2)
    assert all(sorted(step).count(CODE[0]) == 2 for step in steps_of(trainer)[2:])  # code's half: its one prompt twice
    assert "the math pool keeps at least 3 prompts" in caplog.text


def test_unweighted_domain_solved_away_is_said_loudly(transfer_queue, fit_run, tmp_path, caplog):
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    trainer = fit_run([data], "trainer.total_training_steps=6", outcomes=all_math_solved)
    stage2 = [step for step, m in zip(steps_of(trainer), trainer.logged) if m["srpo/stage"] == 2]
    assert stage2 and not any(i in MATH for step in stage2 for i in step)
    assert "math is exhausted at the epoch 2 boundary" in caplog.text and "Stage 2 now draws only ['code']" in caplog.text
    assert any(m.get("srpo/boundary/exhausted") == 1 for m in trainer.logged)


def test_total_epochs_too_low_for_the_steps_is_raised(transfer_queue, fit_run, tmp_path, caplog):
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    trainer = fit_run([data], "trainer.total_training_steps=10", "trainer.total_epochs=1")
    assert len(trainer.logged) == 10 and trainer.config.trainer.total_epochs == 4  # verl's loop used to stop at 3
    assert "trainer.total_epochs=1 would stop verl's loop after 3 steps" in caplog.text
    assert "raised to 4, so the run lasts 10 steps" in caplog.text
    assert [m["training/epoch"] for m in trainer.logged] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]  # verl's own count


def test_total_epochs_without_total_training_steps_says_how_many_steps(transfer_queue, fit_run, tmp_path, caplog):
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    trainer = fit_run([data], "trainer.total_epochs=2")
    assert len(trainer.logged) == 6
    assert "srpo: the run lasts 6 steps: trainer.total_training_steps is unset" in caplog.text


def test_unshuffled_weighted_mix_never_holds_a_prompt_twice_in_a_step(transfer_queue, fit_run, tmp_path, caplog):
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    trainer = fit_run([data], "trainer.total_training_steps=8", "data.shuffle=false", "srpo.stages.switch_step=1",
                      "srpo.stages.switch_epoch=null", "srpo.stages.stage2_weights={math: 1, code: 3}")
    assert all(len(set(step)) == 4 and sum(i in CODE for i in step) == 3 for step in steps_of(trainer))
    assert "prompts twice" not in caplog.text


def test_a_step_larger_than_a_domain_share_says_so(transfer_queue, fit_run, tmp_path, caplog):
    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS)
    trainer = fit_run([data], "trainer.total_training_steps=2", "data.train_batch_size=8", "data.shuffle=false",
                      "srpo.stages.switch_step=1", "srpo.stages.switch_epoch=null",
                      "srpo.stages.stage2_weights={math: 1, code: 3}")
    assert "stage 2 draws up to 6 code prompts a step" in caplog.text and "only 4 code prompts" in caplog.text
    assert all(sum(i in CODE for i in step) == 6 and len(set(step)) == 6 for step in steps_of(trainer))


# --- resume exactly at an epoch boundary or at the last step of stage 1 (issue 11) ---------------------------------
# With 8 math + 4 code prompts, 4 prompts a step and srpo.stages.switch_epoch=2 the uninterrupted run is:
#   steps 1-2  stage 1, epoch 1 (8 math prompts)            -> boundary: 100 and 104 (all correct) leave
#   step  3    stage 1, epoch 2 (6 math prompts, cut to 4)  -> the last step of stage 1
#   steps 4-5  stage 2, epoch 1 (6 math + 4 code, cut to 8) -> boundary: 200 (all correct) leaves
#   steps 6-7  stage 2, epoch 2
# A checkpoint saved at the last step of an epoch holds a sampler whose epoch is used up: the resumed run must
# cross the boundary exactly once (drop, re-shuffle, stage switch), as the uninterrupted run did.
BOUNDARIES = {
    "last step of epoch 1": ({"stages.switch_epoch": 2}, 2),
    "last step of stage 1 (switch by epoch)": ({"stages.switch_epoch": 2}, 3),
    "last step of a stage-2 epoch": ({"stages.switch_epoch": 2}, 5),
    "last step of stage 1 (switch by step, at an epoch end)":
        ({"stages.switch_step": 3, "stages.switch_epoch": "null"}, 2),
}
RESUME_KEYS = ["srpo/stage", "srpo/epoch", "srpo/pool_size", "srpo/dropped_total", "srpo/zero_adv_group_frac"]


@pytest.mark.parametrize("case", list(BOUNDARIES))
def test_resume_at_an_epoch_boundary_draws_the_same_batches(transfer_queue, make_trainer, tmp_path, case):
    srpo, save_at = BOUNDARIES[case]
    last = 7
    straight = make_trainer(**srpo)
    logged = run_steps(straight, 1, last, save_at=save_at)
    assert len(straight.agent_loop_manager.drawn) == last

    resumed = make_trainer(**srpo)
    with open_dict(resumed.config):
        resumed.config.trainer.resume_mode = "resume_path"
        resumed.config.trainer.resume_from_path = f"{tmp_path}/ckpt/global_step_{save_at}"
    from verl_srpo.testing.harness import resume

    resume(resumed)
    assert resumed.global_steps == save_at
    assert resumed.srpo_sampler.epoch == logged[save_at - 1]["srpo/epoch"]  # the saved epoch, not yet the next
    again = run_steps(resumed, save_at + 1, last)
    assert resumed.agent_loop_manager.drawn == straight.agent_loop_manager.drawn[save_at:]  # same batches, same order
    assert [[m[k] for k in RESUME_KEYS] for m in again] == [[m[k] for k in RESUME_KEYS] for m in logged[save_at:]]


def test_the_boundary_schedule_the_resume_cases_rely_on(transfer_queue, make_trainer):
    """The uninterrupted run of BOUNDARIES' comment, checked once: where the epochs and the stage switch fall."""
    logged = run_steps(make_trainer(**{"stages.switch_epoch": 2}), 1, 7)
    assert [m["srpo/stage"] for m in logged] == [1, 1, 1, 2, 2, 2, 2]
    assert [m["srpo/dropped_total"] for m in logged] == [0, 0, 2, 2, 2, 3, 3]
    epochs = [m["srpo/epoch"] for m in logged]
    assert epochs[0] == epochs[1] < epochs[2] < epochs[3] == epochs[4] < epochs[5] == epochs[6]


# --- each row's domain, by the one rule (verl_srpo/domains.py), reaches the reward in extra_info.domain ---------------


def test_batches_carry_each_rows_domain_for_the_reward(transfer_queue, make_trainer):
    trainer = make_trainer()
    val = next(iter(trainer.val_dataloader))  # the whole validation set, as verl's _validate draws it
    assert {i["index"]: i["domain"] for i in val["extra_info"]} == {**dict.fromkeys(MATH, "math"),
                                                                      **dict.fromkeys(CODE, "code")}
    train = next(iter(trainer.train_dataloader))  # the first fetch of stage 1
    sampler = trainer.srpo_sampler
    ranks = sampler.ranks(np.array([i["index"] for i in train["extra_info"]]))
    assert [i["domain"] for i in train["extra_info"]] == [sampler.plan.name(c) for c in sampler.domain[ranks]]


def test_a_domain_srpos_reward_cannot_score_stops_the_start_up(transfer_queue, compose, tokenizer, tmp_path):
    from verl_srpo.testing.harness import FIT_OVERRIDES, build_trainer

    data = write_parquet(tmp_path / "train.parquet", MATH_ROWS + CODE_ROWS + [(300, "science", "physics")])
    config = compose(["+plugin=verl_srpo", f"data.train_files=[{data}]", f"data.val_files=[{data}]",
                      "data.train_batch_size=4", "data.filter_overlong_prompts=false", f"++data.cache_dir={tmp_path}/c",
                      "actor_rollout_ref.rollout.n=4", *FIT_OVERRIDES])
    with pytest.raises(ValueError, match=r"training rows of domain \['science'\]: SRPO's reward"):
        build_trainer(config, tokenizer, ReplayRollout(tokenizer, scripted))
