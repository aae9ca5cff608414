"""Stage logic and row reading (verl_srpo/stages.py) on hand-made data and a real verl RLHFDataset."""

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from verl.utils.dataset.rl_dataset import RLHFDataset

from verl_srpo.stages import StagePlan, StageSwitch, floor_sizes, read_rows, step_counts


def write_parquet(path, rows):
    """rows: list of (index, ability, data_source); a minimal verl RL parquet."""
    frame = pd.DataFrame(
        {
            "data_source": [r[2] for r in rows],
            "prompt": [[{"role": "user", "content": f"q{r[0]}"}] for r in rows],
            "ability": [r[1] for r in rows],
            "reward_model": [{"style": "rule", "ground_truth": "1"} for _ in rows],
            "extra_info": [{"index": r[0], "split": "train"} for r in rows],
        }
    )
    frame.to_parquet(path)
    return str(path)


def dataset(path):
    config = OmegaConf.create({"filter_overlong_prompts": False, "cache_dir": str(path) + ".cache"})
    return RLHFDataset(str(path), tokenizer=None, config=config)


def test_read_rows_with_ability_and_data_source_fallback(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", [
        (70, "Math", "gsm8k"), (3, "code", "lcb"), (12, None, "lcb"), (5, "", "aime"),
    ])
    rows = read_rows(dataset(path), "ability", {"lcb": "code", "aime": "MATH"})
    assert rows.ids.tolist() == [70, 3, 12, 5]
    assert [rows.domain_names[c] for c in rows.domain] == ["math", "code", "code", "math"]
    assert rows.domain_names == ["code", "math"]  # codes in name order, whatever row comes first


