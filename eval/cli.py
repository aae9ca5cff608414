"""``verl-srpo eval {aime24,lcb} --model PATH_OR_HUB_ID --out DIR [options]`` (``python -m eval`` in the checkout).

Defaults are the paper's protocol (``docs/SRPO.md``); rerunning the same command resumes from the
completions cached in ``--out``. Outputs: ``results.json``, ``results.md``, ``results.png``,
``verdicts.jsonl`` (and, for ``lcb``, ``lcb_custom_outputs.json`` for LiveCodeBench's ``custom_evaluator``).
``--completions FILE`` grades saved completions instead, without a model (``eval/completions.py``).
``python -m eval aime24 --help`` / ``lcb --help`` list every option with its default.

An error a user can fix (a missing dataset or model, a wrong release or window, a resume with other
settings, vLLM missing) is printed as one line on stderr with what to do, exit code 2; a run that fails
before sampling leaves no ``run.json`` behind.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from verl_srpo.eval import aime, lcb
from verl_srpo.eval.errors import EvalError
from verl_srpo.eval.generate import Sampling

_DEFAULTS = Sampling()


class _Help(argparse.RawDescriptionHelpFormatter):
    """The description as written, and each option's default after its help (unless the help states it)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.required or any(action.default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        return f"{text} (default: %(default)s)"


