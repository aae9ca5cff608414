"""Start-up validation of the composed verl config for SRPO.

Every rule returns messages that say what is wrong and what to set instead;
:func:`verl_srpo.startup.assert_ready` raises them all at once. The options themselves (types, defaults,
ranges, unknown keys) are the dataclasses of :mod:`verl_srpo.config.schema`; the rules here are the ones
that span several of verl's blocks.
"""

from __future__ import annotations

import dataclasses

from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from verl_srpo.config.schema import RewardConfig, SRPOAlgoConfig, SRPOConfig, check, load
from verl_srpo.names import ESTIMATOR, REWARD_PATH, TRAINER_MODE

PLUGIN_YAML = Path(__file__).parent / "config" / "plugin" / "verl_srpo.yaml"


class SRPOConfigError(ValueError):
    """The config cannot work with SRPO; the message lists every problem and its fix."""


def _get(cfg: Any, dotted: str, default: Any = None) -> Any:
    value = OmegaConf.select(cfg, dotted, default=default, throw_on_missing=False)
    return default if value is None else value


def uses_srpo_trainer(cfg: Any) -> bool:
    return _get(cfg, "trainer.v1.trainer_mode") == TRAINER_MODE


def uses_srpo_estimator(cfg: Any) -> bool:
    return _get(cfg, "algorithm.adv_estimator") == ESTIMATOR


def _plugin_key(cfg: Any) -> list[str]:
    if isinstance(cfg.get("plugin", None), str):
        return [
            f"`plugin: {cfg.plugin}` is a plain string key: Hydra did not find verl-srpo's config search path, so "
            "`+plugin=verl_srpo` composed nothing and this run would train without SRPO. Install the package into "
            "this interpreter (`pip install -e .` or `pip install verl-srpo`, not PYTHONPATH), and check that "
            "`python -c 'import hydra_plugins.verl_srpo_searchpath'` works (another package's non-namespace "
            "`hydra_plugins/__init__.py` can hide it)."
        ]
    return []


def _pairing(cfg: Any) -> list[str]:
    problems = []
    if uses_srpo_estimator(cfg) and not uses_srpo_trainer(cfg):
        problems.append(
            f"algorithm.adv_estimator=srpo with trainer.v1.trainer_mode={_get(cfg, 'trainer.v1.trainer_mode')}: "
            "without the SRPO trainer there is no history resampling and no two-stage schedule. "
            "Set trainer.v1.trainer_mode=srpo (compose with +plugin=verl_srpo), or use algorithm.adv_estimator=grpo."
        )
    if uses_srpo_trainer(cfg) and not _get(cfg, "trainer.use_v1", True):
        problems.append("trainer.v1.trainer_mode=srpo needs verl's v1 trainer: set trainer.use_v1=true.")
    return problems


def _group_size(cfg: Any) -> list[str]:
    n = _get(cfg, "actor_rollout_ref.rollout.n", 1)
    if (uses_srpo_estimator(cfg) or uses_srpo_trainer(cfg)) and n < 2:
        return [
            f"actor_rollout_ref.rollout.n={n}: SRPO's advantage is relative to a group of responses to the same "
            "prompt, and a group of one has no baseline (every advantage would be 0). "
            "Set actor_rollout_ref.rollout.n>=2; the paper uses 32 (SRPO.md 'Scale')."
        ]
    return []


def _truncation(cfg: Any) -> list[str]:
    """The estimator zeroes responses of exactly the rollout's length: the two must agree."""
    if not uses_srpo_estimator(cfg):
        return []
    values, problems = check(SRPOAlgoConfig, cfg.get("algorithm", None), "algorithm", prefix="srpo_")
    zero = values.get("srpo_zero_truncated_adv", SRPOAlgoConfig.srpo_zero_truncated_adv)
    if problems or not zero:
        return []  # a wrong type is said by _options
    limit = values.get("srpo_max_response_length")
    length = _get(cfg, "actor_rollout_ref.rollout.response_length")
    if limit is None:
        return ["algorithm.srpo_zero_truncated_adv=true needs algorithm.srpo_max_response_length, which "
                "+plugin=verl_srpo derives from actor_rollout_ref.rollout.response_length: compose with "
                "+plugin=verl_srpo, or set algorithm.srpo_zero_truncated_adv=false."]
    if limit != length:
        return [f"algorithm.srpo_max_response_length={limit} differs from actor_rollout_ref.rollout.response_length="
                f"{length}: truncated responses would not be found (or finished ones zeroed). Do not set it; the "
                "plugin derives it."]
    return []


