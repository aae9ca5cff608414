"""The ``srpo`` estimator: hand-computed groups, then parity with verl's ``grpo`` on random inputs."""

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from verl.trainer.ppo.core_algos import get_adv_estimator_fn

from verl_srpo.advantage import compute_srpo_outcome_advantage, group_ids, truncated_mask


def _cfg(**kw):
    base = {"norm_adv_by_std_in_grpo": True, "srpo_zero_truncated_adv": True, "srpo_max_response_length": 4}
    return OmegaConf.create({**base, **kw})


def _batch(scores, lengths, width=4):
    """token_level_rewards and response_mask (bs, width): the score sits on the last response token."""
    bs = len(scores)
    mask = (torch.arange(width).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)).float()
    rewards = torch.zeros(bs, width)
    rewards[torch.arange(bs), torch.tensor(lengths) - 1] = torch.tensor(scores, dtype=torch.float32)
    return rewards, mask


def test_registered_under_srpo():
    assert get_adv_estimator_fn("srpo") is compute_srpo_outcome_advantage


def test_two_groups_mixed_and_all_equal():
    # group a: scores 1, 0, 1, 0 -> mean 0.5, unbiased std sqrt(1/3) = 0.57735 -> +-0.866025
    # group b: scores 1, 1, 1, 1 -> every advantage 0 (no signal)
    rewards, mask = _batch([1, 0, 1, 0, 1, 1, 1, 1], [1, 2, 3, 2, 1, 2, 3, 3])
    index = np.array(["a"] * 4 + ["b"] * 4, dtype=object)
    adv, ret = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg())
    assert adv.shape == (8, 4) and ret is adv
    per_row = adv.sum(-1) / mask.sum(-1)
    expected = [0.866025, -0.866025, 0.866025, -0.866025, 0, 0, 0, 0]
    torch.testing.assert_close(per_row, torch.tensor(expected), atol=1e-5, rtol=0)
    assert torch.all(adv[mask == 0] == 0)  # nothing outside the response


def test_truncated_response_gets_zero_and_leaves_group_stats():
    # group a: row 0 is cut at the max length (4). The others: 1, 0, 0 -> mean 1/3, std sqrt(1/3).
    rewards, mask = _batch([1, 1, 0, 0], [4, 2, 3, 1])
    index = np.array(["a"] * 4, dtype=object)
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg())
    per_row = adv.sum(-1) / mask.sum(-1)
    std = (1 / 3) ** 0.5
    expected = [0.0, (1 - 1 / 3) / std, (0 - 1 / 3) / std, (0 - 1 / 3) / std]
    torch.testing.assert_close(per_row, torch.tensor(expected), atol=1e-5, rtol=0)


def test_truncation_zeroing_can_be_turned_off():
    rewards, mask = _batch([1, 1, 0, 0], [4, 2, 3, 1])
    index = np.array(["a"] * 4, dtype=object)
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg(srpo_zero_truncated_adv=False))
    # all four count: mean 0.5, std sqrt(1/3)
    torch.testing.assert_close(adv.sum(-1) / mask.sum(-1), torch.tensor([0.866025, 0.866025, -0.866025, -0.866025]),
                               atol=1e-5, rtol=0)


def test_no_std_normalisation_gives_dr_grpo():
    rewards, mask = _batch([1, 0, 0, 0], [1, 1, 1, 1])
    index = np.array(["a"] * 4, dtype=object)
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg(norm_adv_by_std_in_grpo=False))
    torch.testing.assert_close(adv[:, 0], torch.tensor([0.75, -0.25, -0.25, -0.25]))


def test_singleton_group_gets_zero():
    rewards, mask = _batch([1, 1, 0], [1, 1, 1])
    index = np.array(["a", "b", "b"], dtype=object)
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg())
    assert adv[0, 0] == 0 and adv[1, 0] > 0 > adv[2, 0]


def test_zeroing_without_max_length_is_a_clear_error():
    rewards, mask = _batch([1, 0], [1, 1])
    with pytest.raises(ValueError, match="srpo_max_response_length"):
        compute_srpo_outcome_advantage(rewards, mask, np.array(["a", "a"], dtype=object),
                                       config=OmegaConf.create({"srpo_zero_truncated_adv": True}))


def test_truncated_mask_reads_one_column():
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]])
    assert truncated_mask(mask, 4).tolist() == [True, False, False]
    assert truncated_mask(mask, 5).tolist() == [False, False, False]  # batch narrower than the max: none


