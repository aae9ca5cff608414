"""File digests, written once for the package and its kits (evaluation, release, data preparation)."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20  # bytes read at a time: constant memory for multi-GB shards


def sha256_file(path: str | Path) -> str:
    """The sha256 hex digest of the file's bytes (64 lowercase hex digits), read in ``CHUNK`` pieces."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
