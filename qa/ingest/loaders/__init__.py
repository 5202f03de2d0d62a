"""Turn a person's files (txt, Markdown, HTML, PDF, docx) into :class:`~qa.types.Document` records.

Two entry points (one module per format: ``text``, ``markdown``, ``html``, ``pdf``, ``docx``;
``encoding`` decodes bytes, ``discover`` walks folders, ``base`` holds what they share):

* :func:`discover` expands files and folders into ``(path, doc_id)`` pairs.
* :func:`load_file` reads one file into a ``Document``; every failure becomes a :class:`LoadError`
  with a short human-readable reason, never a raw library traceback.

Text is kept close to the source: newlines are normalised to ``"\\n"`` and plain-text files are otherwise
left untouched; Markdown is read as the text it renders to (``markdown``: links' words without their addresses,
no images or badges), as HTML, PDF and docx are. Character offsets point into ``Document.text``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...errors import LoadError
from ...types import Document
from .base import (
    SUPPORTED_SUFFIXES,
    ParseResult,
    check_supported,
    normalize_newlines,
    read_bytes,
    readable_stem,
    short_error,
)
from .discover import discover
from .docx import parse_docx
from .encoding import decode_text
from .html import parse_html
from .limits import Limits, check_chars, current_limits
from .html import RENDERING as HTML_RENDERING
from .markdown import RENDERING as MARKDOWN_RENDERING
from .markdown import parse_markdown
from .pdf import join_pages, parse_pdf
from .text import parse_txt

logger = logging.getLogger(__name__)

_PLAIN = frozenset({".txt", ".md", ".markdown"})

PARSERS: dict[str, Callable[[Path, bytes, Limits], ParseResult]] = {
    ".txt": parse_txt,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".pdf": parse_pdf,
    ".docx": parse_docx,
}


# a suffix whose reading changed: folded into the content hash so that an index re-reads such files
RENDERINGS: dict[str, str] = {".md": MARKDOWN_RENDERING, ".markdown": MARKDOWN_RENDERING, ".html": HTML_RENDERING,
                              ".htm": HTML_RENDERING}


def load_file(path: str | Path, doc_id: str | None = None, limits: Limits | None = None) -> Document:
    """Read one file into a :class:`Document`.

    ``id`` is ``doc_id`` or the file name, ``source`` the resolved path. ``metadata`` holds
    ``format``, ``size`` (bytes), ``mtime`` (POSIX seconds), ``encoding`` for text formats and
    ``pages`` (``[[start_offset, page_number], ...]``) for PDFs.

    Raises :class:`LoadError` with a human-readable reason on any failure, also when the file does not fit
    ``limits`` (default: :func:`~qa.ingest.loaders.limits.current_limits`).
    """
    path = Path(path).expanduser()
    limits = limits or current_limits()
    check_supported(path)
    data, stat = read_bytes(path)
    if not data:
        raise LoadError(path, "empty file")
    suffix = path.suffix.lower()
    if suffix in _PLAIN and len(data) > 4 * limits.max_chars:  # more than max_chars whatever the encoding
        check_chars(path, len(data) // 4, limits)
    try:
        title, text, extra = PARSERS[suffix](path, data, limits)
    except LoadError:
        raise
    except RecursionError as err:
        raise LoadError(path, f"too deeply nested (more than {limits.max_nesting} levels)") from err
    except Exception as err:  # a library failure we did not foresee: still no raw traceback
        logger.debug("unexpected error while loading %s", path, exc_info=True)
        raise LoadError(path, f"could not read file ({short_error(err)})") from err
    check_chars(path, len(text), limits)
    metadata: dict[str, Any] = {"size": stat.st_size, "mtime": stat.st_mtime, **extra}
    return Document(
        id=doc_id if doc_id is not None else path.name,
        title=title,
        text=text,
        source=str(path.resolve()),
        metadata=metadata,
    )


__all__ = ["PARSERS", "RENDERINGS", "Limits", "SUPPORTED_SUFFIXES", "LoadError", "decode_text", "discover", "join_pages", "load_file",
           "normalize_newlines", "readable_stem"]
