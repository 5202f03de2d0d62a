"""One generation of an index as search and answering read it: documents, passages, dense and BM25 search.

The parts follow small protocols (``PassageRows``, ``DenseSearch``, ``SparseSearch``) so that a store
backend other than the index folder (``qa.store.milvus``) can serve them. A passage is named by an integer
*row*: its position in the index folder's tables, its primary key in Milvus."""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..types import Document


@dataclass(frozen=True)
class PassageRecord:
    """Where one passage is: ``document.text[start:end]``; ``page`` 0 = none; ``key`` the content hash of
    its embedded text."""

    doc_id: str
    start: int
    end: int
    page: int
    key: str


class PassageRows(Protocol):
    """The passages of a view, by row. ``record`` reads one row; the columns (``doc_ids[row]``, ``starts[row]``
    ...) are numpy arrays and lists in the index folder, and lazy look-ups in Milvus (iterating one there reads
    the whole collection: evaluation tools do, the question path never does)."""

    def __len__(self) -> int: ...

    @property
    def doc_ids(self) -> Sequence[str]: ...

    @property
    def keys(self) -> Sequence[str]: ...

    @property
    def starts(self) -> Any: ...  # int per row

    @property
    def ends(self) -> Any: ...  # int per row

    @property
    def pages(self) -> Any: ...  # int per row, 0 = no page

    def record(self, row: int) -> PassageRecord: ...

    def rows_of(self, doc_ids: Collection[str]) -> np.ndarray:
        """The rows of the passages of these documents (int64)."""
        ...


class DenseSearch(Protocol):
    """Inner-product search over unit vectors."""

    @property
    def size(self) -> int: ...

    def search(self, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (n_queries, k), best first; rows are -1 where fewer than k qualify."""
        ...


class SparseSearch(Protocol):
    """BM25 over the passages (Lucene variant, qa's tokenizer, the same scores on every backend)."""

    @property
    def size(self) -> int: ...

    def top(self, query: str, depth: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the best ``depth`` passages (restricted to ``rows``), best first, no zeros."""
        ...

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25 IDF of each term over the passages."""
        ...


@dataclass(frozen=True)
class StoredDocument:
    """A document as held in the index, with what incremental updates need to know about it."""

    document: Document
    hash: str  # sha256 of the source bytes (files) or of title + text (Document objects)
    origin: str | None = None  # the folder it was found in (documents missing from it are pruned)
    added: str = ""
    updated: str = ""
    n_passages: int = 0

    def to_json(self) -> dict[str, Any]:
        d = self.document
        return {
            "id": d.id, "title": d.title, "source": d.source, "metadata": d.metadata, "hash": self.hash,
            "origin": self.origin, "added": self.added, "updated": self.updated,
            "n_passages": self.n_passages, "text": d.text,
        }

    @classmethod
    def from_json(cls, r: dict[str, Any]) -> StoredDocument:
        doc = Document(r["id"], r["title"], r["text"], r.get("source"), r.get("metadata") or {})
        return cls(doc, r["hash"], r.get("origin"), r.get("added", ""), r.get("updated", ""), r.get("n_passages", 0))


@dataclass
class PassageTable:
    """Columnar passage records; row i matches vector i and BM25 document i."""

    doc_ids: list[str] = field(default_factory=list)
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pages: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # 0 = no page
    keys: list[str] = field(default_factory=list)  # content hash of the embedded text

    def __len__(self) -> int:
        return len(self.doc_ids)

    @classmethod
    def from_rows(cls, rows: list[tuple[str, int, int, int, str]]) -> PassageTable:
        if not rows:
            return cls()
        doc_ids, starts, ends, pages, keys = zip(*rows, strict=True)
        return cls(list(doc_ids), np.array(starts, np.int64), np.array(ends, np.int64), np.array(pages, np.int32), list(keys))

    def rows(self) -> Iterator[tuple[str, int, int, int, str]]:
        for i in range(len(self)):
            yield self.doc_ids[i], int(self.starts[i]), int(self.ends[i]), int(self.pages[i]), self.keys[i]

    def record(self, row: int) -> PassageRecord:
        return PassageRecord(self.doc_ids[row], int(self.starts[row]), int(self.ends[row]), int(self.pages[row]),
                             self.keys[row])

    def rows_of(self, doc_ids: Collection[str]) -> np.ndarray:
        wanted = set(doc_ids)
        return np.array([i for i, d in enumerate(self.doc_ids) if d in wanted], dtype=np.int64)


@dataclass
class Snapshot:
    """What one generation of the index holds. The index folder's (``qa.store.disk``) is all in memory:
    a ``PassageTable``, FAISS (``DenseIndex``), bm25s (``BM25Index``) and the float32 vectors; a Milvus
    view (``qa.store.milvus``) fetches its passages, documents and scores from the collections instead
    (``vectors`` is then empty). Search and answering only use the protocols of ``qa.store.base``."""

    manifest: dict[str, Any]
    documents: Mapping[str, StoredDocument]
    passages: PassageRows
    vectors: np.ndarray
    dense: DenseSearch
    sparse: SparseSearch

    def passage_text(self, row: int) -> str:
        r = self.passages.record(row)
        return self.documents[r.doc_id].document.text[r.start : r.end]
