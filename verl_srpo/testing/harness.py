"""The CPU harness: the registered trainer inside verl's own step loop, with the rollout replayed.

No GPU and no model: :class:`ReplayRollout` stands where verl's agent loop stands (``generate_sequences``)
and writes known responses into TransferQueue the way the agent loop does; :class:`NoModel` answers the
calls verl's loop makes to the actor workers and the checkpoint engine; :func:`build_trainer` stands in
for the model half of each step (``verl_srpo._verl.stand_in_for_the_model``). Everything else is verl's
and the plugin's own code: the dataloader and the SRPO sampler, verl's ``step()`` with its ``ReplayBuffer``
and a real TransferQueue (on a local Ray), history resampling, the stage switch, the metrics, checkpoints
through verl's save and load, and verl's ``fit()`` itself (:func:`fit`) or its loop body (:func:`run_steps`).

The CPU rehearsal (``verl-srpo quickstart`` without a GPU, :mod:`verl_srpo.rehearsal`) and the tests
(``tests/test_trainer.py``) drive this one harness. A caller starts Ray and TransferQueue
(``ray.init(num_cpus=4)``, ``transfer_queue.init()``) first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from verl_srpo import _verl
from verl_srpo.prompts import R1_ZERO_CHAT_TEMPLATE

# What the replay puts in reward_extra_info.
NUMERIC_KEYS = ("score", "acc", "format", "pass_frac", "math_verify_errors")
Outcome = tuple[str, dict]  # (response text, reward dict)


class ReplayRollout:
    """Stands where verl's AgentLoopManager stands (``generate_sequences``): replays known responses.

    For each prompt of a submitted batch it writes ``rollout.n`` trajectory rows into TransferQueue as
    verl's agent loop does (the prompt's fields ``uid``, ``index``, ``data_source``, ``reward_model``; the
    ``prompts`` and ``responses`` token ids, ``rm_scores`` with the score on the last token,
    ``extra_fields.reward_extra_info``, a ``response_len`` tag), then marks the prompt finished.
    ``outcomes(index)`` gives the responses; the prompt is rendered with ``chat_template``.
    """

    def __init__(self, tokenizer: Any, outcomes: Callable[[int], list[Outcome]],
                 chat_template: str = R1_ZERO_CHAT_TEMPLATE):
        self.tokenizer = tokenizer
        self.outcomes = outcomes
        self.chat_template = chat_template
        self.drawn: list[list[int]] = []

    def _prompt_ids(self, messages: Any) -> torch.Tensor:
        text = self.tokenizer.apply_chat_template(list(messages), chat_template=self.chat_template, tokenize=False,
                                                  add_generation_prompt=True)
        return torch.tensor(self.tokenizer(text)["input_ids"] or [0])

    def generate_sequences(self, batch: Any) -> None:
        import transfer_queue as tq
        from verl.utils.tensordict_utils import list_of_dict_to_tensordict

        uids, indices = list(batch["uid"]), [int(i) for i in batch["index"]]
        messages = list(batch["raw_prompt"]) if "raw_prompt" in batch.keys() else [[]] * len(uids)
        sources = list(batch["data_source"]) if "data_source" in batch.keys() else [""] * len(uids)
        models = list(batch["reward_model"]) if "reward_model" in batch.keys() else [{}] * len(uids)
        step = int(batch["global_steps"])
        self.drawn.append(indices)
        keys, fields, tags = [], [], []
        for uid, index, prompt, source, model in zip(uids, indices, messages, sources, models):
            prompt_ids = self._prompt_ids(prompt) if len(prompt) else torch.tensor([0])
            for session, (text, reward) in enumerate(self.outcomes(index)):
                ids = torch.tensor(self.tokenizer(text)["input_ids"] or [0])
                info = {k: float(reward[k]) for k in NUMERIC_KEYS if k in reward}
                rm_scores = torch.zeros(len(ids), dtype=torch.float32)
                rm_scores[-1] = float(reward["score"])
                keys.append(f"{uid}_{session}_0")
                fields.append({"prompts": prompt_ids, "responses": ids, "rm_scores": rm_scores, "uid": uid,
                               "index": index, "data_source": source, "reward_model": model,
                               "extra_fields": {"reward_extra_info": info}})
                tags.append({"status": "success", "response_len": len(ids), "prompt_len": len(prompt_ids),
                             "seq_len": len(prompt_ids) + len(ids), "global_steps": step, "min_global_steps": step,
                             "max_global_steps": step})
        tq.kv_batch_put(keys=keys, partition_id="train", fields=list_of_dict_to_tensordict(fields), tags=tags)
        for uid in uids:
            tq.kv_put(key=uid, partition_id="train", tag={"is_prompt": True, "status": "finished", "global_steps": step})


class NoModel:
    """The model side that verl's loop calls, without a model: the actor worker group's checkpoint calls
    (verl still writes ``data.pt`` itself) and the checkpoint engine's weight sync."""

    def save_checkpoint(self, *args: Any, **kwargs: Any) -> None:
        return None

    def load_checkpoint(self, *args: Any, **kwargs: Any) -> None:
        return None

    def update_weights(self, *args: Any, **kwargs: Any) -> None:
        return None

    def sleep_replicas(self, *args: Any, **kwargs: Any) -> None:
        return None


