"""The SRPO batch sampler (verl_srpo/sampler.py) on hand-made rows, alone and inside torchdata's StatefulDataLoader."""

import numpy as np
import pytest
import torch
from torchdata.stateful_dataloader import StatefulDataLoader

from verl_srpo.history import PromptHistory
from verl_srpo.sampler import SRPOBatchSampler
from verl_srpo.stages import Rows, StagePlan, StageSwitch

MATH, CODE = 0, 1


def make(n_math=8, n_code=4, batch=2, step=4, hr=True, weights=None, seed=7, min_pool=0, shuffle=True, order=None,
         ids=None):
    """Rows: ids 1000, 1010, ... (math first, then code), or ``ids``; ``order`` permutes the dataset's rows."""
    domain = np.array([MATH] * n_math + [CODE] * n_code, dtype=np.int8)
    ids = np.arange(len(domain), dtype=np.int64) * 10 + 1000 if ids is None else np.asarray(ids, dtype=np.int64)
    if order is not None:
        ids, domain = ids[order], domain[order]
    rows = Rows(ids=ids, domain=domain, domain_names=["math", "code"])
    plan = StagePlan(["math", "code"], np.bincount(domain), ["math"], weights)
    history = PromptHistory(len(domain), min_pool_size=max(min_pool, step)) if hr else None
    return SRPOBatchSampler(rows, plan, batch, step, seed, history, shuffle)


def draw(sampler, steps, step=4):
    """Rows of ``steps`` training steps, restarting passes as verl's _fetch_one_gen_batch does."""
    out, it = [], iter(sampler)
    while len(out) < steps * step:
        try:
            out += next(it)
        except StopIteration:
            it = iter(sampler)
    return out


def test_stage1_draws_only_math_and_whole_steps():
    s = make(n_math=10)  # 10 math rows -> 8 per epoch (two steps of 4)
    epoch = list(iter(s))
    assert sum(len(b) for b in epoch) == 8 and all(len(b) == 2 for b in epoch)
    assert all(r < 10 for b in epoch for r in b)
    assert len({r for b in epoch for r in b}) == 8


def test_boundary_drops_solved_prompts_from_the_next_epoch():
    s = make()
    first = draw(s, 2)
    assert sorted(first) == list(range(8))
    ids = s.record(np.array([1000, 1000, 1010, 1010]), np.array([True, True, False, False]))
    assert ids.tolist() == [0, 0, 1, 1]
    nxt = draw(s, 1)  # the new epoch begins: row 0 (all correct) is gone, row 1 (all wrong) stays possible
    assert 0 not in nxt and s.history.dropped_total == 1 and s.pool_size() == 7 and s.epoch == 2


def test_unknown_ids_are_refused():
    with pytest.raises(KeyError, match="not in the training data"):
        make().record(np.array([1000, 5]), np.array([True, False]))


def test_stage_switch_discards_the_rest_of_the_stage1_epoch():
    s = make()
    first = draw(s, 1)
    assert s.epochs_done_in_stage == 0
    assert StageSwitch(at_step=2)(s, 2)
    second = draw(s, 1)
    assert all(r < 8 for r in first) and s.stage == 2 and s.pool_size() == 12
    rest = second + draw(s, 1)  # stage-2 epoch: 12 rows -> 12 drawn in three steps
    rest += draw(s, 1)
    assert sorted(rest) == list(range(12))


def test_switch_by_epoch_after_full_stage1_passes():
    s = make()
    switch = StageSwitch(at_epoch=1)
    draw(s, 1)
    assert not switch(s, 2)
    draw(s, 1)
    assert s.epochs_done_in_stage == 1 and switch(s, 3)


def test_weighted_stage2_mix():
    s = make(n_math=40, n_code=40, weights={"math": 3, "code": 1}, hr=False)
    s.enter_stage(2)
    epoch = [r for b in iter(s) for r in b]
    assert len(epoch) == 80
    assert sum(r < 40 for r in epoch) == 60  # 3:1 of the pool of 80; math repeats, code is cut


