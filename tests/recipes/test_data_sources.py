"""Each source on its real layout: the rule that cuts its wrapper off, its split, its files, its content key."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pytest

from tests.recipes import data_fixtures as fx
from verl_srpo.eval.safe_pickle import decode_private_tests
from verl_srpo.recipes.data import clean, files, prepare, sources, statements
from verl_srpo.recipes.data.files import card_data_files, iter_rows, resolve, select_split, split_of
from verl_srpo.recipes.data.sources import get_source, load_source, problem_key
from verl_srpo.recipes.data.statements import Malformed


def load(name: str, location: Path, split: str | None = None, limit: int | None = None, opts=None):
    source = get_source(name)
    records, removals = [], []
    stats = load_source(source, source.resolve(str(location), split), limit, opts or {},
                        records.append, removals.append)
    return records, removals, stats


# --- one rule per source, on rows in the real layout ---------------------------------------------

@pytest.mark.parametrize("content, bare", [
    (fx.dapo_row(0, "What is $1+1$?", "2")["prompt"][0]["content"], "What is $1+1$?"),
    (f"{statements.DAPO_PREFIX}\nLine one.\n\nLine two.\n{statements.DAPO_SUFFIX}", "Line one.\n\nLine two."),
])
def test_dapo_rule_cuts_its_instruction_and_reminder(content, bare):
    assert statements.dapo_math(content).text == bare


@pytest.mark.parametrize("text", ["What is 1+1?", f"{statements.DAPO_PREFIX}\n\nno reminder", ""])
def test_dapo_rule_refuses_text_without_its_template(text):
    with pytest.raises(Malformed, match="DAPO's instruction template"):
        statements.dapo_math(text)


def test_primeintellect_stdin_wrapper_leaves_the_bare_statement():
    s = statements.primeintellect(fx.prime_prompt("Read n.\n\n-----Input-----\nOne integer."))
    assert s == statements.Statement("Read n.\n\n-----Input-----\nOne integer.", "", None, "python")


def test_primeintellect_function_wrapper_keeps_starter_code_and_name():
    s = statements.primeintellect(fx.prime_prompt("Double x.", starter="def double(x):\n    pass", fn_name="double"))
    assert (s.text, s.starter_code, s.fn_name) == ("Double x.", "def double(x):\n    pass", "double")


def test_primeintellect_other_languages_and_collapsed_spacing():
    assert statements.primeintellect(fx.prime_prompt("Sum two numbers.", language="cpp")).language == "cpp"
    one_line = ("Solve the following coding problem using the programming language python: Sum two numbers. The input "
                "will be stdin and you should print your solution to stdout Now solve the problem and return the code.")
    assert statements.primeintellect(one_line).text == "Sum two numbers."


@pytest.mark.parametrize("prompt", ["Read an integer and print it twice.",
                                    "Solve the following coding problem using the programming language python:\n\nx"])
def test_primeintellect_rule_refuses_a_prompt_without_its_wrapper(prompt):
    with pytest.raises(Malformed, match="PrimeIntellect's wrapper"):
        statements.primeintellect(prompt)


def test_bare_sources_only_lose_surrounding_whitespace():
    assert statements.bare("  Compute 2+2.\n").text == "Compute 2+2."
    with pytest.raises(Malformed, match="empty problem"):
        statements.bare("   ")


def test_every_source_reads_its_fixture_layout_and_bare_statements_carry_no_wrapper(tmp_path):
    paths = fx.write_all(tmp_path)
    wrappers = ("Solve the following", "Now solve the problem", "Remember to put", "The input will be stdin",
                "Write your solution by modifying")
    for name in ("dapo_math", "deepscaler", "taco_verified", "primeintellect", "livecodebench", "taco"):
        records, _, stats = load(name, paths[name])
        assert records and stats["rows_read"] > 0, name
        for r in records:
            assert not any(w in r["statement"] for w in wrappers), (name, r["statement"][:80])
            assert r["statement"] == r["statement"].strip() and r["statement"] in r["question"]


def test_the_same_problem_through_taco_verified_and_primeintellect_is_one_problem(tmp_path):
    """Wrapped and reflowed by PrimeIntellect, bare in TACO-verified: equal once each rule has run."""
    paths = fx.write_all(tmp_path)
    taco = {r["source_id"]: r for r in load("taco_verified", paths["taco_verified"])[0]}["8"]
    prime = {r["source_id"]: r for r in load("primeintellect", paths["primeintellect"])[0]}["prime_rl_code_4"]
    assert problem_key("code", taco["statement"]) == problem_key("code", prime["statement"])
    kept, removals = clean.deduplicate([taco, prime])
    assert kept == [taco] and removals[0]["detail"] == "same text as taco_verified:8"


def test_primeintellect_function_problem_is_shown_with_its_starter_code(tmp_path):
    records, removals, _ = load("primeintellect", fx.write_primeintellect(tmp_path))
    by_id = {r["source_id"]: r for r in records}
    shown = by_id["prime_rl_code_3"]["question"]
    assert "```python\ndef double(x):\n```" in shown and "Solve the following" not in shown
    assert json.loads(by_id["prime_rl_code_3"]["answer"])["fn_name"] == "double"
    assert [r["reason"] for r in removals] == ["malformed"] and "wrapper" in removals[0]["detail"]


def test_taco_verified_input_output_as_text_or_object(tmp_path):
    row = fx.taco_row(0, "Print 1.", fx.io(["\n"], ["1\n"]))
    rows = [row, {**row, "id": 1, "question": "Print 2.", "input_output": {"inputs": ["\n"], "outputs": ["2\n"]}}]
    records, removals, _ = load("taco_verified", fx.write_taco_verified(tmp_path, rows))
    assert [json.loads(r["answer"])["outputs"] for r in records] == [["1\n"], ["2\n"]] and not removals


# --- LiveCodeBench's private tests ---------------------------------------------------------------

def test_lcb_private_tests_accept_base64_wrapped_over_lines():
    tests = [{"input": f"{i}\n", "output": f"{i * i}\n", "testtype": "stdin"} for i in range(50)]
    wrapped = base64.encodebytes(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()
    assert wrapped.count("\n") > 2
    assert decode_private_tests(wrapped) == tests
    with pytest.raises(ValueError, match="neither JSON nor base64"):
        decode_private_tests(wrapped.replace("A", "!", 1))


def test_lcb_rows_are_kept_before_the_window_only(tmp_path):
    records, removals, _ = load("livecodebench", fx.write_lcb(tmp_path))
    assert [r["source_id"] for r in records] == ["abc300_a", "lc-2000", "abc350_c"]
    assert len(json.loads(records[2]["answer"])["inputs"]) == 41  # public + the 40 private ones, unwrapped
    assert [(r["reason"], r["source_id"]) for r in removals] == [("lcb_eval_window", "test2.jsonl#1")]


def test_lcb_files_follow_its_release_rule_not_a_per_release_card(tmp_path):
    """A card with one config per release (as proposed upstream) must not narrow what is read."""
    folder = fx.write_lcb(tmp_path)
    (folder / "README.md").write_text("---\nconfigs:\n- config_name: release_v1\n  data_files:\n  - split: test\n"
                                      "    path: test.jsonl\n---\n")
    assert load("livecodebench", folder)[2]["rows_read"] == 4
    assert sources.lcb_files(str(folder), "release_v2").relpaths == ["test.jsonl", "test2.jsonl"]
    with pytest.raises(FileNotFoundError, match=r"lacks \['test3.jsonl'\] for release_v3"):
        sources.lcb_files(str(folder), "release_v3")
    with pytest.raises(FileNotFoundError, match="LiveCodeBench has one split, test"):
        load("livecodebench", folder, split="train")


# --- splits ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, split", [
    ("data/train-00000-of-00001.parquet", "train"), ("test2.jsonl", "test"), ("test.jsonl", "test"),
    ("ALL/test-00000-of-00001.parquet", "test"), ("train/data-00000-of-00009.arrow", "train"),
    ("valid.json", "validation"), ("taco_verified.json", None), ("data/dapo-math-17k.parquet", None),
    ("deepscaler.json", None), ("contest.jsonl", None), ("latest.parquet", None),
])
def test_split_words_in_file_names(path, split):
    assert split_of(path) == split


def test_the_card_decides_the_split_before_file_names():
    card = fx.TACO_CARD.replace("ALL/test-*", "ALL/extra-*")  # the card, not the word "test", is what counts
    chosen, how = select_split(["ALL/train-0.parquet", "ALL/test-0.parquet", "ALL/extra-0.parquet"], "test", card)
    assert chosen == ["ALL/extra-0.parquet"] and "card" in how
    assert card_data_files("---\nconfigs:\n- config_name: d\n  data_files: data/*.parquet\n---\n") == (
        "d", {"train": ["data/*.parquet"]})
    assert card_data_files("# no front matter") is None


def test_without_split_words_every_file_is_train_and_metadata_files_are_not_data():
    chosen, _ = select_split(["deepscaler.json", "README.md", ".gitattributes", "state.json"], "train", None)
    assert chosen == ["deepscaler.json"]
    with pytest.raises(FileNotFoundError, match=r"no files of split 'test' \(splits found by one split"):
        select_split(["deepscaler.json"], "test", None)


def test_baai_taco_test_split_never_leaks_into_training(tmp_path):
    folder = fx.write_taco(tmp_path)
    records, _, _ = load("taco", folder)
    assert records and not any(fx.TEST_SPLIT_PROBLEM in r["statement"] for r in records)
    test_records, _, _ = load("taco", folder, split="test")
    assert [r["statement"] for r in test_records] == [fx.TEST_SPLIT_PROBLEM]
    with pytest.raises(FileNotFoundError, match=r"splits found by the card's data_files \(config ALL\): test \(1 "
                                                r"files\), train \(1 files\)"):
        resolve(str(folder), "validation")


def test_datasets_arrow_folders_read_their_split(tmp_path):
    """The earlier BAAI/TACO layout: ``datasets.save_to_disk`` folders train/ and test/ of Arrow stream files."""
    import pyarrow as pa

    for split, question in (("train", "Print the sum."), ("test", fx.TEST_SPLIT_PROBLEM)):
        (tmp_path / split).mkdir()
        table = pa.Table.from_pylist([{k: v for k, v in fx.taco_row(0, question, fx.io(["1 2\n"], ["3\n"])).items()
                                       if k != "solutions"}])
        with pa.OSFile(str(tmp_path / split / "data-00000-of-00001.arrow"), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
        (tmp_path / split / "state.json").write_text("{}")
        (tmp_path / split / "dataset_info.json").write_text("{}")
    (tmp_path / "dataset_dict.json").write_text('{"splits": ["train", "test"]}')
    records, removals, _ = load("taco", tmp_path)
    assert [r["statement"] for r in records] == ["Print the sum."] and not removals


# --- readers and --limit -----------------------------------------------------------------------------

def test_json_array_and_json_lines_read_the_same(tmp_path):
    rows = [{"a": 1, "b": [1.5, None]}, {"a": 2, "b": []}]
    (tmp_path / "x.json").write_text(json.dumps(rows, indent=1))
    (tmp_path / "y.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "z.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [list(iter_rows(tmp_path / n)) for n in ("x.json", "y.json", "z.jsonl")] == [rows] * 3
    (tmp_path / "bad.json").write_text('"a string"')
    with pytest.raises(ValueError, match="expected a JSON array"):
        list(iter_rows(tmp_path / "bad.json"))


def test_limit_is_the_first_n_distinct_problems(tmp_path):
    """DAPO repeats its first problem right away: --limit 2 still gives two problems, and stops reading."""
    folder = fx.write_dapo(tmp_path)
    records, removals, stats = load("dapo_math", folder, limit=2)
    assert [r["source_id"] for r in records] == ["uuid-0000", "uuid-0001"]
    assert stats["rows_read"] == 2
    records, removals, stats = load("dapo_math", folder)
    assert len(records) == 6 and stats["repeats"] == 2
    assert [(r["reason"], r.get("count")) for r in removals if r["reason"] == "duplicate"] == [("duplicate", 2)]


# --- content keys: an edited file, a new Hub revision --------------------------------------------

def test_file_hashes_follow_content_and_are_remembered(tmp_path):
    path = tmp_path / "f.json"
    path.write_text("[1]")
    memo = tmp_path / "hashes.json"
    first = files.FileHashes(memo).sha256(path)
    assert files.FileHashes(memo).memo[str(path.resolve())][2] == first
    path.write_text("[2]")
    assert files.FileHashes(memo).sha256(path) != first


def _hub_snapshot(cache: Path, repo: str, commit: str, rows: list[dict]) -> None:
    """A dataset in the Hugging Face cache layout (what ``snapshot_download`` leaves on disk)."""
    repo_dir = cache / f"datasets--{repo.replace('/', '--')}"
    snap = repo_dir / "snapshots" / commit
    snap.mkdir(parents=True)
    (snap / "deepscaler.json").write_text(json.dumps(rows))
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(commit)


def test_a_new_hub_revision_reruns_load_and_what_follows(tmp_path, monkeypatch, capsys):
    """Offline, the Hub id resolves to the cached commit: a new commit is new content, even with the same id."""
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    rows = fx.deepscaler_rows()[:2]
    _hub_snapshot(cache, "fixture-org/deepscaler", "a" * 40, rows)
    argv = ["clean", "--work-dir", str(tmp_path / "work"), "--source", "deepscaler=fixture-org/deepscaler"]
    prepare.main(["load", *argv[1:]])
    prepare.main(argv)
    assert json.loads((tmp_path / "work/load/deepscaler/source.json").read_text())["revision"] == "a" * 40
    capsys.readouterr()
    prepare.main(["load", *argv[1:]])
    assert "[load/deepscaler] up to date, skipped" in capsys.readouterr().out
    _hub_snapshot(cache, "fixture-org/deepscaler", "b" * 40, [*rows, {"problem": "What is 6*7?", "answer": "42"}])
    prepare.main(["load", *argv[1:]])
    prepare.main(argv)
    out = capsys.readouterr().out
    assert "[load/deepscaler] its input changed (revision): running again" in out and "3 problems kept" in out
    assert "[clean] its input changed (load/deepscaler/records.jsonl): running again" in out
    assert "[clean] 3 rows kept" in out


def test_a_hub_id_neither_reachable_nor_cached_says_so_plainly(tmp_path, monkeypatch):
    """Offline with an empty cache: the message says what to do, not huggingface_hub's `local_files_only=False`."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(RuntimeError) as err:
        resolve("fixture-org/not-cached", "train")
    text = str(err.value)
    assert text.startswith("fixture-org/not-cached: Hub: ") and "local_files_only" not in text and ".." not in text
    assert "; local cache: not in the local Hugging Face cache (HF_HOME). Download the dataset's files" in text


def test_a_label_model_neither_local_nor_cached_says_so_plainly(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from verl_srpo.recipes.data.files import FileHashes
    from verl_srpo.recipes.data.label import model_identity

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(RuntimeError) as err:
        model_identity("fixture-org/not-cached", FileHashes())
    assert "local cache: not in the local Hugging Face cache (HF_HOME)); pass a local model folder" in str(err.value)
