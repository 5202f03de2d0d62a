"""Grounded answers: every claim is a verbatim quote from the documents, with an [n] citation.

``answer(index, question, history=None, mode="quotes")`` -> ``qa.Answer``.

- **quotes** (default, no language model, instant): the question (made stand-alone with the chat history,
  see ``qa.followup``) retrieves the top passages; their sentences are scored against it (``qa.quotes``);
  the best few become the answer, grouped per document ("According to <title>: ...") when more than one
  document answers. When even the best sentence scores below ``AnswerConfig.threshold`` the answer says so
  (``found=False``) and lists the closest passages as "related, but not an answer". When on-point quotes
  from two documents disagree (``qa.conflicts``), ``conflict=True`` and the disagreement is stated above the
  per-source quotes, both of which are cited.
- **written** (optional, local or OpenAI-compatible LLM, see ``qa.written``): a fluent answer written from
  the numbered quotes only, every sentence checked against the quote it cites.

``stream_answer`` yields ``Partial`` events (the text so far) and finally the ``Answer``.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .chunking import split_sentences
from .conflicts import Conflict, find_conflict
from .followup import entities, standalone_query
from .quotes import QUESTION_WORDS, Sentence, candidates, question_terms, score_sentences
from .retrieval import collapse, rank, rows_for_documents, to_hit
from .threads import question_threads
from .types import Answer, Citation, Hit
from .word_vectors import word_vectors

logger = logging.getLogger(__name__)

MODES = ("quotes", "written")
NOT_FOUND = "I could not find an answer to this in your documents."


# Answerability: a logistic model over the evidence (intercept, then: best sentence score, best sentence
# similarity, best lexical coverage, best neighbourhood coverage, best passage similarity), fitted on the
# SQuAD dev slice (answerable) against SciFact dev claims and SQuAD dev questions asked without their own
# article (not answerable). ``AnswerConfig.threshold`` is on its log-odds.
ANSWERABILITY = np.array([-11.154, 0.491, 5.518, 4.293, 3.411, 9.06])


@dataclass(frozen=True)
class AnswerConfig:
    """How answers are chosen. Sentence scores are log-odds that a sentence holds the answer (``qa.quotes``);
    the defaults were chosen on a dev slice of SQuAD v1.1 (``scripts/fit_answering.py``)."""

    threshold: float = -0.6  # answerability log-odds below this: found=False (dev: 96.8% of SQuAD questions
    # answered, 96.1% of off-topic SciFact claims abstained)
    coverage: float = 0.85  # add quotes (best first) until P(one of them holds the answer) reaches this
    max_chars: int = 420  # quoted characters, at most (a single longer best sentence is still quoted whole)
    max_quotes: int = 4
    min_probability: float = 0.02  # never quote a sentence less likely than this to hold the answer
    on_point: float = -4.0  # sentences scoring at least this may be compared for conflicts ...
    conflict_pool: int = 4  # ... the best this many of each document (three documents at most)
    embed_top: int = 12  # sentences embedded per question at most (the rest are ranked lexically) ...
    embed_first: int = 4  # ... in two passes: the lexically best few first; the rest only when the
    unsure_below: float = 1.0  # answerability after that first pass lies within [threshold - unsure_below,
    unsure_above: float = 2.0  # threshold + unsure_above] (dev: same abstentions as embedding 12 at once,
    # -0.2 points of gold-in-answer; the second pass runs for ~10% of questions)
    paraphrases: bool = True  # match question words no passage contains by close words ("hurt" ~ "wounded")
    related: int = 3  # closest passages listed when nothing answers
    depth: int | None = None  # retrieval candidates per retriever (default: the index's setting)


DEFAULT_CONFIG = AnswerConfig()


@dataclass(frozen=True)
class Partial:
    """A streaming event: ``delta`` is the new text, ``text`` the whole answer text so far."""

    text: str
    delta: str


@dataclass(frozen=True)
class Evidence:
    """What retrieval and sentence scoring found for one query."""

    query: str
    hits: list[Hit]
    sentences: list[Sentence]  # scored, best first
    query_vector: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.float32))

    @property
    def best(self) -> float:
        return self.sentences[0].score if self.sentences else float("-inf")

    @property
    def answerability(self) -> float:
        """Log-odds that the documents answer the query (see ``ANSWERABILITY``)."""
        if not self.sentences:
            return float("-inf")
        s = self.sentences
        x = np.array([s[0].score, max(v.dense for v in s), max(v.lexical for v in s), max(v.context for v in s),
                      max(v.passage_dense for v in s)])
        return float(ANSWERABILITY[0] + ANSWERABILITY[1:] @ x)

    def answered(self, config: AnswerConfig) -> bool:
        return bool(self.sentences) and self.answerability >= config.threshold


# ----------------------------------------------------------------------------------------- retrieval


def gather(index: Any, query: str, *, k: int = 5, doc_ids: Collection[str] | None = None,
           config: AnswerConfig = DEFAULT_CONFIG, query_vector: np.ndarray | None = None) -> Evidence:
    """Retrieve the top ``k`` passages for ``query`` and score their sentences."""
    if not query or not query.strip():
        raise ValueError("the question is empty")
    snap, embedder = index.snapshot, index.embedder
    retrieval = index.retrieval
    qv = embedder.encode_queries([query])[0] if query_vector is None else np.asarray(query_vector, np.float32)
    rows = rows_for_documents(snap, doc_ids)
    depth = max(config.depth or retrieval.depth, 3 * k)
    ranked = rank(snap, embedder, query, depth, retrieval, rows, query_vector=qv)
    hits = [to_hit(snap, s) for s in collapse(snap, ranked, k)]
    cands = candidates(snap, hits, question_terms(query), query, word_vectors(embedder) if config.paraphrases else None)
    first = min(config.embed_first, config.embed_top)
    ev = Evidence(query, hits, score_sentences(embedder, qv, cands, query, first), qv)
    if config.embed_top > first and len(cands) > first:
        a = ev.answerability
        if config.threshold - config.unsure_below <= a <= config.threshold + config.unsure_above:
            # unsure: embed more sentences (the first pass's vectors come from the cache)
            ev = Evidence(query, hits, score_sentences(embedder, qv, cands, query, config.embed_top), qv)
    return ev


# ----------------------------------------------------------------------------------------- selection


def _stopwords() -> frozenset[str]:
    from .sparse import _stopwords as bm25_stop

    return bm25_stop() | QUESTION_WORDS


def warm(index: Any, wait: bool = True) -> None:
    """Load what answering needs before the first question: the model, and the word-vector table (built in
    the background the first time on a machine, ~10 s; ``wait=False`` returns without waiting for it)."""
    index.embedder.encode_queries(["warm up"])
    table = word_vectors(index.embedder)
    if wait:
        table.wait()


def _entity_words(question: str) -> frozenset[str]:
    return frozenset(w.lower() for name in entities(question) for w in re.findall(r"\w+", name))


def detect_conflict(index: Any, query: str, sentences: Sequence[Sentence],
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
    found = find_conflict(query, [s.text for s in pool], [s.doc_id for s in pool], stop=_stopwords(),
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


def make_citations(index: Any, chosen: Sequence[Sentence]) -> list[Citation]:
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


def quotes_answer(index: Any, question: str, query: str, evidence: Evidence,
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


def written_available() -> bool:
    """Whether ``mode="written"`` can run here: an OpenAI-compatible server is configured
    (``QA_LLM_BASE_URL``) or the local model and xllamacpp are installed."""
    import os

    if os.environ.get("QA_LLM_BASE_URL"):
        return True
    from .llm import local_model_available

    return local_model_available()


def _options(kwargs: dict[str, Any]) -> tuple[AnswerConfig, dict[str, Any]]:
    config = kwargs.pop("config", None) or DEFAULT_CONFIG
    known = set(AnswerConfig.__dataclass_fields__)
    overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in known}
    if overrides:
        config = replace(config, **overrides)
    return config, kwargs


def answer(index: Any, question: str, history: Sequence[Any] | None = None, mode: str = "quotes", *,
           k: int = 5, doc_ids: Collection[str] | None = None, **kwargs: Any) -> Answer:
    """Answer ``question`` from the index with cited verbatim quotes (see the module docstring).

    Keyword options: ``config`` (an ``AnswerConfig``) or any of its fields; for ``mode="written"`` also
    ``llm`` (a ``qa.llm.ChatModel``), ``max_tokens`` and ``temperature``."""
    final: Answer | None = None
    for event in stream_answer(index, question, history, mode, k=k, doc_ids=doc_ids, **kwargs):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return final


def stream_answer(index: Any, question: str, history: Sequence[Any] | None = None, mode: str = "quotes", *,
                  k: int = 5, doc_ids: Collection[str] | None = None, **kwargs: Any) -> Iterator[Partial | Answer]:
    """Like ``answer`` but a generator: ``Partial`` events while the text grows, then the final ``Answer``.

    Quotes mode yields its text in one piece. Written mode yields the model's tokens as they come; the final
    ``Answer.text`` is the checked text (unsupported sentences removed), which may differ from the stream:
    a front-end should replace the streamed text with it."""
    if mode not in MODES:
        raise ValueError(f"unknown answer mode {mode!r}; choose one of {', '.join(MODES)}")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("the question is empty")
    config, rest = _options(dict(kwargs))
    query = standalone_query(question, history)
    if mode == "quotes":
        if rest:
            raise TypeError(f"unexpected options for quotes mode: {', '.join(sorted(rest))}")
        with question_threads():
            ans = quotes_answer(index, question, query, gather(index, query, k=k, doc_ids=doc_ids, config=config), config)
        yield Partial(ans.text, ans.text)
        yield ans
        return
    from .written import stream_written

    yield from stream_written(index, question, query, k=k, doc_ids=doc_ids, config=config, **rest)
