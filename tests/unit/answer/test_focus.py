"""What the reader reads of a passage (``qa.answer.focus``): the best sentence and its neighbours within a budget
of word pieces, as a verbatim slice of the document; and ``evidence.read`` handing the reader those slices."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest

from qa.answer.candidates import Sentence
from qa.answer.config import DEFAULT_CONFIG
from qa.answer.evidence import Evidence, read
from qa.answer.focus import focus
from qa.answer.reader import Reading
from qa.answer.reader.windows import encode_context
from qa.types import Hit

SENTENCES = ["Preamble about nothing in particular.", "The bridge was opened in 1932 by the mayor.",
             "It spans 503 metres across the harbour.", "Its arch carries eight lanes of traffic.",
             "Painting it takes a crew of twelve about ten years.", "Tourists climb it every day."]
DOC = "Header line\n" + " ".join(SENTENCES) + " Trailing words"


def _passage(scores: list[float], first: int = 1) -> tuple[Hit, list[Sentence]]:
    """A hit from sentence ``first`` to the end of the document, and scored candidate sentences of it."""
    start = DOC.index(SENTENCES[first])
    hit = Hit(text=DOC[start:], score=1.0, doc_id="d", title="T", source=None, start=start, end=len(DOC))
    out = []
    for i, (s, score) in enumerate(zip(SENTENCES[first:], scores, strict=False)):
        a = DOC.index(s)
        out.append(Sentence("d", "T", None, None, a, a + len(s), s, 0, i, score=score))
    return hit, out


def _pieces(text: str) -> int:
    return len(encode_context(text)[0])


def test_focus_keeps_the_best_sentence_and_grows_to_the_better_neighbour_within_the_budget() -> None:
    hit, sents = _passage([0.0, -1.0, 3.0, 1.0, -5.0])  # best: "Its arch ..."; then "Painting ..." beats "It spans"
    best, better = sents[2], sents[3]
    budget = _pieces(DOC[best.start:better.end]) + 2
    out = focus(hit, sents, budget)
    assert DOC[out.start:out.end] == out.text
    assert (out.start, out.end) == (best.start, better.end)
    assert _pieces(out.text) <= budget
    assert (out.doc_id, out.score, out.title) == (hit.doc_id, hit.score, hit.title)


def test_focus_fills_the_budget_with_whole_sentences_on_both_sides() -> None:
    hit, sents = _passage([0.0, 2.0, 3.0, 1.0, -5.0])
    out = focus(hit, sents, _pieces(DOC[sents[1].start:sents[3].end]))
    assert (out.start, out.end) == (sents[1].start, sents[3].end)
    assert out.text == DOC[out.start:out.end]


def test_a_best_sentence_longer_than_the_budget_is_kept_whole() -> None:
    hit, sents = _passage([0.0, 5.0, 1.0, 1.0, 1.0])
    out = focus(hit, sents, 3)
    assert (out.start, out.end, out.text) == (sents[1].start, sents[1].end, sents[1].text)


@pytest.mark.parametrize("budget", [0, 10_000])
def test_no_budget_or_a_passage_within_it_is_read_whole(budget: int) -> None:
    hit, sents = _passage([0.0, 1.0, 2.0, 3.0, 4.0])
    assert focus(hit, sents, budget) is hit


def test_a_passage_without_scored_sentences_is_read_whole() -> None:
    hit, sents = _passage([0.0, 1.0, 2.0, 3.0, 4.0])
    others = [replace(s, doc_id="other") for s in sents]
    assert focus(hit, others, 8) is hit
    # sentences of the same document outside the passage do not count either
    before = Sentence("d", "T", None, None, 0, 11, DOC[:11], 0, 0, score=9.0)
    out = focus(hit, [before, *sents], 12)
    assert hit.start <= out.start and out.end <= hit.end and "Header" not in out.text


@dataclass
class FakeReader:
    """Records the hits it is given; answers with each hit's first word, at document offsets."""

    available: bool = True
    threshold: float = 0.0
    seen: list[Hit] = field(default_factory=list)

    def check_reading(self, read_top: int, focus: int) -> bool:
        return True

    def read(self, question: str, hits: list[Hit]) -> list[Reading]:
        self.seen.extend(hits)
        out = []
        for r, h in enumerate(hits):
            n = h.text.index(" ")
            out.append(Reading(h.doc_id, h.start, h.start + n, h.text[:n], 5.0 - r, 0.9, r))
        return out

    def gate(self, answerability: float, margin: float, verified: tuple[float, float] | None = None) -> float:
        assert verified is None  # no entailment model here: nothing to verify with
        return margin


def test_read_hands_the_reader_focused_passages_and_keeps_document_offsets() -> None:
    hit, sents = _passage([0.0, -1.0, 3.0, 1.0, -5.0])
    reader = FakeReader()
    index: Any = SimpleNamespace(reader=reader, entailer=None)
    ev = Evidence("how wide is the arch?", [hit], sorted(sents, key=lambda s: -s.score))
    full = read(index, ev, replace(DEFAULT_CONFIG, reader_focus=0))
    assert reader.seen == [hit] and full.readings[0].text == "The"
    assert full.gate == 5.0
    focused = read(index, ev, replace(DEFAULT_CONFIG, reader_focus=_pieces(sents[2].text)))
    assert reader.seen[-1].text == sents[2].text
    r = focused.readings[0]
    assert (r.start, r.text) == (sents[2].start, "Its") and DOC[r.start:r.end] == r.text
    assert focused.gate == r.margin  # the gate was fitted on this reading: no offset
