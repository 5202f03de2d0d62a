"""Which embedder: the default for a new index (``QA_EMBEDDER``), and the one an index's manifest names."""
from __future__ import annotations

import logging
import os
from typing import cast

from .base import DEFAULT_MODEL, Embedder
from .hashing import HashingEmbedder
from .onnx import OnnxEmbedder, onnx_or_torch
from .torch import SentenceTransformerEmbedder

logger = logging.getLogger(__name__)


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
        return onnx_or_torch()
    return SentenceTransformerEmbedder()


def describe(embedder: Embedder) -> dict[str, object]:
    """What the manifest records about an embedder (read back by ``embedder_from_manifest``)."""
    return {"backend": embedder.backend, "name": embedder.name, "dim": embedder.dim, "fingerprint": embedder.fingerprint}


def embedder_from_manifest(info: dict[str, object]) -> Embedder:
    """Recreate the embedder an index was built with (its weights are checked by the caller)."""
    backend = info.get("backend")
    if backend == HashingEmbedder.backend:
        return HashingEmbedder(int(cast("int | str", info["dim"])))
    if backend == SentenceTransformerEmbedder.backend and info.get("name") == DEFAULT_MODEL:
        return SentenceTransformerEmbedder()
    if backend == "onnx-int8" and info.get("name") == DEFAULT_MODEL:
        return OnnxEmbedder()
    raise ValueError(f"this index was built with an embedder qa cannot recreate here: {info.get('backend')} {info.get('name')}")
