"""Dense vector search with FAISS. Vectors are unit length, so inner product == cosine similarity.

One small interface, one class per backend, chosen by the vector count:

- ``FlatIndex`` (``flat``): exact search, 4 bytes per dimension; used below ``FLAT_MAX`` vectors, where a
  full scan is a few milliseconds.
- ``IVFIndex`` (``ivf-sq8``): an inverted file (k-means cells) holding 8-bit scalar-quantized codes,
  1 byte per dimension. ``nprobe`` (how many cells a query visits) is calibrated at build time against
  exact search on query-like samples of the collection (``TARGET_RECALL``), doubled, and never below
  nlist/8; measured on real questions: recall@10 >= 0.95 at 100k and 1M (BENCHMARKS.md).
- ``HNSWIndex`` (``hnsw-sq8``): a graph over 8-bit codes; not chosen by default (slower to build, more
  bytes per vector than IVF at the same recall here, see BENCHMARKS.md), kept for comparison.

``DenseIndex.build(vectors)`` picks the backend, ``DenseIndex.load(path)`` recognises it from the file.
``search(queries, k, rows)`` can be restricted to some rows (a document filter) on every backend: small
row sets are scored exactly from their reconstructed vectors, large ones use a FAISS ID selector.
"""
from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

FLAT_MAX = 100_000  # below this many vectors, exact search
TARGET_RECALL = 0.97  # recall@10 vs exact that build-time calibration aims for (measured on a sample)
EXACT_ROWS_MAX = 20_000  # a row filter this small is scored exactly, whatever the backend
SMALL_BATCH = 4  # up to this many queries are searched on the calling thread alone


@contextmanager
def _one_thread() -> Iterator[None]:
    """One OpenMP thread for a question or two: waking a thread team costs more than it saves, and much
    more on a busy machine (measured: flat search at 100k, 2.8x faster). ``omp_set_num_threads`` only
    affects the calling thread, so concurrent searches and index builds are not disturbed."""
    faiss = load_faiss()

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def load_faiss() -> Any:
    """The faiss module, untyped: its SWIG-generated stubs omit keyword arguments (``SearchParameters(sel=...)``)
    and attributes (``index.hnsw``) that faiss has at run time (this module is tested against the library)."""
    import faiss

    return faiss


def _f32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


class DenseIndex(ABC):
    """Inner-product search over unit vectors. ``DenseIndex.build``/``load`` dispatch to a backend."""

    kind = "?"
    exact_rows_max = EXACT_ROWS_MAX  # row filters up to this size are scored exactly from reconstructed vectors

    def __init__(self, index) -> None:
        self._index = index

    # ----------------------------------------------------------------------------- factory
    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        """Index ``vectors``; called on ``DenseIndex`` itself, the backend is chosen by ``choose_kind``."""
        if cls is DenseIndex:
            return BACKENDS[choose_kind(len(vectors))]._build(_f32(vectors))
        return cls._build(_f32(vectors))

    @classmethod
    @abstractmethod
    def _build(cls, vectors: np.ndarray) -> DenseIndex: ...

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        faiss = load_faiss()

        index = faiss.read_index(str(path))
        backend = cls if cls is not DenseIndex else _backend_of(index)
        return backend._wrap(index)

    @classmethod
    def _wrap(cls, index) -> DenseIndex:
        return cls(index)

    # ----------------------------------------------------------------------------- common
    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def save(self, path: Path) -> None:
        faiss = load_faiss()

        faiss.write_index(self._index, str(path))

    def nbytes(self) -> int:
        """Bytes the index holds in memory (as serialised; FAISS keeps the same arrays in RAM)."""
        faiss = load_faiss()

        return int(faiss.serialize_index(self._index).nbytes)

    def search(self, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); ids are -1 where fewer than k vectors qualify."""
        q = _f32(queries)
        if q.ndim == 1:
            q = q.reshape(1, -1)
        if self.size == 0:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        k = max(1, min(k, self.size))
        if rows is not None:
            rows = np.unique(np.asarray(rows, dtype=np.int64))
            rows = rows[(rows >= 0) & (rows < self.size)]
            if len(rows) == 0 or len(rows) <= self.exact_rows_max:
                return self._search_exact(q, k, rows)
        if len(q) > SMALL_BATCH:
            return self._search(q, k, rows)
        with _one_thread():
            return self._search(q, k, rows)

    def _search_exact(self, q: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores over ``rows`` from their stored (possibly quantized) vectors."""
        scores = np.full((len(q), k), -np.inf, np.float32)
        ids = np.full((len(q), k), -1, np.int64)
        if len(rows) == 0:
            return scores, ids
        sims = q @ self.reconstruct(rows).T
        top = min(k, len(rows))
        part = np.argpartition(-sims, top - 1, axis=1)[:, :top]
        part_scores = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-part_scores, axis=1, kind="stable")
        scores[:, :top] = np.take_along_axis(part_scores, order, axis=1)
        ids[:, :top] = rows[np.take_along_axis(part, order, axis=1)]
        return scores, ids

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        return self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    @abstractmethod
    def _search(self, q: np.ndarray, k: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]: ...


