"""Completions cached on disk as they finish, so that a killed run resumes without regenerating.

Layout of a run directory::

    run.json                 # what produced the completions (model, sampling, prompt style)
    completions.jsonl        # one JSON record per finished completion, appended and flushed
    completions.rank1.jsonl  # one file per data-parallel worker, when there are several

A record is ``{"problem_id", "sample", "seed", "text", "num_tokens", "finish_reason"}``; the key is
``(problem_id, sample)``. A half-written last line (the process was killed mid-write) is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from verl_srpo.eval.errors import EvalError

RUN_FILE = "run.json"


class SettingsMismatch(EvalError, ValueError):
    """The run directory holds completions made with other settings: mixing them would be wrong."""


def check_run_settings(run_dir: Path, settings: dict) -> None:
    """Write ``run.json`` on first use; afterwards refuse to resume with different settings."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / RUN_FILE
    if not path.exists():
        path.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
        return
    old = json.loads(path.read_text())
    diff = {k: (old.get(k), settings.get(k)) for k in set(old) | set(settings) if old.get(k) != settings.get(k)}
    if diff:
        lines = ", ".join(f"{k}: cached {a!r} vs now {b!r}" for k, a, b in ((k, *v) for k, v in sorted(diff.items())))
        raise SettingsMismatch(
            f"{path} was written with other settings ({lines}); pass a new --out directory, or --overwrite"
        )


def load_completions(run_dir: Path) -> dict[tuple[str, int], dict]:
    """All cached records of ``run_dir``, keyed by ``(problem_id, sample)``."""
    records: dict[tuple[str, int], dict] = {}
    for path in sorted(run_dir.glob("completions*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a killed writer
            records[(str(rec["problem_id"]), int(rec["sample"]))] = rec
    return records


class CompletionWriter:
    """Appends finished completions to ``completions[.rankN].jsonl``, one flushed line each."""

    def __init__(self, run_dir: Path, rank: int = 0):
        name = "completions.jsonl" if rank == 0 else f"completions.rank{rank}.jsonl"
        self.path = run_dir / name
        torn = self.path.exists() and self.path.stat().st_size > 0 and not self.path.read_bytes().endswith(b"\n")
        self._handle = self.path.open("a", encoding="utf-8")
        if torn:  # a killed writer left half a line: end it, so the next record starts clean
            self._handle.write("\n")

    def write(self, record: dict) -> None:
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> CompletionWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
