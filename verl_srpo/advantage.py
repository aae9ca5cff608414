"""The ``srpo`` advantage estimator: group-relative outcome advantage, vectorised.

SRPO is GRPO on outcome rewards (``docs/SRPO.md``, "Base"): each response's advantage is
``(r - mean(group)) / (std(group) + eps)``, a group being the ``rollout.n`` responses of one
prompt. Two additions:

* **Truncated responses get advantage 0** (``algorithm.srpo_zero_truncated_adv``, on by
  default; SRPO.md "Overlong responses", marked (ours) to confirm). A response is truncated when
  it reaches ``algorithm.srpo_max_response_length`` tokens. It is also left out of its group's
  mean and std, as if it had not been sampled (the way DAPO's overlong filtering treats it), so a
  cut-off reply neither gets nor gives a learning signal.
* **Groups of one get advantage 0.** ``rollout.n < 2`` is refused at start-up
  (:mod:`verl_srpo.settings`); a singleton can still appear at run time when an agent loop drops a
  session, and a lone response has no group baseline. (verl's ``grpo`` returns the raw score there.)

**Degenerate groups get exactly 0, and rounding noise is never amplified.** A group whose scores
are all equal carries no signal, whatever the common value (1.1 = acc 1 + format 0.1 is the common
case of a solved prompt). In float32, ``mean`` of n equal values that are not exact binary fractions
can miss the value by an ulp; the std is then ~1e-7 instead of 0 and ``dev / (std + eps)`` turns that
leftover into advantages of about 0.1-0.99, all of one sign. verl's ``grpo`` and ``grpo_vectorized``
do this too for some group sizes (for 1.1: n = 10..15, 20..31, ...). Two rules, both documented here
and tested in ``tests/test_advantage.py``:

1. The group statistics are computed in float64 from the float32 scores. The sum of n equal float32
   values is then exact (n * x needs at most 24 + log2(n) bits of the 53), and the division by n is
   correctly rounded, so the mean is exactly x and every deviation exactly 0: equal groups give 0
   for any n < 2**29 and any value, with or without std-normalisation. For the other groups the
   advantage is the exact one of the float32 scores, to float64 rounding.
2. A group whose spread ``max - min`` (over its counted responses) is at most
   ``DEGENERATE_ULPS * finfo(scores.dtype).eps * max|s|`` is degenerate and gets 0. The scores
   themselves are float32 roundings of the reward function's float64 values, so two rewards meant to
   be equal (``0.1 + 0.2`` vs ``0.3``, or the same sum taken in another order) can differ by one or
   two ulps; such a difference is representation noise, not signal (verl's ``grpo`` gives about
   ±0.1-0.8 for a one-ulp difference at 1.1). ``DEGENERATE_ULPS = 4`` leaves room for two roundings
   and a summation. Any larger difference keeps its signal, and where ``|s|`` is tiny ``eps`` in
   ``std + eps`` bounds the amplification as in verl.

With zeroing off and groups of two or more, the output equals verl's ``grpo`` to 1e-6 on ordinary
groups and equals verl's ``grpo`` evaluated in float64 on nearly-equal ones (``tests/test_advantage.py``).
There is no Python loop over samples: the cost is two passes over the ``(bs, L)`` tensors, the same as
verl's ``grpo_vectorized``; the float64 statistics are O(bs).

**Truncation the length rule cannot see.** A response is recognised as cut off by its length alone:
verl 0.9.1 records no stop reason that reaches the estimator. Its vLLM server maps both of vLLM's
``finish_reason`` values ``"stop"`` and ``"length"`` to ``stop_reason="completed"``
(``verl/workers/rollout/vllm_rollout/vllm_async_server.py``, ``generate``); the agent loops drop
``TokenOutput.stop_reason`` when they build ``AgentLoopOutput`` (``single_turn_agent_loop.py``), so it is
in neither ``non_tensor_batch`` nor the TransferQueue; and the v1 trainer's ``_compute_advantage`` reads
only ``uid``, ``response_mask``, ``rm_scores`` and log-probs from the TransferQueue. The length rule is
complete exactly when vLLM's ``max_tokens`` is the response length, i.e. when the context window
``rollout.max_model_len`` holds ``prompt_length + response_length``: otherwise vLLM stops a long response
at ``max_model_len - len(prompt)`` tokens, short of the last position. :mod:`verl_srpo.settings` refuses
such a config at start-up (``_context_window``), which closes that gap. (Multi-turn agent loops, where the
last position can be a tool token with ``response_mask`` 0, are not SRPO's setting.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from verl.trainer.ppo.core_algos import register_adv_est

from verl_srpo.config.schema import SRPOAlgoConfig
from verl_srpo.names import ESTIMATOR

EPS = 1e-6
DEGENERATE_ULPS = 4  # a group spread within this many ulps of its magnitude is rounding noise (module docstring)


def group_ids(index: np.ndarray | list) -> tuple[torch.Tensor, int]:
    """Map prompt ids (bs,) of any hashable kind to dense group ids (bs,) in ``[0, num_groups)``.

    Hash-based (``pandas.factorize``): about 5x faster than sorting with ``np.unique`` on uid strings.
    """
    codes, uniques = pd.factorize(np.asarray(index, dtype=object).reshape(-1), sort=False)
    return torch.from_numpy(codes.astype(np.int64, copy=False)), len(uniques)


def truncated_mask(response_mask: torch.Tensor, max_response_length: int) -> torch.Tensor:
    """Bool (bs,): the response filled all ``max_response_length`` tokens.

    ``response_mask`` (bs, L) is left-aligned and padded to the longest response of the batch, so a
    response is cut off exactly when its mask is set at position ``max_response_length - 1``. That is
    an O(bs) column read, not a row sum over (bs, L).
    """
    bs, width = response_mask.shape
    if max_response_length <= 0 or width < max_response_length:
        return torch.zeros(bs, dtype=torch.bool, device=response_mask.device)
    return response_mask[:, max_response_length - 1] != 0


def group_normalized(
    scores: torch.Tensor,
    gid: torch.Tensor,
    num_groups: int,
    keep: torch.Tensor | None = None,
    norm_by_std: bool = True,
    eps: float = EPS,
) -> torch.Tensor:
    """Per-sample ``(s - mean_g) / (std_g + eps)`` (bs,), statistics over the kept samples of each group.

    Computed in float64 and returned in ``scores.dtype``. A group with fewer than two kept samples, or
    whose kept scores are equal up to rounding (module docstring, rule 2), gets 0.

    Args:
        scores: (bs,) outcome scores.
        gid: (bs,) dense group ids.
        keep: (bs,) bool, samples that count in their group; the others get 0. ``None`` keeps all.
        norm_by_std: divide by the group's (unbiased) std, as GRPO; ``False`` gives Dr.GRPO's ``s - mean``.
    """
    s = scores.to(torch.float64)
    weight = torch.ones_like(s) if keep is None else keep.to(torch.float64)
    count = torch.zeros(num_groups, dtype=torch.float64, device=s.device).index_add_(0, gid, weight)
    total = torch.zeros_like(count).index_add_(0, gid, s * weight)
    mean = total / count.clamp(min=1)

    def per_row(stat: torch.Tensor) -> torch.Tensor:  # index_select: ~100x faster than stat[gid] on CPU
        return stat.index_select(0, gid)

    dev = (s - per_row(mean)) * weight
    sq = torch.zeros_like(count).index_add_(0, gid, dev * dev)
    std = (sq / (count - 1).clamp(min=1)).sqrt()
    inf = torch.full_like(s, torch.inf)
    high_in, low_in = (s, s) if keep is None else (torch.where(keep, s, -inf), torch.where(keep, s, inf))
    high = torch.full_like(count, -torch.inf).scatter_reduce_(0, gid, high_in, "amax")
    low = torch.full_like(count, torch.inf).scatter_reduce_(0, gid, low_in, "amin")
    tol = DEGENERATE_ULPS * torch.finfo(scores.dtype).eps * torch.maximum(high.abs(), low.abs())
    signal = (count > 1) & (high - low > tol)
    adv = dev / (per_row(std) + eps) if norm_by_std else dev
    return torch.where(per_row(signal), adv, torch.zeros_like(adv)).to(scores.dtype)


def _setting(config: Any, key: str, default: Any) -> Any:
    if config is None:
        return default
    return config.get(key, default)


@register_adv_est(ESTIMATOR)
def compute_srpo_outcome_advantage(
    token_level_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    index: np.ndarray,
    epsilon: float = EPS,
    norm_adv_by_std_in_grpo: bool | None = None,
    config: Any = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """SRPO advantages (bs, L) and returns (bs, L), from outcome rewards.

    Args:
        token_level_rewards: (bs, L), the outcome reward sits on one token of each row.
        response_mask: (bs, L), 1 on response tokens.
        index: (bs,), the prompt id (verl's ``uid``) that groups the ``rollout.n`` responses.
        config: verl's ``algorithm`` config (a DictConfig, or :class:`~verl_srpo.config.schema.SRPOAlgoConfig`).
            Reads ``norm_adv_by_std_in_grpo`` (default True), ``srpo_zero_truncated_adv`` (default: the
            dataclass's, True) and ``srpo_max_response_length``.
    """
    if norm_adv_by_std_in_grpo is None:
        norm_adv_by_std_in_grpo = bool(_setting(config, "norm_adv_by_std_in_grpo", True))
    zero_truncated = bool(_setting(config, "srpo_zero_truncated_adv", SRPOAlgoConfig.srpo_zero_truncated_adv))
    with torch.no_grad():
        scores = token_level_rewards.sum(dim=-1)
        gid, num_groups = group_ids(index)
        gid = gid.to(scores.device)
        keep = None
        if zero_truncated:
            max_len = _setting(config, "srpo_max_response_length", None)
            if max_len is None:
                raise ValueError(
                    "srpo: algorithm.srpo_zero_truncated_adv=true needs algorithm.srpo_max_response_length "
                    "(the plugin config derives it from actor_rollout_ref.rollout.response_length); "
                    "compose with +plugin=verl_srpo, or set algorithm.srpo_zero_truncated_adv=false."
                )
            keep = ~truncated_mask(response_mask, int(max_len))
        scalars = group_normalized(scores, gid, num_groups, keep, norm_adv_by_std_in_grpo, epsilon)
        advantages = scalars.unsqueeze(-1) * response_mask
    return advantages, advantages
