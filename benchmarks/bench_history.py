"""Memory and speed of SRPO's history resampling at real dataset sizes.

    python benchmarks/bench_history.py                # 1,000,000 prompts, 256 x 32 rollouts a step
    python benchmarks/bench_history.py --quick        # 20,000 prompts, for the test suite

Builds the SRPO sampler over N prompts (half math, half code, random 63-bit ``extra_info.index``
values as recipes/data writes them), draws with a solved share of 30%, and prints what it measured:

* bytes per prompt of history (target <= 64), of everything the sampler holds per prompt, and of its
  state in a checkpoint's ``data.pt`` (history, ids and domains for the resume check, the epoch order);
* one epoch rebuild: HR's boundary (drop / re-admit) and the next shuffled order (target < 1 s), in
  natural proportions and with ``stage2_weights`` (per-step shares, per-domain floors);
* one step's update: recording 256 x 32 outcomes by stable id (target < 20 ms), and with SRPO's
  step metrics over the same rows.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import numpy as np
import torch

from verl_srpo.history import PromptHistory
from verl_srpo.metrics import StepRows, domain_metrics, identical_group_fraction
from verl_srpo.sampler import SRPOBatchSampler
from verl_srpo.stages import Rows, StagePlan


def build(n: int, step_batch: int, seed: int = 0, weights: dict | None = None) -> SRPOBatchSampler:
    rng = np.random.default_rng(seed)
    ids = np.unique(rng.integers(0, 2**62, size=n + n // 100, dtype=np.int64))[:n]  # distinct, sorted
    ids = rng.permutation(ids)
    domain = (rng.random(n) < 0.5).astype(np.int8)
    rows = Rows(ids=ids, domain=domain, domain_names=["math", "code"])
    plan = StagePlan(rows.domain_names, np.bincount(domain), ["math"], weights)
    history = PromptHistory(n, readmit_fraction=0.05, min_pool_size=step_batch)
    sampler = SRPOBatchSampler(rows, plan, step_batch, step_batch, seed, history)
    sampler.enter_stage(2)
    return sampler


def step_rows(row_ids: np.ndarray, rows: np.ndarray, rng: np.random.Generator, n: int) -> StepRows:
    """A step's rollouts: ``n`` per prompt of ``rows`` (dataset rows), 30% of prompts solved."""
    prompts = len(rows)
    ids = np.repeat(row_ids[rows], n)
    solved = np.repeat(rng.random(prompts) < 0.3, n)
    acc = np.where(solved, 1.0, (rng.random(prompts * n) < 0.4).astype(float))
    uid = np.repeat(np.arange(prompts).astype(str).astype(object), n)
    return StepRows([], uid, ids, acc, acc + 0.1, rng.integers(100, 16000, prompts * n).astype(float))


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=256, help="prompts a step (SRPO.md 'Scale': 256)")
    parser.add_argument("--rollouts", type=int, default=32, help="rollouts a prompt (SRPO.md 'Scale': 32)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20,000 prompts, 2 repeats")
    args = parser.parse_args()
    if args.quick:
        args.prompts, args.repeats = 20_000, 2
    n, rng = args.prompts, np.random.default_rng(1)
    sampler = build(n, args.batch)
    row_ids = sampler.ids_of_rows(np.arange(n))
    order = np.concatenate([np.asarray(b) for b in iter(sampler)])  # the first epoch
    for start in range(0, len(order) // 4, args.batch):  # outcomes for a quarter of the pool
        rows = step_rows(row_ids, order[start : start + args.batch], rng, args.rollouts)
        sampler.record(rows.ids, rows.acc >= 1.0)

    history_bytes = sampler.history.nbytes / n
    held = sampler.history.nbytes + sampler.domain.nbytes + sampler.ids.nbytes + sampler._row.nbytes
    held += sampler._rank_by_row.nbytes + sampler._order.nbytes
    saved = io.BytesIO()
    torch.save(sampler.state_dict(), saved)
    rebuild = timed(sampler._new_epoch, args.repeats)
    weighted = build(n, args.batch, weights={"math": 1, "code": 1})
    for start in range(0, len(order) // 4, args.batch):  # the same quarter solved
        weighted.record(row_ids[order[start : start + args.batch]], np.ones(args.batch, dtype=bool))
    rebuild_weighted = timed(weighted._new_epoch, args.repeats)
    rows = step_rows(row_ids, order[-args.batch :], rng, args.rollouts)
    record = timed(lambda: sampler.record(rows.ids, rows.acc >= 1.0), args.repeats * 4)

    def with_metrics():
        ranks = sampler.record(rows.ids, rows.acc >= 1.0)
        identical_group_fraction(rows.uid, rows.acc)
        domain_metrics(sampler.domain[ranks], sampler.plan.domain_names, rows)

    full = timed(with_metrics, args.repeats * 4)
    print(f"prompts: {n:,}; step: {args.batch} x {args.rollouts} rollouts; dropped so far: {sampler.history.dropped_total:,}")
    print(f"history bytes/prompt: {history_bytes:.1f} (target <= 64)")
    print(f"sampler bytes/prompt (history + domain + id index + epoch order): {held / n:.1f}")
    print(f"checkpoint state bytes/prompt (data.pt): {saved.getbuffer().nbytes / n:.1f}")
    print(f"epoch rebuild: {rebuild * 1e3:.1f} ms (target < 1000 ms)")
    print(f"epoch rebuild with stage2_weights: {rebuild_weighted * 1e3:.1f} ms (target < 1000 ms)")
    print(f"step update (record {args.batch * args.rollouts} outcomes): {record * 1e3:.2f} ms (target < 20 ms)")
    print(f"step update + srpo step metrics: {full * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
