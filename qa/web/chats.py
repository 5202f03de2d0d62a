"""Saved chats: each finished turn (the question and its whole Answer record: text, quotes, documents and
offsets) is written to the app's database (``qa.web.appdb``), so a chat survives reloads and restarts, and its
quotes stay readable after their document is removed. Every query is scoped to an owner (the ``QA_AUTH`` user;
'' without a login): nobody lists, opens, renames, deletes or exports another's chat. No Gradio here.
"""
from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from ..types import Answer, Citation, Hit, ShortAnswer, SourceVerdict
from .appdb import AppDB, utcnow
from .collections import Collection
from .render import file_name, short

MAX_TITLE = 100
LIST_LIMIT = 200  # chats listed in the sidebar (the most recent)
GONE = "That chat is not there (any more)."


@dataclass(frozen=True)
class ChatInfo:
    id: str
    owner: str
    collection_id: str | None  # None once its collection is deleted
    collection_name: str
    title: str
    created: str
    updated: str


@dataclass(frozen=True)
class SavedTurn:
    question: str
    answer: Answer
    k: int
    doc_ids: list[str] | None
    created: str


@dataclass(frozen=True)
class SavedChat:
    info: ChatInfo
    turns: list[SavedTurn]


# ------------------------------------------------------------------------------------------ Answer <-> JSON


def answer_to_json(answer: Answer) -> str:
    return json.dumps(dataclasses.asdict(answer), ensure_ascii=False)


def _record(cls: type, data: Any) -> Any:
    """``cls(**data)`` keeping only the fields ``cls`` has (a chat saved by another qa version still opens)."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a {cls.__name__} record")
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def answer_from_json(text: str) -> Answer:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("expected an Answer record")
    data["citations"] = tuple(_record(Citation, c) for c in data.get("citations") or ())
    data["related"] = tuple(_record(Hit, h) for h in data.get("related") or ())
    data["verdicts"] = tuple(_record(SourceVerdict, v) for v in data.get("verdicts") or ())
    data["notes"] = tuple(str(n) for n in data.get("notes") or ())
    data["answer"] = _record(ShortAnswer, data["answer"]) if data.get("answer") else None
    answer: Answer = _record(Answer, data)
    return answer


def check_title(title: str | None) -> str:
    """A chat title: one line, at most 100 characters; ValueError when empty."""
    title = re.sub(r"\s+", " ", unicodedata.normalize("NFC", title or ""))
    title = "".join(ch for ch in title if unicodedata.category(ch)[0] != "C").strip()
    if not title:
        raise ValueError("A chat needs a title.")
    return title[:MAX_TITLE]


# ------------------------------------------------------------------------------------------ the store


class ChatStore:
    """The saved chats (tables ``chats`` and ``turns``)."""

    def __init__(self, db: AppDB) -> None:
        self.db = db

    def create(self, owner: str, collection: Collection, first_question: str) -> ChatInfo:
        """A new chat of ``owner`` in ``collection``, titled after its first question."""
        info = new_chat_info(owner, collection, first_question)
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO chats VALUES (?, ?, ?, ?, ?, ?, ?)", dataclasses.astuple(info))
        return info

    def add_turn(self, chat_id: str, owner: str, question: str, answer: Answer, *, k: int,
                 doc_ids: list[str] | None) -> int:
        """Append a finished turn; returns its position. KeyError when the chat is gone (deleted meanwhile)."""
        now = utcnow()
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM chats WHERE id = ? AND owner = ?", (chat_id, owner)).fetchone() is None:
                raise KeyError(GONE)
            position = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM turns WHERE chat_id = ?",
                                    (chat_id,)).fetchone()[0]
            conn.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (chat_id, position, question, answer_to_json(answer), int(k),
                          json.dumps(doc_ids) if doc_ids else None, now))
            conn.execute("UPDATE chats SET updated = ? WHERE id = ?", (now, chat_id))
        return int(position)

    def list(self, owner: str, limit: int = LIST_LIMIT) -> list[ChatInfo]:
        """``owner``'s chats, the most recently used first."""
        rows = self.db.rows("SELECT * FROM chats WHERE owner = ? ORDER BY updated DESC, created DESC LIMIT ?",
                            (owner, limit))
        return [ChatInfo(*row) for row in rows]

    def info(self, chat_id: str | None, owner: str) -> ChatInfo:
        row = self.db.row("SELECT * FROM chats WHERE id = ? AND owner = ?", (chat_id or "", owner))
        if row is None:
            raise KeyError(GONE)
        return ChatInfo(*row)

    def get(self, chat_id: str | None, owner: str) -> SavedChat:
        """The chat and its turns; KeyError when ``owner`` has no such chat."""
        info = self.info(chat_id, owner)
        rows = self.db.rows("SELECT question, answer, k, doc_ids, created FROM turns WHERE chat_id = ? "
                            "ORDER BY position", (info.id,))
        turns = [SavedTurn(r[0], answer_from_json(r[1]), int(r[2]), json.loads(r[3]) if r[3] else None, r[4])
                 for r in rows]
        return SavedChat(info, turns)

    def rename(self, chat_id: str | None, owner: str, title: str) -> ChatInfo:
        title = check_title(title)
        with self.db.transaction() as conn:
            if conn.execute("UPDATE chats SET title = ? WHERE id = ? AND owner = ?",
                            (title, chat_id or "", owner)).rowcount != 1:
                raise KeyError(GONE)
        return self.info(chat_id, owner)

    def delete(self, chat_id: str | None, owner: str) -> ChatInfo:
        info = self.info(chat_id, owner)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM chats WHERE id = ? AND owner = ?", (info.id, owner))
        return info

    def export_markdown(self, chat_id: str | None, owner: str) -> tuple[str, str]:
        """(a file name, the chat as Markdown): every question, its answer with its [n] markers, and each quote
        as text with its document and character offsets."""
        chat = self.get(chat_id, owner)
        return export_name(chat.info), chat_markdown(chat)


