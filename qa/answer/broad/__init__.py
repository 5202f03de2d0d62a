"""Broad questions, answered from whole documents without a language model: summaries and key points, who is /
what is / what happened, comparisons of sources, lists of what is mentioned. Every point is a verbatim quote
with its [n].

``broad_answer(index, question, query, config, doc_ids)`` -> an ``Answer``, or None when the question is a
factoid (the caller then takes the usual path, unchanged). Modules: ``targets`` (the document a question
names) -> ``kinds`` (what kind of question; its patterns and helpers in ``phrasing``, requests in the
imperative in ``requests``; what no pattern reads, the learned fallback of ``learned``) -> ``pool`` (the documents' sentences and cheap vectors) ->
``summary`` / ``describe`` / ``compare`` / ``lists`` -> ``render`` (citations and text); ``answers`` and
``comparison`` write each kind's answer, ``answer_kind`` picks one.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from functools import cache

import numpy as np

from ...types import Answer, Document
from ..compose import quotes_answer
from ..config import DEFAULT_CONFIG, AnswerConfig, IndexView
from ..evidence import gather
from .answers import describe_answer, list_answer, statements_answer, summary_answer
from .ask import Ask, topic_shown, with_notes
from .comparison import compare_answer
from .kinds import Kind, classify
from .learned import fallback as learned_kind
from .pool import Pool, build_pool
from .render import inline, not_found, title_of
from .scope import bound
from .targets import Target, resolve, speaking_document, summarised_document

__all__ = ["broad_answer", "classify", "named_documents", "resolve", "Kind", "Target"]

def _scope(index: IndexView, doc_ids: Collection[str] | None) -> list[str]:
    """The documents in scope, in the order the Documents list shows them (by title, case-insensitive, then
    id: what "the second article" counts in)."""
    docs = index.snapshot.documents
    wanted = set(docs) if doc_ids is None else set(doc_ids)
    unknown = wanted - docs.keys()
    if unknown:  # as the factoid path says it
        raise KeyError(f"no such document in the index: {', '.join(sorted(unknown))}")
    return sorted(wanted, key=lambda d: ((docs[d].document.title or "").lower(), d))


def named_documents(index: IndexView, question: str, doc_ids: Collection[str] | None = None) -> tuple[str, ...]:
    """The documents ``question`` names (title, file name, source, ordinal: ``targets``) among ``doc_ids`` (all
    when None); () when it names none."""
    scope = _scope(index, doc_ids)
    if not scope:
        return ()
    return tuple(resolve(question, [index.snapshot.documents[d].document for d in scope]).doc_ids or ())


def _notes(index: IndexView, target: Target, used: Sequence[str], scope: Sequence[str]) -> list[str]:
    notes = []
    for ref in target.ambiguous:
        names = ", ".join(f"*{title_of(index, d)}*" for d in used)
        notes.append(f"“{inline(ref)}” could mean more than one document; this answer uses {names}.")
    for ref in target.unresolved:
        notes.append(f"No document matches “{inline(ref)}”; this answer uses all {len(scope)} documents.")
    return notes


def answer_kind(ask: Ask, kind: Kind, pool: Pool, used: Sequence[str], named: Sequence[str] = ()) -> Answer | None:
    """The answer to ``ask`` of its ``kind`` from the ``pool`` of the documents ``used`` (``named``: those the
    question names, which a comparison keeps)."""
    if not pool.sentences:
        return not_found(ask.question, ask.query, "The documents have no sentences to quote.", ask.notes)
    if kind.kind == "summary":
        return summary_answer(ask, kind, pool, used)
    if kind.statements:
        return statements_answer(ask, kind, pool)
    if kind.kind in ("entity", "event"):
        return describe_answer(ask, kind, pool)
    if kind.kind == "list":
        return list_answer(ask, kind, pool)
    return compare_answer(ask, kind, pool, used, named)


def broad_answer(index: IndexView, question: str, query: str, config: AnswerConfig = DEFAULT_CONFIG,
                 doc_ids: Collection[str] | None = None, *,
                 query_vector: Callable[[], np.ndarray] | None = None) -> Answer | None:
    """The answer to a broad question (see the module docstring), or None for a factoid. ``query_vector``: gives
    the embedder's vector of ``query`` (called only when the patterns find no kind and the learned fallback
    reads it, or a large collection is ranked for a topic; without it the vector is computed then)."""
    scope = _scope(index, doc_ids)
    if not scope:
        return None
    if query_vector is None:  # computed at most once for this question, by whichever step needs it first
        query_vector = cache(lambda: index.embedder.encode_queries([query])[0])
    target, kind = _kind(index, question, query, [index.snapshot.documents[d].document for d in scope], config,
                         query_vector=query_vector)
    if kind is None:
        return None
    used = list(target.doc_ids) if target.doc_ids else scope
    notes = _notes(index, target, used, scope)
    if kind.kind == "compare":
        used = _compare_scope(target, scope)
    if kind.statements and kind.scope:
        # "what did X say about Y" asks what X said of one thing: the factoid path, which reads the passages on Y,
        # finds it more often than X's statements ranked by Y (dev8 and SQuAD, measured 2026-12-01); X's
        # statements answer only when it finds nothing (a name the documents spell otherwise: "Arestovych")
        factoid = quotes_answer(index, question, query, gather(index, query, doc_ids=used, config=config), config)
        if factoid.found:
            return replace(factoid, text=with_notes(factoid.text, notes), notes=tuple(notes)) if notes else factoid
    unnamed = target.question if target.doc_ids and target.question.strip() != question.strip() else ""
    ans = _from_documents(Ask(index, question, query, config, query_vector, tuple(notes), unnamed), kind, target,
                          scope, used)
    if ans is None:  # the topic is not named in the documents: retrieve by meaning, as for a factoid
        fallback = quotes_answer(index, question, query, gather(index, query, doc_ids=used, config=config), config)
        return replace(fallback, text=with_notes(fallback.text, notes), notes=tuple(notes)) if notes else fallback
    return ans


def _kind(index: IndexView, question: str, query: str, docs: Sequence[Document], config: AnswerConfig, *,
          query_vector: Callable[[], np.ndarray]) -> tuple[Target, Kind | None]:
    """The documents ``question`` names and its kind: the patterns on the question as asked, then on the
    standalone ``query``, then the learned fallback on the query's vector."""
    target = resolve(question, docs)
    kind = classify(target.question, target.references)
    if kind is not None and kind.statements and (titled := speaking_document(target.question, kind.topic, docs)):
        target, kind = titled, classify(titled.question, titled.references)  # a document "says", not a speaker
    if kind is not None and kind.kind == "summary" and kind.topic and target.doc_ids is None and \
            (summarised := summarised_document(target.question, kind.topic, docs)):
        target, kind = summarised, replace(kind, topic="")  # "summarize the MIME spec": that document
    if kind is None and query.strip() != question.strip():
        target = resolve(query, docs)
        kind = classify(target.question, target.references)
    if kind is None and config.learned_kinds:
        kind = learned_kind(target.question, query_vector(), index.embedder.name)
    return target, kind