_DEFAULTS_TEXT = f"""defaults (each subcommand's --help lists them all):
  both:   --backend vllm --prompt-style r1_zero --temperature {_DEFAULTS.temperature} --top-p {_DEFAULTS.top_p} \
--max-new-tokens {_DEFAULTS.max_new_tokens} --seed {_DEFAULTS.seed}
  aime24: --dataset {aime.DEFAULT_DATASET} --expect-problems {aime.NUM_PROBLEMS} --n {_DEFAULTS.n}
  lcb:    --dataset {lcb.DEFAULT_DATASET} --release {lcb.DEFAULT_RELEASE} --start {lcb.DEFAULT_START} \
--end {lcb.DEFAULT_END} --n {lcb.DEFAULT_N} --timeout {lcb.LCB_TEST_TIMEOUT_S}"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="local model directory or Hub model id (optional with --completions)")
    p.add_argument("--completions", metavar="FILE", default=None,
                   help="grade this file of saved completions instead of sampling (see eval/completions.py)")
    p.add_argument("--revision", default=None, help="Hub model revision (branch, tag or commit)")
    p.add_argument("--out", required=True, help="run directory: cached completions and results")
    p.add_argument("--overwrite", action="store_true", help="delete --out first (otherwise: resume)")
    p.add_argument("--score-only", action="store_true", help="never generate; fail if completions are missing")
    p.add_argument("--backend", choices=["vllm", "transformers"], default="vllm",
                   help="vllm (GPU, the protocol; needs `pip install 'verl-srpo[vllm]'`) or transformers "
                        "(small models, CPU)")
    p.add_argument("--prompt-style", choices=["r1_zero", "chat"], default="r1_zero",
                   help="r1_zero: raw R1-Zero text (docs/SRPO.md); chat: the tokenizer's chat template (ours)")
    p.add_argument("--n", type=int, default=_DEFAULTS.n, help="samples per problem (aime24: 32, avg@32; lcb: 32)")
    p.add_argument("--temperature", type=float, default=_DEFAULTS.temperature, help="docs/SRPO.md: 0.6")
    p.add_argument("--top-p", type=float, default=_DEFAULTS.top_p, help="docs/SRPO.md: 0.95")
    p.add_argument("--max-new-tokens", type=int, default=_DEFAULTS.max_new_tokens, help="docs/SRPO.md: 32768")
    p.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="base seed; sample j of problem p derives its own")
    p.add_argument("--dtype", default="auto", help="model dtype (auto, bfloat16, float32, ...)")
    p.add_argument("--tensor-parallel-size", type=int, default=1, help="vLLM: GPUs per engine")
    p.add_argument("--data-parallel-size", type=int, default=1, help="vLLM: engines, one process each")
    p.add_argument("--gpu-memory-utilization", type=float, default=0.9, help="vLLM: fraction of GPU memory")
    p.add_argument("--max-model-len", type=int, default=None,
                   help="vLLM: context length (default: the model's); keep >= prompt + --max-new-tokens")
    p.add_argument("--dataset-revision", default=None, help="Hub dataset revision (default: newest commit)")


def build_parser(prog: str = "python -m eval") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=_Help,
                                     epilog=_DEFAULTS_TEXT)
    sub = parser.add_subparsers(dest="task", required=True)
    pa = sub.add_parser("aime24", help="AIME 2024, avg@n (default avg@32)", formatter_class=_Help,
                        description="AIME 2024 I + II, avg@n (default avg@32), scored with the training math reward.")
    _common(pa)
    pa.add_argument("--dataset", default=aime.DEFAULT_DATASET, help="Hub dataset id or local parquet/jsonl/json")
    pa.add_argument("--expect-problems", type=int, default=aime.NUM_PROBLEMS,
                    help="fail unless the dataset holds this many problems (0: any)")
    pl = sub.add_parser("lcb", help="LiveCodeBench code generation, pass@1 averaged over n", formatter_class=_Help,
                        description="LiveCodeBench code generation: pass@1 averaged over n samples, on the problems "
                                    "of --release dated --start..--end (the window).")
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


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse impossible option values before anything runs (argparse's usage error, exit code 2)."""
    for flag in ("model", "completions", "dataset", "out"):  # "" would silently mean the current directory
        value = getattr(args, flag, None)
        if value is not None and not str(value).strip():
            parser.error(f"--{flag} is empty (an unset shell variable?): give a path or a Hub id")
    if not args.model and not args.completions:
        parser.error("--model is required (or --completions FILE to grade saved completions)")
    if args.completions:  # the file's responses were sampled already: a sampling flag would be silently ignored
        defaults = {"n": lcb.DEFAULT_N if args.task == "lcb" else _DEFAULTS.n, "temperature": _DEFAULTS.temperature,
                    "top_p": _DEFAULTS.top_p, "max_new_tokens": _DEFAULTS.max_new_tokens, "seed": _DEFAULTS.seed}
        given = [f"--{key.replace('_', '-')}" for key, value in defaults.items() if getattr(args, key) != value]
        if given:
            parser.error(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply to --completions: every "
                         "response in the file is graded as it was sampled (results.json records no sampling); drop "
                         f"{'it' if len(given) == 1 else 'them'}")
    if args.tensor_parallel_size < 1 or args.data_parallel_size < 1:
        parser.error("--tensor-parallel-size and --data-parallel-size must be >= 1")
    if args.backend == "transformers" and (args.tensor_parallel_size > 1 or args.data_parallel_size > 1):
        parser.error("tensor/data parallelism needs --backend vllm")
    try:
        Sampling(args.n, args.temperature, args.top_p, args.max_new_tokens, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    if args.task == "aime24" and args.expect_problems < 0:
        parser.error("--expect-problems must be >= 0 (0: any number of problems)")
    if args.task == "lcb" and (args.timeout <= 0 or args.workers < 1):
        parser.error("--timeout must be > 0 seconds and --workers >= 1")


def check_backend(args: argparse.Namespace) -> None:
    """Fail before anything is written when the chosen backend is not installed."""
    if args.completions:  # grading saved completions samples nothing
        return
    if args.backend == "vllm" and not args.score_only and importlib.util.find_spec("vllm") is None:
        raise EvalError("--backend vllm (the default) needs vLLM, which is not installed: on a GPU machine "
                        "`pip install 'verl-srpo[vllm]'` (verl's vLLM extra: a vLLM that matches its torch and "
                        "transformers); on CPU pass --backend transformers (small models), or --score-only "
                        "to score completions already in --out")


def _remove_new_run_file(out: Path, out_existed: bool, run_file_existed: bool) -> None:
    """Undo what a run that failed before sampling wrote: ``run.json`` (and ``--out`` if it made it)."""
    from verl_srpo.eval.cache import RUN_FILE

    if run_file_existed or any(p.stat().st_size for p in out.glob("completions*.jsonl")):
        return
    (out / RUN_FILE).unlink(missing_ok=True)
    if not out_existed and out.is_dir() and not any(out.iterdir()):
        out.rmdir()


def main(argv: list[str] | None = None, prog: str = "python -m eval") -> int:
    """Run the command line ``argv``; ``prog`` names the command in help and errors (``verl-srpo eval``)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    check_args(parser, args)
    out = Path(args.out)
    if args.overwrite and out.exists():
        shutil.rmtree(out)
    out_existed, run_file_existed = out.exists(), (out / "run.json").exists()
    try:
        check_backend(args)
        from verl_srpo.eval import pipeline

        results = (pipeline.run_aime if args.task == "aime24" else pipeline.run_lcb)(args)
    except EvalError as exc:
        _remove_new_run_file(out, out_existed, run_file_existed)
        print(f"{prog} {args.task}: error: {exc}", file=sys.stderr)
        return 2
    head = results["headline"]
    print(f"{args.task} {head['metric']} = {100 * head['mean']:.2f}% "
          f"(95% CI {100 * head['ci95_low']:.2f}..{100 * head['ci95_high']:.2f}, grader {head['grader']}); "
          f"results in {args.out}/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
