"""Every training source and evaluation set, written in its dataset's real file layout, with our own text.

``write_all(root)`` lays out one folder per Hub dataset, with the Hub repository's file names and
folders (``README.md`` in this folder cites where each layout was read). Each row is there for a rule:
``EXPECTED_REMOVALS`` counts, per (source, step, reason), what the pipeline must remove, and
``EXPECTED_KEPT`` what it must keep.
"""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pandas as pd

from verl_srpo.eval.safe_pickle import encode_private_tests
from verl_srpo.recipes.data.statements import DAPO_PREFIX, DAPO_SUFFIX

AIME_PROBLEM = ("Let $x,y$ and $z$ be positive real numbers that satisfy the following system of equations "
                "$\\log_2\\left({x \\over yz}\\right) = {1 \\over 2}$ and the value of $|\\log_2(x^4y^3z^2)|$ "
                "is $\\tfrac{m}{n}$ where $m$ and $n$ are relatively prime positive integers. Find $m+n$.")
LCB_WINDOW_PROBLEM = ("You are given a string S of length N consisting of lowercase English letters. Count the "
                      "number of distinct non-empty substrings of S that appear at least twice in S as "
                      "overlapping occurrences, and print that count modulo 998244353.")
# The problem that reaches us twice: through TACO-verified (bare) and through PrimeIntellect (wrapped).
SHARED_PROBLEM = (
    "Mirko has $n$ boxes in a row, the $i$-th holding $a_i$ marbles. In one move he takes one marble from a box "
    "and puts it into a neighbouring box. Find the smallest number of moves after which every box holds the "
    "same number of marbles, or print $-1$ if that can never happen.\n\n-----Input-----\n\nThe first line "
    "contains $n$ ($1 \\le n \\le 10^5$). The second line contains $a_1, \\ldots, a_n$ ($0 \\le a_i \\le 10^9$)."
    "\n\n-----Output-----\n\nPrint one integer: the smallest number of moves, or $-1$.\n\n-----Examples-----\n\n"
    "Input\n3\n1 2 3\n\nOutput\n2")
TEST_SPLIT_PROBLEM = "TEST SPLIT ONLY: read n and print the n-th Catalan number modulo 1000003."

MATH_OK = [
    ("What is the remainder when $7^{2024}$ is divided by $13$?", "3"),
    ("A rectangle has perimeter $40$ and area $96$. What is the length of its diagonal?", "4\\sqrt{13}"),
    ("How many positive divisors does $3600$ have?", "45"),
    ("Compute the sum of the first twenty odd positive integers.", "400"),
    ("The roots of $x^2-13x+k=0$ differ by $3$. What is $k$?", "40"),
]


# --- BytedTsinghua-SIA/DAPO-Math-17k: data/dapo-math-17k.parquet --------------------------------

def dapo_row(i: int, question: str, answer: str) -> dict:
    content = f"{DAPO_PREFIX}\n\n{question}\n\n{DAPO_SUFFIX}"
    return {"data_source": "math_dapo", "prompt": [{"content": content, "role": "user"}], "ability": "MATH",
            "reward_model": {"ground_truth": answer, "style": "rule-lighteval/MATH_v2"},
            "extra_info": {"index": f"uuid-{i:04d}"}}


def write_dapo(root: Path) -> Path:
    rows = [dapo_row(i, q, a) for i, (q, a) in enumerate(MATH_OK[:3])]
    rows += [dapo_row(0, *MATH_OK[0]), dapo_row(0, *MATH_OK[0])]  # repeats (the real file repeats each ~100x)
    rows.append(dapo_row(10, "Find all real $x$ with $x^2=4$.", "2, -2"))  # multi-answer
    rows.append(dapo_row(11, "In the figure below, the shaded region has what area?", "12"))  # figure
    rows.append(dapo_row(12, AIME_PROBLEM.replace("  ", " ") + " ", "33"))  # contaminated (AIME 2024)
    bad = dapo_row(13, "no template", "1")
    bad["prompt"][0]["content"] = "Just a question without DAPO's instruction"
    rows.append(bad)  # malformed: DAPO's template is the rule that cuts the problem out
    path = root / "DAPO-Math-17k" / "data" / "dapo-math-17k.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path.parents[1]


