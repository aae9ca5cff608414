"""Hooks of ``aime24_avg32.yaml``: the problems, the R1-Zero prompt and the training math reward.

The problems and the scoring are those of ``python -m eval aime24`` (:mod:`verl_srpo.eval.aime`): the same
readers and the same :func:`~verl_srpo.eval.aime.score_sample`.
"""

from __future__ import annotations


def load_aime(aime24_dataset: str = "HuggingFaceH4/aime_2024", aime24_revision: str | None = None, **_metadata):
    """The problems as a ``DatasetDict`` whose ``train`` split has ``id``, ``problem`` and ``answer`` columns
    (lm-eval's ``custom_dataset`` hook; the yaml's ``test_split`` is ``train``).

    ``aime24_dataset`` comes from the task's ``metadata`` (``--metadata '{"aime24_dataset": ...}'``): an
    existing local parquet/jsonl/json file (or folder of them) with ``problem``/``answer`` columns
    (``Problem``/``Answer`` too), read with no network, or a Hub dataset id (``aime24_revision`` pins a commit),
    read by :func:`verl_srpo.eval.aime.load_aime` (any number of problems).
    """
    import datasets

    from verl_srpo.eval.aime import load_aime as read_problems

    problems, _ = read_problems(str(aime24_dataset), aime24_revision, expect=None)
    rows = [{"id": p.problem_id, "problem": p.question, "answer": p.answer} for p in problems]
    return datasets.DatasetDict({"train": datasets.Dataset.from_list(rows)})


def doc_to_text(doc: dict) -> str:
    """The R1-Zero prompt of one AIME row."""
    from verl_srpo.prompts import r1_zero_text

    return r1_zero_text(str(doc["problem"]), "math")


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    """``results``: ``[completions]``, the (up to 32) samples kept by the ``take_first_k`` filter
    (lm-eval hands a filter's output over as one list element); a flat list of texts is accepted too.

    ``math_verify_errors``: the math-verify checks that failed to run over these samples (each counted wrong);
    above 0, math-verify is broken where lm-eval runs and avg_acc is a lower bound."""
    from verl_srpo.eval.aime import score_sample

    texts = results[0] if results and isinstance(results[0], (list, tuple)) else results
    verdicts = [score_sample(text, str(doc["answer"])) for text in texts]
    accs = [float(v["acc"]) for v in verdicts]
    return {"avg_acc": sum(accs) / len(accs), "pass_at_32": float(any(accs)),
            "math_verify_errors": sum(v["math_verify_errors"] for v in verdicts)}


def total(counts: list[float]) -> float:
    """lm-eval aggregation: the sum over problems (``math_verify_errors``)."""
    return float(sum(counts))
