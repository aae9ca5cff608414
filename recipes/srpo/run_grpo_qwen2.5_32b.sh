#!/usr/bin/env bash
# GRPO baseline for SRPO-Qwen2.5-32B: verl's own `grpo` estimator, no plugin, on the same data with the
# same model, scale, lengths and optimiser (_qwen2.5_32b.sh). No history resampling, no stages (math and
# code mixed from step 1), and truncated replies keep their advantage. The difference to
# run_srpo_qwen2.5_32b.sh is what SRPO adds (docs/SRPO.md "Nearby methods": GRPO).
#
# Hardware (ours): 8 nodes x 8 GPUs with 80 GB, one Ray cluster started as in run_srpo_qwen2.5_32b.sh
# (`ray start --head` on one node, `ray start --address=<head-ip>:6379` on the others).
#
# Launch:    bash recipes/srpo/run_grpo_qwen2.5_32b.sh
# Override:  NNODES=16 TOTAL_STEPS=500 bash recipes/srpo/run_grpo_qwen2.5_32b.sh trainer.save_freq=50
# Compose only (no GPU): bash recipes/srpo/run_grpo_qwen2.5_32b.sh --cfg job   (DRY_RUN=1 lists the overrides)
#
# Derived numbers (tests/recipes/test_launch_recipes.py checks them against the composed config):
#   responses per step  = 256 prompts x 32 rollouts = 8192
#   max tokens per step = 8192 x (2048 prompt + 16384 response) = 150994944
#   steps per epoch     = floor(train rows / 256), e.g. 20000 rows -> 78
#
# Memory and disk: python -m recipes.srpo.memory run_grpo_qwen2.5_32b.sh prints the per-GPU estimates;
# checkpoints (393 GB each, MAX_CKPT_TO_KEEP of them) go to CKPT_DIR, on storage every node mounts at the same path.
# Evaluation: the in-training validation is 1 sample per problem at 16K tokens, a trend line; the paper's
# numbers (avg@32 at 32K) come from python -m eval (recipes/srpo/README.md "Evaluation").
set -euo pipefail
ALGO=grpo
# shellcheck source=recipes/srpo/_qwen2.5_32b.sh
source "$(dirname "${BASH_SOURCE[0]}")/_qwen2.5_32b.sh"

ARGS=(
  +prompt=r1_zero                                     # the same R1-Zero prompt as SRPO (SRPO.md "Prompt")
  algorithm.adv_estimator=grpo                        # SRPO.md "Nearby methods": verl's grpo
  algorithm.norm_adv_by_std_in_grpo=True              # SRPO.md "Base": (r - mean) / std
  "${COMMON_ARGS[@]}"
)

# shellcheck source=recipes/srpo/_launch.sh
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
launch "${ARGS[@]}" "$@"
