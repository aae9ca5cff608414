"""Hooks of ``aime24_avg32.yaml``: the problems, the R1-Zero prompt and the training math reward."""

from __future__ import annotations

from pathlib import Path

_BUILDERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}


def _field(doc: dict, *names: str):
    return next(doc[n] for n in names if n in doc)


def load_aime(aime24_dataset: str = "HuggingFaceH4/aime_2024", aime24_revision: str | None = None, **_metadata):
    """The problems as a ``DatasetDict`` with one ``train`` split (lm-eval's ``custom_dataset`` hook).

    ``aime24_dataset`` comes from the task's ``metadata`` (``--metadata '{"aime24_dataset": ...}'``):
    an existing local parquet/jsonl/json file with ``problem``/``answer`` columns (``Problem``/``Answer``
    too), read with no network, or a Hub dataset id (``aime24_revision`` pins a commit).
    """
    import datasets

    path = Path(str(aime24_dataset)).expanduser()
    if path.exists():
        if path.suffix not in _BUILDERS:
            raise ValueError(f"aime24_dataset {path}: use a {'/'.join(_BUILDERS)} file")
        return datasets.load_dataset(_BUILDERS[path.suffix], data_files={"train": str(path)})
    return datasets.load_dataset(str(aime24_dataset), revision=aime24_revision)


def doc_to_text(doc: dict) -> str:
    """The R1-Zero prompt of one AIME row (``problem`` or ``Problem`` column)."""
    from verl_srpo.prompts import r1_zero_text

    return r1_zero_text(str(_field(doc, "problem", "Problem")), "math")


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    """``results``: ``[completions]``, the (up to 32) samples kept by the ``take_first_k`` filter
    (lm-eval hands a filter's output over as one list element); a flat list of texts is accepted too."""
    from verl_srpo.rewards.math import score_math

    texts = results[0] if results and isinstance(results[0], (list, tuple)) else results
    answer = str(_field(doc, "answer", "Answer"))
    accs = [float(bool(score_math(text, answer)["acc"])) for text in texts]
    return {"avg_acc": sum(accs) / len(accs), "pass_at_32": float(any(accs))}
