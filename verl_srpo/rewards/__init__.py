"""SRPO's reward for verl: accuracy + format reward - mixed-language penalty, for math and code.

Select it in verl with::

    reward.custom_reward_function.path=pkg://verl_srpo.rewards
    reward.custom_reward_function.name=compute_score

(the ``verl_srpo`` plugin config does this by default). Options: :class:`verl_srpo.config.schema.RewardConfig`.

The score of one reply::

    score = acc + format_weight * format - lang_penalty_applied

``acc`` (0/1) is pure accuracy: the math answer verifies, or the program passes *all* its tests.
History resampling filters on ``acc``, never on ``score`` (``docs/SRPO.md``: HR must filter on
accuracy). ``format`` is 1 when the reply follows the R1-Zero template; ``lang_penalty`` is the
amount subtracted for a mixed-language reply (0 when not mixed or the penalty is off).

Every row returns the same keys with the same types (verl stacks ``reward_extra_info`` across
rows with the keys of the first one): ``score``, ``acc``, ``format``, ``lang_penalty`` (floats),
``domain`` ("math"/"code"), ``pred`` (the math answer; "" for code), ``pass_frac`` (fraction of
tests passed; for math equal to ``acc``), ``failure`` (first failure kind, "none" when correct;
see :mod:`verl_srpo.rewards.code`; math uses "no_answer"/"wrong_answer"), ``n_tests`` (int) and
``math_verify_errors`` (int: math-verify checks that failed to run, counted as wrong; see
:mod:`verl_srpo.rewards.math`; the SRPO trainer sums them into ``srpo/math_verify_errors``).

It never raises for what a row holds: a reply of any type (None is an empty reply), and a ground
truth that cannot be used (an empty or non-string math answer, malformed code tests) score 0 with
``failure="bad_ground_truth"``, and a warning names the data source and the problem (once per data
source and problem). It does raise for configuration, before any row is scored in a run (the
start-up checks already refuse both): an unknown reward option, and a row whose domain cannot be
told (a whole data source without ``extra_info["domain"]`` and with an unknown name).

:data:`SCORING_VERSION` names the rules: whatever was scored under another version (cached pass@k labels,
an evaluation's ``results.json``, the lm-eval task's ``metadata.version``) was scored by other rules.
"""

from __future__ import annotations

import logging

from verl_srpo.domains import UnplacedRow, domain_of
from verl_srpo.rewards.code import score_code
from verl_srpo.rewards.format import format_ok, is_mixed_language
from verl_srpo.rewards.math import score_math

__all__ = ["SCORING_VERSION", "compute_score", "resolve_domain", "score_code", "score_math"]

# The version of the scoring rules of this reward, math and code: extraction, normalisation, verification,
# program comparison. Bump it on ANY change that can change a verdict (an ``acc``) of some reply, never for
# speed or messages. It keys the data pipeline's cached pass@k labels (recipes/data/prepare.py, label step),
# is recorded in an evaluation's results.json (grader.scoring_version, for AIME and the LCB judge) and is
# the AIME lm-eval task's metadata.version (eval/tasks/aime24_avg32.yaml; tests/eval/test_lm_eval_task.py checks).
# 1: the first rules; 2: answers in unclosed <answer> tags and in "the answer is X", units, percent, digit
# groups (verl_srpo/rewards/answer.py); 3: the last non-empty <answer> tag (any case, spaces in the tag) and box,
# end-of-sequence tokens dropped, hypotheses, negations and questions are no stated answer, "$17$ or $18$" stays
# whole, "### Answer" headings, digit-group commas inside an expression, numbers wrapped in \text{...} or bold,
# \hspace/{}^\circ/^o/\deg/currency in \text or after the number, "pct"/"percentage", magnitude words ("5 million")
# as factors, never units, {,} before 1-2 digits a decimal comma, an answer over 1000 characters wrong (answer.py);
# and, for code, the program is the last Python-tagged fenced block of the answer (after
# </think>; then the last untagged, then the last), an indented fence's body dedented, the output limit raised to
# fit twice the expected stdout (verl_srpo/rewards/code.py); programs may use multiprocessing (a private
# /dev/shm) and import modules they write into scratch (verl_srpo/rewards/_runner.py).
SCORING_VERSION = 3

logger = logging.getLogger(__name__)
_WARNED: set[tuple[str, str]] = set()
SCORED = ("math", "code")


def resolve_domain(data_source: str, extra_info: dict | None) -> str:
    """"math" or "code": the one rule of :mod:`verl_srpo.domains` on what verl hands the reward (the SRPO
    trainer writes each row's domain into ``extra_info.domain``). Raises ValueError for a row it cannot place
    or a domain this reward does not score."""
    try:
        domain = domain_of(None, extra_info, data_source)
    except UnplacedRow as exc:
        raise ValueError(f"cannot tell the domain of a {data_source!r} row: {exc}") from None
    if domain not in SCORED:
        raise ValueError(f"extra_info['domain']={domain!r}: SRPO's reward scores {list(SCORED)}, expected one of them")
    return domain


def _warn_once(data_source, problem: str) -> None:
    key = (str(data_source), problem.split(":")[0][:80])
    if key not in _WARNED and len(_WARNED) < 1000:
        _WARNED.add(key)
        logger.warning("verl_srpo reward: a %s row's ground truth cannot be used, scored 0 "
                       "(failure=bad_ground_truth): %s", data_source, problem)


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> dict:
    """verl custom reward function (one row). See the module docstring for the keys."""
    from verl_srpo.config.schema import reward_config  # imports verl (the caller's, already loaded)

    opts = reward_config(kwargs)
    domain = resolve_domain(data_source, extra_info)
    if not isinstance(solution_str, str):
        solution_str = "" if solution_str is None else str(solution_str)
    if domain == "math":
        try:
            res = score_math(solution_str, ground_truth, timeout_s=opts.math_timeout_s)
        except ValueError as exc:
            _warn_once(data_source, str(exc))
            res = {"acc": 0, "pred": "", "failure": "bad_ground_truth", "math_verify_errors": 0}
        acc = float(res["acc"])
        failure = res.get("failure") or ("none" if acc else ("no_answer" if not res["pred"] else "wrong_answer"))
        extra = {"pred": res["pred"], "pass_frac": acc, "n_tests": 1, "failure": failure,
                 "math_verify_errors": int(res["math_verify_errors"])}
    else:
        res = score_code(solution_str, ground_truth, max_tests=opts.code_max_tests,
                         timeout_s=opts.code_timeout_s, memory_mb=opts.code_memory_mb)
        if res["failure"] == "bad_ground_truth":
            _warn_once(data_source, res.get("error", ""))
        acc = float(res["acc"])
        extra = {"pred": "", "pass_frac": float(res["pass_frac"]), "n_tests": int(res["n_tests"]),
                 "failure": res["failure"], "math_verify_errors": 0}
    fmt = float(format_ok(solution_str))
    penalty = float(opts.lang_penalty) if opts.lang_penalty and is_mixed_language(solution_str, opts.lang_min_chars) else 0.0
    score = acc + opts.format_weight * fmt - penalty
    return {"score": float(score), "acc": acc, "format": fmt, "lang_penalty": penalty, "domain": domain, **extra}
