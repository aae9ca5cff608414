import hashlib

import pytest

from verl_srpo.eval.fingerprint import local_fingerprint, weights_fingerprint


def test_fingerprint_hashes_shard_names_and_bytes(tmp_path):
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"aaa")
    (tmp_path / "model-00002-of-00002.safetensors").write_bytes(b"bbb")
    (tmp_path / "config.json").write_text("{}")  # not part of the weights
    lines = "".join(f"{n}\0{hashlib.sha256(b).hexdigest()}\n" for n, b in
                    [("model-00001-of-00002.safetensors", b"aaa"), ("model-00002-of-00002.safetensors", b"bbb")])
    expected = "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
    assert local_fingerprint(tmp_path) == expected
    assert weights_fingerprint(str(tmp_path)) == {"fingerprint": expected, "revision": None}
    (tmp_path / "model-00002-of-00002.safetensors").write_bytes(b"bbc")
    assert local_fingerprint(tmp_path) != expected


def test_no_safetensors_fails_clearly(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="safe_serialization=True"):
        local_fingerprint(tmp_path)


def test_hub_id_offline_uses_the_local_cache(tmp_path, monkeypatch):
    """With the Hub unreachable (HF_HUB_OFFLINE), a cached snapshot gives the same fingerprint."""
    import huggingface_hub.constants as hf_constants

    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--org--tiny"
    snap = repo / "snapshots" / sha
    snap.mkdir(parents=True)
    (snap / "model.safetensors").write_bytes(b"weights")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path))
    assert weights_fingerprint("org/tiny") == {"fingerprint": local_fingerprint(snap), "revision": sha}
    with pytest.raises(RuntimeError, match="cannot fingerprint org/absent.*local model directory"):
        weights_fingerprint("org/absent")
