"""SRPO's two stages (``docs/SRPO.md``, "Two stages"): math only, then math + code.

* :func:`read_rows` reads each training row's stable id (``extra_info.index``) and domain once, with
  pyarrow (about a second for a million rows); the domain is :mod:`verl_srpo.domains`' rule.
* :class:`StagePlan` says which domains each stage draws and with what weights;
  :func:`step_counts` turns stage 2's weights into each step's prompts per domain, and
  :func:`floor_sizes` into each domain's share of history resampling's pool floor.
* :class:`StageSwitch` is the stage-switch callback: the trainer calls it before each step's batch is
  drawn, and when the switch is due it moves the sampler to stage 2, which discards the rest of the
  stage-1 epoch (no stage-1 batch drawn ahead crosses the switch).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from verl_srpo.domains import UnplacedRow, domain_of, label

logger = logging.getLogger(__name__)
logger.setLevel(os.getenv("VERL_LOGGING_LEVEL", "INFO"))  # as verl's own modules: INFO lines reach the log


@dataclass
class Rows:
    """Per-row facts the sampler needs: ``ids`` (N,) int64 ``extra_info.index``, ``domain`` (N,) int8 codes."""

    ids: np.ndarray
    domain: np.ndarray
    domain_names: list[str]


def table_of(dataset: Any, columns: list[str]) -> pa.Table:
    """``columns`` of ``dataset`` (verl's RLHFDataset), with ``extra_info`` and ``data_source``, as one arrow
    table (the columns it lacks are left out)."""
    frame = getattr(dataset, "dataframe", None)
    if frame is None or not hasattr(frame, "select_columns"):
        raise ValueError(
            f"srpo: the dataset {type(dataset).__name__} has no Hugging Face `dataframe`; the SRPO trainer reads "
            "`extra_info.index` and each row's domain from it. Use verl's RLHFDataset (no data.custom_cls)."
        )
    columns = [*columns, "extra_info", "data_source"]
    present = [c for c in dict.fromkeys(columns) if c in frame.column_names]
    return frame.select_columns(present).with_format("arrow")[:]


def _ids(table: pa.Table) -> np.ndarray:
    problem = "srpo: every training row needs an integer `extra_info.index`, unique across data.train_files "
    if "extra_info" not in table.column_names:
        raise ValueError(problem + "(no `extra_info` column). Write it in data preparation (recipes/data).")
    column = table.column("extra_info").combine_chunks()
    if not pa.types.is_struct(column.type) or column.type.get_field_index("index") < 0:
        raise ValueError(problem + f"(`extra_info` is {column.type}).")
    index = column.field("index")
    if index.null_count or not pa.types.is_integer(index.type):
        raise ValueError(problem + f"({index.null_count} rows lack it; type {index.type}).")
    ids = index.to_numpy().astype(np.int64)
    uniq, counts = np.unique(ids, return_counts=True)
    if len(uniq) != len(ids):
        dup = uniq[counts > 1]
        raise ValueError(
            problem + f"({len(dup)} values repeat, e.g. {dup[:5].tolist()}). History resampling keys prompts by it: "
            "renumber the rows of the combined dataset so that no two share an index."
        )
    return ids


def _strings(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    return table.column(name).combine_chunks().cast(pa.string())


def _info_domain(table: pa.Table) -> pa.Array:
    if "extra_info" not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    column = table.column("extra_info").combine_chunks()
    if not pa.types.is_struct(column.type) or column.type.get_field_index("domain") < 0:
        return pa.nulls(table.num_rows, pa.string())
    return pc.struct_field(column, "domain").cast(pa.string())


def classify_table(table: pa.Table, field: str, data_source_domains: Mapping[str, str] | None = None,
                   what: str = "training") -> tuple[np.ndarray, list[str]]:
    """Every row's domain by :func:`verl_srpo.domains.domain_of`, applied once per distinct (``field``,
    ``extra_info.domain``, ``data_source``): codes (N,) int8 into the sorted domain names. Raises
    :class:`~verl_srpo.domains.UnplacedRow` saying which rows cannot be placed and what to set."""
    codes, values = [], []
    for column in (_strings(table, field), _info_domain(table), _strings(table, "data_source")):
        encoded = column.dictionary_encode()
        codes.append(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1)
        values.append([None, *encoded.dictionary.to_pylist()])
    key = codes[0]
    for code, vals in zip(codes[1:], values[1:]):
        key = key * len(vals) + code
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    found: list[str | None] = []
    reasons: list[str] = []
    for row in first:
        field_value, info, source = (vals[c[row]] for vals, c in zip(values, codes))
        try:
            found.append(domain_of(field_value, {"domain": info}, source, data_source_domains, field))
        except UnplacedRow as exc:
            found.append(None)
            reasons.append(str(exc))
    if reasons:
        bad = int(np.isin(inverse, [i for i, n in enumerate(found) if n is None]).sum())
        more = f" (and {len(reasons) - 3} more kinds)" if len(reasons) > 3 else ""
        raise UnplacedRow(f"srpo: {bad} {what} rows cannot be placed in a domain: " + " | ".join(reasons[:3]) + more)
    # Codes in sorted name order, not first-seen row order: the same data in another row order (or its
    # train_files in another order) gets the same codes, so saved sampler states and mixes stay comparable.
    names = sorted(set(found))
    recode = np.array([names.index(n) for n in found], dtype=np.int8)
    return recode[inverse], names


def read_rows(dataset: Any, domain_field: str, data_source_domains: dict[str, str] | None = None) -> Rows:
    """Read ids and domains of every row of ``dataset`` (verl's RLHFDataset), failing early on bad data: a row
    without a unique ``extra_info.index``, or one that :mod:`verl_srpo.domains` cannot place."""
    table = table_of(dataset, [domain_field])
    if table.num_rows != len(dataset):
        raise ValueError(f"srpo: dataset has {len(dataset)} rows but its dataframe {table.num_rows}.")
    ids = _ids(table)
    domain, names = classify_table(table, domain_field, data_source_domains)
    return Rows(ids, domain, names)


class StagePlan:
    """Which domains each stage draws from, and stage 2's weights.

    Args:
        domain_names: the data's domains (code ``i`` is ``domain_names[i]``).
        counts: (D,) rows per domain.
        stage1_domains: domains of stage 1 (SRPO: ``["math"]``).
        stage2_weights: ``{domain: weight}`` for stage 2; ``None`` = every domain, natural proportions.
    """

    def __init__(self, domain_names: list[str], counts: np.ndarray, stage1_domains: list[str],
                 stage2_weights: dict[str, float] | None = None):
        self.domain_names = list(domain_names)
        known = set(self.domain_names)
        wanted = [label(d) for d in stage1_domains] + [label(d) for d in (stage2_weights or {})]
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ValueError(
                f"srpo.stages names domains {unknown} that no training row has; the data's domains are "
                f"{sorted(known)} (from srpo.stages.domain_field / data_source_domains)."
            )
        code = {name: i for i, name in enumerate(self.domain_names)}
        self.stage1 = np.array(sorted(code[label(d)] for d in stage1_domains), dtype=np.int8)
        if stage2_weights is None:
            self.weights2 = np.asarray(counts, dtype=np.float64) / max(1, int(np.sum(counts)))
            self.natural2 = True
        else:
            self.weights2 = np.zeros(len(self.domain_names))
            for name, weight in stage2_weights.items():
                self.weights2[code[label(name)]] = float(weight)
            self.weights2 /= self.weights2.sum()
            self.natural2 = False

    def domains(self, stage: int) -> np.ndarray:
        """Domain codes (k,) that ``stage`` draws from."""
        return self.stage1 if stage == 1 else np.flatnonzero(self.weights2 > 0).astype(np.int8)

    def name(self, code: int) -> str:
        return self.domain_names[code]


def step_counts(weights: np.ndarray, step: int, steps: int,
                carry: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Prompts per domain in each of ``steps`` training steps of ``step`` prompts, by ``weights``.

    Args:
        weights: (D,) non-negative, summing to 1.
        step: prompts a step (``data.train_batch_size``).
        steps: steps in the epoch.
        carry: (D,) the remainders carried from the previous epoch (default zeros).

    Returns:
        ``(counts (steps, D) int, carry (D,))``; every row of ``counts`` sums to ``step``. Domain ``d`` gets
        ``floor(w_d * step)`` prompts a step, plus one in the steps where its carried remainder is among the
        largest (only domains whose share has a fractional part get one), so a step never holds more than
        ``ceil(w_d * step)`` prompts of ``d``, and over any run of steps (across epochs, through ``carry``)
        ``d`` gets ``w_d * step`` prompts a step, within one. O(steps * D).
    """
    weights = np.asarray(weights, dtype=np.float64)
    carry = np.zeros(len(weights)) if carry is None else np.asarray(carry, dtype=np.float64).copy()
    exact = weights * step
    base = np.floor(exact + 1e-9).astype(np.int64)
    frac = np.clip(exact - base, 0.0, None)
    counts = np.tile(base, (steps, 1))
    extra = step - int(base.sum())
    if extra <= 0 or steps == 0:
        return counts, carry
    candidates = np.flatnonzero(frac > 1e-9)
    if len(candidates) < extra:  # float rounding only: hand the rest to the largest shares
        candidates = np.argsort(-exact, kind="stable")[: max(extra, len(candidates))]
    share, left = frac[candidates].tolist(), carry[candidates].tolist()  # plain lists: D is small, steps many
    slots = range(len(candidates))
    picks = np.empty((steps, extra), dtype=np.int64)
    for s in range(steps):
        for k in slots:
            left[k] += share[k]
        top = sorted(slots, key=lambda k: -left[k])[:extra]  # stable: ties go to the lower code
        for k in top:
            left[k] -= 1.0
        picks[s] = top
    np.add.at(counts, (np.repeat(np.arange(steps), extra), candidates[picks.ravel()]), 1)
    carry[candidates] = left
    return counts, carry


def floor_sizes(weights: np.ndarray, caps: np.ndarray, total: int) -> np.ndarray:
    """Each domain's share of history resampling's pool floor of ``total`` prompts, by ``weights``.

    Args:
        weights: (D,) non-negative (stage 2's weights; they need not sum to 1). A domain of weight 0 gets 0.
        caps: (D,) int, the rows of each domain: no domain's floor exceeds them.
        total: the pool floor (``max(srpo.history.min_pool_size, data.train_batch_size)``).

    Returns:
        (D,) int64 floors. A domain whose share ``w_d / sum(w) * total`` is at least its rows is capped at
        its rows, and what it cannot hold goes to the other domains by weight (repeated until no share
        exceeds its domain's rows); every other domain gets the ceiling of its share. So the floors add up
        to at least ``min(total, rows of the weighted domains)`` (more by under one a domain), and no
        uncapped domain's floor is below the most :func:`step_counts` puts in a step
        (``ceil(w_d * step)``, ``step <= total``). O(D^2).

    Example: weights (1, 1), caps (400, 10), total 64: code holds 10, math 54 (not 32: the floors add up to 64).
    """
    weights = np.asarray(weights, dtype=np.float64)
    caps = np.asarray(caps, dtype=np.int64)
    sizes = np.zeros(len(weights), dtype=np.int64)
    open_ = (weights > 0) & (caps > 0)
    left = int(total)
    while open_.any() and left > 0:
        share = np.where(open_, weights, 0.0) / weights[open_].sum() * left
        full = open_ & (share >= caps - 1e-9)
        if not full.any():
            sizes[open_] = np.ceil(share[open_] - 1e-9).astype(np.int64)
            break
        sizes[full] = caps[full]
        left -= int(caps[full].sum())
        open_ &= ~full
    return sizes


@dataclass
class StageSwitch:
    """The stage-switch callback: stage 2 starts at global step ``at_step`` or after ``at_epoch`` stage-1 epochs.

    Whichever comes first wins; ``None`` disables that trigger (both ``None``: stage 1 for the whole run).
    Call it from the trainer's ``on_step_begin``, before the step's batch is drawn.
    """

    at_step: int | None = None
    at_epoch: int | None = None

    def due(self, global_step: int, stage1_epochs_done: int) -> bool:
        by_step = self.at_step is not None and global_step >= self.at_step
        by_epoch = self.at_epoch is not None and stage1_epochs_done >= self.at_epoch
        return by_step or by_epoch

    def __call__(self, sampler: Any, global_step: int) -> bool:
        """Move ``sampler`` to stage 2 if the switch is due; returns whether it switched now."""
        if sampler.stage != 1 or not self.due(global_step, sampler.epochs_done_in_stage):
            return False
        sampler.enter_stage(2)
        logger.info("srpo: stage 2 (math + code) starts at global step %d", global_step)
        return True
