"""Published numbers and the evaluation protocol the release is measured against.

The sampling defaults are eval's own (``eval.generate.Sampling``): one definition for evaluation,
``generation_config.json`` and the model card's usage snippets.
"""

from __future__ import annotations

from dataclasses import dataclass

from verl_srpo.eval.generate import Sampling

# temperature 0.6, top_p 0.95, 32,768 new tokens: docs/SRPO.md ("Evaluation protocol").
PROTOCOL = Sampling()

PAPER = "arXiv 2504.14286"
PAPER_URL = "https://arxiv.org/abs/2504.14286"


@dataclass(frozen=True)
class Task:
    """One benchmark of the results table and the ``model-index``."""

    key: str  # eval's task name in results.json
    name: str  # shown in the card
    dataset_type: str  # Hub dataset id for model-index, when results.json does not name one
    metric: str  # the protocol's headline metric
    r1_zero: float  # DeepSeek-R1-Zero-Qwen-32B, docs/SRPO.md ("Results")
    srpo_paper: float  # SRPO-Qwen-32B as published, docs/SRPO.md ("Results")


TASKS = {
    "aime24": Task("aime24", "AIME 2024", "HuggingFaceH4/aime_2024", "avg@32", 47.0, 50.0),
    "lcb": Task("lcb", "LiveCodeBench", "livecodebench/code_generation_lite", "pass@1", 40.2, 41.6),
}
