"""The collection: an index folder plus the embedder that reads it. Build, update, search.

``build_index`` and ``Index.update`` are incremental: a document whose content hash is unchanged is not
re-read, re-chunked or re-embedded; passages of changed and deleted documents are removed; a passage whose
embedded text was already embedded (same content hash) reuses its vector. A different embedder or
chunking configuration forces a full rebuild (from the document texts the index keeps).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import loaders
from .ann import DenseIndex
from .chunking import chunk_text
from .embedding import Embedder, default_embedder, describe, embedder_from_manifest
from .retrieval import RetrievalConfig, search as _search
from .sparse import BM25Index
from .store import (
    ModelMismatchError,
    PassageTable,
    Snapshot,
    StoredDocument,
    read_manifest,
    read_snapshot,
    utcnow,
    write_lock,
    write_snapshot,
)
from .types import Answer, Document, Hit

logger = logging.getLogger(__name__)

Source = str | Path | Document


@dataclass(frozen=True)
class ChunkingConfig:
    """How documents are cut into passages (recorded in the manifest; a change forces a rebuild)."""

    max_tokens: int = 200
    overlap_tokens: int = 0
    embed_title: bool = True


@dataclass
class IndexReport:
    """What one ``update`` did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file or id, reason)
    passages: int = 0
    embedded: int = 0  # passages whose vector was computed now
    reused: int = 0  # passages whose vector came from the existing index
    rebuilt: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged",
                 f"{len(self.removed)} removed", f"{len(self.failed)} failed"]
        return (", ".join(parts) + f"; {self.passages} passages, {self.embedded} embedded, {self.reused} reused"
                + (" (full rebuild)" if self.rebuilt else "") + f" in {self.seconds:.1f}s")


