"""Start-up validation of the composed config: each bad combination, each with its message."""

import pytest
from omegaconf import OmegaConf

from verl_srpo.settings import SRPOConfigError, config_problems

GOOD = ["+plugin=verl_srpo", "actor_rollout_ref.rollout.n=8"]


def test_a_good_config_passes(compose):
    assert config_problems(compose(GOOD)) == []


def _one_problem(cfg, *needles):
    problems = config_problems(cfg)
    assert len(problems) == 1, problems
    for needle in needles:
        assert needle in problems[0], problems[0]


def test_group_of_one_is_refused_with_the_fix(compose):
    _one_problem(compose(["+plugin=verl_srpo"]), "actor_rollout_ref.rollout.n=1", "Set actor_rollout_ref.rollout.n>=2")


def test_srpo_estimator_without_the_srpo_trainer(compose):
    cfg = compose([*GOOD, "trainer.v1.trainer_mode=sync"])
    _one_problem(cfg, "trainer.v1.trainer_mode=sync", "Set trainer.v1.trainer_mode=srpo")


def test_srpo_trainer_needs_v1(compose):
    _one_problem(compose([*GOOD, "trainer.use_v1=false"]), "trainer.use_v1=true")


def test_dataloader_workers_only_touch_validation(compose):
    """The SRPO trainer draws training batches in the driver whatever data.dataloader_num_workers says (verl's
    validation loader uses it), so the setting is not refused."""
    assert config_problems(compose([*GOOD, "data.dataloader_num_workers=2"])) == []


def test_swapped_reward_path_with_srpos_options_is_refused(compose):
    """verl passes every reward_kwargs key to every call: another reward function would receive SRPO's options."""
    cfg = compose([*GOOD, "reward.custom_reward_function.path=/tmp/my_reward.py"])
    _one_problem(cfg, "is not SRPO's reward, but reward_kwargs still holds SRPO's reward options",
                 "Drop them with `~reward.custom_reward_function.reward_kwargs")
    # The fix the message gives (a Hydra `key={}` would merge into the plugin's options, not replace them):
    assert config_problems(compose([*GOOD, "reward.custom_reward_function.path=/tmp/my_reward.py",
                                    "~reward.custom_reward_function.reward_kwargs",
                                    "+reward.custom_reward_function.reward_kwargs={}"])) == []


def test_unknown_estimator_key_suggests_the_right_one(compose):
    cfg = compose([*GOOD, "+algorithm.srpo_zero_truncated=false"])
    _one_problem(cfg, "unknown key `algorithm.srpo_zero_truncated`", "Did you mean `algorithm.srpo_zero_truncated_adv`")


def test_unknown_srpo_key(compose):
    _one_problem(compose([*GOOD, "+srpo.no_such_option=1"]), "unknown key `srpo.no_such_option`")


def test_plain_string_plugin_key_is_the_missing_search_path():
    """What Hydra composes when it cannot find the search-path plugin: `plugin: verl_srpo` as a string."""
    cfg = OmegaConf.create({"plugin": "verl_srpo", "algorithm": {"adv_estimator": "gae"}})
    _one_problem(cfg, "plain string key", "pip install -e .")


def test_all_problems_are_reported_at_once(compose):
    from verl_srpo.startup import assert_ready

    cfg = compose(["+plugin=verl_srpo", "trainer.use_v1=false", "+srpo.typo=1",
                   "srpo.history.min_pool_size=2.5", "reward.custom_reward_function.reward_kwargs.lang_penalty=-1"])
    with pytest.raises(SRPOConfigError) as err:
        assert_ready(cfg)
    message = str(err.value)
    assert message.startswith("verl-srpo cannot start:") and "5. " in message and "6. " not in message
    for needle in ("rollout.n=1", "trainer.use_v1=true", "unknown key `srpo.typo`",
                   "srpo.history.min_pool_size=2.5 must be an integer", "reward_kwargs.lang_penalty=-1 must be >= 0"):
        assert needle in message, message


def test_plain_grpo_is_not_our_business(compose):
    assert config_problems(compose(["algorithm.adv_estimator=grpo"])) == []


def test_reward_options_are_checked_before_any_rollout(compose):
    cfg = compose([*GOOD, "+reward.custom_reward_function.reward_kwargs.format_wieght=0.2"])
    _one_problem(cfg, "unknown key `reward.custom_reward_function.reward_kwargs.format_wieght`",
                 "Did you mean `reward.custom_reward_function.reward_kwargs.format_weight`")
    _one_problem(compose([*GOOD, "reward.custom_reward_function.reward_kwargs.code_timeout_s=0"]),
                 "reward.custom_reward_function.reward_kwargs.code_timeout_s=0 must be > 0")
    _one_problem(compose([*GOOD, "reward.custom_reward_function.reward_kwargs.code_max_tests=all"]),
                 "code_max_tests='all' must be an integer")