def _from_documents(ask: Ask, kind: Kind, target: Target, scope: Sequence[str], used: Sequence[str]) -> Answer | None:
    """The answer of ``kind`` read from the documents ``used`` (a large collection: a bounded set of them, noted,
    ``scope.bound``); for an entity or event the named document does not mention, from the other documents of
    ``scope``; None when none of them names what is asked about."""
    index, config = ask.index, ask.config
    named = tuple(target.doc_ids or ())
    topical = bool(kind.topic or kind.sides)

    # a large collection is ranked for the question without the documents it names ("What does fire-0.txt say
    # about the vaccine?" ranks by "... the document say about the vaccine?", not by the named file's words)
    ranked_by = target.question if named else ask.query

    def bounded(docs: Sequence[str], ask: Ask) -> tuple[list[str], Ask]:
        if not len(docs) > config.broad_documents > 0:
            return list(docs), ask
        vector = ask.model_vector() if topical and ranked_by == ask.query else None
        b = bound(index, [d for d in docs if d not in named], limit=max(1, config.broad_documents - len(named)),
                  query=ranked_by, topical=topical, query_vector=vector, total=len(scope))
        note = b.note()
        return [d for d in named if d in docs] + b.doc_ids, replace(ask, notes=(*ask.notes, note)) if note else ask

    captions = kind.kind == "list"  # a caption names people and places too; it is no point of a summary or event
    read, reading = bounded(used, ask)
    ans = answer_kind(reading, kind, build_pool(index, read, captions=captions), read, named)
    if ans is None and kind.kind in ("entity", "event") and len(used) < len(scope):
        # the document named does not mention it: say so, and what the others say
        others, reading = bounded([d for d in scope if d not in used], ask)
        silent = ", ".join(f"*{title_of(index, d)}*" for d in used)
        reading = replace(reading, notes=(*reading.notes, f"{silent} does not mention "
                                          f"{topic_shown(kind.topic, ask.question)}; the other documents do."))
        ans = answer_kind(reading, kind, build_pool(index, others, captions=captions), others)
    return ans


def _compare_scope(target: Target, scope: Sequence[str]) -> list[str]:
    named = list(target.doc_ids or ())
    if len(named) >= 2:
        return named
    return list(scope)  # one named ("how does the first article differ from the others"): it and the others
    # that speak of the topic are chosen when answering


