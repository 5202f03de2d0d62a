"""The collection: an index folder plus the embedder that reads it. Build, update, search, ask.

``Index`` is the facade over the stages: ``qa.ingest`` writes it (incrementally: a document whose content hash
is unchanged is not re-read, re-chunked or re-embedded; passages of changed and deleted documents are removed;
a passage whose embedded text was already embedded reuses its vector), ``qa.search`` reads it and
``qa.answer`` answers from it. A different embedder or chunking configuration forces a full rebuild (from
the document texts the index keeps).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .answer.pipeline import answer as answer_with
from .answer.entail import Entailer
from .answer.reader import Reader
from .embed.base import Embedder
from .embed.registry import default_embedder, embedder_from_manifest
from .errors import ModelMismatchError
from .ingest.assemble import EmbedProgress, empty_snapshot
from .ingest.chunking import ChunkingConfig
from .ingest.plan import IndexReport, Source
from .ingest.update import remove_documents, update_folder
from .search.fusion import RetrievalConfig
from .search.retrieval import search
from .store.disk import read_manifest, read_snapshot, write_lock
from .store.snapshot import Snapshot, StoredDocument
from .types import Answer, Document, Hit

logger = logging.getLogger(__name__)


class Index:
    """A qa index on disk, loaded: ``search`` it, ``update`` it with more sources, ``remove`` documents."""

    def __init__(self, path: str | Path, snapshot: Snapshot, embedder: Embedder,
                 retrieval: RetrievalConfig | None = None, reader: Reader | None = None, *,
                 entailer: Entailer | None = None) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.snapshot = snapshot
        self.retrieval = retrieval or RetrievalConfig()
        self.reader = reader if reader is not None else Reader()  # light; loads on first use (warm_up)
        self.entailer = entailer if entailer is not None else Entailer()  # light, too
        self.last_report: IndexReport | None = None

    # ------------------------------------------------------------------------------------ reading
    @property
    def manifest(self) -> dict[str, Any]:
        return self.snapshot.manifest

    @property
    def chunking(self) -> ChunkingConfig:
        return ChunkingConfig(**self.manifest.get("chunking", {}))

    def __len__(self) -> int:
        return len(self.snapshot.passages)

    def documents(self) -> list[StoredDocument]:
        return list(self.snapshot.documents.values())

    def document(self, doc_id: str) -> Document:
        try:
            return self.snapshot.documents[doc_id].document
        except KeyError:
            raise KeyError(f"no such document in the index: {doc_id}") from None

    def search(self, question: str, k: int = 5, *, doc_ids: Collection[str] | None = None,
               fusion: str | None = None) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first (optionally only from ``doc_ids``)."""
        config = self.retrieval if fusion is None else RetrievalConfig(**{**asdict(self.retrieval), "fusion": fusion})
        return search(self.snapshot, self.embedder, question, k, config=config, doc_ids=doc_ids)

    def ask(self, question: str, history: Sequence[Any] | None = None, mode: str = "quotes", *,
            k: int = 5, doc_ids: Collection[str] | None = None, **kwargs: Any) -> Answer:
        """Answer ``question`` from the documents with verbatim, cited quotes (see ``qa.answer.pipeline``)."""
        return answer_with(self.pinned(), question, history=history, mode=mode, k=k, doc_ids=doc_ids, **kwargs)

    def pinned(self) -> Index:
        """A read-only view of this index fixed to its current snapshot. A request that reads the index more
        than once (retrieve passages, then cut the quotes from the documents' texts) must use one, so that an
        ``update`` or ``remove`` finishing in another thread meanwhile cannot make it quote a document that
        is gone, or cut a changed text at the old offsets. Never ``update`` it: write through the live index."""
        return Index(self.path, self.snapshot, self.embedder, self.retrieval, self.reader, entailer=self.entailer)

    # ------------------------------------------------------------------------------------ writing
    def update(self, sources: Iterable[Source], *, prune: bool = True, progress: bool = False,
               chunking: ChunkingConfig | None = None, rebuild: bool = False,
               on_progress: EmbedProgress | None = None) -> IndexReport:
        """Add or refresh ``sources`` (files, folders, Documents). With ``prune``, documents that were found
        in one of the given folders before and are gone now are removed. ``on_progress(embedded, total)``
        follows the embedding (``total`` is None until every document is chunked, then fixed)."""
        with write_lock(self.path):
            self._reload_if_changed()
            self.snapshot, report = update_folder(self.path, self.snapshot, self.embedder, list(sources), prune=prune,
                                                  progress=progress, chunking=chunking or self.chunking,
                                                  rebuild=rebuild, on_progress=on_progress)
        self.last_report = report
        return report

    def remove(self, doc_ids: Iterable[str]) -> IndexReport:
        """Remove documents (and their passages) by id."""
        with write_lock(self.path):
            self._reload_if_changed()
            # readers switch only to a committed, complete generation
            self.snapshot, report = remove_documents(self.path, self.snapshot, list(doc_ids), self.embedder,
                                                     self.chunking)
        self.last_report = report
        return report

    def _reload_if_changed(self) -> None:
        on_disk = read_manifest(self.path, missing_ok=True)
        if on_disk and on_disk.get("generation") != self.manifest.get("generation"):
            self.snapshot = read_snapshot(self.path)


