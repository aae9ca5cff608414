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


def _train_tokenizer(out: Path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = [r1_zero_text(r["problem"]) for r in AIME_ROWS] + [
        "<answer> 204 </answer> \\boxed{24} ```python\nprint(sum(map(int, input().split())))\n```"] * 4
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    fast.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
                          "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    fast.save_pretrained(out)
    return fast


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A 2-layer random Qwen2 (hidden 32) with a 400-token BPE tokenizer, saved as safetensors."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    out = tmp_path_factory.mktemp("tiny-qwen2")
    tok = _train_tokenizer(out)
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, tie_word_embeddings=True)
    Qwen2ForCausalLM(cfg).save_pretrained(out, safe_serialization=True)
    return out
