"""The shipped lm-eval task: indexed by lm-eval's TaskManager via --include_path, loadable from a local
file through ``--metadata`` (no network), and run by lm-eval's own CLI within ``max_gen_toks``."""

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import lm_eval
import pandas as pd
import pytest
from lm_eval.tasks import TaskManager

from tests.eval.eval_fixtures import AIME_ROWS

REPO = Path(__file__).resolve().parents[2]
TASKS = REPO / "eval" / "tasks"
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@pytest.fixture
def offline(monkeypatch):
    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def aime_parquet(tmp_path) -> Path:
    data = tmp_path / "aime.parquet"
    pd.DataFrame(AIME_ROWS).to_parquet(data)
    return data


def _variant(tmp_path, extra: str) -> Path:
    """A task that includes ours and changes only ``extra`` (a short budget for the CPU runs)."""
    folder = tmp_path / "variant"
    folder.mkdir()
    (folder / "small.yaml").write_text(f"include: {TASKS / 'aime24_avg32.yaml'}\ntask: aime24_avg32_small\n{extra}")
    return folder


def test_task_manager_indexes_and_loads_the_task_from_a_local_file(aime_parquet, offline):
    manager = TaskManager(include_path=[str(TASKS)], include_defaults=False,
                          metadata={"aime24_dataset": str(aime_parquet)})  # fmt: skip
    assert "aime24_avg32" in manager.all_tasks
    task = manager.load_task_or_group(["aime24_avg32"])["aime24_avg32"]
    cfg = task.config
    assert cfg.repeats == 32 and cfg.metadata["aime24_dataset"] == str(aime_parquet)
    assert cfg.filter_list == [{"name": "avg@32", "filter": [{"function": "take_first_k", "k": 32}]}]
    assert cfg.generation_kwargs == {"until": [], "do_sample": True, "temperature": 0.6, "top_p": 0.95,
                                     "max_gen_toks": 32768}
    docs = list(task.test_docs())
    assert [d["answer"] for d in docs] == ["24", "204", "9"]  # the local file's rows, read with no network
    assert task.doc_to_text(docs[1]).endswith("Assistant: <think>") and "17 times 12" in task.doc_to_text(docs[1])
    right, wrong = "<answer>204</answer>", "<answer>200</answer>"
    # lm-eval passes the filter's output, the list of the 32 kept samples, as one element
    assert task.process_results(docs[1], [[right] * 8 + [wrong] * 24]) == {"avg_acc": 0.25, "pass_at_32": 1.0,
                                                                          "math_verify_errors": 0}
    assert task.process_results(docs[1], [[wrong] * 32]) == {"avg_acc": 0.0, "pass_at_32": 0.0,
                                                             "math_verify_errors": 0}
    assert task.aggregation()["math_verify_errors"]([0, 2, 1]) == 3  # summed over problems
    assert task.higher_is_better() == {"avg_acc": True, "pass_at_32": True, "math_verify_errors": False}


def test_process_results_counts_a_broken_math_verify(broken_math_verify):
    """The task scores with ``eval.aime.score_sample``: a symbolic answer that math-verify failed to check
    counts as wrong and as one math_verify_errors."""
    from verl_srpo.eval.tasks import utils

    doc = {"id": "61", "problem": "What is 17 times 12?", "answer": "204"}
    samples = ["<answer>2 \\cdot 102</answer>", "<answer>204</answer>"]
    assert utils.process_results(doc, [samples]) == {"avg_acc": 0.5, "pass_at_32": 1.0, "math_verify_errors": 1}


def _task_yaml() -> dict:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))
    return yaml.load((TASKS / "aime24_avg32.yaml").read_text(), Loader=Loader)


def test_the_task_version_is_the_reward_scoring_version():
    """lm-eval's rule: a scoring change bumps metadata.version. The task scores with the training reward, whose
    rules are versioned by SCORING_VERSION: bumping that one bumps this one."""
    from verl_srpo.rewards import SCORING_VERSION

    assert float(_task_yaml()["metadata"]["version"]) == float(SCORING_VERSION)


def test_the_default_source_is_the_hub_dataset():
    """Without --metadata the task reads HuggingFaceH4/aime_2024 (the yaml's default)."""
    cfg = _task_yaml()
    assert cfg["metadata"]["aime24_dataset"] == cfg["dataset_path"] == "HuggingFaceH4/aime_2024"
    assert cfg["custom_dataset"] == "utils.load_aime"


