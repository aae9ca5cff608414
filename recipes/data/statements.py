"""Each source's own wrapper around a problem, and the rule that cuts it off.

Deduplication, decontamination and the prompt all work on the *bare statement*: the problem as its
author wrote it, without the instructions a dataset wraps around it. Every source has one rule, named
after it; each wrapper was read from the dataset and from public code that loads it (sources in
``recipes/data/README.md``). A text that lacks its source's wrapper is :class:`Malformed`: a rule cuts
only what it recognises, it never guesses.

* ``dapo_math`` (``prompt[0].content``): DAPO's "Solve the following math problem step by step. ..."
  before the problem and "Remember to put your answer on its own line after "Answer:"." after it.
* ``primeintellect`` (``prompt``; open-r1's copy: ``problem_statement``): "Solve the following coding
  problem using the programming language <lang>:" before, "Now solve the problem and return the code."
  after, and before that either the stdin note ("The input will be stdin and you should print your
  solution to stdout") or the function note ("Write your solution by modifying this code: ```python
  ...``` Your solution should implemented in the function "<name>". ..."; starter code and name kept).
* ``deepscaler`` (``problem``), ``taco`` and ``taco_verified`` (``question``; starter code is its own
  column), ``livecodebench`` (``question_content``; LiveCodeBench adds its instructions at prompt time):
  no wrapper, the column is the bare problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class Malformed(ValueError):
    """A source row that cannot become a training record: ``reason`` is the category, the message the detail."""

    def __init__(self, detail: str, reason: str = "malformed"):
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Statement:
    """A bare problem statement, and what its source's wrapper said about the expected program."""

    text: str
    starter_code: str = ""
    fn_name: str | None = None
    language: str | None = None


def _nonempty(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Malformed(f"empty {what}")
    return text


# --- dapo_math ----------------------------------------------------------------------------------

DAPO_PREFIX = ("Solve the following math problem step by step. The last line of your response should be of "
               "the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.")
DAPO_SUFFIX = 'Remember to put your answer on its own line after "Answer:".'


def dapo_math(content: str) -> Statement:
    """DAPO-Math-17k: its instruction before the problem and its answer-line reminder after it."""
    if not isinstance(content, str) or not content.startswith(DAPO_PREFIX) or DAPO_SUFFIX not in content:
        raise Malformed("prompt lacks DAPO's instruction template")
    return Statement(_nonempty(content[len(DAPO_PREFIX):].rsplit(DAPO_SUFFIX, 1)[0], "problem"))


# --- sources whose column is already the bare problem -------------------------------------------

def bare(text: str) -> Statement:
    """DeepScaleR's ``problem``, TACO's ``question``, LiveCodeBench's ``question_content``: no wrapper;
    only the surrounding whitespace goes."""
    if not isinstance(text, str):
        raise Malformed("problem text is not a string")
    return Statement(_nonempty(text, "problem"))


# --- primeintellect -----------------------------------------------------------------------------

PRIME_HEAD = re.compile(r"\A\s*Solve the following coding problem using the programming language "
                        r"(?P<language>[^\n:]{1,40}):\s*")
PRIME_TAIL = re.compile(r"\s*Now solve the problem and return the code\.?\s*\Z")
PRIME_STDIN = re.compile(r"\s*The input will be (?:stdin and you should print your solution to stdout|given via "
                         r"stdin and the output should be printed to stdout by your code)\.?\s*\Z")
PRIME_FUNCTION = re.compile(
    r"\s*Write your solution by modifying this code:\s*```[\w+-]*\n(?P<starter>.*?)\n?```\s*"
    r"Your solution should implemented in the function(?: \"(?P<fn>[^\"]*)\")?\. The inputs will be passed to "
    r"it and it should return the correct solution\.?\s*\Z", re.S)


def primeintellect(prompt: str) -> Statement:
    """PrimeIntellect/verifiable-coding-problems ``prompt`` (open-r1's copy: ``problem_statement``)::

        Solve the following coding problem using the programming language python:

        <problem>

        The input will be stdin and you should print your solution to stdout      (or the function note)


        Now solve the problem and return the code.
    """
    if not isinstance(prompt, str):
        raise Malformed("prompt is not a string")
    head, tail = PRIME_HEAD.match(prompt), PRIME_TAIL.search(prompt)
    if not head or not tail or head.end() > tail.start():
        raise Malformed("prompt lacks PrimeIntellect's wrapper (\"Solve the following coding problem using the "
                        "programming language ...: ... Now solve the problem and return the code.\")")
    body = prompt[head.end():tail.start()]
    starter, fn_name = "", None
    if m := PRIME_FUNCTION.search(body):
        body, starter, fn_name = body[:m.start()], m.group("starter").rstrip(), m.group("fn") or None
    else:
        body = PRIME_STDIN.sub("", body)
    return Statement(_nonempty(body, "problem"), starter, fn_name, head.group("language").strip().lower())
