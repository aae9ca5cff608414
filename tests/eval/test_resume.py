"""Kill a real ``python -m eval`` run after some completions, rerun it: nothing cached is redrawn."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.eval.eval_fixtures import AIME_ROWS

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.slow  # two interpreter start-ups that import verl


def _lines(path):
    return path.read_text().splitlines() if path.exists() else []


def test_kill_and_resume(tiny_model, aime_file, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "eval", "aime24", "--model", str(tiny_model), "--dataset", str(aime_file),
           "--expect-problems", "3", "--out", str(out), "--backend", "transformers", "--n", "8",
           "--max-new-tokens", "12", "--dtype", "float32"]
    total = 8 * len(AIME_ROWS)
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    cache = out / "completions.jsonl"
    deadline = time.time() + 120
    while len(_lines(cache)) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _lines(cache)
    assert 3 <= len(before) < total, "the run must be killed part-way; make generation slower if this fails"
    assert not (out / "results.json").exists()

    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    after = [line for line in _lines(cache) if line.strip()]
    complete_before = [line for line in before if line.endswith("}")]
    assert after[:len(complete_before)] == complete_before  # cached lines untouched
    keys = [(json.loads(line)["problem_id"], json.loads(line)["sample"]) for line in after]
    assert len(keys) == len(set(keys)) == total  # every completion drawn exactly once overall
    assert json.loads((out / "results.json").read_text())["sampling"]["n"] == 8
