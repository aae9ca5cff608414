"""The data pipeline end to end on every source in its real layout, its resume behaviour, and its rules one by one."""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from tests.recipes import data_fixtures as fx
from tests.recipes.recipe_fixtures import write_tiny_model
from verl_srpo.recipes.data import clean, combine, label, prepare, textmatch
from verl_srpo.recipes.data.sources import DAPO_PREFIX, DAPO_SUFFIX, Malformed, convert_dapo_math


def pipeline_argv(root: Path, paths: dict, *extra: str) -> list[str]:
    """``all`` over every source (in the dedup priority order of ``EXPECTED_KEPT``) and both evaluation sets."""
    return ["all", "--work-dir", str(root / "work"), "--out-dir", str(root / "out"),
            *[a for name in fx.EXPECTED_KEPT for a in ("--source", f"{name}={paths[name]}")],
            "--aime", str(paths["aime"]), "--lcb", str(paths["livecodebench"]), "--lcb-release", "release_v2",
            "--val-per-domain", "1", *extra]


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory, run_cli):
    """``python -m recipes.data.prepare all`` on the fixtures, labelled by a tiny random Qwen2."""
    root = tmp_path_factory.mktemp("data")
    paths = fx.write_all(root / "hub")
    model = write_tiny_model(root / "model")
    argv = pipeline_argv(root, paths, "--label-model", str(model), "--backend", "transformers", "--k", "1",
                         "--max-new-tokens", "8")
    proc = run_cli(["-m", "recipes.data.prepare", *argv], timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, argv, model, proc.stdout, paths


@pytest.mark.slow
def test_pipeline_removes_what_it_should_and_says_why(fixture_run):
    root, _, _, stdout, _ = fixture_run
    summary = json.loads((root / "out" / "summary.json").read_text())
    assert summary["removed"]["by_source"] == fx.EXPECTED_REMOVALS
    kept = Counter(summary["train"]["by_source"]) + Counter(summary["val"]["by_source"])
    assert dict(kept) == fx.EXPECTED_KEPT
    assert f"removed: {sum(fx.EXPECTED_REMOVALS.values())} rows" in stdout
    removals = [json.loads(line) for line in (root / "out" / "removals.jsonl").read_text().splitlines()]
    details = {(r["source"], r["reason"]): r["detail"] for r in removals}
    assert details["primeintellect", "duplicate"] == "same text as taco_verified:8"  # the cross-source duplicate
    assert details["taco", "duplicate"] == "same text as taco_verified:0"
    assert "aime24:60" in details["dapo_math", "contaminated"]
    assert "lcb:abc370_b" in details["taco_verified", "contaminated"]


@pytest.mark.slow
def test_summary_reports_each_source_split_and_licence(fixture_run):
    root, _, _, stdout, paths = fixture_run
    sources = json.loads((root / "out" / "summary.json").read_text())["sources"]
    assert list(sources) == list(fx.EXPECTED_KEPT)
    assert {n: s["split"] for n, s in sources.items()} == {**dict.fromkeys(fx.EXPECTED_KEPT, "train"),
                                                           "livecodebench": "test"}
    assert sources["taco"]["files"] == ["ALL/train-00000-of-00001.parquet"]  # its test split is never read
    assert sources["taco"]["split_by"] == "the card's data_files (config ALL)"
    assert sources["taco_verified"]["license"] == "MIT" and sources["dapo_math"]["license"] == "Apache-2.0"
    assert sources["dapo_math"]["rows_read"] == 9 and sources["dapo_math"]["repeats"] == 2
    assert f"  taco: split train of {paths['taco']} (Apache-2.0): 2 rows read, 2 distinct problems" in stdout
    assert "  livecodebench: split test of" in stdout
    rows = pd.concat([pd.read_parquet(root / "out" / f"{s}.parquet") for s in ("train", "val")])
    assert not rows["prompt"].map(lambda m: fx.TEST_SPLIT_PROBLEM in m[1]["content"]).any()


@pytest.mark.slow
def test_output_loads_through_verl_rlhf_dataset(fixture_run):
    from transformers import AutoTokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    root, _, model, _, _ = fixture_run
    tokenizer = AutoTokenizer.from_pretrained(model)
    config = OmegaConf.create({"prompt_key": "prompt", "max_prompt_length": 4096, "filter_overlong_prompts": True,
                               "filter_overlong_prompts_workers": 1, "cache_dir": str(root / "cache")})
    train = RLHFDataset(str(root / "out" / "train.parquet"), tokenizer, config)
    val = RLHFDataset(str(root / "out" / "val.parquet"), tokenizer, config)
    assert len(train) == sum(fx.EXPECTED_KEPT.values()) - 2 and len(val) == 2  # nothing lost to filters or parsing
    rows = [train[i] for i in range(len(train))] + [val[i] for i in range(len(val))]
    ids = [r["index"] for r in rows]
    assert len(set(ids)) == len(ids) and all(isinstance(i, int) for i in ids)
    for row in rows:
        assert row["ability"] in ("math", "code") and row["extra_info"]["domain"] == row["ability"]
        assert [m["role"] for m in row["raw_prompt"]] == ["system", "user"]
        assert row["reward_model"]["style"] == "rule"
        assert row["extra_info"]["difficulty"] == "unsolved" and row["extra_info"]["pass_k"] == 1
        assert "Solve the following" not in row["raw_prompt"][1]["content"]  # no source's wrapper reaches the model
        if row["ability"] == "code":
            tests = json.loads(row["reward_model"]["ground_truth"])
            assert set(tests) == {"inputs", "outputs", "fn_name"} and tests["inputs"]
            assert "```python" in row["raw_prompt"][1]["content"]


@pytest.mark.slow
def test_rerun_skips_every_step_and_an_edited_input_reruns_what_follows(fixture_run, capsys, monkeypatch):
    """Runs last: it edits one fixture file (an answer, so the counts the other tests check stay true), then
    changes the reward's SCORING_VERSION, which relabels from the cached samples."""
    root, argv, _, _, paths = fixture_run
    before = (root / "out" / "train.parquet").read_bytes()
    prepare.main(argv)
    out = capsys.readouterr().out
    assert out.count("up to date, skipped") == len(fx.EXPECTED_KEPT) + 3  # every load, clean, decontaminate, label
    assert (root / "out" / "train.parquet").read_bytes() == before
    prepare.main([*argv, "--ngram", "6"])  # decontamination reruns; its output is the same, so label does not
    out = capsys.readouterr().out
    assert "[decontaminate] ngram: 8 -> 6: running again" in out and "[label] up to date" in out
    samples = sorted((root / "work" / "label" / "samples").rglob("completions*.jsonl"))
    cached = sum(len(p.read_text().splitlines()) for p in samples)

    rows = fx.deepscaler_rows()
    rows[1]["answer"] = "41"  # the edit: DeepScaleR's answer to "The roots of x^2-13x+k=0 differ by 3"
    fx.write_deepscaler(paths["deepscaler"].parent, rows)
    prepare.main([*argv, "--ngram", "6"])
    out = capsys.readouterr().out
    assert "[load/deepscaler] its input changed (files): running again" in out
    assert [line for line in out.splitlines() if "up to date" in line] == [
        f"[load/{name}] up to date, skipped" for name in fx.EXPECTED_KEPT if name != "deepscaler"]
    assert "[clean] its input changed (load/deepscaler/records.jsonl): running again" in out
    assert "[decontaminate] its input changed (clean/records.jsonl): running again" in out
    assert "[label] its input changed (decontaminate/records.jsonl): running again" in out
    assert sum(len(p.read_text().splitlines()) for p in samples) == cached  # same prompts: no new samples
    train = pd.concat([pd.read_parquet(root / "out" / f"{s}.parquet") for s in ("train", "val")])
    answers = [g["ground_truth"] for g in train["reward_model"]]
    assert "41" in answers and "40" not in answers

    # new scoring rules re-score the cached samples: the labels are redone, nothing is sampled again
    import verl_srpo.rewards

    monkeypatch.setattr(verl_srpo.rewards, "SCORING_VERSION", verl_srpo.rewards.SCORING_VERSION + 1)
    prepare.main([*argv, "--ngram", "6"])
    out = capsys.readouterr().out
    assert f"[label] the reward's scoring rules changed (SCORING_VERSION {verl_srpo.rewards.SCORING_VERSION - 1} -> " \
        f"{verl_srpo.rewards.SCORING_VERSION}): running again" in out
    assert "[decontaminate] up to date" in out
    assert sum(len(p.read_text().splitlines()) for p in samples) == cached


def test_bad_settings_fail_before_any_work(tmp_path):
    with pytest.raises(SystemExit, match="--label-model MODEL"):
        prepare.main(["all", "--work-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="unknown source 'nope'"):
        prepare.main(["load", "--work-dir", str(tmp_path), "--source", "nope=x"])
    with pytest.raises(SystemExit, match="run the earlier steps first"):
        prepare.main(["clean", "--work-dir", str(tmp_path), "--source", "dapo_math=x"])
    paths = fx.write_all(tmp_path / "hub")
    load = ["load", "--work-dir", str(tmp_path / "work"), "--source", f"deepscaler={paths['deepscaler']}"]
    with pytest.raises(SystemExit, match=r"--split names \['taco'\], which are not among the sources read"):
        prepare.main([*load, "--split", "taco=test"])
    with pytest.raises(SystemExit, match="give NAME=SPLIT"):
        prepare.main([*load, "--split", "taco"])
    with pytest.raises(SystemExit, match=r"--source taco: .*no files of split 'validation' .*--split taco=SPLIT"):
        prepare.main([*load, "--source", f"taco={paths['taco']}", "--split", "taco=validation"])
    assert not (tmp_path / "work" / "load" / "deepscaler").exists()  # every source is checked before any is read
    with pytest.raises(SystemExit, match="--source dapo_math: .*neither an existing path nor a Hub dataset id"):
        prepare.main([*load, "--source", "dapo_math=./no/such/folder"])
    with pytest.raises(SystemExit, match="names a source twice"):
        prepare.main([*load, "--source", "deepscaler"])
    # A file of another dataset's layout: every row unusable is an error, not "0 problems kept" and exit 0.
    wrong = ["load", "--work-dir", str(tmp_path / "work2"), "--source", f"dapo_math={paths['deepscaler']}"]
    with pytest.raises(SystemExit, match=r"--source dapo_math: none of the \d+ rows of .* is usable \(first: .*is it "
                                         r"dapo_math's layout"):
        prepare.main(wrong)


def test_swapping_source_priority_reruns_clean_and_keeps_the_other_copy(tmp_path, capsys):
    paths = fx.write_all(tmp_path / "hub")
    work = tmp_path / "work"

    def run(*names: str) -> dict:
        argv = ["--work-dir", str(work), *[a for n in names for a in ("--source", f"{n}={paths[n]}")]]
        prepare.main(["load", *argv])
        prepare.main(["clean", *argv])
        return {(r["source"], r["reason"]): r["detail"] for r in prepare.iter_jsonl(work / "clean" / "removals.jsonl")}

    assert run("taco_verified", "primeintellect")["primeintellect", "duplicate"] == "same text as taco_verified:8"
    capsys.readouterr()
    swapped = run("primeintellect", "taco_verified")
    out = capsys.readouterr().out
    assert ("[clean] priority: ['taco_verified', 'primeintellect'] -> ['primeintellect', 'taco_verified']: "
            "running again") in out and out.count("up to date, skipped") == 2  # both loads
    assert swapped["taco_verified", "duplicate"] == "same text as primeintellect:prime_rl_code_4"


def test_dapo_template_is_stripped_and_a_foreign_row_is_malformed():
    row = {"prompt": [{"content": f"{DAPO_PREFIX}\n\nWhat is 1+1?\n\n{DAPO_SUFFIX}"}],
           "reward_model": {"ground_truth": "2"}, "extra_info": {"index": "u1"}}
    assert convert_dapo_math(row, {})["question"] == "What is 1+1?"
    with pytest.raises(Malformed, match="template"):
        convert_dapo_math({**row, "prompt": [{"content": "What is 1+1?"}]}, {})


@pytest.mark.parametrize("answer, question, reason", [
    ("2, -2", "Solve x^2=4.", "ambiguous_answer"),
    ("1,000", "How many?", None),  # a thousands separator is one value
    ("3", "Find all primes below 5.", "ambiguous_answer"),
    ("7", "In the diagram, what is x?", "needs_figure"),
    ("7", "[asy]draw((0,0)--(1,1));[/asy] As shown, what is x?", None),  # the figure is inline
])
def test_math_rules(answer, question, reason):
    record = {"domain": "math", "question": question, "answer": answer, "meta": "{}"}
    assert (clean.row_problem(record) or (None,))[0] == reason


def test_near_duplicates_are_found_and_distinct_problems_kept():
    base = ("a train leaves the station at noon and travels at sixty miles per hour toward the city while a "
            "second train leaves the city one hour later at eighty miles per hour. when do they meet")
    near = base.replace("meet", "pass")  # 1 of 29 word 5-grams differs: Jaccard 28/30
    records = [{"source": "s", "source_id": str(i), "domain": "math", "question": q}
               for i, q in enumerate([base, near, "something else entirely " * 3, base])]
    kept, removals = clean.deduplicate(records, threshold=0.8)
    assert [r["source_id"] for r in kept] == ["0", "2"]
    assert [r["reason"] for r in removals] == ["near_duplicate", "duplicate"]


def test_normalize_and_ngrams():
    assert textmatch.normalize("Find $\\dfrac{1}{2}$ of  10!") == "find 1 2 of 10"
    assert len(textmatch.ngrams("a b c d", 2)) == 3 and len(textmatch.ngrams("a b", 3)) == 1


def test_difficulty_buckets_and_solved_rows_dropped_by_default():
    assert [label.bucket(c / 8) for c in (0, 1, 2, 3, 6, 7, 8)] == [
        "unsolved", "hard", "hard", "medium", "easy", "easy", "solved"]
    rows = [{"source": "s", "source_id": str(c), "num_correct": c, "pass_k": 4, "label_model": "m",
             "difficulty": label.bucket(c / 4)} for c in (0, 2, 4)]
    kept, removals = label.drop_solved(rows, keep_solved=False)
    assert [r["source_id"] for r in kept] == ["0", "2"] and removals[0]["detail"] == "4/4 samples of m correct"
    assert label.drop_solved(rows, keep_solved=True) == (rows, [])


def test_labels_score_accuracy_with_the_training_reward():
    math = {"source": "dapo_math", "domain": "math", "answer": "3"}
    assert label.is_correct(math, "<think>7^2024 mod 13</think> <answer>3</answer>")
    assert not label.is_correct(math, "<think>hmm</think> <answer>4</answer>")
    code = {"source": "taco_verified", "domain": "code",
            "answer": json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"], "fn_name": None})}
    assert label.is_correct(code, "<answer>```python\na, b = map(int, input().split())\nprint(a + b)\n```</answer>")


def test_index_is_stable_and_collisions_fail():
    rec = {"source": "s", "source_id": "1", "domain": "math", "question": "q", "answer": "1"}
    assert combine.verl_row(rec, "train")["extra_info"]["index"] == combine.stable_index("s", "1")
    with pytest.raises(ValueError, match="collides"):
        combine.to_frame([rec, dict(rec)], "train")


def test_primeintellect_open_r1_layout_with_dict_columns(tmp_path):
    """open-r1's copy names the prompt ``problem_statement`` (same wrapper) and stores ``verification_info``
    as a parquet struct: read back as a dict with a list of cases."""
    from verl_srpo.recipes.data.files import resolve
    from verl_srpo.recipes.data.sources import get_source, load_source

    cases = [{"fn_name": None, "input": "4\n", "output": "16\n", "type": "stdin_stdout"}]
    row = {"problem_id": "p1", "problem_statement": fx.prime_prompt("Print the square of n."),
           "verification_info": {"language": "python", "test_cases": cases}}
    pd.DataFrame([row]).to_parquet(tmp_path / "x.parquet")
    records, removals = [], []
    load_source(get_source("primeintellect"), resolve(str(tmp_path / "x.parquet"), "train"), None, {},
                records.append, removals.append)
    assert removals == [] and records[0]["statement"] == "Print the square of n."
    assert json.loads(records[0]["answer"]) == {"inputs": ["4\n"], "outputs": ["16\n"], "fn_name": None}


def documented_commands() -> list[str]:
    """Every ``python -m recipes.data.prepare`` line of the data README and of the recipe headers."""
    root = Path(__file__).resolve().parents[2]
    texts = [(root / "recipes" / "data" / "README.md").read_text()]
    texts += [p.read_text() for p in sorted((root / "recipes" / "srpo").glob("*.sh"))]
    return [m.group(1) for t in texts for m in re.finditer(r"^[#\s]*(python -m recipes\.data\.prepare .*)$", t, re.M)]


def test_documented_commands_are_valid_for_the_real_cli():
    """Each documented command parses and passes the start-up checks (the fixture run executes the pipeline)."""
    commands = documented_commands()
    assert len(commands) >= 4
    for command in commands:
        args = prepare.build_parser().parse_args(shlex.split(command)[3:])
        prepare.check_args(args)


def test_code_instructions_shared_by_every_problem_do_not_make_duplicates():
    from verl_srpo.recipes.data.sources import convert_taco

    rows = [fx.taco_row(0, "Add.", fx.io(["1 2\n"], ["3\n"])),  # shown texts: 5-gram Jaccard 0.9
            fx.taco_row(1, "Multiply.", fx.io(["2 3\n"], ["6\n"])),
            fx.taco_row(1, "Maximum.", fx.io(["2 3\n"], ["3\n"]))]  # same id
    records = [{"source": "taco_verified", **convert_taco(r, {})} for r in rows]
    kept, removals = clean.deduplicate(records)
    assert [r["source_id"] for r in kept] == ["0", "1"]
    assert [r["reason"] for r in removals] == ["duplicate"] and "id" in removals[0]["detail"]


def test_decontamination_catches_a_reference_inside_a_longer_reworded_problem():
    from verl_srpo.recipes.data import decontaminate as decon

    refs = [decon._ref("aime24:60", "math", fx.AIME_PROBLEM, 8)]
    quoted = "Here is a hard one. " + fx.AIME_PROBLEM.replace("Find $m+n$.", "Compute $m+n$.") + " Good luck!"
    records = [{"source": "s", "source_id": str(i), "domain": d, "question": q}
               for i, (d, q) in enumerate([("math", quoted), ("math", MATH_OK_TEXT), ("code", fx.AIME_PROBLEM)])]
    results = list(decon.decontaminate(records, refs))
    kept = [r for r, _ in results if r is not None]
    removals = [gone for _, gone in results if gone is not None]
    assert [r["source_id"] for r in kept] == ["1", "2"]  # code is checked against LiveCodeBench only
    assert re.fullmatch(r"\d+ shared 8-grams \(\d+%\) with aime24:60", removals[0]["detail"])


MATH_OK_TEXT = "How many positive divisors does $3600$ have?"


def test_validation_split_never_takes_a_whole_domain():
    rows = [{"source": "s", "source_id": str(i), "domain": "math" if i < 10 else "code"} for i in range(13)]
    train, val = combine.split(rows, val_per_domain=4)
    assert Counter(r["domain"] for r in val) == {"math": 4, "code": 1}
    assert len(train) == 8 and not {r["source_id"] for r in train} & {r["source_id"] for r in val}
    assert combine.split(rows, val_per_domain=4) == (train, val)  # deterministic
