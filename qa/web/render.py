"""Pure helpers for the web chat (``qa.web``): escaping, rendering answers and sources, upload checks.

Nothing here imports Gradio, so it is all testable without a browser. Document text is untrusted: every
piece of it that reaches the page goes through :func:`md_text` (Markdown contexts: the chat) or
:func:`html.escape` (HTML contexts: the document reader), so a document containing HTML, Markdown links,
images or script is shown as the text it is. Answer text (which quotes documents) keeps its light Markdown
formatting, but loses every way to make a tag, a link, an image or a URL (:func:`safe_answer_markdown`).
"""
from __future__ import annotations

import html
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..ingest.loaders.base import SUPPORTED_SUFFIXES
from ..ingest.loaders.limits import MIB
from ..types import Answer, Citation, Hit

ALLOWED_UPLOAD_SUFFIXES: frozenset[str] = SUPPORTED_SUFFIXES
DEFAULT_MAX_UPLOAD_MB = 25  # MiB (1 MiB = 1,048,576 bytes: the unit Gradio's upload dialog shows too)
SOURCES_TITLE = "Sources"
NOT_FOUND_TITLE = "Not in your documents"
CONFLICT_BANNER = '<span class="qa-conflict">⚠ The sources disagree</span>'
CiteLink = Callable[[int], str | None]  # [n] -> the markup of a clickable citation (None: plain marker)

# ------------------------------------------------------------------------------------------ escaping

# Characters with a meaning in (GitHub-flavoured) Markdown or HTML, written as numeric character
# references: the renderer shows them as the characters, and never reads them as syntax.
_MD_SPECIAL = frozenset("\\`*_{}[]()<>#+-!|~$&@=\"'^:")
_WS = re.compile(r"\s+")
_URL_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
_WWW = re.compile(r"(?i)\bwww\.")
_EMAIL_AT = re.compile(r"(?<=\w)@(?=\w)")


def md_text(text: str, *, collapse: bool = True) -> str:
    """``text`` as literal Markdown: every syntax character escaped, whitespace collapsed to single spaces
    (so a line of the document cannot start a heading, list, table or code block)."""
    if collapse:
        text = _WS.sub(" ", text).strip()
    escaped = "".join(f"&#{ord(c)};" if c in _MD_SPECIAL else c for c in text)
    return _WWW.sub(lambda m: m.group(0)[:3] + "&#46;", escaped)


def safe_answer_markdown(text: str, cite: CiteLink | None = None) -> str:
    """Answer Markdown made inert: no HTML tags, links, images, autolinks, footnotes or maths; emphasis,
    quotes, lists and line breaks kept. ``[n]`` citation markers are shown as superscript references, made
    clickable by ``cite`` (see ``qa.web.cite.cite_links``) when it gives markup for that number."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace("`", "&#96;")
    text = text.replace("[", "&#91;").replace("]", "&#93;")
    text = _URL_SCHEME.sub(lambda m: f"{m.group(1)}&#58;", text)
    text = _WWW.sub(lambda m: m.group(0)[:3] + "&#46;", text)
    text = _EMAIL_AT.sub("&#64;", text)
    text = text.replace("$", "&#36;")
    def marker(m: re.Match[str]) -> str:
        link = cite(int(m.group(1))) if cite else None
        return f"<sup>{link or m.group(0)}</sup>"

    return re.sub(r"&#91;(\d{1,3})&#93;", marker, text)


# ------------------------------------------------------------------------------------------ names


def file_name(source: str | None, doc_id: str) -> str:
    """The file name a person recognises: the last part of the source path (or of the id)."""
    for candidate in (source, doc_id):
        if candidate:
            name = PurePosixPath(candidate.replace("\\", "/")).name
            if name:
                return name
    return doc_id


def short(text: str, limit: int = 90) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------------------------------ quotes


@dataclass(frozen=True)
class QuoteView:
    """A quote inside its context: ``before + quote + after`` is the (collapsed) context."""

    before: str
    quote: str
    after: str


def quote_in_context(c: Citation) -> QuoteView:
    """Split a citation's context around its quote (by offsets; by search if the offsets disagree)."""
    context = c.context or ""
    rel = c.start - c.context_start
    if context and 0 <= rel and rel + len(c.quote) <= len(context) and context[rel : rel + len(c.quote)] == c.quote:
        return QuoteView(context[:rel], c.quote, context[rel + len(c.quote) :])
    pos = context.find(c.quote) if context and c.quote else -1
    if pos >= 0:
        return QuoteView(context[:pos], c.quote, context[pos + len(c.quote) :])
    return QuoteView("", c.quote, "")


