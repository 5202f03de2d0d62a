"""What the web app keeps besides the index: its collections, the saved chats, and a few values made once (the
browser cookie's key). One interface, two backends, chosen by the store the app serves (``AppConfig.shared``):

- the index folder: one SQLite file (``qa.web.appdb`` with ``qa.web.collections`` and ``qa.web.chats``), each
  collection its own index folder;
- a Milvus store (``--store URI``, shared by every app replica): records in one more Milvus collection,
  ``<prefix>_app``, each collection its own set of Milvus collections (``qa.web.appstate_milvus``), so that an app
  replica holds nothing another lacks.

The app (``qa.web.library``) talks to ``AppState`` only; nothing above this module knows which backend it has.
No Gradio here.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..types import Answer
from .appdb import AppDB, DatabaseError
from .chats import ChatInfo, ChatStore, SavedChat
from .collections import Collection, Collections
from .config import AppConfig

# what a backend raises when it cannot be used right now (the Milvus one turns its client's errors into
# DatabaseError); the app logs them and goes on (e.g. a chat turn left unsaved)
STATE_ERRORS: tuple[type[Exception], ...] = (DatabaseError, sqlite3.Error)


class CollectionRecords(Protocol):
    """The collections: the default one (the served index) first, then the others by name."""

    def list(self) -> list[Collection]: ...

    def get(self, collection_id: str | None) -> Collection:
        """KeyError when there is no such collection (any more)."""

    def find(self, name: str) -> Collection:
        """The collection called ``name`` (any case); KeyError naming the ones there are."""

    def create(self, name: str) -> Collection:
        """ValueError for a bad or taken name."""

    def rename(self, collection_id: str, new_name: str) -> Collection:
        """The name only: where its index lives stays. ValueError for a bad or taken name."""

    def delete(self, collection_id: str) -> Collection:
        """The collection and its index (never the default one: ValueError); its chats stay readable."""

    def store_uri(self, collection: Collection) -> str:
        """Where the collection's index lives, as ``qa.load_index(store=...)`` takes it (a folder or a Milvus URI)."""


class ChatRecords(Protocol):
    """The saved chats, every call scoped to an owner (KeyError for another's chat or a deleted one)."""

    def create(self, owner: str, collection: Collection, first_question: str) -> ChatInfo: ...

    def add_turn(self, chat_id: str, owner: str, question: str, answer: Answer, *, k: int,
                 doc_ids: list[str] | None) -> int: ...

    def list(self, owner: str, limit: int = ...) -> list[ChatInfo]: ...

    def info(self, chat_id: str | None, owner: str) -> ChatInfo: ...

    def get(self, chat_id: str | None, owner: str) -> SavedChat: ...

    def rename(self, chat_id: str | None, owner: str, title: str) -> ChatInfo: ...

    def delete(self, chat_id: str | None, owner: str) -> ChatInfo: ...

    def export_markdown(self, chat_id: str | None, owner: str) -> tuple[str, str]: ...


class AppState(Protocol):
    kind: str  # "sqlite" or "milvus"
    where: str  # the database file or the Milvus collection, for messages

    @property
    def collections(self) -> CollectionRecords: ...

    @property
    def chats(self) -> ChatRecords: ...

    def meta(self, key: str, make: Callable[[], str]) -> str:
        """The stored value of ``key``, made once with ``make()`` (e.g. a random secret)."""

    def close(self) -> None: ...


class SqliteAppState:
    """The index folder's app state: one SQLite file (``qa.web.appdb``)."""

    kind = "sqlite"

    def __init__(self, db_path: str | Path, index_dir: str | Path) -> None:
        self.db = AppDB(db_path)
        self.where = str(self.db.path)
        self.collections = Collections(self.db, index_dir)
        self.chats = ChatStore(self.db)

    def meta(self, key: str, make: Callable[[], str]) -> str:
        return self.db.meta(key, make)

    def close(self) -> None:
        self.db.close()


def open_app_state(config: AppConfig) -> AppState:
    """The app state that goes with the served store: in Milvus beside it when ``config.shared``, else the SQLite
    file ``config.db_path``."""
    if config.shared:
        from .appstate_milvus import MilvusAppState

        return MilvusAppState(config.store_uri)
    return SqliteAppState(config.db_path, config.index_dir)


__all__ = ["STATE_ERRORS", "AppState", "ChatRecords", "CollectionRecords", "SqliteAppState", "open_app_state"]
