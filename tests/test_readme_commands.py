"""README.md opens with the two set-up commands; CI runs the second one exactly, tests run the first one's job."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETUP = "python3 -m venv .venv && . .venv/bin/activate && pip install torch==2.13.0 && pip install -e '.[dev]' && "


def _first_block() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.search(r"```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()


def test_readme_opens_with_main_job_and_tests():
    main, tests = _first_block()
    assert main == SETUP + "verl-srpo quickstart   # main job"  # tests/test_cli.py runs its job
    assert tests == SETUP + "pytest   # tests"


def test_ci_runs_the_readme_test_command_exactly(tmp_path):
    """.ci/run picks the README line ending in `# tests`; here with bash's `-n` so nothing is installed."""
    script = (REPO / ".ci" / "run").read_text()
    pick = re.search(r"cmd=\$\((.*)\)\n", script).group(1)
    out = subprocess.run(["bash", "-c", pick], capture_output=True, text=True, cwd=REPO, check=True).stdout.strip()
    assert out == SETUP + "pytest"


def test_verl_srpo_console_script_is_the_cli():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["verl-srpo"] == "verl_srpo.cli:main"
    assert project["entry-points"]["verl.plugins"]["verl_srpo"] == "verl_srpo.plugin"  # the light module
    assert shutil.which("verl-srpo") or (Path(shutil.which("python") or "").parent / "verl-srpo").exists()
