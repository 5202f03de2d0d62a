"""What the web app remembers: the index's progress (for the status line) and each session's conversation."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..embed.base import Embedder
from ..types import Answer
from .feedback import Span
from .render import history_for_ask

logger = logging.getLogger("qa.app")


class Progress:
    """What the index is doing now, for the status line and progress bars (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.message = "Starting…"
        self.ready = False
        self.error: str | None = None
        self.listener: Callable[[int, int], None] | None = None

    def set(self, message: str) -> None:
        with self._lock:
            self.message = message
        logger.info("%s", message)

    def embedding(self, done: int, total: int) -> None:
        with self._lock:
            self.message = f"Embedding passages: {done} of {total}"
            listener = self.listener
        if listener:
            listener(done, total)


def track_embedding(embedder: Embedder, tracker: Progress) -> None:
    """Report each embedded batch of ``embedder`` to ``tracker`` (wraps this instance's method)."""
    if getattr(embedder, "_qa_tracked", False):
        return
    original = embedder.encode_documents

    def encode_documents(texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        total, done = len(texts), 0
        tracker.embedding(0, total)

        def step(n: int) -> None:
            nonlocal done
            done += n
            tracker.embedding(done, total)
            if progress:
                progress(n)

        return original(texts, step)

    embedder.encode_documents = encode_documents  # type: ignore[method-assign]
    embedder._qa_tracked = True  # type: ignore[attr-defined]


@dataclass
class Turn:
    question: str
    answer: Answer
    first_message: int  # index of the question in the chat messages
    n_messages: int
    k: int = 5
    doc_ids: list[str] | None = None


@dataclass
class ChatState:
    """One browser session's conversation: the chat messages shown and the answers behind them."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    feedback_turn: int | None = None
    candidates: list[Span] = field(default_factory=list)

    def history(self) -> list[dict[str, str]]:
        return history_for_ask((t.question, t.answer.text) for t in self.turns)

    def turn_at(self, message_index: int) -> int | None:
        for i, t in enumerate(self.turns):
            if t.first_message <= message_index < t.first_message + t.n_messages:
                return i
        return None


class NotReady(Exception):
    """The index is not open yet (or could not be opened): the message says why."""
