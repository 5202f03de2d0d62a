"""Summaries and key points: each document's most central sentences, not repeating each other.

Per document, a sentence's centrality is its closeness to the document's centroid (word-vector means and
IDF-weighted stems, ``pool``), its passage's closeness to the document's stored passage vectors, and a lead
bonus (news puts its point first). Maximal marginal relevance then picks the sentences, each penalised by its
similarity to those already chosen, in the document and (for a collection) in the documents before it. The
chosen sentences are shown in reading order, grouped per document in Documents-list order. How many: a gist is
shorter than a summary, which is shorter than key points; a collection gets fewer per document.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np

from ..candidates import Sentence
from .pool import Pool

# sentences per document: {length: (one document, two or three, four to eight, more)}
PER_DOCUMENT = {"gist": (3, 2, 1, 1), "summary": (5, 3, 2, 1), "points": (7, 6, 3, 2)}
MMR_LAMBDA = 0.7  # weight of centrality against redundancy
LEAD = 0.2  # bonus of a document's first content sentence, halving every 3 sentences
FACTS = 0.05  # bonus of a sentence that states a figure, and per name it gives (at most 3): facts make points
WEIGHTS = (0.45, 0.35, 0.2)  # word-vector centroid, stem centroid, passage centrality
TITLE = 0.25  # weight of a sentence's closeness to its document's headline (the title method of extracts)
HEADLINE_WORDS = 6
HEADLINE_FIGURE = 0.5  # a sentence that states a figure of the headline ("$4.3B") is about what it announces
REDUNDANT = 0.85  # a sentence this similar to one already chosen is never added
PARAGRAPH_LEAD = 0.1  # key points: bonus of the first sentence of a paragraph of several (its topic sentence)
SECTION_SEEN = 0.15  # penalty of a sentence from a paragraph a summary already quotes: cover the document's parts
LAID_OUT = 0.1  # bonus of an item the document itself numbers or bullets (``enumerations``): its own points


def shortlist(k: int) -> int:
    return 3 * k + 6


def per_document(length: str, documents: int) -> int:
    counts = PER_DOCUMENT.get(length, PER_DOCUMENT["summary"])
    slot = 0 if documents <= 1 else 1 if documents <= 3 else 2 if documents <= 8 else 3
    return counts[slot]


def similarity(pool: Pool, rows: Sequence[int], others: Sequence[int]) -> np.ndarray:
    """Pairwise similarity of sentences (mean of the word-vector and stem cosines), [len(rows), len(others)]."""
    if not len(rows) or not len(others):
        return np.zeros((len(rows), len(others)), np.float32)
    d = pool.dense[list(rows)] @ pool.dense[list(others)].T
    lx = pool.lexical[list(rows)] @ pool.lexical[list(others)].T
    return (0.5 * d + 0.5 * lx).astype(np.float32)


def centrality(pool: Pool, rows: Sequence[int], focus: np.ndarray | None = None) -> np.ndarray:
    """How central each sentence of ``rows`` (one document) is to it (or to ``focus``, a [dense; lexical]
    vector pair stacked as a tuple-like array of two rows, when a topic steers the summary)."""
    rows = list(rows)
    dense, lexical = pool.dense[rows], pool.lexical[rows]
    cd = dense.mean(axis=0)
    cl = lexical.mean(axis=0)
    cd /= max(float(np.linalg.norm(cd)), 1e-12)
    cl /= max(float(np.linalg.norm(cl)), 1e-12)
    w = WEIGHTS
    score = w[0] * (dense @ cd) + w[1] * (lexical @ cl) + w[2] * pool.passage_centrality[rows]
    lead = np.array([LEAD * 0.5 ** (j / 3) for j in range(len(rows))], np.float32)
    facts = np.array([FACTS * (bool(re.search(r"\d", pool.sentences[r].text)) +
                               min(3, len(set(re.findall(r"(?<=[a-z,] )[A-Z][a-z]+", pool.sentences[r].text)))))
                      for r in rows], np.float32)
    return (score + lead + facts + TITLE * title_similarity(pool, rows)).astype(np.float32)


def title_similarity(pool: Pool, rows: Sequence[int]) -> np.ndarray:
    """Each sentence's closeness (IDF-weighted stems) to its document's title, when the title is a headline
    (``HEADLINE_WORDS`` words or more: news titles say what the story is; "Genghis Khan" says only whom)."""
    out = np.zeros(len(rows), np.float32)
    if not len(rows):
        return out
    title = pool.sentences[rows[0]].title or ""
    if len(re.findall(r"[A-Za-z]+", title)) < HEADLINE_WORDS:
        return out
    figures = figures_in(title)
    shared = np.array([HEADLINE_FIGURE * bool(figures & figures_in(pool.sentences[r].text)) for r in rows], np.float32)
    return (pool.lexical[list(rows)] @ pool.encode_lexical(title) + shared).astype(np.float32)


_FIGURE = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)\s*(billion|bn|b|million|mn|m|thousand|k|trillion|tn)?(?![\w])", re.I)
_SCALES = {"billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3,
           "trillion": 1e12, "tn": 1e12}


def figures_in(text: str) -> set[float]:
    """The figures a text states, scaled ("$4.3B" and "$4.3 billion" are the same figure; "2023" is 2023)."""
    out = set()
    for m in _FIGURE.finditer(text):
        try:
            v = float(m.group(1).replace(",", ""))
        except ValueError:
            continue
        out.add(round(v * _SCALES.get((m.group(2) or "").lower(), 1.0), 3))
    return out


def mmr(pool: Pool, rows: Sequence[int], relevance: np.ndarray, k: int, chosen_before: Sequence[int] = (), *,
        spread: float = 0.0) -> list[int]:
    """Up to ``k`` of ``rows`` by maximal marginal relevance (redundancy also against ``chosen_before``); only
    the ``SHORTLIST(k)`` most relevant are considered. ``spread``: the penalty of a sentence whose paragraph
    already gave one (a summary covers a document's parts, not only its densest one)."""
    if not len(rows) or k <= 0:
        return []
    keep = np.argsort(-relevance, kind="stable")[: shortlist(k)]
    rows, relevance = [rows[j] for j in keep], relevance[keep]
    sims = similarity(pool, rows, rows)
    before = similarity(pool, rows, chosen_before).max(axis=1) if chosen_before else np.zeros(len(rows), np.float32)
    picked: list[int] = []
    for _ in range(min(k, len(rows))):
        best, best_score = -1, -np.inf
        for j in range(len(rows)):
            if j in picked:
                continue
            red = max([float(before[j])] + [float(sims[j, p]) for p in picked])
            if red >= REDUNDANT:
                continue
            score = MMR_LAMBDA * float(relevance[j]) - (1 - MMR_LAMBDA) * red
            if spread and any(_same_paragraph(pool, rows[j], rows[p]) for p in picked):
                score -= spread
            if score > best_score:
                best, best_score = j, score
        if best < 0:
            break
        picked.append(best)
    return [rows[j] for j in picked]


def topic_sentences(pool: Pool, rows: Sequence[int]) -> np.ndarray:
    """1 for the first sentence of a paragraph that has several (a topic sentence), else 0."""
    paragraphs = [pool.paragraph_of(r) for r in rows]
    sizes = Counter(paragraphs)
    return np.array([float(p >= 0 and sizes[p] > 1 and (j == 0 or paragraphs[j - 1] != p))
                     for j, p in enumerate(paragraphs)], np.float32)


def _same_paragraph(pool: Pool, a: int, b: int) -> bool:
    return pool.sentences[a].doc_id == pool.sentences[b].doc_id and pool.paragraph_of(a) == pool.paragraph_of(b) >= 0


def summarise(pool: Pool, doc_ids: Sequence[str], length: str, laid_out: Collection[int] = ()) -> list[Sentence]:
    """The summary sentences of ``doc_ids``: per document its most central, non-redundant sentences, in
    Documents-list order then reading order. ``laid_out``: rows of the items a document enumerates itself."""
    k = per_document(length, len(doc_ids))
    chosen: list[int] = []
    for d in doc_ids:
        rows = pool.of(d)
        if not rows:
            continue
        bonus = np.array([LAID_OUT * (r in laid_out) for r in rows], np.float32)
        spread = SECTION_SEEN if length == "points" else 0.0  # key points cover the parts; a gist states the point
        if length == "points":
            bonus += PARAGRAPH_LEAD * topic_sentences(pool, rows)
        picked = mmr(pool, rows, centrality(pool, rows) + bonus, k, chosen, spread=spread)
        chosen.extend(sorted(picked))
    return [pool.sentences[i] for i in chosen]
