"""What an update changes: which sources are new, changed, unchanged or gone, decided by content hashes.

Hashing is cheap, so it is done up front for every file; the changed files are only read (parsed, cleaned)
later, one at a time, by ``Plan.load_pending`` in the ingest worker thread (``qa.ingest.assemble``).
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LoadError
from ..store.disk import sha256_file, utcnow
from ..store.snapshot import StoredDocument
from ..types import Document
from . import loaders

logger = logging.getLogger(__name__)

Source = str | Path | Document


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


def hash_document(doc: Document) -> str:
    """sha256 over a Document's title, text and metadata (what a ``Document`` source is compared by)."""
    h = hashlib.sha256()
    for part in (doc.title, doc.text, json.dumps(doc.metadata, sort_keys=True, default=str)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def hash_file(path: Path) -> str:
    """sha256 of a file's bytes (what a file source is compared by); for a format whose reading has a version
    (``loaders.RENDERINGS``: Markdown, HTML), of that version and the bytes, so a new reading re-reads the file."""
    rendering = loaders.RENDERINGS.get(path.suffix.lower())
    return sha256_file(path) if rendering is None else sha256_file(path, rendering.encode() + b"\0")


@dataclass
class Pending:
    """A file whose content changed (or is new): read later, in the worker."""

    path: Path
    doc_id: str
    origin: str | None  # the folder it was found in
    digest: str


@dataclass
class Plan:
    """The decisions of one update, filled in by ``plan_update``; the report says what happened."""

    stored: dict[str, StoredDocument]  # the documents indexed before
    rebuild: bool
    report: IndexReport = field(default_factory=IndexReport)
    given: dict[str, StoredDocument] = field(default_factory=dict)  # Document sources, accepted now
    pending: list[Pending] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)
    scanned_folders: set[str] = field(default_factory=set)
    now: str = field(default_factory=utcnow)

    def accept(self, doc: Document, digest: str, origin: str | None) -> StoredDocument | None:
        """The record to index for ``doc`` (None, and a failure reported, when its id came twice)."""
        prev = self.stored.get(doc.id)
        if doc.id in self.accepted:
            self.report.failed.append((doc.source or doc.id, f"duplicate document id {doc.id!r} (already given in this run)"))
            return None
        self.accepted.add(doc.id)
        (self.report.updated if prev else self.report.added).append(doc.id)
        return StoredDocument(doc, digest, origin, prev.added if prev else self.now, self.now)

    def unchanged(self, doc_id: str, digest: str) -> bool:
        prev = self.stored.get(doc_id)
        return prev is not None and prev.hash == digest and not self.rebuild

    def fail(self, source: str, reason: str) -> None:
        self.report.failed.append((source, reason))
        logger.warning("skipped %s: %s", source, reason)

    def refuse(self, doc_id: str, error: LoadError) -> None:
        """``doc_id`` was accepted but is left out (over a budget found while chunking): report it as failed."""
        for accepted in (self.report.added, self.report.updated):
            if doc_id in accepted:
                accepted.remove(doc_id)
        self.report.failed.append((error.path, error.reason))
        logger.warning("skipped %s", error)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.given or self.pending or self.report.removed or self.rebuild)

    def kept(self) -> tuple[dict[str, StoredDocument], list[StoredDocument]]:
        """(documents whose passages and vectors are copied as they are, documents to re-chunk from their
        stored text): on a rebuild every kept document is re-chunked."""
        replaced = set(self.given) | {p.doc_id for p in self.pending} | set(self.report.removed)
        keep = {d: sd for d, sd in self.stored.items() if d not in replaced}
        if self.rebuild:
            return {}, list(keep.values())
        return keep, []

    def load_pending(self) -> Iterator[StoredDocument]:
        """The changed files, read one at a time (runs in the ingest worker thread). A file that cannot be
        read now keeps the version indexed before (its vectors are reused)."""
        for p in self.pending:
            prev = self.stored.get(p.doc_id)
            sd: StoredDocument | None = None
            try:
                sd = self.accept(loaders.load_file(p.path, p.doc_id), p.digest, p.origin)
            except LoadError as e:
                self.report.failed.append((e.path, e.reason))
                logger.warning("skipped %s", e)
            except OSError as e:
                self.fail(str(p.path), e.strerror or str(e))
            if sd is None and prev is not None and p.doc_id not in self.accepted:
                sd = prev
            if sd is not None:
                yield sd


def _add_sources(plan: Plan, sources: Iterable[Source]) -> list[tuple[Path, str, str | None]]:
    """Accept the Document sources; expand the paths into (file, doc id, folder) triples."""
    files: list[tuple[Path, str, str | None]] = []
    for src in sources:
        if isinstance(src, Document):
            digest = hash_document(src)
            if plan.unchanged(src.id, digest):
                plan.report.unchanged.append(src.id)
            elif (sd := plan.accept(src, digest, None)) is not None:
                plan.given[src.id] = sd
            continue
        path = Path(src)
        try:
            found = loaders.discover([path])
        except LoadError as e:
            plan.report.failed.append((e.path, e.reason))
            logger.warning("skipped %s", e)
            continue
        origin = str(path.resolve()) if path.is_dir() else None
        if origin:
            plan.scanned_folders.add(origin)
        files.extend((p, doc_id, origin) for p, doc_id in found)
    return files


def _check_files(plan: Plan, files: list[tuple[Path, str, str | None]], progress: bool) -> set[str]:
    """Hash every file: unchanged ones are reported, changed ones become ``plan.pending``. Returns the ids seen."""
    seen: set[str] = set(plan.report.unchanged) | set(plan.given)
    iterator: Iterable[tuple[Path, str, str | None]] = files
    if progress and len(files) > 1:
        from tqdm import tqdm

        iterator = tqdm(files, desc="checking", unit="file")
    for path, doc_id, origin in iterator:
        seen.add(doc_id)
        try:
            digest = hash_file(path)
        except OSError as e:
            plan.fail(str(path), e.strerror or str(e))
            continue
        if plan.unchanged(doc_id, digest):
            plan.report.unchanged.append(doc_id)
        else:
            plan.pending.append(Pending(path, doc_id, origin, digest))
    return seen


def plan_update(stored: Mapping[str, StoredDocument], sources: Iterable[Source], *, prune: bool, rebuild: bool,
                progress: bool = False) -> Plan:
    """Decide what an update of an index holding ``stored`` with ``sources`` changes. With ``prune``,
    documents found in one of the given folders before and gone from it now are removed."""
    plan = Plan(dict(stored), rebuild)
    plan.report.rebuilt = rebuild
    seen = _check_files(plan, _add_sources(plan, sources), progress)
    if prune:
        for doc_id, sd in plan.stored.items():
            if sd.origin in plan.scanned_folders and doc_id not in seen:
                plan.report.removed.append(doc_id)
    return plan


__all__ = ["IndexReport", "Pending", "Plan", "Source", "hash_document", "hash_file", "plan_update"]
