"""The sidebar (Gradio wiring): the collection a chat asks (pick, create, rename, delete with confirmation) and
the saved chats of the logged-in user (open, rename, export as Markdown, delete with confirmation). Behaviour is
``ChatApp``'s (``qa.web.library``); shared parts in ``qa.web.ui_parts``."""
from __future__ import annotations

from typing import Any

import gradio as gr

from . import render as webui
from .appdb import DEFAULT_COLLECTION
from .controller import ChatApp
from .scripts import DOWNLOAD_MARKDOWN
from .state import ChatState
from .ui_parts import NO_CHATS, Components, chats_update, owner_of, session_of, view

PRIVATE: dict[str, Any] = {"api_visibility": "private"}


def sidebar(app: ChatApp, c: Components) -> None:
    """The sidebar's layout (open on wide screens; closed, as a drawer of its own, on phones)."""
    with gr.Sidebar(label="Chats and collections", open=True, width=300, elem_id="qa-sidebar"):
        gr.Markdown("### Collection")
        c.collection = gr.Dropdown(app.collection_choices(), value=DEFAULT_COLLECTION, label="Collection",
                                   info="What this chat asks; uploads go there too", elem_id="qa-collection")
        with gr.Accordion("Manage collections", open=False, elem_id="qa-collections-manage"):
            c.coll_name = gr.Textbox(label="Collection name", placeholder="e.g. Work notes", max_lines=1,
                                     elem_id="qa-collection-name")
            with gr.Row():
                c.coll_create = gr.Button("Create", size="sm", elem_id="qa-collection-create")
                c.coll_rename = gr.Button("Rename this one", size="sm", elem_id="qa-collection-rename")
            c.coll_delete = gr.Button("Delete this one…", size="sm", variant="stop", elem_id="qa-collection-delete")
            with gr.Group(visible=False, elem_classes="qa-confirm") as c.coll_confirm:
                c.coll_confirm_text = gr.Markdown(elem_id="qa-collection-confirm")
                with gr.Row():
                    c.coll_delete_yes = gr.Button("Delete it", size="sm", variant="stop",
                                                  elem_id="qa-collection-delete-yes")
                    c.coll_delete_no = gr.Button("Keep it", size="sm", elem_id="qa-collection-delete-no")
            c.coll_status = gr.Markdown(elem_id="qa-collection-status")
        gr.Markdown("### Saved chats")
        # filled when the page loads: a user's chat titles are never in the page's shared configuration
        c.chats = gr.Radio([], value=None, label="Saved chats", info=NO_CHATS,
                           elem_id="qa-chats")
        with gr.Accordion("This chat", open=False, elem_id="qa-chat-manage"):
            c.chat_title = gr.Textbox(label="Chat title", max_lines=1, elem_id="qa-chat-title")
            with gr.Row():
                c.chat_rename = gr.Button("Rename", size="sm", elem_id="qa-chat-rename")
                c.chat_export = gr.Button("Export Markdown", size="sm", elem_id="qa-chat-export")
            c.chat_delete = gr.Button("Delete this chat…", size="sm", variant="stop", elem_id="qa-chat-delete")
            with gr.Group(visible=False, elem_classes="qa-confirm") as c.chat_confirm:
                c.chat_confirm_text = gr.Markdown(elem_id="qa-chat-confirm")
                with gr.Row():
                    c.chat_delete_yes = gr.Button("Delete it", size="sm", variant="stop", elem_id="qa-chat-delete-yes")
                    c.chat_delete_no = gr.Button("Keep it", size="sm", elem_id="qa-chat-delete-no")
            c.chat_status = gr.Markdown(elem_id="qa-chat-status")
            c.export_md = gr.Textbox(visible="hidden", label="Exported chat", elem_id="qa-export-md")
            c.export_name = gr.Textbox(visible="hidden", label="Export file name", elem_id="qa-export-name")


def wire_sidebar(app: ChatApp, c: Components) -> None:
    _wire_collections(app, c)
    _wire_chats(app, c)


