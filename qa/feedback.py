"""Feedback from the chat: ratings, and evaluation cases that can be replayed against the index.

A thumbs-down with the right passage picked becomes an :class:`EvalCase`, one JSON object per line in a
cases file (``feedback/cases.jsonl`` by default). ``python -m qa eval cases <file>`` replays them with
:func:`replay`: for each case, is the right passage now retrieved (among the top ``k``) and cited?
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .types import Answer, Citation, Hit

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


# ------------------------------------------------------------------------------------------ replay


@dataclass
class CaseResult:
    question: str
    expected: Span
    status: str  # "ok", "missing" (the document is no longer indexed), "error"
    retrieved_rank: int | None = None  # 1-based rank of the first retrieved passage overlapping the expected one
    cited: bool | None = None  # None when answers were not checked
    detail: str = ""


@dataclass
class ReplayReport:
    k: int
    results: list[CaseResult] = field(default_factory=list)
    answers_checked: bool = True

    @property
    def evaluated(self) -> list[CaseResult]:
        return [r for r in self.results if r.status == "ok"]

    @property
    def retrieved_rate(self) -> float:
        ev = self.evaluated
        return sum(r.retrieved_rank is not None for r in ev) / len(ev) if ev else 0.0

    @property
    def cited_rate(self) -> float | None:
        ev = [r for r in self.evaluated if r.cited is not None]
        return sum(bool(r.cited) for r in ev) / len(ev) if ev else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k, "cases": len(self.results), "evaluated": len(self.evaluated),
            "retrieved": sum(r.retrieved_rank is not None for r in self.evaluated),
            "retrieved_rate": self.retrieved_rate, "cited_rate": self.cited_rate,
            "results": [asdict(r) for r in self.results],
        }


def _anchor(index: Any, span: Span) -> Span | None:
    """The expected span in the document as indexed now (re-found by its text if the document changed);
    None when the document is gone."""
    try:
        doc = index.document(span.doc_id)
    except KeyError:
        return None
    if not span.text or doc.text[span.start : span.end] == span.text:
        return span
    pos = doc.text.find(span.text)
    if pos < 0:
        return span  # the passage itself changed; judge by the old offsets
    return Span(span.doc_id, pos, pos + len(span.text), span.text, span.title)


def _valid_doc_ids(index: Any, doc_ids: Iterable[str] | None) -> list[str] | None:
    if not doc_ids:
        return None
    known = {sd.document.id for sd in index.documents()}
    kept = [d for d in doc_ids if d in known]
    return kept or None


def replay_case(index: Any, case: EvalCase, k: int | None = None, check_answers: bool = True) -> CaseResult:
    """Replay one case against ``index``: rank of the expected passage in a search, and whether ``ask``
    cites it."""
    k = k or case.k
    expected = _anchor(index, case.expected)
    if expected is None:
        return CaseResult(case.question, case.expected, "missing", detail=f"{case.expected.doc_id} is not indexed")
    doc_ids = _valid_doc_ids(index, case.doc_ids)
    try:
        hits = index.search(case.query or case.question, k, doc_ids=doc_ids)
        rank = next((i for i, h in enumerate(hits, 1) if expected.overlaps(h.doc_id, h.start, h.end)), None)
        cited = None
        if check_answers:
            answer = index.ask(case.question, history=case.history or None, mode=case.mode, k=k, doc_ids=doc_ids)
            cited = any(expected.overlaps(c.doc_id, c.start, c.end) for c in answer.citations)
    except Exception as e:  # one broken case must not stop the replay
        logger.warning("case %r failed: %s", case.question, e)
        return CaseResult(case.question, expected, "error", detail=f"{type(e).__name__}: {e}")
    return CaseResult(case.question, expected, "ok", rank, cited)


def replay(index: Any, cases: Sequence[EvalCase], k: int | None = None, check_answers: bool = True) -> ReplayReport:
    """Replay every case; ``k`` overrides each case's own number of passages."""
    report = ReplayReport(k=k or (cases[0].k if cases else 5), answers_checked=check_answers)
    for case in cases:
        report.results.append(replay_case(index, case, k, check_answers))
    return report


def format_report(report: ReplayReport) -> str:
    lines = []
    for r in report.results:
        if r.status != "ok":
            lines.append(f"  {r.status:8} {r.question}  ({r.detail})")
            continue
        got = f"rank {r.retrieved_rank}" if r.retrieved_rank else f"not in top {report.k}"
        cite = "" if r.cited is None else ("  cited" if r.cited else "  not cited")
        lines.append(f"  {'ok' if r.retrieved_rank and r.cited is not False else 'miss':8} {r.question}  "
                     f"[{got}{cite}]")
    ev = report.evaluated
    n_ret = sum(r.retrieved_rank is not None for r in ev)
    summary = [f"{len(report.results)} cases, {len(ev)} evaluated",
               f"right passage retrieved (top {report.k}): {n_ret}/{len(ev)} ({report.retrieved_rate:.0%})"]
    if report.cited_rate is not None:
        n_cited = sum(bool(r.cited) for r in ev if r.cited is not None)
        summary.append(f"right passage cited: {n_cited}/{len(ev)} ({report.cited_rate:.0%})")
    return "\n".join(lines + summary)
