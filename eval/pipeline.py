"""One evaluation run: load problems, render prompts, sample (cached), score, write the outputs."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

from verl_srpo.eval import aime, lcb, metrics, report
from verl_srpo.eval.cache import check_run_settings, load_completions
from verl_srpo.eval.errors import EvalError
from verl_srpo.eval.fingerprint import weights_fingerprint
from verl_srpo.eval.generate import (
    Sampling,
    TransformersBackend,
    build_requests,
    pending_requests,
    run_generation,
    run_vllm,
)
from verl_srpo.rewards import SCORING_VERSION


def render_prompt(question: str, domain: str, style: str, tokenizer) -> str:
    """``r1_zero``: the raw R1-Zero text (how R1-Zero is evaluated); ``chat``: the tokenizer's template."""
    from verl_srpo.prompts import chat_messages, r1_zero_text

    if style == "r1_zero":
        return r1_zero_text(question, domain)
    return tokenizer.apply_chat_template(chat_messages(question, domain), tokenize=False, add_generation_prompt=True)


def model_identity(model: str, revision: str | None) -> dict:
    fp = weights_fingerprint(model, revision)
    return {"name": model, "revision": fp["revision"], "fingerprint": fp["fingerprint"]}


def sample(args: Namespace, sampling: Sampling, prompts: dict[str, str], out: Path, settings: dict) -> None:
    """Draw every missing completion into ``out`` (nothing at all when all are cached)."""
    check_run_settings(out, settings)
    requests = build_requests(prompts, sampling)
    if not pending_requests(requests, load_completions(out)):
        return
    if args.score_only:
        raise EvalError(f"--score-only, but {out} lacks completions; drop --score-only to generate them")
    if args.backend == "transformers":
        run_generation(TransformersBackend(args.model, sampling, dtype=args.dtype), requests, out)
    else:
        run_vllm(args.model, sampling, requests, out, tensor_parallel_size=args.tensor_parallel_size,
                 data_parallel_size=args.data_parallel_size, dtype=args.dtype,
                 gpu_memory_utilization=args.gpu_memory_utilization, max_model_len=args.max_model_len)


def _by_problem(out: Path, ids: list[str], n: int) -> dict[str, list[dict]]:
    cached = load_completions(out)
    missing = [(pid, j) for pid in ids for j in range(n) if (pid, j) not in cached]
    if missing:
        raise RuntimeError(f"{len(missing)} completions missing after sampling (first {missing[:3]})")
    return {pid: [cached[(pid, j)] for j in range(n)] for pid in ids}


# scoring_version: the reward's rules (verl_srpo.rewards.SCORING_VERSION), for the graders that are the reward
AIME_GRADER = {"name": "math_reward",
               "description": "the training math reward (verl_srpo.rewards.math.score_math, math-verify)",
               "scoring_version": SCORING_VERSION}


def lcb_grader(grader: str, timeout: float) -> dict:
    """The ``grader`` record of an LCB ``results.json``: name, what it is, timeout and sandbox."""
    from verl_srpo.eval import lcb_official
    from verl_srpo.rewards.sandbox import isolation_mode, sandbox_python

    record = {"name": grader, "description": lcb.GRADERS[grader], "test_timeout_s": timeout,
              "sandbox": isolation_mode(), "sandbox_python": sandbox_python()}
    if grader == "judge":
        record["scoring_version"] = SCORING_VERSION
    else:
        record["lcb_commit"] = lcb_official.VARIANTS["2505" if grader == "official-2505" else "2501"]
    return record


def _problem_entry(pid: str, records: list[dict], verdicts: list[dict], **extra) -> dict:
    samples = [{"sample": r["sample"], **{k: r[k] for k in ("finish_reason", "num_tokens") if k in r},
                **{k: v for k, v in verdict.items() if k != "per_test"}} for r, verdict in zip(records, verdicts)]
    correct = sum(v["acc"] for v in verdicts)
    return {"problem_id": pid, **extra, "n": len(records), "num_correct": correct,
            "accuracy": correct / len(records), "samples": samples}


def score_aime(problems: list, records: dict[str, list[dict]]) -> tuple[list[dict], dict, list[dict]]:
    """Problem entries, aggregates (avg@n, pass@k, maj@k, and ``math_verify_errors``: the math-verify checks
    that failed to run, summed over all samples) and verdict lines of ``records[problem_id]`` (dicts with
    ``sample`` and ``text``)."""
    entries, correct, answers, lines = [], [], [], []
    for p in problems:
        recs = records[p.problem_id]
        verdicts = []
        for r in recs:
            v = aime.score_sample(r["text"], p.answer)
            verdicts.append({**v, "failure": "none" if v["acc"] else "wrong_answer" if v["pred"] else "no_answer"})
        entries.append(_problem_entry(p.problem_id, recs, verdicts, answer=p.answer))
        correct.append([v["acc"] for v in verdicts])
        answers.append([v["pred"] for v in verdicts])
        lines += [report.verdict_line(p.problem_id, r["sample"], AIME_GRADER["name"], v)
                  for r, v in zip(recs, verdicts)]
    errors = sum(s["math_verify_errors"] for e in entries for s in e["samples"])
    return entries, {**metrics.aggregate(correct, answers), "math_verify_errors": errors}, lines


