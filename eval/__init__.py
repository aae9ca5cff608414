"""Evaluation of SRPO checkpoints: AIME24 avg@32 and LiveCodeBench pass@1.

    verl-srpo eval aime24 --model PATH_OR_HUB_ID --out runs/aime24
    verl-srpo eval lcb --model PATH_OR_HUB_ID --out runs/lcb

(``python -m eval ...`` from the repository root is the same command.) The kit ships in the wheel as
``verl_srpo.eval``, the one name its modules are imported by; its source stays at ``eval/`` in the checkout.

The protocol (``docs/SRPO.md``, "Evaluation protocol"): temperature 0.6, top_p 0.95, 32,768 maximum
new tokens, the R1-Zero prompt template, AIME 2024 as avg@32, LiveCodeBench on 2024-08-01..2025-01-31.
AIME is scored by the training math reward; LiveCodeBench by LiveCodeBench's own grader, reproduced in our
sandbox (``--grader official``, the default) or by the training code reward (``--grader judge``).
``--completions FILE`` grades saved completions without a model.
"""
