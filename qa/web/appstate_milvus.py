"""The app state of a Milvus store (``--store URI``), shared by every app replica: its records live in one Milvus
collection beside the served index, ``<prefix>_app``, and each workspace collection is an index of its own under
the prefix ``<prefix>_<slug>_<id>`` (the same Milvus server, the same client; created at first use).

``<prefix>_app`` holds small JSON records keyed by kind and id (fields ``kind``, ``rid``, ``owner``, ``parent`` to
filter on; ``data``, the JSON, in parts a VARCHAR holds; the 2-d placeholder vector Milvus requires):

| kind | id | what |
|---|---|---|
| ``collection`` | collection id | name, Milvus name suffix, created (``default``: only once the default one is renamed) |
| ``gone`` | collection id | the name of a deleted collection (its chats show it) |
| ``chat`` | chat id | owner, collection, title, created (``parent``: the collection) |
| ``touch`` | chat id | when the chat was last added to (its own record: a rename and a turn never overwrite each other) |
| ``turn`` | chat id / sort key | a finished turn: question, the whole Answer, k, doc_ids (``parent``: the chat) |
| ``meta`` | key | values made once (the browser cookie's key) |

Every write is an upsert of whole records and every record has one writer action, so two replicas writing at
once lose nothing: each chat and each turn is a record of its own (a turn's key holds its position, the time and
a random part). Nothing is cached here: every call reads Milvus, so a replica sees what another wrote at its next
call (the collections are created with strong consistency). Milvus has no transactions or compare-and-set: a
deleted chat's turns are deleted after it (left over if the replica dies meanwhile: never shown), and two replicas
creating the same collection name in the same instant are settled after the write (the later one backs out).
"""
from __future__ import annotations

from collections.abc import Callable

from ..store.factory import open_store
from ..store.milvus import MilvusStore
from .appdb import DatabaseError
from .chats_milvus import MilvusChats
from .collections_milvus import MilvusCollections
from .milvus_records import AppRecords

APP_SUFFIX = "app"


class MilvusAppState:
    """Collections, saved chats and made-once values in the Milvus store ``uri`` (beside the served index)."""

    kind = "milvus"

    def __init__(self, uri: str) -> None:
        store = open_store(uri)  # the served index's store: its address, prefix and (lazy) client
        if not isinstance(store, MilvusStore):
            raise ValueError(f"{uri}: not a Milvus store")
        self._store = store
        prefix = store.prefix
        self.where = f"{store.address} ({prefix}_{APP_SUFFIX})"
        self.records = AppRecords(lambda: store.client, f"{prefix}_{APP_SUFFIX}", self.where)
        self.collections = MilvusCollections(self.records, uri, prefix)
        self.chats = MilvusChats(self.records, self.collections)

    def meta(self, key: str, make: Callable[[], str]) -> str:
        found = self.records.get("meta", key)
        if found is None:
            self.records.put("meta", key, {"value": str(make())})
            found = self.records.get("meta", key)  # the value kept, if another replica made one at the same time
        if found is None:
            raise DatabaseError(f"{self.where}: the value {key!r} was written but cannot be read back")
        return str(found.data["value"])

    def close(self) -> None:
        self._store.close()


__all__ = ["APP_SUFFIX", "MilvusAppState"]
