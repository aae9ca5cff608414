"""Memory and speed of the data pipeline's load step on files of the real size and layout.

    python benchmarks/bench_data.py              # TACO-verified (one 1.93 GB JSON array, 12,900 problems)
                                                 # and DAPO-Math-17k (1,791,700 parquet rows, 17,917 problems)
    python benchmarks/bench_data.py --quick      # the same layouts at ~1/100 of the size, for the test suite

Writes each file in a temporary folder (deleted at the end; nothing is kept in the repository), then
runs ``python -m recipes.data.prepare load`` on it in a fresh process, as a user would, and prints
that process's peak RSS and the rows it streamed per second (the whole step: hashing the input,
reading, converting, deduplicating and writing the records). Target: peak RSS under 1 GB for the full
TACO-verified layout.

Layouts (``tests/recipes/data_fixtures/README.md`` cites where each was read):
* TACO-verified: ``taco_verified.json``, one array of objects with TACO's columns; each row carries
  its reference ``solutions`` (most of the bytes: 150 kB a row on average) and ``input_output``; a few
  rows are 20 MB, as the real file's largest are.
* DAPO-Math-17k: ``data/dapo-math-17k.parquet``, verl rows (``prompt`` list of messages,
  ``reward_model``, ``extra_info``), each problem repeated 100 times, in row groups of 1,048,576 rows.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from verl_srpo.recipes.data.statements import DAPO_PREFIX, DAPO_SUFFIX

REPO = Path(__file__).resolve().parents[1]

WORDS = ("array integer string query output input print sum maximum minimum number test case each line value "
         "given find the of a to and is in that for it with as be on by grid tree edge node path cost").split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def write_taco_verified(path: Path, rows: int, total_bytes: int, big_rows: int = 3, big_bytes: int = 20 << 20) -> None:
    """One JSON array of ``rows`` TACO-verified rows, ``total_bytes`` in all, ``big_rows`` of them ~``big_bytes``."""
    rng = random.Random(0)
    pool = [f"import sys\n# {_text(rng, 40)}\n" + "x = int(input())\n" * 200 for _ in range(64)]  # ~4 kB each
    per_solution = sum(len(json.dumps(s)) + 2 for s in pool) / len(pool)
    big = [i for i in range(7, rows, max(1, rows // big_rows))][:big_rows]
    written = 1
    with path.open("w") as out:
        out.write("[")
        for i in range(rows):
            big_left = sum(1 for b in big if b > i)
            average = (total_bytes - written - big_left * big_bytes) // max(1, rows - i - big_left)
            io = json.dumps({"inputs": [f"{i} {i + 1}\n"] * 8, "outputs": [f"{2 * i + 1}\n"] * 8})
            row = {"id": i, "question": f"Problem {i}. {_text(rng, 250)}", "solutions": [], "starter_code": "",
                   "input_output": io, "difficulty": "MEDIUM", "raw_tags": "[]", "name": f"p{i}",
                   "source": "codeforces", "tags": "[]", "skill_types": "[]", "url": f"https://example.org/{i}",
                   "Expected Auxiliary Space": None, "time_limit": "1 second", "date": None, "picture_num": 0,
                   "memory_limit": "256 megabytes", "Expected Time Complexity": None}
            size = (big_bytes if i in big else average) - len(json.dumps(row)) - 2
            row["solutions"] = [pool[(i + j) % len(pool)] for j in range(max(1, round(size / per_solution)))]
            written += out.write(("," if i else "") + "\n" + json.dumps(row))
        out.write("\n]")


def write_dapo(path: Path, distinct: int, repeat: int, row_group: int = 1 << 20) -> None:
    """``distinct`` DAPO problems, each ``repeat`` times (in blocks, as the real file), one parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(0)
    problems = [f"Problem {i}: {_text(rng, rng.randint(40, 120))}?" for i in range(distinct)]
    table = pa.table({
        "data_source": ["math_dapo"] * distinct,
        "prompt": [[{"content": f"{DAPO_PREFIX}\n\n{p}\n\n{DAPO_SUFFIX}", "role": "user"}] for p in problems],
        "ability": ["MATH"] * distinct,
        "reward_model": [{"ground_truth": str(i % 997), "style": "rule-lighteval/MATH_v2"} for i in range(distinct)],
        "extra_info": [{"index": f"{i:08x}-0000-4000-8000-000000000000"} for i in range(distinct)],
    })
    pq.write_table(pa.concat_tables([table] * repeat), path, row_group_size=row_group)


MEASURE = """
import json, resource, sys, time
from verl_srpo.recipes.data import prepare
start = time.perf_counter()
prepare.main(sys.argv[1:])
elapsed = time.perf_counter() - start
print(json.dumps({"elapsed_s": elapsed, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(name: str, location: Path, work: Path) -> dict:
    """``prepare load`` on one source in a fresh process: its peak RSS, time and what it read."""
    argv = ["load", "--source", f"{name}={location}", "--work-dir", str(work)]
    proc = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        raise SystemExit(f"prepare load failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    stats = json.loads((work / "load" / name / "source.json").read_text())
    return {**result, "rows_read": stats["rows_read"], "problems": stats["problems"]}


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def report(name: str, size: int, m: dict, target_mb: float | None = None) -> None:
    print(f"{name}: {_size(size)}, {m['rows_read']:,} rows -> {m['problems']:,} problems in {m['elapsed_s']:.1f} s: "
          f"{m['rows_read'] / m['elapsed_s']:,.0f} rows/s, {size / 1e6 / m['elapsed_s']:.0f} MB/s; "
          f"peak RSS {m['peak_rss_mb']:,.0f} MB" + (f" (target < {target_mb:,.0f} MB)" if target_mb else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~1/100 of the real sizes (the test suite)")
    parser.add_argument("--only", choices=("taco_verified", "dapo_math"), help="one layout")
    args = parser.parse_args()
    scale = 100 if args.quick else 1
    with tempfile.TemporaryDirectory(prefix="bench_data_") as tmp:
        root = Path(tmp)
        if args.only in (None, "taco_verified"):
            folder = root / "TACO-verified"
            folder.mkdir()
            path = folder / "taco_verified.json"
            start = time.perf_counter()
            write_taco_verified(path, 12_900 // scale, 1_925_884_524 // scale, big_bytes=(20 << 20) // scale)
            print(f"(wrote {path.name}, {_size(path.stat().st_size)}, in {time.perf_counter() - start:.0f} s)")
            report("taco_verified", path.stat().st_size, measure("taco_verified", folder, root / "work_taco"), 1024)
            path.unlink()
        if args.only in (None, "dapo_math"):
            folder = root / "DAPO-Math-17k"
            (folder / "data").mkdir(parents=True)
            path = folder / "data" / "dapo-math-17k.parquet"
            start = time.perf_counter()
            write_dapo(path, 17_917 // scale, 100)
            print(f"(wrote {path.name}, {_size(path.stat().st_size)}, in {time.perf_counter() - start:.0f} s)")
            report("dapo_math", path.stat().st_size, measure("dapo_math", folder, root / "work_dapo"))


if __name__ == "__main__":
    main()
