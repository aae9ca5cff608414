"""CPU rehearsal of the collect step: the pass-rate sampling written out with verl's own writers.

No RL step runs without a GPU, so the rehearsal does not pretend one did. What it has for real is the
pass-rate measurement of the warm-up model (``passrate --dump``): prompts sampled in chunks of
``--batch`` prompts, ``n`` replies each, scored with the training reward. Each chunk is written as one
"step" with the code verl's trainer uses:

* the rollout dump: verl's ``PPOTrainer._write_generations`` (verl/trainer/ppo/v1/trainer_base.py, through
  ``verl_srpo._verl.write_generations``), with verl's key format ``{uid}_{session}_{index}``;
* the metrics line: ``verl.utils.tracking.Tracking(..., default_backend=["file"])``, holding only what
  was measured (``timing_s/gen``: that chunk's sampling time; ``timing_s/step``: sampling + scoring;
  ``critic/score/mean``; ``response_length/mean``). Nothing SRPO-specific is invented.

The collector then reads these files exactly as it reads a GPU run's.

    python -m benchmarks.e2e.rehearsal_log --dump WORK/passrate_samples.jsonl --run-dir WORK/runs/rehearsal
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import uuid
from pathlib import Path


def write_run(dump: str | Path, run_dir: str | Path) -> int:
    """Write ``run_dir/metrics.jsonl`` and ``run_dir/rollouts/<step>.jsonl``; returns the number of steps."""
    from verl.utils.tracking import Tracking

    from verl_srpo._verl import write_generations

    run_dir = Path(run_dir)
    (run_dir / "rollouts").mkdir(parents=True, exist_ok=True)
    os.environ["VERL_FILE_LOGGER_PATH"] = str(run_dir / "metrics.jsonl")
    chunks = [json.loads(line) for line in Path(dump).read_text().splitlines() if line.strip()]
    if not chunks:
        raise ValueError(f"{dump} holds no samples: run python -m benchmarks.e2e.passrate ... --dump {dump}")
    tracker = Tracking(project_name="verl_srpo_e2e", experiment_name="cpu-rehearsal", default_backend=["file"])
    for step, chunk in enumerate(chunks, start=1):
        inputs, outputs, gts, scores, keys = [], [], [], [], []
        for prompt in chunk["prompts"]:
            uid = str(uuid.uuid4())
            for session, (reply, value) in enumerate(zip(prompt["replies"], prompt["scores"])):
                inputs.append(prompt["text"])
                outputs.append(reply)
                gts.append(prompt["gts"])
                scores.append(value)
                keys.append(f"{uid}_{session}_0")
        write_generations(inputs, outputs, gts, scores, {"uid": keys}, str(run_dir / "rollouts"), step)
        tracker.log({"timing_s/gen": chunk["gen_s"], "timing_s/step": chunk["gen_s"] + chunk["score_s"],
                     "critic/score/mean": statistics.fmean(scores),
                     "response_length/mean": statistics.fmean(chunk["response_lengths"])}, step=step)
    tracker.finish()
    return len(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dump", required=True, help="the samples written by passrate --dump")
    parser.add_argument("--run-dir", required=True, help="run folder to write (metrics.jsonl, rollouts/)")
    args = parser.parse_args(argv)
    steps = write_run(args.dump, args.run_dir)
    print(f"[rehearsal_log] {steps} sampling chunks written as verl steps to {args.run_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
