"""PDF (pypdf): page texts joined with their start offsets kept, so passages can name their page."""
from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Any

from ...errors import LoadError
from .base import (
    MAX_TITLE_CHARS,
    ParseResult,
    first_nonblank_line,
    headline,
    normalize_newlines,
    quiet_logger,
    readable_stem,
    require_text,
    short_error,
)
from .limits import Limits, check_chars, current_limits, nested_too_deep, too_deep

logger = logging.getLogger(__name__)

_SCANNED_REASON = "no extractable text (scanned PDF? OCR is not supported)"
_COUNT = re.compile(rb"/Count\s+(\d{1,12})\b")
_TRIVIAL_PDF_TITLES = {"untitled", "untitled document", "document", "title", "microsoft word"}


def parse_pdf(path: Path, data: bytes, limits: Limits | None = None) -> ParseResult:
    limits = limits or current_limits()
    if b"%PDF-" not in data[:1024]:
        raise LoadError(path, "not a valid PDF (no %PDF header)")
    declared = max((int(m) for m in _COUNT.findall(data)), default=0)  # the page tree's counts, before parsing
    if declared > limits.max_pdf_pages:
        raise _too_many_pages(path, declared, limits)
    with quiet_logger("pypdf"):  # pypdf logs a WARNING for every repairable glitch
        reader = _open_pdf(path, data, limits)
        page_texts = _page_texts(path, reader, _page_count(path, reader, limits), limits)
        pdf_title = _pdf_metadata_title(reader)
    text, pages = join_pages(page_texts)
    require_text(path, text, _SCANNED_REASON)
    title = pdf_title or headline(first_nonblank_line(text)) or readable_stem(path)
    return title, text, {"format": "pdf", "pages": pages}


def join_pages(page_texts: list[str]) -> tuple[str, list[list[int]]]:
    """Join page texts with ``"\\n\\n"``; returns (text, [[start_offset, page_number], ...])."""
    parts: list[str] = []
    pages: list[list[int]] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        if parts:
            parts.append("\n\n")
            offset += 2
        pages.append([offset, number])
        parts.append(page_text)
        offset += len(page_text)
    return "".join(parts), pages


def _open_pdf(path: Path, data: bytes, limits: Limits) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as err:
        if nested_too_deep(err):
            raise too_deep(path) from err
        raise LoadError(path, f"not a valid PDF ({short_error(err)})") from err
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except DependencyError as err:
            raise LoadError(path, f"encrypted PDF (cannot decrypt: {err})") from err
        except Exception as err:
            raise LoadError(path, f"encrypted PDF ({short_error(err)})") from err
        if not decrypted:
            raise LoadError(path, "encrypted PDF (a password is required)")
    return reader


def _page_count(path: Path, reader: Any, limits: Limits) -> int:
    """The number of pages; over ``limits.max_pdf_pages`` refused from the count the file declares, before the
    page tree is walked (then the real count is checked again)."""
    try:
        declared = int(reader.trailer["/Root"]["/Pages"].get("/Count", 0))
    except Exception:  # no usable count: the page tree walk below decides
        declared = 0
    if declared > limits.max_pdf_pages:
        raise _too_many_pages(path, declared, limits)
    try:
        count = len(reader.pages)
    except Exception as err:
        if nested_too_deep(err):
            raise too_deep(path) from err
        raise LoadError(path, f"not a valid PDF ({short_error(err)})") from err
    if count > limits.max_pdf_pages:
        raise _too_many_pages(path, count, limits)
    if count == 0:
        raise LoadError(path, "not a valid PDF (it has no pages)")
    return count


def _too_many_pages(path: Path, count: int, limits: Limits) -> LoadError:
    return LoadError(path, f"too many pages ({count:,}; the limit is {limits.max_pdf_pages:,} pages per PDF)")


def _page_texts(path: Path, reader: Any, count: int, limits: Limits) -> list[str]:
    """Each page's text; stops (refusing the file) once the text passes the character budget."""
    texts: list[str] = []
    total = 0
    for index in range(count):
        texts.append(_page_text(path, reader, index, limits))
        total += len(texts[-1]) + 2
        check_chars(path, total, limits)
    return texts


def _page_text(path: Path, reader: Any, index: int, limits: Limits) -> str:
    try:
        return normalize_newlines(reader.pages[index].extract_text() or "").strip()
    except Exception as err:
        if nested_too_deep(err):
            raise too_deep(path) from err
        logger.warning("%s: could not read text of page %d (%s)", path, index + 1, short_error(err))
        return ""


def _pdf_metadata_title(reader: Any) -> str | None:
    try:
        raw = reader.metadata.title if reader.metadata else None
    except Exception:  # broken /Info dictionary: just ignore it
        return None
    if not isinstance(raw, str):
        return None
    title = " ".join(raw.replace("\x00", "").split())
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", title)
    if (
        len(title) < 2
        or len(title) > MAX_TITLE_CHARS
        or not any(c.isalpha() for c in title)
        or title.lower() in _TRIVIAL_PDF_TITLES
        or re.search(r"\.(pdf|docx?|odt|rtf|txt|pptx?|tex|dvi|indd)$", title, re.IGNORECASE)
    ):
        return None
    return title
