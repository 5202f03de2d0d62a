"""The Documents tab (Gradio wiring): the collection's documents, uploads (received at once, then the one
progress bar and the header follow the writer), removal after a confirmation, re-scanning the documents folder.
Behaviour is ``ChatApp``'s (``qa.web.documents``); shared parts in ``qa.web.ui_parts``."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from . import render as webui
from .controller import ChatApp
from .state import NotReady
from .ui_parts import Components, message_or_not_ready, not_ready_text, refreshed, session_of

PRIVATE: dict[str, Any] = {"api_visibility": "private"}


def documents_tab(app: ChatApp, c: Components) -> None:
    # the lists are filled when the page loads, for the collection the session works in
    c.docs_table = gr.Dataframe(
        value=[], headers=["Title", "File", "Passages", "Added"], datatype=["str", "str", "number", "str"],
        interactive=False, wrap=True, column_widths=["38%", "32%", "12%", "18%"], max_height=360,
        elem_id="qa-docs", label="Documents of this collection (click a row to read it)",
    )
    cap = f"{app.config.max_upload_mb:g} MiB"
    c.upload = gr.File(label=f"Add documents to this collection (txt, md, html, pdf, docx; up to {cap} each)",
                       file_count="multiple", file_types=sorted(webui.ALLOWED_UPLOAD_SUFFIXES), elem_id="qa-upload")
    c.upload_status = gr.Markdown(elem_id="qa-upload-status")
    c.progress = gr.HTML(app.progress_html(), elem_id="qa-progress")
    c.uploads = gr.Markdown(elem_id="qa-uploads")
    with gr.Row():
        c.doc_pick = gr.Dropdown(label="Document", choices=[], value=None, scale=3, elem_id="qa-doc-pick")
        with gr.Column(scale=1, min_width=100):
            c.open_btn = gr.Button("Open", elem_id="qa-open")
            c.summarize_btn = gr.Button("Summarize", elem_id="qa-summarize")
            c.remove_btn = gr.Button("Remove…", variant="stop", elem_id="qa-remove-ask")
    with gr.Group(visible=False, elem_classes="qa-confirm") as c.remove_confirm:
        c.remove_confirm_text = gr.Markdown(elem_id="qa-remove-confirm")
        with gr.Row():
            c.remove_yes = gr.Button("Remove it", variant="stop", size="sm", elem_id="qa-remove")
            c.remove_no = gr.Button("Keep it", size="sm", elem_id="qa-remove-cancel")
    c.summarize_all_btn = gr.Button("Summarize the whole collection", size="sm", elem_id="qa-summarize-all")
    c.rescan_btn = gr.Button(f"Re-scan {app.config.documents_dir.name}/ (default collection)", size="sm",
                             elem_id="qa-rescan")


def wire_documents(app: ChatApp, c: Components) -> None:
    doc_outputs = c.doc_outputs()
    upload_outputs = [c.upload_status, c.upload, c.uploads, c.progress, c.ingest_timer, *doc_outputs]

    def do_upload(files: list[Any] | None, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """Receive and queue at once (the bar and the header follow the writer), then wait for the files a while.
        The first output is the message (the load test and the upload tests read it)."""
        cid = app.session_collection(session_of(request))
        try:
            batch = app.receive(files, cid)
        except (NotReady, KeyError) as e:
            message = not_ready_text(e) if isinstance(e, NotReady) else f"✗ {webui.md_text(e.args[0])}"
            yield message, None, app.uploads_markdown(cid), app.progress_html(), gr.Timer(active=False), \
                *refreshed(app, cid, keep_picks=True)
            return
        if batch.names:
            waiting = "\n\n".join([*batch.lines, f"… indexing {len(batch.names)} file{'s' * (len(batch.names) != 1)}"
                                   ": the bar below follows it, and you can keep asking meanwhile."])
            yield waiting, None, app.uploads_markdown(cid), app.progress_html(), gr.Timer(active=True), \
                *refreshed(app, cid, keep_picks=True)
        message = app.upload_report(batch)
        yield message, None, app.uploads_markdown(cid), app.progress_html(), gr.Timer(active=app.busy()), \
            *refreshed(app, cid, keep_picks=True)

    c.upload.upload(do_upload, c.upload, upload_outputs, show_progress="hidden", **PRIVATE)

    def ingest_tick(request: gr.Request) -> tuple[Any, ...]:
        cid = app.session_collection(session_of(request))
        return (app.uploads_markdown(cid), app.progress_html(), gr.Timer(active=app.busy()),
                *refreshed(app, cid, keep_picks=True))

    c.ingest_timer.tick(ingest_tick, None, [c.uploads, c.progress, c.ingest_timer, *doc_outputs],
                        show_progress="hidden", **PRIVATE)

    def ask_remove(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        question = message_or_not_ready(
            lambda: app.remove_question(doc_id, app.session_collection(session_of(request))))
        if not question.startswith("Remove"):
            return gr.update(visible=False), "", question
        return gr.update(visible=True), question, ""

    c.remove_btn.click(ask_remove, c.doc_pick, [c.remove_confirm, c.remove_confirm_text, c.upload_status], **PRIVATE)

    def do_remove(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        """The confirmed removal (its first output is the message: the load test reads it)."""
        cid = app.session_collection(session_of(request))
        return (message_or_not_ready(lambda: app.remove(doc_id, cid)), *refreshed(app, cid), gr.update(visible=False))

    c.remove_yes.click(do_remove, c.doc_pick, [c.upload_status, *doc_outputs, c.remove_confirm], **PRIVATE)
    c.remove_no.click(lambda: (gr.update(visible=False), ""), None, [c.remove_confirm, c.upload_status], **PRIVATE)

    def do_rescan(request: gr.Request) -> Iterator[tuple[Any, ...]]:
        cid = app.session_collection(session_of(request))
        yield (f"… Re-scanning {webui.md_text(app.config.documents_dir.name)}/ into the default collection…",
               gr.Timer(active=True), *refreshed(app, cid, keep_picks=True))
        message = message_or_not_ready(app.rescan)
        yield message, gr.Timer(active=app.busy()), *refreshed(app, cid)

    c.rescan_btn.click(do_rescan, None, [c.upload_status, c.ingest_timer, *doc_outputs], show_progress="hidden",
                       **PRIVATE)


__all__ = ["documents_tab", "wire_documents"]
