"""Every dense backend against brute-force numpy on the same vectors; save/load round trips; row filters."""
from __future__ import annotations

import numpy as np
import pytest

from qa.store import ann
from qa.store.ann import DenseIndex, FlatIndex, HNSWIndex, IVFIndex


def clustered(n: int, dim: int = 64, clusters: int = 50, seed: int = 0) -> np.ndarray:
    """Unit vectors around random centres (text embeddings are clustered too; uniform noise has no neighbours)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    x = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute(vectors: np.ndarray, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    sims = queries @ vectors.T
    if rows is not None:
        mask = np.full(len(vectors), -np.inf, np.float32)
        mask[rows] = 0
        sims = sims + mask
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found.tolist(), truth.tolist(), strict=True)]))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    both = clustered(3040, dim=32)
    return both[:3000], both[3000:]


@pytest.fixture(scope="module")
def built(data) -> dict[type, DenseIndex]:
    """Each backend built once for the module (HNSW construction is the slow part)."""
    return {backend: backend.build(data[0]) for backend, _ in BACKENDS}


BACKENDS = [(FlatIndex, 1.0), (IVFIndex, 0.9), (HNSWIndex, 0.9)]


@pytest.mark.parametrize("backend,min_recall", BACKENDS, ids=[b.kind for b, _ in BACKENDS])
def test_backend_matches_brute_force(data, built, backend, min_recall, tmp_path):
    vectors, queries = data
    index = built[backend]
    assert index.kind == backend.kind and index.size == len(vectors)
    scores, ids = index.search(queries, 10)
    assert scores.shape == ids.shape == (len(queries), 10)
    truth = brute(vectors, queries, 10)
    assert recall(ids, truth) >= min_recall
    assert np.all(np.diff(scores, axis=1) <= 1e-6), "best first"
    if backend is FlatIndex:
        np.testing.assert_allclose(scores[:, 0], np.max(queries @ vectors.T, axis=1), rtol=1e-5)

    path = tmp_path / "dense.faiss"
    index.save(path)
    again = DenseIndex.load(path)
    assert type(again) is backend and again.kind == backend.kind and again.size == index.size
    s2, i2 = again.search(queries, 10)
    np.testing.assert_array_equal(i2, ids)
    np.testing.assert_allclose(s2, scores, rtol=1e-6)


@pytest.mark.parametrize("backend", [b for b, _ in BACKENDS], ids=[b.kind for b, _ in BACKENDS])
@pytest.mark.parametrize("n_rows", [0, 7, 300, 2000])
def test_row_filter_is_respected_and_exact_enough(data, built, backend, n_rows, monkeypatch):
    vectors, queries = data
    index = built[backend]
    rng = np.random.default_rng(n_rows)
    rows = np.sort(rng.choice(len(vectors), n_rows, replace=False))
    if n_rows == 2000:  # exercise the ID-selector path of approximate backends too
        monkeypatch.setattr(backend, "exact_rows_max", 100)
    _, ids = index.search(queries, 10, rows)
    valid = ids[ids >= 0]
    assert set(valid.tolist()) <= set(rows.tolist())
    if n_rows == 0:
        assert len(valid) == 0
        return
    assert (ids >= 0).sum(axis=1).min() == min(10, n_rows)
    truth = brute(vectors, queries, min(10, n_rows), rows)
    found = [[i for i in r if i >= 0] for r in ids.tolist()]
    assert np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth.tolist(), strict=True)]) >= 0.9


def test_factory_chooses_by_size(monkeypatch):
    small = clustered(500, dim=16)
    assert DenseIndex.build(small).kind == "flat"
    monkeypatch.setattr(ann, "FLAT_MAX", 400)
    built = DenseIndex.build(small)
    assert built.kind == "ivf-sq8" and isinstance(built, IVFIndex)
    assert ann.choose_kind(10) == "flat"


def test_empty_index_searches_to_nothing(tmp_path):
    index = DenseIndex.build(np.zeros((0, 8), np.float32))
    assert index.size == 0 and index.kind == "flat"
    scores, ids = index.search(np.ones((2, 8), np.float32), 5)
    assert scores.shape == ids.shape == (2, 0)
    index.save(tmp_path / "d.faiss")
    assert DenseIndex.load(tmp_path / "d.faiss").size == 0


def test_ivf_calibration_reaches_target_recall():
    both = clustered(10050, dim=32, clusters=100, seed=3)
    vectors, queries = both[:10000], both[10000:]
    index = IVFIndex.build(vectors)
    assert 1 <= index.nprobe <= 256
    _, ids = index.search(queries, 10)
    assert recall(ids, brute(vectors, queries, 10)) >= 0.9
    assert index.nbytes() < vectors.nbytes / 2  # 8-bit codes: a quarter of float32, plus ids and centroids
