"""Training data for SRPO: load -> clean -> decontaminate -> label -> combine (see README.md).

    python -m recipes.data.prepare all --work-dir data/srpo/work --label-model Qwen/Qwen2.5-32B

Every step streams its input and writes its records under ``--work-dir/<step>/`` with a ``done.json``
keyed on what it was made from: the content of its input (the Hub commit, the sha256 of local files,
or the digest of the previous step's records) and the settings that shape it. A rerun skips a step
whose key is unchanged and redoes it, and so everything its new output feeds, when either changed.
Labelling also resumes mid-way: its samples are cached one by one. ``--limit N`` keeps the first N
distinct problems of every source (and the first N rows of the labelling input).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from verl_srpo.hashing import sha256_file
from verl_srpo.recipes.data import clean as clean_mod
from verl_srpo.recipes.data import decontaminate as decon_mod
from verl_srpo.recipes.data import sources as sources_mod
from verl_srpo.recipes.data.files import FileHashes
from verl_srpo.recipes.data.sources import SOURCES, get_source, load_source

STEPS = ("load", "clean", "decontaminate", "label", "combine")


# --- files ----------------------------------------------------------------------------------------

def iter_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class JsonlWriter:
    """Lines written to ``<path>.tmp``, moved to ``path`` only when the block ends without an error."""

    def __init__(self, path: Path):
        self.path, self.tmp, self.count = path, path.with_name(path.name + ".tmp"), 0

    def __enter__(self) -> JsonlWriter:
        self.handle = self.tmp.open("w", encoding="utf-8")
        return self

    def write(self, row: dict) -> None:
        self.handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        self.count += 1

    def __exit__(self, exc_type, *_) -> None:
        self.handle.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)


def digest(path: Path) -> str:
    """The first 16 hex digits of the file's sha256 (the step cache's key)."""
    return sha256_file(path)[:16]


# --- the step cache -------------------------------------------------------------------------------

def step_name(step_dir: Path) -> str:
    return f"load/{step_dir.name}" if step_dir.parent.name == "load" else step_dir.name


def run_step(step_dir: Path, key: dict, make) -> bool:
    """Run ``make()`` unless ``step_dir/done.json`` records ``key``; True if it ran.

    ``key`` is ``{"version", "input", "settings"}`` (the label step adds ``"scoring"``, the reward's
    ``SCORING_VERSION``): what the output was made from. The marker is
    removed before ``make()`` and written after it, so a killed step is never taken for done.
    """
    step_dir.mkdir(parents=True, exist_ok=True)
    marker = step_dir / "done.json"
    old = json.loads(marker.read_text()) if marker.exists() else None
    if old == key and (step_dir / "records.jsonl").exists():
        print(f"[{step_name(step_dir)}] up to date, skipped")
        return False
    if old is not None:
        print(f"[{step_name(step_dir)}] {_changes(old, key)}: running again")
        marker.unlink()
    make()
    marker.write_text(json.dumps(key, indent=2, sort_keys=True) + "\n")
    return True


def _changes(old: dict, new: dict) -> str:
    said = []
    if old.get("version") != new.get("version"):
        said.append("its rules changed")
    if old.get("scoring") != new.get("scoring"):
        said.append(f"the reward's scoring rules changed (SCORING_VERSION {old.get('scoring')} -> "
                    f"{new.get('scoring')})")
    if old.get("input") != new.get("input"):
        a, b = old.get("input") or {}, new.get("input") or {}
        what = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        said.append(f"its input changed ({', '.join(what)})")
    a, b = old.get("settings") or {}, new.get("settings") or {}
    said += [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return "; ".join(said) or "its record changed"


def _sources(args) -> list[tuple[str, str | None]]:
    """``[(name, location)]`` from ``--source name[=path-or-hub-id]`` (in priority order for dedup)."""
    out = []
    for spec in args.source:
        name, _, location = spec.partition("=")
        get_source(name)  # unknown names fail here with the valid list
        out.append((name, location or None))
    return out


def _splits(args) -> dict[str, str]:
    out = {}
    for spec in args.split or []:
        name, sep, split = spec.partition("=")
        if not sep or not split:
            raise ValueError(f"--split {spec!r}: give NAME=SPLIT, e.g. --split taco=train")
        out[name] = split
    return out


def _upstream_files(args, step: str) -> list[Path]:
    """The previous step's records files; exits (run the earlier steps first) when one is missing."""
    if step == "clean":
        files = [args.work_dir / "load" / name / "records.jsonl" for name, _ in _sources(args)]
    else:
        files = [args.work_dir / STEPS[STEPS.index(step) - 1] / "records.jsonl"]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise SystemExit(f"{step}: missing input {missing}; run the earlier steps first (or `all`)")
    return files


