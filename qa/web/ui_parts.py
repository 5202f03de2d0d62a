"""What the Gradio wiring modules (``qa.web.ui``, ``qa.web.ui_sidebar``) share: the page's components and the
values that show one chat in one collection. Behaviour stays in ``qa.web.controller``."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import gradio as gr

from . import render as webui
from .appdb import DEFAULT_COLLECTION
from .controller import ChatApp
from .state import ChatState, NotReady

T = TypeVar("T")
NO_CHATS = "None yet: a chat is saved with its first answer."
SOME_CHATS = "The most recent first; pick one to go on with it."


@dataclass
class Components:
    """The page's components that events read or update (filled in as the layout is built)."""

    state: Any = None  # gr.State(ChatState): this browser session's conversation
    open_chat: Any = None  # gr.BrowserState {"chat": id, "collection": id}: reopened after a reload
    status: Any = None
    chatbot: Any = None
    question: Any = None
    ask_btn: Any = None
    new_btn: Any = None
    fb_group: Any = None
    fb_title: Any = None
    fb_choice: Any = None
    fb_comment: Any = None
    fb_save: Any = None
    fb_cancel: Any = None
    fb_status: Any = None
    drawer_open: Any = None  # small screens: the reader and documents are a drawer
    drawer_close: Any = None
    tabs: Any = None
    bridge: Any = None  # hidden: turns a click on a [n] in the chat into opening its quote
    reader: Any = None
    docs_table: Any = None
    upload: Any = None
    upload_status: Any = None
    progress: Any = None  # the one progress bar of the index writer
    uploads: Any = None  # where each upload is (queued / indexing / done / refused)
    doc_pick: Any = None
    open_btn: Any = None
    summarize_btn: Any = None  # asks the chat to summarize the picked document (qa.answer.broad) ...
    summarize_all_btn: Any = None  # ... or the whole collection
    remove_btn: Any = None  # asks first ...
    remove_confirm: Any = None
    remove_confirm_text: Any = None
    remove_yes: Any = None  # ... this one removes
    remove_no: Any = None
    rescan_btn: Any = None
    mode: Any = None
    k: Any = None
    only: Any = None
    timer: Any = None
    ingest_timer: Any = None  # refreshes the documents, the bar and the status while the writer has work
    # the sidebar: collections and saved chats
    collection: Any = None
    coll_name: Any = None
    coll_create: Any = None
    coll_rename: Any = None
    coll_delete: Any = None
    coll_confirm: Any = None
    coll_confirm_text: Any = None
    coll_delete_yes: Any = None
    coll_delete_no: Any = None
    coll_status: Any = None
    chats: Any = None
    chat_title: Any = None
    chat_rename: Any = None
    chat_export: Any = None
    chat_delete: Any = None
    chat_confirm: Any = None
    chat_confirm_text: Any = None
    chat_delete_yes: Any = None
    chat_delete_no: Any = None
    chat_status: Any = None
    export_md: Any = None
    export_name: Any = None

    def doc_outputs(self) -> list[Any]:
        return [self.docs_table, self.doc_pick, self.only, self.status]

    def view_outputs(self) -> list[Any]:
        """Everything that shows one chat in one collection (see :func:`view`)."""
        return [self.state, self.chatbot, self.chats, self.chat_title, self.open_chat, self.collection, self.fb_group,
                self.fb_status, *self.doc_outputs(), self.uploads, self.progress]


def owner_of(request: Any) -> str:
    """The logged-in user (QA_AUTH), '' without a login."""
    return str(getattr(request, "username", None) or "")


def session_of(request: Any) -> str | None:
    return getattr(request, "session_hash", None)


def not_ready_text(e: NotReady) -> str:
    return f"… Not ready yet: {webui.md_text(str(e))}"


def message_or_not_ready(action: Callable[[], str]) -> str:
    """The Markdown message of a documents action, or why it cannot run yet."""
    try:
        return action()
    except NotReady as e:
        return not_ready_text(e)
    except KeyError as e:
        return f"✗ {webui.md_text(e.args[0] if e.args else str(e))}"


def api_call(action: Callable[[], T]) -> T:
    """Run an API request; "not ready" and bad input become Gradio errors the client sees."""
    try:
        return action()
    except NotReady as e:
        raise gr.Error(f"Not ready yet: {e}") from None
    except (KeyError, ValueError) as e:
        raise gr.Error(e.args[0] if e.args else str(e)) from None


def refreshed(app: ChatApp, collection: str | None, keep_picks: bool = False) -> tuple[Any, ...]:
    """New values for the documents table, the two document pickers and the status line of ``collection``
    (``keep_picks``: the pickers keep what is picked, e.g. on a timer's tick)."""
    choices = app.document_choices(collection)
    if keep_picks:
        return (app.documents_rows(collection), gr.update(choices=choices), gr.update(choices=choices),
                app.status_markdown(collection))
    return (app.documents_rows(collection), gr.update(choices=choices, value=None), gr.update(choices=choices, value=[]),
            app.status_markdown(collection))


def chats_update(app: ChatApp, st: ChatState) -> Any:
    """The saved chats list of the session's user, the open chat selected."""
    choices = app.chat_choices(st.owner)
    return gr.update(choices=choices, value=st.chat_id, info=SOME_CHATS if choices else NO_CHATS)


def remembered(st: ChatState) -> dict[str, Any]:
    """What the browser keeps (gr.BrowserState) to reopen after a reload: the chat and its collection."""
    return {"chat": st.chat_id, "collection": st.collection}


def view(app: ChatApp, st: ChatState, session: str | None) -> tuple[Any, ...]:
    """Show the conversation ``st`` (and its collection's documents) in this session; the order of
    :meth:`Components.view_outputs`."""
    collection = st.collection or DEFAULT_COLLECTION
    app.bind(session, collection)
    examples = [{"text": q} for q in app.examples(collection)] if not st.messages else []
    return (st, gr.update(value=st.messages, examples=examples or None),
            chats_update(app, st), st.title, remembered(st),
            gr.update(choices=app.collection_choices(), value=collection), gr.update(visible=False), "",
            *refreshed(app, collection), app.uploads_markdown(collection), app.progress_html())


__all__ = ["NO_CHATS", "Components", "api_call", "chats_update", "message_or_not_ready", "not_ready_text", "owner_of", "refreshed", "remembered",
           "session_of", "view"]
