"""Loud failures at start-up: broken installs and bad configs stop before Ray starts or a rollout runs."""

import pytest
from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY

from verl_srpo.settings import SRPOConfigError
from verl_srpo.plugin import requested_on_command_line
from verl_srpo.startup import assert_ready, install_problems
from verl_srpo.trainer import SRPOTrainer

MAIN = ["-m", "verl.trainer.main_ppo"]


def test_this_install_is_complete():
    assert install_problems() == []


def test_external_plugins_policy_that_skips_us(monkeypatch):
    monkeypatch.setenv("VERL_USE_EXTERNAL_PLUGINS", "none")
    assert any("VERL_USE_EXTERNAL_PLUGINS='none'" in p for p in install_problems())
    monkeypatch.setenv("VERL_USE_EXTERNAL_PLUGINS", "other_plugin,verl_srpo")
    assert install_problems() == []


def test_estimator_registered_to_something_else(monkeypatch):
    monkeypatch.setitem(ADV_ESTIMATOR_REGISTRY, "srpo", lambda **kw: None)
    assert any("`srpo` is not registered" in p for p in install_problems())


def test_plugin_flag_parsing():
    assert requested_on_command_line(["main_ppo", "+plugin=verl_srpo"])
    assert requested_on_command_line(["main_ppo", "++plugin=verl_srpo"])
    assert not requested_on_command_line(["main_ppo", "algorithm.adv_estimator=grpo"])


def test_trainer_validates_before_building_anything(compose):
    with pytest.raises(SRPOConfigError, match="rollout.n=1"):
        SRPOTrainer(compose(["+plugin=verl_srpo"]))


def test_assert_ready_on_a_good_config(compose):
    assert_ready(compose(["+plugin=verl_srpo", "actor_rollout_ref.rollout.n=4"]))


@pytest.mark.slow
def test_launch_with_a_bad_config_fails_before_ray(run_cli):
    proc = run_cli([*MAIN, "+plugin=verl_srpo", "+srpo.histroy=1"])
    assert proc.returncode != 0
    assert "verl-srpo cannot start" in proc.stderr
    assert "actor_rollout_ref.rollout.n=1" in proc.stderr and "unknown key `srpo.histroy`" in proc.stderr
    assert "ray init kwargs" not in proc.stdout  # verl's main never started Ray


@pytest.mark.slow
def test_hidden_search_path_plugin_fails_loudly(run_cli, tmp_path):
    """Another package's regular `hydra_plugins/__init__.py` hides the namespace package, and with it our
    search-path plugin: Hydra would silently add a string key. The plugin must stop the run instead."""
    shadow = tmp_path / "hydra_plugins"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    proc = run_cli([*MAIN, "+plugin=verl_srpo", "--cfg", "job"], env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode != 0
    assert "cannot find verl-srpo's search-path plugin" in proc.stderr
    assert "adv_estimator" not in proc.stdout


# --- the installed verl: its version range and the private members verl-srpo overrides (verl_srpo/_verl.py) ---


def test_a_verl_outside_the_supported_range_is_said_first_and_alone(monkeypatch):
    from importlib.metadata import PackageNotFoundError

    from verl_srpo import _verl

    monkeypatch.setattr(_verl, "version", lambda name: "0.10.0")
    problems = install_problems()
    assert len(problems) == 1 and "verl 0.10.0 is installed; verl-srpo supports verl>=0.9.1,<0.10" in problems[0]
    assert "pip install 'verl[verl-core]>=0.9.1,<0.10' (or pin verl==0.9.1)" in problems[0]

    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(_verl, "version", missing)
    assert install_problems() == ["verl is not installed in this interpreter: pip install 'verl[verl-core]>=0.9.1,<0.10' "
                                  "(or pin verl==0.9.1)."]


def test_a_verl_without_an_overridden_private_step_is_refused(monkeypatch):
    from verl.trainer.ppo.v1.trainer_base import PPOTrainer

    monkeypatch.setattr(PPOTrainer, "_init_dataloader", None)  # as a verl that renamed it
    problems = install_problems()
    assert any("verl's PPOTrainerSync has no `_init_dataloader`" in p and "pin verl==0.9.1" in p for p in problems)


def test_the_supported_range_is_the_one_pyproject_declares():
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement

    from verl_srpo._verl import VERL_SUPPORTED

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    verl = [Requirement(d) for d in pyproject["project"]["dependencies"] if Requirement(d).name == "verl"]
    assert len(verl) == 1 and str(verl[0].specifier) == str(Requirement(f"verl{VERL_SUPPORTED}").specifier)


def test_srpo_flags_without_the_plugin_are_found_on_the_command_line():
    from verl_srpo.plugin import srpo_without_plugin

    main = "/x/verl/trainer/main_ppo.py"
    assert srpo_without_plugin([main, "algorithm.adv_estimator=srpo", "actor_rollout_ref.rollout.n=8"]) == [
        "algorithm.adv_estimator=srpo"]
    assert srpo_without_plugin([main, "+plugin=verl_srpo", "algorithm.adv_estimator=srpo"]) == []
    assert srpo_without_plugin([main, "algorithm.adv_estimator=grpo"]) == []
    assert srpo_without_plugin(["verl-srpo", "check", "algorithm.adv_estimator=srpo"]) == []  # not verl's trainer


@pytest.mark.slow
def test_srpo_without_the_plugin_stops_before_hydra_composes(run_cli):
    """Without +plugin=verl_srpo no start-up check is installed: the plugin's import-time check stops the run."""
    proc = run_cli([*MAIN, "algorithm.adv_estimator=srpo", "actor_rollout_ref.rollout.n=8", "--cfg", "job"])
    assert proc.returncode != 0
    assert "algorithm.adv_estimator=srpo without +plugin=verl_srpo: add +plugin=verl_srpo" in proc.stderr
    assert "adv_estimator" not in proc.stdout


def test_a_start_up_check_that_crashes_still_stops_the_job(monkeypatch):
    """Hydra turns any exception of a callback into a warning and runs the job: every failure must leave as
    SystemExit."""
    import verl_srpo.startup as startup

    def crash(cfg):
        raise TypeError("'<' not supported between instances of 'str' and 'int'")

    monkeypatch.setattr(startup, "assert_ready", crash)
    with pytest.raises(SystemExit, match="its start-up check failed .TypeError"):
        startup.StartupCheck().on_job_start(config=None)
