"""The records that flow through qa: frozen dataclasses, JSON-friendly, no behaviour beyond small helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One source document. ``id`` is stable (given by the caller, or derived from the file path)."""

    id: str
    title: str
    text: str
    source: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Passage:
    """A span of a document: ``document.text[start:end] == text``."""

    id: str
    doc_id: str
    start: int
    end: int
    text: str
    page: int | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved passage. ``text`` is verbatim ``document_text[start:end]``; ``score`` is the fused score."""

    text: str
    score: float
    doc_id: str
    title: str
    source: str | None
    start: int
    end: int
    passage_id: str = ""
    page: int | None = None
    dense_score: float | None = None
    sparse_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A verbatim quote backing a claim: ``document_text[start:end] == quote``. ``context`` is the quote's
    surrounding sentence(s) (``document_text[context_start:context_start + len(context)]``) for display."""

    n: int
    quote: str
    doc_id: str
    title: str
    source: str | None
    start: int
    end: int
    score: float = 0.0
    page: int | None = None
    context: str = ""
    context_start: int = 0

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class ShortAnswer:
    """The short answer the reader found: ``document_text[start:end] == text``; ``citation`` is the [n] of the
    quoted sentence that holds it; ``probability`` the reader's calibrated probability that it answers."""

    text: str
    doc_id: str
    start: int
    end: int
    probability: float
    citation: int


@dataclass(frozen=True)
class SourceVerdict:
    """What one document says to a yes/no question: ``verdict`` is "yes", "no" or "not addressed";
    ``citation`` is the [n] of the quote that decides it (None when not addressed)."""

    doc_id: str
    title: str
    verdict: str
    citation: int | None = None


@dataclass(frozen=True)
class Answer:
    """An answer whose every claim carries [n] markers pointing into ``citations``.

    ``found`` is False when the documents do not answer the question (then ``related`` holds the closest
    passages, "related, but not an answer"). ``conflict`` is True when cited sources disagree on the point.
    ``query`` is the stand-alone question actually searched (follow-ups are rewritten with the history).
    ``answer`` is the short answer read from the best passage, when the reader is confident of one (it is
    omitted, never forced, for questions a span cannot answer: yes/no, why, several sentences). ``verdicts``
    says per source "yes" / "no" / "not addressed" for a yes/no question, each with its quote."""

    question: str
    text: str
    found: bool
    citations: tuple[Citation, ...] = ()
    conflict: bool = False
    related: tuple[Hit, ...] = ()
    mode: str = "quotes"
    query: str = ""
    notes: tuple[str, ...] = ()
    answer: ShortAnswer | None = None
    verdicts: tuple[SourceVerdict, ...] = ()  # per source, for yes/no questions (the entailment model)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)
