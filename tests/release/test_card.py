"""The model card: YAML metadata that the Hub's own parser reads back, a body generated from the run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from verl_srpo.prompts import R1_ZERO_CHAT_TEMPLATE, r1_zero_text
from verl_srpo.release.card import _human_bytes, eval_results, local_paths_in, render_card
from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.evaluation import TaskResult, load_results
from verl_srpo.release.training import (
    BaseModel,
    global_step,
    looks_like_local_path,
    public_value,
    resolve_base_model,
    training_details,
)
from verl_srpo.release.validate import validate_folder

PROTOCOL = {"n": 32, "temperature": 0.6, "top_p": 0.95, "max_new_tokens": 32768, "seed": 0}
LCB = TaskResult("lcb", "pass@1", 0.416, 0.35, 0.48, 279, dict(PROTOCOL, n=4),
                 {"source": "livecodebench/code_generation_lite", "revision": "abc123",
                  "window": {"start": "2024-08-01", "end": "2025-01-31"}}, Path("lcb/results.json"),
                 grader="official")  # fmt: skip


def _run_config(fx: dict, tmp_path: Path, model_path: str) -> Path:
    """The fixture's run config with another ``actor_rollout_ref.model.path``."""
    config = OmegaConf.load(fx["RUN_CONFIG"])
    config.actor_rollout_ref.model.path = model_path
    path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.yaml"
    OmegaConf.save(config, path)
    return path


def _render(fx: dict, folder: Path, run_config: Path | str, base: BaseModel, **extra) -> str:
    results = load_results([fx["EVAL"]], folder)
    return render_card(
        repo_id="my-org/SRPO-Qwen-test", version="v1.0", fingerprint="sha256:abc", summary=validate_folder(folder),
        results={**results, "lcb": LCB}, training_rows=training_details(run_config, "x/global_step_1/actor", base),
        run_config_name="config.yaml", datasets=["my-org/srpo-math", "my-org/srpo-code"], base=base,
        local_inputs=[folder, fx["RUN_CONFIG"], fx["EVAL"], fx["CKPT"], base.local_path], **extra,
    )  # fmt: skip


@pytest.fixture
def card_text(release_fixture, folder, tmp_path):
    """The card of a run that trained from the Hub's Qwen/Qwen2.5-32B."""
    config = _run_config(release_fixture, tmp_path, "Qwen/Qwen2.5-32B")
    return _render(release_fixture, folder, config, resolve_base_model(config))


def _metadata(text: str) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, "the card must open with a YAML block"
    return yaml.safe_load(match.group(1))


def test_metadata_parses_and_names_the_base_model(card_text):
    meta = _metadata(card_text)
    assert meta["base_model"] == "Qwen/Qwen2.5-32B" and meta["license"] == "apache-2.0" and "qwen2" in meta["tags"]
    assert meta["datasets"] == ["my-org/srpo-math", "my-org/srpo-code"] and "srpo" in meta["tags"]
    assert meta["library_name"] == "transformers" and meta["pipeline_tag"] == "text-generation"


def test_model_index_names_what_was_measured(card_text):
    """The AIME number was measured on the fixture's 2-problem local file with 8 new tokens; LCB on the
    Hub dataset at a commit, with n=4."""
    aime, lcb = _metadata(card_text)["model-index"][0]["results"]
    digest = aime["dataset"]["args"]["sha256"]["aime24.jsonl"]
    assert digest.startswith("sha256:65915220369c")
    assert aime["dataset"] == {"name": "AIME 2024 (local file aime24.jsonl; not a Hub dataset)", "type": "local-file",
                               "args": {"num_problems": 2, "sha256": {"aime24.jsonl": digest}}}
    assert aime["metrics"][0]["name"] == "pass@1 (avg@2, 8 new tokens, grader math_reward)"
    assert aime["metrics"][0]["args"] == {"n": 2, "temperature": 0.6, "top_p": 0.95, "max_new_tokens": 8, "seed": 0}
    assert lcb["dataset"]["type"] == "livecodebench/code_generation_lite" and lcb["dataset"]["revision"] == "abc123"
    assert lcb["dataset"]["args"] == {"num_problems": 279, "contest_start": "2024-08-01", "contest_end": "2025-01-31"}
    assert lcb["metrics"][0]["args"]["n"] == 4
    assert "HuggingFaceH4/aime_2024" not in card_text


