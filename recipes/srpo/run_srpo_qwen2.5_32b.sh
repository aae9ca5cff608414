#!/usr/bin/env bash
# SRPO-Qwen2.5-32B: the paper's setup (docs/SRPO.md). RL only from the Qwen2.5-32B *base* model,
# two stages (math, then math + code) and History Resampling on, through verl's trainer + the plugin.
# The model, data, scale and optimiser knobs live in _qwen2.5_32b.sh, shared with the GRPO and DAPO
# baselines (run_grpo_qwen2.5_32b.sh, run_dapo_qwen2.5_32b.sh) so the three differ only in algorithm.
#
# Hardware (ours; the paper does not say): 8 nodes x 8 GPUs with 80 GB (H100/H800/A100-80G), one Ray
# cluster. The model: `huggingface-cli download Qwen/Qwen2.5-32B --local-dir /models/Qwen2.5-32B` on
# every node (or shared storage), then MODEL_PATH=/models/Qwen2.5-32B. The data: recipes/data/README.md.
#
# Ray cluster, started before launching (on each node, in the Python environment verl-srpo is in):
#   head node:    ray start --head --port=6379 --num-gpus=8
#   every other:  ray start --address=<head-ip>:6379 --num-gpus=8
#   check:        ray status   (must list NNODES x GPUS_PER_NODE GPUs; trainer.nnodes=NNODES below)
# then run the launch command on the head node: verl's ray.init joins the running cluster.
#
# Launch:    bash recipes/srpo/run_srpo_qwen2.5_32b.sh
# Override:  NNODES=16 MODEL_PATH=/models/Qwen2.5-32B bash recipes/srpo/run_srpo_qwen2.5_32b.sh trainer.save_freq=50
# Compose only (no GPU): bash recipes/srpo/run_srpo_qwen2.5_32b.sh --cfg job   (DRY_RUN=1 lists the overrides)
#
# Derived numbers (tests/recipes/test_launch_recipes.py checks them against the composed config):
#   responses per step  = 256 prompts x 32 rollouts = 8192
#   max tokens per step = 8192 x (2048 prompt + 16384 response) = 150994944
#   steps per epoch     = floor(train rows / 256), e.g. 20000 rows -> 78
# Stage 1 draws the math rows only and HR drops solved prompts, so the real epochs are shorter.
#
# Memory and disk: python -m recipes.srpo.memory run_srpo_qwen2.5_32b.sh prints the per-GPU estimates;
# checkpoints (393 GB each, MAX_CKPT_TO_KEEP of them) go to CKPT_DIR, on storage every node mounts at the same path.
# Evaluation: the in-training validation is 1 sample per problem at 16K tokens, a trend line; the paper's
# numbers (avg@32 at 32K) come from python -m eval (recipes/srpo/README.md "Evaluation").
set -euo pipefail
ALGO=srpo
# shellcheck source=recipes/srpo/_qwen2.5_32b.sh
source "$(dirname "${BASH_SOURCE[0]}")/_qwen2.5_32b.sh"

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
