"""A read view of an index held in Milvus: the parts of a ``Snapshot`` that search and answering use.

Nothing of the index is held in this process but caches: every replica reads the same collections.

- Dense search: one Milvus search on ``vector`` (inner product).
- BM25: qa's own BM25, not Milvus's built-in function (Milvus Lite keeps BM25 statistics per segment, and
  its analyzers are not qa's tokenizer): each passage's ``sparse`` vector holds ``tf / (tf + norm)`` per
  term (qa's tokens, ``norm`` = k1 (1 - b + b len / avglen_ref)), the query vector holds count x IDF with
  the collection's document frequencies (``<prefix>_terms``), so the inner product Milvus computes is
  Lucene BM25 exactly as ``qa.store.bm25`` scores it. After updates have moved the average passage length
  away from the one the vectors were written with, twice as many candidates are fetched and rescored
  with the current average (the term counts are recovered from the stored weights).
- Fusion, collapse and the answer layers then run unchanged in ``qa.search`` / ``qa.answer``.

A passage carries the version (``doc_hash``) of the document it was cut from; a hit whose version is not
the document's current one (a writer is between writing new passages and deleting old ones) is dropped,
and the text a quote is cut from is always the version its passage was cut from.
"""
from __future__ import annotations

import json
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from ..text.tokens import tokenize
from .milvus_schema import MAX_LIMIT, QUERY_BATCH, in_filter, names, term_id, text_part_id
from .snapshot import PassageRecord, StoredDocument

PASSAGE_FIELDS = ["doc_id", "doc_hash", "start", "end", "page", "key"]
RECORDS_MAX = 200_000  # passage records (and document versions) remembered per view
DOCUMENTS_MAX = 20_000  # full documents (with text) remembered per view ...
TEXT_CHARS_MAX = 64_000_000  # ... holding at most this many characters of text
LISTING_MAX = 1_000_000  # a view remembers the list of documents up to this many
PREFETCH_DOCUMENTS = 256  # texts read along with a missed one when the listing is known


@dataclass(frozen=True)
class DocInfo:
    """A document's current version and the facts listed without its text."""

    doc_id: str
    hash: str
    info: dict[str, Any]


class _LRU(OrderedDict):
    """Least recently put evicted first, past ``limit`` items or ``chars`` characters of document text."""

    def __init__(self, limit: int, chars: int | None = None) -> None:
        super().__init__()
        self.limit, self.chars, self.held = limit, chars, 0

    @staticmethod
    def size(value: Any) -> int:
        return len(value.document.text) if isinstance(value, StoredDocument) else 0

    def put(self, key: Any, value: Any) -> None:
        if key in self:
            self.held -= self.size(self[key])
        self[key] = value
        self.held += self.size(value)
        self.move_to_end(key)
        while len(self) > self.limit or (self.chars is not None and self.held > self.chars and len(self) > 1):
            _, old = self.popitem(last=False)
            self.held -= self.size(old)


def bm25_params(manifest: dict[str, Any]) -> dict[str, float]:
    return dict(manifest.get("bm25") or {"k1": 1.2, "b": 0.75, "passages": 0, "tokens": 0, "avglen_ref": 0.0})


