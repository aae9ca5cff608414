"""The wheel as a user installs it: built from the checkout, installed into a fresh environment outside the
checkout, and run from a folder elsewhere with no path help (no PYTHONPATH, no editable install visible).

The fresh environment is a venv whose ``.pth`` lists this environment's site-packages folders as plain
paths: the dependencies (verl, torch, ...) are found, but no ``.pth`` of theirs runs, so an editable
install of this checkout cannot answer an import that the wheel fails to. A kit missing from the wheel
therefore fails its ``--help`` here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import CHILD_ENV, REPO

# Every subcommand of the README and of `verl-srpo --help`, with the kits' own subcommands.
HELP = [
    [], ["quickstart"], ["check"], ["report"], ["plan"],
    ["prepare"], ["prepare", "all"],
    ["eval"], ["eval", "aime24"], ["eval", "lcb"],
    ["release"], ["release", "merge"], ["release", "validate"], ["release", "publish"], ["release", "fixture"],
]  # fmt: skip
KIT_MODULES = ["verl_srpo.eval.cli", "verl_srpo.release.cli", "verl_srpo.recipes.data.prepare",
               "verl_srpo.recipes.srpo.memory"]  # fmt: skip


class Installed:
    """A venv holding the built wheel; ``run`` runs a command there from ``home`` (outside the checkout)."""

    def __init__(self, root: Path, wheel: Path):
        self.root, self.wheel, self.venv, self.home = root, wheel, root / "venv", root / "home"
        self.home.mkdir()
        self.site = Path(sysconfig.get_path("purelib", vars={"base": str(self.venv), "platbase": str(self.venv)}))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
        self.env = {**env, **CHILD_ENV, "VIRTUAL_ENV": str(self.venv), "PATH": f"{self.venv / 'bin'}:{env['PATH']}"}

    def run(self, args: list[str], timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=self.home, env={**self.env, **env}, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip

    def python(self, code: str) -> subprocess.CompletedProcess:
        return self.run([str(self.venv / "bin" / "python"), "-c", code])


def _source_copy(dest: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored), links kept as links."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        src = REPO / name
        if not src.exists() and not src.is_symlink():  # deleted in the work tree
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / name, follow_symlinks=False)
    return dest


def _dependency_paths() -> list[str]:
    """This environment's site-packages folders (verl, torch, ...; CI's lies in the checkout, at .venv/), never
    the checkout's own folders."""
    return [p for p in sys.path if p and Path(p).is_dir() and Path(p).name in ("site-packages", "dist-packages")]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    src = _source_copy(root / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(root / "dist"), str(src)], check=True, capture_output=True)  # fmt: skip
    (wheel,) = (root / "dist").glob("verl_srpo-*.whl")
    env = Installed(root, wheel)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env.venv)], check=True)
    env.site.mkdir(parents=True, exist_ok=True)
    (env.site / "_dependencies.pth").write_text("".join(p + "\n" for p in _dependency_paths()))
    install = env.run([str(env.venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index",
                       "--ignore-installed", "-q", str(wheel)])  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    return env


def test_wheel_ships_the_kits_under_the_package_only(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"verl_srpo", "hydra_plugins", installed.wheel.name.split("-py")[0] + ".dist-info"}, tops
    for path in ["verl_srpo/plugin.py", "verl_srpo/eval/cli.py", "verl_srpo/eval/_lcb_harness.py",
                 "verl_srpo/eval/tasks/aime24_avg32.yaml", "verl_srpo/eval/tasks/utils.py",
                 "verl_srpo/release/cli.py", "verl_srpo/release/errors.py", "verl_srpo/release/MODEL_CARD.md",
                 "verl_srpo/recipes/data/prepare.py", "verl_srpo/recipes/srpo/memory.py",
                 "verl_srpo/recipes/srpo/run_debug_1gpu.sh", "verl_srpo/recipes/srpo/_launch.sh",
                 "verl_srpo/rewards/_runner.py", "verl_srpo/config/plugin/verl_srpo.yaml",
                 "verl_srpo/data/rehearsal.jsonl", "hydra_plugins/verl_srpo_searchpath/__init__.py"]:  # fmt: skip
        assert path in names, path
    card = zipfile.ZipFile(installed.wheel).read("verl_srpo/release/MODEL_CARD.md")
    assert card == (REPO / "MODEL_CARD.md").read_bytes()  # the template's text, not a link


def test_installed_modules_come_from_the_wheel(installed):
    code = f"""
import importlib, importlib.util, json
from importlib.resources import files
from verl_srpo.cli import debug_recipe
out = {{m: importlib.import_module(m).__file__ for m in {KIT_MODULES!r}}}
out["card"] = (files("verl_srpo.release") / "MODEL_CARD.md").read_text()
out["recipe"] = str(debug_recipe())
specs = {{name: importlib.util.find_spec(name) for name in ("eval", "release", "recipes", "tests")}}
out["top_level"] = {{name: list(s.submodule_search_locations or [s.origin]) for name, s in specs.items() if s}}
print(json.dumps(out))
"""
    proc = installed.python(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    for module in KIT_MODULES:
        assert Path(out[module]).is_relative_to(installed.site), (module, out[module])
    assert out["card"] == (REPO / "MODEL_CARD.md").read_text()
    assert out["recipe"] == str(installed.site / "verl_srpo" / "recipes" / "srpo" / "run_debug_1gpu.sh")
    top_level = out["top_level"]  # verl's wheel ships a top-level `tests`; ours ships none
    assert not {"eval", "release", "recipes"} & set(top_level), top_level
    assert not any(Path(p).is_relative_to(installed.site) for p in top_level.get("tests", [])), top_level


@pytest.mark.parametrize("args", HELP, ids=lambda a: " ".join(a) or "verl-srpo")
def test_every_subcommand_help(installed, args):
    proc = installed.run(["verl-srpo", *args, "--help"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith(f"usage: {' '.join(['verl-srpo', *args])} "), proc.stdout[:200]


def test_check_composes_the_plugin_config(installed):
    proc = installed.run(["verl-srpo", "check", "actor_rollout_ref.rollout.n=8"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "algorithm.adv_estimator = srpo" in proc.stdout and "trainer.v1.trainer_mode = srpo" in proc.stdout


def test_eval_grades_saved_completions(installed):
    """LiveCodeBench's grader on saved completions: the kit, the sandbox runner and the harness from the wheel."""
    data = REPO / "tests" / "eval" / "data" / "lcb_pairs"
    proc = installed.run(["verl-srpo", "eval", "lcb", "--dataset", str(data), "--release", "release_v1",
                          "--completions", str(data / "completions.jsonl"), "--grader", "official", "--out", "graded"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((installed.home / "graded" / "results.json").read_text())
    assert results["headline"]["grader"] == "official" and results["headline"]["metric"] == "pass@1"


def test_installed_debug_recipe_runs(installed):
    """The quickstart's recipe and the ``_launch.sh`` it sources, run from site-packages (DRY_RUN lists)."""
    recipe = installed.site / "verl_srpo" / "recipes" / "srpo" / "run_debug_1gpu.sh"
    proc = installed.run(["bash", str(recipe), "trainer.logger=[console]"], DRY_RUN="1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == "+plugin=verl_srpo" and lines[-1] == "trainer.logger=[console]"
