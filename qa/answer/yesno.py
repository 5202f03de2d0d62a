"""Yes/no questions: what each source says, by the entailment model.

The question becomes the claim it asks about (``qa.text.questions.to_claim``: "Was the mayor injured?" ->
"The mayor was injured."). Per document, its best few candidate sentences are judged against the claim: the
most probable sentence that entails it makes the document's verdict "yes", one that contradicts it "no";
otherwise the document does not address it. Two documents with opposite verdicts are a conflict, shown by
the two quotes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..text.questions import to_claim
from ..text.tokens import query_stopwords
from .candidates import Sentence
from .conflicts import find_conflict
from .entail import Entailer

YES, NO, NOT_ADDRESSED = "yes", "no", "not addressed"


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
    probs = entailer.probabilities([(s.text, claim) for s in pool]) if pool else None
    # thresholds chosen on the dev questions for precision (``qa_tools.entailment.fit_yesno``)
    te = entailer.calibration("yesno_entail_threshold", 0.99)
    tc = entailer.calibration("yesno_contradict_threshold", 0.99)
    out: list[Verdict] = []
    for doc_id in per_doc:
        rows = [(s, p) for s, p in zip(pool, probs if probs is not None else [], strict=True) if s.doc_id == doc_id]
        yes = max(rows, key=lambda r: r[1][0], default=None)
        no = max(rows, key=lambda r: r[1][2], default=None)
        v = Verdict(doc_id, NOT_ADDRESSED, None, 0.0)
        # each verdict rests on one sentence, which must lean that way itself (the model's contradictions are
        # noisy: another sentence's does not veto an entailment)
        if yes is not None and no is not None:
            e, c = float(yes[1][0]), float(no[1][2])
            if e >= te and e > float(yes[1][2]) and not (c >= tc and c > e):
                # a "yes" the conflict rules read as the opposite ("escaped unharmed" / "was reportedly
                # wounded") is a "no": dev per source 57.5% -> 58.8% (held out 57.0% -> 57.8%)
                opposed = _opposed(question, claim, yes[0].text)
                v = Verdict(doc_id, NO if opposed else YES, yes[0], float(yes[1][2]) if opposed else e)
            elif c >= tc and c > float(no[1][0]) and not e >= te:
                v = Verdict(doc_id, NO, no[0], c)
        out.append(v)
    return claim, out


def _opposed(question: str, claim: str, sentence: str) -> bool:
    """Whether the conflict rules (``qa.answer.conflicts``: antonyms, negation, avoided harm) find that
    ``sentence`` takes the opposite stance to ``claim`` on the point asked."""
    found = find_conflict(question, [claim, sentence], ["claim", "sentence"], stop=query_stopwords())
    return found is not None and found.kind == "polarity"
