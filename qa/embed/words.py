"""Vectors of single words, for matching a question word with its paraphrases ("hurt" ~ "wounded") in the
quotes (``qa.answer.candidates``), the conflict detector (``qa.answer.conflicts``) and the claim checker
(``qa.answer.claims``).

Embedding each word of the retrieved sentences at question time cost ~60 ms per question on 2 cores, more
than the rest of an answer. So the model's whole-word vocabulary (~21k words for all-MiniLM-L6-v2) is
embedded **once per machine** with the same encoder, in a background thread on first use, and cached in
``~/.cache/qa/words/`` (``QA_CACHE_DIR`` moves ``~/.cache/qa``; temp file + ``os.replace``). After that a
question only embeds its own words that the table lacks; a sentence word the table lacks (a rare word split
into several word pieces, e.g. "phosphorylation") is matched by spelling only: ``known`` gives it a zero
vector instead of spending the question's time on it.

An embedder without a vocabulary (``HashingEmbedder``) has no table: every word is encoded, as before.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..paths import cache_dir
from .base import Embedder

logger = logging.getLogger(__name__)

TABLE_VERSION = 1
WordEncoder = Callable[[Sequence[str]], np.ndarray]  # words -> unit vectors (a WordVectors, or any encoder)


def cache_root() -> Path:
    """Where word tables are kept: ``<cache_dir>/words``."""
    return cache_dir() / "words"


def vocabulary(embedder: Embedder) -> list[str]:
    """The embedder's whole-word vocabulary: alphabetic lower-case ASCII entries of its tokenizer (no
    word-piece continuations), or ``[]`` when it has no tokenizer file."""
    model_dir = getattr(embedder, "model_dir", None)
    path = Path(model_dir) / "tokenizer.json" if model_dir else None
    if path is None or not path.is_file():
        return []
    vocab = json.loads(path.read_text(encoding="utf-8")).get("model", {}).get("vocab", {})
    return sorted(w for w in vocab if w.isascii() and w.isalpha() and w.islower() and len(w) > 2)


class _Stopped(Exception):
    """Raised between two batches of a table build when the process is exiting."""


class WordVectors:
    """``wv(words)``: unit vectors for ``words``, from the table or encoded (and remembered) now.
    ``wv.known(words)``: the same, but a word neither in the table nor seen before gets a zero vector."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, background: bool = True) -> None:
        self.embedder = embedder
        self._lru = embedder.vector_cache()  # the embedder's cache of encoded texts, shared with scoring
        self._words = vocabulary(embedder)
        self._row: dict[str, int] = {}
        self._table: np.ndarray | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._builder: threading.Thread | None = None
        if not self._words:
            self._ready.set()
            return
        digest = hashlib.sha256(f"{embedder.fingerprint}|{TABLE_VERSION}|{len(self._words)}".encode()).hexdigest()[:16]
        self.path = (cache_dir or cache_root()) / f"{digest}.npz"
        if self._load():
            return
        if background:
            # A process that exits mid-build (a CLI answer takes a second, the build ~10 s) must not leave the
            # thread inside the encoder while the interpreter tears down: that aborts the process. At exit the
            # build stops after its current batch (the next run starts it again) and is joined.
            self._builder = threading.Thread(target=self._build, daemon=True, name="qa-word-table")
            atexit.register(self.stop)
            self._builder.start()
        else:
            self._build()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the table is loaded or built (True), or ``timeout`` seconds pass (False)."""
        return self._ready.wait(timeout)

    def _load(self) -> bool:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                words, table = [str(w) for w in data["words"]], data["vectors"]
        except FileNotFoundError:
            return False
        except Exception as e:  # noqa: BLE001 - a damaged cache file is rebuilt, never trusted
            logger.warning("word-vector cache %s is unreadable (%s: %s); rebuilding it", self.path, type(e).__name__, e)
            return False
        if words != self._words or table.shape != (len(words), self.embedder.dim):
            logger.warning("word-vector cache %s does not match the model's vocabulary; rebuilding it", self.path)
            return False
        self._install(table)
        return True

    def _build(self) -> None:
        try:
            logger.info("embedding %d vocabulary words once for paraphrase matching (cached in %s)",
                        len(self._words), self.path)
            table = self.embedder.encode_documents(self._words, self._check_stop).astype(np.float16)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
            try:
                np.savez(tmp, words=np.array(self._words), vectors=table)
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
            self._install(table)
        except _Stopped:
            logger.info("word-vector table not finished: the process is exiting (it is built again next time)")
            self._ready.set()
        except Exception as e:  # noqa: BLE001 - without a table, words are encoded at question time
            logger.warning("could not build the word-vector table (%s: %s); words are embedded per question",
                           type(e).__name__, e)
            self._ready.set()
        finally:
            atexit.unregister(self.stop)  # nothing left to stop: the instance is not kept alive until exit

    def _check_stop(self, _done: int) -> None:
        if self._stop.is_set():
            raise _Stopped

    def stop(self, timeout: float = 30.0) -> None:
        """Stop a background build after its current batch and wait for the thread (called at exit)."""
        self._stop.set()
        if self._builder is not None and self._builder is not threading.current_thread():
            self._builder.join(timeout)

    def _install(self, table: np.ndarray) -> None:
        self._row = {w: i for i, w in enumerate(self._words)}
        self._table = table
        self._ready.set()

    def _lookup(self, words: Sequence[str], encode: bool) -> np.ndarray:
        words = [w.lower() for w in words]
        table = self._table
        if table is None:  # no vocabulary, or the table is still being built: encode (LRU-cached)
            return self._lru.get_many(self.embedder, words) if words else np.zeros((0, self.embedder.dim), np.float32)
        out = np.zeros((len(words), self.embedder.dim), np.float32)
        rest: list[int] = []
        for i, w in enumerate(words):
            r = self._row.get(w)
            if r is None:
                rest.append(i)
            else:
                out[i] = table[r]
        if rest:
            todo = [words[i] for i in rest]
            vecs = self._lru.get_many(self.embedder, todo) if encode else self._lru.cached(self.embedder, todo)
            out[rest] = vecs
        return out

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        return self._lookup(words, encode=True)

    def known(self, words: Sequence[str]) -> np.ndarray:
        return self._lookup(words, encode=False)


def word_vectors(embedder: Embedder) -> WordVectors:
    """The embedder's own ``WordVectors`` (loaded from the disk cache, or built in the background, on first use)."""
    return embedder.derived("word_vectors", lambda: WordVectors(embedder))


def known(word_vectors: WordEncoder, words: Sequence[str]) -> np.ndarray:
    """``word_vectors.known(words)`` when it has that method, else ``word_vectors(words)`` (any callable)."""
    fn = getattr(word_vectors, "known", None) or word_vectors
    return fn(words)
