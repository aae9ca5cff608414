"""``verl-srpo``: the command-line entry of the package.

    verl-srpo quickstart      # GPU with vLLM: the 1-GPU debug recipe. Otherwise: a CPU rehearsal.
    verl-srpo check [OVERRIDES...]   # compose verl's config with +plugin=verl_srpo and validate it
    verl-srpo report RUN [RUN ...] --out DIR   # runs side by side, from verl's metrics JSONL and rollout dumps
    verl-srpo plan --data train.parquet --rollout-n G --train-batch-size B   # HR/stages predicted from pass@k labels
    verl-srpo prepare all ...     # training data (recipes/data): the flags of python -m recipes.data.prepare
    verl-srpo eval aime24 ...     # AIME24 / LiveCodeBench evaluation: the flags of python -m eval
    verl-srpo release publish ... # merge, validate, model card, Hub push: the flags of python -m release

The CPU rehearsal does real work with no GPU: it composes the full SRPO config through verl's Hydra
app, validates it and the install, and runs the plugin's driver-side pieces on bundled data.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

# The kits' own command lines under `verl-srpo NAME` (same flags and help): module, extra, help.
KITS = {
    "prepare": ("verl_srpo.recipes.data.prepare", "data", "training data: load, clean, decontaminate, label, combine"),
    "eval": ("verl_srpo.eval.cli", "eval", "evaluate a model: AIME24 avg@32, LiveCodeBench pass@1"),
    "release": ("verl_srpo.release.cli", "release", "merge a checkpoint, validate it, render its card, push it"),
}
# The analyses of verl_srpo.analysis (each module's add_arguments and main): module, help. Imported only when
# run, so that `verl-srpo --help` and the other subcommands do not pay for numpy, OmegaConf and the rest.
ANALYSES = {
    "report": ("verl_srpo.analysis.report", "dashboard, report.md and report.json of runs (verl's files)"),
    "plan": ("verl_srpo.analysis.plan", "zero-advantage share, HR pool and steps from pass@k labels"),
}


def check(overrides: list[str]) -> Any:
    """Compose and validate; print the SRPO-relevant part of the config. Exits 1 on a problem."""
    from omegaconf import OmegaConf

    from verl_srpo.compose import compose
    from verl_srpo.startup import assert_ready

    try:
        cfg = compose(overrides)
    except Exception as exc:  # Hydra refused an override (a typo in a key, a bad value): one line, with a hint
        raise SystemExit(f"verl-srpo check: {override_hint(exc)}") from None
    try:
        assert_ready(cfg)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    keys = ["algorithm.adv_estimator", "algorithm.srpo_zero_truncated_adv", "trainer.v1.trainer_mode",
            "actor_rollout_ref.rollout.n", "actor_rollout_ref.actor.loss_agg_mode",
            "actor_rollout_ref.actor.optim.lr", "actor_rollout_ref.actor.optim.betas",
            "actor_rollout_ref.actor.use_kl_loss", "algorithm.use_kl_in_reward"]
    print("composed verl config (+plugin=verl_srpo), validated:")
    for key in keys:
        print(f"  {key} = {OmegaConf.select(cfg, key)}")
    if cfg.get("srpo") is not None:
        print("  srpo =", OmegaConf.to_container(cfg.srpo))
    from verl_srpo.settings import unchecked

    for note in unchecked(cfg):
        print(f"not checked here: {note}")
    return cfg


def override_hint(exc: Exception) -> str:
    """Hydra's first line for a refused override, plus "did you mean" for a key that is not in the composed
    config (Hydra's own hint, "append with +", would add the typo as a new key)."""
    import difflib
    import re

    from omegaconf import DictConfig, OmegaConf

    from verl_srpo.compose import compose

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    match = re.search(r"Could not override '([^']+)'", str(exc))
    if not match:
        return text
    parent, _, leaf = match.group(1).rpartition(".")
    base = compose([])
    node = OmegaConf.select(base, parent) if parent else base
    close = difflib.get_close_matches(leaf, [str(k) for k in node.keys()], n=1) if isinstance(node, DictConfig) else []
    if close:
        return f"{text} Did you mean `{parent + '.' if parent else ''}{close[0]}`?"
    return f"{text} No such key here: check the name (a new key needs a leading +)."


def gpu_with_vllm() -> bool:
    try:
        import torch

        return torch.cuda.is_available() and importlib.util.find_spec("vllm") is not None
    except Exception:
        return False


def debug_recipe() -> Path:
    """``run_debug_1gpu.sh``, the 1-GPU debug recipe, as the installed package holds it (package data of
    ``verl_srpo.recipes.srpo``, next to the ``_launch.sh`` it sources). Exits when it is not a plain file."""
    recipe = files("verl_srpo.recipes.srpo") / "run_debug_1gpu.sh"
    if not isinstance(recipe, Path) or not recipe.is_file():
        raise SystemExit(f"the debug recipe is missing from this install ({recipe}): reinstall verl-srpo "
                         "(`pip install --force-reinstall verl-srpo`, or `pip install -e .` in a checkout)")
    return recipe


def run_kit(name: str, argv: list[str]) -> int:
    """``verl-srpo NAME ARGV``: the kit's own ``main`` (see ``KITS``), its help naming ``verl-srpo NAME``."""
    module, extra, _ = KITS[name]
    try:
        kit = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] == "verl_srpo":
            raise
        raise SystemExit(f"verl-srpo {name} needs {exc.name}, which is not installed: "
                         f"pip install 'verl-srpo[{extra}]'") from None
    return kit.main(argv, prog=f"verl-srpo {name}")


