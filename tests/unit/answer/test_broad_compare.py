"""Comparisons side by side (issue 17, fourth round): the sides and topic a question sets, readable figures, the
words that find a side, and an event's sentence that leaves the name to its document."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.answer.broad.compare import _value, names_side, side_members, side_words
from qa.answer.broad.comparison import _measures, _relevant
from qa.answer.broad.describe import Term, _all_else
from qa.answer.broad.kinds import classify, compared_sides
from qa.answer.broad.pool import Pool
from qa.answer.candidates import Sentence
from tests.unit.answer.grounding import assert_grounded, index_of


def test_two_sides_within_the_documents_and_the_topic_asked_about_them() -> None:
    assert compared_sides("how do the prosecution and the defence describe alameda differently") == (
        ("the prosecution", "the defence"), "alameda")
    sides, topic = compared_sides("do techcrunch and fortune give the same reason for altman's firing")
    assert sides == ("techcrunch", "fortune") and topic == "altman's firing"
    assert compared_sides("how do the andes and the sierra nevada compare in height") == (
        ("the andes", "the sierra nevada"), "height")


def test_what_differs_between_two_phrases_is_the_sides_and_what_they_share_the_topic() -> None:
    kind = classify("How does the document's toll for Europe compare with its toll for Asia?", 1)
    assert kind is not None and kind.kind == "compare"
    assert kind.sides == ("europe", "asia") and kind.topic == "toll"
    assert classify("How did the population compare to 1990?") is None  # nothing shared: a factoid


def test_comparison_topics_without_on_or_about() -> None:
    kind = classify("Do TechCrunch and Fortune give the same reason for Altman's firing?")
    assert kind is not None and kind.kind == "compare" and kind.topic == "altman's firing"
    kind = classify("How did the two sides portray the defendant in their opening statements?")
    assert kind is not None and kind.kind == "compare"


def test_figures_read_as_a_reader_writes_them() -> None:
    assert _value(2e9) == "2 billion" and _value(5.82e9) == "5.82 billion"
    assert _value(6961.0) == "6,961" and _value(2021.0) == "2021"


def test_a_side_is_found_by_the_first_letters_of_its_words() -> None:
    assert side_words("the prosecution") == ["prose"] and side_words("the document") == []
    assert names_side("Prosecutors said the fund was a front.", ["prose"])
    assert not names_side("The defence said nothing.", ["prose"])


def test_an_event_sentence_may_leave_the_name_to_its_document() -> None:
    name = Term(frozenset({"sbf"}), None, 1.0, True)
    bail = Term(frozenset({"bail"}), None, 2.0, False)
    assert _all_else([False, True], [name, bail])
    assert not _all_else([True, False], [name, bail])
    assert not _all_else([True], [name])  # a topic that is only a name: the sentence must name it


def test_more_words_of_comparison_and_sides_before_how_they_portray() -> None:
    kind = classify("Is Ögedei's role told the same way in the two articles?")
    assert kind is not None and kind.kind == "compare"
    kind = classify("Where do Fortune and The Verge differ in how they portray Bankman-Fried?")
    assert kind is not None and (kind.sides, kind.topic) == (("fortune", "the verge"), "bankman-fried")
    kind = classify("How do The Verge and CNBC report the verdict?")  # two sources, one verb: no word of comparison
    assert kind is not None and (kind.kind, kind.sides, kind.topic) == ("compare", ("the verge", "cnbc"), "the verdict")


def test_a_topic_in_a_clause_of_its_own() -> None:
    kind = classify("How many were killed in the strike - do the two write-ups give the same figure?")
    assert kind is not None and kind.kind == "compare" and kind.topic == "killed"
    kind = classify("Who fired Altman: do the articles agree?")
    assert kind is not None and kind.topic == "fired altman"
    assert classify("Compare the documents.").topic == ""  # type: ignore[union-attr]


def test_the_subject_of_a_passive_comparison_is_its_topic() -> None:
    kind = classify("Is Ögedei's role told the same way in the document?", 2)
    assert kind is not None and (kind.kind, kind.topic) == ("compare", "ögedei's role")
    kind = classify("Are the casualties reported differently in the two articles?")
    assert kind is not None and (kind.kind, kind.topic) == ("compare", "the casualties")


def test_who_speaks_for_a_side() -> None:
    texts = ["“It was a lie,” began Thane Rehn, a prosecutor for the government.", "Defence lawyer Mark Cohen spoke.",
             "Danielle Sassoon, one of the lead prosecutors, said so.", "The prosecution called a Frenchman."]
    assert side_members(texts, ["prose"]) == ["rehn", "sassoon"]
    assert side_members(texts, ["defen"]) == ["cohen"]


def test_two_sides_set_against_each_other_before_the_question() -> None:
    kind = classify("prosecution vs defense at the SBF trial — how did the two sides paint him in their openings?")
    assert kind is not None and kind.kind == "compare"
    assert kind.sides == ("prosecution", "defense") and kind.topic == ""  # the sides themselves are compared
    kind = classify("CZ versus SBF: how do their legal situations and possible sentences stack up")
    assert kind is not None and kind.sides == ("cz", "sbf") and kind.topic == "legal situations and possible sentences"
    assert classify("Real Madrid vs Barcelona: who won?") is None  # a fact asked of a match, not a comparison
    assert classify("Apple vs Samsung - which sold more phones in 2020?") is None


def test_a_compared_document_far_off_the_question_is_left_out_unless_named() -> None:
    texts = ["The prosecution said it was built on lies.", "The defence said he acted in good faith.",
             "Open models are dangerous, some say."]
    sentences = [Sentence(doc_id=d, title=d, source=d, page=None, start=0, end=len(t), text=t, rank=0, index=0)
                 for d, t in zip(("trial", "trial2", "ai"), texts, strict=True)]
    pool = Pool(sentences=sentences, dense=np.zeros((3, 4), np.float32), lexical=np.zeros((3, 4), np.float32), idf={},
                passage_centrality=np.zeros(3, np.float32), doc_order=["trial", "trial2", "ai"],
                paragraphs=np.array([0, 0, 0], np.int64))
    relevance = np.array([0.46, 0.30, 0.20], np.float32)
    assert _relevant(pool, ["trial", "trial2", "ai"], (), relevance) == ["trial", "trial2"]
    assert _relevant(pool, ["trial", "trial2", "ai"], ("ai",), relevance) == ["trial", "trial2", "ai"]


def test_the_defendant_is_not_the_defence() -> None:
    defence = side_words("the defence")
    assert names_side("The defence said he acted in good faith.", defence)
    assert names_side("Defense lawyer Ann Moss spoke.", side_words("the defense"))
    assert not names_side("The defendant was on top of the world, the prosecutor said.", defence)


def test_a_comparison_of_a_measure_reads_the_sentences_that_state_it() -> None:
    texts = ["The range is young and still rising.", "Its highest peak stands at 6,961 m above the sea.",
             "The peak of Mount Arlen is 14,505 feet high.", "Some 20 inches of rain fall each year."]
    sentences = [Sentence(doc_id=d, title=d, source=d, page=None, start=0, end=len(t), text=t, rank=0, index=i)
                 for i, (d, t) in enumerate(zip(("a", "a", "b", "b"), texts, strict=True))]
    pool = Pool(sentences=sentences, dense=np.zeros((4, 4), np.float32), lexical=np.zeros((4, 4), np.float32), idf={},
                passage_centrality=np.zeros(4, np.float32), doc_order=["a", "b"], paragraphs=np.zeros(4, np.int64))
    assert [m.row for m in _measures(pool, ["a", "b"], "height", 0.7)] == [1, 2]  # metres and feet, not inches
    assert [m.row for m in _measures(pool, ["a", "b"], "rainfall", 0.7)] == [3]
    assert _measures(pool, ["a", "b"], "the founders", 0.7) == []  # no measure asked


def test_compare_two_things_named_right_after_the_verb() -> None:
    assert compared_sides("compare faiss and numpy") == (("faiss", "numpy"), "")
    assert compared_sides("contrast the andes with the alps on rainfall") == (("the andes", "the alps"), "rainfall")
    # documents are named by the target, not compared as things: no sides
    for q in ("compare the faiss and numpy documents", "compare the first and second articles",
              "compare the express article with the other one"):
        assert compared_sides(q) == ((), "")


def test_sides_that_are_titles_compare_those_documents_only(tmp_path: Path) -> None:
    docs = {"kestrel.md": "# Kestrel\n\nKestrel is a library for reading tide gauges. It is written in Rust.",
            "plover.md": "# Plover\n\nPlover is a library for plotting tide tables. It is written in Python.",
            "heron.md": "# Heron\n\nHeron is a library for tide alerts. It sends a message when the tide turns."}
    idx = index_of(tmp_path, docs, "docs")
    ans = idx.ask("Compare Kestrel and Plover.")
    assert_grounded(idx, ans)
    assert {c.title for c in ans.citations} == {"Kestrel", "Plover"}  # not Heron, though it speaks of tides too
