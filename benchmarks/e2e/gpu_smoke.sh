#!/usr/bin/env bash
# End-to-end smoke run of verl-srpo on ONE GPU with vLLM: the proof that the whole chain works on real hardware.
#
#   data -> tiny base model + supervised warm-up -> initial pass rates
#   -> SRPO via recipes/srpo/run_debug_1gpu.sh (crosses an epoch boundary and the stage switch, saves at SAVE_STEP)
#   -> the same run resumed from SAVE_STEP (does it draw the same batches?)
#   -> verl's grpo on the same recipe, data, seed and budget (only the estimator and trainer mode differ)
#   -> per-step metrics into RESULTS/e2e_smoke.json + .png -> merge the SRPO checkpoint (release kit)
#   -> evaluate it with `python -m eval` (vLLM) on AIME- and LiveCodeBench-format fixtures -> `make release` dry run
#
# Usage:
#   bash benchmarks/e2e/gpu_smoke.sh                        # everything, on a machine with a GPU and vLLM
#   bash benchmarks/e2e/gpu_smoke.sh --phases srpo,resume   # some phases (each reuses what earlier ones left in WORK)
#   bash benchmarks/e2e/gpu_smoke.sh --cpu-rehearsal        # no GPU: every step that needs none, for real
# Phases, in order: data model passrate srpo resume grpo collect merge eval release
# (the rehearsal: data model passrate compose rehearsal-collect merge eval release).
#
# Knobs (environment): WORK (default /tmp/srpo-e2e; outside the repo so it survives between device calls),
# RESULTS (default benchmarks/results), STEPS (12), SAVE_STEP (6), SWITCH_STEP (4), TRAIN_BATCH (16),
# ROLLOUT_N (8), LR (2e-5), SFT_STEPS (at most 5000, stopping at math accuracy TARGET_ACC 0.3; rehearsal 20), PYTHON (python3). On the lent H100 see
# benchmarks/e2e/README.md for the three device calls. $OUT, when set, receives a copy of the results.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=${PYTHON:-python3}
WORK=${WORK:-/tmp/srpo-e2e}
RESULTS=${RESULTS:-benchmarks/results}
STEPS=${STEPS:-12}                 # (ours) 3 stage-1 steps, then stage 2; a second HR boundary after step 8
SAVE_STEP=${SAVE_STEP:-6}          # (ours) resume from here: the resumed run crosses the boundary before step 9
SWITCH_STEP=${SWITCH_STEP:-4}      # (ours) = the end of the first math epoch (60 math rows / 16 per step = 3 steps)
TRAIN_BATCH=${TRAIN_BATCH:-16}     # (ours) prompts per step
ROLLOUT_N=${ROLLOUT_N:-8}          # (ours) rollouts per prompt
LR=${LR:-2e-5}                     # (ours) the paper's 1e-6 (SRPO.md) barely moves a tiny model in 12 steps
MAX_PROMPT_LEN=${MAX_PROMPT_LEN:-320}   # the longest tiny prompt is ~180 tokens
MAX_RESPONSE_LEN=${MAX_RESPONSE_LEN:-128}
TARGET_ACC=${TARGET_ACC:-0.3}      # (ours) the warm-up stops at this math accuracy: pass rates start mixed
REHEARSAL=0
PHASES=""
PRINT_LAUNCH=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cpu-rehearsal) REHEARSAL=1 ;;
    --print-launch) PRINT_LAUNCH=$2; shift ;;
    --phases) PHASES=$2; shift ;;
    --phases=*) PHASES=${1#--phases=} ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "gpu_smoke.sh: unknown argument '$1' (use --cpu-rehearsal, --phases a,b,..., --print-launch NAME)" >&2
       exit 2 ;;
  esac
  shift
done
if [[ $REHEARSAL == 1 ]]; then
  ALL="data model passrate compose rehearsal-collect merge eval release"
  SFT_STEPS=${SFT_STEPS:-20}
else
  ALL="data model passrate srpo resume grpo collect merge eval release"
  SFT_STEPS=${SFT_STEPS:-5000}
fi
PHASES=${PHASES:-${ALL// /,}}
for p in ${PHASES//,/ }; do
  [[ " $ALL " == *" $p "* ]] || { echo "gpu_smoke.sh: unknown phase '$p'; phases: $ALL" >&2; exit 2; }
done

DATA=$WORK/data RUNS=$WORK/runs BASE=$WORK/model/base WARM=$WORK/model/warm
say() { echo "[gpu_smoke $(date -u +%H:%M:%S)] $*"; }
want() { [[ ",$PHASES," == *",$1,"* ]]; }

# The override list of one verl launch: NAME (srpo | srpo_resume | grpo) -> printed one per line.
overrides() {
  local name=$1 dir=$RUNS/$1
  local -a args=(
    trainer.experiment_name="e2e-$name"
    trainer.default_local_dir="$dir/ckpt"
    trainer.rollout_data_dir="$dir/rollouts"
    trainer.save_freq="$SAVE_STEP"
    trainer.max_actor_ckpt_to_keep=null
    data.seed=0
    hydra.run.dir="$dir/hydra"
    # The tiny model was warmed up on its own ChatML template (tinymodel.py), so it keeps it: the plugin's
    # R1-Zero chat template (verl_srpo/config/prompt/r1_zero.yaml) is for base models (SRPO.md "Prompt").
    actor_rollout_ref.model.custom_chat_template=null
  )
  case $name in
    srpo) args+=(trainer.resume_mode=disable) ;;
    srpo_resume) args+=(trainer.resume_mode=resume_path
                        trainer.resume_from_path="$RUNS/srpo/ckpt/global_step_$SAVE_STEP") ;;
    grpo) args+=(trainer.resume_mode=disable
                 algorithm.adv_estimator=grpo      # verl's own GRPO (SRPO.md "Nearby methods")
                 trainer.v1.trainer_mode=sync) ;;  # verl's sync trainer: no history resampling, no stages
  esac
  printf '%s\n' "${args[@]}"
}

# Launch (or, with --cfg job, compose) one run through the project's 1-GPU recipe.
launch() {
  local name=$1 batch=$TRAIN_BATCH; shift
  local -a extra
  mapfile -t extra < <(overrides "$name")
  VERL_FILE_LOGGER_PATH="$RUNS/$name/metrics.jsonl" MODEL_PATH="$WARM" TRAIN_FILES="$DATA/rl/train.parquet" \
    VAL_FILES="$DATA/rl/val.parquet" TRAIN_BATCH=$batch ROLLOUT_N=$ROLLOUT_N MINI_BATCH=$batch LR=$LR \
    MAX_PROMPT_LEN=$MAX_PROMPT_LEN MAX_RESPONSE_LEN=$MAX_RESPONSE_LEN TOTAL_STEPS=$STEPS SWITCH_STEP=$SWITCH_STEP \
    LOGGER='[console,file]' PYTHON="$PY" bash recipes/srpo/run_debug_1gpu.sh "${extra[@]}" "$@"
}

if [[ -n $PRINT_LAUNCH ]]; then   # the full override list of one launch (srpo | srpo_resume | grpo), one per line
  [[ $PRINT_LAUNCH =~ ^(srpo|srpo_resume|grpo)$ ]] || { echo "gpu_smoke.sh: --print-launch srpo|srpo_resume|grpo" >&2; exit 2; }
  DRY_RUN=1 launch "$PRINT_LAUNCH"
  exit 0
fi
# The lent H100's image may lack matplotlib (this run's plot, eval's results.png): unpack the wheels that
# benchmarks/e2e/pack_extra.sh put in .gpu/extra (carried once) into /tmp/site-extra, which outlives the call.
if [[ $REHEARSAL == 0 ]] && ! "$PY" -c 'import matplotlib' 2> /dev/null; then
  if [[ ! -f /tmp/site-extra/.ok ]] && compgen -G ".gpu/extra/*.whl" > /dev/null; then
    "$PY" -c 'import glob, zipfile; [zipfile.ZipFile(w).extractall("/tmp/site-extra") for w in glob.glob(".gpu/extra/*.whl")]'
    touch /tmp/site-extra/.ok
  fi
  [[ -f /tmp/site-extra/.ok ]] && export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}/tmp/site-extra
  "$PY" -c 'import matplotlib' 2> /dev/null || {
    echo "gpu_smoke.sh: matplotlib is missing: run 'bash benchmarks/e2e/pack_extra.sh' and carry .gpu/extra" >&2; exit 2; }