class FlatIndex(DenseIndex):
    """Exact inner-product search (``faiss.IndexFlatIP``)."""

    kind = "flat"
    exact_rows_max = 0  # the ID selector is already exact (and scores only the selected rows)

    @classmethod
    def _build(cls, vectors: np.ndarray) -> FlatIndex:
        faiss = load_faiss()

        index = faiss.IndexFlatIP(vectors.shape[1] if vectors.ndim == 2 else 0)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def _search(self, q: np.ndarray, k: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        faiss = load_faiss()

        params = None
        if rows is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
        return self._index.search(q, k, params=params)


def _calibration_sample(vectors: np.ndarray, n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Query-like vectors and their exact top 10. A question is not a copy of a passage (cosine ~0.5-0.6 to
    its best passage), so each query is a sampled vector moved away from itself by random noise (cosine
    ~0.55 to it); that makes the neighbours about as hard to tell apart as real questions' are."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(vectors), size=min(n, len(vectors)), replace=False)
    d = vectors.shape[1]
    q = vectors[pick] + 1.5 * rng.standard_normal((len(pick), d)).astype(np.float32) / np.sqrt(d)
    q = _f32(q / np.linalg.norm(q, axis=1, keepdims=True))
    k = min(10, len(vectors))
    truth = np.empty((len(q), k), np.int64)
    for i in range(0, len(q), 16):  # bounded memory: 16 x n scores at a time
        sims = q[i : i + 16] @ vectors.T
        truth[i : i + 16] = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    return q, truth


def _recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(t.tolist()) & set(f.tolist())) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


class IVFIndex(DenseIndex):
    """IVF with 8-bit scalar quantization (``IVF<nlist>,SQ8``), nprobe calibrated at build time."""

    kind = "ivf-sq8"

    @staticmethod
    def nlist_for(n: int) -> int:
        """About 2*sqrt(n) cells, a power of two (1,024 at 250k, 2,048 at 1M)."""
        return max(16, 2 ** round(math.log2(max(1.0, 2 * math.sqrt(n)))))

    @classmethod
    def _build(cls, vectors: np.ndarray) -> IVFIndex:
        faiss = load_faiss()

        n, d = vectors.shape
        nlist = min(cls.nlist_for(n), max(1, n // 39))
        index = faiss.index_factory(d, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        train = vectors if n <= 64 * nlist else vectors[np.sort(rng.choice(n, 64 * nlist, replace=False))]
        index.train(train)
        index.add(vectors)
        ivf = faiss.extract_index_ivf(index)
        ivf.make_direct_map()  # for reconstructing rows (document filters)
        ivf.nprobe = cls._calibrate(index, vectors)
        return cls(index)

    @classmethod
    def _calibrate(cls, index, vectors: np.ndarray) -> int:
        faiss = load_faiss()

        ivf = faiss.extract_index_ivf(index)
        q, truth = _calibration_sample(vectors)
        nprobe = 1
        while True:
            ivf.nprobe = nprobe
            _, found = index.search(q, truth.shape[1])
            recall = _recall_at_10(found, truth)
            if recall >= TARGET_RECALL or nprobe >= ivf.nlist:
                break
            nprobe = min(ivf.nlist, nprobe * 2)
        # Headroom: real questions turned out harder than the sample (BENCHMARKS.md: at 100k the sample's
        # nprobe gave recall@10 0.945 on SciFact questions). Scanning more cells costs little (SQ8 codes are
        # 1 byte per dimension: an eighth of 1M vectors is ~50 MB, a few ms), so never less than nlist/8.
        nprobe = min(ivf.nlist, max(nprobe * 2, ivf.nlist // 8))
        logger.info("IVF: %d cells, nprobe %d (sample recall@10 %.3f)", ivf.nlist, nprobe, recall)
        return nprobe

    @property
    def nprobe(self) -> int:
        faiss = load_faiss()

        return int(faiss.extract_index_ivf(self._index).nprobe)

    @classmethod
    def _wrap(cls, index) -> IVFIndex:
        faiss = load_faiss()

        ivf = faiss.extract_index_ivf(index)
        if not ivf.direct_map.type:  # not stored by older FAISS versions
            ivf.make_direct_map()
        return cls(index)

    def _search(self, q: np.ndarray, k: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        faiss = load_faiss()

        if rows is None:
            return self._index.search(q, k)
        # a large filter: visit more cells in proportion to how much of the collection is filtered out
        ivf = faiss.extract_index_ivf(self._index)
        nprobe = min(ivf.nlist, math.ceil(self.nprobe * self.size / max(1, len(rows))))
        params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(rows), nprobe=nprobe)
        return self._index.search(q, k, params=params)


class HNSWIndex(DenseIndex):
    """HNSW graph over 8-bit scalar-quantized vectors (``HNSW32,SQ8``)."""

    kind = "hnsw-sq8"
    M = 32
    EF_CONSTRUCTION = 80
    EF_SEARCH = 96

    @classmethod
    def _build(cls, vectors: np.ndarray) -> HNSWIndex:
        faiss = load_faiss()

        d = vectors.shape[1]
        index = faiss.index_factory(d, f"HNSW{cls.M},SQ8", faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = cls.EF_CONSTRUCTION
        index.hnsw.efSearch = cls.EF_SEARCH
        index.train(vectors)
        index.add(vectors)
        return cls(index)

    def _search(self, q: np.ndarray, k: int, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        faiss = load_faiss()

        ef = max(self.EF_SEARCH, k)
        if rows is not None:
            ef = min(self.size, int(ef * self.size / max(1, len(rows))))
        params = faiss.SearchParametersHNSW(efSearch=ef, sel=faiss.IDSelectorBatch(rows) if rows is not None else None)
        return self._index.search(q, k, params=params)


BACKENDS: dict[str, type[DenseIndex]] = {b.kind: b for b in (FlatIndex, IVFIndex, HNSWIndex)}


def choose_kind(n: int) -> str:
    """The backend for ``n`` vectors: exact below ``FLAT_MAX``, IVF-SQ8 above."""
    return FlatIndex.kind if n < FLAT_MAX else IVFIndex.kind


def _backend_of(index) -> type[DenseIndex]:
    faiss = load_faiss()

    if isinstance(index, faiss.IndexHNSW):
        return HNSWIndex
    if isinstance(index, faiss.IndexIVF):
        return IVFIndex
    if isinstance(index, faiss.IndexFlat):
        return FlatIndex
    raise ValueError(f"unsupported FAISS index type {type(index).__name__}")
