#!/usr/bin/env bash
# The device calls of the GPU smoke run, one subcommand per call (benchmarks/e2e/README.md, "The device calls").
# Run from the carried working tree on the lent GPU machine; everything that must outlive a call lives in /tmp.
#
#   bash benchmarks/e2e/device.sh start     # call 1 (carry .gpu/p1 .gpu/extra .gpu/relfix [.gpu/warm]): kit piece 1; the project
#                                           #   copied to /tmp/proj; the warm-up started in the background, unless a
#                                           #   warm model was carried in .gpu/warm (WORK's data/, model/warm, passrate)
#   bash benchmarks/e2e/device.sh piece 2   # call 2 (carry .gpu/p2): kit piece 2
#   bash benchmarks/e2e/device.sh main      # call 3 (carry .gpu/p3 .gpu/run): unpack the kit; the GPU tests in the
#                                           #   background; wait for the warm-up; then, in the background, train
#                                           #   (SRPO and GRPO side by side), collect, merge, eval, release, bundle;
#                                           #   returns after about MAIN_WAIT_S seconds with the log's tail
#   bash benchmarks/e2e/device.sh finish    # call 4: wait for the chain (at most FINISH_WAIT_S), copy results to $OUT
#
# Everything a background job writes is under WORK (/tmp/srpo-e2e): warm.log/.rc, gputests.log/.json, main.log/.rc,
# bundle.tgz. Knobs of the run itself are gpu_smoke.sh's (see its header).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
WORK=${WORK:-/tmp/srpo-e2e}
PROJ=${PROJ:-/tmp/proj}
MAIN_WAIT_S=${MAIN_WAIT_S:-540}
FINISH_WAIT_S=${FINISH_WAIT_S:-570}
export WORK
say() { echo "[device $(date -u +%H:%M:%S)] $*"; }

piece() {
  mkdir -p /tmp/carry
  cp ".gpu/p$1"/* /tmp/carry/
  say "kit piece $1 in /tmp/carry: $(cd /tmp/carry && echo *)"
}

# Run "$@" detached (a new session), so it survives the end of this call on the same warm machine.
detach() { setsid nohup bash -c "$*" > /dev/null 2>&1 < /dev/null & }

start() {
  piece 1
  rm -rf "$PROJ" && mkdir -p "$PROJ" "$WORK"
  tar --exclude=./.gpu/p1 --exclude=./.git -cf - . | tar -C "$PROJ" -xf -
  if [[ -d .gpu/warm/model/warm ]]; then
    cp -r .gpu/warm/. "$WORK/"
    echo 0 > "$WORK/warm.rc"
    say "warm model carried: $(cd "$WORK" && echo *)"
  else
    rm -f "$WORK/warm.rc"
    detach "cd $PROJ && bash benchmarks/e2e/gpu_smoke.sh --phases data,model,passrate > $WORK/warm.log 2>&1;" \
      "echo \$? > $WORK/warm.rc"
    sleep 20
    tail -3 "$WORK/warm.log" || true
  fi
  nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true
}

# Wait until FILE exists, at most LIMIT seconds; say what was waited for.
wait_for() {
  local file=$1 limit=$2 what=$3 t0=$SECONDS
  while [[ ! -f $file && $((SECONDS - t0)) -lt $limit ]]; do sleep 2; done
  say "$what: $([[ -f $file ]] && echo "done after $((SECONDS - t0)) s" || echo "NOT done after $limit s")"
}

main() {
  piece 3
  # shellcheck source=/dev/null
  source .gpu/run/device-setup.sh
  cd "$PROJ"
  rm -f "$WORK/gputests.json" "$WORK/main.rc" "$WORK/bundle.done"
  detach "python3 -m compileall -q -j 8 /tmp/site > /dev/null 2>&1"   # bytecode once, not in every Ray process
  # The GPU tests start vLLM engines at up to 0.9 of the memory (the card's snippet): they run while the warm-up
  # (a few hundred MB) finishes, never beside the training runs' engines. The release fixture was built on the CPU.
  detach "SRPO_RELEASE_FIXTURE=$PROJ/.gpu/relfix bash benchmarks/e2e/gpu_smoke.sh --phases gputests" \
    "> $WORK/gputests.out 2>&1"
  wait_for "$WORK/warm.rc" 420 "warm-up"
  tail -30 "$WORK/warm.log" 2> /dev/null || true
  [[ $(cat "$WORK/warm.rc" 2> /dev/null) == 0 ]] || { say "warm-up failed"; exit 1; }
  wait_for "$WORK/gputests.json" 300 "GPU tests"
  tail -4 "$WORK/gputests.log" 2> /dev/null || true
  detach "cd $PROJ && bash benchmarks/e2e/gpu_smoke.sh --phases train,collect,merge,eval,release > $WORK/main.log 2>&1;" \
    "echo \$? > $WORK/main.rc; bash benchmarks/e2e/gpu_smoke.sh --phases bundle >> $WORK/main.log 2>&1;" \
    "touch $WORK/bundle.done"
  say "training started; following main.log for up to $MAIN_WAIT_S s"
  while [[ ! -f $WORK/bundle.done && $SECONDS -lt $MAIN_WAIT_S ]]; do sleep 5; done
  report
}

report() {
  say "main.rc: $(cat "$WORK/main.rc" 2> /dev/null || echo running)"
  tail -40 "$WORK/main.log" 2> /dev/null | cut -c1-400 || true
  tail -3 "$WORK/gputests.log" 2> /dev/null || true
  for name in srpo grpo; do
    grep -E "step:[0-9]+ " "$WORK/runs/$name/train.log" 2> /dev/null | tail -1 | cut -c1-200 || true
  done
}

finish() {
  while [[ ! -f $WORK/bundle.done && $SECONDS -lt $FINISH_WAIT_S ]]; do sleep 5; done
  report
  if [[ -n ${OUT:-} ]]; then
    cp "$WORK/bundle.tgz" "$OUT/" 2> /dev/null || true
    cp "$WORK/main.log" "$WORK/gputests.log" "$OUT/" 2> /dev/null || true
    cp "$PROJ"/benchmarks/results/e2e_* "$OUT/" 2> /dev/null || true
    ls -la "$OUT"
  fi
}

case "${1:-}" in
  start) start ;;
  piece) piece "${2:?piece number}" ;;
  main) main ;;
  finish) finish ;;
  *) echo "usage: device.sh start | piece N | main | finish" >&2; exit 2 ;;
esac
