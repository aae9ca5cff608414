"""``verl-srpo plan``: what SRPO will do with a data set, from its pass@k labels, before any GPU is spent.

A prompt of pass rate ``p`` (its label ``num_correct / pass_k``, taken as static) sampled ``G`` times gives
an all-correct group with probability ``p^G`` and an all-wrong one with ``(1-p)^G``: both have zero
advantage (``docs/SRPO.md``, "History Resampling (HR)"). From that, per domain and per stage:

* the expected share of zero-advantage groups of a step, ``mean(p^G + (1-p)^G)`` over what the step draws;
* the pool after each HR boundary: a prompt drawn in the epoch just ended leaves with probability ``p^G``
  (never below ``max(min_pool_size, B)``; with stage-2 weights, each domain never below its share of that
  floor, :func:`verl_srpo.stages.floor_sizes`), and ``readmit_fraction x dropped`` dropped prompts come back
  (:func:`verl_srpo.history.readmit_count`: whole prompts, the remainder carried to the next boundary);
* the steps of each epoch (``floor(pool / B)``, as the sampler cuts epochs), the stage switch and the total;
* DAPO's over-generation factor: prompts generated per informative group kept, ``1 / (1 - mean zero-adv)``.

The pool is followed per prompt in expectation (``active``: P(in the pool), ``pending``: P(in the pool and its
last group all correct)); tests check it against a Monte-Carlo run of the real sampler and history.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from verl_srpo.history import readmit_count
from verl_srpo.stages import StagePlan, floor_sizes

if TYPE_CHECKING:  # the schema imports verl (seconds): only where options are built
    from verl_srpo.config.schema import SRPOConfig


def zero_adv_probability(p: np.ndarray, group: int) -> np.ndarray:
    """(N,) probability that a group of ``group`` rollouts at pass rates ``p`` (N,) is all correct or all wrong."""
    p = np.asarray(p, dtype=np.float64)
    return p**group + (1.0 - p) ** group


def dapo_factor(zero_adv: float) -> float:
    """Prompts DAPO's dynamic sampling generates per informative (mixed) group it keeps: ``1 / (1 - z)``."""
    return math.inf if zero_adv >= 1.0 else 1.0 / (1.0 - zero_adv)


def _plugin_defaults() -> SRPOConfig:
    from verl_srpo.config.schema import SRPOConfig

    return SRPOConfig()


@dataclass
class PlanSettings:
    """The run the plan predicts: verl's sizes, and the ``srpo`` block (built and checked by
    :mod:`verl_srpo.config.schema`; default: the plugin's defaults). ``staged=False`` is verl's sync trainer
    (GRPO/DAPO): every row every epoch, ``srpo`` unused.

    Raises ``ValueError`` for ``rollout_n < 2``, ``train_batch_size < 1`` or ``total_steps < 1``.
    """

    rollout_n: int
    train_batch_size: int
    total_steps: int
    srpo: SRPOConfig = field(default_factory=_plugin_defaults)
    staged: bool = True

    def __post_init__(self):
        wrong = [f"{name} >= {low} (got {value})" for name, value, low in
                 (("rollout_n", self.rollout_n, 2), ("train_batch_size", self.train_batch_size, 1),
                  ("total_steps", self.total_steps, 1)) if value < low]
        if wrong:
            raise ValueError(f"need {', '.join(wrong)}.")

    @property
    def floor(self) -> int:
        """HR's pool floor: ``max(srpo.history.min_pool_size, train_batch_size)``, as the trainer sets it."""
        return max(self.srpo.history.min_pool_size, self.train_batch_size)

    def to_json(self) -> dict:
        """The sizes and the ``srpo`` options the plan reads (``history``, ``stages``)."""

        def plain(block: Any) -> dict:
            return {f.name: getattr(block, f.name) for f in fields(block) if f.name != "_target_"}

        return {"rollout_n": self.rollout_n, "train_batch_size": self.train_batch_size,
                "total_steps": self.total_steps, "staged": self.staged,
                "srpo": {"history": plain(self.srpo.history), "stages": plain(self.srpo.stages)}}


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
    stage2_floors: dict[str, int] | None = None  # HR's per-domain floors in weighted stage 2 (None: one floor)

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
        return {**asdict(self), "settings": self.settings.to_json(), "stages": self.stages()}