# ------------------------------------------------------------------------------------------ public API


def _resolve_embedder(folder: Path, embedder: Embedder | None) -> tuple[Embedder, dict[str, Any]]:
    manifest = read_manifest(folder, missing_ok=True)
    if embedder is None:
        embedder = embedder_from_manifest(manifest["embedder"]) if manifest else default_embedder()
    return embedder, manifest


def build_index(  # noqa: PLR0913 - the public API, keyword options as the README documents them
        sources: Iterable[Source] | Source, index_dir: str | Path = "index", *,
        embedder: Embedder | None = None, chunk_size: int | None = None, chunk_overlap: int | None = None,
        embed_title: bool | None = None, prune: bool = True, rebuild: bool = False, progress: bool = False,
        on_progress: EmbedProgress | None = None) -> Index:
    """Build or update (in place, incrementally) the index in ``index_dir`` from files, folders and/or
    ``Document`` objects. Unreadable files are skipped with a warning (see ``Index.last_report``)."""
    if isinstance(sources, (str, Path, Document)):
        sources = [sources]
    folder = Path(index_dir)
    embedder, manifest = _resolve_embedder(folder, embedder)
    base = ChunkingConfig(**manifest["chunking"]) if manifest.get("chunking") else ChunkingConfig()
    chunking = ChunkingConfig(
        max_tokens=chunk_size if chunk_size is not None else base.max_tokens,
        overlap_tokens=chunk_overlap if chunk_overlap is not None else base.overlap_tokens,
        embed_title=embed_title if embed_title is not None else base.embed_title,
    )
    snapshot = read_snapshot(folder) if manifest else empty_snapshot(embedder, chunking)
    idx = Index(folder, snapshot, embedder)
    idx.update(sources, prune=prune, progress=progress, chunking=chunking, rebuild=rebuild, on_progress=on_progress)
    return idx


def load_index(index_dir: str | Path = "index", *, embedder: Embedder | None = None,
               retrieval: RetrievalConfig | None = None, verify: bool = True) -> Index:
    """Open a saved index. Refuses, with ModelMismatchError, an index built by another embedding model (or
    other weights) than ``embedder`` (default: the one the manifest names, with the weights installed here)."""
    folder = Path(index_dir)
    manifest = read_manifest(folder)
    built = manifest.get("embedder", {})
    if embedder is None:
        try:
            embedder = embedder_from_manifest(built)
        except ValueError as e:
            raise ModelMismatchError(f"{folder}: {e}") from None
    if embedder.fingerprint != built.get("fingerprint"):
        raise ModelMismatchError(
            f"{folder}: this index was built with {built.get('name')} (fingerprint {built.get('fingerprint')}), "
            f"but the embedder here is {embedder.name} (fingerprint {embedder.fingerprint}). Vectors from different "
            "models cannot be compared: rebuild with `python -m qa index --rebuild <folder>`."
        )
    return Index(folder, read_snapshot(folder, verify=verify), embedder, retrieval)


class LoadedIndexes:
    """Indexes loaded for the one-call API (``retrieve``, ``answer``): each folder once, reloaded when the
    index on disk has changed since (its manifest's mtime). Thread-safe."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[int, Index]] = {}
        self._lock = threading.Lock()

    def get(self, index_dir: str | Path) -> Index:
        folder = Path(index_dir).resolve()
        manifest = folder / "manifest.json"
        mtime = manifest.stat().st_mtime_ns if manifest.exists() else 0
        with self._lock:
            hit = self._loaded.get(str(folder))
            if hit is None or hit[0] != mtime:
                hit = self._loaded[str(folder)] = (mtime, load_index(folder))
            return hit[1]


LOADED = LoadedIndexes()  # the process's loaded indexes: what "the index is loaded once per process" means


def cached_index(index_dir: str | Path = "index") -> Index:
    """``load_index`` once per process; reloaded when the index on disk has changed since."""
    return LOADED.get(index_dir)


def retrieve(question: str, k: int = 5, index_dir: str | Path = "index", **kwargs: Any) -> list[Hit]:
    """Search a saved index in one call (the index is loaded once per process)."""
    return cached_index(index_dir).search(question, k, **kwargs)


def answer(question: str, index_dir: str | Path = "index", history: Sequence[Any] | None = None,
           mode: str = "quotes", **kwargs: Any) -> Answer:
    """Answer a question from a saved index in one call (the index is loaded once per process)."""
    return cached_index(index_dir).ask(question, history=history, mode=mode, **kwargs)
