from math import comb

import pytest

from verl_srpo.eval.metrics import aggregate, default_ks, maj_at_k, majority_correct, mean_ci, pass_at_k


@pytest.mark.parametrize("n,c,k", [(4, 1, 2), (10, 3, 5), (32, 0, 1), (32, 32, 16), (5, 4, 2)])
def test_pass_at_k_matches_the_combinatorial_formula(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))


def test_pass_at_k_hand_values():
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2) = 1 - 3/6
    assert pass_at_k(4, 2, 1) == pytest.approx(0.5)  # pass@1 = c/n
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(4, 1, 5)


def test_majority_vote_hand_values():
    assert majority_correct(["5", "5", "7"], [True, True, False]) == 1.0
    assert majority_correct(["5", "7", "7"], [True, False, False]) == 0.0
    assert majority_correct(["5", "7"], [True, False]) == 0.5  # a tie is split
    assert majority_correct([None, None, "3"], [False, False, True]) == 1.0  # no-answers do not vote
    assert majority_correct([None], [False]) == 0.0
    assert maj_at_k(["1", "2", "2", "2"], [True, False, False, False], 1) == 1.0


def test_aggregate_two_problems():
    # problem A: 3/4 right; problem B: 0/4 right.
    correct = [[True, True, False, True], [False] * 4]
    answers = [["9", "9", "1", "9"], ["2", "3", None, "2"]]
    agg = aggregate(correct, answers)
    assert agg["avg@4"]["mean"] == pytest.approx(0.375)
    assert agg["pass@1"]["mean"] == pytest.approx(0.375)
    assert agg["pass@4"]["mean"] == pytest.approx(0.5)
    assert agg["maj@4"]["mean"] == pytest.approx(0.5)
    # per-problem accuracies 0.75 and 0: sample std 0.75/sqrt(2), stderr 0.75/2
    assert agg["avg@4"]["stderr"] == pytest.approx(0.375)
    assert sorted(k for k in agg if k.startswith("pass@")) == ["pass@1", "pass@2", "pass@4"]


def test_ci_and_ks():
    ci = mean_ci([0.0, 1.0])
    assert ci["mean"] == 0.5 and ci["ci95_low"] < 0.5 < ci["ci95_high"]
    assert default_ks(32) == [1, 2, 4, 8, 16, 32]
    assert default_ks(6) == [1, 2, 4, 6]
    with pytest.raises(ValueError, match="same number of samples"):
        aggregate([[True], [True, False]])
