"""Training sources: each one turns its dataset's rows into one canonical record.

A record is ``{"source", "source_id", "domain", "question", "statement", "answer", "meta"}``:
``statement`` is the bare problem (its source's wrapper cut off by :mod:`recipes.data.statements`;
deduplication and decontamination compare it), ``question`` is what the model is shown (the bare
problem, plus for code how the program is called; the R1-Zero template is applied by ``combine``),
``answer`` is the math answer string, or for code the tests as the reward reads them, a JSON string
``{"inputs": [...], "outputs": [...], "fn_name": null | "name"}``. A row that cannot become a record
raises :class:`Malformed` with the reason; ``load_source`` counts those as removals.

Every source reads one split (``train`` by default; LiveCodeBench publishes only ``test``, of which
problems dated before the evaluation window are kept) from a Hub dataset id or a local file or folder,
streamed row by row (:mod:`recipes.data.files`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from verl_srpo.eval import lcb as lcb_eval
from verl_srpo.recipes.data import statements
from verl_srpo.recipes.data.files import DatasetFiles, iter_rows, resolve
from verl_srpo.recipes.data.statements import DAPO_PREFIX, DAPO_SUFFIX, Malformed  # noqa: F401 (re-exported)
from verl_srpo.recipes.data.textmatch import normalize

VERSION = 2  # bump when a conversion or normalisation rule changes: cached loads are redone


@dataclass(frozen=True)
class Source:
    name: str
    domain: str
    hub_id: str
    license: str  # as the dataset card states it (card: the URL it was read from)
    card: str
    convert: Callable[[dict, dict], dict]
    split: str = "train"  # the split read unless --split NAME=SPLIT
    columns: tuple[str, ...] | None = None  # the columns the converter reads (parquet/arrow read only these)
    default: bool = True  # used when no --source is given
    files: Callable[[str, str], DatasetFiles] = resolve  # (location, split) -> the files to read

    def resolve(self, location: str | None, split: str | None = None) -> DatasetFiles:
        return self.files(location or self.hub_id, split or self.split)


def content_id(text: str) -> str:
    """A stable id for a row whose dataset has none: the first 16 hex digits of sha1(text)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _record(domain: str, source_id, statement: str, question: str, answer: str, **meta) -> dict:
    return {"source_id": str(source_id), "domain": domain, "question": question, "statement": statement,
            "answer": answer, "meta": json.dumps(meta, sort_keys=True, default=str)}


def _tests(inputs: list, outputs: list, fn_name: str | None) -> str:
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise Malformed("tests are not lists of inputs and outputs")
    if not inputs:
        raise Malformed("no test cases", reason="no_tests")
    if len(inputs) != len(outputs):
        raise Malformed(f"{len(inputs)} test inputs for {len(outputs)} outputs")
    return json.dumps({"inputs": inputs, "outputs": outputs, "fn_name": fn_name or None})


def with_starter_code(question: str, starter_code: str | None) -> str:
    """A code problem as the model sees it: LiveCodeBench's own two phrasings (as ``eval.lcb``)."""
    if starter_code and starter_code.strip():
        return (f"{question}\n\nYou will use the following starter code to write the solution to the problem "
                f"and enclose your code within delimiters.\n```python\n{starter_code}\n```")
    return (f"{question}\n\nRead the inputs from stdin, solve the problem and write the answer to stdout "
            "(do not directly test on the sample inputs).")


def _json_field(row: dict, key: str):
    value = row.get(key)
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError as err:
        raise Malformed(f"`{key}` is not JSON ({err})") from err


# --- math ---------------------------------------------------------------------------------------

def convert_dapo_math(row: dict, opts: dict) -> dict:
    """BytedTsinghua-SIA/DAPO-Math-17k: verl rows with DAPO's own instruction around the problem."""
    try:
        content = row["prompt"][0]["content"]
        answer = row["reward_model"]["ground_truth"]
        index = row["extra_info"]["index"]
    except (KeyError, IndexError, TypeError) as err:
        raise Malformed(f"not a DAPO-Math row ({err!r})") from err
    problem = statements.dapo_math(content).text
    if not isinstance(answer, str) or not answer.strip():
        raise Malformed("empty answer")
    return _record("math", index, problem, problem, answer.strip())


def convert_deepscaler(row: dict, opts: dict) -> dict:
    """agentica-org/DeepScaleR-Preview-Dataset (``deepscaler.json``): ``problem, answer, solution``."""
    problem = statements.bare(row.get("problem")).text
    answer = row.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        raise Malformed("missing or empty `answer`")
    return _record("math", content_id(problem), problem, problem, answer.strip())


# --- code ---------------------------------------------------------------------------------------

