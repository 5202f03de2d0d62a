"""What the reader reads of a passage: its best sentences, not the whole passage (issue 18: reader latency).

``focus(hit, sentences, budget)`` narrows a retrieved passage to the stretch around its best-scoring candidate
sentence (``qa.answer.scoring``), grown by whole neighbouring sentences, the better-scoring side first, while
it stays within ``budget`` word pieces. The result is a ``Hit`` whose ``text`` is still the verbatim
``document.text[start:end]``, so every span the reader finds in it keeps exact document offsets.
"""
from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import replace

from ..types import Hit
from .candidates import Sentence
from .reader.windows import encode_context

logger = logging.getLogger(__name__)


def focus(hit: Hit, sentences: Sequence[Sentence], budget: int) -> Hit:
    """``hit`` cut to its best sentence plus neighbours within ``budget`` word pieces (the best sentence is
    kept whole even when longer); ``hit`` itself when it fits the budget or none of ``sentences`` lies in it."""
    if budget <= 0:
        return hit
    _, offsets = encode_context(hit.text)
    if len(offsets) <= budget:
        return hit
    own = sorted((s for s in sentences if s.doc_id == hit.doc_id and hit.start <= s.start and s.end <= hit.end),
                 key=lambda s: s.start)
    if not own:
        return hit
    starts = [a for a, _ in offsets]

    def pieces(i: int, j: int) -> int:  # word pieces of sentences own[i..j] and what lies between them
        return (bisect.bisect_left(starts, own[j].end - hit.start)
                - bisect.bisect_left(starts, own[i].start - hit.start))

    i = j = max(range(len(own)), key=lambda n: own[n].score)
    while True:
        sides = [(own[n].score, a, b) for n, a, b in ((i - 1, i - 1, j), (j + 1, i, j + 1))
                 if 0 <= n < len(own) and pieces(a, b) <= budget]
        if not sides:
            break
        _, i, j = max(sides)
    a, b = own[i].start, own[j].end
    return replace(hit, text=hit.text[a - hit.start:b - hit.start], start=a, end=b)
