"""CPU rehearsal of SRPO's driver-side pieces on bundled data (``verl-srpo quickstart`` with no GPU).

What runs for real:

* verl's ``ppo_trainer`` config composed with ``+plugin=verl_srpo``, and the start-up validation;
* verl's ``RLHFDataset`` over a parquet written from the bundled problems (``data/rehearsal.jsonl``);
* the registered SRPO trainer inside verl's own ``fit()`` loop (its step and epoch counting, saves by
  ``trainer.save_freq``): its dataloader and sampler, the stage switch, verl's own ``step()`` with its
  ``ReplayBuffer`` and a real TransferQueue on a local Ray, history resampling, the metrics, and a
  checkpoint saved through verl's ``_save_checkpoint`` and resumed through ``_load_checkpoint``;
* SRPO's reward (math-verify, the code sandbox) on the bundled responses, and the ``srpo`` estimator.

What stands in for the GPU is the rollout: :class:`ReplayRollout` replays the bundled responses where
verl's agent loop would generate them, writing them into TransferQueue the way the agent loop does.
The model half of a step (log-probs, the update) and verl's model metrics are skipped
(:func:`build_trainer`). Tests drive the same harness (``tests/test_trainer.py``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from omegaconf import open_dict

from verl_srpo.prompts import chat_messages

BUNDLED = Path(__file__).parent / "data" / "rehearsal.jsonl"
NUMERIC_KEYS = ("score", "acc", "format", "pass_frac")  # what the replay puts in reward_extra_info
Outcome = tuple[str, dict]  # (response text, reward dict)


def load_problems(path: Path = BUNDLED) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_parquet(problems: list[dict], path: Path) -> str:
    """The problems as verl RL rows (the format recipes/data writes)."""
    frame = pd.DataFrame({
        "data_source": [f"rehearsal_{p['domain']}" for p in problems],
        "prompt": [chat_messages(p["question"], p["domain"]) for p in problems],
        "ability": [p["domain"] for p in problems],
        "reward_model": [{"style": "rule", "ground_truth": p["ground_truth"]} for p in problems],
        "extra_info": [{"index": p["index"], "domain": p["domain"], "split": "train"} for p in problems],
    })
    frame.to_parquet(path)
    return str(path)


def score_responses(problems: list[dict]) -> dict[int, list[Outcome]]:
    """Every bundled response scored by SRPO's reward, as verl's reward loop would call it."""
    from verl_srpo.rewards import compute_score

    jobs = [(p, text) for p in problems for text in p["responses"]]

    def score(job):
        p, text = job
        return compute_score(f"rehearsal_{p['domain']}", text, p["ground_truth"], {"domain": p["domain"]})

    with ThreadPoolExecutor(max_workers=4) as pool:
        rewards = list(pool.map(score, jobs))
    out: dict[int, list[Outcome]] = {}
    for (p, text), reward in zip(jobs, rewards):
        out.setdefault(p["index"], []).append((text, reward))
    return out


class ReplayRollout:
    """Stands where verl's AgentLoopManager stands (``generate_sequences``): replays known responses.

    For each prompt of a submitted batch it writes ``rollout.n`` trajectory rows into TransferQueue as
    verl's agent loop does (the prompt's ``index``, ``responses``, ``extra_fields.reward_extra_info``, a
    ``response_len`` tag), then marks the prompt finished. ``outcomes(index)`` gives the responses.
    """

    def __init__(self, tokenizer: Any, outcomes: Callable[[int], list[Outcome]]):
        self.tokenizer = tokenizer
        self.outcomes = outcomes
        self.drawn: list[list[int]] = []

    def generate_sequences(self, batch: Any) -> None:
        import transfer_queue as tq
        from verl.utils.tensordict_utils import list_of_dict_to_tensordict

        uids, indices = list(batch["uid"]), [int(i) for i in batch["index"]]
        step = int(batch["global_steps"])
        self.drawn.append(indices)
        keys, fields, tags = [], [], []
        for uid, index in zip(uids, indices):
            for session, (text, reward) in enumerate(self.outcomes(index)):
                ids = torch.tensor(self.tokenizer(text)["input_ids"] or [0])
                info = {k: float(reward[k]) for k in NUMERIC_KEYS if k in reward}
                keys.append(f"{uid}_{session}_0")
                fields.append({"responses": ids, "index": index, "extra_fields": {"reward_extra_info": info}})
                tags.append({"status": "success", "response_len": len(ids), "prompt_len": 3, "seq_len": 3 + len(ids),
                             "global_steps": step, "min_global_steps": step, "max_global_steps": step})
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


def word_tokenizer(texts: list[str]) -> Any:
    """A word-level tokenizer over ``texts``, trained offline (no Hub)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for t in texts for w in t.split()})
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(["[UNK]", *words])}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]")


