"""The final answer of a math reply: where it is, and what it says once notation is taken off.

Used by :mod:`verl_srpo.rewards.math`; math-verify does the symbolic part there. Each rule below is a
class of replies that public reports against verl, math-verify and other RL stacks describe; each is
decided with SRPO's data in mind (AIME answers are integers 0-999; the training data also has
fractions, radicals and expressions) and tested in ``tests/rewards/test_answer.py`` and
``tests/rewards/test_answer_kinds.py``.

**Where the answer is** (:func:`extract_answer`):

1. *Answer tag.* The region is the content of the last ``<answer>`` that has content (tags in any case,
   spaces inside allowed: ``<Answer>``, ``</ answer >``); an empty tag after it (``<answer></answer>``,
   or an opening tag the reply stops at) does not hide it, and only empty tags mean no answer. If the
   tag is never closed (the model stopped right after its answer), the region runs to the end of the
   reply; a trailing partial ``</answer`` is dropped. Without ``<answer>``, the region is the whole reply.
   End-of-sequence tokens left at the end of the decoded reply (``<|im_end|>``, ``<|endoftext|>``,
   ``</s>``) are dropped first.
2. *Box.* In the region, the last ``\\boxed{...}`` / ``\\fbox{...}`` (braces balanced; ``\\boxed 5``
   without braces takes one token). A box that is never closed is no answer; an empty box
   (``\\boxed{}``) is skipped for the box before it, as an empty tag is.
3. *Stated answer.* Without a box, the last explicit answer statement of the region: "the answer is
   X" (also "must be", "has to be", "the answer to this problem is"), "final answer: X",
   "**Final Answer** X" or a heading "### Answer" alone on its line (X on that line or the next),
   "answer = X". X is the math span that follows, or the rest of the sentence (up to a full stop that
   is not a decimal point, a semicolon, a ``?``, ", <word>", or a joining word such as "because",
   "since", "which", "in", "not"); adverbs like "therefore"/"clearly" before it are skipped. A ``!``
   is kept (``17!`` may be a factorial). What the clause before the statement says counts (the clause
   starts after the last , ; : . ! ? line break, or "so"/"thus"/"therefore"/"and"/"but"/"then"): a
   hypothesis ("if", "suppose", "assume", "whether", "maybe", "perhaps", "unless" with at most two words
   before the statement: "if the answer is 17, then ...", "check whether our final answer is 17") is no
   statement and the one before counts; a negation ("not", "n't", "never", "doubt": "I don't think the
   answer is 17"; not "if I'm not mistaken") retracts: no answer. A questioned X ("the answer is 17?")
   is no answer. Alternatives stay together, as math-verify reads them (a set, which a single gold
   never matches): "17 or 18" is kept whole, and "$x=1$ or $x=2$" is ``x=1 \\text{ or } x=2``. X
   must start like mathematics (a digit, sign, ``$``, ``\\``, bracket, or a lone letter such as
   ``x = 5`` or a choice ``B``) and be at most 100 characters, else there is no answer ("the answer
   is not 5"). A mention with nothing after it ("I trust this final answer.") is skipped for the
   statement before it. Numbers that are not stated as the answer never count, so reasoning text is
   never mined for a number.
4. *Bare tag content.* In a closed ``<answer>`` with no box and no statement, the whole content; in an
   unclosed one, only content of at most 100 characters (a long tail is reasoning, not an answer).
   Content with a box that was never closed (``<answer>\\boxed{17``) is no answer, as in rule 2.

No answer found: the reply scores 0 with ``failure="no_answer"``.

**What the answer says** (:func:`clean`, applied to the reply's answer *and* to the gold answer):

* *Delimiters*: outer ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``, a final full stop.
* *Unicode signs*: the minus sign U+2212 (and the small/full-width hyphen-minus) is ``-``, and so is an
  en dash U+2013 at the start of a number (``–5``; ``1–5`` is left alone); a full-width ``％`` is
  ``%``; thin, narrow and no-break spaces are spaces.
* *Wrappers*: markdown bold around the whole answer (``**17**``, ``__17__``) and a text box around a
  whole number with its notation (``\\text{12 cm}``, ``\\mbox{45\\%}``, ``\\text{\\$5}``) are taken
  off; a text box holding something else (``\\text{(A)}``) stays.
* *Digit grouping*: a space between two digits, in any spelling (``\\,``, ``\\;``, ``\\:``, ``\\ ``,
  ``\\!``, ``~``, ``\\thinspace``, ``\\enspace``, ``\\hspace{..}``, a plain or Unicode space), is not an
  operator: LaTeX has no implicit product of two numerals, and such a space only groups digits. The
  digits are joined: ``2\\,500`` is 2500, ``1\\,000`` is 1000 (never ``1 * 000 = 0``), ``3.141\\,59`` is
  3.14159. Commas group digits in the strict form ``1,234`` / ``12,345,678.9`` (``{,}``, `` {,} `` and
  ``,\\!`` are commas): as the whole answer, or inside an expression (``x = 1,000``, ``472/10,000``,
  ``\\frac{1}{1{,}000}``) when every comma of the answer is such a group comma and the answer is not
  bracketed (``(1,000)`` is a pair). Any other comma is a list separator (``1,2`` stays a pair, ``1,000, 2``
  a list). A braced comma ``{,}`` is never a list separator: before exactly three digits it groups
  (``9{,}500`` is 9500), before any other number of digits it is the decimal comma of LaTeX typesetting
  (``3{,}14`` is 3.14, ``0{,}5`` is 0.5).
* *Units and signs*, taken off the end of an answer, repeatedly: text units (``\\text{...}``,
  ``\\mbox{...}``, ``\\textrm{...}`` holding words, optionally squared or cubed, or a quotient of two,
  ``\\text{km}/\\text{h}``); ``\\mathrm{...}`` and plain words from a list of common units (cm, m, kg,
  s, hours, dollars, USD, degrees, units, ways, ...); ordinal suffixes after a digit
  (``5^{\\text{th}}``); a currency sign before or after the number (``\\$``, ``€``, ``£``, ``¥``,
  ``\\textdollar``, ``USD``, or one in a text box, ``\\text{\\$}``; ``1,000.99€``); a percent sign (``\\%``,
  ``%``, "percent", "percentage", "pct", also in a text box; see below). A degree sign (``°``,
  ``^\\circ``, ``^{\\circ}``, ``{}^\\circ``, ``{^\\circ}``, ``^o``, ``\\degree``, ``\\deg``, with an optional
  C/F) is taken off only when what is left is a number (``\\sin 30^\\circ`` keeps it, and math-verify reads
  it; ``x^o`` stays). math-verify itself also drops some plain unit words when it parses (its own list),
  which this module does not repeat.
* *Magnitude words are factors, not units*: "hundred", "thousand", "million", "billion", "trillion"
  after a number (plain or in a text box) become ``\\cdot 10^{k}``: ``\\$5\\text{ million}`` is 5000000,
  never 5.
* *Percent, both readings*: an answer with a percent sign matches its number *or* its number / 100
  when the other answer has no percent sign (gold 45 or 0.45 for ``45\\%``; gold ``45\\%`` for 45 or
  0.45). A bare number is never rescaled, and two percentages compare as numbers.
* *Degrees are a unit*: ``90^\\circ`` is 90; no conversion to radians.

An answer of the reply over 1,000 characters (``MAX_ANSWER``) is wrong without further work: no gold
answer is that long, and a degenerate box (thousands of ``\\,`` or units) would cost seconds of
normalisation per reply.

The cleaned answers then go to the exact path (equal strings; two rationals, i.e. integers, decimals,
``\\frac{a}{b}`` and ``a/b``, compare as exact fractions) and, when that cannot decide, to math-verify.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

MAX_STATED = 100  # characters of a stated answer, or of the bare content of an unclosed <answer>
MAX_ANSWER = 1000  # characters of an answer that can be right (module docstring, "What the answer says")
_BOX_RE = re.compile(r"\\boxed|\\fbox")
_BOX_WORD_RE = re.compile(r"\\(?:boxed|fbox)\b")
_BOX_TOKEN_RE = re.compile(r"\s+([^\s${}]+)")  # "\boxed 5": one token

# --- where the answer is -----------------------------------------------------------------------------------------

_TO_THE_PROBLEM = r"(?:\s+(?:to|for)\s+(?:the|this|our)\s+(?:problem|question))?"
_STATEMENT_RE = re.compile(
    rf"\bfinal\s+answer\b{_TO_THE_PROBLEM}(?:\s*\*\*)?\s*(?:is\b|was\b|[:：=])?"
    rf"|\banswer\b{_TO_THE_PROBLEM}(?:\s*\*\*)?\s*"
    r"(?:is\b|was\b|would\s+be\b|should\s+be\b|will\s+be\b|must\s+be\b|has\s+to\s+be\b|equals\b|[:：=])"
    r"|^[ \t>#*_]*answer[ \t*_]*$",  # a heading "### Answer" / "**Answer**" alone on its line: X follows it
    re.IGNORECASE | re.MULTILINE,
)
_LEAD_RE = re.compile(r"(?:[\s*:：]|\b(?:[a-z]+ly|therefore|thus|hence|indeed|just|then|now|so)\b)*", re.IGNORECASE)
_MATH_SPANS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_MATH_SPAN_OPEN = re.compile("|".join(re.escape(left) for left, _ in _MATH_SPANS))
_MATH_SPAN_CLOSE = re.compile("|".join(re.escape(right) for _, right in _MATH_SPANS))
_SENTENCE_END_RE = re.compile(r"(?<!\d)\.(?!\d)|\.(?=\s|$)|。|;|\?|,\s+[A-Za-z]{2,}|\n|\s+(?:because|since|which|"
                              r"where|when|as|so|but|for|from|by|if|then|after|using|with|in|of|meaning|not|"
                              r"i\.e\.)\b")
_LOOSE_DELIMITERS_RE = re.compile(r"^(?:\\\[|\\\(|\$)+|(?:\\\]|\\\)|\$)+$")  # a math span cut open at the line end
_MATHLIKE_RE = re.compile(r"[-+−\d.$\\(\[{√π∞]|[A-Za-z](?![A-Za-z])")
# end-of-sequence tokens left at the end of a decoded reply ("<|im_end|>", "<｜end▁of▁sentence｜>", "</s>")
_END_TOKEN_RE = re.compile(r"(?:<[|｜][A-Za-z_▁]{1,30}[|｜]>|</s>|<eos>)\s*$")
_OPEN_TAG_RE = re.compile(r"<\s*answer\s*>", re.IGNORECASE)
_CLOSE_TAG_RE = re.compile(r"<\s*/\s*answer\s*>", re.IGNORECASE)
_PARTIAL_CLOSE_RE = re.compile(r"<\s*/?\s*(?:a(?:n(?:s(?:w(?:e(?:r\s*)?)?)?)?)?)?>?\s*$", re.IGNORECASE)
# What comes before "the answer is X" in its clause (since the last , ; : . ! ? or line break): a hypothesis or a
# question ("if the answer is 17, ...", "suppose ...", "check whether ...") is no statement, a negation ("I don't
# think the answer is 17", "it is not true that ...") retracts the answer.
_CLAUSE_CUT_RE = re.compile(r"[,;:!?\n]|\.(?!\d)|\b(?:so|thus|therefore|hence|and|but|then)\b", re.IGNORECASE)
# the hypothesis word governs the statement: "if the answer is", "suppose that our final answer is" (at most two
# words between), never "if I'm not mistaken the answer is" or "if we do all this the answer is"
_HYPOTHESIS_RE = re.compile(r"\b(?:if|suppose|supposing|assume|assuming|whether|maybe|perhaps|unless|in\s+case)\s+"
                            r"(?:that\s+)?(?:\w+\s+){0,2}$", re.IGNORECASE)
_NEGATION_RE = re.compile(r"\b(?:not|never|no\s+longer|doubt)\b(?!\s+(?:mistaken|wrong)\b)|n[’']t\b(?!\s+(?:mistaken|"
                          r"wrong)\b)", re.IGNORECASE)  # "if I'm not mistaken" affirms
_OR_SPAN_RE = re.compile(r"\s*or\s+(?=\$|\\\(|\\\[)", re.IGNORECASE)  # "$x=1$ or $x=2$": alternatives


def last_boxed(text: str) -> str | None:
    """Content of the last non-empty ``\\boxed{...}`` or ``\\fbox{...}`` (braces balanced); None if absent, or if
    the last one is never closed. An empty box (``\\boxed{}``) is skipped, as an empty ``<answer>`` tag is.

    ``\\boxed 5`` (no braces) boxes one token, as in LaTeX."""
    for box in reversed(list(_BOX_RE.finditer(text))):
        content = _box_content(text, box.start())
        if content is None or content.strip():
            return content
    return None


def _box_content(text: str, start: int) -> str | None:
    i = start + (6 if text.startswith("\\boxed", start) else 5)
    rest = text[i:]
    if not rest.lstrip().startswith("{"):
        m = _BOX_TOKEN_RE.match(rest)
        return m.group(1) if m else None
    brace, depth = i + len(rest) - len(rest.lstrip()), 0
    for j in range(brace, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[brace + 1 : j].strip()
    return None


def answer_region(reply: str) -> tuple[str, str]:
    """(region, kind): kind is "closed" or "unclosed" (an ``<answer>`` tag's content) or "reply".

    The region is the last tag with content; an empty tag after it (``<answer></answer>``, or an opening tag
    the reply stops at) does not hide it. Only empty tags: the region is "" (no answer)."""
    opens = list(_OPEN_TAG_RE.finditer(reply))
    if not opens:
        return reply, "reply"
    for tag in reversed(opens):
        body = reply[tag.end():]
        end = _CLOSE_TAG_RE.search(body)
        region, kind = (body[:end.start()], "closed") if end else (_PARTIAL_CLOSE_RE.sub("", body.rstrip()), "unclosed")
        if region.strip():
            return region, kind
    return "", "closed"


def _math_span(text: str) -> str | None:
    for left, right in _MATH_SPANS:
        if text.startswith(left):
            end = text.find(right, len(left))
            return text[len(left):end] if end > 0 else None
    return None


def _clause_before(text: str, end: int) -> str:
    """The clause that ``text[:end]`` ends with: after its last , ; : . ! ? line break, or so/thus/and/but/then."""
    before = text[max(0, end - 200): end]
    cuts = list(_CLAUSE_CUT_RE.finditer(before))
    return before[cuts[-1].end():] if cuts else before


def _stated_value(rest: str) -> tuple[str, bool]:
    """(X, questioned) of the text after "the answer is": a math span (spans joined by "or" kept together as
    alternatives), else the rest of the sentence."""
    spans, at = [], 0
    while (span := _math_span(rest[at:])) is not None:
        spans.append(span)
        at += len(_MATH_SPAN_OPEN.match(rest[at:]).group()) + len(span)
        at += len(_MATH_SPAN_CLOSE.match(rest[at:]).group())
        joined = _OR_SPAN_RE.match(rest[at:])
        if not joined:
            break
        at += joined.end()
    if spans:
        return " \\text{ or } ".join(s.strip() for s in spans), False
    cut = _SENTENCE_END_RE.search(rest)
    return (rest[: cut.start()] if cut else rest), bool(cut) and cut.group() == "?"


def stated_answer(text: str) -> str | None:
    """X of the last "the answer is X" / "final answer: X" statement in ``text`` (module docstring, rule 3).

    A mention with nothing after it ("... this final answer.") is no statement, and the one before counts;
    a statement of something that is not mathematics ("the answer is not 5") ends the search: no answer."""
    for match in reversed(list(_STATEMENT_RE.finditer(text))):
        clause = _clause_before(text, match.start())
        if _NEGATION_RE.search(clause):
            return None  # "I don't think the answer is 17": a retraction
        if _HYPOTHESIS_RE.search(clause):
            continue  # "if the answer is 17, then ...": a hypothesis, not a statement
        rest = text[match.end():]
        rest = rest[_LEAD_RE.match(rest).end():]  # bold markers, colons, blank space, "therefore", "clearly", ...
        value, question = _stated_value(rest)
        value = _LOOSE_DELIMITERS_RE.sub("", value.strip().strip("*").strip()).strip()
        if not value:
            continue
        if question:
            return None  # "the answer is 17?": not decided
        return value if len(value) <= MAX_STATED and _MATHLIKE_RE.match(value) else None
    return None


def _drop_end_tokens(reply: str) -> str:
    """``reply`` without the end-of-sequence tokens at its end; each is looked for in the last characters only, so
    that a reply of thousands of them costs linear time."""
    end = len(reply)
    while True:
        while end and reply[end - 1].isspace():
            end -= 1
        m = _END_TOKEN_RE.search(reply, max(0, end - 40), end)
        if m is None:
            return reply[:end]
        end = m.start()


def extract_answer(reply: str) -> str | None:
    """The final answer of a reply (module docstring, "Where the answer is"), or None."""
    if not isinstance(reply, str):
        return None
    region, kind = answer_region(_drop_end_tokens(reply))
    boxed = last_boxed(region)
    if boxed is not None:
        return boxed
    stated = stated_answer(region)
    if stated is not None or kind == "reply":
        return stated
    bare = region.strip()
    if not bare or (kind == "unclosed" and len(bare) > MAX_STATED) or _BOX_WORD_RE.search(bare):
        return None  # nothing, a long tail of reasoning, or a box that was never closed
    return bare


# --- what the answer says ----------------------------------------------------------------------------------------

_UNICODE = str.maketrans({"\u2212": "-", "\ufe63": "-", "\uff0d": "-", "\uff05": "%", "\u2009": " ", "\u202f": " ",
                          "\u00a0": " ", "\u2007": " ", "\u200a": " "})
_SPACE = (r"(?:\\[,;:! ]|\\(?:thinspace|medspace|thickspace|negthinspace|enspace|quad|qquad)(?![A-Za-z])"
          r"|\\hspace\*?\s*\{[^{}]*\}|~|\s)")
_DIGIT_SPACE_RE = re.compile(rf"(?<=\d){_SPACE}+(?=\d)")
# {,} before a digit run that is not a group of exactly three digits: a decimal comma (not "9{,}500")
_DECIMAL_BRACE_COMMA_RE = re.compile(r"(?<=\d)\s*\{\s*,\s*\}\s*(?=\d(?:\d{3,}|\d?)(?!\d))")
_BRACE_COMMA_RE = re.compile(r"\s*\{\s*,\s*\}\s*")  # "{,}": a comma
_COMMA_GROUPS_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# a number written with comma groups inside a larger answer ("x = 1,000", "472/10,000", "\frac{1}{1,000}")
_COMMA_NUMBER_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
_BRACKETED_RE = re.compile(r"^\s*(?:\\left\s*)?(?:[(\[]|\\\{|\\langle)")  # a tuple, interval, set: commas separate
_TEXT_WRAPPED_RE = re.compile(r"^\\(?:text|textrm|mbox|textnormal|mathrm)\s*\{(?P<body>\s*(?:[-+\d.]|\\\$|\$|€|£|¥)"
                              r"[^{}]*(?:\{[^{}]*\}[^{}]*)*)\}$")
_BOLD_RE = re.compile(r"^(\*\*|__)(?P<body>(?:(?!\1).)+)\1$", re.DOTALL)
# Plain words taken as units after a number. Single letters (m, s, g, h, L) count only inside \text/\mathrm:
# "2m" or "3 n" may be a product with a variable.
_UNIT_WORDS = (
    "mm|cm|km|meters?|metres?|kilometers?|centimeters?|millimeters?|inch|inches|feet|foot|ft|yards?|yd|miles?|"
    "mph|kph|km/h|m/s|kg|mg|grams?|kilograms?|pounds?|lbs?|lb|ounces?|oz|tons?|"
    "sec|secs|seconds?|min|mins|minutes?|hr|hrs|hours?|days?|weeks?|months?|years?|"
    "ml|mL|liters?|litres?|gallons?|dollars?|cents?|euros?|units?|sq\\s*units|square\\s+units|"
    "square\\s+(?:feet|meters|metres|inches|centimeters|miles|units)|cubic\\s+(?:feet|meters|metres|inches|"
    "centimeters|units)|points?|ways|students|people|persons|apples|marbles|cookies|coins|"
    "degrees?|deg|radians?|rad|USD|EUR|GBP"
)
_POWER = r"(?:\s*\^\s*\{?\s*[23]\s*\}?|[²³])?"
_TEXT_UNIT = rf"\\(?:text|mbox|textrm|textnormal|textit|textbf)\s*\{{[\s~]*[A-Za-z][A-Za-z .'/-]*\}}{_POWER}"
_UNIT_TAIL_RE = re.compile(
    rf"(?<=\S){_SPACE}*(?:{_TEXT_UNIT}(?:\s*/\s*{_TEXT_UNIT})?"  # \text{ cm}^2, \text{km}/\text{h}
    rf"|\\mathrm\s*\{{\s*(?:{_UNIT_WORDS}|[mgsLh])\s*\}}{_POWER}"
    rf"|(?<=[\d}}\s])(?:{_UNIT_WORDS}){_POWER})\s*$"
)
_ORDINAL_TAIL_RE = re.compile(r"(?<=\d)\s*(?:\^\s*\{?\s*(?:\\(?:text|mathrm)\s*\{)?(?:st|nd|rd|th)\}?\}?"
                              r"|\\(?:text|mathrm)\s*\{(?:st|nd|rd|th)\}|st|nd|rd|th)\s*$")


def _in_text_box(body: str, commands: str = "text|mbox|textrm") -> str:
    """Pattern: ``body`` alone in a text box (``\\text{ % }``)."""
    return rf"\\(?:{commands})\s*\{{\s*(?:{body})\s*\}}"


def _tail_re(body: str, after: str = "") -> re.Pattern:
    """A sign or word ``body`` at the end of an answer, after optional spaces (and the lookbehind ``after``)."""
    return re.compile(rf"{after}{_SPACE}*(?:{body})\s*$")


_DEGREE_TAIL_RE = _tail_re(r"(?:\{\s*\})?(?:°|\^\s*\\circ|\^\s*\{\s*\\circ\s*\}|\\degree|\\textdegree|\^\s*o"
                           r"|\^\s*\{\s*o\s*\}|\\text\s*\{\s*°\s*\}|\{\s*\^\s*\{?\s*\\circ\s*\}?\s*\}|\\deg(?![A-Za-z]))"
                           r"\s*(?:\\(?:text|mathrm)\s*\{\s*[CF]\s*\}|[CF])?")
_PERCENT_WORD = r"percent|percentage|pct"
_PERCENT_TAIL_RE = _tail_re(r"\\%|%|" + _in_text_box(r"\\?%|" + _PERCENT_WORD) + rf"|(?<![A-Za-z])(?:{_PERCENT_WORD})\b")
# a trailing currency sign ("1,000.99€", "5\$") after a number
_CURRENCY_TAIL_RE = _tail_re(r"\\\$|€|£|¥|\\euro|\\textdollar|" + _in_text_box(r"\\\$|€|£|¥", "text|mbox"),
                             after=r"(?<=[\d}.])")
# a magnitude word is a factor, never a unit: "5 million" is 5 \cdot 10^{6}
_MAGNITUDES = {"hundred": 2, "thousand": 3, "million": 6, "billion": 9, "trillion": 12}
_MAGNITUDE_WORD = "|".join(_MAGNITUDES)
_MAGNITUDE_TAIL_RE = _tail_re(_in_text_box(f"(?P<a>{_MAGNITUDE_WORD})") + rf"|(?P<b>{_MAGNITUDE_WORD})\b",
                              after=r"(?<=[\d}.])")
_CURRENCY_HEAD_RE = re.compile(r"^(?P<sign>[+-]?)\s*(?:\\\$|\$|\\textdollar|\\euro|\\pounds|\\yen|€|£|¥"
                               r"|(?:USD|EUR|GBP)\b|" + _in_text_box(r"\\\$|\$|\\textdollar|€|£|¥") + ")"
                               r"\s*(?:\\[,;: !])*\s*")
_EN_DASH_SIGN_RE = re.compile(r"^\u2013\s*(?=[\d.])")  # a leading en dash before a number
_TEXT_RE = re.compile(r"\\text\{(.*?)\}")
_BLANK_RE = re.compile(r"\s+")
_TRAILING_SPACE_RE = re.compile(rf"(?:{_SPACE}|[.,;])+$")
_DEC_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_FRAC_RE = re.compile(r"(?P<sign>[+-]?)(?:\\frac(?:\{(?P<n1>\d+)\}|(?P<n3>\d))(?:\{(?P<d1>\d+)\}|(?P<d3>\d))"
                      r"|(?P<n2>\d+)/(?P<d2>\d+))")


@dataclasses.dataclass(frozen=True)
class Cleaned:
    """An answer with notation taken off: ``text`` is still LaTeX (safe to hand to math-verify);
    ``percent`` says a percent sign was taken off (module docstring, "Percent, both readings")."""

    text: str
    percent: bool = False


def _strip_delimiters(s: str) -> str:
    while True:
        s = s.strip()
        for left, right in _MATH_SPANS:  # "$$" before "$"
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s = s[len(left): len(s) - len(right)]
                break
        else:
            return s.removeprefix("\\displaystyle").strip()


def _unwrap(s: str) -> str:
    """Markdown bold around the whole answer (``**17**``), and a text box around a whole number with its notation
    (``\\text{12 cm}``, ``\\text{45\\%}``, ``\\mbox{\\$5}``), are taken off; text that is not a number stays."""
    while True:
        m = _BOLD_RE.match(s.strip()) or _TEXT_WRAPPED_RE.match(s.strip())
        if not m or not m["body"].strip():
            return s
        s = m["body"].strip()


def _join_digit_groups(s: str) -> str:
    s = _DECIMAL_BRACE_COMMA_RE.sub(".", s)  # "3{,}14" is 3.14: {,} is the decimal comma of LaTeX typesetting
    s = _BRACE_COMMA_RE.sub(",", s).replace(",\\!", ",")
    s = _DIGIT_SPACE_RE.sub("", s)
    compact = s.strip()
    if _COMMA_GROUPS_RE.fullmatch(compact):
        return compact.replace(",", "")
    if _BRACKETED_RE.match(s) or s.count(",") != sum(m.group().count(",") for m in _COMMA_NUMBER_RE.finditer(s)):
        return s  # a bracketed tuple/interval/set, or some comma that is not a digit-group comma: a list
    return _COMMA_NUMBER_RE.sub(lambda m: m.group().replace(",", ""), s)


def _is_number(s: str) -> bool:
    return as_rational(canonical(_join_digit_groups(s))) is not None


def _take_percent(s: str, percent: bool) -> tuple[str, bool]:
    """(``s`` without its percent sign, True) the first time one is there, else ``(s, percent)`` unchanged."""
    if percent:
        return s, True
    core = _PERCENT_TAIL_RE.sub("", s)
    return (core, True) if core != s and core.strip() else (s, False)


def clean(answer: str) -> Cleaned:
    """``answer`` with delimiters, units, currency and ordinal signs taken off and digit groups joined (an answer
    over :data:`MAX_ANSWER` characters only loses its delimiters: the rules' work stays bounded)."""
    if len(answer) > MAX_ANSWER:
        return Cleaned(_strip_delimiters(answer))
    s = _strip_delimiters(answer.translate(_UNICODE))
    s = _EN_DASH_SIGN_RE.sub("-", s)  # a leading en dash before a number is a minus sign
    s = _unwrap(s)
    s = _CURRENCY_HEAD_RE.sub(r"\g<sign>", s)
    percent = False
    while True:
        before = s
        s = _TRAILING_SPACE_RE.sub("", s) or s
        s, percent = _take_percent(s, percent)  # before units: "\text{ percent}" is a percent sign, not a unit
        s = _MAGNITUDE_TAIL_RE.sub(lambda m: f" \\cdot 10^{{{_MAGNITUDES[m['a'] or m['b']]}}}", s)
        s = _CURRENCY_TAIL_RE.sub("", s) or s
        s = _UNIT_TAIL_RE.sub("", s) or s
        s = _ORDINAL_TAIL_RE.sub("", s) or s
        core = _DEGREE_TAIL_RE.sub("", s)
        if core != s and _is_number(core):
            s = core
        s, percent = _take_percent(s, percent)
        s = _CURRENCY_HEAD_RE.sub(r"\g<sign>", _unwrap(_strip_delimiters(s)))
        if s == before:
            break
    return Cleaned(_join_digit_groups(s).strip(), percent)


def canonical(s: str) -> str:
    """Whitespace-free spelling for string equality (not for math-verify: it would glue LaTeX commands)."""
    s = _TEXT_RE.sub(r"\1", s)
    for old, new in (("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\!", ""), ("\\left", ""), ("\\right", "")):
        s = s.replace(old, new)
    return _BLANK_RE.sub("", s).rstrip(".")


def as_rational(s: str) -> Fraction | None:
    """A canonical integer, decimal or simple fraction ("\\frac{a}{b}", "a/b") as a Fraction, else None."""
    if _DEC_RE.fullmatch(s):
        try:
            return Fraction(Decimal(s))
        except (InvalidOperation, ValueError):
            return None
    m = _FRAC_RE.fullmatch(s)
    if m:
        num, den = int(m["n1"] or m["n2"] or m["n3"]), int(m["d1"] or m["d2"] or m["d3"])
        return (-1 if m["sign"] == "-" else 1) * Fraction(num, den) if den else None
    return None


def readings(answer: Cleaned, other: Cleaned) -> list[str]:
    """The spellings of ``answer`` to compare with ``other``: its text, and its text / 100 when only it had a
    percent sign (module docstring, "Percent, both readings")."""
    if answer.percent and not other.percent:
        return [answer.text, f"\\frac{{{answer.text}}}{{100}}"]
    return [answer.text]


def fast_match(pred: str, gold: str) -> bool | None:
    """True/False when decided without symbolic work, None when math-verify must decide.

    Equal canonical strings match; two rationals compare as exact values ("033" == "33",
    "\\frac{2}{4}" == "0.5", "2\\,500" == "2,500" == "2500"), with both readings of a one-sided percent."""
    if len(pred) > MAX_ANSWER:
        return False  # no gold answer is that long (a degenerate box of repeated spaces, units, ...)
    return match_cleaned(clean(pred), clean(gold))


def match_cleaned(p: Cleaned, g: Cleaned) -> bool | None:
    """:func:`fast_match` of two answers already through :func:`clean` (so a caller that goes on to math-verify
    cleans each answer once)."""
    pc, gc = canonical(p.text), canonical(g.text)
    if not pc or not gc:
        return False
    if pc == gc:
        return True
    pr, gr = as_rational(pc), as_rational(gc)
    if pr is None or gr is None:
        return None
    scale = {(True, False): (Fraction(1, 100), 1), (False, True): (1, Fraction(1, 100))}.get((p.percent, g.percent))
    return pr == gr or (scale is not None and pr * scale[0] == gr * scale[1])
