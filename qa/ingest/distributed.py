"""Updates of an index held in Milvus (``qa.store.milvus``), and the preparation both writers share.

The decisions are the index folder's (``qa.ingest.plan``: content hashes, prune, rebuild on another model
or chunking); only the writing differs: documents are written in batches as they are prepared (no full
snapshot is rebuilt), deleted ones are deleted, and every passage whose embedded text is already in the
index (the same content hash) reuses its stored vector instead of being embedded again.

Preparing a document = load it (files), chunk it, embed its new passage texts. ``prepare_local`` does it
in this process; ``qa.ingest.distributed_ray`` does it in a Ray Data actor pool. Both yield ``Prepared``
records, which ``write_prepared`` writes.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..embed.base import Embedder
from ..embed.registry import describe
from ..errors import LoadError
from ..store.milvus import DocumentWrite, MilvusStore, PassageSpan
from ..store.snapshot import StoredDocument
from .assemble import chunk_document, embed_text, passage_key
from .chunking import ChunkingConfig
from .plan import IndexReport, Plan, Source, plan_update

logger = logging.getLogger(__name__)

DOCS_PER_BATCH = 64  # documents written per Milvus batch (and prepared per embedder call locally)


@dataclass
class Prepared:
    """A document chunked, with the vectors of the passages that needed embedding (``vectors[i]`` is
    None for a passage whose content hash is among the known ones: its stored vector is reused)."""

    stored: StoredDocument
    spans: list[PassageSpan]
    vectors: list[np.ndarray | None] = field(default_factory=list)


def chunk_prepared(sd: StoredDocument, embedder: Embedder, chunking: ChunkingConfig) -> Prepared:
    """Chunk a document (LoadError when it is over the passage budget)."""
    doc = sd.document
    spans = []
    for start, end, page in chunk_document(doc, embedder, chunking):
        spans.append(PassageSpan(start, end, page, passage_key(embed_text(doc, start, end, chunking))))
    stored = StoredDocument(doc, sd.hash, sd.origin, sd.added, sd.updated, len(spans))
    return Prepared(stored, spans, [None] * len(spans))


def embed_prepared(batch: list[Prepared], embedder: Embedder, chunking: ChunkingConfig,
                   have: Callable[[list[str]], dict[str, np.ndarray]]) -> int:
    """Fill the vectors of ``batch``: the stored one when ``have`` finds the passage's content hash, else
    embedded now, once per distinct text. Returns how many texts were embedded."""
    stored = have([s.key for p in batch for s in p.spans])
    todo: dict[str, str] = {}
    for p in batch:
        doc = p.stored.document
        for s in p.spans:
            if s.key not in stored and s.key not in todo:
                todo[s.key] = embed_text(doc, s.start, s.end, chunking)
    fresh = dict(zip(todo, embedder.encode_documents(list(todo.values())), strict=True)) if todo else {}
    for p in batch:
        p.vectors = [fresh.get(s.key) for s in p.spans]  # None: reused from the store when written
    return len(todo)


def prepare_local(docs: Iterable[StoredDocument], embedder: Embedder, chunking: ChunkingConfig,
                  have: Callable[[list[str]], dict[str, np.ndarray]], plan: Plan) -> Iterator[list[Prepared]]:
    """Chunk and embed in this process, ``DOCS_PER_BATCH`` documents at a time."""
    batch: list[Prepared] = []
    for sd in docs:
        try:
            batch.append(chunk_prepared(sd, embedder, chunking))
        except LoadError as e:
            plan.refuse(sd.document.id, e)
            continue
        if len(batch) >= DOCS_PER_BATCH:
            embed_prepared(batch, embedder, chunking, have)
            yield batch
            batch = []
    if batch:
        embed_prepared(batch, embedder, chunking, have)
        yield batch


def write_prepared(store: MilvusStore, manifest: dict[str, Any], batches: Iterable[list[Prepared]],
                   report: IndexReport, *, embedder: Embedder, chunking: ChunkingConfig, progress: bool) -> None:
    """Write prepared batches to Milvus. A passage prepared without a vector (its content hash was known)
    takes the stored one; if that is gone meanwhile (its old version was replaced by an earlier batch), it
    is embedded here."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(desc="writing", unit="doc")
    try:
        for batch in batches:
            _fill_vectors(store, batch, report, embedder, chunking)
            store.put(manifest, [DocumentWrite(p.stored, p.spans, _stack(p.vectors, embedder.dim)) for p in batch])
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()