def convert_taco(row: dict, opts: dict) -> dict:
    """BAAI/TACO and likaixin/TACO-verified: ``question, input_output`` (JSON text, or an object in
    TACO-verified's JSON), ``starter_code``, ``picture_num``, ``source``, ``difficulty``, ``url``;
    TACO-verified adds ``id``."""
    problem = statements.bare(row.get("question")).text
    io = _json_field(row, "input_output")
    if not isinstance(io, dict):
        raise Malformed("input_output is not an object with inputs and outputs")
    tests = _tests(io.get("inputs"), io.get("outputs"), io.get("fn_name"))
    sid = row.get("id") if row.get("id") not in (None, "") else row.get("url") or row.get("name") or content_id(problem)
    try:
        pictures = int(row.get("picture_num") or 0)
    except (TypeError, ValueError):
        pictures = 0
    return _record("code", sid, problem, with_starter_code(problem, row.get("starter_code")), tests,
                   picture_num=pictures, origin=row.get("source"), difficulty=row.get("difficulty"))


def convert_primeintellect(row: dict, opts: dict) -> dict:
    """PrimeIntellect/verifiable-coding-problems: ``problem_id, prompt, verification_info`` (JSON:
    ``language``, ``test_cases`` of ``{type: stdin_stdout | function_call, input, output, fn_name}``).
    open-r1/verifiable-coding-problems-python (``problem_statement``, struct columns) reads the same."""
    statement = statements.primeintellect(row.get("prompt", row.get("problem_statement")))
    info = _json_field(row, "verification_info")
    cases = info.get("test_cases") if isinstance(info, dict) else None
    cases = json.loads(cases) if isinstance(cases, str) else cases
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise Malformed("verification_info has no list of test_cases")
    kinds = {c.get("type") for c in cases}
    fn_names = {c.get("fn_name") for c in cases if c.get("type") == "function_call"}
    if len(kinds) > 1 or len(fn_names) > 1:
        raise Malformed(f"mixed test kinds {sorted(map(str, kinds))}")
    fn_name = next(iter(fn_names), None)
    tests = _tests([c.get("input") for c in cases], [c.get("output") for c in cases], fn_name)
    if fn_name and not statement.starter_code:
        shown = (f"{statement.text}\n\nImplement the function `{fn_name}`: it is called with each test's "
                 "arguments and its return value is checked.")
    else:
        shown = with_starter_code(statement.text, statement.starter_code if fn_name else "")
    sid = row.get("problem_id") or content_id(statement.text)
    return _record("code", sid, statement.text, shown, tests,
                   language=str(info.get("language") or statement.language or "").lower(), origin=row.get("source"))


def convert_livecodebench(row: dict, opts: dict) -> dict:
    """livecodebench/code_generation_lite rows; only problems dated before ``opts["lcb_before"]`` are kept
    (default: the start of the evaluation window, ``eval.lcb.DEFAULT_START``)."""
    before = datetime.fromisoformat(opts.get("lcb_before") or lcb_eval.DEFAULT_START)
    try:
        dated = datetime.fromisoformat(row["contest_date"])
    except (KeyError, TypeError, ValueError) as err:
        raise Malformed(f"no ISO contest_date ({err!r})") from err
    if dated >= before:  # before decoding the (large) private tests of a row that is dropped anyway
        raise Malformed(f"dated {dated.date()}, not before {before.date()}", reason="lcb_eval_window")
    try:
        problem = lcb_eval.parse_row(row)
        tests = lcb_eval.reward_tests(problem)
    except (KeyError, TypeError, ValueError) as err:
        raise Malformed(f"not a LiveCodeBench row ({err!r})") from err
    bare = statements.bare(problem.content).text
    return _record("code", problem.problem_id, bare, lcb_eval.question_text(problem),
                   json.dumps({"inputs": tests["inputs"], "outputs": tests["outputs"], "fn_name": tests["fn_name"]}),
                   contest_date=problem.contest_date.date().isoformat(), platform=problem.platform)


def lcb_files(location: str, release: str = "release_latest", split: str = "test") -> DatasetFiles:
    """LiveCodeBench's files of ``release``, as ``eval.lcb.load_lcb`` picks them (``test.jsonl``, ``test2.jsonl``,
    ...: its only split is ``test``; the card's per-release configs, where present, are not used)."""
    if split != "test":
        raise FileNotFoundError(f"no files of split {split!r}: LiveCodeBench has one split, test")
    files = resolve(location, "test", use_card=False)
    wanted = lcb_eval.release_files(release)
    names = {rel.rsplit("/", 1)[-1]: rel for rel in files.relpaths if "/" not in rel}
    if wanted is None:
        chosen = sorted(rel for name, rel in names.items() if re.fullmatch(r"test\d*\.jsonl", name))
    else:
        missing = sorted(set(wanted) - set(names))
        if missing:
            raise FileNotFoundError(f"{location} lacks {missing} for {release}; pick an older --lcb-release")
        chosen = [names[name] for name in wanted]
    files.relpaths = chosen
    return files


