"""A broad question over a large collection reads a bounded set of its documents.

A summary, a description or a comparison reads whole documents (``pool``). Over thousands of them that takes
minutes and quotes every one: on the 5,183 SciFact abstracts, "Summarize the documents." took 57 s and quoted
5,183 sentences, "Tell me about vitamin D." 34 s (``benchmarks/bench_broad.py --large``). Beyond ``AnswerConfig.broad_documents`` documents in scope
(and none named by the question), a broad question reads:

- with a topic ("tell me about vitamin D", "key points about the plague", a comparison's sides): the documents
  whose passages the retriever ranks best for the question (the factoid path's hybrid ranking), best first;
- without one ("summarize the documents", "compare the documents"): one representative of each of the
  collection's main groups - the documents' mean passage vectors clustered by k-means (seeded, so the same
  collection gives the same answer), and per group the document closest to its centre, largest group first.

The answer says which it did (``note``).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...embed.base import normalize
from ...search.retrieval import rank, rows_for_documents
from ..config import IndexView
from .pool import dense_vectors

logger = logging.getLogger(__name__)

GROUPS = 10  # representatives of a collection too large to read whole (a summary then quotes one sentence each)
ITERATIONS = 25  # k-means steps at most
SEED = 0
DEPTH = 200  # retrieval candidates per retriever when ranking documents for a topic
TEXT_CHARS = 2000  # without stored vectors, a document is represented by its title and this much of its text


@dataclass(frozen=True)
class Bounded:
    """The documents a broad question reads, and how they were chosen (``how``: "all", "retrieved",
    "representatives"); ``total`` is the number in scope."""

    doc_ids: list[str]
    how: str
    total: int

    def note(self) -> str | None:
        """What the answer says about the documents it read; None when it read them all."""
        if self.how == "retrieved":
            return (f"The collection has {self.total:,} documents, too many to read whole for this question; "
                    f"this answer reads the {len(self.doc_ids)} most related to it.")
        if self.how == "representatives":
            return (f"The collection has {self.total:,} documents, too many to read whole; this answer reads "
                    f"the {len(self.doc_ids)} that represent its main groups of documents (one per group, the largest first).")
        return None


def bound(index: IndexView, doc_ids: Sequence[str], *, limit: int, query: str = "", topical: bool = False,
          query_vector: np.ndarray | None = None, total: int | None = None) -> Bounded:
    """``doc_ids`` when at most ``limit``; else the ``limit`` best retrieved for ``query`` (``topical``) or
    ``GROUPS`` representatives (see the module docstring). ``total``: the collection's size the note gives
    (default: ``len(doc_ids)``)."""
    size = total if total is not None else len(doc_ids)
    if limit <= 0 or len(doc_ids) <= limit:
        return Bounded(list(doc_ids), "all", size)
    if topical and query.strip():
        found = retrieved(index, doc_ids, query, limit, query_vector)
        if found:
            return Bounded(found, "retrieved", size)
    return Bounded(representatives(index, doc_ids, min(GROUPS, limit)), "representatives", size)


def retrieved(index: IndexView, doc_ids: Sequence[str], query: str, limit: int,
              query_vector: np.ndarray | None = None) -> list[str]:
    """Up to ``limit`` of ``doc_ids``, in the order of their best passage in the retriever's ranking for ``query``."""
    snap = index.snapshot
    rows = None if len(doc_ids) == len(snap.documents) else rows_for_documents(snap, doc_ids)
    qv = index.embedder.encode_queries([query])[0] if query_vector is None else query_vector
    out: dict[str, None] = {}
    for s in rank(snap, index.embedder, query, DEPTH, index.retrieval, rows=rows, query_vector=qv):
        out.setdefault(snap.passages.record(s.row).doc_id, None)
        if len(out) >= limit:
            break
    return list(out)


def document_vectors(index: IndexView, doc_ids: Sequence[str]) -> np.ndarray:
    """Unit rows, one per document: the mean of its stored passage vectors, or (a store that keeps none in
    memory) the word-vector mean of its title and first ``TEXT_CHARS`` characters."""
    snap = index.snapshot
    vectors = snap.vectors
    if len(vectors) and len(vectors) == len(snap.passages):
        where = {d: i for i, d in enumerate(doc_ids)}
        owner = np.array([where.get(d, -1) for d in snap.passages.doc_ids], np.int64)
        keep = owner >= 0
        sums = np.zeros((len(doc_ids), vectors.shape[1]), np.float32)
        np.add.at(sums, owner[keep], vectors[keep])
        if (np.abs(sums).sum(axis=1) > 0).all():
            return normalize(sums)
    docs = [snap.documents[d].document for d in doc_ids]
    return dense_vectors(index, [f"{d.title or ''}\n{d.text[:TEXT_CHARS]}" for d in docs])


def kmeans(x: np.ndarray, k: int, *, seed: int = SEED, iterations: int = ITERATIONS) -> np.ndarray:
    """Cluster labels of the unit rows ``x`` into ``k`` groups (spherical k-means, k-means++ start)."""
    rng = np.random.default_rng(seed)
    n = len(x)
    k = min(k, n)
    centres = [int(rng.integers(n))]
    closest = 1.0 - x @ x[centres[0]]
    for _ in range(1, k):
        weights = np.maximum(closest, 0.0) ** 2
        total = float(weights.sum())
        nxt = int(rng.choice(n, p=weights / total)) if total > 0 else int(rng.integers(n))
        centres.append(nxt)
        closest = np.minimum(closest, 1.0 - x @ x[nxt])
    c = x[centres].copy()
    labels = np.full(n, -1, np.int64)
    for _ in range(iterations):
        new = np.argmax(x @ c.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = members.mean(axis=0)
        c = normalize(c)
    return labels


def representatives(index: IndexView, doc_ids: Sequence[str], groups: int) -> list[str]:
    """One document per k-means group of ``doc_ids`` (the one closest to its group's centre), largest group first."""
    x = document_vectors(index, doc_ids)
    labels = kmeans(x, groups)
    out: list[tuple[int, str]] = []
    for j in np.unique(labels):
        members = np.flatnonzero(labels == j)
        centre = x[members].mean(axis=0)
        best = members[int(np.argmax(x[members] @ centre))]
        out.append((len(members), doc_ids[int(best)]))
    out.sort(key=lambda t: -t[0])
    logger.info("broad question over %d documents: %d representatives", len(doc_ids), len(out))
    return [d for _, d in out]
