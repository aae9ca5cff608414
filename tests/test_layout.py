"""One module name per file: the kits' code is ``verl_srpo.eval``, ``verl_srpo.release`` and ``verl_srpo.recipes``
(their sources stay at ``eval/``, ``release/`` and ``recipes/``), and the checkout's ``python -m`` entries
hand over to those names instead of loading a second copy."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CHILD_ENV, REPO

KITS = ("eval", "release", "recipes")
# Runs a module as `python -m` does, then prints every file that was loaded under more than one name.
PROBE = """
import atexit, json, os, runpy, sys

def report():
    names = {}
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None):
            names.setdefault(os.path.realpath(module.__file__), []).append(name)
    print("TWICE " + json.dumps({f: sorted(n) for f, n in names.items() if len(n) > 1}))

atexit.register(report)
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def _sources() -> list[Path]:
    roots = [REPO / "verl_srpo", *(REPO / kit for kit in KITS), REPO / "benchmarks", REPO / "tests"]
    return sorted({p.resolve() for root in roots for p in root.rglob("*.py")})


def _docstring_only(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def test_code_imports_the_kits_by_their_package_names():
    """``from eval import ...`` would load ``eval/x.py`` a second time, as ``eval.x`` next to ``verl_srpo.eval.x``."""
    wrong = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []  # fmt: skip
            wrong += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n.split(".")[0] in KITS]
    assert not wrong, wrong


@pytest.mark.parametrize("module", ["eval", "release", "recipes.data.prepare", "recipes.srpo.memory"])
def test_checkout_entry_loads_each_file_once(module):
    """``python -m MODULE --help`` from the checkout: only the packages' docstring-only ``__init__.py`` files
    are executed under both names (``eval`` and ``verl_srpo.eval``), which defines nothing twice."""
    proc = subprocess.run([sys.executable, "-c", PROBE, module, "--help"], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **CHILD_ENV}, timeout=120)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.startswith(f"usage: python -m {module}"), proc.stderr[-3000:]
    twice = json.loads(proc.stdout.split("TWICE ")[-1])  # the stdlib aliases a few of its own (importlib)
    ours = [(p, n) for p, n in twice.items()  # the project's files (CI's venv lives in the checkout: not its)
            if Path(p).is_relative_to(REPO) and not Path(p).is_relative_to(Path(sys.prefix).resolve())]
    for path, names in ours:
        assert Path(path).name == "__init__.py" and _docstring_only(Path(path)), (path, names)
        packages = [module.rsplit(".", i)[0] for i in range(1, module.count(".") + 1)] or [module]
        assert names in ([p, f"verl_srpo.{p}"] for p in packages), names


def test_method_reference_is_cited_where_a_user_finds_it():
    """The method's reference ships as ``docs/SRPO.md``; ``--help`` texts, recipe headers, the plugin yaml and the
    READMEs cite it by that path, never by the path of a copy outside the repository (``shared/SRPO.md``)."""
    assert (REPO / "docs" / "SRPO.md").is_file()
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    wrong = [f"{f}:{n}" for f in files if f.endswith((".py", ".md", ".sh", ".yaml"))
             for n, line in enumerate((REPO / f).read_text(errors="replace").splitlines(), 1)
             if "shared/SRPO.md" in line and f != "tests/test_layout.py"]  # fmt: skip
    assert not wrong, wrong