# ------------------------------------------------------------------------------------------ export


def new_chat_info(owner: str, collection: Collection, first_question: str) -> ChatInfo:
    """A new chat's record: a fresh id, titled after its first question, created and updated now."""
    now = utcnow()
    return ChatInfo(uuid.uuid4().hex, owner, collection.id, collection.name,
                    check_title(short(first_question, 60) or "Chat"), now, now)


def export_name(info: ChatInfo) -> str:
    stem = re.sub(r"[^\w-]+", "-", unicodedata.normalize("NFKD", info.title).encode("ascii", "ignore").decode())
    return f"qa-chat-{stem.strip('-').lower()[:50] or info.id[:8]}.md"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _where(item: Citation | Hit) -> str:
    """Where a quote or passage is: title, file, document id, character offsets (and page)."""
    bits = [f"{_one_line(item.title or item.doc_id)}, {file_name(item.source, item.doc_id)}",
            f"document `{item.doc_id}`", f"characters {item.start}-{item.end}"]
    if item.page:
        bits.append(f"page {item.page}")
    return " · ".join(bits)


def turn_markdown(i: int, turn: SavedTurn) -> str:
    a = turn.answer
    parts = [f"## {i}. {_one_line(turn.question)}", a.text.strip() or "(no answer)"]
    if a.citations:
        parts.append("Sources:")
        parts.append("\n".join(f"- [{c.n}] “{_one_line(c.quote)}”  \n  {_where(c)}"
                               for c in a.citations))
    elif a.related:
        parts.append("Related passages (not an answer):")
        parts.append("\n".join(f"- “{_one_line(short(h.text, 400))}”  \n  "
                               f"{_where(h)}" for h in a.related))
    return "\n\n".join(parts)


def chat_markdown(chat: SavedChat) -> str:
    info = chat.info
    head = (f"# {_one_line(info.title)}\n\nCollection: {_one_line(info.collection_name)} · started {info.created} · "
            f"exported {utcnow()} from qa. Every quote is verbatim from its document; offsets are characters "
            "of the document's text.")
    return "\n\n".join([head, *(turn_markdown(i, t) for i, t in enumerate(chat.turns, 1))]) + "\n"


__all__ = ["ChatInfo", "ChatStore", "SavedChat", "SavedTurn", "answer_from_json", "answer_to_json", "chat_markdown",
           "check_title", "export_name"]