def test_plugin_selects_srpo_reward(compose):
    fn = compose(GOOD).reward.custom_reward_function
    assert (fn.path, fn.name) == ("pkg://verl_srpo.rewards", "compute_score")


def test_the_yaml_holds_the_dataclass_defaults(compose):
    """One schema: every yaml block with a _target_ is built by verl's own converter into our dataclass, and the
    values the yaml shows are the dataclass's defaults (the reward's sandbox limits are the sandbox's). The
    reward's options have no _target_: verl passes every key of reward_kwargs to every reward call."""
    import dataclasses

    from verl.utils.config import omega_conf_to_dataclass

    from verl_srpo.config.schema import RewardConfig, SRPOAlgoConfig, SRPOConfig, srpo_options
    from verl_srpo.rewards.sandbox import Limits

    cfg = compose(GOOD)
    srpo = omega_conf_to_dataclass(cfg.srpo)
    reward = RewardConfig(**cfg.reward.custom_reward_function.reward_kwargs)  # verl passes them as kwargs
    algorithm = omega_conf_to_dataclass(cfg.algorithm)
    assert (type(srpo), type(reward), type(algorithm)) == (SRPOConfig, RewardConfig, SRPOAlgoConfig)
    assert "_target_" not in cfg.reward.custom_reward_function.reward_kwargs

    def values(tree):
        tree = tree if isinstance(tree, dict) else dataclasses.asdict(tree)
        return {k: values(v) if isinstance(v, dict) and k != "stage2_weights" else v for k, v in tree.items()
                if k != "_target_"}

    yaml = OmegaConf.to_container(cfg, resolve=True)
    assert values(yaml["srpo"]) == values(SRPOConfig()) == values(srpo) == values(srpo_options(cfg))
    assert values(yaml["reward"]["custom_reward_function"]["reward_kwargs"]) == values(RewardConfig()) == values(reward)
    assert (RewardConfig().code_timeout_s, RewardConfig().code_memory_mb) == (Limits().timeout_s, Limits().memory_mb)
    assert algorithm.srpo_zero_truncated_adv is SRPOAlgoConfig().srpo_zero_truncated_adv is True
    assert algorithm.srpo_max_response_length == cfg.actor_rollout_ref.rollout.response_length


def test_truncation_length_must_be_the_rollouts(compose):
    _one_problem(compose([*GOOD, "algorithm.srpo_max_response_length=100000"]), "differs from actor_rollout_ref")
    assert config_problems(compose([*GOOD, "algorithm.srpo_max_response_length=100000",
                                    "algorithm.srpo_zero_truncated_adv=false"])) == []


def test_srpo_without_the_plugin_yaml_fails_at_start_up_not_after_a_rollout(compose):
    cfg = compose(["algorithm.adv_estimator=srpo", "trainer.v1.trainer_mode=srpo", "actor_rollout_ref.rollout.n=4",
                   "data.dataloader_num_workers=0"])
    assert any("compose with +plugin=verl_srpo" in p for p in config_problems(cfg))


@pytest.mark.parametrize("value", ["0", "1.5"])
def test_correct_threshold_range(compose, value):
    _one_problem(compose([*GOOD, f"srpo.history.correct_threshold={value}"]), "must be in (0, 1]")


def test_hr_switch_must_be_a_boolean(compose):
    _one_problem(compose([*GOOD, "srpo.history.enable='false'"]), "srpo.history.enable='false' must be true or false")


def test_a_quoted_boolean_for_the_estimator_is_refused(compose):
    """verl hands the estimator its raw algorithm block: a quoted 'false' would read as true there."""
    _one_problem(compose([*GOOD, "algorithm.srpo_zero_truncated_adv='false'"]),
                 "algorithm.srpo_zero_truncated_adv='false' must be true or false (unquoted)")


def test_train_batch_must_be_whole_fetches(compose):
    _one_problem(compose([*GOOD, "data.train_batch_size=256", "data.gen_batch_size=96"]), "multiple of data.gen_batch_size")


@pytest.mark.parametrize("override, needle", [
    ("trainer.total_training_steps=0", "trainer.total_training_steps=0 must be a positive integer"),
    ("trainer.total_training_steps=2.5", "trainer.total_training_steps=2.5 must be a positive integer"),
    ("trainer.total_epochs=0", "trainer.total_epochs=0 must be a positive integer"),
])
def test_run_length_must_be_counts(compose, override, needle):
    """A too-low total_epochs for the steps is raised by the trainer (tests/test_trainer.py); this is the rest."""
    _one_problem(compose([*GOOD, override]), needle)