def _hash_document(doc: Document) -> str:
    h = hashlib.sha256()
    for part in (doc.title, doc.text, json.dumps(doc.metadata, sort_keys=True, default=str)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _empty_snapshot(embedder: Embedder, chunking: ChunkingConfig) -> Snapshot:
    return Snapshot(
        manifest={"embedder": describe(embedder), "chunking": asdict(chunking)},
        documents={},
        passages=PassageTable(),
        vectors=np.zeros((0, embedder.dim), np.float32),
        dense=DenseIndex.build(np.zeros((0, embedder.dim), np.float32)),
        sparse=BM25Index(None, 0),
    )


class Index:
    """A qa index on disk, loaded: ``search`` it, ``update`` it with more sources, ``remove`` documents."""

    def __init__(self, path: str | Path, snapshot: Snapshot, embedder: Embedder,
                 retrieval: RetrievalConfig | None = None) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.snapshot = snapshot
        self.retrieval = retrieval or RetrievalConfig()
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
        return _search(self.snapshot, self.embedder, question, k, config, doc_ids)

    def ask(self, question: str, history: Sequence[Any] | None = None, mode: str = "quotes", *,
            k: int = 5, doc_ids: Collection[str] | None = None, **kwargs: Any) -> Answer:
        """Answer ``question`` from the documents with verbatim, cited quotes (see ``qa.answering``)."""
        from .answering import answer

        return answer(self, question, history=history, mode=mode, k=k, doc_ids=doc_ids, **kwargs)

    # ------------------------------------------------------------------------------------ writing
    def update(self, sources: Iterable[Source], *, prune: bool = True, progress: bool = False,
               chunking: ChunkingConfig | None = None, rebuild: bool = False) -> IndexReport:
        """Add or refresh ``sources`` (files, folders, Documents). With ``prune``, documents that were found
        in one of the given folders before and are gone now are removed."""
        with write_lock(self.path):
            self._reload_if_changed()
            report = _ingest(self, list(sources), prune, progress, chunking or self.chunking, rebuild)
        self.last_report = report
        return report

    def remove(self, doc_ids: Iterable[str]) -> IndexReport:
        """Remove documents (and their passages) by id."""
        ids = list(doc_ids)
        with write_lock(self.path):
            self._reload_if_changed()
            unknown = [d for d in ids if d not in self.snapshot.documents]
            if unknown:
                raise KeyError(f"no such document in the index: {', '.join(unknown)}")
            t0 = time.perf_counter()
            keep = {d: sd for d, sd in self.snapshot.documents.items() if d not in set(ids)}
            self.snapshot = _assemble(self.snapshot, keep, {}, self.embedder, self.chunking, progress=False)[0]
            write_snapshot(self.path, self.snapshot)
        report = IndexReport(removed=ids, passages=len(self), seconds=time.perf_counter() - t0)
        self.last_report = report
        return report

    def _reload_if_changed(self) -> None:
        on_disk = read_manifest(self.path, missing_ok=True)
        if on_disk and on_disk.get("generation") != self.manifest.get("generation"):
            self.snapshot = read_snapshot(self.path)


# ------------------------------------------------------------------------------------------ ingest


@dataclass
class _NewDoc:
    stored: StoredDocument
    spans: list[tuple[int, int, int]]  # (start, end, page)


def _page_of(pages: Sequence[Sequence[int]], offset: int) -> int:
    page = 0
    for start, number in pages:
        if start <= offset:
            page = number
        else:
            break
    return page


def _chunk(doc: Document, embedder: Embedder, chunking: ChunkingConfig) -> list[tuple[int, int, int]]:
    pages = doc.metadata.get("pages") or []
    spans = chunk_text(doc.text, chunking.max_tokens, chunking.overlap_tokens, embedder.count_tokens,
                       boundaries=[p[0] for p in pages])
    return [(s.start, s.end, _page_of(pages, s.start)) for s in spans]


def _embed_text(doc: Document, start: int, end: int, chunking: ChunkingConfig) -> str:
    text = doc.text[start:end]
    return f"{doc.title}\n{text}" if chunking.embed_title and doc.title else text


def _ingest(index: Index, sources: list[Source], prune: bool, progress: bool, chunking: ChunkingConfig,
            rebuild: bool) -> IndexReport:
    t0 = time.perf_counter()
    report = IndexReport()
    old = index.snapshot
    embedder = index.embedder
    if old.manifest.get("embedder", {}).get("fingerprint") != embedder.fingerprint or \
            old.manifest.get("chunking") != asdict(chunking):
        rebuild = rebuild or bool(old.documents)
    report.rebuilt = rebuild
    stored = dict(old.documents)
    fresh: dict[str, StoredDocument] = {}
    now = utcnow()

    def accept(doc: Document, digest: str, origin: str | None) -> None:
        prev = stored.get(doc.id)
        if doc.id in fresh:
            report.failed.append((doc.source or doc.id, f"duplicate document id {doc.id!r} (already given in this run)"))
            return
        (report.updated if prev else report.added).append(doc.id)
        fresh[doc.id] = StoredDocument(doc, digest, origin, prev.added if prev else now, now)

    files: list[tuple[Path, str, str | None]] = []
    scanned_folders: set[str] = set()
    for src in sources:
        if isinstance(src, Document):
            digest = _hash_document(src)
            prev = stored.get(src.id)
            if prev and prev.hash == digest and not rebuild:
                report.unchanged.append(src.id)
            else:
                accept(src, digest, None)
            continue
        path = Path(src)
        try:
            found = loaders.discover([path])
        except loaders.LoadError as e:
            report.failed.append((e.path, e.reason))
            logger.warning("skipped %s", e)
            continue
        origin = str(path.resolve()) if path.is_dir() else None
        if origin:
            scanned_folders.add(origin)
        files.extend((p, doc_id, origin) for p, doc_id in found)

    seen: set[str] = {d for d in report.unchanged} | set(fresh)
    iterator: Iterable = files
    if progress and len(files) > 1:
        from tqdm import tqdm

        iterator = tqdm(files, desc="reading", unit="file")
    for path, doc_id, origin in iterator:
        seen.add(doc_id)
        try:
            digest = _hash_file(path)
            prev = stored.get(doc_id)
            if prev and prev.hash == digest and not rebuild:
                report.unchanged.append(doc_id)
                continue
            accept(loaders.load_file(path, doc_id), digest, origin)
        except loaders.LoadError as e:
            report.failed.append((e.path, e.reason))
            logger.warning("skipped %s", e)
        except OSError as e:
            report.failed.append((str(path), e.strerror or str(e)))
            logger.warning("skipped %s: %s", path, e.strerror or e)

    if prune:
        for doc_id, sd in stored.items():
            if sd.origin in scanned_folders and doc_id not in seen:
                report.removed.append(doc_id)
    keep = {d: sd for d, sd in stored.items() if d not in fresh and d not in report.removed}
    if rebuild:  # re-chunk and re-embed everything from the stored texts
        for d, sd in keep.items():
            fresh[d] = sd
        keep = {}
    if not (fresh or report.removed or rebuild):
        report.passages = len(old.passages)
        report.seconds = time.perf_counter() - t0
        logger.info("%s: nothing to do (%s)", index.path, report.summary())
        return report
    snap, embedded, reused = _assemble(old if not rebuild else None, keep, fresh, embedder, chunking, progress)
    write_snapshot(index.path, snap)
    index.snapshot = snap
    report.passages, report.embedded, report.reused = len(snap.passages), embedded, reused
    report.seconds = time.perf_counter() - t0
    logger.info("%s: %s", index.path, report.summary())
    return report


def _assemble(old: Snapshot | None, keep: dict[str, StoredDocument], fresh: dict[str, StoredDocument],
              embedder: Embedder, chunking: ChunkingConfig, progress: bool) -> tuple[Snapshot, int, int]:
    """A new snapshot from the kept documents (their passages and vectors copied from ``old``) and the
    fresh ones (chunked and embedded now, reusing any vector ``old`` has for the same text)."""
    rows: list[tuple[str, int, int, int, str]] = []
    src_rows: list[int] = []  # row in old.vectors, or -1 for a new vector
    documents: dict[str, StoredDocument] = {}
    if old is not None:
        p = old.passages
        by_doc: dict[str, list[int]] = {}
        for i, d in enumerate(p.doc_ids):
            by_doc.setdefault(d, []).append(i)
        for d, sd in keep.items():
            documents[d] = sd
            for i in by_doc.get(d, []):
                rows.append((d, int(p.starts[i]), int(p.ends[i]), int(p.pages[i]), p.keys[i]))
                src_rows.append(i)
        known = {k: i for i, k in enumerate(p.keys)}
    else:
        known = {}
    to_embed: dict[str, str] = {}  # key -> text, each distinct text embedded once
    for d, sd in fresh.items():
        spans = _chunk(sd.document, embedder, chunking)
        documents[d] = StoredDocument(sd.document, sd.hash, sd.origin, sd.added, sd.updated, len(spans))
        for start, end, page in spans:
            text = _embed_text(sd.document, start, end, chunking)
            key = _key(text)
            rows.append((d, start, end, page, key))
            if key in known:
                src_rows.append(known[key])
            else:
                src_rows.append(-1)
                to_embed.setdefault(key, text)
    new_vectors = _encode(embedder, list(to_embed.values()), progress)
    new_row = {k: i for i, k in enumerate(to_embed)}
    vectors = np.zeros((len(rows), embedder.dim), np.float32)
    reused = 0
    for i, ((_, _, _, _, key), src) in enumerate(zip(rows, src_rows)):
        if src >= 0:
            vectors[i] = old.vectors[src]  # type: ignore[union-attr]
            reused += 1
        else:
            vectors[i] = new_vectors[new_row[key]]
    passages = PassageTable.from_rows(rows)
    snap = Snapshot({"embedder": describe(embedder), "chunking": asdict(chunking)}, documents, passages,
                    vectors, DenseIndex.build(vectors), BM25Index(None, 0))
    snap.sparse = BM25Index.build([snap.passage_text(i) for i in range(len(passages))])
    return snap, len(to_embed), reused


def _encode(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), np.float32)
    if progress:
        from tqdm import tqdm

        with tqdm(total=len(texts), desc="embedding", unit="passage") as bar:
            return embedder.encode_documents(texts, progress=bar.update)
    return embedder.encode_documents(texts)


