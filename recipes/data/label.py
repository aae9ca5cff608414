"""Difficulty labels: how many of ``k`` samples of a given model solve each problem.

The prompts are the training prompts (``verl_srpo.prompts.chat_messages`` through the R1-Zero chat
template), the samples come from ``eval.generate`` (vLLM on GPUs, transformers for tiny models and
tests), cached per completion so a killed run resumes, and each sample is scored with the training
reward ``verl_srpo.rewards.compute_score``, by its accuracy (never the shaped score; docs/SRPO.md
"History Resampling"). A row keeps ``pass_k`` (k), ``num_correct``, ``pass_rate`` and ``difficulty``.

Cached samples are keyed by what made them: the run folder by the model's content (Hub commit, or the
sha256 of a local model's files) and the sampling settings, each sample by its problem and a digest of
its prompt. An edited problem or another model never reuses a stale sample.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from verl_srpo.eval.cache import check_run_settings, load_completions
from verl_srpo.eval.errors import cache_miss
from verl_srpo.eval.generate import Request, Sampling, TransformersBackend, derive_seed, run_generation, run_vllm
from verl_srpo.recipes.data.files import FileHashes

VERSION = 2  # bump when labelling changes: cached labels are redone

# Difficulty names, hardest first (ours): "solved" rows (c = k) are dropped by default (--keep-solved).
DIFFICULTIES = ("unsolved", "hard", "medium", "easy", "solved")


@dataclass(frozen=True)
class LabelConfig:
    model: str
    backend: str = "vllm"  # "vllm" or "transformers"
    k: int = 8  # (ours) samples per problem
    temperature: float = 1.0  # (ours) the training rollout temperature
    top_p: float = 1.0
    max_new_tokens: int = 8192  # (ours)
    seed: int = 0
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    score_workers: int = 4

    def sampling(self) -> Sampling:
        return Sampling(n=self.k, temperature=self.temperature, top_p=self.top_p,
                        max_new_tokens=self.max_new_tokens, seed=self.seed)


def bucket(pass_rate: float) -> str:
    """0 -> unsolved, (0, 0.25] -> hard, (0.25, 0.75) -> medium, [0.75, 1) -> easy, 1 -> solved."""
    if pass_rate <= 0.0:
        return "unsolved"
    if pass_rate >= 1.0:
        return "solved"
    return "hard" if pass_rate <= 0.25 else "medium" if pass_rate < 0.75 else "easy"


def row_key(record: dict) -> str:
    return f"{record['source']}:{record['source_id']}"


def sample_key(record: dict) -> str:
    """A problem's key in the sample cache: its id and a digest of the prompt it was sampled from."""
    return f"{row_key(record)}@{hashlib.sha256(prompt_text(record).encode()).hexdigest()[:12]}"


def prompt_text(record: dict) -> str:
    """The prompt training sees. ``+plugin=verl_srpo`` (and ``+prompt=r1_zero``) set verl's chat template to
    ``verl_srpo.prompts.R1_ZERO_CHAT_TEMPLATE``, which renders the row's chat messages exactly as
    ``r1_zero_text``, whatever template the model's tokenizer ships."""
    from verl_srpo.prompts import r1_zero_text

    return r1_zero_text(record["question"], record["domain"])


def model_identity(model: str, hashes: FileHashes) -> dict:
    """What the labelling model is: the sha256 of each file of a local folder, else its Hub commit
    (or the commit of its copy in the local Hugging Face cache)."""
    path = Path(model)
    if path.exists():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        return {"model": model, "files": {str(p.relative_to(path)): hashes.sha256(p) for p in files}}
    try:
        from huggingface_hub import HfApi

        return {"model": model, "revision": HfApi().model_info(model).sha}
    except Exception as hub_error:
        try:
            from huggingface_hub import snapshot_download

            return {"model": model, "revision": Path(snapshot_download(model, local_files_only=True)).name}
        except Exception as cache_error:
            raise RuntimeError(f"--label-model {model}: neither a local folder nor a Hub model (Hub: {hub_error}; "
                               f"local cache: {cache_miss(cache_error)}); pass a local model folder") from cache_error


