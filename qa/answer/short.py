"""Whether to show the reader's best span as the short answer: a logistic over what the reading offers.

The reader's margin alone (its best span score minus its no-answer score, above the calibrated threshold)
separates exact short answers from wrong ones with an AUC of 0.70 on the dev questions in the open corpus. What
else the answer path already knows separates them better (0.79): whether the second passage read gives the same
span, how long the span is (a long span is seldom the exact answer), whether the sentence holding it is the
best-scored sentence and how likely the sentence scorer finds it to hold the answer, and how sure the reader is
of the second passage. The weights and the threshold are fitted on the dev split only (``python -m
qa_tools.short``) and stored as the ``short`` entry of the reader's ``calibration.json``, checked against
``FEATURES`` on load.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .candidates import Sentence

FEATURES = ("margin", "second_agrees", "log_span_words", "holder_is_best", "holder_probability", "second_margin")
MARGIN_CLIP = (-6.0, 12.0)  # margins beyond these say nothing more (and keep one outlier from tilting the fit)


class Span(Protocol):
    """What is read of a reading (``qa.answer.reader.Reading``; a protocol, since the reader imports this module)."""

    @property
    def text(self) -> str: ...

    @property
    def margin(self) -> float: ...


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def features(readings: Sequence[Span], holder: Sentence | None, sentences: Sequence[Sentence]) -> list[float]:
    """``FEATURES`` of the best reading (``readings[0]``), whose span ``holder`` (one of ``sentences``, the
    scored candidates best first) holds."""
    lo, hi = MARGIN_CLIP
    best = readings[0]
    second = readings[1] if len(readings) > 1 else None
    agrees = second is not None and bool(_norm(best.text)) and _norm(second.text) == _norm(best.text)
    words = max(1, len(best.text.split()))
    return [min(max(best.margin, lo), hi),
            1.0 if agrees else 0.0,
            math.log(words),
            1.0 if holder is not None and sentences and holder is sentences[0] else 0.0,
            float(holder.probability) if holder is not None else 0.0,
            min(max(second.margin, lo), hi) if second is not None else lo]
