"""Broad answers as text: short lists of points, each a verbatim quote with its [n], grouped per document.

Citations are made by ``qa.answer.compose.make_citations`` (verbatim offsets, the quote's context, adjacent
sentences merged), one document at a time so that the documents keep the order the answer chose, and
renumbered from 1.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ...types import Answer, Citation
from ..candidates import Sentence
from ..compose import in_quotes, inline, make_citations
from ..config import NOT_FOUND, IndexView


def title_of(index: IndexView, doc_id: str) -> str:
    stored = index.snapshot.documents.get(doc_id)
    return inline((stored.document.title if stored is not None else "") or doc_id)


def cite(index: IndexView, groups: Sequence[Sequence[Sentence]]) -> list[list[Citation]]:
    """Citations per group (a group: one document's sentences), one per sentence (each point keeps its own
    [n]; ``make_citations`` would merge neighbours), in reading order, numbered on from 1 across the groups."""
    out: list[list[Citation]] = []
    n = 0
    for group in groups:
        cs = [c for s in sorted(group, key=lambda s: s.start) for c in make_citations(index, [s])]
        if cs:
            out.append([replace(c, n=n + i + 1) for i, c in enumerate(cs)])
            n += len(cs)
    return out


def citation_of(citations: Sequence[Citation], s: Sentence) -> int | None:
    for c in citations:
        if c.doc_id == s.doc_id and c.start <= s.start and s.end <= c.end:
            return c.n
    return None


def shown_quote(text: str) -> str:
    """A verbatim quote on one line, in quotation marks (``compose.in_quotes``)."""
    return in_quotes(text, inline(text))


def quoted(c: Citation) -> str:
    return f"{shown_quote(c.quote)} [{c.n}]"


def points(index: IndexView, grouped: Sequence[Sequence[Citation]], heading: str = "") -> str:
    """Markdown: an optional heading, then per document its title and a list of its quotes."""
    lines = [heading] if heading else []
    for cs in grouped:
        block = [f"*{title_of(index, cs[0].doc_id)}*:"] + [f"- {quoted(c)}" for c in cs]
        lines.append("\n".join(block))
    return "\n\n".join(lines)


def answer_of(question: str, query: str, text: str, citations: Sequence[Citation], *, notes: Sequence[str] = (),
              conflict: bool = False) -> Answer:
    return Answer(question, text, True, tuple(citations), conflict=conflict, mode="quotes", query=query,
                  notes=tuple(notes))


def not_found(question: str, query: str, why: str = "", notes: Sequence[str] = ()) -> Answer:
    text = NOT_FOUND if not why else f"{NOT_FOUND} {why}"
    return Answer(question, text, False, mode="quotes", query=query, notes=tuple(notes))


def flatten(grouped: Sequence[Sequence[Citation]]) -> list[Citation]:
    return [c for cs in grouped for c in cs]
