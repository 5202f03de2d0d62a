"""The word-vector table: built once from the model's vocabulary, cached on disk, same vectors as encoding."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.embed.words import WordVectors, known, vocabulary

VOCAB = ["[CLS]", "[SEP]", "the", "hurt", "wounded", "injured", "tomato", "##ing", "Paris", "x1y", "ok"]


class VocabEmbedder(qa.HashingEmbedder):
    """A hashing embedder with a tokenizer file (like the real models) that counts what it encodes."""

    def __init__(self, model_dir: Path, tag: str) -> None:
        super().__init__(64)
        self.model_dir = model_dir
        self.tag = tag
        self.encoded: list[str] = []

    @property
    def fingerprint(self) -> str:
        return f"vocab-test-{self.tag}"

    def encode_documents(self, texts: Sequence[str], progress=None) -> np.ndarray:  # noqa: ANN001
        self.encoded.extend(texts)
        return super().encode_documents(texts, progress)


@pytest.fixture
def embedder(tmp_path: Path, request: pytest.FixtureRequest) -> VocabEmbedder:
    model = tmp_path / "model"
    model.mkdir()
    (model / "tokenizer.json").write_text(json.dumps({"model": {"vocab": {w: i for i, w in enumerate(VOCAB)}}}))
    return VocabEmbedder(model, request.node.name)


def test_vocabulary_keeps_whole_lower_case_words(embedder: VocabEmbedder) -> None:
    assert vocabulary(embedder) == ["hurt", "injured", "the", "tomato", "wounded"]
    assert vocabulary(qa.HashingEmbedder()) == []


def test_table_gives_the_encoder_vectors_and_is_built_once(embedder: VocabEmbedder, tmp_path: Path) -> None:
    wv = WordVectors(embedder, cache_dir=tmp_path / "cache", background=False)
    assert wv.ready and sorted(embedder.encoded) == vocabulary(embedder)
    words = ["wounded", "hurt", "Tomato"]
    expected = qa.HashingEmbedder(64).encode_documents([w.lower() for w in words])
    assert np.allclose(wv(words), expected, atol=2e-3)  # stored as float16
    embedder.encoded.clear()
    again = WordVectors(embedder, cache_dir=tmp_path / "cache", background=False)
    assert embedder.encoded == [] and np.allclose(again(words), expected, atol=2e-3)  # read from disk


def test_words_outside_the_table(embedder: VocabEmbedder, tmp_path: Path) -> None:
    wv = WordVectors(embedder, cache_dir=tmp_path / "cache", background=False)
    embedder.encoded.clear()
    assert not known(wv, ["zyzzogeton"]).any()  # a rare sentence word: no time spent, zero vector
    assert embedder.encoded == []
    v = wv(["zyzzogeton"])  # a question word: encoded now ...
    assert embedder.encoded == ["zyzzogeton"] and np.isclose(np.linalg.norm(v), 1.0)
    assert np.allclose(known(wv, ["zyzzogeton"]), v)  # ... and remembered
    plain = qa.HashingEmbedder(64).encode_documents
    assert np.allclose(known(plain, ["hurt"]), plain(["hurt"]))  # any callable works as a word encoder


def test_a_damaged_cache_file_is_rebuilt(embedder: VocabEmbedder, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    wv = WordVectors(embedder, cache_dir=tmp_path / "cache", background=False)
    wv.path.write_bytes(b"not a numpy file")
    embedder.encoded.clear()
    with caplog.at_level(logging.WARNING, logger="qa.word_vectors"):
        again = WordVectors(embedder, cache_dir=tmp_path / "cache", background=False)
    assert "unreadable" in caplog.text and str(wv.path) in caplog.text
    assert sorted(embedder.encoded) == vocabulary(embedder) and again.ready
    assert np.load(wv.path)["vectors"].shape == (5, 64)


def test_background_build_answers_meanwhile(embedder: VocabEmbedder, tmp_path: Path) -> None:
    wv = WordVectors(embedder, cache_dir=tmp_path / "cache", background=True)
    first = wv(["injured"])  # whether or not the table is ready yet, the vector is the same
    assert wv.wait(30)
    assert np.allclose(first, wv(["injured"]), atol=2e-3)
    assert not list((tmp_path / "cache").glob("*.tmp*"))


class SlowVocabEmbedder(VocabEmbedder):
    """Encodes one word per batch, slowly, so that a build can be caught half-way."""

    batch_size = 1

    def __init__(self, model_dir: Path, tag: str) -> None:
        super().__init__(model_dir, tag)
        self.started = threading.Event()
        self.batches = 0

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        self.started.set()
        time.sleep(0.05)
        return super()._encode(texts)


def test_a_build_stops_between_batches_at_exit(embedder: VocabEmbedder, tmp_path: Path) -> None:
    # A one-shot process (a CLI answer) exits while the table is being built in the background; a thread left
    # inside a native encoder during interpreter teardown aborts the process, so `stop` (registered at exit)
    # ends the build after its current batch and joins it. Nothing half-built is written.
    slow = SlowVocabEmbedder(embedder.model_dir, "slow")
    wv = WordVectors(slow, cache_dir=tmp_path / "cache", background=True)
    assert slow.started.wait(5)
    wv.stop()
    assert wv.ready and wv._table is None
    assert slow.batches < len(vocabulary(slow)) and not list((tmp_path / "cache").glob("*"))
    assert np.allclose(wv(["hurt"]), qa.HashingEmbedder(64).encode_documents(["hurt"]), atol=1e-6)  # encoded now
