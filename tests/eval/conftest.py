"""Fixtures of the evaluation tests: a tiny random Qwen2 model with a tokenizer trained offline, and
AIME / LiveCodeBench files written in the real formats of their Hub datasets (see eval_fixtures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.eval.eval_fixtures import AIME_ROWS, LCB_ROWS_V1, LCB_ROWS_V2
from verl_srpo.prompts import r1_zero_text


@pytest.fixture(scope="session")
def aime_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("aime") / "train-00000-of-00001.parquet"
    pd.DataFrame(AIME_ROWS).to_parquet(path)
    return path


@pytest.fixture(scope="session")
def lcb_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lcb")
    for name, rows in (("test.jsonl", LCB_ROWS_V1), ("test2.jsonl", LCB_ROWS_V2)):
        (root / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A 2-layer random Qwen2 (hidden 32) with a 400-token BPE tokenizer, saved as safetensors."""
    from verl_srpo.testing.tiny import ENDOFTEXT, bpe_tokenizer, tiny_qwen2

    corpus = [r1_zero_text(r["problem"]) for r in AIME_ROWS] + [
        "<answer> 204 </answer> \\boxed{24} ```python\nprint(sum(map(int, input().split())))\n```"] * 4
    template = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
                "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    tok = bpe_tokenizer(corpus, special_tokens=(ENDOFTEXT,), eos=ENDOFTEXT, pad=ENDOFTEXT, chat_template=template)
    return tiny_qwen2(tmp_path_factory.mktemp("tiny-qwen2"), tok)
