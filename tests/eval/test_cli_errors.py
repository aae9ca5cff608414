"""``python -m eval`` as a user meets it: ``--help`` shows every default, and each error a user can fix is
one line on stderr with what to do, exit code 2, and no ``run.json`` left behind when nothing was sampled."""

from __future__ import annotations

import importlib.util
import json

import pytest

from verl_srpo.eval.cli import build_parser, main

FAST = ["--backend", "transformers", "--n", "2", "--max-new-tokens", "4", "--dtype", "float32"]


def fails(capsys, argv: list[str], task: str = "aime24") -> str:
    """Run ``python -m eval argv`` in-process; return its one error line (after ``error: ``)."""
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip() and "%|" not in line]
    errors = [line for line in err if line.startswith(f"python -m eval {task}: error: ")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    return errors[0].split(": error: ", 1)[1]


def test_help_shows_every_default():
    top = build_parser().format_help()
    assert "--backend vllm" in top and "--expect-problems 30" in top and "--release release_v5" in top
    assert "--start 2024-08-01 --end 2025-01-31" in top and "--dataset HuggingFaceH4/aime_2024" in top
    sub = build_parser()._subparsers._group_actions[0].choices
    aime, lcb = sub["aime24"].format_help(), sub["lcb"].format_help()
    for text, default in [(aime, "vllm"), (aime, "HuggingFaceH4/aime_2024"), (aime, "30"), (aime, "32768"),
                          (lcb, "livecodebench/code_generation_lite"), (lcb, "release_v5"), (lcb, "2024-08-01"),
                          (lcb, "2025-01-31"), (lcb, "32")]:  # fmt: skip
        assert f"(default: {default})" in " ".join(text.split()), default


def test_vllm_missing(tiny_model, aime_file, tmp_path, capsys, monkeypatch):
    """The default backend on a machine without vLLM: what to install or pass instead; nothing written."""
    if importlib.util.find_spec("vllm") is not None:  # a GPU machine: make vLLM look absent
        real = importlib.util.find_spec
        monkeypatch.setattr("eval.cli.importlib.util.find_spec",
                            lambda name, *a: None if name == "vllm" else real(name, *a))  # fmt: skip
    out = tmp_path / "run"
    text = fails(capsys, ["aime24", "--model", str(tiny_model), "--dataset", str(aime_file), "--out", str(out)])
    assert text.startswith("--backend vllm (the default) needs vLLM, which is not installed: on a GPU machine "
                           "`pip install 'verl-srpo[vllm]'` (verl's vLLM extra: a vLLM that matches its torch and "
                           "transformers); on CPU pass --backend transformers")  # fmt: skip
    assert not out.exists()


def test_missing_local_dataset(tiny_model, tmp_path, capsys):
    out = tmp_path / "run"
    text = fails(capsys, ["aime24", "--model", str(tiny_model), "--dataset", str(tmp_path / "nope" / "aime.parquet"),
                          "--out", str(out), *FAST])  # fmt: skip
    assert text == f"--dataset {tmp_path / 'nope' / 'aime.parquet'} is neither an existing path nor a Hub dataset id " \
                   "(owner/name): check the path"
    assert not out.exists()


def test_hub_dataset_neither_reachable_nor_cached(tiny_model, tmp_path, capsys, no_network):
    out = tmp_path / "run"
    text = fails(capsys, ["aime24", "--model", str(tiny_model), "--dataset", "org/absent", "--out", str(out), *FAST])
    assert text == ("cannot read dataset org/absent: no such local path; the Hub: ConnectError: [Errno 111] Connection "
                    "refused; the local cache: not in the local Hugging Face cache (HF_HOME). Check the path, or "
                    "download the dataset where the Hub is reachable (hf download --repo-type dataset org/absent) "
                    "and pass --dataset PATH")  # fmt: skip
    assert not out.exists()


def test_uncached_hub_model(aime_file, tmp_path, capsys, no_network):
    out = tmp_path / "run"
    text = fails(capsys, ["aime24", "--model", "org/absent-model", "--dataset", str(aime_file), "--expect-problems",
                          "3", "--out", str(out), *FAST])  # fmt: skip
    assert text.startswith("cannot fingerprint org/absent-model: no such local directory; the Hub: ConnectError")
    assert text.endswith("Download it where the Hub is reachable (hf download org/absent-model) or pass --model "
                         "<a local model directory>")  # fmt: skip
    assert not out.exists()


def test_wrong_problem_count(tiny_model, aime_file, tmp_path, capsys):
    out = tmp_path / "run"
    text = fails(capsys, ["aime24", "--model", str(tiny_model), "--dataset", str(aime_file), "--out", str(out), *FAST])
    assert text == (f"{aime_file} holds 3 problems, expected 30 (AIME 2024 I + II); pass --expect-problems 0 to "
                    "evaluate a different set")  # fmt: skip
    assert not out.exists()


@pytest.mark.parametrize(("extra", "message"), [
    (["--release", "release_v3"], "{lcb_dir} lacks ['test3.jsonl'] for release_v3; pick an older --release"),
    (["--release", "v5_v4"], "unknown LiveCodeBench release 'v5_v4': use release_v1..release_v6, release_latest"),
    (["--release", "release_v2", "--start", "2030-01-01", "--end", "2030-12-31"],
     "no problems of release_v2 fall in 2030-01-01..2030-12-31: widen the window (--start, --end) or pick a newer"),
    (["--release", "release_v2", "--start", "2024-13-01"], "--start/--end '2024-13-01' is not a date: use YYYY-MM-DD"),
])  # fmt: skip
def test_lcb_release_and_window(tiny_model, lcb_dir, tmp_path, capsys, extra, message):
    out = tmp_path / "run"
    text = fails(capsys, ["lcb", "--model", str(tiny_model), "--dataset", str(lcb_dir), "--out", str(out),
                          *FAST, *extra], task="lcb")  # fmt: skip
    assert text.startswith(message.format(lcb_dir=lcb_dir)) and not out.exists()


def test_score_only_without_completions_leaves_no_run_file(tiny_model, aime_file, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()  # an existing, empty --out stays, empty
    text = fails(capsys, ["aime24", "--model", str(tiny_model), "--dataset", str(aime_file), "--expect-problems", "3",
                          "--out", str(out), "--score-only", *FAST])  # fmt: skip
    assert text == f"--score-only, but {out} lacks completions; drop --score-only to generate them"
    assert out.is_dir() and not any(out.iterdir())


def test_settings_mismatch_on_resume(tiny_model, aime_file, tmp_path, capsys):
    """A resume with other sampling settings: one line naming the difference; the run directory is untouched."""
    out = tmp_path / "run"
    argv = ["aime24", "--model", str(tiny_model), "--dataset", str(aime_file), "--expect-problems", "3",
            "--out", str(out), *FAST]  # fmt: skip
    assert main(argv) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    text = fails(capsys, [*argv, "--temperature", "1.0"])
    assert text.startswith(f"{out / 'run.json'} was written with other settings (sampling: cached ")
    assert "'temperature': 0.6" in text and "'temperature': 1.0" in text
    assert text.endswith("pass a new --out directory, or --overwrite")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert json.loads((out / "run.json").read_text())["sampling"]["temperature"] == 0.6


@pytest.mark.parametrize(("extra", "message"), [
    (["--n", "0"], "n and max_new_tokens must be >= 1"),
    (["--top-p", "0"], "need temperature >= 0 and 0 < top_p <= 1"),
    (["--tensor-parallel-size", "0"], "--tensor-parallel-size and --data-parallel-size must be >= 1"),
    (["--backend", "transformers", "--data-parallel-size", "2"], "tensor/data parallelism needs --backend vllm"),
    (["--expect-problems", "-1"], "--expect-problems must be >= 0"),
])  # fmt: skip
def test_impossible_options_are_usage_errors(tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit) as exc:
        main(["aime24", "--model", "m", "--out", str(tmp_path / "run"), *extra])
    assert exc.value.code == 2 and message in capsys.readouterr().err and not (tmp_path / "run").exists()


@pytest.mark.parametrize("flag", ["--dataset", "--completions", "--out"])
def test_an_empty_path_is_refused_not_read_as_the_current_directory(flag, capsys, tmp_path):
    """`--dataset "$AIME_FILE"` with the variable unset would read (and hash) whatever lies in the current folder."""
    args = {"--dataset": "x.jsonl", "--completions": "c.jsonl", "--out": str(tmp_path / "o")}
    args[flag] = ""
    with pytest.raises(SystemExit) as exc:
        main(["aime24", *[x for kv in args.items() for x in kv]])
    assert exc.value.code == 2
    assert f"{flag} is empty (an unset shell variable?)" in capsys.readouterr().err


def test_the_readme_aime_file_is_the_fixture_rows():
    import json
    from pathlib import Path

    from tests.eval.eval_fixtures import AIME_ROWS

    path = Path(__file__).parent / "data" / "aime24.jsonl"
    assert [json.loads(line) for line in path.read_text().splitlines()] == AIME_ROWS


@pytest.mark.parametrize("extra, named", [(["--n", "7"], "--n does"), (["--temperature", "0", "--seed", "3"],
                                                                      "--temperature, --seed do")])
def test_sampling_flags_with_completions_are_refused_not_ignored(extra, named, capsys, tmp_path):
    """The completions were sampled already: `--n 7 --temperature 0` would change nothing, silently."""
    with pytest.raises(SystemExit) as exc:
        main(["aime24", "--dataset", "x.jsonl", "--completions", "c.jsonl", "--out", str(tmp_path / "o"), *extra])
    assert exc.value.code == 2
    assert f"{named} not apply to --completions" in capsys.readouterr().err
