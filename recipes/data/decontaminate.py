"""Decontamination against the evaluation sets: AIME 2024 and the LiveCodeBench evaluation window.

The references are the problems the release is scored on, chosen by the evaluation package's own
rules: AIME 2024 through ``eval.aime.load_aime``; LiveCodeBench through ``eval.lcb``'s release files
(``release_files``), row parser (``parse_row``) and date window (``in_window``), streamed file by file
and line by line, so LiveCodeBench's multi-GB files are never held in memory. A training problem is
contaminated by a reference when their normalised bare statements are equal, or when the share of
word ``n``-grams they have in common reaches ``min_overlap`` of the smaller of the two sets
(containment, so a reference quoted inside a longer problem is caught too). Math is checked against
AIME, code against LiveCodeBench.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from verl_srpo.eval import aime as aime_eval
from verl_srpo.eval import lcb as lcb_eval
from verl_srpo.recipes.data.files import DatasetFiles, iter_rows
from verl_srpo.recipes.data.textmatch import ngrams, normalize

VERSION = 2  # bump when a rule changes: cached decontamination is redone
DEFAULT_NGRAM = 8  # (ours) word 8-grams, as open-r1's decontamination; --ngram
DEFAULT_MIN_OVERLAP = 0.5  # (ours) half of the smaller n-gram set; --min-overlap


@dataclass(frozen=True)
class Reference:
    name: str  # "aime24:<id>" or "lcb:<question_id>"
    domain: str
    normalized: str
    grams: frozenset


def lcb_window_problems(files: DatasetFiles, window: tuple[str, str]) -> Iterator[lcb_eval.CodeProblem]:
    """The problems of ``files`` (``recipes.data.sources.lcb_files``: a release's files, as ``eval.lcb`` picks
    them) dated in ``window`` (``eval.lcb.in_window``); only those rows are parsed."""
    start, end = (datetime.fromisoformat(d) for d in window)
    for _, path in files.paths():
        for row in iter_rows(path):
            if start <= datetime.fromisoformat(row["contest_date"]) <= end:  # cheap test before decoding tests
                problem = lcb_eval.parse_row(row)
                if lcb_eval.in_window(problem, *window):
                    yield problem


def load_references(aime: str | None, lcb: DatasetFiles | None, window: tuple[str, str],
                    n: int = DEFAULT_NGRAM) -> tuple[list[Reference], dict]:
    """AIME 2024 (math) and LiveCodeBench problems in ``window`` (code); either may be None (skipped)."""
    refs, provenance = [], {}
    if aime:
        problems, provenance["aime24"] = aime_eval.load_aime(aime, expect=None)
        refs += [_ref(f"aime24:{p.problem_id}", "math", p.question, n) for p in problems]
    if lcb is not None:
        code = [_ref(f"lcb:{p.problem_id}", "code", p.content, n) for p in lcb_window_problems(lcb, window)]
        if not code:
            raise ValueError(f"no LiveCodeBench problems of {lcb.location} fall in {window[0]}..{window[1]}: "
                             "widen --lcb-window or pick a newer --lcb-release")
        refs += code
        provenance["livecodebench"] = {"source": lcb.location, "revision": lcb.revision, "files": lcb.relpaths,
                                       "window": list(window), "num_problems": len(code)}
    return refs, provenance


def _ref(name: str, domain: str, text: str, n: int) -> Reference:
    norm = normalize(text)
    return Reference(name, domain, norm, frozenset(ngrams(norm, n)))


def decontaminate(records: Iterable[dict], refs: list[Reference], n: int = DEFAULT_NGRAM,
                  min_overlap: float = DEFAULT_MIN_OVERLAP) -> Iterator[tuple[dict | None, dict | None]]:
    """Streamed: ``(kept, None)`` or ``(None, removal)`` per record; each removal names the reference
    it matched and by how much."""
    exact = {(r.domain, r.normalized): r for r in refs}
    by_gram: dict[int, list[int]] = {}
    for i, ref in enumerate(refs):
        for gram in ref.grams:
            by_gram.setdefault(gram, []).append(i)
    for record in records:
        hit = _match(record, refs, exact, by_gram, n, min_overlap)
        if hit is None:
            yield record, None
        else:
            yield None, {"source": record["source"], "source_id": record["source_id"], "step": "decontaminate",
                         "reason": "contaminated", "detail": hit}


def _match(record: dict, refs: list[Reference], exact: dict, by_gram: dict, n: int,
           min_overlap: float) -> str | None:
    norm = normalize(record.get("statement") or record["question"])
    if (record["domain"], norm) in exact:
        return f"same text as {exact[(record['domain'], norm)].name}"
    grams = ngrams(norm, n)
    shared = Counter(i for g in grams for i in by_gram.get(g, []) if refs[i].domain == record["domain"])
    for i, count in shared.most_common(1):
        ref = refs[i]
        overlap = count / max(1, min(len(grams), len(ref.grams)))
        if overlap >= min_overlap:
            return f"{count} shared {n}-grams ({overlap:.0%}) with {ref.name}"
    return None
