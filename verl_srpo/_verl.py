"""Everything verl-srpo uses from verl that is not verl's public API, in one place.

verl 0.9's v1 trainer has no hook for a custom batch sampler or for state restored with a checkpoint, so
the SRPO trainer overrides three private steps of verl's ``PPOTrainerSync`` (:class:`SyncTrainerHooks`),
and the CPU harness (:mod:`verl_srpo.testing`) stands in for the model half of a step through private
methods too (:func:`stand_in_for_the_model` and the calls below it). Each name is listed in
:data:`TRAINER_PRIVATE`, and :func:`problems` checks at start-up that the installed verl is in the range
these were written against (:data:`VERL_SUPPORTED`) and still has each of them, naming what to upgrade or pin.

This module imports nothing from verl at import time: start-up asks it about verl before importing verl's
trainer, so that a verl outside the range is reported as such rather than as an ImportError.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

VERL_SUPPORTED = ">=0.9.1,<0.10"  # as pyproject.toml's dependency on verl (tests/test_startup.py checks)
PIN = "pip install 'verl[verl-core]>=0.9.1,<0.10' (or pin verl==0.9.1)"
SYNC_MODE = "sync"  # verl's trainer_mode of its sync trainer

# verl's private PPOTrainer members verl-srpo relies on -> what for.
TRAINER_PRIVATE = {
    "_build_replay_buffer": "SyncTrainerHooks: report trainer_mode 'sync' while verl builds its replay buffer",
    "_init_dataloader": "SyncTrainerHooks: rebuild the train dataloader around the SRPO sampler",
    "_load_checkpoint": "SyncTrainerHooks: restore the sampler right after verl loads data.pt",
    "_step_once": "verl_srpo.testing: the model half of a step (log-probs, advantage, update)",
    "_compute_metrics": "verl_srpo.testing: verl's model metrics",
    "_save_checkpoint": "verl_srpo.testing: a checkpoint at a chosen step",
    "_init_dump_executor": "verl_srpo.testing: rollout dumps without verl's _setup()",
    "_shutdown_dump_executor": "verl_srpo.testing: flush the rollout dumps",
    "_log_rollout_data": "verl_srpo.testing: dump a step's rollouts",
    "_write_generations": "benchmarks/e2e/rehearsal_log.py: verl's rollout-dump format, without a trainer",
}
TRAINING = ("_build_replay_buffer", "_init_dataloader", "_load_checkpoint")


def version_problems() -> list[str]:
    """The installed verl is outside :data:`VERL_SUPPORTED`, or missing."""
    from packaging.specifiers import SpecifierSet

    try:
        found = version("verl")
    except PackageNotFoundError:
        return [f"verl is not installed in this interpreter: {PIN}."]
    if found not in SpecifierSet(VERL_SUPPORTED):
        return [f"verl {found} is installed; verl-srpo supports verl{VERL_SUPPORTED}: it overrides private methods of "
                f"verl's v1 trainer ({', '.join(TRAINING)}) that other versions may not have. {PIN}, or use a "
                f"verl-srpo release made for verl {found}."]
    return []


def private_problems() -> list[str]:
    """verl's sync trainer lacks a private member that SRPO's trainer overrides."""
    from verl.trainer.ppo.v1 import PPOTrainerSync

    return [f"verl's PPOTrainerSync has no `{name}` ({TRAINER_PRIVATE[name]}): this verl is not one verl-srpo was "
            f"written for. {PIN}." for name in TRAINING if not callable(getattr(PPOTrainerSync, name, None))]


def problems() -> list[str]:
    """Start-up check of the installed verl: the version range first, then the private members."""
    return version_problems() or private_problems()


def plugins_policy_allows(name: str) -> tuple[bool, str]:
    """Whether verl loads the ``verl.plugins`` entry point ``name``, by ``VERL_USE_EXTERNAL_PLUGINS`` read as
    ``verl/__init__.py`` reads it ("auto", "none" or a comma-separated list of names); and the policy."""
    policy = os.getenv("VERL_USE_EXTERNAL_PLUGINS", "auto").strip().lower()
    if policy == "auto":
        return True, policy
    return policy != "none" and name in {n.strip() for n in policy.split(",") if n.strip()}, policy


def register_once(name: str):
    """Class decorator: register a trainer under ``name`` with verl's ``register_trainer``; on a module reload
    keep the class object already registered (verl refuses another class object for the same name)."""
    from verl.trainer.ppo.v1 import get_trainer_cls, register_trainer

    def decorator(cls: type) -> type:
        try:
            existing = get_trainer_cls(name)
        except ValueError:
            existing = None
        if existing is not None and (existing.__module__, existing.__qualname__) == (cls.__module__, cls.__qualname__):
            return existing
        return register_trainer(name)(cls)

    return decorator


class SyncTrainerHooks:
    """Mixin before verl's ``PPOTrainerSync``: its private steps as hooks with our names.

    * verl's ``PPOTrainer.__init__`` sets ``trainer_mode`` from the config (``srpo``) and builds the replay
      buffer at once; verl tests ``trainer_mode == "sync"`` in several places (replay buffer, checkpoint,
      refill), so the instance reports ``"sync"`` from then on and keeps verl's sync behaviour;
    * :meth:`after_dataloaders` runs after verl built its datasets and dataloaders;
    * :meth:`after_checkpoint_load` runs right after verl loaded a checkpoint (``data.pt``).
    """

    def _build_replay_buffer(self):
        self.trainer_mode = SYNC_MODE
        return super()._build_replay_buffer()

    def _init_dataloader(self):
        super()._init_dataloader()
        self.after_dataloaders()

    def _load_checkpoint(self):
        super()._load_checkpoint()
        self.after_checkpoint_load()

    def after_dataloaders(self) -> None:
        """Override: verl's ``train_dataset``, ``val_dataset``, ``train_dataloader`` and ``val_dataloader`` exist."""

    def after_checkpoint_load(self) -> None:
        """Override: verl has loaded the checkpoint (``trainer.resume_mode``), if any."""


