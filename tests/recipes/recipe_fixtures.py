"""A tiny random Qwen2 model with a chat template, written offline, for the data pipeline's labelling test.

The data fixtures themselves (every source in its real layout) live in ``data_fixtures``.
"""

from __future__ import annotations

from pathlib import Path

from tests.recipes.data_fixtures import AIME_PROBLEM, LCB_WINDOW_PROBLEM, MATH_OK



def write_tiny_model(path: Path) -> Path:
    """A random 2-layer Qwen2 with a byte-level BPE tokenizer trained here, offline, with a chat template."""
    from verl_srpo.testing.tiny import bpe_tokenizer, tiny_qwen2

    corpus = [q for q, _ in MATH_OK] + [AIME_PROBLEM, LCB_WINDOW_PROBLEM, "<think> </think> <answer> </answer>"]
    return tiny_qwen2(path, bpe_tokenizer(corpus))
