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

logger = logging.getLogger(__name__)


def parse_docx(path: Path, data: bytes) -> ParseResult:
    document = _open_docx(path, data)
    blocks, heading = _docx_blocks(document)
    text = "\n\n".join(blocks)
    require_text(path, text, "no text in this .docx")
    title = _docx_core_title(document) or heading or readable_stem(path)
    return title, text, {"format": "docx"}


def _open_docx(path: Path, data: bytes) -> Any:
    import docx

    if not zipfile.is_zipfile(io.BytesIO(data)):
        hint = " (an old .doc file? only .docx is supported)" if data.startswith(b"\xd0\xcf\x11\xe0") else ""
        raise LoadError(path, f"not a valid .docx (not a zip archive){hint}")
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as err:
        raise LoadError(path, f"not a valid .docx ({short_error(err)})") from err


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
