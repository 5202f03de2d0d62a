"""The web chat's behaviour, without any Gradio: every UI event (``qa.web.ui``) calls a ``ChatApp`` method.

Give it a ready index (tests), or let :meth:`ChatApp.prepare` open or build the one in the configured folder.
That index is the default collection; the others open at first use, and every chat is saved, in the app state
(``qa.web.appstate``: an SQLite file beside the index folder, or records in the Milvus store), see ``qa.web.library``.
"""
from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .. import index as qa_index
from ..answer.pipeline import stream_answer
from ..answer.pipeline import written_available as written_mode_available
from ..embed.base import Embedder
from ..embed.registry import default_embedder
from ..embed.words import word_vectors
from ..index import Index
from ..ingest import loaders
from ..ingest.loaders.limits import set_limits
from ..types import Answer
from . import render as webui
from .activity import Activity, progress_html
from .appdb import DEFAULT_COLLECTION
from .appstate import open_app_state
from .cite import cite_links
from .config import AppConfig
from .conversation import ConversationMixin
from .documents import DocumentsMixin
from .library import DELETED, LibraryMixin
from .settings import check_k, check_mode
from .state import ChatState, NotReady, Progress, Turn
from .uploads import UploadDesk

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


class ChatApp(DocumentsMixin, ConversationMixin, LibraryMixin):
    """The app's behaviour, without any Gradio: every UI event calls one of these methods.

    Give it a ready ``index`` (tests), or call :meth:`prepare` to open or build the one in
    ``config.index_dir`` from ``config.documents_dir`` (the app does so in a background thread).
    Methods about documents take the ``collection`` (id) they work on: the default one when None."""

    def __init__(self, config: AppConfig, index: Index | None = None,
                 answer_stream: Callable[..., Iterator[Any]] | None = None) -> None:
        self.config = config
        self.progress = Progress()
        self.activity = Activity()
        self.index = index
        self._answer_stream = answer_stream
        self._write_lock = threading.Lock()
        self.appstate = open_app_state(config)  # collections, saved chats: SQLite, or Milvus beside a shared store
        self.collections = self.appstate.collections
        self.chats = self.appstate.chats
        self._indexes: dict[str, Index] = {}
        self._desks: dict[str, UploadDesk] = {}
        self._open_lock = threading.Lock()
        self._sessions: OrderedDict[str, str] = OrderedDict()
        set_limits(config.limits)
        if index is not None:
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
            where = self.config.store_uri if self.config.shared else f"the index in {self.config.index_dir}"
            self.progress.set(f"Could not open {where}: {e}")
        finally:
            self.activity.finish()

    def _open_or_build(self, embedder: Embedder | None) -> Index:
        cfg = self.config
        self.progress.set("Loading the embedding model…")
        # the index folder, or the Milvus store every replica shares (opened by its URI, never QA_STORE_URI behind
        # the config's back)
        store = qa_index.resolve_store(cfg.index_dir, cfg.store_uri)
        if store.read_manifest(missing_ok=True):
            index = qa_index.load_index(cfg.index_dir, embedder=embedder, store=store)
            index.embedder.encode_queries(["warm up"])
            if index.documents() or not cfg.documents_dir.is_dir():
                return index
            sources: list[Path] = [cfg.documents_dir]
        else:
            index = None
            sources = [cfg.documents_dir] if cfg.documents_dir.is_dir() else []
        if embedder is None:
            embedder = index.embedder if index else default_embedder()
        embedder.encode_queries(["warm up"])
        n = len(loaders.discover(sources)) if sources else 0
        self.progress.set(f"Indexing {n} documents from {cfg.documents_dir}…" if n else "No documents to index yet.")
        self.activity.start(self.collection(DEFAULT_COLLECTION).name, f"{n} documents from {cfg.documents_dir.name}/")
        index = qa_index.build_index(sources, cfg.index_dir, embedder=embedder, progress=True,
                                     on_progress=self.activity.step, store=store)
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

    def summary(self, collection: str | None = None) -> str:
        """The collection's documents and passages (the default collection: while it opens, what it does)."""
        if self.index is None:
            return self.progress.message
        try:
            index, name = self.index_of(collection), self.collection(collection).name
        except KeyError:
            index, name = self.require_index(), self.collection(None).name
        docs = index.documents()
        where = f"“{name}” · " if (collection or DEFAULT_COLLECTION) != DEFAULT_COLLECTION else ""
        desk = self._desks.get(collection or DEFAULT_COLLECTION)
        busy = [s for s in desk.queue.statuses() if not s.finished] if desk else []
        queued = f" · indexing {len(busy)} upload{'s' * (len(busy) != 1)}" if busy else ""
        if not docs:
            return where + "No documents yet: upload some in the Documents tab." + queued
        return where + f"{len(docs)} document{'s' * (len(docs) != 1)} · {len(index)} passages" + queued

    def status_markdown(self, collection: str | None = None) -> str:
        """The header's status: busy while the index writer works (whichever collection), else Ready."""
        job = self.activity.job
        if job is not None:
            return f"<span class='qa-status qa-busy' role='status'>… {webui.md_text(job.label())}</span>"
        if self.progress.ready:
            return f"<span class='qa-status'>Ready · {webui.md_text(self.summary(collection))}</span>"
        if self.progress.error:
            return f"<span class='qa-status qa-error'>⚠ {webui.md_text(self.progress.message)}</span>"
        return f"<span class='qa-status qa-busy'>… {webui.md_text(self.progress.message)}</span>"

    def progress_html(self) -> str:
        """The one progress bar of the index writer ("" when it is idle)."""
        return progress_html(self.activity.job)

    def busy(self) -> bool:
        """Whether the index writer has work (a job now, or uploads queued in any collection)."""
        return self.activity.job is not None or any(d.queue.busy() for d in list(self._desks.values()))

    def written_available(self) -> bool:
        """Whether written answers can be offered (their language model is installed or configured)."""
        return bool(written_mode_available())

    def summary_question(self, doc_id: str | None, collection: str | None = None) -> str:
        """The question the Documents tab's Summarize buttons ask: the picked document named by its title
        (``qa.answer.broad`` resolves it and quotes only that document), or the whole collection."""
        if not doc_id:
            return "Give me an overview of all the documents."
        try:
            title = self.index_of(collection).document(doc_id).title
        except KeyError:
            title = ""
        return f"Summarize “{webui.short(title, 190)}”." if title else f"Summarize {doc_id}."

    def examples(self, collection: str | None = None) -> list[str]:
        """Example questions: about the sample articles when they are indexed (or, while the index is being
        prepared, present in the documents folder); else one per document title."""
        if self.index is None:
            folder = self.config.documents_dir
            names = {p.name for p in folder.iterdir()} if folder.is_dir() else set()
            return [q for name, qs in SAMPLE_EXAMPLES.items() if name in names for q in qs]
        try:
            index = self.index_of(collection)
        except KeyError:
            return []
        docs = {webui.file_name(sd.document.source, sd.document.id): sd for sd in index.documents()}
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
            if state.collection is None:
                raise ValueError(DELETED.format(name=state.gone_collection))
            index = self.index_of(state.collection)
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
        self.save_turn(state, question, answer, k=int(k), doc_ids=doc_ids)
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


def notice(text: str) -> dict[str, Any]:
    """A chat message from the app itself (not an answer)."""
    return {"role": "assistant", "content": text}
