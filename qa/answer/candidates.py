"""Candidate sentences: the retrieved passages cut into quotable sentences, with their lexical features.

Each sentence gets how much of the question's (IDF-weighted) vocabulary it and its neighbours contain; a
question word no sentence contains is matched by its close paraphrases ("hurt" ~ "wounded", word vectors).
``qa.answer.scoring`` then scores them; ``prelim`` is the cheap lexical score that picks which to embed.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..embed.words import WordEncoder, known
from ..store.snapshot import Snapshot
from ..text.sentences import quote_spans
from ..text.tokens import QUESTION_WORDS, stopwords, tokenize
from ..types import Hit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sentence:
    """One candidate sentence: ``document.text[start:end] == text``; scores filled in by ``score_sentences``."""

    doc_id: str
    title: str
    source: str | None
    page: int | None
    start: int
    end: int
    text: str
    rank: int  # rank of its passage among the hits (0 = best)
    index: int  # position among its document's candidate sentences, for neighbour look-ups
    passage_dense: float = 0.0
    lexical: float = 0.0
    context: float = 0.0
    dense: float = 0.0
    score: float = -math.inf

    @property
    def probability(self) -> float:
        """The calibrated chance (on SQuAD) that this sentence holds the answer."""
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, self.score))))


# ----------------------------------------------------------------------------------------- lexical


def question_terms(question: str) -> list[str]:
    """Stemmed content words of a question (stopwords and question words removed), in order, unique."""
    words = [w for w in re.findall(r"(?u)\b\w\w+\b", question.lower()) if w not in QUESTION_WORDS]
    out: list[str] = []
    for t in tokenize(" ".join(words)):
        if t not in out:
            out.append(t)
    return out


def idf(snap: Snapshot, terms: Sequence[str]) -> dict[str, float]:
    """BM25 IDF of each term over the index's passages (unknown terms get the maximum: they are rare)."""
    return snap.sparse.idf(terms)


def coverage(terms: Sequence[str], weights: dict[str, float], tokens: set[str]) -> float:
    """IDF-weighted share of ``terms`` found in ``tokens`` (0..1)."""
    total = sum(weights[t] for t in terms)
    if total <= 0:
        return 0.0
    return sum(weights[t] for t in terms if t in tokens) / total


# ----------------------------------------------------------------------------------------- candidates


SOFT_MATCH = 0.6  # cosine of two words' MiniLM vectors for a paraphrase to count (hurt~wounded 0.62)


def _soft_matches(question: str, missing: Sequence[str], words: set[str],
                  word_vectors: WordEncoder) -> dict[str, set[str]]:
    """For question terms (stems) that no candidate sentence contains, the candidate words close to them in
    meaning ("hurt" -> {"wounded"}), by word-vector cosine >= ``SOFT_MATCH``."""
    raw: dict[str, str] = {}
    for w in re.findall(r"(?u)\b\w\w+\b", question.lower()):
        for t in tokenize(w):
            if t in missing:
                raw.setdefault(t, w)
    stop = stopwords()
    vocab = sorted(w for w in words if w.isalpha() and len(w) > 2 and w not in stop)  # (lower-case words)
    if not raw or not vocab:
        return {}
    qs = list(raw)
    sims = word_vectors([raw[t] for t in qs]) @ known(word_vectors, vocab).T
    return {t: {vocab[j] for j in np.flatnonzero(sims[i] >= SOFT_MATCH)} for i, t in enumerate(qs)}


def candidates(snap: Snapshot, hits: Sequence[Hit], terms: Sequence[str], question: str = "",
               word_vectors: WordEncoder | None = None) -> list[Sentence]:
    """Every sentence of the hit passages, with its lexical features (a sentence shared by two overlapping
    passages is kept once, with the better passage's rank). With ``word_vectors``, a question term that no
    sentence contains is matched by its close paraphrases (see ``_soft_matches``)."""
    weights = idf(snap, terms)
    seen: set[tuple[str, int]] = set()
    found: list[tuple[Hit, int, list[tuple[int, int]], str]] = []
    for rank, hit in enumerate(hits):
        text = snap.documents[hit.doc_id].document.text
        spans = [sp for sp in quote_spans(text, hit.start, hit.end) if (hit.doc_id, sp[0]) not in seen]
        seen.update((hit.doc_id, a) for a, _ in spans)
        found.append((hit, rank, spans, text))
    toks = {(h.doc_id, a): set(tokenize(text[a:b])) for h, _, spans, text in found for a, b in spans}
    missing = [t for t in terms if not any(t in tk for tk in toks.values())]
    if missing and word_vectors is not None and question:
        words = {(h.doc_id, a): set(re.findall(r"[a-z]+", text[a:b].lower())) for h, _, spans, text in found
                 for a, b in spans}
        soft = _soft_matches(question, missing, set().union(*words.values()) if words else set(), word_vectors)
        for key, ws in words.items():
            toks[key] |= {t for t, near in soft.items() if near & ws}
    out: list[Sentence] = []
    for hit, rank, spans, text in found:
        ts = [toks[(hit.doc_id, a)] for a, _ in spans]
        for i, (a, b) in enumerate(spans):
            ctx = ts[i] | (ts[i - 1] if i > 0 else set()) | (ts[i + 1] if i + 1 < len(ts) else set())
            out.append(Sentence(
                doc_id=hit.doc_id, title=hit.title, source=hit.source, page=hit.page, start=a, end=b,
                text=text[a:b], rank=rank, index=i, passage_dense=float(hit.dense_score or 0.0),
                lexical=coverage(terms, weights, ts[i]), context=coverage(terms, weights, ctx),
            ))
    return out


def prelim(s: Sentence) -> float:
    """A cheap lexical-only score, to choose which sentences are worth embedding."""
    return s.lexical + 0.5 * s.context + 0.5 * s.passage_dense + 0.3 / (s.rank + 1)
