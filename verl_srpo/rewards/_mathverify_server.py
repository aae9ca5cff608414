"""math-verify in its own process, so its ``signal.alarm`` timeouts work whatever thread asks.

Run as ``python -I _mathverify_server.py``; it reads JSON lines ``{"gold": str, "pred": str,
"timeout": int}`` on stdin and answers one JSON line per request on stdout: ``{"ok": bool}``, or
``{"ok": false, "error": "<type>: <message>"}`` when math-verify itself failed (it cannot be imported,
or it raised): :mod:`verl_srpo.rewards.math` counts and logs those, so that a broken or incompatible
math-verify is seen instead of marking every symbolic answer wrong. A timeout is no error: the answer
is wrong, as math-verify's own timeouts make it.
"""

import json
import sys

try:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    IMPORT_ERROR = None
except Exception as exc:  # reported with every answer, never a silent "wrong"
    IMPORT_ERROR = f"cannot import math_verify ({type(exc).__name__}: {exc})"

_GOLD_CACHE: dict[str, list] = {}  # a prompt's gold answer is checked once per rollout: parse it once


def parse_gold(gold: str, timeout: int) -> list:
    if gold not in _GOLD_CACHE:
        parsed = parse(f"\\boxed{{{gold}}}", [LatexExtractionConfig()], parsing_timeout=timeout)
        if not parsed:
            parsed = parse(gold, [LatexExtractionConfig(), ExprExtractionConfig()], parsing_timeout=timeout)
        if len(_GOLD_CACHE) >= 4096:
            _GOLD_CACHE.clear()
        _GOLD_CACHE[gold] = parsed
    return _GOLD_CACHE[gold]


def check(gold: str, pred: str, timeout: int) -> bool:
    """Gold first, as math-verify's API expects (``verify(gold, target)`` is not symmetric)."""
    gold_parsed = parse_gold(gold, timeout)
    pred_parsed = parse(f"\\boxed{{{pred}}}", [LatexExtractionConfig(), ExprExtractionConfig()], parsing_timeout=timeout)
    if not pred_parsed:
        pred_parsed = parse(pred, [LatexExtractionConfig(), ExprExtractionConfig()], parsing_timeout=timeout)
    return bool(gold_parsed and pred_parsed and verify(gold_parsed, pred_parsed, timeout_seconds=timeout))


def answer(req: dict) -> dict:
    if IMPORT_ERROR:
        return {"ok": False, "error": IMPORT_ERROR}
    try:
        return {"ok": check(req["gold"], req["pred"], req["timeout"])}
    except Exception as exc:
        if "timeout" in type(exc).__name__.lower():  # math-verify's own timeouts: the answer is wrong
            return {"ok": False}
        return {"ok": False, "error": f"math_verify raised {type(exc).__name__}: {str(exc)[:300]}"}


def main():
    for line in sys.stdin:
        sys.stdout.write(json.dumps(answer(json.loads(line))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
