"""The index folder on disk: FAISS vectors + BM25 + passages + documents + ``manifest.json``.

Every write produces a new *generation*: files named ``<part>.<generation>.<ext>`` are written to temp
names, fsynced and renamed into place, and only then is ``manifest.json`` (which names them, with sizes
and sha256) atomically replaced. A crash at any moment leaves the previous manifest pointing at complete
previous files; unreferenced files are swept on the next write. JSON and .npy only, never pickle.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexError_, IndexFormatError, IndexLockedError, IndexNotFoundError
from .ann import DenseIndex
from .base import Store
from .bm25 import BM25Index
from .snapshot import PassageTable, Snapshot, StoredDocument

logger = logging.getLogger(__name__)

FORMAT = "qa-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = ".lock"


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------- locking


@contextmanager
def write_lock(folder: Path, timeout: float = 600.0) -> Iterator[None]:
    """Serialise writers of one index folder (an advisory ``flock`` on ``.lock``)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        warned = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                if time.monotonic() > deadline:
                    raise IndexLockedError(
                        f"{folder}: another process (pid {holder}) is writing this index; gave up after {timeout:.0f}s"
                    ) from None
                if not warned:
                    logger.warning("%s: another process (pid %s) is writing this index; waiting for it", folder, holder)
                    warned = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


