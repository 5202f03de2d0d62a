"""The quotable sentences of whole documents, page furniture left out, with cheap vectors.

A broad question reads whole documents, not the top passages: every sentence (``qa.text.sentences.quote_spans``)
of the documents in scope, less what is not a point of the document (photo credits, "Read also:", the
"Leave a Reply" / "You May Also Like" tail of a web page, a sentence repeated in several documents, the
title line again). Each gets a vector without running the model: the mean of its words' vectors from the
bundled model's word table (``qa.embed.words``, built once per machine), plus an IDF-weighted bag of stems;
the document's stored passage vectors (the model's own) say which part of it is central. So a 20-document
summary embeds nothing at question time.
"""
from __future__ import annotations

import bisect
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ...embed.base import normalize
from ...embed.words import known, word_vectors
from ...text.furniture import caption_end, is_boilerplate, is_furniture, tail_start
from ...text.sentences import quote_spans
from ...text.tokens import stopwords, tokenize
from ...text.wordlists import load_wordlists
from ..candidates import Sentence
from ..config import IndexView

DATA = Path(__file__).resolve().parents[1] / "data" / "broad_text.json"


@lru_cache(maxsize=1)
def cues() -> dict[str, Any]:
    """The cue lists of ``qa/answer/data/broad_text.json``, checked (page furniture: ``qa.text.furniture``)."""
    return dict(load_wordlists(DATA, {"person_titles": "words", "person_verbs": "words", "org_words": "words",
                                      "place_preps": "words", "place_words": "words", "places": "words",
                                      "place_of_heads": "words", "series_cues": "words",
                                      "thread_openers": "words", "name_heads": "groups",
                                      "measure_units": "groups"}))


@dataclass
class Pool:
    """The sentences of the documents in scope (in Documents-list order, then reading order) and their
    vectors: ``dense`` (word-vector means, unit rows), ``lexical`` (IDF-weighted stems, unit rows)."""

    sentences: list[Sentence]
    dense: np.ndarray
    lexical: np.ndarray
    idf: dict[str, float]
    passage_centrality: np.ndarray  # per sentence: its passage's similarity to its document's centroid
    doc_order: list[str] = field(default_factory=list)
    passage_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per sentence (-1: none)
    paragraphs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per sentence: its paragraph
    _lower: set[str] | None = field(default=None, repr=False, compare=False)

    def paragraph_of(self, row: int) -> int:
        """The number of ``row``'s paragraph in its document (-1 when unknown)."""
        return int(self.paragraphs[row]) if row < len(self.paragraphs) else -1

    def of(self, doc_id: str) -> list[int]:
        return [i for i, s in enumerate(self.sentences) if s.doc_id == doc_id]

    def encode_lexical(self, text: str) -> np.ndarray:
        return lexical_vectors([Counter(tokenize(text))], self.idf)[0]

    def lower_words(self) -> set[str]:
        """The words the documents write in lower case somewhere (a capitalised one of them is no name)."""
        if self._lower is None:
            self._lower = {w for s in self.sentences for w in re.findall(r"\b[a-z][a-z’']+\b", s.text)}
        return self._lower


LEXICAL_DIM = 1024  # stems are hashed into this many dimensions (collisions barely move a cosine)


def _slot(stem: str) -> int:
    return zlib.crc32(stem.encode()) % LEXICAL_DIM


def lexical_vectors(tokens: Sequence[Counter[str]], idf: dict[str, float]) -> np.ndarray:
    """Unit rows of (1 + log tf) x idf over hashed stems; a stem not in ``idf`` counts as nothing."""
    out = np.zeros((len(tokens), LEXICAL_DIM), np.float32)
    for i, tk in enumerate(tokens):
        for t, c in tk.items():
            w = idf.get(t)
            if w:
                out[i, _slot(t)] += (1 + math.log(c)) * w
    return normalize(out) if len(tokens) else out


Where = tuple[int, int, int, int]  # (row, start, end, page) of one passage


