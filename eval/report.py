"""Results of one run: the JSON the release kit reads, a markdown table, and a PNG plot.

``results.json`` schema (``schema_version`` 1)::

    {"schema_version": 1, "task": "aime24" | "lcb", "created": ISO time,
     "model": {"name", "revision", "fingerprint"}, "backend", "prompt_style",
     "sampling": {"n", "temperature", "top_p", "max_new_tokens", "seed"},
     "dataset": {"source", "revision", "files", ...},          # LCB adds release, window
     "grader": {"name", "description", ...},                   # what decided each sample's verdict
     "headline": {"metric", "mean", "ci95_low", "ci95_high", "grader"},  # avg@32 (AIME) / pass@1 (LCB)
     "metrics": {"avg@n": {...}, "pass@k": {...}, "maj@k": {...},  # each {mean, stderr, ci95_*}
                 "math_verify_errors": int},                   # AIME: math-verify checks that failed to run
     "generation": {"truncated_fraction", "mean_tokens"} | null,
     "completions": {"path", "sha256", "format"} | null,       # set when graded from a completions file
     "problems": [{"problem_id", "n", "num_correct", "accuracy", "samples": [...]}, ...]}

``grader.name`` is ``official`` / ``official-2505`` / ``judge`` for LiveCodeBench (``eval.lcb.GRADERS``) and
``math_reward`` for AIME; ``headline.grader`` repeats it next to the number. The graders that are the training
reward (``math_reward``, ``judge``) record ``grader.scoring_version``, its rules
(``verl_srpo.rewards.SCORING_VERSION``). ``metrics.math_verify_errors`` above 0 means math-verify itself failed
(not installed, broken) where the run was scored: those answers counted as wrong, so avg@n is a lower bound.
Runs graded from a completions file (``--completions``) have ``backend`` "completions", ``generation`` null, and
sampling values null except ``n``; their ``model`` is null unless ``--model`` named the weights.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from pathlib import Path

SCHEMA_VERSION = 1
COMPLETIONS_BACKEND = "completions"  # results.json "backend" of a run graded from `--completions FILE`


def build_results(*, task: str, model: dict, backend: str, prompt_style: str | None, sampling: dict, dataset: dict,
                  headline: str, metrics: dict, problems: list[dict], grader: dict,
                  completions: dict | None = None) -> dict:
    samples = [s for p in problems for s in p["samples"]]
    generated = all("finish_reason" in s for s in samples)
    return {
        "schema_version": SCHEMA_VERSION, "task": task, "created": datetime.now(timezone.utc).isoformat(),
        "model": model, "backend": backend, "prompt_style": prompt_style, "sampling": sampling, "dataset": dataset,
        "grader": grader, "headline": {"metric": headline, **metrics[headline], "grader": grader["name"]},
        "metrics": metrics,
        "generation": {
            "truncated_fraction": sum(s["finish_reason"] == "length" for s in samples) / len(samples),
            "mean_tokens": sum(s["num_tokens"] for s in samples) / len(samples),
        } if generated else None,
        "completions": completions,
        "environment": {"python": platform.python_version(), **_versions()},
        "problems": problems,
    }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("torch", "transformers", "vllm", "math-verify", "verl"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def _pct(m: dict) -> str:
    return f"{100 * m['mean']:.1f} [{100 * m['ci95_low']:.1f}, {100 * m['ci95_high']:.1f}]"


def markdown(results: dict) -> str:
    """A summary table (percent, 95% CI over problems) and a per-problem table."""
    ds = results["dataset"]
    window = f", window {ds['window']['start']}..{ds['window']['end']}" if "window" in ds else ""
    s = results["sampling"]
    comp, gen, grader = results.get("completions"), results.get("generation"), results["grader"]
    lines = [
        f"## {results['task']}: {results['model']['name'] or 'completions from ' + comp['path']}",
        "",
        f"- weights: `{results['model']['fingerprint']}`" if results["model"]["fingerprint"]
        else "- weights: not named (graded from a completions file without --model)",
        f"- dataset: `{ds['source']}` @ `{ds.get('revision') or 'local'}`{window}, {len(results['problems'])} problems",
        f"- grader: `{grader['name']}`: {grader['description']}"
        + (f" (scoring rules v{grader['scoring_version']})" if "scoring_version" in grader else ""),
    ]
    if results["metrics"].get("math_verify_errors"):
        lines.append(f"- **math-verify failed on {results['metrics']['math_verify_errors']} checks**: each answer it "
                     "could not check counted as wrong, so these numbers are a lower bound. Fix math-verify "
                     "(`python -c 'import math_verify'`) and run the same command again: only the scoring reruns.")
    if comp:
        lines.append(f"- completions: `{comp['path']}` ({comp['format']}, `{comp['sha256']}`), n={s['n']}")
    else:
        lines.append(f"- sampling: n={s['n']}, temperature={s['temperature']}, top_p={s['top_p']}, "
                     f"max_new_tokens={s['max_new_tokens']}, seed={s['seed']}; prompt {results['prompt_style']}, "
                     f"backend {results['backend']}")
    if gen:
        lines.append(f"- truncated: {100 * gen['truncated_fraction']:.1f}% of completions, "
                     f"mean length {gen['mean_tokens']:.0f} tokens")
    lines += ["", f"| metric ({grader['name']}) | % (95% CI) |", "| --- | --- |"]
    lines += [f"| {name} | {_pct(m)} |" for name, m in results["metrics"].items() if isinstance(m, dict)]
    lines += ["", "| problem | correct / n | accuracy |", "| --- | --- | --- |"]
    lines += [f"| {p['problem_id']} | {p['num_correct']} / {p['n']} | {100 * p['accuracy']:.1f}% |"
              for p in results["problems"]]
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    """Per-problem solve rate (left) and pass@k / maj@k against k (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    probs = results["problems"]
    left.bar(range(len(probs)), [p["accuracy"] for p in probs])
    left.set_xticks(range(len(probs)), [p["problem_id"] for p in probs], rotation=90, fontsize=6)
    left.set_ylim(0, 1)
    left.set_ylabel("solve rate over n samples")
    left.set_title(f"{results['task']}: per problem")
    for family in ("pass", "maj"):
        pts = sorted((int(k.split("@")[1]), m["mean"]) for k, m in results["metrics"].items()
                     if k.startswith(family + "@"))
        if pts:
            right.plot(*zip(*pts), marker="o", label=f"{family}@k")
    right.set_xscale("log", base=2)
    right.set_ylim(0, 1)
    right.set_xlabel("k")
    right.legend()
    right.set_title(f"headline {results['headline']['metric']} = {100 * results['headline']['mean']:.1f}% "
                    f"({results['grader']['name']} grader)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def verdict_line(question_id: str, sample: int, grader: str, verdict: dict) -> dict:
    """One line of ``verdicts.jsonl``: ``{"question_id", "sample", "passed", "grader", "failure", "per_test"}``
    (+ ``pred`` for AIME); ``sample`` is the completion's position among its question's completions."""
    line = {"question_id": question_id, "sample": sample, "passed": bool(verdict["acc"]), "grader": grader,
            "failure": verdict.get("failure"), "per_test": verdict.get("per_test")}
    return {**line, "pred": verdict["pred"]} if "pred" in verdict else line


def write_outputs(results: dict, out_dir: Path, verdicts: list[dict] | None = None) -> dict[str, Path]:
    """``results.json``, ``results.md``, ``results.png`` and (given) ``verdicts.jsonl`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "md": out_dir / "results.md", "png": out_dir / "results.png"}
    if verdicts is not None:
        paths["verdicts"] = out_dir / "verdicts.jsonl"
        paths["verdicts"].write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in verdicts))
    paths["json"].write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    paths["md"].write_text(markdown(results))
    plot(results, paths["png"])
    return paths
