"""Comparisons of sources (``compare_answer``): each source's own points on what is asked, side by side, with a
verdict only on strong evidence (``compare``); the sides a question sets ("the prosecution and the defence",
"TechCrunch and Fortune"); the text of the comparison (``Comparison``).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ...text.numbers import quantities
from ...text.tokens import query_stopwords
from ...types import Answer, Citation
from ..candidates import Sentence
from ..config import IndexView
from .answers import summary_answer
from .ask import Ask, plain, query_vector, topic_shown
from .compare import (MAX_DOCUMENTS, PER_ONE_SOURCE, PER_SOURCE, PER_TWO_SOURCES, SIDE_WEIGHT, Pair, align, judge, names_side,
                      number_pairs, points_per_document, side_members, side_words, source_points)
from .describe import Match, matches
from .kinds import Kind
from .pool import Pool, best_per_document, cues, passage_relevance
from .render import cite, citation_of, flatten, inline, shown_quote, title_of
from .summary import summarise


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
        named = list(dict.fromkeys(sides.titled.values()))  # compare": their articles, and no other
        used = [d for d in used if d in named]
    by_sides = not kind.topic and bool(sides.inner)
    if by_sides:  # "how do the prosecution and the defence differ": the sides are the topic (said once, as sides)
        kind = replace(kind, topic=" and ".join(sides.inner))
    if len(used) < 2 and not (sides.inner and kind.topic):
        ask = replace(ask, notes=(*ask.notes, "There is only one document to compare; here is what it says."))
        return summary_answer(ask, Kind("summary", length="summary"), pool, used)
    if not kind.topic and not named and len(used) > MAX_DOCUMENTS:
        # "compare how things turned out for Binance and for FTX": what is compared is what the question names
        names = question_names(ask.question)
        if names:
            kind = replace(kind, topic=" and ".join(names))
        else:  # else the documents closest to the question
            relevance = passage_relevance(index, pool, ask.model_vector)
            best = best_per_document(pool, relevance, used)
            used = compared(used, named, sorted(used, key=lambda d: -best[d]))
    if kind.topic:
        points = _topic_points(ask, kind, pool, used, named=named, sides=sides, by_sides=by_sides)
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
    if not any(per_doc):  # nothing on the topic in the documents compared
        return None
    pairs, per_doc = _verdicts(ask, pool, used, per_doc, kind.topic)
    grouped = cite(index, [[pool.sentences[r] for r in rows] for rows in per_doc if rows])
    citations = flatten(grouped)
    view = Comparison(index, pool, used[:MAX_DOCUMENTS], per_doc, pairs, citations, sides.inner)
    text = view.text("" if by_sides else kind.topic and topic_shown(kind.topic, ask.question))
    return ask.done(text, citations, conflict=any(p.relation == "differ" for p in pairs))


def _topic_points(ask: Ask, kind: Kind, pool: Pool, used: Sequence[str], *, named: Sequence[str],
                  sides: Sides, by_sides: bool = False) -> tuple[list[str], list[list[int]]] | None:
    """The documents compared on the topic and each one's points (rows), or None when none speaks of it."""
    qv, relevance = query_vector(ask.index, ask.query), passage_relevance(ask.index, pool, ask.model_vector)
    found = matches(pool, kind.topic, "entity", qv, question=ask.question, passage_relevance=relevance,
                    min_coverage=SOFT_COVERAGE)
    if not found and sides.inner:  # "X's toll for Europe compare with its toll for Asia": what each side has
        found = _merged([matches(pool, side, "entity", qv, question=ask.question, passage_relevance=relevance,
                                 min_coverage=SOFT_COVERAGE) for side in sides.inner])
    if not found:
        return None
    found = _merged([found, _measures(pool, used, kind.topic, max(m.score for m in found))])
    prefixes = sides.prefixes
    if prefixes:  # who speaks for a side counts as the side: "Thane Rehn, a prosecutor" for "the prosecution"
        found, prefixes = _with_members(pool, used if len(named) != 1 else named, found, prefixes,
                                        said=by_sides)
    ranked_docs = _documents_by_best(pool, found, prefixes)
    if len(sides.outlets) >= 2 and len(named) < 2:  # "do TechCrunch and Fortune give the same reason": each
        # outlet's document that speaks of the topic best (else the closest to the question: the source is named)
        best = [_outlet_choice(ask, o, used, ranked_docs, relevance=relevance, pool=pool) for o in sides.outlets]
        named = list(dict.fromkeys(d for d in best if d is not None))
        silent = [d for d in named if d not in ranked_docs]
        if silent:  # a source named that says little of the topic: its sentences on any part of it
            found = _merged([found, [m for m in matches(pool, kind.topic, "entity", qv, question=ask.question,
                                                        passage_relevance=relevance, min_coverage=ANY_COVERAGE)
                                     if pool.sentences[m.row].doc_id in silent]])
            ranked_docs = _documents_by_best(pool, found, prefixes)
    if sides.inner and len(named) == 1:  # two sides within the document named: that document only
        used = list(named)
    elif (sides.titled or sides.outlets) and len(named) >= 2:  # the documents the sides name: those only
        used = [d for d in used if d in named]
    chosen = _relevant(pool, compared(used, named, ranked_docs), named, relevance)
    each = PER_ONE_SOURCE if len(chosen) == 1 else PER_TWO_SOURCES if len(chosen) == 2 else PER_SOURCE
    # two sides within the documents: the document that speaks of them best gives more
    main = ranked_docs[0] if prefixes and ranked_docs[0] in chosen else None
    per_doc = [source_points(pool, [d], found, prefixes, PER_ONE_SOURCE if d == main else each)[0] for d in chosen]
    return chosen, per_doc


