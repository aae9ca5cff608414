# shellcheck shell=bash
# Shared by run_{srpo,grpo,dapo}_qwen2.5_7b.sh: the model, data, cluster, scale and optimiser, so that
# SRPO and its baselines train on the same data with the same budget. Sourced, never run; every knob
# is a ${VAR:-default} environment variable. Paper values cite docs/SRPO.md; (ours) marks choices;
# "DAPO-32B" is verl's DAPO-Qwen2.5-32B reproduction run (recipes/srpo/README.md "Against DAPO-32B").
# Memory and disk per GPU: python -m recipes.srpo.memory run_srpo_qwen2.5_7b.sh (README "Memory and disk").

# ALGO (srpo | grpo | dapo) is set by the sourcing script; it names the experiment.
: "${ALGO:?set ALGO before sourcing this file}"

# --- model and data
MODEL_PATH=${MODEL_PATH:-Qwen/Qwen2.5-7B}             # (ours) 7B base: SRPO.md "Base" uses 32B, RL only
DATA_DIR=${DATA_DIR:-data/srpo}
TRAIN_FILES=${TRAIN_FILES:-$DATA_DIR/train.parquet}   # math + code rows (recipes/data)
VAL_FILES=${VAL_FILES:-$DATA_DIR/val.parquet}

# --- cluster (ours)
NNODES=${NNODES:-1}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
GEN_TP=${GEN_TP:-2}                                   # (ours) vLLM tensor parallel per engine
SP_SIZE=${SP_SIZE:-4}                                 # (ours) Ulysses sequence parallel; divides 28/4 heads
OFFLOAD=${OFFLOAD:-false}                             # (ours) FSDP param/optimizer offload: 15 GB stays resident
GPU_MEM_UTIL=${GPU_MEM_UTIL:-0.7}                     # (ours) vLLM's share of GPU memory, as DAPO-32B
ENFORCE_EAGER=${ENFORCE_EAGER:-true}                  # DAPO-32B's value: verl's DAPO FAQ says CUDA graphs may degrade
                                                      # results; false is faster and keeps graph memory through training
MAX_NUM_SEQS=${MAX_NUM_SEQS:-1024}                    # DAPO-32B's value (verl 0.9.1's default is 256): throughput only

# --- scale
TRAIN_BATCH=${TRAIN_BATCH:-128}                       # (ours) one node; SRPO.md "Scale" uses 256
ROLLOUT_N=${ROLLOUT_N:-16}                            # (ours) one node; SRPO.md "Scale" uses 32
MAX_PROMPT_LEN=${MAX_PROMPT_LEN:-2048}                # (ours)
MAX_RESPONSE_LEN=${MAX_RESPONSE_LEN:-8192}            # (ours) long CoT; truncated replies get advantage 0
MINI_BATCH=${MINI_BATCH:-32}                          # (ours) 128/32 = 4 updates of 512 responses per step
PPO_EPOCHS=${PPO_EPOCHS:-1}                           # (ours)

# --- token budgets per GPU, in multiples of one full sequence (prompt + response = 10240 tokens)
ACTOR_TOKENS_X=${ACTOR_TOKENS_X:-2}                   # (ours) training: 20480, verl's perf guide asks >= 2x
LOGPROB_TOKENS_X=${LOGPROB_TOKENS_X:-3}               # (ours) log-probs: 30720, forward-only may be larger
ENTROPY_CHUNKING=${ENTROPY_CHUNKING:-true}            # (ours) the log-prob pass computes entropy: chunked it needs
                                                      # 3.7 GB per GPU, unchunked 30720 x 152064 x 7 B = 32.7 GB

# --- optimisation
LR=${LR:-1e-6}                                        # SRPO.md "Loss and optimiser": constant 1e-6
ADAM_BETAS=${ADAM_BETAS:-[0.9,0.95]}                  # SRPO.md "Loss and optimiser": AdamW (0.9, 0.95)
LOSS_AGG=${LOSS_AGG:-token-mean}                      # SRPO.md "Loss and optimiser": per-token mean
WEIGHT_DECAY=${WEIGHT_DECAY:-0.01}                    # (ours) verl's AdamW default; the paper names none
CLIP_LOW=${CLIP_LOW:-0.2}                             # (ours) verl's default; the paper names no clip range
CLIP_HIGH=${CLIP_HIGH:-0.2}                           # (ours) DAPO-32B's clip-higher is 0.28
CLIP_C=${CLIP_C:-3.0}                                 # (ours) verl's dual-clip bound (c=3 of arXiv 1912.09729);
                                                      # DAPO-32B: 10.0; the paper names none
TEMPERATURE=${TEMPERATURE:-1.0}                       # (ours) rollout sampling, as DAPO-32B
TOTAL_STEPS=${TOTAL_STEPS:-500}                       # (ours)

# --- bookkeeping
PROJECT=${PROJECT:-verl-srpo}
EXPERIMENT=${EXPERIMENT:-$ALGO-qwen2.5-7b}
LOGGER=${LOGGER:-[console,wandb]}
TEST_FREQ=${TEST_FREQ:-20}
VAL_N=${VAL_N:-1}                                     # (ours) validation is a trend line; python -m eval scores
SAVE_FREQ=${SAVE_FREQ:-20}
CKPT_DIR=${CKPT_DIR:-$PWD/checkpoints/$PROJECT/$EXPERIMENT}  # absolute, so every Ray worker writes the same path
MAX_CKPT_TO_KEEP=${MAX_CKPT_TO_KEEP:-2}               # (ours) 91 GB each: 2 -> 183 GB on disk, not 25 x 91 GB

# shellcheck source=recipes/srpo/_qwen2.5_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_qwen2.5_common.sh"