def build_trainer(config: Any, tokenizer: Any, rollout: ReplayRollout, advantages: list | None = None) -> Any:
    """The registered ``srpo`` trainer, ready for verl's own ``fit()`` (:func:`fit`) or :func:`run_steps`.

    Stand-ins, on the instance only: the model half of ``_step_once`` (after verl's replay buffer has
    sampled the step's groups, the ``srpo`` estimator runs on the scores and its zero-advantage share goes
    to ``advantages``), ``_compute_metrics`` (verl's model metrics; it records the step's metrics dict, with
    the ``training/epoch`` verl's loop counted, in ``trainer.logged``), and :class:`NoModel`.
    """
    from verl.trainer.ppo.v1 import get_trainer_cls

    trainer = get_trainer_cls("srpo")(config)
    trainer.tokenizer, trainer.processor = tokenizer, None
    trainer._init_dataloader()
    trainer._init_dump_executor()
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

    trainer._step_once = sample_and_estimate
    trainer._compute_metrics = record_metrics
    return trainer


def fit(trainer: Any) -> list[dict]:
    """verl's own loop: ``_load_checkpoint`` (as ``init()`` calls it, per ``trainer.resume_mode``), then
    ``PPOTrainer.fit``. Needs :data:`FIT_OVERRIDES` in the config. Returns each step's metrics."""
    trainer._load_checkpoint()
    trainer.fit(trainer.agent_loop_manager)
    return trainer.logged


def estimate(batch: Any, config: Any) -> float:
    """The registered ``srpo`` estimator on one step's scores; returns the share of zero-advantage responses."""
    from verl.trainer.ppo.core_algos import get_adv_estimator_fn

    from verl_srpo.metrics import read_step

    rows = read_step(batch)
    length = torch.tensor(rows.length, dtype=torch.long).clamp(min=1)
    mask = (torch.arange(int(length.max())).unsqueeze(0) < length.unsqueeze(1)).float()
    rewards = torch.zeros_like(mask)
    rewards[torch.arange(len(length)), length - 1] = torch.tensor(rows.score, dtype=torch.float32)
    adv, _ = get_adv_estimator_fn("srpo")(rewards, mask, rows.uid, config=config.algorithm)
    return float((adv.abs().sum(-1) < 1e-8).float().mean())


def run_steps(trainer: Any, first: int, last: int, save_at: int | None = None) -> list[dict]:
    """verl's loop body for global steps ``first..last``: on_step_begin, step, save, clear TransferQueue."""
    import transfer_queue as tq

    logged = []
    for step in range(first, last + 1):
        trainer.global_steps = step
        metrics: dict = {}
        trainer.on_step_begin()
        batch = trainer.step(metrics, {})
        if step == save_at:
            trainer._save_checkpoint()
        tq.kv_clear(keys=batch.keys, partition_id=batch.partition_id)
        logged.append(metrics)
    return logged


