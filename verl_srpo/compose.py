"""verl's ``ppo_trainer`` config composed in-process, as ``python -m verl.trainer.main_ppo`` composes it."""

from __future__ import annotations

from typing import Any


def compose_verl(overrides: list[str]) -> Any:
    """verl's ``ppo_trainer`` config composed through Hydra with ``overrides``, as ``main_ppo`` composes it."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=list(overrides))


def compose(overrides: list[str]) -> Any:
    """verl's ``ppo_trainer`` config with ``+plugin=verl_srpo`` and ``overrides``."""
    return compose_verl(["+plugin=verl_srpo", *overrides])
