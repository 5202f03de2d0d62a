"""BM25: qa's streaming build gives the same index as bm25s's own, in less memory, and saves/loads as JSON + npy."""
from __future__ import annotations

import numpy as np

from qa.store.bm25 import BM25Index
from qa.text.tokens import tokenize

TEXTS = [
    "Solar panels convert sunlight into electricity using photovoltaic cells.",
    "Bees live in colonies; a colony has one queen and thousands of worker bees.",
    "The Nile is often called the longest river in the world. The Nile flows north.",
    "",  # no terms at all: indexed under the empty term, as bm25s does
    "the of and to",  # stopwords only
    "Electricity from solar power is cheaper every year; solar solar solar.",
]
QUERIES = ["how do solar panels make electricity", "queen bee", "longest river", "the", "zzz unknown words", ""]


def _reference(texts: list[str]):
    import bm25s

    ref = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    ref.index([tokenize(t) or [""] for t in texts], show_progress=False)
    return ref


def _ref_scores(ref, query: str, n: int) -> np.ndarray:
    ids = ref.get_tokens_ids(tokenize(query))
    return np.asarray(ref.get_scores_from_ids(ids), np.float32) if ids else np.zeros(n, np.float32)


def test_streaming_build_scores_like_bm25s():
    ours, ref = BM25Index.build(iter(TEXTS)), _reference(TEXTS)  # any iterable, read once
    assert ours.size == len(TEXTS)
    for q in QUERIES:
        np.testing.assert_allclose(ours.scores(q), _ref_scores(ref, q, len(TEXTS)), rtol=1e-5, atol=1e-6)
    s = ours.scores("solar electricity")
    assert s.argmax() in (0, 5) and s[1] == 0.0


def test_save_load_round_trip_without_pickle(tmp_path):
    ours = BM25Index.build(TEXTS)
    ours.save(tmp_path / "bm25")
    names = sorted(p.name for p in (tmp_path / "bm25").iterdir())
    assert all(n.endswith((".npy", ".json")) for n in names)
    back = BM25Index.load(tmp_path / "bm25", len(TEXTS))
    for q in QUERIES:
        assert np.array_equal(back.scores(q), ours.scores(q))


def test_empty_corpus():
    empty = BM25Index.build([])
    assert empty.size == 0 and empty.scores("anything").shape == (0,)
