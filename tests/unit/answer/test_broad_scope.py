"""A broad question over more documents than ``AnswerConfig.broad_documents`` reads a bounded set: the documents
retrieved for its topic, or representatives of the collection's groups, and says so; at or under the bound it
reads every document, as before. Plumbing on the hashing embedder; k-means on vectors made to be grouped."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import qa
from qa.answer.broad.scope import bound, document_vectors, kmeans, representatives
from qa.answer.config import AnswerConfig
from qa.embed.base import normalize
from tests.unit.answer.grounding import assert_grounded, index_of

TOPICS = {
    "fire": "A fire broke out at the Kelmar harbour warehouse on day {i} of the month. About {n} firefighters fought "
    "the flames for {i} hours. The warehouse stored {n} tonnes of timber and paper.",
    "bridge": "The city council of Arlen voted {i} to 2 for a new river bridge. The bridge will cost {n} million "
    "euros. Engineers designed the bridge to open in 20{n}.",
    "vaccine": "The vaccine trial enrolled {n}00 adults in wave {i}. The vaccine cut severe illness by {n} percent. "
    "Doctors reported mild side effects of the vaccine in {i} patients.",
}


@pytest.fixture
def many(tmp_path: Path) -> qa.Index:
    """Twelve documents, four on each of three topics (no sentence in two of them)."""
    files = {f"{topic}-{i}.txt": f"{topic.title()} report {i}\n\n" + text.format(i=i + 2, n=31 + 7 * i + len(topic))
             for topic, text in TOPICS.items() for i in range(4)}
    return index_of(tmp_path, files, "many")


def test_small_collections_are_read_whole(many: qa.Index) -> None:
    ans = many.ask("Summarize the documents.")
    assert ans.found and not ans.notes
    assert len({c.doc_id for c in ans.citations}) >= 10  # all read (a near-repeat of another may give no point)


def test_a_summary_of_a_large_collection_reads_representatives(many: qa.Index) -> None:
    config = AnswerConfig(broad_documents=5)
    ans = many.ask("Summarize the documents.", config=config)
    assert_grounded(many, ans)
    assert ans.found and any("12 documents" in n and "represent" in n for n in ans.notes)
    assert ans.notes[0] in ans.text
    cited = {c.doc_id for c in ans.citations}
    assert 2 <= len(cited) <= 5
    again = many.ask("Summarize the documents.", config=config)
    assert [c.doc_id for c in again.citations] == [c.doc_id for c in ans.citations]  # seeded: the same answer


def test_a_topic_in_a_large_collection_reads_the_documents_retrieved_for_it(many: qa.Index) -> None:
    ans = many.ask("Tell me about the vaccine trial.", config=AnswerConfig(broad_documents=4))
    assert_grounded(many, ans)
    assert ans.found and any("most related" in n for n in ans.notes)
    assert {c.doc_id.split("/")[-1].split("-")[0] for c in ans.citations} == {"vaccine"}


def test_bound_keeps_order_and_limit(many: qa.Index) -> None:
    docs = sorted(many.snapshot.documents)
    assert bound(many, docs, limit=20).how == "all"
    assert bound(many, docs, limit=0).doc_ids == docs  # 0: no bound
    b = bound(many, docs, limit=4, query="the river bridge council vote", topical=True)
    assert b.how == "retrieved" and len(b.doc_ids) == 4 and set(b.doc_ids) <= set(docs)
    assert b.total == 12 and "12 documents" in (b.note() or "")
    r = bound(many, docs, limit=4)  # no topic: representatives
    assert r.how == "representatives" and len(r.doc_ids) == len(set(r.doc_ids)) <= 4


def test_document_vectors_are_unit_rows_per_document(many: qa.Index) -> None:
    docs = sorted(many.snapshot.documents)
    x = document_vectors(many, docs)
    assert x.shape == (12, many.embedder.dim)
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)


def test_kmeans_finds_separated_groups() -> None:
    rng = np.random.default_rng(3)
    centres = normalize(rng.normal(size=(3, 16)).astype(np.float32))
    x = normalize(np.repeat(centres, [30, 20, 10], axis=0) + 0.05 * rng.normal(size=(60, 16)).astype(np.float32))
    labels = kmeans(x, 3)
    groups = [set(labels[a:b]) for a, b in ((0, 30), (30, 50), (50, 60))]
    assert all(len(g) == 1 for g in groups) and len(set.union(*groups)) == 3
    assert np.array_equal(labels, kmeans(x, 3))  # seeded
    assert len(set(kmeans(x[:2], 5))) <= 2  # more groups than rows: one per row at most


def test_representatives_one_per_topic(many: qa.Index) -> None:
    docs = sorted(many.snapshot.documents)
    picked = representatives(many, docs, 3)
    assert len(picked) == 3 and set(picked) <= set(docs)
    assert {d.split("/")[-1].split("-")[0] for d in picked} == set(TOPICS)  # one of each topic's four


def test_document_vectors_without_stored_vectors(many: qa.Index) -> None:
    """A store that keeps no vectors in memory (Milvus): the documents' word-vector means stand in."""
    view = SimpleNamespace(snapshot=replace(many.snapshot, vectors=np.zeros((0, many.embedder.dim), np.float32)),
                           embedder=many.embedder)
    docs = sorted(many.snapshot.documents)
    x = document_vectors(view, docs)  # type: ignore[arg-type]
    assert x.shape == (12, many.embedder.dim) and np.isfinite(x).all()
    picked = representatives(view, docs, 3)  # type: ignore[arg-type]
    assert len(picked) == len(set(picked)) == 3


def test_a_named_document_silent_on_the_topic_leaves_it_to_the_others_retrieved_without_its_name(many: qa.Index) -> None:
    """The others are ranked for the question without the file it names (its words would rank fire reports first)."""
    ans = many.ask("What does fire-0.txt say about the vaccine?", config=AnswerConfig(broad_documents=3))
    assert_grounded(many, ans)
    assert ans.found and any("does not mention the vaccine" in n for n in ans.notes)
    assert any("12 documents" in n and "most related" in n for n in ans.notes)
    assert {c.doc_id.split("/")[-1].split("-")[0] for c in ans.citations} == {"vaccine"}