def run_folder(samples_dir: Path, cfg: LabelConfig, identity: dict) -> tuple[Path, dict]:
    """The cache folder of one (model content, sampling) pair, and the settings it is keyed by."""
    settings = {"model": cfg.model, "model_identity": identity, "backend": cfg.backend, **cfg.sampling().__dict__}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    return samples_dir / digest, settings


def generate(records: Iterable[dict], cfg: LabelConfig, run_dir: Path, settings: dict) -> dict[tuple[str, int], dict]:
    """Sample ``k`` completions per record into ``run_dir`` (resuming), and return them all."""
    check_run_settings(run_dir, settings)
    prompts = {sample_key(r): prompt_text(r) for r in records}
    requests = [Request(pid, j, text, derive_seed(cfg.seed, pid, j)) for pid, text in prompts.items()
                for j in range(cfg.k)]
    del prompts
    if cfg.backend == "vllm":
        run_vllm(cfg.model, cfg.sampling(), requests, run_dir, tensor_parallel_size=cfg.tensor_parallel_size,
                 data_parallel_size=cfg.data_parallel_size)
    elif cfg.backend == "transformers":
        run_generation(TransformersBackend(cfg.model, cfg.sampling()), requests, run_dir, desc="labelling")
    else:
        raise ValueError(f"unknown --backend {cfg.backend!r}: use 'vllm' (GPU) or 'transformers' (tiny models)")
    return load_completions(run_dir)


def is_correct(record: dict, text: str) -> bool:
    """The reward's accuracy on one completion (``acc``), not its shaped score."""
    from verl_srpo.rewards import compute_score

    result = compute_score(record["source"], text, record["answer"], {"domain": record["domain"]})
    if isinstance(result, dict):
        return bool(result["acc"])
    return float(result) >= 1.0


def label(records: Callable[[], Iterable[dict]], cfg: LabelConfig, run_dir: Path, settings: dict,
          chunk: int = 64) -> Iterator[dict]:
    """Records with ``pass_k, num_correct, pass_rate, difficulty`` and the labelling model added.

    ``records()`` is read twice (prompts, then scoring ``chunk`` records at a time), so the records
    themselves, with their tests, are never all in memory.
    """
    completions = generate(records(), cfg, run_dir, settings)
    stream = iter(records())
    with ThreadPoolExecutor(max_workers=cfg.score_workers) as pool:
        while batch := list(islice(stream, chunk)):
            jobs = [(r, completions[(sample_key(r), j)]["text"]) for r in batch for j in range(cfg.k)]
            verdicts = list(pool.map(lambda job: is_correct(*job), jobs))
            for i, record in enumerate(batch):
                correct = sum(verdicts[i * cfg.k:(i + 1) * cfg.k])
                rate = correct / cfg.k
                yield {**record, "pass_k": cfg.k, "num_correct": correct, "pass_rate": rate,
                       "difficulty": bucket(rate), "label_model": cfg.model}


def solved_removal(record: dict, keep_solved: bool) -> dict | None:
    """The removal of a row every sample solved (c = k: too easy to teach anything); None keeps it
    (always, with ``keep_solved``)."""
    if keep_solved or record["difficulty"] != "solved":
        return None
    return {"source": record["source"], "source_id": record["source_id"], "step": "label", "reason": "solved",
            "detail": f"{record['num_correct']}/{record['pass_k']} samples of {record['label_model']} correct"}


def drop_solved(records: list[dict], keep_solved: bool) -> tuple[list[dict], list[dict]]:
    """:func:`solved_removal` over a list: ``(kept, removals)``."""
    removals = [solved_removal(r, keep_solved) for r in records]
    return [r for r, gone in zip(records, removals, strict=True) if gone is None], [gone for gone in removals if gone]
