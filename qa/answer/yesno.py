"""Yes/no questions: what each source says, by the entailment model.

The question becomes the claim it asks about (``qa.text.questions.to_claim``: "Was the mayor injured?" ->
"The mayor was injured.") and its opposite (``negated_claim``: "The mayor was not injured."). Per document,
its best few candidate sentences are judged against both (``contrast``): the sentence most for the claim makes
the document's verdict "yes", the one most for its opposite "no"; otherwise the document does not address it.
Two documents with opposite verdicts are a conflict, shown by the two quotes.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..text.numbers import WEEKDAYS, numbers_in, quantities
from ..text.frames import unasserted
from ..text.questions import negated_claim, to_claim
from ..text.tokens import query_stopwords
from .candidates import Sentence
from .conflicts import find_conflict
from .entail import Entailer

YES, NO, NOT_ADDRESSED = "yes", "no", "not addressed"
# A sentence giving another value than the claim's counts as a "no" when the model finds it on the point at least
# this much (1 - P(neutral)): dev per source 61.2% -> 65.0% at any value from 0.3 to 0.7 (62.5% at 0.9; with the
# previous entailment weights 57.5% -> 60.0%, the same plateau); weekdays counted as values too: 66.2%.
VALUE_ON_POINT = 0.5
# A "no" the model reads only through the claim's opposite (or contradicting the claim itself below this) stands as
# that source's verdict but does not make "the sources disagree" with another's "yes": a disagreement needs the
# model's own contradiction of the claim at this level (where the one-way "no" verdicts were 85% precise on the dev
# questions, 2026-11-30), or the rules (another value, the opposite stance). The labelled conflict pairs: the two-way
# "no" alone took precision on tests/data/conflict_pairs.jsonl from >= 0.9 to 0.83.
FIRM_NO = 0.8


@dataclass(frozen=True)
class Verdict:
    """One document's answer to a yes/no question, with the sentence that decides it (None: not addressed)."""

    doc_id: str
    verdict: str  # "yes" | "no" | "not addressed"
    sentence: Sentence | None
    probability: float  # the model's probability of that entailment / contradiction (of the claim, or the
    # contradiction / entailment of its opposite when that is stronger)
    firm: bool = True  # sure enough to make a disagreement with another source's opposite verdict (``FIRM_NO``)


def verdicts(entailer: Entailer, question: str, sentences: Sequence[Sentence], *, per_document: int = 4,
             documents: int = 3, on_point: float = -math.inf) -> tuple[str, list[Verdict]] | None:
    """(claim, one verdict per document) for a yes/no question; None when the question is not one.

    ``sentences`` are the scored candidates, best first; the best ``per_document`` of each of the first
    ``documents`` documents are judged, in one batch, those scoring at least ``on_point`` only (a document with
    none is "not addressed")."""
    claim = to_claim(question)
    if claim is None:
        return None
    per_doc = _judged(sentences, per_document, documents, on_point)
    pool = [s for group in per_doc.values() for s in group]
    opposite = negated_claim(question) or claim  # never None when ``to_claim`` gives a claim
    # each sentence against the claim and against its opposite, in one batch (``contrast``)
    both = entailer.probabilities([(s.text, claim) for s in pool] + [(s.text, opposite) for s in pool]) if pool \
        else np.zeros((0, 3))
    probs, against = both[:len(pool)], both[len(pool):]
    # threshold and margin chosen on the dev questions (``qa_tools.entailment.fit_yesno_contrast``)
    threshold = entailer.calibration("yesno_contrast_threshold", 0.99)
    margin = entailer.calibration("yesno_contrast_margin", 0.0)
    side = np.maximum(probs, against[:, ::-1])  # a verdict's probability: the stronger of its two readings
    stated = _values(claim, query_stopwords())  # the numbers, years and weekdays the claim states
    out: list[Verdict] = []
    for doc_id in per_doc:
        rows = [i for i, s in enumerate(pool) if s.doc_id == doc_id]
        label, k = contrast(probs[rows], against[rows], threshold, margin)
        # a "yes" the conflict rules read as the opposite ("escaped unharmed" / "was reportedly
        # wounded") is a "no": dev per source 57.5% -> 58.8% (held out 57.0% -> 57.8%)
        opposed = label == YES and _opposed(question, claim, pool[rows[k]].text)
        if label == YES and not opposed and unasserted(pool[rows[k]].text, claim):
            # "the purpose of which was to kill X" does not say that X was killed (``qa.text.frames``; figures in
            # the model card of qa/models/nli, 2026-12-02): decided again without the framed sentences' "yes"
            framed = [unasserted(pool[i].text, claim) for i in rows]
            asserted, denied = probs[rows].copy(), against[rows].copy()
            asserted[framed, 0] = denied[framed, 2] = 0.0  # nor does it deny "X was not killed"
            label, k = contrast(asserted, denied, threshold, margin)
            opposed = label == YES and _opposed(question, claim, pool[rows[k]].text)
        v = Verdict(doc_id, NOT_ADDRESSED, None, 0.0)
        if label == YES:
            v = Verdict(doc_id, NO if opposed else YES, pool[rows[k]], float(side[rows[k], 2 if opposed else 0]))
        elif label == NO:
            v = Verdict(doc_id, NO, pool[rows[k]], float(side[rows[k], 2]), firm=bool(probs[rows[k], 2] >= FIRM_NO))
        if v.verdict != NO and (said := _other_value(stated, [pool[i] for i in rows], probs[rows])) is not None:
            v = Verdict(doc_id, NO, pool[rows[said]], float(1 - probs[rows[said], 1]))
        out.append(v)
    return claim, out


def _judged(sentences: Sequence[Sentence], per_document: int, documents: int, on_point: float
            ) -> dict[str, list[Sentence]]:
    """The sentences to judge, per document: the best ``per_document`` scoring at least ``on_point`` of each of the
    first ``documents`` documents that have such sentences."""
    per_doc: dict[str, list[Sentence]] = {}
    for s in sentences:
        if s.score < on_point:
            continue
        group = per_doc.get(s.doc_id)
        if group is None and len(per_doc) < documents:
            per_doc[s.doc_id] = group = []
        if group is not None and len(group) < per_document:
            group.append(s)
    return per_doc


def contrast(probs: np.ndarray, against: np.ndarray, threshold: float, margin: float) -> tuple[str, int]:
    """One document's verdict from its sentences' probabilities against the claim (``probs`` [n, 3]: entailment,
    neutral, contradiction) and against its opposite (``against``: "X was not injured"): a sentence is for "yes" by
    the mean of P(it entails the claim) and P(it contradicts the opposite), for "no" by the mean of the other two.
    The strongest side wins when it reaches ``threshold`` and leads the other by more than ``margin``. Asking both
    ways steadies the model, which reads "escaped without injury" against "was injured" as barely contradicting
    (P 0.5) but against "was not injured" as entailing."""
    if not len(probs):
        return NOT_ADDRESSED, -1
    yes, no = (probs[:, 0] + against[:, 2]) / 2, (probs[:, 2] + against[:, 0]) / 2
    y, n = int(yes.argmax()), int(no.argmax())
    if yes[y] >= threshold and yes[y] > no[n] + margin:
        return YES, y
    if no[n] >= threshold and no[n] > yes[y] + margin:
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