def _boundary(active: np.ndarray, pending: np.ndarray, eligible: np.ndarray, floors: list[tuple[np.ndarray, int]],
              readmit_fraction: float, carry: float = 0.0) -> tuple[float, float, float]:
    """History resampling at an epoch boundary, in expectation (``PromptHistory.boundary``). In place.

    ``floors``: ``(rows (N,) 0/1, size)`` pairs, each part keeping at least ``size`` prompts in the pool (one
    over the stage's rows, or one a weighted stage-2 domain: :func:`_floors`). Re-admission is
    :func:`verl_srpo.history.readmit_count` of the expected dropped prompts, with its ``carry``.
    Returns ``(dropped, readmitted, carry)``."""
    before = eligible * (1.0 - active)  # dropped at earlier boundaries
    drop = np.zeros_like(active)
    for rows, size in floors:
        candidates = pending * rows
        expected = candidates.sum()
        room = max(0.0, (active * rows).sum() - size)
        drop += candidates * (min(1.0, room / expected) if expected > 0 else 0.0)
    active -= drop
    pending -= drop
    readmitted = 0.0
    if readmit_fraction > 0 and before.sum() > 0:
        readmitted, carry = readmit_count(readmit_fraction, float(before.sum()), carry)
        active += before * (readmitted / before.sum())  # their history is cleared: nothing pending
    return float(drop.sum()), float(readmitted), carry


def _floors(stage: int, plan: StagePlan, domain: np.ndarray, eligible: np.ndarray,
            total: int) -> list[tuple[np.ndarray, int]]:
    """The sampler's floors (``SRPOBatchSampler._floors``): one of ``total`` over the stage's ``eligible`` (N,)
    rows, or in weighted stage 2 one a domain, sized by :func:`verl_srpo.stages.floor_sizes`."""
    if stage == 1 or plan.natural2:
        return [(eligible, total)]
    codes = plan.domains(2)
    rows = [eligible * (domain == code) for code in codes]
    sizes = floor_sizes(plan.weights2[codes], [int(r.sum()) for r in rows], total)
    return [(r, int(size)) for r, size in zip(rows, sizes)]


def _epoch_draws(stage: int, plan: StagePlan, pool: np.ndarray) -> np.ndarray:
    """(D,) share of an epoch's draws per domain: the pool's proportions, or stage 2's weights."""
    if stage == 1 or plan.natural2:
        return pool / pool.sum()
    weights = plan.weights2 * (pool > 0)
    return weights / weights.sum()


def timeline(p: np.ndarray, domain: np.ndarray, names: list[str], s: PlanSettings) -> list[Epoch]:
    """The expected epochs of a run over rows of pass rates ``p`` (N,) and domain codes ``domain`` (N,)."""
    G, B = s.rollout_n, s.train_batch_size
    hr, st = s.srpo.history, s.srpo.stages
    q, z = np.asarray(p, float) ** G, zero_adv_probability(p, G)
    n_domains = len(names)
    plan = StagePlan(names, np.bincount(domain, minlength=n_domains), list(st.stage1_domains), st.stage2_weights) \
        if s.staged else None
    active, pending = np.ones(len(p)), np.zeros(len(p))
    staged_history = s.staged and hr.enable
    stage = 2 if s.staged and st.switch_step is not None and st.switch_step <= 1 else 1
    step, stage_epochs, epochs, carry = 1, 0, [], 0.0
    while step <= s.total_steps:
        eligible = np.isin(domain, plan.domains(stage)).astype(float) if s.staged else np.ones(len(p))
        dropped = readmitted = 0.0
        if staged_history:
            floors = _floors(stage, plan, domain, eligible, s.floor)
            dropped, readmitted, carry = _boundary(active, pending, eligible, floors, hr.readmit_fraction, carry)
        in_pool = active * eligible
        pool = np.bincount(domain, weights=in_pool, minlength=n_domains)
        if pool.sum() < B - 1e-9:
            raise ValueError(f"stage {stage}'s pool is expected to hold {pool.sum():.0f} prompts, fewer than one step "
                             f"(train batch size {B}): add data or lower the batch size.")
        full = int(math.floor(pool.sum() / B + 1e-9))
        steps = full
        if s.staged and stage == 1 and st.switch_step is not None:
            steps = min(steps, st.switch_step - step)
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
            if (st.switch_epoch is not None and stage_epochs >= st.switch_epoch) or (
                    st.switch_step is not None and step >= st.switch_step):
                stage = 2
    return epochs


