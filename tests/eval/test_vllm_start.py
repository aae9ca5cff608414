"""No forked vLLM engine after the parent touched CUDA (the H200 crash of 2026-11-29), checked on the CPU.

``python -m eval ... --backend vllm`` runs in a child process whose ``vllm`` is a recorder standing in for
vLLM's ``LLM`` (vLLM itself needs a GPU), and whose ``sitecustomize`` records every CUDA query the
process makes. When the engine would be built, either nothing has touched CUDA, or vLLM has been told to
spawn its processes: a fork would otherwise die with "Cannot re-initialize CUDA in forked subprocess".
"""

from __future__ import annotations

import json
import textwrap

RECORDER = textwrap.dedent('''
    """Records CUDA queries made by this process (torch.cuda.* calls that poison fork)."""
    import torch.cuda as _cuda

    TOUCHED = []

    def _wrap(name):
        real = getattr(_cuda, name)

        def wrapper(*args, **kwargs):
            TOUCHED.append(name)
            return real(*args, **kwargs)

        setattr(_cuda, name, wrapper)

    for _name in ("is_available", "device_count", "init", "current_device", "get_device_name"):
        _wrap(_name)
''')

FAKE_VLLM = textwrap.dedent('''
    """Stands in for vLLM's LLM: writes what it saw when the engine would start, then ends the process."""
    import json, os, sys

    class LLM:
        def __init__(self, **engine_args):
            import sitecustomize
            with open(os.environ["VLLM_START_REPORT"], "w") as f:
                json.dump({"method": os.environ.get("VLLM_WORKER_MULTIPROC_METHOD"),
                           "cuda_touched": sorted(set(sitecustomize.TOUCHED)),
                           "model": engine_args.get("model")}, f)
            os._exit(0)

    class SamplingParams:
        def __init__(self, **kwargs):
            pass
''')


def test_eval_never_forks_a_vllm_engine_after_touching_cuda(run_cli, tiny_model, aime_file, tmp_path):
    fake = tmp_path / "site"
    (fake / "vllm").mkdir(parents=True)
    (fake / "vllm" / "__init__.py").write_text(FAKE_VLLM)
    (fake / "sitecustomize.py").write_text(RECORDER)
    report = tmp_path / "engine_start.json"
    proc = run_cli(["-m", "eval", "aime24", "--model", str(tiny_model), "--dataset", str(aime_file),
                    "--expect-problems", "0", "--backend", "vllm", "--n", "1", "--max-new-tokens", "4",
                    "--out", str(tmp_path / "run")],
                   env={"PYTHONPATH": str(fake), "VLLM_START_REPORT": str(report), "VLLM_WORKER_MULTIPROC_METHOD": ""})
    assert report.exists(), f"the engine was never built:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    seen = json.loads(report.read_text())
    assert seen["model"] == str(tiny_model)
    assert seen["method"] == "spawn" or not seen["cuda_touched"], (
        f"vLLM would fork its engine after this process called torch.cuda.{seen['cuda_touched']}: "
        "the engine dies with 'Cannot re-initialize CUDA in forked subprocess'")
    # The parent does touch CUDA here (importing verl asks torch.cuda.is_available()), so this test only passes
    # because spawn is forced: the guard must stay.
    assert seen["method"] == "spawn"
