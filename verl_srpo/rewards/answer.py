"""The final answer of a math reply: where it is, and what it says once notation is taken off.

Used by :mod:`verl_srpo.rewards.math`; math-verify does the symbolic part there. Each rule below is a
class of replies that public reports against verl, math-verify and other RL stacks describe; each is
decided with SRPO's data in mind (AIME answers are integers 0-999; the training data also has
fractions, radicals and expressions) and tested in ``tests/rewards/test_answer.py``.

**Where the answer is** (:func:`extract_answer`):

1. *Answer tag.* The region is the content of the last ``<answer>``. If that tag is never closed
   (the model stopped right after its answer), the region runs to the end of the reply; a trailing
   partial ``</answer`` is dropped. Without ``<answer>``, the region is the whole reply.
2. *Box.* In the region, the last ``\\boxed{...}`` / ``\\fbox{...}`` (braces balanced; ``\\boxed 5``
   without braces takes one token). A box that is never closed is no answer.
3. *Stated answer.* Without a box, the last explicit answer statement of the region: "the answer is
   X", "final answer: X", "**Final Answer** X" (X on that line or the next), "answer = X". X is the
   math span that follows, or the rest of the sentence (up to a full stop that is not a decimal
   point, a semicolon, ", <word>", or a joining word such as "because", "since", "which", "in");
   adverbs like "therefore"/"clearly" before it are skipped. X
   must start like mathematics (a digit, sign, ``$``, ``\\``, bracket, or a lone letter such as
   ``x = 5`` or a choice ``B``) and be at most 100 characters, else there is no answer ("the answer
   is not 5"). A mention with nothing after it ("I trust this final answer.") is skipped for the
   statement before it. Numbers that are not stated as the answer never count, so reasoning text is
   never mined for a number.
4. *Bare tag content.* In a closed ``<answer>`` with no box and no statement, the whole content; in an
   unclosed one, only content of at most 100 characters (a long tail is reasoning, not an answer).

No answer found: the reply scores 0 with ``failure="no_answer"``.

**What the answer says** (:func:`clean`, applied to the reply's answer *and* to the gold answer):

* *Delimiters*: outer ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``, a final full stop.
* *Unicode signs*: the minus sign U+2212 (and the small/full-width hyphen-minus) is ``-``; a full-width
  ``％`` is ``%``; thin, narrow and no-break spaces are spaces.
* *Digit grouping*: a space between two digits, in any spelling (``\\,``, ``\\;``, ``\\:``, ``\\ ``,
  ``\\!``, ``~``, ``\\thinspace``, a plain or Unicode space), is not an operator: LaTeX has no implicit
  product of two numerals, and such a space only groups digits. The digits are joined: ``2\\,500`` is
  2500, ``1\\,000`` is 1000 (never ``1 * 000 = 0``), ``3.141\\,59`` is 3.14159. Commas group digits only
  in the strict form ``1,234`` / ``12,345,678.9`` of the whole answer (``{,}`` and ``,\\!`` are commas);
  any other comma is a list separator (``1,2`` stays a pair).
* *Units and signs*, taken off the end of an answer, repeatedly: text units (``\\text{...}``,
  ``\\mbox{...}``, ``\\textrm{...}`` holding words, optionally squared or cubed); ``\\mathrm{...}`` and
  plain words from a list of common units (cm, m, kg, s, hours, dollars, degrees, units, ways, ...);
  ordinal suffixes after a digit (``5^{\\text{th}}``); a leading currency sign (``\\$``, ``€``, ``£``,
  ``¥``); a percent sign (``\\%``, ``%``, "percent"; see below). A degree sign (``°``, ``^\\circ``,
  ``^{\\circ}``, ``\\degree``, with an optional C/F) is taken off only when what is left is a number
  (``\\sin 30^\\circ`` keeps it, and math-verify reads it). math-verify itself also drops some plain
  unit words when it parses (its own list), which this module does not repeat.
* *Percent, both readings*: an answer with a percent sign matches its number *or* its number / 100
  when the other answer has no percent sign (gold 45 or 0.45 for ``45\\%``; gold ``45\\%`` for 45 or
  0.45). A bare number is never rescaled, and two percentages compare as numbers.
* *Degrees are a unit*: ``90^\\circ`` is 90; no conversion to radians.

The cleaned answers then go to the exact path (equal strings; two rationals, i.e. integers, decimals,
``\\frac{a}{b}`` and ``a/b``, compare as exact fractions) and, when that cannot decide, to math-verify.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

MAX_STATED = 100  # characters of a stated answer, or of the bare content of an unclosed <answer>

# --- where the answer is -----------------------------------------------------------------------------------------

_STATEMENT_RE = re.compile(
    r"\bfinal\s+answer\b(?:\s*\*\*)?\s*(?:is\b|was\b|[:：=])?"
    r"|\banswer\b(?:\s*\*\*)?\s*(?:is\b|was\b|would\s+be\b|should\s+be\b|will\s+be\b|equals\b|[:：=])",
    re.IGNORECASE,
)
_LEAD_RE = re.compile(r"(?:[\s*:：]|\b(?:[a-z]+ly|therefore|thus|hence|indeed|just|then|now|so)\b)*", re.IGNORECASE)
_MATH_SPANS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_SENTENCE_END_RE = re.compile(r"(?<!\d)\.(?!\d)|\.(?=\s|$)|。|;|,\s+[A-Za-z]{2,}|\n|\s+(?:because|since|which|where|"
                              r"when|as|so|but|for|from|by|if|then|after|using|with|in|of|meaning|i\.e\.)\b")
_LOOSE_DELIMITERS_RE = re.compile(r"^(?:\\\[|\\\(|\$)+|(?:\\\]|\\\)|\$)+$")  # a math span cut open at the line end
_MATHLIKE_RE = re.compile(r"[-+−\d.$\\(\[{√π∞]|[A-Za-z](?![A-Za-z])")


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` or ``\\fbox{...}`` (braces balanced); None if absent or unclosed.

    ``\\boxed 5`` (no braces) boxes one token, as in LaTeX."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = start + (6 if text.startswith("\\boxed", start) else 5)
    rest = text[i:]
    if not rest.lstrip().startswith("{"):
        m = re.match(r"\s+([^\s${}]+)", rest)
        return m.group(1) if m else None
    brace, depth = i + len(rest) - len(rest.lstrip()), 0
    for j in range(brace, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[brace + 1 : j].strip()
    return None


def answer_region(reply: str) -> tuple[str, str]:
    """(region, kind): kind is "closed" or "unclosed" (an ``<answer>`` tag's content) or "reply"."""
    start = reply.rfind("<answer>")
    if start < 0:
        return reply, "reply"
    body = reply[start + len("<answer>"):]
    end = body.find("</answer>")
    if end >= 0:
        return body[:end], "closed"
    return re.sub(r"</?a?n?s?w?e?r?>?\s*$", "", body.rstrip()), "unclosed"


def _math_span(text: str) -> str | None:
    for left, right in _MATH_SPANS:
        if text.startswith(left):
            end = text.find(right, len(left))
            return text[len(left):end] if end > 0 else None
    return None


def stated_answer(text: str) -> str | None:
    """X of the last "the answer is X" / "final answer: X" statement in ``text`` (module docstring, rule 3).

    A mention with nothing after it ("... this final answer.") is no statement, and the one before counts;
    a statement of something that is not mathematics ("the answer is not 5") ends the search: no answer."""
    for match in reversed(list(_STATEMENT_RE.finditer(text))):
        rest = text[match.end():]
        rest = rest[_LEAD_RE.match(rest).end():]  # bold markers, colons, blank space, "therefore", "clearly", ...
        value = _math_span(rest)
        if value is None:
            cut = _SENTENCE_END_RE.search(rest)
            value = rest[: cut.start()] if cut else rest
        value = _LOOSE_DELIMITERS_RE.sub("", value.strip().strip("*").strip()).strip()
        if not value:
            continue
        return value if len(value) <= MAX_STATED and _MATHLIKE_RE.match(value) else None
    return None


def extract_answer(reply: str) -> str | None:
    """The final answer of a reply (module docstring, "Where the answer is"), or None."""
    if not isinstance(reply, str):
        return None
    region, kind = answer_region(reply)
    boxed = last_boxed(region)
    if boxed is not None:
        return boxed
    stated = stated_answer(region)
    if stated is not None or kind == "reply":
        return stated
    bare = region.strip()
    if not bare or (kind == "unclosed" and len(bare) > MAX_STATED):
        return None
    return bare


# --- what the answer says ----------------------------------------------------------------------------------------

_UNICODE = {"\u2212": "-", "\ufe63": "-", "\uff0d": "-", "\uff05": "%", "\u2009": " ", "\u202f": " ", "\u00a0": " ",
            "\u2007": " ", "\u200a": " "}
_SPACE = r"(?:\\[,;:! ]|\\thinspace|\\medspace|\\thickspace|\\quad|\\qquad|~|\s)"
_DIGIT_SPACE_RE = re.compile(rf"(?<=\d){_SPACE}+(?=\d)")
_COMMA_GROUPS_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# Plain words taken as units after a number. Single letters (m, s, g, h, L) count only inside \text/\mathrm:
# "2m" or "3 n" may be a product with a variable.
_UNIT_WORDS = (
    "mm|cm|km|meters?|metres?|kilometers?|centimeters?|millimeters?|inch|inches|feet|foot|ft|yards?|yd|miles?|"
    "mph|kph|km/h|m/s|kg|mg|grams?|kilograms?|pounds?|lbs?|lb|ounces?|oz|tons?|"
    "sec|secs|seconds?|min|mins|minutes?|hr|hrs|hours?|days?|weeks?|months?|years?|"
    "ml|mL|liters?|litres?|gallons?|dollars?|cents?|euros?|units?|sq\\s*units|square\\s+units|"
    "square\\s+(?:feet|meters|metres|inches|centimeters|miles|units)|cubic\\s+(?:feet|meters|metres|inches|"
    "centimeters|units)|points?|ways|students|people|persons|apples|marbles|cookies|coins|"
    "degrees?|deg|radians?|rad"
)
_POWER = r"(?:\s*\^\s*\{?\s*[23]\s*\}?|[²³])?"
_UNIT_TAIL_RE = re.compile(
    rf"(?<=\S){_SPACE}*(?:\\(?:text|mbox|textrm|textnormal|textit|textbf)\s*\{{[\s~]*[A-Za-z][A-Za-z .'/-]*\}}{_POWER}"
    rf"|\\mathrm\s*\{{\s*(?:{_UNIT_WORDS}|[mgsLh])\s*\}}{_POWER}"
    rf"|(?<=[\d}}\s])(?:{_UNIT_WORDS}){_POWER})\s*$"
)
_ORDINAL_TAIL_RE = re.compile(r"(?<=\d)\s*(?:\^\s*\{?\s*(?:\\(?:text|mathrm)\s*\{)?(?:st|nd|rd|th)\}?\}?"
                              r"|\\(?:text|mathrm)\s*\{(?:st|nd|rd|th)\}|st|nd|rd|th)\s*$")
_DEGREE_TAIL_RE = re.compile(rf"{_SPACE}*(?:°|\^\s*\\circ|\^\s*\{{\s*\\circ\s*\}}|\\degree|\\textdegree)"
                             rf"\s*(?:\\(?:text|mathrm)\s*\{{\s*[CF]\s*\}}|[CF])?\s*$")
_PERCENT_TAIL_RE = re.compile(rf"{_SPACE}*(?:\\%|%|\\text\s*\{{\s*\\?%\s*\}}|\\text\s*\{{\s*percent\s*\}}|percent)\s*$")
_CURRENCY_HEAD_RE = re.compile(r"^(?P<sign>[+-]?)\s*(?:\\\$|\$|\\textdollar|\\euro|\\pounds|\\yen|€|£|¥)\s*")
_TRAILING_SPACE_RE = re.compile(rf"(?:{_SPACE}|[.,;])+$")
_INT_RE = re.compile(r"[+-]?\d+")
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
        for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
                s = s[len(left): len(s) - len(right)]
                break
        else:
            return s.removeprefix("\\displaystyle").strip()


def _join_digit_groups(s: str) -> str:
    s = s.replace("{,}", ",").replace(",\\!", ",")
    s = _DIGIT_SPACE_RE.sub("", s)
    compact = s.strip()
    return compact.replace(",", "") if _COMMA_GROUPS_RE.fullmatch(compact) else s


def _is_number(s: str) -> bool:
    return as_rational(canonical(_join_digit_groups(s))) is not None


def clean(answer: str) -> Cleaned:
    """``answer`` with delimiters, units, currency and ordinal signs taken off and digit groups joined."""
    s = _strip_delimiters("".join(_UNICODE.get(ch, ch) for ch in answer))
    s = _CURRENCY_HEAD_RE.sub(r"\g<sign>", s)
    percent = False
    while True:
        before = s
        s = _TRAILING_SPACE_RE.sub("", s) or s
        s = _UNIT_TAIL_RE.sub("", s) or s
        s = _ORDINAL_TAIL_RE.sub("", s) or s
        core = _DEGREE_TAIL_RE.sub("", s)
        if core != s and _is_number(core):
            s = core
        core = _PERCENT_TAIL_RE.sub("", s)
        if core != s and core.strip() and not percent:
            s, percent = core, True
        s = _CURRENCY_HEAD_RE.sub(r"\g<sign>", _strip_delimiters(s))
        if s == before:
            break
    return Cleaned(_join_digit_groups(s).strip(), percent)


def canonical(s: str) -> str:
    """Whitespace-free spelling for string equality (not for math-verify: it would glue LaTeX commands)."""
    s = re.sub(r"\\text\{(.*?)\}", r"\1", s)
    for old, new in (("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\!", ""), ("\\left", ""), ("\\right", "")):
        s = s.replace(old, new)
    return re.sub(r"\s+", "", s).rstrip(".")


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
    p, g = clean(pred), clean(gold)
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