# ---------------------------------------------------------------------------------------------- writing


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path, prefix: bytes = b"") -> str:
    """Hex sha256 of ``prefix`` and a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256(prefix)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _finish(tmp: Path, final: Path) -> dict[str, Any]:
    """fsync a finished temp file and rename it into place; returns its manifest entry."""
    _fsync_file(tmp)
    os.replace(tmp, final)
    return {"path": final.name, "bytes": final.stat().st_size, "sha256": sha256_file(final)}


def _write_jsonl(path: Path, records: Iterator[Any]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")


TEXT_SLICE = 1 << 20  # characters of a document's text escaped and written at a time


def _write_documents(path: Path, documents: Iterator[StoredDocument]) -> None:
    """One JSON line per document, as ``_write_jsonl`` writes ``to_json()`` (the same bytes), but the text,
    its last field, is escaped and written ``TEXT_SLICE`` characters at a time: a 10M-character text was
    otherwise held twice more while written (its JSON string, then its UTF-8 bytes; +76 MiB in all)."""
    with open(path, "w", encoding="utf-8") as fh:
        for sd in documents:
            record = sd.to_json()
            text = record.pop("text")
            head = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            fh.write(head[:-1] + ',"text":"')
            for i in range(0, len(text), TEXT_SLICE):
                fh.write(json.dumps(text[i : i + TEXT_SLICE], ensure_ascii=False)[1:-1])
            fh.write('"}\n')


def write_snapshot(folder: Path, snap: Snapshot) -> dict[str, Any]:
    """Write ``snap`` as the next generation of ``folder`` (caller holds the write lock). Returns the manifest."""
    passages, dense, sparse = snap.passages, snap.dense, snap.sparse
    if not (isinstance(passages, PassageTable) and isinstance(dense, DenseIndex) and isinstance(sparse, BM25Index)):
        raise TypeError("write_snapshot writes a snapshot held in memory, not a view of another store")
    folder.mkdir(parents=True, exist_ok=True)
    old = read_manifest(folder, missing_ok=True)
    gen = int(old.get("generation", 0)) + 1 if old else 1
    files: dict[str, Any] = {}

    def tmp(name: str) -> Path:
        return folder / f".tmp-{os.getpid()}-{name}"

    t = tmp("documents")
    _write_documents(t, iter(snap.documents.values()))
    files["documents"] = _finish(t, folder / f"documents.{gen}.jsonl")

    t = tmp("passages")
    _write_jsonl(t, (list(r) for r in passages.rows()))
    files["passages"] = _finish(t, folder / f"passages.{gen}.jsonl")

    t = tmp("vectors.npy")
    with open(t, "wb") as fh:
        np.save(fh, np.ascontiguousarray(snap.vectors, dtype=np.float32), allow_pickle=False)
    files["vectors"] = _finish(t, folder / f"vectors.{gen}.npy")

    t = tmp("dense")
    dense.save(t)
    files["dense"] = _finish(t, folder / f"dense.{gen}.faiss")

    bm25_tmp = tmp("bm25")
    shutil.rmtree(bm25_tmp, ignore_errors=True)
    sparse.save(bm25_tmp)
    bm25_dir = folder / f"bm25.{gen}"
    shutil.rmtree(bm25_dir, ignore_errors=True)
    for f in sorted(bm25_tmp.iterdir()):
        _fsync_file(f)
    os.replace(bm25_tmp, bm25_dir)
    for f in sorted(bm25_dir.iterdir()):
        files[f"bm25/{f.name}"] = {"path": f"{bm25_dir.name}/{f.name}", "bytes": f.stat().st_size, "sha256": sha256_file(f)}
    _fsync_dir(folder)

    now = utcnow()
    manifest = dict(snap.manifest)
    manifest.update(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        generation=gen,
        created=(old or {}).get("created", now),
        updated=now,
        counts={"documents": len(snap.documents), "passages": len(snap.passages)},
        dense={"kind": dense.kind, "size": dense.size},
        files=files,
    )
    t = tmp("manifest")
    t.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    _fsync_file(t)
    os.replace(t, folder / MANIFEST)  # the commit point
    _fsync_dir(folder)
    snap.manifest = manifest
    sweep(folder, manifest)
    return manifest


def sweep(folder: Path, manifest: dict[str, Any]) -> None:
    """Delete files of older generations and temp files of dead writers."""
    keep = {entry["path"].split("/")[0] for entry in manifest.get("files", {}).values()}
    keep |= {MANIFEST, LOCK}
    for p in folder.iterdir():
        if p.name in keep:
            continue
        if p.name.startswith(".tmp-") or p.name.split(".")[0] in {"documents", "passages", "vectors", "dense", "bm25"}:
            try:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            except OSError as e:  # pragma: no cover - best effort
                logger.debug("could not remove %s: %s", p, e)


# ---------------------------------------------------------------------------------------------- reading


def read_manifest(folder: Path, missing_ok: bool = False) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        if missing_ok:
            return {}
        raise IndexNotFoundError(f"{folder}: no index here (no {MANIFEST}); build one with `python -m qa index <folder>`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise IndexFormatError(f"{path}: unreadable manifest ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path}: not a qa index manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexFormatError(
            f"{path}: index format version {version} is not supported by this qa (reads version {FORMAT_VERSION}); "
            "rebuild it with `python -m qa index --rebuild <folder>`"
        )
    return manifest


def verify_files(folder: Path, manifest: dict[str, Any], hashes: bool = True) -> list[str]:
    """Problems with the files the manifest names (missing, wrong size, wrong sha256); empty when sound."""
    problems = []
    for part, entry in manifest.get("files", {}).items():
        p = folder / entry["path"]
        if not p.is_file():
            problems.append(f"{p}: missing ({part})")
        elif p.stat().st_size != entry["bytes"]:
            problems.append(f"{p}: size {p.stat().st_size} bytes, manifest says {entry['bytes']} (truncated or altered)")
        elif hashes and sha256_file(p) != entry["sha256"]:
            problems.append(f"{p}: content hash differs from the manifest (altered)")
    return problems


def read_snapshot(folder: Path, verify: bool = True) -> Snapshot:
    """Load the current generation. Any damage is reported as IndexFormatError naming the file."""
    manifest = read_manifest(folder)
    problems = verify_files(folder, manifest, hashes=verify)
    if problems:
        raise IndexFormatError("index is damaged: " + "; ".join(problems) + " — rebuild with `python -m qa index --rebuild`")
    files = manifest["files"]
    current = ""
    try:
        current = files["documents"]["path"]
        documents: dict[str, StoredDocument] = {}
        with open(folder / current, encoding="utf-8") as fh:
            for line in fh:
                sd = StoredDocument.from_json(json.loads(line))
                documents[sd.document.id] = sd
        current = files["passages"]["path"]
        with open(folder / current, encoding="utf-8") as fh:
            passages = PassageTable.from_rows([tuple(json.loads(line)) for line in fh])
        current = files["vectors"]["path"]
        # memory-mapped: the ANN index holds the (possibly quantized) copy searched; these float32 vectors
        # are only read when an update reuses them, so they need not be resident (1.5 KB per passage)
        vectors = np.load(folder / current, allow_pickle=False, mmap_mode="r")
        current = files["dense"]["path"]
        dense = DenseIndex.load(folder / current)
        current = "bm25"
        bm25_dir = folder / Path(next(e["path"] for k, e in files.items() if k.startswith("bm25/"))).parent \
            if len(passages) else folder
        sparse = BM25Index.load(bm25_dir, len(passages))
    except IndexFormatError:
        raise
    except Exception as e:  # noqa: BLE001 - any parse failure means a damaged file
        raise IndexFormatError(f"{folder / current}: cannot be read ({type(e).__name__}: {e})") from None
    n = len(passages)
    counts = manifest.get("counts", {})
    if not (vectors.ndim == 2 and len(vectors) == n == dense.size == sparse.size == counts.get("passages")):
        raise IndexFormatError(
            f"{folder}: passages ({n}), vectors ({len(vectors)}), FAISS ({dense.size}) and BM25 ({sparse.size}) "
            "do not line up — rebuild with `python -m qa index --rebuild`"
        )
    if len(documents) != counts.get("documents") or any(d not in documents for d in set(passages.doc_ids)):
        raise IndexFormatError(f"{folder}: document records do not match the passages")
    return Snapshot(manifest, documents, passages, vectors, dense, sparse)


def check_index(folder: Path) -> list[str]:
    """Everything wrong with an index folder, as readable sentences (empty when it is sound): manifest,
    file sizes and sha256, and the alignment of passages, vectors, FAISS, BM25 and documents."""
    try:
        manifest = read_manifest(folder)
    except IndexError_ as e:
        return [str(e)]
    problems = verify_files(folder, manifest, hashes=True)
    if problems:
        return problems
    try:
        snap = read_snapshot(folder, verify=False)
    except IndexError_ as e:
        return [str(e)]
    return _offset_problems(snap) + _vector_problems(snap, manifest) + _count_problems(snap)


def _offset_problems(snap: Snapshot) -> list[str]:
    problems = []
    for i in range(len(snap.passages)):
        doc = snap.documents[snap.passages.doc_ids[i]].document
        a, b = int(snap.passages.starts[i]), int(snap.passages.ends[i])
        if not 0 <= a < b <= len(doc.text):
            problems.append(f"passage {i} of {doc.id}: offsets {a}:{b} outside the document ({len(doc.text)} chars)")
    return problems


def _vector_problems(snap: Snapshot, manifest: dict[str, Any]) -> list[str]:
    problems = []
    norms = np.linalg.norm(snap.vectors, axis=1) if len(snap.vectors) else np.ones(0)
    if len(norms) and not np.allclose(norms, 1.0, atol=1e-3):
        problems.append(f"{int((~np.isclose(norms, 1.0, atol=1e-3)).sum())} vectors are not unit length")
    dim = manifest.get("embedder", {}).get("dim")
    if len(snap.vectors) and snap.vectors.shape[1] != dim:
        problems.append(f"vectors have dimension {snap.vectors.shape[1]}, manifest says {dim}")
    return problems


def _count_problems(snap: Snapshot) -> list[str]:
    per_doc: dict[str, int] = {}
    for d in snap.passages.doc_ids:
        per_doc[d] = per_doc.get(d, 0) + 1
    return [f"document {d}: manifest records {sd.n_passages} passages, index holds {per_doc.get(d, 0)}"
            for d, sd in snap.documents.items() if sd.n_passages != per_doc.get(d, 0)]


class DiskStore(Store):
    """The index folder as a ``Store`` (the default backend)."""

    kind = "disk"

    def __init__(self, folder: str | Path) -> None:
        super().__init__(str(folder))
        self.folder = Path(folder)

    def read_manifest(self, missing_ok: bool = False) -> dict[str, Any]:
        return read_manifest(self.folder, missing_ok=missing_ok)

    def read_snapshot(self, verify: bool = True) -> Snapshot:
        return read_snapshot(self.folder, verify=verify)

    def write_lock(self) -> Any:
        return write_lock(self.folder)

    def check(self) -> list[str]:
        return check_index(self.folder)