def passages_of(index: IndexView, doc_ids: Sequence[str]) -> dict[str, list[Where]]:
    """Each document's passages (row, start, end, page), read by row (no scan of the whole table)."""
    p = index.snapshot.passages
    out: dict[str, list[Where]] = {d: [] for d in doc_ids}
    rows_of = getattr(p, "rows_of", None)  # a store that looks rows up by document (Milvus) has it
    rows = rows_of(doc_ids) if rows_of is not None else [i for i, d in enumerate(p.doc_ids) if d in out]
    for row in rows:
        row = int(row)
        out.setdefault(p.doc_ids[row], []).append((row, int(p.starts[row]), int(p.ends[row]), int(p.pages[row])))
    return out


def document_sentences(index: IndexView, doc_id: str, passages: Sequence[Where] = (), *,
                       captions: bool = False) -> list[Sentence]:
    """The quotable sentences of one document, page furniture left out (``index`` numbers them); a
    sentence's page is its passage's (``passages``). With ``captions``, a photo caption is kept without its credits
    (the people and places a list asks for are named there too); else it is furniture."""
    stored = index.snapshot.documents[doc_id]
    doc = stored.document
    text = doc.text
    end = tail_start(text)
    out: list[Sentence] = []
    for a, b in quote_spans(text, 0, end):
        if is_furniture(text[a:b], doc.title) and not _list_item(text, a, b) and not _labelled(text, a, b):
            cut = caption_end(text[a:b]) if captions else None  # a caption's names count, its credits do not
            if cut is None or is_furniture(text[a:a + cut], doc.title):
                continue
            b = a + cut
        page = next((pg for _, s, e, pg in passages if s <= a < e), 0)
        out.append(Sentence(doc_id=doc_id, title=doc.title, source=doc.source, page=page or None, start=a, end=b,
                            text=text[a:b], rank=0, index=len(out)))
    return out


_MARKER_BEFORE = re.compile(r"(?:^|\n)[ \t]*(?:(?P<number>\d{1,2})[.)]|[•\-*–▪◦])[ \t]*$")


def marker_before(text: str, start: int) -> re.Match[str] | None:
    """The list marker that opens the line of the sentence starting at ``start`` (in the 12 characters before it): a
    bullet, or a number ("3." / "3)", group ``number``); None when there is none."""
    return _MARKER_BEFORE.search(text[max(0, start - 12) : start])


