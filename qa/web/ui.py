"""The qa web chat (Gradio wiring; behaviour lives in ``qa.web.controller``): ask questions about your documents, get answers quoted from them.

    python app.py                      # http://127.0.0.1:7860, documents/ indexed into index/ on first start
    python app.py --port 8000 --documents ~/notes --index-dir ~/.qa-notes

Settings (flag / environment variable):
    --host        GRADIO_SERVER_NAME (or QA_HOST)   default 127.0.0.1 (this machine only)
    --port        GRADIO_SERVER_PORT (or QA_PORT)   default 7860
    --documents   QA_DOCUMENTS_DIR                  default documents
    --index-dir   QA_INDEX_DIR                      default index
    --uploads     QA_UPLOAD_DIR                     default uploads (where uploaded files are kept)
    --feedback    QA_FEEDBACK_DIR                   default feedback (ratings.jsonl, cases.jsonl)
    --max-upload-mb QA_MAX_UPLOAD_MB                default 25 (MiB)
    QA_AUTH       "user:password", or a file of such lines: ask for a login

API (stable names, see ``gradio_client``): ``/chat`` (question -> answer with citations) and ``/search``
(question -> passages). Everything shown comes from the ``qa`` package; this file is the UI only.

It runs a little over 350 lines on purpose: the whole page (layout, then one small wiring function per
area) reads in one place; the CSS is in ``style.py`` and every behaviour in ``controller.py``.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import logging  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from . import render as webui  # noqa: E402
from .config import parse_args  # noqa: E402
from .controller import ChatApp  # noqa: E402
from .conversation import reader_message  # noqa: E402
from .guard import UploadTypeGuard  # noqa: E402
from .uploads import UPLOAD_NAMES_JS  # noqa: E402
from .state import ChatState, NotReady  # noqa: E402
from .cite import cite_key  # noqa: E402
from .scripts import CITE_BRIDGE, SCROLL_READER_TO_MARK  # noqa: E402
from .settings import K_DEFAULT, K_MAX, K_MIN, WRITTEN_UNAVAILABLE  # noqa: E402
from .style import CSS, MONO_FONTS, SYSTEM_FONTS  # noqa: E402

logger = logging.getLogger("qa.app")

T = TypeVar("T")


@dataclass
class Components:
    """The page's components that events read or update."""

    state: Any
    status: Any
    chatbot: Any
    question: Any
    ask_btn: Any
    new_btn: Any
    fb_group: Any
    fb_title: Any
    fb_choice: Any
    fb_comment: Any
    fb_save: Any
    fb_cancel: Any
    fb_status: Any
    tabs: Any = None
    bridge: Any = None  # hidden: turns a click on a [n] in the chat into opening its quote
    reader: Any = None
    docs_table: Any = None
    upload: Any = None
    upload_status: Any = None
    doc_pick: Any = None
    open_btn: Any = None
    remove_btn: Any = None
    rescan_btn: Any = None
    mode: Any = None
    k: Any = None
    only: Any = None
    timer: Any = None
    uploads: Any = None  # where each upload is (queued / indexing / done / refused)
    ingest_timer: Any = None  # refreshes it while the background writer has work


def not_ready_text(e: NotReady) -> str:
    return f"… Not ready yet: {webui.md_text(str(e))}"


def message_or_not_ready(action: Callable[[], str]) -> str:
    """The Markdown message of a documents action, or why it cannot run yet."""
    try:
        return action()
    except NotReady as e:
        return not_ready_text(e)


def api_call(action: Callable[[], T]) -> T:
    """Run an API request; "not ready" and bad input become Gradio errors the client sees."""
    try:
        return action()
    except NotReady as e:
        raise gr.Error(f"Not ready yet: {e}") from None
    except (KeyError, ValueError) as e:
        raise gr.Error(e.args[0] if e.args else str(e)) from None


def _chat_column(app: ChatApp) -> Components:
    state = gr.State(ChatState())
    with gr.Row(equal_height=False):
        gr.Markdown("# qa\nAnswers quoted from your documents: every sentence comes with its source.",
                    elem_classes="qa-header")
        status = gr.Markdown(app.status_markdown(), elem_id="qa-status")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                elem_id="qa-chat", label="Chat", show_label=False, height=600, buttons=["copy"],
                latex_delimiters=[],
                layout="bubble", feedback_options=("Like", "Dislike"), group_consecutive_messages=True,
                placeholder="Ask a question about your documents.",
                examples=[{"text": q} for q in app.examples()] or None,
            )
            with gr.Row():
                question = gr.Textbox(label="Your question", placeholder="Ask a question about your documents…",
                                      show_label=False,
                                      scale=6, elem_id="qa-question", autofocus=True, max_lines=4)
                ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="qa-ask")
                new_btn = gr.Button("New chat", scale=1, min_width=80, elem_id="qa-new")
            with gr.Group(visible=False, elem_id="qa-feedback") as fb_group:
                fb_title = gr.Markdown()
                fb_choice = gr.Radio(label="Which passage answers it?", choices=[], type="value",
                                     elem_id="qa-feedback-choice")
                with gr.Row():
                    fb_comment = gr.Textbox(label="Comment (optional)", scale=4)
                    fb_save = gr.Button("Save as evaluation case", variant="primary", scale=1,
                                        elem_id="qa-feedback-save")
                    fb_cancel = gr.Button("Cancel", scale=1)
            fb_status = gr.Markdown(elem_id="qa-feedback-status")
        c = Components(state, status, chatbot, question, ask_btn, new_btn, fb_group, fb_title, fb_choice, fb_comment,
                       fb_save, fb_cancel, fb_status)
        with gr.Column(scale=2, min_width=360):
            _side_column(app, c)
    return c


