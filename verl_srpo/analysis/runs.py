"""One training run, read from what verl writes, with per-step quantities derived from its rollout dumps.

A run folder holds (each found as described; a missing one is named with the setting that produces it):

* ``.hydra/config.yaml`` (or ``*/.hydra/config.yaml``): Hydra writes it into the run's output folder;
* the ``file`` logger's metrics (``trainer.logger=[console,file]``; ``verl/utils/tracking.py: FileLogger``),
  one ``{"step": N, "data": {metric: value}}`` line per step: ``metrics.jsonl`` in the folder (with
  ``VERL_FILE_LOGGER_PATH=<folder>/metrics.jsonl``), or verl's default
  ``$VERL_FILE_LOGGER_ROOT/<trainer.project_name>/<trainer.experiment_name>.jsonl``;
* the rollout dumps (``trainer.rollout_data_dir``; ``PPOTrainer._log_rollout_data``), ``<step>.jsonl`` with one
  line per response: ``input`` (decoded prompt), ``output``, ``gts``, ``score``, ``step``, ``uid``
  (``<prompt draw>_<session>_<output>``); ``<folder>/rollouts`` when the config does not say.

From each dump, the same way for SRPO, GRPO and DAPO runs: the share of groups whose accuracies are all equal
and of groups whose scores are all equal (:func:`verl_srpo.metrics.identical_group_fraction`), accuracy, score
and response length per domain, and the share of responses with each reflective phrase
(:func:`verl_srpo.metrics.phrase_pattern`). verl's v1 dumps carry no ``acc``: it is read from the score by the
run's reward (:func:`acc_rule`). A run still going or cut off is read up to its last whole line; a dump read
while verl's writer thread is between two lines counts the lines written so far (the next report rereads it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from verl_srpo.metrics import identical_group_fractions, phrase_pattern
from verl_srpo.names import REWARD_PATH, TRAINER_MODE

CONFIG_HINT = "Hydra writes it into the run's output folder (hydra.run.dir) when verl.trainer.main_ppo starts"
METRICS_HINT = ("verl's file logger writes it: launch with trainer.logger='[console,file]' and "
                "VERL_FILE_LOGGER_PATH=<run folder>/metrics.jsonl (without it verl writes "
                "$VERL_FILE_LOGGER_ROOT/<trainer.project_name>/<trainer.experiment_name>.jsonl)")
DUMPS_HINT = "verl writes them with trainer.rollout_data_dir=<run folder>/rollouts"
# The logged metrics a report keeps (verl logs ~100 per step).
KEEP = re.compile(r"srpo/.*|val-core/.*|timing_s/(step|gen|update_actor|srpo_history)|critic/score/mean|"
                  r"response_length/mean")


def cfg_get(cfg: Any, key: str, default: Any = None) -> Any:
    """``key`` of a saved config, or ``default`` when absent or unresolvable (a config read off its machine)."""
    if cfg is None:
        return default
    try:
        value = OmegaConf.select(cfg, key, default=default, throw_on_missing=False)
    except Exception:
        return default
    return default if value is None else value


@dataclass
class RunFiles:
    """Where one run's files are; ``None`` for a file not found (``notes`` says which setting writes it)."""

    name: str
    root: Path
    config: Path | None
    metrics: Path | None
    dumps: Path | None
    notes: list[str] = field(default_factory=list)


def parse_spec(spec: str) -> tuple[str, Path]:
    """``NAME=FOLDER`` or ``FOLDER`` (named after the folder)."""
    if "=" in spec and not Path(spec).exists():
        name, path = spec.split("=", 1)
        return name, Path(path).expanduser()
    path = Path(spec).expanduser()
    return path.resolve().name, path


