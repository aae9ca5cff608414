"""The last step: verl's RL parquet rows, a stable index, a train/validation split and a summary.

A row as verl's ``RLHFDataset`` and the SRPO reward read it::

    data_source   the source name (e.g. "dapo_math")
    ability       "math" | "code"
    prompt        chat messages: the R1-Zero template (verl_srpo.prompts.chat_messages)
    reward_model  {"style": "rule", "ground_truth": <math answer | code tests JSON>}
    extra_info    {"index": int, "domain", "source_id", "split", "pass_k", "num_correct", "pass_rate",
                   "difficulty"}

``extra_info.index`` is the first 52 bits of sha1("<source>:<source_id>"): the same problem keeps
the same id whatever else is in the set (history resampling keys on it); collisions fail loudly.
"""

from __future__ import annotations

import hashlib
import heapq
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def stable_index(source: str, source_id: str) -> int:
    return int(hashlib.sha1(f"{source}:{source_id}".encode()).hexdigest()[:13], 16)


def verl_row(record: dict, split: str) -> dict:
    from verl_srpo.prompts import chat_messages  # the package import pulls in verl: only when rows are written

    return {
        "data_source": record["source"],
        "ability": record["domain"],
        "prompt": chat_messages(record["question"], record["domain"]),
        "reward_model": {"style": "rule", "ground_truth": record["answer"]},
        "extra_info": {
            "index": stable_index(record["source"], record["source_id"]),
            "domain": record["domain"],
            "source_id": record["source_id"],
            "split": split,
            "pass_k": record.get("pass_k"),
            "num_correct": record.get("num_correct"),
            "pass_rate": record.get("pass_rate"),
            "difficulty": record.get("difficulty", "unlabelled"),
        },
    }


def _order(record: dict, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{record['source']}:{record['source_id']}".encode()).hexdigest()


def val_keys(records: Iterable[dict], val_per_domain: int, seed: int = 0) -> set[tuple[str, str]]:
    """The validation rows: ``val_per_domain`` of each domain (at most half of them, so training keeps
    every domain), the smallest by a seeded hash (stable under resume). One pass; memory: the candidates."""
    best: dict[str, list] = {}  # domain -> heap of (-order, key), the val_per_domain smallest orders
    count: Counter = Counter()
    for r in records:
        count[r["domain"]] += 1
        heap = best.setdefault(r["domain"], [])
        item = (-int(_order(r, seed), 16), (r["source"], r["source_id"]))
        if len(heap) < val_per_domain:
            heapq.heappush(heap, item)
        elif val_per_domain and item > heap[0]:
            heapq.heapreplace(heap, item)
    keys = set()
    for domain, heap in best.items():
        keep = min(val_per_domain, count[domain] // 2)
        keys |= {key for _, key in sorted(heap, reverse=True)[:keep]}
    return keys


def split(records: list[dict], val_per_domain: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """``(train, val)`` of a list (see :func:`val_keys`)."""
    val = val_keys(records, val_per_domain, seed)
    return ([r for r in records if (r["source"], r["source_id"]) not in val],
            [r for r in records if (r["source"], r["source_id"]) in val])


# The parquet schema verl's RLHFDataset reads (explicit, so every batch of a streamed write agrees).
SCHEMA = pa.schema([
    ("data_source", pa.string()),
    ("ability", pa.string()),
    ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
    ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
    ("extra_info", pa.struct([("index", pa.int64()), ("domain", pa.string()), ("source_id", pa.string()),
                              ("split", pa.string()), ("pass_k", pa.int64()), ("num_correct", pa.int64()),
                              ("pass_rate", pa.float64()), ("difficulty", pa.string())])),
])


class ParquetRows:
    """verl rows written ``batch`` at a time; ``extra_info.index`` collisions fail loudly."""

    def __init__(self, path: Path, split_name: str, batch: int = 512):
        self.path, self.split_name, self.batch = path, split_name, batch
        self.tmp = path.with_name(path.name + ".tmp")
        self.writer = pq.ParquetWriter(self.tmp, SCHEMA)
        self.rows: list[dict] = []
        self.ids: set[int] = set()
        self.count = 0

    def add(self, record: dict) -> None:
        row = verl_row(record, self.split_name)
        index = row["extra_info"]["index"]
        if index in self.ids:
            raise ValueError(f"extra_info.index collides for {record['source']}:{record['source_id']} ({index}): "
                             "duplicate (source, source_id) pairs reached combine; rerun the clean step")
        self.ids.add(index)
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=SCHEMA))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)


