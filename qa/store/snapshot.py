"""One generation of an index, in memory: documents, the passage table, vectors, FAISS and BM25."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..types import Document
from .ann import DenseIndex
from .bm25 import BM25Index


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


@dataclass
class Snapshot:
    """Everything one generation of the index holds, in memory."""

    manifest: dict[str, Any]
    documents: dict[str, StoredDocument]
    passages: PassageTable
    vectors: np.ndarray
    dense: DenseIndex
    sparse: BM25Index

    def passage_text(self, row: int) -> str:
        doc = self.documents[self.passages.doc_ids[row]].document
        return doc.text[int(self.passages.starts[row]) : int(self.passages.ends[row])]
