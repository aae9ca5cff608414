import hashlib
import os

from verl_srpo import hashing


def test_digest_is_sha256_of_the_bytes_and_a_changed_file_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setattr(hashing, "MEMO_MIN_BYTES", 0)
    monkeypatch.setattr(hashing, "_SEEN", {})
    shard = tmp_path / "model.safetensors"
    shard.write_bytes(b"a" * 3000)
    assert hashing.sha256_file(shard) == hashlib.sha256(b"a" * 3000).hexdigest()
    stamp = shard.stat().st_mtime_ns
    shard.write_bytes(b"b" * 3000)  # same size, same inode
    os.utime(shard, ns=(stamp, stamp + 1))
    assert hashing.sha256_file(shard) == hashlib.sha256(b"b" * 3000).hexdigest()
    os.utime(shard, ns=(stamp, stamp))  # the first stamp again: this process's memo answers (no read)
    assert hashing.sha256_file(shard) == hashlib.sha256(b"a" * 3000).hexdigest()


def test_small_files_are_never_remembered(tmp_path, monkeypatch):
    monkeypatch.setattr(hashing, "_SEEN", {})
    small = tmp_path / "config.json"
    small.write_text("{}")
    hashing.sha256_file(small)
    stamp = small.stat().st_mtime_ns
    small.write_text("[]")
    os.utime(small, ns=(stamp, stamp))  # a rewrite within one tick of the file clock
    assert hashing.sha256_file(small) == hashlib.sha256(b"[]").hexdigest() and not hashing._SEEN
