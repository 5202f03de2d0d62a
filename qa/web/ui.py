"""The qa web chat (Gradio wiring; behaviour lives in ``qa.web.controller``): ask questions about your documents, get answers quoted from them.

    python app.py                      # http://127.0.0.1:7860, documents/ indexed into index/ on first start
    python app.py --port 8000 --documents ~/notes --index-dir ~/.qa-notes

Settings (flag / environment variable):
    --host        GRADIO_SERVER_NAME (or QA_HOST)   default 127.0.0.1 (this machine only)
    --port        GRADIO_SERVER_PORT (or QA_PORT)   default 7860
    --documents   QA_DOCUMENTS_DIR                  default documents (the default collection's folder)
    --index-dir   QA_INDEX_DIR                      default index (other collections in index/collections/)
    --store       QA_STORE_URI                      a Milvus URI (http://host:19530[?collection=NAME]) served instead
                                                    of the index folder; app replicas can share it (collections and
                                                    saved chats live in it too: see README "Scaling out")
    --uploads     QA_UPLOAD_DIR                     default uploads (where uploaded files are kept)
    --feedback    QA_FEEDBACK_DIR                   default feedback (ratings.jsonl, cases.jsonl)
    --db          QA_DB                             default <index-dir>/qa.sqlite3 (saved chats, collections; not
                                                    used with a Milvus --store)
    --max-upload-mb QA_MAX_UPLOAD_MB                default 25 (MiB)
    QA_AUTH       "user:password", or a file of such lines: ask for a login (each user sees only their chats)

API (stable names, see ``gradio_client``): ``/chat`` (question -> answer with citations) and ``/search``
(question -> passages), on the default collection. Everything shown comes from the ``qa`` package; this file is the
UI only: the page's layout and one small wiring function per area (the sidebar's are in ``ui_sidebar``, the
Documents tab's in ``ui_documents``, the shared parts in ``ui_parts``, the CSS in ``style.py``, every behaviour in
``controller.py``).
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import logging  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from . import render as webui  # noqa: E402
from .appdb import DEFAULT_COLLECTION  # noqa: E402
from .cite import cite_key  # noqa: E402
from .config import parse_args  # noqa: E402
from .controller import ChatApp  # noqa: E402
from .conversation import reader_message  # noqa: E402
from .guard import UploadTypeGuard  # noqa: E402
from .scripts import CITE_BRIDGE, CLOSE_DRAWER, OPEN_DRAWER, SCROLL_READER_TO_MARK  # noqa: E402
from .settings import K_DEFAULT, K_MAX, K_MIN, WRITTEN_UNAVAILABLE  # noqa: E402
from .state import ChatState  # noqa: E402
from .style import CSS, MONO_FONTS, SYSTEM_FONTS  # noqa: E402
from .ui_parts import (Components, api_call, chats_update, owner_of,  # noqa: E402
                       refreshed, remembered, session_of, view)
from .ui_documents import documents_tab, wire_documents  # noqa: E402
from .ui_sidebar import sidebar, wire_sidebar  # noqa: E402
from .uploads import UPLOAD_NAMES_JS  # noqa: E402

logger = logging.getLogger("qa.app")

PRIVATE: dict[str, Any] = {"api_visibility": "private"}


def _layout(app: ChatApp) -> Components:
    c = Components()
    c.state = gr.State(ChatState())
    c.open_chat = gr.BrowserState(None, storage_key="qa-open-chat", secret=app.browser_secret())
    sidebar(app, c)
    with gr.Row(equal_height=False, elem_id="qa-top"):
        gr.Markdown("# qa\nAnswers quoted from your documents: every sentence comes with its source.",
                    elem_classes="qa-header")
        c.status = gr.Markdown(app.status_markdown(), elem_id="qa-status")
        c.drawer_open = gr.Button("Reader & documents", size="sm", scale=0, elem_id="qa-drawer-open")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            _chat_column(app, c)
        with gr.Column(scale=2, min_width=360, elem_id="qa-side"):
            c.drawer_close = gr.Button("Close", size="sm", elem_id="qa-drawer-close")
            _side_column(app, c)
    return c


def _chat_column(app: ChatApp, c: Components) -> None:
    c.chatbot = gr.Chatbot(
        elem_id="qa-chat", label="Chat", show_label=False, height=600, buttons=["copy"], latex_delimiters=[],
        layout="bubble", feedback_options=("Like", "Dislike"), group_consecutive_messages=True,
        placeholder="Ask a question about your documents.",
        examples=[{"text": q} for q in app.examples()] or None,
    )
    with gr.Row():
        c.question = gr.Textbox(label="Your question", placeholder="Ask a question about your documents…",
                                show_label=False, scale=6, elem_id="qa-question", autofocus=True, max_lines=4)
        c.ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="qa-ask")
        c.new_btn = gr.Button("New chat", scale=1, min_width=80, elem_id="qa-new")
    with gr.Group(visible=False, elem_classes="qa-feedback") as c.fb_group:
        c.fb_title = gr.Markdown()
        c.fb_choice = gr.Radio(label="Which passage answers it?", choices=[], type="value",
                               elem_id="qa-feedback-choice")
        with gr.Row():
            c.fb_comment = gr.Textbox(label="Comment (optional)", scale=4)
            c.fb_save = gr.Button("Save as evaluation case", variant="primary", scale=1, elem_id="qa-feedback-save")
            c.fb_cancel = gr.Button("Cancel", scale=1)
    c.fb_status = gr.Markdown(elem_id="qa-feedback-status")


def _side_column(app: ChatApp, c: Components) -> None:
    written = app.written_available()
    c.bridge = gr.HTML("", visible="hidden", js_on_load=CITE_BRIDGE, elem_id="qa-cite-bridge")
    with gr.Tabs(selected="reader") as c.tabs:
        with gr.Tab("Reader", id="reader"):
            c.reader = gr.HTML(reader_message("Click a [n] in an answer: its quote opens here, highlighted in its "
                                              "document."), elem_id="qa-reader")
        with gr.Tab("Documents", id="documents"):
            documents_tab(app, c)
        with gr.Tab("Settings", id="settings"):
            modes = [("Quotes only", "quotes"),
                     ("Written answer" if written else "Written answer (not installed)", "written")]
            c.mode = gr.Radio(modes, value="quotes", label="Answer mode", interactive=written, elem_id="qa-mode",
                              info=None if written else WRITTEN_UNAVAILABLE.replace("`", ""))
            c.k = gr.Slider(K_MIN, K_MAX, value=K_DEFAULT, step=1, label="Passages to read per question",
                            info=f"{K_MIN} to {K_MAX}", elem_id="qa-k")
            c.only = gr.Dropdown(label="Ask only these documents (empty: all)", choices=[], multiselect=True,
                                 value=[], elem_id="qa-only")


def _wire_chat(app: ChatApp, c: Components) -> None:
    def respond(q: str, st: ChatState, m: str, kk: float, ids: list[str],  # noqa: PLR0917 - Gradio's inputs, by position
                request: gr.Request) -> Iterator[tuple[Any, ...]]:
        st.owner = owner_of(request)
        turns = len(st.turns)
        for s in app.ask(q, st, m or "quotes", kk, ids or None):
            if len(s.turns) == turns:  # the question, then the answer as it streams in; the answered (and saved)
                yield s.messages, s, "", gr.update(), gr.update(), gr.update()  # state only with the sidebar's update
        yield st.messages, st, "", chats_update(app, st), remembered(st), st.title  # saved: listed in the sidebar

    chat_io: dict[str, Any] = dict(inputs=[c.question, c.state, c.mode, c.k, c.only],
                                   outputs=[c.chatbot, c.state, c.question, c.chats, c.open_chat, c.chat_title],
                                   show_progress="minimal", **PRIVATE)
    c.question.submit(respond, **chat_io)
    c.ask_btn.click(respond, **chat_io)

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    c.chatbot.example_select(pick_example, None, c.question, **PRIVATE).then(respond, **chat_io)

    def summary_question(doc_id: str | None, request: gr.Request) -> str:  # the Documents tab's "Summarize"
        return app.summary_question(doc_id, app.session_collection(session_of(request)))

    def overview_question() -> str:
        return app.summary_question(None)

    c.summarize_btn.click(summary_question, c.doc_pick, c.question, **PRIVATE).then(respond, **chat_io)
    c.summarize_all_btn.click(overview_question, None, c.question, **PRIVATE).then(respond, **chat_io)

    def new_chat(st: ChatState, request: gr.Request) -> tuple[Any, ...]:
        return view(app, app.new_chat(owner_of(request), st.collection), session_of(request))

    c.new_btn.click(new_chat, c.state, c.view_outputs(), **PRIVATE)
    c.chatbot.clear(new_chat, c.state, c.view_outputs(), **PRIVATE)


def _wire_reader(app: ChatApp, c: Components) -> None:
    def open_cited(st: ChatState, evt: gr.EventData) -> tuple[str, Any]:
        return app.open_citation(cite_key(getattr(evt, "cite", None)), st), gr.Tabs(selected="reader")

    c.bridge.click(open_cited, c.state, [c.reader, c.tabs], show_progress="hidden", **PRIVATE).then(
        None, None, None, js=SCROLL_READER_TO_MARK, **PRIVATE)

    def open_row(evt: gr.SelectData, request: gr.Request) -> tuple[str, Any]:
        cid = app.session_collection(session_of(request))
        return app.open_document(app.doc_id_for_row(evt.row_value, cid), collection=cid), gr.Tabs(selected="reader")

    c.docs_table.select(open_row, None, [c.reader, c.tabs], **PRIVATE)

    def open_picked(doc_id: str | None, request: gr.Request) -> tuple[str, Any]:
        cid = app.session_collection(session_of(request))
        return app.open_document(doc_id, collection=cid), gr.Tabs(selected="reader")

    c.open_btn.click(open_picked, c.doc_pick, [c.reader, c.tabs], **PRIVATE)
    c.drawer_open.click(None, None, None, js=OPEN_DRAWER, **PRIVATE)
    c.drawer_close.click(None, None, None, js=CLOSE_DRAWER, **PRIVATE)


def _wire_status(app: ChatApp, c: Components, demo: Any) -> None:
    """The page's first state (the user's chats, the chat reopened after a reload), and the status line (and the
    lists) while the index is being prepared; that timer stops once it is ready."""
    def on_load(kept: Any, request: gr.Request) -> tuple[Any, ...]:
        owner = owner_of(request)
        kept = kept if isinstance(kept, dict) else {}
        try:
            st = app.open_chat(kept.get("chat"), owner) if kept.get("chat") else None
        except (KeyError, ValueError):
            st = None
        if st is None:
            st = app.new_chat(owner, kept.get("collection") or DEFAULT_COLLECTION)
        return (*view(app, st, session_of(request)), gr.Timer(active=app.busy()))

    demo.load(on_load, c.open_chat, [*c.view_outputs(), c.ingest_timer], show_progress="hidden", **PRIVATE)

    def tick(request: gr.Request) -> tuple[Any, ...]:
        cid = app.session_collection(session_of(request))
        if not app.progress.ready and not app.progress.error:
            return app.status_markdown(cid), gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        rows, pick, only_, st = refreshed(app, cid)
        return (st, rows, pick, only_, gr.update(examples=[{"text": q} for q in app.examples(cid)] or None),
                gr.Timer(active=False))

    c.timer.tick(tick, None, [c.status, c.docs_table, c.doc_pick, c.only, c.chatbot, c.timer], show_progress="hidden",
                 **PRIVATE)


def _wire_feedback(app: ChatApp, c: Components) -> None:
    def on_like(st: ChatState, data: gr.LikeData) -> tuple[Any, ...]:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        question_, choices = app.rate(st, int(index), bool(data.liked))
        if not choices:
            return st, gr.update(visible=False), gr.update(), gr.update(choices=[], value=None), \
                "Thanks for the feedback." if data.liked else ""
        title = f"**Which passage should have answered:** {webui.md_text(question_)}"
        return st, gr.update(visible=True), title, gr.update(choices=choices, value=None), ""

    c.chatbot.like(on_like, c.state, [c.state, c.fb_group, c.fb_title, c.fb_choice, c.fb_status],
                   **PRIVATE)

    def on_save(st: ChatState, choice: int | None, comment: str) -> tuple[Any, ...]:
        message = app.save_case(st, choice, comment or "")
        done = st.feedback_turn is None
        return st, gr.update(visible=not done), message, "" if done else gr.update()

    c.fb_save.click(on_save, [c.state, c.fb_choice, c.fb_comment], [c.state, c.fb_group, c.fb_status, c.fb_comment],
                    **PRIVATE)
    c.fb_cancel.click(lambda: (gr.update(visible=False), ""), None, [c.fb_group, c.fb_status],
                      **PRIVATE)


def _wire_api(app: ChatApp) -> None:
    """The HTTP API, under stable names (on the default collection)."""
    def chat(question: str, history: list[dict[str, Any]] | None = None, mode: str = "quotes", k: int = 5,
             doc_ids: list[str] | None = None) -> dict[str, Any]:
        """Answer a question from the indexed documents. Returns the answer (Markdown with [n] markers),
        whether it was found, its citations (verbatim quotes with document, offsets, context and score),
        whether the sources disagree, and related passages. history: the earlier turns, as
        [{"role": "user" or "assistant", "content": text}, ...]; mode: "quotes" (or "written" when its
        model is installed); k: passages to read; doc_ids: ask only these documents."""
        return api_call(lambda: app.chat_api(question, history, mode, k, doc_ids))

    def search(question: str, k: int = 5, doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """The k passages that best match the question, best first (verbatim text, document, offsets, score)."""
        return api_call(lambda: app.search_api(question, k, doc_ids))

    gr.api(chat, api_name="chat")
    gr.api(search, api_name="search")


def build_ui(app: ChatApp) -> Any:
    """The Gradio Blocks of the chat: layout first, then every event wired to a ``ChatApp`` method."""
    # delete_cache: Gradio's copies of uploads (deleted as soon as they are handled) and anything else in its
    # cache older than an hour are swept every 10 minutes, and all of it when the app stops
    with gr.Blocks(title="qa: answers quoted from your documents", fill_width=True, analytics_enabled=False,
                   delete_cache=(600, 3600)) as demo:
        c = _layout(app)
        c.timer = gr.Timer(1.0, active=not app.progress.ready)
        c.ingest_timer = gr.Timer(1.0, active=False)
        _wire_chat(app, c)
        _wire_reader(app, c)
        wire_documents(app, c)
        _wire_status(app, c, demo)
        _wire_feedback(app, c)
        wire_sidebar(app, c)
        _wire_api(app)
    return demo


def theme() -> Any:
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def launch(app: ChatApp, **kwargs: Any) -> Any:
    cfg = app.config
    demo = build_ui(app)
    demo.queue(default_concurrency_limit=2)
    if cfg.host not in ("127.0.0.1", "localhost", "::1") and not cfg.auth:
        logger.warning("listening on %s without a login: anyone who can reach this address can read your documents "
                       "(set QA_AUTH=user:password)", cfg.host)
    return demo.launch(
        server_name=cfg.host, server_port=cfg.port, auth=cfg.auth, auth_message="qa: please log in",
        max_file_size=cfg.max_upload_bytes, theme=theme(), css=CSS, footer_links=["api"],
        run_history=False, show_error=True, allowed_paths=[], js=UPLOAD_NAMES_JS,
        app_kwargs={"middleware": [Middleware(UploadTypeGuard, allowed=webui.ALLOWED_UPLOAD_SUFFIXES)]}, **kwargs,
    )


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "bm25s", "sentence_transformers", "urllib3", "faiss", "faiss.loader"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = ChatApp(config)
    threading.Thread(target=app.prepare, name="qa-prepare", daemon=True).start()
    print(f"qa: opening the chat at http://{config.host}:{config.port} (Ctrl+C to stop)", flush=True)
    launch(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
