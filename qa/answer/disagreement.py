"""Do two sources disagree on the point asked? By the entailment model (``qa.answer.entail``), with the
number rule of ``qa.answer.conflicts`` kept for quantities and dates.

Two on-point sentences from different documents disagree when the model finds that each contradicts the
other (the mean of the two directions' contradiction probabilities at least the calibrated
``conflict_threshold``, fitted on the dev pairs of ``tests/data/conflict_pairs*.jsonl``), or, for a question
asking how many / when, when they answer it with different values for the same unit (the values the reader
reads as the answer, when it read).
"""
from __future__ import annotations

from collections.abc import Sequence

from .conflicts import Conflict, find_conflict
from .entail import Entailer


def model_conflict(entailer: Entailer, question: str, sentences: Sequence[str], doc_ids: Sequence[str], *,
                   stop: frozenset[str], answers: Sequence[Sequence[tuple[int, int]]] | None = None) -> Conflict | None:
    """The most contradictory pair of sentences from different documents, or None (``sentences`` best first)."""
    pairs = [(i, j) for i in range(len(sentences)) for j in range(i + 1, len(sentences)) if doc_ids[i] != doc_ids[j]]
    if not pairs:
        return None
    probs = entailer.probabilities([(sentences[i], sentences[j]) for i, j in pairs]
                                   + [(sentences[j], sentences[i]) for i, j in pairs])
    n = len(pairs)
    threshold = entailer.calibration("conflict_threshold", 0.5)
    best: tuple[float, int, int] | None = None
    for k, (i, j) in enumerate(pairs):
        score = float(probs[k, 2] + probs[n + k, 2]) / 2
        if score >= threshold and (best is None or score > best[0]):
            best = (score, i, j)
    if best is not None:
        return Conflict(best[1], best[2], "contradiction", f"contradiction probability {best[0]:.2f}")
    return find_conflict(question, sentences, doc_ids, stop=stop, polarity=False, answers=answers)
