"""How do the sources differ / do they agree? Each source's own points on what is asked, side by side.

Each document (or, for "the prosecution and the defence", each side within one) contributes its best sentences
on the topic (``source_points``: the topic's words, softly, so that a sentence on part of it counts; closeness
to the question; a mention of a side), or its summary points when the question names no topic. The points are
shown per source; a verdict is claimed only on strong evidence: two closely aligned points (similarity at least
``STRONG_ALIGN``) that give different values for the same kind of quantity or date, or on which the entailment
model (``qa.answer.entail``, when installed) is confident (contradiction at least ``CONFIDENT`` and its
calibrated ``conflict_threshold``; entailment at least ``ENTAILS`` for an agreement). Without the model, nearly
identical points without a clash by the word-list rules of ``qa.answer.conflicts`` agree. Otherwise no verdict:
the model is right about two times in three on such pairs, and a wrong "they differ" misleads more than none.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...text.numbers import quantities, same
from ...text.tokens import query_stopwords, tokenize
from ..candidates import Sentence
from ..conflicts import find_conflict
from ..entail import Entailer
from .describe import Match
from .pool import Pool
from .summary import mmr, similarity

logger = logging.getLogger(__name__)

ALIGN = 0.35  # two points this similar are about the same thing
AGREE = 0.75  # without the model: this similar and no clash is an agreement
ENTAILS = 0.5  # the model's entailment probability (either direction) for an agreement
MODEL_ALIGN = 0.5  # the model judges only pairs at least this similar (a contradiction between loosely related
# sentences is noise: "sent to the region" / "managed to leave")
CONFIDENT = 0.8  # the model's contradiction probability (both directions' mean) for a difference
STRONG_ALIGN = 0.55  # two points' figures are compared only when they are this similar
MAX_DOCUMENTS = 4


@dataclass(frozen=True)
class Pair:
    a: int  # pool rows
    b: int
    relation: str  # "differ" | "agree" | "related"
    reason: str = ""


def _calendar(v: float) -> bool:
    return 1000 <= v <= 2200 and float(v).is_integer()


def _numbers_differ(a: str, b: str, topic: str = "") -> str:
    """Different values for the same unit in two sentences ("40 firefighters" / "60 firefighters") that are
    about the same thing: they share ``MIN_SHARED`` words besides the unit's and the ``topic``'s. A calendar
    year ("in 2018") is compared only with calendar years, a duration ("10 years") only with durations."""
    stop = query_stopwords()
    qa_, qb = quantities(a, stop), quantities(b, stop)
    common = shared_words(a, b) - set(tokenize(topic)) - _UNIT_WORDS
    for unit in sorted(qa_.keys() & qb.keys()):
        if len(common - {unit}) < MIN_SHARED:
            continue
        va, vb = qa_[unit], qb[unit]
        sides = [(va, vb)]
        if unit == "year":
            sides = [({v for v in va if kind(v)}, {v for v in vb if kind(v)})
                     for kind in (_calendar, lambda v: not _calendar(v))]
        for xa, xb in sides:
            if xa and xb and not any(same(x, y) for x in xa for y in xb):
                return f"{_values(xa)} against {_values(xb)} {unit}".strip()
    return ""


def _value(v: float) -> str:
    """A figure as a reader writes it: 2e9 -> "2 billion", 6961.0 -> "6,961"."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(v) >= size:
            return f"{v / size:,.4g} {word}"
    return f"{v:,.10g}" if not _calendar(v) else f"{v:.0f}"


def _values(vs: set[float]) -> str:
    return "/".join(_value(v) for v in sorted(vs))


_UNIT_WORDS = frozenset({"cent", "percent", "per", "year", "month", "week", "day", "hour", "time"})
MIN_SHARED = 2  # figures of two sentences are about the same thing only if they share this many other words


def shared_words(a: str, b: str) -> set[str]:
    """The content stems two sentences share (numbers and stop words out)."""
    stop = query_stopwords()
    ta = {t for t in tokenize(a) if t not in stop and not t[:1].isdigit() and len(t) > 2}
    return ta & {t for t in tokenize(b) if t not in stop and not t[:1].isdigit() and len(t) > 2}