def test_model_index_round_trips_through_huggingface_hub(card_text):
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import (
        eval_results_to_model_index,
        model_index_to_eval_results,
    )

    meta = _metadata(card_text)
    name, parsed = model_index_to_eval_results(meta["model-index"])
    assert name == "SRPO-Qwen-test"
    assert {(r.dataset_name, r.metric_type, r.metric_value) for r in parsed} == {
        ("AIME 2024 (local file aime24.jsonl; not a Hub dataset)", "pass@1", 0.0), ("LiveCodeBench", "pass@1", 41.6)}
    assert eval_results_to_model_index(name, parsed) == meta["model-index"]
    card = ModelCard(card_text)  # the Hub client's own parser
    assert card.data.base_model == "Qwen/Qwen2.5-32B" and len(card.data.eval_results) == 2


def test_eval_results_hand_computed():
    (res,) = eval_results({"lcb": LCB})
    assert (res.dataset_type, res.dataset_revision, res.metric_value, res.metric_name) == (
        "livecodebench/code_generation_lite", "abc123", 41.6, "pass@1 (pass@1, 32768 new tokens, grader official)")  # fmt: skip
    local = TaskResult("aime24", "avg@32", 0.5, 0.4, 0.6, 30, dict(PROTOCOL),
                       {"source": "/data/aime.parquet", "revision": None, "files": {"aime.parquet": "sha256:ab"}},
                       Path("r.json"))  # fmt: skip
    (res,) = eval_results({"aime24": local})
    assert (res.dataset_type, res.dataset_name, res.dataset_revision) == (
        "local-file", "AIME 2024 (local file aime.parquet; not a Hub dataset)", None)  # fmt: skip


def test_the_card_names_each_numbers_grader():
    """The published LiveCodeBench numbers come from LiveCodeBench's own grader: another grader is a deviation."""
    from dataclasses import replace

    from verl_srpo.release.card import _note

    assert "graded by `official`" in _note(LCB) and "Deviates" not in _note(replace(LCB, sampling=dict(PROTOCOL)))
    judged = _note(replace(LCB, sampling=dict(PROTOCOL), grader="judge"))
    assert "graded by `judge`" in judged
    assert "**Deviates from the protocol:** grader=judge (the published numbers: official, LiveCodeBench's own)" \
        in judged


def test_results_table_sits_next_to_r1_zero(card_text):
    assert "| DeepSeek-R1-Zero-Qwen-32B (published) | 47.0 | 40.2 |" in card_text
    assert "| **SRPO-Qwen-test (this model)** | 0.0 [0.0, 0.0] | 41.6 [35.0, 48.0] |" in card_text
    assert "contests 2024-08-01..2025-01-31" in card_text and "n=2 (protocol: 32)" in card_text
    assert ("AIME 2024: avg@2 over 2 problems of the local file `aime24.jsonl` (sha256 `65915220369c`), not a Hub "
            "dataset; n=2, temperature 0.6, top_p 0.95, max_new_tokens 8, seed 0; graded by `math_reward`; 100% of "
            "the samples hit the length limit.") in card_text  # fmt: skip
    lcb = "LiveCodeBench: pass@1 over 279 problems of `livecodebench/code_generation_lite` at commit `abc123`"
    assert lcb in card_text


