"""A synthetic math + code task family for the end-to-end smoke run (tiny models can learn it).

Math: integer arithmetic whose difficulty grows with the digit count (level 1: one-digit sums ...
level 5: four-digit sums, plus products). Gold answers are integers, read by the math reward from
``<answer>…</answer>``. Code: tiny stdin/stdout programs (add a constant, reverse a string, ...)
with three tests each in the code reward's canonical format ``{"inputs", "outputs", "fn_name": null}``;
the statement is phrased the way ``eval.lcb.question_text`` phrases a stdin problem, so evaluation
prompts look like training prompts.

Every reply is in the R1-Zero format ``<think> … </think> <answer> … </answer>``.

    python -m benchmarks.e2e.tinytask --out WORK/data [--seed 0]

writes ``rl/train.parquet`` and ``rl/val.parquet`` (verl's RL format), ``sft.jsonl`` (warm-up pairs,
disjoint from the RL prompts), and ``eval/aime/aime.parquet`` + ``eval/lcb/test.jsonl``: fixture
problems in the AIME (``HuggingFaceH4/aime_2024``) and LiveCodeBench (``code_generation_lite``) formats.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

from verl_srpo.prompts import chat_messages

MATH_LEVELS = (1, 2, 3, 4, 5)
LCB_STDIN_SUFFIX = ("Read the inputs from stdin, solve the problem and write the answer to stdout "
                    "(do not directly test on the sample inputs).")  # eval.lcb.question_text, stdin case


@dataclass(frozen=True)
class Problem:
    """One synthetic problem. ``ground_truth``: an integer string (math) or canonical tests JSON (code)."""

    domain: str
    family: str
    level: int
    question: str
    ground_truth: str
    response: str  # a correct R1-Zero reply, used for the warm-up


def math_problem(rng: random.Random, level: int) -> Problem:
    """Level 1-4: sum of two ``level``-digit numbers; level 5: a two-digit times a one-digit number."""
    if level not in MATH_LEVELS:
        raise ValueError(f"math level {level} not in {MATH_LEVELS}")
    if level == 5:
        a, b, op = rng.randint(10, 99), rng.randint(2, 9), "*"
    else:
        lo, hi = (0 if level == 1 else 10 ** (level - 1)), 10**level - 1
        a, b, op = rng.randint(lo, hi), rng.randint(lo, hi), "+"
    value = a * b if op == "*" else a + b
    question = f"What is {a} {op} {b}?"
    response = f"<think> {a} {op} {b} = {value} </think> <answer> {value} </answer>"
    return Problem("math", "mul" if op == "*" else "add", level, question, str(value), response)


# (family, level, statement with {k}, program with {k}, input maker, function of (input text, k))
_CODE = [
    ("add_k", 1, "Read an integer n and print n + {k}.", "print(int(input()) + {k})",
     lambda r: str(r.randint(-50, 99)), lambda s, k: str(int(s) + k)),
    ("upper_k", 1, "Read a word and print it in upper case, then the number {k}.", "print(input().upper() + '{k}')",
     lambda r: "".join(r.choice("abcdefgh") for _ in range(r.randint(1, 6))), lambda s, k: s.upper() + str(k)),
    ("rev_k", 2, "Read a word and print it reversed, then the number {k}.", "print(input()[::-1] + '{k}')",
     lambda r: "".join(r.choice("abcdefgh") for _ in range(r.randint(2, 6))), lambda s, k: s[::-1] + str(k)),
    ("mul_k", 2, "Read an integer n and print n * {k}.", "print(int(input()) * {k})",
     lambda r: str(r.randint(-20, 50)), lambda s, k: str(int(s) * k)),
    ("sum2_k", 3, "Read two integers a and b on one line and print a + b + {k}.",
     "a, b = map(int, input().split())\nprint(a + b + {k})",
     lambda r: f"{r.randint(0, 99)} {r.randint(0, 99)}", lambda s, k: str(sum(map(int, s.split())) + k)),
    ("rep_k", 3, "Read a word and print it {k} times on one line.", "print(input() * {k})",
     lambda r: "".join(r.choice("abc") for _ in range(r.randint(1, 3))), lambda s, k: s * k),
    ("sq_k", 4, "Read an integer n and print n * n + {k}.", "n = int(input())\nprint(n * n + {k})",
     lambda r: str(r.randint(-9, 30)), lambda s, k: str(int(s) ** 2 + k)),
]
CODE_FAMILIES = tuple(f[0] for f in _CODE)


def code_problem(rng: random.Random, family: str | None = None, n_tests: int = 3) -> Problem:
    """One stdin/stdout problem of ``family`` (random when None) with ``n_tests`` tests."""
    spec = next((f for f in _CODE if f[0] == family), None) if family else rng.choice(_CODE)
    if spec is None:
        raise ValueError(f"unknown code family {family!r}; known: {CODE_FAMILIES}")
    name, level, statement, program, make_input, solve = spec
    k = rng.randint(2, 9) if name == "rep_k" else rng.randint(2, 99)
    inputs = [make_input(rng) for _ in range(n_tests)]
    tests = {"inputs": [i + "\n" for i in inputs], "outputs": [solve(i, k) + "\n" for i in inputs], "fn_name": None}
    text = statement.format(k=k)
    code = program.format(k=k)
    response = f"<think> {text} </think> <answer> ```python\n{code}\n``` </answer>"
    return Problem("code", name, level, f"{text}\n\n{LCB_STDIN_SUFFIX}", json.dumps(tests), response)


def draw(rng: random.Random, n_math: int, n_code: int, seen: set[str], unique: bool = True) -> list[Problem]:
    """``n_math`` math problems spread evenly over the levels, ``n_code`` code problems, none in ``seen``.

    ``unique``: the drawn questions are added to ``seen`` (no repeats); otherwise repeats are allowed.
    """
    out: list[Problem] = []
    for i in range(n_math + n_code):
        for _ in range(1000):
            p = math_problem(rng, MATH_LEVELS[i % len(MATH_LEVELS)]) if i < n_math else code_problem(rng)
            if p.question not in seen:
                break
        else:
            raise RuntimeError(f"could not draw a new {p.domain} problem: the task family is exhausted")
        if unique:
            seen.add(p.question)
        out.append(p)
    return out


def rl_rows(problems: list[Problem], split: str, start: int = 0) -> list[dict]:
    """verl RL rows: data_source, prompt (chat messages), ability, reward_model, extra_info (unique index)."""
    return [{
        "data_source": f"synthetic/tiny_{p.domain}",
        "prompt": chat_messages(p.question, p.domain),
        "ability": p.domain,
        "reward_model": {"style": "rule", "ground_truth": p.ground_truth},
        "extra_info": {"index": start + i, "split": split, "domain": p.domain, "family": p.family,
                       "level": p.level, "question": p.question},
    } for i, p in enumerate(problems)]


def aime_rows(problems: list[Problem]) -> list[dict]:
    """Math fixtures in HuggingFaceH4/aime_2024's columns."""
    return [{"id": 9000 + i, "problem": p.question, "solution": p.response, "answer": p.ground_truth,
             "url": "synthetic", "year": "2024"} for i, p in enumerate(problems) if p.domain == "math"]