def _list_item(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is an item of a bulleted or numbered list with two words or more ("Electrify two
    tug boats."): the document's own point, however short, not furniture."""
    item = text[start:end]
    return marker_before(text, start) is not None and \
        len(re.findall(r"[A-Za-z]+", item)) >= 2 and re.search(r"[a-z]{3}", item) is not None


_LABELLED = re.compile(r"[A-Z][A-Za-z]*(?: [A-Za-z]+){0,2}:\s+\S")


def _labelled(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a sentence that labels a value ("Absent: Elena Voss.", "Travellers: Jane and
    Sam."): the document's own fact, however short, not furniture (unless a furniture pattern says so: "Photo: ...",
    "Source: ...")."""
    line = text[start:end]
    return _LABELLED.match(line) is not None and len(re.findall(r"[A-Za-z]+", line)) >= 2 and not is_boilerplate(line)


def _words(text: str, stop: frozenset[str]) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in stop]


def dense_vectors(index: IndexView, texts: Sequence[str]) -> np.ndarray:
    """Unit word-vector means (the bundled model's word table; unknown words count as nothing)."""
    stop = stopwords()
    words = [_words(t, stop) for t in texts]
    vocab = sorted({w for ws in words for w in ws})
    dim = index.embedder.dim
    if not vocab:
        return np.zeros((len(texts), dim), np.float32)
    table = known(word_vectors(index.embedder), vocab)
    row = {w: i for i, w in enumerate(vocab)}
    out = np.zeros((len(texts), dim), np.float32)
    for i, ws in enumerate(words):
        if ws:
            out[i] = table[[row[w] for w in ws]].mean(axis=0)
    return normalize(out)


def _centrality(index: IndexView, passages: dict[str, list[Where]], sentences: Sequence[Sentence]) -> np.ndarray:
    """Per sentence: cosine of its passage's stored vector with the mean of its document's passage vectors
    (0 when the store keeps no vectors in memory)."""
    vectors = index.snapshot.vectors
    out = np.zeros(len(sentences), np.float32)
    if len(vectors) != len(index.snapshot.passages):
        return out
    sims: dict[str, list[tuple[int, int, float]]] = {}
    for d, where in passages.items():
        if not where:
            continue
        vecs = vectors[[w[0] for w in where]]
        centroid = vecs.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        sims[d] = [(w[1], w[2], float(v @ centroid)) for w, v in zip(where, vecs, strict=True)]
    for i, s in enumerate(sentences):
        found = [sim for a, b, sim in sims.get(s.doc_id, ()) if a <= s.start < b]
        out[i] = max(found) if found else 0.0
    return out


def build_pool(index: IndexView, doc_ids: Sequence[str], *, captions: bool = False) -> Pool:
    """The sentence pool of ``doc_ids`` (in that order). A sentence found word for word in two documents
    (a site's footer, a shared caption) is dropped from both. ``captions``: see ``document_sentences`` (lists)."""
    passages = passages_of(index, doc_ids)
    per_doc = [document_sentences(index, d, passages.get(d, ()), captions=captions) for d in doc_ids]
    counts = Counter(" ".join(s.text.split()) for group in per_doc for s in {x.text: x for x in group}.values())
    sentences = [s for group in per_doc for s in group if counts[" ".join(s.text.split())] == 1 or len(doc_ids) == 1]
    texts = [s.text for s in sentences]
    tokens = [Counter(tokenize(t)) for t in texts]
    df = Counter(t for tk in tokens for t in tk)
    n = max(1, len(texts))
    idf = {t: math.log((n + 1) / (f + 0.5)) for t, f in df.items()}
    rows = np.array([next((w[0] for w in passages.get(s.doc_id, ()) if w[1] <= s.start < w[2]), -1) for s in sentences],
                    np.int64)
    return Pool(sentences=sentences, dense=dense_vectors(index, texts), lexical=lexical_vectors(tokens, idf), idf=idf,
                passage_centrality=_centrality(index, passages, sentences), doc_order=list(doc_ids), passage_rows=rows,
                paragraphs=paragraph_numbers(index, sentences))


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n")


def paragraph_numbers(index: IndexView, sentences: Sequence[Sentence]) -> np.ndarray:
    """Per sentence: the number of its paragraph in its document (paragraphs are separated by a blank line)."""
    breaks: dict[str, list[int]] = {}
    out = np.zeros(len(sentences), np.int64)
    for i, s in enumerate(sentences):
        if s.doc_id not in breaks:
            text = index.snapshot.documents[s.doc_id].document.text
            breaks[s.doc_id] = [m.start() for m in _PARAGRAPH_BREAK.finditer(text)]
        out[i] = bisect.bisect_right(breaks[s.doc_id], s.start)
    return out


def best_per_document(pool: Pool, scores: np.ndarray, doc_ids: Sequence[str]) -> dict[str, float]:
    """Per document of ``doc_ids``, the best of its sentences' ``scores`` (e.g. ``passage_relevance``); 0 when it
    has none."""
    return {d: max((float(scores[r]) for r in pool.of(d)), default=0.0) for d in doc_ids}


def passage_relevance(index: IndexView, pool: Pool, query_vector: Callable[[], np.ndarray]) -> np.ndarray:
    """Per sentence: the similarity of its passage's stored vector (the model's own) to the question's
    (``query_vector()``, called only when needed); zeros when the store keeps no vectors in memory."""
    vectors = index.snapshot.vectors
    out = np.zeros(len(pool.sentences), np.float32)
    if len(vectors) != len(index.snapshot.passages) or not len(pool.sentences):
        return out
    qv = query_vector()
    ok = pool.passage_rows >= 0
    out[ok] = vectors[pool.passage_rows[ok]] @ qv
    return out