class MilvusReader:
    """What one view reads from the collections, with its caches (thread-safe)."""

    def __init__(self, client: Any, prefix: str, manifest: dict[str, Any]) -> None:
        self.client = client
        self.names = names(prefix)
        self.manifest = manifest
        self.bm25 = bm25_params(manifest)
        self._records: _LRU = _LRU(RECORDS_MAX)
        self._infos: _LRU = _LRU(RECORDS_MAX)
        self._documents: _LRU = _LRU(DOCUMENTS_MAX, TEXT_CHARS_MAX)
        self._listing: list[DocInfo] | None = None  # every document, once listed (this view's generation)
        self._position: dict[str, int] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------- documents
    def infos(self, doc_ids: Iterable[str]) -> dict[str, DocInfo | None]:
        """The current version of each document (None: not in the index), cached for this view."""
        wanted = list(dict.fromkeys(doc_ids))
        with self._lock:
            out = {d: self._infos[d] for d in wanted if d in self._infos}
        missing = [d for d in wanted if d not in out]
        for i in range(0, len(missing), QUERY_BATCH):
            block = missing[i : i + QUERY_BATCH]
            found = {r["doc_id"]: r for r in self.client.get(self.names["documents"], ids=block,
                                                             output_fields=["doc_id", "hash", "info"])}
            with self._lock:
                for d in block:
                    r = found.get(d)
                    info = DocInfo(d, r["hash"], json.loads(r["info"])) if r else None
                    self._infos.put(d, info)
                    out[d] = info
        return out

    def document(self, doc_id: str) -> StoredDocument:
        info = self.infos([doc_id])[doc_id]
        if info is None:
            raise KeyError(doc_id)
        with self._lock:
            hit = self._documents.get((doc_id, info.hash))
        if hit is not None:
            return hit
        # a miss while the whole listing is known: read the texts of the documents listed after it in the
        # same call (a caller walking every document, as broad questions do, then costs a few calls, not one each)
        listing = self._listing
        window = [info]
        if listing is not None:
            start = self._position.get(doc_id, 0)
            with self._lock:
                window += [i for i in listing[start + 1 : start + 1 + PREFETCH_DOCUMENTS]
                           if (i.doc_id, i.hash) not in self._documents]
        return self.read_texts(window)[doc_id]

    def document_version(self, doc_id: str, doc_hash: str, parts: int) -> StoredDocument:
        with self._lock:
            hit = self._documents.get((doc_id, doc_hash))
        if hit is not None:
            return hit
        return self.read_texts([DocInfo(doc_id, doc_hash, {"parts": parts})])[doc_id]

    def read_texts(self, infos: list[DocInfo]) -> dict[str, StoredDocument]:
        """The stored documents (with their texts) of these versions, read in as few calls as possible."""
        ids = {i.doc_id: [text_part_id(i.doc_id, i.hash, p) for p in range(int(i.info.get("parts", 1)))] for i in infos}
        flat = [t for parts in ids.values() for t in parts]
        rows: dict[str, str] = {}
        for k in range(0, len(flat), QUERY_BATCH):
            rows.update((r["id"], r["data"]) for r in self.client.get(self.names["texts"], ids=flat[k : k + QUERY_BATCH],
                                                                        output_fields=["id", "data"]))
        out: dict[str, StoredDocument] = {}
        for i in infos:
            if any(t not in rows for t in ids[i.doc_id]):
                raise KeyError(f"{i.doc_id}: its text (version {i.hash[:12]}) is missing from {self.names['texts']}")
            sd = StoredDocument.from_json(json.loads("".join(rows[t] for t in ids[i.doc_id])))
            out[i.doc_id] = sd
            with self._lock:
                self._documents.put((i.doc_id, i.hash), sd)
        return out

    def all_infos(self) -> list[DocInfo]:
        """Every document's current version (listed once per view when there are at most ``LISTING_MAX``)."""
        if self._listing is not None:
            return self._listing
        out: list[DocInfo] = []
        it = self.client.query_iterator(self.names["documents"], batch_size=QUERY_BATCH, filter="",
                                        output_fields=["doc_id", "hash", "info"])
        try:
            while batch := it.next():
                out.extend(DocInfo(r["doc_id"], r["hash"], json.loads(r["info"])) for r in batch)
        finally:
            it.close()
        if len(out) <= LISTING_MAX:
            with self._lock:
                self._position = {i.doc_id: n for n, i in enumerate(out)}
                for i in out[:RECORDS_MAX]:
                    self._infos.put(i.doc_id, i)
                self._listing = out
        return out

    # ------------------------------------------------------------------------------- passages
    def remember(self, entities: Iterable[tuple[int, dict[str, Any]]]) -> None:
        with self._lock:
            for row, e in entities:
                self._records.put(row, (PassageRecord(e["doc_id"], int(e["start"]), int(e["end"]), int(e["page"]),
                                                      e["key"]), e["doc_hash"]))

    def record(self, row: int) -> PassageRecord:
        with self._lock:
            hit = self._records.get(row)
        if hit is None:
            found = self.client.get(self.names["passages"], ids=[int(row)], output_fields=["id", *PASSAGE_FIELDS])
            if not found:
                raise KeyError(f"no passage {row} in {self.names['passages']}")
            self.remember([(int(row), found[0])])
            with self._lock:
                hit = self._records[row]
        return hit[0]

    def current(self, hits: list[tuple[int, float, dict[str, Any]]]) -> list[tuple[int, float, dict[str, Any]]]:
        """The hits whose passage belongs to its document's current version (remembered for ``record``)."""
        infos = self.infos(h[2]["doc_id"] for h in hits)
        kept = []
        for row, score, e in hits:
            info = infos.get(e["doc_id"])
            if info is not None and info.hash == e["doc_hash"]:
                kept.append((row, score, e))
        self.remember((row, e) for row, _, e in kept)
        return kept

    def search(self, field: str, query: Any, limit: int, rows: np.ndarray | None, *, fields: list[str],
               params: dict[str, Any] | None = None) -> list[tuple[int, float, dict[str, Any]]]:
        kwargs: dict[str, Any] = {}
        if rows is not None:
            kwargs["filter"] = in_filter("id", rows.tolist())
        result = self.client.search(self.names["passages"], data=[query], anns_field=field,
                                    limit=max(1, min(limit, MAX_LIMIT)), output_fields=fields,
                                    search_params={"metric_type": "IP", "params": params or {}}, **kwargs)
        hits = [(int(h["id"]), float(h["distance"]), h["entity"]) for h in result[0]]
        return self.current(hits)

    def document_frequencies(self, ids: Collection[int]) -> dict[int, int]:
        found = self.client.get(self.names["terms"], ids=list(ids), output_fields=["id", "df"]) if ids else []
        return {int(r["id"]): int(r["df"]) for r in found}