def _md_quote(view: QuoteView) -> str:
    before, after = md_text(view.before), md_text(view.after)
    quote = md_text(view.quote)
    parts = [p for p in (before, f"<mark>{quote}</mark>", after) if p]
    return " ".join(parts)


def _where(title: str, source: str | None, doc_id: str, page: int | None) -> str:
    bits = [f"**{md_text(title or doc_id)}**", f"<code>{md_text(file_name(source, doc_id))}</code>"]
    if page:
        bits.append(f"page {page}")
    return " · ".join(bits)


def render_citation(c: Citation, cite: CiteLink | None = None, best: bool = False) -> str:
    """One entry of the Sources block: [n] (clickable with ``cite``), title, file, "best match" for the
    quote that scored highest, then the quote highlighted in its context. Raw scores are not shown: they
    are log-odds on no scale a reader knows (the API keeps them)."""
    marker = (cite(c.n) if cite else None) or f"&#91;{c.n}&#93;"
    head = f"**{marker}** {_where(c.title, c.source, c.doc_id, c.page)}" + (" · best match" if best else "")
    return f"{head}\n\n> {_md_quote(quote_in_context(c))}"


def render_hit(h: Hit, n: int | None = None) -> str:
    """A retrieved passage (no answer in it): title, file and the passage text (best first, no score)."""
    label = f"**{n}.** " if n is not None else ""
    return f"{label}{_where(h.title, h.source, h.doc_id, h.page)}\n\n> {md_text(short(h.text, 400))}"


def short_answer_line(answer: Answer) -> str:
    """The reader's probability that its short answer answers the question, as a percentage (the one
    relevance figure shown: it is a calibrated probability); "" without a short answer."""
    short_answer = getattr(answer, "answer", None)
    probability = getattr(short_answer, "probability", None)
    if short_answer is None or not isinstance(probability, float):
        return ""
    return (f"Short answer **{md_text(short_answer.text)}**: {round(100 * probability)}% likely to answer "
            f"the question (the reader's estimate).")


def render_sources(answer: Answer, cite: CiteLink | None = None) -> str:
    """The body of the collapsible Sources block under an answer."""
    if not answer.citations:
        return "_No quotes._"
    best = max(answer.citations, key=lambda c: c.score).n if len(answer.citations) > 1 else None
    items = [render_citation(c, cite, best=c.n == best) for c in answer.citations]
    line = short_answer_line(answer)
    return "\n\n".join([line, *items] if line else items)


def render_related(hits: Sequence[Hit]) -> str:
    if not hits:
        return "_Nothing in your documents comes close._"
    return "\n\n".join(render_hit(h, i) for i, h in enumerate(hits, 1))


def sources_title(answer: Answer) -> str:
    if not answer.found:
        return f"Related passages, not an answer ({len(answer.related)})"
    n = len(answer.citations)
    return f"{SOURCES_TITLE} ({n})"


_DISAGREE = re.compile(r"sources disagree", re.IGNORECASE)
_LEAD_IN = re.compile(r"\s*\*\*([^*]*sources disagree[^*]*)\*\*:?\s*", re.IGNORECASE)