def _stack(vectors: list[np.ndarray | None], dim: int) -> np.ndarray:
    return np.stack([v for v in vectors if v is not None]) if vectors else np.zeros((0, dim), np.float32)


def _fill_vectors(store: MilvusStore, batch: list[Prepared], report: IndexReport, embedder: Embedder,
                  chunking: ChunkingConfig) -> None:
    missing = {s.key for p in batch for s, v in zip(p.spans, p.vectors, strict=True) if v is None}
    stored = store.known_vectors(missing) if missing else {}
    lost: dict[str, str] = {}
    for p in batch:
        for s, v in zip(p.spans, p.vectors, strict=True):
            if v is None and s.key not in stored:
                lost.setdefault(s.key, embed_text(p.stored.document, s.start, s.end, chunking))
    if lost:
        stored.update(zip(lost, embedder.encode_documents(list(lost.values())), strict=True))
    for p in batch:
        for i, (s, v) in enumerate(zip(p.spans, p.vectors, strict=True)):
            if v is None:
                p.vectors[i] = stored[s.key]
                report.reused += s.key not in lost
                report.embedded += s.key in lost
            else:
                report.embedded += 1


Preparer = Callable[[Plan, Iterable[StoredDocument]], Iterable[list[Prepared]]]


def update_store(store: MilvusStore, embedder: Embedder, sources: Iterable[Source], *, prune: bool, progress: bool,
                 chunking: ChunkingConfig, rebuild: bool, preparer: Preparer | None = None) -> IndexReport:
    """Add or refresh ``sources`` in the Milvus index (the caller holds ``store.write_lock()``). Another
    embedder or chunking than the index's re-chunks and re-embeds every document from its stored text.
    ``preparer(plan, documents)`` loads (``plan.pending``), chunks and embeds the changed documents
    (default: in this process, ``prepare_local``)."""
    t0 = time.perf_counter()
    facts = {"embedder": describe(embedder), "chunking": asdict(chunking)}
    before = store.read_manifest(missing_ok=True)
    if before and (before.get("embedder", {}).get("fingerprint") != facts["embedder"]["fingerprint"]
                   or before.get("chunking") != facts["chunking"]):
        rebuild = rebuild or bool(before.get("counts", {}).get("documents"))
    manifest = store.begin(facts, reset=rebuild)
    stored = store.stored_documents()
    plan = plan_update(stored, sources, prune=prune, rebuild=rebuild, progress=progress)
    report = plan.report
    if not plan.nothing_to_do:
        _, rechunk = plan.kept()
        rechunked = store.full_documents([sd.document.id for sd in rechunk])
        batches: Iterable[list[Prepared]]
        if preparer is None:
            batches = prepare_local(_fresh(plan, stored, rechunked), embedder, chunking, store.known_vectors, plan)
        else:
            batches = preparer(plan, rechunked)
        store.remove(manifest, report.removed)
        write_prepared(store, manifest, batches, report, embedder=embedder, chunking=chunking, progress=progress)
        store.commit(manifest)
    report.passages = int(store.read_manifest().get("counts", {}).get("passages", 0))
    report.seconds = time.perf_counter() - t0
    logger.info("%s: %s", store.uri, report.summary())
    return report


def _fresh(plan: Plan, stored: Mapping[str, StoredDocument], rechunk: Iterable[StoredDocument]) -> Iterator[StoredDocument]:
    """The documents to (re)write: given Documents, changed files (read now) and re-chunked ones. A file that
    cannot be read now keeps its indexed version: it is not rewritten."""
    yield from plan.given.values()
    for sd in plan.load_pending():
        if sd is not stored.get(sd.document.id):
            yield sd
    yield from rechunk


def remove_from_store(store: MilvusStore, doc_ids: list[str]) -> IndexReport:
    """Remove documents by id (unknown ids raise KeyError and change nothing)."""
    t0 = time.perf_counter()
    manifest = store.read_manifest()
    present = store.current_hashes(doc_ids)
    unknown = [d for d in doc_ids if d not in present]
    if unknown:
        raise KeyError(f"no such document in the index: {', '.join(unknown)}")
    store.remove(manifest, doc_ids)
    store.commit(manifest)
    return IndexReport(removed=list(doc_ids), passages=int(manifest["counts"]["passages"]),
                       seconds=time.perf_counter() - t0)
