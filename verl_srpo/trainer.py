"""The registered SRPO trainer (``trainer.v1.trainer_mode=srpo``).

It is verl's :class:`PPOTrainerSync` with SRPO's additions in four small overrides (verl's private
steps reach it as named hooks through :class:`verl_srpo._verl.SyncTrainerHooks`):

* ``after_dataloaders``: after verl builds its datasets, every training and validation row is placed in a
  domain (:mod:`verl_srpo.domains`; a row that cannot be placed stops the run here), each batch then
  carries its rows' domains in ``extra_info.domain`` for the reward, the train dataloader is rebuilt
  around one :class:`~verl_srpo.sampler.SRPOBatchSampler` over the combined math + code data, and the
  run is counted in steps (:func:`count_in_steps`: verl's loop also stops at ``trainer.total_epochs``);
* ``on_step_begin``: the stage-switch callback (:class:`~verl_srpo.stages.StageSwitch`) runs before
  the step's batch is drawn;
* ``step``: after verl's step (rollout, reward, update) and *before* verl saves a checkpoint, each
  prompt's outcome is recorded from the TransferQueue rows, so the history saved in ``data.pt``
  always matches the sampler position saved with it; SRPO's metrics join verl's metrics dict, with
  ``srpo/boundary/*`` at the step that crossed an epoch boundary;
* ``after_checkpoint_load``: the sampler's state (stage, history) is restored right after verl loads
  ``data.pt``, before the first ``on_step_begin`` reads it.

It keeps verl's sync behaviour (``SyncTrainerHooks``: the instance reports ``trainer_mode == "sync"``).
"""

from __future__ import annotations

import logging
import math
import os
import random
from typing import Any

import numpy as np
from omegaconf import open_dict
from torchdata.stateful_dataloader import StatefulDataLoader
from verl.trainer.ppo.v1 import PPOTrainerSync
from verl.utils.debug import marked_timer

from verl_srpo._verl import SyncTrainerHooks, register_once
from verl_srpo.config.schema import SRPOConfig, srpo_options
from verl_srpo.domains import WithDomains
from verl_srpo.history import PromptHistory
from verl_srpo.metrics import (
    domain_metrics,
    identical_group_fractions,
    phrase_pattern,
    read_step,
    reflection_rate,
    sample_texts,
)
from verl_srpo.names import REWARD_PATH, TRAINER_MODE
from verl_srpo.sampler import SRPOBatchSampler
from verl_srpo.stages import StagePlan, StageSwitch, classify_table, read_rows, table_of
from verl_srpo.startup import assert_ready

logger = logging.getLogger(__name__)
logger.setLevel(os.getenv("VERL_LOGGING_LEVEL", "INFO"))  # as verl's own modules: INFO lines reach the log


def build_sampler(config: Any, dataset: Any, opts: SRPOConfig | None = None) -> SRPOBatchSampler:
    """The SRPO sampler for verl ``config`` over ``dataset`` (verl's RLHFDataset)."""
    opts = opts or srpo_options(config)
    stages, hr = opts.stages, opts.history
    rows = read_rows(dataset, stages.domain_field, stages.data_source_domains)
    _scored_by_the_reward(config, rows.domain_names, "training")
    plan = StagePlan(rows.domain_names, np.bincount(rows.domain, minlength=len(rows.domain_names)),
                     stages.stage1_domains, stages.stage2_weights)
    step_batch = int(config.data.train_batch_size)
    fetch = int(config.data.get("gen_batch_size", None) or step_batch)
    seed = config.data.get("seed", None)
    seed = random.SystemRandom().randrange(2**31) if seed is None else int(seed)  # saved in the state
    # One step must always fit in the pool: the floor is at least data.train_batch_size.
    history = PromptHistory(len(rows.ids), hr.readmit_fraction, max(hr.min_pool_size, step_batch)) \
        if hr.enable else None
    return SRPOBatchSampler(rows, plan, fetch, step_batch, seed, history, bool(config.data.get("shuffle", True)))


def count_in_steps(config: Any, steps_per_epoch: int, rows: int) -> str:
    """Make verl's loop run ``trainer.total_training_steps`` steps; returns what was done (also logged).

    verl's ``fit()`` stops at whichever comes first: ``trainer.total_training_steps``, or
    ``trainer.total_epochs`` of ``steps_per_epoch = len(train dataset) // data.train_batch_size`` steps.
    verl's epoch is only that step count: SRPO's epochs are the sampler's passes over a pool that history
    resampling shrinks and the stage switch changes (``srpo/epoch``). Under verl-srpo a run is counted in
    steps, so a ``total_epochs`` too low for the requested steps is raised to
    ``ceil(total_training_steps / steps_per_epoch)`` (a WARNING says so); an unset
    ``total_training_steps`` leaves verl's ``total_epochs * steps_per_epoch`` (an INFO line says how many).
    """
    epochs = int(config.trainer.total_epochs)
    requested = config.trainer.total_training_steps
    where = (f"trainer.total_epochs={{}} x {steps_per_epoch} steps (verl's epoch: {rows} training rows // "
             f"data.train_batch_size={config.data.train_batch_size})")
    if requested is None:
        message = (f"srpo: the run lasts {epochs * steps_per_epoch} steps: trainer.total_training_steps is unset, so "
                   f"verl counts {where.format(epochs)}. These are not passes over SRPO's pool, which history "
                   "resampling shrinks; set trainer.total_training_steps to count the run in steps.")
        logger.info(message)
        return message
    if epochs * steps_per_epoch >= int(requested):
        return ""
    needed = math.ceil(int(requested) / steps_per_epoch)
    with open_dict(config):
        config.trainer.total_epochs = needed
    message = (f"srpo: trainer.total_epochs={epochs} would stop verl's loop after {epochs * steps_per_epoch} steps "
               f"(verl's epoch: {rows} training rows // data.train_batch_size={config.data.train_batch_size} = "
               f"{steps_per_epoch} steps), before trainer.total_training_steps={requested}. A verl-srpo run is "
               f"counted in steps: trainer.total_epochs is raised to {needed}, so the run lasts {requested} steps.")
    logger.warning(message)
    return message