fi
if [[ $REHEARSAL == 0 ]] && ! "$PY" -c 'import torch, sys; import vllm; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "gpu_smoke.sh: needs a CUDA GPU and vLLM (pip install -e '.[vllm]'); without them run --cpu-rehearsal" >&2
  exit 2
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 WANDB_MODE=disabled TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
mkdir -p "$WORK" "$RUNS"

run_training() {
  local name=$1
  rm -rf "${RUNS:?}/$name"; mkdir -p "$RUNS/$name"
  say "launch $name: $STEPS steps (log: $RUNS/$name/train.log)"
  local t0=$SECONDS
  set +e
  launch "$name" 2>&1 | tee "$RUNS/$name/train.log" | grep -E --line-buffered "step:|Error|error:|Traceback" | cut -c1-400
  local rc=${PIPESTATUS[0]}
  set -e
  echo "{\"wall_s\": $((SECONDS - t0)), \"rc\": $rc}" > "$RUNS/$name/launch.json"
  [[ $rc == 0 ]] || { say "$name failed (rc $rc); see $RUNS/$name/train.log"; tail -40 "$RUNS/$name/train.log"; exit 1; }
  say "$name done in $((SECONDS - t0)) s"
}

if want data; then
  say "data -> $DATA"
  "$PY" -m benchmarks.e2e.tinytask --out "$DATA"