# --- the context window must hold prompt + response (verl_srpo.advantage: truncation the length rule cannot see) ---

WINDOW = [*GOOD, "data.max_prompt_length=1024", "data.max_response_length=4096"]


def test_context_window_too_small_is_refused_with_the_numbers(compose):
    # 1024 + 4096 = 5120 > 2048: vLLM could write at most 2048 - 1024 = 1024 response tokens.
    _one_problem(compose([*WINDOW, "actor_rollout_ref.rollout.max_model_len=2048"]),
                 "max_model_len=2048 cannot hold", "= 5120", "at 2048 tokens minus its prompt (1024 for the longest prompts)",
                 "Set actor_rollout_ref.rollout.max_model_len=5120", "or data.max_response_length=1024")
    assert config_problems(compose([*WINDOW, "actor_rollout_ref.rollout.max_model_len=5120"])) == []  # exactly fits


def test_context_window_shorter_than_the_prompt(compose):
    _one_problem(compose([*WINDOW, "actor_rollout_ref.rollout.max_model_len=1000"]),
                 "(0 for the longest prompts)", "data.max_prompt_length + data.max_response_length <= 1000")


def _model_dir(tmp_path, hf_config):
    import json

    (tmp_path / "config.json").write_text(json.dumps(hf_config))
    return f"actor_rollout_ref.model.path={tmp_path}"


def test_null_window_is_the_models_max_position_embeddings(compose, tmp_path):
    """verl sets a null max_model_len to the model's max_position_embeddings (RolloutReplica._validate_configs)."""
    short = _model_dir(tmp_path, {"model_type": "qwen2", "max_position_embeddings": 4096})
    _one_problem(compose([*WINDOW, short]), "max_model_len is null", "max_position_embeddings=4096",
                 "Use a model with a longer context, or set data.max_response_length=3072")
    nested = _model_dir(tmp_path, {"model_type": "qwen2_5_vl", "text_config": {"max_position_embeddings": 32768}})
    assert config_problems(compose([*WINDOW, nested])) == []


def test_null_window_of_an_unreadable_model_is_not_guessed(compose):
    # The default model path does not exist here and is no cached Hub repo: nothing to read offline, no verdict.
    assert config_problems(compose([*WINDOW, "actor_rollout_ref.model.path=/nonexistent/model"])) == []


def test_context_window_is_not_checked_for_plain_grpo(compose):
    cfg = compose(["algorithm.adv_estimator=grpo", "actor_rollout_ref.rollout.max_model_len=2048",
                   "data.max_prompt_length=1024", "data.max_response_length=4096"])
    assert config_problems(cfg) == []


def test_the_issue_command_fails_clearly(run_cli):
    proc = run_cli(["-m", "verl_srpo", "check", "actor_rollout_ref.rollout.max_model_len=2048",
                    "data.max_prompt_length=1024", "data.max_response_length=4096"])
    assert proc.returncode == 1
    assert "max_model_len=2048 cannot hold" in proc.stderr and "max_model_len=5120" in proc.stderr


@pytest.mark.parametrize("override, message", [
    ("actor_rollout_ref.rollout.n=eight", "actor_rollout_ref.rollout.n='eight' must be an integer"),
    ("actor_rollout_ref.rollout.n='8'", "actor_rollout_ref.rollout.n='8' must be an integer"),
    ("data.gen_batch_size=abc", "data.gen_batch_size='abc' must be an integer"),
    ("data.max_response_length=abc", "data.max_response_length='abc' must be an integer"),
    ("trainer.use_v1=maybe", "trainer.use_v1='maybe' must be true or false"),
])
def test_a_value_of_the_wrong_type_is_a_problem_not_a_crash(compose, override, message):
    """A rule that crashed on a string where verl wants a number would, inside Hydra's callback, only warn and let
    the job train unchecked: each such value is one plain problem, under its own name (not a derived key's)."""
    _one_problem(compose([*GOOD, override]), message)


def test_a_rule_that_cannot_run_is_reported_not_raised(compose, monkeypatch):
    import verl_srpo.settings as settings

    def broken(cfg):
        raise KeyError("something verl renamed")

    monkeypatch.setattr(settings, "RULES", [*settings.RULES, broken])
    _one_problem(compose(GOOD), "verl-srpo could not check this config (broken: KeyError")

