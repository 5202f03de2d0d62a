"""A model-free embedder: signed feature hashing of word unigrams and bigrams."""
from __future__ import annotations

import hashlib
import itertools
import re

import numpy as np

from .base import Embedder


class HashingEmbedder(Embedder):
    """Model-free embedder: signed feature hashing of word unigrams and bigrams. Fast and deterministic;
    used by plumbing tests, useful as a lexical fallback."""

    backend = "hashing"
    name = "hashing"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.batch_size = 256

    @property
    def fingerprint(self) -> str:
        return f"hashing-v1-{self.dim}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            for feat in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return out
