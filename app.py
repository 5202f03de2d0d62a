"""The qa web chat: ask questions about your documents, get answers quoted from them.

    python app.py                      # http://127.0.0.1:7860, documents/ indexed into index/ on first start
    python app.py --port 8000 --documents ~/notes --index-dir ~/.qa-notes

Settings (flag / environment variable):
    --host        GRADIO_SERVER_NAME (or QA_HOST)   default 127.0.0.1 (this machine only)
    --port        GRADIO_SERVER_PORT (or QA_PORT)   default 7860
    --documents   QA_DOCUMENTS_DIR                  default documents
    --index-dir   QA_INDEX_DIR                      default index
    --uploads     QA_UPLOAD_DIR                     default uploads (where uploaded files are kept)
    --feedback    QA_FEEDBACK_DIR                   default feedback (ratings.jsonl, cases.jsonl)
    --max-upload-mb QA_MAX_UPLOAD_MB                default 25
    QA_AUTH       "user:password", or a file of such lines: ask for a login

API (stable names, see ``gradio_client``): ``/chat`` (question -> answer with citations) and ``/search``
(question -> passages). Everything shown comes from the ``qa`` package; this file is the UI only.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import html  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

import qa  # noqa: E402
from qa import feedback, webui  # noqa: E402
from qa.store import read_manifest  # noqa: E402

logger = logging.getLogger("qa.app")

SAMPLE_EXAMPLES = {
    "gerasimov-reportedly-wounded-in-izium-ambush.txt": [
        "Was General Gerasimov wounded in the attack?",
        "How many Russian officers were killed in Izium?",
    ],
    "gerasimov-left-before-izium-strike-arestovych.txt": [
        "Who said Gerasimov left before the strike?",
        "Did the United States know about the attack?",
    ],
}
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


# ------------------------------------------------------------------------------------------ config


@dataclass
class AppConfig:
    host: str = "127.0.0.1"
    port: int = 7860
    documents_dir: Path = Path("documents")
    index_dir: Path = Path("index")
    upload_dir: Path = Path("uploads")
    feedback_dir: Path = Path("feedback")
    max_upload_mb: float = webui.DEFAULT_MAX_UPLOAD_MB
    auth: list[tuple[str, str]] | None = None

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


def _env(*names: str, default: str) -> str:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


def parse_args(argv: Sequence[str] | None = None) -> AppConfig:
    p = argparse.ArgumentParser(prog="python app.py", description="qa web chat: answers quoted from your documents.")
    p.add_argument("--host", default=_env("GRADIO_SERVER_NAME", "QA_HOST", default="127.0.0.1"),
                   help="address to bind (default 127.0.0.1: this machine only; env GRADIO_SERVER_NAME)")
    p.add_argument("--port", type=int, default=int(_env("GRADIO_SERVER_PORT", "QA_PORT", default="7860")),
                   help="port (default 7860; env GRADIO_SERVER_PORT)")
    p.add_argument("--documents", default=_env("QA_DOCUMENTS_DIR", default="documents"),
                   help="folder indexed on first start (default documents; env QA_DOCUMENTS_DIR)")
    p.add_argument("--index-dir", default=_env("QA_INDEX_DIR", default="index"),
                   help="index folder (default index; env QA_INDEX_DIR)")
    p.add_argument("--uploads", default=_env("QA_UPLOAD_DIR", default="uploads"),
                   help="where uploaded files are kept (default uploads; env QA_UPLOAD_DIR)")
    p.add_argument("--feedback", default=_env("QA_FEEDBACK_DIR", default="feedback"),
                   help="where ratings and evaluation cases are saved (default feedback; env QA_FEEDBACK_DIR)")
    p.add_argument("--max-upload-mb", type=float,
                   default=float(_env("QA_MAX_UPLOAD_MB", default=str(webui.DEFAULT_MAX_UPLOAD_MB))),
                   help="largest file accepted for upload, in MB (default 25; env QA_MAX_UPLOAD_MB)")
    p.add_argument("-v", "--verbose", action="store_true", help="log details")
    args = p.parse_args(argv)
    return AppConfig(
        host=args.host, port=args.port, documents_dir=Path(args.documents).expanduser(),
        index_dir=Path(args.index_dir).expanduser(), upload_dir=Path(args.uploads).expanduser(),
        feedback_dir=Path(args.feedback).expanduser(), max_upload_mb=args.max_upload_mb,
        auth=webui.parse_auth(os.environ.get("QA_AUTH")),
    )


# ------------------------------------------------------------------------------------------ progress


class Progress:
    """What the index is doing now, for the status line and progress bars (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.message = "Starting…"
        self.ready = False
        self.error: str | None = None
        self.listener: Callable[[int, int], None] | None = None

    def set(self, message: str) -> None:
        with self._lock:
            self.message = message
        logger.info("%s", message)

    def embedding(self, done: int, total: int) -> None:
        with self._lock:
            self.message = f"Embedding passages: {done} of {total}"
            listener = self.listener
        if listener:
            listener(done, total)


def track_embedding(embedder: qa.Embedder, tracker: Progress) -> None:
    """Report each embedded batch of ``embedder`` to ``tracker`` (wraps this instance's method)."""
    if getattr(embedder, "_qa_tracked", False):
        return
    original = embedder.encode_documents

    def encode_documents(texts: Sequence[str], progress: Callable[[int], None] | None = None):
        total, done = len(texts), 0
        tracker.embedding(0, total)

        def step(n: int) -> None:
            nonlocal done
            done += n
            tracker.embedding(done, total)
            if progress:
                progress(n)

        return original(texts, step)

    embedder.encode_documents = encode_documents  # type: ignore[method-assign]
    embedder._qa_tracked = True  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------ chat state


@dataclass
class Turn:
    question: str
    answer: qa.Answer
    first_message: int  # index of the question in the chat messages
    n_messages: int
    k: int = 5
    doc_ids: list[str] | None = None


@dataclass
class ChatState:
    """One browser session's conversation: the chat messages shown and the answers behind them."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    feedback_turn: int | None = None
    candidates: list[feedback.Span] = field(default_factory=list)

    def history(self) -> list[dict[str, str]]:
        return webui.history_for_ask((t.question, t.answer.text) for t in self.turns)

    def turn_at(self, message_index: int) -> int | None:
        for i, t in enumerate(self.turns):
            if t.first_message <= message_index < t.first_message + t.n_messages:
                return i
        return None


class NotReady(Exception):
    pass


# ------------------------------------------------------------------------------------------ the service


class ChatApp:
    """The app's behaviour, without any Gradio: every UI event calls one of these methods.

    Give it a ready ``index`` (tests), or call :meth:`prepare` to open or build the one in
    ``config.index_dir`` from ``config.documents_dir`` (the app does so in a background thread)."""

    def __init__(self, config: AppConfig, index: qa.Index | None = None,
                 answer_stream: Callable[..., Iterator[Any]] | None = None) -> None:
        self.config = config
        self.progress = Progress()
        self.index = index
        self._answer_stream = answer_stream
        self._write_lock = threading.Lock()
        if index is not None:
            track_embedding(index.embedder, self.progress)
            self._set_ready()

    # -------------------------------------------------------------------------------- index
    def prepare(self, embedder: qa.Embedder | None = None) -> None:
        """Open the index (building it from the documents folder the first time). Never raises: a
        failure is shown in the status line."""
        try:
            self.index = self._open_or_build(embedder)
            self._set_ready()
        except Exception as e:  # shown to the person; the server keeps running
            logger.exception("could not prepare the index")
            self.progress.error = f"{type(e).__name__}: {e}"
            self.progress.set(f"Could not open the index in {self.config.index_dir}: {e}")

    def _open_or_build(self, embedder: qa.Embedder | None) -> qa.Index:
        cfg = self.config
        self.progress.set("Loading the embedding model…")
        if read_manifest(cfg.index_dir, missing_ok=True):
            index = qa.load_index(cfg.index_dir, embedder=embedder)
            track_embedding(index.embedder, self.progress)
            index.embedder.encode_queries(["warm up"])
            if index.documents() or not cfg.documents_dir.is_dir():
                return index
            sources: list[Path] = [cfg.documents_dir]
        else:
            index = None
            sources = [cfg.documents_dir] if cfg.documents_dir.is_dir() else []
        if embedder is None:
            embedder = index.embedder if index else qa.embedding.default_embedder()
        track_embedding(embedder, self.progress)
        embedder.encode_queries(["warm up"])
        n = len(qa.loaders.discover(sources)) if sources else 0
        self.progress.set(f"Indexing {n} documents from {cfg.documents_dir}…" if n else "No documents to index yet.")
        index = qa.build_index(sources, cfg.index_dir, embedder=embedder, progress=True)
        for src, reason in index.last_report.failed:
            logger.warning("skipped %s: %s", src, reason)
        return index

    def _set_ready(self) -> None:
        from qa.word_vectors import word_vectors

        word_vectors(self.index.embedder)  # the word table: loaded, or built once in the background (model warm)
        self.progress.ready = True
        self.progress.set(self.summary())

    def require_index(self) -> qa.Index:
        if self.index is None:
            raise NotReady(self.progress.error or self.progress.message)
        return self.index

    def summary(self) -> str:
        if self.index is None:
            return self.progress.message
        docs = self.index.documents()
        if not docs:
            return "No documents yet: upload some in the Documents tab."
        return f"{len(docs)} document{'s' * (len(docs) != 1)} · {len(self.index)} passages"

    def status_markdown(self) -> str:
        if self.progress.ready:
            return f"<span class='qa-status'>Ready · {webui.md_text(self.summary())}</span>"
        if self.progress.error:
            return f"<span class='qa-status qa-error'>⚠ {webui.md_text(self.progress.message)}</span>"
        return f"<span class='qa-status qa-busy'>… {webui.md_text(self.progress.message)}</span>"

    def written_available(self) -> bool:
        """Whether written answers can be offered (their language model is installed or configured)."""
        try:
            from qa import answering

            check = getattr(answering, "written_available", None)
            if callable(check):
                return bool(check())
            import qa.written  # noqa: F401
            from qa import llm
        except ImportError:
            return False
        try:
            return bool(os.environ.get("QA_LLM_BASE_URL")) or bool(llm.local_model_available())
        except Exception:  # a broken optional model must not break the app
            logger.warning("could not check for a language model", exc_info=True)
            return False

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
    def _stream(self, index: qa.Index, question: str, history: list[dict[str, str]], mode: str, k: int,
                doc_ids: list[str] | None) -> Iterator[str | qa.Answer]:
        """Partial answer texts, then the final Answer (``qa.answering.stream_answer``)."""
        fn = self._answer_stream
        if fn is None:
            from qa.answering import stream_answer as fn  # type: ignore[no-redef]
        text = ""
        # one snapshot for the whole answer: an upload or removal finishing meanwhile must not change the
        # documents the quotes are cut from (see qa.Index.pinned)
        for item in fn(index.pinned(), question, history=history, mode=mode, k=k, doc_ids=doc_ids):
            if isinstance(item, qa.Answer):
                yield item
                return
            if isinstance(item, str):  # a bare piece of text
                text += item
            else:  # qa.answering.Partial: the whole text so far
                text = str(getattr(item, "text", "") or "")
            yield text

    def ask(self, question: str, state: ChatState, mode: str = "quotes", k: int = 5,
            doc_ids: Sequence[str] | None = None) -> Iterator[ChatState]:
        """Answer ``question`` in the conversation ``state``, yielding the state as the answer streams in."""
        question = (question or "").strip()
        if not question:
            return
        doc_ids = list(doc_ids) if doc_ids else None
        start = len(state.messages)
        pending = [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        state.messages = state.messages[:start] + pending
        yield state
        try:
            index = self.require_index()
            answer = None
            for item in self._stream(index, question, state.history(), mode, int(k), doc_ids):
                if isinstance(item, qa.Answer):
                    answer = item
                    break
                state.messages = state.messages[:start] + [pending[0], {"role": "assistant",
                                                                        "content": webui.render_partial(item)}]
                yield state
            if answer is None:
                raise RuntimeError("the answering engine returned no answer")
        except NotReady as e:
            state.messages = state.messages[:start] + [pending[0], _notice(f"… Not ready yet: {webui.md_text(str(e))}")]
            yield state
            return
        except (KeyError, ValueError) as e:
            msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            state.messages = state.messages[:start] + [pending[0], _notice(f"⚠ {webui.md_text(msg)}")]
            yield state
            return
        except Exception as e:  # e.g. the language model of written answers failing: say so in the chat
            logger.exception("answering %r failed", question)
            note = f"⚠ Could not answer: {webui.md_text(f'{type(e).__name__}: {e}')}"
            state.messages = state.messages[:start] + [pending[0], _notice(note)]
            yield state
            return
        msgs = webui.chat_messages(question, answer)
        state.messages = state.messages[:start] + msgs
        state.turns.append(Turn(question, answer, start, len(msgs), int(k), doc_ids))
        yield state

    def chat_api(self, question: str, history: list[dict[str, Any]] | None = None, mode: str = "quotes",
                 k: int = 5, doc_ids: list[str] | None = None) -> dict[str, Any]:
        """``/chat``: the answer to ``question`` (with the conversation so far), as JSON-friendly data."""
        answer = self.require_index().ask(question, history=history or None, mode=mode or "quotes", k=int(k or 5),
                                          doc_ids=doc_ids or None)
        return webui.answer_payload(answer)

    def search_api(self, question: str, k: int = 5, doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """``/search``: the ``k`` passages that best match ``question``, best first."""
        return [h.to_dict() for h in self.require_index().search(question, int(k or 5), doc_ids=doc_ids or None)]

    # -------------------------------------------------------------------------------- citations & reader
    def citation_choices(self, state: ChatState) -> list[tuple[str, str]]:
        """Every quote of the conversation, the latest answer first: (label, "turn:n")."""
        out = []
        for ti in range(len(state.turns) - 1, -1, -1):
            for c in state.turns[ti].answer.citations:
                label = f"Q{ti + 1} [{c.n}] {webui.short(c.title, 40)}: “{webui.short(c.quote, 60)}”"
                out.append((label, f"{ti}:{c.n}"))
        return out

    def open_citation(self, key: str | None, state: ChatState) -> str:
        if not key:
            return ""
        try:
            ti, n = (int(x) for x in key.split(":"))
            c = next(c for c in state.turns[ti].answer.citations if c.n == n)
        except (ValueError, IndexError, StopIteration):
            return _reader_message("That quote is no longer in this conversation.")
        return self.open_document(c.doc_id, (c.start, c.end))

    def open_document(self, doc_id: str | None, span: tuple[int, int] | None = None) -> str:
        if not doc_id:
            return _reader_message("Pick a document, or a quote from the chat.")
        try:
            doc = self.require_index().document(doc_id)
        except (KeyError, NotReady):
            return _reader_message("That document is not in the index (any more).")
        return webui.render_document_html(doc.text, doc.title or doc.id, webui.file_name(doc.source, doc.id), span)

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

    def upload(self, files: Sequence[Any] | None, on_progress: Callable[[int, int], None] | None = None) -> str:
        """Copy uploaded files (sanitised names, allowed types, capped sizes) into the uploads folder and
        index them. Returns a Markdown report for the person."""
        if not files:
            return "No file received."
        index = self.require_index()
        lines, checked, accepted = [], [], []
        for f in files:
            original, path = _upload_name_and_path(f)
            try:
                name = _fit_name(webui.check_upload(original, path.stat().st_size, self.config.max_upload_bytes))
            except (webui.UploadRejected, OSError) as e:
                lines.append(f"✗ {webui.md_text(str(e))}")
                continue
            dest = self.config.upload_dir / name
            if not webui.inside(self.config.upload_dir, dest):
                lines.append(f"✗ {webui.md_text(name)}: refused (unsafe name)")
                continue
            checked.append((path, dest))
        if checked:
            # copied and indexed under the write lock: another upload of the same name must not overwrite the
            # file while this one reads it (nor delete it, when this one fails)
            with self._write_lock:
                for path, dest in checked:
                    try:
                        self.config.upload_dir.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(path, dest)
                    except OSError as e:
                        lines.append(f"✗ {webui.md_text(dest.name)}: could not be saved "
                                     f"({webui.md_text(e.strerror or str(e))})")
                        continue
                    accepted.append(dest)
                if accepted:
                    self.progress.listener = on_progress
                    try:
                        report = index.update(accepted, prune=False)
                    finally:
                        self.progress.listener = None
                    lines.extend(self._report_lines(index, report, accepted))
        if accepted:
            self.progress.set(self.summary())
        return "\n\n".join(lines)

    def _report_lines(self, index: qa.Index, report: qa.IndexReport, paths: list[Path]) -> list[str]:
        lines = []
        ids = {p.name for p in paths}
        for doc_id in report.added + report.updated:
            if doc_id not in ids:
                continue
            sd = next((s for s in index.documents() if s.document.id == doc_id), None)
            n = sd.n_passages if sd else 0
            verb = "Added" if doc_id in report.added else "Updated"
            passages = f"{n} passage{'s' * (n != 1)}"
            lines.append(f"✓ {verb} **{webui.md_text(doc_id)}** ({passages}): you can ask about it now.")
        for doc_id in report.unchanged:
            lines.append(f"✓ **{webui.md_text(doc_id)}** is already indexed (unchanged).")
        for src, reason in report.failed:
            bad = Path(src)
            if webui.inside(self.config.upload_dir, bad):
                bad.unlink(missing_ok=True)
            lines.append(f"✗ {webui.md_text(bad.name)}: {webui.md_text(reason)}")
        return lines

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

    # -------------------------------------------------------------------------------- feedback
    @property
    def cases_path(self) -> Path:
        return self.config.feedback_dir / feedback.CASES_FILE

    @property
    def ratings_path(self) -> Path:
        return self.config.feedback_dir / feedback.RATINGS_FILE

    def rate(self, state: ChatState, message_index: int, liked: bool) -> tuple[str, list[tuple[str, int]]]:
        """Record a thumbs up/down. After a thumbs-down, returns the question to show and the candidate
        passages (label, position) to pick the right one from; after a thumbs-up, ("", [])."""
        ti = state.turn_at(message_index)
        if ti is None:
            return "", []
        turn = state.turns[ti]
        feedback.save_rating(self.ratings_path, turn.question, turn.answer, liked)
        if liked:
            state.feedback_turn, state.candidates = None, []
            return "", []
        state.feedback_turn = ti
        state.candidates = self._candidates(turn)
        choices = [(f"{webui.short(s.title, 40)}: “{webui.short(s.text, 110)}”", i)
                   for i, s in enumerate(state.candidates)]
        return turn.question, choices

    def _candidates(self, turn: Turn) -> list[feedback.Span]:
        spans: list[feedback.Span] = []
        items: list[Any] = list(turn.answer.citations) + list(turn.answer.related)
        try:
            items += self.require_index().search(turn.answer.query or turn.question, 10, doc_ids=turn.doc_ids)
        except (NotReady, KeyError, ValueError):
            pass
        for item in items:  # the quotes first, then passages that do not contain one already listed
            span = feedback.Span.of(item)
            if not any(s.overlaps(span.doc_id, span.start, span.end) for s in spans):
                spans.append(span)
        return spans

    def save_case(self, state: ChatState, choice: int | None, comment: str = "") -> str:
        if state.feedback_turn is None or state.feedback_turn >= len(state.turns):
            return "Give an answer a thumbs-down first."
        if choice is None or not 0 <= int(choice) < len(state.candidates):
            return "Pick the passage that answers the question."
        turn = state.turns[state.feedback_turn]
        history = webui.history_for_ask((t.question, t.answer.text) for t in state.turns[: state.feedback_turn])
        case = feedback.make_case(turn.question, turn.answer, state.candidates[int(choice)], history=history,
                                  k=turn.k, doc_ids=turn.doc_ids, comment=comment)
        feedback.save_case(self.cases_path, case)
        state.feedback_turn, state.candidates = None, []
        path = html.escape(str(self.cases_path))
        return (f"✓ Saved as an evaluation case in <code>{path}</code>; replay with "
                f"<code>python -m qa eval cases {path}</code>")


def _notice(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def _reader_message(text: str) -> str:
    return f'<div class="qa-doc-empty">{html.escape(text)}</div>'


MAX_NAME_BYTES = 240  # file systems allow 255 bytes per name; 120 characters of CJK text are 360


def _fit_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` with its stem shortened (at a character boundary) to fit ``limit`` UTF-8 bytes, suffix kept."""
    if len(name.encode("utf-8", "surrogatepass")) <= limit:
        return name
    stem, suffix = os.path.splitext(name)
    budget = limit - len(suffix.encode("utf-8", "surrogatepass"))
    return stem.encode("utf-8", "surrogatepass")[:budget].decode("utf-8", "ignore").rstrip(" .") + suffix


def _upload_name_and_path(f: Any) -> tuple[str, Path]:
    """(the name the person's file had, where Gradio stored it)."""
    if isinstance(f, (str, Path)):
        return Path(f).name, Path(f)
    path = Path(getattr(f, "path", None) or getattr(f, "name", None) or f["path"])
    original = getattr(f, "orig_name", None) or (f.get("orig_name") if isinstance(f, dict) else None) or path.name
    return str(original), path


# ------------------------------------------------------------------------------------------ the UI

CSS = """
.qa-header h1 { margin: 0; font-size: 1.5rem; }
.qa-header p { margin: 0.2rem 0 0; opacity: 0.75; }
.qa-status { font-size: 0.9rem; }
.qa-busy { color: #b45309; }
.qa-error { color: #b91c1c; }
#qa-reader { max-height: 560px; overflow-y: auto; border: 1px solid var(--border-color-primary);
             border-radius: 8px; padding: 0.75rem 1rem; background: var(--background-fill-primary); }
#qa-reader .qa-doc-head { margin-bottom: 0.6rem; padding-bottom: 0.4rem;
                         border-bottom: 1px solid var(--border-color-primary); }
#qa-reader .qa-doc-text { white-space: pre-wrap; line-height: 1.55; font-size: 0.95rem; }
#qa-reader mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#qa-reader .qa-doc-empty { opacity: 0.7; }
#qa-chat .qa-conflict { display: inline-block; background: #fef3c7; color: #92400e; font-weight: 600;
                       padding: 0.1rem 0.5rem; border-radius: 4px; border: 1px solid #f59e0b; }
#qa-chat .qa-notfound { display: inline-block; background: #e0e7ff; color: #3730a3; font-weight: 600;
                       padding: 0.1rem 0.5rem; border-radius: 4px; border: 1px solid #818cf8; }
#qa-docs td, #qa-docs td *, #qa-docs th, #qa-docs th * { font-family: var(--font) !important; font-size: 0.85rem; }
#qa-chat mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#qa-feedback { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.5rem; }
"""

SCROLL_TO_MARK = "() => { setTimeout(() => { const m = document.querySelector('#qa-reader mark'); " \
                 "if (m) m.scrollIntoView({block: 'center'}); }, 50); }"


def build_ui(app: ChatApp) -> Any:
    written = app.written_available()
    modes = [("Quotes only", "quotes")] + ([("Written answer", "written")] if written else [])

    with gr.Blocks(title="qa: answers quoted from your documents", fill_width=True, analytics_enabled=False) as demo:
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
                    question = gr.Textbox(placeholder="Ask a question about your documents…", show_label=False,
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
            with gr.Column(scale=2, min_width=360):
                with gr.Tabs(selected="reader") as tabs:
                    with gr.Tab("Reader", id="reader"):
                        cited = gr.Dropdown(label="Open a quote in its document", choices=[], value=None,
                                            elem_id="qa-cited")
                        reader = gr.HTML(_reader_message("Answers' quotes open here, highlighted in their document."),
                                         elem_id="qa-reader")
                    with gr.Tab("Documents", id="documents"):
                        docs_table = gr.Dataframe(
                            value=app.documents_rows(), headers=["Title", "File", "Passages", "Added"],
                            datatype=["str", "str", "number", "str"], interactive=False, wrap=True,
                            column_widths=["38%", "32%", "12%", "18%"], max_height=360,
                            elem_id="qa-docs", label="Indexed documents (click a row to read it)",
                        )
                        upload = gr.File(label="Add documents (txt, md, html, pdf, docx)", file_count="multiple",
                                         file_types=sorted(webui.ALLOWED_UPLOAD_SUFFIXES), elem_id="qa-upload")
                        upload_status = gr.Markdown(elem_id="qa-upload-status")
                        with gr.Row():
                            doc_pick = gr.Dropdown(label="Document", choices=app.document_choices(), value=None,
                                                   scale=3, elem_id="qa-doc-pick")
                            with gr.Column(scale=1, min_width=100):
                                open_btn = gr.Button("Open", elem_id="qa-open")
                                remove_btn = gr.Button("Remove", variant="stop", elem_id="qa-remove")
                        rescan_btn = gr.Button(f"Re-scan {app.config.documents_dir.name}/", size="sm")
                    with gr.Tab("Settings", id="settings"):
                        mode = gr.Radio(modes, value="quotes", label="Answer mode", visible=len(modes) > 1,
                                        elem_id="qa-mode")
                        if not written:
                            gr.Markdown("Answers are made of verbatim quotes. (Written answers need a local "
                                        "language model, which is not installed.)")
                        k = gr.Slider(1, 10, value=5, step=1, label="Passages to read per question", elem_id="qa-k")
                        only = gr.Dropdown(label="Ask only these documents (empty: all)",
                                           choices=app.document_choices(),
                                           multiselect=True, value=[], elem_id="qa-only")
        timer = gr.Timer(1.0, active=not app.progress.ready)

        # ---- chat
        def respond(q: str, st: ChatState, m: str, kk: float, ids: list[str]):
            for s in app.ask(q, st, m or "quotes", int(kk), ids or None):
                yield s.messages, s, "", gr.update()
            yield st.messages, st, "", gr.update(choices=app.citation_choices(st), value=None)

        chat_io = dict(inputs=[question, state, mode, k, only], outputs=[chatbot, state, question, cited],
                       api_visibility="private", show_progress="minimal")
        question.submit(respond, **chat_io)
        ask_btn.click(respond, **chat_io)

        def pick_example(evt: gr.SelectData) -> str:
            value = evt.value
            return value.get("text", "") if isinstance(value, dict) else str(value)

        chatbot.example_select(pick_example, None, question, api_visibility="private").then(respond, **chat_io)

        def new_chat():
            fresh = ChatState()
            return fresh.messages, fresh, gr.update(choices=[], value=None), gr.update(visible=False), ""

        new_btn.click(new_chat, None, [chatbot, state, cited, fb_group, fb_status], api_visibility="private")
        chatbot.clear(new_chat, None, [chatbot, state, cited, fb_group, fb_status], api_visibility="private")

        # ---- reader
        cited.input(app.open_citation, [cited, state], reader, api_visibility="private").then(
            lambda: gr.Tabs(selected="reader"), None, tabs, js=SCROLL_TO_MARK, api_visibility="private")

        def open_row(evt: gr.SelectData) -> tuple[str, Any]:
            return app.open_document(app.doc_id_for_row(evt.row_value)), gr.Tabs(selected="reader")

        docs_table.select(open_row, None, [reader, tabs], api_visibility="private")
        open_btn.click(lambda d: (app.open_document(d), gr.Tabs(selected="reader")), doc_pick, [reader, tabs],
                       api_visibility="private")

        # ---- documents
        def refreshed() -> tuple[Any, ...]:
            choices = app.document_choices()
            return (app.documents_rows(), gr.update(choices=choices, value=None), gr.update(choices=choices),
                    app.status_markdown())

        doc_outputs = [docs_table, doc_pick, only, status]

        def do_upload(files: list[Any] | None, progress=gr.Progress()):
            progress(0, desc="Reading files…")

            def step(done: int, total: int) -> None:
                progress((done, total), desc="Embedding passages", unit="passages")

            try:
                message = app.upload(files, step)
            except NotReady as e:
                message = f"… Not ready yet: {webui.md_text(str(e))}"
            return (message, None, *refreshed())

        upload.upload(do_upload, upload, [upload_status, upload, *doc_outputs], api_visibility="private")

        def do_remove(doc_id: str | None):
            try:
                message = app.remove(doc_id)
            except NotReady as e:
                message = f"… Not ready yet: {webui.md_text(str(e))}"
            return (message, *refreshed())

        remove_btn.click(do_remove, doc_pick, [upload_status, *doc_outputs], api_visibility="private")

        def do_rescan(progress=gr.Progress()):
            try:
                message = app.rescan(lambda d, t: progress((d, t), desc="Embedding passages", unit="passages"))
            except NotReady as e:
                message = f"… Not ready yet: {webui.md_text(str(e))}"
            return (message, *refreshed())

        rescan_btn.click(do_rescan, None, [upload_status, *doc_outputs], api_visibility="private")

        # ---- status while the index is being prepared
        def tick():
            if not app.progress.ready and not app.progress.error:
                return app.status_markdown(), gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
            rows, pick, only_, st = refreshed()
            return (st, rows, pick, only_, gr.update(examples=[{"text": q} for q in app.examples()] or None),
                    gr.Timer(active=False))

        timer.tick(tick, None, [status, docs_table, doc_pick, only, chatbot, timer], api_visibility="private",
                   show_progress="hidden")
        demo.load(lambda: (app.status_markdown(), *refreshed()[:3]), None, [status, docs_table, doc_pick, only],
                  api_visibility="private", show_progress="hidden")

        # ---- feedback
        def on_like(st: ChatState, data: gr.LikeData):
            index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            question_, choices = app.rate(st, int(index), bool(data.liked))
            if not choices:
                return st, gr.update(visible=False), gr.update(), gr.update(choices=[], value=None), \
                    "Thanks for the feedback." if data.liked else ""
            title = f"**Which passage should have answered:** {webui.md_text(question_)}"
            return st, gr.update(visible=True), title, gr.update(choices=choices, value=None), ""

        chatbot.like(on_like, state, [state, fb_group, fb_title, fb_choice, fb_status], api_visibility="private")

        def on_save(st: ChatState, choice: int | None, comment: str):
            message = app.save_case(st, choice, comment or "")
            done = st.feedback_turn is None
            return st, gr.update(visible=not done), message, "" if done else gr.update()

        fb_save.click(on_save, [state, fb_choice, fb_comment], [state, fb_group, fb_status, fb_comment],
                      api_visibility="private")
        fb_cancel.click(lambda: (gr.update(visible=False), ""), None, [fb_group, fb_status], api_visibility="private")

        # ---- API (stable names)
        def chat(question: str, history: list[dict[str, Any]] | None = None, mode: str = "quotes", k: int = 5,
                 doc_ids: list[str] | None = None) -> dict[str, Any]:
            """Answer a question from the indexed documents. Returns the answer (Markdown with [n] markers),
            whether it was found, its citations (verbatim quotes with document, offsets, context and score),
            whether the sources disagree, and related passages. history: the earlier turns, as
            [{"role": "user" or "assistant", "content": text}, ...]; mode: "quotes" (or "written" when its
            model is installed); k: passages to read; doc_ids: ask only these documents."""
            try:
                return app.chat_api(question, history, mode, k, doc_ids)
            except NotReady as e:
                raise gr.Error(f"Not ready yet: {e}") from None
            except (KeyError, ValueError) as e:
                raise gr.Error(e.args[0] if e.args else str(e)) from None

        def search(question: str, k: int = 5, doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
            """The k passages that best match the question, best first (verbatim text, document, offsets, score)."""
            try:
                return app.search_api(question, k, doc_ids)
            except NotReady as e:
                raise gr.Error(f"Not ready yet: {e}") from None
            except (KeyError, ValueError) as e:
                raise gr.Error(e.args[0] if e.args else str(e)) from None

        gr.api(chat, api_name="chat")
        gr.api(search, api_name="search")
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
        run_history=False, show_error=True, allowed_paths=[], **kwargs,
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