def _side_column(app: ChatApp, c: Components) -> None:
    written = app.written_available()
    c.bridge = gr.HTML("", visible="hidden", js_on_load=CITE_BRIDGE, elem_id="qa-cite-bridge")
    with gr.Tabs(selected="reader") as c.tabs:
        with gr.Tab("Reader", id="reader"):
            c.reader = gr.HTML(reader_message("Click a [n] in an answer: its quote opens here, highlighted in its "
                                              "document."), elem_id="qa-reader")
        with gr.Tab("Documents", id="documents"):
            c.docs_table = gr.Dataframe(
                value=app.documents_rows(), headers=["Title", "File", "Passages", "Added"],
                datatype=["str", "str", "number", "str"], interactive=False, wrap=True,
                column_widths=["38%", "32%", "12%", "18%"], max_height=360,
                elem_id="qa-docs", label="Indexed documents (click a row to read it)",
            )
            cap = f"{app.config.max_upload_mb:g} MiB"
            c.upload = gr.File(label=f"Add documents (txt, md, html, pdf, docx; up to {cap} each)",
                               file_count="multiple", file_types=sorted(webui.ALLOWED_UPLOAD_SUFFIXES),
                               elem_id="qa-upload")
            c.upload_status = gr.Markdown(elem_id="qa-upload-status")
            c.uploads = gr.Markdown(app.uploads_markdown(), elem_id="qa-uploads")
            with gr.Row():
                c.doc_pick = gr.Dropdown(label="Document", choices=app.document_choices(), value=None,
                                         scale=3, elem_id="qa-doc-pick")
                with gr.Column(scale=1, min_width=100):
                    c.open_btn = gr.Button("Open", elem_id="qa-open")
                    c.remove_btn = gr.Button("Remove", variant="stop", elem_id="qa-remove")
            c.rescan_btn = gr.Button(f"Re-scan {app.config.documents_dir.name}/", size="sm")
        with gr.Tab("Settings", id="settings"):
            modes = [("Quotes only", "quotes"),
                     ("Written answer" if written else "Written answer (not installed)", "written")]
            c.mode = gr.Radio(modes, value="quotes", label="Answer mode", interactive=written, elem_id="qa-mode",
                              info=None if written else WRITTEN_UNAVAILABLE.replace("`", ""))
            c.k = gr.Slider(K_MIN, K_MAX, value=K_DEFAULT, step=1, label="Passages to read per question",
                            info=f"{K_MIN} to {K_MAX}", elem_id="qa-k")
            c.only = gr.Dropdown(label="Ask only these documents (empty: all)", choices=app.document_choices(),
                                 multiselect=True, value=[], elem_id="qa-only")


def _wire_chat(app: ChatApp, c: Components) -> None:
    def respond(q: str, st: ChatState, m: str, kk: float, ids: list[str]) -> Iterator[tuple[Any, ...]]:
        for s in app.ask(q, st, m or "quotes", kk, ids or None):
            yield s.messages, s, ""

    chat_io: dict[str, Any] = dict(inputs=[c.question, c.state, c.mode, c.k, c.only],
                                   outputs=[c.chatbot, c.state, c.question],
                                   api_visibility="private", show_progress="minimal")
    c.question.submit(respond, **chat_io)
    c.ask_btn.click(respond, **chat_io)

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    c.chatbot.example_select(pick_example, None, c.question, api_visibility="private").then(respond, **chat_io)

    def new_chat() -> tuple[Any, ...]:
        fresh = ChatState()
        return fresh.messages, fresh, gr.update(visible=False), ""

    cleared = [c.chatbot, c.state, c.fb_group, c.fb_status]
    c.new_btn.click(new_chat, None, cleared, api_visibility="private")
    c.chatbot.clear(new_chat, None, cleared, api_visibility="private")


