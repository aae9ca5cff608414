#!/usr/bin/env bash
# GRPO baseline for the 7B SRPO recipe (run_srpo_qwen2.5_7b.sh): verl's own `grpo` estimator, no plugin, on the same data with the
# same model, scale, lengths and optimiser (_qwen2.5_7b.sh). No history resampling, no stages (math and
# code mixed from step 1), and truncated replies keep their advantage. The difference to
# run_srpo_qwen2.5_7b.sh is what SRPO adds (docs/SRPO.md "Nearby methods": GRPO).
#
# Hardware (ours): one node with 8 GPUs of 80 GB (H100/A100-80G); verl starts its own local Ray.
#
# Launch:    bash recipes/srpo/run_grpo_qwen2.5_7b.sh
# Override:  TOTAL_STEPS=200 LR=2e-6 bash recipes/srpo/run_grpo_qwen2.5_7b.sh trainer.save_freq=50
# Compose only (no GPU): bash recipes/srpo/run_grpo_qwen2.5_7b.sh --cfg job   (DRY_RUN=1 lists the overrides)
#
# Derived numbers (tests/recipes/test_launch_recipes.py checks them against the composed config):
#   responses per step  = 128 prompts x 16 rollouts = 2048
#   max tokens per step = 2048 x (2048 prompt + 8192 response) = 20971520
#   steps per epoch     = floor(train rows / 128), e.g. 20000 rows -> 156
#
# Memory and disk: python -m recipes.srpo.memory run_grpo_qwen2.5_7b.sh prints the per-GPU estimates;
# checkpoints (91 GB each, MAX_CKPT_TO_KEEP of them) go to CKPT_DIR.
# Evaluation: the in-training validation is 1 sample per problem at 8K tokens, a trend line; the paper's
# numbers (avg@32 at 32K) come from python -m eval (recipes/srpo/README.md "Evaluation").
set -euo pipefail
ALGO=grpo
# shellcheck source=recipes/srpo/_qwen2.5_7b.sh
source "$(dirname "${BASH_SOURCE[0]}")/_qwen2.5_7b.sh"

ARGS=(
  +prompt=r1_zero                                     # the same R1-Zero prompt as SRPO (SRPO.md "Prompt")
  algorithm.adv_estimator=grpo                        # SRPO.md "Nearby methods": verl's grpo
  algorithm.norm_adv_by_std_in_grpo=True              # SRPO.md "Base": (r - mean) / std
  "${COMMON_ARGS[@]}"
)

# shellcheck source=recipes/srpo/_launch.sh
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
launch "${ARGS[@]}" "$@"