def _upstream(args, step: str) -> dict:
    """The digests of the previous step's records, so a change upstream reruns this step."""
    return {str(f.relative_to(args.work_dir)): digest(f) for f in _upstream_files(args, step)}


def _hashes(args) -> FileHashes:
    return FileHashes(args.work_dir / "file_hashes.json")


# --- the steps ------------------------------------------------------------------------------------

def step_load(args) -> None:
    splits, hashes = _splits(args), _hashes(args)
    plan = []
    for name, location in _sources(args):  # every source resolved before any is read: bad input fails first
        source = get_source(name)
        try:
            files = source.resolve(location, splits.get(name))
            plan.append((source, files, files.identity(hashes)))
        except (FileNotFoundError, ValueError, RuntimeError) as err:
            hint = f"pick another with --split {name}=SPLIT" if "split" in str(err) else f"pass --source {name}=PATH"
            raise SystemExit(f"--source {name}: {err}; {hint}") from None
    for source, files, identity in plan:
        d = args.work_dir / "load" / source.name
        settings = {"limit": args.limit, **({"lcb_before": args.lcb_before} if source.name == "livecodebench" else {})}

        def make(source=source, files=files, d=d):
            with JsonlWriter(d / "records.jsonl") as records, JsonlWriter(d / "removals.jsonl") as removals:
                stats = load_source(source, files, args.limit, {"lcb_before": args.lcb_before},
                                    records.write, removals.write)
            info = {"location": files.location, "revision": files.revision, "split": files.split,
                    "split_by": files.layout, "files": files.relpaths, "license": source.license,
                    "card": source.card, **stats}
            (d / "source.json").write_text(json.dumps(info, indent=2) + "\n")
            print(f"[load/{source.name}] split {files.split} ({len(files.relpaths)} files): {stats['rows_read']} rows "
                  f"read, {stats['problems']} problems kept, {stats['repeats']} repeats and "
                  f"{stats['malformed']} unusable rows removed")
            if stats["rows_read"] and stats["malformed"] == stats["rows_read"]:  # a file of another layout
                with (d / "removals.jsonl").open() as handle:  # one removal per row: read only the first
                    first = handle.readline()
                why = json.loads(first).get("detail", "") if first.strip() else ""
                raise SystemExit(f"--source {source.name}: none of the {stats['rows_read']} rows of {files.location} "
                                 f"is usable (first: {why}): is it {source.name}'s layout ({source.card})? Pass "
                                 f"--source {source.name}=PATH to that dataset's files.")

        run_step(d, {"version": sources_mod.VERSION, "input": identity, "settings": settings}, make)


def _finish(step_dir: Path, results) -> None:
    """Write a step's ``(kept, None) | (None, removal)`` stream."""
    with JsonlWriter(step_dir / "records.jsonl") as kept, JsonlWriter(step_dir / "removals.jsonl") as removed:
        for record, removal in results:
            if removal is None:
                kept.write(record)
            else:
                removed.write(removal)
    print(f"[{step_name(step_dir)}] {kept.count} rows kept, {removed.count} removed")


def step_clean(args) -> None:
    d = args.work_dir / "clean"

    def records():
        for name, _ in _sources(args):
            yield from iter_jsonl(args.work_dir / "load" / name / "records.jsonl")

    key = {"version": clean_mod.VERSION, "input": _upstream(args, "clean"),
           "settings": {"near_dup_threshold": args.near_dup_threshold,
                        "priority": [name for name, _ in _sources(args)]}}  # the first copy of a problem stays
    run_step(d, key, lambda: _finish(d, clean_mod.clean(records(), args.near_dup_threshold)))


def _identity_or_exit(what: str, fn):
    try:
        return fn()
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        raise SystemExit(f"{what}: {err}") from None


