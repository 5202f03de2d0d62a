"""A new snapshot from the documents kept (passages and vectors copied) and the fresh ones (chunked, embedded).

Streaming: a worker thread takes the fresh documents one at a time (reading files when they come from a
lazy iterator), chunks them and hands each distinct new passage text to the encoder in blocks of
``ENCODE_BLOCK`` through a bounded queue; the caller's thread encodes. When chunking is done the worker
builds BM25 while the encoder finishes. Memory in flight: ``QUEUE_BLOCKS`` blocks of text.
"""
from __future__ import annotations

import bisect
import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, overload

import numpy as np

from ..embed.base import Embedder
from ..embed.registry import describe
from ..store.ann import DenseIndex
from ..store.bm25 import BM25Index
from ..store.snapshot import PassageTable, Snapshot, StoredDocument
from ..types import Document
from ..errors import LoadError
from .chunking import ChunkingConfig, chunk_text
from .loaders.limits import Limits, current_limits

ENCODE_BLOCK = 512  # passages per encoder call (sorted by length inside a block: little padding)
QUEUE_BLOCKS = 8  # blocks the chunking worker may run ahead of the encoder (bounds the memory in flight)

Row = tuple[str, int, int, int, str]  # (doc id, start, end, page, content hash of the embedded text)
Refused = Callable[[str, LoadError], None]  # (doc id, why) of a document refused while chunking
# (passages embedded so far, how many will be: None until chunking is done, then fixed) - one bar, one true total
EmbedProgress = Callable[[int, "int | None"], None]


def passage_key(text: str) -> str:
    """Content hash of an embedded passage text: equal texts share one vector."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def page_numbers(pages: Sequence[Sequence[int]], offsets: Sequence[int]) -> list[int]:
    """The page number at each of ``offsets`` (``pages``: [start offset, page number] pairs in offset order;
    0 = no page). One binary search per offset: O(offsets x log pages), not a scan of the pages for each."""
    starts = [p[0] for p in pages]
    out = []
    for offset in offsets:
        i = bisect.bisect_right(starts, offset)
        out.append(int(pages[i - 1][1]) if i else 0)
    return out


def chunk_document(doc: Document, embedder: Embedder, chunking: ChunkingConfig,
                   limits: Limits | None = None) -> list[tuple[int, int, int]]:
    """(start, end, page) of each passage of ``doc``, counted in the embedder's tokens; PDF passages never
    cross a page. A document cut into more than ``limits.max_passages`` passages raises LoadError."""
    limits = limits or current_limits()
    pages = doc.metadata.get("pages") or []
    spans = chunk_text(doc.text, chunking.max_tokens, chunking.overlap_tokens, embedder.count_tokens,
                       boundaries=[p[0] for p in pages])
    if len(spans) > limits.max_passages:
        raise LoadError(doc.source or doc.id, f"too many passages ({len(spans):,}; the limit is "
                                              f"{limits.max_passages:,} per document)")
    numbers = page_numbers(pages, [s.start for s in spans])
    return [(s.start, s.end, n) for s, n in zip(spans, numbers, strict=True)]


def embed_text(doc: Document, start: int, end: int, chunking: ChunkingConfig) -> str:
    """What is embedded for a passage: its text, after the document's title when ``embed_title``."""
    text = doc.text[start:end]
    return f"{doc.title}\n{text}" if chunking.embed_title and doc.title else text


def empty_snapshot(embedder: Embedder, chunking: ChunkingConfig) -> Snapshot:
    """The snapshot of an index that holds nothing yet."""
    return Snapshot(
        manifest={"embedder": describe(embedder), "chunking": asdict(chunking)},
        documents={},
        passages=PassageTable(),
        vectors=np.zeros((0, embedder.dim), np.float32),
        dense=DenseIndex.build(np.zeros((0, embedder.dim), np.float32)),
        sparse=BM25Index(None, 0),
    )


class PassageTexts(Sequence[str]):
    """Passage texts as a lazy sequence over the documents (no second copy of the corpus for BM25)."""

    def __init__(self, documents: dict[str, StoredDocument], rows: list[Row]) -> None:
        self._documents, self._rows = documents, rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
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


@dataclass
class _Layout:
    """The new snapshot's rows, where each row's vector comes from, and its documents."""

    rows: list[Row] = field(default_factory=list)
    src_rows: list[int] = field(default_factory=list)  # row in old.vectors (>= 0), or -(1 + index into new vectors)
    documents: dict[str, StoredDocument] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)  # content hash -> row in old.vectors


def _carry_over(old: Snapshot | None, keep: dict[str, StoredDocument]) -> _Layout:
    """The kept documents' passages, pointing at their vectors in ``old``."""
    layout = _Layout()
    if old is None:
        return layout
    p = old.passages
    by_doc: dict[str, list[int]] = {}
    for i, d in enumerate(p.doc_ids):
        by_doc.setdefault(d, []).append(i)
    for d, sd in keep.items():
        layout.documents[d] = sd
        for i in by_doc.get(d, []):
            layout.rows.append((d, int(p.starts[i]), int(p.ends[i]), int(p.pages[i]), p.keys[i]))
            layout.src_rows.append(i)
    layout.known = {k: i for i, k in enumerate(p.keys)}
    return layout