def render_answer(answer: Answer, cite: CiteLink | None = None) -> str:
    """The answer bubble: a conflict banner when the sources disagree, then the answer with [n] markers.
    A "not found" answer keeps its first paragraph only (the related passages are listed separately)."""
    text = answer.text.strip()
    if not answer.found:
        first = text.split("\n\n", 1)[0].strip() if text else ""
        body = safe_answer_markdown(first) if first else "I could not find an answer to this in your documents."
        return f'<span class="qa-notfound">{NOT_FOUND_TITLE}</span> {body}'
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    if not answer.conflict:
        return safe_answer_markdown("\n\n".join(paragraphs), cite)
    first = paragraphs[0].replace("\n", " ") if paragraphs else ""
    lead = _LEAD_IN.match(first)
    if lead:  # the answer states the disagreement in a bold lead-in: make that the banner
        label = html.escape(lead.group(1).strip().rstrip(":"))
        banner = f'<span class="qa-conflict">⚠ {label}</span> ' + safe_answer_markdown(first[lead.end():], cite)
        rest = paragraphs[1:]
    elif _DISAGREE.search(first):
        banner = f"{CONFLICT_BANNER} " + safe_answer_markdown(first, cite)
        rest = paragraphs[1:]
    else:
        banner = f"{CONFLICT_BANNER} Compare the quotes below: each source is cited."
        rest = paragraphs
    return "\n\n".join([banner, *(safe_answer_markdown(p, cite) for p in rest)])


def render_notes(answer: Answer) -> str:
    """What the answering engine says about its answer (e.g. a written sentence it removed), as small print."""
    return "\n\n".join(f"<small>Note: {md_text(n)}</small>" for n in answer.notes if n.strip())


def render_partial(text: str) -> str:
    """An answer still streaming in."""
    return safe_answer_markdown(text) + " ▍"


def chat_messages(question: str, answer: Answer, cite: CiteLink | None = None) -> list[dict[str, Any]]:
    """The chat messages of one turn (Gradio "messages" format): the question, the answer, and a
    collapsed block with the sources (or, when nothing answers it, the related passages). ``cite`` makes
    the [n] markers clickable (``qa.web.cite.cite_links``)."""
    msgs: list[dict[str, Any]] = [{"role": "user", "content": question}]
    body = "\n\n".join(part for part in (render_answer(answer, cite), render_notes(answer)) if part)
    if answer.found:
        msgs.append({"role": "assistant", "content": body})
        if answer.citations:
            msgs.append({"role": "assistant", "content": render_sources(answer, cite),
                         "metadata": {"title": sources_title(answer), "status": "done"}})
    else:
        msgs.append({"role": "assistant", "content": body})
        if answer.related:
            msgs.append({"role": "assistant", "content": render_related(answer.related),
                         "metadata": {"title": sources_title(answer), "status": "done"}})
    return msgs


def answer_payload(answer: Answer) -> dict[str, Any]:
    """What the ``/chat`` API returns: the answer record as JSON-friendly data."""
    data = answer.to_dict()
    data["citations"] = [c.to_dict() for c in answer.citations]
    data["related"] = [h.to_dict() for h in answer.related]
    data["notes"] = list(answer.notes)
    return data


def history_for_ask(turns: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """(question, answer text) pairs as the ``history`` that ``Index.ask`` reads."""
    out: list[dict[str, str]] = []
    for q, a in turns:
        out.append({"role": "user", "content": q})
        out.append({"role": "assistant", "content": a})
    return out


# ------------------------------------------------------------------------------------------ reader


def render_document_html(text: str, title: str, name: str, span: tuple[int, int] | None = None) -> str:
    """A document's full text as escaped HTML, with ``span`` (start, end offsets) highlighted. The text is
    its own scroll box (``.qa-doc-text``, keyboard-scrollable), so opening a quote never scrolls the page."""
    head = f'<div class="qa-doc-head"><b>{html.escape(title)}</b> · <code>{html.escape(name)}</code></div>'
    if span is not None:
        start, end = max(0, span[0]), min(len(text), span[1])
        if start < end:
            body = (html.escape(text[:start]) + '<mark id="qa-mark">' + html.escape(text[start:end]) + "</mark>"
                    + html.escape(text[end:]))
        else:
            body = html.escape(text)
    else:
        body = html.escape(text)
    return f'{head}<div class="qa-doc-text" tabindex="0" role="region" aria-label="Document text">{body}</div>'


def find_quote(text: str, c: Citation) -> tuple[int, int] | None:
    """Where ``c``'s quote is in ``text``: at its offsets, else the occurrence nearest to them (the document
    changed since); None when the text no longer holds it."""
    if 0 <= c.start < c.end <= len(text) and text[c.start:c.end] == c.quote:
        return c.start, c.end
    if not c.quote:
        return None
    found: list[int] = []
    pos = text.find(c.quote)
    while pos >= 0 and len(found) < 100:
        found.append(pos)
        pos = text.find(c.quote, pos + 1)
    if not found:
        return None
    best = min(found, key=lambda p: abs(p - c.start))
    return best, best + len(c.quote)


def render_saved_quote_html(c: Citation, note: str) -> str:
    """A quote as it was saved with its chat (its document removed or changed): the note, the document's
    title, file and offsets, and the quote highlighted in its saved context; all escaped."""
    view = quote_in_context(c)
    where = f"characters {c.start}-{c.end}" + (f", page {c.page}" if c.page else "")
    head = (f'<div class="qa-doc-head"><b>{html.escape(c.title or c.doc_id)}</b> · '
            f'<code>{html.escape(file_name(c.source, c.doc_id))}</code> · {where}</div>')
    body = (html.escape(view.before) + '<mark id="qa-mark">' + html.escape(view.quote) + "</mark>"
            + html.escape(view.after))
    return (f'{head}<p class="qa-doc-note">{html.escape(note)}</p>'
            f'<div class="qa-doc-text" tabindex="0" role="region" aria-label="Quoted text">{body}</div>')


# ------------------------------------------------------------------------------------------ documents


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:16] if iso else ""