def to_frame(records: list[dict], split_name: str) -> pd.DataFrame:
    """The verl rows of a list, as a DataFrame (small sets and tests)."""
    rows = [verl_row(r, split_name) for r in records]
    ids = Counter(row["extra_info"]["index"] for row in rows)
    clashes = [i for i, c in ids.items() if c > 1]
    if clashes:
        raise ValueError(f"extra_info.index collides for {len(clashes)} ids ({clashes[:3]}): duplicate "
                         "(source, source_id) pairs reached combine; rerun the clean step")
    return pd.DataFrame(rows)


class Summary:
    """Counts per split x (source, domain, difficulty) and removals per (step, reason, source), streamed.
    A removal with ``count`` stands for that many rows (a problem's repeats in its source)."""

    def __init__(self, sources: dict):
        self.sources = sources
        self.removed_by_reason: Counter = Counter()
        self.removed_by_source: Counter = Counter()
        self.splits = {name: {"by_source": Counter(), "by_domain": Counter(), "by_difficulty": Counter()}
                       for name in ("train", "val")}

    def removal(self, r: dict) -> None:
        n = int(r.get("count", 1))
        self.removed_by_reason[f"{r['step']}/{r['reason']}"] += n
        self.removed_by_source[f"{r['source']}/{r['step']}/{r['reason']}"] += n

    def row(self, split_name: str, r: dict) -> None:
        counts = self.splits[split_name]
        counts["by_source"][r["source"]] += 1
        counts["by_domain"][r["domain"]] += 1
        counts["by_difficulty"][f"{r['domain']}/{r.get('difficulty', 'unlabelled')}"] += 1

    def to_dict(self) -> dict:
        out = {"sources": self.sources,
               "removed": {"total": sum(self.removed_by_reason.values()),
                           "by_reason": dict(sorted(self.removed_by_reason.items())),
                           "by_source": dict(sorted(self.removed_by_source.items()))}}
        for name, counts in self.splits.items():
            out[name] = {"total": sum(counts["by_source"].values()),
                         **{k: dict(sorted(v.items())) for k, v in counts.items()}}
        return out


def summary(train: list[dict], val: list[dict], removals: list[dict], sources: dict | None = None) -> dict:
    """:class:`Summary` of lists."""
    s = Summary(sources or {})
    for r in removals:
        s.removal(r)
    for name, records in (("train", train), ("val", val)):
        for r in records:
            s.row(name, r)
    return s.to_dict()


def format_summary(s: dict) -> str:
    lines = ["sources (split read; licence as its dataset card states it):"]
    for name, src in s.get("sources", {}).items():
        where = src["location"] + (f"@{src['revision'][:12]}" if src.get("revision") else "")
        lines.append(f"  {name}: split {src['split']} of {where} ({src['license']}): {src['rows_read']:,} rows read, "
                     f"{src['problems']:,} distinct problems")
    for name in ("train", "val"):
        lines.append(f"{name}: {s[name]['total']} rows")
        for group in ("by_source", "by_domain", "by_difficulty"):
            lines.append(f"  {group[3:]:<11}" + ", ".join(f"{k}={v}" for k, v in s[name][group].items()))
    lines.append(f"removed: {s['removed']['total']} rows")
    lines += [f"  {k}: {v}" for k, v in s["removed"]["by_source"].items()]
    return "\n".join(lines)
