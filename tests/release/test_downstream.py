"""Downstream: load the released model from the (emulated) Hub exactly as the model card says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_hub import REPO_ID, publish

from verl_srpo.prompts import r1_zero_text


def _snippet(card: str, heading: str) -> str:
    section = card.split(f"### {heading}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def _card(fx: dict, folder: Path) -> str:
    from release.card import render_card
    from release.evaluation import load_results
    from release.training import resolve_base_model, training_details
    from release.validate import validate_folder

    base = resolve_base_model(fx["RUN_CONFIG"], "none")
    rows = training_details(fx["RUN_CONFIG"], None, base)
    return render_card(repo_id=REPO_ID, version="v1", fingerprint="sha256:x", summary=validate_folder(folder),
                       results=load_results([fx["EVAL"]], folder), base=base, training_rows=rows,
                       run_config_name="c.yaml")  # fmt: skip


def test_card_transformers_snippet_runs_against_the_published_repo(release_fixture, folder, hub):
    from huggingface_hub import hf_hub_download

    assert publish(release_fixture, folder, "--confirm") == 0
    card = Path(hf_hub_download(REPO_ID, "README.md")).read_text()  # the card as users see it on the Hub
    code = _snippet(card, "transformers")
    assert code.count("max_new_tokens=32768") == 1
    code = code.replace("max_new_tokens=32768", "max_new_tokens=8")  # the only change: a tiny model, a short reply
    scope: dict = {}
    exec(compile(code, "README.md:transformers", "exec"), scope)  # noqa: S102 - the card's own snippet
    assert scope["model_id"] == REPO_ID and scope["prompt"] == r1_zero_text(scope["question"])
    assert scope["outputs"].shape[1] > scope["inputs"]["input_ids"].shape[1]  # it generated
    assert any(c.path.endswith("/resolve/main/model.safetensors.index.json") for c in hub.calls)


def test_card_vllm_snippet_uses_the_same_prompt_and_sampling(release_fixture, folder):
    """The vLLM snippet (run for real in the GPU test) builds the same prompt with the protocol's sampling."""
    card = _card(release_fixture, folder)
    code = _snippet(card, "vLLM")
    assert "SamplingParams(temperature=0.6, top_p=0.95, max_tokens=32768)" in code
    prompt_line = re.search(r"PROMPT = (.+)\n", code).group(1)
    assert eval(prompt_line).format(question="q") == r1_zero_text("q")


@pytest.mark.gpu
@pytest.mark.slow
def test_card_vllm_snippet_runs(release_fixture, folder, monkeypatch):
    """On a GPU machine: the card's vLLM snippet, with the model id pointed at the released folder.

    A user runs the snippet in a fresh interpreter; this pytest process has already asked torch about CUDA
    (``import verl`` does), which poisons a forked vLLM engine, so the engine is spawned here
    (eval.generate.start_vllm_engine explains the fault)."""
    pytest.importorskip("vllm")
    monkeypatch.setenv("VLLM_WORKER_MULTIPROC_METHOD", "spawn")
    card = _card(release_fixture, folder)
    code = _snippet(card, "vLLM").replace(f'"{REPO_ID}"', repr(str(folder))).replace("max_tokens=32768", "max_tokens=8")
    scope: dict = {}
    exec(compile(code, "README.md:vLLM", "exec"), scope)  # noqa: S102 - the card's own snippet
    assert isinstance(scope["outputs"][0].outputs[0].text, str)
