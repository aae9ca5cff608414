"""The PNGs of ``verl-srpo report`` (one dashboard, runs overlaid) and ``verl-srpo plan`` (a small summary).

Only what the runs hold is drawn; a panel with nothing to draw says which setting would have produced it.
Colours tell runs apart, line styles domains (or the plan's prediction, dotted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

STYLES = ["-", "--", ":", "-."]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(ax, title: str, ylabel: str, drawn: bool, missing: str) -> None:
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("step", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if drawn:
        ax.legend(fontsize=6, loc="best")
    else:
        ax.text(0.5, 0.5, missing, ha="center", va="center", fontsize=7, wrap=True, transform=ax.transAxes)


def _domains(runs: list) -> list[str]:
    found = {k.split("/", 1)[1] for r in runs for s in r.steps for k in s.get("derived", {}) if k.startswith("acc/")}
    return sorted(found - {"all"}) or ["all"]


def _per_domain(ax, runs, colors, prefix: str, title: str, ylabel: str) -> None:
    drawn = False
    domains = _domains(runs)  # one line style per domain, the same in every run
    for run, color in zip(runs, colors):
        for domain, style in zip(domains, STYLES * len(domains)):
            xs, ys = run.series("derived", f"{prefix}/{domain}")
            if xs:
                ax.plot(xs, ys, style, color=color, marker="o", ms=2.5, lw=1.2, label=f"{run.name} {domain}")
                drawn = True
    _finish(ax, title, ylabel, drawn, "no rollout dumps\n(trainer.rollout_data_dir)")


def _accuracy(ax, runs, colors) -> None:
    _per_domain(ax, runs, colors, "acc", "accuracy per domain (train, from the dumps)", "acc")
    for run, color in zip(runs, colors):
        keys = sorted({k for s in run.steps for k in s["logged"] if k.startswith("val-core/") and "/acc/" in k})
        for key in keys:
            xs, ys = run.series("logged", key)
            ax.plot(xs, ys, ":", color=color, marker="x", ms=4, lw=1, label=f"{run.name} val {key.split('/')[1]}")
    ax.set_ylim(-0.05, 1.05)


def _zero_adv(ax, runs, colors, plans: dict) -> None:
    drawn = False
    for run, color in zip(runs, colors):
        for key, style in (("zero_adv_share/acc", "-"), ("zero_adv_share/score", "--")):
            xs, ys = run.series("derived", key)
            if xs:
                ax.plot(xs, ys, style, color=color, marker="o", ms=2.5, lw=1.2,
                        label=f"{run.name} ({key.split('/')[1]})")
                drawn = True
        plan = plans.get(run.name)
        if plan is not None:
            xs = [e.first_step + i for e in plan.epochs for i in range(e.steps)]
            ys = [e.zero_adv for e in plan.epochs for _ in range(e.steps)]
            ax.step(xs, ys, ":", where="post", color=color, lw=1.5, label=f"{run.name} plan")
    ax.set_ylim(-0.05, 1.05)
    _finish(ax, "zero-advantage groups (all acc / all scores equal)", "share of groups", drawn,
            "no rollout dumps\n(trainer.rollout_data_dir)")


def _pool(ax, runs, colors, summaries: dict, plans: dict) -> None:
    drawn = False
    for run, color in zip(runs, colors):
        xs, ys = run.series("logged", "srpo/pool_size")
        if xs:
            ax.plot(xs, ys, "-", color=color, marker="o", ms=2.5, lw=1.2, label=f"{run.name} srpo/pool_size")
            drawn = True
        s = summaries[run.name]
        if s["stage_switch_step"] is not None:
            ax.axvline(s["stage_switch_step"] - 0.5, color=color, lw=1.5, alpha=0.7, label=f"{run.name} stage 2")
        for i, b in enumerate(s["hr_boundaries"]):
            ax.axvline(b["step"] - 0.5, color=color, ls=":", lw=1, alpha=0.7,
                       label=f"{run.name} HR boundary" if i == 0 else None)
        plan = plans.get(run.name)
        if plan is not None and plan.settings.staged:
            xs = [e.first_step + i for e in plan.epochs for i in range(e.steps)]
            ys = [sum(e.pool.values()) for e in plan.epochs for _ in range(e.steps)]
            ax.step(xs, ys, ":", where="post", color=color, lw=1.5, label=f"{run.name} plan")
    _finish(ax, "pool size, stage switch (solid) and HR boundaries (dotted)", "prompts", drawn,
            "no srpo/pool_size logged\n(SRPO trainer + file logger)")


def _reflection(ax, runs, colors) -> None:
    drawn = False
    for run, color in zip(runs, colors):
        xs, ys = run.series("derived", "reflection_rate/any")
        if xs:
            ax.plot(xs, ys, "-", color=color, marker="o", ms=2.5, lw=1.2, label=f"{run.name} any phrase")
            drawn = True
    ax.set_ylim(-0.05, 1.05)
    _finish(ax, "responses with a reflective phrase (per phrase: report.json)", "share", drawn,
            "no rollout dumps\n(trainer.rollout_data_dir)")


def dashboard(runs: list, summaries: dict, plans: dict, path: str | Path, length_unit: str,
              title: str | None = None) -> Path:
    """Write the report's 2 x 3 dashboard of ``runs`` (:class:`verl_srpo.analysis.runs.Run`) to ``path``."""
    plt = _pyplot()
    colors = [plt.cm.tab10(i % 10) for i in range(len(runs))]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    _accuracy(axes[0, 0], runs, colors)
    _per_domain(axes[0, 1], runs, colors, "score", "score (reward) per domain", "score")
    _per_domain(axes[0, 2], runs, colors, "response_length", "response length per domain", length_unit)
    _zero_adv(axes[1, 0], runs, colors, plans)
    _pool(axes[1, 1], runs, colors, summaries, plans)
    _reflection(axes[1, 2], runs, colors)
    fig.suptitle(title or "verl-srpo report: " + ", ".join(f"{r.name} ({r.kind})" for r in runs), fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path


def plan_figure(plan: Any, p: np.ndarray, domain: np.ndarray, names: list[str], path: str | Path) -> Path:
    """The plan's PNG: pass rates per domain, the expected pool, the expected zero-advantage share."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    bins = np.linspace(0, 1, 11)
    for code, name in enumerate(names):
        axes[0].hist(p[domain == code], bins=bins, alpha=0.6, label=f"{name} ({int((domain == code).sum())})")
    axes[0].set_title("pass rate of the labels", fontsize=9)
    axes[0].legend(fontsize=7)
    steps = [e.first_step + i for e in plan.epochs for i in range(e.steps)]
    for name in names:
        ys = [e.pool.get(name, 0.0) for e in plan.epochs for _ in range(e.steps)]
        axes[1].step(steps, ys, where="post", label=name)
    axes[1].set_title("expected pool per domain", fontsize=9)
    axes[1].legend(fontsize=7)
    axes[2].step(steps, [e.zero_adv for e in plan.epochs for _ in range(e.steps)], where="post", label="SRPO plan")
    axes[2].axhline(plan.grpo_zero_adv["all"], ls="--", color="gray", label="every row (GRPO)")
    axes[2].set_ylim(-0.05, 1.05)
    axes[2].set_title("expected zero-advantage share", fontsize=9)
    axes[2].legend(fontsize=7)
    for ax in axes[1:]:
        ax.set_xlabel("step", fontsize=8)
        for e in plan.epochs[1:]:
            ax.axvline(e.first_step, color="k", lw=0.6, ls=":" if e.stage == plan.epochs[e.index - 2].stage else "-")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
