"""The plugin as users meet it: ``+plugin=verl_srpo`` through verl's real CLI, and registration in Ray."""

from __future__ import annotations

import re

import pytest
import yaml

from verl_srpo.settings import PLUGIN_YAML

MAIN = ["-m", "verl.trainer.main_ppo"]


def _section(text: str, key: str) -> str:
    match = re.search(rf"^{key}:\n((?:  .*\n|\n)*)", text, re.M)
    assert match, f"no top-level `{key}` in the printed config"
    return match.group(1)


@pytest.mark.slow
def test_cfg_job_composes_the_plugin_defaults(run_cli):
    proc = run_cli([*MAIN, "+plugin=verl_srpo", "--cfg", "job"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    cfg = yaml.safe_load(proc.stdout)
    assert cfg["algorithm"]["adv_estimator"] == "srpo"
    assert cfg["algorithm"]["use_kl_in_reward"] is False
    assert cfg["algorithm"]["srpo_zero_truncated_adv"] is True
    actor = cfg["actor_rollout_ref"]["actor"]
    assert actor["loss_agg_mode"] == "token-mean" and actor["use_kl_loss"] is False
    assert actor["optim"]["lr"] == 1e-6 and actor["optim"]["betas"] == [0.9, 0.95]
    assert actor["optim"]["lr_scheduler_type"] == "constant"
    assert cfg["trainer"]["v1"]["trainer_mode"] == "srpo"
    assert "plugin" not in cfg  # composed as a config group, not a string key


def test_command_line_beats_the_plugin(compose):
    cfg = compose(["+plugin=verl_srpo", "algorithm.adv_estimator=grpo", "actor_rollout_ref.actor.optim.lr=3e-6",
                   "data.dataloader_num_workers=4"])
    assert cfg.algorithm.adv_estimator == "grpo"
    assert cfg.actor_rollout_ref.actor.optim.lr == 3e-6
    assert cfg.data.dataloader_num_workers == 4
    assert cfg.trainer.v1.trainer_mode == "srpo"  # what was not overridden still comes from the plugin


def test_without_the_plugin_verl_is_untouched(compose):
    cfg = compose([])
    assert cfg.algorithm.adv_estimator == "gae" and cfg.trainer.v1.trainer_mode == "sync"


def test_every_yaml_key_has_a_comment_above_it():
    """verl's own rule for its yaml (a comment above each field), applied to ours."""
    lines = PLUGIN_YAML.read_text().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- "):
            continue
        assert ":" in stripped, line
        above = lines[i - 1].strip() if i else ""
        assert above.startswith("#"), f"line {i + 1} `{stripped}` has no comment above it"
        assert "#" not in stripped.split(":", 1)[1], f"line {i + 1}: inline comment"


@pytest.mark.slow
def test_import_verl_alone_registers_srpo_in_a_ray_actor():
    """verl's TaskRunner is a Ray actor: there, `import verl` must be enough (the entry point)."""
    import ray

    ray.init(num_cpus=1, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    try:

        @ray.remote(num_cpus=1)
        class Probe:
            def resolve(self):
                import sys

                assert "verl_srpo" not in sys.modules
                import verl  # noqa: F401  (the entry point imports verl_srpo)
                from verl.trainer.ppo.core_algos import get_adv_estimator_fn
                from verl.trainer.ppo.v1 import get_trainer_cls

                return get_adv_estimator_fn("srpo").__module__, get_trainer_cls("srpo").__name__

        module, trainer = ray.get(Probe.remote().resolve.remote(), timeout=240)
    finally:
        ray.shutdown()
    assert module == "verl_srpo.advantage" and trainer == "SRPOTrainer"


LAZY_PROBE = """
import sys
import verl  # the entry point: verl_srpo.plugin
heavy = [m for m in ("verl_srpo.advantage", "verl_srpo.trainer", "verl.trainer.ppo.v1", "verl.trainer.ppo.core_algos",
                     "hydra") if m in sys.modules]
print("loaded-before:", ",".join(heavy) or "-")
from verl.trainer.ppo.core_algos import get_adv_estimator_fn
from verl.trainer.ppo.v1 import get_trainer_cls
print("resolved:", get_adv_estimator_fn("srpo").__module__, get_trainer_cls("srpo").__name__)
"""


@pytest.mark.slow
def test_the_entry_point_is_light_and_registers_on_demand(run_cli):
    """verl imports the plugin in every process; only the ones that ask for a registry pay for SRPO's modules."""
    proc = run_cli(["-c", LAZY_PROBE])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "loaded-before: -" in proc.stdout, proc.stdout
    assert "resolved: verl_srpo.advantage SRPOTrainer" in proc.stdout, proc.stdout


def test_a_stale_entry_point_is_reported(monkeypatch):
    """An install made before the entry point moved to verl_srpo.plugin would import a package that registers
    nothing: start-up must say so."""
    from importlib.metadata import EntryPoint

    import verl_srpo.startup as startup

    stale = EntryPoint(name="verl_srpo", value="verl_srpo", group="verl.plugins")
    monkeypatch.setattr(startup, "entry_points", lambda group: [stale])
    assert any("metadata is stale" in p for p in startup.install_problems())
