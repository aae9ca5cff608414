"""History resampling rules on hand-made outcomes (verl_srpo/history.py)."""

import numpy as np
import pytest

from verl_srpo.history import (
    ALL_CORRECT,
    ALL_WRONG,
    MIXED,
    UNSEEN,
    BoundaryReport,
    Floor,
    PromptHistory,
    group_outcomes,
    readmit_count,
)


def test_group_outcomes_by_row():
    # rows 5 (2 of 2 right), 2 (0 of 3), 9 (1 of 2); row order of the answer is sorted.
    positions = np.array([5, 2, 9, 2, 5, 9, 2])
    correct = np.array([1, 0, 1, 0, 1, 0, 0], dtype=bool)
    prompts, outcome = group_outcomes(positions, correct)
    assert prompts.tolist() == [2, 5, 9]
    assert outcome.tolist() == [ALL_WRONG, ALL_CORRECT, MIXED]


def test_boundary_drops_only_all_correct_and_keeps_all_wrong():
    h = PromptHistory(6)
    h.record(np.array([0, 0, 1, 1, 2, 2]), np.array([1, 1, 0, 0, 1, 0], dtype=bool))
    moves = h.boundary(np.ones(6, dtype=bool), np.random.default_rng(0))
    assert h.active.tolist() == [False, True, True, True, True, True]  # 0 solved; 1 all wrong, 2 mixed stay
    assert (moves.dropped.tolist(), moves.readmitted.tolist(), moves.held_back.tolist()) == ([0], [], [])
    assert h.dropped_total == 1
    # A dropped prompt stays out at later boundaries (default: gone for good).
    h.boundary(np.ones(6, dtype=bool), np.random.default_rng(1))
    assert not h.active[0] and h.dropped_total == 1


def test_last_group_counts_not_earlier_ones():
    h = PromptHistory(2)
    h.record(np.array([0, 0]), np.array([True, True]))
    h.record(np.array([0, 0]), np.array([True, False]))  # solved once, then mixed: stays
    h.boundary(np.ones(2, dtype=bool), np.random.default_rng(0))
    assert h.active.all()
    assert h.outcome.tolist() == [MIXED, UNSEEN]


def test_boundary_only_touches_eligible_rows():
    h = PromptHistory(4)
    h.record(np.arange(4), np.ones(4, dtype=bool))
    h.boundary(np.array([True, True, False, False]), np.random.default_rng(0))
    assert h.active.tolist() == [False, False, True, True]


def test_min_pool_size_holds_back_drops(caplog):
    h = PromptHistory(10, min_pool_size=7)
    h.record(np.arange(5), np.ones(5, dtype=bool))  # 5 solved, but only 3 may go
    moves = h.boundary(np.ones(10, dtype=bool), np.random.default_rng(0))
    assert (len(moves.dropped), len(moves.held_back)) == (3, 2)
    assert sorted(moves.dropped.tolist() + moves.held_back.tolist()) == [0, 1, 2, 3, 4]
    assert int(h.active.sum()) == 7 and h.active[5:].all()
    assert "5 prompts of the pool were all correct" in caplog.text and "keeps at least 7" in caplog.text
    assert "dropping 3 at random, holding back 2" in caplog.text
    assert len(h.boundary(np.ones(10, dtype=bool), np.random.default_rng(1)).dropped) == 0  # at the floor


def test_readmit_fraction_puts_back_previously_dropped_with_fresh_history():
    h = PromptHistory(10, readmit_fraction=0.5)
    h.record(np.arange(4), np.ones(4, dtype=bool))
    first = h.boundary(np.ones(10, dtype=bool), np.random.default_rng(0))
    assert (len(first.dropped), len(first.readmitted)) == (4, 0)  # nothing was out before this boundary
    second = h.boundary(np.ones(10, dtype=bool), np.random.default_rng(0))
    assert (len(second.dropped), len(second.readmitted)) == (0, 2)  # round(0.5 * 4)
    back = np.flatnonzero(h.active[:4])
    assert len(back) == 2 and (h.outcome[back] == UNSEEN).all()
    assert h.readmitted_total == 2


def test_readmit_count_by_hand():
    assert readmit_count(0.05, 10) == (0, pytest.approx(0.5))  # half a prompt: owed to the next boundary
    assert readmit_count(0.05, 10, 0.5) == (1, 0.0)
    assert readmit_count(0.5, 4) == (2, 0.0)  # whole shares: no carry
    assert readmit_count(0.3, 5, 0.6) == (2, pytest.approx(0.1))  # 0.6 + 1.5 = 2.1
    assert readmit_count(1.0, 7, 0.0) == (7, 0.0)
    assert readmit_count(0.1, 10, 0.0) == (1, 0.0)  # 0.1 * 10 is 1 in floats too
    assert readmit_count(0.5, 2.5, 0.0) == (1, pytest.approx(0.25))  # the plan's expected counts


def test_readmission_under_one_prompt_a_boundary_is_carried_not_rounded_away():
    """10 prompts dropped, readmit_fraction 0.05, nothing solved again: rounding 0.05 * 10 = 0.5 each boundary
    (banker's rounding: 0) re-admitted none, ever. With the carry: 0.5 -> 0; 1.0 -> 1; then 9 out: 0.45 -> 0,
    0.9 -> 0, 1.35 -> 1; 8 out: 0.35 + 0.4 = 0.75 -> 0, 1.15 -> 1."""
    h = PromptHistory(12, readmit_fraction=0.05)
    everything = np.ones(12, dtype=bool)
    h.record(np.arange(10), np.ones(10, dtype=bool))
    assert len(h.boundary(everything, np.random.default_rng(0)).dropped) == 10
    back = [len(h.boundary(everything, np.random.default_rng(b)).readmitted) for b in range(1, 8)]
    assert back == [0, 1, 0, 0, 1, 0, 1] and h.readmitted_total == 3
    assert h.readmit_carry == pytest.approx(0.15) and int(h.active.sum()) == 5


