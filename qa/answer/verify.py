"""Verify a reading: does the sentence the reader's span came from entail the claim the span makes as the answer?

"Where was the ambush?" read as "near the city of Izium" makes the claim "The ambush was near the city of Izium."
(``qa.text.questions.answer_claim``); the entailment model judges it against the sentence that holds the span.
SQuAD 2.0's unanswerable questions are written to look answerable from a paragraph that does not answer them,
and the claim their best span makes is often contradicted by its own sentence: on dev, the contradiction
probability separates them from answerable questions (AUC 0.76) better than the reader's own margin (0.64).
The found / not-found gate takes both (``Reader.gate``; fitted by ``qa_tools.gate``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..text.questions import answer_claim
from ..text.sentences import split_sentences
from .entail import Entailer
from .reader import Reading

CONTEXT = 600  # characters either side of the span searched for its sentence
FLOOR = 1e-4  # probabilities below this count as this (the gate takes their logarithm)


@dataclass(frozen=True)
class Verification:
    """The entailment model's verdict on a reading's claim against the sentence holding the span."""

    claim: str
    sentence: str
    entailment: float
    contradiction: float

    def features(self) -> tuple[float, float]:
        """(log P(entailment), log P(contradiction)), floored: the gate's inputs."""
        return math.log(max(self.entailment, FLOOR)), math.log(max(self.contradiction, FLOOR))


def holding_sentence(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that holds ``text[start:end]`` (the span itself when none does)."""
    lo, hi = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    for s in split_sentences(text, lo, hi):
        if s.start <= start < s.end:
            return text[s.start:max(s.end, end)]
    return text[start:end]


def verify(entailer: Entailer, question: str, reading: Reading, text: str) -> Verification:
    """Judge ``reading`` (a span of ``text``, its document's text) as the answer to ``question``."""
    claim = answer_claim(question, reading.text)
    sentence = holding_sentence(text, reading.start, reading.end)
    p = entailer.probabilities([(sentence, claim)])[0]
    return Verification(claim, sentence, float(p[0]), float(p[2]))
