"""``verl-srpo report RUN [RUN ...] --out DIR``: runs side by side, from what verl wrote.

Writes ``DIR/dashboard.png`` (runs overlaid), ``DIR/report.md`` and ``DIR/report.json`` (the same numbers):
per run the steps to reach given accuracy levels, the final values, where the stage switched and where
history resampling acted. With ``--plan-data`` the plan's prediction (:mod:`verl_srpo.analysis.plan`) is shown
next to what the run logged. Quantities are derived by :mod:`verl_srpo.analysis.runs`, the same way for
every run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from verl_srpo.analysis.runs import Derivation, Run, RunFiles, acc_rule, cfg_get, load_run, locate

LEVELS = (0.25, 0.5, 0.75)
WINDOW = 5  # (ours) training accuracy is a noisy sample of what a step drew: trailing mean over 5 steps
VAL = re.compile(r"val-core/(.+)/(acc|reward)/(mean@\d+)")


def trailing_mean(values: list[float], window: int) -> list[float]:
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    return [float(np.mean(values[max(0, i + 1 - window):i + 1])) for i in range(len(values))]


def steps_to_reach(steps: list[int], values: list[float], level: float, window: int = 1) -> int | None:
    """First step whose trailing mean over ``window`` values reaches ``level``; ``None`` if none does."""
    return next((s for s, v in zip(steps, trailing_mean(values, window)) if v >= level), None)


def stage_switch(run: Run) -> int | None:
    """First step logged in stage 2 (``srpo/stage``)."""
    xs, ys = run.series("logged", "srpo/stage")
    return next((x for x, y in zip(xs, ys) if y >= 2), None)


def hr_boundaries(run: Run) -> list[dict]:
    """History-resampling boundaries: the steps whose batch opened a new sampler epoch after HR acted, with what it
    did (``srpo/boundary/*``, which the SRPO trainer logs only when ``srpo.history.enable`` is on). The first
    epoch's boundary (nothing recorded yet, nothing to drop) is left out. A run without those metrics (written by
    an older verl-srpo) falls back to the steps where ``srpo/epoch`` grew, if its config had HR on; a run with HR
    off, or not SRPO's trainer, has none."""
    out = []
    for s in run.steps:
        log = s["logged"]
        if log.get("srpo/boundary/epoch") is not None and log["srpo/boundary/epoch"] > 1:
            out.append({"step": s["step"], "epoch": int(log["srpo/boundary/epoch"]),
                        "pool_size": log.get("srpo/boundary/pool_size"), "dropped": log.get("srpo/boundary/dropped"),
                        "readmitted": log.get("srpo/boundary/readmitted"),
                        "held_back": log.get("srpo/boundary/held_back")})
    if out or any("srpo/boundary/epoch" in s["logged"] for s in run.steps) or run.kind != "SRPO":
        return out
    last = None
    for s in run.steps:  # older runs: srpo/epoch grew (the pool is the new epoch's)
        epoch = s["logged"].get("srpo/epoch")
        if epoch is not None and last is not None and epoch > last:
            out.append({"step": s["step"], "epoch": int(epoch), "pool_size": s["logged"].get("srpo/pool_size"),
                        "dropped": None, "readmitted": None, "held_back": None})
        last = epoch if epoch is not None else last
    return out


def accuracy_series(run: Run, window: int) -> dict[str, tuple[list[int], list[float], int]]:
    """``{label: (steps, values, window)}``: training accuracy per domain (dumps), validation as logged."""
    out = {}
    keys = sorted({k for s in run.steps for k in s.get("derived", {}) if k.startswith("acc/")})
    for key in keys:
        out[f"train {key}"] = (*run.series("derived", key), window)
    for key in sorted({k for s in run.steps for k in s["logged"] if VAL.fullmatch(k)}):
        source, var, metric = VAL.fullmatch(key).groups()
        out[f"val {var}/{source} {metric}"] = (*run.series("logged", key), 1)
    return out


FINAL_LOGGED = ("srpo/stage", "srpo/epoch", "srpo/pool_size", "srpo/dropped_total", "srpo/readmitted_total",
                "critic/score/mean", "response_length/mean", "timing_s/step")


def summarize(run: Run, levels: tuple[float, ...] = LEVELS, window: int = WINDOW) -> dict:
    """The report's numbers for one run (what ``report.json`` holds under ``runs.<name>.summary``)."""
    final = {}
    dumped = [s for s in run.steps if "derived" in s]
    for key in sorted({k for s in dumped for k in s["derived"]} - {"responses", "groups"}):
        values = [s["derived"][key] for s in dumped[-window:] if key in s["derived"]]
        if values:
            final[key] = float(np.mean(values))
    for key in [*FINAL_LOGGED, *sorted({k for s in run.steps for k in s["logged"] if VAL.fullmatch(k)})]:
        xs, ys = run.series("logged", key)
        if ys:
            final[key] = ys[-1]
    reach = {label: {f"{lv:g}": steps_to_reach(xs, ys, lv, w) for lv in levels}
             for label, (xs, ys, w) in accuracy_series(run, window).items()}
    steps = [s["step"] for s in run.steps if s["step"] > 0]
    return {"kind": run.kind, "acc_rule": run.acc_rule, "first_step": min(steps, default=None),
            "last_step": max(steps, default=None), "dumped_steps": len(dumped), "stage_switch_step": stage_switch(run),
            "hr_boundaries": hr_boundaries(run), "final": final, "steps_to_reach": reach,
            "files": {k: str(v) if v else None for k, v in
                      (("config", run.files.config), ("metrics", run.files.metrics), ("dumps", run.files.dumps))},
            "notes": run.notes}


def compare_plan(run: Run, plan: Any) -> list[dict]:
    """Per predicted epoch inside the run's steps: predicted pool and zero-advantage share vs. logged/measured."""
    by_step = {s["step"]: s for s in run.steps}
    rows = []
    for e in plan.epochs:
        steps = [st for st in range(e.first_step, e.first_step + e.steps) if st in by_step]
        if not steps:
            continue
        zero = [by_step[st]["derived"]["zero_adv_share/acc"] for st in steps if "derived" in by_step[st]]
        rows.append({"epoch": e.index, "stage": e.stage, "first_step": e.first_step,
                     "last_step": e.first_step + e.steps - 1, "pool_plan": sum(e.pool.values()),
                     "pool_logged": by_step[steps[0]]["logged"].get("srpo/pool_size"), "zero_adv_plan": e.zero_adv,
                     "zero_adv_measured": float(np.mean(zero)) if zero else None})
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def markdown(runs: list[Run], summaries: dict, comparisons: dict, levels, window: int, unit: str,
             png: str | None) -> str:
    """``report.md``: the numbers of ``report.json`` as tables."""
    lines = ["# verl-srpo report", "",
             "Runs: " + ", ".join(f"**{r.name}** ({summaries[r.name]['kind']}, steps {summaries[r.name]['first_step']}"
                                  f"-{summaries[r.name]['last_step']})" for r in runs) + ".",
             "", "Derived from the rollout dumps the same way for every run: the share of groups whose accuracies "
             "(or scores) are all equal (zero advantage), accuracy, score and response length "
             f"({unit}) per domain, and the share of responses with each reflective phrase. `srpo/*` are the SRPO "
             "trainer's own logged metrics.", ""]
    if png:
        lines += [f"![dashboard]({png})", ""]
    lines += [f"## Steps to reach accuracy (training accuracy: trailing mean over {window} steps; validation as "
              "logged)", ""]
    if any(r.kind == "SRPO" for r in runs) and len(runs) > 1:
        lines += ["Training accuracy is measured on the prompts each run drew: history resampling takes solved "
                  "prompts out of an SRPO run's batches, so its training accuracy runs lower than a baseline's on the "
                  "same model. Compare runs on validation (`val-core/*`, `trainer.test_freq`) or with `python -m eval`.",
                  ""]
    lines += ["| run | series | " + " | ".join(f"{lv:g}" for lv in levels) + " |", "|---|---|" + "---|" * len(levels)]
    for r in runs:
        for label, reach in summaries[r.name]["steps_to_reach"].items():
            lines.append(f"| {r.name} | {label} | " + " | ".join(_fmt(v) for v in reach.values()) + " |")
    keys = sorted({k for r in runs for k in summaries[r.name]["final"]})
    lines += ["", f"## Final values (derived: mean of the last {window} dumped steps; logged: last value)", "",
              "| quantity | " + " | ".join(r.name for r in runs) + " |", "|---|" + "---|" * len(runs)]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(_fmt(summaries[r.name]["final"].get(key)) for r in runs) + " |")
    for r in runs:
        s = summaries[r.name]
        bounds = ", ".join(f"step {b['step']} (dropped {_fmt(b['dropped'])}, pool {_fmt(b['pool_size'])})"
                           for b in s["hr_boundaries"])
        if s["kind"] == "SRPO":
            stages = (f"- stage 2 from step {_fmt(s['stage_switch_step'])}; history resampling boundaries at: "
                      f"{bounds or 'none logged'}")
        elif s["kind"].startswith("SRPO"):
            stages = f"- stage 2 from step {_fmt(s['stage_switch_step'])}; history resampling off"
        else:
            stages = "- one stage, no history resampling (not the SRPO trainer)"
        lines += ["", f"## {r.name} ({s['kind']})", "",
                  "- files: " + ", ".join(f"{k} {v}" for k, v in s["files"].items()),
                  f"- accuracy from the dumps: {s['acc_rule']}", stages]
        lines += [f"- note: {n}" for n in s["notes"]]
        if r.name in comparisons:
            lines += ["", "Plan (from the data's pass@k labels) vs. this run:", "",
                      "| epoch | stage | steps | pool: plan | pool: logged | zero-adv share: plan | measured |",
                      "|---|---|---|---|---|---|---|"]
            for c in comparisons[r.name]:
                lines.append(f"| {c['epoch']} | {c['stage']} | {c['first_step']}-{c['last_step']} | "
                             f"{c['pool_plan']:.1f} | {_fmt(c['pool_logged'])} | {c['zero_adv_plan']:.3f} | "
                             f"{_fmt(c['zero_adv_measured'])} |")
    return "\n".join(lines) + "\n"


def length_counter(unit: str, tokenizer: str | None) -> tuple[Any, str, str | None]:
    """``(count, unit, note)``: token counts with ``tokenizer`` (offline), else characters."""
    if unit != "chars" and tokenizer:
        try:
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(str(Path(tokenizer).expanduser()) if Path(tokenizer).expanduser()
                                                .exists() else tokenizer, local_files_only=True)
            return (lambda texts: [len(x) for x in tok(texts, add_special_tokens=False)["input_ids"]]), "tokens", None
        except Exception as exc:  # auto falls back to characters, saying why
            if unit == "tokens":
                raise SystemExit(f"--length-unit tokens: cannot load the tokenizer {tokenizer!r} offline ({exc}).") \
                    from None
            why = f"the tokenizer {tokenizer!r} did not load offline ({type(exc).__name__})"
            return (lambda texts: [len(t) for t in texts]), "chars", f"response lengths in characters: {why}"
    if unit == "tokens":
        raise SystemExit("--length-unit tokens needs --tokenizer (or a run config with actor_rollout_ref.model.path).")
    return (lambda texts: [len(t) for t in texts]), "chars", None


def derivations(files: list[RunFiles], configs: list[Any], data: Any = None, acc_threshold: float | None = None,
                length_unit: str = "auto", tokenizer: str | None = None) -> tuple[list, str, list[str]]:
    """One :class:`Derivation` per run (``None`` without dumps), the length unit, and notes. The reflective
    phrases are every run's ``srpo.metrics.reflection_phrases`` together, so all runs count the same ones."""
    from verl_srpo.analysis.data import PromptMatcher, read_table, training_rows
    from verl_srpo.config.schema import srpo_options

    phrases = list(dict.fromkeys(p for cfg in configs for p in srpo_options(cfg).metrics.reflection_phrases))
    model = tokenizer or next((cfg_get(c, "actor_rollout_ref.model.path") for c in configs if c is not None), None)
    count, unit, note = length_counter(length_unit, model)
    tables: dict = {}
    out = []
    for f, cfg in zip(files, configs):
        if f.dumps is None:
            out.append(None)
            continue
        paths = data or cfg_get(cfg, "data.train_files")
        if not paths:
            raise ValueError(f"{f.name}: the prompts of its rollout dumps are mapped to domains through the training "
                             "data, and the run has no config naming data.train_files: pass --data train.parquet.")
        paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
        stages = srpo_options(cfg).stages
        key = (tuple(map(str, paths)), stages.domain_field, json.dumps(stages.data_source_domains))
        if key not in tables:
            table = read_table(paths)
            tables[key] = (PromptMatcher(table, str(cfg_get(cfg, "data.prompt_key", "prompt"))),
                           training_rows(table, stages.domain_field, stages.data_source_domains))
        matcher, rows = tables[key]
        threshold, _ = acc_rule(cfg, acc_threshold)
        source = json.dumps([key, model if unit == "tokens" else None,
                             [Path(str(x)).expanduser().stat().st_mtime_ns for x in paths]])
        out.append(Derivation(matcher.position, rows.ids, rows.domain, rows.domain_names, phrases, count, threshold,
                              unit, source))
    return out, unit, [note] if note else []


def build(specs: list[str], out: str | Path, *, data: Any = None, plan_data: Any = None,
          levels: tuple[float, ...] = LEVELS, window: int = WINDOW, acc_threshold: float | None = None,
          length_unit: str = "auto", tokenizer: str | None = None, png: str | Path | None | bool = True,
          title: str | None = None, cache: bool = True) -> dict:
    """Read every run (``FOLDER`` or ``NAME=FOLDER``), derive, summarise, and write ``out/report.md``,
    ``out/report.json`` and the dashboard (``out/dashboard.png``, or the path ``png``; ``False``: none).
    ``cache`` keeps each dump's derived numbers in ``out/.cache`` (a rerun on a growing run reads new steps only).
    Returns ``{"result": report.json's content, "runs": [Run], "png": Path | None, "out": Path}``."""
    out = Path(out)
    files = [locate(spec) for spec in specs]
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ValueError(f"two runs share a name ({names}): name them, e.g. srpo=path/to/run grpo=path/to/other")
    configs = [OmegaConf.load(f.config) if f.config else None for f in files]
    derive, unit, notes = derivations(files, configs, data, acc_threshold, length_unit, tokenizer)
    runs = [load_run(f, d, acc_rule(cfg, acc_threshold)[1], out / ".cache" if cache else None)
            for f, cfg, d in zip(files, configs, derive)]
    summaries = {r.name: summarize(r, levels, window) for r in runs}
    plans, comparisons = {}, {}
    if plan_data:
        from verl_srpo.analysis.plan import plan_for_config

        for r in runs:
            if r.config is not None:
                plans[r.name] = plan_for_config(r.config, plan_data)
                comparisons[r.name] = compare_plan(r, plans[r.name])
    out.mkdir(parents=True, exist_ok=True)
    image = None
    if png is not False:
        from verl_srpo.analysis.dashboard import dashboard

        image = dashboard(runs, summaries, plans, out / "dashboard.png" if png is True or png is None else png, unit,
                          title)
    result = {"length_unit": unit, "levels": list(levels), "window": window, "notes": notes,
              "runs": {r.name: {"summary": summaries[r.name], "steps": r.steps} for r in runs},
              "plan": {n: {"epochs": [e.__dict__ for e in p.epochs], "vs_run": comparisons[n]}
                       for n, p in plans.items()}}
    (out / "report.json").write_text(json.dumps(result, indent=1, default=float) + "\n")
    link = os.path.relpath(image, out) if image else None
    (out / "report.md").write_text(markdown(runs, summaries, comparisons, levels, window, unit, link))
    return {"result": result, "runs": runs, "png": image, "out": out}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder (Hydra's output folder), or NAME=FOLDER")
    parser.add_argument("--out", required=True, help="folder for report.md, report.json, dashboard.png")
    parser.add_argument("--levels", default=",".join(f"{x:g}" for x in LEVELS), help="accuracy levels, e.g. 0.3,0.5")
    parser.add_argument("--window", type=int, default=WINDOW, help="steps averaged for training accuracy and finals")
    parser.add_argument("--data", action="append", default=None, help="training parquet (repeat for several), if "
                        "the run's data.train_files are not on this machine")
    parser.add_argument("--plan-data", action="append", default=None, help="labelled training parquet (repeat for "
                        "several): show the plan's prediction next to each run")
    parser.add_argument("--acc-threshold", type=float, default=None, help="acc = score >= this (default: from the "
                        "run's reward)")
    parser.add_argument("--length-unit", choices=("auto", "tokens", "chars"), default="auto",
                        help="response length unit (auto: tokens when the tokenizer loads offline)")
    parser.add_argument("--tokenizer", default=None, help="tokenizer for token lengths (default: the run's model path)")
    parser.add_argument("--no-png", action="store_true", help="skip the dashboard (no matplotlib needed)")


def main(args: argparse.Namespace) -> int:
    if not args.no_png:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise SystemExit("verl-srpo report draws its dashboard with matplotlib: pip install 'verl-srpo[report]', "
                             "or pass --no-png.") from None
    try:
        built = build(args.runs, args.out, data=args.data, plan_data=args.plan_data,
                      levels=tuple(float(x) for x in args.levels.split(",")), window=args.window,
                      acc_threshold=args.acc_threshold, length_unit=args.length_unit, tokenizer=args.tokenizer,
                      png=not args.no_png)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise SystemExit(f"verl-srpo report: {exc}") from None
    out = built["out"]
    for run in built["runs"]:
        s = built["result"]["runs"][run.name]["summary"]
        print(f"{run.name}: {s['kind']}, steps {s['first_step']}-{s['last_step']} ({s['dumped_steps']} dumped), "
              f"stage 2 from step {_fmt(s['stage_switch_step'])}, final "
              + ", ".join(f"{k} {_fmt(v)}" for k, v in s["final"].items()
                          if k.startswith(("acc/", "zero_adv_share/", "srpo/pool_size"))))
        for note in s["notes"]:
            print(f"  note: {note}")
    for note in built["result"]["notes"]:
        print(f"note: {note}")
    print(f"wrote {out / 'report.md'}, {out / 'report.json'}" + (f", {built['png']}" if built["png"] else ""))
    return 0