def locate(spec: str) -> RunFiles:
    """Find a run's config, metrics and dumps. Raises ``FileNotFoundError`` when the folder has neither."""
    name, root = parse_spec(spec)
    if not root.is_dir():
        raise FileNotFoundError(f"run folder {root} does not exist")
    configs = [p for p in [root / ".hydra" / "config.yaml", *sorted(root.glob("*/.hydra/config.yaml"))] if p.is_file()]
    config = configs[0] if configs else None
    cfg = OmegaConf.load(config) if config else None
    files = RunFiles(name, root, config, None, None)
    if config is None:
        files.notes.append(f"no .hydra/config.yaml under {root} ({CONFIG_HINT}): the plugin's defaults are assumed")
    project, experiment = cfg_get(cfg, "trainer.project_name"), cfg_get(cfg, "trainer.experiment_name")
    candidates = [root / "metrics.jsonl"]
    if project and experiment:
        logger_root = Path(os.getenv("VERL_FILE_LOGGER_ROOT", ".")).expanduser()
        candidates += [root / project / f"{experiment}.jsonl", logger_root / project / f"{experiment}.jsonl"]
    files.metrics = next((p for p in candidates if p.is_file()), None)
    if files.metrics is None:
        loggers = cfg_get(cfg, "trainer.logger", [])
        said = "" if cfg is None or "file" in list(loggers) else f" (this run's trainer.logger={list(loggers)})"
        files.notes.append(f"no metrics JSONL found ({', '.join(map(str, candidates))}){said}: {METRICS_HINT}")
    dump_dir = cfg_get(cfg, "trainer.rollout_data_dir")
    # The config's path first; then, for a run folder copied off its machine, the same folder name inside it.
    dumps = [Path(dump_dir).expanduser(), root / dump_dir, root / Path(dump_dir).name] if dump_dir else []
    dumps.append(root / "rollouts")
    files.dumps = next((p for p in dumps if p.is_dir()), None)
    if files.dumps is None:
        files.notes.append(f"no rollout dumps ({dumps[0]}): {DUMPS_HINT}; quantities derived from rollouts are missing")
    if files.metrics is None and files.dumps is None:
        raise FileNotFoundError(f"{root}: neither a metrics JSONL nor rollout dumps.\n  " + "\n  ".join(files.notes))
    return files


def read_jsonl(path: Path) -> tuple[list[dict], int, bool]:
    """``(records, unreadable lines, whole)``: ``whole`` is False when the last line is cut (still being written)."""
    lines = path.read_bytes().splitlines()
    records, bad, whole = [], 0, True
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                whole = False
            else:
                bad += 1
    return records, bad, whole


def read_metrics(path: Path) -> tuple[dict[int, dict], list[str]]:
    """``{step: kept metrics}`` from verl's file logger; a later line for a step updates the earlier one."""
    records, bad, whole = read_jsonl(path)
    steps: dict[int, dict] = defaultdict(dict)
    for rec in records:
        if not isinstance(rec, dict) or not isinstance(rec.get("step"), int) or not isinstance(rec.get("data"), dict):
            bad += 1  # not a line of verl's FileLogger: {"step": N, "data": {...}}
            continue
        data = {k: v for k, v in rec["data"].items() if KEEP.fullmatch(k) and isinstance(v, (int, float))}
        steps[rec["step"]].update(data)
    notes = [f"{path}: {bad} unreadable lines skipped"] if bad else []
    if not whole:
        notes.append(f"{path}: the last line is cut (a run still going, or cut off); read up to it")
    return dict(steps), notes


def acc_rule(cfg: Any, threshold: float | None = None) -> tuple[float, str]:
    """``(t, how)``: a response's accuracy is ``score >= t`` (verl's v1 rollout dumps hold the score only).

    With verl_srpo's reward (``score = acc + format_weight * format - lang_penalty``, acc 0/1) a correct reply
    scores at least ``1 - lang_penalty`` and a wrong one at most ``format_weight``: ``t`` is their midpoint.
    Another reward is taken as 0/1 (``t = 0.5``) unless ``threshold`` is given. Raises ``ValueError`` when
    verl_srpo's reward options make the two overlap.
    """
    if threshold is not None:
        return float(threshold), f"acc = score >= {threshold:g} (--acc-threshold)"
    path = cfg_get(cfg, "reward.custom_reward_function.path")
    if cfg is None or path == REWARD_PATH:
        from verl_srpo.config.schema import RewardConfig, build

        opts = build(RewardConfig, cfg_get(cfg, "reward.custom_reward_function.reward_kwargs", None))
        low, high = opts.format_weight, 1.0 - opts.lang_penalty
        if low >= high:
            raise ValueError(f"accuracy cannot be read from the score: format_weight={opts.format_weight} and "
                             f"lang_penalty={opts.lang_penalty} let a wrong reply score as high as a right one. "
                             "Pass --acc-threshold.")
        t = (low + high) / 2
        return t, (f"acc = score >= {t:g} (verl_srpo reward: correct >= {high:g}, wrong <= {low:g}; "
                   "verl's rollout dumps hold no acc)")
    return 0.5, f"acc = score >= 0.5 (reward {path or 'verl default'} taken as 0/1; set --acc-threshold otherwise)"


