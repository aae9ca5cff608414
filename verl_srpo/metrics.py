"""One step's rollouts, read from TransferQueue, and SRPO's metrics over them.

verl's agent loop writes every trajectory row with the prompt's fields (``index`` is the stable
``extra_info.index``), ``extra_fields.reward_extra_info`` (the reward function's dict: ``score``,
``acc``, ...) and a tag with ``response_len``. Reading them costs O(batch) small values; only the
``reflection_sample_size`` responses used for the reflection rate are fetched as tokens.

TransferQueue (and with it torch) is imported by the two readers only, pandas by :func:`identical_group_fractions`:
``verl-srpo report`` uses the pure functions here on verl's files, and its ``--help`` imports neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class StepRows:
    """One step's non-padding trajectories, (n,) each."""

    keys: list[str]
    uid: np.ndarray  # prompt draw id (groups of rollout.n)
    ids: np.ndarray  # stable prompt id, extra_info.index
    acc: np.ndarray  # accuracy from the reward function
    score: np.ndarray  # the (shaped) reward score
    length: np.ndarray  # response length in tokens
    math_verify_errors: int = 0  # math-verify checks that failed to run in the step (verl_srpo.rewards.math)


def _reward_info(extra_fields: Any) -> dict:
    extra = getattr(extra_fields, "data", extra_fields)
    return extra.get("reward_extra_info", {}) if isinstance(extra, dict) else {}


def read_step(batch: Any, acc_key: str = "acc") -> StepRows:
    """Read a step's trajectories (``batch`` is verl's ``KVBatchMeta``) from TransferQueue."""
    import transfer_queue as tq

    real = [i for i, tag in enumerate(batch.tags) if not tag.get("is_padding", False)]
    keys = [batch.keys[i] for i in real]
    data = tq.kv_batch_get(keys=keys, partition_id=batch.partition_id, select_fields=["index", "extra_fields"])
    infos = [_reward_info(x) for x in data["extra_fields"]]
    missing = [k for k, info in zip(keys, infos) if acc_key not in info]
    if missing:
        raise KeyError(
            f"srpo: {len(missing)} rollouts have no `{acc_key}` in their reward_extra_info (e.g. {missing[0]}). History "
            f"resampling judges prompts on accuracy: make the reward function return a dict with `{acc_key}` "
            "(verl_srpo.rewards does), or set srpo.history.acc_key to the key it uses."
        )
    acc = np.array([float(info[acc_key]) for info in infos])
    if all("score" in info for info in infos):
        score = np.array([float(info["score"]) for info in infos])
    else:
        rm = tq.kv_batch_get(keys=keys, partition_id=batch.partition_id, select_fields=["rm_scores"])["rm_scores"]
        score = np.array([float(t.sum()) for t in rm.unbind()])
    tags = [batch.tags[i] for i in real]
    length = np.array([float(tag.get("response_len", np.nan)) for tag in tags])
    uid = np.array([k.split("_", 1)[0] for k in keys], dtype=object)
    errors = int(sum(float(info.get("math_verify_errors", 0)) for info in infos))
    return StepRows(keys, uid, np.asarray(list(data["index"]), dtype=np.int64), acc, score, length, errors)


def identical_group_fraction(uid: np.ndarray, acc: np.ndarray) -> float:
    """Share of groups (same ``uid``, (n,)) whose accuracies (n,) are all equal: they carry no GRPO signal."""
    return identical_group_fractions(uid, acc)[0]


def identical_group_fractions(uid: np.ndarray, *values: np.ndarray) -> list[float]:
    """:func:`identical_group_fraction` for each of ``values`` (each (n,)), grouping ``uid`` (n,) once."""
    if len(uid) == 0:
        return [0.0 for _ in values]
    import pandas as pd

    inverse, groups = pd.factorize(uid)  # hashing, O(n)
    out = []
    for value in values:
        low = np.full(len(groups), np.inf)
        high = np.full(len(groups), -np.inf)
        np.minimum.at(low, inverse, value)
        np.maximum.at(high, inverse, value)
        out.append(float(np.mean(low == high)))
    return out


def domain_metrics(domain: np.ndarray, names: list[str], rows: StepRows) -> dict[str, float]:
    """``srpo/<domain>/{reward,acc,response_length}_mean`` for the domains (n,) present in the step."""
    out = {}
    for code in np.unique(domain):
        mask = domain == code
        name = names[code]
        out[f"srpo/{name}/reward_mean"] = float(rows.score[mask].mean())
        out[f"srpo/{name}/acc_mean"] = float(rows.acc[mask].mean())
        out[f"srpo/{name}/response_length_mean"] = float(np.nanmean(rows.length[mask]))
    return out


def phrase_pattern(phrases: list[str]) -> re.Pattern:
    """Case-insensitive, whole-word regex matching any of ``phrases``."""
    if not phrases:
        raise ValueError("srpo.metrics.reflection_phrases is empty; set reflection_sample_size=0 to turn it off.")
    body = "|".join(re.escape(p.strip()).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def reflection_rate(texts: list[str], pattern: re.Pattern) -> float:
    """Share of ``texts`` containing a reflective phrase."""
    return float(np.mean([pattern.search(t) is not None for t in texts])) if texts else 0.0


def sample_texts(rows: StepRows, partition_id: str, tokenizer: Any, size: int) -> list[str]:
    """Decode ``size`` evenly spaced responses of the step (at most all of them)."""
    if size <= 0 or not rows.keys:
        return []
    import transfer_queue as tq

    picks = np.unique(np.linspace(0, len(rows.keys) - 1, num=min(size, len(rows.keys))).astype(int))
    keys = [rows.keys[i] for i in picks]
    responses = tq.kv_batch_get(keys=keys, partition_id=partition_id, select_fields=["responses"])["responses"]
    return tokenizer.batch_decode([r.tolist() for r in responses.unbind()], skip_special_tokens=True)
