"""Encoded texts remembered in memory: sentence and word vectors by (embedder fingerprint, text).

Each embedder owns one (``Embedder.vector_cache()``), so a conversation over the same documents re-embeds
nothing; nothing here is shared between embedders or kept in a module global.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class TextEncoder(Protocol):
    """What the cache needs of an embedder (``qa.embed.base.Embedder`` is one)."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


class VectorCache:
    """Sentence vectors by (embedder fingerprint, text), least recently used evicted first. Thread-safe."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def put_many(self, embedder: TextEncoder, texts: Sequence[str], vectors: np.ndarray) -> None:
        fp = embedder.fingerprint
        with self._lock:
            for t, v in zip(texts, vectors, strict=True):
                self._data[(fp, t)] = v
                self._data.move_to_end((fp, t))
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def cached(self, embedder: TextEncoder, texts: Sequence[str]) -> np.ndarray:
        """Vectors of the ``texts`` embedded before; zero rows for the others (nothing is embedded)."""
        fp = embedder.fingerprint
        out = np.zeros((len(texts), embedder.dim), np.float32)
        with self._lock:
            for i, t in enumerate(texts):
                v = self._data.get((fp, t))
                if v is not None:
                    out[i] = v
        return out

    def get_many(self, embedder: TextEncoder, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts``, embedding (in one batch) only those not cached yet."""
        fp = embedder.fingerprint
        out = np.zeros((len(texts), embedder.dim), np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                v = self._data.get((fp, t))
                if v is None:
                    missing.setdefault(t, []).append(i)
                else:
                    self._data.move_to_end((fp, t))
                    out[i] = v
        if missing:
            todo = list(missing)
            vecs = embedder.encode_documents(todo)
            self.put_many(embedder, todo, vecs)
            for t, v in zip(todo, vecs, strict=True):
                out[missing[t]] = v
        return out

