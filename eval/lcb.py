"""LiveCodeBench code generation, read from the files of ``livecodebench/code_generation_lite``.

The official loader is a dataset script, which ``datasets>=4`` no longer runs, so the JSONL files are
read directly. ``release_vN`` is the cumulative set ``test.jsonl, test2.jsonl, ..., testN.jsonl``;
``vN`` is ``testN.jsonl`` alone, ``vA_vB`` is ``testA..testB``, and ``release_latest`` is every file.
Fields of a row: ``question_title, question_content, platform, question_id, contest_id, contest_date``
(ISO), ``starter_code, difficulty, public_test_cases`` (JSON), ``private_test_cases`` (JSON or
base64+zlib+pickle, see :mod:`eval.safe_pickle`), ``metadata`` (JSON, ``func_name`` for LeetCode).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from verl_srpo.eval import sources
from verl_srpo.eval.errors import DatasetError, DatasetNotFound
from verl_srpo.eval.safe_pickle import decode_private_tests

DEFAULT_DATASET = "livecodebench/code_generation_lite"
# (ours) release_v5 is the first release covering the whole DeepSeek-R1 window (problems to 2025-01).
DEFAULT_RELEASE = "release_v5"
# The DeepSeek-R1 window that the SRPO comparison inherits; (ours) to confirm (docs/SRPO.md).
DEFAULT_START, DEFAULT_END = "2024-08-01", "2025-01-31"
# LiveCodeBench's default per-test timeout in seconds (lcb_runner's --timeout).
LCB_TEST_TIMEOUT_S = 6
# Samples per problem; pass@1 is averaged over them. The SRPO model card: both results are averaged over
# 32 samples per question (docs/SRPO.md, "Results").
DEFAULT_N = 32
# How a program's verdict is reached (--grader).
GRADERS = {
    "official": "LiveCodeBench's grader (lcb_runner @ b95a71c, 2025-01-18 = PyPI nvidia-livecodebench 26.3), "
                "quirks included, reproduced in our sandbox (eval/lcb_official.py)",
    "official-2505": "LiveCodeBench's grader since 2025-05-23 (lcb_runner @ 16de2a1, its main branch): as "
                     "official, with its sys.stdin stand-in that has .buffer and no iteration",
    "judge": "the training code reward (verl_srpo.rewards.code.score_code): a real judge's rules",
}
PUBLISHED_GRADER = "official"  # the grader behind R1-Zero's 40.2 and SRPO's 41.6 (eval/README.md)
DEFAULT_GRADER = PUBLISHED_GRADER  # the headline number is comparable with the published ones
MAX_RELEASE = 6  # newest release named test6.jsonl when this was written; release_latest takes all


def _file_name(i: int) -> str:
    return "test.jsonl" if i == 1 else f"test{i}.jsonl"


def release_files(version: str) -> list[str] | None:
    """File names of a release version (None: every ``test*.jsonl``, for ``release_latest``)."""
    if version == "release_latest":
        return None
    if m := re.fullmatch(r"release_v(\d+)", version):
        return [_file_name(i) for i in range(1, int(m[1]) + 1)]
    if m := re.fullmatch(r"v(\d+)(?:_v(\d+))?", version):
        lo, hi = int(m[1]), int(m[2] or m[1])
        if lo <= hi:
            return [_file_name(i) for i in range(lo, hi + 1)]
    raise DatasetError(f"unknown LiveCodeBench release {version!r}: use release_v1..release_v{MAX_RELEASE}, "
                       "release_latest, vN (one file) or vA_vB (a range)")


@dataclass(frozen=True)
class CodeProblem:
    problem_id: str
    title: str
    content: str
    platform: str
    contest_date: datetime
    difficulty: str
    starter_code: str
    public_tests: list
    private_tests: list
    fn_name: str | None


def parse_row(row: dict) -> CodeProblem:
    """One dataset row; private tests decoded with the restricted unpickler."""
    meta = json.loads(row.get("metadata") or "{}")
    return CodeProblem(
        problem_id=str(row["question_id"]), title=row["question_title"], content=row["question_content"],
        platform=row["platform"], contest_date=datetime.fromisoformat(row["contest_date"]),
        difficulty=row["difficulty"], starter_code=row.get("starter_code") or "",
        public_tests=json.loads(row["public_test_cases"]),
        private_tests=decode_private_tests(row["private_test_cases"]), fn_name=meta.get("func_name"),
    )


def in_window(problem: CodeProblem, start: str | None, end: str | None) -> bool:
    """LiveCodeBench's own date filter: ``start <= contest_date <= end``, the bounds read as midnight."""
    lo = datetime.fromisoformat(start) if start else datetime.min
    hi = datetime.fromisoformat(end) if end else datetime.max
    return lo <= problem.contest_date <= hi


