"""Ingestion off the request path: files wait in a queue that one background thread (the only writer) indexes,
a batch at a time, keeping a status per file (queued / indexing / done / refused: why) for the UI to show. Other
writes that must not wait on a batch in the caller's thread (removing a document) queue behind it as tasks.

The queue knows nothing of the index: it is given ``index_files(paths, step) -> IndexReport`` (``step(done,
total)`` reports embedded passages) and ``on_refused(path)`` (what to do with a refused file: delete it).
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .plan import IndexReport

logger = logging.getLogger(__name__)

IndexFiles = Callable[[list[Path], Callable[[int, int], None]], IndexReport]
KEEP_STATUSES = 50  # finished files still listed (the newest)


@dataclass(frozen=True)
class FileStatus:
    """Where one file is: ``state`` is queued, indexing, done or refused; ``detail`` says more."""

    name: str
    state: str
    detail: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("done", "refused")


@dataclass(frozen=True)
class _Job:
    number: int
    paths: tuple[Path, ...]
    prepare: Callable[[Path], Path] | None  # e.g. move the file into place first (runs in the worker)
    progress: Callable[[int, int], None] | None
    done: threading.Event
    task: Callable[[], str] | None = None  # instead of indexing paths: run this (e.g. a removal), named paths[0]


class IngestQueue:
    """One worker thread indexes the submitted batches in order; :meth:`statuses` says where each file is."""

    def __init__(self, index_files: IndexFiles, on_refused: Callable[[Path], None] | None = None) -> None:
        self._index_files = index_files
        self._on_refused = on_refused
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
        self._status: dict[str, FileStatus] = {}
        self._pending = 0
        self._numbers = 0
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="qa-ingest-queue", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------------------ asking
    def submit(self, paths: Sequence[Path], prepare: Callable[[Path], Path] | None = None,
               progress: Callable[[int, int], None] | None = None) -> threading.Event:
        """Queue ``paths`` (indexed together, after every batch submitted before; ``prepare`` maps each to the
        file to index, in the worker). Returns an event set once the batch is finished."""
        done = threading.Event()
        if not paths:
            done.set()
            return done
        with self._lock:
            self._numbers += 1
            ahead = self._pending
            self._pending += 1
            self._idle.clear()
            for p in paths:
                wait = f"{ahead} upload{'s' * (ahead != 1)} ahead" if ahead else "next"
                self._set(FileStatus(p.name, "queued", wait))
            job = _Job(self._numbers, tuple(paths), prepare, progress, done)
        self._jobs.put(job)
        return done

    def submit_task(self, name: str, task: Callable[[], str], what: str = "removal") -> threading.Event:
        """Queue ``task`` (e.g. removing a document while a batch holds the write lock) to run in the worker after
        every batch submitted before, instead of blocking the caller. ``name`` is shown queued ("``what`` after N
        uploads ahead") until then, and done with what ``task`` returns (refused if it raises ValueError/OSError,
        with the error's text). Returns an event set once it ran."""
        done = threading.Event()
        with self._lock:
            self._numbers += 1
            ahead = self._pending
            self._pending += 1
            self._idle.clear()
            wait = f"after {ahead} upload{'s' * (ahead != 1)} ahead" if ahead else "next"
            self._set(FileStatus(name, "queued", f"{what} {wait}"))
            job = _Job(self._numbers, (Path(name),), None, None, done, task)
        self._jobs.put(job)
        return done

    def report(self, name: str, state: str, detail: str = "") -> None:
        """Record a status the queue did not produce (e.g. a file refused before it was queued)."""
        with self._lock:
            self._set(FileStatus(name, state, detail))

    def statuses(self) -> list[FileStatus]:
        """Every file's status, the unfinished first, then the newest finished."""
        with self._lock:
            items = list(self._status.values())
        return [s for s in items if not s.finished] + [s for s in reversed(items) if s.finished]

    def busy(self) -> bool:
        return not self._idle.is_set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued file is finished (True) or ``timeout`` seconds passed (False)."""
        return self._idle.wait(timeout)

    # ------------------------------------------------------------------------------ working
    def _set(self, status: FileStatus) -> None:  # holds self._lock
        self._status.pop(status.name, None)  # re-inserted: the dict keeps the newest last
        self._status[status.name] = status
        finished = [k for k, s in self._status.items() if s.finished]
        for name in finished[: max(0, len(finished) - KEEP_STATUSES)]:
            del self._status[name]

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                self._process(job)
            except Exception:  # the worker must survive anything; the files are reported
                logger.exception("indexing upload batch %d failed", job.number)
                for p in job.paths:
                    self.report(p.name, "refused", "could not be indexed (an internal error; see the server log)")
            finally:
                job.done.set()
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def _prepared(self, job: _Job) -> list[Path]:
        """The batch's files after ``job.prepare``; one that cannot be prepared is refused (and deleted) alone."""
        paths = []
        for p in job.paths:
            try:
                paths.append(job.prepare(p) if job.prepare else p)
            except (ValueError, OSError) as e:  # ValueError: the preparer's refusal, "name: why"
                logger.warning("skipped %s: %s", p, e)
                if self._on_refused:
                    self._on_refused(p)
                why = str(e).split(": ", 1)[-1] if isinstance(e, ValueError) else "could not be moved into place"
                self.report(p.name, "refused", why)
        return paths

    def _process(self, job: _Job) -> None:
        if job.task is not None:
            name = str(job.paths[0])
            try:
                self.report(name, "done", job.task())
            except (ValueError, OSError) as e:
                logger.warning("%s: %s", name, e)
                self.report(name, "refused", str(e))
            return
        paths = self._prepared(job)
        if not paths:
            return
        names = [p.name for p in paths]

        def step(done: int, total: int) -> None:
            with self._lock:
                for name in names:
                    self._set(FileStatus(name, "indexing", f"passages {done} of {total}" if total else ""))
            if job.progress:
                job.progress(done, total)

        step(0, 0)
        report = self._index_files(paths, step)
        self._record(report, paths)

    def _record(self, report: IndexReport, paths: list[Path]) -> None:
        by_name = {p.name: p for p in paths}
        refused = {Path(src).name: reason for src, reason in report.failed}
        for name, path in by_name.items():
            if name in refused:
                if self._on_refused:
                    self._on_refused(path)
                self.report(name, "refused", refused[name])
            elif name in report.unchanged:
                self.report(name, "done", "already indexed (unchanged)")
            elif name in report.added or name in report.updated:
                self.report(name, "done", "added" if name in report.added else "updated")
            else:
                self.report(name, "refused", "was not indexed")


__all__ = ["FileStatus", "IngestQueue"]
