"""Collect the smoke run's per-step metrics into one JSON, with the report of ``verl-srpo report``.

The runs (``srpo``, ``srpo_resume``, ``grpo`` under ``WORK/runs``) are read by ``verl_srpo.analysis``, the
implementation of ``verl-srpo report``: verl's ``metrics.jsonl`` (file logger), its rollout dumps and each
run's ``.hydra/config.yaml``, with the per-step quantities derived from the dumps the same way for SRPO and
GRPO (zero-advantage share on accuracy and on score, accuracy, score and length per domain, reflective
phrases, the prompts drawn). On top of the report this adds what only the smoke run asks: whether the
resumed run drew the uninterrupted run's batches, step times, and the facts of the machine.

    python -m benchmarks.e2e.collect --work WORK --out benchmarks/results/e2e_smoke.json [KEY=VALUE ...]

writes the JSON, the dashboard next to it (``.png``) and ``report.md`` / ``report.json`` in ``<out>_report/``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verl_srpo.analysis.data import PromptMatcher, read_table, training_rows
from verl_srpo.analysis.report import build

RUNS = ("srpo", "srpo_resume", "grpo")


@dataclass
class PromptIndex:
    matcher: PromptMatcher
    rows: Any


def prompt_index(train_parquet: str | Path) -> PromptIndex:
    """The training rows, for :func:`lookup`."""
    table = read_table(train_parquet)
    return PromptIndex(PromptMatcher(table), training_rows(table))


def lookup(index: PromptIndex, prompt_text: str) -> tuple[int, str]:
    """``(extra_info.index, domain)`` of a decoded chat prompt (as verl's rollout dump holds it)."""
    pos = index.matcher.position(prompt_text)
    return int(index.rows.ids[pos]), index.rows.domain_names[index.rows.domain[pos]]


def resume_check(original: list[dict], resumed: list[dict]) -> dict:
    """Did the resumed run draw, step for step, the prompts the uninterrupted run drew?"""
    by_step = {r["step"]: r for r in original}
    steps = []
    for r in resumed:
        o = by_step.get(r["step"])
        if o is None or "drawn" not in o or "drawn" not in r:
            continue
        steps.append({"step": r["step"], "same_prompts": o["drawn"] == r["drawn"],
                      "same_stage": o.get("srpo/stage") == r.get("srpo/stage"),
                      "same_pool_size": o.get("srpo/pool_size") == r.get("srpo/pool_size")})
    same = bool(steps) and all(s["same_prompts"] and s["same_stage"] and s["same_pool_size"] for s in steps)
    return {"compared_steps": len(steps), "same_batches": same, "steps": steps}


def flat(step: dict) -> dict:
    """One step of the report as one flat record: ``step``, verl's logged metrics (``srpo/stage``, ``timing_s/step``,
    ...), the quantities derived from the dump (``zero_adv_share/acc``, ``acc/math``, ...) and ``drawn``."""
    out = {"step": step["step"], **step["logged"], **step.get("derived", {})}
    if "drawn" in step:
        out["drawn"] = step["drawn"]
    return out


def mean_after_first(records: list[dict], key: str) -> float | None:
    """Mean of ``key`` over steps 2.. (step 1 includes compilation and cache warm-up)."""
    values = [r[key] for r in records if r["step"] > 1 and r.get(key) is not None]
    return statistics.fmean(values) if values else None


def median_after_first(records: list[dict], key: str) -> float | None:
    """Median of ``key`` over steps 2.. (robust to one slow step, e.g. the one that saves a checkpoint)."""
    values = [r[key] for r in records if r["step"] > 1 and r.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(runs: dict[str, list[dict]]) -> dict:
    """Per run: step time (mean and median over steps 2..), zero-advantage shares, SRPO's own cost; and the
    SRPO/GRPO step-time ratios (issue target: median ratio <= 1.02)."""
    out = {}
    for name, recs in runs.items():
        out[name] = {"steps": len(recs), "step_time_s": mean_after_first(recs, "timing_s/step"),
                     "step_time_median_s": median_after_first(recs, "timing_s/step"),
                     "gen_time_median_s": median_after_first(recs, "timing_s/gen"),
                     "update_time_median_s": median_after_first(recs, "timing_s/update_actor"),
                     "zero_adv_frac_acc": mean_after_first(recs, "zero_adv_share/acc"),
                     "zero_adv_frac_score": mean_after_first(recs, "zero_adv_share/score"),
                     "srpo_history_time_s": mean_after_first(recs, "timing_s/srpo_history")}
    srpo, grpo = out.get("srpo", {}).get("step_time_s"), out.get("grpo", {}).get("step_time_s")
    out["step_time_ratio_srpo_over_grpo"] = srpo / grpo if srpo and grpo else None
    srpo, grpo = out.get("srpo", {}).get("step_time_median_s"), out.get("grpo", {}).get("step_time_median_s")
    out["step_time_median_ratio_srpo_over_grpo"] = srpo / grpo if srpo and grpo else None
    return out


def collect(train: str | Path, runs_dir: str | Path, names=RUNS, report_dir: str | Path | None = None,
            png: str | Path | bool = False, title: str | None = None) -> dict:
    """The report of the run folders ``names`` under ``runs_dir`` (written to ``report_dir``), as
    ``{"runs": {name: flat per-step records}, "summary", "report": {name: report summary}, "resume"?}``."""
    specs = [f"{n}={Path(runs_dir) / n}" for n in names if (Path(runs_dir) / n).is_dir()]
    if not specs:
        raise FileNotFoundError(f"{runs_dir} holds none of the run folders {list(names)}")
    built = build(specs, report_dir or Path(runs_dir) / "report", data=[str(train)], png=png, title=title,
                  cache=False)
    runs = {r.name: [flat(s) for s in r.steps] for r in built["runs"]}
    result = {"runs": runs, "summary": summarize(runs),
              "report": {n: v["summary"] for n, v in built["result"]["runs"].items()}}
    if "srpo" in runs and "srpo_resume" in runs:
        result["resume"] = resume_check(runs["srpo"], runs["srpo_resume"])
    return result


def gather_meta(work: Path, names, settings: dict[str, str]) -> dict:
    """Facts recorded with the results: device, versions, settings, initial pass rates, launch wall times."""
    import importlib.metadata as md

    meta: dict = {"settings": settings, "versions": {}}
    for pkg in ("torch", "vllm", "verl", "transformers", "verl-srpo"):
        try:
            meta["versions"][pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            meta["versions"][pkg] = None
    try:
        import torch

        meta["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    except Exception as exc:  # recorded, not fatal: the results are still worth keeping
        meta["device"] = f"unknown ({exc})"
    passrate = work / "passrate.json"
    if passrate.is_file():
        meta["initial_pass_rates"] = json.loads(passrate.read_text())["groups"]
    meta["launches"] = {n: json.loads((work / "runs" / n / "launch.json").read_text())
                        for n in names if (work / "runs" / n / "launch.json").is_file()}
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="the smoke run's WORK folder (data/rl/train.parquet, runs/)")
    parser.add_argument("--names", default=",".join(RUNS), help="run folders under WORK/runs, comma-separated")
    parser.add_argument("--out", required=True, help="results JSON to write")
    parser.add_argument("--plot", default=None, help="dashboard PNG to write (default: next to --out)")
    parser.add_argument("--title", default=None, help="dashboard title")
    parser.add_argument("settings", nargs="*", help="KEY=VALUE facts to record (the run's knobs)")
    args = parser.parse_args(argv)
    work, names = Path(args.work), args.names.split(",")
    bad = [s for s in args.settings if "=" not in s]
    if bad:
        raise SystemExit(f"settings must be KEY=VALUE, got {bad}")
    out = Path(args.out)
    png = Path(args.plot) if args.plot else out.with_suffix(".png")
    result = collect(work / "data" / "rl" / "train.parquet", work / "runs", names, out.parent / f"{out.stem}_report",
                     png, args.title or "verl-srpo end-to-end smoke run")
    result["meta"] = gather_meta(work, names, dict(s.split("=", 1) for s in args.settings))
    if args.title:
        result["meta"]["title"] = args.title
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({"summary": result["summary"], "resume": result.get("resume")}, indent=1))
    print(f"[collect] {out}, {png} and {out.parent / f'{out.stem}_report'}/report.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
