"""Replay evaluation cases saved from the chat (``qa.web.feedback``): for each case, is the right passage
now retrieved (among the top ``k``) and cited?"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from qa.index import Index
from qa.web.feedback import EvalCase, Span, load_cases

logger = logging.getLogger(__name__)


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


def _anchor(index: Index, span: Span) -> Span | None:
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


def _valid_doc_ids(index: Index, doc_ids: Iterable[str] | None) -> list[str] | None:
    if not doc_ids:
        return None
    known = {sd.document.id for sd in index.documents()}
    kept = [d for d in doc_ids if d in known]
    return kept or None


def replay_case(index: Index, case: EvalCase, k: int | None = None, check_answers: bool = True) -> CaseResult:
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


def replay(index: Index, cases: Sequence[EvalCase], k: int | None = None, check_answers: bool = True) -> ReplayReport:
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


__all__ = ["CaseResult", "ReplayReport", "format_report", "load_cases", "replay", "replay_case"]
