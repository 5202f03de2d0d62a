"""Plain text (.txt): decoded, newlines normalised, titled by its first line when that looks like a headline."""
from __future__ import annotations

import logging
from pathlib import Path

from .base import (
    ParseResult,
    decode_or_fail,
    first_nonblank_line,
    headline,
    readable_stem,
    require_text,
)
from .limits import Limits

logger = logging.getLogger(__name__)


def parse_txt(path: Path, data: bytes, limits: Limits | None = None) -> ParseResult:
    text, encoding = decode_or_fail(path, data)
    require_text(path, text)
    title = headline(first_nonblank_line(text)) or readable_stem(path)
    return title, text, {"format": "txt", "encoding": encoding}
