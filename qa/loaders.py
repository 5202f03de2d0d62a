"""Turn a person's files (txt, Markdown, HTML, PDF, docx) into :class:`~qa.types.Document` records.

Two entry points:

* :func:`discover` expands files and folders into ``(path, doc_id)`` pairs.
* :func:`load_file` reads one file into a ``Document``; every failure becomes a :class:`LoadError`
  with a short human-readable reason, never a raw library traceback.

Text is kept close to the source: newlines are normalised to ``"\\n"`` and plain-text / Markdown
files are otherwise left untouched, so character offsets into ``Document.text`` stay meaningful.
"""
from __future__ import annotations

import codecs
import io
import logging
import os
import re
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qa.types import Document

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
)

_SUPPORTED_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))
_MAX_TITLE_CHARS = 150
_BINARY_MESSAGE = "looks like a binary file, not text"


class LoadError(Exception):
    """A file that cannot be loaded. ``str(err) == f"{path}: {reason}"``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable (e.g. across process pools)
        return (type(self), (self.path, self.reason))


# --------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------


def discover(sources: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Expand files and folders into ``(path, doc_id)`` pairs, sorted, deduplicated by resolved path.

    Folders are walked recursively; hidden files and folders (name starts with ``.``) are skipped;
    files with an unsupported suffix inside folders are skipped (logged at debug level); symlinked
    folders are not followed (so symlink loops cannot hang), symlinked files are.

    ``doc_id`` for a file found in folder ``F`` is ``f"{F.name}/{relative posix path}"``; for a file
    given directly it is its file name. If two different files would get the same id, the later
    one gets a ``~2``, ``~3``... suffix (with a warning).

    Raises :class:`LoadError` for a source that does not exist, or for a file given directly whose
    type is not supported.
    """
    found: list[tuple[Path, str]] = []
    for source in sources:
        found.extend(_expand_source(Path(source).expanduser(), source))
    return sorted(_unique_ids(_dedupe_by_resolved_path(found)))


def _expand_source(path: Path, original: str | Path) -> list[tuple[Path, str]]:
    if path.is_dir():
        return list(_walk_folder(path))
    if path.is_file():
        _check_supported(path)
        return [(path, path.name)]
    if os.path.lexists(path) and not path.is_symlink():
        raise LoadError(original, "not a regular file or folder")
    raise LoadError(original, "no such file or folder")


