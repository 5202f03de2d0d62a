"""Who is X / what is X / tell me about X / what happened in X: the sentences that describe it, best first,
from every document that does.

The topic's words are looked for in every sentence of the documents in scope, by stem and, for a name, by
spelling too (transliterations differ: "Izium" / "Izyum", "Arestovych" / "Aretovych"; a word at least
``FUZZY`` similar, same first letter). A sentence's weight is the share of the topic's (IDF-weighted) words it
has, its closeness to the question (word-vector means), and a cue that it describes (an entity: the name
followed by an apposition or "is/was/who"; an event: a verb in the past tense). Each document keeps its best
few; documents are ordered by their best sentence. Nothing mentioning the topic: None (the caller falls back
to the factoid path, which retrieves by meaning and says honestly when nothing answers).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from ...text.tokens import stem, stopwords, tokenize
from ..candidates import Sentence
from .pool import Pool
from .summary import mmr

FUZZY = 0.78  # SequenceMatcher ratio for two spellings of a name
PER_DOCUMENT = 3
MAX_DOCUMENTS = 8
MIN_COVERAGE = 0.5  # share of the topic's weighted words a sentence must have
# words of a topic that say what is asked, not about what ("Gerasimov's fate", "the role of X")
GENERIC = frozenset("fate role situation story news thing things happened happen say said claim claims report "
                    "reports mention mentioned about according article articles document documents source sources "
                    "background details information info".split())


@dataclass(frozen=True)
class Match:
    row: int
    score: float
    coverage: float


def topic_terms(topic: str) -> list[str]:
    """The topic's content words, lower case, in order (generic and stop words out)."""
    stop = stopwords()
    words = [w for w in re.findall(r"[\w'’-]+", topic.lower()) if w not in stop and w not in GENERIC]
    return [re.sub(r"['’]s$", "", w) for w in words if len(w) > 1]


def _variants(term: str, vocabulary: set[str]) -> set[str]:
    """Stems that stand for ``term``: its own, and close spellings of a name (same first letter)."""
    own = stem(term)
    out = {own}
    if len(term) >= 4:
        for w in vocabulary:
            if w[0] == term[0] and abs(len(w) - len(term)) <= 3 and SequenceMatcher(None, term, w).ratio() >= FUZZY:
                out.add(stem(w))
    return out


def _cue(kind: str, text: str, names: Sequence[str]) -> float:
    if kind == "event":
        return 0.1 if re.search(r"\b\w{3,}ed\b|\b(?:was|were|had|took|fled|hit|struck|killed|left|sent)\b", text) else 0.0
    low = text.lower()
    for n in names:
        i = low.find(n)
        if i >= 0 and re.match(r"\W{0,3}(?:,\s*(?:the|a|an|who|which|[a-z]+ (?:of|to|for))\b|\s+(?:is|was|are|were|has been)\b|\s+\()",
                               low[i + len(n):i + len(n) + 40]):
            return 0.15
    return 0.0


def matches(pool: Pool, topic: str, kind: str, query_vector: np.ndarray) -> list[Match]:
    """Sentences of the pool that mention the topic, best first."""
    terms = topic_terms(topic)
    if not terms:
        return []
    vocabulary = {w for s in pool.sentences for w in re.findall(r"[a-z]+", s.text.lower()) if len(w) >= 4}
    variants = [_variants(t, vocabulary) for t in terms]
    top = max(pool.idf.values(), default=1.0)
    weights = np.array([max([pool.idf[v] for v in vs if v in pool.idf], default=top) for vs in variants], np.float32)
    weights = np.maximum(weights, 0.5)
    total = float(weights.sum())
    sims = pool.dense @ query_vector if len(pool.sentences) else np.zeros(0)
    out: list[Match] = []
    for i, s in enumerate(pool.sentences):
        toks = set(tokenize(s.text))
        has = np.array([bool(vs & toks) for vs in variants])
        coverage = float(weights[has].sum()) / total
        if coverage < MIN_COVERAGE:
            continue
        score = coverage + 0.5 * float(sims[i]) + _cue(kind, s.text, terms) + 0.05 / (1 + s.index / 5)
        out.append(Match(i, score, coverage))
    out.sort(key=lambda m: -m.score)
    return out


def describe(pool: Pool, topic: str, kind: str, query_vector: np.ndarray) -> list[list[Sentence]]:
    """Per document (best document first) its best sentences on ``topic``; [] when none mentions it.
    ``query_vector``: the question in the pool's word-vector space (``pool.dense_vectors``)."""
    found = matches(pool, topic, kind, query_vector)
    by_doc: dict[str, list[Match]] = {}
    for m in found:
        by_doc.setdefault(pool.sentences[m.row].doc_id, []).append(m)
    groups: list[list[Sentence]] = []
    chosen: list[int] = []
    for ms in list(by_doc.values())[:MAX_DOCUMENTS]:
        rows = [m.row for m in ms]
        relevance = np.array([m.score for m in ms], np.float32)
        picked = mmr(pool, rows, relevance, PER_DOCUMENT, chosen)
        chosen.extend(picked)
        groups.append([pool.sentences[r] for r in picked])
    return [g for g in groups if g]
