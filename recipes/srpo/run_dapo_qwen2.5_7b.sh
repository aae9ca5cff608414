#!/usr/bin/env bash
# DAPO dynamic-sampling baseline for the 7B SRPO recipe (run_srpo_qwen2.5_7b.sh): verl's `grpo` estimator with
# `algorithm.filter_groups` (DAPO's over-generate-then-filter), no plugin, on the same data with the
# same model, scale, lengths and optimiser (_qwen2.5_7b.sh). Only dynamic sampling is taken from DAPO
# (clip ranges, lengths and overlong handling stay shared), so this isolates HR against it
# (docs/SRPO.md "Nearby methods"); recipes/srpo/README.md "Against DAPO-32B" lists what differs from
# DAPO's own recipe. Groups are filtered on accuracy (`acc`), not on the shaped score (SRPO.md "History
# Resampling (HR)"). Same budget means the same prompts per update: filtering generates more per step.
# verl 0.9.1's v1 trainer refills filtered groups one prompt at a time (it forces data.gen_batch_size=1
# and ignores max_num_gen_batches); MAX_INFLIGHT_GEN_BATCHES bounds the prompts generating at once.
#
# Hardware (ours): one node with 8 GPUs of 80 GB (H100/A100-80G); verl starts its own local Ray.
#
# Launch:    bash recipes/srpo/run_dapo_qwen2.5_7b.sh
# Override:  MAX_INFLIGHT_GEN_BATCHES=2 GPUS_PER_NODE=4 bash recipes/srpo/run_dapo_qwen2.5_7b.sh trainer.save_freq=50
# Compose only (no GPU): bash recipes/srpo/run_dapo_qwen2.5_7b.sh --cfg job   (DRY_RUN=1 lists the overrides)
#
# Derived numbers (tests/recipes/test_launch_recipes.py checks them against the composed config):
#   responses per step  = 128 prompts x 16 rollouts = 2048
#   max tokens per step = 2048 x (2048 prompt + 8192 response) = 20971520
#   steps per epoch     = floor(train rows / 128), e.g. 20000 rows -> 156
# (per update; dynamic sampling draws more prompts per step, up to MAX_INFLIGHT_GEN_BATCHES x 128 in flight)
#
# Memory and disk: python -m recipes.srpo.memory run_dapo_qwen2.5_7b.sh (the same per-GPU figures as SRPO's);
# evaluation: python -m eval, as for SRPO (recipes/srpo/README.md "Evaluation").
set -euo pipefail
ALGO=dapo
# shellcheck source=recipes/srpo/_qwen2.5_7b.sh
source "$(dirname "${BASH_SOURCE[0]}")/_qwen2.5_7b.sh"

FILTER_METRIC=${FILTER_METRIC:-acc}                   # accuracy, not the shaped score (SRPO.md HR)
MAX_INFLIGHT_GEN_BATCHES=${MAX_INFLIGHT_GEN_BATCHES:-3}  # DAPO-32B generates 3 x train batch (gen_batch_size);
                                                        # here: up to 3 train batches of prompts in flight

ARGS=(
  +prompt=r1_zero                                     # the same R1-Zero prompt as SRPO (SRPO.md "Prompt")
  algorithm.adv_estimator=grpo
  algorithm.norm_adv_by_std_in_grpo=True              # SRPO.md "Base": (r - mean) / std
  algorithm.filter_groups.enable=True                 # SRPO.md "Nearby methods": DAPO dynamic sampling
  algorithm.filter_groups.metric="$FILTER_METRIC"
  algorithm.filter_groups.max_inflight_gen_batches="$MAX_INFLIGHT_GEN_BATCHES"
  "${COMMON_ARGS[@]}"
)

# shellcheck source=recipes/srpo/_launch.sh
source "$(dirname "${BASH_SOURCE[0]}")/_launch.sh"
launch "${ARGS[@]}" "$@"
