"""The names verl-srpo gives verl, each defined once: plain strings, so importing this costs nothing.

``plugin/verl_srpo.yaml`` sets them (a YAML file cannot import them: ``tests/test_names.py`` checks it agrees).
"""

TRAINER_MODE = "srpo"  # trainer.v1.trainer_mode: verl_srpo.trainer.SRPOTrainer, registered by verl_srpo.plugin
ESTIMATOR = "srpo"  # algorithm.adv_estimator: verl_srpo.advantage.compute_srpo_outcome_advantage, the same way
REWARD_PATH = "pkg://verl_srpo.rewards"  # reward.custom_reward_function.path: SRPO's reward (verl_srpo.rewards)
REWARD_FUNCTION = "compute_score"  # reward.custom_reward_function.name