def check_window(start: str | None, end: str | None) -> None:
    """Fail early on a malformed date (``YYYY-MM-DD``): :class:`DatasetError`."""
    for bound in (start, end):
        if bound:
            try:
                date.fromisoformat(bound)
            except ValueError:
                raise DatasetError(f"--start/--end {bound!r} is not a date: use YYYY-MM-DD") from None


def load_lcb(source: str = DEFAULT_DATASET, release: str = DEFAULT_RELEASE, start: str | None = DEFAULT_START,
             end: str | None = DEFAULT_END, revision: str | None = None) -> tuple[list[CodeProblem], dict]:
    """Problems of one release within ``[start, end]``, sorted by question id (LCB's order)."""
    check_window(start, end)
    wanted = release_files(release)

    def keep(name: str) -> bool:
        return name in wanted if wanted is not None else bool(re.fullmatch(r"test\d*\.jsonl", name))

    files, prov = sources.resolve(source, revision, keep)
    if wanted is not None:
        missing = sorted(set(wanted) - {f.name for f in files})
        if missing:
            raise DatasetNotFound(f"{source} lacks {missing} for {release}; pick an older --release")
    rows = [row for path in files for row in sources.read_records(path)]
    problems = sorted((p for p in map(parse_row, rows) if in_window(p, start, end)), key=lambda p: p.problem_id)
    if not problems:
        raise DatasetError(f"no problems of {release} fall in {start}..{end}: widen the window (--start, --end) "
                           "or pick a newer --release")
    prov.update(release=release, window={"start": start, "end": end}, num_problems=len(problems))
    return problems, prov


def question_text(problem: CodeProblem) -> str:
    """The problem statement handed to ``verl_srpo.prompts`` (ours: LCB's own two cases)."""
    if problem.starter_code.strip():
        return (f"{problem.content.strip()}\n\nYou will use the following starter code to write the solution "
                f"to the problem and enclose your code within delimiters.\n```python\n{problem.starter_code}\n```")
    return (f"{problem.content.strip()}\n\nRead the inputs from stdin, solve the problem and write the answer to "
            "stdout (do not directly test on the sample inputs).")


def reward_tests(problem: CodeProblem, private: bool = True) -> dict:
    """Public (+ private) tests in the code reward's canonical format ``{inputs, outputs, fn_name}``.

    For functional (LeetCode) tests ``inputs[i]`` is LCB's text: one JSON value per argument, one per
    line; ``outputs[i]`` is the JSON of the return value. stdin tests are raw text in and out.
    """
    tests = problem.public_tests + (problem.private_tests if private else [])
    kinds = {t["testtype"] for t in tests}
    expected = {"functional"} if problem.fn_name else {"stdin"}
    if kinds - expected:
        raise ValueError(f"{problem.problem_id}: tests of types {sorted(kinds)} but fn_name={problem.fn_name!r}")
    return {"inputs": [t["input"] for t in tests], "outputs": [t["output"] for t in tests],
            "fn_name": problem.fn_name}