def _walk_folder(folder: Path) -> Iterator[tuple[Path, str]]:
    prefix = folder.name or folder.resolve().name

    def on_error(err: OSError) -> None:
        logger.warning("cannot read folder %s: %s", err.filename, err.strerror or err)

    for dirpath, dirnames, filenames in os.walk(folder, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name.startswith("."):
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                logger.debug("skipping %s: unsupported file type", path)
                continue
            if not path.is_file():  # broken symlink, symlink loop, socket, ...
                logger.debug("skipping %s: not a regular file", path)
                continue
            yield path, f"{prefix}/{path.relative_to(folder).as_posix()}"


def _dedupe_by_resolved_path(pairs: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    seen: set[Path] = set()
    unique: list[tuple[Path, str]] = []
    for path, doc_id in pairs:
        key = path.resolve()
        if key in seen:
            logger.debug("skipping %s: same file as one already found", path)
            continue
        seen.add(key)
        unique.append((path, doc_id))
    return unique


def _unique_ids(pairs: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    used: set[str] = set()
    result: list[tuple[Path, str]] = []
    for path, doc_id in pairs:
        new_id, n = doc_id, 1
        while new_id in used:
            n += 1
            new_id = f"{doc_id}~{n}"
        if new_id != doc_id:
            logger.warning("document id %r is used twice; calling %s %r", doc_id, path, new_id)
        used.add(new_id)
        result.append((path, new_id))
    return result


def _check_supported(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no file extension)"
        raise LoadError(path, f"unsupported file type {shown} (supported: {_SUPPORTED_LIST})")


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


def load_file(path: str | Path, doc_id: str | None = None) -> Document:
    """Read one file into a :class:`Document`.

    ``id`` is ``doc_id`` or the file name, ``source`` the resolved path. ``metadata`` holds
    ``format``, ``size`` (bytes), ``mtime`` (POSIX seconds), ``encoding`` for text formats and
    ``pages`` (``[[start_offset, page_number], ...]``) for PDFs.

    Raises :class:`LoadError` with a human-readable reason on any failure.
    """
    path = Path(path).expanduser()
    _check_supported(path)
    data, stat = _read_bytes(path)
    if not data:
        raise LoadError(path, "empty file")
    parser = _PARSERS[path.suffix.lower()]
    try:
        title, text, extra = parser(path, data)
    except LoadError:
        raise
    except Exception as err:  # a library failure we did not foresee: still no raw traceback
        logger.debug("unexpected error while loading %s", path, exc_info=True)
        raise LoadError(path, f"could not read file ({type(err).__name__}: {_short_error(err)})") from err
    metadata: dict[str, Any] = {"size": stat.st_size, "mtime": stat.st_mtime, **extra}
    return Document(
        id=doc_id if doc_id is not None else path.name,
        title=title,
        text=text,
        source=str(path.resolve()),
        metadata=metadata,
    )


def _read_bytes(path: Path) -> tuple[bytes, os.stat_result]:
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


def _decode_or_fail(path: Path, data: bytes) -> tuple[str, str]:
    try:
        text, encoding = decode_text(data)
    except ValueError as err:
        raise LoadError(path, str(err)) from err
    return normalize_newlines(text), encoding


def _require_text(path: Path, text: str, reason: str = "no text (only whitespace)") -> None:
    if not text.strip():
        raise LoadError(path, reason)


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---- plain text ----------------------------------------------------------------------------


def _parse_txt(path: Path, data: bytes) -> ParseResult:
    text, encoding = _decode_or_fail(path, data)
    _require_text(path, text)
    title = _headline(_first_nonblank_line(text)) or readable_stem(path)
    return title, text, {"format": "txt", "encoding": encoding}


def _first_nonblank_line(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            return line.strip()
    return ""


def _headline(line: str) -> str | None:
    """``line`` if it looks like a title (short, no sentence-ending period), else None."""
    line = " ".join(line.split())
    if not line or len(line) > _MAX_TITLE_CHARS or not any(c.isalpha() for c in line):
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


# ---- Markdown ------------------------------------------------------------------------------

_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LIST_OR_QUOTE = re.compile(r"^ {0,3}(?:[-*+>]|\d+[.)])(?:\s|$)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.IGNORECASE)


def _parse_markdown(path: Path, data: bytes) -> ParseResult:
    text, encoding = _decode_or_fail(path, data)
    _require_text(path, text)
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


# ---- HTML ----------------------------------------------------------------------------------

_CRUFT_TAGS = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "button", "select", "textarea",
)
_BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
    "ol", "dl", "dt", "dd", "tr", "table", "pre", "blockquote", "br", "hr", "figure",
    "figcaption", "address",
)
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)


def _parse_html(path: Path, data: bytes) -> ParseResult:
    html, encoding = _decode_html(path, data)
    html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses str input with one
    root = _parse_html_tree(html)
    text = _main_text(html)
    if not text.strip() and root is not None:
        text = _fallback_body_text(root)
    _require_text(path, text, "no readable text in this HTML page")
    title = (_html_title(root) if root is not None else None) or readable_stem(path)
    return title, text, {"format": "html", "encoding": encoding}


def _decode_html(path: Path, data: bytes) -> tuple[str, str]:
    """Like :func:`decode_text`, but a ``<meta charset>`` wins over guessing when UTF-8 fails."""
    if _bom_encoding(data) is None and not _is_utf8(data):
        declared = _declared_charset(data)
        if declared:
            try:
                return normalize_newlines(data.decode(declared)), declared
            except (UnicodeDecodeError, LookupError):
                logger.debug("%s: declared charset %r does not fit, guessing", path, declared)
    return _decode_or_fail(path, data)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def _parse_html_tree(html: str) -> Any:
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as err:
        logger.debug("lxml could not parse HTML: %s", err)
        return None


def _main_text(html: str) -> str:
    """Main content via trafilatura (works on the string only: no URL is given, nothing is fetched)."""
    import trafilatura

    try:
        with _quiet_logger("trafilatura"):
            extracted = trafilatura.extract(
                html,
                include_comments=False,
                include_tables=True,
                include_images=False,
                include_links=False,
                favor_precision=True,
                with_metadata=False,
                deduplicate=False,
            )
    except Exception as err:  # trafilatura choked: the lxml fallback will handle the page
        logger.debug("trafilatura failed: %s", _short_error(err))
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
                return title[:_MAX_TITLE_CHARS * 2]
    return None


# ---- PDF -----------------------------------------------------------------------------------

_SCANNED_REASON = "no extractable text (scanned PDF? OCR is not supported)"
_TRIVIAL_PDF_TITLES = {"untitled", "untitled document", "document", "title", "microsoft word"}


def _parse_pdf(path: Path, data: bytes) -> ParseResult:
    if b"%PDF-" not in data[:1024]:
        raise LoadError(path, "not a valid PDF (no %PDF header)")
    with _quiet_logger("pypdf"):  # pypdf logs a WARNING for every repairable glitch
        reader = _open_pdf(path, data)
        page_texts = [_page_text(path, reader, i) for i in range(_page_count(path, reader))]
        pdf_title = _pdf_metadata_title(reader)
    text, pages = join_pages(page_texts)
    _require_text(path, text, _SCANNED_REASON)
    title = pdf_title or _headline(_first_nonblank_line(text)) or readable_stem(path)
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


def _open_pdf(path: Path, data: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as err:
        raise LoadError(path, f"not a valid PDF ({_short_error(err)})") from err
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except DependencyError as err:
            raise LoadError(path, f"encrypted PDF (cannot decrypt: {err})") from err
        except Exception as err:
            raise LoadError(path, f"encrypted PDF ({_short_error(err)})") from err
        if not decrypted:
            raise LoadError(path, "encrypted PDF (a password is required)")
    return reader


def _page_count(path: Path, reader: Any) -> int:
    try:
        count = len(reader.pages)
    except Exception as err:
        raise LoadError(path, f"not a valid PDF ({_short_error(err)})") from err
    if count == 0:
        raise LoadError(path, "not a valid PDF (it has no pages)")
    return count


def _page_text(path: Path, reader: Any, index: int) -> str:
    try:
        return normalize_newlines(reader.pages[index].extract_text() or "").strip()
    except Exception as err:
        logger.warning("%s: could not read text of page %d (%s)", path, index + 1, _short_error(err))
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
        or len(title) > _MAX_TITLE_CHARS
        or not any(c.isalpha() for c in title)
        or title.lower() in _TRIVIAL_PDF_TITLES
        or re.search(r"\.(pdf|docx?|odt|rtf|txt|pptx?|tex|dvi|indd)$", title, re.IGNORECASE)
    ):
        return None
    return title


# ---- shared helpers ------------------------------------------------------------------------


class _ToDebug(logging.Handler):
    """Re-log records from a noisy library at DEBUG level on our logger."""

    def emit(self, record: logging.LogRecord) -> None:
        logger.debug("%s: %s", record.name, record.getMessage())


_quiet_lock = threading.Lock()
_quiet_depth: dict[str, int] = {}
_quiet_saved: dict[str, tuple[logging.Handler, bool]] = {}


@contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """While active (in any thread), messages of logger ``name`` and its children go to our debug log."""
    with _quiet_lock:
        _quiet_depth[name] = _quiet_depth.get(name, 0) + 1
        if _quiet_depth[name] == 1:
            noisy = logging.getLogger(name)
            handler = _ToDebug()
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


def _short_error(err: BaseException) -> str:
    message = " ".join(str(err).split())
    if len(message) > 120:
        message = message[:117] + "..."
    return message or type(err).__name__


# ---- docx ----------------------------------------------------------------------------------


def _parse_docx(path: Path, data: bytes) -> ParseResult:
    document = _open_docx(path, data)
    blocks, heading = _docx_blocks(document)
    text = "\n\n".join(blocks)
    _require_text(path, text, "no text in this .docx")
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
        raise LoadError(path, f"not a valid .docx ({_short_error(err)})") from err


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
                heading = " ".join(block.split())[: _MAX_TITLE_CHARS * 2]
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


# --------------------------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------------------------

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
    bom_encoding = _bom_encoding(data)
    if bom_encoding is not None:
        try:
            text = data.decode(bom_encoding)
        except UnicodeDecodeError as err:
            raise ValueError(f"invalid {bom_encoding} text ({err.reason})") from err
        _reject_binary(text)
        return text, bom_encoding
    if b"\x00" in data:
        raise ValueError(_BINARY_MESSAGE)
    if _is_utf8(data):
        text = data.decode("utf-8")
        _reject_binary(text)
        return text, "utf-8"
    _reject_binary_bytes(data)
    return _guess_encoding(data)


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _reject_binary(text: str) -> None:
    if "\x00" in text:
        raise ValueError(_BINARY_MESSAGE)
    sample = text[:65536]
    if not sample:
        return
    controls = sum(
        1 for c in sample if c not in _ALLOWED_CONTROLS and unicodedata.category(c) == "Cc"
    )
    if controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError(_BINARY_MESSAGE)


def _reject_binary_bytes(data: bytes) -> None:
    """Before guessing an 8-bit codec: count C0 control bytes (the same in every such codec)."""
    sample = data[:65536]
    controls = sum(1 for b in sample if (b < 0x20 or b == 0x7F) and chr(b) not in _ALLOWED_CONTROLS)
    if sample and controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError(_BINARY_MESSAGE)


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


_PARSERS: dict[str, Callable[[Path, bytes], ParseResult]] = {
    ".txt": _parse_txt,
    ".md": _parse_markdown,
    ".markdown": _parse_markdown,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".pdf": _parse_pdf,
    ".docx": _parse_docx,
}
