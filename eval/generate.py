"""Sampling completions with vLLM (GPU) or transformers (small models, tests), cached as they finish.

Every completion is a pure function of (model, prompt, seed): sample ``j`` of problem ``p`` is drawn
with its own seed ``derive_seed(seed, p, j)``, so a resumed or data-parallel run draws exactly the
completions an uninterrupted single-process run would (up to the engine's own non-determinism).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from verl_srpo.eval.cache import CompletionWriter, SettingsMismatch, load_completions


@dataclass(frozen=True)
class Sampling:
    """Sampling settings. Defaults are the paper's protocol (``docs/SRPO.md``, "Evaluation protocol")."""

    n: int = 32  # samples per problem: AIME24 avg@32 (docs/SRPO.md)
    temperature: float = 0.6  # docs/SRPO.md
    top_p: float = 0.95  # docs/SRPO.md
    max_new_tokens: int = 32768  # docs/SRPO.md
    seed: int = 0  # (ours) base seed; each sample derives its own

    def __post_init__(self):
        if self.n < 1 or self.max_new_tokens < 1:
            raise ValueError(f"n and max_new_tokens must be >= 1, got n={self.n}, max={self.max_new_tokens}")
        if not (0.0 < self.top_p <= 1.0) or self.temperature < 0.0:
            raise ValueError(f"need temperature >= 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}")


@dataclass(frozen=True)
class Request:
    """One completion to draw: sample ``sample`` of problem ``problem_id``."""

    problem_id: str
    sample: int
    prompt: str
    seed: int


