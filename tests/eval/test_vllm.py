"""The vLLM backend (the protocol's engine) on a tiny model. Needs a CUDA GPU and vLLM: skipped on CPU."""

import json

import pytest

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def vllm_model(tmp_path_factory, tiny_model):
    """The tiny tokenizer with a random Qwen2 whose head size (64) every vLLM attention backend supports."""
    import shutil

    import torch
    from transformers import AutoTokenizer

    from verl_srpo.testing.tiny import tiny_qwen2

    tok = AutoTokenizer.from_pretrained(tiny_model)
    out = tiny_qwen2(tmp_path_factory.mktemp("tiny-qwen2-vllm"), tok, hidden_size=128, intermediate_size=256,
                     dtype=torch.bfloat16)
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
