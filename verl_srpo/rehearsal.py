"""CPU rehearsal of SRPO's driver-side pieces on bundled data (``verl-srpo quickstart`` with no GPU).

What runs for real:

* verl's ``ppo_trainer`` config composed with ``+plugin=verl_srpo``, and the start-up validation;
* verl's ``RLHFDataset`` over a parquet written from the bundled problems (``data/rehearsal.jsonl``);
* the registered SRPO trainer inside verl's own ``fit()`` loop (its step and epoch counting, saves by
  ``trainer.save_freq``): its dataloader and sampler, the stage switch, verl's own ``step()`` with its
  ``ReplayBuffer`` and a real TransferQueue on a local Ray, history resampling, the metrics, and a
  checkpoint saved through verl's ``_save_checkpoint`` and resumed through ``_load_checkpoint``;
* SRPO's reward (math-verify, the code sandbox) on the bundled responses, and the ``srpo`` estimator;
* with ``run_dir`` (:func:`write_run`, ``python -m verl_srpo.rehearsal --runs DIR``): what verl's ``fit()``
  writes, through verl's own code: the ``file`` logger's ``metrics.jsonl`` (``Tracking``), the rollout
  dumps (``_log_rollout_data``, as ``trainer.rollout_data_dir`` sets) and Hydra's ``.hydra/config.yaml``,
  for an SRPO run and for verl's ``grpo`` with its sync trainer (``verl-srpo report`` reads them).

What stands in for the GPU is the rollout: the harness of :mod:`verl_srpo.testing.harness` replays the
bundled responses where verl's agent loop would generate them, and skips the model half of a step
(log-probs, the update) and verl's model metrics. Tests drive the same harness (``tests/test_trainer.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import open_dict

from verl_srpo.compose import compose, compose_verl
from verl_srpo.names import REWARD_FUNCTION, REWARD_PATH
from verl_srpo.prompts import chat_messages
from verl_srpo.testing.harness import (
    FIT_OVERRIDES,
    Outcome,
    ReplayRollout,
    build_trainer,
    fit,
    run_steps,
)
from verl_srpo.testing.tiny import word_tokenizer

BUNDLED = Path(__file__).parent / "data" / "rehearsal.jsonl"


def load_problems(path: Path = BUNDLED) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_parquet(problems: list[dict], path: Path, scored: dict[int, list[Outcome]] | None = None) -> str:
    """The problems as verl RL rows (the format recipes/data writes); with ``scored``, labelled by pass@k of the
    bundled responses (``extra_info.pass_k``, ``num_correct``, ``pass_rate``, as recipes/data/label.py writes)."""
    def info(p: dict) -> dict:
        row = {"index": p["index"], "domain": p["domain"], "split": "train"}
        if scored is not None:
            correct = sum(int(r["acc"]) for _, r in scored[p["index"]])
            row.update(pass_k=len(scored[p["index"]]), num_correct=correct, pass_rate=correct / len(scored[p["index"]]))
        return row

    frame = pd.DataFrame({
        "data_source": [f"rehearsal_{p['domain']}" for p in problems],
        "prompt": [chat_messages(p["question"], p["domain"]) for p in problems],
        "ability": [p["domain"] for p in problems],
        "reward_model": [{"style": "rule", "ground_truth": p["ground_truth"]} for p in problems],
        "extra_info": [info(p) for p in problems],
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
          "For a real run: `verl-srpo quickstart` on one GPU with vLLM (the 1-GPU debug recipe).")
    return {"logged": logged, "drawn": straight.agent_loop_manager.drawn, "resumed_same": same, "zero_adv": zero_adv}


# The two runs of ``write_runs``: SRPO (the plugin) and verl's own GRPO with its sync trainer, as the baseline
# recipes compose it (recipes/srpo/run_grpo_*.sh: the same prompt and reward, no plugin).
RUNS = {
    "srpo": ["+plugin=verl_srpo", "srpo.stages.switch_epoch=2"],
    "grpo": ["+prompt=r1_zero", "algorithm.adv_estimator=grpo", "trainer.v1.trainer_mode=sync",
             f"reward.custom_reward_function.path={REWARD_PATH}",
             f"reward.custom_reward_function.name={REWARD_FUNCTION}"],
}


def write_runs(root: str | Path, steps: int = 8, names: tuple[str, ...] = ("srpo", "grpo")) -> dict[str, Path]:
    """Run ``names`` (keys of :data:`RUNS`) for ``steps`` steps each on the bundled data, writing what verl's
    ``fit()`` writes into ``root/<name>``: ``metrics.jsonl`` (verl's ``file`` logger, ``VERL_FILE_LOGGER_PATH``),
    ``rollouts/<step>.jsonl`` (``trainer.rollout_data_dir``) and ``.hydra/config.yaml``. The training data
    is ``root/data/train.parquet``, labelled by pass@k of the bundled responses. Returns ``{name: run folder}``."""
    import ray
    import transfer_queue as tq
    from omegaconf import OmegaConf
    from verl.utils.tracking import Tracking

    from verl_srpo.prompts import r1_zero_text

    root = Path(root).resolve()  # the saved config names absolute paths, as a real launch's would
    problems = load_problems()
    scored = score_responses(problems)
    prompts = [r1_zero_text(p["question"], p["domain"]) for p in problems]
    tokenizer = word_tokenizer(prompts + [t for outs in scored.values() for t, _ in outs])
    (root / "data").mkdir(parents=True, exist_ok=True)
    data = write_parquet(problems, root / "data" / "train.parquet", scored)  # labelled: `verl-srpo plan` reads it
    # The rehearsal has no model, only its tokenizer: saved where the model would be, so a report of these runs
    # counts response lengths in its tokens (actor_rollout_ref.model.path).
    tokenizer.save_pretrained(root / "data" / "tokenizer")
    dirs = {}
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    tq.init()
    saved = os.environ.get("VERL_FILE_LOGGER_PATH")
    try:
        for name in names:
            run = root / name
            config = compose_verl([
                *RUNS[name], f"data.train_files=[{data}]", f"data.val_files=[{data}]", "data.train_batch_size=4",
                "data.filter_overlong_prompts=false", "data.seed=7", f"++data.cache_dir={root}/data/cache",
                "actor_rollout_ref.rollout.n=4", f"trainer.default_local_dir={run}/ckpt", "trainer.resume_mode=disable",
                f"trainer.total_training_steps={steps}", "trainer.project_name=verl_srpo_rehearsal",
                f"trainer.experiment_name={name}", "trainer.logger=[console,file]",
                f"trainer.rollout_data_dir={run}/rollouts", f"actor_rollout_ref.model.path={root}/data/tokenizer",
            ])
            (run / ".hydra").mkdir(parents=True, exist_ok=True)
            OmegaConf.save(config, run / ".hydra" / "config.yaml")  # what Hydra writes for main_ppo
            os.environ["VERL_FILE_LOGGER_PATH"] = str(run / "metrics.jsonl")
            logger = Tracking(project_name=config.trainer.project_name, experiment_name=name,
                              default_backend=list(config.trainer.logger))
            trainer = build_trainer(config, tokenizer, ReplayRollout(tokenizer, scored.__getitem__), [])
            run_steps(trainer, 1, steps, logger=logger)
            logger.finish()
            dirs[name] = run
    finally:
        if saved is None:
            os.environ.pop("VERL_FILE_LOGGER_PATH", None)
        else:
            os.environ["VERL_FILE_LOGGER_PATH"] = saved
        tq.close()
        ray.shutdown()
    return dirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verl_srpo.rehearsal", description=(
        "CPU rehearsal runs: SRPO and verl's grpo (sync trainer) on the bundled data, writing verl's metrics "
        "JSONL, rollout dumps and .hydra/config.yaml for `verl-srpo report`."))
    parser.add_argument("--runs", required=True, help="folder to write the runs into (<folder>/srpo, <folder>/grpo)")
    parser.add_argument("--steps", type=int, default=8, help="training steps per run (default 8)")
    args = parser.parse_args(argv)
    dirs = write_runs(args.runs, args.steps)
    print("runs written: " + "  ".join(str(d) for d in dirs.values()))
    print(f"next: verl-srpo report {' '.join(str(d) for d in dirs.values())} --out {Path(args.runs) / 'report'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