# ------------------------------------------------------------------------------------------ public API


def _resolve_embedder(folder: Path, embedder: Embedder | None) -> tuple[Embedder, dict[str, Any]]:
    manifest = read_manifest(folder, missing_ok=True)
    if embedder is None:
        embedder = embedder_from_manifest(manifest["embedder"]) if manifest else default_embedder()
    return embedder, manifest


def build_index(sources: Iterable[Source] | Source, index_dir: str | Path = "index", *,
                embedder: Embedder | None = None, chunk_size: int | None = None, chunk_overlap: int | None = None,
                embed_title: bool | None = None, prune: bool = True, rebuild: bool = False,
                progress: bool = False) -> Index:
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
    snapshot = read_snapshot(folder) if manifest else _empty_snapshot(embedder, chunking)
    idx = Index(folder, snapshot, embedder)
    idx.update(sources, prune=prune, progress=progress, chunking=chunking, rebuild=rebuild)
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


_CACHE: dict[str, tuple[int, Index]] = {}


def cached_index(index_dir: str | Path = "index") -> Index:
    """``load_index`` once per process; reloaded when the index on disk has changed since."""
    folder = Path(index_dir).resolve()
    mtime = (folder / "manifest.json").stat().st_mtime_ns if (folder / "manifest.json").exists() else 0
    hit = _CACHE.get(str(folder))
    if hit is None or hit[0] != mtime:
        _CACHE[str(folder)] = (mtime, load_index(folder))
    return _CACHE[str(folder)][1]


def retrieve(question: str, k: int = 5, index_dir: str | Path = "index", **kwargs: Any) -> list[Hit]:
    """Search a saved index in one call (the index is loaded once per process)."""
    return cached_index(index_dir).search(question, k, **kwargs)


def answer(question: str, index_dir: str | Path = "index", history: Sequence[Any] | None = None,
           mode: str = "quotes", **kwargs: Any) -> Answer:
    """Answer a question from a saved index in one call (the index is loaded once per process)."""
    return cached_index(index_dir).ask(question, history=history, mode=mode, **kwargs)