class Column(Sequence[Any]):
    """One field of the passages by row, read through the view's cache (``column[row]``)."""

    def __init__(self, reader: MilvusReader, field: str, size: int) -> None:
        self._reader, self._field, self._size = reader, field, size

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, row: int) -> Any: ...

    @overload
    def __getitem__(self, row: slice) -> Sequence[Any]: ...

    def __getitem__(self, row: int | slice) -> Any:
        if isinstance(row, slice):
            raise TypeError("a Milvus passage column is read by row (its primary key), not sliced")
        return getattr(self._reader.record(int(row)), self._field)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("a Milvus passage column cannot be iterated: rows are primary keys, not positions; "
                        "read passages through search or record(row)")


class MilvusPassages:
    """``PassageRows`` over ``<prefix>_passages``."""

    def __init__(self, reader: MilvusReader) -> None:
        self._reader = reader
        self._size = int(reader.manifest.get("counts", {}).get("passages", 0))
        self.doc_ids = Column(reader, "doc_id", self._size)
        self.keys = Column(reader, "key", self._size)
        self.starts = Column(reader, "start", self._size)
        self.ends = Column(reader, "end", self._size)
        self.pages = Column(reader, "page", self._size)

    def __len__(self) -> int:
        return self._size

    def record(self, row: int) -> PassageRecord:
        return self._reader.record(row)

    def rows_of(self, doc_ids: Collection[str]) -> np.ndarray:
        reader = self._reader
        infos = reader.infos(doc_ids)
        rows: list[int] = []
        for d, info in infos.items():
            if info is None:
                continue
            found = reader.client.query(reader.names["passages"],
                                        filter=f"doc_id == {json.dumps(d, ensure_ascii=False)} and "
                                               f"doc_hash == {json.dumps(info.hash)}",
                                        output_fields=["id", *PASSAGE_FIELDS])
            reader.remember((int(r["id"]), r) for r in found)
            rows.extend(int(r["id"]) for r in found)
        return np.array(sorted(rows), dtype=np.int64)


