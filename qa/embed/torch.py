"""The reference backend: all-MiniLM-L6-v2 on sentence-transformers (torch), loaded by ``warm_up`` once per embedder."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .base import DEFAULT_MODEL, Embedder, bundled_model_dir, count_word_pieces, weights_hash

logger = logging.getLogger(__name__)


def load_sentence_transformer(path: str) -> Any:
    """The model in ``path``, offline only (a hub download must never be attempted)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    logger.info("loading embedding model from %s", path)
    return SentenceTransformer(path, device="cpu", local_files_only=True)


class SentenceTransformerEmbedder(Embedder):
    """sentence-transformers on torch (the reference backend)."""

    backend = "sentence-transformers"
    dim = 384

    def __init__(self, model_dir: str | Path | None = None, name: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        self.model_dir = str(model_dir or bundled_model_dir())
        self.name = name
        self.batch_size = batch_size
        self._model: Any = None  # loaded by warm_up (or the first encode), then owned by this embedder
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return f"{self.name}@{weights_hash(self.model_dir)}"

    def warm_up(self) -> None:
        """Load the model (once)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = load_sentence_transformer(self.model_dir)

    @property
    def model(self) -> Any:
        self.warm_up()
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=len(texts), convert_to_numpy=True, normalize_embeddings=False, show_progress_bar=False
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, from the model's own fast tokenizer (without loading torch weights)."""
        return count_word_pieces(self.model_dir, texts)
