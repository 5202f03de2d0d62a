"""The collection: an index folder plus the embedder that reads it. Build, update, search, ask.

``Index`` is the facade over the stages: ``qa.ingest`` writes it (incrementally: a document whose content hash
is unchanged is not re-read, re-chunked or re-embedded; passages of changed and deleted documents are removed;
a passage whose embedded text was already embedded reuses its vector), ``qa.search`` reads it and
``qa.answer`` answers from it. A different embedder or chunking configuration forces a full rebuild (from
the document texts the index keeps).
"""
from __future__ import annotations

import logging
import os
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
from .store.base import Store
from .store.disk import DiskStore, read_manifest, read_snapshot, write_lock
from .store.factory import ENV as STORE_ENV
from .store.factory import is_milvus, open_store
from .store.snapshot import Snapshot, StoredDocument
from .types import Answer, Document, Hit

logger = logging.getLogger(__name__)


class Index:
    """A qa index on disk, loaded: ``search`` it, ``update`` it with more sources, ``remove`` documents."""

    def __init__(self, path: str | Path, snapshot: Snapshot, embedder: Embedder,
                 retrieval: RetrievalConfig | None = None, reader: Reader | None = None, *,
                 entailer: Entailer | None = None, store: Store | None = None) -> None:
        self.path = Path(path)
        self.store = store if store is not None else DiskStore(self.path)
        self.location = self.store.uri  # the folder, or the Milvus URI
        self.embedder = embedder
        self.snapshot = snapshot
        self.retrieval = retrieval or RetrievalConfig()
        self.reader = reader if reader is not None else Reader()  # light; loads on first use (warm_up)
        self.entailer = entailer if entailer is not None else Entailer()  # light, too
        self.last_report: IndexReport | None = None
        self.preparer: Any = None  # Milvus: who loads, chunks and embeds changed documents (None: this process)
        self._fixed = False  # a pinned view: never follows other writers

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
        self._follow()
        listing = getattr(self.snapshot.documents, "listing", None)  # Milvus: every text in one pass
        return listing() if listing is not None else list(self.snapshot.documents.values())

    def document(self, doc_id: str) -> Document:
        self._follow()
        try:
            return self.snapshot.documents[doc_id].document
        except KeyError:
            raise KeyError(f"no such document in the index: {doc_id}") from None

    def search(self, question: str, k: int = 5, *, doc_ids: Collection[str] | None = None,
               fusion: str | None = None) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first (optionally only from ``doc_ids``)."""
        config = self.retrieval if fusion is None else RetrievalConfig(**{**asdict(self.retrieval), "fusion": fusion})
        self._follow()
        return search(self.snapshot, self.embedder, question, k, config=config, doc_ids=doc_ids)

    def ask(self, question: str, history: Sequence[Any] | None = None, mode: str = "quotes", *,
            k: int = 5, doc_ids: Collection[str] | None = None, **kwargs: Any) -> Answer:
        """Answer ``question`` from the documents with verbatim, cited quotes (see ``qa.answer.pipeline``)."""
        self._follow()
        return answer_with(self.pinned(), question, history=history, mode=mode, k=k, doc_ids=doc_ids, **kwargs)

    def pinned(self) -> Index:
        """A read-only view of this index fixed to its current snapshot. A request that reads the index more
        than once (retrieve passages, then cut the quotes from the documents' texts) must use one, so that an
        ``update`` or ``remove`` finishing in another thread meanwhile cannot make it quote a document that
        is gone, or cut a changed text at the old offsets. Never ``update`` it: write through the live index.
        (A Milvus index first follows other replicas' writes: the view is of the store's current generation.)"""
        self._follow()
        view = Index(self.path, self.snapshot, self.embedder, self.retrieval, self.reader, entailer=self.entailer,
                     store=self.store)
        view._fixed = True
        return view

    def _follow(self) -> None:
        """Another replica's writes: a Milvus index whose generation moved is read through a fresh view (the
        view's caches hold documents' versions). An index folder is reloaded by ``LoadedIndexes`` instead."""
        if self.store.kind == "disk" or self._fixed:
            return
        if self.store.generation() != self.manifest.get("generation"):
            self.snapshot = self.store.read_snapshot()

    # ------------------------------------------------------------------------------------ writing
    def update(self, sources: Iterable[Source], *, prune: bool = True, progress: bool = False,
               chunking: ChunkingConfig | None = None, rebuild: bool = False,
               on_progress: EmbedProgress | None = None) -> IndexReport:
        """Add or refresh ``sources`` (files, folders, Documents). With ``prune``, documents that were found
        in one of the given folders before and are gone now are removed. ``on_progress(embedded, total)``
        follows the embedding (``total`` is None until every document is chunked, then fixed)."""
        if self.store.kind != "disk":
            return self._update_store(sources, prune=prune, progress=progress, chunking=chunking, rebuild=rebuild)
        with write_lock(self.path):
            self._reload_if_changed()
            self.snapshot, report = update_folder(self.path, self.snapshot, self.embedder, list(sources), prune=prune,
                                                  progress=progress, chunking=chunking or self.chunking,
                                                  rebuild=rebuild, on_progress=on_progress)
        self.last_report = report
        return report

    def remove(self, doc_ids: Iterable[str]) -> IndexReport:
        """Remove documents (and their passages) by id."""
        if self.store.kind != "disk":
            from .ingest.distributed import remove_from_store

            with self.store.write_lock():
                report = remove_from_store(self._milvus(), list(doc_ids))
                self.snapshot = self.store.read_snapshot()
            self.last_report = report
            return report
        with write_lock(self.path):
            self._reload_if_changed()
            # readers switch only to a committed, complete generation
            self.snapshot, report = remove_documents(self.path, self.snapshot, list(doc_ids), self.embedder,
                                                     self.chunking)
        self.last_report = report
        return report

    def _milvus(self) -> Any:
        from .store.milvus import MilvusStore

        assert isinstance(self.store, MilvusStore)
        return self.store

    def _update_store(self, sources: Iterable[Source], *, prune: bool, progress: bool,
                      chunking: ChunkingConfig | None, rebuild: bool) -> IndexReport:
        from .ingest.distributed import update_store

        with self.store.write_lock():
            report = update_store(self._milvus(), self.embedder, list(sources), prune=prune, progress=progress,
                                  chunking=chunking or self.chunking, rebuild=rebuild, preparer=self.preparer)
            self.snapshot = self.store.read_snapshot()
        self.last_report = report
        return report

    def _reload_if_changed(self) -> None:
        on_disk = read_manifest(self.path, missing_ok=True)
        if on_disk and on_disk.get("generation") != self.manifest.get("generation"):
            self.snapshot = read_snapshot(self.path)


# ------------------------------------------------------------------------------------------ public API


def resolve_store(index_dir: str | Path, store: str | Store | None = None) -> Store:
    """The store an index lives in: ``store`` (a ``Store`` or a URI), else ``QA_STORE_URI``, else the folder
    ``index_dir``."""
    if isinstance(store, Store):
        return store
    uri = store if store is not None else os.environ.get(STORE_ENV) or None
    return open_store(uri, default_folder=index_dir)


def _resolve_embedder(store: Store, embedder: Embedder | None) -> tuple[Embedder, dict[str, Any]]:
    manifest = store.read_manifest(missing_ok=True)
    if embedder is None:
        embedder = embedder_from_manifest(manifest["embedder"]) if manifest else default_embedder()
    return embedder, manifest


def build_index(  # noqa: PLR0913 - the public API, keyword options as the README documents them
        sources: Iterable[Source] | Source, index_dir: str | Path = "index", *,
        embedder: Embedder | None = None, chunk_size: int | None = None, chunk_overlap: int | None = None,
        embed_title: bool | None = None, prune: bool = True, rebuild: bool = False, progress: bool = False,
        on_progress: EmbedProgress | None = None, store: str | Store | None = None,
        ray: str | bool | None = None) -> Index:
    """Build or update (in place, incrementally) the index in ``index_dir`` (or in ``store``: a Milvus URI,
    see ``qa.store.factory``; default ``QA_STORE_URI``) from files, folders and/or ``Document`` objects.
    Unreadable files are skipped with a warning (see ``Index.last_report``). ``ray`` (True, or a Ray
    cluster's address) loads, chunks and embeds the changed files in a Ray Data actor pool
    (``qa.ingest.distributed_ray``)."""
    if isinstance(sources, (str, Path, Document)):
        sources = [sources]
    folder = Path(index_dir)
    where = resolve_store(folder, store)
    embedder, manifest = _resolve_embedder(where, embedder)
    base = ChunkingConfig(**manifest["chunking"]) if manifest.get("chunking") else ChunkingConfig()
    chunking = ChunkingConfig(
        max_tokens=chunk_size if chunk_size is not None else base.max_tokens,
        overlap_tokens=chunk_overlap if chunk_overlap is not None else base.overlap_tokens,
        embed_title=embed_title if embed_title is not None else base.embed_title,
    )
    snapshot = where.read_snapshot() if manifest else empty_snapshot(embedder, chunking)
    idx = Index(folder, snapshot, embedder, store=where)
    if ray is not None and ray is not False:
        from .ingest.distributed_ray import RayIngest

        with RayIngest(None if ray is True else str(ray)) as pool:
            pool.update(idx, sources, prune=prune, progress=progress, chunking=chunking, rebuild=rebuild,
                        on_progress=on_progress)
        return idx
    idx.update(sources, prune=prune, progress=progress, chunking=chunking, rebuild=rebuild, on_progress=on_progress)
    return idx


def load_index(index_dir: str | Path = "index", *, embedder: Embedder | None = None,
               retrieval: RetrievalConfig | None = None, verify: bool = True, store: str | Store | None = None) -> Index:
    """Open a saved index (in ``index_dir``, or in ``store``: a Milvus URI; default ``QA_STORE_URI``). Refuses,
    with ModelMismatchError, an index built by another embedding model (or other weights) than ``embedder``
    (default: the one the manifest names, with the weights installed here)."""
    folder = Path(index_dir)
    where = resolve_store(folder, store)
    manifest = where.read_manifest()
    built = manifest.get("embedder", {})
    if embedder is None:
        try:
            embedder = embedder_from_manifest(built)
        except ValueError as e:
            raise ModelMismatchError(f"{where.uri}: {e}") from None
    if embedder.fingerprint != built.get("fingerprint"):
        raise ModelMismatchError(
            f"{where.uri}: this index was built with {built.get('name')} (fingerprint {built.get('fingerprint')}), "
            f"but the embedder here is {embedder.name} (fingerprint {embedder.fingerprint}). Vectors from different "
            "models cannot be compared: rebuild with `python -m qa index --rebuild <folder>`."
        )
    return Index(folder, where.read_snapshot(verify=verify), embedder, retrieval, store=where)


class LoadedIndexes:
    """Indexes loaded for the one-call API (``retrieve``, ``answer``): each folder once, reloaded when the
    index on disk has changed since (its manifest's mtime). Thread-safe."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[int, Index]] = {}
        self._lock = threading.Lock()

    def get(self, index_dir: str | Path) -> Index:
        uri = str(index_dir) if is_milvus(index_dir) else os.environ.get(STORE_ENV) or None
        if uri is not None and is_milvus(uri):
            with self._lock:
                hit = self._loaded.get(uri)
                if hit is None:
                    hit = self._loaded[uri] = (0, load_index(store=uri))
                return hit[1]  # follows other writers itself (Index._follow)
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
