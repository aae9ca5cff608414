"""Shared fixtures: compose verl's real ``ppo_trainer`` config in-process, and run verl's CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Quiet, offline, deterministic child processes.
CHILD_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "WANDB_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONWARNINGS": "ignore",
}


def pytest_collection_modifyitems(config, items):
    """GPU tests skip cleanly on machines without CUDA."""
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except Exception:
        has_gpu = False
    if has_gpu:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def compose():
    """``compose(overrides) -> DictConfig``: verl's ppo_trainer composed through Hydra, as main_ppo does."""
    from hydra.core.global_hydra import GlobalHydra

    from verl_srpo.compose import compose_verl

    yield compose_verl
    GlobalHydra.instance().clear()


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli(args, env=None, cwd=None, timeout=300) -> CompletedProcess`` with text output."""

    def _run(args: list[str], env: dict | None = None, cwd: str | os.PathLike | None = None, timeout: int = 300):
        full_env = {**os.environ, **CHILD_ENV, **(env or {})}
        return subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, env=full_env, cwd=cwd or REPO, timeout=timeout
        )

    return _run
