"""Evidence on a small in-memory index (hashing embedder): candidate sentences, their features and scores,
answerability, and the quotes chosen from them."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.answer.candidates import Sentence, candidates, question_terms
from qa.answer.compose import make_citations, reread, select
from qa.answer.config import DEFAULT_CONFIG
from qa.answer.evidence import gather
from qa.answer.reader import Reading
from qa.answer.scoring import FEATURES, feature_matrix, question_type, score_sentences
from qa.embed.hashing import HashingEmbedder
from qa.index import Index
from qa.ingest.assemble import assemble
from qa.ingest.chunking import ChunkingConfig
from qa.store.snapshot import StoredDocument
from qa.types import Document

DOCS = [
    Document("bees", "Honey Bees", "Honey bees live in colonies ruled by a single queen. The queen can lay up to "
             "2,000 eggs per day in spring. Bees communicate with a waggle dance."),
    Document("rivers", "Great Rivers", "The Nile is often called the longest river in the world. The Amazon carries "
             "more water than any other river. It was explored in 1542 by Francisco de Orellana."),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    emb = HashingEmbedder(128)
    snap = assemble(None, {}, [StoredDocument(d, d.id) for d in DOCS], emb, ChunkingConfig(max_tokens=40), progress=False)[0]
    return Index(Path(tmp_path_factory.mktemp("ev")), snap, emb)


def test_question_types() -> None:
    assert question_type("When was the Amazon explored?") == "when"
    assert question_type("How many eggs does the queen lay?") == "number"
    assert question_type("Who explored the Amazon?") == "who"
    assert question_type("Where is the Nile?") == "where"
    assert question_type("Why do bees dance?") == "other"


def test_candidates_are_verbatim_sentences_with_lexical_coverage(index: Index) -> None:
    q = "How many eggs does the queen lay?"
    hits = index.search(q, k=2)
    cands = candidates(index.snapshot, hits, question_terms(q), q)
    texts = {c.doc_id: index.document(c.doc_id).text for c in cands}
    assert all(texts[c.doc_id][c.start : c.end] == c.text for c in cands)
    best = max(cands, key=lambda c: c.lexical)
    assert "2,000 eggs" in best.text and best.lexical == pytest.approx(1.0)
    assert all(0.0 <= c.lexical <= c.context <= 1.0 for c in cands)


def test_feature_matrix_follows_the_feature_names(index: Index) -> None:
    q = "When was the Amazon explored?"
    cands = candidates(index.snapshot, index.search(q, k=2), question_terms(q), q)
    x = feature_matrix(q, cands)
    assert x.shape == (len(cands), len(FEATURES))
    col = {name: i for i, name in enumerate(FEATURES)}
    dated = [i for i, c in enumerate(cands) if "1542" in c.text]
    assert dated and x[dated[0], col["has_date"]] == 1.0 and x[dated[0], col["when_x_date"]] == 1.0
    assert np.all(x[:, col["reciprocal_rank"]] <= 1.0)


def test_scored_sentences_come_best_first_and_embed_only_the_top(index: Index) -> None:
    q = "How many eggs does the queen lay?"
    cands = candidates(index.snapshot, index.search(q, k=2), question_terms(q), q)
    qv = index.embedder.encode_queries([q])[0]
    cache = index.embedder.vector_cache()
    cache.clear()
    scored = score_sentences(index.embedder, qv, cands, q, embed_top=2)
    assert [s.score for s in scored] == sorted((s.score for s in scored), reverse=True)
    assert len(cache) == 2  # only the two lexically best were embedded
    assert "2,000 eggs" in scored[0].text


def test_gather_answers_an_answerable_question_and_doubts_an_unrelated_one(index: Index) -> None:
    ev = gather(index, "How many eggs can the queen lay per day?", k=3)
    assert "2,000 eggs" in ev.sentences[0].text and np.isfinite(ev.answerability)
    off = gather(index, "What is the boiling point of mercury?", k=3)
    assert off.answerability < ev.answerability
    with pytest.raises(ValueError, match="empty"):
        gather(index, "  ")


def test_select_and_cite_are_verbatim_and_grouped(index: Index) -> None:
    ev = gather(index, "Who explored the Amazon river?", k=3)
    chosen = select(ev.sentences, DEFAULT_CONFIG)
    assert chosen and chosen[0] == ev.sentences[0]
    assert sum(len(s.text) for s in chosen[1:]) <= DEFAULT_CONFIG.max_chars
    cites = make_citations(index, chosen)
    assert [c.n for c in cites] == list(range(1, len(cites) + 1))
    for c in cites:
        text = index.document(c.doc_id).text
        assert text[c.start : c.end] == c.quote and text[c.context_start : c.context_start + len(c.context)] == c.context


def test_the_readers_readings_raise_the_sentences_holding_their_spans(index: Index) -> None:
    ev = gather(index, "Who explored the Amazon river?", k=3)
    holder = next(s for s in ev.sentences if "Orellana" in s.text)
    other = next(s for s in ev.sentences if s != holder)
    start = holder.start + holder.text.index("Francisco")
    reading = Reading(holder.doc_id, start, holder.end - 1, "Francisco de Orellana", 4.0, 0.9, 0)
    chance = reread(replace(ev, readings=(reading,)), 0.3)
    assert chance(holder) == pytest.approx(1 - (1 - holder.probability) * (1 - 0.3 * 0.9))
    assert chance(other) == other.probability
    assert reread(replace(ev, readings=()), 0.3)(holder) == holder.probability  # no readings: their own chances
    # select covers the answer by the chance it is given: a raised sentence is enough on its own
    sure = select([holder, other], DEFAULT_CONFIG, probability=lambda s: 0.99)
    assert sure == [holder]


def test_page_furniture_is_not_quoted_beside_the_answer(tmp_path: Path) -> None:
    from qa.answer.compose import quotes_answer

    body = ("The harbour bridge reopened on Monday after the storm repairs. Engineers checked every cable before "
            "the opening. ") * 6
    page = Document("news", "Bridge reopens", body + "\nMain image source: Jane Doe/Getty Images\nYou May Also Like\n"
                    "The harbour festival returns with the bridge reopened for the summer crowds.\n")
    emb = HashingEmbedder(128)
    snap = assemble(None, {}, [StoredDocument(page, page.id)], emb, ChunkingConfig(max_tokens=400), progress=False)[0]
    idx = Index(tmp_path, snap, emb)
    query = "When did the harbour bridge reopen?"
    ans = quotes_answer(idx, query, query, gather(idx, query, k=3))
    quotes = [c.quote for c in ans.citations]
    assert quotes and not any("Getty" in q or "You May Also Like" in q or "festival" in q for q in quotes), quotes


class _ShowsAny:
    """A reader whose fitted short decision shows any span (``compose.short_answer`` asks it)."""

    threshold = 0.0

    def short_answer(self, x: list[float]) -> float:
        return 1.0


@pytest.mark.parametrize("keep_best", [True, False])
def test_the_best_sentence_is_quoted_beside_a_short_answer_held_elsewhere(tmp_path: Path, keep_best: bool) -> None:
    from qa.answer.compose import quotes_answer

    emb = HashingEmbedder(128)
    snap = assemble(None, {}, [StoredDocument(d, d.id) for d in DOCS], emb, ChunkingConfig(max_tokens=40), progress=False)[0]
    idx = Index(tmp_path, snap, emb)
    idx.reader = None  # gathered without reading; the readings are given below
    query = "Who explored the Amazon river?"
    ev = gather(idx, query, k=3)
    idx.reader = _ShowsAny()  # type: ignore[assignment]
    best = ev.sentences[0]
    other = next(s for s in ev.sentences if s.doc_id != best.doc_id)  # another document: no citation holds both
    word = other.text.split()[0]
    # a sure reading held by another sentence than the best: its chance alone covers the answer
    reading = Reading(other.doc_id, other.start, other.start + len(word), word, 6.0, 0.99, 0)
    ev = replace(ev, readings=(reading,), gate=3.0)
    config = replace(DEFAULT_CONFIG, entailment=False, keep_best=keep_best, coverage=0.2)
    ans = quotes_answer(idx, query, query, ev, config)
    assert ans.answer is not None and ans.answer.text == word
    quoted = [c.quote for c in ans.citations]
    holds_best = any(c.doc_id == best.doc_id and c.start <= best.start and best.end <= c.end for c in ans.citations)
    assert holds_best is keep_best, quoted


def test_neighbouring_sentences_make_one_quote_within_a_paragraph_only(tmp_path: Path) -> None:
    text = "Attack on the general by rebel forces\n\nA rebel adviser admitted the attack. He said so on Sunday."
    emb = HashingEmbedder(64)
    snap = assemble(None, {}, [StoredDocument(Document("news", "News", text), "news")], emb,
                    ChunkingConfig(max_tokens=40), progress=False)[0]
    idx = Index(tmp_path, snap, emb)
    spans = [(0, text.index("\n")), (text.index("A rebel"), text.index(" He")), (text.index("He"), len(text))]
    chosen = [Sentence("news", "News", "news", None, a, b, text[a:b], 0, i, score=1.0 - i / 10)
              for i, (a, b) in enumerate(spans)]
    cites = make_citations(idx, chosen)
    assert [c.quote for c in cites] == ["Attack on the general by rebel forces",
                                        "A rebel adviser admitted the attack. He said so on Sunday."]
