"""The Makefile targets, run as a user runs them: a dry run on a machine without network, with no
``HF_HUB_OFFLINE`` set."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import NO_NETWORK_ENV, REPO


def make(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **NO_NETWORK_ENV, "HF_HOME": str(tmp_path / "hf_home")}
    for key in ("HF_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(key, None)
    return subprocess.run(["make", *args, f"PYTHON={sys.executable}"], check=False, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def test_release_fixture_dry_run_works_offline_and_says_so(release_fixture):
    """``make release-fixture`` ends with ``make release`` (dry run) on the fixture it built; the Hub does
    not answer and HF_HUB_OFFLINE is unset: the plan says the remote was not consulted, no traceback."""
    out, err = release_fixture["make_output"], release_fixture["make_stderr"]
    assert "Traceback" not in err, err[-2000:]
    assert "== release plan: DRY RUN (nothing leaves this machine; CONFIRM=1 pushes)" in out
    assert "repo:    https://huggingface.co/verl-srpo/SRPO-Qwen-fixture (model)\n" in out  # no [exists]: not asked
    assert re.search(r"remote:  not consulted \(the Hub is not reachable: ConnectError: .*\): every file", out)
    assert "tag:     step-1" in out and "commit:  Release step-1: SRPO-Qwen-fixture (verl global_step_1)" in out
    for name in ("README.md", "config.json", "generation_config.json", "model.safetensors.index.json",
                 "model-00001-of-00003.safetensors", "tokenizer.json"):  # fmt: skip
        assert re.search(rf"unknown +[\d,]+ B  {re.escape(name)}\n", out), name
    assert "\n== ready (remote state not consulted)\nmake[1]: Leaving directory" in out  # the plan's last line
    assert "already holds the merge" in out  # make release reuses the merge of the same checkpoint
    assert "none: set HF_TOKEN or run `hf auth login`" in out


def test_fixture_card_front_matter_is_honest(release_fixture):
    """The fixture trained from a local random model (BASE_MODEL=none) and was evaluated on a 2-problem
    local file with 8 new tokens: the card names no base model and no Hub dataset."""
    card = (Path(release_fixture["OUT"]) / "README.md").read_text()
    meta = yaml.safe_load(card.split("---\n")[1])
    assert "base_model" not in meta and meta["license"] == "apache-2.0" and "qwen2" in meta["tags"]
    (result,) = meta["model-index"][0]["results"]
    assert result["dataset"]["type"] == "local-file" and "HuggingFaceH4" not in card
    assert result["dataset"]["name"] == "AIME 2024 (local file aime24.jsonl; not a Hub dataset)"
    assert result["dataset"]["args"]["num_problems"] == 2
    (metric,) = result["metrics"]
    assert metric["name"] == "pass@1 (avg@2, 8 new tokens, grader math_reward)" and metric["args"]["max_new_tokens"] == 8
    assert metric["args"]["n"] == 2 and metric["verified"] is False
    assert "+base_model" not in release_fixture["make_output"]


def test_release_needs_a_repo_id(tmp_path):
    proc = make("release", tmp_path=tmp_path)
    assert proc.returncode != 0 and "set REPO_ID=<user or org>/<name>" in proc.stdout


def test_release_refuses_a_bad_repo_id_before_the_merge(release_fixture, tmp_path):
    """``make release`` as typed, with a repo id huggingface_hub refuses: one line, exit 2, nothing merged."""
    out = tmp_path / "never"
    fx = release_fixture
    proc = make("release", f"CKPT={fx['CKPT']}", f"OUT={out}", f"RUN_CONFIG={fx['RUN_CONFIG']}", f"EVAL={fx['EVAL']}",
                "REPO_ID=org/", "BASE_MODEL=none", tmp_path=tmp_path)  # fmt: skip
    assert proc.returncode == 2 and not out.exists()
    errors = [line for line in proc.stderr.splitlines() if line.startswith("release: error:")]
    assert errors == [("release: error: REPO_ID='org/' is not a valid Hub id: HFValidationError: Repo id must use "
                      "alphanumeric chars, '-', '_' or '.'. The name cannot start or end with '-' or '.' and the "
                      "maximum length is 96: 'org/'.")]  # fmt: skip
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_release_merge_target(release_fixture, tmp_path):
    out = tmp_path / "merged"
    proc = make("release-merge", f"CKPT={release_fixture['CKPT']}", f"OUT={out}", "MAX_SHARD_SIZE=40KB",
                tmp_path=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"\[merge\] .*: 3 shard\(s\), 27 tensors, valid", proc.stdout)
    assert not (tmp_path / ".merged.partial").exists()
