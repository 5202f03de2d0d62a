"""Span-check pairs from SQuAD 2.0's written unanswerables (``training/nli/unanswerable.py``)."""
from __future__ import annotations

from typing import Any

from training.nli.data import LABELS
from training.nli.unanswerable import pairs, turned_around

CONTEXT = ("The Kel bridge opened in 1937. It was designed by Anna Holm, an engineer from Oslo. "
           "Trams crossed it until 1980.")


def _example(question: str, span: str, *, answerable: bool, split: str = "train",
             source: str = "squad2-train") -> dict[str, Any]:
    found = {"text": span, "start": CONTEXT.index(span)}
    return {"split": split, "source": source, "article": "Kel", "context": CONTEXT, "question": question,
            "kind": "gold" if answerable else "unanswerable", "answers": [found] if answerable else [],
            **({} if answerable else {"plausible": [found]})}


def test_a_written_unanswerable_is_not_entailed_and_an_answerable_one_is() -> None:
    made = pairs([_example("Who designed the Kel tunnel?", "Anna Holm", answerable=False),
                  _example("When did the Kel bridge open?", "1937", answerable=True),
                  _example("Who designed the bridge?", "Anna Holm", answerable=True, split="dev"),
                  _example("Who designed it?", "Anna Holm", answerable=True, source="newsqa")], split="train")
    by_kind = {r["kind"]: r for r in made}
    assert set(by_kind) == {"unanswerable-neutral", "answerable"}  # as many answerable as unanswerable, this split
    unanswerable = by_kind["unanswerable-neutral"]
    assert unanswerable["premise"] == "It was designed by Anna Holm, an engineer from Oslo."
    assert unanswerable["hypothesis"] == "Anna Holm designed the Kel tunnel."
    assert LABELS[unanswerable["label"]] == "neutral"
    answerable = by_kind["answerable"]
    assert (answerable["premise"], answerable["hypothesis"]) == ("The Kel bridge opened in 1937.",
                                                                 "The Kel bridge opened in 1937.")
    assert LABELS[answerable["label"]] == "entailment"


def test_a_question_that_turns_its_sentence_around_is_a_contradiction() -> None:
    table = {"opened": "closed", "closed": "opened"}
    assert turned_around("When did the Kel bridge not open?", "The Kel bridge opened in 1937.", table)
    assert turned_around("When was the bridge closed?", "The bridge opened in 1937.", table)
    assert not turned_around("When was the tunnel opened?", "The bridge opened in 1937.", table)
    made = pairs([_example("When did trams stop crossing the tunnel, never the bridge?", "1980", answerable=False),
                  _example("When did the Kel bridge open?", "1937", answerable=True)], split="train")
    assert {LABELS[r["label"]] for r in made} == {"contradiction", "entailment"}