def _model_context(path: Any) -> tuple[int, str] | None:
    """The model's ``max_position_embeddings`` (what verl uses for a null ``max_model_len``) and where it was
    read, from a local checkpoint or the local Hugging Face cache; None when it cannot be read offline."""
    import json
    import os

    if not isinstance(path, str) or not path:
        return None
    local = os.path.join(os.path.expanduser(path), "config.json")
    if not os.path.isfile(local):
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(path, "config.json")
        except Exception:  # not a repo id, no hub client: nothing to read offline
            return None
        if not isinstance(cached, str):
            return None
        local = cached
    try:
        with open(local) as f:
            hf = json.load(f)
    except (OSError, ValueError):
        return None
    value = hf.get("max_position_embeddings") or (hf.get("text_config") or {}).get("max_position_embeddings")
    return (int(value), local) if isinstance(value, int) and not isinstance(value, bool) else None


def _context_window(cfg: Any) -> list[str]:
    """The length rule finds every cut response only when vLLM's context holds prompt + response
    (verl_srpo.advantage, "Truncation the length rule cannot see")."""
    if not (uses_srpo_estimator(cfg) or uses_srpo_trainer(cfg)):
        return []
    prompt = _get(cfg, "actor_rollout_ref.rollout.prompt_length")
    response = _get(cfg, "actor_rollout_ref.rollout.response_length")
    window = _get(cfg, "actor_rollout_ref.rollout.max_model_len")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (prompt, response)):
        return []
    need = prompt + response
    if window is None:
        found = _model_context(_get(cfg, "actor_rollout_ref.model.path"))
        if found is None:
            return []
        window, where = found
        said = (f"actor_rollout_ref.rollout.max_model_len is null, so verl uses the model's max_position_embeddings="
                f"{window} ({where}), which")
        fix = "Use a model with a longer context, or set"
    elif isinstance(window, int) and not isinstance(window, bool):
        said = f"actor_rollout_ref.rollout.max_model_len={window}"
        fix = (f"Set actor_rollout_ref.rollout.max_model_len={need} (or more, up to the model's "
               "max_position_embeddings), or")
    else:
        return [f"actor_rollout_ref.rollout.max_model_len={window!r} must be an integer, or null for the model's "
                "max_position_embeddings."]
    if window >= need:
        return []
    room = window - prompt
    shorter = (f"data.max_response_length={room}" if room > 0 else
               f"data.max_prompt_length + data.max_response_length <= {window}")
    return [f"{said} cannot hold a prompt of {prompt} tokens (data.max_prompt_length) plus a response of {response} "
            f"(data.max_response_length) = {need}: vLLM would stop a long response at {window} tokens minus its "
            f"prompt ({max(room, 0)} for the longest prompts), short of the response length, and verl 0.9.1 reports "
            "such a stop like any other, so the cut responses "
            "would keep a non-zero advantage and count in their group's statistics. "
            f"{fix} {shorter}."]


