"""Grading saved completions without a model: ``python -m eval {lcb,aime24} --completions FILE --out DIR``.

This is how users re-grade generations made elsewhere, and how anyone checks our grader against theirs.
Two input formats:

- JSON lines, one per question: ``{"question_id": str, "responses": [raw model output, ...]}``. The
  program (LCB) or the answer (AIME) is extracted from each response as the chosen grader extracts it.
- LCB only: LiveCodeBench's custom-evaluator input, one JSON list of ``{"question_id", "code_list": [...]}``
  whose programs are already extracted (``lcb_custom_outputs.json`` of a sampled run is one).

Rules: every question of the selection (LCB: ``--release`` and the ``--start``/``--end`` window; AIME:
the dataset) needs its line; every line needs the same number of responses (pass@1 and avg@n average
over them); lines of LCB questions outside the window are skipped and counted; a question id the
dataset does not hold is an error. Outputs in ``--out``: ``results.json``, ``results.md``,
``results.png`` (``backend`` "completions", see :mod:`eval.report`) and ``verdicts.jsonl``, one line per
response: ``{"question_id", "sample", "passed", "grader", "failure", "per_test"}``, where ``sample`` is
the response's position in its line.
"""

from __future__ import annotations

import hashlib
import json
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path

from verl_srpo.eval import aime, lcb, pipeline, report
from verl_srpo.eval.errors import EvalError

class CompletionsError(EvalError, ValueError):
    """The completions file does not fit the format or the selected problems (one line, exit code 2)."""


@dataclass(frozen=True)
class Completions:
    """``texts[question_id]``: the responses (or programs, format "code_list") in file order."""

    texts: dict[str, list[str]]
    format: str  # "responses" (JSON lines) or "code_list" (LCB's custom-evaluator list)
    path: str
    sha256: str

    @property
    def n(self) -> int:
        return len(next(iter(self.texts.values())))

    def provenance(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "format": self.format}


def _texts(path: Path, i: int, item, key: str) -> tuple[str, list[str]]:
    where = f"{path}: entry {i + 1}"
    if not isinstance(item, dict) or "question_id" not in item or key not in item:
        got = sorted(item) if isinstance(item, dict) else type(item).__name__
        raise CompletionsError(f'{where}: expected {{"question_id": ..., "{key}": [...]}}, got {got}')
    texts = item[key]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise CompletionsError(f"{where} (question {item['question_id']}): {key!r} must be a non-empty list of strings")
    return str(item["question_id"]), texts


def read_completions(path: str | Path, allow_code_list: bool = True) -> Completions:
    """Read and check a completions file (module docstring); raises :class:`CompletionsError`."""
    path = Path(path)
    if not path.is_file():
        raise CompletionsError(f"--completions {path}: no such file")
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    if text.lstrip().startswith("["):
        if not allow_code_list:
            raise CompletionsError(f"{path} is a JSON list (LiveCodeBench custom-evaluator input), which only "
                                   'lcb takes; write one JSON line per question: {"question_id", "responses"}')
        try:
            fmt, items = "code_list", json.loads(text)
        except json.JSONDecodeError as err:
            raise CompletionsError(f"{path}: not valid JSON ({err})") from None
    else:
        fmt = "responses"
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as err:
            raise CompletionsError(f"{path} is neither JSON lines of {{\"question_id\", \"responses\"}} nor a JSON "
                                   f"list of {{\"question_id\", \"code_list\"}}: {err}") from None
    texts: dict[str, list[str]] = {}
    for i, item in enumerate(items):
        qid, responses = _texts(path, i, item, fmt)
        if qid in texts:
            raise CompletionsError(f"{path}: question {qid} appears twice; put all its responses on one line")
        texts[qid] = responses
    if not texts:
        raise CompletionsError(f"{path} holds no completions")
    counts = {len(v) for v in texts.values()}
    if len(counts) != 1:
        by_count = {c: sorted(q for q, v in texts.items() if len(v) == c)[:3] for c in sorted(counts)}
        raise CompletionsError(f"{path}: every question needs the same number of responses (pass@1 averages over "
                               f"them); found {by_count} (count: first question ids)")
    return Completions(texts, fmt, str(path), "sha256:" + hashlib.sha256(raw).hexdigest())


