import json

import pytest

from verl_srpo.eval.cache import SettingsMismatch, check_run_settings, load_completions
from verl_srpo.eval.generate import Sampling, TransformersBackend, build_requests, derive_seed, run_generation


def test_seeds_are_stable_and_distinct():
    assert derive_seed(0, "60", 0) == derive_seed(0, "60", 0)
    seeds = {derive_seed(0, pid, j) for pid in ("60", "61") for j in range(32)}
    assert len(seeds) == 64 and all(0 <= s < 2**31 for s in seeds)
    assert derive_seed(1, "60", 0) != derive_seed(0, "60", 0)


def test_sampling_defaults_are_the_protocol():
    s = Sampling()
    assert (s.n, s.temperature, s.top_p, s.max_new_tokens) == (32, 0.6, 0.95, 32768)
    with pytest.raises(ValueError, match="top_p"):
        Sampling(top_p=0.0)


def test_transformers_backend_is_reproducible_per_sample(tiny_model):
    sampling = Sampling(n=2, max_new_tokens=6, seed=3)
    backend = TransformersBackend(str(tiny_model), sampling)
    reqs = build_requests({"p": "Question: 1+1? Assistant: <think>"}, sampling)
    first = [r for _, r in backend.generate(reqs)]
    again = [r for _, r in backend.generate(reqs[::-1])][::-1]  # order does not matter, seeds do
    assert [r["text"] for r in first] == [r["text"] for r in again]
    assert all(1 <= r["num_tokens"] <= 6 for r in first)
    assert all(r["finish_reason"] == ("length" if r["num_tokens"] == 6 else "stop") for r in first)


class _Interrupted(Exception):
    pass


class _CountingBackend:
    """The real transformers backend, counting what it draws and dying after ``die_after``."""

    def __init__(self, inner, die_after=None):
        self.inner, self.die_after, self.drawn = inner, die_after, []

    def generate(self, requests):
        for req, out in self.inner.generate(requests):
            if self.die_after is not None and len(self.drawn) == self.die_after:
                raise _Interrupted
            self.drawn.append((req.problem_id, req.sample))
            yield req, out


def test_run_generation_resumes_without_redrawing(tiny_model, tmp_path):
    sampling = Sampling(n=3, max_new_tokens=4)
    inner = TransformersBackend(str(tiny_model), sampling)
    reqs = build_requests({"a": "x", "b": "y"}, sampling)
    with pytest.raises(_Interrupted):
        run_generation(_CountingBackend(inner, die_after=2), reqs, tmp_path)
    assert len(load_completions(tmp_path)) == 2
    second = _CountingBackend(inner)
    assert run_generation(second, reqs, tmp_path) == 4
    assert len(second.drawn) == 4 and set(second.drawn).isdisjoint({("a", 0), ("a", 1)})
    assert run_generation(_CountingBackend(inner), reqs, tmp_path) == 0
    assert len(load_completions(tmp_path)) == 6


def test_torn_last_line_is_skipped_and_repaired(tmp_path):
    from verl_srpo.eval.cache import CompletionWriter

    path = tmp_path / "completions.jsonl"
    path.write_text(json.dumps({"problem_id": "a", "sample": 0}) + "\n" + '{"problem_id": "a", "sam')
    assert list(load_completions(tmp_path)) == [("a", 0)]
    with CompletionWriter(tmp_path) as w:
        w.write({"problem_id": "a", "sample": 1})
    assert sorted(load_completions(tmp_path)) == [("a", 0), ("a", 1)]


def test_settings_mismatch_is_refused(tmp_path):
    check_run_settings(tmp_path, {"model": "m", "sampling": {"temperature": 0.6}})
    check_run_settings(tmp_path, {"model": "m", "sampling": {"temperature": 0.6}})
    with pytest.raises(SettingsMismatch, match="sampling: cached .* vs now .*--overwrite"):
        check_run_settings(tmp_path, {"model": "m", "sampling": {"temperature": 1.0}})


def test_data_parallel_cache_files_are_merged(tmp_path):
    """Each vLLM data-parallel rank appends to its own file; a resume reads them all."""
    from verl_srpo.eval.cache import CompletionWriter

    with CompletionWriter(tmp_path, rank=0) as w0, CompletionWriter(tmp_path, rank=1) as w1:
        w0.write({"problem_id": "a", "sample": 0, "text": "x"})
        w1.write({"problem_id": "a", "sample": 1, "text": "y"})
    assert (tmp_path / "completions.rank1.jsonl").exists()
    assert {k: r["text"] for k, r in load_completions(tmp_path).items()} == {("a", 0): "x", ("a", 1): "y"}


def test_cached_completion_of_another_prompt_is_refused(tiny_model, tmp_path):
    sampling = Sampling(n=1, max_new_tokens=2)
    backend = TransformersBackend(str(tiny_model), sampling)
    run_generation(backend, build_requests({"a": "old prompt"}, sampling), tmp_path)
    with pytest.raises(SettingsMismatch, match="another prompt .*problem a, sample 0"):
        run_generation(backend, build_requests({"a": "new prompt"}, sampling), tmp_path)