def test_rows_without_domain_fail_with_the_sources(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", [(1, "math", "a"), (2, None, "mystery")])
    with pytest.raises(ValueError, match=r"1 training rows cannot be placed in a domain.*mystery.*data_source_domains"):
        read_rows(dataset(path), "ability", {})


def test_duplicate_index_fails_early(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", [(1, "math", "a"), (1, "code", "b"), (2, "math", "a")])
    with pytest.raises(ValueError, match=r"unique across data.train_files.*\[1\]"):
        read_rows(dataset(path), "ability", {})


def test_plan_domains_and_weights():
    plan = StagePlan(["code", "math"], np.array([30, 10]), ["math"])
    assert plan.domains(1).tolist() == [1]
    assert plan.domains(2).tolist() == [0, 1] and plan.natural2
    assert np.allclose(plan.weights2, [0.75, 0.25])
    weighted = StagePlan(["code", "math"], np.array([30, 10]), ["math"], {"MATH": 3, "code": 1})
    assert np.allclose(weighted.weights2, [0.25, 0.75]) and not weighted.natural2
    only_math = StagePlan(["code", "math"], np.array([30, 10]), ["math"], {"math": 1, "code": 0})
    assert only_math.domains(2).tolist() == [1]
    with pytest.raises(ValueError, match=r"\['physics'\].*\['code', 'math'\]"):
        StagePlan(["code", "math"], np.array([1, 1]), ["physics"])


class _Sampler:
    def __init__(self, done):
        self.stage, self.epochs_done_in_stage, self.entered = 1, done, []

    def enter_stage(self, stage):
        self.stage = stage
        self.entered.append(stage)


def test_stage_switch_by_step_or_epoch_whichever_first():
    switch = StageSwitch(at_step=10, at_epoch=3)
    assert not switch.due(9, 2) and switch.due(10, 0) and switch.due(4, 3)
    assert not StageSwitch(None, None).due(10**6, 10**6)
    sampler = _Sampler(done=3)
    assert switch(sampler, 1) and sampler.stage == 2
    assert not switch(sampler, 50) and sampler.entered == [2]  # fires once


def test_step_counts_hand_computed():
    # 3:1 of 2 prompts: 1.5 and 0.5 a step; the half prompt alternates, math first (ties to the lower code).
    assert step_counts(np.array([0.75, 0.25]), 2, 4)[0].tolist() == [[2, 0], [1, 1], [2, 0], [1, 1]]
    # exact shares: the same every step.
    assert step_counts(np.array([0.5, 0.25, 0.25]), 4, 3)[0].tolist() == [[2, 1, 1]] * 3
    # thirds of 4: one extra prompt a step, in turn; over 3 steps each domain gets 4.
    thirds, carry = step_counts(np.full(3, 1 / 3), 4, 3)
    assert thirds.tolist() == [[2, 1, 1], [1, 2, 1], [1, 1, 2]] and np.allclose(carry, 0)


def test_step_counts_carry_across_epochs():
    """Epochs of one step: a domain with 0.4 of a prompt a step still gets 2 in 5 steps, through the carry."""
    carry, counts = None, []
    for _ in range(5):
        one, carry = step_counts(np.array([0.45, 0.45, 0.1]), 4, 1, carry)
        counts.append(one[0])
    assert np.sum(counts, axis=0).tolist() == [9, 9, 2]


@pytest.mark.parametrize("weights", [[0.7, 0.2, 0.1], [0.5, 0.5], [0.01, 0.99], [0.3, 0.3, 0.2, 0.2]])
def test_step_counts_bounds(weights):
    """Every step is full, holds at most ceil(w * step) of a domain, and the epoch is w * steps * step within 1."""
    w = np.array(weights)
    counts, _ = step_counts(w, 256, 500)
    assert (counts.sum(1) == 256).all()
    assert (counts <= np.ceil(w * 256 - 1e-9)).all() and (counts >= np.floor(w * 256 + 1e-9)).all()
    assert np.abs(counts.sum(0) - w * 256 * 500).max() < 1


def test_floor_sizes_hand_computed():
    # The review's case: code has 10 rows, less than its half of 64; math's floor takes the other 22.
    assert floor_sizes([1, 1], [400, 10], 64).tolist() == [54, 10]
    # No domain short: ceil of each share (thirds of 8 are 2.67), so each floor holds a step's most of it.
    assert floor_sizes([1, 1, 1], [100, 100, 100], 8).tolist() == [3, 3, 3]
    assert floor_sizes([0.5, 0.25, 0.25], [100, 100, 100], 16).tolist() == [8, 4, 4]  # exact shares: exact sum
    # One short domain: shares 8, 4, 4 of 16; code holds 3, the 13 left go 2:1 -> 8.67, 4.33 -> 9, 5.
    assert floor_sizes([0.5, 0.25, 0.25], [100, 3, 100], 16).tolist() == [9, 3, 5]
    # Cascade: shares 20, 12, 8 of 40; code holds 5; 35 left go 5:2 -> 25, 10, but sci has 9; math takes 26.
    assert floor_sizes([0.5, 0.3, 0.2], [100, 5, 9], 40).tolist() == [26, 5, 9]
    # Every domain short: all their rows (the sampler then never drops below one step, as it was checked
    # at start-up that the stage holds one).
    assert floor_sizes([1, 1], [3, 4], 64).tolist() == [3, 4]
    # Weight 0 (not drawn in stage 2): no floor.
    assert floor_sizes([1, 0], [10, 10], 4).tolist() == [4, 0]


@pytest.mark.parametrize("seed", range(20))
def test_floor_sizes_bounds(seed):
    """Random weights and rows: no floor above its rows, the sum at least min(total, rows) and less than
    that plus one a domain, and each domain with room at least the most step_counts puts in a step."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 5))
    weights = rng.dirichlet(np.ones(d))
    caps = rng.integers(1, 60, d)
    total = int(rng.integers(1, 120))
    sizes = floor_sizes(weights, caps, total)
    assert (sizes <= caps).all() and (sizes >= 1).all()
    assert min(total, caps.sum()) <= sizes.sum() < min(total, caps.sum()) + d
    roomy = sizes < caps
    assert (sizes[roomy] >= np.ceil(weights[roomy] * total - 1e-9)).all()
