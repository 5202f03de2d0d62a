"""Word .docx (python-docx): paragraphs and tables in document order; headings kept as lines."""
from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path
from typing import Any

from ...errors import LoadError
from .base import (
    MAX_TITLE_CHARS,
    ParseResult,
    normalize_newlines,
    readable_stem,
    require_text,
    short_error,
)
from .limits import Limits, check_chars, check_zip, current_limits, read_member, too_deep

logger = logging.getLogger(__name__)


_BODY = "word/document.xml"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def parse_docx(path: Path, data: bytes, limits: Limits | None = None) -> ParseResult:
    limits = limits or current_limits()
    document = _open_docx(path, data, limits)
    blocks, heading = _docx_blocks(document)
    text = "\n\n".join(blocks)
    require_text(path, text, "no text in this .docx")
    title = _docx_core_title(document) or heading or readable_stem(path)
    return title, text, {"format": "docx"}


def _open_docx(path: Path, data: bytes, limits: Limits) -> Any:
    """python-docx's document, once the zip directory and a streaming pass over the body fit the budgets."""
    import docx

    if not zipfile.is_zipfile(io.BytesIO(data)):
        hint = " (an old .doc file? only .docx is supported)" if data.startswith(b"\xd0\xcf\x11\xe0") else ""
        raise LoadError(path, f"not a valid .docx (not a zip archive){hint}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip(path, archive, limits, ".docx")
            if _BODY in archive.namelist():
                _check_body(path, read_member(path, archive, _BODY, limits, ".docx"), limits)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise LoadError(path, "not a valid .docx (a damaged zip archive)") from err
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as err:
        raise LoadError(path, f"not a valid .docx ({short_error(err)})") from err


def _check_body(path: Path, xml: bytes, limits: Limits) -> None:
    """Stream through the document body (elements freed as they end; lxml's size limits on: no huge_tree)
    counting nesting depth and text, before python-docx builds the whole tree."""
    from lxml import etree

    depth = chars = 0
    try:
        for event, element in etree.iterparse(io.BytesIO(xml), events=("start", "end"), huge_tree=False,
                                              resolve_entities=False, no_network=True):
            if event == "start":
                depth += 1
                if depth > limits.max_nesting:
                    raise too_deep(path, limits)
                continue
            depth -= 1
            if element.tag == f"{_W}t" and element.text:
                chars += len(element.text)
                if chars > limits.max_chars:
                    check_chars(path, chars, limits)
            element.clear(keep_tail=True)
            while element.getprevious() is not None:  # drop finished siblings: memory stays flat
                del element.getparent()[0]
    except etree.XMLSyntaxError as err:
        if "too long" in str(err).lower() or "huge" in str(err).lower():
            raise LoadError(path, "one block of text in this .docx is larger than the 10,000,000-character limit "
                                  "for a single piece of text") from err
        raise LoadError(path, "not a valid .docx (its text is damaged)") from err


def _docx_blocks(document: Any) -> tuple[list[str], str | None]:
    """Text blocks in body order (paragraphs; tables as one block, a line per row, cells
    separated by `` | ``) and the text of the first Heading/Title-styled paragraph."""
    from docx.table import Table

    blocks: list[str] = []
    heading: str | None = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            block = _docx_table_text(item)
        else:
            block = normalize_newlines(item.text).strip()
            if block and heading is None and _is_heading_style(item):
                heading = " ".join(block.split())[: MAX_TITLE_CHARS * 2]
        if block:
            blocks.append(block)
    return blocks, heading


def _is_heading_style(paragraph: Any) -> bool:
    try:
        name = paragraph.style.name if paragraph.style is not None else ""
    except Exception:
        return False
    return bool(name) and (name.startswith("Heading") or name == "Title")


def _docx_table_text(table: Any) -> str:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous: Any = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is reported once per grid column
                continue
            previous = cell._tc
            cells.append(" ".join(normalize_newlines(cell.text).split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _docx_core_title(document: Any) -> str | None:
    try:
        title = document.core_properties.title or ""
    except Exception:
        return None
    title = " ".join(title.split())
    return title or None