fi
if want model; then
  say "tiny base model -> $BASE; warm-up ($SFT_STEPS steps) -> $WARM"
  "$PY" -m benchmarks.e2e.tinymodel --sft "$DATA/sft.jsonl" --out "$BASE"
  check=(--check-data "$DATA/rl/train.parquet" --target-acc "$TARGET_ACC" --check-every 250 --max-new-tokens "$MAX_RESPONSE_LEN")
  [[ $REHEARSAL == 1 ]] && check=()   # a few CPU steps: nothing to stop early
  "$PY" -m benchmarks.e2e.warmup --base "$BASE" --sft "$DATA/sft.jsonl" --out "$WARM" --steps "$SFT_STEPS" "${check[@]}"
fi
if want passrate; then
  say "initial pass rates of the warm-up model (transformers, n=$ROLLOUT_N, temperature 1.0)"
  limit=0; [[ $REHEARSAL == 1 ]] && limit=${PASSRATE_LIMIT:-20}
  "$PY" -m benchmarks.e2e.passrate --model "$WARM" --data "$DATA/rl/train.parquet" --out "$WORK/passrate.json" \
    --n "$ROLLOUT_N" --max-new-tokens "$MAX_RESPONSE_LEN" --limit "$limit" --batch-prompts "$TRAIN_BATCH" \
    --dump "$WORK/passrate_samples.jsonl"
fi
if want compose; then
  for name in srpo srpo_resume grpo; do
    say "compose $name (python -m verl.trainer.main_ppo ... --cfg job)"
    mkdir -p "$RUNS/$name"
    launch "$name" --cfg job > "$RUNS/$name/composed.yaml"
    "$PY" -m benchmarks.e2e.composed "$RUNS/$name/composed.yaml" "$name"
  done
fi
want srpo && run_training srpo
want resume && run_training srpo_resume
want grpo && run_training grpo
if want collect; then
  say "collect per-step metrics -> $RESULTS/e2e_smoke.json + .png"
  "$PY" -m benchmarks.e2e.collect --work "$WORK" --out "$RESULTS/e2e_smoke.json" STEPS="$STEPS" SAVE_STEP="$SAVE_STEP" \
    SWITCH_STEP="$SWITCH_STEP" TRAIN_BATCH="$TRAIN_BATCH" ROLLOUT_N="$ROLLOUT_N" LR="$LR" SFT_STEPS="$SFT_STEPS" \
    MAX_RESPONSE_LEN="$MAX_RESPONSE_LEN"
fi
if want rehearsal-collect; then
  say "collect (rehearsal): the pass-rate sampling, written by verl's own file logger and rollout dump writer"
  rm -rf "$RUNS/rehearsal"
  "$PY" -m benchmarks.e2e.rehearsal_log --dump "$WORK/passrate_samples.jsonl" --run-dir "$RUNS/rehearsal"
  "$PY" -m benchmarks.e2e.collect --work "$WORK" --names rehearsal --out "$WORK/rehearsal/e2e_rehearsal.json" \
    --title "CPU rehearsal: sampling chunks of the warm-up model, no RL update" TRAIN_BATCH="$TRAIN_BATCH" \
    ROLLOUT_N="$ROLLOUT_N" SFT_STEPS="$SFT_STEPS"
