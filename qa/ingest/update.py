"""One write to an index folder: plan what changed, assemble the new snapshot, commit it as a generation.

The caller holds the folder's write lock (``qa.store.disk.write_lock``) and swaps its snapshot for the
returned one; readers only ever see a committed, complete generation.
"""
from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from ..embed.base import Embedder
from ..store.disk import write_snapshot
from ..store.snapshot import Snapshot
from .assemble import EmbedProgress, assemble
from .chunking import ChunkingConfig
from .plan import IndexReport, Source, plan_update

logger = logging.getLogger(__name__)


def _settings_changed(old: Snapshot, embedder: Embedder, chunking: ChunkingConfig) -> bool:
    return (old.manifest.get("embedder", {}).get("fingerprint") != embedder.fingerprint
            or old.manifest.get("chunking") != asdict(chunking))


def update_folder(  # noqa: PLR0913 - Index.update's options, passed through
        folder: Path, old: Snapshot, embedder: Embedder, sources: Iterable[Source], *, prune: bool,
        progress: bool, chunking: ChunkingConfig, rebuild: bool,
        on_progress: EmbedProgress | None = None) -> tuple[Snapshot, IndexReport]:
    """Add or refresh ``sources`` in the index in ``folder`` whose current snapshot is ``old``. Returns the
    new snapshot (``old`` itself when nothing changed) and what happened. Files are read, cleaned and
    chunked in a worker thread while the encoder embeds earlier passages. Another embedder or chunking
    than the index's re-chunks and re-embeds everything (from the stored texts)."""
    t0 = time.perf_counter()
    if _settings_changed(old, embedder, chunking):
        rebuild = rebuild or bool(old.documents)
    plan = plan_update(old.documents, sources, prune=prune, rebuild=rebuild, progress=progress)
    report = plan.report
    snap = old
    if not plan.nothing_to_do:
        keep, rechunk = plan.kept()
        stream = itertools.chain(plan.given.values(), plan.load_pending(), rechunk)
        new, embedded, reused = assemble(old if not rebuild else None, keep, stream, embedder, chunking,
                                         progress=progress, on_refused=plan.refuse, on_progress=on_progress)
        if plan.accepted or report.removed or rebuild:  # else every changed file failed to load: leave it
            write_snapshot(folder, new)
            snap, report.embedded, report.reused = new, embedded, reused
    report.passages = len(snap.passages)
    report.seconds = time.perf_counter() - t0
    if snap is old:
        logger.info("%s: nothing to do (%s)", folder, report.summary())
    else:
        logger.info("%s: %s", folder, report.summary())
    return snap, report


def remove_documents(folder: Path, old: Snapshot, doc_ids: list[str], embedder: Embedder,
                     chunking: ChunkingConfig) -> tuple[Snapshot, IndexReport]:
    """Remove documents (and their passages) by id; unknown ids raise KeyError and change nothing."""
    unknown = [d for d in doc_ids if d not in old.documents]
    if unknown:
        raise KeyError(f"no such document in the index: {', '.join(unknown)}")
    t0 = time.perf_counter()
    keep = {d: sd for d, sd in old.documents.items() if d not in set(doc_ids)}
    snap = assemble(old, keep, {}, embedder, chunking, progress=False)[0]
    write_snapshot(folder, snap)
    return snap, IndexReport(removed=doc_ids, passages=len(snap.passages), seconds=time.perf_counter() - t0)