def score_lcb(problems: list, records: dict[str, list[dict]], grader: str, timeout: float, workers: int | None,
              extracted: bool = False) -> tuple[list[dict], dict, list[dict]]:
    """As :func:`score_aime`, with ``grader``; ``extracted``: the texts are programs (custom-evaluator input)."""
    entries, correct, lines = [], [], []
    for p in problems:
        recs = records[p.problem_id]
        verdicts = lcb.grade_problem(p, [r["text"] for r in recs], timeout, workers, grader, extracted)
        entries.append(_problem_entry(p.problem_id, recs, verdicts, title=p.title, platform=p.platform,
                                      difficulty=p.difficulty, contest_date=p.contest_date.isoformat()))
        correct.append([v["acc"] for v in verdicts])
        lines += [report.verdict_line(p.problem_id, r["sample"], grader, v) for r, v in zip(recs, verdicts)]
    # pass@1 (unbiased, = c/n) is pass@1 averaged over the n samples
    return entries, metrics.aggregate(correct), lines


def run_aime(args: Namespace) -> dict:
    if args.completions:
        from verl_srpo.eval import completions

        return completions.run_aime(args)
    sampling = Sampling(args.n, args.temperature, args.top_p, args.max_new_tokens, args.seed)
    problems, dataset = aime.load_aime(args.dataset, args.dataset_revision, args.expect_problems or None)
    tokenizer = _tokenizer(args)
    prompts = {p.problem_id: render_prompt(p.question, "math", args.prompt_style, tokenizer) for p in problems}
    model = model_identity(args.model, args.revision)
    out = Path(args.out)
    sample(args, sampling, prompts, out, _settings(args, sampling, model, dataset))
    entries, agg, lines = score_aime(problems, _by_problem(out, list(prompts), sampling.n))
    results = report.build_results(task="aime24", model=model, backend=args.backend, prompt_style=args.prompt_style,
                                   sampling=sampling.__dict__, dataset=dataset, headline=f"avg@{sampling.n}",
                                   metrics=agg, problems=entries, grader=AIME_GRADER)
    report.write_outputs(results, out, lines)
    return results


def run_lcb(args: Namespace) -> dict:
    if args.completions:
        from verl_srpo.eval import completions

        return completions.run_lcb(args)
    sampling = Sampling(args.n, args.temperature, args.top_p, args.max_new_tokens, args.seed)
    problems, dataset = lcb.load_lcb(args.dataset, args.release, args.start, args.end, args.dataset_revision)
    tokenizer = _tokenizer(args)
    prompts = {p.problem_id: render_prompt(lcb.question_text(p), "code", args.prompt_style, tokenizer)
               for p in problems}
    model = model_identity(args.model, args.revision)
    out = Path(args.out)
    sample(args, sampling, prompts, out, _settings(args, sampling, model, dataset))
    comps = _by_problem(out, list(prompts), sampling.n)
    entries, agg, lines = score_lcb(problems, comps, args.grader, args.timeout, args.workers)
    dataset["test_timeout_s"] = args.timeout
    results = report.build_results(task="lcb", model=model, backend=args.backend, prompt_style=args.prompt_style,
                                   sampling=sampling.__dict__, dataset=dataset, headline="pass@1",
                                   metrics=agg, problems=entries, grader=lcb_grader(args.grader, args.timeout))
    report.write_outputs(results, out, lines)
    lcb.write_custom_evaluator(out / "lcb_custom_outputs.json", problems,
                               {pid: [r["text"] for r in recs] for pid, recs in comps.items()}, args.grader)
    return results


def _tokenizer(args: Namespace):
    if args.prompt_style != "chat":
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(args.model, revision=args.revision)


def _settings(args: Namespace, sampling: Sampling, model: dict, dataset: dict) -> dict:
    """What each cached completion depends on; a resume must match it exactly. ``n`` is left out: sample j
    is drawn with its own seed, so a rerun with a larger ``--n`` keeps the first samples and adds more."""
    drawn = {k: v for k, v in sampling.__dict__.items() if k != "n"}
    return json.loads(json.dumps({"model": model, "backend": args.backend, "prompt_style": args.prompt_style,
                                  "sampling": drawn,
                                  "dataset": {k: dataset.get(k) for k in ("source", "revision", "files")}}))
