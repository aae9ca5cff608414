"""Shared fixtures: compose verl's real ``ppo_trainer`` config in-process, and run verl's CLI.

The tests import the installed package (``--import-mode=importlib``: no folder of the checkout is put on
``sys.path``), so a module missing from the package fails here as it would for a user. ``benchmarks/`` is
not shipped: it is made importable under its own name, and only it (not ``eval``, ``release``, ``recipes``).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

if "benchmarks" not in sys.modules:  # benchmarks.e2e.* and benchmarks.bench_*, from the checkout
    _spec = importlib.machinery.ModuleSpec("benchmarks", None, is_package=True)
    _spec.submodule_search_locations = [str(REPO / "benchmarks")]
    sys.modules["benchmarks"] = importlib.util.module_from_spec(_spec)

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


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """huggingface_hub in this process cannot reach the Hub (every request: ConnectError), offline mode is unset,
    and its home and cache are empty: what a user without network meets."""
    import httpx
    import huggingface_hub
    from huggingface_hub import constants

    def refuse(request: httpx.Request):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    huggingface_hub.set_client_factory(lambda: httpx.Client(transport=httpx.MockTransport(refuse)))
    yield
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)


@pytest.fixture
def broken_math_verify(monkeypatch, tmp_path):
    """math-verify broken where the math reward runs it (in this process): its helper process imports a
    ``math_verify`` ahead of the installed one, which fails as a broken install does (ImportError). Answers that
    need a symbolic check then count as wrong and each such check is counted (``math_verify_errors``); answers
    decided without math-verify (equal text, two rationals) are unaffected. As tests/rewards/test_math.py."""
    from verl_srpo.rewards import math as rmath

    broken = tmp_path / "broken_math_verify"
    broken.mkdir()
    (broken / "math_verify.py").write_text("raise ImportError('libsympy.so: cannot open shared object file')\n")
    command = [sys.executable, "-I", "-c", f"import sys, runpy; sys.path.insert(0, {str(broken)!r}); "
               f"runpy.run_path({rmath.SERVER!r}, run_name='__main__')"]
    monkeypatch.setattr(rmath, "_POOL", rmath._VerifierPool(size=1, command=command))
    monkeypatch.setattr(rmath, "_SAID", set())
