"""Fusion, top-k selection, ranking and collapse on a small in-memory snapshot (no disk, no model)."""
from __future__ import annotations

import numpy as np
import pytest

from qa.embed.hashing import HashingEmbedder
from qa.ingest.assemble import assemble
from qa.ingest.chunking import ChunkingConfig
from qa.search.fusion import FUSE, FUSIONS, RetrievalConfig, fuse_convex, fuse_rrf, fuse_single, top_rows
from qa.search.retrieval import collapse, rank, rows_for_documents, search, to_hit
from qa.store.ann import DenseIndex
from qa.store.bm25 import BM25Index
from qa.store.snapshot import PassageTable, Snapshot, StoredDocument
from qa.types import Document

EMB = HashingEmbedder(64)
DOCS = [
    Document("bees", "Bees", "Honey bees live in colonies. The queen lays eggs. Workers collect nectar from flowers."),
    Document("rivers", "Rivers", "The Nile is a long river. The Amazon carries the most water of any river."),
    Document("solar", "Solar", "Solar panels turn sunlight into electricity. Most panels are made of silicon."),
]


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    stored = [StoredDocument(d, d.id) for d in DOCS]
    return assemble(None, {}, stored, EMB, ChunkingConfig(max_tokens=8), progress=False)[0]


def test_every_fusion_name_has_a_function() -> None:
    assert set(FUSE) == set(FUSIONS)
    with pytest.raises(ValueError, match="unknown fusion"):
        RetrievalConfig(fusion="max")


def test_convex_fusion_min_max_normalises_each_side() -> None:
    config = RetrievalConfig(dense_weight=0.25)
    fused = fuse_convex({1: 0.9, 2: 0.5, 3: 0.1}, {2: 10.0, 4: 2.0}, config)
    assert fused[1] == pytest.approx(0.25 * 1.0)
    assert fused[2] == pytest.approx(0.25 * 0.5 + 0.75 * 1.0)
    assert fused[3] == pytest.approx(0.0, abs=1e-6) and fused[4] == pytest.approx(0.0, abs=1e-6)  # float32 min
    assert fuse_convex({7: 0.3}, {}, config) == {7: pytest.approx(0.25)}  # a lone candidate counts as 1


def test_rrf_weights_ranks_and_single_retriever_does_not() -> None:
    config = RetrievalConfig(fusion="rrf", rrf_k=10, dense_weight=0.5)
    fused = fuse_rrf({1: 0.9, 2: 0.1}, {2: 3.0}, config)
    assert fused[1] == pytest.approx(0.5 / 11) and fused[2] == pytest.approx(0.5 / 12 + 0.5 / 11)
    assert fuse_single({}, {5: 1.0, 6: 0.5}, config) == {5: pytest.approx(1 / 11), 6: pytest.approx(1 / 12)}


def test_top_rows_restricts_orders_and_drops_zero_scores() -> None:
    scores = np.array([0.0, 3.0, 1.0, 2.0, 5.0], np.float32)
    rows, vals = top_rows(scores, None, 3)
    assert rows.tolist() == [4, 1, 3] and vals.tolist() == [5.0, 3.0, 2.0]
    rows, _ = top_rows(scores, np.array([0, 2, 3]), 5)
    assert rows.tolist() == [3, 2]  # row 0 scores 0: dropped


def test_rank_and_search_find_the_passage_that_holds_the_words(snap: Snapshot) -> None:
    for fusion in FUSIONS:
        ranked = rank(snap, EMB, "which river carries the most water", 10, RetrievalConfig(fusion=fusion))
        assert ranked and snap.passages.doc_ids[ranked[0].row] == "rivers", fusion
    hits = search(snap, EMB, "queen lays eggs", k=2)
    assert hits[0].doc_id == "bees" and "queen" in hits[0].text
    assert all(snap.documents[h.doc_id].document.text[h.start : h.end] == h.text for h in hits)


def test_document_filter(snap: Snapshot) -> None:
    rows = rows_for_documents(snap, ["solar"])
    assert rows is not None and {snap.passages.doc_ids[r] for r in rows} == {"solar"}
    assert {h.doc_id for h in search(snap, EMB, "river water", k=3, doc_ids=["solar"])} <= {"solar"}
    with pytest.raises(KeyError, match="no such document"):
        rows_for_documents(snap, ["nope"])


def _overlapping_snapshot() -> Snapshot:
    text = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota."
    doc = Document("d", "D", text)
    twin = Document("t", "T", "Delta epsilon zeta.")
    rows = [("d", 0, 37, 0, "a"), ("d", 18, 53, 0, "b"), ("d", 38, 53, 0, "c"), ("t", 0, 19, 0, "e")]
    vectors = EMB.encode_documents([text[a:b] if d == "d" else twin.text for d, a, b, _, _ in rows])
    return Snapshot({}, {"d": StoredDocument(doc, "h"), "t": StoredDocument(twin, "h")}, PassageTable.from_rows(rows),
                    vectors, DenseIndex.build(vectors), BM25Index.build([r[0] for r in rows]))


def test_collapse_drops_overlaps_and_exact_repeats_and_stops_at_k() -> None:
    snap = _overlapping_snapshot()
    from qa.search.fusion import Scored

    ranked = [Scored(0, 1.0, None, None), Scored(1, 0.9, None, None), Scored(2, 0.8, None, None),
              Scored(3, 0.7, None, None)]
    kept = collapse(snap, ranked, k=5)
    assert [s.row for s in kept] == [0, 2, 3]  # row 1 overlaps row 0; rows 2 and 3 do not
    assert [s.row for s in collapse(snap, ranked, k=1)] == [0]
    repeat = [Scored(3, 1.0, None, None), Scored(1, 0.9, None, None), Scored(0, 0.8, None, None)]
    assert [s.row for s in collapse(snap, repeat, k=5)] == [3, 1]  # row 0 overlaps row 1
    hit = to_hit(snap, kept[1])
    assert hit.text == "Eta theta iota." and hit.doc_id == "d" and hit.page is None
