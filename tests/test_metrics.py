"""SRPO's step metrics on hand-made rows (verl_srpo/metrics.py)."""

import numpy as np
import pytest

from verl_srpo.metrics import (
    StepRows,
    domain_metrics,
    identical_group_fraction,
    identical_group_fractions,
    phrase_pattern,
    reflection_rate,
)


def test_identical_group_fraction_by_hand():
    uid = np.array(["a", "b", "a", "c", "b", "c"], dtype=object)
    acc = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])  # a: all right, b: mixed, c: all wrong -> 2 of 3
    assert identical_group_fraction(uid, acc) == pytest.approx(2 / 3)
    assert identical_group_fraction(uid[:0], acc[:0]) == 0.0
    # scores: a is all right but one response missed the 0.1 format bonus -> only c has equal scores
    score = np.array([1.1, 0.1, 1.0, 0.0, 1.1, 0.0])
    assert identical_group_fraction(uid, score) == pytest.approx(1 / 3)
    # both at once, grouping uid once (the trainer's per-step call)
    assert identical_group_fractions(uid, acc, score) == pytest.approx([2 / 3, 1 / 3])
    assert identical_group_fractions(uid[:0], acc[:0], score[:0]) == [0.0, 0.0]


def test_domain_metrics_by_hand():
    rows = StepRows(keys=[], uid=np.array(["a"] * 4, dtype=object), ids=np.arange(4),
                    acc=np.array([1.0, 0.0, 0.0, 1.0]), score=np.array([1.1, 0.1, 0.0, 1.0]),
                    length=np.array([10.0, 20.0, 30.0, 50.0]))
    out = domain_metrics(np.array([0, 0, 1, 1]), ["math", "code"], rows)
    assert out == pytest.approx({
        "srpo/math/reward_mean": 0.6, "srpo/math/acc_mean": 0.5, "srpo/math/response_length_mean": 15.0,
        "srpo/code/reward_mean": 0.5, "srpo/code/acc_mean": 0.5, "srpo/code/response_length_mean": 40.0,
    })


def test_reflection_rate_whole_words_any_case():
    pattern = phrase_pattern(["wait", "re-check", "let me verify"])
    texts = ["Wait, that is off.", "I was waiting", "let me   verify it", "we re-check", "recheck", "done"]
    assert [bool(pattern.search(t)) for t in texts] == [True, False, True, True, False, False]
    assert reflection_rate(texts, pattern) == pytest.approx(0.5)
    assert reflection_rate([], pattern) == 0.0
    with pytest.raises(ValueError, match="reflection_sample_size=0"):
        phrase_pattern([])
