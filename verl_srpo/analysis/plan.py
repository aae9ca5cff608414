"""``verl-srpo plan``: what SRPO will do with a data set, from its pass@k labels, before any GPU is spent.

A prompt of pass rate ``p`` (its label ``num_correct / pass_k``, taken as static) sampled ``G`` times gives
an all-correct group with probability ``p^G`` and an all-wrong one with ``(1-p)^G``: both have zero
advantage (``shared/SRPO.md``, "History Resampling (HR)"). From that, per domain and per stage:

* the expected share of zero-advantage groups of a step, ``mean(p^G + (1-p)^G)`` over what the step draws;
* the pool after each HR boundary: a prompt drawn in the epoch just ended leaves with probability ``p^G``
  (never below ``max(min_pool_size, B)``), and ``round(readmit_fraction x dropped)`` dropped prompts come back;
* the steps of each epoch (``floor(pool / B)``, as the sampler cuts epochs), the stage switch and the total;
* DAPO's over-generation factor: prompts generated per informative group kept, ``1 / (1 - mean zero-adv)``.

The pool is followed per prompt in expectation (``active``: P(in the pool), ``pending``: P(in the pool and its
last group all correct)); tests check it against a Monte-Carlo run of the real sampler and history.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from verl_srpo.stages import StagePlan


def zero_adv_probability(p: np.ndarray, group: int) -> np.ndarray:
    """(N,) probability that a group of ``group`` rollouts at pass rates ``p`` (N,) is all correct or all wrong."""
    p = np.asarray(p, dtype=np.float64)
    return p**group + (1.0 - p) ** group


def dapo_factor(zero_adv: float) -> float:
    """Prompts DAPO's dynamic sampling generates per informative (mixed) group it keeps: ``1 / (1 - z)``."""
    return math.inf if zero_adv >= 1.0 else 1.0 / (1.0 - zero_adv)


@dataclass
class PlanSettings:
    """The run the plan predicts. ``staged=False`` is verl's sync trainer (GRPO/DAPO): every row every epoch."""

    rollout_n: int
    train_batch_size: int
    total_steps: int
    history: bool = True
    readmit_fraction: float = 0.0
    min_pool_size: int = 0
    stage1_domains: list = field(default_factory=lambda: ["math"])
    stage2_weights: dict | None = None
    switch_step: int | None = None
    switch_epoch: int | None = 1
    staged: bool = True

    @classmethod
    def from_options(cls, opts: Any, rollout_n: int, train_batch_size: int, total_steps: int,
                     staged: bool = True) -> PlanSettings:
        """From an ``srpo`` block (:class:`verl_srpo.config.schema.SRPOConfig`)."""
        weights = opts.stages.stage2_weights
        return cls(rollout_n, train_batch_size, total_steps, opts.history.enable, opts.history.readmit_fraction,
                   opts.history.min_pool_size, list(opts.stages.stage1_domains),
                   None if weights is None else dict(weights), opts.stages.switch_step, opts.stages.switch_epoch,
                   staged)


@dataclass
class Epoch:
    """One epoch of the sampler (a pass over the pool), expected values."""

    index: int  # 1-based over the run, as srpo/epoch counts
    stage: int
    first_step: int
    steps: int
    pool: dict[str, float]  # prompts in the pool per domain, after the boundary that opened the epoch
    dropped: float  # at that boundary
    readmitted: float
    zero_adv: float  # share of a step's groups
    zero_adv_by_domain: dict[str, float]
    draws: dict[str, float]  # share of the epoch's draws per domain


@dataclass
class Plan:
    settings: PlanSettings
    rows: dict[str, int]
    mean_pass_rate: dict[str, float]
    grpo_zero_adv: dict[str, float]  # every row drawn uniformly (no HR): verl's grpo on this data
    dapo_factor: dict[str, float]
    steps_per_epoch: int  # verl's counter: len(dataset) // train_batch_size
    epochs: list[Epoch]

    def epoch_at(self, step: int) -> Epoch | None:
        return next((e for e in self.epochs if e.first_step <= step < e.first_step + e.steps), None)

    def stages(self) -> list[dict]:
        """Per stage: steps, step-weighted zero-advantage share, pool at the first and last epoch."""
        out = []
        for stage in sorted({e.stage for e in self.epochs}):
            eps = [e for e in self.epochs if e.stage == stage]
            steps = sum(e.steps for e in eps)
            out.append({"stage": stage, "first_step": eps[0].first_step, "steps": steps,
                        "zero_adv": sum(e.zero_adv * e.steps for e in eps) / steps,
                        "pool_first": sum(eps[0].pool.values()), "pool_last": sum(eps[-1].pool.values())})
        return out

    def to_json(self) -> dict:
        return {**asdict(self), "stages": self.stages()}