def select(comps: Completions, wanted: list[str], known: set[str], wanted_what: str,
           known_what: str, flags: str = "--dataset") -> tuple[dict[str, list[dict]], int]:
    """Records ``{"sample", "text"}`` of the ``wanted`` questions (the selection, ``wanted_what``), and how
    many lines fell outside them; every question id must be ``known`` (the dataset, ``known_what``)."""
    unknown = sorted(set(comps.texts) - known)
    if unknown:
        raise CompletionsError(f"{comps.path}: {len(unknown)} question id(s) not in {known_what} (first: "
                               f"{unknown[:5]}); check {flags}")
    missing = [q for q in wanted if q not in comps.texts]
    if missing:
        raise CompletionsError(f"{comps.path} covers {len(wanted) - len(missing)} of the {len(wanted)} problems of "
                               f"{wanted_what}; missing: {missing[:5]}{' ...' if len(missing) > 5 else ''}. Narrow the "
                               "selection (--start/--end) to the questions you have, or complete the file")
    records = {q: [{"sample": j, "text": t} for j, t in enumerate(comps.texts[q])] for q in wanted}
    return records, len(comps.texts) - len(wanted)


def _write_results(args: Namespace, comps: Completions, lines: list, **fields) -> dict:
    """Build and write (to ``args.out``) the results of a run graded from ``comps``: backend "completions", no
    prompt style, sampling values null except ``n``, and the model only when ``--model`` named the weights."""
    model = (pipeline.model_identity(args.model, args.revision) if args.model
             else {"name": None, "revision": None, "fingerprint": None})
    sampling = {"n": comps.n, "temperature": None, "top_p": None, "max_new_tokens": None, "seed": None}
    results = report.build_results(model=model, backend=report.COMPLETIONS_BACKEND, prompt_style=None,
                                   sampling=sampling, completions=comps.provenance(), **fields)
    report.write_outputs(results, Path(args.out), lines)
    return results


def run_lcb(args: Namespace) -> dict:
    """Grade ``args.completions`` on LiveCodeBench with ``args.grader``; writes the outputs to ``args.out``."""
    lcb.check_window(args.start, args.end)
    comps = read_completions(args.completions)
    everything, dataset = lcb.load_lcb(args.dataset, args.release, None, None, args.dataset_revision)
    problems = [p for p in everything if lcb.in_window(p, args.start, args.end)]
    release = f"{args.dataset} {args.release}"
    if not problems:
        raise CompletionsError(f"no problems of {release} fall in {args.start}..{args.end}")
    records, skipped = select(comps, [p.problem_id for p in problems], {p.problem_id for p in everything},
                              f"{release} within {args.start}..{args.end}", release, "--dataset and --release")
    if skipped:
        print(f"skipped {skipped} questions of {comps.path} outside {args.start}..{args.end}")
    dataset.update(window={"start": args.start, "end": args.end}, num_problems=len(problems),
                   test_timeout_s=args.timeout)
    entries, agg, lines = pipeline.score_lcb(problems, records, args.grader, args.timeout, args.workers,
                                             extracted=comps.format == "code_list")
    return _write_results(args, comps, lines, task="lcb", dataset=dataset, headline="pass@1", metrics=agg,
                          problems=entries, grader=pipeline.lcb_grader(args.grader, args.timeout))


def run_aime(args: Namespace) -> dict:
    """Grade ``args.completions`` on AIME with the training math reward; writes the outputs to ``args.out``."""
    comps = read_completions(args.completions, allow_code_list=False)
    problems, dataset = aime.load_aime(args.dataset, args.dataset_revision, args.expect_problems or None)
    ids = [p.problem_id for p in problems]
    records, _ = select(comps, ids, set(ids), str(args.dataset), str(args.dataset))
    entries, agg, lines = pipeline.score_aime(problems, records)
    return _write_results(args, comps, lines, task="aime24", dataset=dataset, headline=f"avg@{comps.n}", metrics=agg,
                          problems=entries, grader=pipeline.AIME_GRADER)
