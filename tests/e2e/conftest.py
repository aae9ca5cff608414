"""Fixtures of the end-to-end smoke-run tests: a small synthetic data set and a tiny base model built by
the smoke run's own code (``benchmarks/e2e``), both on CPU."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL = {"n_sft": 300, "n_train": (10, 6), "n_val": (5, 2), "n_eval": (5, 3)}


@pytest.fixture(scope="session")
def e2e_data(tmp_path_factory) -> dict[str, Path]:
    """``tinytask.build`` with small sizes: rl/train.parquet (16 rows), sft.jsonl, eval fixtures."""
    from benchmarks.e2e.tinytask import build

    return build(tmp_path_factory.mktemp("e2e-data"), seed=0, **SMALL)


@pytest.fixture(scope="session")
def e2e_base(e2e_data, tmp_path_factory) -> Path:
    """The tiny random Qwen2 + offline tokenizer of ``tinymodel.build_base``."""
    from benchmarks.e2e.tinymodel import build_base

    return build_base(e2e_data["sft"], tmp_path_factory.mktemp("e2e-base"))