def check_grader(grader: str) -> str:
    if grader not in GRADERS:
        raise ValueError(f"unknown LiveCodeBench grader {grader!r}; choose one of {sorted(GRADERS)}")
    return grader


def extract_code(text: str, grader: str = DEFAULT_GRADER) -> str:
    """The program ``grader`` runs from a completion ("" if none): for the official graders, the lines
    between the last two lines holding three backticks (LiveCodeBench); for the judge, the body of the
    last complete fenced block (the code reward)."""
    if check_grader(grader) != "judge":
        from verl_srpo.eval.lcb_official import extract_code as official_extract

        return official_extract(text)
    from verl_srpo.rewards.code import extract_code as reward_extract

    return reward_extract(text) or ""


def custom_evaluator_records(problems: list[CodeProblem], completions: dict[str, list[str]],
                             grader: str = DEFAULT_GRADER) -> list[dict]:
    """LiveCodeBench ``custom_evaluator`` input: ``[{"question_id", "code_list"}]`` sorted by id.

    ``code_list`` holds the programs ``grader`` ran, so the official harness re-grades the same code::

        python -m lcb_runner.runner.custom_evaluator --custom_output_file lcb_custom_outputs.json \\
            --release_version release_v5 --start_date 2024-08-01 --end_date 2025-01-31
    """
    return [{"question_id": p.problem_id,
             "code_list": [extract_code(t, grader) for t in completions[p.problem_id]]}
            for p in sorted(problems, key=lambda p: p.problem_id)]


def write_custom_evaluator(path: Path, problems: list[CodeProblem], completions: dict[str, list[str]],
                           grader: str = DEFAULT_GRADER) -> None:
    path.write_text(json.dumps(custom_evaluator_records(problems, completions, grader), indent=1) + "\n")


def grade_sample(text: str, tests: dict, timeout: float = LCB_TEST_TIMEOUT_S, grader: str = DEFAULT_GRADER,
                 extracted: bool = False) -> dict:
    """One completion's verdict: ``{"acc": bool, "failure": str, "per_test": [str]}`` (+ ``pass_frac``
    for the judge).

    ``text`` is a raw completion, or the program itself when ``extracted`` (custom-evaluator input).
    ``per_test`` holds "pass" or the failure kind of each test run (the official graders stop at the
    first failure, as LiveCodeBench does). Both graders allow ``timeout`` seconds per test and
    LiveCodeBench's budget for the whole program, ``(timeout + 1) * n_tests + 5`` s.
    """
    if check_grader(grader) != "judge":
        from verl_srpo.eval.lcb_official import grade_program

        code = text if extracted else extract_code(text, grader)
        return grade_program(code, tests, timeout=timeout, variant="2505" if grader == "official-2505" else "2501")
    from verl_srpo.rewards.code import score_code

    if extracted and not text.strip():
        return {"acc": False, "failure": "no_code", "per_test": [], "pass_frac": 0.0}
    total = (timeout + 1) * len(tests["inputs"]) + 5
    out = score_code(text, tests, extracted=extracted, per_test=True, timeout_s=timeout, total_timeout_s=total)
    return {"acc": bool(out["acc"]), "failure": out.get("failure"), "pass_frac": float(out["pass_frac"]),
            "per_test": ["pass" if k == "none" else k for k in out.get("per_test", [])]}


def grade_problem(problem: CodeProblem, texts: list[str], timeout: float = LCB_TEST_TIMEOUT_S,
                  workers: int | None = None, grader: str = DEFAULT_GRADER, extracted: bool = False) -> list[dict]:
    """Verdicts of ``texts`` on the public + private tests, graded ``workers`` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    # imported here, not by the threads at once: a circular import deadlocks
    import verl_srpo.eval.lcb_official  # noqa: F401
    import verl_srpo.rewards.code  # noqa: F401

    tests = reward_tests(problem)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda t: grade_sample(t, tests, timeout, grader, extracted), texts))
