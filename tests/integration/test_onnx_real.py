"""The ONNX int8 embedder on the real bundled model (exported on first use, cached; no download): closeness to
the torch vectors, the manifest's identity, batch order, and per-query vectors."""
from __future__ import annotations

import numpy as np
import pytest

import qa
from qa.embed.onnx import OnnxEmbedder


@pytest.mark.slow
def test_vectors_match_torch_and_index_refuses_the_other_backend(tmp_path, real_embedder):
    """Exports the bundled model on first use (cached in ~/.cache/qa/onnx; no download)."""
    onnx_e, torch_e = OnnxEmbedder().prepare(), real_embedder
    texts = ["Solar panels convert sunlight into electricity.", "bees", "What is the capital of France?",
             "The Nile is often called the longest river in the world. " * 60]  # > 256 word pieces: truncated
    a, b = onnx_e.encode_documents(texts), torch_e.encode_documents(texts)
    assert a.shape == (4, 384) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.97 and cos.mean() >= 0.985
    # activations are quantized per batch (dynamic scales), so a text alone differs slightly from in a batch
    assert float(onnx_e.encode_queries(texts[:1])[0] @ a[0]) >= 0.99
    assert onnx_e.count_tokens(["a bb ccc"]) == torch_e.count_tokens(["a bb ccc"])

    docs = [qa.Document("a", "Solar", texts[0]), qa.Document("b", "Bees", "Bees live in colonies with a queen.")]
    idx = qa.build_index(docs, tmp_path / "ix", embedder=onnx_e)
    assert idx.manifest["embedder"]["backend"] == "onnx-int8"
    assert qa.load_index(tmp_path / "ix").embedder.fingerprint == onnx_e.fingerprint
    assert idx.search("how does a solar panel work?", 1)[0].doc_id == "a"
    with pytest.raises(qa.ModelMismatchError):
        qa.load_index(tmp_path / "ix", embedder=torch_e)


@pytest.mark.slow
def test_grouped_batches_return_vectors_in_input_order():
    emb = OnnxEmbedder(batch_size=2).prepare()
    texts = ["bees", "The Nile is often called the longest river in the world. " * 8, "Solar panels convert sunlight.",
             "bees", "What is the capital of France?"]
    together = emb.encode_documents(texts)
    alone = np.stack([emb.encode_documents([t])[0] for t in texts])
    assert together.shape == (5, 384)
    assert ((together * alone).sum(axis=1) >= 0.98).all()  # each row is its own text's vector
    assert np.array_equal(together[0], together[3])
    assert emb.encode_documents([]).shape == (0, 384)


@pytest.mark.slow
def test_a_query_gets_the_same_vector_alone_or_among_others():
    """Evaluations encode many queries at once; each must get the vector it gets when asked alone."""
    emb = OnnxEmbedder().prepare()
    qs = ["was Gerasimov wounded?", "What is the longest river in the world, and which countries does it cross? " * 3]
    together = emb.encode_queries(qs)
    for q, v in zip(qs, together, strict=True):
        assert np.array_equal(emb.encode_queries([q])[0], v)
