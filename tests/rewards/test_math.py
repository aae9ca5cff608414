"""Math reward: extraction, the exact-match path, math-verify off the main thread."""

from __future__ import annotations

import threading
import time

import pytest

from verl_srpo.rewards import math as rmath
from verl_srpo.rewards.math import extract_answer, fast_match, last_boxed, score_math


def test_extraction():
    assert last_boxed(r"a \boxed{1} b \boxed{\frac{1}{2}} c") == r"\frac{1}{2}"
    assert last_boxed(r"\boxed{unbalanced") is None
    assert extract_answer("<think>x</think><answer> 42 </answer>") == "42"
    assert extract_answer(r"<answer>so \boxed{7}</answer>") == "7"
    assert extract_answer(r"<answer>1</answer> later <answer>2</answer>") == "2"
    assert extract_answer(r"no tags, \boxed{3}") == "3"
    assert extract_answer("nothing") is None


@pytest.mark.parametrize("pred, gold, decided", [
    ("033", "33", True),           # AIME: leading zeros
    ("33", "033", True),
    ("$5$", "5", True),
    ("5.", "5", True),
    (r"\dfrac{1}{2}", r"\frac{1}{2}", True),
    ("34", "33", False),           # integers decide without symbolic work
    ("0.50", ".5", True),
    (r"\frac{2}{4}", "0.5", True),   # rationals compare exactly
    ("-1/3", r"-\frac{1}{3}", True),
    (r"\frac{1}{3}", "0.333", False),
    (r"\sqrt{2}/2", r"\frac{\sqrt{2}}{2}", None),  # needs math-verify
])
def test_fast_path(pred, gold, decided):
    assert fast_match(pred, gold) is decided


def test_score_math_hand_checked():
    assert score_math("<answer>033</answer>", "33") == {"acc": 1, "pred": "033", "math_verify_errors": 0}
    assert score_math("<answer>\\frac{1}{2}</answer>", "0.5")["acc"] == 1
    assert score_math("\\boxed{\\sqrt{2}/2}", "\\frac{\\sqrt{2}}{2}")["acc"] == 1
    assert score_math("<answer>x+1</answer>", "1+x")["acc"] == 1
    assert score_math("<answer>3</answer>", "\\frac{1}{2}")["acc"] == 0
    assert score_math("no answer", "5") == {"acc": 0, "pred": "", "math_verify_errors": 0}
    assert score_math("<answer>204</answer>", 204)["acc"] == 1
    with pytest.raises(ValueError, match="non-empty string"):
        score_math("<answer>1</answer>", "")


def test_symbolic_check_off_the_main_thread():
    """verl calls from an executor thread: math-verify's signal.alarm must not be needed there."""
    out = {}

    def worker():
        out["acc"] = score_math("<answer>\\frac{2}{4}</answer>", "\\frac{1}{2}")["acc"]
        out["wrong"] = score_math("<answer>\\frac{3}{4}</answer>", "\\frac{1}{2}")["acc"]

    t = threading.Thread(target=worker)
    t.start()
    t.join(120)
    assert out == {"acc": 1, "wrong": 0}


def test_stuck_helper_is_killed_not_hung(monkeypatch, tmp_path):
    """A helper that never answers is killed after its budget; the call returns 0, nothing hangs."""
    stuck = tmp_path / "stuck.py"
    stuck.write_text("import time\ntime.sleep(600)\n")
    monkeypatch.setattr(rmath, "SERVER", str(stuck))
    pool = rmath._VerifierPool(size=1, startup_s=0.0)
    start = time.monotonic()
    assert pool.check("1", "1", timeout_s=1) == (False, None)  # an overrun is wrong, not a math-verify failure
    assert time.monotonic() - start < 10
    assert pool._idle == []  # the stuck helper was killed, not kept


BROKEN = {
    "an install that cannot be imported": "raise ImportError('libsympy.so: cannot open shared object file')\n",
    "an upgrade that changed the API": ("class LatexExtractionConfig:\n    pass\n\n"
                                        "ExprExtractionConfig = LatexExtractionConfig\n"
                                        "def parse(text, configs, parsing_timeout=5):\n    return [text]\n"
                                        "def verify(gold, pred, timeout_seconds=5):\n"
                                        "    raise TypeError('verify() got an unexpected keyword argument')\n"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_math_verify_is_counted_and_logged_once(monkeypatch, tmp_path, caplog, case):
    """A real helper process over a broken math_verify package (ahead of the installed one on its path): the
    answers it cannot check count as wrong, but each is counted (math_verify_errors, the reward's key and
    srpo/math_verify_errors) and the cause is logged once, instead of every symbolic answer silently wrong."""
    import logging
    import sys

    from verl_srpo.rewards import compute_score

    (tmp_path / "math_verify.py").write_text(BROKEN[case])
    command = [sys.executable, "-I", "-c", f"import sys, runpy; sys.path.insert(0, {str(tmp_path)!r}); "
               f"runpy.run_path({rmath.SERVER!r}, run_name='__main__')"]
    monkeypatch.setattr(rmath, "_POOL", rmath._VerifierPool(size=1, command=command))
    monkeypatch.setattr(rmath, "_SAID", set())
    caplog.set_level(logging.WARNING, logger="verl_srpo.rewards.math")
    rows = [compute_score("aime24", "\\boxed{\\sqrt{2}/2}", "\\frac{\\sqrt{2}}{2}") for _ in range(2)]
    assert [(r["acc"], r["math_verify_errors"]) for r in rows] == [(0.0, 1), (0.0, 1)]
    assert compute_score("aime24", "<answer>033</answer>", "33")["math_verify_errors"] == 0  # exact path: no helper
    said = [r.getMessage() for r in caplog.records if "math-verify failed" in r.getMessage()]
    cause = "libsympy.so" if "import" in case else "TypeError: verify() got an unexpected keyword argument"
    assert len(said) == 1 and cause in said[0] and "srpo/math_verify_errors" in said[0], said
