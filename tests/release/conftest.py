"""Release-kit fixtures: one real verl FSDP checkpoint, merged and evaluated once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOKEN = "hf_emulatorTOKENdoNotPrint0123456789"
QUIET_ENV = {"TOKENIZERS_PARALLELISM": "false", "PYTHONWARNINGS": "ignore", "HF_HUB_DISABLE_XET": "1"}
# A machine without network, as a user meets it: HF_HUB_OFFLINE is NOT set, and the Hub does not answer
# (nothing listens on port 9 of this machine: the connection is refused at once, as with no route).
NO_NETWORK_ENV = {**QUIET_ENV, "HF_ENDPOINT": "http://127.0.0.1:9"}


@pytest.fixture(scope="session")
def release_fixture(tmp_path_factory) -> dict[str, str]:
    """``make release-fixture``: a 2-rank FSDP2 checkpoint saved by verl, merged, evaluated by eval/,
    then ``make release`` in dry-run mode on it (its output is kept under ``"make_output"``), on a
    machine where the Hub does not answer and ``HF_HUB_OFFLINE`` is not set."""
    reuse = os.environ.get("SRPO_RELEASE_FIXTURE")  # developer loop: a fixture built earlier
    root = Path(reuse) if reuse else tmp_path_factory.mktemp("release-fixture")
    if reuse and (root / "eval" / "aime24" / "results.json").is_file():
        return {"CKPT": str(root / "checkpoints/global_step_1/actor"), "OUT": str(root / "release"),
                "RUN_CONFIG": str(root / "run/.hydra/config.yaml"), "EVAL": str(root / "eval/aime24/results.json"),
                "MAX_SHARD_SIZE": "40KB", "make_output": (root / "make_output.txt").read_text(),
                "make_stderr": (root / "make_stderr.txt").read_text()}  # fmt: skip
    env = {**os.environ, **NO_NETWORK_ENV, "HF_HOME": str(root / "hf_home")}
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_TOKEN"):
        env.pop(key, None)
    proc = subprocess.run(
        ["make", "release-fixture", f"FIXTURE={root}", f"PYTHON={sys.executable}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (root / "make_output.txt").write_text(proc.stdout)
    (root / "make_stderr.txt").write_text(proc.stderr)
    keys = ("CKPT", "OUT", "RUN_CONFIG", "EVAL", "MAX_SHARD_SIZE")
    values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if line.split("=", 1)[0] in keys)
    assert set(values) == set(keys), proc.stdout[-2000:]
    return {**values, "make_output": proc.stdout, "make_stderr": proc.stderr}


@pytest.fixture
def folder(release_fixture, tmp_path) -> Path:
    """A private copy of the merged, valid release folder that a test may break."""
    out = tmp_path / "release"
    shutil.copytree(release_fixture["OUT"], out)
    return out


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """The Hub emulator, wired into huggingface_hub for this test; online mode, token in HF_TOKEN."""
    import huggingface_hub
    from huggingface_hub import constants

    from tests.release.hub_emulator import HubEmulator

    emulator = HubEmulator(TOKEN)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    huggingface_hub.set_client_factory(emulator.client_factory)
    yield emulator
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)
