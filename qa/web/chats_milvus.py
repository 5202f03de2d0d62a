"""Saved chats in Milvus (``qa.web.appstate_milvus``): the same records and rules as ``qa.web.chats`` (every call
scoped to an owner, a chat created at its first answer, quotes kept with it), kept as records of ``<prefix>_app``:
a ``chat`` record (title, collection), a ``touch`` record (when it was last added to) and one ``turn`` record per
finished turn. A turn's id is ``<chat id>/<position>-<time>-<random>``: two replicas adding to one chat at once both
keep their turn (ordered by position, then time). A chat's collection name is read from its collection (or, once
that is deleted, from its ``gone`` record), so a rename or a deletion rewrites no chat.
"""
from __future__ import annotations

import dataclasses
import json
import time
import uuid
from typing import Any

from ..types import Answer
from .appdb import utcnow
from .chats import GONE, LIST_LIMIT, ChatInfo, SavedChat, SavedTurn, answer_from_json, answer_to_json, chat_markdown
from .chats import check_title, export_name, new_chat_info
from .collections import Collection
from .collections_milvus import MilvusCollections
from .milvus_records import AppRecords, Record


class MilvusChats:
    """The saved chats of a Milvus store (the interface of ``qa.web.chats.ChatStore``)."""

    def __init__(self, records: AppRecords, collections: MilvusCollections) -> None:
        self.records = records
        self.collections = collections

    # ------------------------------------------------------------------------------ writing
    def create(self, owner: str, collection: Collection, first_question: str) -> ChatInfo:
        info = new_chat_info(owner, collection, first_question)
        self.records.put("chat", info.id, dataclasses.asdict(info), owner=owner, parent=collection.id)
        return info

    def add_turn(self, chat_id: str, owner: str, question: str, answer: Answer, *, k: int,
                 doc_ids: list[str] | None) -> int:
        """Append a finished turn; returns its position. KeyError when the chat is gone (deleted meanwhile)."""
        chat = self._chat(chat_id, owner)
        position = self.records.count("turn", chat.id)
        now = utcnow()
        key = f"{chat.id}/{position:06d}-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        turn = {"question": question, "answer": json.loads(answer_to_json(answer)), "k": int(k),
                "doc_ids": list(doc_ids) if doc_ids else None, "created": now}
        self.records.put("turn", key, turn, owner=owner, parent=chat.id)
        self.records.put("touch", chat.id, {"updated": now}, owner=owner, parent=chat.id)
        return position

    def rename(self, chat_id: str | None, owner: str, title: str) -> ChatInfo:
        title = check_title(title)
        found = self._chat(chat_id, owner)
        self.records.put("chat", found.id, {**found.data, "title": title}, owner=owner, parent=found.parent)
        return self.info(found.id, owner)

    def delete(self, chat_id: str | None, owner: str) -> ChatInfo:
        """The chat first (it is what lists and opens it), then its turns."""
        info = self.info(chat_id, owner)
        self.records.delete("chat", info.id)
        self.records.delete_children(["turn", "touch"], info.id)
        return info

    # ------------------------------------------------------------------------------ reading
    def _chat(self, chat_id: str | None, owner: str) -> Record:
        found = self.records.get("chat", chat_id or "") if chat_id else None
        if found is None or found.owner != owner:
            raise KeyError(GONE)
        return found

    def _info(self, chat: Record, updated: str | None, live: dict[str, str], gone: dict[str, str]) -> ChatInfo:
        """The chat's record with its collection's current name (None and its last name once it is deleted)."""
        d = chat.data
        cid = d.get("collection_id")
        name = str(d.get("collection_name", ""))
        if cid is not None and cid in live:
            name = live[cid]
        elif cid is not None:  # deleted: its last name
            name = gone.get(str(cid), name)
            cid = None
        return ChatInfo(chat.id, chat.owner, cid, name, str(d["title"]), str(d["created"]),
                        updated or str(d.get("updated", d["created"])))

    def info(self, chat_id: str | None, owner: str) -> ChatInfo:
        chat = self._chat(chat_id, owner)
        touch = self.records.get("touch", chat.id)
        cid = chat.data.get("collection_id")
        live: dict[str, str] = {}
        gone: dict[str, str] = {}
        if cid is not None:
            try:
                live[cid] = self.collections.get(cid).name
            except KeyError:
                gone = self.collections.gone_names()
        return self._info(chat, str(touch.data["updated"]) if touch else None, live, gone)

    def list(self, owner: str, limit: int = LIST_LIMIT) -> list[ChatInfo]:
        """``owner``'s chats, the most recently used first."""
        found = self.records.find(["chat", "touch"], owner=owner)
        touched = {r.id: str(r.data["updated"]) for r in found if r.kind == "touch"}
        live = {c.id: c.name for c in self.collections.list()}
        gone = self.collections.gone_names()
        chats = [self._info(r, touched.get(r.id), live, gone) for r in found if r.kind == "chat"]
        chats.sort(key=lambda c: (c.updated, c.created, c.id), reverse=True)
        return chats[:limit]

    def get(self, chat_id: str | None, owner: str) -> SavedChat:
        """The chat and its turns; KeyError when ``owner`` has no such chat."""
        info = self.info(chat_id, owner)
        turns = sorted(self.records.find(["turn"], parent=info.id), key=lambda r: r.id)
        return SavedChat(info, [_turn(r.data) for r in turns if r.owner == owner])

    def export_markdown(self, chat_id: str | None, owner: str) -> tuple[str, str]:
        chat = self.get(chat_id, owner)
        return export_name(chat.info), chat_markdown(chat)


def _turn(data: dict[str, Any]) -> SavedTurn:
    doc_ids = data.get("doc_ids")
    return SavedTurn(str(data["question"]), answer_from_json(json.dumps(data["answer"])), int(data["k"]),
                     [str(d) for d in doc_ids] if doc_ids else None, str(data["created"]))


__all__ = ["MilvusChats"]