class MilvusDense:
    """``DenseSearch`` on the passages' ``vector`` field."""

    def __init__(self, reader: MilvusReader, ef: int = 128) -> None:
        self._reader = reader
        self.size = int(reader.manifest.get("counts", {}).get("passages", 0))
        self.ef = ef

    def search(self, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(queries, dtype=np.float32).reshape(-1, queries.shape[-1])
        scores = np.full((len(q), k), -np.inf, np.float32)
        ids = np.full((len(q), k), -1, np.int64)
        if rows is not None and len(rows) == 0:
            return scores, ids
        for i, vec in enumerate(q):
            hits = self._reader.search("vector", vec.tolist(), k, rows, fields=PASSAGE_FIELDS,
                                      params={"ef": max(self.ef, k)})
            for j, (row, score, _) in enumerate(hits[:k]):
                ids[i, j], scores[i, j] = row, score
        return scores, ids


class MilvusSparse:
    """``SparseSearch``: qa's BM25 over the passages' ``sparse`` field (see the module's docstring)."""

    def __init__(self, reader: MilvusReader) -> None:
        self._reader = reader
        p = reader.bm25
        self.size = int(p.get("passages", 0))
        self.k1, self.b = float(p.get("k1", 1.2)), float(p.get("b", 0.75))
        self.avglen = float(p.get("tokens", 0)) / self.size if self.size else 0.0
        self.avglen_ref = float(p.get("avglen_ref", 0.0))
        self._idf: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def drifted(self) -> bool:
        """Has the average passage length moved since the sparse vectors were written?"""
        return abs(self.avglen - self.avglen_ref) > 1e-6 * max(1.0, self.avglen_ref)

    def _idf32(self, df: np.ndarray) -> np.ndarray:
        return np.log1p((self.size - df + 0.5) / (df + 0.5)).astype(np.float32)  # as qa.store.bm25 builds it

    def query_weights(self, query: str) -> dict[int, float]:
        """term id -> count x IDF (float32, as bm25s sums it) for the query's terms the passages hold."""
        counts = Counter(term_id(t) for t in tokenize(query))
        dfs = self._reader.document_frequencies(list(counts))
        known = [t for t in counts if dfs.get(t, 0) > 0]
        if not known:
            return {}
        idf = self._idf32(np.array([dfs[t] for t in known], np.float64))
        return {t: float(np.float32(counts[t]) * idf[i]) for i, t in enumerate(known)}

    def top(self, query: str, depth: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        weights = self.query_weights(query) if self.size else {}
        if not weights or (rows is not None and len(rows) == 0):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if not self.drifted:
            hits = self._reader.search("sparse", weights, depth, rows, fields=PASSAGE_FIELDS)
            scored = [(row, score) for row, score, _ in hits]
        else:
            hits = self._reader.search("sparse", weights, 2 * depth, rows,
                                       fields=[*PASSAGE_FIELDS, "length", "norm", "sparse"])
            scored = [(row, self.rescore(weights, e)) for row, _, e in hits]
        scored = sorted(((r, s) for r, s in scored if s > 0), key=lambda x: (-x[1], x[0]))[:depth]
        return (np.array([r for r, _ in scored], np.int64), np.array([s for _, s in scored], np.float32))

    def rescore(self, weights: dict[int, float], entity: dict[str, Any]) -> float:
        """Exact BM25 with the current average length, from the stored weights w = tf / (tf + norm)."""
        norm = float(entity["norm"])
        now = self.k1 * ((1 - self.b) + self.b * float(entity["length"]) / self.avglen)
        sparse = entity["sparse"]
        total = np.float32(0.0)
        for t, q in weights.items():
            w = float(sparse.get(t, 0.0))
            if w <= 0.0:
                continue
            tf = round(w * norm / (1.0 - w))
            total += np.float32(q) * np.float32(tf / (tf + now))
        return float(total)

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25 IDF, ln(1 + (N - df + .5) / (df + .5)), as ``BM25Index.idf`` computes it."""
        terms = list(terms)
        with self._lock:
            missing = [t for t in terms if t not in self._idf]
        if missing:
            dfs = self._reader.document_frequencies({term_id(t) for t in missing})
            n = max(self.size, 1)
            with self._lock:
                for t in missing:
                    df = dfs.get(term_id(t), 0)
                    self._idf[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        with self._lock:
            return {t: self._idf[t] for t in terms}


class MilvusDocuments(Mapping[str, StoredDocument]):
    """The documents by id; a document's text is fetched (and cached) when it is asked for."""

    def __init__(self, reader: MilvusReader) -> None:
        self._reader = reader
        self._size = int(reader.manifest.get("counts", {}).get("documents", 0))

    def __getitem__(self, doc_id: str) -> StoredDocument:
        return self._reader.document(doc_id)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._reader.infos([doc_id])[doc_id] is not None

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[str]:
        return (info.doc_id for info in self._reader.all_infos())

    def listing(self) -> list[StoredDocument]:
        """Every document with its text (the texts read ``PREFETCH_DOCUMENTS`` documents per call)."""
        infos = self._reader.all_infos()
        out: list[StoredDocument] = []
        for k in range(0, len(infos), PREFETCH_DOCUMENTS):
            block = infos[k : k + PREFETCH_DOCUMENTS]
            texts = self._reader.read_texts(block)
            out.extend(texts[i.doc_id] for i in block)
        return out
