"""Problem files in the real formats of the Hub datasets, shared by the evaluation tests."""

from __future__ import annotations

import json

from verl_srpo.eval.safe_pickle import encode_private_tests

AIME_ROWS = [  # HuggingFaceH4/aime_2024: id, problem, solution, answer, url, year
    {"id": 60, "problem": "Find the remainder when 2024 is divided by 1000.", "solution": "2024 = 2*1000 + 24.",
     "answer": "24", "url": "https://example.org/1", "year": "2024"},
    {"id": 61, "problem": "What is 17 times 12?", "solution": "17*12 = 204.", "answer": "204",
     "url": "https://example.org/2", "year": "2024"},
    {"id": 62, "problem": "How many positive divisors does 36 have?", "solution": "1,2,3,4,6,9,12,18,36.",
     "answer": "9", "url": "https://example.org/3", "year": "2024"},
]


def _stdin(inp: str, out: str) -> dict:
    return {"input": inp, "output": out, "testtype": "stdin"}


def _fn(inp: str, out: str) -> dict:
    return {"input": inp, "output": out, "testtype": "functional"}


def lcb_row(qid: str, date: str, public: list, private: list, *, func_name: str | None = None,
            starter: str = "", encode: bool = True, platform: str = "atcoder") -> dict:
    """One row of livecodebench/code_generation_lite's test*.jsonl."""
    return {
        "question_title": f"problem {qid}", "question_content": f"Solve problem {qid}.", "platform": platform,
        "question_id": qid, "contest_id": "c1", "contest_date": date, "starter_code": starter,
        "difficulty": "easy", "public_test_cases": json.dumps(public),
        "private_test_cases": encode_private_tests(private) if encode else json.dumps(private),
        "metadata": json.dumps({"func_name": func_name} if func_name else {}),
    }


# abc001: sum of two integers on stdin (private tests pickled, as in the dataset).
# abc002: print the input doubled; private test has an input where "double" and "+ 2" differ.
# 3001:   LeetCode-style functional `Solution.addTwo(a, b)`, private tests as plain JSON.
# abc000: out of the evaluation window (2024-07), must be filtered out.
LCB_ROWS_V1 = [
    lcb_row("abc001", "2024-08-10T00:00:00", [_stdin("1 2\n", "3\n")], [_stdin("10 20\n", "30\n"), _stdin("-1 1\n", "0\n")]),
    lcb_row("abc000", "2024-07-10T00:00:00", [_stdin("1\n", "1\n")], [_stdin("2\n", "2\n")]),
]
LCB_ROWS_V2 = [
    lcb_row("abc002", "2024-09-01T00:00:00", [_stdin("2\n", "4\n")], [_stdin("5\n", "10\n")]),
    lcb_row("3001", "2024-12-01T00:00:00", [_fn("1\n2", "3")], [_fn("5\n-7", "-2")], func_name="addTwo",
            starter="class Solution:\n    def addTwo(self, a: int, b: int) -> int:\n        ", encode=False,
            platform="leetcode"),
]
