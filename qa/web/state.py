"""What the web app remembers: whether the index is open (for the status line) and each session's conversation."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from ..types import Answer
from .appdb import DEFAULT_COLLECTION
from .feedback import Span
from .render import history_for_ask

logger = logging.getLogger("qa.app")


class Progress:
    """Whether the app's default collection is open yet, and what the status line says meanwhile (thread-safe).
    What the index writer does (the progress bar) is ``qa.web.activity.Activity``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.message = "Starting…"
        self.ready = False
        self.error: str | None = None

    def set(self, message: str) -> None:
        with self._lock:
            self.message = message
        logger.info("%s", message)


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
    collection: str | None = DEFAULT_COLLECTION  # the collection asked; None once it was deleted
    chat_id: str | None = None  # its saved chat (None until the first answer is saved)
    owner: str = ""  # the QA_AUTH user ('' without a login)
    title: str = ""
    gone_collection: str = ""  # the name of its collection, when that was deleted

    def history(self) -> list[dict[str, str]]:
        return history_for_ask((t.question, t.answer.text) for t in self.turns)

    def turn_at(self, message_index: int) -> int | None:
        for i, t in enumerate(self.turns):
            if t.first_message <= message_index < t.first_message + t.n_messages:
                return i
        return None


class NotReady(Exception):
    """The index is not open yet (or could not be opened): the message says why."""