def test_group_ids_are_dense_in_first_seen_order():
    gid, n = group_ids(np.array(["x", "y", "x", 3], dtype=object))
    assert gid.tolist() == [0, 1, 0, 2] and n == 3


@pytest.mark.parametrize("norm", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parity_with_verl_grpo_when_zeroing_is_off(norm, seed):
    gen = torch.Generator().manual_seed(seed)
    bs, width, n = 96, 16, 8
    rewards = torch.randn(bs, width, generator=gen)
    mask = (torch.rand(bs, width, generator=gen) > 0.3).float()
    perm = torch.randperm(bs, generator=gen).numpy()
    index = np.array([f"p{i // n}" for i in range(bs)], dtype=object)[perm]  # groups interleaved
    config = _cfg(norm_adv_by_std_in_grpo=norm, srpo_zero_truncated_adv=False)
    ours, _ = get_adv_estimator_fn("srpo")(rewards, mask, index, config=config)
    grpo, _ = get_adv_estimator_fn("grpo")(rewards, mask, index, norm_adv_by_std_in_grpo=norm, config=config)
    vec, _ = get_adv_estimator_fn("grpo_vectorized")(rewards, mask, index, norm_adv_by_std_in_grpo=norm)
    torch.testing.assert_close(ours, grpo, atol=1e-6, rtol=0)
    torch.testing.assert_close(ours, vec, atol=1e-6, rtol=0)


# --- degenerate groups: equal values give exactly 0, rounding noise is never amplified ---------------------------

# Values that are not exact binary fractions (0.3, 1.1 = acc 1 + format 0.1, ...), exact ones, tiny and huge.
COMMON_VALUES = [0.3, 1.1, 0.1, 1 / 3, 2 / 3, 0.7, 2.2, -0.9, 100.1, 12345.678, 1e-3, 1e-30, 0.0, 1.0, -1.1, 3.0e38]


def _groups(values_and_sizes):
    """(rewards, mask, index) for groups given as lists of scores; the score sits on token 0 of a width-2 row."""
    scores = [v for group in values_and_sizes for v in group]
    index = np.array([f"g{g}" for g, group in enumerate(values_and_sizes) for _ in group], dtype=object)
    rewards = torch.zeros(len(scores), 2)
    rewards[:, 0] = torch.tensor(scores, dtype=torch.float32)
    return rewards, torch.ones(len(scores), 2), index


@pytest.mark.parametrize("norm", [True, False])
def test_equal_groups_get_exactly_zero_for_every_size_and_value(norm):
    """Every group size 2..64 at every common value: exactly 0 (verl's grpo gives e.g. +-0.106 at 1.1 for n=10)."""
    groups = [[v] * n for v in COMMON_VALUES for n in range(2, 65)]
    rewards, mask, index = _groups(groups)
    perm = torch.randperm(len(index), generator=torch.Generator().manual_seed(0))  # groups interleaved
    rewards, mask, index = rewards[perm], mask[perm], index[perm.numpy()]
    config = _cfg(norm_adv_by_std_in_grpo=norm, srpo_zero_truncated_adv=False)
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=config)
    assert torch.count_nonzero(adv) == 0


def test_equal_kept_responses_give_zero_next_to_a_truncated_one():
    # group of 5: four finished responses score 1.1, one truncated (length 4 = the max) scores 0.1.
    rewards, mask = _batch([1.1, 1.1, 1.1, 1.1, 0.1], [1, 2, 3, 2, 4])
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, np.array(["a"] * 5, dtype=object), config=_cfg())
    assert torch.count_nonzero(adv) == 0


@pytest.mark.parametrize("ulps", [1, 2, 3, 4])
def test_rounding_noise_is_not_amplified(ulps):
    """Seven responses at 1.1 and one a few float32 ulps above: noise, so 0 (verl's grpo: about +-0.1 to +-0.8).

    At 1.1 one ulp is 2**-23 and the tolerance is 4 * 2**-23 * 1.1 = 4.4 ulps."""
    x = torch.tensor(1.1, dtype=torch.float32)
    noisy = x + ulps * 2.0**-23
    assert noisy.item() != x.item()
    rewards, mask, index = _groups([[x.item()] * 7 + [noisy.item()]])
    for norm in (True, False):
        adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg(norm_adv_by_std_in_grpo=norm,
                                                                                   srpo_zero_truncated_adv=False))
        assert torch.count_nonzero(adv) == 0


