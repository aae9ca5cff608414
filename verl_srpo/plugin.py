"""verl's ``verl.plugins`` entry point: registers SRPO lazily, in every process, at almost no cost.

verl imports this module on every ``import verl`` (``verl/__init__.py``), in every process of a run:
the driver, the Ray TaskRunner, the FSDP workers, the vLLM server and the agent-loop workers. Most of
them never compute an advantage or build a trainer, so importing the estimator and the trainer eagerly
would make each of them import verl's ``core_algos`` and its v1 trainer (transformers, the agent loop,
vLLM where installed): seconds per process, on the critical path of every launch.

Instead this module registers two post-import hooks and returns:

* when ``verl.trainer.ppo.core_algos`` (the advantage-estimator registry) finishes importing,
  :mod:`verl_srpo.advantage` is imported, which registers the ``srpo`` estimator;
* when ``verl.trainer.ppo.v1`` (the trainer registry) finishes importing, :mod:`verl_srpo.trainer` is
  imported, which registers the ``srpo`` trainer mode.

A registry is therefore complete whenever verl can be asked for it, and a process that never asks pays
nothing (``benchmarks/bench_import.py`` measures ``import verl`` with and without the plugin).

It also stops a run loudly when ``+plugin=verl_srpo`` is on the command line but Hydra cannot find the
search-path plugin (:func:`verl_srpo.startup.check_command_line`): the one check that must run before
Hydra composes. It reads ``sys.argv`` only for that flag, and imports Hydra only when the flag is there.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from types import ModuleType

from verl_srpo.names import ESTIMATOR, TRAINER_MODE

# verl module -> our module whose import registers into it.
HOOKS = {
    "verl.trainer.ppo.core_algos": "verl_srpo.advantage",
    "verl.trainer.ppo.v1": "verl_srpo.trainer",
}


class _RegisterAfter(importlib.abc.Loader):
    """Wraps a verl module's loader: runs it, then imports our module that registers into it."""

    def __init__(self, loader: importlib.abc.Loader, ours: str):
        self.loader, self.ours = loader, ours

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        importlib.import_module(self.ours)

    def __getattr__(self, name):  # get_source, is_package, ... for tools that ask the loader
        return getattr(self.loader, name)


class _PostImportHooks(importlib.abc.MetaPathFinder):
    """A meta-path finder that only wraps the loaders of the modules in :data:`HOOKS`."""

    def find_spec(self, fullname, path=None, target=None):
        ours = HOOKS.get(fullname)
        if ours is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and not isinstance(spec.loader, _RegisterAfter):
                    spec.loader = _RegisterAfter(spec.loader, ours)
                return spec
        return None


def install() -> None:
    """Register SRPO now for verl modules already imported, and on import for the others. Idempotent."""
    if not any(isinstance(f, _PostImportHooks) for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportHooks())
    for theirs, ours in HOOKS.items():
        if theirs in sys.modules:
            importlib.import_module(ours)


SEARCH_PATH_PLUGIN = "VerlSRPOSearchPathPlugin"
FIX_INSTALL = "Install verl-srpo into this interpreter: `pip install -e .` in the repo (or `pip install verl-srpo`)."


def search_path_plugin_found() -> bool:
    """Hydra sees verl-srpo's ``SearchPathPlugin`` (``hydra_plugins/verl_srpo_searchpath``)."""
    from hydra.core.plugins import Plugins
    from hydra.plugins.search_path_plugin import SearchPathPlugin

    return any(p.__name__ == SEARCH_PATH_PLUGIN for p in Plugins.instance().discover(SearchPathPlugin))


def requested_on_command_line(argv: list[str]) -> bool:
    """``argv`` asks Hydra for ``+plugin=verl_srpo`` (or ``++plugin=...``)."""
    return any(arg.lstrip("+") == "plugin=verl_srpo" for arg in argv[1:])


SRPO_FLAGS = (f"algorithm.adv_estimator={ESTIMATOR}", f"trainer.v1.trainer_mode={TRAINER_MODE}")


def srpo_without_plugin(argv: list[str]) -> list[str]:
    """The SRPO flags ``argv`` gives verl's trainer (``python -m verl.trainer.main_ppo``) without
    ``+plugin=verl_srpo``: then no start-up check is installed and the run would fail after Ray, vLLM and a
    first rollout (the estimator misses the plugin's keys) or train without history resampling."""
    if not argv or requested_on_command_line(argv):
        return []
    # While `python -m` imports the module's packages (verl, and with it this plugin) argv[0] is "-m";
    # sys.orig_argv names the module then.
    orig = getattr(sys, "orig_argv", [])
    if not (argv[0].endswith("main_ppo.py") or (argv[0] == "-m" and "verl.trainer.main_ppo" in orig)):
        return []
    return [arg for arg in argv[1:] if arg.lstrip("+") in SRPO_FLAGS]


def check_command_line(argv: list[str] | None = None) -> None:
    """Exit loudly if ``+plugin=verl_srpo`` is asked for but cannot compose, or if verl's trainer is asked for
    SRPO without it.

    Runs when verl imports this module, before Hydra composes; Hydra is imported only when the flag is
    there. ``SystemExit`` is used because verl swallows any ``Exception`` raised while importing a plugin.
    """
    argv = sys.argv if argv is None else argv
    flags = srpo_without_plugin(argv)
    if flags:
        raise SystemExit(
            f"verl-srpo: {' '.join(flags)} without +plugin=verl_srpo: add +plugin=verl_srpo to the command line. It "
            "composes what SRPO needs (the SRPO trainer, its reward, the estimator's derived keys) and installs the "
            "start-up checks; without it this run would stop after Ray, vLLM and a first rollout, or train without "
            "history resampling."
        )
    if requested_on_command_line(argv) and not search_path_plugin_found():
        raise SystemExit(
            "verl-srpo: `+plugin=verl_srpo` was given, but Hydra cannot find verl-srpo's search-path plugin "
            "(hydra_plugins.verl_srpo_searchpath). Hydra would add a plain `plugin: verl_srpo` key and train "
            f"without SRPO. {FIX_INSTALL} If another package ships a non-namespace `hydra_plugins/__init__.py`, "
            "remove that file."
        )


install()
check_command_line()
