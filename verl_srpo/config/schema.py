"""Every verl-srpo option, typed: the ``srpo`` block, the ``algorithm.srpo_*`` keys and the reward's options.

verl's own style (``verl/trainer/config/algorithm.py``): one dataclass per option group, derived from verl's
``BaseConfig`` and named by ``_target_`` in ``plugin/verl_srpo.yaml``, so that verl's
``omega_conf_to_dataclass`` builds each block. Here live each option's type, default and range check (with
what to set instead); the yaml documents each key in a comment above it and holds these defaults
(``tests/test_settings.py`` checks that the two agree).

:func:`load` builds a block from a composed config and lists every problem at once: unknown keys (with a
"did you mean"), types (strict: a quoted ``'false'`` is not a boolean, since verl's own code reads the raw
config) and ranges (each class's ``problems``).

``algorithm`` is verl's :class:`~verl.trainer.config.AlgoConfig` block: verl hands it to the advantage
estimator, so SRPO's estimator options live there as ``srpo_*`` keys, and :class:`SRPOAlgoConfig` (verl's
class plus those keys) is its ``_target_``: verl's ``AlgoConfig`` would refuse them.
"""

from __future__ import annotations

import difflib
import functools
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, ClassVar, Optional

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from verl.base_config import BaseConfig
from verl.trainer.config import AlgoConfig

from verl_srpo.rewards.math import MATH_TIMEOUT_S
from verl_srpo.rewards.sandbox import Limits

YAML = "verl_srpo/config/plugin/verl_srpo.yaml"


class OptionsError(ValueError):
    """Options that cannot work; ``problems`` holds one message per problem, each saying what to set instead."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Options(BaseConfig):
    """A block of options at config path ``PATH``; ``problems()`` lists its out-of-range values."""

    PATH: ClassVar[str] = ""

    def problems(self) -> list[str]:
        return []

    def __post_init__(self):
        problems = self.problems()
        if problems:
            raise OptionsError(problems)


def _in_range(path: str, value: float, low: float, high: float | None, fix: str) -> list[str]:
    ok = value >= low and (high is None or value <= high)
    bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
    return [] if ok else [f"{path}={value!r} must be {bound}. {fix}"]


@dataclass
class SRPOAlgoConfig(AlgoConfig):
    """verl's ``algorithm`` block plus the ``srpo`` estimator's keys (see the yaml)."""

    srpo_zero_truncated_adv: bool = True
    srpo_max_response_length: Optional[int] = None


@dataclass
class HistoryConfig(Options):
    """``srpo.history``: history resampling (SRPO.md "History Resampling (HR)")."""

    PATH: ClassVar[str] = "srpo.history"
    enable: bool = True
    acc_key: str = "acc"
    correct_threshold: float = 1.0
    readmit_fraction: float = 0.0
    min_pool_size: int = 0

    def problems(self) -> list[str]:
        out = []
        if not 0 < self.correct_threshold <= 1:
            out.append(f"{self.PATH}.correct_threshold={self.correct_threshold!r} must be in (0, 1]: a response counts "
                       "as correct when acc >= it (0 would call every response correct, > 1 none). SRPO uses 1.0.")
        out += _in_range(f"{self.PATH}.readmit_fraction", self.readmit_fraction, 0.0, 1.0,
                         "Set 0 to drop solved prompts for good.")
        out += _in_range(f"{self.PATH}.min_pool_size", self.min_pool_size, 0, None,
                         "Set 0 for no floor beyond one training batch.")
        if not self.acc_key:
            out.append(f"{self.PATH}.acc_key is empty: name the reward_extra_info key holding accuracy (SRPO: acc).")
        return out


@dataclass
class StagesConfig(Options):
    """``srpo.stages``: the two stages (SRPO.md "Two stages")."""

    PATH: ClassVar[str] = "srpo.stages"
    domain_field: str = "ability"
    data_source_domains: Optional[dict[str, str]] = None
    stage1_domains: list[str] = field(default_factory=lambda: ["math"])
    switch_step: Optional[int] = None
    switch_epoch: Optional[int] = 1
    stage2_weights: Optional[dict[str, float]] = None

    def problems(self) -> list[str]:
        out = []
        for key, low in (("switch_step", 0), ("switch_epoch", 1)):
            value = getattr(self, key)
            if value is not None and value < low:
                out.append(f"{self.PATH}.{key}={value!r} must be an integer >= {low}, or null to disable that trigger.")
        if not self.stage1_domains:
            out.append(f"{self.PATH}.stage1_domains is empty: stage 1 must draw from some domain (SRPO: [math]).")
        weights = self.stage2_weights
        if weights is not None and (not weights or min(weights.values()) < 0 or sum(weights.values()) <= 0):
            out.append(f"{self.PATH}.stage2_weights={weights!r} must map domains to non-negative numbers with a "
                       "positive sum (e.g. {math: 1, code: 1}), or be null for the data's natural proportions.")
        if not self.domain_field:
            out.append(f"{self.PATH}.domain_field is empty: name the dataset column with each row's domain "
                       "(verl's ability).")
        return out


@dataclass
class MetricsConfig(Options):
    """``srpo.metrics``: SRPO's own step metrics."""

    PATH: ClassVar[str] = "srpo.metrics"
    reflection_phrases: list[str] = field(default_factory=lambda: [
        "wait", "recheck", "re-check", "double-check", "let me verify", "let me check", "verify", "reconsider"])
    reflection_sample_size: int = 256

    def problems(self) -> list[str]:
        out = _in_range(f"{self.PATH}.reflection_sample_size", self.reflection_sample_size, 0, None,
                        "Set 0 to turn the reflection rate off.")
        if self.reflection_sample_size and not self.reflection_phrases:
            out.append(f"{self.PATH}.reflection_phrases is empty; set {self.PATH}.reflection_sample_size=0 instead.")
        return out