def _wire_reader(app: ChatApp, c: Components) -> None:
    def open_cited(st: ChatState, evt: gr.EventData) -> tuple[str, Any]:
        return app.open_citation(cite_key(getattr(evt, "cite", None)), st), gr.Tabs(selected="reader")

    c.bridge.click(open_cited, c.state, [c.reader, c.tabs], api_visibility="private",
                   show_progress="hidden").then(None, None, None, js=SCROLL_READER_TO_MARK, api_visibility="private")

    def open_row(evt: gr.SelectData) -> tuple[str, Any]:
        return app.open_document(app.doc_id_for_row(evt.row_value)), gr.Tabs(selected="reader")

    c.docs_table.select(open_row, None, [c.reader, c.tabs], api_visibility="private")
    c.open_btn.click(lambda d: (app.open_document(d), gr.Tabs(selected="reader")), c.doc_pick, [c.reader, c.tabs],
                     api_visibility="private")


def refreshed(app: ChatApp) -> tuple[Any, ...]:
    """New values for the documents table, the two document pickers and the status line."""
    choices = app.document_choices()
    return (app.documents_rows(), gr.update(choices=choices, value=None), gr.update(choices=choices),
            app.status_markdown())


def _wire_documents(app: ChatApp, c: Components) -> None:
    doc_outputs = [c.docs_table, c.doc_pick, c.only, c.status]

    def do_upload(files: list[Any] | None, progress: Any = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008 - Gradio's way
        progress(0, desc="Reading files…")

        def step(done: int, total: int) -> None:
            progress((done, total), desc="Embedding passages", unit="passages")

        message = message_or_not_ready(lambda: app.upload(files, step))
        return (message, None, app.uploads_markdown(), gr.Timer(active=app.desk.queue.busy()), *refreshed(app))

    c.upload.upload(do_upload, c.upload, [c.upload_status, c.upload, c.uploads, c.ingest_timer, *doc_outputs],
                    api_visibility="private")

    def ingest_tick() -> tuple[Any, ...]:
        return (app.uploads_markdown(), gr.Timer(active=app.desk.queue.busy()), *refreshed(app))

    c.ingest_timer.tick(ingest_tick, None, [c.uploads, c.ingest_timer, *doc_outputs], api_visibility="private",
                        show_progress="hidden")

    def do_remove(doc_id: str | None) -> tuple[Any, ...]:
        return (message_or_not_ready(lambda: app.remove(doc_id)), *refreshed(app))

    c.remove_btn.click(do_remove, c.doc_pick, [c.upload_status, *doc_outputs], api_visibility="private")

    def do_rescan(progress: Any = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008 - Gradio's way
        def step(done: int, total: int) -> None:
            progress((done, total), desc="Embedding passages", unit="passages")

        return (message_or_not_ready(lambda: app.rescan(step)), *refreshed(app))

    c.rescan_btn.click(do_rescan, None, [c.upload_status, *doc_outputs], api_visibility="private")


def _wire_status(app: ChatApp, c: Components, demo: Any) -> None:
    """The status line (and the lists) while the index is being prepared; the timer stops once it is ready."""
    def tick() -> tuple[Any, ...]:
        if not app.progress.ready and not app.progress.error:
            return app.status_markdown(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        rows, pick, only_, st = refreshed(app)
        return (st, rows, pick, only_, gr.update(examples=[{"text": q} for q in app.examples()] or None),
                gr.Timer(active=False))

    c.timer.tick(tick, None, [c.status, c.docs_table, c.doc_pick, c.only, c.chatbot, c.timer],
                 api_visibility="private", show_progress="hidden")
    demo.load(lambda: (app.status_markdown(), *refreshed(app)[:3], app.uploads_markdown(),
                       gr.Timer(active=app.desk.queue.busy())), None,
              [c.status, c.docs_table, c.doc_pick, c.only, c.uploads, c.ingest_timer],
              api_visibility="private", show_progress="hidden")


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
                   api_visibility="private")

    def on_save(st: ChatState, choice: int | None, comment: str) -> tuple[Any, ...]:
        message = app.save_case(st, choice, comment or "")
        done = st.feedback_turn is None
        return st, gr.update(visible=not done), message, "" if done else gr.update()

    c.fb_save.click(on_save, [c.state, c.fb_choice, c.fb_comment], [c.state, c.fb_group, c.fb_status, c.fb_comment],
                    api_visibility="private")
    c.fb_cancel.click(lambda: (gr.update(visible=False), ""), None, [c.fb_group, c.fb_status],
                      api_visibility="private")


def _wire_api(app: ChatApp) -> None:
    """The HTTP API, under stable names."""
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
        c = _chat_column(app)
        c.timer = gr.Timer(1.0, active=not app.progress.ready)
        c.ingest_timer = gr.Timer(1.0, active=False)
        _wire_chat(app, c)
        _wire_reader(app, c)
        _wire_documents(app, c)
        _wire_status(app, c, demo)
        _wire_feedback(app, c)
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
