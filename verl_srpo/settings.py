"""Start-up validation of the composed verl config for SRPO.

Every rule returns messages that say what is wrong and what to set instead; :func:`validate`
raises them all at once. The shipped ``plugin/verl_srpo.yaml`` is the schema: it documents every
SRPO key once, and a key that is not in it is unknown (with a "did you mean" suggestion).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

PLUGIN_YAML = Path(__file__).parent / "config" / "plugin" / "verl_srpo.yaml"
TRAINER_MODE = "srpo"
ESTIMATOR = "srpo"


class SRPOConfigError(ValueError):
    """The config cannot work with SRPO; the message lists every problem and its fix."""


@lru_cache(maxsize=1)
def shipped_defaults() -> DictConfig:
    """The plugin yaml as shipped (unresolved): the schema of the ``srpo`` and ``algorithm.srpo_*`` keys."""
    return OmegaConf.load(PLUGIN_YAML)


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
    zero = _get(cfg, "algorithm.srpo_zero_truncated_adv", True)
    if not uses_srpo_estimator(cfg):
        return []
    if not isinstance(zero, bool):
        return [f"algorithm.srpo_zero_truncated_adv={zero!r} must be true or false (unquoted)."]
    if not zero:
        return []
    limit = _get(cfg, "algorithm.srpo_max_response_length")
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
            f"(data.max_response_length) = {need}: vLLM would stop long responses at {max(room, 0)} tokens or fewer, "
            "short of the response length, and verl 0.9.1 reports such a stop like any other, so the cut responses "
            "would keep a non-zero advantage and count in their group's statistics. "
            f"{fix} {shorter}."]


def _batch_sizes(cfg: Any) -> list[str]:
    step, fetch = _get(cfg, "data.train_batch_size"), _get(cfg, "data.gen_batch_size")
    if uses_srpo_trainer(cfg) and fetch and step and step % fetch:
        return [f"data.train_batch_size={step} must be a multiple of data.gen_batch_size={fetch}: the SRPO sampler "
                "draws whole steps. Set data.gen_batch_size to a divisor of it, or leave it unset."]
    return []


def _dataloader(cfg: Any) -> list[str]:
    workers = _get(cfg, "data.dataloader_num_workers", 0)
    if uses_srpo_trainer(cfg) and workers:
        return [
            f"data.dataloader_num_workers={workers}: the SRPO sampler (history resampling, stage) is saved in "
            "checkpoints, and with dataloader workers that state is a prefetch-time snapshot, so a resumed run "
            "would not draw the batches the uninterrupted run draws. Set data.dataloader_num_workers=0."
        ]
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


def srpo_options(cfg: Any) -> DictConfig:
    """The ``srpo`` block of ``cfg`` over the shipped defaults (a run without the block gets the defaults)."""
    user = cfg.get("srpo", None) if cfg is not None else None
    return OmegaConf.merge(shipped_defaults().srpo, user or {})


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


def _number(opts: Any, key: str, low: float, high: float | None, fix: str) -> list[str]:
    value = OmegaConf.select(opts, key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= low
    ok = ok and (high is None or value <= high)
    bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
    return [] if ok else [f"srpo.{key}={value!r} must be a number {bound}. {fix}"]


def _srpo_options(cfg: Any) -> list[str]:
    if not uses_srpo_trainer(cfg):
        return []
    try:
        opts = srpo_options(cfg)
    except (OmegaConfBaseException, ValueError, TypeError) as exc:  # a malformed block
        return [f"the srpo block does not fit the schema in verl_srpo.yaml: {exc}"]
    problems = []
    threshold = OmegaConf.select(opts, "history.correct_threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        problems.append(f"srpo.history.correct_threshold={threshold!r} must be in (0, 1]: a response counts as correct "
                        "when acc >= it (0 would call every response correct, > 1 none). SRPO uses 1.0.")
    for key in ("history.enable",):
        if not isinstance(OmegaConf.select(opts, key), bool):
            problems.append(f"srpo.{key}={OmegaConf.select(opts, key)!r} must be true or false (unquoted).")
    problems += _number(opts, "history.readmit_fraction", 0.0, 1.0, "Set 0 to drop solved prompts for good.")
    problems += _number(opts, "history.min_pool_size", 0, None, "Set 0 for no floor beyond one training batch.")
    problems += _number(opts, "metrics.reflection_sample_size", 0, None, "Set 0 to turn the reflection rate off.")
    for key, low in (("stages.switch_step", 0), ("stages.switch_epoch", 1)):
        value = OmegaConf.select(opts, key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
            problems.append(f"srpo.{key}={value!r} must be an integer >= {low}, or null to disable that trigger.")
    if not list(opts.stages.stage1_domains or []):
        problems.append("srpo.stages.stage1_domains is empty: stage 1 must draw from some domain (SRPO: [math]).")
    weights = opts.stages.stage2_weights
    if weights is not None:
        values = list(weights.values()) if isinstance(weights, DictConfig) else None
        if not values or any(not isinstance(w, (int, float)) or w < 0 for w in values) or sum(values) <= 0:
            problems.append(
                f"srpo.stages.stage2_weights={weights!r} must map domains to non-negative numbers with a positive sum "
                "(e.g. {math: 1, code: 1}), or be null for the data's natural proportions."
            )
    if opts.metrics.reflection_sample_size and not list(opts.metrics.reflection_phrases or []):
        problems.append("srpo.metrics.reflection_phrases is empty; set srpo.metrics.reflection_sample_size=0 instead.")
    return problems


# Maps whose keys are the user's own (data sources, domain names), not schema keys.
FREE_FORM_MAPS = {"srpo.stages.data_source_domains", "srpo.stages.stage2_weights"}


def _walk(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for key in node.keys() if isinstance(node, DictConfig) else []:
        path = f"{prefix}.{key}"
        yield path, key
        child = node._get_node(key)
        if isinstance(child, DictConfig) and path not in FREE_FORM_MAPS:
            yield from _walk(child, path)


def _unknown(path: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" Did you mean `{path.rsplit('.', 1)[0]}.{close[0]}`?" if close else ""
    return f"unknown key `{path}`.{hint} Valid keys: {', '.join(sorted(known)) or '(none)'} (see verl_srpo.yaml)."


def _unknown_keys(cfg: Any) -> list[str]:
    schema = shipped_defaults()
    problems = []
    user = cfg.get("srpo", None)
    if user is not None:
        for path, key in _walk(user, "srpo"):
            parent = OmegaConf.select(schema, path.rsplit(".", 1)[0])
            if not isinstance(parent, DictConfig) or key not in parent:
                known = list(parent.keys()) if isinstance(parent, DictConfig) else []
                problems.append(_unknown(path, key, known))
    algorithm = cfg.get("algorithm", None) or {}
    known = [k for k in schema.algorithm.keys() if str(k).startswith("srpo_")]
    for key in algorithm.keys():
        if str(key).startswith("srpo_") and key not in known:
            problems.append(_unknown(f"algorithm.{key}", key, known))
    return problems


REWARD_PATH = "pkg://verl_srpo.rewards"


def _reward_options(cfg: Any) -> list[str]:
    """SRPO's reward checks its kwargs on every call; check them once here, before any rollout."""
    fn = _get(cfg, "reward.custom_reward_function", {}) or {}
    if fn.get("path", None) != REWARD_PATH:
        return []
    from verl_srpo.rewards.options import RewardOptions

    try:
        RewardOptions.from_kwargs(dict(fn.get("reward_kwargs", None) or {}))
    except (TypeError, ValueError) as exc:
        return [str(exc)]
    return []


RULES: list[Callable[[Any], list[str]]] = [
    _plugin_key, _pairing, _group_size, _truncation, _batch_sizes, _dataloader, _unknown_keys, _filter_groups,
    _srpo_options, _reward_options, _run_length,
    _context_window,
]


def config_problems(cfg: Any) -> list[str]:
    """Every problem of ``cfg`` (a composed verl config), as messages that say what to set instead."""
    return [message for rule in RULES for message in rule(cfg)]


def format_problems(problems: list[str]) -> str:
    lines = [f"  {i}. {p}" for i, p in enumerate(problems, 1)]
    return "verl-srpo cannot start:\n" + "\n".join(lines)


def validate(cfg: Any) -> None:
    """Raise :class:`SRPOConfigError` listing every problem of ``cfg``; return quietly if there is none."""
    problems = config_problems(cfg)
    if problems:
        raise SRPOConfigError(format_problems(problems))