def test_float64_rewards_meant_equal_are_one_group_value():
    # 0.1 + 0.2 and 0.3 differ in float64 but are the same float32: one value, exactly 0.
    rewards, mask, index = _groups([[0.1 + 0.2, 0.3, 0.3, 0.1 + 0.2]])
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg(srpo_zero_truncated_adv=False))
    assert torch.count_nonzero(adv) == 0


def test_a_difference_above_rounding_keeps_its_signal():
    """Hand-checked. 1.1 x 7 and 1.1 + 5 ulps (u = 2**-23): mean 1.1 + 5u/8, deviations 35u/8 and -5u/8, unbiased
    std (5u/8) * sqrt(8); advantages 35u/8 / (std + 1e-6) = 0.430764 and -5u/8 / (std + 1e-6) = -0.061538."""
    x = torch.tensor(1.1, dtype=torch.float32)
    rewards, mask, index = _groups([[x.item()] * 7 + [(x + 5 * 2.0**-23).item()]])
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg(srpo_zero_truncated_adv=False))
    torch.testing.assert_close(adv[:, 0], torch.tensor([-0.061538] * 7 + [0.430764]), atol=1e-5, rtol=0)


def test_small_real_difference_hand_checked():
    """1, 1, 1, 1 + d with d = 2**-10 (exact in binary): mean 1 + d/4, std d/2, advantages
    (3d/4) / (d/2 + 1e-6) = 1.496934 and -(d/4) / (d/2 + 1e-6) = -0.498978."""
    rewards, mask, index = _groups([[1.0, 1.0, 1.0, 1.0 + 2.0**-10]])
    adv, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=_cfg(srpo_zero_truncated_adv=False))
    torch.testing.assert_close(adv[:, 0], torch.tensor([-0.498978, -0.498978, -0.498978, 1.496934]), atol=1e-6, rtol=0)


@pytest.mark.parametrize("norm", [True, False])
def test_parity_with_verl_grpo_on_equal_and_nearly_equal_groups(norm):
    """Equal groups: 0, as verl's grpo on float64 copies of the same scores. Nearly-equal groups (relative spreads
    1e-1 .. 1e-5, far above rounding): verl's grpo evaluated in float64, i.e. the exact advantage of the float32
    scores, to 1e-6. (verl's float32 grpo misses it by up to ~1e-7 * |mean| / std on such groups.)"""
    gen = torch.Generator().manual_seed(0)
    groups = []
    for _ in range(60):
        n = int(torch.randint(2, 33, (1,), generator=gen))
        base = float(torch.empty(1).uniform_(-10, 10, generator=gen))
        scale = 10.0 ** -float(torch.randint(1, 6, (1,), generator=gen)) * abs(base)
        groups.append([base] * n)
        groups.append((base + scale * torch.randn(n, generator=gen)).tolist())
    rewards, mask, index = _groups(groups)
    config = _cfg(norm_adv_by_std_in_grpo=norm, srpo_zero_truncated_adv=False)
    ours, _ = compute_srpo_outcome_advantage(rewards, mask, index, config=config)
    ref, _ = get_adv_estimator_fn("grpo")(rewards.double(), mask.double(), index, norm_adv_by_std_in_grpo=norm)
    torch.testing.assert_close(ours, ref.float(), atol=1e-6, rtol=0)
    equal_rows = torch.tensor([i for i, g in enumerate(groups) for _ in g]) % 2 == 0
    assert torch.count_nonzero(ours[equal_rows]) == 0 and torch.count_nonzero(ours[~equal_rows]) > 0


def test_verl_hands_the_estimator_no_stop_reason():
    """The length rule is the truncation signal because verl 0.9.1 has no other (advantage.py docstring). If this
    fails, verl now records why a response stopped: use it in verl_srpo.advantage and update this test."""
    from pathlib import Path

    import verl

    root = Path(verl.__file__).parent
    server = (root / "workers/rollout/vllm_rollout/vllm_async_server.py").read_text()
    assert 'finish_reason in ("stop", "length")' in server  # both reported as stop_reason="completed"
    assert "stop_reason" not in (root / "experimental/agent_loop/single_turn_agent_loop.py").read_text()
    trainer = (root / "trainer/ppo/v1/trainer_base.py").read_text()
    fields = trainer[trainer.index("def _compute_advantage"):].split("\n")[2]
    assert "fields = [" in fields and "stop" not in fields and "finish" not in fields