def _scored_by_the_reward(config: Any, domains: list[str], what: str) -> None:
    """With SRPO's reward, every domain must be one it scores (math, code): say so now, not at the first reward."""
    from verl_srpo.rewards import SCORED

    fn = config.get("reward", {}).get("custom_reward_function", {}) or {}
    other = sorted(set(domains) - set(SCORED))
    if fn.get("path", None) == REWARD_PATH and other:
        raise ValueError(f"srpo: {what} rows of domain {other}: SRPO's reward ({REWARD_PATH}) scores {list(SCORED)} "
                         "only. Label those rows math or code, leave them out, or use a reward function that scores "
                         "them (reward.custom_reward_function.path).")


@register_once(TRAINER_MODE)
class SRPOTrainer(SyncTrainerHooks, PPOTrainerSync):
    """verl's sync trainer with SRPO's history resampling and two-stage schedule."""

    def __init__(self, config: Any):
        # In the Ray TaskRunner, before any worker starts or prompt is generated.
        assert_ready(config)
        super().__init__(config)

    def after_dataloaders(self) -> None:
        opts = srpo_options(self.config)
        stages = opts.stages
        self.srpo_sampler = build_sampler(self.config, self.train_dataset, opts)
        if self.val_dataset is not None:  # the same rule, at start-up, for the validation rows
            domains = classify_table(table_of(self.val_dataset, [stages.domain_field]), stages.domain_field,
                                     stages.data_source_domains, "validation")[1]
            _scored_by_the_reward(self.config, domains, "validation")
            self.val_dataloader.collate_fn = WithDomains(self.val_dataloader.collate_fn, stages.domain_field,
                                                         stages.data_source_domains)
        self.stage_switch = StageSwitch(stages.switch_step, stages.switch_epoch)
        self.srpo_acc_key = opts.history.acc_key
        self.srpo_threshold = opts.history.correct_threshold
        self.srpo_reflection_size = opts.metrics.reflection_sample_size
        self.srpo_reflection = phrase_pattern(opts.metrics.reflection_phrases) \
            if self.srpo_reflection_size > 0 else None
        self.train_dataloader = StatefulDataLoader(
            dataset=self.train_dataset,
            batch_sampler=self.srpo_sampler,
            # In the driver, whatever data.dataloader_num_workers says (verl's validation loader uses it): with
            # workers the sampler state saved in data.pt would be a prefetch-time snapshot, not the drawn position.
            num_workers=0,
            collate_fn=WithDomains(self.train_dataloader.collate_fn, stages.domain_field, stages.data_source_domains),
        )
        self.train_dataloader_it = None
        # After the sampler (which refuses data smaller than one step): verl's steps_per_epoch is then >= 1.
        self.srpo_run_length = count_in_steps(self.config, self.steps_per_epoch, len(self.train_dataset))

    def after_checkpoint_load(self) -> None:
        if self.train_dataloader.next_iter_state is not None:
            # torchdata applies a loaded state when the next iterator is made; make it now, so the stage and
            # history are the checkpoint's when on_step_begin runs the stage switch.
            self.train_dataloader_it = iter(self.train_dataloader)

    def on_step_begin(self):
        super().on_step_begin()
        self.stage_switch(self.srpo_sampler, self.global_steps)

    def step(self, metrics: dict, timing_raw: dict):
        batch = super().step(metrics, timing_raw)
        with marked_timer("srpo_history", timing_raw):
            metrics.update(self.srpo_record(batch))
        return batch

    def srpo_record(self, batch: Any) -> dict[str, float]:
        """Record this step's outcomes in the history and return SRPO's metrics. O(batch)."""
        sampler = self.srpo_sampler
        rows = read_step(batch, self.srpo_acc_key)
        ranks = sampler.record(rows.ids, rows.acc >= self.srpo_threshold)
        history = sampler.history
        same_acc, same_score = identical_group_fractions(rows.uid, rows.acc, rows.score)
        out = {
            "srpo/stage": sampler.stage,
            "srpo/epoch": sampler.epoch,
            "srpo/pool_size": sampler.pool_size(),
            "srpo/dropped_total": history.dropped_total if history is not None else 0,
            "srpo/readmitted_total": history.readmitted_total if history is not None else 0,
            # Groups whose accuracies are all equal (what HR acts on) and, stricter, whose scores are all equal:
            # the estimator's input, so their advantages are exactly 0 (a format bonus can split an acc-equal group).
            "srpo/zero_adv_group_frac": same_acc,
            "srpo/zero_adv_group_frac_score": same_score,
            "srpo/math_verify_errors": rows.math_verify_errors,  # > 0: math-verify is broken (logged with the cause)
        }
        out.update(domain_metrics(sampler.domain[ranks], sampler.plan.domain_names, rows))
        for report in sampler.pop_boundaries():  # the boundary this step's batch crossed (logged when applied)
            out.update(report.metrics())
        if self.srpo_reflection is not None:
            texts = sample_texts(rows, batch.partition_id, self.tokenizer, self.srpo_reflection_size)
            out["srpo/reflection_rate"] = reflection_rate(texts, self.srpo_reflection)
        return out