def derive_seed(seed: int, problem_id: str, sample: int) -> int:
    """A 31-bit seed for one sample, stable across runs, processes and Python versions."""
    digest = hashlib.sha256(f"{seed}/{problem_id}/{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def prompt_digest(prompt: str) -> str:
    """Short sha256 of a prompt, stored with each completion so a changed prompt is never reused."""
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


def pending_requests(requests: list[Request], cached: dict) -> list[Request]:
    """Requests without a cached completion; refuses cached completions of a different prompt."""
    stale = [r for r in requests if (r.problem_id, r.sample) in cached
             and cached[(r.problem_id, r.sample)].get("prompt_sha") != prompt_digest(r.prompt)]
    if stale:
        raise SettingsMismatch(f"{len(stale)} cached completions were drawn from another prompt (first: problem "
                               f"{stale[0].problem_id}, sample {stale[0].sample}); pass a new --out, or --overwrite")
    return [r for r in requests if (r.problem_id, r.sample) not in cached]


def build_requests(prompts: dict[str, str], sampling: Sampling) -> list[Request]:
    """``n`` requests per problem, in problem order then sample order."""
    return [
        Request(pid, j, prompt, derive_seed(sampling.seed, pid, j))
        for pid, prompt in prompts.items()
        for j in range(sampling.n)
    ]


class TransformersBackend:
    """``model.generate`` one sample at a time; for small models and CPU tests."""

    def __init__(self, model: str, sampling: Sampling, dtype: str = "auto", device: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModelForCausalLM.from_pretrained(model, dtype=dtype).to(self.device).eval()
        self.sampling = sampling

    def generate(self, requests: Iterable[Request]) -> Iterator[tuple[Request, dict]]:
        """Yields ``(request, {"text", "num_tokens", "finish_reason"})`` as each finishes."""
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else next(iter(eos_ids), 0)
        for req in requests:
            enc = self.tokenizer(req.prompt, return_tensors="pt").to(self.device)
            ids = enc.input_ids
            self.torch.manual_seed(req.seed)
            greedy = self.sampling.temperature == 0.0
            with self.torch.no_grad():
                out = self.model.generate(
                    ids,
                    attention_mask=enc.attention_mask,
                    do_sample=not greedy,
                    temperature=None if greedy else self.sampling.temperature,
                    top_p=None if greedy else self.sampling.top_p,
                    top_k=None,
                    max_new_tokens=self.sampling.max_new_tokens,
                    pad_token_id=pad,
                )
            new = out[0, ids.shape[1]:].tolist()
            stopped = bool(new) and new[-1] in eos_ids
            yield req, {
                "text": self.tokenizer.decode(new, skip_special_tokens=True),
                "num_tokens": len(new),
                "finish_reason": "stop" if stopped else "length",
            }


VLLM_START_METHOD = "VLLM_WORKER_MULTIPROC_METHOD"


def start_vllm_engine(**engine_args):
    """``vllm.LLM(**engine_args)``, with its engine and worker processes *spawned*, never forked.

    The one place where this project builds a vLLM engine (evaluation, data labelling). vLLM forks its
    engine-core process unless it sees CUDA initialised in the parent (``torch.cuda.is_initialized()``).
    But a parent that merely asked how many GPUs there are (``torch.cuda.is_available()`` or
    ``device_count()``, as ``import verl`` does at import time) has already poisoned fork for CUDA without
    counting as initialised, and the forked engine then dies with "Cannot re-initialize CUDA in forked
    subprocess" (seen on the H200, 2026-11-29). Spawn is right whatever the parent did, so it is forced
    here; a user's explicit ``VLLM_WORKER_MULTIPROC_METHOD=fork`` is overridden with a warning.
    """
    method = os.environ.get(VLLM_START_METHOD) or None
    if method not in (None, "spawn"):
        print(f"warning: {VLLM_START_METHOD}={method} overridden with spawn: a forked vLLM engine fails once the "
              "parent has touched CUDA, which importing verl or torch.cuda.is_available() does.", flush=True)
    os.environ[VLLM_START_METHOD] = "spawn"
    from vllm import LLM

    return LLM(**engine_args)


class VLLMBackend:
    """vLLM offline engine. Requests are stepped one engine iteration at a time (the loop that
    ``LLM.generate`` runs internally), so each completion is cached the moment it finishes. If this
    vLLM's ``LLMEngine`` lacks that interface, it falls back to the public ``LLM.generate`` in chunks
    of ``chunk_size`` requests (a kill then loses at most one chunk)."""

    def __init__(self, model: str, sampling: Sampling, tensor_parallel_size: int = 1, dtype: str = "auto",
                 gpu_memory_utilization: float = 0.9, max_model_len: int | None = None, chunk_size: int = 512):
        from vllm import SamplingParams

        self.SamplingParams = SamplingParams
        self.llm = start_vllm_engine(model=model, tensor_parallel_size=tensor_parallel_size, dtype=dtype,
                                     gpu_memory_utilization=gpu_memory_utilization, max_model_len=max_model_len,
                                     seed=sampling.seed, enable_prefix_caching=True)
        self.sampling, self.chunk_size = sampling, chunk_size

    def _params(self, req: Request):
        s = self.sampling
        return self.SamplingParams(n=1, temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_new_tokens,
                                   seed=req.seed)

    @staticmethod
    def _result(out) -> dict:
        comp = out.outputs[0]
        return {"text": comp.text, "num_tokens": len(comp.token_ids), "finish_reason": comp.finish_reason or "stop"}

    def generate(self, requests: Iterable[Request]) -> Iterator[tuple[Request, dict]]:
        requests = list(requests)
        engine = getattr(self.llm, "llm_engine", None)
        if not all(hasattr(engine, m) for m in ("add_request", "step", "has_unfinished_requests")):
            yield from self._generate_chunked(requests)
            return
        by_id = {f"eval-{i}": req for i, req in enumerate(requests)}
        for rid, req in by_id.items():
            engine.add_request(rid, req.prompt, self._params(req))
        while engine.has_unfinished_requests():
            for out in engine.step():
                if out.finished:
                    yield by_id[out.request_id], self._result(out)

    def _generate_chunked(self, requests: list[Request]) -> Iterator[tuple[Request, dict]]:
        for i in range(0, len(requests), self.chunk_size):
            chunk = requests[i:i + self.chunk_size]
            outs = self.llm.generate([r.prompt for r in chunk], [self._params(r) for r in chunk], use_tqdm=False)
            yield from zip(chunk, map(self._result, outs))


def run_generation(backend, requests: list[Request], run_dir: Path, rank: int = 0, desc: str = "sampling") -> int:
    """Draw every request not already cached in ``run_dir``; returns how many were drawn now."""
    todo = pending_requests(requests, load_completions(run_dir))
    bar = tqdm(total=len(todo), desc=f"{desc} (rank {rank})" if rank else desc, unit="completion",
               position=rank, dynamic_ncols=True, disable=not todo)
    bar.set_postfix(cached=len(requests) - len(todo))
    with CompletionWriter(run_dir, rank) as writer:
        for req, result in backend.generate(todo):
            writer.write({"problem_id": req.problem_id, "sample": req.sample, "seed": req.seed,
                          "prompt_sha": prompt_digest(req.prompt), **result})
            bar.update(1)
    bar.close()
    return len(todo)


def _vllm_worker(rank: int, gpus: list[str], model: str, sampling: Sampling, requests: list[Request],
                 run_dir: str, options: dict) -> None:
    os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
    backend = VLLMBackend(model, sampling, **options)
    run_generation(backend, requests, Path(run_dir), rank=rank)


def run_vllm(model: str, sampling: Sampling, requests: list[Request], run_dir: Path, *,
             tensor_parallel_size: int = 1, data_parallel_size: int = 1, **options) -> None:
    """vLLM generation, in ``data_parallel_size`` processes of ``tensor_parallel_size`` GPUs each."""
    options = {"tensor_parallel_size": tensor_parallel_size, **options}
    if data_parallel_size == 1:
        run_generation(VLLMBackend(model, sampling, **options), requests, run_dir)
        return
    import multiprocessing as mp

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    gpus = visible.split(",") if visible else [str(i) for i in range(_cuda_count())]
    need = tensor_parallel_size * data_parallel_size
    if len(gpus) < need:
        raise ValueError(f"data_parallel_size x tensor_parallel_size = {need} GPUs, but only {len(gpus)} visible")
    ctx = mp.get_context("spawn")
    procs = []
    for rank in range(data_parallel_size):
        slice_ = gpus[rank * tensor_parallel_size:(rank + 1) * tensor_parallel_size]
        args = (rank, slice_, model, sampling, requests[rank::data_parallel_size], str(run_dir), options)
        procs.append(ctx.Process(target=_vllm_worker, args=args))
        procs[-1].start()
    for proc in procs:
        proc.join()
    failed = [i for i, p in enumerate(procs) if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"vLLM data-parallel ranks {failed} failed; rerun the same command to resume")


def _cuda_count() -> int:
    import torch

    return torch.cuda.device_count()