def align(pool: Pool, per_doc: Sequence[Sequence[int]]) -> list[tuple[int, int, float]]:
    """Pairs of rows of different documents about the same thing (best first, each row in one pair)."""
    candidates: list[tuple[float, int, int]] = []
    for i in range(len(per_doc)):
        for j in range(i + 1, len(per_doc)):
            left, right = list(per_doc[i]), list(per_doc[j])
            if not left or not right:
                continue
            sims = similarity(pool, left, right)
            candidates += [(float(sims[x, y]), left[x], right[y]) for x in range(len(left)) for y in range(len(right))]
    used: set[int] = set()
    out: list[tuple[int, int, float]] = []
    for sim, a, b in sorted(candidates, key=lambda t: -t[0]):
        if sim < ALIGN or a in used or b in used:
            continue
        used.update((a, b))
        out.append((a, b, sim))
    return out


def judge(pool: Pool, pairs: Sequence[tuple[int, int, float]], entailer: Entailer | None, topic: str) -> list[Pair]:
    """Each aligned pair as a difference, an agreement, or two points on the same thing ("related": no verdict).
    A difference needs strong evidence: different figures for the same thing in closely aligned points, or a
    confident contradiction from the model (see the module docstring)."""
    texts = [(pool.sentences[a].text, pool.sentences[b].text) for a, b, _ in pairs]
    probs = None
    threshold = 0.5
    if entailer is not None and entailer.available and texts:
        probs = entailer.probabilities(texts + [(b, a) for a, b in texts])
        threshold = max(CONFIDENT, entailer.calibration("conflict_threshold", 0.5))
    out = []
    n = len(texts)
    for k, (a, b, sim) in enumerate(pairs):
        ta, tb = texts[k]
        numbers = _numbers_differ(ta, tb, topic) if sim >= STRONG_ALIGN else ""
        if numbers:
            out.append(Pair(a, b, "differ", f"the figures differ: {numbers}"))
            continue
        if probs is not None:
            contradiction = float(probs[k, 2] + probs[n + k, 2]) / 2
            entailment = float(max(probs[k, 0], probs[n + k, 0]))
            logger.debug("pair %d/%d sim %.2f contradiction %.2f entailment %.2f", a, b, sim, contradiction, entailment)
            if sim < MODEL_ALIGN:  # the model's verdict on two loosely related points means little
                out.append(Pair(a, b, "related"))
            elif contradiction >= threshold:
                out.append(Pair(a, b, "differ"))
            elif entailment >= ENTAILS:
                out.append(Pair(a, b, "agree"))
            else:
                out.append(Pair(a, b, "related"))
            continue
        clash = find_conflict(topic or ta, [ta, tb], [pool.sentences[a].doc_id, pool.sentences[b].doc_id],
                              stop=query_stopwords()) if sim >= STRONG_ALIGN else None
        if clash is not None:
            out.append(Pair(a, b, "differ", clash.reason if clash.kind == "number" else ""))
        else:
            out.append(Pair(a, b, "agree" if sim >= AGREE else "related"))
    return out


NUMBER_ALIGN = STRONG_ALIGN  # two sentences with different figures for the same unit this similar disagree on them
MAX_NUMBER_PAIRS = 3


def number_pairs(pool: Pool, doc_ids: Sequence[str], taken: set[int], topic: str = "") -> list[Pair]:
    """Differences in figures anywhere in the documents: sentences of two documents that give different values
    for the same unit ("40 firefighters" / "60 firefighters") and are about the same thing (similar, and sharing
    words besides the unit's and the ``topic``'s: ``_numbers_differ``); best first."""
    stop = query_stopwords()
    rows = [i for i, s in enumerate(pool.sentences) if s.doc_id in doc_ids and i not in taken]
    qty = {i: quantities(pool.sentences[i].text, stop) for i in rows}
    rows = [i for i in rows if qty[i]]
    found: list[tuple[float, Pair]] = []
    for x, a in enumerate(rows):
        for b in rows[x + 1:]:
            if pool.sentences[a].doc_id == pool.sentences[b].doc_id:
                continue
            ta, tb = pool.sentences[a].text, pool.sentences[b].text
            why = _numbers_differ(ta, tb, topic)
            sim = float(similarity(pool, [a], [b])[0, 0]) if why else 0.0
            if why and sim >= NUMBER_ALIGN:
                found.append((sim, Pair(a, b, "differ", f"the figures differ: {why}")))
    out: list[Pair] = []
    used = set(taken)
    for _, p in sorted(found, key=lambda t: -t[0]):
        if p.a not in used and p.b not in used and len(out) < MAX_NUMBER_PAIRS:
            out.append(p)
            used.update((p.a, p.b))
    return out


