"""Every command in eval/README.md and in the task YAML header is exercised: CPU ones run, GPU ones parse."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from verl_srpo.eval.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "eval" / "README.md").read_text()
COMMANDS = [line for block in re.findall(r"```bash\n(.*?)```", README, re.DOTALL) for line in block.splitlines()
            if line.strip() and not line.startswith("#")]


def test_readme_lists_the_commands():
    assert sum(c.startswith("python -m eval") for c in COMMANDS) == 7
    assert sum(c.startswith("lm-eval") for c in COMMANDS) == 3


@pytest.mark.parametrize("cmd", [c for c in COMMANDS if c.startswith("python -m eval")])
def test_eval_commands_parse(cmd):
    args = build_parser().parse_args(shlex.split(cmd)[3:])
    assert args.task in ("aime24", "lcb")


def test_lm_eval_run_command_parses(monkeypatch):
    from lm_eval._cli import HarnessCLI

    for cmd in [c for c in COMMANDS if c.startswith("lm-eval run")] + [_yaml_header_command()]:
        monkeypatch.setattr(sys, "argv", shlex.split(cmd))
        args = HarnessCLI().parse_args()
        assert args.tasks == ["aime24_avg32"] or args.tasks == "aime24_avg32"
        assert args.include_path == "eval/tasks"
    (local,) = [c for c in COMMANDS if "--metadata" in c]
    monkeypatch.setattr(sys, "argv", shlex.split(local))
    args = HarnessCLI().parse_args()
    metadata = args.metadata if isinstance(args.metadata, dict) else __import__("json").loads(args.metadata)
    assert metadata == {"aime24_dataset": "data/aime24.parquet"}


def _yaml_header_command() -> str:
    header = (REPO / "eval" / "tasks" / "aime24_avg32.yaml").read_text().split("\ntask:")[0]
    lines = [line[1:].strip() for line in header.splitlines() if line.startswith("#   ") or line.startswith("#     ")]
    return " ".join(lines).replace("\\ ", "")


def test_cpu_eval_commands_run(tiny_model, tmp_path, monkeypatch):
    """The CPU commands, run in-process through the same ``main`` that ``python -m eval`` calls, on the files the
    README names for ``$AIME_FILE`` and ``$LCB_DIR`` (the repository's own)."""
    from verl_srpo.eval.cli import main

    data = REPO / "tests" / "eval" / "data"
    for named in ("aime24.jsonl", "lcb_pairs"):
        assert f"`{data.relative_to(REPO) / named}`" in README
    files = {"MODEL": tiny_model, "AIME_FILE": data / "aime24.jsonl", "LCB_DIR": data / "lcb_pairs", "OUT": tmp_path}
    for name, value in files.items():
        monkeypatch.setenv(name, str(value))
    cpu = [c for c in COMMANDS if "--backend transformers" in c or "--completions" in c]
    assert len(cpu) == 5
    monkeypatch.chdir(REPO)  # the --completions commands name files of the checkout
    for cmd in cpu:
        assert main(shlex.split(os.path.expandvars(cmd))[3:]) == 0
    assert (tmp_path / "smoke-aime24" / "results.json").exists()
    assert (tmp_path / "smoke-lcb" / "lcb_custom_outputs.json").exists()
    for name, grader in (("graded-lcb", "official"), ("graded-lcb-judge", "judge"), ("graded-aime24", "math_reward")):
        assert json.loads((tmp_path / name / "results.json").read_text())["headline"]["grader"] == grader
        assert (tmp_path / name / "verdicts.jsonl").stat().st_size > 0


@pytest.mark.slow
def test_lm_eval_validate_command_runs():
    """``lm-eval validate`` indexes every built-in task too (about 20 s)."""
    (cmd,) = [c for c in COMMANDS if c.startswith("lm-eval validate")]
    done = subprocess.run(["bash", "-c", cmd], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert done.returncode == 0 and "All tasks found and valid" in done.stdout, done.stdout + done.stderr[-2000:]


def test_wheel_include_path_names_the_task_folder():
    """The README's `--include_path "$(python -c ...)"` for a wheel install prints the folder holding the task."""
    (snippet,) = re.findall(r'--include_path "\$\(python -c\s+\'([^\']+)\'\)"', README)
    folder = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True).stdout.strip()
    assert (Path(folder) / "aime24_avg32.yaml").is_file(), folder
