"""The ONNX int8 embedder without loading a model: identity in the manifest, a safe export cache (concurrent
first use, failures), fallback to torch, the QA_EMBEDDER switch, the batch planner and how batches are fed (the
real-model checks are in tests/integration/test_onnx_real.py and test_onnx_feeding.py)."""
from __future__ import annotations

import itertools
import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from qa.embed import base as embedding_base
from qa.embed import onnx as embedding_onnx
from qa.embed import registry
from qa.embed.registry import describe, embedder_from_manifest
from qa.embed.torch import SentenceTransformerEmbedder
from qa.embed.onnx import ExportError, OnnxEmbedder


def test_identity_differs_from_torch_and_round_trips_through_the_manifest():
    onnx_e, torch_e = OnnxEmbedder(), SentenceTransformerEmbedder()
    assert onnx_e.backend == "onnx-int8" != torch_e.backend
    assert onnx_e.fingerprint != torch_e.fingerprint
    weights = embedding_base.weights_hash(str(embedding_base.bundled_model_dir()))
    assert weights in onnx_e.fingerprint and embedding_onnx.RECIPE in onnx_e.fingerprint
    again = embedder_from_manifest(describe(onnx_e))  # lazy: nothing exported or loaded here
    assert isinstance(again, OnnxEmbedder) and again.fingerprint == onnx_e.fingerprint
    assert onnx_e.max_tokens == 256 and onnx_e.dim == 384


def test_qa_embedder_env_picks_the_backend(monkeypatch):
    monkeypatch.setenv("QA_EMBEDDER", "torch")
    assert isinstance(registry.default_embedder(), SentenceTransformerEmbedder)
    monkeypatch.setenv("QA_EMBEDDER", "onnx")
    monkeypatch.setattr(OnnxEmbedder, "prepare", lambda self: self)
    assert isinstance(registry.default_embedder(), OnnxEmbedder)


def test_failing_export_falls_back_to_torch_with_a_warning(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("QA_EMBEDDER", "onnx")
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))

    def broken(model_dir: Path, out: Path) -> None:
        out.write_bytes(b"half a model")
        raise RuntimeError("tracing failed")

    monkeypatch.setattr(embedding_onnx, "_export_fp32", broken)
    with caplog.at_level(logging.WARNING, logger="qa.embed.onnx"):
        chosen = registry.default_embedder()
    assert isinstance(chosen, SentenceTransformerEmbedder)
    assert any("falling back to the torch embedder" in r.getMessage() for r in caplog.records)
    # nothing half-written is left for the next process to pick up
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock"]
    assert leftovers == []
    with pytest.raises(ExportError):
        embedding_onnx.export_model(cache=tmp_path / "onnx")


