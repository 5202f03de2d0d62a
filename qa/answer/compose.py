"""Quotes-mode answers: choose the quotes, cite them, and write the answer text around them.

The best sentence, then the next best until the chance that one of them holds the answer reaches
``AnswerConfig.coverage``; when on-point quotes from two documents disagree (``qa.answer.conflicts``) both
are kept and the disagreement is stated first. Citations are verbatim slices of the documents, grouped per
document ("According to <title>: ...") with the neighbouring sentences as context.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np

from ..embed.words import word_vectors
from ..text.sentences import split_sentences
from ..text.tokens import query_stopwords
from ..types import Answer, Citation, Hit
from .candidates import Sentence
from .config import DEFAULT_CONFIG, NOT_FOUND, AnswerConfig, IndexView
from .conflicts import Conflict, find_conflict
from .evidence import Evidence
from .followup import entities

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------- selection


def _entity_words(question: str) -> frozenset[str]:
    return frozenset(w.lower() for name in entities(question) for w in re.findall(r"\w+", name))


def detect_conflict(index: IndexView, query: str, sentences: Sequence[Sentence],
                    config: AnswerConfig = DEFAULT_CONFIG) -> tuple[Conflict, Sentence, Sentence] | None:
    """A disagreement between on-point sentences of two different documents, with the two sentences."""
    per_doc: dict[str, list[Sentence]] = {}
    for s in sentences:
        fits = len(per_doc.get(s.doc_id, ())) < config.conflict_pool and (s.doc_id in per_doc or len(per_doc) < 3)
        if s.score >= config.on_point and fits:
            per_doc.setdefault(s.doc_id, []).append(s)
    if len(per_doc) < 2:
        return None
    pool = sorted((s for group in per_doc.values() for s in group), key=lambda s: -s.score)
    found = find_conflict(query, [s.text for s in pool], [s.doc_id for s in pool], stop=query_stopwords(),
                          word_vectors=word_vectors(index.embedder), entity_words=_entity_words(query))
    if found is None:
        return None
    logger.debug("conflict (%s): %s", found.kind, found.reason)
    return found, pool[found.a], pool[found.b]


def select(sentences: Sequence[Sentence], config: AnswerConfig = DEFAULT_CONFIG,
           must: Sequence[Sentence] = ()) -> list[Sentence]:
    """The quotes to show: the best sentence, then the next best ones (that fit the character budget) until
    the chance that one of them holds the answer reaches ``config.coverage``; plus any ``must`` sentences
    (the two sides of a conflict)."""
    if not sentences:
        return []
    best = sentences[0]
    chosen = [best, *[m for m in must if m != best]]
    chars = sum(len(s.text) for s in chosen)
    miss = float(np.prod([1.0 - s.probability for s in chosen]))
    for s in sentences[1:]:
        if len(chosen) >= config.max_quotes or 1.0 - miss >= config.coverage:
            break
        if s.probability < config.min_probability:
            break
        if s not in chosen and chars + len(s.text) <= config.max_chars:
            chosen.append(s)
            chars += len(s.text)
            miss *= 1.0 - s.probability
    return chosen


# ----------------------------------------------------------------------------------------- composing


def _context(text: str, start: int, end: int) -> tuple[str, int]:
    """The quote with the sentence before and after it (an exact slice of ``text``)."""
    lo, hi = max(0, start - 500), min(len(text), end + 500)
    spans = split_sentences(text, lo, hi)
    before = [s for s in spans if s.end <= start and (s.start > lo or lo == 0)]
    after = [s for s in spans if s.start >= end and (s.end < hi or hi == len(text))]
    c0 = before[-1].start if before else start
    c1 = after[0].end if after else end
    return text[c0:c1], c0


def make_citations(index: IndexView, chosen: Sequence[Sentence]) -> list[Citation]:
    """Citations for the chosen sentences: grouped by document (best document first), in reading order
    within a document, adjacent sentences merged, numbered from 1."""
    by_doc: dict[str, list[Sentence]] = {}
    for s in chosen:
        by_doc.setdefault(s.doc_id, []).append(s)
    order = sorted(by_doc, key=lambda d: -max(s.score for s in by_doc[d]))
    citations: list[Citation] = []
    for doc_id in order:
        text = index.snapshot.documents[doc_id].document.text
        quotes: list[list[Sentence]] = []
        for s in sorted(by_doc[doc_id], key=lambda s: s.start):
            if quotes and not text[quotes[-1][-1].end : s.start].strip():
                quotes[-1].append(s)
            else:
                quotes.append([s])
        for group in quotes:
            first, last = group[0], group[-1]
            ctx, ctx_start = _context(text, first.start, last.end)
            citations.append(Citation(
                n=len(citations) + 1, quote=text[first.start : last.end], doc_id=doc_id, title=first.title,
                source=first.source, start=first.start, end=last.end, score=max(s.score for s in group),
                page=first.page, context=ctx, context_start=ctx_start,
            ))
    return citations


def _title(c: Citation) -> str:
    return c.title or c.doc_id


def compose(citations: Sequence[Citation], conflict: Conflict | None = None,
            conflict_ns: tuple[int, int] | None = None) -> str:
    """Markdown: an optional disagreement line, then per document "According to <title>: “quote” [n] ..."."""
    lines: list[str] = []
    if conflict is not None and conflict_ns:
        a, b = conflict_ns
        lines.append(f"**The sources disagree on this:** compare [{a}] ({_title(citations[a - 1])}) with "
                     f"[{b}] ({_title(citations[b - 1])}).")
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.doc_id, []).append(c)
    for cs in groups.values():
        quotes = " ".join(f"“{_inline(c.quote)}” [{c.n}]" for c in cs)
        lines.append(f"According to *{_inline(_title(cs[0]))}*: {quotes}")
    return "\n\n".join(lines)


def _inline(text: str) -> str:
    """One line of markdown-safe text (quotes are verbatim; only whitespace is collapsed for display)."""
    return re.sub(r"\s+", " ", text).strip()


def not_found_text(related: Sequence[Hit]) -> str:
    lines = [NOT_FOUND]
    if related:
        lines.append("Related, but not an answer:")
        for h in related:
            snippet = _inline(h.text)
            snippet = snippet if len(snippet) <= 200 else snippet[:200].rsplit(" ", 1)[0] + " …"
            lines.append(f"- *{_inline(h.title or h.doc_id)}*: {snippet}")
    return "\n\n".join(lines[:2]) + ("\n" + "\n".join(lines[2:]) if len(lines) > 2 else "")


# ----------------------------------------------------------------------------------------- answers


def quotes_answer(index: IndexView, question: str, query: str, evidence: Evidence,
                  config: AnswerConfig = DEFAULT_CONFIG) -> Answer:
    """The quotes-mode answer from gathered evidence."""
    if not evidence.answered(config):
        related = tuple(evidence.hits[: config.related])
        return Answer(question, not_found_text(related), False, related=related, mode="quotes", query=query)
    found = detect_conflict(index, query, evidence.sentences, config)
    must = [found[1], found[2]] if found else []
    chosen = select(evidence.sentences, config, must)
    citations = make_citations(index, chosen)
    conflict_ns = None
    if found:
        conflict_ns = (_citation_of(citations, found[1]), _citation_of(citations, found[2]))
    text = compose(citations, found[0] if found else None, conflict_ns)
    return Answer(question, text, True, tuple(citations), conflict=found is not None, mode="quotes", query=query)


def _citation_of(citations: Sequence[Citation], s: Sentence) -> int:
    for c in citations:
        if c.doc_id == s.doc_id and c.start <= s.start and s.end <= c.end:
            return c.n
    raise AssertionError("a conflicting sentence was not cited")  # select() always keeps them
