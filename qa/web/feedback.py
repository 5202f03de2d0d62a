"""Feedback from the chat: ratings, and evaluation cases that can be replayed against the index.

A thumbs-down with the right passage picked becomes an :class:`EvalCase`, one JSON object per line in a
cases file (``feedback/cases.jsonl`` by default). ``python -m qa eval cases <file>`` replays them with
``qa_tools.replay``: for each case, is the right passage now retrieved (among the top ``k``) and cited?
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..types import Answer, Citation, Hit

logger = logging.getLogger(__name__)

CASES_FILE = "cases.jsonl"
RATINGS_FILE = "ratings.jsonl"
CASE_VERSION = 1
_LOCK = threading.Lock()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Span:
    """A passage of a document: ``document_text[start:end] == text`` when it was saved."""

    doc_id: str
    start: int
    end: int
    text: str = ""
    title: str = ""

    @classmethod
    def of(cls, item: Hit | Citation) -> "Span":
        text = item.text if isinstance(item, Hit) else item.quote
        return cls(item.doc_id, item.start, item.end, text, item.title)

    def overlaps(self, doc_id: str, start: int, end: int) -> bool:
        return doc_id == self.doc_id and start < self.end and self.start < end


@dataclass(frozen=True)
class EvalCase:
    """A question, the conversation before it, and the passage that should answer it."""

    question: str
    expected: Span
    history: list[dict[str, str]] = field(default_factory=list)
    query: str = ""  # the stand-alone question that was searched
    cited: list[Span] = field(default_factory=list)  # what the answer cited when it was judged wrong
    mode: str = "quotes"
    k: int = 5
    doc_ids: list[str] | None = None
    comment: str = ""
    created: str = ""
    version: int = CASE_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EvalCase":
        if not isinstance(data, dict) or "question" not in data or "expected" not in data:
            raise ValueError("an evaluation case needs 'question' and 'expected'")
        span_keys = {"doc_id", "start", "end", "text", "title"}

        def span(d: dict[str, Any]) -> Span:
            return Span(**{k: v for k, v in d.items() if k in span_keys})

        return cls(
            question=str(data["question"]), expected=span(data["expected"]),
            history=list(data.get("history") or []), query=str(data.get("query") or ""),
            cited=[span(c) for c in data.get("cited") or []], mode=str(data.get("mode") or "quotes"),
            k=int(data.get("k") or 5), doc_ids=data.get("doc_ids"), comment=str(data.get("comment") or ""),
            created=str(data.get("created") or ""), version=int(data.get("version") or CASE_VERSION),
        )


def make_case(question: str, answer: Answer, expected: Hit | Citation | Span, *,
              history: Sequence[dict[str, str]] = (), k: int = 5, doc_ids: Collection[str] | None = None,
              comment: str = "") -> EvalCase:
    """An evaluation case from a judged answer and the passage that should have been cited."""
    span = expected if isinstance(expected, Span) else Span.of(expected)
    return EvalCase(
        question=question, expected=span, history=[dict(m) for m in history], query=answer.query or question,
        cited=[Span.of(c) for c in answer.citations], mode=answer.mode, k=k,
        doc_ids=sorted(doc_ids) if doc_ids else None, comment=comment, created=_now(),
    )


def _append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _LOCK, open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def save_case(path: str | Path, case: EvalCase) -> None:
    """Append ``case`` to a JSONL cases file (created with its folder if missing)."""
    _append(Path(path), case.to_json())
    logger.info("saved evaluation case to %s: %s", path, case.question)


def save_rating(path: str | Path, question: str, answer: Answer, liked: bool, comment: str = "") -> None:
    """Append a thumbs up/down on an answer to a JSONL ratings file."""
    _append(Path(path), {
        "rating": "up" if liked else "down", "question": question, "query": answer.query, "found": answer.found,
        "answer": answer.text, "cited": [asdict(Span.of(c)) for c in answer.citations], "comment": comment,
        "created": _now(),
    })


def load_cases(path: str | Path) -> list[EvalCase]:
    """Read a cases file; a malformed line raises ValueError naming the line."""
    cases = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                cases.append(EvalCase.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError) as e:
                raise ValueError(f"{path}, line {i}: not an evaluation case ({e})") from None
    return cases
