"""Start-up rules for the ``srpo:`` options and DAPO's filter_groups (verl_srpo/settings.py)."""

import pytest

from verl_srpo.config.schema import StagesConfig, srpo_options
from verl_srpo.settings import config_problems

GOOD = ["+plugin=verl_srpo", "actor_rollout_ref.rollout.n=8"]


def test_defaults_and_free_form_maps_pass(compose):
    cfg = compose(GOOD + ["srpo.stages.stage2_weights={math: 3, code: 1}",
                          "srpo.stages.data_source_domains={openai/gsm8k: math, livecodebench: code}"])
    assert config_problems(cfg) == []
    opts = srpo_options(cfg)
    assert opts.history.enable is True and opts.history.acc_key == "acc" and opts.stages.stage1_domains == ["math"]
    assert opts.stages.stage2_weights == {"math": 3, "code": 1}
    assert isinstance(opts.stages, StagesConfig)
    assert srpo_options(None) == srpo_options(compose(GOOD))  # a config without the block gets the defaults


def test_filter_groups_is_refused_with_the_fix(compose):
    problems = config_problems(compose(GOOD + ["algorithm.filter_groups.enable=true",
                                               "algorithm.filter_groups.metric=acc"]))
    assert len(problems) == 1
    assert "algorithm.filter_groups.enable=false" in problems[0] and "trainer_mode=sync" in problems[0]


def test_plain_grpo_with_dapo_is_not_our_business(compose):
    cfg = compose(["actor_rollout_ref.rollout.n=8", "algorithm.filter_groups.enable=true"])
    assert config_problems(cfg) == []


@pytest.mark.parametrize(
    "override, needle",
    [
        ("srpo.history.readmit_fraction=1.5", "srpo.history.readmit_fraction=1.5 must be in [0.0, 1.0]"),
        ("srpo.history.min_pool_size=-3", "srpo.history.min_pool_size=-3 must be >= 0"),
        ("srpo.history.min_pool_size=2.5", "srpo.history.min_pool_size=2.5 must be an integer"),
        ("srpo.history.readmit_fraction=true", "srpo.history.readmit_fraction=True must be a number"),
        ("srpo.stages.switch_step=2.5", "srpo.stages.switch_step=2.5 must be an integer, or null"),
        ("srpo.stages.stage2_weights={math: lots}", "must be a map from names to numbers, or null"),
        ("srpo.metrics.reflection_phrases=wait", "reflection_phrases='wait' must be a list of strings"),
        ("srpo.history.correct_threshold=-1", "srpo.history.correct_threshold=-1"),
        ("srpo.stages.switch_epoch=0", "srpo.stages.switch_epoch=0 must be an integer >= 1, or null"),
        ("srpo.stages.switch_step=-1", "srpo.stages.switch_step=-1 must be an integer >= 0"),
        ("srpo.stages.stage1_domains=[]", "stage1_domains is empty"),
        ("srpo.stages.stage2_weights={math: 0, code: 0}", "positive sum"),
        ("srpo.metrics.reflection_phrases=[]", "reflection_sample_size=0 instead"),
        # A wrong reply in the format (0 + 1) would outscore a right one with mixed languages (1 - 0.1).
        ("reward.custom_reward_function.reward_kwargs.format_weight=1",
         "format_weight=1 and reward.custom_reward_function.reward_kwargs.lang_penalty=0.1: a wrong reply"),
        ("reward.custom_reward_function.reward_kwargs.lang_penalty=0.9", "Set format_weight + lang_penalty < 1"),
    ],
)
def test_bad_options_say_what_to_set(compose, override, needle):
    problems = config_problems(compose(GOOD + [override]))
    assert len(problems) == 1 and needle in problems[0], problems


def test_unknown_option_suggests_the_right_one(compose):
    problems = config_problems(compose(GOOD + ["+srpo.history.readmit_fracton=0.1"]))
    assert len(problems) == 1 and "Did you mean `srpo.history.readmit_fraction`" in problems[0]


def test_every_problem_of_the_block_is_listed(compose):
    """Unknown keys and types in several sub-blocks, and ranges within one, all at once."""
    problems = config_problems(compose(GOOD + ["+srpo.stages.swich_step=3", "srpo.history.enable=1",
                                               "srpo.metrics.reflection_sample_size=-1",
                                               "srpo.stages.switch_epoch=0", "srpo.stages.stage1_domains=[]"]))
    assert len(problems) == 5, problems
    assert "srpo.history.enable=1 must be true or false" in problems[0]
    assert "Did you mean `srpo.stages.switch_step`" in problems[1]
    assert "srpo.stages.switch_epoch=0 must be an integer >= 1" in problems[2]
    assert "stage1_domains is empty" in problems[3]
    assert "reflection_sample_size=-1 must be >= 0" in problems[4]