# a document compared (not named) whose best passage is less than this share as close to the question as the best
# compared document's is off the question's subject (dev1-9: 0.21 vs 0.46 for an AI article's stray match in a
# comparison of a trial's two sides; on-subject documents were >= 0.61 of the best)
RELEVANCE_SHARE = 0.5


def _relevant(pool: Pool, chosen: Sequence[str], named: Sequence[str], relevance: np.ndarray) -> list[str]:
    """``chosen`` without the documents far less relevant to the question than the best of them
    (``RELEVANCE_SHARE``); those named stay."""
    best = best_per_document(pool, relevance, chosen)
    top = max(best.values(), default=0.0)
    return [d for d in chosen if d in named or top <= 0 or best[d] >= RELEVANCE_SHARE * top]


def _measures(pool: Pool, used: Sequence[str], topic: str, score: float) -> list[Match]:
    """When the topic is a measure ("compare in height", "the death toll", "rainfall"), the sentences of ``used`` that
    state a figure in one of its units ("14,505 feet", "nearly 7000 m": ``measure_units``), as good as the best
    match: a comparison of a measure is answered by its figures."""
    words = set(re.findall(r"[a-z]+", topic.lower()))
    units = {u for group in cues()["measure_units"] if group[0] in words for u in group[1:]}
    if not units:
        return []
    stop = query_stopwords()
    return [Match(r, score, 1.0) for d in used for r in pool.of(d)
            if units & set(quantities(pool.sentences[r].text, stop))]


def _with_members(pool: Pool, docs: Sequence[str], found: Sequence[Match], prefixes: Sequence[Sequence[str]], *,
                  said: bool) -> tuple[list[Match], list[list[str]]]:
    """The sides' words with the surnames of their members in ``docs`` (``side_members``), and, when the sides
    are what is compared (``said``; not "how do they describe Alameda"), the matches with what those members say
    (a sentence where one speaks: "..., Rehn declared"), scored as the median match."""
    rows = [r for d in docs for r in pool.of(d)]
    texts = [pool.sentences[r].text for r in rows]
    grown = [[*p, *side_members(texts, p)] for p in prefixes]
    members = [m for p, g in zip(prefixes, grown, strict=True) for m in g[len(p):]]
    if not members or not said:
        return list(found), grown
    score = float(np.median([m.score for m in found])) if found else 0.0
    who = re.compile(r"\b(?:" + "|".join(map(re.escape, members)) + r")\b")
    speaks = re.compile(r"\b(?:" + "|".join(cues()["person_verbs"]) + r"|declared|alleged|began|contended|urged)\b")
    spoken = [Match(r, score, 1.0) for r, t in zip(rows, texts, strict=True)
              if who.search(t.lower()) and speaks.search(t.lower())]
    return _merged([found, spoken]), grown


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


ANY_COVERAGE = 0.15  # a named source's points may be on a small part of the topic (its rarest word left out)


def _outlet_choice(ask: Ask, outlet: str, used: Sequence[str], ranked_docs: Sequence[str], *, relevance: np.ndarray,
                   pool: Pool) -> str | None:
    """The document of ``outlet`` a comparison shows: the one that speaks of the topic best, else the one whose
    passages are closest to the question (None: no document is that outlet's)."""
    own = _outlet_documents(ask, outlet, used)
    on_topic = next((d for d in ranked_docs if d in own), None)
    if on_topic is not None or not own:
        return on_topic
    best = best_per_document(pool, relevance, own)
    return max(own, key=lambda d: best[d])


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
    low = plain(re.sub(r"^the\s+", "", side)).replace(" ", "")
    docs = ask.index.snapshot.documents
    def names(d: str) -> str:
        doc = docs[d].document
        return plain(f"{doc.source or ''} {(doc.metadata or {}).get('outlet', '')}").replace(" ", "")

    return [d for d in used if len(low) > 2 and low in names(d)]


def documents_of_sides(ask: Ask, sides: Sequence[str], used: Sequence[str]) -> dict[str, str]:
    """The documents the sides of a comparison name by title ("the Andes and the Sierra Nevada": the articles
    titled so): each side whose content words are all in exactly one title's words."""
    out: dict[str, str] = {}
    for side in sides:
        words = {w for w in re.findall(r"\w+", plain(side)) if w not in query_stopwords()}
        if not words:
            continue
        fit = [d for d in used if words <= set(re.findall(r"\w+", plain(title_of(ask.index, d))))]
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
                    f"- {shown_quote(self.pool.sentences[r].text)} [{self.n(r)}]" for r in rows]))
        for relation, label in (("differ", "Where they differ"), ("agree", "Where they agree")):
            chosen = [p for p in self.pairs if p.relation == relation]
            if chosen:
                lines.append("\n".join([f"**{label}:**"] + [
                    f"- [{self.n(p.a)}] and [{self.n(p.b)}]" + (f": {p.reason}" if p.reason else "") for p in chosen]))
        silent = [d for d, rows in zip(self.used, self.per_doc, strict=False) if not rows]
        if silent:
            lines.append("Not mentioned by " + ", ".join(f"*{title_of(self.index, d)}*" for d in silent) + ".")
        return "\n\n".join(lines)
