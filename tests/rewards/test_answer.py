"""Final-answer extraction and normalisation (verl_srpo.rewards.answer): one table per class of the docstring.

Every expectation is hand-checked; rows marked "report" come from public bug reports against math-verify, verl or
other RL stacks (math-verify #44 and #76, torchtitan #4442, PrimeIntellect verifiers #1028, SRPO issue 11).
"""

from __future__ import annotations

import pytest

from verl_srpo.rewards.answer import clean, extract_answer, fast_match, last_boxed
from verl_srpo.rewards.math import score_math

# --- where the answer is ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reply, answer", [
    # answer tags, closed or not
    ("<think>x</think><answer>17</answer>", "17"),
    ("<answer>1</answer> later <answer>2</answer>", "2"),
    ("<think>x</think> <answer> 17", "17"),                                # unclosed at the end (issue 11)
    ("<think>x</think> <answer>17</ans", "17"),                             # a partial closing tag
    ("<answer>\n\\frac{\\sqrt{3}}{2}\n", "\\frac{\\sqrt{3}}{2}"),
    ("<answer>" + "we compute many things " * 10, None),                    # a long unclosed tail: reasoning
    ("<answer>The answer is 17.</answer>", "17"),                           # a statement inside the tag
    # boxes
    ("so \\boxed{004} is right.\n**Final Answer**\n\\boxed{004}", "004"),  # report: math-verify #44 (last box)
    ("The answer is 5. \\boxed{6}", "6"),                                   # a box wins over a statement
    ("so \\boxed 5 done", "5"),                                             # \boxed without braces: one token
    ("\\fbox{5}", "5"),
    ("cut off in \\boxed{17", None),                                        # an unclosed box is no answer
    # answers stated in prose, with no tag and no box (issue 11)
    ("…so the answer is 17.", "17"),
    ("The answer is $\\frac{1}{2}$.", "\\frac{1}{2}"),
    ("So the final answer is: **42**", "42"),
    ("Thus **73**.\n\n---\n\n✅ Final Answer: **73**", "73"),              # report: math-verify #76 (bold)
    ("Final Answer:\n The last three digits are:\n \\[Answer: 009\\]", "009"),  # report: torchtitan #4442
    ("**Final Answer**\n\n$$17$$", "17"),
    ("Final answer\n17", "17"),
    ("Final Answer: 3.5.", "3.5"),                                          # a full stop, not the decimal point
    ("I think the answer is 5. Wait, no. Therefore the answer is 7", "7"),  # the last statement counts
    ("the answer is therefore 17", "17"),
    ("the answer is clearly $-2$.", "-2"),
    ("the answer is 17, which is prime", "17"),
    ("the answer is 5 because 2+3=5", "5"),
    ("The answer is 17. I am confident in this final answer.", "17"),     # a mention is not a statement
    ("First the answer is 3. Hmm, so the answer is not 3.", None),         # a retraction is no answer
    ("answer: (1, 2)", "(1, 2)"),
    ("answer = 42", "42"),
    ("The answer is \\(x = 3\\).", "x = 3"),
    ("Answer: B", "B"),
    ("The answer is 1,000.", "1,000"),
    # numbers that are not stated as the answer never count (report: verifiers #1028)
    ("We have 12 apples and 5 oranges, so 17 fruits.", None),
    ("The sum is 5 and the product is 6.", None),
    ("the answer is not 5, let me recheck", None),
    ("The answer is yes.", None),
    ("the final answer should be checked again", None),
    ("nothing", None),
])
def test_where_the_answer_is(reply, answer):
    assert extract_answer(reply) == answer


def test_last_boxed_balances_braces():
    assert last_boxed(r"a \boxed{1} b \boxed{\frac{1}{2}} c") == r"\frac{1}{2}"
    assert last_boxed(r"\boxed{unbalanced") is None
    assert last_boxed(r"\boxed 7 then \frac{1}{2}") == "7"  # never the brace of a later command