def step_decontaminate(args) -> None:
    from verl_srpo.eval import sources as eval_sources

    d = args.work_dir / "decontaminate"
    lcb = _identity_or_exit("--lcb", lambda: sources_mod.lcb_files(args.lcb, args.lcb_release))
    aime = _identity_or_exit("--aime", lambda: eval_sources.resolve(args.aime, None, _reference_file)[1])
    key = {"version": decon_mod.VERSION,
           "input": {**_upstream(args, "decontaminate"), "aime": aime, "lcb": lcb.identity(_hashes(args))},
           "settings": {"lcb_release": args.lcb_release, "window": list(args.lcb_window), "ngram": args.ngram,
                        "min_overlap": args.min_overlap}}

    def make():
        refs, provenance = decon_mod.load_references(args.aime, lcb, tuple(args.lcb_window), args.ngram)
        (d / "references.json").write_text(json.dumps(provenance, indent=2, default=str) + "\n")
        records = iter_jsonl(args.work_dir / "clean" / "records.jsonl")
        _finish(d, decon_mod.decontaminate(records, refs, args.ngram, args.min_overlap))

    run_step(d, key, make)


def _reference_file(name: str) -> bool:
    """The files ``eval.aime.load_aime`` reads (as ``eval.aime``)."""
    from verl_srpo.eval.sources import DATA_SUFFIXES

    return name.endswith(DATA_SUFFIXES) and not name.startswith(("README", "."))


def step_label(args) -> None:
    from verl_srpo.recipes.data import label as label_mod  # imports verl and torch: only when labelling
    from verl_srpo.rewards import SCORING_VERSION

    d = args.work_dir / "label"
    source = args.work_dir / "decontaminate" / "records.jsonl"
    cfg = None if args.no_label else label_mod.LabelConfig(
        model=args.label_model, backend=args.backend, k=args.k, temperature=args.temperature, top_p=args.top_p,
        max_new_tokens=args.max_new_tokens, seed=args.seed, tensor_parallel_size=args.tensor_parallel_size,
        data_parallel_size=args.data_parallel_size)
    inputs = _upstream(args, "label")
    if cfg is not None:
        inputs["model"] = _identity_or_exit("--label-model",
                                            lambda: label_mod.model_identity(cfg.model, _hashes(args)))
    # the labels are the reward's verdicts: other scoring rules (SCORING_VERSION) redo them from the cached samples
    key = {"version": label_mod.VERSION, "scoring": None if cfg is None else SCORING_VERSION, "input": inputs,
           "settings": {"config": cfg and cfg.__dict__, "limit": args.limit, "keep_solved": args.keep_solved}}

    def records():
        return islice(iter_jsonl(source), args.limit)

    def make():
        if cfg is None:
            _finish(d, ((r, None) for r in records()))
            return
        run_dir, settings = label_mod.run_folder(d / "samples", cfg, inputs["model"])
        labelled = label_mod.label(records, cfg, run_dir, settings)
        _finish(d, ((None, gone) if (gone := label_mod.solved_removal(r, args.keep_solved)) else (r, None)
                    for r in labelled))

    run_step(d, key, make)


def step_combine(args) -> None:
    from verl_srpo.recipes.data import combine as combine_mod  # verl_srpo.prompts: the one chat template

    (labelled,) = _upstream_files(args, "combine")  # combine is not cached: no digest of its input
    sources = {name: json.loads((args.work_dir / "load" / name / "source.json").read_text())
               for name, _ in _sources(args)}
    dirs = [args.work_dir / "load" / name for name, _ in _sources(args)] + [args.work_dir / s for s in STEPS[1:4]]
    summary = combine_mod.Summary(sources)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with JsonlWriter(args.out_dir / "removals.jsonl") as out:
        for removal in (r for d in dirs for r in iter_jsonl(d / "removals.jsonl")):
            summary.removal(removal)
            out.write(removal)
    val = combine_mod.val_keys(iter_jsonl(labelled), args.val_per_domain, args.seed)
    writers = {name: combine_mod.ParquetRows(args.out_dir / f"{name}.parquet", name) for name in ("train", "val")}
    for record in iter_jsonl(labelled):
        name = "val" if (record["source"], record["source_id"]) in val else "train"
        writers[name].add(record)
        summary.row(name, record)
    for writer in writers.values():
        writer.close()
    result = summary.to_dict()
    (args.out_dir / "summary.json").write_text(json.dumps(result, indent=2) + "\n")
    print(combine_mod.format_summary(result))
    print(f"wrote {args.out_dir / 'train.parquet'}, {args.out_dir / 'val.parquet'}, summary.json, removals.jsonl")


RUNNERS = {"load": step_load, "clean": step_clean, "decontaminate": step_decontaminate, "label": step_label,
           "combine": step_combine}


