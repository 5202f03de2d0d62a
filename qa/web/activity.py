"""What the index writer is doing now, for the header's busy status and the one progress bar (no Gradio here).

One writer runs at a time (``ChatApp`` holds a write lock), so there is one job at most: which files, into which
collection, and how many passages are embedded out of how many. The total comes from ingestion
(``Index.update(on_progress=...)``): None while the documents are still being read and split, then fixed, so the
bar never shows a total that later changes; until then it is an indeterminate bar.
"""
from __future__ import annotations

import html
import threading
import time
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Job:
    collection: str  # its name, as shown
    what: str  # e.g. "report.pdf" or "3 files"
    done: int = 0
    total: int | None = None  # passages to embed; None until every document is chunked
    started: float = 0.0

    @property
    def percent(self) -> int | None:
        if self.total is None:
            return None
        return 100 if self.total == 0 else min(100, round(100 * self.done / self.total))

    def label(self) -> str:
        where = f"{self.what} into “{self.collection}”"
        if self.total is None:
            done = f" ({self.done:,} passages embedded)" if self.done else ""
            return f"Indexing {where}: reading and splitting into passages…{done}"
        return f"Indexing {where}: {self.done:,} of {self.total:,} passages ({self.percent}%)"


def describe_files(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return f"{len(names)} files"


class Activity:
    """The current writer job (thread-safe); ``step`` is given to ``Index.update(on_progress=...)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job: Job | None = None

    def start(self, collection: str, what: str) -> None:
        with self._lock:
            self._job = Job(collection, what, started=time.monotonic())

    def step(self, done: int, total: int | None) -> None:
        with self._lock:
            if self._job is not None:
                # the total, once known, is fixed; the count never goes back
                total = self._job.total if self._job.total is not None else total
                self._job = replace(self._job, done=max(done, self._job.done), total=total)

    def finish(self) -> None:
        with self._lock:
            self._job = None

    @property
    def job(self) -> Job | None:
        with self._lock:
            return self._job


def progress_html(job: Job | None) -> str:
    """The one progress bar (a native ``<progress>``, named for assistive technology); "" when idle."""
    if job is None:
        return ""
    label = html.escape(job.label())
    if job.total is None:  # indeterminate: no number that could jump later
        bar = '<progress aria-label="Indexing progress"></progress>'
    else:
        bar = f'<progress aria-label="Indexing progress" max="{max(job.total, 1)}" value="{min(job.done, job.total)}"></progress>'
    return f'<div class="qa-progress" role="status"><div class="qa-progress-label">{label}</div>{bar}</div>'


__all__ = ["Activity", "Job", "describe_files", "progress_html"]