DEBUG_DATA = "data/srpo-debug"  # run_debug_1gpu.sh's DATA_DIR default (relative to where it runs)


def debug_data_problem(env: dict) -> str | None:
    """Why the 1-GPU debug recipe would fail on its data after Ray and vLLM start (None when the files exist)."""
    data_dir = env.get("DATA_DIR", DEBUG_DATA)
    wanted = [env.get("TRAIN_FILES", f"{data_dir}/train.parquet"), env.get("VAL_FILES", f"{data_dir}/val.parquet")]
    missing = [f for f in wanted if not Path(f).is_file()]
    if not missing:
        return None
    return (f"verl-srpo quickstart: the 1-GPU debug recipe trains on {wanted[0]} and validates on {wanted[1]}, but "
            f"{' and '.join(missing)} do not exist (in {Path.cwd()}). Make a small set first: `verl-srpo prepare all "
            f"--limit 200 --no-label --out-dir {DEBUG_DATA} --work-dir {DEBUG_DATA}/work` (reads the Hub), or set "
            "DATA_DIR (or TRAIN_FILES and VAL_FILES) to verl RL parquet files of your own. "
            "`verl-srpo quickstart --cpu` rehearses on bundled data without a GPU.")


def run_analysis(name: str, argv: list[str]) -> int:
    """``verl-srpo NAME ARGV`` for an analysis (see ``ANALYSES``): its module parses the rest and runs."""
    module, text = ANALYSES[name]
    analysis = importlib.import_module(module)
    parser = argparse.ArgumentParser(prog=f"verl-srpo {name}", description=text)
    analysis.add_arguments(parser)
    return analysis.main(parser.parse_args(argv))


def quickstart(args: argparse.Namespace) -> int:
    if gpu_with_vllm() and not args.cpu:
        recipe = debug_recipe()
        # The recipe launches $PYTHON: this interpreter (the one verl-srpo runs in), unless the user names another.
        env = {**os.environ, "PYTHON": os.environ.get("PYTHON", sys.executable)}
        problem = debug_data_problem(env)
        if problem:
            raise SystemExit(problem)
        print(f"GPU and vLLM found: running {recipe}")
        return subprocess.call(["bash", str(recipe)], env=env)
    print("No GPU with vLLM here: a CPU rehearsal of SRPO's driver-side pieces (on a GPU machine with vLLM, "
          "`verl-srpo quickstart` runs the 1-GPU debug recipe instead).\n")
    from verl_srpo.rehearsal import rehearse

    # No model here: the context window is that of the default prompt + response lengths (512 + 512).
    check(["actor_rollout_ref.rollout.n=8", "data.train_batch_size=16", "actor_rollout_ref.rollout.max_model_len=1024"])
    rehearse()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in KITS:  # the kit parses the rest itself
        return run_kit(argv[0], argv[1:])
    if argv and argv[0] in ANALYSES:
        return run_analysis(argv[0], argv[1:])
    parser = argparse.ArgumentParser(prog="verl-srpo", description="SRPO as a plugin for verl.")
    sub = parser.add_subparsers(dest="command", required=True)
    quick = sub.add_parser("quickstart", help="1-GPU debug run with vLLM, else a CPU rehearsal")
    quick.add_argument("--cpu", action="store_true", help="the CPU rehearsal even on a GPU machine")
    chk = sub.add_parser("check", help="compose verl's config with +plugin=verl_srpo and validate it")
    chk.add_argument("overrides", nargs="*", help="Hydra overrides, as for verl.trainer.main_ppo")
    for name, (_, text) in ANALYSES.items():  # listed here; run above (run_analysis)
        sub.add_parser(name, help=f"{text} (verl-srpo {name} --help)", add_help=False)
    for name, (_, _, text) in KITS.items():
        sub.add_parser(name, help=f"{text} (verl-srpo {name} --help)", add_help=False)
    args = parser.parse_args(argv)
    if args.command == "check":
        check(args.overrides)
        return 0
    return quickstart(args)


if __name__ == "__main__":
    sys.exit(main())
