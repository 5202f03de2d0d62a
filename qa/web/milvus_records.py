"""The records of the app state kept in Milvus (``qa.web.appstate_milvus``): one collection, ``<prefix>_app``, of
small JSON records keyed by kind and id. Fields: ``key`` (``kind:id#part``, the primary key), ``kind``, ``rid`` (the
record's id), ``owner`` and ``parent`` (what reads filter on), ``part``/``parts`` and ``data`` (the record's JSON, in
parts a VARCHAR holds: a saved answer can outgrow one), and ``v``, the 2-d placeholder vector every Milvus collection
needs. Plain VARCHAR fields, no JSON field type: the filters need only scalar comparisons, which every Milvus has.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..store.milvus_client import ReloadingClient, brief, load_collections
from ..store.milvus_schema import MAX_LIMIT, PART_BYTES, PLACEHOLDER, PLACEHOLDER_DIM, load_pymilvus, quoted, split_utf8
from .appdb import DatabaseError

logger = logging.getLogger(__name__)
T = TypeVar("T")

KEY_BYTES = 512
# writes of one replica between two flushes: Milvus Lite keeps unflushed rows in a memtable (up to 128 MiB) that
# every filtered read scans row by row, in Python (1,200 records: 130-200 ms a read unflushed, 15-25 ms flushed)
FLUSH_EVERY = 64
FIELDS = ["kind", "rid", "owner", "parent", "part", "parts", "data"]
OWNER_BYTES = 1_024


@dataclass(frozen=True)
class Record:
    kind: str
    id: str
    owner: str
    parent: str
    data: dict[str, Any]


class AppRecords:
    """The ``<prefix>_app`` collection: JSON records by kind and id (created at first use)."""

    def __init__(self, connect: Callable[[], ReloadingClient], name: str, where: str) -> None:
        self._connect = connect
        self.name = name
        self.where = where
        self._ready = False
        self._writes = 0

    def _run(self, action: Callable[[Any], T]) -> T:
        """``action(client)`` on the ready collection; any failure of Milvus is a DatabaseError naming it. The client is
        the store's (``qa.store.milvus_client.ReloadingClient``), as the index's own calls use it: a call that fails
        because the collection is released (a restarted server) or the connection dropped loads it again and is run
        once more; every action here is an upsert, a delete or a read, so running it twice does no harm. Other
        errors are not retried."""
        try:
            client = self._connect()
            if not self._ready:
                self._ensure(client)
            return action(client)
        except Exception as e:  # noqa: BLE001 - the client's errors (gRPC, MilvusException, not reachable)
            raise DatabaseError(f"{self.where}: {brief(e)}") from None

    def _ensure(self, client: Any) -> None:
        if not client.has_collection(self.name):
            data_type = load_pymilvus().DataType
            s = client.create_schema(auto_id=False, enable_dynamic_field=False)
            s.add_field("key", data_type.VARCHAR, is_primary=True, max_length=KEY_BYTES)
            s.add_field("kind", data_type.VARCHAR, max_length=16)
            s.add_field("rid", data_type.VARCHAR, max_length=KEY_BYTES)
            s.add_field("owner", data_type.VARCHAR, max_length=OWNER_BYTES)
            s.add_field("parent", data_type.VARCHAR, max_length=KEY_BYTES)
            s.add_field("part", data_type.INT64)
            s.add_field("parts", data_type.INT64)
            s.add_field("data", data_type.VARCHAR, max_length=PART_BYTES)
            s.add_field("v", data_type.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
            params = client.prepare_index_params()
            params.add_index(field_name="v", index_type="FLAT", metric_type="IP")
            for field in ("kind", "owner", "parent"):  # what reads filter on (a server's scalar index; Lite scans)
                params.add_index(field_name=field, index_type="INVERTED")
            try:
                client.create_collection(self.name, schema=s, index_params=params, consistency_level="Strong")
                logger.info("%s: created the app records collection", self.where)
            except Exception:
                if not client.has_collection(self.name):  # not another replica creating it at the same moment
                    raise
        load_collections(client, [self.name])  # a restarted server holds collections released
        self._ready = True

    # ------------------------------------------------------------------------------ writing
    def put(self, kind: str, rid: str, data: dict[str, Any], *, owner: str = "", parent: str = "") -> None:
        """Write (upsert) a record, all its parts in one call. (Were a record rewritten shorter, the earlier
        version's last parts would stay unread: a record is read up to the count its first part gives.)"""
        if len(owner.encode("utf-8", "surrogatepass")) > OWNER_BYTES:
            raise DatabaseError(f"{self.where}: a user name longer than {OWNER_BYTES} bytes cannot own records")
        parts = split_utf8(json.dumps(data, ensure_ascii=False))
        rows = [{"key": _key(kind, rid, i), "kind": kind, "rid": rid, "owner": owner, "parent": parent, "part": i,
                 "parts": len(parts), "data": part, "v": PLACEHOLDER} for i, part in enumerate(parts)]
        self._run(lambda client: client.upsert(self.name, rows))
        self._wrote()

    def delete(self, kind: str, rid: str) -> None:
        self._run(lambda client: client.delete(self.name, filter=self._is(kind, rid)))
        self._wrote()

    def delete_children(self, kinds: list[str], parent: str) -> None:
        expr = f"kind in {json.dumps(kinds)} and parent == {quoted(parent)}"
        self._run(lambda client: client.delete(self.name, filter=expr))
        self._wrote()

    def _wrote(self) -> None:
        """Flush every ``FLUSH_EVERY`` writes (best effort: a server may refuse flushes that come too often; it
        seals its segments itself anyway)."""
        self._writes += 1
        if self._writes % FLUSH_EVERY:
            return
        try:
            self._connect().flush(self.name)
        except Exception as e:  # noqa: BLE001 - only slower reads until the next one
            logger.debug("%s: flush skipped: %s", self.where, e)

    # ------------------------------------------------------------------------------ reading
    def get(self, kind: str, rid: str) -> Record | None:
        """One record, by primary key (its first part, then the others if it has more)."""
        rows = self._run(lambda client: client.get(self.name, ids=[_key(kind, rid, 0)], output_fields=FIELDS))
        n = int(rows[0]["parts"]) if rows else 0
        if n > 1:
            more = [_key(kind, rid, i) for i in range(1, n)]
            rows = [*rows, *self._run(lambda client: client.get(self.name, ids=more, output_fields=FIELDS))]
        found = self._records(rows)
        return found[0] if found else None

    def find(self, kinds: list[str], *, owner: str | None = None, parent: str | None = None) -> list[Record]:
        expr = f"kind in {json.dumps(kinds)}"
        if owner is not None:
            expr += f" and owner == {quoted(owner)}"
        if parent is not None:
            expr += f" and parent == {quoted(parent)}"
        return self._records(self._rows(expr))

    def count(self, kind: str, parent: str) -> int:
        expr = f"kind == {quoted(kind)} and parent == {quoted(parent)} and part == 0"
        found = self._run(lambda client: client.query(self.name, filter=expr, output_fields=["count(*)"]))
        return int(found[0]["count(*)"]) if found else 0

    @staticmethod
    def _is(kind: str, rid: str) -> str:
        return f"kind == {quoted(kind)} and rid == {quoted(rid)}"

    def _rows(self, expr: str) -> list[dict[str, Any]]:
        fields = FIELDS

        def read(client: Any) -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = client.query(self.name, filter=expr, output_fields=fields, limit=MAX_LIMIT)
            if len(rows) < MAX_LIMIT:
                return rows
            rows = []  # more than one query returns: page through them
            it = client.query_iterator(self.name, batch_size=1_000, filter=expr, output_fields=fields)
            try:
                while batch := it.next():
                    rows.extend(batch)
            finally:
                it.close()
            return rows

        return self._run(read)

    def _records(self, rows: list[dict[str, Any]]) -> list[Record]:
        """The complete records among ``rows`` (one whose parts are not all there yet, a write in progress, is
        left out)."""
        grouped: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault((row["kind"], row["rid"]), {})[int(row["part"])] = row
        out = []
        for (kind, rid), parts in grouped.items():
            first = parts.get(0)
            n = int(first["parts"]) if first else 0
            if not first or any(i not in parts or int(parts[i]["parts"]) != n for i in range(n)):
                logger.debug("%s: record %s:%s is incomplete (being written)", self.where, kind, rid)
                continue
            data = json.loads("".join(parts[i]["data"] for i in range(n)))
            out.append(Record(kind, rid, str(first["owner"]), str(first["parent"]), data))
        return out


def _key(kind: str, rid: str, part: int) -> str:
    return f"{kind}:{rid}#{part}"


__all__ = ["KEY_BYTES", "OWNER_BYTES", "AppRecords", "Record"]