_TACO_COLUMNS = ("id", "question", "input_output", "starter_code", "picture_num", "source", "difficulty", "url",
                 "name")

SOURCES: dict[str, Source] = {s.name: s for s in [
    Source("dapo_math", "math", "BytedTsinghua-SIA/DAPO-Math-17k", "Apache-2.0",
           "https://huggingface.co/datasets/BytedTsinghua-SIA/DAPO-Math-17k", convert_dapo_math,
           columns=("prompt", "reward_model", "extra_info")),
    Source("deepscaler", "math", "agentica-org/DeepScaleR-Preview-Dataset", "MIT",
           "https://huggingface.co/datasets/agentica-org/DeepScaleR-Preview-Dataset", convert_deepscaler,
           columns=("problem", "answer")),
    Source("taco_verified", "code", "likaixin/TACO-verified", "MIT",
           "https://huggingface.co/datasets/likaixin/TACO-verified", convert_taco, columns=_TACO_COLUMNS),
    Source("primeintellect", "code", "PrimeIntellect/verifiable-coding-problems", "none declared on its card",
           "https://huggingface.co/datasets/PrimeIntellect/verifiable-coding-problems", convert_primeintellect,
           columns=("problem_id", "prompt", "problem_statement", "verification_info", "source")),
    Source("livecodebench", "code", "livecodebench/code_generation_lite", "cc, no version named on its card",
           "https://huggingface.co/datasets/livecodebench/code_generation_lite", convert_livecodebench,
           split="test", files=lambda location, split: lcb_files(location, "release_latest", split)),
    Source("taco", "code", "BAAI/TACO", "Apache-2.0", "https://huggingface.co/datasets/BAAI/TACO", convert_taco,
           columns=_TACO_COLUMNS, default=False),
]}


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; valid sources: {', '.join(SOURCES)}")
    return SOURCES[name]


def problem_key(domain: str, statement: str) -> bytes:
    """What makes two records the same problem: the domain and the normalised bare statement."""
    return hashlib.blake2b(f"{domain}\0{normalize(statement)}".encode(), digest_size=16).digest()


def _rows(files: DatasetFiles, columns):
    for rel, path in files.paths():
        for i, row in enumerate(iter_rows(path, columns)):
            yield rel, i, row


def load_source(source: Source, files: DatasetFiles, limit: int | None, opts: dict,
                write_record: Callable[[dict], None], write_removal: Callable[[dict], None]) -> dict:
    """Stream ``files`` through ``source.convert``: each new problem goes to ``write_record``, each row
    that cannot be used to ``write_removal``; ``limit`` stops after that many distinct problems.

    A problem the source repeats (DAPO-Math-17k holds each one about 100 times) is written once; its
    repeats become one removal (``duplicate``, with their ``count``). Memory: about 300 bytes per distinct
    problem, whatever the file size. Returns ``{"rows_read", "problems", "repeats", "malformed"}``.
    """
    seen: dict[bytes, list] = {}  # problem_key -> [source_id, repeats]
    keys: dict[bytes, bytes] = {}  # digest of the exact text -> problem_key
    stats = {"rows_read": 0, "problems": 0, "repeats": 0, "malformed": 0}
    for rel, i, row in _rows(files, source.columns):
        if limit is not None and stats["problems"] >= limit:
            break
        stats["rows_read"] += 1
        try:
            record = source.convert(row, opts)
        except Malformed as err:
            stats["malformed"] += 1
            write_removal({"source": source.name, "source_id": f"{rel}#{i}", "step": "load",
                           "reason": err.reason, "detail": str(err)})
            continue
        exact = hashlib.blake2b(f"{record['domain']}\0{record['statement']}".encode(), digest_size=16).digest()
        key = keys.get(exact)  # the same text again (most repeats) skips normalising it
        if key is None:
            key = keys[exact] = problem_key(record["domain"], record["statement"])
        if key in seen:
            seen[key][1] += 1
            stats["repeats"] += 1
            continue
        seen[key] = [record["source_id"], 0]
        stats["problems"] += 1
        write_record({"source": source.name, **record})
    for source_id, repeats in seen.values():
        if repeats:
            write_removal({"source": source.name, "source_id": source_id, "step": "load", "reason": "duplicate",
                           "detail": f"{repeats} more copies of this problem in the source; the first is kept",
                           "count": repeats})
    return stats