def run_kind(cfg: Any) -> str:
    """``SRPO``, ``DAPO (grpo)``, ``GRPO``, ... from the run's trainer mode, estimator and filter."""
    if cfg is None:
        return "unknown (no config)"
    estimator = str(cfg_get(cfg, "algorithm.adv_estimator", "?"))
    if cfg_get(cfg, "trainer.v1.trainer_mode") == TRAINER_MODE:
        return "SRPO" if cfg_get(cfg, "srpo.history.enable", True) else "SRPO (HR off)"
    if cfg_get(cfg, "algorithm.filter_groups.enable", False):
        return f"DAPO ({estimator})"
    return estimator.upper()


@dataclass
class Derivation:
    """How dump lines become per-step quantities: the same for every run of a report."""

    position: Callable[[str, Any], int]  # decoded prompt, ground truth -> training row
    ids: np.ndarray  # (N,) stable ids of the training rows
    domain: np.ndarray  # (N,) domain codes
    domain_names: list[str]
    phrases: list[str]
    count_length: Callable[[list[str]], list[int]]
    acc_threshold: float
    length_unit: str = "chars"
    source: str = ""  # what the rows came from (the data files): part of the cache key

    def __post_init__(self):
        phrase_pattern(self.phrases)  # an empty list fails here, as in the trainer
        # Each phrase's whole-word pattern (the trainer's definition). A match starts where the phrase's first word
        # does, so the pattern is tried only there (str.find on the lower-cased text): a reply of 10,000 characters
        # costs microseconds, where a plain search costs ~0.1 ms a phrase (its look-behind defeats re's fast scan).
        self._each = {p: (p.strip().split()[0].lower(), phrase_pattern([p])) for p in self.phrases}

    @staticmethod
    def _holds(text: str, lower: str, first: str, pattern: re.Pattern) -> bool:
        if len(lower) != len(text):  # lower-casing moved positions (rare scripts): search the plain way
            return pattern.search(text) is not None
        at = lower.find(first)
        while at >= 0:
            if pattern.match(text, at):
                return True
            at = lower.find(first, at + 1)
        return False

    def reflections(self, texts: list[str]) -> np.ndarray:
        """(n, phrases) bool: whether each text holds each phrase (:func:`verl_srpo.metrics.phrase_pattern`)."""
        out = np.zeros((len(texts), len(self._each)), dtype=bool)
        for i, text in enumerate(texts):
            lower = text.lower()
            for j, (first, pattern) in enumerate(self._each.values()):
                out[i, j] = self._holds(text, lower, first, pattern)
        return out

    def step(self, lines: list[dict]) -> tuple[dict, list[int]]:
        """``(quantities, drawn ids)`` of one step's dump lines."""
        final = {}
        for rec in lines:  # an agent loop with several outputs per session: its last one
            match = re.fullmatch(r"(.*)_(\d+)_(\d+)", str(rec["uid"]))
            key = (match.group(1), match.group(2)) if match else (str(rec["uid"]), "")
            final[key] = rec
        keys, recs = list(final), list(final.values())
        uid = np.array([k[0] for k in keys], dtype=object)
        pos = np.array([self.position(r["input"], r.get("gts")) for r in recs], dtype=np.int64)
        score = np.array([float(r["score"]) for r in recs])
        acc = np.array([float(r["acc"]) if "acc" in r else float(s >= self.acc_threshold) for r, s in zip(recs, score)])
        outputs = [str(r.get("output", "")) for r in recs]
        length = np.array(self.count_length(outputs), dtype=float)
        same_acc, same_score = identical_group_fractions(uid, acc, score)
        out: dict[str, float] = {"responses": len(recs), "groups": len(set(uid)),
                                 "zero_adv_share/acc": same_acc, "zero_adv_share/score": same_score}
        domain = self.domain[pos]
        for name, mask in [("all", np.ones(len(recs), bool))] + [
                (self.domain_names[c], domain == c) for c in np.unique(domain)]:
            out[f"acc/{name}"] = float(acc[mask].mean())
            out[f"score/{name}"] = float(score[mask].mean())
            out[f"response_length/{name}"] = float(length[mask].mean())
        found = self.reflections(outputs)
        out["reflection_rate/any"] = float(found.any(axis=1).mean())
        for j, phrase in enumerate(self._each):
            out[f"reflection_rate/{phrase}"] = float(found[:, j].mean())
        first = {}
        for k, p in zip(keys, pos):
            first.setdefault(k[0], int(self.ids[p]))
        return out, sorted(first.values())


