"""Key points cover a document's parts: each paragraph's topic sentence weighs a little, and a paragraph that
already gave a point gives another only when it clearly beats the rest; a gist keeps the central sentences."""
from __future__ import annotations

from collections import Counter

import numpy as np

from qa.answer.broad.pool import Pool, lexical_vectors
from qa.answer.broad.summary import mmr, topic_sentences
from qa.answer.candidates import Sentence
from qa.text.tokens import tokenize


def _pool(paragraphs: list[list[str]]) -> Pool:
    texts = [t for p in paragraphs for t in p]
    numbers = [n for n, p in enumerate(paragraphs) for _ in p]
    sentences = [Sentence(doc_id="d", title="T", source="d", page=None, start=i, end=i + 1, text=t, rank=0, index=i)
                 for i, t in enumerate(texts)]
    tokens = [Counter(tokenize(t)) for t in texts]
    idf = {t: 1.0 for tk in tokens for t in tk}
    n = len(texts)
    return Pool(sentences=sentences, dense=np.zeros((n, 4), np.float32), lexical=lexical_vectors(tokens, idf), idf=idf,
                passage_centrality=np.zeros(n, np.float32), doc_order=["d"], paragraphs=np.array(numbers, np.int64))


POOL = _pool([["The sea resembles a riverbed.", "Glaciers scooped out the basin.", "An older sea was in place."],
              ["The land is still rising after the ice age."],
              ["A quarter of the seafloor is a dead zone.", "Bacteria grow in it."]])


def test_topic_sentences_open_paragraphs_of_several() -> None:
    assert topic_sentences(POOL, list(range(6))).tolist() == [1, 0, 0, 0, 1, 0]


def test_spread_covers_the_paragraphs() -> None:
    relevance = np.array([0.9, 0.8, 0.7, 0.5, 0.5, 0.4], np.float32)
    assert mmr(POOL, list(range(6)), relevance, 3) == [0, 1, 2]  # the densest paragraph only
    assert sorted(mmr(POOL, list(range(6)), relevance, 3, spread=0.5)) == [0, 3, 4]  # one point per paragraph


def test_a_pool_without_paragraphs_does_not_spread() -> None:
    pool = _pool([["a b c.", "d e f.", "g h i."]])
    pool.paragraphs = np.zeros(0, np.int64)
    assert pool.paragraph_of(1) == -1
    assert mmr(pool, [0, 1, 2], np.array([0.9, 0.8, 0.7], np.float32), 2, spread=0.5) == [0, 1]