def test_no_shuffle_keeps_row_order():
    s = make(shuffle=False)
    assert draw(s, 2) == list(range(8))
    s.enter_stage(2)
    assert draw(s, 3) == list(range(12))


def test_hr_off_keeps_solved_prompts():
    s = make(hr=False)
    draw(s, 2)
    s.record(np.array([1000, 1000]), np.array([True, True]))
    assert sorted(draw(s, 2)) == list(range(8))


@pytest.mark.parametrize("reorder", [False, True], ids=["same-rows", "rows-reordered"])
@pytest.mark.parametrize("stop", [2, 3, 4])  # mid-epoch, at an epoch's end, mid-epoch after a boundary
def test_state_dict_through_stateful_dataloader_gives_identical_batches(stop, reorder):
    """Stop after ``stop`` steps, resume a new loader from its state_dict: the next 6 steps draw the same
    prompts (by extra_info.index), also when the resumed run's rows come in another order."""
    dataset = list(range(16))

    def loader(sampler):
        return StatefulDataLoader(dataset, batch_sampler=sampler, num_workers=0, collate_fn=lambda b: b)

    def run(loader_, sampler, it, steps, start):
        out = []
        for step in range(start, start + steps):
            StageSwitch(at_step=6)(sampler, step)
            batch = []
            while len(batch) < 4:
                try:
                    batch += next(it)
                except StopIteration:
                    it = iter(loader_)
            ids = sampler.ids_of_rows(batch)
            sampler.record(ids, (ids - 1000) // 10 % 3 == 0)  # scripted: ids 1000, 1030, 1060, 1090 solved
            out.append(ids.tolist())
        return out, it

    a = make(n_math=12, seed=3)  # stage 1: 12 math rows, three steps an epoch
    la = loader(a)
    _, it = run(la, a, iter(la), stop, 1)
    saved = torch.load(_save(la.state_dict()), weights_only=False)
    tail_a, _ = run(la, a, it, 6, stop + 1)

    b = make(n_math=12, seed=99, order=np.random.default_rng(5).permutation(16) if reorder else None)  # seed: state
    lb = loader(b)
    lb.load_state_dict(saved)
    it_b = iter(lb)
    tail_b, _ = run(lb, b, it_b, 6, stop + 1)
    assert tail_a == tail_b
    assert b.stage == a.stage == 2 and b.history.dropped_total == a.history.dropped_total > 0


def _save(state):
    import io

    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return buf


def test_state_from_another_dataset_is_refused():
    with pytest.raises(ValueError, match="other training prompts"):
        make(n_math=9).load_state_dict(make().state_dict())



def test_switch_step_one_mixes_from_the_start():
    s = make()
    assert StageSwitch(at_step=1)(s, 1)  # before the first batch is drawn
    assert sorted(draw(s, 3)) == list(range(12))


def test_weighted_stage2_epoch_fills_the_pool_exactly_with_three_domains():
    """Rounding each domain's share separately can lose a prompt; the per-step counts never do."""
    domain = np.repeat(np.arange(3, dtype=np.int8), [300, 100, 100])
    rows = Rows(np.arange(500, dtype=np.int64), domain, ["math", "code", "sci"])
    plan = StagePlan(["math", "code", "sci"], np.bincount(domain), ["math"], {"math": 1, "code": 1, "sci": 1})
    sampler = SRPOBatchSampler(rows, plan, 256, 256, seed=0, history=PromptHistory(500, 0.0, 256))
    sampler.enter_stage(2)
    pool = np.zeros(500, dtype=bool)
    pool[np.r_[0:56, 300:500]] = True  # 256 prompts, 3 domains
    order = sampler._arrange(pool, np.random.default_rng(0))
    assert len(order) == 256 and np.bincount(domain[order]).tolist() == [86, 85, 85]


def ids_drawn(sampler, steps, step=4):
    """The extra_info.index of ``steps`` steps' draws, one list a step."""
    rows = draw(sampler, steps, step)
    return [sampler.ids_of_rows(rows[i : i + step]).tolist() for i in range(0, len(rows), step)]


def test_stage1_without_shuffle_continues_past_the_cut():
    """10 math rows, steps of 4: an epoch holds 8. The next one starts where the last stopped (rows 8, 9 are
    drawn in epoch 2), instead of cutting the same two rows every epoch."""
    s = make(n_math=10, shuffle=False, hr=False)
    assert draw(s, 2) == list(range(8))
    assert draw(s, 2) == [8, 9, 0, 1, 2, 3, 4, 5]
    assert draw(s, 2) == [6, 7, 8, 9, 0, 1, 2, 3]


def test_weighted_mix_without_shuffle_never_holds_a_prompt_twice_in_a_step():
    """stage2_weights {math: 1, code: 1}, 2 code rows: each step holds 2 math and both code prompts once.
    (np.resize used to repeat code across the epoch, and sorting put the repeats side by side.)"""
    s = make(n_math=8, n_code=2, weights={"math": 1, "code": 1}, shuffle=False, hr=False)
    s.enter_stage(2)
    steps = ids_drawn(s, 6)  # 3 epochs of 2 steps (pool 10 -> 8 a epoch)
    assert all(len(set(step)) == 4 for step in steps)
    assert all(sorted(step)[2:] == [1080, 1090] for step in steps)  # the two code prompts, once each
    math = [i for step in steps for i in step if i < 1080]
    assert math == [1000, 1010, 1020, 1030, 1040, 1050, 1060, 1070, 1000, 1010, 1020, 1030]  # in turn, none starved


def test_weighted_mix_with_shuffle_keeps_each_step_distinct_and_each_share():
    s = make(n_math=40, n_code=5, weights={"math": 3, "code": 1}, hr=False, step=8, batch=4)
    s.enter_stage(2)
    for step in ids_drawn(s, 20, step=8):
        assert len(set(step)) == 8 and sum(i >= 1400 for i in step) == 2  # 3:1 of 8: 6 math, 2 code a step


def test_a_domain_smaller_than_its_share_of_a_step_says_so(caplog):
    s = make(n_math=8, n_code=1, weights={"math": 1, "code": 1}, shuffle=False, hr=False)
    assert "stage 2 draws up to 2 code prompts a step" in caplog.text and "only 1 code prompts" in caplog.text
    s.enter_stage(2)
    steps = ids_drawn(s, 2)
    assert all(step.count(1080) == 2 for step in steps)  # said at start-up: the only code prompt, twice a step
    assert caplog.text.count("stage 2 draws up to 2 code prompts") == 1  # not again while nothing changes


def test_weighted_domain_keeps_a_floor_of_its_own(caplog):
    """Every math prompt solved by stage 2, weights {math: 1, code: 1}: math keeps ceil(0.5 * 4) = 2 prompts."""
    s = make(weights={"math": 1, "code": 1})
    s.enter_stage(2)
    draw(s, 1)
    s.pop_boundaries()
    s.record(np.repeat(np.arange(8) * 10 + 1000, 2), np.ones(16, dtype=bool))
    s._order = s._order[: s._pos]  # end the epoch here
    steps = ids_drawn(s, 3)
    report = s.pop_boundaries()[0]
    assert report.domains == ["math", "code"] and report.stage == 2
    assert report.dropped.tolist() == [6, 0] and report.held_back.tolist() == [2, 0] and report.pool.tolist() == [2, 4]
    assert all(sum(i < 1080 for i in step) == 2 for step in steps)  # still half math
    assert "6 prompts of the math pool" not in caplog.text and "8 prompts of the math pool" in caplog.text


def test_unweighted_domain_exhausted_is_said_loudly(caplog):
    s = make()  # stage 2 in natural proportions
    s.enter_stage(2)
    draw(s, 3)
    s.record(np.repeat(np.arange(8, 12) * 10 + 1000, 2), np.ones(8, dtype=bool))  # every code prompt solved
    draw(s, 1)
    report = s.pop_boundaries()[-1]
    assert report.exhausted == ["code"] and report.pool.tolist() == [8, 0]
    assert "code is exhausted at the epoch 2 boundary" in caplog.text and "stage2_weights" in caplog.text


def test_boundary_reports_are_queued_for_the_step_metrics(caplog):
    import logging

    caplog.set_level(logging.INFO, logger="verl_srpo.sampler")
    s = make()
    draw(s, 1)
    (first,) = s.pop_boundaries()
    assert first.epoch == 1 and first.pool.tolist() == [8] and first.dropped.tolist() == [0]
    assert s.pop_boundaries() == []
    assert "srpo: epoch 1 (stage 1) boundary: dropped 0, readmitted 0, held back 0, pool 8" in caplog.text


def test_changed_ids_with_the_same_count_are_refused():
    state = make().state_dict()
    ids = np.arange(12) * 10 + 1000
    ids[[0, 5]] = [7, 8]
    with pytest.raises(ValueError) as err:
        make(ids=ids).load_state_dict(state)
    message = str(err.value)
    assert "(12 prompts then, 12 now)" in message and "2 of its prompts are not in this run's data" in message
    assert "[1000, 1050]" in message and "2 of this run's prompts are not in it ([7, 8])" in message
    assert "trainer.resume_mode=disable" in message


def test_changed_domain_is_refused():
    state = make().state_dict()
    swapped = make()
    swapped.domain = swapped.domain.copy()
    swapped.domain[[7, 8]] = [CODE, MATH]
    with pytest.raises(ValueError, match=r"2 prompts changed domain \(1070: math -> code, 1080: code -> math\)"):
        swapped.load_state_dict(state)


def test_version_1_state_is_refused():
    state = {"version": 1, "num_prompts": 12, "order": None}
    with pytest.raises(ValueError, match="version 1.*by row position.*trainer.resume_mode=disable"):
        make().load_state_dict(state)


def test_rows_in_another_order_are_remapped_by_id(caplog):
    import logging

    caplog.set_level(logging.INFO, logger="verl_srpo.sampler")
    a = make(n_math=12)
    ids_drawn(a, 1)
    a.record(np.array([1000, 1000]), np.array([True, True]))
    state = a.state_dict()
    tail_a = ids_drawn(a, 5)
    b = make(n_math=12, order=np.random.default_rng(1).permutation(16))
    b.load_state_dict(state)
    assert ids_drawn(b, 5) == tail_a and "another order" in caplog.text


def test_new_train_batch_size_mid_epoch_cuts_the_epoch_to_whole_steps(caplog):
    """12 math rows, steps of 4, saved after 1 step (8 left); resumed with steps of 6: one step of 6 from the
    rest of the epoch, 2 prompts wait, then epoch 2 is cut to two steps of 6 (12 rows)."""
    a = make(n_math=12, hr=False)
    first = ids_drawn(a, 1)[0]
    state = a.state_dict()
    rest = a.ids[a._order[4:]].tolist()
    b = make(n_math=12, step=6, hr=False)
    b.load_state_dict(state)
    steps = ids_drawn(b, 3, step=6)
    assert steps[0] == rest[:6] and b.epoch == 2  # the rest of epoch 1, then epoch 2
    assert sorted(steps[1] + steps[2]) == list(range(1000, 1120, 10))
    assert not set(first) & set(steps[0])  # no prompt twice in epoch 1
    assert "data.train_batch_size is 6, the checkpoint's run had 4" in caplog.text
    assert "cut to 1 step(s) of 6, the other 2 prompts stay in the pool for epoch 2" in caplog.text


def test_new_train_batch_size_at_an_epoch_end_applies_from_the_next_epoch(caplog):
    a = make(n_math=12, hr=False)
    ids_drawn(a, 3)  # the whole of epoch 1
    b = make(n_math=12, step=6, hr=False)
    b.load_state_dict(a.state_dict())
    assert "at the end of epoch 1, so the new size applies from the next epoch" in caplog.text
    steps = ids_drawn(b, 2, step=6)
    assert sorted(steps[0] + steps[1]) == list(range(1000, 1120, 10)) and b.epoch == 2


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_no_step_holds_a_prompt_twice_under_hr_with_random_weights(seed, shuffle):
    """Random weights and domain sizes (each at least its share of a step), random solved prompts: across
    boundaries that drop down to each domain's floor, no step ever holds a prompt twice or more than a domain's
    share, and no weighted domain vanishes."""
    rng = np.random.default_rng(seed)
    step = 8
    weights = rng.dirichlet(np.ones(3)) + 0.05
    share = np.ceil(weights / weights.sum() * step - 1e-9).astype(int)
    sizes = share + rng.integers(0, 20, 3)
    sizes[1] = max(sizes[1], step)  # stage 1 (math) must hold a step
    domain = np.repeat(np.arange(3, dtype=np.int8), sizes)
    ids = rng.permutation(np.arange(len(domain)) * 7 + 3)
    rows = Rows(ids, domain, ["code", "math", "sci"])
    plan = StagePlan(rows.domain_names, np.bincount(domain), ["math"], dict(zip(rows.domain_names, weights.tolist())))
    s = SRPOBatchSampler(rows, plan, 4, step, seed, PromptHistory(len(domain), 0.0, step), shuffle)
    s.enter_stage(2)
    it, seen = iter(s), []
    for _ in range(40):
        batch = []
        while len(batch) < step:
            try:
                batch += next(it)
            except StopIteration:
                it = iter(s)
        got = s.ids_of_rows(batch)
        assert len(set(got.tolist())) == step
        assert (np.bincount(domain[batch], minlength=3) <= share).all()
        seen.append(domain[batch])
        s.record(np.repeat(got, 2), np.repeat(rng.random(step) < 0.5, 2))
    assert s.history.dropped_total > 0
    assert set(np.concatenate(seen[-10:]).tolist()) == {0, 1, 2}  # no weighted domain vanished


@pytest.mark.parametrize("switch, crash", [(StageSwitch(at_epoch=1), 42), (StageSwitch(at_step=1), 58)],
                         ids=["after-one-math-epoch", "mixed-from-the-start"])
def test_a_weighted_domain_smaller_than_its_share_hands_its_floor_to_the_others(caplog, switch, crash):
    """The review's run: 400 math and 10 code rows, stage2_weights {math: 1, code: 1}, steps of 64, every prompt
    always solved. Code's half of the pool floor (32) is more than its 10 rows; math's floor takes the other 22
    (54, not 32), so the pool never falls below one step. It used to end at an epoch boundary with "stage 2's
    pool has {crash} prompts to draw, fewer than one step" (42 after one math epoch; 58 at epoch 5 mixed from
    the start, as the review found)."""
    domain = np.array([MATH] * 400 + [CODE] * 10, dtype=np.int8)
    rows = Rows(np.arange(410, dtype=np.int64) * 3 + 1, domain, ["math", "code"])
    plan = StagePlan(["math", "code"], np.bincount(domain), ["math"], {"math": 1, "code": 1})
    s = SRPOBatchSampler(rows, plan, 32, 64, 0, PromptHistory(410, 0.0, 64))
    it, reports = iter(s), []
    for step in range(1, 121):
        switch(s, step)
        batch = []
        while len(batch) < 64:
            try:
                batch += next(it)
            except StopIteration:
                it = iter(s)
        ids = s.ids_of_rows(batch)
        s.record(np.repeat(ids, 2), np.ones(2 * len(ids), dtype=bool))
        reports += s.pop_boundaries()
    stage2 = [r for r in reports if r.stage == 2]
    assert s.stage == 2 and len(stage2) > 50  # epochs of one step at the floor
    assert all(r.pool.sum() >= 64 and r.pool[0] >= 54 and r.pool[1] == 10 for r in stage2)
    assert stage2[-1].pool.tolist() == [54, 10] and stage2[-1].held_back.tolist() == [54, 10]  # all solved, held
    assert "the math pool keeps at least 54 prompts" in caplog.text
    assert "plus what the code pool cannot hold" in caplog.text
    assert "the code pool keeps at least 10 prompts (all its 10 rows, fewer than its stage2_weights share 0.5" \
        in caplog.text
