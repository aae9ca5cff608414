"""``python -m eval {aime24,lcb} --model PATH_OR_HUB_ID --out DIR [options]``.

Defaults are the paper's protocol (``shared/SRPO.md``); rerunning the same command resumes from the
completions cached in ``--out``. Outputs: ``results.json``, ``results.md``, ``results.png``,
``verdicts.jsonl`` (and, for ``lcb``, ``lcb_custom_outputs.json`` for LiveCodeBench's ``custom_evaluator``).
``--completions FILE`` grades saved completions instead, without a model (``eval/completions.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from eval import aime, lcb
from eval.generate import Sampling

_DEFAULTS = Sampling()


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="local model directory or Hub model id (optional with --completions)")
    p.add_argument("--completions", metavar="FILE", default=None,
                   help="grade this file of saved completions instead of sampling (see eval/completions.py)")
    p.add_argument("--revision", default=None, help="Hub model revision (branch, tag or commit)")
    p.add_argument("--out", required=True, help="run directory: cached completions and results")
    p.add_argument("--overwrite", action="store_true", help="delete --out first (otherwise: resume)")
    p.add_argument("--score-only", action="store_true", help="never generate; fail if completions are missing")
    p.add_argument("--backend", choices=["vllm", "transformers"], default="vllm",
                   help="vllm (GPU, the protocol) or transformers (small models, CPU tests)")
    p.add_argument("--prompt-style", choices=["r1_zero", "chat"], default="r1_zero",
                   help="r1_zero: raw R1-Zero text (shared/SRPO.md); chat: the tokenizer's chat template (ours)")
    p.add_argument("--n", type=int, default=_DEFAULTS.n, help="samples per problem (aime24: 32, avg@32; lcb: 32)")
    p.add_argument("--temperature", type=float, default=_DEFAULTS.temperature, help="shared/SRPO.md: 0.6")
    p.add_argument("--top-p", type=float, default=_DEFAULTS.top_p, help="shared/SRPO.md: 0.95")
    p.add_argument("--max-new-tokens", type=int, default=_DEFAULTS.max_new_tokens, help="shared/SRPO.md: 32768")
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="base seed; sample j of problem p derives its own")
    p.add_argument("--dtype", default="auto", help="model dtype (auto, bfloat16, float32, ...)")
    p.add_argument("--tensor-parallel-size", type=int, default=1, help="vLLM: GPUs per engine")
    p.add_argument("--data-parallel-size", type=int, default=1, help="vLLM: engines, one process each")
    p.add_argument("--gpu-memory-utilization", type=float, default=0.9, help="vLLM: fraction of GPU memory")
    p.add_argument("--max-model-len", type=int, default=None,
                   help="vLLM: context length (default: the model's); keep >= prompt + --max-new-tokens")
    p.add_argument("--dataset-revision", default=None, help="Hub dataset revision (default: newest commit)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="task", required=True)
    pa = sub.add_parser("aime24", help="AIME 2024, avg@n (default avg@32)")
    _common(pa)
    pa.add_argument("--dataset", default=aime.DEFAULT_DATASET, help="Hub dataset id or local parquet/jsonl/json")
    pa.add_argument("--expect-problems", type=int, default=aime.NUM_PROBLEMS,
                    help="fail unless the dataset holds this many problems (0: any)")
    pl = sub.add_parser("lcb", help="LiveCodeBench code generation, pass@1 averaged over n")
    _common(pl)
    pl.add_argument("--dataset", default=lcb.DEFAULT_DATASET,
                    help="Hub id or local copy (a directory of test*.jsonl, or one file)")
    pl.add_argument("--release", default=lcb.DEFAULT_RELEASE, help="release_vN, release_latest, vN or vA_vB")
    pl.add_argument("--start", default=lcb.DEFAULT_START, help="first contest date, YYYY-MM-DD ((ours) to confirm)")
    pl.add_argument("--end", default=lcb.DEFAULT_END, help="last contest date, YYYY-MM-DD ((ours) to confirm)")
    pl.add_argument("--timeout", type=float, default=lcb.LCB_TEST_TIMEOUT_S,
                    help="seconds per test case (LiveCodeBench's default: 6)")
    pl.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="completions graded at once (default: CPU count; more can cause false timeouts)")
    pl.add_argument("--grader", choices=sorted(lcb.GRADERS), default=lcb.DEFAULT_GRADER,
                    help="official: LiveCodeBench's verdicts, quirks included (published numbers); "
                         "official-2505: its grader since 2025-05-23; judge: the training reward (eval/README.md)")
    pl.set_defaults(n=lcb.DEFAULT_N)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.model and not args.completions:
        raise SystemExit(f"python -m eval {args.task}: --model is required (or --completions FILE to grade saved "
                         "completions)")
    if args.tensor_parallel_size < 1 or args.data_parallel_size < 1:
        raise SystemExit("--tensor-parallel-size and --data-parallel-size must be >= 1")
    if args.backend == "transformers" and (args.tensor_parallel_size > 1 or args.data_parallel_size > 1):
        raise SystemExit("tensor/data parallelism needs --backend vllm")
    if args.overwrite and Path(args.out).exists():
        shutil.rmtree(args.out)
    from eval import pipeline

    results = (pipeline.run_aime if args.task == "aime24" else pipeline.run_lcb)(args)
    head = results["headline"]
    print(f"{args.task} {head['metric']} = {100 * head['mean']:.2f}% "
          f"(95% CI {100 * head['ci95_low']:.2f}..{100 * head['ci95_high']:.2f}, grader {head['grader']}); "
          f"results in {args.out}/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
