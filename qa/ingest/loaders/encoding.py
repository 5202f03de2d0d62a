"""Bytes -> text: BOMs, UTF-8, then charset detection among plausible encodings; binary data refused."""
from __future__ import annotations

import codecs
import logging
import unicodedata
from typing import Any

logger = logging.getLogger(__name__)

BINARY_MESSAGE = "looks like a binary file, not text"


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# When charset_normalizer finds several equally good decodings, prefer the common ones.
_PREFERRED_ENCODINGS = (
    "cp1252", "cp1251", "koi8_r", "cp1250", "iso8859_15", "iso8859_2", "cp1253", "cp1254",
    "cp1257", "cp1255", "cp1256", "cp1125", "cp866", "mac_roman",
)
# UTF-16/32 without a BOM would contain NUL bytes (rejected earlier); EBCDIC is not used for
# personal documents. Guesses of these are garbage on short inputs.
_IMPLAUSIBLE_ENCODINGS = frozenset(
    {"utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le",
     "cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140"}
)
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b")
_MAX_CONTROL_SHARE = 0.05
_TIE_CHAOS = 0.01
_TIE_COHERENCE = 0.05


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes to ``(text, encoding name)``.

    Order: byte-order marks (UTF-8, UTF-16 LE/BE, UTF-32), strict UTF-8, then charset_normalizer's
    best guess (ties broken in favour of common encodings such as cp1252 and cp1251). Raises
    ``ValueError`` for binary data (NUL bytes without a UTF-16/32 BOM, or many control characters)
    or when no encoding fits.
    """
    bom = bom_encoding(data)
    if bom is not None:
        try:
            text = data.decode(bom)
        except UnicodeDecodeError as err:
            raise ValueError(f"invalid {bom} text ({err.reason})") from err
        _reject_binary(text)
        return text, bom
    if b"\x00" in data:
        raise ValueError(BINARY_MESSAGE)
    try:
        text = data.decode("utf-8")  # decoded once (``is_utf8`` and then a decode held a large text twice)
    except UnicodeDecodeError:
        _reject_binary_bytes(data)
        return _guess_encoding(data)
    _reject_binary(text)
    return text, "utf-8"


def bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _reject_binary(text: str) -> None:
    if "\x00" in text:
        raise ValueError(BINARY_MESSAGE)
    sample = text[:65536]
    if not sample:
        return
    controls = sum(
        1 for c in sample if c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc"
    )
    if controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError(BINARY_MESSAGE)


def _reject_binary_bytes(data: bytes) -> None:
    """Before guessing an 8-bit codec: count C0 control bytes (the same in every such codec)."""
    sample = data[:65536]
    controls = sum(1 for b in sample if (b < 0x20 or b == 0x7F) and chr(b) not in _ALLOWED_CONTROLS)
    if sample and controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError(BINARY_MESSAGE)


def _guess_encoding(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data) if m.encoding not in _IMPLAUSIBLE_ENCODINGS]
    if not matches:
        raise ValueError("could not detect the text encoding")
    encoding = _pick_encoding(matches)
    text = data.decode(encoding)
    _reject_binary(text)
    return text, encoding


def _pick_encoding(matches: list[Any]) -> str:
    """charset_normalizer's best match, unless an equally good match uses a more common encoding."""
    best_chaos = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best_chaos + _TIE_CHAOS]
    best_coherence = max(m.coherence for m in tied)
    tied = [m for m in tied if m.coherence >= best_coherence - _TIE_COHERENCE]
    for preferred in _PREFERRED_ENCODINGS:
        for match in tied:
            if preferred in match.could_be_from_charset:
                return preferred
    return str(tied[0].encoding)