def documents_rows(stored: Iterable[Any]) -> list[list[Any]]:
    """Rows for the documents table: title, file, passages, added (StoredDocument records)."""
    rows = []
    for sd in sorted(stored, key=lambda s: (s.document.title.lower(), s.document.id)):
        d = sd.document
        rows.append([d.title or d.id, file_name(d.source, d.id), sd.n_passages, _when(sd.added)])
    return rows


def document_choices(stored: Iterable[Any]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for pickers, sorted by title."""
    items = sorted(stored, key=lambda s: (s.document.title.lower(), s.document.id))
    return [(f"{short(sd.document.title or sd.document.id, 70)} ({file_name(sd.document.source, sd.document.id)})",
             sd.document.id) for sd in items]


# ------------------------------------------------------------------------------------------ uploads


class UploadRejected(ValueError):
    """An uploaded file that will not be indexed; ``str(e)`` is the message shown to the person."""


_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ()\[\],+&'@]+")


def safe_upload_name(original: str) -> str:
    """A file name safe to create in the uploads folder: the last path component only (``/`` and ``\\``),
    no control characters, no leading dots, at most 120 characters, suffix kept."""
    name = unicodedata.normalize("NFC", original or "")
    name = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name  # both separators
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    name = name.lstrip(".-")
    if name in ("", ".", ".."):
        raise UploadRejected("the file has no usable name")
    stem, suffix = os.path.splitext(name)
    if len(name) > 120:
        name = stem[: 120 - len(suffix)].rstrip(" .") + suffix
    if not stem:
        raise UploadRejected(f"{original!r}: the file has no usable name")
    return name


def safe_name(original: str) -> str:
    """A file name fit to show in a message: last path component, no control or direction-override characters."""
    try:
        return safe_upload_name(original)
    except UploadRejected:
        return "the file"


def check_upload(original_name: str, size: int, max_bytes: int) -> str:
    """Validate one upload (type allow-list, size cap); return its safe name or raise UploadRejected."""
    name = safe_upload_name(original_name)
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_UPLOAD_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no file extension"
        allowed = ", ".join(sorted(s.lstrip(".") for s in ALLOWED_UPLOAD_SUFFIXES))
        raise UploadRejected(f"{name}: this type of file cannot be indexed ({shown}); allowed: {allowed}")
    if size > max_bytes:
        raise UploadRejected(f"{name}: the file is too large ({size / MIB:.1f} MiB; the limit is "
                             f"{max_bytes / MIB:g} MiB)")
    if size == 0:
        raise UploadRejected(f"{name}: the file is empty")
    return name


def inside(folder: Path, path: Path) -> bool:
    """True if ``path`` resolves to a location inside ``folder``."""
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
