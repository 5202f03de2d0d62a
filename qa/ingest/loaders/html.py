"""HTML: the main content (trafilatura), navigation and comment forms dropped; a plain fallback.

trafilatura runs in its recall mode on the page without its navigation, forms, asides and footers: its precision
mode dropped the headings and a whole ``<ul>`` of a plain document-like page (a trip plan's day-by-day list, found
2026-12-03), which no question could then reach; related-article lists and comment forms are dropped either way
(``tests/unit/ingest/test_loaders.py``).
"""
from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path
from typing import Any

from .base import (
    MAX_TITLE_CHARS,
    ParseResult,
    decode_or_fail,
    normalize_newlines,
    quiet_logger,
    readable_stem,
    require_text,
    short_error,
)
from .encoding import bom_encoding, is_utf8
from .limits import Limits, check_chars, current_limits, too_deep

logger = logging.getLogger(__name__)

_CRUFT_TAGS = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "button", "select", "textarea",
)
_BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
    "ol", "dl", "dt", "dd", "tr", "table", "pre", "blockquote", "br", "hr", "figure",
    "figcaption", "address",
)
RENDERING = "html-recall-1"  # folded into an HTML file's content hash (``qa.ingest.plan.hash_file``): a new
# reading re-reads the file on the next update
MAIN_CONTENT_MAX_CHARS = 2_000_000  # larger pages skip trafilatura (their body text is taken as it is)
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def parse_html(path: Path, data: bytes, limits: Limits | None = None) -> ParseResult:
    html, encoding = _decode_html(path, data)
    html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses str input with one
    limits = limits or current_limits()
    root = _parse_html_tree(path, html, limits)
    if root is not None:
        check_chars(path, len(root.text_content()), limits)  # before the costly main-content extraction
    # trafilatura needs ~40x a page's size in memory and minutes on a large one: big pages get the plain reader
    text = _main_text(_without_furniture(root) if root is not None else html) if len(html) <= MAIN_CONTENT_MAX_CHARS \
        else ""
    if not text.strip() and root is not None:
        text = _fallback_body_text(root)
    require_text(path, text, "no readable text in this HTML page")
    title = (_html_title(root) if root is not None else None) or readable_stem(path)
    return title, text, {"format": "html", "encoding": encoding}


def _decode_html(path: Path, data: bytes) -> tuple[str, str]:
    """Like :func:`decode_text`, but a ``<meta charset>`` wins over guessing when UTF-8 fails."""
    if bom_encoding(data) is None and not is_utf8(data):
        declared = _declared_charset(data)
        if declared:
            try:
                return normalize_newlines(data.decode(declared)), declared
            except (UnicodeDecodeError, LookupError):
                logger.debug("%s: declared charset %r does not fit, guessing", path, declared)
    return decode_or_fail(path, data)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def _parse_html_tree(path: Path, html: str, limits: Limits) -> Any:
    """The page's element tree (None if lxml cannot parse it); a page nested deeper than ``limits.max_nesting``
    (or than lxml follows, without its huge-tree option) is refused instead of losing its text."""
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=False)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (lxml.etree.ParserError, ValueError) as err:
        logger.debug("lxml could not parse HTML: %s", err)
        root = None
    if any("depth" in e.message.lower() for e in parser.error_log) or _depth(root) > limits.max_nesting:
        raise too_deep(path, limits)
    return root


def _depth(root: Any) -> int:
    """The deepest nesting of elements under ``root`` (0 for None), without recursion."""
    import lxml.etree

    if root is None:
        return 0
    depth = deepest = 0
    for event, _ in lxml.etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


# elements that are never a page's content: dropped before trafilatura's recall mode reads the page (a <header> may
# hold the article's own heading, and stays)
_FURNITURE_TAGS = tuple(t for t in _CRUFT_TAGS if t != "header")


def _without_furniture(root: Any) -> str:
    """The page without its navigation, forms, asides, footers and scripts (``_FURNITURE_TAGS``), as HTML. They are
    removed from ``root`` itself (no copy of a large page): the title and the plain fallback drop them too."""
    import lxml.html

    for element in list(root.iter(*_FURNITURE_TAGS)):
        _drop_keep_tail(element)
    return str(lxml.html.tostring(root, encoding="unicode"))


def _main_text(html: str) -> str:
    """Main content via trafilatura (works on the string only: no URL is given, nothing is fetched)."""
    import trafilatura

    try:
        with quiet_logger("trafilatura"):
            extracted = trafilatura.extract(
                html,
                include_comments=False,
                include_tables=True,
                include_images=False,
                include_links=False,
                favor_recall=True,
                with_metadata=False,
                deduplicate=False,
            )
    except Exception as err:  # trafilatura choked: the lxml fallback will handle the page
        logger.debug("trafilatura failed: %s", short_error(err))
        return ""
    return _tidy_lines(extracted or "")


def _fallback_body_text(root: Any) -> str:
    """Text of ``<body>`` minus scripts, navigation, forms and other page furniture."""
    body = root.find("body")
    if body is None:
        body = root
    for element in list(body.iter(*_CRUFT_TAGS)):
        _drop_keep_tail(element)
    for element in body.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    for element in body.iter("td", "th"):
        element.tail = " | " + (element.tail or "")
    return _tidy_lines(body.text_content(), collapse_spaces=True)


def _drop_keep_tail(element: Any) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _tidy_lines(text: str, collapse_spaces: bool = False) -> str:
    """Strip trailing spaces (optionally collapse all space runs) and runs of blank lines."""
    lines = normalize_newlines(text).split("\n")
    if collapse_spaces:
        lines = [" ".join(line.split()).removesuffix(" |") for line in lines]
    else:
        lines = [line.rstrip() for line in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _html_title(root: Any) -> str | None:
    for xpath in ("//head/title", "//title", "//h1"):
        for element in root.xpath(xpath):
            title = " ".join(element.text_content().split())
            if title:
                return title[:MAX_TITLE_CHARS * 2]
    return None