class DumpCache:
    """Per-run cache of derived steps, keyed by each dump file's size and mtime (a report rerun on a
    growing run reads only the new steps). ``settings`` (the derivation's inputs) invalidate it."""

    def __init__(self, path: Path | None, settings: str):
        self.path, self.settings = path, settings
        self.files: dict[str, dict] = {}
        if path is not None and path.is_file():
            try:
                saved = json.loads(path.read_text())
            except json.JSONDecodeError:
                saved = {}
            if saved.get("settings") == settings:
                self.files = saved.get("files", {})

    @staticmethod
    def stamp(path: Path) -> list[int]:
        st = path.stat()
        return [st.st_size, st.st_mtime_ns]

    def get(self, path: Path) -> dict | None:
        entry = self.files.get(path.name)
        return entry if entry is not None and entry["stamp"] == self.stamp(path) else None

    def put(self, path: Path, entry: dict) -> None:
        self.files[path.name] = {**entry, "stamp": self.stamp(path)}

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"settings": self.settings, "files": self.files}))


@dataclass
class Run:
    """One run: ``steps`` are ``{"step", "logged": {...}, "derived": {...}, "drawn": [ids]}``, sorted by step."""

    name: str
    files: RunFiles
    config: Any
    kind: str
    acc_rule: str
    steps: list[dict]
    notes: list[str]

    def series(self, part: str, key: str) -> tuple[list[int], list[float]]:
        """Steps and values of ``key`` in ``part`` (``logged`` or ``derived``), where present."""
        xs = [s["step"] for s in self.steps if key in s.get(part, {})]
        return xs, [s[part][key] for s in self.steps if key in s.get(part, {})]


def dump_steps(folder: Path) -> dict[int, Path]:
    return {int(p.stem): p for p in folder.glob("*.jsonl") if p.stem.isdigit()}


def load_run(files: RunFiles, derivation: Derivation | None, acc_how: str, cache_dir: Path | None = None) -> Run:
    """Read ``files`` and derive every dumped step with ``derivation`` (``None``: no dumps to derive)."""
    cfg = OmegaConf.load(files.config) if files.config else None
    notes = list(files.notes)
    logged, more = read_metrics(files.metrics) if files.metrics else ({}, [])
    notes += more
    derived: dict[int, dict] = {}
    if files.dumps is not None and derivation is not None:
        settings = hashlib.sha1(json.dumps([derivation.phrases, derivation.acc_threshold, acc_how,
                                            derivation.length_unit, derivation.source]).encode()).hexdigest()
        tag = hashlib.sha1(str(files.dumps.resolve()).encode()).hexdigest()[:10]
        cache = DumpCache(cache_dir / f"{files.name}-{tag}.json" if cache_dir else None, settings)
        for step, path in sorted(dump_steps(files.dumps).items()):
            entry = cache.get(path)
            if entry is None:
                lines, bad, whole = read_jsonl(path)
                if not whole or not lines:
                    notes.append(f"{path}: still being written; step {step} left out")
                    continue
                quantities, drawn = derivation.step(lines)
                entry = {"derived": quantities, "drawn": drawn}
                cache.put(path, entry)
                if bad:
                    notes.append(f"{path}: {bad} unreadable lines skipped")
            derived[step] = entry
        cache.save()
    steps = []
    for step in sorted(set(logged) | set(derived)):
        rec: dict = {"step": step, "logged": logged.get(step, {})}
        if step in derived:
            rec["derived"], rec["drawn"] = derived[step]["derived"], derived[step]["drawn"]
        steps.append(rec)
    return Run(files.name, files, cfg, run_kind(cfg), acc_how, steps, notes)