def _print_scores(problems: list[dict], scored: dict[int, list[Outcome]]) -> None:
    print("\nSRPO reward on the bundled responses (acc per response; code runs in the sandbox):")
    for p in problems:
        rewards = [r for _, r in scored[p["index"]]]
        accs = " ".join(str(int(r["acc"])) for r in rewards)
        failures = sorted({r["failure"] for r in rewards if r["failure"] != "none"})
        print(f"  #{p['index']:<2} {p['domain']:4s} acc [{accs}]  score {np.mean([r['score'] for r in rewards]):+.2f}"
              f"  {p['question'][:48]!r}" + (f"  failures: {', '.join(failures)}" if failures else ""))


def _print_steps(logged: list[dict], drawn: list[list[int]], zero_adv: list[float], domain: dict[int, str]) -> None:
    print("\nstep stage epoch pool dropped zero-adv-groups zero-adv-resp  math-acc code-acc reflect  drawn")
    for step, (m, ids, z) in enumerate(zip(logged, drawn, zero_adv), 1):
        tags = " ".join(f"{i}{domain[i][0]}" for i in sorted(ids))
        code = m.get("srpo/code/acc_mean")
        print(f"{step:4d} {m['srpo/stage']:5d} {m['srpo/epoch']:5d} {m['srpo/pool_size']:4d} {m['srpo/dropped_total']:7d} "
              f"{m['srpo/zero_adv_group_frac']:15.2f} {z:13.2f}  {m['srpo/math/acc_mean']:8.2f} "
              f"{'-' if code is None else f'{code:.2f}':>8s} {m.get('srpo/reflection_rate', float('nan')):7.2f}  {tags}")


def rehearse(steps: int = 6, save_at: int = 3) -> dict:
    """Run the rehearsal; print what happened and return a summary (for tests)."""
    import ray
    import transfer_queue as tq

    from verl_srpo.cli import compose

    problems = load_problems()
    domain = {p["index"]: p["domain"] for p in problems}
    scored = score_responses(problems)
    _print_scores(problems, scored)
    tokenizer = word_tokenizer([t for outs in scored.values() for t, _ in outs])
    with tempfile.TemporaryDirectory(prefix="srpo-rehearsal-") as tmp:
        data = write_parquet(problems, Path(tmp) / "train.parquet")
        config = compose([
            f"data.train_files=[{data}]", f"data.val_files=[{data}]", "data.train_batch_size=4",
            "data.filter_overlong_prompts=false", "data.seed=7", f"++data.cache_dir={tmp}/cache",
            "actor_rollout_ref.rollout.n=4", "srpo.stages.switch_epoch=2", f"trainer.default_local_dir={tmp}/ckpt",
            "trainer.resume_mode=disable", f"trainer.total_training_steps={steps}", f"trainer.save_freq={save_at}",
            *FIT_OVERRIDES,
        ])
        ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        tq.init()
        try:
            zero_adv: list[float] = []
            straight = build_trainer(config, tokenizer, ReplayRollout(tokenizer, scored.__getitem__), zero_adv)
            logged = fit(straight)
            _print_steps(logged, straight.agent_loop_manager.drawn, zero_adv, domain)
            with open_dict(config):
                config.trainer.resume_mode = "resume_path"
                config.trainer.resume_from_path = f"{tmp}/ckpt/global_step_{save_at}"
            resumed = build_trainer(config, tokenizer, ReplayRollout(tokenizer, scored.__getitem__), [])
            fit(resumed)
        finally:
            tq.close()
            ray.shutdown()
    same = resumed.agent_loop_manager.drawn == straight.agent_loop_manager.drawn[save_at:]
    print(f"\nverl's fit() ran {len(logged)} steps; checkpoint at step {save_at} (verl's data.pt), resumed in a "
          "fresh trainer through fit(): "
          f"steps {save_at + 1}-{steps} drew the same batches: {same}")
    print("Done: config, validation, reward, sampler, history resampling, stage switch, estimator, resume. "
          "For a real run see recipes/srpo/run_debug_1gpu.sh (one GPU with vLLM).")
    return {"logged": logged, "drawn": straight.agent_loop_manager.drawn, "resumed_same": same, "zero_adv": zero_adv}
