"""What every store backend gives the layers above it: a read view (``Snapshot``'s parts) and the ``Store``.

Two backends, one file each, chosen by a URI (``qa.store.factory.open_store``):

- ``disk`` (``qa.store.disk``): the index folder (FAISS + bm25s files and a manifest, written as
  generations). The default: nothing to install or start.
- ``milvus`` (``qa.store.milvus``): collections in Milvus, through one client (``pymilvus.MilvusClient``)
  for a Milvus Lite file, a local ``milvus-lite server``, Milvus Standalone or Distributed.

Search (``qa.search``) and answering (``qa.answer``) read a ``Snapshot`` whose parts follow the protocols
of ``qa.store.snapshot``; they never know which backend holds the index. A passage is named by an integer *row*: its
position in the index folder's tables, its primary key in Milvus.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from .snapshot import Snapshot


class Store(ABC):
    """Where an index lives. ``uri`` names it (a folder, or a Milvus address and collection prefix)."""

    kind = "?"

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"

    @abstractmethod
    def read_manifest(self, missing_ok: bool = False) -> dict[str, Any]:
        """The index's facts (embedder, chunking, generation, counts); {} when there is none and ``missing_ok``,
        else IndexNotFoundError."""

    @abstractmethod
    def read_snapshot(self, verify: bool = True) -> Snapshot:
        """A read view of the current generation."""

    @abstractmethod
    def write_lock(self) -> AbstractContextManager[None]:
        """Serialise the writers of this index (IndexLockedError after a timeout)."""

    @abstractmethod
    def check(self) -> list[str]:
        """Everything wrong with the index, as readable sentences (empty when it is sound)."""

    def generation(self) -> int | None:
        """The committed generation (None when there is no index): a reader reloads when it changes."""
        manifest = self.read_manifest(missing_ok=True)
        return int(manifest["generation"]) if manifest else None

    def close(self) -> None:
        """Release connections (a no-op for folders)."""
        return None


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``."""
    block: list[Any] = []
    for item in items:
        block.append(item)
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block