# --- agentica-org/DeepScaleR-Preview-Dataset: deepscaler.json (one JSON array) ---------------------

def deepscaler_rows() -> list[dict]:
    return [
        {"problem": f"  {MATH_OK[3][0]}\n", "answer": MATH_OK[3][1], "solution": "..."},  # bare: whitespace goes
        {"problem": MATH_OK[4][0], "answer": MATH_OK[4][1], "solution": "..."},
        # near duplicate of a DAPO problem: one word changed (word 5-gram Jaccard 10/12)
        {"problem": MATH_OK[1][0].replace("diagonal", "diagonals"), "answer": "4\\sqrt{13}", "solution": ""},
        # the same problem as a DAPO one, written without LaTeX: equal once normalised
        {"problem": "How many positive divisors does 3600 have?", "answer": "45", "solution": ""},
        {"problem": "", "answer": "1", "solution": ""},  # malformed: empty problem
    ]


def write_deepscaler(root: Path, rows: list[dict] | None = None) -> Path:
    folder = root / "DeepScaleR-Preview-Dataset"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deepscaler.json").write_text(json.dumps(rows or deepscaler_rows(), indent=2))
    return folder


# --- likaixin/TACO-verified: taco_verified.json (one JSON array, 1.93 GB on the Hub) -------------

def io(inputs, outputs, fn_name=None) -> str:
    d = {"inputs": inputs, "outputs": outputs}
    if fn_name:
        d["fn_name"] = fn_name
    return json.dumps(d)


def taco_row(i: int, question: str, input_output: str, starter: str = "", pictures: int = 0,
             solutions=("print(1)",)) -> dict:
    """TACO's columns (BAAI/TACO card); TACO-verified adds ``id`` and keeps ``solutions`` as a list."""
    return {"id": i, "question": question, "solutions": list(solutions), "starter_code": starter,
            "input_output": input_output, "difficulty": "EASY", "raw_tags": "[]", "name": f"taco-{i}",
            "source": "codeforces", "tags": "[]", "skill_types": "[]", "url": f"https://example.org/taco/{i}",
            "Expected Auxiliary Space": None, "time_limit": "1 second", "date": None, "picture_num": pictures,
            "memory_limit": "256 megabytes", "Expected Time Complexity": None}


def taco_verified_rows() -> list[dict]:
    return [
        taco_row(0, "Read two integers a and b from one line and print their sum.", io(["1 2\n"], ["3\n"])),
        taco_row(1, "Return the largest element of the list nums.",
                 io([[[1, 5, 2]]], [[5]], "largest"), starter="def largest(nums):\n    "),
        taco_row(2, "Look at the grid drawing and count the marked cells.", io(["1\n"], ["1\n"]), pictures=2),
        taco_row(3, "This is an interactive problem. Guess the hidden number; flush the output after each query.",
                 io(["5\n"], ["5\n"])),
        taco_row(4, "Print the reverse of the given word.", "{not json"),  # malformed tests
        taco_row(5, "Print the number of vowels in the line.", io([], [])),  # no tests
        taco_row(6, LCB_WINDOW_PROBLEM, io(["3\naaa\n"], ["2\n"])),  # contaminated (LiveCodeBench window)
        taco_row(7, "Given n, print any permutation of 1..n with no fixed point. If there are multiple answers, "
                    "print any of them.", io(["2\n"], ["2 1\n"])),
        taco_row(8, SHARED_PROBLEM, io(["3\n1 2 3\n"], ["2\n"])),  # also in PrimeIntellect, wrapped
    ]


def write_taco_verified(root: Path, rows: list[dict] | None = None) -> Path:
    folder = root / "TACO-verified"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "taco_verified.json").open("w") as handle:  # one array, one object per line as the real file
        handle.write("[" + ",\n".join(json.dumps(r) for r in (rows or taco_verified_rows())) + "]")
    return folder