def lcb_rows(problems: list[Problem]) -> list[dict]:
    """Code fixtures in livecodebench/code_generation_lite's test.jsonl rows (1 public, rest private)."""
    from verl_srpo.eval.safe_pickle import encode_private_tests

    rows = []
    for i, p in enumerate(q for q in problems if q.domain == "code"):
        tests = json.loads(p.ground_truth)
        cases = [{"input": a, "output": b, "testtype": "stdin"} for a, b in zip(tests["inputs"], tests["outputs"])]
        rows.append({
            "question_title": f"tiny {p.family}", "question_content": p.question.split("\n\n")[0],
            "platform": "atcoder", "question_id": f"tiny{i:03d}", "contest_id": "tiny",
            "contest_date": "2024-10-01T00:00:00", "starter_code": "", "difficulty": "easy",
            "public_test_cases": json.dumps(cases[:1]), "private_test_cases": encode_private_tests(cases[1:]),
            "metadata": "{}",
        })
    return rows


def build(out: str | Path, seed: int = 0, n_sft: int = 4000, n_train: tuple[int, int] = (60, 40),
          n_val: tuple[int, int] = (10, 6), n_eval: tuple[int, int] = (10, 6)) -> dict[str, Path]:
    """Write every data file under ``out``; sizes are (math, code). Returns the paths."""
    import pandas as pd

    out = Path(out)
    rng, seen = random.Random(seed), set()
    train = draw(rng, *n_train, seen)
    val = draw(rng, *n_val, seen)
    held = draw(rng, *n_eval, seen)
    # (ours) 3/4 math: code templates are learnt much faster than arithmetic (CPU tuning, README.md)
    sft = draw(rng, n_sft * 3 // 4, n_sft - n_sft * 3 // 4, seen, unique=False)  # disjoint from the above
    paths = {"train": out / "rl" / "train.parquet", "val": out / "rl" / "val.parquet", "sft": out / "sft.jsonl",
             "aime": out / "eval" / "aime" / "aime.parquet", "lcb": out / "eval" / "lcb" / "test.jsonl"}
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rl_rows(train, "train")).to_parquet(paths["train"])
    pd.DataFrame(rl_rows(val, "val", start=len(train))).to_parquet(paths["val"])
    with open(paths["sft"], "w") as f:
        for p in sft:
            f.write(json.dumps({"messages": chat_messages(p.question, p.domain), "response": p.response,
                                "domain": p.domain, "level": p.level}) + "\n")
    pd.DataFrame(aime_rows(held)).to_parquet(paths["aime"])
    paths["lcb"].write_text("".join(json.dumps(r) + "\n" for r in lcb_rows(held)))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="data folder to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-sft", type=int, default=4000, help="warm-up pairs (75%% math)")
    parser.add_argument("--n-train-math", type=int, default=60)
    parser.add_argument("--n-train-code", type=int, default=40)
    args = parser.parse_args(argv)
    paths = build(args.out, args.seed, args.n_sft, (args.n_train_math, args.n_train_code))
    for name, path in paths.items():
        print(f"{name}={path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