# ------------------------------------------------------------------ the CPU harness (verl_srpo.testing)

def stand_in_for_the_model(trainer: Any, step_once: Any, compute_metrics: Any) -> None:
    """Replace, on ``trainer`` only, the model half of verl's step (``_step_once(metrics, timing_raw,
    sample_batch_size) -> batch``) and verl's model metrics (``_compute_metrics(batch, metrics, timing_raw,
    global_steps, epoch)``)."""
    trainer._step_once = step_once
    trainer._compute_metrics = compute_metrics


def init_dataloader(trainer: Any) -> None:
    """verl's dataloader set-up (and SRPO's after it), as verl's ``init()`` calls it."""
    trainer._init_dataloader()


def load_checkpoint(trainer: Any) -> None:
    """verl's checkpoint load (per ``trainer.resume_mode``), as verl's ``init()`` calls it."""
    trainer._load_checkpoint()


def save_checkpoint(trainer: Any) -> None:
    """verl's checkpoint save, as ``fit()`` calls it at ``trainer.save_freq``."""
    trainer._save_checkpoint()


def start_rollout_dumps(trainer: Any) -> None:
    """verl's rollout-dump executor, as its ``_setup()`` starts it."""
    trainer._init_dump_executor()


def dump_rollouts(trainer: Any, batch: Any, timing_raw: dict, folder: str) -> None:
    """Dump a step's rollouts as ``fit()`` does with ``trainer.rollout_data_dir``."""
    trainer._log_rollout_data(batch, timing_raw, folder)


def flush_rollout_dumps(trainer: Any) -> None:
    """Wait for every dump to be written (as ``fit()`` does at its last step), then accept new ones."""
    trainer._shutdown_dump_executor()
    trainer._init_dump_executor()


def has_rollout_dumps(trainer: Any) -> bool:
    return getattr(trainer, "_dump_executor", None) is not None


def write_generations(inputs: list, outputs: list, gts: list, scores: list, extra: dict, folder: str,
                      step: int) -> None:
    """``folder/<step>.jsonl`` in verl's rollout-dump format (one JSON line a rollout), written by verl's own
    writer (``PPOTrainer._write_generations``), with no trainer."""
    from verl.trainer.ppo.v1.trainer_base import PPOTrainer

    PPOTrainer._write_generations(inputs, outputs, gts, scores, extra, folder, step)
