"""Sentence scoring: a small network over a few features of each candidate sentence.

Features: its embedding similarity to the question, how much of the question's (IDF-weighted) vocabulary it
and its neighbours contain, how well its passage ranked, and whether it offers the kind of answer asked for
(a date for "when", a number for "how many", names for "who"/"where"). The network was fitted on a dev
slice of SQuAD v1.1 (``scripts/fit_answering.py``); the score is the log-odds that the sentence holds the
answer.

To stay fast, sentences are first ranked lexically and only the best few are embedded; sentence vectors are
cached (in memory, per embedder) so a conversation over the same documents re-embeds nothing.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..embed.base import Embedder
from ..embed.cache import VectorCache
from ..text.tokens import tokenize
from .candidates import Sentence, prelim
from .fitted import sentence_model

# What the sentence scorer (qa/answer/data/sentence_model.json, a small network fitted on a dev slice of SQuAD v1.1 by
# scripts/fit_answering.py; label: the sentence contains a gold answer) reads about each sentence.
FEATURES = (
    "dense", "lexical", "context", "passage_dense", "reciprocal_rank", "novel", "names", "has_date", "has_number",
    "prev_lexical", "next_lexical", "passage_max_dense", "position", "log_length",
    "when_x_date", "number_x_number", "who_x_names", "where_x_names", "other_x_novel",
)


def sentence_logits(x: np.ndarray) -> np.ndarray:
    """Log-odds that each sentence (a row of ``feature_matrix``) holds the answer."""
    return sentence_model(FEATURES).logits(x)


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
                    embed_top: int = 12, *, cache: VectorCache | None = None) -> list[Sentence]:
    """Score sentences (best first). Only the ``embed_top`` best by the lexical pre-score are embedded; the
    others get 0.8 x the dense similarity of their passage instead (they rarely matter)."""
    if not sentences:
        return []
    cache = embedder.vector_cache() if cache is None else cache
    order = sorted(range(len(sentences)), key=lambda i: -prelim(sentences[i]))
    chosen = order[:embed_top]
    vecs = cache.get_many(embedder, [sentences[i].text for i in chosen])
    sims = vecs @ np.asarray(query_vector, np.float32).reshape(-1)
    dense = {i: float(v) for i, v in zip(chosen, sims, strict=True)}
    with_dense = [replace(s, dense=dense.get(i, s.passage_dense * 0.8)) for i, s in enumerate(sentences)]
    scores = sentence_logits(feature_matrix(question, with_dense))
    out = [replace(s, score=float(v)) for s, v in zip(with_dense, scores, strict=True)]
    out.sort(key=lambda s: -s.score)
    return out
