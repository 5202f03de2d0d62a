"""The collections of a Milvus store (``qa.web.appstate_milvus``): the served index is the default one; every other
is an index of its own under the prefix ``<prefix>_<slug>_<id>`` (same server, made empty at first use), listed by a
``collection`` record in ``<prefix>_app``. A rename changes the record only; a deletion leaves a ``gone`` record with the
last name (its chats show it) and drops the collection's Milvus collections.
"""
from __future__ import annotations

import logging
import time
import uuid
from urllib.parse import parse_qs, urlencode

from ..store.factory import open_store
from ..store.milvus import MilvusStore
from .appdb import DEFAULT_COLLECTION, DatabaseError, utcnow
from .collections import Collection, check_name, name_key, slug
from .milvus_records import AppRecords, Record

logger = logging.getLogger(__name__)


def with_collection(uri: str, prefix: str) -> str:
    """``uri`` naming the Milvus collection prefix ``prefix`` (its other settings kept; the address as written:
    ``milvus:///abs/path`` keeps its three slashes)."""
    address, _, query = uri.partition("?")
    settings = {k: v[-1] for k, v in parse_qs(query).items()}
    settings["collection"] = prefix
    return f"{address}?{urlencode(settings)}"


class MilvusCollections:
    """The collections of a Milvus store: the served index (id ``default``, named after its prefix until renamed),
    and the ones created in the app, each an index under ``<prefix>_<folder>``."""

    def __init__(self, records: AppRecords, uri: str, prefix: str) -> None:
        self.records = records
        self.uri = uri
        self.prefix = prefix

    @staticmethod
    def _collection(r: Record) -> Collection:
        return Collection(r.id, str(r.data["name"]), str(r.data.get("folder", "")), str(r.data.get("created", "")))

    def _all(self) -> tuple[Collection, list[Record]]:
        """(the default collection, the records of the others)."""
        default = Collection(DEFAULT_COLLECTION, self.prefix, "", "")
        others = []
        for r in self.records.find(["collection"]):
            if r.id == DEFAULT_COLLECTION:
                default = self._collection(r)
            else:
                others.append(r)
        return default, others

    def list(self) -> list[Collection]:
        default, others = self._all()
        return [default, *sorted((self._collection(r) for r in others), key=lambda c: (c.name.casefold(), c.id))]

    def get(self, collection_id: str | None) -> Collection:
        cid = collection_id or DEFAULT_COLLECTION
        found = self.records.get("collection", cid)
        if found is not None:
            return self._collection(found)
        if cid == DEFAULT_COLLECTION:
            return Collection(DEFAULT_COLLECTION, self.prefix, "", "")
        raise KeyError("That collection no longer exists.")

    def gone_names(self) -> dict[str, str]:
        """The names of the deleted collections, by id."""
        return {r.id: str(r.data.get("name", "")) for r in self.records.find(["gone"])}

    def find(self, name: str) -> Collection:
        key = name_key(name)
        collections = self.list()
        for c in collections:
            if c.name.casefold() == key:
                return c
        raise KeyError(f"no collection named {name!r} (collections: {', '.join(c.name for c in collections)})")

    def _check_free(self, name: str, besides: str | None = None) -> None:
        for c in self.list():
            if c.name.casefold() == name.casefold() and c.id != besides:
                raise ValueError(f"There is already a collection named “{c.name}”.")

    def create(self, name: str) -> Collection:
        """A new collection (its index is made empty at first use). ValueError for a bad or taken name."""
        name = check_name(name)
        self._check_free(name)
        cid = uuid.uuid4().hex[:12]
        c = Collection(cid, name, f"{slug(name).replace('-', '_')}_{cid[:6]}", utcnow())
        order = time.time_ns()
        self.records.put("collection", cid, {"name": name, "folder": c.folder, "created": c.created, "order": order})
        # no compare-and-set in Milvus: if another replica created the same name meanwhile, the earlier one stays
        _, others = self._all()
        rivals = [(int(r.data.get("order", 0)), r.id) for r in others
                  if str(r.data["name"]).casefold() == name.casefold() and r.id != cid]
        if rivals and min(rivals) < (order, cid):
            self.records.delete("collection", cid)
            raise ValueError(f"There is already a collection named “{name}”.")
        return c

    def rename(self, collection_id: str, new_name: str) -> Collection:
        """Another name (the Milvus collections keep theirs; the chats show the new name)."""
        old = self.get(collection_id)
        name = check_name(new_name)
        self._check_free(name, besides=old.id)
        found = self.records.get("collection", old.id)
        data = dict(found.data) if found else {"folder": "", "created": old.created}
        self.records.put("collection", old.id, {**data, "name": name})
        return self.get(old.id)

    def delete(self, collection_id: str) -> Collection:
        """Delete a collection and drop its Milvus collections; its chats stay readable (the default collection is
        refused: it is the served index)."""
        collection = self.get(collection_id)
        if collection.is_default:
            raise ValueError(f"“{collection.name}” is the default collection (the store the app serves) and cannot be "
                             "deleted; remove its documents instead.")
        self.records.put("gone", collection.id, {"name": collection.name})
        self.records.delete("collection", collection.id)
        store = open_store(self.store_uri(collection))
        try:
            if isinstance(store, MilvusStore):
                store.drop()  # every Milvus collection of its prefix
        except Exception as e:  # noqa: BLE001 - the client's errors: the collection is gone from the list anyway
            raise DatabaseError(f"{self.records.where}: “{collection.name}” is deleted, but its Milvus collections "
                                f"({self.store_uri(collection)}) could not be dropped: {type(e).__name__}: {e}") from None
        finally:
            store.close()
        logger.info("%s: deleted the collection %r (%s)", self.records.where, collection.name, self.store_uri(collection))
        return collection

    def store_uri(self, collection: Collection) -> str:
        if collection.is_default:
            return self.uri
        return with_collection(self.uri, f"{self.prefix}_{collection.folder}")


__all__ = ["MilvusCollections", "with_collection"]
