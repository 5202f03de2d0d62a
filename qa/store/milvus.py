"""The Milvus store: an index in Milvus collections (``qa.store.milvus_schema``), read through
``qa.store.milvus_view``, written here. One client, ``pymilvus.MilvusClient(uri)``, for a Milvus Lite file
(``./qa.db``), a local ``milvus-lite server``, Milvus Standalone, Distributed or managed Milvus.

Writes (``qa.ingest.distributed`` drives them) go document by document, in an order that keeps every
read consistent without transactions (Milvus has none across entities):

1. the documents about to change are recorded as in flight (``pending`` in ``<prefix>_meta``);
2. the new version's text parts and passages are upserted (primary keys derived from the document, its
   version and the passage's ordinal: a re-run overwrites, never duplicates);
3. the document's record is switched to the new version (readers drop passages of any other version);
4. the old version's passages and texts are deleted, and the BM25 statistics (passage count, token
   count, document frequencies) are moved by the difference;
5. ``pending`` is cleared; at the end of an update the manifest's generation is bumped.

A writer that dies between 1 and 5 leaves ``pending`` set: the next writer deletes the orphaned
versions of those documents and recounts the BM25 statistics from the passages before writing. Writers
are serialised by a lease record (``lease`` in ``<prefix>_meta``, renewed at every batch): Milvus has no
compare-and-set, so two writers started within the same fraction of a second could both take it; run
one ingestion job at a time per collection.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..errors import IndexFormatError, IndexLockedError, IndexNotFoundError, StoreUnavailableError
from ..text.tokens import tokenize
from ..types import Document
from .base import Store
from .milvus_client import GRPC_OPTIONS, ReloadingClient, brief, load_collections
from .milvus_schema import (
    BATCH, ID_BYTES, PLACEHOLDER, QUERY_BATCH, create_collections, drop_collections, in_filter, load_pymilvus,
    names, passage_row, split_utf8, term_id, text_part_id,
)
from .milvus_view import MilvusDense, MilvusDocuments, MilvusPassages, MilvusReader, MilvusSparse, bm25_params
from .snapshot import Snapshot, StoredDocument

logger = logging.getLogger(__name__)

FORMAT = "qa-milvus"
FORMAT_VERSION = 1
LEASE_SECONDS = 120.0
K1, B = 1.2, 0.75  # as qa.store.bm25


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class PassageSpan:
    """A passage to write: ``document.text[start:end]``, its page (0 = none) and embedded text's hash."""

    start: int
    end: int
    page: int
    key: str


@dataclass
class DocumentWrite:
    """A document version to write: its record (with text), its passages and their vectors (one row each)."""

    stored: StoredDocument
    spans: list[PassageSpan]
    vectors: np.ndarray


@dataclass
class StatsDelta:
    """How a write moves the BM25 statistics: per-term document frequency, tokens, passages, documents."""

    df: Counter[int] = field(default_factory=Counter)
    tokens: int = 0
    passages: int = 0
    documents: int = 0

    def add(self, terms: Iterable[Any], length: int) -> None:
        self.df.update(int(t) for t in terms)
        self.tokens += length
        self.passages += 1

    def subtract(self, other: StatsDelta) -> None:
        self.df.subtract(other.df)
        self.tokens -= other.tokens
        self.passages -= other.passages


def _sparse(tokens: list[str], norm: float) -> dict[int, float]:
    """tf / (tf + norm) per term id (a passage without a token holds the empty term, as bm25s indexes it)."""
    counts = Counter(term_id(t) for t in (tokens or [""]))
    return {t: float(np.float32(c / (c + norm))) for t, c in counts.items()}