def test_simple_evaluate_with_a_tiny_model(tmp_path, tiny_model, aime_parquet, offline):
    """lm-eval end to end on the transformers backend: 2 repeats, 4 tokens (the filter keeps both)."""
    extra = ("repeats: 2\nfilter_list:\n  - name: avg@32\n    filter:\n      - function: take_first_k\n"
             "        k: 2\ngeneration_kwargs:\n  until: []\n  do_sample: true\n  temperature: 0.6\n"
             "  top_p: 0.95\n  max_gen_toks: 4\n")
    manager = TaskManager(include_path=[str(TASKS), str(_variant(tmp_path, extra))], include_defaults=False,
                          metadata={"aime24_dataset": str(aime_parquet)})  # fmt: skip
    out = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={tiny_model},dtype=float32",
                                  tasks=["aime24_avg32_small"], task_manager=manager, device="cpu",
                                  batch_size=1, limit=2)
    metrics = out["results"]["aime24_avg32_small"]
    assert metrics["avg_acc,avg@32"] == 0.0 and metrics["pass_at_32,avg@32"] == 0.0  # a random model
    assert metrics["math_verify_errors,avg@32"] == 0.0


@pytest.fixture(scope="module")
def char_model(tmp_path_factory) -> Path:
    """A random 2-layer Qwen2 whose tokens are the printable ASCII characters but space (byte-level
    identical), so any reply decodes and re-encodes to the same tokens and its length is exact; with
    the ``generation_config.json`` a release ships: Qwen2.5 base's ``max_new_tokens: 2048`` run through
    ``release.merge.set_generation_defaults``."""
    from verl_srpo.testing.tiny import ENDOFTEXT, bpe_tokenizer, tiny_qwen2

    from verl_srpo.release.merge import set_generation_defaults

    out = tmp_path_factory.mktemp("char-qwen2")
    vocab = {ENDOFTEXT: 0, **{chr(c): i + 1 for i, c in enumerate(range(33, 127))}}
    fast = bpe_tokenizer([], vocab=vocab, special_tokens=(), eos=ENDOFTEXT, pad=ENDOFTEXT, chat_template=None)
    # as Qwen2.5 base ships its generation_config.json
    tiny_qwen2(out, fast, max_position_embeddings=4096, generation={"eos_token_id": 0, "max_new_tokens": 2048})
    set_generation_defaults(out)
    return out


@pytest.mark.slow  # lm-eval's CLI in a subprocess: ~20 s of imports
def test_lm_eval_cli_runs_the_task_on_a_local_file_within_max_gen_toks(char_model, aime_parquet, tmp_path):
    """``lm-eval run`` as a user types it, offline, on a local copy; every reply has at most
    ``max_gen_toks`` tokens: nothing in the released ``generation_config.json`` overrides it."""
    tok = __import__("transformers").AutoTokenizer.from_pretrained(char_model)
    ids = tok("1+1=2?<answer>").input_ids
    assert len(ids) == 14 and tok(tok.decode(ids)).input_ids == ids  # one token per character, both ways
    cli = Path(sys.executable).parent / "lm-eval"
    cmd = [str(cli), "run", "--model", "hf", "--model_args", f"pretrained={char_model},dtype=float32",
           "--include_path", "eval/tasks", "--tasks", "aime24_avg32",
           "--metadata", json.dumps({"aime24_dataset": str(aime_parquet)}), "--gen_kwargs", "max_gen_toks=4",
           "--limit", "1", "--device", "cpu", "--batch_size", "32", "--log_samples", "--output_path", str(tmp_path)]
    env = {**os.environ, **OFFLINE, "PYTHONWARNINGS": "ignore", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (samples,) = glob.glob(str(tmp_path / "*" / "samples_aime24_avg32_*.jsonl"))
    (record,) = [json.loads(line) for line in Path(samples).read_text().splitlines()]
    replies = record["resps"][0]
    assert len(replies) == 32 and record["doc"]["answer"] == "24"
    lengths = [len(tok(reply).input_ids) for reply in replies]
    assert max(lengths) <= 4 and max(lengths) == 4, lengths  # the budget is reached, never passed
