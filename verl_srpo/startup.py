"""Loud start-up checks: the plugin is registered everywhere it must be, and the config can work.

verl imports ``verl.plugins`` entry points on ``import verl`` and hides a failed import at DEBUG
level, so a broken install would silently train without SRPO. These checks run

* in the launching process, through the Hydra callback that ``plugin/verl_srpo.yaml`` installs
  (``StartupCheck.on_job_start``, before verl's ``main`` starts Ray);
* in the Ray TaskRunner, when the SRPO trainer is built (before any worker or rollout);
* at import, for the one case the callback cannot see: ``+plugin=verl_srpo`` on the command line
  while Hydra cannot find the search-path plugin (Hydra would silently add a string key).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from hydra.experimental.callback import Callback

from verl_srpo import _verl
from verl_srpo.names import ESTIMATOR, TRAINER_MODE
from verl_srpo.plugin import FIX_INSTALL, search_path_plugin_found

ENTRY_POINT_GROUP = "verl.plugins"
ENTRY_POINT_NAME = "verl_srpo"
ENTRY_POINT_VALUE = "verl_srpo.plugin"


def _entry_point_problems() -> list[str]:
    ours = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == ENTRY_POINT_NAME]
    if not ours:
        return [f"the `{ENTRY_POINT_GROUP}` entry point `{ENTRY_POINT_NAME}` is not installed, so Ray workers "
                f"will not register srpo. {FIX_INSTALL}"]
    if ours[0].value != ENTRY_POINT_VALUE:
        return [f"the `{ENTRY_POINT_GROUP}` entry point `{ENTRY_POINT_NAME}` points to `{ours[0].value}`, not "
                f"`{ENTRY_POINT_VALUE}`: this install's metadata is stale, so Ray workers may not register srpo. "
                f"Reinstall: {FIX_INSTALL}"]
    allowed, policy = _verl.plugins_policy_allows(ENTRY_POINT_NAME)
    if not allowed:
        return [f"VERL_USE_EXTERNAL_PLUGINS={policy!r} keeps verl from loading verl_srpo in Ray workers. "
                f"Unset it, or add `{ENTRY_POINT_NAME}` to its list."]
    return []


# What verl's public lookups must return for our names: (module, lookup function, name) -> our (module, qualified
# name).
REGISTERED = {
    "advantage estimator": ("verl.trainer.ppo.core_algos", "get_adv_estimator_fn", ESTIMATOR,
                            ("verl_srpo.advantage", "compute_srpo_outcome_advantage")),
    "trainer mode": ("verl.trainer.ppo.v1", "get_trainer_cls", TRAINER_MODE, ("verl_srpo.trainer", "SRPOTrainer")),
}


def _registration_problems() -> list[str]:
    """Ask verl for our names as verl does (the plugin's hooks register as verl imports its registries)."""
    problems = []
    import verl_srpo.plugin  # noqa: F401  (installs the hooks, if verl has not imported it yet)

    for what, (module, lookup, name, expected) in REGISTERED.items():
        try:
            lookup_fn = getattr(importlib.import_module(module), lookup)
        except Exception as exc:  # the cause verl would log at DEBUG level only
            return [f"verl_srpo failed to register ({type(exc).__name__}: {exc}). verl hides this error; "
                    f"check that verl{_verl.VERL_SUPPORTED} is installed. {FIX_INSTALL}"]
        try:
            found = lookup_fn(name)
        except ValueError:
            found = None
        if (getattr(found, "__module__", None), getattr(found, "__qualname__", None)) != expected:
            problems.append(f"{what} `{name}` is not registered to verl-srpo's {expected[1]} (found {found!r}).")
    return problems


def install_problems() -> list[str]:
    """Why the plugin would not be active in every verl process, or this verl cannot run it; empty when all is
    well. A verl outside the supported range is said first, and alone (the rest would only follow from it)."""
    problems = _verl.version_problems()
    if problems:
        return problems
    problems = _verl.private_problems() + _registration_problems() + _entry_point_problems()
    if not search_path_plugin_found():
        problems.append(f"Hydra cannot find verl-srpo's search-path plugin (hydra_plugins.verl_srpo_searchpath), "
                        f"so `+plugin=verl_srpo` would not compose. {FIX_INSTALL}")
    return problems


def assert_ready(cfg: Any) -> None:
    """Raise ``SRPOConfigError`` if the install or ``cfg`` cannot train SRPO."""
    from verl_srpo.settings import SRPOConfigError, config_problems, format_problems

    problems = install_problems() + config_problems(cfg)
    if problems:
        raise SRPOConfigError(format_problems(problems))


class StartupCheck(Callback):
    """Hydra callback (installed by ``plugin/verl_srpo.yaml``): validate before verl's ``main`` runs."""

    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        # Hydra turns an exception raised in a callback into a warning and runs the job anyway, so the
        # failure leaves as SystemExit (exit status 1, the message on stderr).
        try:
            assert_ready(config)
        except ValueError as exc:
            raise SystemExit(f"\n{exc}\n") from None
        except Exception as exc:  # a check that cannot run must not let the job run unchecked
            raise SystemExit(f"\nverl-srpo cannot start: its start-up check failed ({type(exc).__name__}: {exc}), so "
                             "the config is unchecked. Fix the value it names, or report this message.\n") from None