def _batch_sizes(cfg: Any) -> list[str]:
    step, fetch = _get(cfg, "data.train_batch_size"), _get(cfg, "data.gen_batch_size")
    if uses_srpo_trainer(cfg) and fetch and step and step % fetch:
        return [f"data.train_batch_size={step} must be a multiple of data.gen_batch_size={fetch}: the SRPO sampler "
                "draws whole steps. Set data.gen_batch_size to a divisor of it, or leave it unset."]
    return []


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _run_length(cfg: Any) -> list[str]:
    """A verl-srpo run is counted in steps. verl's loop also stops after trainer.total_epochs x (len(train data)
    // data.train_batch_size) steps; the SRPO trainer raises a total_epochs too low for the requested steps
    once it knows the data (verl_srpo.trainer.count_in_steps). Here: both must be counts."""
    if not uses_srpo_trainer(cfg):
        return []
    problems = []
    steps, epochs = _get(cfg, "trainer.total_training_steps"), _get(cfg, "trainer.total_epochs")
    if steps is not None and not _positive_int(steps):
        problems.append(f"trainer.total_training_steps={steps!r} must be a positive integer: a verl-srpo run is counted "
                        "in steps (null: trainer.total_epochs x len(train data) // data.train_batch_size steps).")
    if not _positive_int(epochs):
        problems.append(f"trainer.total_epochs={epochs!r} must be a positive integer. verl's loop stops after "
                        "total_epochs x len(train data) // data.train_batch_size steps; with "
                        "trainer.total_training_steps set, the SRPO trainer raises it as far as those steps need.")
    return problems


def _filter_groups(cfg: Any) -> list[str]:
    filter_groups = _get(cfg, "algorithm.filter_groups", None)
    if uses_srpo_trainer(cfg) and filter_groups is not None and filter_groups.get("enable", False):
        return [
            "algorithm.filter_groups.enable=true (DAPO dynamic sampling) with the SRPO trainer: history resampling "
            "replaces it (SRPO.md 'History Resampling': HR decides from history before generating, DAPO over-generates "
            "and filters within a step). Together, DAPO's extra prompts in flight are not in verl's sync checkpoint, so "
            "a resumed run would not draw the batches of the uninterrupted one, and they would cross the stage switch. "
            "Set algorithm.filter_groups.enable=false (srpo.history.enable=false gives plain staged GRPO), or run DAPO "
            "with trainer.v1.trainer_mode=sync."
        ]
    return []


def _options(cfg: Any) -> list[str]:
    """The ``srpo`` block, the ``algorithm.srpo_*`` keys and SRPO's reward options against their dataclasses
    (:mod:`verl_srpo.config.schema`): unknown keys, types and ranges, before any rollout."""
    problems = []
    block = cfg.get("srpo", None)
    if block is not None or uses_srpo_trainer(cfg):
        problems += load(SRPOConfig, block)[1]
    problems += check(SRPOAlgoConfig, cfg.get("algorithm", None), "algorithm", prefix="srpo_")[1]
    fn = _get(cfg, "reward.custom_reward_function", {}) or {}
    kwargs = fn.get("reward_kwargs", None)
    if fn.get("path", None) == REWARD_PATH:  # SRPO's reward checks its options on every call: check them once here
        opts, wrong = load(RewardConfig, kwargs)
        problems += wrong
        if not wrong and opts.format_weight + opts.lang_penalty >= 1:
            # score = acc + format_weight * format - lang_penalty: a wrong reply scores up to format_weight, a right
            # one down to 1 - lang_penalty; at or past that point the reward ranks a wrong reply with the format
            # at or above a right one (and `verl-srpo report` cannot read accuracy from the score).
            key = "reward.custom_reward_function.reward_kwargs"
            problems.append(
                f"{key}.format_weight={opts.format_weight:g} and {key}.lang_penalty={opts.lang_penalty:g}: a wrong "
                f"reply in the R1-Zero format scores up to {opts.format_weight:g} and a right one with mixed languages "
                f"down to {1 - opts.lang_penalty:g}, so the reward would rank a wrong answer at or above a right one. "
                "Set format_weight + lang_penalty < 1 (defaults 0.1 and 0.1; SRPO.md \"Rewards\": accuracy comes first)."
            )
    elif fn.get("path", None) and kwargs:
        ours = sorted(set(kwargs) & {f.name for f in dataclasses.fields(RewardConfig)})
        if ours:  # +plugin=verl_srpo put SRPO's reward options there; verl passes them to every call of the new one
            problems.append(
                f"reward.custom_reward_function.path={fn.path} is not SRPO's reward, but reward_kwargs still holds SRPO's "
                f"reward options {ours} (from +plugin=verl_srpo), which verl passes to every call of that function. "
                "Drop them with `~reward.custom_reward_function.reward_kwargs '+reward.custom_reward_function."
                "reward_kwargs={}'` (then add your function's own options), or keep "
                f"reward.custom_reward_function.path={REWARD_PATH}."
            )
    return problems


