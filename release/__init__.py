"""The release kit: verl FSDP checkpoint -> validated Hugging Face folder -> model card -> the Hub.

    make release CKPT=.../global_step_N/actor REPO_ID=org/SRPO-Qwen-32B EVAL="runs/aime24 runs/lcb" \
        RUN_CONFIG=outputs/DATE/TIME/.hydra/config.yaml [CONFIRM=1]

Steps (one module each): ``merge`` (verl's own ``verl.model_merger``, then Hub-sized shards),
``validate`` (nothing leaves the machine unless the folder loads), ``evaluation`` (results whose
weights fingerprint matches the folder), ``card`` (``MODEL_CARD.md`` -> ``README.md``), ``hub``
(plan, then push). The default is a dry run; ``CONFIRM=1`` pushes. ``verl-srpo release`` runs the same
steps from an installed wheel. The kit ships as ``verl_srpo.release``, the one name its modules are imported
by; its source and the card template (``MODEL_CARD.md``, package data) stay at the repository's top level.
"""
