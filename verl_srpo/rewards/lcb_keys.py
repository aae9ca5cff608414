"""LiveCodeBench's output comparison as keys: two outputs pass against each other exactly when their keys are equal.

One rule, used three ways: the training code reward (:func:`verl_srpo.rewards.code.stdout_matches`), the LCB
``judge`` grader (the same reward) and ``--grader official``, whose harness computes the keys inside the sandbox
(:mod:`verl_srpo.eval._lcb_harness`) and sends back a few bytes per test instead of the output. The rules are
LiveCodeBench's (``lcb_runner/evaluation/testing_util.py`` at commit b95a71c):

- stdout (``grade_stdio``): both texts stripped, split on "\\n", each line stripped; the line counts must match;
  a line passes if equal as text, or if both split on whitespace into lists of equal ``Decimal`` values (exact:
  no tolerance; "1.0" == "1", "1e2" == "100", "-0" == "0", "inf" == "Infinity", "1_000" == "1000" as CPython's
  ``decimal`` reads underscores, digits of any script). A NaN, quiet or signalling, equals no number, so its line
  passes only when equal as text (LiveCodeBench raises on a signalling NaN: a failed test either way). A token
  ``Decimal`` refuses (an exponent past its range included) makes its line text. Keys are computed exactly,
  whatever the thread's decimal context, in time linear in the output's length, and never raise.
- return values (``grade_call_based``): Python's ``==`` between the returned value (a top-level tuple made a list
  first, by the caller) and ``json.loads(expected)``: numbers by exact value across int/float/bool/Fraction/
  Decimal, lists and tuples differ, dicts ignore order; sets, objects and NaN equal nothing. (The training reward
  compares return values by its own rule, :func:`verl_srpo.rewards.code.return_matches`.)

Standard library only, and no ``from __future__`` import: :func:`verl_srpo.eval.lcb_official.harness_source`
pastes this file's source into the harness, which runs inside the sandbox as one script.
"""

import hashlib
import json
import os
import re
from decimal import Decimal
from fractions import Fraction

MAX_ZEROS = 40  # integers with up to this many trailing zeros are written out in number keys


def _number_key(negative, digits, exponent):
    """The key of the number ``(-1)**negative * int(digits) * 10**exponent``: equal numbers, equal keys
    ("1.50" and "1.5", "-0" and "0", "1e2" and "100.0"), computed exactly, without context rounding."""
    digits = digits.lstrip("0")
    if not digits:
        return "0"
    kept = digits.rstrip("0")
    exponent += len(digits) - len(kept)
    sign = "-" if negative else ""
    if 0 <= exponent <= MAX_ZEROS:
        return f"{sign}{kept}{'0' * exponent}"  # an integer, as it is usually printed
    return f"{sign}{kept}e{exponent}"


PLAIN_NUMBER = re.compile(r"([+-]?)([0-9]*)\.?([0-9]*)")
INT_LINE = re.compile(r"(?:-?[1-9][0-9]*|0)(?:[ \t]+(?:-?[1-9][0-9]*|0))*")  # most output lines: their own key
_TOO_MANY_ZEROS = "0" * (MAX_ZEROS + 1)  # an integer line with such a run may need the e-form of _number_key


def _token_key(tok):
    """The number key of ``Decimal(tok)``, or None when ``tok`` is no number or a NaN."""
    plain = PLAIN_NUMBER.fullmatch(tok)
    if plain and (plain[2] or plain[3]):
        sign, whole, frac = plain.groups()
        return _number_key(sign == "-", whole + frac, -len(frac))
    try:
        number = Decimal(tok)
    except Exception:
        return None
    if number.is_nan():
        return None
    if number.is_infinite():
        return "-inf" if number.is_signed() else "inf"
    sign, digits, exponent = number.as_tuple()
    return _number_key(sign, "".join(map(str, digits)), exponent)


def stdout_lines(text):
    """The lines LCB compares: ``text`` stripped, split on "\\n", each line stripped."""
    return [line.strip() for line in text.strip().split("\n")]


def line_key(line):
    """The key of one stripped line: two lines pass against each other exactly when their keys are equal (equal
    text, or lists of equal Decimals): the number form for lines that are all numbers (none NaN, which equals
    nothing), else the text itself. Equal lines have equal keys, so a caller may compare text first."""
    if INT_LINE.fullmatch(line) and _TOO_MANY_ZEROS not in line:
        return ["numbers", line.split()]
    keys = [_token_key(tok) for tok in line.split()]
    return ["text", line] if None in keys else ["numbers", keys]


def stdout_key(text):
    """A digest (hex str) of stdout under LCB's stdout rule (module docstring): two outputs pass against each
    other exactly when their keys are equal, that is when they have as many :func:`stdout_lines` and their
    :func:`line_key` are pairwise equal. Never raises."""
    digest = hashlib.sha256()
    for line in stdout_lines(text):
        digest.update(json.dumps(line_key(line)).encode() + b"\n")  # JSON holds no raw newline: one line each
    return digest.hexdigest()


def _value_tree(value, never):
    if value is None:
        return ["none"]
    if isinstance(value, str):
        return ["str", str(value)]
    if isinstance(value, complex):
        if value.imag != 0:
            return ["never", never]
        value = value.real
    if isinstance(value, (int, float, Fraction, Decimal)):  # bool is an int: True == 1 == 1.0 == Fraction(1)
        if value != value:  # NaN (a signalling Decimal NaN raises here, a runtime error, as in LCB's ==)
            return ["never", never]
        if value in (float("inf"), float("-inf")):
            return ["number", "inf" if value > 0 else "-inf"]
        exact = Fraction(value)
        return ["number", hex(exact.numerator), hex(exact.denominator)]
    if isinstance(value, list):
        return ["list", [_value_tree(v, never) for v in value]]
    if isinstance(value, tuple):
        return ["tuple", [_value_tree(v, never) for v in value]]
    if isinstance(value, dict):
        items = [[json.dumps(_value_tree(k, never)), _value_tree(v, never)] for k, v in value.items()]
        return ["dict", sorted(items, key=lambda kv: kv[0])]
    return ["never", never]  # a set, bytes, an object: equal to no JSON value


def value_key(value):
    """A digest (hex str) of a value under Python's ``==`` against JSON values (LCB's ``grade_call_based``): a
    returned value and ``json.loads(expected)`` are equal exactly when their keys are equal (module docstring).
    Raises what ``==`` raises (a signalling Decimal NaN: InvalidOperation, a runtime error in LCB)."""
    never = os.urandom(16).hex()  # fresh for every key: such values match no other key, not even their own
    return hashlib.sha256(json.dumps(_value_tree(value, never)).encode()).hexdigest()
