"""BM25: qa's streaming build gives the same index as bm25s's own, in less memory, and saves/loads as JSON + npy."""
from __future__ import annotations

import numpy as np
import pytest

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


def test_bm25s_internal_layout_we_rely_on(tmp_path):
    """qa.store.bm25 builds the bm25s model itself (``scores`` = a CSC matrix as data/indices/indptr/num_docs,
    ``vocab_dict``, ``unique_token_ids_set``, ``nonoccurrence_array``) and reads document frequencies from
    ``scores["indptr"]``: these are bm25s internals, not its public API, so requirements.txt pins bm25s and
    this test pins the layout. If a new bm25s changes it, this fails before any answer silently does."""
    import bm25s

    ours = BM25Index.build(TEXTS)
    model = ours._model
    assert isinstance(model, bm25s.BM25)
    assert set(model.scores) >= {"data", "indices", "indptr", "num_docs"} and model.scores["num_docs"] == len(TEXTS)
    assert len(model.scores["indptr"]) == len(model.vocab_dict) + 1
    ours.save(tmp_path / "bm25")
    back = BM25Index.load(tmp_path / "bm25", len(TEXTS))
    for index in (ours, back):
        for term in ("solar", "nile", "queen", "electr", "nosuchterm"):
            df = sum(term in set(tokenize(t)) for t in TEXTS)
            assert index.document_frequency(term) == df, term
    idf = back.idf(["solar", "nosuchterm"])
    n = len(TEXTS)
    assert idf["solar"] == pytest.approx(np.log(1 + (n - 2 + 0.5) / (2 + 0.5)))
    assert idf["nosuchterm"] == pytest.approx(np.log(1 + (n + 0.5) / 0.5))
