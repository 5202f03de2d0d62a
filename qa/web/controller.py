"""The web chat's behaviour, without any Gradio: every UI event (``qa.web.ui``) calls a ``ChatApp`` method.

Give it a ready index (tests), or let :meth:`ChatApp.prepare` open or build the one in the configured folder.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .. import index as qa_index
from ..answer.pipeline import stream_answer
from ..answer.pipeline import written_available as written_mode_available
from ..embed.base import Embedder
from ..embed.registry import default_embedder
from ..embed.words import word_vectors
from ..index import Index, IndexReport
from ..ingest import loaders
from ..ingest.loaders.limits import set_limits
from ..store.disk import read_manifest
from ..types import Answer
from . import render as webui
from .cite import cite_links
from .config import AppConfig
from .conversation import ConversationMixin
from .settings import check_k, check_mode
from .state import ChatState, NotReady, Progress, Turn, track_embedding
from .uploads import UploadDesk, status_lines, statuses_markdown, upload_name_and_path

logger = logging.getLogger("qa.app")

EXAMPLES = Path(__file__).resolve().parent / "data" / "examples.json"


def _sample_examples(path: Path = EXAMPLES) -> dict[str, list[str]]:
    """Example questions per sample file name (qa/web/data/examples.json), checked on load."""
    examples = json.loads(path.read_text(encoding="utf-8")).get("examples")
    if not isinstance(examples, dict) or not all(
            isinstance(qs, list) and qs and all(isinstance(q, str) and q for q in qs) for qs in examples.values()):
        raise ValueError(f"{path}: 'examples' must map file names to lists of questions")
    return examples


SAMPLE_EXAMPLES = _sample_examples()


class ChatApp(ConversationMixin):
    """The app's behaviour, without any Gradio: every UI event calls one of these methods.

    Give it a ready ``index`` (tests), or call :meth:`prepare` to open or build the one in
    ``config.index_dir`` from ``config.documents_dir`` (the app does so in a background thread)."""

    def __init__(self, config: AppConfig, index: Index | None = None,
                 answer_stream: Callable[..., Iterator[Any]] | None = None) -> None:
        self.config = config
        self.progress = Progress()
        self.index = index
        self._answer_stream = answer_stream
        self._write_lock = threading.Lock()
        self._desk: UploadDesk | None = None
        self._desk_lock = threading.Lock()
        set_limits(config.limits)
        if index is not None:
            track_embedding(index.embedder, self.progress)
            self._set_ready()

    # -------------------------------------------------------------------------------- index
    def prepare(self, embedder: Embedder | None = None) -> None:
        """Open the index (building it from the documents folder the first time). Never raises: a
        failure is shown in the status line."""
        try:
            self.index = self._open_or_build(embedder)
            self._set_ready()
            self.recover_uploads()
        except Exception as e:  # shown to the person; the server keeps running
            logger.exception("could not prepare the index")
            self.progress.error = f"{type(e).__name__}: {e}"
            self.progress.set(f"Could not open the index in {self.config.index_dir}: {e}")

    def _open_or_build(self, embedder: Embedder | None) -> Index:
        cfg = self.config
        self.progress.set("Loading the embedding model…")
        if read_manifest(cfg.index_dir, missing_ok=True):
            index = qa_index.load_index(cfg.index_dir, embedder=embedder)
            track_embedding(index.embedder, self.progress)
            index.embedder.encode_queries(["warm up"])
            if index.documents() or not cfg.documents_dir.is_dir():
                return index
            sources: list[Path] = [cfg.documents_dir]
        else:
            index = None
            sources = [cfg.documents_dir] if cfg.documents_dir.is_dir() else []
        if embedder is None:
            embedder = index.embedder if index else default_embedder()
        track_embedding(embedder, self.progress)
        embedder.encode_queries(["warm up"])
        n = len(loaders.discover(sources)) if sources else 0
        self.progress.set(f"Indexing {n} documents from {cfg.documents_dir}…" if n else "No documents to index yet.")
        index = qa_index.build_index(sources, cfg.index_dir, embedder=embedder, progress=True)
        for src, reason in index.last_report.failed if index.last_report else ():
            logger.warning("skipped %s: %s", src, reason)
        return index

    def _set_ready(self) -> None:
        word_vectors(self.require_index().embedder)  # the word table: loaded, or built once in the background (model warm)
        self.progress.ready = True
        self.progress.set(self.summary())

    def require_index(self) -> Index:
        if self.index is None:
            raise NotReady(self.progress.error or self.progress.message)
        return self.index

    def summary(self) -> str:
        if self.index is None:
            return self.progress.message
        docs = self.index.documents()
        busy = [s for s in self.desk.queue.statuses() if not s.finished]
        queued = f" · indexing {len(busy)} upload{'s' * (len(busy) != 1)}" if busy else ""
        if not docs:
            return "No documents yet: upload some in the Documents tab." + queued
        return f"{len(docs)} document{'s' * (len(docs) != 1)} · {len(self.index)} passages" + queued

    def status_markdown(self) -> str:
        if self.progress.ready:
            return f"<span class='qa-status'>Ready · {webui.md_text(self.summary())}</span>"
        if self.progress.error:
            return f"<span class='qa-status qa-error'>⚠ {webui.md_text(self.progress.message)}</span>"
        return f"<span class='qa-status qa-busy'>… {webui.md_text(self.progress.message)}</span>"

    def written_available(self) -> bool:
        """Whether written answers can be offered (their language model is installed or configured)."""
        return bool(written_mode_available())

    def examples(self) -> list[str]:
        """Example questions: about the sample articles when they are indexed (or, while the index is being
        prepared, present in the documents folder); else one per document title."""
        if self.index is None:
            folder = self.config.documents_dir
            names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
            return [q for name, qs in SAMPLE_EXAMPLES.items() if name in names for q in qs]
        docs = {webui.file_name(sd.document.source, sd.document.id): sd for sd in self.index.documents()}
        found = [q for name, qs in SAMPLE_EXAMPLES.items() if name in docs for q in qs]
        if found:
            return found
        return [f"What does “{webui.short(sd.document.title, 60)}” say?" for sd in list(docs.values())[:3]]

    # -------------------------------------------------------------------------------- answering
    def _stream(self, index: Index, question: str, history: list[dict[str, str]], mode: str, *, k: int,
                doc_ids: list[str] | None) -> Iterator[str | Answer]:
        """Partial answer texts, then the final Answer (``qa.answer.stream_answer``)."""
        fn = self._answer_stream or stream_answer
        text = ""
        # one snapshot for the whole answer: an upload or removal finishing meanwhile must not change the
        # documents the quotes are cut from (see qa.Index.pinned)
        for item in fn(index.pinned(), question, history=history, mode=mode, k=k, doc_ids=doc_ids):
            if isinstance(item, Answer):
                yield item
                return
            if isinstance(item, str):  # a bare piece of text
                text += item
            else:  # a Partial: the whole text so far
                text = str(getattr(item, "text", "") or "")
            yield text

    def ask(self, question: str, state: ChatState, mode: str = "quotes", k: float = 5,
            doc_ids: Sequence[str] | None = None) -> Iterator[ChatState]:
        """Answer ``question`` in the conversation ``state``, yielding the state as the answer streams in.
        Settings that are not allowed (``k`` outside 1-20, written mode without its model) are refused with a
        message in the chat."""
        question = (question or "").strip()
        if not question:
            return
        doc_ids = list(doc_ids) if doc_ids else None
        start = len(state.messages)
        pending = [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        state.messages = state.messages[:start] + pending
        yield state
        try:
            mode, k = check_mode(mode, self.written_available()), check_k(k)
            index = self.require_index()
            answer = None
            for item in self._stream(index, question, state.history(), mode, k=k, doc_ids=doc_ids):
                if isinstance(item, Answer):
                    answer = item
                    break
                state.messages = state.messages[:start] + [pending[0], {"role": "assistant",
                                                                        "content": webui.render_partial(item)}]
                yield state
            if answer is None:
                raise RuntimeError("the answering engine returned no answer")
        except NotReady as e:
            state.messages = state.messages[:start] + [pending[0], notice(f"… Not ready yet: {webui.md_text(str(e))}")]
            yield state
            return
        except (KeyError, ValueError) as e:
            msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            state.messages = state.messages[:start] + [pending[0], notice(f"⚠ {webui.md_text(msg)}")]
            yield state
            return
        except Exception as e:  # e.g. the language model of written answers failing: say so in the chat
            logger.exception("answering %r failed", question)
            note = f"⚠ Could not answer: {webui.md_text(f'{type(e).__name__}: {e}')}"
            state.messages = state.messages[:start] + [pending[0], notice(note)]
            yield state
            return
        msgs = webui.chat_messages(question, answer, cite_links(len(state.turns), answer))
        state.messages = state.messages[:start] + msgs
        state.turns.append(Turn(question, answer, start, len(msgs), int(k), doc_ids))
        yield state

    def chat_api(self, question: str, history: list[dict[str, Any]] | None = None, mode: str = "quotes",
                 k: int = 5, doc_ids: list[str] | None = None) -> dict[str, Any]:
        """``/chat``: the answer to ``question`` (with the conversation so far), as JSON-friendly data."""
        mode, k = check_mode(mode, self.written_available()), check_k(k)
        answer = self.require_index().ask(question, history=history or None, mode=mode, k=k, doc_ids=doc_ids or None)
        return webui.answer_payload(answer)

    def search_api(self, question: str, k: int = 5, doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """``/search``: the ``k`` passages that best match ``question``, best first."""
        return [h.to_dict() for h in self.require_index().search(question, check_k(k), doc_ids=doc_ids or None)]

    # -------------------------------------------------------------------------------- documents
    def documents_rows(self) -> list[list[Any]]:
        return webui.documents_rows(self.index.documents()) if self.index else []

    def document_choices(self) -> list[tuple[str, str]]:
        return webui.document_choices(self.index.documents()) if self.index else []

    def doc_id_for_row(self, row: Sequence[Any] | None) -> str | None:
        """The document shown in a row of the documents table (title, file, ...)."""
        if not row or len(row) < 2 or self.index is None:
            return None
        for sd in self.index.documents():
            d = sd.document
            if (d.title or d.id) == row[0] and webui.file_name(d.source, d.id) == row[1]:
                return d.id
        return None

    def upload(self, files: Sequence[Any] | None, on_progress: Callable[[int, int], None] | None = None,
               wait: float | None = None) -> str:
        """Check uploaded files (sanitised names, allowed types, capped sizes), queue them for the background
        writer and wait up to ``wait`` seconds (default ``config.upload_wait_seconds``) for them. Returns a
        Markdown report per file: added, refused and why, or still queued / indexing (then the Documents tab
        keeps showing where it is). Gradio's copy of every file is deleted, refused ones at once."""
        if not files:
            return "No file received."
        self.require_index()
        lines, received = [], []
        for f in files:
            original, path = upload_name_and_path(f)
            try:
                received.append(self.desk.receive(original, path, self.config.max_upload_bytes))
            except webui.UploadRejected as e:
                name = str(e).split(":", 1)[0]
                self.desk.queue.report(name, "refused", str(e).split(": ", 1)[-1])
                lines.append(f"✗ {webui.md_text(str(e))}")
        if received:
            done = self.desk.queue.submit(received, prepare=self.desk.into_place, progress=on_progress)
            done.wait(self.config.upload_wait_seconds if wait is None else wait)
            lines.extend(self._status_lines([p.name for p in received]))
        return "\n\n".join(lines)

    @property
    def desk(self) -> UploadDesk:
        """The upload queue (created at first use: its worker thread is the only writer of uploads)."""
        with self._desk_lock:
            if self._desk is None:
                self._desk = UploadDesk(self.config.upload_dir, self._index_files)
            return self._desk

    def _index_files(self, paths: list[Path], step: Callable[[int, int], None]) -> IndexReport:
        """The writer's job (in the queue's thread): index ``paths`` under the write lock."""
        index = self.require_index()
        with self._write_lock:
            self.progress.listener = step
            try:
                report = index.update(paths, prune=False)
            finally:
                self.progress.listener = None
        self.progress.set(self.summary())
        return report

    def _status_lines(self, names: list[str]) -> list[str]:
        passages = {sd.document.id: sd.n_passages for sd in self.index.documents()} if self.index else {}
        return status_lines(self.desk.queue.statuses(), names, passages)

    def uploads_markdown(self) -> str:
        """Where each recent upload is (queued / indexing x of y / done / refused: why), for the Documents tab."""
        return statuses_markdown(self.desk.queue.statuses())

    def recover_uploads(self) -> int:
        """Queue the uploads a crash left unindexed (``.incoming`` and files of ``uploads/`` the index lacks);
        each ends indexed or refused (and deleted) with its reason in the Documents tab. Returns how many."""
        index = self.require_index()
        sources = {str(Path(sd.document.source).resolve()) for sd in index.documents() if sd.document.source}
        found = self.desk.leftovers(sources)
        if found:
            logger.info("indexing %d upload(s) left unindexed by the last run", len(found))
            self.desk.queue.submit(found, prepare=self.desk.into_place)
        return len(found)

    def remove(self, doc_id: str | None) -> str:
        if not doc_id:
            return "Pick a document to remove."
        index = self.require_index()
        try:
            doc = index.document(doc_id)
        except KeyError:
            return "That document is not in the index (any more)."
        with self._write_lock:
            try:
                index.remove([doc_id])
            except KeyError:  # removed meanwhile (a second click, another session)
                return "That document is not in the index (any more)."
            if doc.source and webui.inside(self.config.upload_dir, Path(doc.source)):
                Path(doc.source).unlink(missing_ok=True)  # our copy of an upload; never a file of the person's folder
        self.progress.set(self.summary())
        name = webui.md_text(webui.file_name(doc.source, doc_id))
        return f"Removed **{webui.md_text(doc.title or doc_id)}** ({name})."

    def rescan(self, on_progress: Callable[[int, int], None] | None = None) -> str:
        """Index new and changed files of the documents folder (and drop the ones deleted from it)."""
        index = self.require_index()
        if not self.config.documents_dir.is_dir():
            return f"✗ The documents folder {webui.md_text(str(self.config.documents_dir))} does not exist."
        with self._write_lock:
            self.progress.listener = on_progress
            try:
                r = index.update([self.config.documents_dir])
            finally:
                self.progress.listener = None
        self.progress.set(self.summary())
        return f"{webui.md_text(str(self.config.documents_dir))}: {webui.md_text(r.summary())}"


def notice(text: str) -> dict[str, Any]:
    """A chat message from the app itself (not an answer)."""
    return {"role": "assistant", "content": text}