# --- BAAI/TACO: README.md (configs: ALL/train-*, ALL/test-*) + ALL/{train,test}-*.parquet ---------

TACO_CARD = """---
license: apache-2.0
configs:
- config_name: ALL
  data_files:
  - split: train
    path: ALL/train-*
  - split: test
    path: ALL/test-*
---
# TACO (fixture)
"""


def _taco_columns(row: dict) -> dict:
    """A TACO-verified row as BAAI/TACO stores it: no ``id``, every column a string."""
    return {**{k: v for k, v in row.items() if k != "id"}, "solutions": json.dumps(row["solutions"]),
            "picture_num": str(row["picture_num"])}


def write_taco(root: Path) -> Path:
    folder = root / "TACO"
    (folder / "ALL").mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(TACO_CARD)
    columns = _taco_columns
    train = [columns(taco_row(20, "Print the product of the two integers on the line.", io(["2 3\n"], ["6\n"]))),
             columns(taco_verified_rows()[0])]  # TACO-verified is a subset of TACO: the same problem again
    test = [columns(taco_row(21, TEST_SPLIT_PROBLEM, io(["3\n"], ["5\n"])))]
    pd.DataFrame(train).to_parquet(folder / "ALL" / "train-00000-of-00001.parquet", index=False)
    pd.DataFrame(test).to_parquet(folder / "ALL" / "test-00000-of-00001.parquet", index=False)
    return folder


# --- PrimeIntellect/verifiable-coding-problems: data/train-00000-of-00001.parquet ----------------

def prime_prompt(problem: str, language: str = "python", starter: str = "", fn_name: str = "") -> str:
    """PrimeIntellect's wrapper, with its stdin note or its function note."""
    if fn_name:
        note = (f"Write your solution by modifying this code:\n\n```python\n{starter}\n```\n\nYour solution should "
                f"implemented in the function \"{fn_name}\". The inputs will be passed to it and it should return "
                "the correct solution.")
    else:
        note = "The input will be stdin and you should print your solution to stdout"
    return (f"Solve the following coding problem using the programming language {language}:\n\n{problem}\n\n"
            f"{note}\n\n\nNow solve the problem and return the code.")


def prime_row(pid: str, prompt: str, cases: list[dict], language: str = "python") -> dict:
    return {"source": "taco", "task_type": "verifiable_code", "in_source_id": pid, "prompt": prompt,
            "gold_standard_solution": "```python\nprint(1)\n```",
            "verification_info": json.dumps({"language": language, "test_cases": cases}),
            "metadata": json.dumps({"difficulty": "EASY"}), "problem_id": pid}


STDIN_CASE = [{"input": "4\n", "output": "16\n", "type": "stdin_stdout"}]


def write_primeintellect(root: Path) -> Path:
    rows = [
        prime_row("prime_rl_code_1", prime_prompt("Read an integer n and print its square."), STDIN_CASE),
        prime_row("prime_rl_code_2", prime_prompt("Read an integer n and print n factorial modulo one billion and "
                                                  "seven.", language="cpp"), STDIN_CASE, language="cpp"),
        prime_row("prime_rl_code_3", prime_prompt("Write a function double(x) returning twice x.",
                                                  starter="def double(x):", fn_name="double"),
                  [{"fn_name": "double", "input": [2], "output": [4], "type": "function_call"}]),
        # the TACO-verified problem again: reflowed (PrimeIntellect collapses some line breaks) and wrapped
        prime_row("prime_rl_code_4", prime_prompt(SHARED_PROBLEM.replace("\n\n", "\n")),
                  [{"input": "3\n1 2 3\n", "output": "2\n", "type": "stdin_stdout"}]),
        prime_row("prime_rl_code_5", "Read an integer and print it twice.", STDIN_CASE),  # malformed: no wrapper
    ]
    path = root / "verifiable-coding-problems" / "data" / "train-00000-of-00001.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path.parents[1]


# --- livecodebench/code_generation_lite: test.jsonl, test2.jsonl, ... (release_vN) --------------

