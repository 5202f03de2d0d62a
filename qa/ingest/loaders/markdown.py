"""Markdown (.md): kept as written; titled by its front matter or first heading."""
from __future__ import annotations

import logging
import re
from pathlib import Path

from .base import (
    ParseResult,
    decode_or_fail,
    readable_stem,
    require_text,
)
from .limits import Limits

logger = logging.getLogger(__name__)

_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LIST_OR_QUOTE = re.compile(r"^ {0,3}(?:[-*+>]|\d+[.)])(?:\s|$)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.IGNORECASE)


def parse_markdown(path: Path, data: bytes, limits: Limits | None = None) -> ParseResult:
    text, encoding = decode_or_fail(path, data)
    require_text(path, text)
    title = markdown_title(text) or readable_stem(path)
    return title, text, {"format": "md", "encoding": encoding}


def markdown_title(text: str) -> str | None:
    """YAML front-matter ``title:``, else the first ATX (``# T``) or setext heading, else None."""
    lines = text.split("\n")
    body_start, front_title = _front_matter(lines)
    if front_title:
        return front_title
    in_fence = False
    previous = ""
    for line in lines[body_start:]:
        if _FENCE.match(line):
            in_fence, previous = not in_fence, ""
            continue
        if in_fence:
            continue
        atx = _ATX_HEADING.match(line)
        if atx and _clean_inline_markdown(atx.group(1)):
            return _clean_inline_markdown(atx.group(1))
        if _SETEXT_UNDERLINE.match(line) and previous.strip() and not _LIST_OR_QUOTE.match(previous):
            return _clean_inline_markdown(previous)
        previous = line
    return None


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


def _clean_inline_markdown(heading: str) -> str:
    heading = _MD_LINK.sub(r"\1", heading)
    heading = re.sub(r"(\*\*|__|\*|`)", "", heading)
    return " ".join(heading.split())