def _boundary(active: np.ndarray, pending: np.ndarray, eligible: np.ndarray, floor: int,
              readmit_fraction: float) -> tuple[float, float]:
    """History resampling at an epoch boundary, in expectation (``PromptHistory.boundary``). In place."""
    before = eligible * (1.0 - active)  # dropped at earlier boundaries
    candidates = pending * eligible
    expected = candidates.sum()
    room = max(0.0, (active * eligible).sum() - floor)
    drop = candidates * (min(1.0, room / expected) if expected > 0 else 0.0)
    active -= drop
    pending -= drop
    readmitted = 0.0
    if readmit_fraction > 0 and before.sum() > 0:
        readmitted = min(before.sum(), round(readmit_fraction * before.sum()))
        active += before * (readmitted / before.sum())  # their history is cleared: nothing pending
    return float(drop.sum()), float(readmitted)


def _epoch_draws(stage: int, plan: StagePlan, pool: np.ndarray) -> np.ndarray:
    """(D,) share of an epoch's draws per domain: the pool's proportions, or stage 2's weights."""
    if stage == 1 or plan.natural2:
        return pool / pool.sum()
    weights = plan.weights2 * (pool > 0)
    return weights / weights.sum()


def timeline(p: np.ndarray, domain: np.ndarray, names: list[str], s: PlanSettings) -> list[Epoch]:
    """The expected epochs of a run over rows of pass rates ``p`` (N,) and domain codes ``domain`` (N,)."""
    G, B = s.rollout_n, s.train_batch_size
    q, z = np.asarray(p, float) ** G, zero_adv_probability(p, G)
    n_domains = len(names)
    plan = StagePlan(names, np.bincount(domain, minlength=n_domains), list(s.stage1_domains), s.stage2_weights) \
        if s.staged else None
    active, pending = np.ones(len(p)), np.zeros(len(p))
    staged_history = s.staged and s.history
    stage = 2 if s.staged and s.switch_step is not None and s.switch_step <= 1 else 1
    step, stage_epochs, epochs = 1, 0, []
    while step <= s.total_steps:
        eligible = np.isin(domain, plan.domains(stage)).astype(float) if s.staged else np.ones(len(p))
        dropped = readmitted = 0.0
        if staged_history:
            dropped, readmitted = _boundary(active, pending, eligible, max(s.min_pool_size, B), s.readmit_fraction)
        in_pool = active * eligible
        pool = np.bincount(domain, weights=in_pool, minlength=n_domains)
        if pool.sum() < B - 1e-9:
            raise ValueError(f"stage {stage}'s pool is expected to hold {pool.sum():.0f} prompts, fewer than one step "
                             f"(train batch size {B}): add data or lower the batch size.")
        full = int(math.floor(pool.sum() / B + 1e-9))
        steps = full
        if s.staged and stage == 1 and s.switch_step is not None:
            steps = min(steps, s.switch_step - step)
        steps = min(steps, s.total_steps - step + 1)
        share = _epoch_draws(stage, plan, pool) if s.staged else pool / pool.sum()
        per_domain_z = np.bincount(domain, weights=in_pool * z, minlength=n_domains) / np.maximum(pool, 1e-12)
        drawn = np.minimum(1.0, share * steps * B / np.maximum(pool, 1e-12))  # P(drawn | in the pool), per domain
        present = pool > 1e-9
        epochs.append(Epoch(
            len(epochs) + 1, stage, step, steps, {names[d]: float(pool[d]) for d in range(n_domains) if present[d]},
            dropped, readmitted, float((share * per_domain_z)[present].sum()),
            {names[d]: float(per_domain_z[d]) for d in range(n_domains) if present[d]},
            {names[d]: float(share[d]) for d in range(n_domains) if present[d]}))
        f = drawn[domain] * eligible
        pending = pending * (1.0 - f) + active * f * q
        step += steps
        if s.staged and stage == 1:
            stage_epochs += steps == full
            if (s.switch_epoch is not None and stage_epochs >= s.switch_epoch) or (
                    s.switch_step is not None and step >= s.switch_step):
                stage = 2
    return epochs


