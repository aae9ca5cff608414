"""Every command in release/README.md is exercised: the make lines wire each variable to the CLI, the eval
lines parse, and the undo recipe is run with the real ``hf`` CLI against the Hub emulator."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from tests.release.conftest import REPO
from tests.release.test_hub import publish

README = (REPO / "release" / "README.md").read_text()
COMMANDS = [line for block in re.findall(r"```bash\n(.*?)```", README, re.DOTALL) for line in block.splitlines()
            if line.strip() and not line.startswith("#")]  # fmt: skip


def _make_n(command: str) -> list[list[str]]:
    """The commands ``make -n`` would run for a README line (nothing is run)."""
    out = subprocess.run(["make", "-n", *shlex.split(command)[1:], "PYTHON=python"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    joined = out.replace("\\\n", " ")
    prefix = "SRPO_RELEASE_VIA_MAKE=1 "  # the kit's errors then name make's variables (release/errors.py)
    return [shlex.split(line.removeprefix(prefix)) for line in joined.splitlines()
            if line.removeprefix(prefix).startswith("python -m release")]


def test_readme_lists_the_commands():
    kinds = [c.split()[0] + " " + c.split()[1] for c in COMMANDS]
    assert kinds == ["make release-fixture", "make release-merge", "python -m", "python -m", "make release",
                     "make release", "hf download", "hf upload", "hf repos"]  # fmt: skip


def test_make_lines_pass_every_variable_to_the_cli():
    from verl_srpo.release.cli import build_parser

    parser = build_parser()
    fixture, merge, dry_run, push = [c for c in COMMANDS if c.startswith("make")]
    (build, release) = _make_n(fixture)
    assert build[3:] == ["fixture", "--out", "release_fixture"]
    args = parser.parse_args(release[3:])
    assert (args.base_model, args.max_shard_size, args.repo_id) == ("none", "40KB", "verl-srpo/SRPO-Qwen-fixture")
    ((merge_cmd),) = _make_n(merge)
    args = parser.parse_args(merge_cmd[3:])
    assert (args.ckpt, args.out, args.max_shard_size) == (
        "checkpoints/srpo/run1/global_step_500/actor", "release_out/SRPO-Qwen-32B", "5GB")  # fmt: skip
    for line, confirm in ((dry_run, False), (push, True)):
        ((cmd),) = _make_n(line)
        args = parser.parse_args(cmd[3:])
        assert args.repo_id == "my-org/SRPO-Qwen-32B" and args.out == "release_out/SRPO-Qwen-32B"
        assert args.eval == ["runs/aime24/results.json", "runs/lcb/results.json"]
        assert (args.base_model, args.version, args.license, args.confirm) == ("Qwen/Qwen2.5-32B", "v1.0",
                                                                                  "apache-2.0", confirm)  # fmt: skip
        assert args.run_config == "outputs/2025-05-01/12-00-00/.hydra/config.yaml"


def test_eval_lines_parse():
    from verl_srpo.eval.cli import build_parser

    for cmd in [c for c in COMMANDS if c.startswith("python -m eval")]:
        args = build_parser().parse_args(shlex.split(cmd)[3:])
        assert args.model == "release_out/SRPO-Qwen-32B" and args.backend == "vllm"


def test_undo_recipe_returns_main_to_the_earlier_release(release_fixture, folder, hub, tmp_path, monkeypatch):
    """Push v0.9, then a v1.0 with other shards; the README's three ``hf`` lines bring main back to v0.9."""
    from huggingface_hub.cli.hf import app

    from verl_srpo.release.merge import reshard

    repo_id = "my-org/SRPO-Qwen-32B"
    assert publish(release_fixture, folder, "--repo-id", repo_id, "--version", "v0.9", "--confirm") == 0
    repo = hub.repos[repo_id]
    v09 = {p: f.content for p, f in repo.head.files.items()}
    reshard(folder, "30KB")
    assert publish(release_fixture, folder, "--repo-id", repo_id, "--version", "v1.0", "--confirm",
                   evaluated=False) == 0  # fmt: skip
    assert set(repo.head.files) != set(v09) and set(repo.tags) == {"v0.9", "v1.0"}
    monkeypatch.chdir(tmp_path)
    for cmd in [c for c in COMMANDS if c.startswith("hf ")]:
        app(args=shlex.split(cmd)[1:], standalone_mode=False)
    assert {p: f.content for p, f in repo.head.files.items()} == v09
    assert set(repo.tags) == {"v0.9"} and repo.head.message == "Revert to v0.9"
    assert (Path(tmp_path) / "previous_release" / "README.md").read_bytes() == v09["README.md"]
