"""What the plugin adds to ``import verl``, which verl runs in every process of a launch.

    python benchmarks/bench_import.py            # 7 fresh interpreters per case, medians
    python benchmarks/bench_import.py --repeats 3

verl imports every ``verl.plugins`` entry point on ``import verl`` (driver, Ray TaskRunner, FSDP workers,
vLLM server, agent-loop workers). Three cases, each timed in fresh interpreters, alternating so that
machine load hits them alike:

* ``none``: ``VERL_USE_EXTERNAL_PLUGINS=none``, verl alone;
* ``plugin``: the installed entry point (:mod:`verl_srpo.plugin`, registering lazily);
* ``eager``: what the entry point cost before it became lazy: verl, then the estimator and the trainer.

Prints each median and ``plugin - none`` (target: at most 0.3 s). On a loaded machine the medians swing by
seconds, so it also times the entry point's module alone in a process that has imported verl (verl loads
entry points with ``importlib``, which ``python -X importtime`` does not see).
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


PLUGIN_ALONE = ("import verl, time; t = time.perf_counter(); import verl_srpo.plugin; "
                "print(time.perf_counter() - t)")


def plugin_alone_s(repeats: int) -> float:
    """Median seconds of importing the entry point's module in a process that already imported verl: the
    plugin's own share of ``import verl``, which machine load disturbs far less than whole-import timings."""
    env = {k: v for k, v in os.environ.items() if k != "VERL_USE_EXTERNAL_PLUGINS"}
    env["VERL_USE_EXTERNAL_PLUGINS"] = "none"
    times = [float(subprocess.run([sys.executable, "-c", PLUGIN_ALONE], env=env, capture_output=True, text=True,
                                  check=True).stdout.strip().splitlines()[-1]) for _ in range(repeats)]
    return statistics.median(times)


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
    alone = plugin_alone_s(args.repeats)
    print(f"the entry point's module alone, after import verl: median {1000 * alone:.1f} ms")
    return medians


if __name__ == "__main__":
    main()
