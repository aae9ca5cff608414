"""Publishing against the in-process Hub emulator: the real huggingface_hub client, no network."""

from __future__ import annotations

import hashlib
import re

import httpx

from tests.release.conftest import TOKEN
from verl_srpo.release.cli import main

REPO_ID = "my-org/SRPO-Qwen-test"


def publish(release_fixture, folder, *extra: str, evaluated: bool = True) -> int:
    results = ["--eval", release_fixture["EVAL"]] if evaluated else ["--allow-no-eval"]
    return main([
        "publish", "--repo-id", REPO_ID, "--out", str(folder), "--run-config", release_fixture["RUN_CONFIG"],
        *results, "--version", "v1.0", "--dataset", "my-org/srpo-math", "--base-model", "none", *extra,
    ])  # fmt: skip


def _writes(hub) -> list[str]:
    return [n for n in hub.names() if n.startswith(("POST", "PUT")) and "validate-yaml" not in n]


def test_push_sends_the_real_sequence(release_fixture, folder, hub, capsys):
    assert publish(release_fixture, folder, "--confirm") == 0
    names = hub.names()
    shards = sorted(p.name for p in folder.glob("*.safetensors"))
    expected_order = [
        "POST /api/repos/create", "POST /api/validate-yaml", "POST /api/models/{repo}/preupload/main",
        "POST /{repo}.git/info/lfs/objects/batch", "PUT /upload/", "POST /api/models/{repo}/commit/main",
        "POST /api/models/{repo}/tag/",
    ]  # fmt: skip
    positions = [next(i for i, n in enumerate(names) if n.startswith(step)) for step in expected_order]
    assert positions == sorted(positions), names
    assert sum(n.startswith("PUT /upload/") for n in names) == len(shards)  # one LFS upload per shard
    commit = next(c for c in hub.calls if c.path.endswith("/commit/main"))
    header, ops = commit.payload[0]["value"], commit.payload[1:]
    assert header["summary"] == "Release v1.0: SRPO-Qwen-test"
    assert "Weights fingerprint: sha256:" in header["description"]
    by_path = {op["value"]["path"]: op["key"] for op in ops}
    assert by_path == {**dict.fromkeys(shards, "lfsFile"), **{p: "file" for p in (
        "README.md", "config.json", "generation_config.json", "model.safetensors.index.json",
        "tokenizer.json", "tokenizer_config.json", "chat_template.jinja")}}  # fmt: skip
    validate = next(c for c in hub.calls if c.path == "/api/validate-yaml")
    assert validate.payload["content"] == (folder / "README.md").read_text()
    tag = next(c for c in hub.calls if "/tag/" in c.path)
    repo = hub.repos[REPO_ID]
    assert tag.payload["tag"] == "v1.0" and repo.tags["v1.0"] == repo.head.oid
    assert set(repo.head.files) == {*by_path, ".gitattributes"}
    assert repo.head.files["README.md"].content == (folder / "README.md").read_bytes()
    assert all(c.authorized for c in hub.calls if c.method == "POST" and "lfs" not in c.path)
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err and "found (HF_TOKEN or login; not shown)" in out.out


def test_second_run_changes_nothing(release_fixture, folder, hub, capsys):
    assert publish(release_fixture, folder, "--confirm") == 0
    commits, writes = len(hub.repos[REPO_ID].commits), len(_writes(hub))
    assert publish(release_fixture, folder, "--confirm") == 0
    assert len(hub.repos[REPO_ID].commits) == commits and len(_writes(hub)) == writes
    assert "nothing to change: this release is already published" in capsys.readouterr().out


def test_a_published_version_is_immutable(release_fixture, folder, hub, capsys):
    assert publish(release_fixture, folder, "--confirm") == 0
    assert publish(release_fixture, folder, "--license", "mit") == 2  # a different card, same tag
    assert "tag v1.0 already exists" in capsys.readouterr().err


def test_failure_mid_upload_leaves_the_remote_unchanged_and_the_rerun_completes(release_fixture, folder, hub, capsys):
    assert publish(release_fixture, folder, "--version", "v0.9", "--confirm") == 0  # an earlier release
    before = hub.repos[REPO_ID].head
    puts = []

    def second_upload_breaks(request: httpx.Request):
        if request.method == "PUT":
            puts.append(request.url.path)
            if len(puts) == 2:
                return httpx.Response(403, json={"error": "upload interrupted"})
        return None

    hub.fail_when(second_upload_breaks)
    from verl_srpo.release.merge import reshard

    reshard(folder, "30KB")  # new shard files: every one is a new LFS object
    assert publish(release_fixture, folder, "--confirm", evaluated=False) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after huggingface_hub's progress bars
    assert err.startswith(f"release: error: the push to {REPO_ID} failed (") and "\n" not in err
    assert err.endswith("the branch is unchanged (one commit, all or nothing); rerun the same command to resume "
                        "the upload")  # fmt: skip
    repo = hub.repos[REPO_ID]
    assert repo.head is before and set(repo.tags) == {"v0.9"}  # the branch did not move
    hub.failures.clear()
    shards = sorted(folder.glob("*.safetensors"))
    missing = [p for p in shards if hashlib.sha256(p.read_bytes()).hexdigest() not in hub.lfs_store]
    assert 0 < len(missing) < len(shards)  # some objects made it before the failure
    uploads_before = sum(n.startswith("PUT") for n in hub.names())
    assert publish(release_fixture, folder, "--confirm", evaluated=False) == 0
    assert repo.head is not before and repo.tags["v1.0"] == repo.head.oid
    assert {p for p in repo.head.files if p.endswith(".safetensors")} == {p.name for p in folder.glob("*.safetensors")}
    retried = sum(n.startswith("PUT") for n in hub.names()) - uploads_before
    assert retried == len(missing)  # the objects that made it are not sent again


def test_dry_run_reads_the_remote_and_diffs_the_card(release_fixture, folder, hub, capsys):
    assert publish(release_fixture, folder, "--confirm") == 0
    writes = len(_writes(hub))
    capsys.readouterr()
    assert publish(release_fixture, folder, "--version", "v1.1") == 0  # dry run: new tag, new card line
    out = capsys.readouterr().out
    assert len(_writes(hub)) == writes  # a dry run writes nothing
    assert "DRY RUN" in out and "[exists]" in out
    assert re.search(r"unchanged .* model-00001-of-00003\.safetensors", out)
    assert "+- Release `v1.1`" in out and "-- Release `v1.0`" in out


def test_push_needs_a_token(release_fixture, folder, hub, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    assert publish(release_fixture, folder, "--confirm") == 2
    assert "needs a Hugging Face token" in capsys.readouterr().err and not _writes(hub)


def test_dry_run_in_offline_mode_says_the_remote_was_not_consulted(release_fixture, folder, hub, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert publish(release_fixture, folder) == 0
    out = capsys.readouterr().out
    assert "remote:  not consulted (HF_HUB_OFFLINE=1): every file is listed as it would be sent" in out
    assert out.rstrip().endswith("== ready (remote state not consulted)") and not hub.calls


def test_size_formatting_hand_computed():
    from verl_srpo.release.hub import _mb

    assert (_mb(9234), _mb(38_888_000), _mb(4_900_000_000)) == ("9,234 B", "38.9 MB", "4.90 GB")
