"""BM25 over passages with bm25s (sparse matrices, saved as .npy + JSON, never pickle).

The index is built here in one streaming pass rather than by ``bm25s.BM25.index``, which wants every
passage's tokens as a list of Python strings at once (~7.5 KB per passage at build time, BENCHMARKS.md):
each passage is tokenized, reduced to (term id, count) pairs appended to compact arrays, and dropped, then
the Lucene BM25 weights and the CSC matrix are computed with numpy. The result is the same bm25s model
(same scores to float32 rounding, tested), saved and queried by bm25s.
"""
from __future__ import annotations

import logging
import math
import threading
from array import array
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..text.tokens import tokenize

logger = logging.getLogger(__name__)


def top_rows(scores: np.ndarray, rows: np.ndarray | None, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``depth`` rows of a full score vector (restricted to ``rows``), best first; zero scores dropped."""
    if rows is not None:
        masked = np.full_like(scores, -np.inf)
        masked[rows] = scores[rows]
        scores = masked
    depth = min(depth, len(scores))
    if depth == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx = np.argpartition(-scores, depth - 1)[:depth]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    keep = scores[idx] > 0
    return idx[keep], scores[idx][keep]


class BM25Index:
    """A BM25 (Lucene variant) index over a list of passage texts; rows match the dense index's rows."""

    def __init__(self, model: Any = None, size: int = 0) -> None:
        self._model = model
        self.size = size
        self._idf: dict[str, float] = {}  # term -> IDF, filled as questions ask (this index's own cache)
        self._idf_lock = threading.Lock()

    @classmethod
    def build(cls, texts: Iterable[str], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Index ``texts`` (any iterable, read once). Lucene BM25: idf = ln(1 + (N - df + .5) / (df + .5)),
        tf part = tf / (tf + k1 (1 - b + b len / avglen)); a passage without a single term is indexed
        under the empty term, as bm25s does."""
        import bm25s

        vocab: dict[str, int] = {}
        terms = array("i")  # term id of each (passage, distinct term) pair, passage after passage
        counts = array("f")  # its count in the passage
        pairs = array("q")  # pairs per passage
        lengths = array("f")  # tokens per passage
        for text in texts:
            c = Counter(tokenize(text) or [""])
            terms.extend(vocab.setdefault(w, len(vocab)) for w in c)
            counts.extend(c.values())
            pairs.append(len(c))
            lengths.append(sum(c.values()))
        n = len(pairs)
        if n == 0:
            return cls(None, 0)
        from scipy import sparse

        vocab.setdefault("", len(vocab))
        cols = np.frombuffer(terms, dtype=np.int32)
        tf = np.frombuffer(counts, dtype=np.float32)
        per_doc = np.frombuffer(pairs, dtype=np.int64)
        doc_len = np.frombuffer(lengths, dtype=np.float32)
        df = np.bincount(cols, minlength=len(vocab))
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = (k1 * ((1 - b) + b * doc_len / float(doc_len.mean()))).astype(np.float32)
        weights = np.repeat(norm, per_doc)  # one float per (passage, term); computed in place from here
        weights += tf
        np.divide(tf, weights, out=weights)
        weights *= idf[cols]
        row_ptr = np.concatenate([[0], np.cumsum(per_doc)])
        # rows are passages in order; scipy's CSR -> CSC keeps each column's passages ascending
        csc = sparse.csr_matrix((weights, cols, row_ptr), shape=(n, len(vocab))).tocsc()
        model = bm25s.BM25(k1=k1, b=b, method="lucene")
        model.scores = {"data": csc.data, "indices": csc.indices, "indptr": csc.indptr, "num_docs": n}
        model.vocab_dict = vocab
        model.unique_token_ids_set = set(vocab.values())
        model.nonoccurrence_array = None
        return cls(model, n)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> BM25Index:
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

    def top(self, query: str, depth: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the best ``depth`` passages for ``query`` (restricted to ``rows``), no zeros."""
        return top_rows(self.scores(query), rows, depth)

    def document_frequency(self, term: str) -> int:
        """How many passages contain ``term`` (a token as ``tokenize`` makes it; 0 when it is unknown).

        Read from the CSC matrix this class builds itself (``scores["indptr"]``: one column per term), not
        from a bm25s internal it does not control."""
        if self._model is None:
            return 0
        tid = self._model.vocab_dict.get(term)
        if tid is None:
            return 0
        indptr = self._model.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid])

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25 IDF of each term over the passages, ln(1 + (N - df + .5) / (df + .5)) (unknown terms: df 0,
        the maximum). Remembered per term for the life of this index."""
        n = max(self.size, 1)
        out: dict[str, float] = {}
        with self._idf_lock:
            for t in terms:
                value = self._idf.get(t)
                if value is None:
                    df = self.document_frequency(t)
                    value = self._idf[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
                out[t] = value
        return out