def unchecked(cfg: Any) -> list[str]:
    """What the rules could not check on this machine, for ``verl-srpo check`` to say instead of passing it over:
    the context window when ``max_model_len`` is null and the model's ``config.json`` cannot be read offline (the
    trainer checks it again at start-up, where the model has been fetched)."""
    if not (uses_srpo_estimator(cfg) or uses_srpo_trainer(cfg)):
        return []
    if _get(cfg, "actor_rollout_ref.rollout.max_model_len") is not None:
        return []
    path = _get(cfg, "actor_rollout_ref.model.path")
    if _model_context(path) is not None:
        return []
    return [f"the context window: actor_rollout_ref.rollout.max_model_len is null and actor_rollout_ref.model.path="
            f"{path} has no config.json here (not a local folder, not in the Hugging Face cache), so whether "
            "prompt + response fits the model's max_position_embeddings is checked only when the trainer starts. "
            "Set actor_rollout_ref.rollout.max_model_len, or point model.path at a local copy, to check it now."]


RULES: list[Callable[[Any], list[str]]] = [
    _plugin_key, _pairing, _group_size, _truncation, _batch_sizes, _options, _filter_groups,
    _run_length, _context_window,
]


# verl's keys that the rules above compute with: a wrong type here is said once, plainly, instead of
# surfacing as a TypeError inside a rule (which, raised in Hydra's callback, would let the job run unchecked).
INTEGER_KEYS = ("actor_rollout_ref.rollout.n", "data.train_batch_size", "data.gen_batch_size",
                "data.max_prompt_length", "data.max_response_length", "actor_rollout_ref.rollout.max_model_len")
BOOLEAN_KEYS = ("trainer.use_v1",)
# Keys that interpolate INTEGER_KEYS: a bad source is reported under its own name, not theirs.
DERIVED = {"algorithm.srpo_max_response_length": "data.max_response_length"}


def _types(cfg: Any) -> list[str]:
    """The verl keys SRPO's rules compute with have the types verl expects (unquoted integers / booleans)."""
    problems = []
    for key in INTEGER_KEYS:
        value = _get(cfg, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(f"{key}={value!r} must be an integer (unquoted, e.g. {key}=8).")
    for key in BOOLEAN_KEYS:
        value = _get(cfg, key)
        if value is not None and not isinstance(value, bool):
            problems.append(f"{key}={value!r} must be true or false (unquoted).")
    return problems


def config_problems(cfg: Any) -> list[str]:
    """Every problem of ``cfg`` (a composed verl config), as messages that say what to set instead.

    Never raises for the config's contents: a rule that fails on a value of a type it does not expect is
    covered by the type rule (or reported as what it could not check), because a start-up check that crashes
    inside Hydra's callback is only a warning there, and the job would train unchecked.
    """
    problems = _types(cfg)
    bad = {p.split("=", 1)[0] for p in problems}
    for rule in RULES:
        try:
            found = rule(cfg)
        except Exception as exc:  # a value of the wrong type the type rule does not cover
            if bad:
                continue
            found = [f"verl-srpo could not check this config ({rule.__name__.strip('_')}: {type(exc).__name__}: "
                     f"{exc}); a value has a type verl does not expect. Fix it, or report this message."]
        problems += [p for p in found if DERIVED.get(p.split("=", 1)[0]) not in bad]
    return problems


def format_problems(problems: list[str]) -> str:
    lines = [f"  {i}. {p}" for i, p in enumerate(problems, 1)]
    return "verl-srpo cannot start:\n" + "\n".join(lines)