def test_base_model_comes_from_the_run_config(release_fixture, folder, tmp_path):
    """A run on another Hub model names it; a run from a local path names BASE_MODEL, or nothing."""
    config = _run_config(release_fixture, tmp_path, "Qwen/Qwen2.5-7B")
    text = _render(release_fixture, folder, config, resolve_base_model(config))
    assert _metadata(text)["base_model"] == "Qwen/Qwen2.5-7B" and "Qwen2.5-32B)" not in text
    assert "was trained from [Qwen/Qwen2.5-7B](https://huggingface.co/Qwen/Qwen2.5-7B)" in text
    assert "| base model | `Qwen/Qwen2.5-7B` |" in text
    local = _run_config(release_fixture, tmp_path, str(tmp_path / "models" / "qwen-7b"))
    text = _render(release_fixture, folder, local, resolve_base_model(local, "Qwen/Qwen2.5-7B"))
    assert _metadata(text)["base_model"] == "Qwen/Qwen2.5-7B"
    assert "| base model | `Qwen/Qwen2.5-7B (local copy; Hub id given at release as BASE_MODEL)` |" in text
    text = _render(release_fixture, folder, local, resolve_base_model(local, "none"))
    assert "base_model" not in _metadata(text) and "Qwen/Qwen2.5" not in text.split("## Results")[0]
    assert "trained from a base model whose weights are not on the Hugging Face Hub" in text
    with pytest.raises(ReleaseError, match="set BASE_MODEL=<the Hub id of those weights"):
        resolve_base_model(local)


def test_base_model_of_a_hugging_face_cache_path(release_fixture, tmp_path):
    snapshot = "/home/me/.cache/huggingface/hub/models--Qwen--Qwen2.5-32B/snapshots/" + "a" * 40
    base = resolve_base_model(_run_config(release_fixture, tmp_path, snapshot))
    assert (base.hub_id, base.from_run) == ("Qwen/Qwen2.5-32B", True)


def test_no_local_path_anywhere_in_the_card(release_fixture, folder, tmp_path):
    """The fixture's run trained from /tmp/... on fixture/train.parquet and was evaluated on /tmp/.../aime24.jsonl."""
    base = resolve_base_model(release_fixture["RUN_CONFIG"], "none")
    assert base.run_path.startswith("/")  # a local path the card must not show
    text = _render(release_fixture, folder, release_fixture["RUN_CONFIG"], base)
    assert local_paths_in(text, [folder, release_fixture["RUN_CONFIG"], release_fixture["EVAL"], base.run_path]) == []
    root = str(Path(release_fixture["OUT"]).parent)
    assert root not in text and "/tmp/" not in text and str(Path.home()) not in text
    assert "| train files | `train.parquet (local)` |" in text


def test_a_local_path_in_the_card_is_refused(release_fixture, folder, tmp_path):
    base = BaseModel(None, from_run=False, run_path="/data/models/qwen")
    rows = [("base model", "fine"), ("train files", "/data/srpo/train.parquet")]  # not through public_value
    with pytest.raises(ReleaseError, match=r"would publish local paths \['/data/srpo/train.parquet'\]"):
        render_card(repo_id="my-org/x", version="v1", fingerprint="sha256:abc", summary=validate_folder(folder),
                    results={}, training_rows=rows, run_config_name="config.yaml", base=base)  # fmt: skip


def test_local_path_rules_hand_checked():
    assert local_paths_in("see /tmp/a/b.txt, ~/x/y and C:\\Users\\me\\f, not https://huggingface.co/Qwen/Qwen2.5-7B"
                          " nor (r - mean) / std nor </think> nor data/train.parquet") == [
        "/tmp/a/b.txt", "C:\\Users\\me\\f", "~/x/y"]  # fmt: skip
    assert local_paths_in("trained on data/train.parquet", ["data/train.parquet"]) == ["data/train.parquet"]
    for path in ("/abs/x", "~/x", "./x", "../x", "hdfs://nn/x.parquet", "data/train.parquet", "C:\\x"):
        assert looks_like_local_path(path), path
    for value in ("Qwen/Qwen2.5-32B", "srpo", "0.9, 0.95", "pkg://verl_srpo.rewards", "https://x.org/a/b", ""):
        assert not looks_like_local_path(value), value
    assert public_value("/data/a.parquet, /data/b.parquet") == "a.parquet (local), b.parquet (local)"
    assert public_value("Qwen/Qwen2.5-32B") == "Qwen/Qwen2.5-32B"


