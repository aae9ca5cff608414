"""A row's domain (math, code, ...): one rule for the sampler, the start-up check and the reward.

The rule, for a row of verl's RL data (``docs/SRPO.md`` "Two stages": stage 1 is math only):

1. **Its labels**: the ``srpo.stages.domain_field`` column (verl's ``ability``) and ``extra_info.domain``,
   trimmed and lower-cased, with the aliases in :data:`ALIASES` (``mathematics`` is ``math``, ``coding``
   and ``programming`` are ``code``). When both are set they must agree.
2. Else its ``data_source`` in ``srpo.stages.data_source_domains`` (an exact match).
3. Else a known source name: a ``data_source`` containing one of :data:`MATH_SOURCES` is math, one of
   :data:`CODE_SOURCES` code (containing words of both: not placed).
4. Else the row cannot be placed.

The SRPO trainer classifies every training and validation row when it reads the data, before any
rollout (:func:`verl_srpo.stages.classify_table`, ``SRPOTrainer.after_dataloaders``): a row it cannot
place, or whose labels disagree, stops the run, naming the data sources and what to set. Each
batch then carries the row's domain in ``extra_info.domain`` (:class:`WithDomains`), which is what verl hands
the reward function, so the reward (:func:`verl_srpo.rewards.resolve_domain`, this rule on what it is given)
sees the domain the sampler drew the row for, whatever the row's own columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

ALIASES = {"mathematics": "math", "coding": "code", "programming": "code"}
MATH_SOURCES = ("math", "aime", "amc", "gsm8k", "olympiad", "deepscaler", "dapo", "numina")
CODE_SOURCES = ("code", "apps", "taco", "livecodebench", "lcb", "leetcode", "primeintellect")


class UnplacedRow(ValueError):
    """A row whose domain cannot be told, or whose labels disagree; the message says what to set."""


def label(value: Any) -> str | None:
    """A domain label as the rule reads it: trimmed, lower-cased, aliased; None when empty."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().lower()
    return ALIASES.get(text, text) or None


def by_source_name(data_source: Any) -> str | None:
    """Step 3 of the rule: "math" or "code" when ``data_source`` names a known source of exactly one."""
    source = str(data_source).lower()
    hits = {d for d, words in (("math", MATH_SOURCES), ("code", CODE_SOURCES)) if any(w in source for w in words)}
    return hits.pop() if len(hits) == 1 else None


def domain_of(field_value: Any, extra_info: Any, data_source: Any,
              data_source_domains: Mapping[str, str] | None = None, field: str = "ability") -> str:
    """The domain of one row (module docstring); raises :class:`UnplacedRow`.

    Args:
        field_value: the row's ``field`` column (``srpo.stages.domain_field``), or None where it is not seen.
        extra_info: the row's ``extra_info`` (a dict, or None).
        data_source: the row's ``data_source``.
        data_source_domains: ``srpo.stages.data_source_domains``.
    """
    info = label(extra_info.get("domain")) if isinstance(extra_info, Mapping) else None
    column = label(field_value)
    if column and info and column != info:
        raise UnplacedRow(f"`{field}`={column!r} but extra_info.domain={info!r}: the row's labels disagree. "
                          "Make them agree in the data.")
    found = column or info
    if found is None and data_source_domains and data_source is not None:
        found = label(data_source_domains.get(str(data_source)))
    if found is None:
        found = by_source_name(data_source)
    if found is None:
        raise UnplacedRow(
            f"`{field}` and extra_info.domain are empty and data_source={data_source!r} is neither in "
            f"srpo.stages.data_source_domains nor a known source (math sources contain one of {MATH_SOURCES}, code "
            f"sources one of {CODE_SOURCES}). Set `{field}` or extra_info.domain in the data, or map the source, "
            "e.g. srpo.stages.data_source_domains={<source>: math}."
        )
    return found


class WithDomains:
    """A dataloader ``collate_fn`` that writes each row's domain into ``extra_info.domain`` first (a copy of
    the row's ``extra_info``): verl hands ``extra_info`` to the reward function, so the reward sees the
    domain the rule gave the row at start-up. Picklable (dataloader workers)."""

    def __init__(self, collate: Callable, field: str, data_source_domains: Mapping[str, str] | None = None):
        self.collate, self.field = collate, field
        self.data_source_domains = dict(data_source_domains or {})

    def __call__(self, rows: list[dict]) -> Any:
        placed = []
        for row in rows:
            info = dict(row.get("extra_info") or {})
            info["domain"] = domain_of(row.get(self.field), info, row.get("data_source"), self.data_source_domains,
                                       self.field)
            placed.append({**row, "extra_info": info})
        return self.collate(placed)
