"""Math reward: extract the final answer, then verify it against the gold answer.

Extraction and normalisation are :mod:`verl_srpo.rewards.answer` (every rule is listed in its
docstring): the last ``<answer>`` (closed or not), inside it or else in the whole reply the last
``\\boxed{…}``, else an explicit "the answer is X" statement; then delimiters, units, currency,
degree and percent signs are taken off and digit groups joined (``2\\,500`` is 2500, never a
product), for the reply's answer and for the gold answer alike. No answer found: ``acc`` 0, ``pred`` "".

Verification:
1. fast path, no symbolic work: equal canonical strings match; two rationals (integers, decimals,
   ``\\frac{a}{b}``, ``a/b``) compare exactly (AIME: "033" == "33"); a one-sided percent matches its
   number or its number / 100;
2. otherwise math-verify, gold first (``verify(gold, pred)``, as its API expects), with its
   timeouts, on the cleaned answers (both readings of a one-sided percent). math-verify times out with
   ``signal.alarm``, which only works in the main thread, and verl calls reward functions from an
   executor thread; a C-level sympy call can also ignore the alarm. So the check always runs in a small
   pool of helper processes (``_mathverify_server.py``, where the alarm works), and a helper that
   overruns its budget is killed and the answer counts as wrong. The calling thread, main or not, is
   never hung.

A failure of math-verify itself (it cannot be imported, it raises, its helper dies) also counts the
answer as wrong, but never silently: :func:`score_math` returns how many checks failed so
(``math_verify_errors``; the reward passes it on, and the SRPO trainer logs ``srpo/math_verify_errors``
each step), and a WARNING names each distinct cause once.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading

from verl_srpo.rewards.answer import (  # noqa: F401  (re-exported: the math reward's public names)
    MAX_ANSWER,
    as_rational,
    canonical,
    clean,
    extract_answer,
    fast_match,
    last_boxed,
    match_cleaned,
    readings,
)

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_mathverify_server.py")
MATH_TIMEOUT_S = 5.0  # seconds per math-verify step: math-verify's own default
FIX = "Check this interpreter's math-verify: pip install 'math-verify>=0.7' (python -c 'import math_verify')."

logger = logging.getLogger(__name__)
_SAID: set[str] = set()


def _say_once(cause: str) -> None:
    if cause not in _SAID and len(_SAID) < 100:
        _SAID.add(cause)
        logger.warning("math-verify failed: %s. Each answer it was to check counts as wrong; srpo/math_verify_errors "
                       "(reward key math_verify_errors) counts them. %s", cause, FIX)


class _VerifierPool:
    """Helper processes running math-verify (``command``); one request at a time each, killed on overrun."""

    def __init__(self, size: int, startup_s: float = 30.0, command: list[str] | None = None):
        self.startup_s = startup_s  # a new helper imports sympy + math-verify first
        self.command = command or [sys.executable, "-I", SERVER]
        self._idle: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)

    def check(self, gold: str, pred: str, timeout_s: float) -> tuple[bool, str | None]:
        """``(verified, error)``: ``error`` says why math-verify could not answer (None for an answer or an
        overrun of the time budget, which counts as wrong)."""
        with self._slots:
            with self._lock:
                proc = self._idle.pop() if self._idle else None
            if proc is None or proc.poll() is not None:
                proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)  # causes come back as JSON
            error = None
            try:
                proc.stdin.write(json.dumps({"gold": gold, "pred": pred, "timeout": max(1, int(timeout_s))}) + "\n")
                proc.stdin.flush()
                # parse gold + parse pred + verify each get timeout_s; allow start-up on top
                ready, _, _ = select.select([proc.stdout], [], [], 3 * timeout_s + self.startup_s)
                line = proc.stdout.readline() if ready else ""
                reply = json.loads(line) if line else {"ok": False}
                if ready and not line:
                    error = f"its helper process ended without an answer (exit status {proc.wait()})"
                error = reply.get("error") or error
            except (OSError, ValueError) as exc:
                line, reply, error = "", {"ok": False}, f"its helper process failed ({type(exc).__name__}: {exc})"
            if line:
                with self._lock:
                    self._idle.append(proc)
            else:
                proc.kill()
                proc.wait()
            if error:
                _say_once(error)
            return bool(reply["ok"]) and not error, error


_POOL = _VerifierPool(size=min(4, os.cpu_count() or 1))  # like verl's math_verify pool (4)


def symbolic_match(pred: str, gold: str, timeout_s: float = MATH_TIMEOUT_S, errors: list | None = None) -> bool:
    """math-verify (gold first) in a helper process; safe in any thread (module docstring). A failure of
    math-verify itself is False, and its cause is appended to ``errors``."""
    ok, error = _POOL.check(gold, pred, timeout_s)
    if error and errors is not None:
        errors.append(error)
    return ok


def gold_answers(ground_truth) -> list[str]:
    """The gold answer(s) as non-empty strings: a string, a number, or a list of either (any may match).

    Raises ValueError for anything else; :func:`verl_srpo.rewards.compute_score` turns that into the
    failure kind "bad_ground_truth"."""
    if hasattr(ground_truth, "tolist") and not isinstance(ground_truth, (str, bytes)):
        ground_truth = ground_truth.tolist()
    items = list(ground_truth) if isinstance(ground_truth, (list, tuple)) else [ground_truth]
    golds = []
    for item in items:
        if isinstance(item, bytes):
            item = item.decode("utf-8", errors="replace")
        if isinstance(item, (int, float)) and not isinstance(item, bool) and item == item:
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"math ground_truth must be a non-empty string (or a list of them), got {ground_truth!r}")
        golds.append(item)
    if not golds:
        raise ValueError(f"math ground_truth must be a non-empty string (or a list of them), got {ground_truth!r}")
    return golds


def matches(pred: str, gold: str, timeout_s: float = MATH_TIMEOUT_S, errors: list | None = None) -> bool:
    """``pred`` equals ``gold`` after cleaning: exact path first, math-verify when it cannot decide (its
    failures appended to ``errors``)."""
    if len(pred) > MAX_ANSWER:
        return False  # as fast_match: no gold answer is that long
    p, g = clean(pred), clean(gold)
    decided = match_cleaned(p, g)
    if decided is not None:
        return decided
    return any(symbolic_match(pt, gt, timeout_s, errors) for pt in readings(p, g) for gt in readings(g, p))


def score_math(solution_str: str, ground_truth, timeout_s: float = MATH_TIMEOUT_S) -> dict:
    """Score a reply. Returns {"acc": 0|1, "pred": extracted answer or "", "math_verify_errors": how many
    math-verify checks failed to run (module docstring)}. Raises ValueError for a bad gold."""
    golds = gold_answers(ground_truth)
    pred = extract_answer(solution_str)
    if pred is None or not pred.strip():
        return {"acc": 0, "pred": "", "math_verify_errors": 0}
    errors: list[str] = []
    acc = int(any(matches(pred, gold, timeout_s, errors) for gold in golds))
    return {"acc": acc, "pred": pred, "math_verify_errors": len(errors)}
