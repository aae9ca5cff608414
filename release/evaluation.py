"""Attach evaluation results to a release, refusing numbers measured on other weights.

Reads the ``results.json`` files written by ``python -m eval`` (schema in ``eval/report.py``): one
per task, each naming the weights it measured by ``model.fingerprint`` (``eval.fingerprint``:
sha256 over the ``*.safetensors`` shards). ``read_results`` checks the files themselves (cheap, before
any merge); ``check_fingerprints`` then attaches a result only if its fingerprint is the fingerprint of
the folder being pushed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from verl_srpo.eval.fingerprint import local_fingerprint
from verl_srpo.eval.lcb import PUBLISHED_GRADER as PUBLISHED_LCB_GRADER
from verl_srpo.eval.report import COMPLETIONS_BACKEND, SCHEMA_VERSION
from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.protocol import PROTOCOL, TASKS


@dataclass(frozen=True)
class TaskResult:
    """One benchmark's headline number (fractions in [0, 1]) and how it was measured."""

    task: str
    metric: str
    mean: float
    ci95_low: float
    ci95_high: float
    num_problems: int
    sampling: dict
    dataset: dict
    source: Path
    fingerprint: str | None = None  # the weights it measured
    prompt_style: str = "r1_zero"
    truncated_fraction: float | None = None  # share of samples cut off at max_new_tokens
    grader: str | None = None  # who judged the samples: results.json's grader.name (eval/README.md)
    grader_description: str | None = None
    math_verify_errors: int | None = None  # AIME: math-verify checks that failed to run (results.json metrics)

    def deviations(self) -> list[str]:
        """How the run differs from the protocol (docs/SRPO.md), e.g. ``["n=4 (protocol: 32)"]``, and a
        scoring that failed: math-verify checks that could not run (each answer counted wrong)."""
        # Both published numbers are averages over 32 samples per problem (docs/SRPO.md "Results").
        want = {"n": PROTOCOL.n, "temperature": PROTOCOL.temperature, "top_p": PROTOCOL.top_p,
                "max_new_tokens": PROTOCOL.max_new_tokens}
        out = [f"{k}={self.sampling.get(k)} (protocol: {v})" for k, v in want.items() if self.sampling.get(k) != v]
        if self.prompt_style != "r1_zero":
            out.append(f"prompt_style={self.prompt_style} (protocol: r1_zero)")
        if self.task == "lcb" and self.grader != PUBLISHED_LCB_GRADER:
            which = f"grader={self.grader}" if self.grader else "grader not recorded"
            out.append(f"{which} (the published numbers: {PUBLISHED_LCB_GRADER}, LiveCodeBench's own)")
        if self.math_verify_errors:
            out.append(f"math-verify failed on {self.math_verify_errors} checks, each counted wrong, so {self.metric} "
                       "is a lower bound (math-verify broken where it was scored)")
        return out

    @property
    def on_hub(self) -> bool:
        """True when the problems were read from a Hub dataset at a resolved commit (``eval.sources``);
        False for local files, which eval records by name and sha256, with no revision."""
        return bool(self.dataset.get("revision")) and not isinstance(self.dataset.get("files"), dict)

    def local_files(self) -> dict[str, str]:
        """``{file name: "sha256:..."}`` of a local dataset (names only: never the path)."""
        files = self.dataset.get("files")
        return {Path(str(name)).name: str(digest) for name, digest in files.items()} if isinstance(files, dict) else {}

    def dataset_text(self) -> str:
        """What the number was measured on, in words; e.g. "`HuggingFaceH4/aime_2024` at commit `abc123`"
        or "the local file `aime24.jsonl` (sha256 `65915220`…), not a Hub dataset"."""
        if self.on_hub:
            return f"`{self.dataset['source']}` at commit `{str(self.dataset['revision'])[:12]}`"
        files = self.local_files()
        names = ", ".join(f"`{name}` (sha256 `{sha.removeprefix('sha256:')[:12]}`)" for name, sha in files.items())
        return f"the local file{'s' if len(files) > 1 else ''} {names or '?'}, not a Hub dataset"


