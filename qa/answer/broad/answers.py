"""The broad answers of each kind, from a sentence pool: summary, description (entity / event), list, comparison.

Each takes the ``Ask`` (the question, its index, the notes to show first) and returns an ``Answer``, or None when
the documents do not name what is asked about (the caller then retrieves by meaning).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ...embed.words import known, word_vectors
from ...text.tokens import query_stopwords
from ...types import Answer, Citation
from ..candidates import Sentence
from ..config import AnswerConfig, IndexView
from .compare import (MAX_DOCUMENTS, PER_ONE_SOURCE, PER_SOURCE, PER_TWO_SOURCES, SIDE_WEIGHT, Pair, align, judge, names_side,
                      number_pairs, points_per_document, side_words, source_points)
from .describe import Match, describe, matches
from .enumerations import enumeration
from .kinds import Kind
from .lists import MAX_ITEMS, Item, find_items, title_filter
from .pool import Pool, dense_vectors, passage_relevance
from .series import WordSim, head_noun, possessor, typed_items
from .render import answer_of, cite, citation_of, flatten, inline, not_found, points, quoted, title_of
from .summary import summarise

ITEM_NAMES = {"place": "Places", "person": "People", "org": "Organisations", "date": "Dates", "number": "Numbers",
              "name": "Names"}


@dataclass(frozen=True)
class Ask:
    """One broad question being answered."""

    index: IndexView
    question: str
    query: str
    config: AnswerConfig
    notes: tuple[str, ...] = ()

    def text_of(self, doc_id: str) -> str:
        return self.index.snapshot.documents[doc_id].document.text

    def done(self, text: str, citations: Sequence[Citation], conflict: bool = False) -> Answer:
        return answer_of(self.question, self.query, with_notes(text, self.notes), citations, notes=self.notes,
                         conflict=conflict)


def with_notes(text: str, notes: Sequence[str]) -> str:
    return "\n\n".join([*(f"_{n}_" for n in notes), text])


def topic_shown(topic: str, question: str) -> str:
    """The topic as the question writes it (its capitals kept)."""
    low = question.lower().replace("’", "'")
    i = low.find(topic)
    return inline(question[i : i + len(topic)]) if i >= 0 else topic


def answer_kind(ask: Ask, kind: Kind, pool: Pool, used: Sequence[str], named: Sequence[str] = ()) -> Answer | None:
    """The answer to ``ask`` of its ``kind`` from the ``pool`` of the documents ``used`` (``named``: those the
    question names, which a comparison keeps)."""
    if not pool.sentences:
        return not_found(ask.question, ask.query, "The documents have no sentences to quote.", ask.notes)
    if kind.kind == "summary":
        return summary_answer(ask, kind, pool, used)
    if kind.kind in ("entity", "event"):
        return describe_answer(ask, kind, pool)
    if kind.kind == "list":
        return list_answer(ask, kind, pool)
    return compare_answer(ask, kind, pool, used, named)


def summary_answer(ask: Ask, kind: Kind, pool: Pool, used: Sequence[str]) -> Answer:
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


def _query_vector(index: IndexView, text: str) -> np.ndarray:
    return dense_vectors(index, [text])[0]


def describe_answer(ask: Ask, kind: Kind, pool: Pool, per_document: int = 3) -> Answer | None:
    groups = describe(pool, kind.topic, kind.kind, _query_vector(ask.index, ask.query), question=ask.question,
                      passage_relevance=passage_relevance(ask.index, pool, ask.query), per_document=per_document)
    if not groups:
        return None
    grouped = cite(ask.index, groups)
    topic = topic_shown(kind.topic, ask.question)
    heading = (f"**What happened** ({topic}), best first:" if kind.kind == "event" else f"**{topic}**, best first:")
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
        extra = [it for it in find_items(pool, rows, "name") if it.kind == "name" and it.text not in named]
        items = [it for it in sorted([*items, *extra], key=lambda it: (it.row, pool.sentences[it.row].text.find(it.text)))
                 if not set(re.findall(r"[a-z0-9]+", it.text.lower())) <= own]
    if kind.item == "person" and kind.topic:  # "which generals": those a word for generals introduces, else
        # those the quote gives that title
        typed = typed_items(pool, rows, head_noun(kind.topic), similarity(ask.index))
        people = {it.text for it in items}
        typed = [it for it in typed if it.text in people or _capitalised_name(it.text)]
        items = typed if len(typed) >= MIN_TYPED else title_filter(items, pool, kind.topic)
    if not items:
        return None
    return _items_answer(ask, kind, pool, items[:MAX_ITEMS])


def owner_rows(ask: Ask, pool: Pool, topic: str) -> Sequence[int]:
    """The sentences a typed list reads: those of the documents that name whose items it asks for ("Temüjin's
    relatives": the documents naming Temüjin), else all."""
    owner = _plain(possessor(topic))
    if not owner:
        return range(len(pool.sentences))
    docs = {d for d in pool.doc_order if owner in _plain(ask.text_of(d))}
    return [r for r, s in enumerate(pool.sentences) if s.doc_id in docs] or range(len(pool.sentences))


def _plain(text: str) -> str:
    """Lower case without accents ("Temüjin" and "Temujin" are one name)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


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
        relevance = passage_relevance(ask.index, pool, ask.query)
        best = {d: max((float(relevance[r]) for r in pool.of(d)), default=0.0) for d in pool.doc_order}
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
    found = matches(pool, kind.scope, "entity", _query_vector(ask.index, ask.query), question=ask.question,
                    passage_relevance=passage_relevance(ask.index, pool, ask.query))
    # the sentences naming all of the qualifier ("OpenAI's board": OpenAI and its board), else most of it
    for least in (SCOPE_ALL, SCOPE_MOST):
        rows = sorted({m.row for m in found if m.coverage >= least})
        if rows and find_items(pool, rows, kind.item):
            return rows
    return range(len(pool.sentences))


SCOPE_ALL = 0.999
SCOPE_MOST = 0.5


def _items_answer(ask: Ask, kind: Kind, pool: Pool, items: Sequence[Item]) -> Answer:
    index = ask.index
    rows = sorted({it.row for it in items}, key=lambda r: (pool.doc_order.index(pool.sentences[r].doc_id), r))
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
        lines.append(f"- **{inline(it.text)}** — [{n}] *{title_of(index, c.doc_id)}*" if n in shown
                     else f"- **{inline(it.text)}** — {quoted(c)}")
        shown.add(n)
    return ask.done("\n".join(lines), citations)


def question_names(question: str) -> list[str]:
    """The names a question writes with capitals (not its first word; runs of capitalised words are one name;
    a possessive 's dropped)."""
    stop = query_stopwords()
    out: list[str] = []
    for m in re.finditer(r"(?<=[\w,;:'’\"] )[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)*", question):
        name = re.sub(r"['’]s$", "", m.group()).strip(".")
        words = [w for w in name.split() if w.lower() not in stop]
        if words:
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def compared(used: Sequence[str], named: Sequence[str], on_topic: Sequence[str]) -> list[str]:
    """The documents a comparison shows: those named, then those that speak of the topic (best first), up to
    ``MAX_DOCUMENTS``, in Documents-list order (``used``)."""
    keep = list(dict.fromkeys([*named, *[d for d in on_topic if d not in named]]))[:MAX_DOCUMENTS]
    return [d for d in used if d in keep]


SOFT_COVERAGE = 0.3  # a comparison's point may be on part of its topic ("the same reason for Altman's firing")


@dataclass(frozen=True)
class Sides:
    """What a comparison's sides are: documents by title (``titled``: side -> document), outlets ("TechCrunch
    and Fortune"), or sides within the documents (``inner``: "the prosecution and the defence")."""

    titled: dict[str, str]
    outlets: tuple[str, ...]
    inner: tuple[str, ...]

    @property
    def prefixes(self) -> list[list[str]]:
        return [p for p in (side_words(s) for s in self.inner) if p]


def sides_of(ask: Ask, kind: Kind, used: Sequence[str]) -> Sides:
    titled = documents_of_sides(ask, kind.sides, used)
    outlets = tuple(s for s in kind.sides if s not in titled and _outlet_documents(ask, s, used))
    inner = tuple(s for s in kind.sides if s not in ("the document", "") and s not in titled and s not in outlets)
    return Sides(titled, outlets, inner)


def compare_answer(ask: Ask, kind: Kind, pool: Pool, used: Sequence[str], named: Sequence[str] = ()) -> Answer | None:
    index = ask.index
    sides = sides_of(ask, kind, used)
    if len(set(sides.titled.values())) >= 2 and len(named) < 2:  # "how do the Andes and the Sierra Nevada
        named = list(dict.fromkeys(sides.titled.values()))  # compare": their articles
    if len(used) < 2 and not (sides.inner and kind.topic):
        ask = replace(ask, notes=(*ask.notes, "There is only one document to compare; here is what it says."))
        return summary_answer(ask, Kind("summary", length="summary"), pool, used)
    if not kind.topic and not named and len(used) > MAX_DOCUMENTS:
        # "compare how things turned out for Binance and for FTX": what is compared is what the question names
        names = question_names(ask.question)
        if names:
            kind = replace(kind, topic=" and ".join(names))
        else:  # else the documents closest to the question
            relevance = passage_relevance(index, pool, ask.query)
            best = {d: max((float(relevance[r]) for r in pool.of(d)), default=0.0) for d in used}
            used = compared(used, named, sorted(used, key=lambda d: -best[d]))
    if kind.topic:
        points = _topic_points(ask, kind, pool, used, named=named, sides=sides)
        if points is None:
            return None
        used, per_doc = points
    else:
        used = compared(used, named, used)
        chosen = summarise(pool, used, "summary")
        by_doc: dict[str, list[Sentence]] = {}
        for s in chosen:
            by_doc.setdefault(s.doc_id, []).append(s)
        per_doc = points_per_document(pool, used, list(by_doc.values()))
    pairs, per_doc = _verdicts(ask, pool, used, per_doc, kind.topic)
    grouped = cite(index, [[pool.sentences[r] for r in rows] for rows in per_doc if rows])
    citations = flatten(grouped)
    view = Comparison(index, pool, used[:MAX_DOCUMENTS], per_doc, pairs, citations, sides.inner)
    text = view.text(kind.topic and topic_shown(kind.topic, ask.question))
    return ask.done(text, citations, conflict=any(p.relation == "differ" for p in pairs))


def _topic_points(ask: Ask, kind: Kind, pool: Pool, used: Sequence[str], *, named: Sequence[str],
                  sides: Sides) -> tuple[list[str], list[list[int]]] | None:
    """The documents compared on the topic and each one's points (rows), or None when none speaks of it."""
    qv, relevance = _query_vector(ask.index, ask.query), passage_relevance(ask.index, pool, ask.query)
    found = matches(pool, kind.topic, "entity", qv, question=ask.question, passage_relevance=relevance,
                    min_coverage=SOFT_COVERAGE)
    if not found and sides.inner:  # "X's toll for Europe compare with its toll for Asia": what each side has
        found = _merged([matches(pool, side, "entity", qv, question=ask.question, passage_relevance=relevance,
                                 min_coverage=SOFT_COVERAGE) for side in sides.inner])
    if not found:
        return None
    prefixes = sides.prefixes
    ranked_docs = _documents_by_best(pool, found, prefixes)
    if len(sides.outlets) >= 2 and len(named) < 2:  # "do TechCrunch and Fortune give the same reason": each
        # outlet's document that speaks of the topic best
        best = [next((d for d in ranked_docs if d in _outlet_documents(ask, o, used)), None) for o in sides.outlets]
        named = list(dict.fromkeys(d for d in best if d is not None))
    if sides.inner and len(named) == 1:  # two sides within the document named: that document only
        used = list(named)
    elif (sides.titled or sides.outlets) and len(named) >= 2:  # the documents the sides name: those only
        used = [d for d in used if d in named]
    chosen = compared(used, named, ranked_docs)
    each = PER_ONE_SOURCE if len(chosen) == 1 else PER_TWO_SOURCES if len(chosen) == 2 else PER_SOURCE
    # two sides within the documents: the document that speaks of them best gives more
    main = ranked_docs[0] if prefixes and ranked_docs[0] in chosen else None
    per_doc = [source_points(pool, [d], found, prefixes, PER_ONE_SOURCE if d == main else each)[0] for d in chosen]
    return chosen, per_doc


def _verdicts(ask: Ask, pool: Pool, used: Sequence[str], per_doc: list[list[int]],
              topic: str) -> tuple[list[Pair], list[list[int]]]:
    """The differences and agreements strong evidence supports among the points, and the points with the
    sentences of figures that differ elsewhere in the documents added (they are differences too)."""
    entailer = ask.index.entailer if ask.config.entailment else None
    pairs = [p for p in judge(pool, align(pool, per_doc), entailer, topic) if p.relation != "related"]
    differ = {r for p in pairs if p.relation == "differ" for r in (p.a, p.b)}
    extra = number_pairs(pool, used[:MAX_DOCUMENTS], differ, topic)
    if not extra:
        return pairs, per_doc
    rows = {r for p in extra for r in (p.a, p.b)}
    pairs = [p for p in pairs if p.a not in rows and p.b not in rows] + extra
    doc_of = {d: i for i, d in enumerate(used[:MAX_DOCUMENTS])}
    out = [list(x) for x in per_doc]
    for r in rows:
        if r not in out[doc_of[pool.sentences[r].doc_id]]:
            out[doc_of[pool.sentences[r].doc_id]].append(r)
    return pairs, [sorted(x) for x in out]


def _merged(found: Sequence[Sequence[Match]]) -> list[Match]:
    """Matches of several topics as one list, best first (a sentence once, with its best score)."""
    best: dict[int, Match] = {}
    for ms in found:
        for m in ms:
            if m.row not in best or best[m.row].score < m.score:
                best[m.row] = m
    return sorted(best.values(), key=lambda m: -m.score)


def _documents_by_best(pool: Pool, found: Sequence[Match], sides: Sequence[Sequence[str]]) -> list[str]:
    """The documents that speak of the topic, best first: those that name more of the sides compared (anywhere:
    "the prosecution and the defence"), then more often, then by their best point."""
    best: dict[str, float] = {}
    for m in found:
        s = pool.sentences[m.row]
        score = m.score + (SIDE_WEIGHT if any(names_side(s.text, p) for p in sides) else 0.0)
        best[s.doc_id] = max(best.get(s.doc_id, score), score)
    hits = {d: [sum(names_side(pool.sentences[r].text, p) for r in pool.of(d)) for p in sides] for d in best}
    return sorted(best, key=lambda d: (-sum(h > 0 for h in hits[d]), -sum(hits[d]), -best[d]))


def _outlet_documents(ask: Ask, side: str, used: Sequence[str]) -> list[str]:
    """The documents of a side that is a source's name ("TechCrunch", "The Verge"): those whose source (outlet,
    site) holds it."""
    low = _plain(re.sub(r"^the\s+", "", side)).replace(" ", "")
    docs = ask.index.snapshot.documents
    def names(d: str) -> str:
        doc = docs[d].document
        return _plain(f"{doc.source or ''} {(doc.metadata or {}).get('outlet', '')}").replace(" ", "")

    return [d for d in used if len(low) > 2 and low in names(d)]


def documents_of_sides(ask: Ask, sides: Sequence[str], used: Sequence[str]) -> dict[str, str]:
    """The documents the sides of a comparison name by title ("the Andes and the Sierra Nevada": the articles
    titled so): each side whose content words are all in exactly one title's words."""
    out: dict[str, str] = {}
    for side in sides:
        words = {w for w in re.findall(r"\w+", _plain(side)) if w not in query_stopwords()}
        if not words:
            continue
        fit = [d for d in used if words <= set(re.findall(r"\w+", _plain(title_of(ask.index, d))))]
        if len(fit) == 1:
            out[side] = fit[0]
    return out


@dataclass(frozen=True)
class Comparison:
    """Each source's points side by side, then the verdicts strong evidence supports."""

    index: IndexView
    pool: Pool
    used: Sequence[str]
    per_doc: Sequence[Sequence[int]]
    pairs: Sequence[Pair]
    citations: Sequence[Citation]
    sides: Sequence[str] = ()

    def n(self, row: int) -> int | None:
        return citation_of(self.citations, self.pool.sentences[row])

    def text(self, topic: str) -> str:
        shown = [d for d, rows in zip(self.used, self.per_doc, strict=False) if rows]
        what = (" and ".join(f"*{inline(s)}*" for s in self.sides) + " in " if self.sides and len(shown) == 1 else "")
        count = f"{len(shown)} document{'s' if len(shown) != 1 else ''}"
        lines = [f"**Comparing {what}{count}**" + (f" on {topic}" if topic else "") + ", side by side:"]
        for d, rows in zip(self.used, self.per_doc, strict=False):
            if rows:
                lines.append("\n".join([f"*{title_of(self.index, d)}*:"] + [
                    f"- “{inline(self.pool.sentences[r].text)}” [{self.n(r)}]" for r in rows]))
        for relation, label in (("differ", "Where they differ"), ("agree", "Where they agree")):
            chosen = [p for p in self.pairs if p.relation == relation]
            if chosen:
                lines.append("\n".join([f"**{label}:**"] + [
                    f"- [{self.n(p.a)}] and [{self.n(p.b)}]" + (f": {p.reason}" if p.reason else "") for p in chosen]))
        silent = [d for d, rows in zip(self.used, self.per_doc, strict=False) if not rows]
        if silent:
            lines.append("Not mentioned by " + ", ".join(f"*{title_of(self.index, d)}*" for d in silent) + ".")
        return "\n\n".join(lines)
