"""Cleaning, as the SRPO report describes it: every rule names what it removes and why.

Per-row rules (``row_problem``) drop ambiguous or multi-answer math, problems that need a figure,
and code that needs a special runtime or has no usable tests. Then :class:`Deduplicator` drops exact
duplicates (same normalised bare statement) and near duplicates (word 5-gram Jaccard >= threshold),
keeping the first occurrence in source order (sources are listed in priority order on the command
line). Everything streams: only what identifies each kept problem stays in memory.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator

import numpy as np

from verl_srpo.recipes.data.sources import problem_key
from verl_srpo.recipes.data.textmatch import MinHashIndex, gram_array, jaccard, normalize

VERSION = 2  # bump when a rule changes: cached clean steps are redone

# Math answers that are not one checkable value (ours: conservative patterns, each with its reason).
MULTI_ANSWER = [
    (re.compile(r",(?!\d{3}\b)|;|\\pm|\\mp|\bor\b|\band\b"), "answer lists several values"),
    (re.compile(r"\\text\{[^}]{12,}\}"), "answer is prose"),
]
MULTI_ANSWER_QUESTION = re.compile(
    r"\b(find all|all possible values|list all|enter all|separated by commas|prove that|show that)\b", re.I)
MAX_MATH_ANSWER_CHARS = 40  # (ours) longer answers are mostly expressions a verifier cannot match reliably

# A question that points at a picture it does not carry (an [asy] block carries its figure).
FIGURE_REF = re.compile(r"\b(figure|diagram|picture|shown (below|above|in the)|as shown)\b|<img|!\[", re.I)
INLINE_FIGURE = re.compile(r"\[asy\]", re.I)

# Code whose checking needs more than exact-match stdin/stdout or return values.
SPECIAL_RUNTIME = [
    (re.compile(r"\binteractive (problem|task)|\bflush the output|\binteractor\b", re.I), "interactive judge"),
    (re.compile(r"\b(print|output) any (of them|one of them|such|valid)|\bif there are (several|multiple|many) "
                r"(possible |valid |correct )?(answers|solutions)", re.I), "special judge: many valid outputs"),
    (re.compile(r"\b(input|output)\.txt\b"), "file input/output"),
]


def _text(record: dict) -> str:
    return record.get("statement") or record["question"]


def math_problem(record: dict) -> tuple[str, str] | None:
    answer, question = record["answer"].strip(), _text(record)
    for pattern, why in MULTI_ANSWER:
        if pattern.search(answer):
            return "ambiguous_answer", f"{why}: {answer[:60]!r}"
    if len(answer) > MAX_MATH_ANSWER_CHARS:
        return "ambiguous_answer", f"answer longer than {MAX_MATH_ANSWER_CHARS} characters"
    if m := MULTI_ANSWER_QUESTION.search(question):
        return "ambiguous_answer", f"question asks to {m.group(0).lower()!r}"
    return None


def code_problem(record: dict) -> tuple[str, str] | None:
    meta = json.loads(record.get("meta") or "{}")
    if meta.get("language") and meta["language"] != "python":
        return "special_runtime", f"tests are for {meta['language']}"
    for pattern, why in SPECIAL_RUNTIME:
        if m := pattern.search(_text(record)):
            return "special_runtime", f"{why} ({m.group(0)!r})"
    tests = json.loads(record["answer"])
    if not tests.get("inputs") or len(tests["inputs"]) != len(tests.get("outputs") or []):
        return "no_tests", "no test cases, or inputs and outputs differ in number"
    return None


def row_problem(record: dict) -> tuple[str, str] | None:
    """``(reason, detail)`` when a record must go, else None."""
    meta = json.loads(record.get("meta") or "{}")
    text = _text(record)
    if meta.get("picture_num") or ("<image>" in text):
        return "needs_figure", "the problem comes with pictures"
    if (ref := FIGURE_REF.search(text)) and not INLINE_FIGURE.search(text):
        return "needs_figure", f"refers to a {ref.group(0)!r} it does not carry"
    return math_problem(record) if record["domain"] == "math" else code_problem(record)


class Deduplicator:
    """Exact and near duplicates across everything added so far, one record at a time.

    Exact: the same domain and normalised bare statement. Near: word ``n``-gram Jaccard >= ``threshold``
    within the domain, found by MinHash and confirmed exactly. Memory per kept record: its name, a
    16-byte key, its n-grams (4 bytes each) and ~16 index entries; never the record itself.
    """

    def __init__(self, threshold: float = 0.8, n: int = 5):
        self.threshold, self.n = threshold, n
        self.exact: dict[bytes, int] = {}
        self.ids: set[tuple[str, str]] = set()
        self.index = MinHashIndex()
        self.names: list[str] = []
        self.domains: list[str] = []
        self.grams: list[np.ndarray] = []

    def check(self, record: dict) -> tuple[str, str] | None:
        """``(reason, detail)`` when ``record`` repeats a kept one, else None (and it is kept)."""
        if (record["source"], record["source_id"]) in self.ids:  # extra_info.index must stay unique
            return "duplicate", f"the id {_name(record)} is taken by an earlier row"
        statement = record.get("statement") or record["question"]
        key = problem_key(record["domain"], statement)
        if key in self.exact:
            return "duplicate", f"same text as {self.names[self.exact[key]]}"
        grams = gram_array(normalize(statement), self.n)
        for k in sorted(self.index.candidates(grams)):
            if self.domains[k] == record["domain"] and (sim := jaccard(grams, self.grams[k])) >= self.threshold:
                return "near_duplicate", f"{self.n}-gram Jaccard {sim:.2f} with {self.names[k]}"
        k = len(self.names)
        self.exact[key] = k
        self.ids.add((record["source"], record["source_id"]))
        self.index.add(k, grams)
        self.names.append(_name(record))
        self.domains.append(sys.intern(record["domain"]))
        self.grams.append(grams)
        return None


def deduplicate(records: Iterable[dict], threshold: float = 0.8, n: int = 5) -> tuple[list[dict], list[dict]]:
    """Keep the first of every exact or near-duplicate cluster; returns ``(kept, removals)``."""
    dedup, kept, removals = Deduplicator(threshold, n), [], []
    for record in records:
        problem = dedup.check(record)
        (kept.append(record) if problem is None else removals.append(_removal(record, *problem)))
    return kept, removals


def _name(record: dict) -> str:
    return f"{record['source']}:{record['source_id']}"


def _removal(record: dict, reason: str, detail: str, step: str = "clean") -> dict:
    return {"source": record["source"], "source_id": record["source_id"], "step": step, "reason": reason,
            "detail": detail}


def clean(records: Iterable[dict], threshold: float = 0.8) -> Iterator[tuple[dict | None, dict | None]]:
    """Row rules, then deduplication across all sources, streamed: yields ``(kept, None)`` or
    ``(None, removal)`` for each record, in order (sources in priority order: the first copy stays)."""
    dedup = Deduplicator(threshold)
    for record in records:
        problem = row_problem(record) or dedup.check(record)
        yield (record, None) if problem is None else (None, _removal(record, *problem))
