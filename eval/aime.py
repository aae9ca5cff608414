"""AIME 2024: 30 problems, avg@32 with the training math reward (``docs/SRPO.md``).

Loaded from a Hub dataset id (default ``HuggingFaceH4/aime_2024``: columns ``id, problem, solution,
answer, url, year``) or a local parquet/jsonl/json file with the same columns; ``Maxwell-Jia/AIME_2024``'s
capitalised columns (``ID, Problem, Solution, Answer``, lm-eval's source) are accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass

from verl_srpo.eval import sources
from verl_srpo.eval.errors import DatasetError, MissingColumns

DEFAULT_DATASET = "HuggingFaceH4/aime_2024"  # (ours) the 30 problems of AIME 2024 I and II
NUM_PROBLEMS = 30  # AIME 2024 I + II


@dataclass(frozen=True)
class MathProblem:
    problem_id: str
    question: str
    answer: str


def _field(row: dict, *names: str):
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    raise MissingColumns(f"AIME row has none of the columns {names}; it has {sorted(row)}: pass an AIME file "
                         "with problem and answer columns")


def _keep(name: str) -> bool:
    return name.endswith(sources.DATA_SUFFIXES) and not name.startswith(("README", "."))


def load_aime(source: str = DEFAULT_DATASET, revision: str | None = None,
              expect: int | None = NUM_PROBLEMS) -> tuple[list[MathProblem], dict]:
    """The problems and the dataset provenance; ``expect`` (None: any) guards against a wrong file."""
    files, prov = sources.resolve(source, revision, _keep)
    problems = []
    for path in files:
        for i, row in enumerate(sources.read_records(path)):
            pid = row.get("id", row.get("ID", f"{path.stem}-{i}"))
            problems.append(MathProblem(str(pid), str(_field(row, "problem", "Problem", "question")),
                                        str(_field(row, "answer", "Answer"))))
    ids = [p.problem_id for p in problems]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{source}: duplicate problem ids {sorted({i for i in ids if ids.count(i) > 1})}")
    if expect and len(problems) != expect:
        raise DatasetError(f"{source} holds {len(problems)} problems, expected {expect} (AIME 2024 I + II); "
                         "pass --expect-problems 0 to evaluate a different set")
    return problems, prov


def score_sample(text: str, answer: str) -> dict:
    """The training math reward on one completion: ``{"acc": bool, "pred": str | None, "math_verify_errors":
    int}``; ``math_verify_errors`` counts the math-verify checks that failed to run (each counted wrong:
    :func:`verl_srpo.rewards.math.score_math`), which a run sums so that a broken math-verify is seen."""
    from verl_srpo.rewards.math import score_math

    out = score_math(text, answer)
    return {"acc": bool(out["acc"]), "pred": None if out.get("pred") in (None, "") else str(out["pred"]),
            "math_verify_errors": int(out["math_verify_errors"])}
