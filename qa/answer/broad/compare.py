"""How do the sources differ / do they agree? Their points side by side, per source.

Each document contributes its points on the topic (``describe``), or its summary points when the question
names no topic. Points of two documents are paired when they are about the same thing (similarity at least
``ALIGN``, best pairs first, each point in one pair). A pair is a difference when the entailment model
(``qa.answer.entail``, when installed) finds that they contradict each other (the calibrated
``conflict_threshold``), or when they give different values for the same kind of quantity or date; an
agreement when the model finds that one entails the other (without the model: when they say nearly the same,
and the word-list conflict rules of ``qa.answer.conflicts`` find no clash). Points no other source matches are
shown as said by one source only.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...text.numbers import quantities, same
from ...text.tokens import query_stopwords, tokenize
from ..candidates import Sentence
from ..conflicts import find_conflict
from ..entail import Entailer
from .pool import Pool
from .summary import similarity

ALIGN = 0.35  # two points this similar are about the same thing
AGREE = 0.75  # without the model: this similar and no clash is an agreement
ENTAILS = 0.5
MODEL_ALIGN = 0.5  # the model judges only pairs at least this similar (a contradiction between loosely related
# sentences is noise: "sent to the region" / "managed to leave")  # the model's entailment probability (either direction) for an agreement
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
                fmt = lambda vs: "/".join(f"{v:g}" for v in sorted(vs))  # noqa: E731
                return f"{fmt(xa)} against {fmt(xb)} {unit}".strip()
    return ""


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
    """Each aligned pair as a difference, an agreement, or two points on the same thing."""
    texts = [(pool.sentences[a].text, pool.sentences[b].text) for a, b, _ in pairs]
    probs = None
    threshold = 0.5
    if entailer is not None and entailer.available and texts:
        probs = entailer.probabilities(texts + [(b, a) for a, b in texts])
        threshold = entailer.calibration("conflict_threshold", 0.5)
    out = []
    n = len(texts)
    for k, (a, b, sim) in enumerate(pairs):
        ta, tb = texts[k]
        numbers = _numbers_differ(ta, tb, topic)
        if numbers:
            out.append(Pair(a, b, "differ", f"the figures differ: {numbers}"))
            continue
        if probs is not None:
            contradiction = float(probs[k, 2] + probs[n + k, 2]) / 2
            entailment = float(max(probs[k, 0], probs[n + k, 0]))
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
                              stop=query_stopwords())
        if clash is not None:
            out.append(Pair(a, b, "differ", clash.reason if clash.kind == "number" else ""))
        else:
            out.append(Pair(a, b, "agree" if sim >= AGREE else "related"))
    return out


NUMBER_ALIGN = 0.3  # two sentences with different figures for the same unit this similar disagree on them
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


def unmatched(per_doc: Sequence[Sequence[int]], pairs: Sequence[Pair]) -> list[list[int]]:
    used = {p.a for p in pairs} | {p.b for p in pairs}
    return [[r for r in rows if r not in used] for rows in per_doc]


def ranked(relevance: np.ndarray, rows: Sequence[int]) -> list[int]:
    return [rows[i] for i in np.argsort(-relevance, kind="stable")]
