"""Writes this folder: hand-made LiveCodeBench problems (test.jsonl), problem x completion pairs with the
verdicts of LiveCodeBench's official grader (pairs.jsonl), and one completions file in both input formats:
completions.jsonl (raw responses) and custom_outputs.json (LiveCodeBench's custom-evaluator input, code
extracted by LiveCodeBench itself).

The programs are ours (hand-written, not model-written), so the official grader runs them directly. It is
NOT part of this repository: point the script at LiveCodeBench's code (see README.md for the exact steps):

    python tests/eval/data/lcb_pairs/make_verdicts.py --lcb-2501 /tmp/lcbofficial/pypi --lcb-2505 /tmp/lcbofficial/head

``--lcb-2501``: a directory holding the ``livecodebench`` package of PyPI ``nvidia-livecodebench`` 26.3
(testing_util.py identical to LiveCodeBench commit b95a71c). ``--lcb-2505``: a directory holding
``lcb_runner`` from LiveCodeBench commit 28fef95 (its main; testing_util.py of 16de2a1, 2025-05-23).
Each is imported in a subprocess that calls its ``codegen_metrics`` (timeout 6 s, as LiveCodeBench's
default) on its own ``extract_code`` of every completion (model style OpenAIChat: the generic branch).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from verl_srpo.eval.safe_pickle import encode_private_tests  # noqa: E402 (after the path)


def _stdin(pairs):
    return [{"input": i, "output": o, "testtype": "stdin"} for i, o in pairs]


def _fn(pairs):
    return [{"input": i, "output": o, "testtype": "functional"} for i, o in pairs]


def _row(qid, date, title, content, public, private, *, func_name=None, starter="", encode=True):
    return {"question_title": title, "question_content": content,
            "platform": "leetcode" if func_name else "atcoder", "question_id": qid, "contest_id": "synthetic",
            "contest_date": date, "starter_code": starter, "difficulty": "easy",
            "public_test_cases": json.dumps(public),
            "private_test_cases": encode_private_tests(private) if encode else json.dumps(private),
            "metadata": json.dumps({"func_name": func_name} if func_name else {})}


PAIRS_STARTER = "class Solution:\n    def pairs(self, nums: List[int]) -> List[List[int]]:\n        "
COUNT_STARTER = "class Solution:\n    def countAbove(self, nums: List[int], k: int) -> int:\n        "
TEN_STARTER = "class Solution:\n    def tenPow(self, n: int) -> int:\n        "
PROBLEMS = [
    _row("sum01", "2024-08-10T00:00:00", "Sum", "N, then N integers: print their sum.",
         _stdin([("2\n3 4\n", "7\n")]), _stdin([("3\n1 2 3\n", "6\n"), ("1\n-5\n", "-5\n")])),
    _row("div01", "2024-09-01T00:00:00", "Ratio", "Print A / B (absolute or relative error 1e-6 allowed).",
         _stdin([("1 3\n", "0.333333333333\n")]), _stdin([("1 2\n", "0.500000000000\n")]), encode=False),
    _row("tri01", "2024-10-05T00:00:00", "Triangle", "Print 1 + 2 + ... + N.",
         _stdin([("3\n", "6\n")]), _stdin([("3000\n", "4501500\n")])),
    _row("pow01", "2024-11-20T00:00:00", "Power", "Print 2 to the power N.",
         _stdin([("10\n", "1024\n")]), _stdin([("20000\n", None)])),  # output filled in below
    _row("3901", "2024-12-01T00:00:00", "Pairs", "Return [[x, 2x] for each x of nums].",
         _fn([("[1, 2]", "[[1, 2], [2, 4]]")]), _fn([("[]", "[]"), ("[3]", "[[3, 6]]")]),
         func_name="pairs", starter=PAIRS_STARTER),
    _row("3902", "2025-01-15T00:00:00", "Count above", "Return how many of nums are greater than k.",
         _fn([("[1, 5, 7]\n4", "2")]), _fn([("[10]\n4", "1"), ("[4, 4]\n4", "0")]),
         func_name="countAbove", starter=COUNT_STARTER, encode=False),
    _row("3903", "2025-01-20T00:00:00", "Power of ten", "Return 10 to the power n (no modulus).",
         _fn([("5", "100000")]), _fn([("4999", "1" + "0" * 4999), ("3", "1000")]),  # 5000 digits: over Python's 4300
         func_name="tenPow", starter=TEN_STARTER),
]


def _fill_pow01():
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)
    row = PROBLEMS[3]
    row["private_test_cases"] = encode_private_tests(_stdin([("20000\n", f"{2 ** 20000}\n")]))


def _answer(code: str) -> str:
    return f"<think>\nLet me write it.\n</think>\n<answer>\n```python\n{code}```\n</answer>"


SUM = "n = int(input())\nprint(sum(map(int, input().split())))\n"
# (pair id, question id, completion, quirk: why the official grader and a real judge may disagree, or None)
PAIRS = [
    # ordinary outcomes, stdin
    ("sum_pass", "sum01", _answer(SUM), None),
    ("sum_wrong_answer", "sum01", _answer(SUM.replace("split())))", "split())) + 1)")), None),
    ("sum_runtime_error", "sum01", _answer("n = int(input())\nprint(n // 0)\n"), None),
    ("sum_time_limit", "sum01", _answer("n = int(input())\nwhile True:\n    n += 1\n"), None),
    ("sum_syntax_error", "sum01", _answer("n = int(input()\nprint(n)\n"), None),
    ("sum_no_code", "sum01", "<think>\nhmm\n</think>\n<answer>print the sum</answer>", None),
    ("sum_last_block_right", "sum01",
     "First try:\n```python\nprint(0)\n```\nBetter:\n" + _answer(SUM), None),
    ("sum_last_block_wrong", "sum01", _answer(SUM) + "\nOr:\n```python\nprint(0)\n```\n", None),
    ("sum_main_guard", "sum01", _answer("def main():\n    n = int(input())\n    print(sum(map(int, input().split())))\n"
                                        "\n\nif __name__ == \"__main__\":\n    main()\n"), None),
    ("sum_readline_alias", "sum01", _answer("import sys\ninput = sys.stdin.readline\n" + SUM), None),
    ("sum_read_all", "sum01", _answer("import sys\ndata = sys.stdin.read().split()\n"
                                      "print(sum(map(int, data[1:])))\n"), None),
    ("sum_eof_loop", "sum01", _answer("vals = []\nwhile True:\n    try:\n        vals.append(input())\n"
                                      "    except EOFError:\n        break\nprint(sum(map(int, vals[1].split())))\n"),
     None),
    ("sum_sys_exit", "sum01", _answer("import sys\n" + SUM + "sys.exit(0)\nprint('unreachable')\n"), None),
    ("sum_exit", "sum01", _answer(SUM + "exit()\nprint('unreachable')\n"), None),
    ("sum_float_output", "sum01", _answer("n = int(input())\nprint(float(sum(map(int, input().split()))))\n"), None),
    ("sum_scientific_output", "sum01", _answer("n = int(input())\nprint(f'{sum(map(int, input().split())):.3e}')\n"),
     None),
    ("sum_trailing_blanks", "sum01", _answer("n = int(input())\nprint(sum(map(int, input().split())), ' ')\n"
                                             "print()\nprint('   ')\n"), None),
    ("sum_toplevel_global", "sum01", _answer("global n\nn = int(input())\n\n\ndef total():\n"
                                             "    return sum(map(int, input().split()))\n\n\nprint(total())\n"),
     None),
    ("sum_for_line_in_stdin", "sum01", _answer("import sys\nfirst = True\nfor line in sys.stdin:\n"
                                               "    if first:\n        first = False\n        continue\n"
                                               "    print(sum(map(int, line.split())))\n"),
     "for line in sys.stdin (raises only in LiveCodeBench >= 2025-05-23)"),
    # quirks, stdin
    ("sum_buffer_readline", "sum01", _answer("import sys\ninput = sys.stdin.buffer.readline\n" + SUM),
     "input = sys.stdin.buffer.readline: the harness's stdin is a StringIO"),
    ("sum_global_in_function", "sum01", _answer("n = int(input())\ntotal = 0\n\n\ndef add(xs):\n    global total\n"
                                                "    total += sum(xs)\n\n\nadd(map(int, input().split()))\n"
                                                "print(total)\n"),
     "global in a function naming a top-level variable: the program is wrapped in a function"),
    ("sum_main_guard_not_last", "sum01", _answer("def main():\n    n = int(input())\n"
                                                 "    print(sum(map(int, input().split())))\n\n\n"
                                                 "if __name__ == \"__main__\":\n    main()\nDONE = True\n"),
     "if __name__ == '__main__' not last: __name__ is 'tmp_sol' inside the wrapper"),
    ("sum_from_sys_import_stdout", "sum01", _answer("from sys import stdout\nn = int(input())\n"
                                                    "stdout.write(str(sum(map(int, input().split()))) + '\\n')\n"),
     "from sys import stdout: bound to the real stdout, not the captured one"),
    ("sum_open_0", "sum01", _answer("data = open(0).read().split()\nprint(sum(map(int, data[1:])))\n"),
     "open(0): the prelude's `from builtins import *` binds the real open, reading the harness's stdin"),
    ("sum_stdout_buffer", "sum01", _answer("import sys\nn = int(input())\ns = sum(map(int, input().split()))\n"
                                           "sys.stdout.buffer.write(f'{s}\\n'.encode())\n"),
     "sys.stdout.buffer: the captured stdout is a StringIO"),
    ("sum_quit", "sum01", _answer(SUM + "quit()\n"), "quit() is None (reliability_guard)"),
    ("sum_exit_caught", "sum01", _answer("n = int(input())\ntry:\n    exit()\nexcept SystemExit:\n    pass\n"
                                         "print(sum(map(int, input().split())))\n"),
     "exit() is site's: it closes sys.stdin (the test's input) before raising SystemExit"),
    ("sum_nonlocal_toplevel", "sum01", _answer("total = 0\n\n\ndef add(xs):\n    nonlocal total\n    total += sum(xs)\n\n\n"
                                               "n = int(input())\nadd(map(int, input().split()))\nprint(total)\n"),
     "nonlocal naming a top-level variable: a local of the wrapper in LCB (a SyntaxError as a script)"),
    ("sum_argv_file", "sum01", _answer("import sys\nif len(sys.argv) > 1:\n    sys.stdin = open(sys.argv[1])\n" + SUM),
     "sys.argv is LCB's command line: argv[1] is an option such as --model, not a file"),
    ("sum_dunder_stdin", "sum01", _answer("import sys\ndata = sys.__stdin__.read().split()\n"
                                          "print(sum(map(int, data[1:])))\n"),
     "sys.__stdin__ is closed: LCB's worker is a multiprocessing child"),
    ("sum_stdout_name_20mb", "sum01", _answer("from sys import stdout\nstdout.write('.' * (20 << 20) + '\\n')\n" + SUM),
     "from sys import stdout: 20 MB to the real stdout, uncaptured, of any size"),
    ("sum_import_resource", "sum01", _answer("import resource\nresource.getrlimit(resource.RLIMIT_STACK)\n" + SUM),
     "import resource fails (reliability_guard)"),
    ("sum_future_import", "sum01", _answer("from __future__ import annotations\n" + SUM),
     "from __future__ import: the prelude comes first, so it does not compile"),
    ("sum_class_solution", "sum01", _answer("class Solution:\n    def solve(self, xs):\n        return sum(xs)\n\n\n"
                                            "n = int(input())\nprint(Solution().solve(map(int, input().split())))\n"),
     "a stdin program defining class Solution: LCB instantiates tmp_sol.Solution, which the wrapper hides"),
    ("sum_unclosed_last_fence", "sum01", _answer(SUM) + "\nA faster version:\n```python\nimport sys\nprint(sum(",
     "extraction: an unclosed last fence makes LCB take the text between it and the previous fence"),
    ("sum_fence_info_string", "sum01", f"<answer>\n```python title=\"main.py\"\n{SUM}```\n</answer>",
     "extraction: any line containing ``` is a fence for LCB (the judge wants ```lang then a newline)"),
    ("div_fixed_digits", "div01", _answer("a, b = map(int, input().split())\nprint(f'{a / b:.12f}')\n"), None),
    ("div_float_repr", "div01", _answer("a, b = map(int, input().split())\nprint(a / b)\n"),
     "float formatting: exact Decimal comparison, no tolerance (the statement allows 1e-6)"),
    ("tri_recursion_3000", "tri01", _answer("def tri(k):\n    return 0 if k == 0 else k + tri(k - 1)\n\n\n"
                                            "print(tri(int(input())))\n"),
     "recursion: the prelude sets sys.setrecursionlimit(50000)"),
    ("tri_loop", "tri01", _answer("print(sum(range(int(input()) + 1)))\n"), None),
    ("pow_big_int", "pow01", _answer("print(2 ** int(input()))\n"),
     "int to str: LCB allows 50000 digits (Python's default is 4300)"),
    ("pow_wrong_answer", "pow01", _answer("print(2 ** (int(input()) - 1))\n"), None),
    # functional
    ("pairs_pass", "3901", _answer("class Solution:\n    def pairs(self, nums: List[int]) -> List[List[int]]:\n"
                                   "        return [[x, 2 * x] for x in nums]\n"), None),
    ("pairs_top_level_tuple", "3901", _answer("class Solution:\n    def pairs(self, nums):\n"
                                              "        return tuple([x, 2 * x] for x in nums)\n"), None),
    ("pairs_free_function", "3901", _answer("def pairs(nums):\n    return [[x, 2 * x] for x in nums]\n"), None),
    ("pairs_helper_class", "3901", _answer("class Doubler:\n    def __init__(self, k):\n        self.k = k\n\n"
                                           "    def pair(self, x):\n        return [x, self.k * x]\n\n\n"
                                           "class Solution:\n    def pairs(self, nums: List[int]) -> List[List[int]]:\n"
                                           "        d = Doubler(2)\n        return [d.pair(x) for x in nums]\n"), None),
    ("pairs_debug_print", "3901", _answer("class Solution:\n    def pairs(self, nums):\n"
                                          "        print('nums =', nums)\n        return [[x, 2 * x] for x in nums]\n"),
     None),
    ("pairs_debug_print_20mb", "3901", _answer("class Solution:\n    def pairs(self, nums):\n"
                                               "        print('.' * (20 << 20))\n"
                                               "        return [[x, 2 * x] for x in nums]\n"),
     "print in a functional program: 20 MB per test to the real stdout, uncaptured, of any size"),
    ("pairs_list_of_tuples", "3901", _answer("class Solution:\n    def pairs(self, nums):\n"
                                             "        return [(x, 2 * x) for x in nums]\n"),
     "a list of tuples where lists are expected: only a top-level tuple becomes a list"),
    ("count_pass", "3902", _answer("class Solution:\n    def countAbove(self, nums: List[int], k: int) -> int:\n"
                                   "        return sum(x > k for x in nums)\n"), None),
    ("count_wrong_answer", "3902", _answer("class Solution:\n    def countAbove(self, nums, k):\n"
                                           "        return sum(x >= k for x in nums)\n"), None),
    ("count_runtime_error", "3902", _answer("class Solution:\n    def countAbove(self, nums, k):\n"
                                            "        return nums[len(nums)]\n"), None),
    ("count_time_limit", "3902", _answer("class Solution:\n    def countAbove(self, nums, k):\n"
                                         "        while True:\n            k += 1\n"), None),
    ("count_state_across_tests", "3902", _answer("class Solution:\n    def __init__(self):\n        self.seen = 0\n\n"
                                                 "    def countAbove(self, nums, k):\n"
                                                 "        self.seen += sum(x > k for x in nums)\n"
                                                 "        return self.seen\n"),
     "state: one Solution() serves every test"),
    ("count_time_limit_second", "3902", _answer("class Solution:\n    def countAbove(self, nums, k):\n"
                                                "        while len(nums) == 1:\n            k += 1\n"
                                                "        return sum(x > k for x in nums)\n"), None),
    ("count_import_in_class", "3902", _answer("class Solution:\n    from operator import gt\n\n"
                                              "    def countAbove(self, nums, k):\n"
                                              "        return sum(self.gt(x, k) for x in nums)\n"), None),
    ("count_sys_exit_in_method", "3902", _answer("import sys\nclass Solution:\n    def countAbove(self, nums, k):\n"
                                                 "        print(sum(x > k for x in nums))\n        sys.exit(0)\n"),
     "SystemExit in a functional program ends LCB's worker process: [-2], TestRunnerError"),
    ("count_no_return", "3902", _answer("class Solution:\n    def countAbove(self, nums, k):\n"
                                        "        c = sum(x > k for x in nums)\n"), None),
    ("ten_pass", "3903", _answer("class Solution:\n    def tenPow(self, n: int) -> int:\n        return 10 ** n\n"),
     "expected ints of 4301..50000 digits: LCB's json.loads reads them (sys.set_int_max_str_digits(50000))"),
    ("ten_unprintable_wrong", "3903", _answer("class Solution:\n    def tenPow(self, n):\n"
                                              "        return 10 ** (n + 50000)\n"),
     "a wrong value str() cannot print (over 50000 digits): LCB's result list gets -4 after False"),
]
# The README's --completions example: two responses per problem, each one of the pairs above.
COMPLETIONS = {"sum01": ["sum_pass", "sum_buffer_readline"], "div01": ["div_fixed_digits", "div_float_repr"],
               "tri01": ["tri_recursion_3000", "tri_loop"], "pow01": ["pow_big_int", "pow_wrong_answer"],
               "3901": ["pairs_list_of_tuples", "pairs_pass"], "3902": ["count_pass", "count_state_across_tests"],
               "3903": ["ten_pass", "ten_unprintable_wrong"]}


CODES = {True: "pass", False: "wrong_answer", -2: "wrong_answer", -3: "timeout", -4: "runtime_error", -1: "killed"}


def grade_with(lcb_dir: str) -> None:
    """In a subprocess: the official grader on every pair; prints one JSON object per pair."""
    sys.path.insert(0, lcb_dir)
    if (Path(lcb_dir) / "livecodebench").is_dir():
        from livecodebench.benchmarks.code_generation import CodeGenerationProblem
        from livecodebench.evaluation import codegen_metrics
        from livecodebench.lm_styles import LMStyle
        from livecodebench.utils.extraction_utils import extract_code
    else:
        from lcb_runner.benchmarks.code_generation import CodeGenerationProblem
        from lcb_runner.evaluation import codegen_metrics
        from lcb_runner.lm_styles import LMStyle
        from lcb_runner.utils.extraction_utils import extract_code
    rows = {r["question_id"]: r for r in map(json.loads, (HERE / "test.jsonl").read_text().splitlines())}
    problems = {qid: CodeGenerationProblem(**row) for qid, row in rows.items()}
    pairs = [json.loads(line) for line in (HERE / "pairs.jsonl").read_text().splitlines()]
    samples = [problems[p["question_id"]].get_evaluation_sample() for p in pairs]
    codes = [[extract_code(p["completion"], LMStyle.OpenAIChat)] for p in pairs]
    _, results, metadata = codegen_metrics(samples, codes, k_list=[1], num_process_evaluate=2, timeout=6)
    for i, pair in enumerate(pairs):
        res, meta = results[i][0], json.loads(metadata[i][0])
        per_test = ["killed" if meta.get("error_code") == -5 else CODES[r] for r in res]
        print(json.dumps({"pair": pair["pair"], "passed": all(r is True for r in res), "per_test": per_test,
                          "lcb_result": res, "lcb_error": meta.get("error_message"), "code": codes[i][0]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lcb-2501", required=True)
    parser.add_argument("--lcb-2505", required=True)
    parser.add_argument("--grade-with", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.grade_with:
        grade_with(args.grade_with)
        return
    _fill_pow01()
    (HERE / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in PROBLEMS))
    pairs = [{"pair": pid, "question_id": qid, "completion": text, "quirk": quirk} for pid, qid, text, quirk in PAIRS]
    (HERE / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    extracted = {}
    for key, lcb_dir in (("official", args.lcb_2501), ("official_2505", args.lcb_2505)):
        done = subprocess.run([sys.executable, __file__, "--lcb-2501", "-", "--lcb-2505", "-", "--grade-with",
                               lcb_dir], capture_output=True, text=True, check=True)
        printed = (line for line in done.stdout.splitlines() if line.startswith("{"))
        verdicts = {v["pair"]: v for v in map(json.loads, printed)}
        for pair in pairs:
            v = verdicts[pair["pair"]]
            pair[key] = {k: v[k] for k in ("passed", "per_test", "lcb_result", "lcb_error")}
            extracted.setdefault(pair["pair"], v["code"])
    (HERE / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    text = {p["pair"]: p["completion"] for p in pairs}
    lines = [{"question_id": qid, "responses": [text[pid] for pid in ids]} for qid, ids in COMPLETIONS.items()]
    (HERE / "completions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    custom = [{"question_id": qid, "code_list": [extracted[pid] for pid in ids]} for qid, ids in COMPLETIONS.items()]
    (HERE / "custom_outputs.json").write_text(json.dumps(custom, indent=1) + "\n")
    print(f"wrote {len(PROBLEMS)} problems, {len(pairs)} pairs with official verdicts, {len(lines)} completion lines")


if __name__ == "__main__":
    main()
