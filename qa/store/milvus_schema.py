"""The Milvus collections qa keeps, their fields, and the small helpers every Milvus module shares.

One index is four collections named after a prefix (``qa`` unless the URI says ``?collection=NAME``):

- ``<prefix>_passages``: one entity per passage: ``id`` (INT64, the *row*), ``doc_id``, ``doc_hash`` (the
  version of the document it was cut from), ``start``/``end``/``page``, ``key`` (content hash of its
  embedded text: the same text reuses its vector), ``length`` (BM25 tokens), ``norm`` (the BM25 length
  normaliser it was written with), ``vector`` (FLOAT_VECTOR, inner product) and ``sparse`` (qa's BM25 term
  weights, SPARSE_FLOAT_VECTOR, inner product).
- ``<prefix>_documents``: one entity per document, the facts an update compares (hash, origin, dates,
  passage count, title, source) and how many text parts it has.
- ``<prefix>_texts``: the documents' stored JSON (text, metadata), in parts of at most ``PART_BYTES``,
  keyed by document *and version*: a passage always reads the text it was cut from.
- ``<prefix>_terms``: BM25 document frequency per term id.
- ``<prefix>_meta``: the manifest (embedder, chunking, generation, counts, BM25 statistics), the writer's
  lease and the documents a writer has in flight.

Milvus requires a vector field in every collection; the scalar-only ones carry a 2-d placeholder.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from ..errors import StoreUnavailableError
from .milvus_client import quiet_pymilvus

PART_BYTES = 60_000  # a VARCHAR holds at most 65,535 bytes
ID_BYTES = 4_096  # document ids, titles and sources longer than this are refused
HASH_BYTES = 80
PLACEHOLDER = [0.0, 0.0]
PLACEHOLDER_DIM = 2
MAX_LIMIT = 16_384  # Milvus's largest top-k
BATCH = 256  # entities per insert/upsert call (a passage entity is ~2 KB: vector + sparse + fields)
QUERY_BATCH = 1_000


class _QuietIterator(logging.Filter):
    """Drops the two messages every query iterator over Milvus Lite logs: pymilvus's warning that Lite
    returns no MVCC timestamp (it then uses the client's clock, right for a single-node store) and the
    in-process Lite server's traceback for the ``AllocTimestamp`` call it does not implement."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "mvccTs" in record.getMessage():
            return False
        tb = record.exc_info[2] if record.exc_info else None
        while tb is not None:
            if tb.tb_frame.f_code.co_name == "AllocTimestamp":
                return False
            tb = tb.tb_next
        return True


def load_pymilvus() -> Any:
    """The pymilvus module; a clear error naming the packages when it is not installed."""
    try:
        import pymilvus
    except ImportError:
        raise StoreUnavailableError(
            "the Milvus store needs pymilvus (and milvus-lite for a local .db file or server): "
            "pip install -r requirements-scale.txt"
        ) from None
    for name in ("pymilvus.client.iterator.query_iterator", "grpc._server"):
        quiet = logging.getLogger(name)
        if not any(isinstance(f, _QuietIterator) for f in quiet.filters):
            quiet.addFilter(_QuietIterator())
    quiet_pymilvus()
    return pymilvus


def names(prefix: str) -> dict[str, str]:
    return {part: f"{prefix}_{part}" for part in ("passages", "documents", "texts", "terms", "meta")}


def passage_row(doc_id: str, doc_hash: str, ordinal: int) -> int:
    """The passage's primary key: the same document version cut the same way gets the same rows, so a
    re-run after a crash overwrites instead of duplicating (63 bits: collisions are negligible)."""
    digest = hashlib.blake2b(f"{doc_id}\0{doc_hash}\0{ordinal}".encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") & ((1 << 63) - 1)


def term_id(term: str) -> int:
    """A term's sparse dimension: 32 bits of its hash (Milvus takes dimensions below 2**32 - 1). Two terms
    sharing one is possible (about one pair per 100k-term vocabulary) and makes them count as one word."""
    digest = hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "big") % ((1 << 32) - 1)


def text_part_id(doc_id: str, doc_hash: str, part: int) -> str:
    return f"{hashlib.sha1(doc_id.encode('utf-8', 'surrogatepass')).hexdigest()[:20]}:{doc_hash[:40]}:{part}"


def split_utf8(data: str, limit: int = PART_BYTES) -> list[str]:
    """``data`` in pieces of at most ``limit`` UTF-8 bytes, never splitting a character."""
    parts: list[str] = []
    raw = data.encode("utf-8", "surrogatepass")
    i = 0
    while i < len(raw):
        j = min(len(raw), i + limit)
        while j < len(raw) and (raw[j] & 0xC0) == 0x80:  # a continuation byte: step back to a boundary
            j -= 1
        parts.append(raw[i:j].decode("utf-8", "surrogatepass"))
        i = j
    return parts or [""]


def quoted(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def in_filter(field: str, values: Iterable[Any]) -> str:
    items = [quoted(v) if isinstance(v, str) else str(int(v)) for v in values]
    return f"{field} in [{', '.join(items)}]"


def create_collections(client: Any, prefix: str, dim: int, index_type: str, only: Iterable[str] | None = None) -> None:
    """Create the collections (``only`` these parts) that do not exist yet (strong consistency: a read sees
    every finished write)."""
    pymilvus = load_pymilvus()
    DataType = pymilvus.DataType  # noqa: N806 - the library's name
    n = {part: name for part, name in names(prefix).items() if only is None or part in set(only)}

    def placeholder_schema() -> Any:
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        return schema

    def create(name: str | None, schema: Any, indexes: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        if name is None or client.has_collection(name):
            return
        params = client.prepare_index_params()
        for field, kind, metric, extra in indexes:
            params.add_index(field_name=field, index_type=kind, metric_type=metric, params=extra)
        client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")

    placeholder: tuple[str, str, str, dict[str, Any]] = ("v", "FLAT", "IP", {})

    s = placeholder_schema()
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("doc_id", DataType.VARCHAR, max_length=ID_BYTES)
    s.add_field("doc_hash", DataType.VARCHAR, max_length=HASH_BYTES)
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    s.add_field("page", DataType.INT64)
    s.add_field("key", DataType.VARCHAR, max_length=HASH_BYTES)
    s.add_field("length", DataType.INT64)
    s.add_field("norm", DataType.FLOAT)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    dense_params: dict[str, Any] = {"M": 32, "efConstruction": 200} if index_type == "HNSW" else {}
    create(n.get("passages"), s, [("vector", index_type, "IP", dense_params),
                              ("sparse", "SPARSE_INVERTED_INDEX", "IP", {})])

    s = placeholder_schema()
    s.add_field("doc_id", DataType.VARCHAR, is_primary=True, max_length=ID_BYTES)
    s.add_field("hash", DataType.VARCHAR, max_length=HASH_BYTES)
    s.add_field("info", DataType.VARCHAR, max_length=PART_BYTES + 4_000)  # JSON: title, source, origin, dates...
    s.add_field("v", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    create(n.get("documents"), s, [placeholder])

    s = placeholder_schema()
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=128)
    s.add_field("doc_id", DataType.VARCHAR, max_length=ID_BYTES)
    s.add_field("doc_hash", DataType.VARCHAR, max_length=HASH_BYTES)
    s.add_field("data", DataType.VARCHAR, max_length=PART_BYTES + 16)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    create(n.get("texts"), s, [placeholder])

    s = placeholder_schema()
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("df", DataType.INT64)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    create(n.get("terms"), s, [placeholder])

    s = placeholder_schema()
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
    s.add_field("value", DataType.VARCHAR, max_length=PART_BYTES)
    s.add_field("v", DataType.FLOAT_VECTOR, dim=PLACEHOLDER_DIM)
    create(n.get("meta"), s, [placeholder])


def drop_collections(client: Any, prefix: str) -> None:
    for name in names(prefix).values():
        if client.has_collection(name):
            client.drop_collection(name)
