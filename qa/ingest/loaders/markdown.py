"""Markdown (.md): read as the text a reader sees, titled by its front matter or a heading at its top.

The document's text is the rendered Markdown, not its source: links keep their words and lose their addresses,
images and badges (``[![build](...)](...)``) are dropped, emphasis and inline-code marks go, raw HTML keeps only
its text, a table row becomes its cells joined by " | ", headings and paragraphs are blocks of their own, list items
keep their marker ("- ", "1. ") and code blocks their lines. Quotes are then verbatim from that text, as for HTML
and PDF (a README otherwise quotes "[![Downloads](https://static.pepy.tech/...)](...)" as a source).
"""
from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .base import (
    ParseResult,
    decode_or_fail,
    readable_stem,
    require_text,
)
from .limits import Limits

if TYPE_CHECKING:
    from markdown_it.token import Token

logger = logging.getLogger(__name__)

RENDERING = "md-text-1"  # folded into a Markdown file's content hash (``qa.ingest.plan.hash_file``): a new
# rendering re-reads the files an index read with an older one
TITLE_WITHIN = 300  # text before a heading that is still the document's title: one block of at most this many
# characters ("Intro line\n\n# T"); a heading after more is a section's ("Contributing")
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HIDDEN = re.compile(r"<(script|style|template)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)  # never text
_HIDDEN_OPEN = re.compile(r"<(script|style|template)\b", re.IGNORECASE)
_HIDDEN_CLOSE = re.compile(r"</(script|style|template)\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|h[1-6]|li|ul|ol|tr|table|br|hr|section|details|summary|blockquote|pre)\b[^>]*>",
                        re.IGNORECASE)
_HTML_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t]+")
_ALERT = re.compile(r"^\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.IGNORECASE)  # GitHub's "> [!TIP]" boxes


def parse_markdown(path: Path, data: bytes, limits: Limits | None = None) -> ParseResult:
    source, encoding = decode_or_fail(path, data)
    require_text(path, source)
    lines = source.split("\n")  # newlines normalised by decode_or_fail
    body_start, front_title = _front_matter(lines)
    text, heading = render("\n".join(lines[body_start:]))
    require_text(path, text, "no readable text in this Markdown file (only markup, images or links)")
    title = front_title or heading or readable_stem(path)
    return title, text, {"format": "md", "encoding": encoding}


def render(source: str) -> tuple[str, str | None]:
    """(the text of Markdown ``source``, its title: its first heading when at most a short block of text comes before
    it (``TITLE_WITHIN``), else None)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).parse(source)
    r = _Rendering(tokens)
    for i, t in enumerate(tokens):
        step = _STEPS.get(t.type)
        if step is not None:
            step(r, i, t)
    text = "".join(("\n" if joined else "\n\n") * (k > 0) + b for k, (b, joined) in enumerate(r.blocks))
    return text, r.title


@dataclass
class _Rendering:
    """The state of one rendering: the blocks so far (text, joined to the one before by a single newline: list
    items, table rows), the title found, the lists and blockquotes open, the table row being read."""

    tokens: Sequence[Token]
    blocks: list[tuple[str, bool]] = field(default_factory=list)
    title: str | None = None
    lists: list[list[int]] = field(default_factory=list)  # per open list: [ordered (0/1), start, next number]
    marker: str = ""  # the list marker the next block opens with ("- ", "2. ")
    lead_in: bool = False  # that block is held by the one before (an item, or a lead-in "It provides:")
    quoted: int = 0  # blockquotes open
    row: list[str] | None = None
    first_row: bool = True

    def add(self, words: str, *, item: bool = True) -> None:
        if item and self.marker:
            self.blocks.append((self.marker + words, bool(self.blocks) and self.lead_in))
            self.marker = ""
        else:
            self.blocks.append((words, False))


def _list_open(r: _Rendering, i: int, t: Token) -> None:
    start = int(t.attrGet("start") or 1)
    r.lists.append([t.type == "ordered_list_open", start, start])


def _list_close(r: _Rendering, i: int, t: Token) -> None:
    r.lists.pop()


def _item(r: _Rendering, i: int, t: Token) -> None:
    ordered, start, n = r.lists[-1]
    r.marker = f"{n}. " if ordered else "- "
    # a list's first item opens a block of its own, unless a lead-in ("It provides:") or an item holds it
    r.lead_in = len(r.lists) > 1 or n != start or (bool(r.blocks) and r.blocks[-1][0].endswith(":"))
    r.lists[-1][2] = n + 1


def _quote(r: _Rendering, i: int, t: Token) -> None:
    r.quoted += 1 if t.type == "blockquote_open" else -1


def _table(r: _Rendering, i: int, t: Token) -> None:
    r.first_row = True


def _row_open(r: _Rendering, i: int, t: Token) -> None:
    r.row = []


def _row_close(r: _Rendering, i: int, t: Token) -> None:
    if r.row is not None and any(r.row):
        r.blocks.append((" | ".join(r.row), not r.first_row))
        r.first_row = False
    r.row = None


def _inline_block(r: _Rendering, i: int, t: Token) -> None:
    words = _inline(t.children or [])
    if r.quoted:
        words = _ALERT.sub("", words)
    if r.row is not None:
        r.row.append(words)
    elif words:
        if r.tokens[i - 1].type == "heading_open" and r.title is None and _at_top(r.blocks):
            r.title = words
        r.add(words)


def _code(r: _Rendering, i: int, t: Token) -> None:
    code = t.content.rstrip("\n")
    if code.strip():
        r.add(code)


def _html_block(r: _Rendering, i: int, t: Token) -> None:
    words = _html_text(t.content)
    if r.title is None and _at_top(r.blocks) and (h1 := _HTML_H1.search(t.content)):
        r.title = _html_text(h1.group(1)) or None
    if words:
        r.add(words, item=False)


_STEPS: dict[str, Callable[[_Rendering, int, Token], None]] = {
    "bullet_list_open": _list_open, "ordered_list_open": _list_open,
    "bullet_list_close": _list_close, "ordered_list_close": _list_close,
    "list_item_open": _item, "blockquote_open": _quote, "blockquote_close": _quote,
    "table_open": _table, "tr_open": _row_open, "tr_close": _row_close,
    "inline": _inline_block, "fence": _code, "code_block": _code, "html_block": _html_block,
}


def _at_top(blocks: Sequence[tuple[str, bool]]) -> bool:
    """Whether a heading after ``blocks`` can still be the title (``TITLE_WITHIN``)."""
    return len(blocks) <= 1 and sum(len(b) for b, _ in blocks) <= TITLE_WITHIN


def _inline(children: Sequence[Token]) -> str:
    """The words of an inline run: text and code as written, link addresses, images, tags and what a script or
    style holds dropped."""
    out: list[str] = []
    hidden = 0  # inside an inline <script>, <style> or <template>: its content is no text
    for c in children:
        if c.type == "html_inline":
            hidden += bool(_HIDDEN_OPEN.match(c.content)) - bool(_HIDDEN_CLOSE.match(c.content))
            hidden = max(hidden, 0)
        if hidden:
            continue
        if c.type in ("text", "code_inline"):
            out.append(c.content)
        elif c.type == "softbreak":
            out.append(" ")
        elif c.type == "hardbreak":
            out.append("\n")
        elif c.type == "html_inline" and c.content.lower().startswith("<br"):
            out.append("\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in "".join(out).split("\n")).strip()


def _html_text(fragment: str) -> str:
    """The text of a raw HTML block: comments, scripts, styles and tags dropped (block tags end a line), entities
    decoded."""
    text = _BLOCK_TAG.sub("\n", _HIDDEN.sub("", _COMMENT.sub("", fragment)))
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _front_matter(lines: list[str]) -> tuple[int, str | None]:
    """(index of the first body line, front-matter title or None)."""
    if not lines or lines[0].strip() != "---":
        return 0, None
    title: str | None = None
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return i + 1, title
        match = _FRONT_MATTER_TITLE.match(line)
        if match and title is None:
            title = match.group(1).strip("'\"").strip() or None
    return 0, None  # no closing fence: not front matter after all
