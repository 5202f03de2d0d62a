"""The collection: an index folder plus the embedder that reads it. Build, update, search.

``build_index`` and ``Index.update`` are incremental: a document whose content hash is unchanged is not
re-read, re-chunked or re-embedded; passages of changed and deleted documents are removed; a passage whose
embedded text was already embedded (same content hash) reuses its vector. A different embedder or
chunking configuration forces a full rebuild (from the document texts the index keeps).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
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
    sha256_file,
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

    max_tokens: int = 256  # the model's max_seq_length; see README "Evaluation" for the choice
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
    return sha256_file(path)


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

        return answer(self.pinned(), question, history=history, mode=mode, k=k, doc_ids=doc_ids, **kwargs)

    def pinned(self) -> Index:
        """A read-only view of this index fixed to its current snapshot. A request that reads the index more
        than once (retrieve passages, then cut the quotes from the documents' texts) must use one, so that an
        ``update`` or ``remove`` finishing in another thread meanwhile cannot make it quote a document that
        is gone, or cut a changed text at the old offsets. Never ``update`` it: write through the live index."""
        return Index(self.path, self.snapshot, self.embedder, self.retrieval)

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
            snap = _assemble(self.snapshot, keep, {}, self.embedder, self.chunking, progress=False)[0]
            write_snapshot(self.path, snap)
            self.snapshot = snap  # readers switch only to a committed, complete generation
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
    """Decide what changed (content hashes), then stream the changed documents through ``_assemble``:
    files are read, cleaned and chunked in a worker thread while the encoder embeds earlier passages."""
    t0 = time.perf_counter()
    report = IndexReport()
    old = index.snapshot
    embedder = index.embedder
    if old.manifest.get("embedder", {}).get("fingerprint") != embedder.fingerprint or \
            old.manifest.get("chunking") != asdict(chunking):
        rebuild = rebuild or bool(old.documents)
    report.rebuilt = rebuild
    stored = dict(old.documents)
    given: dict[str, StoredDocument] = {}  # Document sources, accepted now
    accepted: set[str] = set()
    now = utcnow()

    def accept(doc: Document, digest: str, origin: str | None) -> StoredDocument | None:
        prev = stored.get(doc.id)
        if doc.id in accepted:
            report.failed.append((doc.source or doc.id, f"duplicate document id {doc.id!r} (already given in this run)"))
            return None
        accepted.add(doc.id)
        (report.updated if prev else report.added).append(doc.id)
        return StoredDocument(doc, digest, origin, prev.added if prev else now, now)

    files: list[tuple[Path, str, str | None]] = []
    scanned_folders: set[str] = set()
    for src in sources:
        if isinstance(src, Document):
            digest = _hash_document(src)
            prev = stored.get(src.id)
            if prev and prev.hash == digest and not rebuild:
                report.unchanged.append(src.id)
            else:
                sd = accept(src, digest, None)
                if sd is not None:
                    given[src.id] = sd
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

    # Hashing is cheap: decide here which files changed; they are read (parsed, cleaned) later, in the worker.
    seen: set[str] = set(report.unchanged) | set(given)
    pending: list[tuple[Path, str, str | None, str]] = []
    iterator: Iterable = files
    if progress and len(files) > 1:
        from tqdm import tqdm

        iterator = tqdm(files, desc="checking", unit="file")
    for path, doc_id, origin in iterator:
        seen.add(doc_id)
        try:
            digest = _hash_file(path)
        except OSError as e:
            report.failed.append((str(path), e.strerror or str(e)))
            logger.warning("skipped %s: %s", path, e.strerror or e)
            continue
        prev = stored.get(doc_id)
        if prev and prev.hash == digest and not rebuild:
            report.unchanged.append(doc_id)
        else:
            pending.append((path, doc_id, origin, digest))

    if prune:
        for doc_id, sd in stored.items():
            if sd.origin in scanned_folders and doc_id not in seen:
                report.removed.append(doc_id)
    replaced = set(given) | {p[1] for p in pending} | set(report.removed)
    keep = {d: sd for d, sd in stored.items() if d not in replaced}
    rechunk: list[StoredDocument] = []
    if rebuild:  # re-chunk and re-embed everything from the stored texts
        rechunk, keep = list(keep.values()), {}
    if not (given or pending or report.removed or rebuild):
        report.passages = len(old.passages)
        report.seconds = time.perf_counter() - t0
        logger.info("%s: nothing to do (%s)", index.path, report.summary())
        return report

    def load_pending() -> Iterator[StoredDocument]:
        """Runs in the ingest worker thread."""
        for path, doc_id, origin, digest in pending:
            prev = stored.get(doc_id)
            try:
                sd = accept(loaders.load_file(path, doc_id), digest, origin)
            except loaders.LoadError as e:
                report.failed.append((e.path, e.reason))
                logger.warning("skipped %s", e)
                sd = None
            except OSError as e:
                report.failed.append((str(path), e.strerror or str(e)))
                logger.warning("skipped %s: %s", path, e.strerror or e)
                sd = None
            if sd is None and prev is not None and doc_id not in accepted:
                sd = prev  # unreadable now: keep the version indexed before (its vectors are reused)
            if sd is not None:
                yield sd

    stream = itertools.chain(given.values(), load_pending(), rechunk)
    snap, embedded, reused = _assemble(old if not rebuild else None, keep, stream, embedder, chunking, progress)
    if not (accepted or report.removed or rebuild):  # every changed file failed to load: leave the index as it is
        report.passages = len(old.passages)
        report.seconds = time.perf_counter() - t0
        logger.info("%s: nothing to do (%s)", index.path, report.summary())
        return report
    write_snapshot(index.path, snap)
    index.snapshot = snap
    report.passages, report.embedded, report.reused = len(snap.passages), embedded, reused
    report.seconds = time.perf_counter() - t0
    logger.info("%s: %s", index.path, report.summary())
    return report


ENCODE_BLOCK = 512  # passages per encoder call (sorted by length inside a block: little padding)
QUEUE_BLOCKS = 8  # blocks the chunking worker may run ahead of the encoder (bounds the memory in flight)


class _PassageTexts(Sequence[str]):
    """Passage texts as a lazy sequence over the documents (no second copy of the corpus for BM25)."""

    def __init__(self, documents: dict[str, StoredDocument], rows: list[tuple[str, int, int, int, str]]) -> None:
        self._documents, self._rows = documents, rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        d, start, end, _, _ = self._rows[i]
        return self._documents[d].document.text[start:end]

    def __iter__(self) -> Iterator[str]:
        for d, start, end, _, _ in self._rows:
            yield self._documents[d].document.text[start:end]


class _Worker(threading.Thread):
    """Runs ``target`` in a thread, keeping its exception for the caller to re-raise."""

    def __init__(self, target: Callable[[], Any]) -> None:
        super().__init__(daemon=True, name="qa-ingest")
        self._target_fn = target
        self.error: BaseException | None = None
        self.result: Any = None

    def run(self) -> None:
        try:
            self.result = self._target_fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            self.error = e


def _assemble(old: Snapshot | None, keep: dict[str, StoredDocument],
              fresh: dict[str, StoredDocument] | Iterable[StoredDocument],
              embedder: Embedder, chunking: ChunkingConfig, progress: bool) -> tuple[Snapshot, int, int]:
    """A new snapshot from the kept documents (their passages and vectors copied from ``old``) and the
    fresh ones (chunked and embedded now, reusing any vector ``old`` has for the same text).

    Streaming: a worker thread takes the fresh documents one at a time (reading files when ``fresh`` is
    a lazy iterator), chunks them and hands each distinct new passage text to the encoder in blocks
    of ``ENCODE_BLOCK`` through a bounded queue; the caller's thread encodes. When chunking is done the
    worker builds BM25 while the encoder finishes. Memory in flight: ``QUEUE_BLOCKS`` blocks of text."""
    rows: list[tuple[str, int, int, int, str]] = []
    src_rows: list[int] = []  # row in old.vectors (>= 0), or -(1 + index into the new vectors)
    documents: dict[str, StoredDocument] = {}
    known: dict[str, int] = {}
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
    stream = iter(fresh.values() if isinstance(fresh, Mapping) else fresh)
    blocks: queue.Queue[list[str] | None] = queue.Queue(maxsize=QUEUE_BLOCKS)
    stop = threading.Event()

    def put(item: list[str] | None) -> None:
        while not stop.is_set():
            try:
                blocks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> BM25Index:
        new_keys: dict[str, int] = {}
        pending: list[str] = []
        try:
            for sd in stream:
                if stop.is_set():
                    return BM25Index(None, 0)
                doc = sd.document
                spans = _chunk(doc, embedder, chunking)
                documents[doc.id] = StoredDocument(doc, sd.hash, sd.origin, sd.added, sd.updated, len(spans))
                for start, end, page in spans:
                    text = _embed_text(doc, start, end, chunking)
                    key = _key(text)
                    rows.append((doc.id, start, end, page, key))
                    if key in known:
                        src_rows.append(known[key])
                        continue
                    if key not in new_keys:
                        new_keys[key] = len(new_keys)
                        pending.append(text)
                        if len(pending) >= ENCODE_BLOCK:
                            put(pending)
                            pending = []
                    src_rows.append(-1 - new_keys[key])
            if pending:
                put(pending)
        finally:
            put(None)  # the encoder stops waiting, also when chunking failed
        return BM25Index.build(_PassageTexts(documents, rows))

    worker = _Worker(produce)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(desc="embedding", unit="passage")
    parts: list[np.ndarray] = []
    worker.start()
    try:
        while (block := blocks.get()) is not None:
            parts.append(embedder.encode_documents(block))
            if bar is not None:
                bar.update(len(block))
    finally:
        stop.set()  # unblocks a worker waiting on a full queue if encoding failed
        worker.join()
        if bar is not None:
            bar.close()
    if worker.error is not None:
        raise worker.error
    new_vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)
    src = np.asarray(src_rows, dtype=np.int64)
    vectors = np.zeros((len(rows), embedder.dim), np.float32)
    from_old = src >= 0
    if from_old.any():
        vectors[from_old] = old.vectors[src[from_old]]  # type: ignore[union-attr]
    vectors[~from_old] = new_vectors[-1 - src[~from_old]]
    passages = PassageTable.from_rows(rows)
    snap = Snapshot({"embedder": describe(embedder), "chunking": asdict(chunking)}, documents, passages,
                    vectors, DenseIndex.build(vectors), worker.result)
    return snap, len(new_vectors), int(from_old.sum())


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