def make_plan(p: np.ndarray, domain: np.ndarray, names: list[str], s: PlanSettings) -> Plan:
    """Everything ``verl-srpo plan`` prints, for pass rates ``p`` (N,) and domain codes ``domain`` (N,)."""
    if s.rollout_n < 2 or s.train_batch_size < 1 or s.total_steps < 1:
        raise ValueError(f"need rollout_n >= 2 (got {s.rollout_n}), train_batch_size >= 1 (got {s.train_batch_size}) "
                         f"and at least one step (got {s.total_steps}).")
    z = zero_adv_probability(p, s.rollout_n)
    groups = [(names[c], domain == c) for c in range(len(names))] + [("all", np.ones(len(p), bool))]
    return Plan(s, {n: int(m.sum()) for n, m in groups}, {n: float(np.mean(p[m])) for n, m in groups},
                {n: float(np.mean(z[m])) for n, m in groups}, {n: dapo_factor(float(np.mean(z[m]))) for n, m in groups},
                len(p) // s.train_batch_size, timeline(p, domain, names, s))


def load(data: Any, domain_field: str = "ability", data_source_domains: Any = None):
    """``(pass rates (N,), domain codes (N,), domain names)`` of training parquet(s) ``data``."""
    from verl_srpo.analysis.data import pass_rates, read_table, training_rows

    table = read_table(data)
    rows = training_rows(table, domain_field, data_source_domains)
    return pass_rates(table), rows.domain.astype(np.int64), rows.domain_names


def plan_for_config(cfg: Any, data: Any) -> Plan:
    """The plan of a composed (or saved) verl config over training parquet(s) ``data``."""
    from verl_srpo.analysis.runs import cfg_get
    from verl_srpo.config.schema import srpo_options
    from verl_srpo.names import TRAINER_MODE

    opts = srpo_options(cfg)
    p, domain, names = load(data, opts.stages.domain_field, opts.stages.data_source_domains)
    batch = int(cfg_get(cfg, "data.train_batch_size"))
    epochs = int(cfg_get(cfg, "trainer.total_epochs", 1))
    total = cfg_get(cfg, "trainer.total_training_steps") or len(p) // batch * epochs  # as verl counts its steps
    staged = cfg_get(cfg, "trainer.v1.trainer_mode") == TRAINER_MODE
    settings = PlanSettings.from_options(opts, int(cfg_get(cfg, "actor_rollout_ref.rollout.n")), batch, int(total),
                                         staged)
    return make_plan(p, domain, names, settings)


def render(plan: Plan, source: str = "", lengths: tuple[int, int] | None = None) -> str:
    """The plan as text: derived numbers, per-domain table, the epoch timeline and per-stage summary."""
    s, n = plan.settings, plan.rows["all"]
    names = [d for d in plan.rows if d != "all"]
    lines = [f"verl-srpo plan: {source} {n} rows ({', '.join(f'{d} {plan.rows[d]}' for d in names)}); "
             f"G = {s.rollout_n} rollouts, B = {s.train_batch_size} prompts a step", "",
             "Derived numbers (as the recipe headers state them):",
             f"  responses per step  = {s.train_batch_size} prompts x {s.rollout_n} rollouts = "
             f"{s.train_batch_size * s.rollout_n}"]
    if lengths:
        responses = s.train_batch_size * s.rollout_n
        lines.append(f"  max tokens per step = {responses} x ({lengths[0]} prompt + {lengths[1]} response) = "
                     f"{responses * (lengths[0] + lengths[1])}")
    lines += [f"  steps per epoch     = floor({n} rows / {s.train_batch_size}) = {plan.steps_per_epoch}"
              "   (verl's epoch: trainer.total_epochs counts these)",
              f"  total steps         = {s.total_steps}", "",
              f"Per domain (static pass rates; zero-advantage group: p^{s.rollout_n} + (1-p)^{s.rollout_n}):",
              f"  {'domain':8s} {'rows':>6s} {'mean p':>7s} {'zero-adv, no HR':>16s} {'DAPO over-generation':>21s}"]
    for d in [*names, "all"]:
        lines.append(f"  {d:8s} {plan.rows[d]:6d} {plan.mean_pass_rate[d]:7.3f} {plan.grpo_zero_adv[d]:16.3f} "
                     f"{plan.dapo_factor[d]:20.2f}x")
    hr = (f"HR on, readmit_fraction {s.readmit_fraction:g}, pool floor {max(s.min_pool_size, s.train_batch_size)}"
          if s.history else "HR off")
    switch = ", ".join(f"{k} {'null' if v is None else v}" for k, v in
                       (("switch_step", s.switch_step), ("switch_epoch", s.switch_epoch)))
    lines += ["", f"Timeline (expected; {hr if s.staged else 'sync trainer: no HR, no stages'}"
              f"{'; ' + switch if s.staged else ''}):",
              f"  {'epoch':>5s} {'stage':>5s} {'steps':>11s} {'pool':>8s} {'dropped':>8s} {'readmit':>8s} "
              f"{'zero-adv':>9s}  per domain (pool, zero-adv)"]
    for e in plan.epochs:
        per = ", ".join(f"{d} {e.pool[d]:.1f} {e.zero_adv_by_domain[d]:.3f}" for d in e.pool)
        steps = f"{e.first_step}-{e.first_step + e.steps - 1}"
        lines.append(f"  {e.index:5d} {e.stage:5d} {steps:>11s} {sum(e.pool.values()):8.1f} {e.dropped:8.1f} "
                     f"{e.readmitted:8.1f} {e.zero_adv:9.3f}  {per}")
    lines.append("")
    for st in plan.stages():
        lines.append(f"Stage {st['stage']}: steps {st['first_step']}-{st['first_step'] + st['steps'] - 1} "
                     f"({st['steps']}), zero-adv share {st['zero_adv']:.3f}, pool {st['pool_first']:.0f} -> "
                     f"{st['pool_last']:.0f}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from verl_srpo.config.schema import SRPOConfig

    d = SRPOConfig()
    parser.add_argument("--data", required=True, nargs="+", help="training parquet(s) with pass@k labels")
    parser.add_argument("--rollout-n", type=int, required=True, help="G: actor_rollout_ref.rollout.n")
    parser.add_argument("--train-batch-size", type=int, required=True, help="B: data.train_batch_size")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=int, default=1, help="trainer.total_epochs (of len(data) // B steps)")
    length.add_argument("--total-steps", type=int, default=None, help="trainer.total_training_steps")
    parser.add_argument("--switch-epoch", type=lambda v: None if v == "null" else int(v), default=d.stages.switch_epoch,
                        help=f"srpo.stages.switch_epoch (default {d.stages.switch_epoch}; null disables)")
    parser.add_argument("--switch-step", type=lambda v: None if v == "null" else int(v), default=d.stages.switch_step,
                        help=f"srpo.stages.switch_step (default {d.stages.switch_step or 'null'})")
    parser.add_argument("--readmit-fraction", type=float, default=d.history.readmit_fraction,
                        help=f"srpo.history.readmit_fraction (default {d.history.readmit_fraction})")
    parser.add_argument("--min-pool-size", type=int, default=d.history.min_pool_size,
                        help=f"srpo.history.min_pool_size (default {d.history.min_pool_size})")
    parser.add_argument("--stage2-weights", default=None, help="srpo.stages.stage2_weights, e.g. math=1,code=1")
    parser.add_argument("--stage1-domains", default=",".join(d.stages.stage1_domains),
                        help="srpo.stages.stage1_domains, comma-separated")
    parser.add_argument("--domain-field", default=d.stages.domain_field, help="srpo.stages.domain_field")
    parser.add_argument("--no-history", action="store_true", help="srpo.history.enable=false")
    parser.add_argument("--max-prompt-length", type=int, default=None, help="adds max tokens per step")
    parser.add_argument("--max-response-length", type=int, default=None, help="adds max tokens per step")
    parser.add_argument("--out", default=None, help="folder for plan.json and plan.png (default: print only)")


def main(args: argparse.Namespace) -> int:
    weights = None
    if args.stage2_weights:
        pairs = [kv.split("=", 1) for kv in args.stage2_weights.split(",")]
        if any(len(kv) != 2 for kv in pairs):
            raise SystemExit(f"--stage2-weights {args.stage2_weights!r}: write domain=weight pairs, e.g. math=1,code=1")
        weights = {k.strip(): float(v) for k, v in pairs}
    try:
        p, domain, names = load(args.data, args.domain_field)
        total = args.total_steps or len(p) // max(1, args.train_batch_size) * args.epochs
        settings = PlanSettings(args.rollout_n, args.train_batch_size, total, not args.no_history,
                                args.readmit_fraction, args.min_pool_size,
                                [d for d in args.stage1_domains.split(",") if d], weights, args.switch_step,
                                args.switch_epoch)
        plan = make_plan(p, domain, names, settings)
    except (ValueError, FileNotFoundError) as exc:
        raise SystemExit(f"verl-srpo plan: {exc}") from None
    lengths = (args.max_prompt_length, args.max_response_length) if args.max_prompt_length and \
        args.max_response_length else None
    print(render(plan, " ".join(args.data) + ":", lengths))
    if args.out:
        from verl_srpo.analysis.dashboard import plan_figure

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "plan.json").write_text(json.dumps(plan.to_json(), indent=1) + "\n")
        png = plan_figure(plan, p, domain, names, out / "plan.png")
        print(f"\nwrote {out / 'plan.json'} and {png}")
    return 0