def find_results(paths: list[str | Path]) -> list[Path]:
    """``results.json`` files named directly or found under the given directories."""
    found = []
    for path in map(Path, paths):
        if path.is_file():
            found.append(path)
        elif path.is_dir() and sorted(path.rglob("results.json")):
            found += sorted(path.rglob("results.json"))
        else:
            raise ReleaseError(f"EVAL path {path} is neither a results.json nor a directory holding one")
    return found


def _parse(path: Path) -> TaskResult:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReleaseError(f"EVAL file {path} is not readable JSON ({exc}): pass the results.json of python -m eval") \
            from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        got = data.get("schema_version") if isinstance(data, dict) else type(data).__name__
        raise ReleaseError(
            f"EVAL file {path}: schema_version {got!r}, expected {SCHEMA_VERSION} (python -m eval's results.json)"
        )
    task = data.get("task")
    if task not in TASKS:
        raise ReleaseError(f"EVAL file {path}: unknown task {task!r}; known: {sorted(TASKS)}")
    if data.get("backend") == COMPLETIONS_BACKEND:
        raise ReleaseError(
            f"EVAL file {path} grades completions read from a file (python -m eval {task} --completions), not samples "
            "the evaluation drew from these weights, so it cannot show the released model scored it. Evaluate the "
            f"folder itself: python -m eval {task} --model <the merged folder> --out <dir>"
        )
    head, sampling, dataset = data.get("headline"), data.get("sampling"), data.get("dataset")
    fingerprint = (data.get("model") or {}).get("fingerprint")
    keys = ("metric", "mean", "ci95_low", "ci95_high")
    missing = [f"headline.{k}" for k in keys if not isinstance(head, dict) or k not in head]
    missing += [name for name, part in (("sampling", sampling), ("dataset", dataset)) if not isinstance(part, dict)]
    missing += [] if fingerprint else ["model.fingerprint (the weights it measured)"]
    if missing:
        raise ReleaseError(f"EVAL file {path} lacks {', '.join(missing)}: pass a results.json that python -m eval "
                           "wrote for a model")
    return TaskResult(
        task=task, metric=head["metric"], mean=head["mean"], ci95_low=head["ci95_low"], ci95_high=head["ci95_high"],
        num_problems=len(data.get("problems", [])), sampling=sampling, dataset=dataset, source=path,
        fingerprint=fingerprint, prompt_style=data.get("prompt_style", "r1_zero"),
        truncated_fraction=(data.get("generation") or {}).get("truncated_fraction"),
        grader=(data.get("grader") or {}).get("name") or head.get("grader"),
        grader_description=(data.get("grader") or {}).get("description"),
        math_verify_errors=_error_count(path, data.get("metrics")),
    )  # fmt: skip


def _error_count(path: Path, metrics) -> int | None:
    """``metrics.math_verify_errors`` (None where the file has none: LCB, or eval before it was counted)."""
    count = metrics.get("math_verify_errors") if isinstance(metrics, dict) else None
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise ReleaseError(f"EVAL file {path}: metrics.math_verify_errors is {count!r}, expected a count (int >= 0)")
    return count


def read_results(paths: list[str | Path]) -> dict[str, TaskResult]:
    """``{task: TaskResult}`` of the results in ``paths``; checks the files only (no weights are read)."""
    results: dict[str, TaskResult] = {}
    for path in find_results(paths):
        res = _parse(path)
        if res.task in results:
            raise ReleaseError(f"two results for {res.task}: {results[res.task].source} and {path}; pass one")
        results[res.task] = res
    return results


def check_fingerprints(results: dict[str, TaskResult], folder: str | Path, fingerprint: str) -> None:
    """Refuse any result whose weights are not ``folder``'s (``fingerprint``)."""
    for task, res in sorted(results.items()):
        if res.fingerprint != fingerprint:
            raise ReleaseError(
                f"{res.source} was measured on weights {res.fingerprint}, but {folder} holds {fingerprint}: these "
                f"numbers are not this model's. Re-run the evaluation on the folder being pushed: "
                f"python -m eval {task} --model {folder} --out <dir>"
            )


def load_results(paths: list[str | Path], folder: str | Path, fingerprint: str | None = None) -> dict[str, TaskResult]:
    """``{task: TaskResult}`` for the results in ``paths``, all measured on ``folder``'s weights."""
    results = read_results(paths)
    check_fingerprints(results, folder, fingerprint or local_fingerprint(folder))
    return results
