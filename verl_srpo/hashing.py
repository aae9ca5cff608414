"""File digests, written once for the package and its kits (evaluation, release, data preparation)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1 << 20  # bytes read at a time: constant memory for multi-GB shards
# Digests this process computed for large files, per (device, inode, size, mtime_ns): a release hashes every
# weight shard for the fingerprint and again for the Hub's LFS ids. Only files of MEMO_MIN_BYTES or more: the
# kernel's file clock ticks every few ms, and rewriting that much takes far longer, so a rewrite always shows.
MEMO_MIN_BYTES = 1 << 28
_SEEN: dict[tuple[int, int, int, int], str] = {}


def sha256_file(path: str | Path) -> str:
    """The sha256 hex digest of the file's bytes (64 lowercase hex digits), read in ``CHUNK`` pieces, once per
    process for a large file that has not changed since (same device, inode, size and modification time)."""
    with Path(path).open("rb") as handle:
        stat = os.fstat(handle.fileno())
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key in _SEEN:
            return _SEEN[key]
        remember = stat.st_size >= MEMO_MIN_BYTES
        digest = hashlib.sha256()
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    if remember:
        _SEEN[key] = digest.hexdigest()
    return digest.hexdigest()