def test_concurrent_first_use_exports_once_and_atomically(monkeypatch, tmp_path):
    calls: list[int] = []
    started = threading.Event()

    def slow_export(model_dir: Path, out: Path) -> None:
        calls.append(1)
        started.set()
        out.write_bytes(b"fp32")

    def quantize(fp32: Path, out: Path, model_dir: Path) -> None:
        out.write_bytes(b"int8 model")

    monkeypatch.setattr(embedding_onnx, "_export_fp32", slow_export)
    monkeypatch.setattr(embedding_onnx, "_optimize_and_quantize", quantize)
    monkeypatch.setattr(embedding_onnx, "_check_model", lambda path: None)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(embedding_onnx.export_model(cache=tmp_path)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1, "the exporters were serialised by the lock; the others found the finished file"
    assert len(set(results)) == 1 and results[0].read_bytes() == b"int8 model"
    assert not [p for p in results[0].parent.iterdir() if p.name.startswith(".tmp")]


def _brute_force_cost(lengths: list[int], cap: int, overhead: int) -> int:
    """The cheapest cut of the sorted lengths into consecutive batches, by trying every cut."""
    n, best = len(lengths), None
    for mask in range(1 << max(0, n - 1)):
        cuts = [0] + [i + 1 for i in range(n - 1) if mask >> i & 1] + [n]
        groups = list(itertools.pairwise(cuts))
        if any(b - a > cap for a, b in groups):
            continue
        cost = sum(lengths[a] * (b - a) + overhead for a, b in groups)
        best = cost if best is None else min(best, cost)
    return best or 0


def test_plan_batches_is_the_cheapest_cut_and_covers_every_text_once():
    rng = np.random.default_rng(0)
    for _ in range(60):
        n = int(rng.integers(1, 11))
        lengths = sorted((int(x) for x in rng.integers(2, 257, n)), reverse=True)
        cap, overhead = int(rng.integers(1, 6)), int(rng.integers(0, 60))
        groups = embedding_onnx.plan_batches(lengths, cap, overhead)
        assert [i for a, b in groups for i in range(a, b)] == list(range(n))
        assert all(0 < b - a <= cap for a, b in groups)
        assert sum(lengths[a] * (b - a) + overhead for a, b in groups) == _brute_force_cost(lengths, cap, overhead)
    # a long text is not padded together with short ones; equal lengths share full batches
    assert embedding_onnx.plan_batches([120, 30, 28, 25], 32) == [(0, 1), (1, 4)]
    assert [b - a for a, b in embedding_onnx.plan_batches([64] * 64, 32)] == [32, 32]
    assert embedding_onnx.plan_batches([], 32) == []


def test_working_set_order_runs_the_largest_batch_first_and_keeps_every_batch_whole():
    rng = np.random.default_rng(1)
    for _ in range(40):
        lengths = sorted((int(x) for x in rng.integers(2, 257, int(rng.integers(1, 200)))), reverse=True)
        groups = embedding_onnx.plan_batches(lengths, 32)
        ordered = embedding_onnx.working_set_order(groups, lengths)
        assert sorted(ordered) == groups  # the same batches (so the same texts share an int8 scale), reordered

        need = [(b - a) * lengths[a] * (lengths[a] + embedding_onnx.WIDTH_EQUIVALENT) for a, b in ordered]
        assert need == sorted(need, reverse=True)
    # 25 passages of 256 word pieces then 32 of 250 (plan order) run as 32 x 250 first
    lengths = [256] * 25 + [250] * 32
    assert embedding_onnx.plan_batches(lengths, 32) == [(0, 25), (25, 57)]
    assert embedding_onnx.working_set_order([(0, 25), (25, 57)], lengths) == [(25, 57), (0, 25)]
    assert embedding_onnx.working_set_order([], []) == []


def test_encode_runs_the_planned_batches_largest_first_and_returns_vectors_in_input_order(monkeypatch):
    """Without the model: ``_run`` is replaced by a recorder whose vector is a function of a text's token ids,
    so any mix-up of rows between batches or in the output order would show."""
    calls: list[list[int]] = []

    def fake_run(self, ids):
        calls.append([len(x) for x in ids])
        return np.array([[float(len(x)), float(sum(x) % 997)] + [0.0] * 382 for x in ids], np.float32)

    monkeypatch.setattr(OnnxEmbedder, "_run", fake_run)
    words = "harbour keeper lantern ferry island storm beacon tide north south cliff signal rope anchor gull".split()
    rng = np.random.default_rng(3)
    texts = [" ".join(rng.choice(words, int(n))) for n in rng.integers(1, 120, 150)]
    emb = OnnxEmbedder()
    vecs = emb.encode_documents(texts)
    ids = [e.ids for e in emb._tokenizer().encode_batch(texts)]
    expected = np.array([[float(len(x)), float(sum(x) % 997)] + [0.0] * 382 for x in ids], np.float32)
    np.testing.assert_allclose(vecs, embedding_base.normalize(expected), rtol=1e-6)
    lengths = sorted((len(x) for x in ids), reverse=True)
    planned = embedding_onnx.working_set_order(embedding_onnx.plan_batches(lengths, 32), lengths)
    assert [sorted(c, reverse=True) for c in calls] == [lengths[a:b] for a, b in planned]

    calls.clear()
    monkeypatch.setattr(OnnxEmbedder, "largest_first", False)  # the plan's own order (longest first)
    np.testing.assert_array_equal(OnnxEmbedder().encode_documents(texts), vecs)
    assert [sorted(c, reverse=True) for c in calls] == [lengths[a:b] for a, b in embedding_onnx.plan_batches(lengths, 32)]


def test_the_session_keeps_its_arena_without_the_memory_pattern(monkeypatch, tmp_path):
    import onnxruntime as ort

    seen = []
    monkeypatch.setattr(ort, "InferenceSession", lambda path, so, providers: seen.append(so) or object())
    embedding_onnx.open_session(tmp_path / "model.onnx", 2)
    embedding_onnx.open_session(tmp_path / "model.onnx", 2, mem_pattern=True)
    assert [so.enable_mem_pattern for so in seen] == [False, True]
    assert all(so.enable_cpu_mem_arena for so in seen)
    assert OnnxEmbedder.mem_pattern is False and OnnxEmbedder.largest_first is True


def test_word_pieces_are_counted_in_slices_with_the_same_counts(monkeypatch):
    rng = np.random.default_rng(5)
    words = "the homocysteine lighthouse Varnholm was painted red in 1911 by keeper Edda Lindqvist".split()
    texts = [" ".join(rng.choice(words, int(n))) for n in rng.integers(0, 40, 23)]
    model_dir = embedding_base.bundled_model_dir()
    whole = embedding_base.count_word_pieces(model_dir, texts)
    monkeypatch.setattr(embedding_base, "COUNT_SLICE", 4)
    assert embedding_base.count_word_pieces(model_dir, texts) == whole
    assert embedding_base.count_word_pieces(model_dir, []) == []
    tok = embedding_base._counting_tokenizer(str(model_dir))
    assert whole == [len(tok.encode(t, add_special_tokens=False).ids) for t in texts]
