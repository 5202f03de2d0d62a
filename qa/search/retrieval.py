"""Hybrid retrieval: dense (FAISS) + sparse (BM25) candidates, fused (``qa.search.fusion``), with
overlapping passages collapsed and an optional document filter.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Collection

import numpy as np

from ..embed.base import Embedder
from ..store.snapshot import Snapshot
from ..threads import question_threads
from ..types import Hit
from .fusion import FUSE, RetrievalConfig, Scored

logger = logging.getLogger(__name__)


def rank(
    snap: Snapshot,
    embedder: Embedder,
    query: str,
    depth: int,
    config: RetrievalConfig,
    *,
    rows: np.ndarray | None = None,
    query_vector: np.ndarray | None = None,
) -> list[Scored]:
    """Fused ranking of passage rows for ``query`` (at most ``depth`` of each retriever's candidates)."""
    n = len(snap.passages)
    if n == 0 or (rows is not None and len(rows) == 0):
        return []
    dense: dict[int, float] = {}
    sparse: dict[int, float] = {}
    if config.fusion != "sparse":
        qv = query_vector if query_vector is not None else embedder.encode_queries([query])
        scores, ids = snap.dense.search(qv.reshape(1, -1), depth, rows)
        dense = {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0}
    if config.fusion != "dense":
        ids, scores = snap.sparse.top(query, rows=rows, depth=depth)
        sparse = {int(i): float(s) for i, s in zip(ids, scores, strict=True)}

    def tie_break(row: int) -> tuple[str, int]:
        r = snap.passages.record(row)
        return r.doc_id, r.start

    dense, sparse = canonical(dense, tie_break), canonical(sparse, tie_break)
    fused = FUSE[config.fusion](dense, sparse, config)
    order = sorted(fused, key=lambda r: (-fused[r], tie_break(r)))
    return [Scored(r, fused[r], dense.get(r), sparse.get(r)) for r in order]


TIE_DIGITS = 6  # a retriever's scores equal to this many decimals are ties


def canonical(ranking: dict[int, float], tie_break: Callable[[int], tuple[str, int]]) -> dict[int, float]:
    """A retriever's candidates best first, ties in document order (id, offset): the same order whichever
    store answered (the index folder's rows are positions, Milvus's are primary keys; their float32 scores
    may differ in the last bits), so rank-based fusion (RRF) gives every store the same ranks."""
    return dict(sorted(ranking.items(), key=lambda item: (-round(item[1], TIE_DIGITS), tie_break(item[0]))))


def collapse(snap: Snapshot, ranked: list[Scored], k: int) -> list[Scored]:
    """Drop passages that overlap a better one of the same document, or repeat its text exactly."""
    kept: list[Scored] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    texts: set[str] = set()
    for s in ranked:
        r = snap.passages.record(s.row)
        doc, a, b = r.doc_id, r.start, r.end
        if any(a < e and s0 < b for s0, e in spans.get(doc, ())):
            continue
        text = snap.passage_text(s.row)
        if text in texts:
            continue
        kept.append(s)
        spans.setdefault(doc, []).append((a, b))
        texts.add(text)
        if len(kept) >= k:
            break
    return kept


def rows_for_documents(snap: Snapshot, doc_ids: Collection[str] | None) -> np.ndarray | None:
    if doc_ids is None:
        return None
    wanted = set(doc_ids)
    unknown = [d for d in wanted if d not in snap.documents]
    if unknown:
        raise KeyError(f"no such document in the index: {', '.join(sorted(unknown))}")
    return snap.passages.rows_of(wanted)


def to_hit(snap: Snapshot, s: Scored) -> Hit:
    r = snap.passages.record(s.row)
    doc = snap.documents[r.doc_id].document
    return Hit(
        text=doc.text[r.start : r.end], score=s.score, doc_id=doc.id, title=doc.title, source=doc.source,
        start=r.start, end=r.end, passage_id=r.key, page=r.page or None,
        dense_score=s.dense, sparse_score=s.sparse,
    )


def search(
    snap: Snapshot,
    embedder: Embedder,
    query: str,
    k: int = 5,
    *,
    config: RetrievalConfig = RetrievalConfig(),
    doc_ids: Collection[str] | None = None,
) -> list[Hit]:
    """The ``k`` best passages for ``query`` (optionally only from ``doc_ids``), overlaps collapsed."""
    if not query or not query.strip():
        raise ValueError("the question is empty")
    rows = rows_for_documents(snap, doc_ids)
    with question_threads():
        ranked = rank(snap, embedder, query, max(config.depth, 3 * k), config, rows=rows)
        return [to_hit(snap, s) for s in collapse(snap, ranked, k)]
