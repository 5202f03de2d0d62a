"""Budgets a file must fit before (and while) it is read: nothing is unpacked, parsed or chunked past them.

Every limit has a default that fits a 2-core / 24 GB machine with room for the app, and an environment
variable (read once, at first use; :func:`set_limits` overrides, e.g. from the web app's settings). Sizes are
in MiB (1 MiB = 1,048,576 bytes), the unit the upload dialog shows too. A file over a budget is refused with a
:class:`~qa.errors.LoadError` whose reason names the limit in plain words.
"""
from __future__ import annotations

import logging
import os
import threading
import zipfile
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ...errors import LoadError

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
RATIO_CHECKED_ABOVE = MIB  # small zip members may compress very well (empty XML parts): only larger ones count


@dataclass(frozen=True)
class Limits:
    """What one document may cost. Environment variable of each field: ``QA_`` + its name in capitals."""

    max_chars: int = 10_000_000  # characters of text per document (about 5,000 printed pages)
    max_passages: int = 20_000  # passages per document
    max_pdf_pages: int = 5_000  # pages per PDF, checked before any page is read
    max_nesting: int = 200  # element nesting depth (HTML, docx XML); PDF objects too deep are refused as well
    max_unzipped_mib: int = 200  # uncompressed size of all members of a zip-based file (docx), from its directory
    max_member_mib: int = 20  # uncompressed size of one member (e.g. word/document.xml)
    max_zip_ratio: int = 100  # uncompressed / compressed size of a member larger than 1 MiB

    @classmethod
    def from_env(cls) -> Limits:
        values: dict[str, int] = {}
        for f in fields(cls):
            raw = os.environ.get(f"QA_{f.name.upper()}")
            if not raw:
                continue
            try:
                values[f.name] = max(1, int(float(raw)))
            except ValueError:
                logger.warning("QA_%s=%r is not a number: using the default %s", f.name.upper(), raw, f.default)
        return replace(cls(), **values)


_lock = threading.Lock()
_current: Limits | None = None


def current_limits() -> Limits:
    """The limits in force: :func:`set_limits`'s, else the environment's (read once), else the defaults."""
    global _current
    with _lock:
        if _current is None:
            _current = Limits.from_env()
        return _current


def set_limits(limits: Limits | None) -> None:
    """Use ``limits`` from now on in this process (None: read the environment again at next use)."""
    global _current
    with _lock:
        _current = limits


def mib(n_bytes: float) -> str:
    """``n_bytes`` in MiB, as the messages show it: ``"64 MiB"``, ``"0.5 MiB"``."""
    value = n_bytes / MIB
    return f"{value:.0f} MiB" if value >= 10 or value == int(value) else f"{value:.1f} MiB"


def check_chars(path: Path, n_chars: int, limits: Limits) -> None:
    if n_chars > limits.max_chars:
        raise LoadError(path, f"too much text ({n_chars:,} characters; the limit is {limits.max_chars:,} per document)")


def check_zip(path: Path, archive: zipfile.ZipFile, limits: Limits, kind: str) -> None:
    """Refuse a zip-based file (``kind``: "docx") whose directory announces more than the budgets allow,
    before any member is inflated. Reading then stays bounded by ``bounded_member``."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > limits.max_member_mib * MIB:
            raise LoadError(path, f"this {kind} unpacks to more than the limit of {limits.max_member_mib} MiB for one "
                                  f"part ({mib(info.file_size)}): a compressed bomb, or far larger than a normal document")
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > RATIO_CHECKED_ABOVE and ratio > limits.max_zip_ratio:
            raise LoadError(path, f"this {kind} is compressed suspiciously well ({ratio:,.0f} to 1; the limit is "
                                  f"{limits.max_zip_ratio} to 1): it looks like a compressed bomb")
    if total > limits.max_unzipped_mib * MIB:
        raise LoadError(path, f"this {kind} unpacks to {mib(total)}, more than the limit of "
                              f"{limits.max_unzipped_mib} MiB")


def read_member(path: Path, archive: zipfile.ZipFile, name: str, limits: Limits, kind: str) -> bytes:
    """One member's bytes, never more than the per-member budget whatever its directory entry claims (a forged
    size in the directory cannot make us inflate more)."""
    cap = limits.max_member_mib * MIB
    with archive.open(name) as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise LoadError(path, f"this {kind} unpacks to more than the limit of {limits.max_member_mib} MiB for one part")
    return data


def nested_too_deep(err: BaseException) -> bool:
    """True if ``err`` is, or was raised while handling, a RecursionError (a parser lost in nested structure)."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, RecursionError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def too_deep(path: Path, limits: Limits | None = None) -> LoadError:
    """The refusal of a file nested deeper than ``limits.max_nesting`` elements (None: deeper than its parser
    can follow, e.g. PDF arrays inside arrays)."""
    depth = f"more than {limits.max_nesting} levels" if limits else "deeper than can be read safely"
    return LoadError(path, f"too deeply nested (elements inside elements, {depth}); its text cannot be read")


__all__ = ["MIB", "Limits", "check_chars", "check_zip", "current_limits", "mib", "nested_too_deep", "read_member", "set_limits",
           "too_deep"]
