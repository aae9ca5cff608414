"""``verl-srpo``: the command-line entry of the package.

    verl-srpo quickstart      # GPU with vLLM: the 1-GPU debug recipe. Otherwise: a CPU rehearsal.
    verl-srpo check [OVERRIDES...]   # compose verl's config with +plugin=verl_srpo and validate it
    verl-srpo report RUN [RUN ...] --out DIR   # runs side by side, from verl's metrics JSONL and rollout dumps
    verl-srpo plan --data train.parquet --rollout-n G --train-batch-size B   # HR/stages predicted from pass@k labels

The CPU rehearsal does real work with no GPU: it composes the full SRPO config through verl's Hydra
app, validates it and the install, and runs the plugin's driver-side pieces on bundled data.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "srpo" / "run_debug_1gpu.sh"


def check(overrides: list[str]) -> Any:
    """Compose and validate; print the SRPO-relevant part of the config. Exits 1 on a problem."""
    from omegaconf import OmegaConf

    from verl_srpo.compose import compose
    from verl_srpo.startup import assert_ready

    cfg = compose(overrides)
    try:
        assert_ready(cfg)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    keys = ["algorithm.adv_estimator", "algorithm.srpo_zero_truncated_adv", "trainer.v1.trainer_mode",
            "actor_rollout_ref.rollout.n", "actor_rollout_ref.actor.loss_agg_mode",
            "actor_rollout_ref.actor.optim.lr", "actor_rollout_ref.actor.optim.betas",
            "actor_rollout_ref.actor.use_kl_loss", "algorithm.use_kl_in_reward", "data.dataloader_num_workers"]
    print("composed verl config (+plugin=verl_srpo), validated:")
    for key in keys:
        print(f"  {key} = {OmegaConf.select(cfg, key)}")
    if cfg.get("srpo") is not None:
        print("  srpo =", OmegaConf.to_container(cfg.srpo))
    return cfg


def gpu_with_vllm() -> bool:
    try:
        import torch

        return torch.cuda.is_available() and importlib.util.find_spec("vllm") is not None
    except Exception:
        return False


def quickstart(args: argparse.Namespace) -> int:
    if gpu_with_vllm() and not args.cpu:
        print(f"GPU and vLLM found: running {REPO_RECIPE}")
        return subprocess.call(["bash", str(REPO_RECIPE)], env=os.environ.copy())
    print("No GPU with vLLM here: CPU rehearsal of SRPO's driver-side pieces (pass nothing to skip it).\n")
    from verl_srpo.rehearsal import rehearse

    check(["actor_rollout_ref.rollout.n=8", "data.train_batch_size=16"])
    rehearse()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verl-srpo", description="SRPO as a plugin for verl.")
    sub = parser.add_subparsers(dest="command", required=True)
    quick = sub.add_parser("quickstart", help="1-GPU debug run with vLLM, else a CPU rehearsal")
    quick.add_argument("--cpu", action="store_true", help="the CPU rehearsal even on a GPU machine")
    chk = sub.add_parser("check", help="compose verl's config with +plugin=verl_srpo and validate it")
    chk.add_argument("overrides", nargs="*", help="Hydra overrides, as for verl.trainer.main_ppo")
    from verl_srpo.analysis import plan, report

    report.add_arguments(sub.add_parser("report", help="dashboard, report.md and report.json of runs (verl's files)"))
    plan.add_arguments(sub.add_parser("plan", help="zero-advantage share, HR pool and steps from pass@k labels"))
    args = parser.parse_args(argv)
    if args.command in ("report", "plan"):
        return {"report": report, "plan": plan}[args.command].main(args)
    if args.command == "check":
        check(args.overrides)
        return 0
    return quickstart(args)


if __name__ == "__main__":
    sys.exit(main())