class _Chunker:
    """The worker's job: chunk the fresh documents, queue the new passage texts in blocks, then build BM25."""

    def __init__(self, layout: _Layout, fresh: Iterator[StoredDocument], embedder: Embedder,
                 chunking: ChunkingConfig, on_refused: Refused | None = None) -> None:
        self.layout, self.fresh, self.embedder, self.chunking = layout, fresh, embedder, chunking
        self.on_refused = on_refused
        self.blocks: queue.Queue[list[str] | None] = queue.Queue(maxsize=QUEUE_BLOCKS)
        self.stop = threading.Event()
        self._new_keys: dict[str, int] = {}
        self._pending: list[str] = []
        self.total: int | None = None  # the new passages to embed, once every document is chunked

    def put(self, item: list[str] | None) -> None:
        while not self.stop.is_set():
            try:
                self.blocks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _add(self, sd: StoredDocument) -> None:
        layout, doc = self.layout, sd.document
        try:
            spans = chunk_document(doc, self.embedder, self.chunking)
        except LoadError as e:  # over a budget: this document is left out, the others go on
            if self.on_refused is None:
                raise
            self.on_refused(doc.id, e)
            return
        layout.documents[doc.id] = StoredDocument(doc, sd.hash, sd.origin, sd.added, sd.updated, len(spans))
        for start, end, page in spans:
            text = embed_text(doc, start, end, self.chunking)
            key = passage_key(text)
            layout.rows.append((doc.id, start, end, page, key))
            if key in layout.known:
                layout.src_rows.append(layout.known[key])
                continue
            if key not in self._new_keys:
                self._new_keys[key] = len(self._new_keys)
                self._pending.append(text)
                if len(self._pending) >= ENCODE_BLOCK:
                    self.put(self._pending)
                    self._pending = []
            layout.src_rows.append(-1 - self._new_keys[key])

    def run(self) -> BM25Index:
        try:
            for sd in self.fresh:
                if self.stop.is_set():
                    return BM25Index(None, 0)
                self._add(sd)
            self.total = len(self._new_keys)
            if self._pending:
                self.put(self._pending)
        finally:
            self.put(None)  # the encoder stops waiting, also when chunking failed
        return BM25Index.build(PassageTexts(self.layout.documents, self.layout.rows))


def _encode_blocks(chunker: _Chunker, embedder: Embedder, progress: bool,
                   on_progress: EmbedProgress | None = None) -> tuple[list[np.ndarray], BM25Index]:
    """Encode the blocks the worker queues until it is done; returns the vectors and the BM25 index it built
    (its error, if any, re-raised). ``on_progress(embedded, total)`` follows every encoder batch."""
    worker = _Worker(chunker.run)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(desc="embedding", unit="passage")
    parts: list[np.ndarray] = []
    embedded = 0

    def step(n: int) -> None:
        nonlocal embedded
        embedded += n
        if on_progress is not None:
            on_progress(embedded, chunker.total)

    worker.start()
    try:
        if on_progress is not None:
            on_progress(0, chunker.total)
        while (block := chunker.blocks.get()) is not None:
            parts.append(embedder.encode_documents(block, step) if on_progress else embedder.encode_documents(block))
            if bar is not None:
                bar.update(len(block))
    finally:
        chunker.stop.set()  # unblocks a worker waiting on a full queue if encoding failed
        worker.join()
        if bar is not None:
            bar.close()
    if worker.error is not None:
        raise worker.error
    return parts, worker.result


def assemble(old: Snapshot | None, keep: dict[str, StoredDocument],
             fresh: dict[str, StoredDocument] | Iterable[StoredDocument],
             embedder: Embedder, chunking: ChunkingConfig, *, progress: bool,
             on_refused: Refused | None = None, on_progress: EmbedProgress | None = None) -> tuple[Snapshot, int, int]:
    """A new snapshot from the kept documents (their passages and vectors copied from ``old``) and the
    fresh ones (chunked and embedded now, reusing any vector ``old`` has for the same text).
    A fresh document over the passage budget is left out and given to ``on_refused`` (without one, its
    LoadError is raised). ``on_progress(embedded, total)`` follows the embedding (see ``EmbedProgress``).
    Returns (snapshot, passages embedded now, passages whose vector was reused)."""
    layout = _carry_over(old, keep)
    stream = iter(fresh.values() if isinstance(fresh, Mapping) else fresh)
    chunker = _Chunker(layout, stream, embedder, chunking, on_refused)
    parts, bm25 = _encode_blocks(chunker, embedder, progress, on_progress)
    src = np.asarray(layout.src_rows, dtype=np.int64)
    vectors = np.zeros((len(layout.rows), embedder.dim), np.float32)
    from_old = src >= 0
    if from_old.any():
        assert old is not None  # only rows carried over from ``old`` point into it
        vectors[from_old] = old.vectors[src[from_old]]
    embedded = _place_new(vectors, -1 - src, parts)
    passages = PassageTable.from_rows(layout.rows)
    layout.rows.clear()
    snap = Snapshot({"embedder": describe(embedder), "chunking": asdict(chunking)}, layout.documents, passages,
                    vectors, DenseIndex.build(vectors), bm25)
    return snap, embedded, int(from_old.sum())


def _place_new(vectors: np.ndarray, new_index: np.ndarray, parts: list[np.ndarray]) -> int:
    """Copy the new vectors (``parts``, in the order they were embedded) into the rows of ``vectors`` whose
    ``new_index`` (>= 0) points at them, block by block, dropping each block once placed: the new vectors are
    never held twice (concatenated) beside the table. Returns how many there were."""
    rows = np.flatnonzero(new_index >= 0)
    rows = rows[np.argsort(new_index[rows], kind="stable")]  # by the new vector each row takes
    sources = new_index[rows]
    parts.reverse()
    start = 0
    while parts:
        block = parts.pop()
        a, b = np.searchsorted(sources, [start, start + len(block)])
        vectors[rows[a:b]] = block[sources[a:b] - start]
        start += len(block)
    return start