fi
CKPT=$RUNS/srpo/ckpt/global_step_$STEPS/actor
MERGED=$WORK/merged
RUN_CONFIG=$RUNS/srpo/hydra/.hydra/config.yaml          # hydra writes the composed config of the SRPO run here
[[ $REHEARSAL == 1 ]] && RUN_CONFIG=$RUNS/srpo/composed.yaml   # the rehearsal's: the same, from --cfg job
if want merge; then
  if [[ $REHEARSAL == 1 ]]; then
    say "rehearsal checkpoint: the warm model saved by verl's FSDPCheckpointManager (CPU, gloo)"
    "$PY" -m benchmarks.e2e.cpu_checkpoint --model "$WARM" --root "$RUNS/srpo/ckpt" --step "$STEPS"
  fi
  rm -rf "$MERGED"
  say "merge $CKPT -> $MERGED"
  "$PY" -m release merge --ckpt "$CKPT" --out "$MERGED"
fi
if want eval; then
  backend=vllm; n=8; [[ $REHEARSAL == 1 ]] && { backend=transformers; n=2; }
  for task in aime24 lcb; do
    say "eval $task on the fixtures ($backend, n=$n)"
    if [[ $task == aime24 ]]; then src=(--dataset "$DATA/eval/aime/aime.parquet" --expect-problems 0)
    else src=(--dataset "$DATA/eval/lcb" --release release_v1); fi
    vllm_args=(); [[ $backend == vllm ]] && vllm_args=(--gpu-memory-utilization 0.3 --max-model-len 512)
    "$PY" -m eval "$task" --model "$MERGED" --out "$WORK/eval/$task" --overwrite --backend "$backend" \
      --prompt-style chat --n "$n" --max-new-tokens "$MAX_RESPONSE_LEN" "${src[@]}" "${vllm_args[@]}"
  done
  [[ $REHEARSAL == 0 ]] && mkdir -p "$RESULTS" && for task in aime24 lcb; do
    cp "$WORK/eval/$task/results.json" "$RESULTS/e2e_eval_$task.json"; done
fi
if want release; then
  say "make release (dry run: prints the Hub plan, pushes nothing)"
  # BASE_MODEL=none: the warm-up model the run trained from is local and not on the Hub
  release=(CKPT="$CKPT" OUT="$MERGED" REPO_ID=verl-srpo/tiny-e2e-smoke RUN_CONFIG="$RUN_CONFIG" MAX_SHARD_SIZE=5GB
           BASE_MODEL=none EVAL="$WORK/eval/aime24/results.json $WORK/eval/lcb/results.json")
  set +e
  if command -v make > /dev/null; then
    make --no-print-directory release PYTHON="$PY" "${release[@]}" 2>&1 | tee "$WORK/release.log"
  else  # a bare image without make (the lent H100's): the recipe make runs, from `make -n release`
    say "no make here: running the Makefile's release recipe with $PY"
    "$PY" -m release publish --repo-id verl-srpo/tiny-e2e-smoke --out "$MERGED" --run-config "$RUN_CONFIG" \
      --ckpt "$CKPT" --eval "$WORK/eval/aime24/results.json" "$WORK/eval/lcb/results.json" --license apache-2.0 \
      --base-model none \
      --max-shard-size 5GB 2>&1 | tee "$WORK/release.log"
  fi
  rc=${PIPESTATUS[0]}
  set -e
  [[ $rc == 0 ]] || { say "release failed (rc $rc)"; exit 1; }
fi
if [[ -n "${OUT:-}" && -d "${OUT:-}" && $REHEARSAL == 0 ]]; then
  mkdir -p "$OUT/results" && cp -r "$RESULTS"/e2e_* "$OUT/results/" 2>/dev/null || true
  for name in srpo srpo_resume grpo; do [[ -f $RUNS/$name/train.log ]] && tail -c 200000 "$RUNS/$name/train.log" > "$OUT/$name.log"; done
  cp "$WORK/passrate.json" "$OUT/" 2>/dev/null || true
fi
say "done: phases $PHASES (work: $WORK)"
