"""Loading streams: memory does not grow with the file; the benchmark runs and prints what it measured."""

from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from tests.recipes import data_fixtures as fx
from verl_srpo.recipes.data.files import resolve
from verl_srpo.recipes.data.sources import get_source, load_source

SOLUTION = "import sys\n" + "x = int(sys.stdin.readline())\n" * 60  # ~2 kB: TACO-verified rows are mostly solutions


def write_taco_verified(root: Path, megabytes: int) -> Path:
    """TACO-verified's layout (one JSON array) of ``megabytes``, in rows of ~50 kB of solutions."""
    rows = [fx.taco_row(i, f"Problem {i}: print the sum of a and b, then {i}.", fx.io(["1 2\n"], [f"3 {i}\n"]),
                        solutions=[SOLUTION] * 25) for i in range(megabytes * 20)]
    return fx.write_taco_verified(root, rows)


def write_dapo(root: Path, megabytes: int) -> Path:
    """DAPO-Math-17k's layout (one parquet file), each problem repeated 100 times as in the real file."""
    distinct = [fx.dapo_row(i, f"Problem {i}: what is {i} plus {i} times the sum of the first {i} primes?", str(i))
                for i in range(megabytes * 8)]
    folder = root / "DAPO-Math-17k" / "data"
    folder.mkdir(parents=True)
    pd.DataFrame(distinct * 100).to_parquet(folder / "dapo-math-17k.parquet", row_group_size=1 << 20, index=False)
    return folder.parent


def peak_python_memory(name: str, location: Path, out: Path) -> tuple[int, dict]:
    """Peak bytes of Python objects while the source streams into ``out`` (records and removals written)."""
    with out.open("w") as sink:
        def write(row: dict) -> None:
            sink.write(json.dumps(row) + "\n")

        files = resolve(str(location), "train")
        tracemalloc.start()
        try:
            stats = load_source(get_source(name), files, None, {}, write, write)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak, stats


@pytest.mark.parametrize("name, write", [("taco_verified", write_taco_verified), ("dapo_math", write_dapo)])
def test_memory_does_not_grow_with_the_file(tmp_path, name, write):
    """1 MB and 4 MB of the same layout: the peak is the same (a row, a batch), not a share of the file."""
    small, large = write(tmp_path / "small", 1), write(tmp_path / "large", 4)
    size = sum(p.stat().st_size for p in large.rglob("*") if p.is_file())
    peak_small, stats_small = peak_python_memory(name, small, tmp_path / "small.jsonl")
    peak_large, stats_large = peak_python_memory(name, large, tmp_path / "large.jsonl")
    assert stats_large["problems"] == 4 * stats_small["problems"] > 0  # everything was read
    assert peak_large < 1.25 * peak_small + 100_000, (peak_small, peak_large)
    if name == "taco_verified":  # parquet's compressed bytes are Arrow's, not Python's: only JSON compares
        assert peak_large < size / 4, (peak_large, size)


def test_benchmark_runs_and_prints_its_figures(run_cli):
    """`python benchmarks/bench_data.py --quick` (the documented command, at 1/100 of the real sizes)."""
    result = run_cli(["benchmarks/bench_data.py", "--quick"], timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    taco = re.search(r"taco_verified: .* 129 rows -> 129 problems .* rows/s, .* peak RSS ([\d,]+) MB", result.stdout)
    dapo = re.search(r"dapo_math: .* 17,900 rows -> 179 problems .* rows/s, .* peak RSS ([\d,]+) MB", result.stdout)
    assert taco and dapo, result.stdout
    assert int(taco.group(1).replace(",", "")) < 1024
