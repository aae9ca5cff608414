#!/usr/bin/env bash
# SRPO on Qwen2.5-7B, one node: the paper's method (docs/SRPO.md) at a single-node scale (ours: the
# paper trains 32B only). RL only from the Qwen2.5-7B *base* model, two stages (math, then math + code)
# and History Resampling on, through verl's trainer + the plugin.
# The model, data, scale and optimiser knobs live in _qwen2.5_7b.sh, shared with the GRPO and DAPO
# baselines (run_grpo_qwen2.5_7b.sh, run_dapo_qwen2.5_7b.sh) so the three differ only in algorithm.
#
# Hardware (ours): one node with 8 GPUs of 80 GB (H100/A100-80G); verl starts its own local Ray.
#
# Launch:    bash recipes/srpo/run_srpo_qwen2.5_7b.sh
# Override:  MODEL_PATH=/models/Qwen2.5-7B ROLLOUT_N=8 bash recipes/srpo/run_srpo_qwen2.5_7b.sh trainer.save_freq=50
# Compose only (no GPU): bash recipes/srpo/run_srpo_qwen2.5_7b.sh --cfg job   (DRY_RUN=1 lists the overrides)
#
# Derived numbers (tests/recipes/test_launch_recipes.py checks them against the composed config):
#   responses per step  = 128 prompts x 16 rollouts = 2048
#   max tokens per step = 2048 x (2048 prompt + 8192 response) = 20971520
#   steps per epoch     = floor(train rows / 128), e.g. 20000 rows -> 156
# Stage 1 draws the math rows only and HR drops solved prompts, so the real epochs are shorter.
#
# Memory and disk: python -m recipes.srpo.memory run_srpo_qwen2.5_7b.sh prints the per-GPU estimates;
# checkpoints (91 GB each, MAX_CKPT_TO_KEEP of them) go to CKPT_DIR.
# Evaluation: the in-training validation is 1 sample per problem at 8K tokens, a trend line; the paper's
# numbers (avg@32 at 32K) come from python -m eval (recipes/srpo/README.md "Evaluation").
set -euo pipefail
ALGO=srpo
# shellcheck source=recipes/srpo/_qwen2.5_7b.sh
source "$(dirname "${BASH_SOURCE[0]}")/_qwen2.5_7b.sh"

# --- SRPO (keys of the srpo: block of verl_srpo/config/plugin/verl_srpo.yaml)
HR_ENABLE=${HR_ENABLE:-true}                          # SRPO.md "History Resampling (HR)"
READMIT_FRACTION=${READMIT_FRACTION:-0.0}             # (ours) dropped prompts are gone for good
SWITCH_EPOCH=${SWITCH_EPOCH:-1}                       # (ours) stage 2 after one pass over the math pool
SWITCH_STEP=${SWITCH_STEP:-null}                      # (ours) or at a fixed step
STAGE2_WEIGHTS=${STAGE2_WEIGHTS:-null}                # (ours) null: natural math/code proportions

ARGS=(
  +plugin=verl_srpo                                   # srpo estimator + trainer, SRPO.md defaults
  "${COMMON_ARGS[@]}"
  srpo.history.enable="$HR_ENABLE"
  srpo.history.readmit_fraction="$READMIT_FRACTION"
  srpo.stages.switch_epoch="$SWITCH_EPOCH"
  srpo.stages.switch_step="$SWITCH_STEP"
  srpo.stages.stage2_weights="$STAGE2_WEIGHTS"
)

# shellcheck source=recipes/srpo/_launch.sh
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
launch "${ARGS[@]}" "$@"
