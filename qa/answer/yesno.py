"""Yes/no questions: what each source says, by the entailment model.

The question becomes the claim it asks about (``qa.text.questions.to_claim``: "Was the mayor injured?" ->
"The mayor was injured."). Per document, its best few candidate sentences are judged against the claim: the
most probable sentence that entails it makes the document's verdict "yes", one that contradicts it "no";
otherwise the document does not address it. Two documents with opposite verdicts are a conflict, shown by
the two quotes.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..text.numbers import WEEKDAYS, numbers_in, quantities
from ..text.frames import unasserted
from ..text.questions import to_claim
from ..text.tokens import query_stopwords
from .candidates import Sentence
from .conflicts import find_conflict
from .entail import Entailer

YES, NO, NOT_ADDRESSED = "yes", "no", "not addressed"
# A sentence giving another value than the claim's counts as a "no" when the model finds it on the point at least
# this much (1 - P(neutral)): dev per source 61.2% -> 65.0% at any value from 0.3 to 0.7 (62.5% at 0.9; with the
# previous entailment weights 57.5% -> 60.0%, the same plateau); weekdays counted as values too: 66.2%.
VALUE_ON_POINT = 0.5


@dataclass(frozen=True)
class Verdict:
    """One document's answer to a yes/no question, with the sentence that decides it (None: not addressed)."""

    doc_id: str
    verdict: str  # "yes" | "no" | "not addressed"
    sentence: Sentence | None
    probability: float  # the model's probability of that entailment / contradiction


def verdicts(entailer: Entailer, question: str, sentences: Sequence[Sentence], *, per_document: int = 4,
             documents: int = 3) -> tuple[str, list[Verdict]] | None:
    """(claim, one verdict per document) for a yes/no question; None when the question is not one.

    ``sentences`` are the scored candidates, best first; the best ``per_document`` of each of the first
    ``documents`` documents are judged, in one batch."""
    claim = to_claim(question)
    if claim is None:
        return None
    per_doc: dict[str, list[Sentence]] = {}
    for s in sentences:
        group = per_doc.get(s.doc_id)
        if group is None and len(per_doc) < documents:
            per_doc[s.doc_id] = group = []
        if group is not None and len(group) < per_document:
            group.append(s)
    pool = [s for group in per_doc.values() for s in group]
    probs = entailer.probabilities([(s.text, claim) for s in pool]) if pool else np.zeros((0, 3))
    # thresholds chosen on the dev questions (``qa_tools.entailment.fit_yesno``)
    te = entailer.calibration("yesno_entail_threshold", 0.99)
    tc = entailer.calibration("yesno_contradict_threshold", 0.99)
    stated = _values(claim, query_stopwords())  # the numbers, years and weekdays the claim states
    out: list[Verdict] = []
    for doc_id in per_doc:
        rows = [i for i, s in enumerate(pool) if s.doc_id == doc_id]
        label, k = decide(probs[rows], te, tc)
        # a "yes" the conflict rules read as the opposite ("escaped unharmed" / "was reportedly
        # wounded") is a "no": dev per source 57.5% -> 58.8% (held out 57.0% -> 57.8%)
        opposed = label == YES and _opposed(question, claim, pool[rows[k]].text)
        if label == YES and not opposed and unasserted(pool[rows[k]].text, claim):
            # "the purpose of which was to kill X" does not say that X was killed (``qa.text.frames``; figures in
            # the model card of qa/models/nli, 2026-12-02): decided again without the framed sentences' "yes"
            asserted = probs[rows].copy()
            asserted[[unasserted(pool[i].text, claim) for i in rows], 0] = 0.0
            label, k = decide(asserted, te, tc)
            opposed = label == YES and _opposed(question, claim, pool[rows[k]].text)
        v = Verdict(doc_id, NOT_ADDRESSED, None, 0.0)
        if label == YES:
            v = Verdict(doc_id, NO if opposed else YES, pool[rows[k]], float(probs[rows[k], 2 if opposed else 0]))
        elif label == NO:
            v = Verdict(doc_id, NO, pool[rows[k]], float(probs[rows[k], 2]))
        if v.verdict != NO and (said := _other_value(stated, [pool[i] for i in rows], probs[rows])) is not None:
            v = Verdict(doc_id, NO, pool[rows[said]], float(1 - probs[rows[said], 1]))
        out.append(v)
    return claim, out


def decide(probs: np.ndarray, entail_threshold: float, contradict_threshold: float) -> tuple[str, int]:
    """One document's verdict from its sentences' probabilities ``[n, 3]`` (entailment, neutral,
    contradiction) against the claim: (yes / no / not addressed, the row of the deciding sentence, -1 if none).

    Each verdict rests on one sentence, which must lean that way itself (the model's contradictions are noisy:
    another sentence's does not veto an entailment above the threshold unless it is stronger)."""
    if not len(probs):
        return NOT_ADDRESSED, -1
    y, n = int(probs[:, 0].argmax()), int(probs[:, 2].argmax())
    e, c = float(probs[y, 0]), float(probs[n, 2])
    if e >= entail_threshold and e > probs[y, 2] and not (c >= contradict_threshold and c > e):
        return YES, y
    if c >= contradict_threshold and c > probs[n, 0] and e < entail_threshold:
        return NO, n
    return NOT_ADDRESSED, -1


_WEEKDAYS = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b")


def _values(text: str, stop: frozenset[str]) -> dict[str, set[float]]:
    """What ``text`` states by unit (``qa.text.numbers.quantities``), with the weekdays it names as "weekday"."""
    out = quantities(text, stop)
    days = {float(WEEKDAYS.index(m.group(1))) for m in _WEEKDAYS.finditer(text)}
    if days:
        out["weekday"] = days
    return out


def _other_value(stated: dict[str, set[float]], sentences: Sequence[Sentence], probs: np.ndarray) -> int | None:
    """The row of the sentence that gives another value for a quantity, year or weekday the claim states
    (``stated``, by ``_values``: "three people" against "four people", "in 2011" against "in 2009", "on Wednesday"
    against "on Tuesday"), and is on the point (``VALUE_ON_POINT``), the most on the point first; None when none
    does, or when any of the sentences states one of the claim's values.

    The model reads "Three people were taken to hospital." as entailing "Four people were taken to hospital."
    (0.91): a value that differs for the same unit is the contradiction that the conflict rules already use
    (``qa.text.numbers.quantities``)."""
    if not stated:
        return None
    stop = query_stopwords()
    numbers = {v for u, vs in stated.items() if u != "weekday" for v in vs}
    given = [_values(s.text, stop) for s in sentences]
    if any(numbers & numbers_in(s.text) or stated.get("weekday", set()) & g.get("weekday", set())
           for s, g in zip(sentences, given, strict=True)):
        return None  # the document states the claim's value somewhere
    best, row = VALUE_ON_POINT, None
    for i, g in enumerate(given):
        shared = [u for u in stated if u in g]
        if shared and all(not (stated[u] & g[u]) for u in shared) and (p := 1 - float(probs[i, 1])) >= best:
            best, row = p, i
    return row


def _opposed(question: str, claim: str, sentence: str) -> bool:
    """Whether the conflict rules (``qa.answer.conflicts``: antonyms, negation, avoided harm) find that
    ``sentence`` takes the opposite stance to ``claim`` on the point asked."""
    found = find_conflict(question, [claim, sentence], ["claim", "sentence"], stop=query_stopwords())
    return found is not None and found.kind == "polarity"
