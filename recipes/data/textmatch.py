"""Text normalisation, word n-grams and MinHash near-duplicate search.

Shared by deduplication (``clean``) and decontamination (``decontaminate``): both compare problems
by the same normalised text, so a problem that dedup calls "the same" decontamination does too.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np

_LATEX_CMD = re.compile(r"\\(?:left|right|displaystyle|text|mathrm|mathbf|frac|dfrac|tfrac|cdot|quad)\b")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """Lower-case words and numbers only: drops LaTeX layout commands, punctuation and spacing.

    >>> normalize("Find $\\\\dfrac{1}{2}$ of  10!")
    'find 1 2 of 10'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _LATEX_CMD.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def ngrams(normalized: str, n: int) -> set[int]:
    """Hashes (crc32) of the word ``n``-grams of a normalised text; the whole text if it is shorter."""
    words = normalized.split()
    if len(words) < n:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    return {zlib.crc32(" ".join(words[i:i + n]).encode()) for i in range(len(words) - n + 1)}


def gram_array(normalized: str, n: int) -> np.ndarray:
    """The same n-gram hashes as a sorted ``(num_grams,)`` uint32 array: 4 bytes a gram, for indexes that
    keep the grams of every kept problem."""
    return np.fromiter(sorted(ngrams(normalized, n)), dtype=np.uint32)


def jaccard(a, b) -> float:
    """Jaccard similarity of two gram sets, or of two sorted unique arrays (:func:`gram_array`)."""
    if isinstance(a, np.ndarray):
        union = len(a) + len(b)
        if not union:
            return 1.0
        inter = len(np.intersect1d(a, b, assume_unique=True))
        return inter / (union - inter)
    return len(a & b) / len(a | b) if a or b else 1.0


_PRIME = (1 << 61) - 1


class MinHashIndex:
    """Near-duplicate candidates by MinHash + LSH banding; candidates are confirmed by exact Jaccard.

    ``num_perm = bands * rows``; two sets with Jaccard ``s`` collide in some band with probability
    ``1 - (1 - s**rows)**bands`` (16 x 4: 0.5 -> 0.64, 0.8 -> 0.9996). A band is stored as one 64-bit
    hash of its rows (a false collision only adds a candidate, which the exact check rejects), so the
    index costs about ``bands`` dict entries per added set.
    """

    def __init__(self, bands: int = 16, rows: int = 4, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.bands, self.rows = bands, rows
        self.a = rng.integers(1, _PRIME, size=bands * rows, dtype=np.uint64)
        self.b = rng.integers(0, _PRIME, size=bands * rows, dtype=np.uint64)
        self.mix = rng.integers(1, _PRIME, size=rows, dtype=np.uint64) | np.uint64(1)
        self.salt = rng.integers(0, _PRIME, size=bands, dtype=np.uint64)
        self.buckets: dict[int, int | list[int]] = {}

    def signature(self, grams) -> np.ndarray:
        """(bands * rows,) uint64 minima of ``(a * h + b) mod 2**64`` over the set's hashes ``h``."""
        h = np.asarray(sorted(grams) if isinstance(grams, set) else grams, dtype=np.uint64)
        h = (h if len(h) else np.zeros(1, dtype=np.uint64))[:, None]  # (num_grams, 1)
        return (h * self.a + self.b).min(axis=0)  # uint64 arithmetic wraps: a universal-style hash

    def _band_keys(self, grams) -> list[int]:
        sig = self.signature(grams).reshape(self.bands, self.rows)
        return ((sig * self.mix).sum(axis=1) ^ self.salt).tolist()  # (bands,) one hash per band

    def candidates(self, grams) -> set[int]:
        out: set[int] = set()
        for key in self._band_keys(grams):
            hit = self.buckets.get(key)
            if hit is not None:
                out.update(hit) if isinstance(hit, list) else out.add(hit)
        return out

    def add(self, key: int, grams) -> None:
        for band_key in self._band_keys(grams):
            hit = self.buckets.get(band_key)
            if hit is None:
                self.buckets[band_key] = key
            elif isinstance(hit, list):
                hit.append(key)
            else:
                self.buckets[band_key] = [hit, key]
