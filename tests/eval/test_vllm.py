"""The vLLM backend (the protocol's engine) on a tiny model. Needs a CUDA GPU and vLLM: skipped on CPU."""

import json

import pytest

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def vllm_model(tmp_path_factory, tiny_model):
    """The tiny tokenizer with a random Qwen2 whose head size (64) every vLLM attention backend supports."""
    import shutil

    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    out = tmp_path_factory.mktemp("tiny-qwen2-vllm")
    tok = AutoTokenizer.from_pretrained(tiny_model)
    tok.save_pretrained(out)
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, tie_word_embeddings=True)
    Qwen2ForCausalLM(cfg).to(torch.bfloat16).save_pretrained(out, safe_serialization=True)
    yield out
    shutil.rmtree(out, ignore_errors=True)


def test_vllm_aime_pipeline_is_seeded_and_resumes(vllm_model, aime_file, tmp_path):
    pytest.importorskip("vllm")
    from verl_srpo.eval.cli import main

    args = ["aime24", "--model", str(vllm_model), "--dataset", str(aime_file), "--expect-problems", "3",
            "--backend", "vllm", "--n", "4", "--max-new-tokens", "16", "--gpu-memory-utilization", "0.3",
            "--max-model-len", "1024"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    first = (tmp_path / "a" / "completions.jsonl").read_text().splitlines()
    assert len(first) == 12
    # resume: drop half the cache, rerun: the kept half is untouched, only the rest is drawn again
    (tmp_path / "a" / "completions.jsonl").write_text("\n".join(first[:6]) + "\n")
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    again = (tmp_path / "a" / "completions.jsonl").read_text().splitlines()
    keys = [(r["problem_id"], r["sample"]) for r in map(json.loads, again)]
    assert again[:6] == first[:6] and len(keys) == len(set(keys)) == 12
    res = json.loads((tmp_path / "a" / "results.json").read_text())
    assert res["backend"] == "vllm" and res["headline"]["metric"] == "avg@4"
