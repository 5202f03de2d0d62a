"""Sentence-level evidence: the retrieved passages cut into sentences, each scored against the question.

A sentence's score comes from a small network (``qa.sentence_model``) over a few features: its embedding
similarity to the question, how much of the question's (IDF-weighted) vocabulary it and its neighbours
contain, how well its passage ranked, and whether it offers the kind of answer asked for (a date for
"when", a number for "how many", names for "who"/"where"). It was fitted on a dev slice of SQuAD v1.1
(``scripts/fit_answering.py``); the score is the log-odds that the sentence holds the answer.

To stay fast, sentences are first ranked lexically and only the best few are embedded; sentence vectors are
cached (in memory, per embedder) so a conversation over the same documents re-embeds nothing.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .chunking import split_sentences
from .embedding import Embedder
from .sparse import _stopwords, tokenize
from .store import Snapshot
from .types import Hit
from .word_vectors import WordEncoder, known

logger = logging.getLogger(__name__)

# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how many much does did do is are was were can could should "
    "would will tell explain describe name list give say says said according document documents".split()
)

# What the sentence scorer (qa/sentence_model.py, a small network fitted on a dev slice of SQuAD v1.1 by
# scripts/fit_answering.py; label: the sentence contains a gold answer) reads about each sentence.
FEATURES = (
    "dense", "lexical", "context", "passage_dense", "reciprocal_rank", "novel", "names", "has_date", "has_number",
    "prev_lexical", "next_lexical", "passage_max_dense", "position", "log_length",
    "when_x_date", "number_x_number", "who_x_names", "where_x_names", "other_x_novel",
)


def sentence_logits(x: np.ndarray) -> np.ndarray:
    """Log-odds that each sentence (a row of ``feature_matrix``) holds the answer."""
    from . import sentence_model as m

    if not len(x):
        return np.zeros(0)
    return np.maximum(0.0, x @ m.W1 + m.B1) @ m.W2 + m.B2


MAX_SENTENCE_CHARS = 600  # a longer "sentence" (a run-on list, a table row soup) is cut into pieces


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


_IDF_CACHE: dict[int, tuple[Any, dict[str, float]]] = {}
_IDF_LOCK = threading.Lock()


def idf(snap: Snapshot, terms: Sequence[str]) -> dict[str, float]:
    """BM25 IDF of each term over the index's passages (unknown terms get the maximum: they are rare)."""
    model = getattr(snap.sparse, "_model", None)
    n = max(len(snap.passages), 1)
    top = math.log(1 + (n + 0.5) / 0.5)
    if model is None:
        return {t: top for t in terms}
    with _IDF_LOCK:
        cached = _IDF_CACHE.get(id(snap))
        if cached is None or cached[0] is not model:
            cached = (model, {})
            _IDF_CACHE.clear()
            _IDF_CACHE[id(snap)] = cached
        table = cached[1]
    out = {}
    indptr = model.scores["indptr"]
    for t in terms:
        if t not in table:
            tid = model.vocab_dict.get(t)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
            table[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        out[t] = table[t]
    return out


def coverage(terms: Sequence[str], weights: dict[str, float], tokens: set[str]) -> float:
    """IDF-weighted share of ``terms`` found in ``tokens`` (0..1)."""
    total = sum(weights[t] for t in terms)
    if total <= 0:
        return 0.0
    return sum(weights[t] for t in terms if t in tokens) / total


# ----------------------------------------------------------------------------------------- vectors


class VectorCache:
    """Sentence vectors by (embedder fingerprint, text), least recently used evicted first. Thread-safe."""

    def __init__(self, maxsize: int = 50_000) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def put_many(self, embedder: Embedder, texts: Sequence[str], vectors: np.ndarray) -> None:
        fp = embedder.fingerprint
        with self._lock:
            for t, v in zip(texts, vectors):
                self._data[(fp, t)] = v
                self._data.move_to_end((fp, t))
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def cached(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """Vectors of the ``texts`` embedded before; zero rows for the others (nothing is embedded)."""
        fp = embedder.fingerprint
        out = np.zeros((len(texts), embedder.dim), np.float32)
        with self._lock:
            for i, t in enumerate(texts):
                v = self._data.get((fp, t))
                if v is not None:
                    out[i] = v
        return out

    def get_many(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts``, embedding (in one batch) only those not cached yet."""
        fp = embedder.fingerprint
        out = np.zeros((len(texts), embedder.dim), np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                v = self._data.get((fp, t))
                if v is None:
                    missing.setdefault(t, []).append(i)
                else:
                    self._data.move_to_end((fp, t))
                    out[i] = v
        if missing:
            todo = list(missing)
            vecs = embedder.encode_documents(todo)
            self.put_many(embedder, todo, vecs)
            for t, v in zip(todo, vecs):
                out[missing[t]] = v
        return out


VECTORS = VectorCache()


# ----------------------------------------------------------------------------------------- candidates


# Abbreviations after which ``split_sentences`` may cut, but a quote should not ("killed incl. Gen. Simonov").
_MORE_ABBREVIATIONS = re.compile(r"\b(?:incl|excl|esp|viz|resp|ibid|approx|nr|ref|tel|ext|gen|col|lt|maj|sgt|st)\.$",
                                 re.IGNORECASE)


def _merged_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for s in split_sentences(text, start, end):
        if spans and _MORE_ABBREVIATIONS.search(text[spans[-1][0] : spans[-1][1]]) and \
                "\n" not in text[spans[-1][1] : s.start]:
            spans[-1] = (spans[-1][0], s.end)
        else:
            spans.append((s.start, s.end))
    return spans


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    for s_start, s_end in _merged_sentences(text, start, end):
        if s_end - s_start <= MAX_SENTENCE_CHARS:
            spans.append((s_start, s_end))
            continue
        cursor = s_start  # cut an over-long sentence at clause or word boundaries
        while s_end - cursor > MAX_SENTENCE_CHARS:
            window = text[cursor : cursor + MAX_SENTENCE_CHARS]
            cut = max(window.rfind("; "), window.rfind(", "))
            if cut < MAX_SENTENCE_CHARS // 3:
                cut = window.rfind(" ")
            if cut <= 0:
                cut = MAX_SENTENCE_CHARS - 1
            spans.append((cursor, cursor + cut + 1))
            cursor += cut + 1
            while cursor < s_end and text[cursor].isspace():
                cursor += 1
        if cursor < s_end:
            spans.append((cursor, s_end))
    return [(a, b) for a, b in spans if text[a:b].strip() and re.search(r"\w", text[a:b])]


SOFT_MATCH = 0.6  # cosine of two words' MiniLM vectors for a paraphrase to count (hurt~wounded 0.62)


def _soft_matches(question: str, missing: Sequence[str], words: set[str],
                  word_vectors: WordEncoder) -> dict[str, set[str]]:
    """For question terms (stems) that no candidate sentence contains, the candidate words close to them in
    meaning ("hurt" -> {"wounded"}), by word-vector cosine >= ``SOFT_MATCH``."""
    raw = {}
    for w in re.findall(r"(?u)\b\w\w+\b", question.lower()):
        for t in tokenize(w):
            if t in missing:
                raw.setdefault(t, w)
    stop = _stopwords()
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
        spans = [sp for sp in _sentence_spans(text, hit.start, hit.end) if (hit.doc_id, sp[0]) not in seen]
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


_DATE = re.compile(r"\b(?:1\d{3}|20\d{2})\b|\b(?:january|february|march|april|may|june|july|august|september|"
                   r"october|november|december)\b|\bcentur", re.IGNORECASE)
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundred|thousand|"
                     r"million|billion|dozen)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-zA-Z]+")


def question_type(question: str) -> str:
    """when / number / who / where / other: what kind of answer the question wants."""
    q = question.lower()
    if re.search(r"\bwhen\b|what year|which year|what date|what century|what decade", q):
        return "when"
    if re.search(r"\bhow (?:many|much|long|old|far|large|big|tall|high)|what (?:percentage|number|age)", q):
        return "number"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return "who"
    if re.search(r"\bwhere\b", q):
        return "where"
    return "other"


def feature_matrix(question: str, sentences: Sequence[Sentence]) -> np.ndarray:
    """The ``FEATURES`` of each sentence (its ``dense`` must be set)."""
    qtype = question_type(question)
    qtokens = set(tokenize(question))
    qwords = {w.lower() for w in re.findall(r"\w+", question)}
    siblings: dict[tuple[str, int], list[int]] = {}
    for i, s in enumerate(sentences):
        siblings.setdefault((s.doc_id, s.rank), []).append(i)
    for rows in siblings.values():
        rows.sort(key=lambda i: sentences[i].start)
    out = np.zeros((len(sentences), len(FEATURES)))
    for rows in siblings.values():
        top_dense = max(sentences[i].dense for i in rows)
        for j, i in enumerate(rows):
            s = sentences[i]
            toks = tokenize(s.text)
            novel = sum(t not in qtokens for t in toks) / max(1, len(toks))
            names = sum(w.lower() not in qwords for w in _NAME.findall(s.text))
            date, number = float(bool(_DATE.search(s.text))), float(bool(_NUMBER.search(s.text)))
            prev_lex = sentences[rows[j - 1]].lexical if j > 0 else 0.0
            next_lex = sentences[rows[j + 1]].lexical if j + 1 < len(rows) else 0.0
            out[i] = [
                s.dense, s.lexical, s.context, s.passage_dense, 1.0 / (s.rank + 1), novel, min(names, 5) / 5, date,
                number, prev_lex, next_lex, top_dense, j / max(1, len(rows) - 1), math.log(max(1, len(s.text))),
                date * (qtype == "when"), number * (qtype == "number"), min(names, 3) / 3 * (qtype == "who"),
                min(names, 3) / 3 * (qtype == "where"), novel * (qtype == "other"),
            ]
    return out


def score_sentences(embedder: Embedder, query_vector: np.ndarray, sentences: Sequence[Sentence], question: str,
                    embed_top: int = 12, cache: VectorCache | None = None) -> list[Sentence]:
    """Score sentences (best first). Only the ``embed_top`` best by the lexical pre-score are embedded; the
    others get 0.8 x the dense similarity of their passage instead (they rarely matter)."""
    if not sentences:
        return []
    cache = VECTORS if cache is None else cache
    order = sorted(range(len(sentences)), key=lambda i: -prelim(sentences[i]))
    chosen = order[:embed_top]
    vecs = cache.get_many(embedder, [sentences[i].text for i in chosen])
    sims = vecs @ np.asarray(query_vector, np.float32).reshape(-1)
    dense = {i: float(v) for i, v in zip(chosen, sims)}
    with_dense = [replace(s, dense=dense.get(i, s.passage_dense * 0.8)) for i, s in enumerate(sentences)]
    scores = sentence_logits(feature_matrix(question, with_dense))
    out = [replace(s, score=float(v)) for s, v in zip(with_dense, scores)]
    out.sort(key=lambda s: -s.score)
    return out
