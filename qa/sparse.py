"""BM25 over passages with bm25s (sparse matrices, saved as .npy + JSON, never pickle)."""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, English stopwords removed, Snowball-stemmed."""
    stop = _stopwords()
    words = [w for w in _TOKEN_RE.findall(text.lower()) if w not in stop]
    return _stemmer().stemWords(words) if words else []


class BM25Index:
    """A BM25 (Lucene variant) index over a list of passage texts; rows match the dense index's rows."""

    def __init__(self, model=None, size: int = 0) -> None:
        self._model = model
        self.size = size

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        import bm25s

        if not texts:
            return cls(None, 0)
        model = bm25s.BM25(k1=k1, b=b, method="lucene")
        model.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(model, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "BM25Index":
        import bm25s

        if size == 0:
            return cls(None, 0)
        model = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
        return cls(model, size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no query term is in the vocabulary)."""
        if self._model is None:
            return np.zeros(0, dtype=np.float32)
        ids = self._model.get_tokens_ids(tokenize(query))
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float32)
