"""SRPO's reward for verl: accuracy + format reward - mixed-language penalty, for math and code.

Select it in verl with::

    reward.custom_reward_function.path=pkg://verl_srpo.rewards
    reward.custom_reward_function.name=compute_score

(the ``verl_srpo`` plugin config does this by default). Options: :mod:`verl_srpo.rewards.options`.

The score of one reply::

    score = acc + format_weight * format - lang_penalty_applied

``acc`` (0/1) is pure accuracy: the math answer verifies, or the program passes *all* its tests.
History resampling filters on ``acc``, never on ``score`` (``shared/SRPO.md``: HR must filter on
accuracy). ``format`` is 1 when the reply follows the R1-Zero template; ``lang_penalty`` is the
amount subtracted for a mixed-language reply (0 when not mixed or the penalty is off).

Every row returns the same keys with the same types (verl stacks ``reward_extra_info`` across
rows with the keys of the first one): ``score``, ``acc``, ``format``, ``lang_penalty`` (floats),
``domain`` ("math"/"code"), ``pred`` (the math answer; "" for code), ``pass_frac`` (fraction of
tests passed; for math equal to ``acc``), ``failure`` (first failure kind, "none" when correct;
see :mod:`verl_srpo.rewards.code`; math uses "no_answer"/"wrong_answer") and ``n_tests`` (int).

It never raises for what a row holds: a reply of any type (None is an empty reply), and a ground
truth that cannot be used (an empty or non-string math answer, malformed code tests) score 0 with
``failure="bad_ground_truth"``, and a warning names the data source and the problem (once per data
source and problem). It does raise for configuration, before any row is scored in a run (the
start-up checks already refuse both): an unknown reward option, and a row whose domain cannot be
told (a whole data source without ``extra_info["domain"]`` and with an unknown name).
"""

from __future__ import annotations

import logging

from verl_srpo.rewards.code import score_code
from verl_srpo.rewards.format import format_ok, is_mixed_language
from verl_srpo.rewards.math import score_math
from verl_srpo.rewards.options import RewardOptions

__all__ = ["RewardOptions", "compute_score", "resolve_domain", "score_code", "score_math"]

logger = logging.getLogger(__name__)
_WARNED: set[tuple[str, str]] = set()
DOMAIN_ALIASES = {"math": "math", "mathematics": "math", "code": "code", "coding": "code", "programming": "code"}
MATH_SOURCES = ("math", "aime", "amc", "gsm8k", "olympiad", "deepscaler", "dapo", "numina")
CODE_SOURCES = ("code", "apps", "taco", "livecodebench", "lcb", "leetcode", "primeintellect")


def resolve_domain(data_source: str, extra_info: dict | None) -> str:
    """"math" or "code": from ``extra_info["domain"]`` / ``["ability"]``, else from ``data_source``."""
    for key in ("domain", "ability"):
        value = extra_info.get(key) if isinstance(extra_info, dict) else None
        if value:
            if str(value).lower() not in DOMAIN_ALIASES:
                raise ValueError(f"extra_info[{key!r}]={value!r}: expected one of {sorted(DOMAIN_ALIASES)}")
            return DOMAIN_ALIASES[str(value).lower()]
    source = str(data_source).lower()
    hits = {d for d, words in (("math", MATH_SOURCES), ("code", CODE_SOURCES)) if any(w in source for w in words)}
    if len(hits) != 1:
        raise ValueError(f"cannot tell the domain of data_source={data_source!r}: set extra_info['domain'] to "
                         f"'math' or 'code' in the data (known math sources contain {MATH_SOURCES}, "
                         f"code sources {CODE_SOURCES})")
    return hits.pop()


def _warn_once(data_source, problem: str) -> None:
    key = (str(data_source), problem.split(":")[0][:80])
    if key not in _WARNED and len(_WARNED) < 1000:
        _WARNED.add(key)
        logger.warning("verl_srpo reward: a %s row's ground truth cannot be used, scored 0 "
                       "(failure=bad_ground_truth): %s", data_source, problem)


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> dict:
    """verl custom reward function (one row). See the module docstring for the keys."""
    opts = RewardOptions.from_kwargs(kwargs)
    domain = resolve_domain(data_source, extra_info)
    if not isinstance(solution_str, str):
        solution_str = "" if solution_str is None else str(solution_str)
    if domain == "math":
        try:
            res = score_math(solution_str, ground_truth, timeout_s=opts.math_timeout_s)
        except ValueError as exc:
            _warn_once(data_source, str(exc))
            res = {"acc": 0, "pred": "", "failure": "bad_ground_truth"}
        acc = float(res["acc"])
        failure = res.get("failure") or ("none" if acc else ("no_answer" if not res["pred"] else "wrong_answer"))
        extra = {"pred": res["pred"], "pass_frac": acc, "n_tests": 1, "failure": failure}
    else:
        res = score_code(solution_str, ground_truth, max_tests=opts.code_max_tests,
                         timeout_s=opts.code_timeout_s, memory_mb=opts.code_memory_mb)
        if res["failure"] == "bad_ground_truth":
            _warn_once(data_source, res.get("error", ""))
        acc = float(res["acc"])
        extra = {"pred": "", "pass_frac": float(res["pass_frac"]), "n_tests": int(res["n_tests"]), "failure": res["failure"]}
    fmt = float(format_ok(solution_str))
    penalty = float(opts.lang_penalty) if opts.lang_penalty and is_mixed_language(solution_str, opts.lang_min_chars) else 0.0
    score = acc + opts.format_weight * fmt - penalty
    return {"score": float(score), "acc": acc, "format": fmt, "lang_penalty": penalty, "domain": domain, **extra}
