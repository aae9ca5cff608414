"""A fingerprint of a model's weights, for results files and the release kit.

``weights_fingerprint(path)`` hashes the ``*.safetensors`` shards of a local model directory: sha256 of
each shard's bytes, then sha256 over the sorted ``name\0digest`` lines. For a Hub id it uses the Hub's
own LFS sha256 of each shard (the same per-file digest), so a local copy and its Hub repository get the
same fingerprint without downloading. The index json is left out: it is derived from the shards, and
the Hub stores it as a git blob (sha1), not an LFS sha256. The release kit imports it from here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from verl_srpo.eval.errors import ModelNotFound, Unavailable, cache_miss, first_line
from verl_srpo.hashing import sha256_file


def _combine(named_digests: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for name, file_digest in sorted(named_digests):
        digest.update(f"{name}\0{file_digest}\n".encode())
    return "sha256:" + digest.hexdigest()


def local_fingerprint(model_dir: str | Path) -> str:
    """sha256 over the ``*.safetensors`` shards of a local directory.

    Raises ``FileNotFoundError`` when the directory holds no safetensors file (e.g. ``.bin`` only):
    convert it with ``save_pretrained(..., safe_serialization=True)``.
    """
    root = Path(model_dir)
    files = sorted(root.glob("*.safetensors"))
    if not files:
        raise ModelNotFound(f"no *.safetensors in {root}: save the model with safe_serialization=True")
    return _combine([(f.name, sha256_file(f)) for f in files])


def hub_fingerprint(repo_id: str, revision: str | None = None) -> dict:
    """Fingerprint and resolved commit of a Hub model from the Hub's LFS sha256 of each shard."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(repo_id, revision=revision, files_metadata=True)
    named = [
        (s.rfilename, s.lfs.sha256)
        for s in info.siblings or []
        if s.rfilename.endswith(".safetensors") and "/" not in s.rfilename and s.lfs
    ]
    if not named:
        raise FileNotFoundError(f"{repo_id}@{info.sha} has no safetensors files")
    return {"fingerprint": _combine(named), "revision": info.sha}


def cached_fingerprint(repo_id: str, revision: str | None = None) -> dict:
    """Fingerprint of a Hub model from the local Hugging Face cache (offline machines)."""
    from huggingface_hub import snapshot_download

    path = Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    return {"fingerprint": local_fingerprint(path), "revision": path.name}


def weights_fingerprint(model: str, revision: str | None = None) -> dict:
    """``{"fingerprint", "revision"}`` for a local directory (revision None) or a Hub id (the Hub's
    metadata when reachable, else the local cache)."""
    if Path(model).exists():
        return {"fingerprint": local_fingerprint(model), "revision": None}
    try:
        return hub_fingerprint(model, revision)
    except Exception as hub_error:  # offline, or the Hub refused: the cache has the same bytes
        try:
            return cached_fingerprint(model, revision)
        except Exception as cache_error:
            raise Unavailable(
                f"cannot fingerprint {model}: no such local directory; the Hub: {first_line(hub_error)}; the local "
                f"cache: {cache_miss(cache_error)}. Download it where the Hub is reachable (hf download {model}) "
                "or pass --model <a local model directory>"
            ) from cache_error
