"""Broad questions on the real model and the sample articles: every one gets quoted points, every quote verbatim,
the named document alone when one is named. (The evaluation set: ``python -m qa eval broad``.)"""
from __future__ import annotations

import re
import shutil

import pytest

import qa
from tests.conftest import DOCUMENTS
from tests.unit.answer.grounding import assert_grounded

LEFT = "gerasimov-left-before-izium-strike-arestovych.txt"
WOUNDED = "gerasimov-reportedly-wounded-in-izium-ambush.txt"


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, real_embedder: qa.Embedder) -> qa.Index:
    folder = tmp_path_factory.mktemp("broad") / "documents"
    shutil.copytree(DOCUMENTS, folder)
    return qa.build_index(folder, tmp_path_factory.mktemp("broad-index") / "index", embedder=real_embedder)


def _cited(ans: qa.Answer) -> set[str]:
    return {c.doc_id.rsplit("/", 1)[-1] for c in ans.citations}


def _ask(idx: qa.Index, question: str) -> qa.Answer:
    ans = idx.ask(question)
    assert ans.found and ans.citations, question
    assert_grounded(idx, ans)
    return ans


def test_overviews_quote_both_articles(samples: qa.Index) -> None:
    for q in ("What are these articles about?", "Give me an overview of the documents."):
        ans = _ask(samples, q)
        assert _cited(ans) == {LEFT, WOUNDED}
        # the Documents list shows them by title: "Putin humiliated ..." before "Ukraine - Russia ..."
        assert ans.citations[0].doc_id.endswith(WOUNDED)
    gist = _ask(samples, "What are these articles about?")
    points = _ask(samples, "Give me the key points of the documents.")
    assert len(points.citations) > len(gist.citations)
    assert re.search(r"forced to flee", " ".join(c.quote for c in gist.citations))


def test_named_document_only(samples: qa.Index) -> None:
    ans = _ask(samples, "Briefly, what does the article quoting Arestovych claim?")
    assert _cited(ans) == {LEFT}
    first = _ask(samples, "What does the first article say about Belgorod?")
    assert _cited(first) == {WOUNDED} and all("Belgorod" in c.quote for c in first.citations)
    by_file = _ask(samples, f"What's in {LEFT}?")
    assert _cited(by_file) == {LEFT}


def test_places_listed_with_their_quotes(samples: qa.Index) -> None:
    ans = _ask(samples, "List the places mentioned.")
    items = set(re.findall(r"^- \*\*(.+?)\*\*", ans.text, re.M))
    assert {"Belgorod", "Kharkiv"} <= items and items & {"Izium", "Izyum"}
    quotes = "\n".join(c.quote for c in ans.citations)
    assert all(item in quotes for item in items)


def test_comparison_side_by_side(samples: qa.Index) -> None:
    ans = _ask(samples, "How do the two articles differ on Gerasimov's fate?")
    assert _cited(ans) == {LEFT, WOUNDED}
    quotes = " ".join(c.quote for c in ans.citations)
    assert re.search(r"wounded", quotes) and re.search(r"not among them|managed to leave|had time to leave", quotes)


def test_entity_and_event(samples: qa.Index) -> None:
    who = _ask(samples, "Who is Oleksiy Arestovych?")
    assert re.search(r"advis[eo]r to the government", " ".join(c.quote for c in who.citations))
    what = _ask(samples, "What happened in Izium?")
    assert _cited(what) == {LEFT, WOUNDED}


def test_factoid_unchanged(samples: qa.Index) -> None:
    from qa.answer.compose import quotes_answer
    from qa.answer.evidence import gather

    q = "Where did Gerasimov land after he was evacuated?"
    direct = quotes_answer(samples, q, q, gather(samples, q))
    assert samples.ask(q) == direct