# --- what the answer says ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pred, gold, same", [
    # units and signs (issue 11: \boxed{45\%} vs 45; 90° and 90^\circ vs 90)
    ("45\\%", "45", True), ("45%", "45", True), ("45 percent", "45", True), ("45\\text{\\%}", "45", True),
    ("90°", "90", True), ("90^\\circ", "90", True), ("90^{\\circ}", "90", True), ("90 \\degree", "90", True),
    ("30^\\circ\\text{C}", "30", True), ("90", "90^\\circ", True),
    ("12 \\text{ cm}", "12", True), ("12\\text{ cm}^2", "12", True), ("12\\mbox{ square units}", "12", True),
    ("5 \\mathrm{m}", "5", True), ("5 dollars", "5", True), ("5 cm", "5", True),
    ("\\frac{1}{2}\\text{ hours}", "0.5", True),
    ("3\\sqrt{2}\\text{ cm}", "3\\sqrt{2}", True),
    ("\\$12.50", "12.5", True), ("-\\$5", "-5", True), ("12", "\\$12", True), ("€7", "7", True),
    ("5^{\\text{th}}", "5", True), ("21st", "21", True),
    ("\u22125", "-5", True),                                      # the Unicode minus sign
    ("-5", "5", False),                                           # a sign is never dropped
    # percent: both readings when one side has it, never a bare rescaling
    ("45\\%", "0.45", True), ("12\\%", "\\frac{3}{25}", True), ("45", "45\\%", True), ("0.45", "45\\%", True),
    ("45\\%", "0.45\\%", False), ("45", "0.45", False), ("4500", "45\\%", False),
    # degrees are a unit, not radians
    ("90°", "\\frac{\\pi}{2}", None),
    # digit grouping (issue 11: 2\,500 == 2500; 1\,000 vs 0 must be wrong, never a product)
    ("2\\,500", "2500", True), ("1\\,000", "1000", True), ("1\\,000", "0", False), ("1\\,000", "1", False),
    ("1\\,000\\,000", "1000000", True), ("3.141\\,59", "3.14159", True), ("1\\ 000", "1000", True),
    ("1~000", "1000", True), ("1\\;000", "1000", True), ("1 000", "1000", True), ("1\u2009000", "1000", True),
    ("1\u202f000", "1000", True), ("2500", "2\\,500", True),
    ("2,500", "2500", True), ("1{,}000", "1000", True), ("1,\\!000", "1000", True),
    ("12,345,678.9", "12345678.9", True),
    ("1,2", "12", None), ("12,34", "1234", None),                  # not digit groups: a pair, for math-verify
    # what the exact path already did
    ("033", "33", True), ("$5$", "5", True), ("5.", "5", True), ("\\dfrac{1}{2}", "\\frac12", True),
    ("1/2", "0.5", True),
    ("\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", None),
])
def test_what_the_answer_says(pred, gold, same):
    assert fast_match(pred, gold) is same


def test_clean_keeps_what_is_not_notation():
    assert clean("\\sin 30^\\circ").text == "\\sin 30^\\circ"   # not a number: math-verify reads the degree
    assert clean("3 n").text == "3 n" and clean("2m").text == "2m"  # a single letter may be a variable
    assert clean("\\text{(A)}").text == "\\text{(A)}"           # text that is the whole answer stays
    assert clean("(1, 2)").text == "(1, 2)"
    assert clean("45\\%") == clean("45%") and clean("45\\%").percent


@pytest.mark.parametrize("reply, gold, acc", [
    ("<answer>\\boxed{45\\%}</answer>", "45", 1),
    ("\\boxed{90^\\circ}", "90", 1),
    ("\\boxed{2\\,500}", "2500", 1),
    ("\\boxed{1\\,000}", "0", 0),                                 # was 1: math-verify reads 1 * 000
    ("…so the answer is 17.", "17", 1),
    ("<think>t</think><answer>17", "17", 1),
    ("We get 12 apples and 5 oranges.", "5", 0),
    ("\\boxed{1,2}", "12", 0),
    ("\\boxed{20\\sqrt{2}\\%}", "\\frac{\\sqrt{2}}{5}", 1),         # a percent of an expression: math-verify, / 100
    ("\\boxed{x = 5}", "5", 1),
    ("\\boxed{90°}", "\\frac{\\pi}{2}", 0),
])
def test_score_math_end_to_end(reply, gold, acc):
    assert score_math(reply, gold)["acc"] == acc


def test_gold_answers_of_several_shapes():
    assert score_math("\\boxed{17}", 17)["acc"] == 1
    assert score_math("\\boxed{17}", ["16", "17"])["acc"] == 1     # any of several golds
    assert score_math("\\boxed{17}", b"17")["acc"] == 1
    for bad in ("", "   ", None, [], [""], {"a": 1}, float("nan"), True):
        with pytest.raises(ValueError, match="non-empty string"):
            score_math("\\boxed{17}", bad)
