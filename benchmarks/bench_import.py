"""What the plugin adds to ``import verl``, which verl runs in every process of a launch.

    python benchmarks/bench_import.py            # 7 fresh interpreters per case, medians
    python benchmarks/bench_import.py --repeats 3

verl imports every ``verl.plugins`` entry point on ``import verl`` (driver, Ray TaskRunner, FSDP workers,
vLLM server, agent-loop workers). Three cases, each timed in fresh interpreters, alternating so that
machine load hits them alike:

* ``none``: ``VERL_USE_EXTERNAL_PLUGINS=none``, verl alone;
* ``plugin``: the installed entry point (:mod:`verl_srpo.plugin`, registering lazily);
* ``eager``: what the entry point cost before it became lazy: verl, then the estimator and the trainer.

Prints each median and ``plugin - none`` (target: at most 0.3 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

TIMER = "import time; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"
CASES = {
    "none": ({"VERL_USE_EXTERNAL_PLUGINS": "none"}, "import verl"),
    "plugin": ({}, "import verl"),
    "eager": ({"VERL_USE_EXTERNAL_PLUGINS": "none"}, "import verl, verl_srpo.advantage, verl_srpo.trainer"),
}


def time_import(case: str) -> float:
    env_extra, body = CASES[case]
    env = {k: v for k, v in os.environ.items() if k != "VERL_USE_EXTERNAL_PLUGINS"}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", TIMER.format(body=body)], env=env, capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {case: [] for case in CASES}
    time_import("none")  # warm the file cache and __pycache__ once
    for _ in range(args.repeats):
        for case in CASES:
            times[case].append(time_import(case))
    medians = {case: statistics.median(values) for case, values in times.items()}
    for case, values in times.items():
        print(f"import verl ({case:6s}): median {medians[case]:.2f} s  (min {min(values):.2f}, "
              f"max {max(values):.2f}, n={len(values)})")
    print(f"plugin - none = {medians['plugin'] - medians['none']:+.2f} s (target <= 0.30 s); "
          f"eager - none = {medians['eager'] - medians['none']:+.2f} s")
    return medians


if __name__ == "__main__":
    main()
