"""Test and rehearsal tools that ship with the package (no GPU, no Hub, no network).

* :mod:`verl_srpo.testing.harness`: the registered trainer in verl's own loop with the rollout replayed;
* :mod:`verl_srpo.testing.tiny`: tiny tokenizers and a tiny random Qwen2, built offline.

Nothing here is imported by training: ``import verl_srpo.testing`` loads neither submodule.
"""