def points_per_document(pool: Pool, doc_ids: Sequence[str], groups: Sequence[Sequence[Sentence]]) -> list[list[int]]:
    """Pool rows of each document's points, in ``doc_ids`` order."""
    row = {(s.doc_id, s.start): i for i, s in enumerate(pool.sentences)}
    by_doc = {g[0].doc_id: [row[(s.doc_id, s.start)] for s in g] for g in groups if g}
    return [by_doc.get(d, []) for d in doc_ids[:MAX_DOCUMENTS]]


PER_SOURCE = 3  # points per source side by side
PER_TWO_SOURCES = 4  # when two sources are compared
PER_ONE_SOURCE = 6  # when two sides within one document are compared, that document's points
SIDE_WEIGHT = 0.3  # a sentence that names a side ("the prosecution", "Brockman") is more likely its account
SIDE_PREFIX = 5  # a side's word is found by its first letters ("prosecution" ~ "prosecutors")
_NOT_SIDE_WORDS = frozenset({"the", "a", "an", "its", "their", "his", "her", "document", "two", "both", "each"})


def side_words(side: str) -> list[str]:
    """The words that find a side in a sentence: its content words, cut to their first ``SIDE_PREFIX``
    letters ("the prosecution" -> ["prose"])."""
    stop = query_stopwords()
    words = [w for w in re.findall(r"[\w-]+", side.lower()) if w not in _NOT_SIDE_WORDS and w not in stop]
    return [w[:SIDE_PREFIX] for w in words if len(w) > 2]


# words a side's prefix also opens that name someone else: "the defendant" is the accused, not the defence
_NOT_A_SIDE = frozenset({"defendant", "defendants", "defendant's", "defendant’s"})


def names_side(text: str, prefixes: Sequence[str]) -> bool:
    low = text.lower()
    return any(m.group() not in _NOT_A_SIDE for p in prefixes for m in re.finditer(r"\b" + re.escape(p) + r"[\w'’]*", low))


_PERSON = r"[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2}"


def side_members(texts: Sequence[str], prefixes: Sequence[str]) -> list[str]:
    """The surnames (lower case) of the people ``texts`` introduce by a word of a side: "Thane Rehn, a prosecutor
    for the government", "defence lawyer Mark Cohen" speak for "the prosecution" / "the defence"."""
    out: list[str] = []
    for p in prefixes:
        role = r"(?i:" + re.escape(p) + r")\w*"
        after = re.compile(r"(?P<name>" + _PERSON + r"),\s+(?:an?|the|one of (?:the|his|her|their|its))\s+"
                           r"(?:[\w-]+\s+){0,2}?" + role + r"\b")
        before = re.compile(r"\b" + role + r"\s+(?:[a-z][\w-]*\s+)?(?P<name>" + _PERSON + r")")
        for text in texts:
            for m in (*after.finditer(text), *before.finditer(text)):
                surname = m.group("name").split()[-1].strip("’'").lower()
                if len(surname) > 2 and surname not in query_stopwords() and surname not in out:
                    out.append(surname)
    return out


def source_points(pool: Pool, doc_ids: Sequence[str], found: Sequence[Match], sides: Sequence[Sequence[str]] = (),
                  per_source: int = PER_SOURCE) -> list[list[int]]:
    """Per document of ``doc_ids``, the rows of its best points on the topic (``found``, best first), in
    reading order: each side's best sentence first (``sides``: the prefixes of each side's words), then the
    best of the rest (maximal marginal relevance), ``per_source`` in all."""
    by_doc: dict[str, list[Match]] = {}
    for m in found:
        by_doc.setdefault(pool.sentences[m.row].doc_id, []).append(m)
    out: list[list[int]] = []
    for d in doc_ids[:MAX_DOCUMENTS]:
        ms = by_doc.get(d, [])
        scores = {m.row: m.score + (SIDE_WEIGHT if any(names_side(pool.sentences[m.row].text, p) for p in sides)
                                    else 0.0) for m in ms}
        ranked_rows = sorted(scores, key=lambda r: -scores[r])
        picked: list[int] = []
        for prefixes in sides:
            r = next((r for r in ranked_rows if r not in picked and names_side(pool.sentences[r].text, prefixes)), None)
            if r is not None and len(picked) < per_source:
                picked.append(r)
        rest = [r for r in ranked_rows if r not in picked]
        if rest and len(picked) < per_source:
            relevance = np.array([scores[r] for r in rest], np.float32)
            picked += mmr(pool, rest, relevance, per_source - len(picked), list(picked))
        out.append(sorted(picked))
    return out
