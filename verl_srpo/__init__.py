"""verl-srpo: SRPO (two-Staged history-Resampling Policy Optimization) as a plugin for verl.

verl imports :mod:`verl_srpo.plugin` in every process through the ``verl.plugins`` entry point. That
module registers, as verl imports the registries they join,

* the ``srpo`` advantage estimator (:mod:`verl_srpo.advantage`);
* the ``srpo`` trainer mode (:mod:`verl_srpo.trainer`).

Use it with ``python -m verl.trainer.main_ppo +plugin=verl_srpo ...``. This package module itself
imports nothing heavy, so the plugin costs a process that never trains nothing.
"""

__version__ = "0.1.0"
