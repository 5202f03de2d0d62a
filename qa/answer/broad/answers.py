"""The broad answers of each kind but comparisons (``comparison``), from a sentence pool: summary, description
(entity / event), list.

Each takes the ``Ask`` (the question, its index, the notes to show first) and returns an ``Answer``, or None when
the documents do not name what is asked about (the caller then retrieves by meaning).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ...embed.words import known, word_vectors
from ...types import Answer
from ..candidates import Sentence
from ..config import IndexView
from ..evidence import gather
from ..sections import expand
from .ask import Ask, plain, query_vector, topic_shown
from .describe import describe, matches
from .enumerations import enumeration
from .kinds import Kind
from .lists import MAX_ITEMS, Item, common_word, find_items, title_filter
from .pool import Pool, best_per_document, passage_relevance
from .series import WordSim, head_noun, possessor, typed_items
from .render import cite, citation_of, flatten, inline, not_found, points, quoted, title_of
from .statements import chosen, name_of, speaker, statements
from .summary import summarise

ITEM_NAMES = {"place": "Places", "person": "People", "org": "Organisations", "date": "Dates", "number": "Numbers",
              "name": "Names"}


# a topic named in at least this share of a document's sentences, or in its title, is what the document is about
SUBJECT_SHARE = 0.2
TOPIC_QUOTES = {"gist": 2, "summary": 3, "points": 5}  # per document, for a topic the documents touch on


def summary_answer(ask: Ask, kind: Kind, pool: Pool, used: Sequence[str]) -> Answer:
    if kind.topic:  # "key points about the Black Death", "what the collection says about the crypto exchanges"
        found = matches(pool, kind.topic, "entity", query_vector(ask.index, ask.query), question=ask.question)
        on_topic = Counter(pool.sentences[m.row].doc_id for m in found)
        if len(used) > 1:  # the documents on it
            used = [d for d in used if d in on_topic] or used
        if on_topic and not any(_about(ask, pool, d, kind.topic, on_topic[d]) for d in used):
            # a topic the documents only touch on ("key points about Belgorod"): what they say of it, not their
            # own summaries
            described = describe_answer(ask, Kind("entity", kind.topic), pool, per_document=TOPIC_QUOTES[kind.length])
            if described is not None:
                return described
    laid_out = {r for d in used for r in enumeration(pool, d, ask.text_of)}
    chosen = summarise(pool, used, kind.length, laid_out)
    groups: dict[str, list[Sentence]] = {}
    for s in chosen:
        groups.setdefault(s.doc_id, []).append(s)
    grouped = cite(ask.index, list(groups.values()))
    what = {"gist": "In short", "summary": "Summary", "points": "Key points"}[kind.length]
    n = len(grouped)
    heading = f"**{what}** ({n} document{'s' if n != 1 else ''}):"
    return ask.done(points(ask.index, grouped, heading), flatten(grouped))


def _about(ask: Ask, pool: Pool, doc_id: str, topic: str, mentions: int) -> bool:
    """Whether document ``doc_id`` is about ``topic``: its title names the topic's words, or ``mentions`` (its
    sentences naming the topic) are at least ``SUBJECT_SHARE`` of its sentences, and more than one."""
    words = [w for w in re.findall(r"[a-z0-9]+", plain(topic)) if len(w) > 2 and w not in _ARTICLES]
    title = plain(title_of(ask.index, doc_id))
    if words and all(re.search(rf"\b{re.escape(w)}", title) for w in words):
        return True
    return mentions >= max(2.0, SUBJECT_SHARE * len(pool.of(doc_id)))  # named once is touched on, however short


_ARTICLES = frozenset({"the", "and", "its", "their", "his", "her", "our", "your", "this", "that", "these", "those"})


def describe_answer(ask: Ask, kind: Kind, pool: Pool, per_document: int = 3) -> Answer | None:
    groups = describe(pool, kind.topic, kind.kind, query_vector(ask.index, ask.query), question=ask.question,
                      passage_relevance=passage_relevance(ask.index, pool, ask.model_vector), per_document=per_document)
    if not groups:
        return None
    grouped = cite(ask.index, with_evidence(ask, pool, groups))
    topic = topic_shown(kind.topic, ask.question)
    heading = (f"**What happened** ({topic}), best first:" if kind.kind == "event" else f"**{topic}**, best first:")
    return ask.done(points(ask.index, grouped, heading), flatten(grouped))


EVIDENCE_MIN_PROBABILITY = 0.1  # an evidence sentence less likely than this to hold the answer is not added


def with_evidence(ask: Ask, pool: Pool, groups: list[list[Sentence]]) -> list[list[Sentence]]:
    """``groups`` (a description's sentences per document) with the best ``AnswerConfig.broad_evidence`` sentences
    the factoid path finds for the question as asked (``gather``: retrieval, the sentence scorer and the reader),
    when it finds the documents answer it and they are not quoted yet, each in its document's group. A topic's
    sentences are those that name it; what the question asks of it ("how did the ambush play out and what became
    of Gerasimov after it") may be said in a sentence that does not (dev1-9: 160 -> 162 of 255 right, none lost)."""
    n = ask.config.broad_evidence
    if n <= 0:
        return groups
    # a question that names its document asks the factoid path without that name: the lease's "lease" would find
    # the lease's every sentence on point for "What does the lease say about pets?"
    query, vector = (ask.unnamed, None) if ask.unnamed else (ask.query, ask.model_vector())
    ev = gather(ask.index, query, doc_ids=pool.doc_order, config=ask.config, query_vector=vector)
    if not ev.answered(ask.config):
        return groups
    spans = [(s.doc_id, s.start, s.end) for g in groups for s in g]
    out = [list(g) for g in groups]
    for s in ev.sentences:
        if n <= 0 or s.probability < EVIDENCE_MIN_PROBABILITY:
            break
        if any(d == s.doc_id and a < s.end and s.start < b for d, a, b in spans):
            continue  # quoted already (or overlapping a quote)
        new = [x for x in expand([s], ev.sentences, ask.text_of)  # a heading ("Pets"): its section's sentences
               if not any(d == x.doc_id and a < x.end and x.start < b for d, a, b in spans)][:n]
        if not new:
            continue
        group = next((g for g in out if g[0].doc_id == s.doc_id), None)
        if group is None:
            out.append(group := [])
        group.extend(new)
        spans.extend((x.doc_id, x.start, x.end) for x in new)
        n -= len(new)
    return out


def statements_answer(ask: Ask, kind: Kind, pool: Pool) -> Answer | None:
    """What the speaker (``kind.topic``) said, about ``kind.scope`` when asked (``statements``); None when no
    sentence gives their words."""
    vector = query_vector(ask.index, ask.query)
    who = speaker(pool, kind.topic, vector, ask.question)
    found = statements(pool, kind.topic, vector, question=ask.question, found=who)
    if not found:
        if who.named:  # "What did Gerasimov say?": named, never quoted - say so rather than quote a mention
            shown = inline(name_of(kind.topic, ask.question))
            return not_found(ask.question, ask.query, f"The documents name {shown} but give no words of "
                             f"{'his' if who.pronoun == 'he' else 'hers' if who.pronoun == 'she' else 'theirs'}.",
                             ask.notes)
        return None
    embedder = ask.index.embedder

    def closeness(rows: Sequence[int]) -> np.ndarray:  # the model's sentence vectors (cached) against the question's
        vectors = embedder.vector_cache().get_many(embedder, [pool.sentences[r].text for r in rows])
        return vectors @ ask.model_vector()

    grouped = cite(ask.index, [[pool.sentences[r] for r in rows] for rows in chosen(pool, found, kind.scope, closeness)])
    about = f" about {topic_shown(kind.scope, ask.question)}" if kind.scope else ""
    heading = f"**What {inline(name_of(kind.topic, ask.question))} said**{about}, in the documents' words:"
    return ask.done(points(ask.index, grouped, heading), flatten(grouped))


def list_answer(ask: Ask, kind: Kind, pool: Pool) -> Answer | None:
    if kind.item == "other":  # "which explanations are floated": the items a document lays out, else the
        # sentences about them, more of each
        listed = enumerated_answer(ask, kind, pool)
        if listed is not None:
            return listed
        typed = typed_items(pool, owner_rows(ask, pool, kind.topic), head_noun(kind.topic), similarity(ask.index))
        if len(typed) >= MIN_TYPED:  # where the documents list things of the asked type
            return _items_answer(ask, kind, pool, typed[:MAX_ITEMS])
        found = describe_answer(ask, Kind("entity", kind.topic), pool, per_document=5)
        if found is None and len(pool.doc_order) == 1:  # in the one document named: its key points
            return summary_answer(ask, Kind("summary", length="points"), pool, pool.doc_order)
        return found
    rows = scoped_rows(ask, kind, pool)
    items = find_items(pool, rows, kind.item)
    if kind.scope and isinstance(rows, list):  # the qualifier's sentences say what their names are ("OpenAI's
        # rivals, which include Anthropic, Google and Cohere"): untyped names count, the qualifier's own do not
        own = {w for w in re.findall(r"[a-z0-9]+", kind.scope.lower())}
        named = {it.text for it in items}
        lower = pool.lower_words()
        extra = [it for it in find_items(pool, rows, "name") if it.kind == "name" and it.text not in named
                 and not common_word(it.text, lower)]
        items = [it for it in sorted([*items, *extra], key=lambda it: (it.row, pool.sentences[it.row].text.find(it.text)))
                 if not set(re.findall(r"[a-z0-9]+", it.text.lower())) <= own]
    if kind.item == "person" and kind.topic:  # "which generals": those a word for generals introduces, else
        # those the quote gives that title
        typed = typed_items(pool, rows, head_noun(kind.topic), similarity(ask.index))
        people = {it.text for it in items}
        typed = [it for it in typed if it.text in people or _capitalised_name(it.text)]
        if len(typed) >= MIN_TYPED:  # and those given the title elsewhere ("General Simonov")
            shown = {it.text for it in typed}
            where = {it.text: it.also for it in items}  # where else each is named (``Item.also``)
            typed = [replace(it, also=tuple(dict.fromkeys((*it.also, *where.get(it.text, ()))))) for it in typed]
            items = typed + [it for it in title_filter(items, pool, kind.topic, strict=True) if it.text not in shown]
        else:
            items = title_filter(items, pool, kind.topic)
    if not items:
        return None
    return _items_answer(ask, kind, pool, items[:MAX_ITEMS])


def owner_rows(ask: Ask, pool: Pool, topic: str) -> Sequence[int]:
    """The sentences a typed list reads: those of the documents that name whose items it asks for ("Temüjin's
    relatives": the documents naming Temüjin), else all."""
    owner = plain(possessor(topic))
    if not owner:
        return range(len(pool.sentences))
    docs = {d for d in pool.doc_order if owner in plain(ask.text_of(d))}
    return [r for r, s in enumerate(pool.sentences) if s.doc_id in docs] or range(len(pool.sentences))


MIN_TYPED = 2  # items of the asked type found where the text lists them: enough to answer with


def _capitalised_name(text: str) -> bool:
    return all(w[:1].isupper() for w in text.split())


def similarity(index: IndexView) -> WordSim:
    """Word-vector similarity of words to a noun (the bundled model's word table)."""
    table = word_vectors(index.embedder)

    def sim(noun: str, words: Sequence[str]) -> np.ndarray:
        return known(table, list(words)) @ table([noun])[0]

    return sim


ENUMERATION_RELEVANCE = 0.05  # an enumeration is listed from a document at most this far from the best one


def enumerated_answer(ask: Ask, kind: Kind, pool: Pool) -> Answer | None:
    """The numbered or bulleted items (``enumerations``) of the document the question is about: the one named,
    else the documents closest to the question (their best passage within ``ENUMERATION_RELEVANCE`` of the
    best document's) that lay out such items; None when none does."""
    found = {d: rows for d in pool.doc_order if (rows := enumeration(pool, d, ask.text_of))}
    if not found:
        return None
    if len(pool.doc_order) > 1:
        relevance = passage_relevance(ask.index, pool, ask.model_vector)
        best = best_per_document(pool, relevance, pool.doc_order)
        top = max(best.values())
        found = {d: rows for d, rows in found.items() if best[d] >= top - ENUMERATION_RELEVANCE}
        if not found:
            return None
    grouped = cite(ask.index, [[pool.sentences[r] for r in rows] for rows in found.values()])
    n = sum(len(g) for g in grouped)
    what = topic_shown(kind.topic, ask.question) if kind.topic else "Items"
    heading = f"**{what[:1].upper() + what[1:]}**, as listed ({n}):"
    return ask.done(points(ask.index, grouped, heading), flatten(grouped))


def scoped_rows(ask: Ask, kind: Kind, pool: Pool) -> Sequence[int]:
    """The sentences a list reads: those on its qualifier ("companies named as OpenAI's rivals": the sentences
    about OpenAI's rivals) when it has one and some sentence speaks of it, else all."""
    if not kind.scope:
        return range(len(pool.sentences))
    found = matches(pool, kind.scope, "entity", query_vector(ask.index, ask.query), question=ask.question,
                    passage_relevance=passage_relevance(ask.index, pool, ask.model_vector))
    # the sentences naming all of the qualifier ("OpenAI's board": OpenAI and its board), else most of it
    for least in (SCOPE_ALL, SCOPE_MOST):
        rows = sorted({m.row for m in found if m.coverage >= least})
        if rows and find_items(pool, rows, kind.item):
            return rows
    return range(len(pool.sentences))


SCOPE_ALL = 0.999
SCOPE_MOST = 0.5


ALSO_SHOWN = 2  # an item's mentions in other documents shown after its first quote


def _items_answer(ask: Ask, kind: Kind, pool: Pool, items: Sequence[Item]) -> Answer:
    index = ask.index
    rows = sorted({r for it in items for r in (it.row, *it.also[:ALSO_SHOWN])},
                  key=lambda r: (pool.doc_order.index(pool.sentences[r].doc_id), r))
    groups: dict[str, list[Sentence]] = {}
    for r in rows:
        groups.setdefault(pool.sentences[r].doc_id, []).append(pool.sentences[r])
    grouped = cite(index, list(groups.values()))
    citations = flatten(grouped)
    shown: set[int] = set()
    what = ITEM_NAMES.get(kind.item, "Items") if kind.item != "other" and not (kind.item == "person" and kind.topic) \
        else topic_shown(head_noun(kind.topic), ask.question).capitalize()
    lines = [f"**{what} mentioned** ({len(items)}):"]
    for it in items:
        n = citation_of(citations, pool.sentences[it.row])
        assert n is not None  # every item's sentence was cited above
        c = citations[n - 1]
        line = f"- **{inline(it.text)}** — [{n}] *{title_of(index, c.doc_id)}*" if n in shown \
            else f"- **{inline(it.text)}** — {quoted(c)}"
        shown.add(n)
        others = [m for r in it.also[:ALSO_SHOWN] if (m := citation_of(citations, pool.sentences[r])) is not None]
        if others:  # named in other documents too
            line += "; also " + ", ".join(f"[{m}] *{title_of(index, citations[m - 1].doc_id)}*" for m in others)
        lines.append(line)
    return ask.done("\n".join(lines), citations)