def _wire_collections(app: ChatApp, c: Components) -> None:
    views = c.view_outputs()

    def switch(cid: str | None, st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        """Another collection: a new chat asks it (a chat keeps the collection it was asked in)."""
        owner = owner_of(request)
        fresh = st if not st.turns and st.collection == cid else app.new_chat(owner, cid)
        fresh.owner = owner
        return view(app, fresh, session_of(request))

    c.collection.input(switch, [c.collection, c.state], views, **PRIVATE)

    def create(name: str, st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        cid, message = app.create_collection(name)
        if cid is None:
            return (*view(app, st, session_of(request)), message, gr.update())
        return (*view(app, app.new_chat(owner_of(request), cid), session_of(request)), message, "")

    c.coll_create.click(create, [c.coll_name, c.state], [*views, c.coll_status, c.coll_name], **PRIVATE)
    c.coll_name.submit(create, [c.coll_name, c.state], [*views, c.coll_status, c.coll_name], **PRIVATE)

    def rename(name: str, st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        st.owner = owner_of(request)
        message = app.rename_collection(st.collection, name)
        done = message.startswith("✓")
        return (message, gr.update(choices=app.collection_choices(), value=st.collection or DEFAULT_COLLECTION),
                chats_update(app, st), app.status_markdown(st.collection), "" if done else gr.update())

    c.coll_rename.click(rename, [c.coll_name, c.state], [c.coll_status, c.collection, c.chats, c.status, c.coll_name],
                        **PRIVATE)

    def ask_delete(st: ChatState) -> tuple[Any, ...]:
        try:
            collection = app.collection(st.collection)
        except KeyError:
            return gr.update(visible=False), "", "✗ That collection no longer exists."
        if collection.is_default:
            return (gr.update(visible=False), "", f"✗ “{webui.md_text(collection.name)}” is the default collection "
                    "(the documents folder's index): it cannot be deleted. Remove its documents instead.")
        n = len(app.document_choices(collection.id))
        return (gr.update(visible=True), f"Delete **{webui.md_text(collection.name)}**, its index and its "
                f"{n} document{'s' * (n != 1)}? Its chats keep their quotes as text. This cannot be undone.", "")

    c.coll_delete.click(ask_delete, c.state, [c.coll_confirm, c.coll_confirm_text, c.coll_status], **PRIVATE)

    def delete(st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        message = app.delete_collection(st.collection)
        if not message.startswith("✓"):
            return (*view(app, st, session_of(request)), gr.update(visible=False), message)
        return (*view(app, app.new_chat(owner_of(request), DEFAULT_COLLECTION), session_of(request)),
                gr.update(visible=False), message)

    c.coll_delete_yes.click(delete, c.state, [*views, c.coll_confirm, c.coll_status], **PRIVATE)
    c.coll_delete_no.click(lambda: (gr.update(visible=False), ""), None, [c.coll_confirm, c.coll_status], **PRIVATE)


def _wire_chats(app: ChatApp, c: Components) -> None:
    views = c.view_outputs()

    def open_saved(chat_id: str | None, st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        try:
            opened = app.open_chat(chat_id, owner_of(request))
        except KeyError as e:
            return (*view(app, st, session_of(request)), f"✗ {webui.md_text(e.args[0])}")
        return (*view(app, opened, session_of(request)), "")

    c.chats.input(open_saved, [c.chats, c.state], [*views, c.chat_status], **PRIVATE)

    def rename(title: str, st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        st.owner = owner_of(request)
        message = app.rename_chat(st, title)
        return message, chats_update(app, st)

    c.chat_rename.click(rename, [c.chat_title, c.state], [c.chat_status, c.chats], **PRIVATE)
    c.chat_title.submit(rename, [c.chat_title, c.state], [c.chat_status, c.chats], **PRIVATE)

    def export(st: ChatState, request: gr.Request) -> tuple[str, str, str]:
        st.owner = owner_of(request)
        name, text = app.export_chat(st)
        if not name:
            return "", "", f"✗ {webui.md_text(text)}"
        return text, name, f"✓ Exported as <code>{webui.md_text(name)}</code>."

    c.chat_export.click(export, c.state, [c.export_md, c.export_name, c.chat_status], **PRIVATE).then(
        None, [c.export_md, c.export_name], None, js=DOWNLOAD_MARKDOWN, **PRIVATE)

    def ask_delete(st: ChatState) -> tuple[Any, ...]:
        if st.chat_id is None:
            return gr.update(visible=False), "", "✗ This chat is not saved (it has no answer yet)."
        return (gr.update(visible=True), f"Delete the chat **{webui.md_text(app.title_or_default(st))}** and its "
                f"{len(st.turns)} answer{'s' * (len(st.turns) != 1)}? This cannot be undone.", "")

    c.chat_delete.click(ask_delete, c.state, [c.chat_confirm, c.chat_confirm_text, c.chat_status], **PRIVATE)

    def delete(st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        st.owner = owner_of(request)
        message = app.delete_chat(st)
        fresh = app.new_chat(st.owner, st.collection) if message.startswith("✓") else st
        return (*view(app, fresh, session_of(request)), gr.update(visible=False), message)

    c.chat_delete_yes.click(delete, c.state, [*views, c.chat_confirm, c.chat_status], **PRIVATE)
    c.chat_delete_no.click(lambda: (gr.update(visible=False), ""), None, [c.chat_confirm, c.chat_status], **PRIVATE)


__all__ = ["sidebar", "wire_sidebar"]
