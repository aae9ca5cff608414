"""The registered SRPO trainer driven through verl's own step loop with a real TransferQueue.

No model: the rollout is scripted. The rehearsal's ``ReplayRollout`` stands where verl's AgentLoopManager
stands (``generate_sequences``) and writes trajectory rows into TransferQueue the way verl's agent loop
does (prompt fields, ``extra_fields.reward_extra_info``, a ``response_len`` tag, then the prompt's
``finished`` status). Each step runs verl's real ``step()``: ``prepare_step`` draws the batch through
the SRPO dataloader and submits it, verl's ``ReplayBuffer.sample`` collects the groups, and the SRPO
override records the outcomes. Only ``_step_once``'s model part (log-probs, advantage, update) is
left out: the instance's ``_step_once`` samples and returns the batch. Checkpoints go through verl's
real ``_save_checkpoint`` / ``_load_checkpoint`` (``data.pt``) with a no-op actor worker group.
"""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import open_dict
from test_stages import write_parquet  # tests/ is on sys.path (pytest rootdir-relative import)

from verl_srpo.rehearsal import NoModel, ReplayRollout, run_steps

pytestmark = pytest.mark.slow

N = 4  # rollouts per prompt
MATH = list(range(100, 108))  # 8 math prompts
CODE = list(range(200, 204))  # 4 code prompts
WORDS = ["the", "answer", "is", "wait", "let", "me", "verify", "done", "[UNK]"]


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
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]")


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
        from verl.trainer.ppo.v1 import get_trainer_cls

        cls = get_trainer_cls("srpo")  # the registered class, as verl's main_ppo looks it up
        trainer = cls(compose(overrides))
        trainer.tokenizer, trainer.processor = tokenizer, None
        trainer._init_dataloader()
        trainer.agent_loop_manager = ReplayRollout(tokenizer, scripted)
        trainer.actor_rollout_wg = NoModel()

        def sample_only(metrics, timing_raw, sample_batch_size):  # the model-free part of _step_once
            batch, _ = trainer.replay_buffer.sample(trainer.global_steps, "train", sample_batch_size)
            return batch

        trainer._step_once = sample_only
        return trainer

    return _make


def test_two_epochs_hr_and_stage_switch(transfer_queue, make_trainer):
    trainer = make_trainer(**{"stages.switch_epoch": 2})
    assert trainer.trainer_mode == "sync"
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
    assert trainer.srpo_sampler.history.active[trainer.srpo_sampler.positions(np.array([100, 104]))].sum() == 0

    # metrics: groups with identical accuracy are the %4 in (0, 1) prompts; format bonus does not count.
    first = steps[0]
    expected = np.mean([i % 4 in (0, 1) for i in first])
    assert logged[0]["srpo/zero_adv_group_frac"] == pytest.approx(expected)
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
    resumed._load_checkpoint()  # verl's: reads data.pt into the dataloader; ours restores the sampler now
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
    resumed._load_checkpoint()
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