@dataclass
class SRPOConfig(Options):
    """The ``srpo`` block, run by the SRPO trainer (``verl_srpo/trainer.py``)."""

    PATH: ClassVar[str] = "srpo"
    history: HistoryConfig = field(default_factory=HistoryConfig)
    stages: StagesConfig = field(default_factory=StagesConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)


@dataclass
class RewardConfig(Options):
    """``reward.custom_reward_function.reward_kwargs``: SRPO's reward (``verl_srpo/rewards``), which verl calls
    with these as keyword arguments (``verl/trainer/ppo/reward.py: get_custom_reward_fn``). The sandbox's limits
    default to :class:`verl_srpo.rewards.sandbox.Limits`, math-verify's to its own default."""

    PATH: ClassVar[str] = "reward.custom_reward_function.reward_kwargs"
    format_weight: float = 0.1
    lang_penalty: float = 0.1
    lang_min_chars: int = 10
    math_timeout_s: float = MATH_TIMEOUT_S
    code_timeout_s: float = Limits.timeout_s
    code_memory_mb: int = Limits.memory_mb
    code_max_tests: int = 0

    def problems(self) -> list[str]:
        out = []
        for f in fields(self):
            if f.name == "_target_":
                continue
            value = getattr(self, f.name)
            positive = f.name in ("math_timeout_s", "code_timeout_s", "code_memory_mb")
            if value < 0 or (positive and value == 0):
                out.append(f"{self.PATH}.{f.name}={value!r} must be {'> 0' if positive else '>= 0'}.")
        return out


# Keyword arguments verl's reward managers add to every reward call on their own; accepted and ignored.
VERL_INJECTED = ("reward_router_address", "reward_model_tokenizer")


# ------------------------------------------------------------------ building a block from a composed config

@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(kind: Any) -> str:
    args = typing.get_args(kind)
    if typing.get_origin(kind) is list:
        return f"a list of {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s"
    if typing.get_origin(kind) is dict:
        return f"a map from names to {_describe(args[1]).removeprefix('a ').removeprefix('an ')}s"
    return {bool: "true or false (unquoted)", int: "an integer", float: "a number", str: "a string"}[kind]