def lcb_row(qid: str, content: str, date: str, fn_name: str | None = None, tests: list | None = None,
            wrapped_base64: bool = False) -> dict:
    kind = "functional" if fn_name else "stdin"
    tests = tests or [{"input": "1\n2" if fn_name else "1 2\n", "output": "3" if fn_name else "3\n",
                       "testtype": kind}]
    private = encode_private_tests(tests)
    if wrapped_base64:  # base64 over lines of 76 characters, as base64.encodebytes writes it
        private = base64.encodebytes(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("ascii")
        assert private.count("\n") > 1
    return {"question_title": qid, "question_content": content, "platform": "atcoder", "question_id": qid,
            "contest_id": "abc001", "contest_date": f"{date}T00:00:00", "starter_code":
            f"class Solution:\n    def {fn_name}(self, a: int, b: int) -> int:\n        " if fn_name else "",
            "difficulty": "easy", "public_test_cases": json.dumps(tests[:1]),
            "private_test_cases": private, "metadata": json.dumps({"func_name": fn_name} if fn_name else {})}


def write_lcb(root: Path) -> Path:
    folder = root / "code_generation_lite"
    folder.mkdir(parents=True, exist_ok=True)
    release1 = [lcb_row("abc300_a", "Given integers A and B on one line, print A plus B.", "2023-04-29"),
                lcb_row("lc-2000", "Return the sum of the two integers a and b.", "2024-03-02", fn_name="addTwo")]
    product = [{"input": f"{a} {a + 3}\n", "output": f"{a * (a + 3) - 1}\n", "testtype": "stdin"} for a in range(40)]
    release2 = [lcb_row("abc350_c", "Given integers A and B on one line, print A times B minus one.", "2024-04-20",
                        tests=product, wrapped_base64=True),
                lcb_row("abc370_b", LCB_WINDOW_PROBLEM, "2024-09-07")]
    for name, rows in (("test.jsonl", release1), ("test2.jsonl", release2)):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


# --- HuggingFaceH4/aime_2024 (a local jsonl with its columns) ------------------------------------

def write_aime(root: Path) -> Path:
    path = root / "aime24.jsonl"
    rows = [{"id": 60, "problem": AIME_PROBLEM, "solution": "...", "answer": "33", "url": "", "year": "2024"},
            {"id": 61, "problem": "Find the number of rectangles inside a fixed regular dodecagon.", "solution": "",
             "answer": "315", "url": "", "year": "2024"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_all(root: Path) -> dict[str, Path]:
    """Every fixture under ``root``; returns the path of each, by source name (and ``aime``)."""
    return {"dapo_math": write_dapo(root), "deepscaler": write_deepscaler(root),
            "taco_verified": write_taco_verified(root), "primeintellect": write_primeintellect(root),
            "livecodebench": write_lcb(root), "taco": write_taco(root), "aime": write_aime(root)}


# What the pipeline must remove, per source/step/reason (a problem's repeats count once each).
EXPECTED_REMOVALS = {
    "dapo_math/load/duplicate": 2, "dapo_math/load/malformed": 1, "dapo_math/clean/ambiguous_answer": 1,
    "dapo_math/clean/needs_figure": 1, "dapo_math/decontaminate/contaminated": 1,
    "deepscaler/load/malformed": 1, "deepscaler/clean/near_duplicate": 1, "deepscaler/clean/duplicate": 1,
    "taco_verified/load/malformed": 1, "taco_verified/load/no_tests": 1, "taco_verified/clean/needs_figure": 1,
    "taco_verified/clean/special_runtime": 2, "taco_verified/decontaminate/contaminated": 1,
    "primeintellect/load/malformed": 1, "primeintellect/clean/special_runtime": 1,
    "primeintellect/clean/duplicate": 1,
    "livecodebench/load/lcb_eval_window": 1,
    "taco/clean/duplicate": 1,
}
# Rows left after cleaning and decontamination, per source (dedup priority: this order).
EXPECTED_KEPT = {"dapo_math": 3, "deepscaler": 2, "taco_verified": 3, "primeintellect": 2, "livecodebench": 3,
                 "taco": 1}