# What verl's fit() needs to run without a model: no tracking backend, no validation rollouts.
FIT_OVERRIDES = ["trainer.logger=[]", "trainer.val_before_train=false", "trainer.test_freq=-1"]


def build_trainer(config: Any, tokenizer: Any, rollout: ReplayRollout, advantages: list | None = None) -> Any:
    """The config's registered trainer (``trainer.v1.trainer_mode``: ``srpo``, or verl's ``sync``), ready for
    verl's own ``fit()`` (:func:`fit`) or :func:`run_steps`.

    Stand-ins, on the instance only: the model half of ``_step_once`` (after verl's replay buffer has
    sampled the step's groups, the configured estimator runs on the scores and its zero-advantage share goes
    to ``advantages``), ``_compute_metrics`` (verl's model metrics; it records the step's metrics dict, with
    the ``training/epoch`` verl's loop counted, in ``trainer.logged``), and :class:`NoModel`.
    """
    from verl.trainer.ppo.v1 import get_trainer_cls

    trainer = get_trainer_cls(config.trainer.v1.trainer_mode)(config)
    trainer.tokenizer, trainer.processor = tokenizer, None
    _verl.init_dataloader(trainer)
    _verl.start_rollout_dumps(trainer)
    trainer.agent_loop_manager = rollout
    trainer.actor_rollout_wg = trainer.checkpoint_manager = NoModel()
    trainer.logged = []

    def sample_and_estimate(metrics: dict, timing_raw: dict, sample_batch_size: int) -> Any:
        batch, _ = trainer.replay_buffer.sample(trainer.global_steps, "train", sample_batch_size)
        if advantages is not None:
            advantages.append(estimate(batch, config))
        return batch

    def record_metrics(batch: Any, metrics: dict, timing_raw: dict, global_steps: int, epoch: int) -> None:
        trainer.logged.append({**metrics, "training/global_step": global_steps, "training/epoch": epoch})

    _verl.stand_in_for_the_model(trainer, sample_and_estimate, record_metrics)
    return trainer


def fit(trainer: Any) -> list[dict]:
    """verl's own loop: ``_load_checkpoint`` (as ``init()`` calls it, per ``trainer.resume_mode``), then
    ``PPOTrainer.fit``. Needs :data:`FIT_OVERRIDES` in the config. Returns each step's metrics."""
    _verl.load_checkpoint(trainer)
    trainer.fit(trainer.agent_loop_manager)
    return trainer.logged


def estimate(batch: Any, config: Any) -> float:
    """The configured estimator (``srpo``, ``grpo``, ...) on one step's scores; returns the share of
    zero-advantage responses."""
    from verl.trainer.ppo.core_algos import get_adv_estimator_fn

    from verl_srpo.metrics import read_step

    rows = read_step(batch)
    length = torch.tensor(rows.length, dtype=torch.long).clamp(min=1)
    mask = (torch.arange(int(length.max())).unsqueeze(0) < length.unsqueeze(1)).float()
    rewards = torch.zeros_like(mask)
    rewards[torch.arange(len(length)), length - 1] = torch.tensor(rows.score, dtype=torch.float32)
    adv, _ = get_adv_estimator_fn(config.algorithm.adv_estimator)(rewards, mask, rows.uid, config=config.algorithm)
    return float((adv.abs().sum(-1) < 1e-8).float().mean())


def run_steps(trainer: Any, first: int, last: int, save_at: int | None = None, logger: Any = None) -> list[dict]:
    """verl's loop body for global steps ``first..last``, in ``fit()``'s order: on_step_begin, step, save,
    dump the rollouts (when ``trainer.rollout_data_dir`` is set), clear TransferQueue, log the metrics
    (when a verl ``Tracking`` ``logger`` is given)."""
    import transfer_queue as tq
    from verl.utils.debug import marked_timer

    dump_dir = trainer.config.trainer.get("rollout_data_dir", None)
    if dump_dir and not _verl.has_rollout_dumps(trainer):
        _verl.start_rollout_dumps(trainer)  # verl's _setup() does this; the harness skips _setup (no workers)
    logged = []
    for step in range(first, last + 1):
        trainer.global_steps = step
        metrics: dict = {}
        timing_raw: dict = {}
        with marked_timer("step", timing_raw):
            trainer.on_step_begin()
            batch = trainer.step(metrics, timing_raw)
            if step == save_at:
                _verl.save_checkpoint(trainer)
        metrics.update({f"timing_s/{name}": value for name, value in timing_raw.items()})  # as verl's timing metrics
        if dump_dir:
            _verl.dump_rollouts(trainer, batch, timing_raw, dump_dir)
        tq.kv_clear(keys=batch.keys, partition_id=batch.partition_id)
        if logger is not None:
            logger.log(data=metrics, step=step)
        logged.append(metrics)
    if dump_dir:
        _verl.flush_rollout_dumps(trainer)
    return logged


def resume(trainer: Any) -> None:
    """Load the checkpoint named by the trainer's ``trainer.resume_mode`` / ``resume_from_path``, as verl's
    ``init()`` does (and SRPO's sampler state with it)."""
    _verl.load_checkpoint(trainer)