class MilvusStore(Store):
    """An index held in Milvus collections named ``<collection>_*``."""

    kind = "milvus"

    def __init__(self, address: str, collection: str = "qa", *, index_type: str = "AUTOINDEX",
                 token: str | None = None, uri: str | None = None) -> None:
        super().__init__(uri or f"milvus:{address}?collection={collection}")
        self.address = address
        self.prefix = collection
        self.index_type = index_type.upper()
        self.token = token if token is not None else os.environ.get("QA_MILVUS_TOKEN", "")
        self.names = names(collection)
        self._client: ReloadingClient | None = None
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # -------------------------------------------------------------------------------- connection
    @property
    def client(self) -> ReloadingClient:
        """The client, connected at first use with this index's collections loaded; a call failing later because
        the server restarted (collections released, connection dropped) loads them again and is retried once
        (``qa.store.milvus_client``)."""
        if self._client is None:
            pymilvus = load_pymilvus()
            try:
                client = pymilvus.MilvusClient(uri=self.address, token=self.token or "", grpc_options=GRPC_OPTIONS)
                load_collections(client, self.names.values())
            except Exception as e:  # noqa: BLE001 - any connection failure: say where
                raise StoreUnavailableError(f"{self.uri}: cannot connect to Milvus ({brief(e)})") from None
            self._client = ReloadingClient(client, self.uri, self.names.values)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -------------------------------------------------------------------------------- meta records
    def _meta(self, key: str) -> Any:
        if not self.client.has_collection(self.names["meta"]):
            return None
        found = self.client.get(self.names["meta"], ids=[key], output_fields=["key", "value"])
        return json.loads(found[0]["value"]) if found else None

    def _set_meta(self, key: str, value: Any) -> None:
        self.client.upsert(self.names["meta"], [{"key": key, "value": json.dumps(value), "v": PLACEHOLDER}])

    def read_manifest(self, missing_ok: bool = False) -> dict[str, Any]:
        manifest = self._meta("manifest")
        if manifest is None:
            if missing_ok:
                return {}
            raise IndexNotFoundError(f"{self.uri}: no qa index in this Milvus collection; build one with "
                                     f"`python -m qa index <folder> --store {self.uri}`")
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise IndexFormatError(f"{self.uri}: {self.names['meta']} does not hold a qa index of format "
                                   f"{FORMAT} {FORMAT_VERSION}")
        return dict(manifest)

    def read_snapshot(self, verify: bool = True) -> Snapshot:
        manifest = self.read_manifest()
        reader = MilvusReader(self.client, self.prefix, manifest)
        dim = int(manifest.get("embedder", {}).get("dim", 0))
        return Snapshot(manifest, MilvusDocuments(reader), MilvusPassages(reader), np.zeros((0, dim), np.float32),
                        MilvusDense(reader), MilvusSparse(reader))

    # -------------------------------------------------------------------------------- locking
    @contextmanager
    def write_lock(self, timeout: float = 600.0) -> Iterator[None]:
        """Take the writer's lease (waiting for another live writer's to end or expire)."""
        deadline = time.monotonic() + timeout
        warned = False
        self._ensure_meta()
        while True:
            lease = self._meta("lease")
            if lease is None or lease.get("owner") == self.owner or lease.get("expires", 0) < time.time():
                self._renew()
                time.sleep(0.05)
                mine = self._meta("lease")
                if mine and mine.get("owner") == self.owner:
                    break
            if time.monotonic() > deadline:
                raise IndexLockedError(f"{self.uri}: another writer ({lease and lease.get('owner')}) holds the lease; "
                                       f"gave up after {timeout:.0f}s")
            if not warned:
                logger.warning("%s: another writer (%s) holds the lease; waiting", self.uri, lease and lease.get("owner"))
                warned = True
            time.sleep(0.5)
        try:
            yield
        finally:
            lease = self._meta("lease")
            if lease and lease.get("owner") == self.owner:
                self.client.delete(self.names["meta"], ids=["lease"])

    def _ensure_meta(self) -> None:
        if not self.client.has_collection(self.names["meta"]):
            create_collections(self.client, self.prefix, 2, self.index_type, only=["meta"])

    def _renew(self) -> None:
        self._set_meta("lease", {"owner": self.owner, "expires": time.time() + LEASE_SECONDS})

    # -------------------------------------------------------------------------------- writing
    def begin(self, facts: dict[str, Any], *, reset: bool) -> dict[str, Any]:
        """Make the collections ready for a write with these manifest ``facts`` (embedder, chunking): created
        when missing, emptied of passages (documents kept) when ``reset`` (another model or chunking, a
        rebuild); an interrupted write is repaired first. Returns the manifest."""
        dim = int(facts["embedder"]["dim"])
        manifest = self.read_manifest(missing_ok=True)
        if manifest and reset:
            for part in ("passages", "terms"):
                self.client.drop_collection(self.names[part])
            manifest = {}
        if not manifest:
            old = self._meta("manifest") or {}
            create_collections(self.client, self.prefix, dim, self.index_type)
            now = utcnow()
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "generation": int(old.get("generation", 0)),
                        "created": old.get("created", now), "updated": now,
                        "counts": {"documents": self._count("documents"), "passages": 0},
                        "bm25": {"k1": K1, "b": B, "passages": 0, "tokens": 0, "avglen_ref": 0.0},
                        "dense": {"kind": self.index_type, "size": 0}, "store": {"kind": self.kind}}
        manifest.update(facts)
        self._set_meta("manifest", manifest)
        self._recover(manifest)
        return manifest

    def _count(self, part: str) -> int:
        if not self.client.has_collection(self.names[part]):
            return 0
        found = self.client.query(self.names[part], filter="", output_fields=["count(*)"])
        return int(found[0]["count(*)"]) if found else 0

    def _recover(self, manifest: dict[str, Any]) -> None:
        """Undo what a writer that died left: versions of its in-flight documents that are not current,
        then recount the BM25 statistics from the passages."""
        pending = self._meta("pending") or []
        if not pending:
            return
        logger.warning("%s: a previous write of %d documents did not finish; cleaning up", self.uri, len(pending))
        current = self.current_hashes(pending)
        for doc_id in pending:
            self._delete_other_versions(doc_id, current.get(doc_id))
        self.recount(manifest)
        self._set_meta("pending", [])

    def recount(self, manifest: dict[str, Any]) -> None:
        """Recompute the passage and token counts and every term's document frequency by reading all passages."""
        df: Counter[int] = Counter()
        tokens = passages = 0
        for batch in self._iterate("passages", "", ["id", "length", "sparse"]):
            for e in batch:
                passages += 1
                tokens += int(e["length"])
                df.update(int(t) for t in e["sparse"])
        self.client.drop_collection(self.names["terms"])
        create_collections(self.client, self.prefix, int(manifest["embedder"]["dim"]), self.index_type)
        for block in _blocks(list(df.items()), BATCH * 4):
            self.client.upsert(self.names["terms"], [{"id": t, "df": n, "v": PLACEHOLDER} for t, n in block])
        manifest["bm25"] = {**bm25_params(manifest), "passages": passages, "tokens": tokens}
        manifest["counts"] = {"documents": self._count("documents"), "passages": passages}
        self._set_meta("manifest", manifest)

    def _iterate(self, part: str, expr: str, fields: list[str]) -> Iterator[list[dict[str, Any]]]:
        it = self.client.query_iterator(self.names[part], batch_size=QUERY_BATCH, filter=expr, output_fields=fields)
        try:
            while batch := it.next():
                yield batch
        finally:
            it.close()

    def stored_documents(self) -> dict[str, StoredDocument]:
        """Every document's record without its text (what an update plan compares: hash, origin, dates)."""
        out: dict[str, StoredDocument] = {}
        if not self.client.has_collection(self.names["documents"]):
            return out
        for batch in self._iterate("documents", "", ["doc_id", "hash", "info"]):
            for r in batch:
                info = json.loads(r["info"])
                doc = Document(r["doc_id"], info.get("title", ""), "", info.get("source"), {})
                out[r["doc_id"]] = StoredDocument(doc, r["hash"], info.get("origin"), info.get("added", ""),
                                                  info.get("updated", ""), int(info.get("n_passages", 0)))
        return out

    def full_documents(self, doc_ids: Iterable[str]) -> Iterator[StoredDocument]:
        """The stored documents with their texts (a rebuild re-chunks them)."""
        reader = MilvusReader(self.client, self.prefix, self.read_manifest())
        for d in doc_ids:
            yield reader.document(d)

    def current_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for block in _blocks(list(doc_ids), QUERY_BATCH):
            for r in self.client.get(self.names["documents"], ids=block, output_fields=["doc_id", "hash"]):
                out[r["doc_id"]] = r["hash"]
        return out

    def keys_of(self, doc_ids: Iterable[str]) -> set[str]:
        """The content hashes of the current passages of these documents."""
        keys: set[str] = set()
        for block in _blocks(list(dict.fromkeys(doc_ids)), 100):
            for batch in self._iterate("passages", in_filter("doc_id", block), ["key"]):
                keys.update(r["key"] for r in batch)
        return keys

    def known_vectors(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vector of each content hash found among the passages (equal texts share one vector)."""
        out: dict[str, np.ndarray] = {}
        for block in _blocks(list(dict.fromkeys(keys)), 500):
            found = self.client.query(self.names["passages"], filter=in_filter("key", block),
                                      output_fields=["key", "vector"], limit=QUERY_BATCH * 16)
            for r in found:
                out.setdefault(r["key"], np.asarray(r["vector"], np.float32))
        return out

    def put(self, manifest: dict[str, Any], batch: list[DocumentWrite]) -> None:
        """Write a batch of document versions (steps 1-5 of the module's docstring; the manifest's counts
        and BM25 statistics are updated in ``manifest`` and stored)."""
        if not batch:
            return
        self._renew()
        for w in batch:
            _check_document(w)
        ids = [w.stored.document.id for w in batch]
        self._set_meta("pending", ids)
        texts, passages, delta = _entities(batch, manifest["bm25"])
        for block in _blocks(texts, 64):
            self.client.upsert(self.names["texts"], block)
        for block in _blocks(passages, BATCH):
            self.client.upsert(self.names["passages"], block)
        old = self.current_hashes(ids)
        self.client.upsert(self.names["documents"], [_record(w) for w in batch])  # the switch
        delta.documents = len([d for d in ids if d not in old])
        for w in batch:
            if w.stored.document.id in old:
                delta.subtract(self._delete_other_versions(w.stored.document.id, w.stored.hash))
        self._move_stats(manifest, delta)
        self._set_meta("pending", [])

    def remove(self, manifest: dict[str, Any], doc_ids: Sequence[str]) -> None:
        """Delete documents, their passages and texts (record first: readers stop seeing them at once)."""
        if not doc_ids:
            return
        self._renew()
        self._set_meta("pending", list(doc_ids))
        for block in _blocks(list(doc_ids), QUERY_BATCH):
            self.client.delete(self.names["documents"], ids=block)
        delta = StatsDelta(documents=-len(doc_ids))
        for d in doc_ids:
            delta.subtract(self._delete_other_versions(d, None))
        self._move_stats(manifest, delta)
        self._set_meta("pending", [])

    def _delete_other_versions(self, doc_id: str, keep_hash: str | None) -> StatsDelta:
        """Delete a document's passages and texts of every version but ``keep_hash`` (all when None).
        Returns what the deleted passages counted for (document frequencies, tokens, passages)."""
        expr = f"doc_id == {json.dumps(doc_id, ensure_ascii=False)}"
        if keep_hash is not None:
            expr += f" and doc_hash != {json.dumps(keep_hash)}"
        gone = StatsDelta()
        rows: list[int] = []
        for batch in self._iterate("passages", expr, ["id", "length", "sparse"]):
            for e in batch:
                rows.append(int(e["id"]))
                gone.add(e["sparse"], int(e["length"]))
        for block in _blocks(rows, QUERY_BATCH):
            self.client.delete(self.names["passages"], ids=block)
        self.client.delete(self.names["texts"], filter=expr)
        return gone

    def _move_stats(self, manifest: dict[str, Any], delta: StatsDelta) -> None:
        changed = [t for t, d in delta.df.items() if d]
        current: dict[int, int] = {}
        for block in _blocks(changed, QUERY_BATCH):
            for r in self.client.get(self.names["terms"], ids=block, output_fields=["id", "df"]):
                current[int(r["id"])] = int(r["df"])
        upserts = [{"id": t, "df": current.get(t, 0) + delta.df[t], "v": PLACEHOLDER} for t in changed
                   if current.get(t, 0) + delta.df[t] > 0]
        deletes = [t for t in changed if current.get(t, 0) + delta.df[t] <= 0]
        for block in _blocks(upserts, BATCH * 4):
            self.client.upsert(self.names["terms"], block)
        for block in _blocks(deletes, QUERY_BATCH):
            self.client.delete(self.names["terms"], ids=block)
        bm25 = manifest["bm25"]
        bm25["passages"] = int(bm25.get("passages", 0)) + delta.passages
        bm25["tokens"] = int(bm25.get("tokens", 0)) + delta.tokens
        counts = manifest.setdefault("counts", {"documents": 0, "passages": 0})
        counts["passages"] = bm25["passages"]
        counts["documents"] = int(counts.get("documents", 0)) + delta.documents
        manifest["dense"] = {"kind": self.index_type, "size": bm25["passages"]}
        self._set_meta("manifest", manifest)

    def commit(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Bump the generation: readers holding an older one reload."""
        manifest["generation"] = int(manifest.get("generation", 0)) + 1
        manifest["updated"] = utcnow()
        self._set_meta("manifest", manifest)
        if hasattr(self.client, "flush"):
            for part in ("passages", "documents", "texts", "terms", "meta"):
                self.client.flush(self.names[part])
        return manifest

    def drop(self) -> None:
        """Delete every collection of this index."""
        drop_collections(self.client, self.prefix)

    # -------------------------------------------------------------------------------- checking
    def check(self) -> list[str]:
        try:
            manifest = self.read_manifest()
        except (IndexNotFoundError, IndexFormatError) as e:
            return [str(e)]
        docs = {}
        for batch in self._iterate("documents", "", ["doc_id", "hash", "info"]):
            for r in batch:
                docs[r["doc_id"]] = (r["hash"], json.loads(r["info"]))
        problems, per_doc, tokens = self._passage_problems(docs)
        for d, (_, info) in docs.items():
            if int(info.get("n_passages", 0)) != per_doc.get(d, 0):
                problems.append(f"document {d}: its record says {info.get('n_passages')} passages, "
                                f"the index holds {per_doc.get(d, 0)}")
        counts = manifest.get("counts", {})
        if counts.get("documents") != len(docs) or counts.get("passages") != sum(per_doc.values()):
            problems.append(f"manifest counts {counts} differ from the collections ({len(docs)} documents, "
                            f"{sum(per_doc.values())} passages)")
        if int(manifest.get("bm25", {}).get("tokens", -1)) != tokens:
            problems.append("BM25 token count differs from the passages' (the next write recounts)")
        pending = self._meta("pending")
        if pending:
            problems.append(f"a write did not finish: {len(pending)} documents in flight (the next write cleans up)")
        return problems

    def _passage_problems(self, docs: dict[str, tuple[str, dict[str, Any]]]) -> tuple[list[str], Counter[str], int]:
        """(problems, current passages per document, their tokens) from one pass over the passages."""
        problems: list[str] = []
        per_doc: Counter[str] = Counter()
        tokens = 0
        fields = ["id", "doc_id", "doc_hash", "start", "end", "length", "vector"]
        for batch in self._iterate("passages", "", fields):
            for e in batch:
                current = docs.get(e["doc_id"])
                if current is None or current[0] != e["doc_hash"]:
                    problems.append(f"passage {e['id']} of {e['doc_id']}: not of the document's current version "
                                    "(an interrupted write; the next write cleans it up)")
                    continue
                per_doc[e["doc_id"]] += 1
                tokens += int(e["length"])
                norm = float(np.linalg.norm(np.asarray(e["vector"], np.float32)))
                if abs(norm - 1.0) > 1e-3:
                    problems.append(f"passage {e['id']} of {e['doc_id']}: vector is not unit length ({norm:.4f})")
        return problems, per_doc, tokens


def _blocks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _stored_json(w: DocumentWrite) -> list[str]:
    """The document's JSON (as the index folder stores it, with its text) in parts a VARCHAR holds."""
    return split_utf8(json.dumps(w.stored.to_json(), ensure_ascii=False))


def _record(w: DocumentWrite) -> dict[str, Any]:
    sd, d = w.stored, w.stored.document
    info = {"title": d.title, "source": d.source, "origin": sd.origin, "added": sd.added, "updated": sd.updated,
            "n_passages": len(w.spans), "parts": len(_stored_json(w)), "chars": len(d.text)}
    return {"doc_id": d.id, "hash": sd.hash, "info": json.dumps(info, ensure_ascii=False), "v": PLACEHOLDER}


def _entities(batch: list[DocumentWrite], bm25: dict[str, Any]) -> tuple[list[Any], list[Any], StatsDelta]:
    """The text parts and passage entities of a batch, and what the passages add to the BM25 statistics.
    The first write fixes ``avglen_ref``, the average length the stored term weights are normalised by."""
    token_lists = [[tokenize(w.stored.document.text[s.start:s.end]) for s in w.spans] for w in batch]
    if not bm25.get("avglen_ref"):
        lengths = [max(1, len(t)) for tl in token_lists for t in tl]
        bm25["avglen_ref"] = float(np.mean(lengths)) if lengths else 1.0
    ref = float(bm25["avglen_ref"])
    texts, passages, delta = [], [], StatsDelta()
    for w, tl in zip(batch, token_lists, strict=True):
        doc = w.stored.document
        for part, data in enumerate(_stored_json(w)):
            texts.append({"id": text_part_id(doc.id, w.stored.hash, part), "doc_id": doc.id,
                          "doc_hash": w.stored.hash, "data": data, "v": PLACEHOLDER})
        for i, (span, tokens) in enumerate(zip(w.spans, tl, strict=True)):
            length = max(1, len(tokens))
            norm = K1 * ((1 - B) + B * length / ref)
            sparse = _sparse(tokens, norm)
            delta.add(sparse, length)
            passages.append({"id": passage_row(doc.id, w.stored.hash, i), "doc_id": doc.id,
                             "doc_hash": w.stored.hash, "start": span.start, "end": span.end, "page": span.page,
                             "key": span.key, "length": length, "norm": norm,
                             "vector": np.asarray(w.vectors[i], np.float32).tolist(), "sparse": sparse})
    return texts, passages, delta


def _check_document(w: DocumentWrite) -> None:
    d = w.stored.document
    for what, value in (("id", d.id), ("title", d.title), ("source", d.source or "")):
        if len(value.encode("utf-8", "surrogatepass")) > ID_BYTES:
            raise ValueError(f"{d.source or d.id}: document {what} is longer than {ID_BYTES} bytes (Milvus field limit)")
    if len(w.spans) != len(w.vectors):
        raise ValueError(f"{d.id}: {len(w.spans)} passages but {len(w.vectors)} vectors")
