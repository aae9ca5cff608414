"""The training parquet as the SRPO trainer reads it, for ``report`` and ``plan``.

* :func:`read_table` reads ``data.train_files`` (one or several parquet files);
* :func:`training_rows` gives each row's stable id and domain through the trainer's own
  :func:`verl_srpo.stages.read_rows` (``srpo.stages.domain_field`` with the ``data_source_domains`` fallback);
* :func:`pass_rates` reads the pass@k labels that ``recipes/data`` writes (``extra_info.pass_rate``, or
  ``num_correct / pass_k``);
* :class:`PromptMatcher` maps a prompt as verl's rollout dump decodes it back to its training row.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from verl_srpo.stages import Rows, read_rows

LABEL_HINT = ("label the data by pass@k with `python -m recipes.data.prepare all --label-model MODEL --k 8 ...` "
              "(recipes/data/README.md, 'Difficulty labels'); `--no-label` writes no labels")


def read_table(paths: str | Path | list) -> pa.Table:
    """The rows of one parquet file or a list of them (verl's ``data.train_files``), concatenated."""
    files = [Path(str(p)).expanduser() for p in (paths if isinstance(paths, (list, tuple)) else [paths])]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"training data not found: {missing}. Pass the run's data.train_files with --data "
                                "(or --plan-data) when the run's paths do not exist on this machine.")
    tables = [pq.read_table(f) for f in files]
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")


class _TableDataset:
    """What :func:`verl_srpo.stages.read_rows` reads of verl's RLHFDataset: ``len`` and a HF ``dataframe``."""

    def __init__(self, table: pa.Table):
        import datasets

        self.dataframe = datasets.Dataset(table)
        self._rows = table.num_rows

    def __len__(self) -> int:
        return self._rows


def training_rows(table: pa.Table, domain_field: str = "ability", data_source_domains: Any = None) -> Rows:
    """Stable ids and domain codes (N,) of ``table``'s rows, exactly as the SRPO sampler reads them."""
    return read_rows(_TableDataset(table), domain_field, dict(data_source_domains or {}))


def _extra_field(table: pa.Table, name: str) -> np.ndarray | None:
    if "extra_info" not in table.column_names:
        return None
    column = table.column("extra_info").combine_chunks()
    if not pa.types.is_struct(column.type) or column.type.get_field_index(name) < 0:
        return None
    return np.array(column.field(name).to_pylist(), dtype=object)


def pass_rates(table: pa.Table) -> np.ndarray:
    """(N,) float: each row's pass rate from its pass@k label (``extra_info.pass_rate``, else
    ``num_correct / pass_k``; ``recipes/data/label.py``). Raises ``ValueError`` naming the unlabelled rows."""
    rate = _extra_field(table, "pass_rate")
    correct, k = _extra_field(table, "num_correct"), _extra_field(table, "pass_k")
    n = table.num_rows
    out = np.full(n, np.nan)
    if rate is not None:
        out = np.array([np.nan if v is None else float(v) for v in rate])
    if correct is not None and k is not None:
        derived = np.array([np.nan if c is None or not kk else float(c) / float(kk) for c, kk in zip(correct, k)])
        out = np.where(np.isnan(out), derived, out)
    missing = int(np.isnan(out).sum())
    if missing:
        raise ValueError(f"{missing} of {n} training rows have no pass@k label (extra_info.pass_rate, or "
                         f"num_correct and pass_k): {LABEL_HINT}.")
    if ((out < 0) | (out > 1)).any():
        raise ValueError(f"extra_info.pass_rate must be in [0, 1]; got values from {out.min()} to {out.max()}.")
    return out


def _squash(text: str) -> str:
    # Decoding drops or moves whitespace (skip_special_tokens, tokenizers' clean-up): compare without it.
    return re.sub(r"\s+", "", text)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _user_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    users = [m.get("content", "") for m in (prompt or []) if isinstance(m, dict) and m.get("role") == "user"]
    return str(users[-1]) if users else ""


class PromptMatcher:
    """Maps a decoded rollout prompt (verl's dump ``input``) and its ``gts`` back to a training row.

    A row matches when its last user message (``prompt_key`` column), whitespace removed, is part of the
    decoded prompt, whitespace removed; candidates are first the rows with the same ground truth. The
    longest match wins (a question that extends another). Results are cached per prompt text.
    """

    def __init__(self, table: pa.Table, prompt_key: str = "prompt"):
        if prompt_key not in table.column_names:
            raise ValueError(f"the training data has no `{prompt_key}` column (data.prompt_key); columns: "
                             f"{table.column_names}")
        self._text = [_squash(_user_text(p)) for p in table.column(prompt_key).to_pylist()]
        self._by_truth: dict[str, list[int]] = defaultdict(list)
        if "reward_model" in table.column_names:
            for i, model in enumerate(table.column("reward_model").to_pylist()):
                if isinstance(model, dict) and "ground_truth" in model:
                    self._by_truth[_key(model["ground_truth"])].append(i)
        self._cache: dict[tuple[str, str], int] = {}

    def _best(self, candidates: Any, squashed: str) -> int | None:
        hits = [i for i in candidates if self._text[i] and self._text[i] in squashed]
        return max(hits, key=lambda i: len(self._text[i])) if hits else None

    def position(self, prompt_text: str, ground_truth: Any = None) -> int:
        """The row (position in the table) of one decoded prompt. Raises ``KeyError`` when none matches."""
        key = (prompt_text, _key(ground_truth))
        if key not in self._cache:
            squashed = _squash(prompt_text)
            found = self._best(self._by_truth.get(key[1], ()), squashed)
            if found is None:
                found = self._best(range(len(self._text)), squashed)
            if found is None:
                raise KeyError(f"prompt not in the training data: ...{prompt_text[-160:]!r}. Pass the run's "
                               "data.train_files with --data.")
            self._cache[key] = found
        return self._cache[key]
