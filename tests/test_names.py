"""The names verl-srpo gives verl are defined once (verl_srpo/names.py), and the plugin config agrees."""

from __future__ import annotations

import importlib
import subprocess
import sys

from omegaconf import OmegaConf

from tests.conftest import REPO
from verl_srpo.names import ESTIMATOR, REWARD_FUNCTION, REWARD_PATH, TRAINER_MODE
from verl_srpo.settings import PLUGIN_YAML


def test_the_plugin_config_sets_the_names():
    cfg = OmegaConf.load(PLUGIN_YAML)
    assert cfg.algorithm.adv_estimator == ESTIMATOR
    assert cfg.trainer.v1.trainer_mode == TRAINER_MODE
    fn = cfg.reward.custom_reward_function
    assert (fn.path, fn.name) == (REWARD_PATH, REWARD_FUNCTION)
    assert callable(getattr(importlib.import_module(REWARD_PATH.removeprefix("pkg://")), REWARD_FUNCTION))


def test_importing_the_names_imports_nothing_else():
    code = ("import sys; before = set(sys.modules); import verl_srpo.names; "
            "print(sorted(m for m in set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['verl_srpo', 'verl_srpo.names']", out.stdout
