"""Everything that can refuse a release refuses before the merge, in one line, and leaves things as they were.

Each refusal below runs ``publish`` with a real checkpoint (``--ckpt``) and a fresh ``OUT``: the refusal
must come before verl's merger writes anything, so ``OUT`` (and its ``.partial`` staging folder) must not
exist afterwards.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from tests.release.conftest import TOKEN
from verl_srpo.eval.fingerprint import local_fingerprint
from verl_srpo.release.cli import main

REPO_ID = "my-org/SRPO-Qwen-test"


def publish(fx: dict, out: Path, *extra: str, repo_id: str = REPO_ID, ckpt: bool = True, evaluated: bool = True,
            base: str | None = "none", run_config: str | None = None) -> int:  # fmt: skip
    args = ["publish", "--repo-id", repo_id, "--out", str(out), "--run-config", run_config or fx["RUN_CONFIG"],
            "--max-shard-size", "40KB", "--version", "v1.0"]  # fmt: skip
    args += ["--ckpt", fx["CKPT"]] if ckpt else []
    args += ["--base-model", base] if base is not None else []
    args += ["--eval", fx["EVAL"]] if evaluated else []
    return main(args + list(extra))


def refusal(capsys, rc: int, out: Path) -> str:
    """The one error line; and nothing was merged."""
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("release: error: "), err
    assert not out.exists() and not (out.parent / f".{out.name}.partial").exists()
    return err[0].removeprefix("release: error: ")


def run_config_with(fx: dict, tmp_path: Path, model_path: str) -> str:
    config = OmegaConf.load(fx["RUN_CONFIG"])
    config.actor_rollout_ref.model.path = model_path
    path = tmp_path / "run" / ".hydra" / "config.yaml"
    path.parent.mkdir(parents=True)
    OmegaConf.save(config, path)
    return str(path)


@pytest.mark.parametrize(("repo_id", "message"), [
    ("org/", "--repo-id 'org/' is not a valid Hub id: HFValidationError: Repo id must use alphanumeric chars"),
    ("/x", "--repo-id '/x' is not a valid Hub id: HFValidationError: Repo id must use alphanumeric chars"),
    ("my org/bad name!", "--repo-id 'my org/bad name!' is not a valid Hub id: HFValidationError: Repo id must use"),
    ("a/b/c", "--repo-id 'a/b/c' must be <user or org>/<name>, e.g. my-org/SRPO-Qwen-32B"),
    ("SRPO-Qwen-32B", "--repo-id 'SRPO-Qwen-32B' must be <user or org>/<name>, e.g. my-org/SRPO-Qwen-32B"),
    ("org/na--me", "--repo-id 'org/na--me' is not a valid Hub id: HFValidationError: Cannot have -- or .. in repo_id"),
])  # fmt: skip
def test_repo_ids_are_checked_with_huggingface_hubs_validator(release_fixture, tmp_path, capsys, no_network,
                                                               repo_id, message):  # fmt: skip
    out = tmp_path / "out"
    assert refusal(capsys, publish(release_fixture, out, repo_id=repo_id), out).startswith(message)


def test_valid_repo_ids(release_fixture):
    from verl_srpo.release.hub import check_hub_id

    for repo_id in ("my-org/SRPO-Qwen-32B", "a/b", "Org_1/name.v2"):
        assert check_hub_id(repo_id) == repo_id


@pytest.mark.parametrize(("extra", "message"), [
    (["--license", "Apache 2.0"], "--license 'Apache 2.0' is not a Hub license id"),
    (["--dataset", "my data"], "--dataset entry='my data' must be <user or org>/<name>"),
    (["--version", "v 1"], "--version 'v 1' is not a tag name"),
    (["--max-shard-size", "5 gigs"], "--max-shard-size '5 gigs' is not a size"),
    (["--max-shard-size", "60GB"], "--max-shard-size 60GB must be above 0 and at most 50GB"),
])  # fmt: skip
def test_card_and_size_inputs_refuse_early(release_fixture, tmp_path, capsys, no_network, extra, message):
    out = tmp_path / "out"
    assert refusal(capsys, publish(release_fixture, out, *extra), out).startswith(message)


def test_base_model_is_required_when_the_run_trained_from_a_local_path(release_fixture, tmp_path, capsys, no_network):
    out = tmp_path / "out"
    text = refusal(capsys, publish(release_fixture, out, base=None), out)
    assert text.startswith("the run trained from a local path (actor_rollout_ref.model.path), so the card cannot "
                           "name its base model: set --base-model <the Hub id of those weights")  # fmt: skip
    assert "/tmp" not in text and str(tmp_path) not in text
    assert refusal(capsys, publish(release_fixture, out, base="Qwen"), out).startswith("--base-model 'Qwen' must be")


def test_base_model_must_agree_with_the_run(release_fixture, tmp_path, capsys, no_network):
    out = tmp_path / "out"
    config = run_config_with(release_fixture, tmp_path, "Qwen/Qwen2.5-7B")
    text = refusal(capsys, publish(release_fixture, out, base="Qwen/Qwen2.5-32B", run_config=config), out)
    assert text == ("--base-model Qwen/Qwen2.5-32B disagrees with the run, which trained from Qwen/Qwen2.5-7B "
                    "(actor_rollout_ref.model.path): drop --base-model (the card names the run's base)")  # fmt: skip


@pytest.mark.parametrize(("content", "message"), [
    (None, "--eval path {path} is neither a results.json nor a directory holding one"),
    ("{not json", "--eval file {path} is not readable JSON"),
    ('{"schema_version": 2}', "--eval file {path}: schema_version 2, expected 1"),
    ('{"schema_version": 1, "task": "gsm8k"}', "--eval file {path}: unknown task 'gsm8k'; known: ['aime24', 'lcb']"),
    ('{"schema_version": 1, "task": "aime24"}', "--eval file {path} lacks headline.metric, headline.mean"),
    ('{"schema_version": 1, "task": "aime24", "backend": "completions", "model": {"fingerprint": "sha256:x"}}',
     "--eval file {path} grades completions read from a file (python -m eval aime24 --completions), not samples"),
])  # fmt: skip
def test_eval_files_refuse_early(release_fixture, tmp_path, capsys, no_network, content, message):
    out, bad = tmp_path / "out", tmp_path / "results.json"
    if content is not None:
        bad.write_text(content)
    rc = publish(release_fixture, out, "--eval", str(bad), evaluated=False)
    assert refusal(capsys, rc, out).startswith(message.format(path=bad))


def test_two_results_of_one_task_and_no_results_refuse_early(release_fixture, tmp_path, capsys, no_network):
    out = tmp_path / "out"
    rc = publish(release_fixture, out, "--eval", release_fixture["EVAL"], release_fixture["EVAL"], evaluated=False)
    assert refusal(capsys, rc, out).startswith("two results for aime24")
    rc = publish(release_fixture, out, evaluated=False)
    assert refusal(capsys, rc, out).startswith("no evaluation attached: run `python -m eval aime24 --model")


def test_out_holding_something_else_and_a_non_checkpoint_refuse_early(release_fixture, tmp_path, capsys, no_network):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    rc = publish(release_fixture, out)
    err = capsys.readouterr().err
    assert rc == 2 and "exists and was not merged from" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # left as it was
    rc = main(["publish", "--repo-id", REPO_ID, "--out", str(tmp_path / "new"), "--ckpt", str(tmp_path),
               "--run-config", release_fixture["RUN_CONFIG"], "--base-model", "none", "--eval", release_fixture["EVAL"],
               "--version", "v1"])
    assert "has no fsdp_config.json" in refusal(capsys, rc, tmp_path / "new")
    rc = main(["publish", "--repo-id", REPO_ID, "--out", str(tmp_path / "new"), "--ckpt", str(tmp_path / "nope/actor"),
               "--run-config", release_fixture["RUN_CONFIG"], "--base-model", "none", "--eval", release_fixture["EVAL"]])
    assert refusal(capsys, rc, tmp_path / "new").startswith(f"--ckpt {tmp_path / 'nope/actor'} does not exist")


# -- the push's own refusals: token, offline mode, network, namespace -------------------------------
def test_push_refuses_offline_mode_before_the_merge(release_fixture, tmp_path, capsys, hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "out"
    text = refusal(capsys, publish(release_fixture, out, "--confirm"), out)
    assert text == "--confirm but HF_HUB_OFFLINE is set: unset it to push (a dry run works offline)" and not hub.calls


def test_push_refuses_without_a_token_before_the_merge(release_fixture, tmp_path, capsys, hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    out = tmp_path / "out"
    text = refusal(capsys, publish(release_fixture, out, "--confirm"), out)
    assert text.startswith("--confirm needs a Hugging Face token with write access") and not hub.calls


def test_push_refuses_when_the_hub_is_unreachable_before_the_merge(release_fixture, tmp_path, capsys, no_network,
                                                                   monkeypatch):  # fmt: skip
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    out = tmp_path / "out"
    text = refusal(capsys, publish(release_fixture, out, "--confirm"), out)
    assert text.startswith("--confirm but the Hub is not reachable (ConnectError: [Errno 111] Connection refused)")
    assert TOKEN not in text


@pytest.mark.parametrize(("setup", "message"), [
    (lambda hub, mp: mp.setenv("HF_TOKEN", "hf_wrong"), "the Hub refused the token (HfHubHTTPError"),
    (lambda hub, mp: setattr(hub, "role", "read"), "the Hugging Face token is read-only"),
    (lambda hub, mp: setattr(hub, "user", "someone"),
     "the token's user 'someone' cannot create repositories in 'my-org'"),
])  # fmt: skip
def test_push_refuses_a_token_that_cannot_write_before_the_merge(release_fixture, tmp_path, capsys, hub,
                                                                  monkeypatch, setup, message):  # fmt: skip
    setup(hub, monkeypatch)
    out = tmp_path / "out"
    assert refusal(capsys, publish(release_fixture, out, "--confirm"), out).startswith(message)
    assert [c.path for c in hub.calls] == ["/api/whoami-v2"]  # nothing else was asked, nothing written


# -- the base model, checked against the Hub when it answers -----------------------------------------
def _base_files(fx: dict, **config_changes) -> dict[str, bytes]:
    config = json.loads((Path(fx["CKPT"]) / "huggingface" / "config.json").read_text()) | config_changes
    readme = "---\nlicense: apache-2.0\n---\n# base\n"
    return {"config.json": json.dumps(config).encode(), "README.md": readme.encode()}


@pytest.mark.parametrize(("base", "files", "message"), [
    ("Qwen/Qwen2.5-32B", None, "base model Qwen/Qwen2.5-32B is not a model on the Hub: fix --base-model"),
    ("Qwen/Qwen2.5-32B", {"hidden_size": 5120},
     "the checkpoint is not a Qwen/Qwen2.5-32B: config.json differs in hidden_size 5120 vs 32"),
])  # fmt: skip
def test_dry_run_refuses_a_base_model_the_hub_does_not_show(release_fixture, tmp_path, capsys, hub, base, files,
                                                             message):  # fmt: skip
    if files is not None:
        hub.add_model(base, _base_files(release_fixture, **files))
    out = tmp_path / "out"
    assert refusal(capsys, publish(release_fixture, out, base=base), out).startswith(message)


def test_license_must_be_the_base_models(release_fixture, tmp_path, capsys, hub):
    files = _base_files(release_fixture)
    files["README.md"] = b"---\nlicense: qwen-research\n---\n"
    hub.add_model("Qwen/Qwen2.5-3B", files)
    out = tmp_path / "out"
    text = refusal(capsys, publish(release_fixture, out, base="Qwen/Qwen2.5-3B"), out)
    assert text == ("--license apache-2.0, but the base model Qwen/Qwen2.5-3B is licensed qwen-research: "
                    "set --license qwen-research")  # fmt: skip


def test_a_base_model_the_hub_shows_goes_into_the_card(release_fixture, folder, hub, capsys):
    hub.add_model("Qwen/Qwen2.5-0.1B", _base_files(release_fixture))
    assert publish(release_fixture, folder, ckpt=False, base="Qwen/Qwen2.5-0.1B") == 0
    out = capsys.readouterr().out
    assert "+base_model: Qwen/Qwen2.5-0.1B" in out and "[will be created]" in out and "== ready" in out
    assert "| base model | `Qwen/Qwen2.5-0.1B (local copy; Hub id given at release as BASE_MODEL)` |" in out


# -- a refusal leaves everything as it was ---------------------------------------------------------------
def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.mark.parametrize("command", ["publish", "merge"])
def test_another_shard_size_never_reshards_the_evaluated_folder(release_fixture, folder, capsys, no_network, command):
    before, fingerprint = _snapshot(folder), local_fingerprint(folder)
    if command == "publish":
        rc = publish(release_fixture, folder, "--max-shard-size", "30KB")
    else:
        rc = main(["merge", "--ckpt", release_fixture["CKPT"], "--out", str(folder), "--max-shard-size", "30KB"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith(f"release: error: {folder} already holds this merge, sharded with "
                                      "--max-shard-size 40KB; --max-shard-size 30KB would rewrite its shards")  # fmt: skip
    assert local_fingerprint(folder) == fingerprint and _snapshot(folder) == before


def test_a_stale_evaluation_leaves_the_folder_as_it_was(release_fixture, folder, tmp_path, capsys, no_network):
    """The fingerprint refusal comes after hashing the weights, but before anything is written (README.md)."""
    data = json.loads(Path(release_fixture["EVAL"]).read_text())
    data["model"]["fingerprint"] = "sha256:" + "0" * 64
    stale = tmp_path / "results.json"
    stale.write_text(json.dumps(data))
    before = _snapshot(folder)
    assert publish(release_fixture, folder, "--eval", str(stale), evaluated=False) == 2
    assert "these numbers are not this model's" in capsys.readouterr().err and _snapshot(folder) == before


def test_errors_name_what_the_user_typed():
    """The command line names the flags; under `make release` (SRPO_RELEASE_VIA_MAKE=1) the same refusal names
    make's variables (tests/release/test_make.py: "REPO_ID='org/' is not a valid Hub id")."""
    from verl_srpo.release.errors import in_cli_terms

    text = "no VERSION: set VERSION=v1.0 (the tag), or point CKPT at a global_step_N/actor; CONFIRM=1 and EVAL"
    assert in_cli_terms(text) == ("no --version: set --version v1.0 (the tag), or point --ckpt at a global_step_N/actor; "
                                  "--confirm and --eval")
    assert in_cli_terms("ALLOW_NO_EVAL=1, HF_HUB_OFFLINE=1, MAX_SHARD_SIZE=5GB, python -m eval") == (
        "--allow-no-eval, HF_HUB_OFFLINE=1, --max-shard-size 5GB, python -m eval")

