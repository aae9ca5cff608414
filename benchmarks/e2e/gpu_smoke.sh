#!/usr/bin/env bash
# End-to-end smoke run of verl-srpo on ONE GPU with vLLM: the proof that the whole chain works on real hardware.
#
#   data -> tiny base model + supervised warm-up -> initial pass rates -> the GPU-marked tests (pytest -m gpu)
#   -> SRPO (recipes/srpo/run_debug_1gpu.sh) and verl's GRPO on the same recipe, data, seed and budget, trained
#      CONCURRENTLY on the one GPU (own Ray instance each, vLLM at GPU_MEM_UTIL each), so their step times are
#      measured side by side under the same conditions; SRPO crosses the stage switch and an HR boundary
#   -> per-step metrics into RESULTS/e2e_smoke.json + .png -> merge the SRPO checkpoint (release kit)
#   -> evaluate it with `python -m eval` (vLLM) on AIME- and LiveCodeBench-format fixtures -> `make release` dry run
#
# Usage:
#   bash benchmarks/e2e/gpu_smoke.sh                        # everything, on a machine with a GPU and vLLM
#   bash benchmarks/e2e/gpu_smoke.sh --phases train,collect # some phases (each reuses what earlier ones left in WORK)
#   bash benchmarks/e2e/gpu_smoke.sh --cpu-rehearsal        # no GPU: every step that needs none, for real
# Phases, in order: data model passrate gputests train collect merge eval release bundle
# (not in the default list: resume, a third launch that does not fit the 15-minute device budget; the CPU
# resume tests in tests/test_trainer.py are the proof. The rehearsal: data model passrate compose
# rehearsal-collect merge eval release).
#
# Knobs (environment): WORK (default /tmp/srpo-e2e; outside the repo so it survives between device calls),
# RESULTS (default benchmarks/results), STEPS (12), SAVE_STEP (6), SWITCH_STEP (4), TRAIN_BATCH (16),
# ROLLOUT_N (8), LR (2e-5), SFT_STEPS (at most 5000, stopping at math accuracy TARGET_ACC 0.3; rehearsal 20),
# GPU_MEM_UTIL (0.3 per vLLM engine), RAY_CPUS (8 per training run), STAGGER_S (20: GRPO starts this much later, so
# the two vLLM engines do not profile memory at the same moment), PYTHON (python3). On the lent GPU machine see
# benchmarks/e2e/README.md for the device calls. $OUT, when set, receives a copy of the results.
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
GPU_MEM_UTIL=${GPU_MEM_UTIL:-0.3}  # shared/gpu/README.md: <= 0.3 per engine; two engines share the GPU
RAY_CPUS=${RAY_CPUS:-8}            # (ours) half of the lent machine's 16 cores per training run
STAGGER_S=${STAGGER_S:-20}         # (ours) GRPO's launch follows SRPO's by this much
REHEARSAL=0
PHASES=""
PRINT_LAUNCH=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cpu-rehearsal) REHEARSAL=1 ;;
    --print-launch) PRINT_LAUNCH=$2; shift ;;
    --phases) PHASES=$2; shift ;;
    --phases=*) PHASES=${1#--phases=} ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "gpu_smoke.sh: unknown argument '$1' (use --cpu-rehearsal, --phases a,b,..., --print-launch NAME)" >&2
       exit 2 ;;
  esac
  shift
done
if [[ $REHEARSAL == 1 ]]; then
  ALL="data model passrate compose rehearsal-collect merge eval release"
  SFT_STEPS=${SFT_STEPS:-20}
else
  ALL="data model passrate gputests train collect merge eval release bundle"
  SFT_STEPS=${SFT_STEPS:-5000}
fi
PHASES=${PHASES:-${ALL// /,}}
KNOWN="$ALL"; [[ $REHEARSAL == 0 ]] && KNOWN="$ALL resume"
for p in ${PHASES//,/ }; do
  [[ " $KNOWN " == *" $p "* ]] || { echo "gpu_smoke.sh: unknown phase '$p'; phases: $KNOWN" >&2; exit 2; }
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
    # Runs train side by side on one machine: each starts its own Ray instance (verl's ray.init() with no
    # address), in its own temp dir, on its own share of the cores; Ray, vLLM and TransferQueue pick free ports.
    ray_kwargs.ray_init.num_cpus="$RAY_CPUS"
    +ray_kwargs.ray_init._temp_dir="/tmp/ray_$name"
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
    GPU_MEM_UTIL=$GPU_MEM_UTIL LOGGER='[console,file]' PYTHON="$PY" bash recipes/srpo/run_debug_1gpu.sh "${extra[@]}" "$@"
}

if [[ -n $PRINT_LAUNCH ]]; then   # the full override list of one launch (srpo | srpo_resume | grpo), one per line
  [[ $PRINT_LAUNCH =~ ^(srpo|srpo_resume|grpo)$ ]] || { echo "gpu_smoke.sh: --print-launch srpo|srpo_resume|grpo" >&2; exit 2; }
  DRY_RUN=1 launch "$PRINT_LAUNCH"
  exit 0
fi
# The lent machine's image lacks what the kit does not carry: math-verify (the math reward's symbolic check,
# in every process that scores), a `make` binary (the release targets), and on some images matplotlib. Unpack what
# benchmarks/e2e/pack_extra.sh put in .gpu/extra (carried once) into /tmp/site-extra, which outlives the call.
needs() { for p in "$@"; do want "$p" && return 0; done; return 1; }
if [[ $REHEARSAL == 0 ]]; then
  if [[ ! -f /tmp/site-extra/.ok ]] && compgen -G ".gpu/extra/*.whl" > /dev/null; then
    "$PY" -c 'import glob, zipfile; [zipfile.ZipFile(w).extractall("/tmp/site-extra") for w in glob.glob(".gpu/extra/*.whl")]'
    mkdir -p /tmp/site-extra/bin && cp .gpu/extra/make /tmp/site-extra/bin/ 2> /dev/null || true
    touch /tmp/site-extra/.ok
  fi
  # After the kit's site (device-setup.sh puts it first): the image's own packages win where both have one.
  [[ -f /tmp/site-extra/.ok ]] && export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}/tmp/site-extra PATH=$PATH:/tmp/site-extra/bin
  for module in matplotlib math_verify; do
    needs data model passrate collect eval train gputests || break
    "$PY" -c "import $module" 2> /dev/null || {
      echo "gpu_smoke.sh: $module is missing: run 'bash benchmarks/e2e/pack_extra.sh' and carry .gpu/extra" >&2; exit 2; }
  done
fi
if [[ $REHEARSAL == 0 ]] && needs gputests train resume eval \
   && ! "$PY" -c 'import torch, sys; import vllm; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "gpu_smoke.sh: needs a CUDA GPU and vLLM (pip install -e '.[vllm]'); without them run --cpu-rehearsal" >&2
  exit 2
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 WANDB_MODE=disabled TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
mkdir -p "$WORK" "$RUNS"

# One training launch in the background of this shell: its log, then launch.json with wall time and exit status.
start_training() {
  local name=$1
  rm -rf "${RUNS:?}/$name" "/tmp/ray_$name"; mkdir -p "$RUNS/$name"
  say "launch $name: $STEPS steps (log: $RUNS/$name/train.log)"
  (
    t0=$SECONDS
    set +e
    launch "$name" > "$RUNS/$name/train.log" 2>&1
    rc=$?
    echo "{\"wall_s\": $((SECONDS - t0)), \"rc\": $rc, \"ray_temp_dir\": \"/tmp/ray_$name\"}" > "$RUNS/$name/launch.json"
    # What this run's own Ray instance used: its session folder and ports (checked apart from the other run's).
    cp /tmp/ray_"$name"/session_latest/ports_by_node.json "$RUNS/$name/ray_ports.json" 2> /dev/null || true
    exit $rc
  ) &
}

# Wait for the launches given by name; report each, fail if one failed.
wait_training() {
  local failed=0 name
  for name in "$@"; do
    wait "${PIDS[$name]}" || failed=1
    grep -E "step:[0-9]+ " "$RUNS/$name/train.log" | sed -E 's/ - (.{0,300}).*/ - \1 .../' | tail -3 || true
    say "$name: $(cat "$RUNS/$name/launch.json")"
    [[ $(grep -o '"rc": [0-9]*' "$RUNS/$name/launch.json") == '"rc": 0' ]] || {
      say "$name failed; the end of $RUNS/$name/train.log:"; tail -40 "$RUNS/$name/train.log"; failed=1; }
  done
  return $failed
}
declare -A PIDS

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
if want gputests; then
  say "the GPU-marked tests: pytest -m gpu (log: $WORK/gputests.log)"
  set +e
  # SRPO_RELEASE_FIXTURE (optional): a release fixture built earlier (`make release-fixture FIXTURE=DIR`, e.g. on a CPU)
  "$PY" -m pytest -m gpu -p no:cacheprovider -q -rA tests/eval/test_vllm.py tests/release/test_downstream.py \
    > "$WORK/gputests.log" 2>&1
  echo "{\"rc\": $?}" > "$WORK/gputests.json"
  set -e
  tail -5 "$WORK/gputests.log"
fi
if want train; then
  start_training srpo; PIDS[srpo]=$!
  sleep "$STAGGER_S"
  start_training grpo; PIDS[grpo]=$!
  wait_training srpo grpo
fi
if want resume; then
  start_training srpo_resume; PIDS[srpo_resume]=$!
  wait_training srpo_resume
fi
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
eval_task() {   # eval_task TASK BACKEND N: python -m eval on the merged model, logged to WORK/eval/TASK.log
  local task=$1 backend=$2 n=$3 src vllm_args=()
  if [[ $task == aime24 ]]; then src=(--dataset "$DATA/eval/aime/aime.parquet" --expect-problems 0)
  else src=(--dataset "$DATA/eval/lcb" --release release_v1); fi
  [[ $backend == vllm ]] && vllm_args=(--gpu-memory-utilization "$GPU_MEM_UTIL" --max-model-len 512)
  "$PY" -m eval "$task" --model "$MERGED" --out "$WORK/eval/$task" --overwrite --backend "$backend" \
    --prompt-style chat --n "$n" --max-new-tokens "$MAX_RESPONSE_LEN" "${src[@]}" "${vllm_args[@]}" \
    > "$WORK/eval/$task.log" 2>&1 || { say "eval $task failed:"; tail -30 "$WORK/eval/$task.log"; return 1; }
  tail -2 "$WORK/eval/$task.log"
}
if want eval; then
  mkdir -p "$WORK/eval"
  if [[ $REHEARSAL == 1 ]]; then   # transformers on a few CPU cores: one task at a time
    say "eval aime24 and lcb on the fixtures (transformers, n=2)"
    eval_task aime24 transformers 2
    eval_task lcb transformers 2
  else   # two vLLM engines side by side on the one GPU
    say "eval aime24 and lcb on the fixtures, concurrently (vLLM, n=8; logs: $WORK/eval/*.log)"
    eval_task aime24 vllm 8 & aime_pid=$!
    eval_task lcb vllm 8 & lcb_pid=$!
    wait $aime_pid && wait $lcb_pid
  fi
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
if want bundle; then   # one archive of everything a later analysis needs (no checkpoints, no models)
  say "bundle -> $WORK/bundle.tgz"
  python3 - "$WORK" "$RESULTS" <<'PY' > "$WORK/device.json" || true
import importlib.metadata as md, json, sys
import torch
facts = {"gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu", "versions": {}}
for pkg in ("torch", "vllm", "verl", "transformers", "ray", "verl-srpo"):
    try:
        facts["versions"][pkg] = md.version(pkg)
    except md.PackageNotFoundError:
        facts["versions"][pkg] = None
print(json.dumps(facts))
PY
  mapfile -t parts < <(cd "$WORK" && ls -d runs eval passrate.json gputests.log gputests.json device.json warm.log \
    main.log data/rl/train.parquet 2> /dev/null)
  tar -C "$WORK" -czf "$WORK/bundle.tgz" --exclude='*/ckpt' "${parts[@]}" -C "$PWD" "$RESULTS"
  ls -la "$WORK/bundle.tgz"
fi
if [[ -n "${OUT:-}" && -d "${OUT:-}" && $REHEARSAL == 0 ]]; then
  cp "$RESULTS"/e2e_* "$OUT/" 2> /dev/null || true
  cp "$WORK/bundle.tgz" "$OUT/" 2> /dev/null || true
fi
say "done: phases $PHASES (work: $WORK)"