def test_readmission_carry_survives_a_resume():
    h = PromptHistory(12, readmit_fraction=0.05)
    h.record(np.arange(10), np.ones(10, dtype=bool))
    h.boundary(np.ones(12, dtype=bool), np.random.default_rng(0))
    h.boundary(np.ones(12, dtype=bool), np.random.default_rng(1))  # 0.5 owed
    g = PromptHistory(12, readmit_fraction=0.05)
    g.load_state_dict(h.state_dict())
    assert g.readmit_carry == 0.5
    a, b = (x.boundary(np.ones(12, dtype=bool), np.random.default_rng(2)) for x in (h, g))
    assert a.readmitted.tolist() == b.readmitted.tolist() and len(a.readmitted) == 1
    old = h.state_dict()
    del old["readmit_carry"]  # a state saved before the carry existed: nothing owed
    g.load_state_dict(old)
    assert g.readmit_carry == 0.0


def test_state_round_trip_and_size_check():
    h = PromptHistory(9)
    h.record(np.array([1, 1, 3]), np.array([True, True, False]))
    h.boundary(np.ones(9, dtype=bool), np.random.default_rng(0))
    g = PromptHistory(9)
    g.load_state_dict(h.state_dict())
    assert np.array_equal(g.outcome, h.outcome) and np.array_equal(g.active, h.active)
    assert g.dropped_total == 1
    with pytest.raises(ValueError, match="same data.train_files"):
        PromptHistory(8).load_state_dict(h.state_dict())


def test_floor_warning_is_said_once_then_logged_at_info(caplog):
    """A floor that binds at every boundary (a domain at its floor: epochs of one step) warns once; the later
    boundaries are INFO lines with their numbers, and srpo/boundary/held_back counts them."""
    import logging

    caplog.set_level(logging.INFO, logger="verl_srpo.history")
    h = PromptHistory(10, min_pool_size=8)
    everything = np.ones(10, dtype=bool)
    h.record(np.arange(10), np.ones(10, dtype=bool))  # all solved: 2 go, 8 held back
    h.boundary(everything, np.random.default_rng(0))
    for seed in (1, 2, 3):  # still all solved, at the floor: 8 solved, 0 dropped
        h.record(np.arange(10), np.ones(10, dtype=bool))
        h.boundary(everything, np.random.default_rng(seed))
    said = [(r.levelname, r.getMessage()) for r in caplog.records if "were all correct" in r.getMessage()]
    assert [level for level, _ in said] == ["WARNING", "INFO", "INFO", "INFO"]
    assert "10 prompts of the pool" in said[0][1] and "dropping 2" in said[0][1] and "logged at INFO" in said[0][1]
    assert "8 prompts of the pool" in said[1][1] and "dropping 0 at random, holding back 8" in said[1][1]
    h2 = PromptHistory(10, min_pool_size=6)  # another floor size: its own warning
    h2.record(np.arange(10), np.ones(10, dtype=bool))
    h2.boundary(everything, np.random.default_rng(0))
    assert sum(r.levelname == "WARNING" for r in caplog.records if "were all correct" in r.getMessage()) == 2


def test_each_floor_keeps_its_own_prompts():
    """Two floors (two domains): solving all of one domain cannot empty it, whatever the other holds."""
    h = PromptHistory(8)
    math, code = np.arange(8) < 4, np.arange(8) >= 4
    h.record(np.arange(4), np.ones(4, dtype=bool))  # every math prompt solved, no code prompt
    floors = [Floor("the math pool", math, 2), Floor("the code pool", code, 2)]
    moves = h.boundary(np.ones(8, dtype=bool), np.random.default_rng(0), floors)
    assert len(moves.dropped) == 2 and len(moves.held_back) == 2 and h.active[:4].sum() == 2
    assert h.active[4:].all()


def test_boundary_report_metrics_and_line():
    report = BoundaryReport(3, 2, ["code", "math"], np.array([1, 4]), np.array([0, 0]), np.array([0, 2]),
                            np.array([9, 6]), [])
    metrics = report.metrics()
    assert metrics["srpo/boundary/dropped"] == 5 and metrics["srpo/boundary/math/dropped"] == 4
    assert metrics["srpo/boundary/held_back"] == 2 and metrics["srpo/boundary/code/pool_size"] == 9
    assert metrics["srpo/boundary/epoch"] == 3 and metrics["srpo/boundary/exhausted"] == 0
    assert report.summary() == ("srpo: epoch 3 (stage 2) boundary: dropped 5 (code 1, math 4), readmitted 0 "
                                "(code 0, math 0), held back 2 (code 0, math 2), pool 15 (code 9, math 6)")


@pytest.mark.slow
def test_benchmark_runs_and_prints_its_figures(run_cli):
    """`python benchmarks/bench_history.py --quick` (the documented command, at a small size)."""
    result = run_cli(["benchmarks/bench_history.py", "--quick"], timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "prompts: 20,000" in out and "history bytes/prompt: 2.0" in out
    for line in ("epoch rebuild:", "step update (record 8192 outcomes):", "step update + srpo step metrics:"):
        assert line in out