def make_plan(p: np.ndarray, domain: np.ndarray, names: list[str], s: PlanSettings) -> Plan:
    """Everything ``verl-srpo plan`` prints, for pass rates ``p`` (N,) and domain codes ``domain`` (N,)."""
    z = zero_adv_probability(p, s.rollout_n)
    groups = [(names[c], domain == c) for c in range(len(names))] + [("all", np.ones(len(p), bool))]
    floors = None
    if s.staged and s.srpo.history.enable and s.srpo.stages.stage2_weights is not None:
        st = s.srpo.stages
        plan = StagePlan(names, np.bincount(domain, minlength=len(names)), list(st.stage1_domains), st.stage2_weights)
        eligible = np.isin(domain, plan.domains(2)).astype(float)
        floors = {names[c]: size for c, (_, size) in zip(plan.domains(2), _floors(2, plan, domain, eligible, s.floor))}
    return Plan(s, {n: int(m.sum()) for n, m in groups}, {n: float(np.mean(p[m])) for n, m in groups},
                {n: float(np.mean(z[m])) for n, m in groups}, {n: dapo_factor(float(np.mean(z[m]))) for n, m in groups},
                len(p) // s.train_batch_size, timeline(p, domain, names, s), floors)


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
    settings = PlanSettings(int(cfg_get(cfg, "actor_rollout_ref.rollout.n")), batch, int(total), opts, staged)
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
    floors = (f" (stage 2: {', '.join(f'{d} {n}' for d, n in plan.stage2_floors.items())})"
              if plan.stage2_floors else "")
    hr = (f"HR on, readmit_fraction {s.srpo.history.readmit_fraction:g}, pool floor {s.floor}{floors}"
          if s.srpo.history.enable else "HR off")
    switch = ", ".join(f"{k} {'null' if v is None else v}" for k, v in
                       (("switch_step", s.srpo.stages.switch_step), ("switch_epoch", s.srpo.stages.switch_epoch)))
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


# The flags that set srpo options, by the option's path (the schema's messages start with it).
FLAGS = {"srpo.history.readmit_fraction": "--readmit-fraction", "srpo.history.min_pool_size": "--min-pool-size",
         "srpo.stages.stage2_weights": "--stage2-weights", "srpo.stages.stage1_domains": "--stage1-domains",
         "srpo.stages.switch_step": "--switch-step", "srpo.stages.switch_epoch": "--switch-epoch",
         "srpo.stages.domain_field": "--domain-field"}


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text.strip()  # the schema says what it must be


def srpo_from_flags(args: argparse.Namespace) -> SRPOConfig:
    """The ``srpo`` block of the plan's flags, built and checked by :func:`verl_srpo.config.schema.build`.
    Raises :class:`~verl_srpo.config.schema.OptionsError` (every problem, each with what to set instead)."""
    from verl_srpo.config.schema import OptionsError, SRPOConfig, build

    weights = None
    if args.stage2_weights:
        pairs = [kv.split("=", 1) for kv in args.stage2_weights.split(",")]
        if any(len(kv) != 2 for kv in pairs):
            raise OptionsError([f"--stage2-weights {args.stage2_weights!r}: write domain=weight pairs, e.g. "
                                "math=1,code=1"])
        weights = {k.strip(): _number(v) for k, v in pairs}
    stage1 = [d for d in args.stage1_domains.split(",") if d]
    return build(SRPOConfig, {
        "history": {"enable": not args.no_history, "readmit_fraction": args.readmit_fraction,
                    "min_pool_size": args.min_pool_size},
        "stages": {"domain_field": args.domain_field, "stage1_domains": stage1, "stage2_weights": weights,
                   "switch_step": args.switch_step, "switch_epoch": args.switch_epoch},
    })


def _flag_problems(args: argparse.Namespace) -> list[str]:
    """The plan's own flags out of range (the ``srpo`` ones are the schema's)."""
    return [f"--{name.replace('_', '-')}={value} must be >= {low}." for name, value, low in
            (("rollout_n", args.rollout_n, 2), ("train_batch_size", args.train_batch_size, 1),
             ("epochs", args.epochs, 1), ("total_steps", args.total_steps, 1)) if value is not None and value < low]


def main(args: argparse.Namespace) -> int:
    """``verl-srpo plan``. Bad flags exit with status 2 (as argparse's own), naming each problem; data that
    cannot be planned (unlabelled, a pool under one step) with status 1."""
    from verl_srpo.config.schema import OptionsError

    problems = _flag_problems(args)
    try:
        srpo = srpo_from_flags(args)
    except OptionsError as exc:
        problems += exc.problems
    if problems:
        for problem in problems:
            flag = next((f for key, f in FLAGS.items() if problem.startswith(key)), None)
            print(f"verl-srpo plan: error: {flag + ': ' if flag else ''}{problem}", file=sys.stderr)
        return 2
    try:
        p, domain, names = load(args.data, srpo.stages.domain_field)
        total = args.total_steps or len(p) // args.train_batch_size * args.epochs
        if total < 1:  # verl's epoch is rows // train_batch_size steps (its dataloader drops the last batch)
            raise ValueError(f"--train-batch-size {args.train_batch_size} is more than the data's {len(p)} rows: "
                             f"verl's epoch (rows // train_batch_size) has no step. Set --train-batch-size <= "
                             f"{len(p)}.")
        plan = make_plan(p, domain, names, PlanSettings(args.rollout_n, args.train_batch_size, total, srpo))
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
