"""The chat's collections and saved chats at run time: which index each collection has open, its upload desk,
which collection each browser session works in, and the chats of each user. Mixed into
``qa.web.controller.ChatApp``; the records live in the app state (``qa.web.appstate``: an SQLite file beside the
index folder, or records in the Milvus store every replica shares), which this module never tells apart. No Gradio
here.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..index import Index, IndexReport, build_index, load_index, resolve_store
from ..types import Answer
from . import render as webui
from .appdb import DEFAULT_COLLECTION
from .appstate import STATE_ERRORS, AppState, ChatRecords, CollectionRecords
from .chats import check_title
from .cite import cite_links
from .collections import COLLECTIONS_FOLDER, Collection
from .config import AppConfig
from .state import ChatState, Turn
from .uploads import UploadDesk

logger = logging.getLogger("qa.app")

MAX_SESSIONS = 4096  # browser sessions whose collection is remembered (the least recently seen forgotten)
MISSING_OR_FAILED: tuple[type[Exception], ...] = (KeyError, *STATE_ERRORS)  # gone, or the state is unreachable
REFUSED: tuple[type[Exception], ...] = (*MISSING_OR_FAILED, ValueError)  # ... or a bad name or title
DELETED = "This chat's collection “{name}” was deleted: its quotes stay readable here; start a new chat to ask more."


class LibraryMixin:
    """Collections and saved chats for ``ChatApp`` (which sets the attributes below in its ``__init__``)."""

    config: AppConfig
    index: Index | None
    appstate: AppState
    collections: CollectionRecords
    chats: ChatRecords
    _indexes: dict[str, Index]
    _desks: dict[str, UploadDesk]
    _open_lock: threading.Lock
    _sessions: OrderedDict[str, str]

    if TYPE_CHECKING:  # provided by ChatApp
        def require_index(self) -> Index: ...
        def _index_files(self, collection_id: str, paths: list[Path], step: Callable[[int, int], None]) -> IndexReport: ...

    # -------------------------------------------------------------------------------- collections
    def collection(self, collection_id: str | None) -> Collection:
        """The collection (KeyError once it is deleted, here or by another app sharing the state, and while the
        state cannot be read)."""
        try:
            return self.collections.get(collection_id or DEFAULT_COLLECTION)
        except STATE_ERRORS as e:
            logger.warning("could not read the collection %r: %s", collection_id, e)
            raise KeyError(f"Could not read the collection now ({e}).") from None

    def collection_choices(self) -> list[tuple[str, str]]:
        """The Collection picker's list, read afresh (another replica may have created or renamed one)."""
        try:
            return [(c.name, c.id) for c in self.collections.list()]
        except STATE_ERRORS as e:  # the page still shows the default collection
            logger.warning("could not list the collections: %s", e)
            return [(DEFAULT_COLLECTION, DEFAULT_COLLECTION)]

    def index_of(self, collection_id: str | None) -> Index:
        """The open index of a collection (opened, or made empty, at first use; the default one is
        ``require_index()``). NotReady before the default collection is open; KeyError for a deleted one (its
        index, if this app had it open, is closed then)."""
        collection_id = collection_id or DEFAULT_COLLECTION
        if collection_id == DEFAULT_COLLECTION:
            return self.require_index()
        try:
            collection = self.collections.get(collection_id)
        except KeyError:
            self._forget(collection_id)
            raise
        except STATE_ERRORS as e:  # not known to be gone: its index stays open
            raise KeyError(f"Could not read the collection now ({e}).") from None
        found = self._indexes.get(collection_id)
        if found is not None:
            return found
        embedder = self.require_index().embedder  # every collection is read with the app's one model
        with self._open_lock:
            found = self._indexes.get(collection_id)
            if found is None:
                where = self.collections.store_uri(collection)  # a folder, or a Milvus URI
                store = resolve_store(where, where)
                found = (load_index(where, embedder=embedder, store=store) if store.read_manifest(missing_ok=True)
                         else build_index([], where, embedder=embedder, store=store))
                self._indexes[collection_id] = found
                opened = True
            else:
                opened = False
        if opened:
            self._recover(collection_id)
        return found

    def _forget(self, collection_id: str) -> None:
        """Close a deleted collection's index and drop its upload desk (a no-op when it was not open)."""
        with self._open_lock:
            index = self._indexes.pop(collection_id, None)
            self._desks.pop(collection_id, None)
        if index is not None:
            index.store.close()

    def upload_dir_of(self, collection: Collection) -> Path:
        """Where a collection's uploads are kept (``uploads/`` for the default one, ``uploads/collections/<folder>``)."""
        if collection.is_default:
            return self.config.upload_dir
        return self.config.upload_dir / COLLECTIONS_FOLDER / collection.folder

    def desk_of(self, collection_id: str | None) -> UploadDesk:
        """The collection's upload queue (created at first use: its worker thread is the collection's only writer
        of uploads)."""
        collection_id = collection_id or DEFAULT_COLLECTION
        with self._open_lock:
            desk = self._desks.get(collection_id)
            if desk is None:
                folder = self.upload_dir_of(self.collection(collection_id))
                desk = self._desks[collection_id] = UploadDesk(
                    folder, lambda paths, step: self._index_files(collection_id, paths, step))
            return desk

    def _recover(self, collection_id: str) -> int:
        """Queue the uploads a crash left unindexed in this collection; returns how many."""
        index = self.index_of(collection_id)
        desk = self.desk_of(collection_id)
        sources = {str(Path(sd.document.source).resolve()) for sd in index.documents() if sd.document.source}
        found = desk.leftovers(sources)
        if found:
            logger.info("indexing %d upload(s) left unindexed by the last run", len(found))
            desk.queue.submit(found, prepare=desk.into_place)
        return len(found)

    def create_collection(self, name: str | None) -> tuple[str | None, str]:
        """(the new collection's id, or None, and the message to show)."""
        try:
            c = self.collections.create(name or "")
        except ValueError as e:  # a bad or taken name; the state's DatabaseError is one too
            return None, f"✗ {webui.md_text(str(e))}"
        return c.id, f"✓ Created the collection **{webui.md_text(c.name)}**: add documents to it in the Documents tab."

    def rename_collection(self, collection_id: str | None, name: str | None) -> str:
        try:
            old = self.collection(collection_id)
            new = self.collections.rename(old.id, name or "")
        except (KeyError, ValueError) as e:
            return f"✗ {webui.md_text(e.args[0] if e.args else str(e))}"
        return f"✓ Renamed **{webui.md_text(old.name)}** to **{webui.md_text(new.name)}**."

    def delete_collection(self, collection_id: str | None) -> str:
        """Delete a collection, its index and its uploads (not while it is indexing); its chats stay readable.
        The default collection is refused. (Another app sharing the state closes its index at its next use.)"""
        try:
            collection = self.collection(collection_id)
            if not collection.is_default and collection.id in self._desks and self._desks[collection.id].queue.busy():
                return f"✗ “{webui.md_text(collection.name)}” is still indexing uploads: delete it when they are done."
            self._forget(collection.id)  # closed before its index is deleted
            self.collections.delete(collection.id)
        except (KeyError, ValueError) as e:
            return f"✗ {webui.md_text(e.args[0] if e.args else str(e))}"
        uploads = self.upload_dir_of(collection)
        if webui.inside(self.config.upload_dir / COLLECTIONS_FOLDER, uploads):
            import shutil

            shutil.rmtree(uploads, ignore_errors=True)
        return (f"✓ Deleted the collection **{webui.md_text(collection.name)}** and its index; its chats keep "
                "their quotes as text.")

    def browser_secret(self) -> str:
        """The key the browser's saved state (which chat was open) is encrypted with: made once, kept in the app
        state, so a restart (or, on a shared store, any replica) still reopens each browser's chat."""
        import secrets

        return self.appstate.meta("browser_secret", lambda: secrets.token_urlsafe(24))

    # -------------------------------------------------------------------------------- sessions
    def bind(self, session: str | None, collection_id: str | None) -> None:
        """Remember the collection a browser session works in (uploads and removals go there)."""
        if session:
            self._sessions[session] = collection_id or DEFAULT_COLLECTION
            self._sessions.move_to_end(session)
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)

    def session_collection(self, session: str | None) -> str:
        """The collection a session works in (the default one when unknown or deleted)."""
        cid = self._sessions.get(session or "", DEFAULT_COLLECTION)
        if cid != DEFAULT_COLLECTION:
            try:
                self.collection(cid)
            except KeyError:
                return DEFAULT_COLLECTION
        return cid

    # -------------------------------------------------------------------------------- saved chats
    def chat_choices(self, owner: str) -> list[tuple[str, str]]:
        """The sidebar's list: (title · collection, chat id), the most recent first (read afresh: another replica
        may have saved, renamed or deleted one)."""
        try:
            chats = self.chats.list(owner)
        except STATE_ERRORS as e:
            logger.warning("could not list the saved chats: %s", e)
            return []
        return [(f"{webui.short(c.title, 48)} · {webui.short(c.collection_name, 20)}", c.id) for c in chats]

    def new_chat(self, owner: str, collection_id: str | None) -> ChatState:
        try:
            cid = self.collection(collection_id).id
        except KeyError:
            cid = DEFAULT_COLLECTION
        return ChatState(collection=cid, owner=owner)

    def open_chat(self, chat_id: str | None, owner: str) -> ChatState:
        """The saved chat as a conversation to go on with (KeyError when ``owner`` has no such chat, or when the
        state cannot be read now)."""
        try:
            saved = self.chats.get(chat_id, owner)
        except STATE_ERRORS as e:
            logger.warning("could not open the chat %r: %s", chat_id, e)
            raise KeyError(f"Could not open the chat now ({e}).") from None
        state = ChatState(collection=saved.info.collection_id, chat_id=saved.info.id, owner=owner,
                          title=saved.info.title)
        for t in saved.turns:
            msgs = webui.chat_messages(t.question, t.answer, cite_links(len(state.turns), t.answer))
            state.turns.append(Turn(t.question, t.answer, len(state.messages), len(msgs), t.k, t.doc_ids))
            state.messages = state.messages + msgs
        if saved.info.collection_id is None:
            state.gone_collection = saved.info.collection_name
            state.messages = [*state.messages,
                              {"role": "assistant", "content": webui.md_text(DELETED.format(name=state.gone_collection))}]
        return state

    def save_turn(self, state: ChatState, question: str, answer: Answer, *, k: int,
                  doc_ids: list[str] | None) -> None:
        """Write a finished turn to the chat's record (the chat is created at its first answer). A failure of the
        app state is logged; the conversation goes on unsaved."""
        try:
            collection = self.collection(state.collection)
            if state.chat_id is not None:
                try:
                    self.chats.add_turn(state.chat_id, state.owner, question, answer, k=k, doc_ids=doc_ids)
                    return
                except KeyError:  # deleted meanwhile (another tab): what follows is saved as a new chat
                    state.chat_id = None
            info = self.chats.create(state.owner, collection, state.turns[0].question if state.turns else question)
            state.chat_id, state.title = info.id, info.title
            self.chats.add_turn(info.id, state.owner, question, answer, k=k, doc_ids=doc_ids)
        except MISSING_OR_FAILED as e:
            logger.warning("could not save the chat turn %r: %s", question, e)

    def rename_chat(self, state: ChatState, title: str | None) -> str:
        if state.chat_id is None:
            return "✗ Ask a question first: a chat is saved with its first answer."
        try:
            info = self.chats.rename(state.chat_id, state.owner, title or "")
        except REFUSED as e:
            return f"✗ {webui.md_text(e.args[0] if e.args else str(e))}"
        state.title = info.title
        return f"✓ Renamed to **{webui.md_text(info.title)}**."

    def delete_chat(self, state: ChatState) -> str:
        if state.chat_id is None:
            return "✗ This chat is not saved (it has no answer yet)."
        try:
            info = self.chats.delete(state.chat_id, state.owner)
        except MISSING_OR_FAILED as e:
            return f"✗ {webui.md_text(e.args[0] if e.args else str(e))}"
        return f"✓ Deleted the chat **{webui.md_text(info.title)}**."

    def export_chat(self, state: ChatState) -> tuple[str, str]:
        """(file name, Markdown) of the open chat; ("", message) when there is nothing to export."""
        if state.chat_id is None:
            return "", "Ask a question first: a chat is saved with its first answer."
        try:
            return self.chats.export_markdown(state.chat_id, state.owner)
        except MISSING_OR_FAILED as e:
            return "", str(e.args[0] if e.args else e)

    @staticmethod
    def title_or_default(state: ChatState) -> str:
        try:
            return check_title(state.title)
        except ValueError:
            return "New chat"


__all__ = ["DELETED", "LibraryMixin"]
