"""The Documents tab's behaviour: list a collection's documents, upload to it (checked, queued, indexed by its
one background writer), remove from it, re-scan the documents folder. Mixed into ``qa.web.controller.ChatApp``
(every method takes the collection id it works on: the default one when None). No Gradio here.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import IndexError_
from ..index import Index, IndexReport
from . import render as webui
from .activity import Activity, describe_files
from .appdb import DEFAULT_COLLECTION
from .collections import Collection
from .config import AppConfig
from .state import NotReady, Progress
from .uploads import UploadDesk, status_lines, statuses_markdown, upload_name_and_path

logger = logging.getLogger("qa.app")

REMOVE_WAIT_S = 1.0  # how long Remove waits for the write lock before it queues behind the batch holding it

Step = Callable[[int, int], None]


@dataclass(frozen=True)
class UploadBatch:
    """Uploads received and queued by :meth:`DocumentsMixin.receive`: the lines said so far, the names queued,
    and an event set once they are all indexed or refused."""

    lines: list[str]
    names: list[str]
    done: threading.Event
    collection: str


class DocumentsMixin:
    """Document methods of ``ChatApp`` (which provides the attributes and methods declared here)."""

    config: AppConfig
    progress: Progress
    activity: Activity
    _write_lock: threading.Lock

    if TYPE_CHECKING:  # provided by ChatApp and LibraryMixin
        def require_index(self) -> Index: ...
        def index_of(self, collection_id: str | None) -> Index: ...
        def desk_of(self, collection_id: str | None) -> UploadDesk: ...
        def collection(self, collection_id: str | None) -> Collection: ...
        def summary(self, collection: str | None = None) -> str: ...
        def _recover(self, collection_id: str) -> int: ...

    # -------------------------------------------------------------------------------- listing
    def _documents(self, collection: str | None) -> list[Any]:
        try:
            return self.index_of(collection).documents()
        except (KeyError, NotReady, IndexError_, OSError) as e:  # not ready, deleted, unreadable: nothing to list
            logger.debug("no documents for %s: %s", collection, e)
            return []

    def documents_rows(self, collection: str | None = None) -> list[list[Any]]:
        return webui.documents_rows(self._documents(collection))

    def document_choices(self, collection: str | None = None) -> list[tuple[str, str]]:
        return webui.document_choices(self._documents(collection))

    def doc_id_for_row(self, row: Sequence[Any] | None, collection: str | None = None) -> str | None:
        """The document shown in a row of the documents table (title, file, ...)."""
        if not row or len(row) < 2:
            return None
        for sd in self._documents(collection):
            d = sd.document
            if (d.title or d.id) == row[0] and webui.file_name(d.source, d.id) == row[1]:
                return d.id
        return None

    # -------------------------------------------------------------------------------- uploads
    @property
    def desk(self) -> UploadDesk:
        """The default collection's upload queue."""
        return self.desk_of(DEFAULT_COLLECTION)

    def receive(self, files: Sequence[Any] | None, collection: str | None = None,
                on_progress: Step | None = None) -> UploadBatch:
        """Check uploaded files (sanitised names, allowed types, capped sizes) and queue them for the
        collection's background writer. Gradio's copy of every file is deleted, refused ones at once."""
        collection = collection or DEFAULT_COLLECTION
        if not files:
            return UploadBatch(["No file received."], [], _set_event(), collection)
        self.index_of(collection)  # NotReady / KeyError before anything is kept
        desk = self.desk_of(collection)
        lines, received = [], []
        for f in files:
            original, path = upload_name_and_path(f)
            try:
                received.append(desk.receive(original, path, self.config.max_upload_bytes))
            except webui.UploadRejected as e:
                name = str(e).split(":", 1)[0]
                desk.queue.report(name, "refused", str(e).split(": ", 1)[-1])
                lines.append(f"✗ {webui.md_text(str(e))}")
        done = desk.queue.submit(received, prepare=desk.into_place, progress=on_progress)
        return UploadBatch(lines, [p.name for p in received], done, collection)

    def upload_report(self, batch: UploadBatch, wait: float | None = None) -> str:
        """Wait up to ``wait`` seconds (default ``config.upload_wait_seconds``) for a batch, then say per file:
        added, refused and why, or still queued / indexing (the Documents tab keeps showing where it is)."""
        lines = list(batch.lines)
        if batch.names:
            batch.done.wait(self.config.upload_wait_seconds if wait is None else wait)
            lines.extend(self._status_lines(batch.names, batch.collection))
        return "\n\n".join(lines)

    def upload(self, files: Sequence[Any] | None, on_progress: Step | None = None, wait: float | None = None,
               collection: str | None = None) -> str:
        """Receive, queue and wait for uploads (see :meth:`receive` and :meth:`upload_report`)."""
        if not files:
            return "No file received."
        return self.upload_report(self.receive(files, collection, on_progress), wait)

    def _index_files(self, collection_id: str, paths: list[Path], step: Step) -> IndexReport:
        """The writer's job (in the collection's queue thread): index ``paths`` under the app's write lock."""
        index = self.index_of(collection_id)
        with self._write_lock:
            self.activity.start(self.collection(collection_id).name, describe_files([p.name for p in paths]))

            def on_progress(done: int, total: int | None) -> None:
                self.activity.step(done, total)
                step(done, total or 0)

            try:
                report = index.update(paths, prune=False, on_progress=on_progress)
            finally:
                self.activity.finish()
        if self.config.shared:
            # the text now lives in the Milvus store, which every replica reads: no copy stays on this one (what
            # is left in uploads/ after a crash is what was not indexed, and is indexed at the next start)
            for path in paths:
                if webui.inside(self.config.upload_dir, path):
                    path.unlink(missing_ok=True)
        self.progress.set(self.summary())
        return report

    def _status_lines(self, names: list[str], collection: str | None = None) -> list[str]:
        passages = {sd.document.id: sd.n_passages for sd in self._documents(collection)}
        return status_lines(self.desk_of(collection).queue.statuses(), names, passages)

    def uploads_markdown(self, collection: str | None = None) -> str:
        """Where each recent upload to the collection is (queued / indexing x of y / done / refused: why)."""
        try:
            return statuses_markdown(self.desk_of(collection).queue.statuses())
        except KeyError:
            return ""

    def recover_uploads(self) -> int:
        """Queue the uploads a crash left unindexed in the default collection (``.incoming`` and files of
        ``uploads/`` the index lacks); each ends indexed or refused (and deleted) with its reason in the
        Documents tab. Returns how many. (Other collections do the same when they are first opened.)"""
        return self._recover(DEFAULT_COLLECTION)

    # -------------------------------------------------------------------------------- removing, re-scanning
    def remove_question(self, doc_id: str | None, collection: str | None = None) -> str:
        """What to confirm before :meth:`remove` ("Remove ...?"), or why there is nothing to remove."""
        if not doc_id:
            return "Pick a document to remove."
        try:
            doc = self.index_of(collection).document(doc_id)
        except KeyError:
            return "That document is not in the index (any more)."
        uploaded = bool(doc.source and webui.inside(self.config.upload_dir, Path(doc.source)))
        name = webui.md_text(webui.file_name(doc.source, doc_id))
        return (f"Remove **{webui.md_text(doc.title or doc_id)}** ({name}) from "
                f"“{webui.md_text(self.collection(collection).name)}”? "
                + ("Every replica of the app stops seeing it. " if self.config.shared else
                   "The uploaded copy is deleted too. " if uploaded else "The file itself stays in its folder. ")
                + "Chats that quoted it keep their quotes as text.")

    def remove(self, doc_id: str | None, collection: str | None = None) -> str:
        """Remove a document from the collection (and our copy of it, when it was uploaded). The chats that
        quoted it keep their quotes (they are saved with the chat)."""
        if not doc_id:
            return "Pick a document to remove."
        index = self.index_of(collection)
        try:
            doc = index.document(doc_id)
        except KeyError:
            return "That document is not in the index (any more)."
        name = webui.md_text(webui.file_name(doc.source, doc_id))

        def remove_now() -> str:  # holds the write lock
            try:
                index.remove([doc_id])
            except KeyError:  # removed meanwhile (a second click, another session)
                return "already removed"
            if doc.source and webui.inside(self.config.upload_dir, Path(doc.source)):
                Path(doc.source).unlink(missing_ok=True)  # our copy of an upload; never a file of the person's folder
            return "removed"

        # a removal or a small upload holds the lock for a moment: wait for it; a batch being indexed holds it for
        # long: queue behind it, never block the page
        if not self._write_lock.acquire(timeout=REMOVE_WAIT_S):
            def remove_later() -> str:
                with self._write_lock:
                    done = remove_now()
                self.progress.set(self.summary())
                return done

            self.desk_of(collection).queue.submit_task(webui.file_name(doc.source, doc_id), remove_later)
            return (f"**{webui.md_text(doc.title or doc_id)}** ({name}) will be removed as soon as the upload being "
                    "indexed is done: the list below shows when. You can keep asking meanwhile.")
        try:
            if remove_now() != "removed":
                return "That document is not in the index (any more)."
        finally:
            self._write_lock.release()
        self.progress.set(self.summary())
        return (f"Removed **{webui.md_text(doc.title or doc_id)}** ({name}). Chats that quoted it keep their "
                "quotes as text.")

    def rescan(self, on_progress: Step | None = None) -> str:
        """Index new and changed files of the documents folder into the default collection (and drop the
        ones deleted from it)."""
        index = self.require_index()
        folder = self.config.documents_dir
        if not folder.is_dir():
            return f"✗ The documents folder {webui.md_text(str(folder))} does not exist."
        with self._write_lock:
            self.activity.start(self.collection(DEFAULT_COLLECTION).name, f"{folder.name}/")

            def step(done: int, total: int | None) -> None:
                self.activity.step(done, total)
                if on_progress and total is not None:
                    on_progress(done, total)

            try:
                r = index.update([folder], on_progress=step)
            finally:
                self.activity.finish()
        self.progress.set(self.summary())
        return f"{webui.md_text(str(folder))}: {webui.md_text(r.summary())}"


def _set_event() -> threading.Event:
    done = threading.Event()
    done.set()
    return done


__all__ = ["DocumentsMixin", "UploadBatch"]
