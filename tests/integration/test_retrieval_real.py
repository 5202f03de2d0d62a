"""Real-model retrieval on the shipped sample articles (the bundled all-MiniLM-L6-v2, offline)."""
from __future__ import annotations

import pytest

import qa

from tests.conftest import DOCUMENTS

WOUNDED = "documents/gerasimov-reportedly-wounded-in-izium-ambush.txt"
LEFT = "documents/gerasimov-left-before-izium-strike-arestovych.txt"

QUESTIONS = [
    ("Who admitted carrying out the missile attack on Gerasimov?", LEFT, "Aretovych"),
    ("Did the United States object to killing the general?", LEFT, "United States"),
    ("Which Russian general was confirmed killed in the Izium attack?", WOUNDED, "Simonov"),
    ("What did the UK intelligence briefing reveal about Russian forces?", WOUNDED, "UK intelligence"),
    ("Who talked with Mark Feygin in a video conversation?", LEFT, "Fegin"),
    ("How many high-ranked officers had gathered in the headquarters?", WOUNDED, "40 high-ranked"),
]


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: qa.SentenceTransformerEmbedder) -> qa.Index:
    return qa.build_index(DOCUMENTS, tmp_path_factory.mktemp("sample") / "index", embedder=real_embedder)


def test_sample_corpus_is_indexed(sample_index: qa.Index) -> None:
    assert {sd.document.id for sd in sample_index.documents()} == {WOUNDED, LEFT}
    assert sample_index.manifest["embedder"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"


@pytest.mark.parametrize("question,doc_id,phrase", QUESTIONS)
def test_questions_find_the_right_article(sample_index: qa.Index, question: str, doc_id: str, phrase: str) -> None:
    hits = sample_index.search(question, k=3)
    assert hits[0].doc_id == doc_id
    assert any(phrase in h.text for h in hits if h.doc_id == doc_id)
    for h in hits:
        assert sample_index.document(h.doc_id).text[h.start : h.end] == h.text


def test_both_accounts_are_retrieved_for_the_disputed_question(sample_index: qa.Index) -> None:
    hits = sample_index.search("Was Gerasimov wounded in the attack?", k=4)
    assert {h.doc_id for h in hits} == {WOUNDED, LEFT}


def test_dense_and_sparse_alone_also_work(sample_index: qa.Index) -> None:
    for fusion in ("dense", "sparse", "convex"):
        hits = sample_index.search("Aretovych admitted the missile attack", k=2, fusion=fusion)
        assert hits and hits[0].doc_id == LEFT


def test_saved_index_reloads_with_the_same_model(sample_index: qa.Index) -> None:
    again = qa.load_index(sample_index.path)
    assert again.embedder.fingerprint == sample_index.embedder.fingerprint
    assert [h.passage_id for h in again.search("Simonov", k=2)] == [h.passage_id for h in sample_index.search("Simonov", k=2)]