def test_memory_line_is_computed_from_the_parameter_count(card_text, folder):
    params = validate_folder(folder).num_parameters
    assert params == 43_296
    assert "In bf16 the weights alone take about 86.6 KB of GPU memory (43,296 parameters, 2 bytes each)" in card_text
    assert "65 GB" not in card_text and "32B in bf16" not in card_text
    assert _human_bytes(2 * 32_763_876_352) == "65.5 GB" and _human_bytes(2 * 7_615_616_512) == "15.2 GB"


def test_chat_template_wording_is_true_to_what_ships(release_fixture, folder, tmp_path, card_text):
    """The fixture ships a ChatML template (not the training prompt); a folder shipping the R1-Zero
    template as its chat template is described as such."""
    assert "The tokenizer ships a chat template that renders a different prompt" in card_text
    assert "Use `llm.generate` with the text prompt above, not `llm.chat`." in card_text
    assert "no chat template" not in card_text
    (folder / "chat_template.jinja").write_text(R1_ZERO_CHAT_TEMPLATE)
    config = _run_config(release_fixture, tmp_path, "Qwen/Qwen2.5-32B")
    text = _render(release_fixture, folder, config, resolve_base_model(config))
    assert "The tokenizer's chat template renders exactly this text" in text
    assert "`llm.chat` with the system and user messages builds the same prompt." in text


def test_generation_config_and_the_length_budget(card_text):
    gen = "`generation_config.json` carries the sampling defaults (`do_sample`, temperature 0.6, top_p 0.95) but no"
    assert gen in card_text
    assert "The protocol's budget is 32768 new tokens" in card_text


def test_training_details_come_from_the_run_config(card_text, release_fixture):
    assert "| learning rate | `1e-06` |" in card_text and "| AdamW betas | `0.9, 0.95` |" in card_text
    assert "| advantage estimator | `srpo` |" in card_text and "| released checkpoint | `global_step_1` |" in card_text
    assert "| srpo.history.enable | `True` |" in card_text  # the plugin's own section, composed into the run


def test_prompt_template_is_the_shared_one(card_text):
    question = "What is 1 + 1?"
    match = re.search(r"PROMPT = (.+)\n", card_text)
    assert eval(match.group(1)).format(question=question) == r1_zero_text(question)
    assert r1_zero_text("{question}", "code") in card_text
    assert "arXiv 2504.14286" in card_text and "eprint        = {2504.14286}" in card_text


def test_srpo_sections_of_the_config_are_listed(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("actor_rollout_ref: {actor: {optim: {lr: 1.0e-06}}}\n"
                      "algorithm: {adv_estimator: srpo, srpo_zero_truncated_adv: true}\n"
                      "srpo: {history: {enable: true}, stages: {switch_step: 100, stage1_domains: [math]}}\n")
    rows = training_details(config)
    assert rows == [("advantage estimator", "srpo"), ("learning rate", "1e-06"),
                    ("algorithm.srpo_zero_truncated_adv", "True"), ("srpo.history.enable", "True"),
                    ("srpo.stages.switch_step", "100"), ("srpo.stages.stage1_domains", "math")]  # fmt: skip


def test_run_config_errors_say_where_hydra_writes_it(tmp_path):
    from verl_srpo.release.errors import ReleaseError

    with pytest.raises(ReleaseError, match=r"\.hydra/config\.yaml"):
        training_details(tmp_path / "missing.yaml")
    (tmp_path / "other.yaml").write_text("a: 1\n")
    with pytest.raises(ReleaseError, match="not a verl ppo_trainer config"):
        training_details(tmp_path / "other.yaml")


def test_global_step():
    assert global_step("ckpts/run/global_step_500/actor") == 500 and global_step("somewhere/else") is None