def build_parser(prog: str = "python -m recipes.data.prepare") -> argparse.ArgumentParser:
    defaults = [name for name, s in SOURCES.items() if s.default]
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--work-dir", type=Path, default=Path("data/srpo/work"), help="intermediate files")
    common.add_argument("--out-dir", type=Path, default=Path("data/srpo"), help="train/val parquet + summary")
    common.add_argument("--source", action="append", default=None, metavar="NAME[=PATH_OR_HUB_ID]",
                        help=f"a source, in dedup priority order; repeatable. Names: {', '.join(SOURCES)}. A Hub "
                             "id may pin a commit: owner/name@REVISION. Default: "
                             f"{', '.join(defaults)}, from their Hub ids")
    common.add_argument("--split", action="append", default=None, metavar="NAME=SPLIT",
                        help="the split a source reads (default: train; livecodebench: test, dated before "
                             "--lcb-before); repeatable")
    common.add_argument("--limit", type=int, default=None, help="first N distinct problems of each source")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--lcb-before", default=decon_mod.lcb_eval.DEFAULT_START,
                        help="LiveCodeBench training problems must be dated before this day")
    common.add_argument("--near-dup-threshold", type=float, default=0.8, help="(ours) word 5-gram Jaccard")
    common.add_argument("--aime", default=decon_mod.aime_eval.DEFAULT_DATASET, help="AIME 2024 (Hub id or path)")
    common.add_argument("--lcb", default=decon_mod.lcb_eval.DEFAULT_DATASET, help="LiveCodeBench (Hub id or path)")
    common.add_argument("--lcb-release", default=decon_mod.lcb_eval.DEFAULT_RELEASE)
    common.add_argument("--lcb-window", nargs=2, metavar=("START", "END"),
                        default=[decon_mod.lcb_eval.DEFAULT_START, decon_mod.lcb_eval.DEFAULT_END])
    common.add_argument("--ngram", type=int, default=decon_mod.DEFAULT_NGRAM)
    common.add_argument("--min-overlap", type=float, default=decon_mod.DEFAULT_MIN_OVERLAP)
    common.add_argument("--label-model", help="model whose pass@k labels difficulty (Hub id or path)")
    common.add_argument("--no-label", action="store_true", help="skip labelling (difficulty 'unlabelled')")
    common.add_argument("--backend", choices=("vllm", "transformers"), default="vllm")
    common.add_argument("--k", type=int, default=8, help="(ours) samples per problem")
    common.add_argument("--temperature", type=float, default=1.0)
    common.add_argument("--top-p", type=float, default=1.0)
    common.add_argument("--max-new-tokens", type=int, default=8192)
    common.add_argument("--tensor-parallel-size", type=int, default=1)
    common.add_argument("--data-parallel-size", type=int, default=1)
    common.add_argument("--keep-solved", action="store_true", help="keep rows all k samples solve")
    common.add_argument("--val-per-domain", type=int, default=64, help="(ours) validation rows per domain")
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    for name in (*STEPS, "all"):
        sub.add_parser(name, parents=[common], help="every step, in order" if name == "all" else f"the {name} step")
    return parser


def check_args(args) -> None:
    """Fail before any work on settings that cannot work, saying what to set."""
    args.source = args.source or [name for name, s in SOURCES.items() if s.default]
    try:
        names = [name for name, _ in _sources(args)]
        splits = _splits(args)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    if len(set(names)) != len(names):
        raise SystemExit(f"--source names a source twice ({names}); give each once, in priority order")
    if unknown := sorted(set(splits) - set(names)):
        raise SystemExit(f"--split names {unknown}, which are not among the sources read ({', '.join(names)})")
    if args.limit is not None and args.limit < 1:
        raise SystemExit(f"--limit {args.limit}: give a positive number of problems, or leave it out")
    if args.step in ("label", "all") and not args.no_label and not args.label_model:
        raise SystemExit("labelling needs --label-model MODEL (the model whose pass@k sets difficulty), "
                         "or --no-label to skip it")
    if args.k < 1 or not 0.0 < args.near_dup_threshold <= 1.0 or not 0.0 < args.min_overlap <= 1.0:
        raise SystemExit("need --k >= 1, 0 < --near-dup-threshold <= 1 and 0 < --min-overlap <= 1")


def main(argv: list[str] | None = None, prog: str = "python -m recipes.data.prepare") -> int:
    """Run the command line ``argv``; ``prog`` names the command in its help (``verl-srpo prepare``)."""
    args = build_parser(prog).parse_args(argv)
    check_args(args)
    for step in STEPS if args.step == "all" else (args.step,):
        RUNNERS[step](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