def _fits(value: Any, kind: Any) -> bool:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Union:
        return any(_fits(value, arg) for arg in args)
    if kind is type(None):
        return value is None
    if origin is list:
        return isinstance(value, list) and all(_fits(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(k, str) and _fits(v, args[1]) for k, v in value.items())
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _type_problem(path: str, value: Any, kind: Any) -> list[str]:
    if _fits(value, kind):
        return []
    args = [a for a in typing.get_args(kind) if a is not type(None)] if typing.get_origin(kind) is typing.Union else []
    want = f"{_describe(args[0])}, or null" if args else _describe(kind)
    return [f"{path}={value!r} must be {want}."]


def unknown_key(path: str, known: list[str]) -> str:
    """The message for the unknown key ``path``, with the closest of ``known`` (its siblings) as a suggestion."""
    parent, key = path.rsplit(".", 1)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean `{parent}.{close[0]}`?" if close else ""
    return f"unknown key `{path}`.{hint} Valid keys: {', '.join(sorted(known)) or '(none)'} (see {YAML})."


def _plain(node: Any, path: str) -> tuple[Any, list[str]]:
    if OmegaConf.is_config(node):
        try:
            return OmegaConf.to_container(node, resolve=True), []
        except OmegaConfBaseException as exc:
            return None, [f"{path} does not resolve: {exc}"]
    return node, []


def check(cls: type, node: Any, path: str | None = None, prefix: str = "") -> tuple[dict, list[str]]:
    """The well-typed values of ``node`` (a block of ``cls``: a DictConfig, a dict or None) for ``cls``'s
    fields (nested blocks built), and every unknown key, wrongly typed value and nested problem. With
    ``prefix``, only the keys and fields that start with it are ``cls``'s (``srpo_`` in verl's ``algorithm``)."""
    path = path or cls.PATH
    node, problems = _plain({} if node is None else node, path)
    if problems:
        return {}, problems
    if not isinstance(node, dict):
        return {}, [f"{path}={node!r} must be a block of options (see {YAML})."]
    known = [f.name for f in fields(cls) if f.init and f.name != "_target_" and f.name.startswith(prefix)]
    values = {}
    for key, value in node.items():
        if key == "_target_" or not str(key).startswith(prefix):
            continue
        where = f"{path}.{key}"
        if key not in known:
            problems.append(unknown_key(where, known))
            continue
        kind = _hints(cls)[key]
        built, wrong = load(kind, value, where) if is_dataclass(kind) else (value, _type_problem(where, value, kind))
        problems += wrong
        if not wrong:
            values[key] = built
    return values, problems


def load(cls: type, node: Any, path: str | None = None) -> tuple[Any, list[str]]:
    """``(cls built from node, [])``, or ``(None, problems)``: unknown keys, types and ranges, all at once (the
    range checks see the well-typed values, and the defaults in place of the others). Keys ``node`` leaves out
    take ``cls``'s defaults."""
    values, problems = check(cls, node, path)
    try:
        built = cls(**values)
    except OptionsError as exc:
        return None, problems + exc.problems
    return (None, problems) if problems else (built, [])


def build(cls: type, node: Any, path: str | None = None) -> Any:
    """``cls`` built from ``node``; raises :class:`OptionsError` listing every problem."""
    built, problems = load(cls, node, path)
    if problems:
        raise OptionsError(problems)
    return built


def srpo_options(cfg: Any) -> SRPOConfig:
    """The ``srpo`` block of a composed verl config, typed (a config without the block gets the defaults).
    Raises :class:`OptionsError`."""
    return build(SRPOConfig, None if cfg is None else cfg.get("srpo", None))


@functools.lru_cache(maxsize=32)
def _reward_config(items: tuple) -> RewardConfig:
    return build(RewardConfig, dict(items))


def reward_config(kwargs: dict) -> RewardConfig:
    """The reward's options from the reward function's keyword arguments (verl's ``reward_kwargs``, plus the
    arguments verl's reward managers add on their own, which are ignored). Raises :class:`OptionsError`."""
    items = tuple(sorted((k, v) for k, v in kwargs.items() if k not in VERL_INJECTED))
    try:
        return _reward_config(items)
    except TypeError:  # an unhashable value: build without the cache
        return build(RewardConfig, dict(items))
