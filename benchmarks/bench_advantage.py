"""Time the ``srpo`` estimator against verl's own ``grpo`` and ``grpo_vectorized``, on the same inputs.

    python benchmarks/bench_advantage.py            # 8192 x 8192 and 2048 x 4096, 5 repeats each
    python benchmarks/bench_advantage.py --quick    # a small size, for the test suite

The estimator runs on the driver every step, on up to 256 prompts x 32 rollouts x 32k tokens. Inputs:
outcome rewards on the last response token, left-aligned response masks of random length (a quarter
truncated at the maximum), groups of 32. ``srpo`` runs with truncation zeroing on (its default), which
costs one column read. Prints the median time of each estimator and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from omegaconf import OmegaConf
from verl.trainer.ppo.core_algos import get_adv_estimator_fn

import verl_srpo.advantage  # noqa: F401  (registers srpo)

GROUP = 32


def make_inputs(bs: int, length: int, seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, length + 1, (bs,), generator=gen)
    lengths[torch.rand(bs, generator=gen) < 0.25] = length
    mask = (torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)).float()
    rewards = torch.zeros(bs, length)
    rewards[torch.arange(bs), lengths - 1] = torch.randint(0, 2, (bs,), generator=gen).float()
    index = np.array([f"uid-{i // GROUP}" for i in range(bs)], dtype=object)
    return {"token_level_rewards": rewards, "response_mask": mask, "index": index}


def time_estimator(name: str, inputs: dict, config, repeats: int) -> float:
    fn = get_adv_estimator_fn(name)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(**inputs, config=config)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(bs: int, length: int, repeats: int) -> dict[str, float]:
    inputs = make_inputs(bs, length)
    config = OmegaConf.create(
        {"norm_adv_by_std_in_grpo": True, "srpo_zero_truncated_adv": True, "srpo_max_response_length": length}
    )
    results = {name: time_estimator(name, inputs, config, repeats) for name in ("srpo", "grpo_vectorized", "grpo")}
    floor = []
    for _ in range(repeats):  # the memory floor: allocate and write one (bs, L) float tensor
        start = time.perf_counter()
        torch.ones(bs, length).mul_(2.0)
        floor.append(time.perf_counter() - start)
    results["floor (alloc+write one bs x L tensor)"] = statistics.median(floor)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size, 3 repeats")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [(512, 1024)] if args.quick else [(8192, 8192), (2048, 4096)]
    repeats = 3 if args.quick else args.repeats
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {repeats}")
    for bs, length in sizes:
        res = run(bs, length, repeats)
        print(f"\n{bs} responses x {length} tokens")
        for name, seconds in res.items():
            print(f"  {name:40s} {seconds * 1e3:9.1f} ms")
        print(f"  srpo / grpo_vectorized = {res['srpo'] / res['grpo_vectorized']:.3f}  (target <= 1.10)")
        print(f"  grpo / srpo            = {res['grpo'] / res['srpo']:.2f}x (target >= 2.5x)")


if __name__ == "__main__":
    main()
