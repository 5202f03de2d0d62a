"""Fusion of the dense and sparse rankings: one function per method, chosen from a table by name.

- ``convex`` (default) a weighted sum of each retriever's scores, min-max normalised over its top ``depth``
  candidates (``dense_weight`` on the dense side);
- ``rrf`` reciprocal rank fusion, sum of w / (rrf_k + rank) over both rankings;
- ``dense`` / ``sparse`` one retriever alone (for evaluation and ablations).
The defaults were chosen with scripts/tune_retrieval.py on SciFact's *train* queries and a SQuAD sample:
convex 0.5 beat every RRF setting on both (SciFact train nDCG@10 0.726 vs 0.712 for RRF k=60; SQuAD
recall@1 0.812 vs 0.745). See README "Evaluation".
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..store.bm25 import top_rows

FUSIONS = ("rrf", "convex", "dense", "sparse")


@dataclass(frozen=True)
class RetrievalConfig:
    fusion: str = "convex"
    rrf_k: int = 60
    dense_weight: float = 0.5  # share of the dense side in rrf and convex fusion
    depth: int = 100  # candidates taken from each retriever before fusion

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}")


@dataclass(frozen=True)
class Scored:
    row: int
    score: float
    dense: float | None
    sparse: float | None


Ranking = dict[int, float]  # passage row -> score, best first (dicts keep insertion order)


def _reciprocal_rank(dense: Ranking, sparse: Ranking, config: RetrievalConfig, weighted: bool) -> Ranking:
    fused: Ranking = {}
    w = config.dense_weight
    for weight, ranking in ((w, dense), (1.0 - w, sparse)):
        share = weight if weighted else 1.0
        for r, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + share / (config.rrf_k + r + 1)
    return fused


def fuse_rrf(dense: Ranking, sparse: Ranking, config: RetrievalConfig) -> Ranking:
    """Reciprocal rank fusion: sum of w / (rrf_k + rank), ``dense_weight`` on the dense side."""
    return _reciprocal_rank(dense, sparse, config, weighted=True)


def fuse_single(dense: Ranking, sparse: Ranking, config: RetrievalConfig) -> Ranking:
    """One retriever alone (the other ranking is empty): its ranks, unweighted."""
    return _reciprocal_rank(dense, sparse, config, weighted=False)


def fuse_convex(dense: Ranking, sparse: Ranking, config: RetrievalConfig) -> Ranking:
    """A weighted sum of each retriever's min-max-normalised scores (a lone candidate counts as 1)."""
    fused: Ranking = {}
    w = config.dense_weight
    for weight, ranking in ((w, dense), (1.0 - w, sparse)):
        if not ranking:
            continue
        vals = np.fromiter(ranking.values(), np.float32)
        lo, hi = float(vals.min()), float(vals.max())
        for row, s in ranking.items():
            norm = (s - lo) / (hi - lo) if hi > lo else 1.0
            fused[row] = fused.get(row, 0.0) + weight * norm
    return fused


FUSE: dict[str, Callable[[Ranking, Ranking, RetrievalConfig], Ranking]] = {
    "convex": fuse_convex, "rrf": fuse_rrf, "dense": fuse_single, "sparse": fuse_single,
}

__all__ = ["FUSE", "FUSIONS", "RetrievalConfig", "Scored", "top_rows"]  # top_rows lives in qa.store.bm25 now
