"""LiveCodeBench's comparison as keys (verl_srpo.rewards.lcb_keys), against LCB's rule written literally
(tests/rewards/lcb_oracle.py) and Python's own ``==``; and the code reward's ``stdout_matches``, which is key
equality."""

import json
import random
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.rewards.lcb_oracle import compare_stdout
from verl_srpo.rewards.code import stdout_matches
from verl_srpo.rewards.lcb_keys import stdout_key, value_key

STDOUT_CASES = [
    ("7\n", "7", "pass"),
    ("  1.50   2 \n3 \n\n", "1.5 2.0\n3", "pass"),           # stripped lines, Decimal-equal tokens
    ("1.5 2\n\n3", "1.5 2\n3", "wrong_answer"),              # an empty line inside counts
    ("1e-3", "0.001", "pass"),
    ("-0.0", "0", "pass"),
    ("1E+2 100.00", "100 1e2", "pass"),
    ("1.0000000000000000000000000000001", "1", "wrong_answer"),  # exact: no 28-digit context rounding
    ("0.3333333333333333", "0.333333333333", "wrong_answer"),  # no tolerance
    ("1 2", "1\n2", "wrong_answer"),                           # line counts differ
    ("1 2", "1 2 0", "wrong_answer"),
    ("abc", "abd", "wrong_answer"),
    ("a  b", "a b", "wrong_answer"),                           # text lines compare as text
    ("Infinity", "inf", "pass"),
    ("sNaN", "5", "runtime_error"),                            # Decimal comparison signals
    ("NaN", "NaN", "pass"),                                    # equal strings, never compared as numbers
    ("NaN 1", "nan 1", "wrong_answer"),                        # NaN != NaN
    ("1_000", "1000", "pass"),                                 # Decimal() reads underscores
]


@pytest.mark.parametrize("got,expected,kind", STDOUT_CASES)
def test_stdout_comparison(got, expected, kind):
    """LCB's rule, literally (compare_stdout), the digests the official grader uses and the code reward agree."""
    assert compare_stdout(got, expected) == kind
    assert (stdout_key(got) == stdout_key(expected)) == (kind == "pass")
    assert stdout_matches(got, expected) is (kind == "pass")


EQUAL_NUMBERS = [  # tokens of one class are equal Decimals (NaN: equal to nothing, compared as numbers)
    ["100", "1e2", "100.0", "1E+2", "+100", "0100", "100.000", "10e1"],
    ["0", "-0", "+0", "0.0", "0e5", "-0.000", ".0"],
    ["0.5", ".5", "5e-1", "0.50", "+.5", "0.500000000000000000000000000000000"],
    ["1" + "0" * 41, "1e41", "10e40", "1E+41", "1" + "0" * 41 + ".0"],
    ["1" + "0" * 40, "1e40", "1" + "0" * 40 + ".00"],
    ["12345678901234567890123456789012345", "1.2345678901234567890123456789012345e34"],
    ["Infinity", "inf", "+Infinity", "INF"], ["-inf", "-Infinity"],
    ["-1", "-1.0", "-01", "-1e0"], ["1_0", "10", "1_0.0"], ["\u0661\u0662", "12"],
    ["NaN"], ["nan"], ["sNaN"], ["x"], ["1.2.3"], ["-"],
]


def test_stdout_digest_agrees_with_lcb_rule_on_random_outputs():
    """Outputs built from classes of equal numbers: the digests match exactly when LCB's rule passes, and the
    code reward's stdout_matches says the same."""
    rng = random.Random(0)
    agreements = {True: 0, False: 0}
    for _ in range(3000):
        classes = len(EQUAL_NUMBERS)
        shape = [[rng.randrange(classes) for _ in range(rng.randint(0, 3))] for _ in range(rng.randint(1, 3))]
        other = [row[:] for row in shape]
        if rng.random() < 0.3 and other[0]:
            other[0][0] = rng.randrange(len(EQUAL_NUMBERS))

        def render(rows):
            return "\n".join(rng.choice(["", " "]) + rng.choice([" ", "  ", "\t"]).join(
                rng.choice(EQUAL_NUMBERS[c]) for c in row) for row in rows) + rng.choice(["", "\n", " \n\n"])

        a, b = render(shape), render(other)
        lcb_pass = compare_stdout(a, b) == "pass"
        assert (stdout_key(a) == stdout_key(b)) == lcb_pass == stdout_matches(a, b), (a, b)
        agreements[lcb_pass] += 1
    assert min(agreements.values()) > 300  # both outcomes well represented


VALUE_CASES = [  # (returned value, expected JSON, LCB's verdict)
    ([[1, 2]], "[[1, 2]]", True),
    ([(1, 2)], "[[1, 2]]", False),          # a nested tuple stays a tuple
    ((1, 2), "[1, 2]", True),               # a top-level tuple becomes a list
    (True, "1", True),                      # Python: True == 1
    (False, "0.0", True),
    (3.0, "3", True),
    (0.1, "0.1", True),
    ("1", "1", False),
    (None, "null", True),
    ({1: 2}, '{"1": 2}', False),            # int keys stay ints
    ({"b": 1, "a": [2]}, '{"a": [2], "b": 1}', True),
    ({"a": (1,)}, '{"a": [1]}', False),
    (Fraction(1, 2), "0.5", True),
    (Fraction(1, 10), "0.1", False),        # 0.1 is not exactly 1/10
    (Decimal("0.5"), "0.5", True),
    (2 ** 200, str(2 ** 200), True),
    (2 ** 53 + 1, "9007199254740992.0", False),
    ({1, 2}, "[1, 2]", False),              # a set never equals a JSON value
    (float("nan"), "NaN", False),
    (float("inf"), "Infinity", True),
    (Decimal("Infinity"), "Infinity", True),
    (complex(2, 0), "2", True),
    (complex(2, 1), "2", False),
    ([1, [2, [3]]], "[1, [2, [3]]]", True),
    ([1, 2], "[2, 1]", False),
    (b"1", '"1"', False),
    (range(2), "[0, 1]", False),
]


@pytest.mark.parametrize("value,expected_json,passed", VALUE_CASES)
def test_return_comparison(value, expected_json, passed):
    """Digests of a returned value and of the expected JSON are equal exactly when LCB's == passes."""
    returned = list(value) if isinstance(value, tuple) else value  # what LCB does first
    expected = json.loads(expected_json)
    assert (returned == expected) is passed  # the hand-checked verdict is Python's own
    assert (value_key(returned) == value_key(expected)) is passed


def test_signalling_nan_return_is_a_runtime_error():
    with pytest.raises(Exception, match="InvalidOperation"):
        value_key(Decimal("sNaN"))  # raised inside the test's try: a runtime error, as LCB's ==
