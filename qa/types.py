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
