"""What the chat does with a conversation beyond answering: open its quotes in the reader, and turn a
thumbs-down into an evaluation case (``qa.web.feedback``). Mixed into ``qa.web.controller.ChatApp``."""
from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import IndexError_
from ..index import Index
from . import feedback
from . import render as webui
from .config import AppConfig
from .state import ChatState, NotReady, Turn


def reader_message(text: str) -> str:
    """A message shown in the reader pane instead of a document."""
    return f'<div class="qa-doc-empty">{html.escape(text)}</div>'


class ConversationMixin:
    """Reader and feedback methods of ``ChatApp`` (they need its ``config`` and ``index_of``)."""

    config: AppConfig

    if TYPE_CHECKING:  # provided by LibraryMixin
        def index_of(self, collection_id: str | None) -> Index: ...

    # -------------------------------------------------------------------------------- citations & reader
    def citation_choices(self, state: ChatState) -> list[tuple[str, str]]:
        """Every quote of the conversation, the latest answer first: (label, "turn:n")."""
        out = []
        for ti in range(len(state.turns) - 1, -1, -1):
            for c in state.turns[ti].answer.citations:
                label = f"Q{ti + 1} [{c.n}] {webui.short(c.title, 40)}: “{webui.short(c.quote, 60)}”"
                out.append((label, f"{ti}:{c.n}"))
        return out

    def open_citation(self, key: str | None, state: ChatState) -> str:
        if not key:
            return ""
        try:
            ti, n = (int(x) for x in key.split(":"))
            c = next(c for c in state.turns[ti].answer.citations if c.n == n)
        except (ValueError, IndexError, StopIteration):
            return reader_message("That quote is no longer in this conversation.")
        try:
            doc = self.index_of(state.collection).document(c.doc_id)
        except (KeyError, NotReady, IndexError_, OSError):  # removed, its collection deleted, or not open
            return webui.render_saved_quote_html(c, "This document is no longer in the collection. The quote, "
                                                    "as it was cited:")
        span = webui.find_quote(doc.text, c)
        if span is None:  # the document changed since: its offsets no longer hold the quote
            return webui.render_saved_quote_html(c, "This document has changed since it was quoted. The quote, "
                                                    "as it was cited:")
        return webui.render_document_html(doc.text, doc.title or doc.id, webui.file_name(doc.source, doc.id), span)

    def open_document(self, doc_id: str | None, span: tuple[int, int] | None = None,
                      collection: str | None = None) -> str:
        if not doc_id:
            return reader_message("Pick a document, or a quote from the chat.")
        try:
            doc = self.index_of(collection).document(doc_id)
        except (KeyError, NotReady, IndexError_, OSError):
            return reader_message("That document is not in the index (any more).")
        return webui.render_document_html(doc.text, doc.title or doc.id, webui.file_name(doc.source, doc.id), span)

    # -------------------------------------------------------------------------------- feedback
    @property
    def cases_path(self) -> Path:
        return self.config.feedback_dir / feedback.CASES_FILE

    @property
    def ratings_path(self) -> Path:
        return self.config.feedback_dir / feedback.RATINGS_FILE

    def rate(self, state: ChatState, message_index: int, liked: bool) -> tuple[str, list[tuple[str, int]]]:
        """Record a thumbs up/down. After a thumbs-down, returns the question to show and the candidate
        passages (label, position) to pick the right one from; after a thumbs-up, ("", [])."""
        ti = state.turn_at(message_index)
        if ti is None:
            return "", []
        turn = state.turns[ti]
        feedback.save_rating(self.ratings_path, turn.question, turn.answer, liked)
        if liked:
            state.feedback_turn, state.candidates = None, []
            return "", []
        state.feedback_turn = ti
        state.candidates = self._candidates(turn, state.collection)
        choices = [(f"{webui.short(s.title, 40)}: “{webui.short(s.text, 110)}”", i)
                   for i, s in enumerate(state.candidates)]
        return turn.question, choices

    def _candidates(self, turn: Turn, collection: str | None) -> list[feedback.Span]:
        spans: list[feedback.Span] = []
        items: list[Any] = list(turn.answer.citations) + list(turn.answer.related)
        try:
            items += self.index_of(collection).search(turn.answer.query or turn.question, 10, doc_ids=turn.doc_ids)
        except (NotReady, KeyError, ValueError, IndexError_):
            pass
        for item in items:  # the quotes first, then passages that do not contain one already listed
            span = feedback.Span.of(item)
            if not any(s.overlaps(span.doc_id, span.start, span.end) for s in spans):
                spans.append(span)
        return spans

    def save_case(self, state: ChatState, choice: int | None, comment: str = "") -> str:
        if state.feedback_turn is None or state.feedback_turn >= len(state.turns):
            return "Give an answer a thumbs-down first."
        if choice is None or not 0 <= int(choice) < len(state.candidates):
            return "Pick the passage that answers the question."
        turn = state.turns[state.feedback_turn]
        history = webui.history_for_ask((t.question, t.answer.text) for t in state.turns[: state.feedback_turn])
        case = feedback.make_case(turn.question, turn.answer, state.candidates[int(choice)], history=history,
                                  k=turn.k, doc_ids=turn.doc_ids, comment=comment)
        feedback.save_case(self.cases_path, case)
        state.feedback_turn, state.candidates = None, []
        path = html.escape(str(self.cases_path))
        return (f"✓ Saved as an evaluation case in <code>{path}</code>; replay with "
                f"<code>python -m qa eval cases {path}</code>")
