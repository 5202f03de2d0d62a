"""What every format loader shares: supported types, reading bytes, decoding, titles, quiet libraries."""
from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...errors import LoadError
from .encoding import decode_text

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
)

SUPPORTED_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))
MAX_TITLE_CHARS = 150


def check_supported(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no file extension)"
        raise LoadError(path, f"unsupported file type {shown} (supported: {SUPPORTED_LIST})")


def read_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    try:
        with path.open("rb") as fh:
            return fh.read(), os.fstat(fh.fileno())
    except PermissionError as err:
        raise LoadError(path, "permission denied") from err
    except FileNotFoundError as err:
        raise LoadError(path, "no such file") from err
    except IsADirectoryError as err:
        raise LoadError(path, "is a folder, not a file") from err
    except OSError as err:
        raise LoadError(path, f"cannot read file ({err.strerror or err})") from err


ParseResult = tuple[str, str, dict[str, Any]]  # (title, text, extra metadata)


def decode_or_fail(path: Path, data: bytes) -> tuple[str, str]:
    try:
        text, encoding = decode_text(data)
    except ValueError as err:
        raise LoadError(path, str(err)) from err
    return normalize_newlines(text), encoding


def require_text(path: Path, text: str, reason: str = "no text (only whitespace)") -> None:
    if not text or text.isspace():  # not ``text.strip()``: that copies a large text
        raise LoadError(path, reason)


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_nonblank_line(text: str) -> str:
    """The first line holding more than whitespace, stripped (read line by line: no list of every line)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        if line := text[start:end].strip():
            return line
        start = end + 1
    return ""


def headline(line: str) -> str | None:
    """``line`` if it looks like a title (short, no sentence-ending period), else None."""
    line = " ".join(line.split())
    if not line or len(line) > MAX_TITLE_CHARS or not any(c.isalpha() for c in line):
        return None
    if line.endswith((",", ";")):
        return None
    if line.endswith(".") and not line.endswith("...") and len(line.split()) > 4:
        return None
    return line


def readable_stem(path: str | Path) -> str:
    """File stem made readable: ``my_notes-2024.txt`` -> ``my notes 2024``."""
    stem = Path(path).stem
    readable = " ".join(re.sub(r"[_\-]+", " ", stem).split())
    return readable or Path(path).name


class _ToDebug(logging.Handler):
    """Re-log records from a noisy library at DEBUG level on our logger."""

    def emit(self, record: logging.LogRecord) -> None:
        logger.debug("%s: %s", record.name, record.getMessage())


_quiet_lock = threading.Lock()
_quiet_depth: dict[str, int] = {}
_quiet_saved: dict[str, tuple[logging.Handler, bool]] = {}


@contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """While active (in any thread), messages of logger ``name`` and its children go to our debug log."""
    with _quiet_lock:
        _quiet_depth[name] = _quiet_depth.get(name, 0) + 1
        if _quiet_depth[name] == 1:
            noisy = logging.getLogger(name)
            handler: logging.Handler = _ToDebug()
            _quiet_saved[name] = (handler, noisy.propagate)
            noisy.addHandler(handler)
            noisy.propagate = False
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth[name] -= 1
            if _quiet_depth[name] == 0:
                noisy = logging.getLogger(name)
                handler, propagate = _quiet_saved.pop(name)
                noisy.removeHandler(handler)
                noisy.propagate = propagate


def short_error(err: BaseException) -> str:
    message = " ".join(str(err).split())
    if len(message) > 120:
        message = message[:117] + "..."
    return message or type(err).__name__
