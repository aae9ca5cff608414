"""``verl-srpo report`` (runs) and ``verl-srpo plan`` (data): SRPO's dynamics, measured and predicted.

* :mod:`~verl_srpo.analysis.data`: the training parquet as the trainer reads it (stable ids, domains,
  the pass@k labels ``recipes/data`` writes), and decoded rollout prompts mapped back to their rows.
* :mod:`~verl_srpo.analysis.runs`: one run from what verl writes (the ``file`` logger's metrics JSONL,
  the rollout dumps, ``.hydra/config.yaml``), with the per-step quantities derived from the dumps
  identically for SRPO, GRPO and DAPO runs.
* :mod:`~verl_srpo.analysis.report`: steps to accuracy levels, final values, stage switch and HR
  boundaries; ``report.md``, ``report.json`` and the dashboard PNG (:mod:`~verl_srpo.analysis.dashboard`).
* :mod:`~verl_srpo.analysis.plan`: binomial predictions from pass rates: zero-advantage share, the pool
  after each HR boundary, steps, DAPO's over-generation factor.

Nothing here is imported by the plugin itself (``import verl_srpo`` stays as cheap as it was).
"""
