"""Where qa keeps its per-machine caches (ONNX model, word vectors, local LLM, evaluation indexes)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``QA_CACHE_DIR``, else ``~/.cache/qa`` (read at each call, so tests and tools can move it)."""
    return Path(os.environ.get("QA_CACHE_DIR", Path.home() / ".cache" / "qa"))
