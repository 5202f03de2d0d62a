"""Word .docx, read in one streaming pass over its XML (no python-docx tree): paragraphs and tables in document
order, headings kept as lines, text boxes as their own paragraphs.

The zip directory is checked against the budgets first (``check_zip``); then the main document part (found through
``_rels/.rels``) is streamed straight out of the zip with lxml's ``iterparse`` (its size limits on: no huge_tree,
no entities, no network), every finished element freed at once, counting nesting depth and characters as it goes.
Memory stays proportional to one paragraph (or one table row), whatever the size of the file; no part is ever
inflated past ``max_member_mib``. ``word/styles.xml`` (which style ids are headings) and ``docProps/core.xml``
(the title) are streamed the same way.

The text matches what python-docx gives for paragraphs and tables (``w:t``, tabs, line breaks, no-break hyphens;
table cells `` | ``-separated, a merged cell once per row), and also reads what python-docx skips: content controls,
smart tags, tracked insertions, field results and text boxes. Deleted text and Word's compatibility fallbacks
(``mc:Fallback``, a copy of what ``mc:Choice`` holds) are not read.
"""
from __future__ import annotations

import io
import logging
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ...errors import LoadError
from .base import MAX_TITLE_CHARS, ParseResult, normalize_newlines, readable_stem, require_text
from .limits import MIB, Limits, check_chars, check_zip, current_limits, too_deep

logger = logging.getLogger(__name__)

_W_NAMESPACES = frozenset({"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                           "http://purl.oclc.org/ooxml/wordprocessingml/main"})  # transitional, strict
_SKIPPED = frozenset({"{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback", "del", "moveFrom"})
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_OFFICE_DOCUMENT = "/officeDocument"  # the end of the main part's relationship type (transitional and strict)
_BODY = "word/document.xml"
_RUN_TEXT = {"tab": "\t", "ptab": "\t", "cr": "\n", "noBreakHyphen": "-"}  # w:br is "\n" unless a page/column break


def parse_docx(path: Path, data: bytes, limits: Limits | None = None) -> ParseResult:
    limits = limits or current_limits()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        hint = " (an old .doc file? only .docx is supported)" if data.startswith(b"\xd0\xcf\x11\xe0") else ""
        raise LoadError(path, f"not a valid .docx (not a zip archive){hint}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip(path, archive, limits, ".docx")
            names = set(archive.namelist())
            body = _main_part(path, archive, names, limits)
            if body is None:
                raise LoadError(path, "not a valid .docx (no document part: is it a Word file?)")
            headings = _heading_styles(path, archive, names, limits)
            blocks, heading = _read_body(path, archive, body, headings, limits)
            core_title = _core_title(path, archive, names, limits)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
        raise LoadError(path, "not a valid .docx (a damaged zip archive)") from err
    text = "\n\n".join(blocks)
    require_text(path, text, "no text in this .docx")
    title = core_title or heading or readable_stem(path)
    return title, text, {"format": "docx"}


# ------------------------------------------------------------------------------------------ streaming


class _Capped(io.RawIOBase):
    """A zip member read through a byte budget: reading past ``cap`` bytes refuses the file (the directory's
    sizes may lie; this does not)."""

    def __init__(self, path: Path, fh: IO[bytes], cap: int) -> None:
        self.path, self.fh, self.cap, self.read_bytes = path, fh, cap, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.fh.read(min(len(buffer), 1 << 16))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.cap:
            raise LoadError(self.path, f"this .docx unpacks to more than the limit of {self.cap // MIB} MiB for one part")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _events(path: Path, archive: zipfile.ZipFile, name: str, limits: Limits) -> Iterator[tuple[str, Any]]:
    """(event, element) of a streaming parse of member ``name``; the caller frees elements as they end. Nesting
    deeper than ``limits.max_nesting`` and XML errors are refused with plain words."""
    from lxml import etree

    depth = 0
    with archive.open(name) as raw:
        source = io.BufferedReader(_Capped(path, raw, limits.max_member_mib * MIB))
        try:
            for event, element in etree.iterparse(source, events=("start", "end"), huge_tree=False,
                                                  resolve_entities=False, no_network=True, remove_comments=True,
                                                  remove_pis=True):
                if event == "start":
                    depth += 1
                    if depth > limits.max_nesting:
                        raise too_deep(path, limits)
                else:
                    depth -= 1
                yield event, element
        except etree.XMLSyntaxError as err:
            if "depth" in str(err).lower():  # libxml2's own limit (256 levels: "Excessive depth in document ...,
                raise too_deep(path, limits) from err  # use XML_PARSE_HUGE option" since lxml 6.2), before ours
            if "too long" in str(err).lower() or "huge" in str(err).lower():
                raise LoadError(path, "one block of text in this .docx is larger than the 10,000,000-character "
                                      "limit for a single piece of text") from err
            raise LoadError(path, "not a valid .docx (its text is damaged)") from err


def _free(element: Any) -> None:
    """Drop a finished element's content and its finished older siblings: memory stays flat."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _local(tag: Any) -> str:
    """``w:p`` -> ``"p"`` for the WordprocessingML namespaces; other elements keep their full ``{ns}name``."""
    if not isinstance(tag, str):
        return ""
    ns, _, name = tag[1:].partition("}")
    return name if ns in _W_NAMESPACES else tag


def _attr(element: Any, name: str) -> str | None:
    for ns in _W_NAMESPACES:
        value = element.get(f"{{{ns}}}{name}")
        if value is not None:
            return str(value)
    return None


# ------------------------------------------------------------------------------------------ parts


def _main_part(path: Path, archive: zipfile.ZipFile, names: set[str], limits: Limits) -> str | None:
    """The main document part: the target of the package's officeDocument relationship, else word/document.xml."""
    if "_rels/.rels" in names:
        for event, element in _events(path, archive, "_rels/.rels", limits):
            if event == "end" and str(element.get("Type", "")).endswith(_OFFICE_DOCUMENT):
                target = posixpath.normpath(str(element.get("Target", "")).lstrip("/"))
                if target in names:
                    return target
    return _BODY if _BODY in names else None


def _heading_styles(path: Path, archive: zipfile.ZipFile, names: set[str], limits: Limits) -> frozenset[str]:
    """Ids of the paragraph styles named "Heading …" or "Title" (any case, as python-docx reads their names)."""
    if "word/styles.xml" not in names:
        return frozenset()
    found: set[str] = set()
    style_id: str | None = None
    for event, element in _events(path, archive, "word/styles.xml", limits):
        tag = _local(element.tag)
        if event == "start":
            if tag == "style":
                style_id = _attr(element, "styleId") if _attr(element, "type") in (None, "paragraph") else None
            continue
        if tag == "name" and style_id:
            name = (_attr(element, "val") or "").strip().lower()
            if name.startswith("heading") or name == "title":
                found.add(style_id)
        if tag == "style":
            style_id = None
            _free(element)
    return frozenset(found)


def _core_title(path: Path, archive: zipfile.ZipFile, names: set[str], limits: Limits) -> str | None:
    if "docProps/core.xml" not in names:
        return None
    for event, element in _events(path, archive, "docProps/core.xml", limits):
        if event == "end" and element.tag == _DC_TITLE:
            title = " ".join((element.text or "").split())
            return title or None
    return None


# ------------------------------------------------------------------------------------------ the body


@dataclass
class _Paragraph:
    parts: list[str] = field(default_factory=list)
    style: str | None = None

    def text(self) -> str:
        return normalize_newlines("".join(self.parts)).strip()


@dataclass
class _Table:
    rows: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # the cells of the row being read
    cell: list[str] = field(default_factory=list)  # the paragraphs of the cell being read
    merged: bool = False  # the cell being read continues a vertical merge (python-docx repeats the cell above)
    span: int = 1  # grid columns of the cell being read
    column: int = 0  # grid column where the cell being read starts
    above: dict[int, tuple[int, str]] = field(default_factory=dict)  # grid column -> (span, text) of the row above
    row_cells: dict[int, tuple[int, str]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # every cell's text (for a table nested in a cell)


class _Body:
    """The state of the streaming pass over the document body: the open paragraphs and tables, innermost last (a text
    box's paragraph sits inside another paragraph, a table inside a cell)."""

    def __init__(self, path: Path, headings: frozenset[str], limits: Limits) -> None:
        self.path, self.headings, self.limits = path, headings, limits
        self.blocks: list[str] = []
        self.heading: str | None = None
        self.open: list[_Paragraph | _Table] = []
        self.chars = 0
        self.skip = 0  # > 0 inside content that is not shown: mc:Fallback (a copy of mc:Choice), deletions

    def start(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip += 1
        if self.skip:
            return
        if tag == "p":
            self.open.append(_Paragraph())
        elif tag == "tbl":
            self.open.append(_Table())
        elif tag == "tc" and isinstance(self.top, _Table):
            self.top.cell, self.top.merged, self.top.span = [], False, 1

    @property
    def top(self) -> _Paragraph | _Table | None:
        return self.open[-1] if self.open else None

    def end(self, tag: str, element: Any, parent: str) -> None:
        if tag in _SKIPPED:
            self.skip -= 1
            return
        top = self.top
        if self.skip or top is None:
            return
        if isinstance(top, _Paragraph):
            if tag == "t" and element.text:
                self._add(top, element.text)
            elif tag in _RUN_TEXT and parent == "r":
                self._add(top, _RUN_TEXT[tag])
            elif tag == "br" and parent == "r" and _attr(element, "type") in (None, "textWrapping"):
                self._add(top, "\n")
            elif tag == "pStyle" and top.style is None:
                top.style = _attr(element, "val")
            elif tag == "p":
                self.open.pop()
                self._paragraph(top)
        else:
            self._table_part(top, tag, element)

    def _add(self, p: _Paragraph, text: str) -> None:
        p.parts.append(text)
        self.chars += len(text)
        if self.chars > self.limits.max_chars:
            check_chars(self.path, self.chars, self.limits)

    def _paragraph(self, p: _Paragraph) -> None:
        text = p.text()
        if isinstance(self.top, _Table):
            self.top.cell.append(text)  # a paragraph of a table cell
        elif text:  # a paragraph of the body (or of a text box: its own block)
            self.blocks.append(text)
            if self.heading is None and p.style in self.headings:
                self.heading = " ".join(text.split())[: MAX_TITLE_CHARS * 2]

    def _table_part(self, t: _Table, tag: str, element: Any) -> None:
        if tag == "vMerge" and (_attr(element, "val") or "continue") == "continue":
            t.merged = True
        elif tag == "gridSpan":
            val = _attr(element, "val") or "1"
            t.span = min(1000, max(1, int(val))) if val.isdigit() else 1
        elif tag == "tc":
            text = " ".join(" ".join(t.cell).split())
            if t.merged and t.column in t.above:
                text = t.above[t.column][1]
            t.cells.append(text)
            t.texts.append(text)
            t.row_cells[t.column] = (t.span, text)
            t.column += t.span
        elif tag == "tr":
            if any(t.cells):
                t.rows.append(" | ".join(t.cells))
            t.above, t.row_cells, t.cells, t.column = t.row_cells, {}, [], 0
        elif tag == "tbl":
            self.open.pop()
            table = "\n".join(t.rows)
            if isinstance(self.top, _Table):  # a table inside a cell: its cells' text joins the cell's
                self.top.cell.append(" ".join(t.texts))
            elif table:  # a table of the body (or of a text box: its own block)
                self.blocks.append(table)


def _read_body(path: Path, archive: zipfile.ZipFile, name: str, headings: frozenset[str], limits: Limits
               ) -> tuple[list[str], str | None]:
    """Text blocks in body order (paragraphs; tables as one block, a line per row, cells separated by `` | ``) and
    the text of the first Heading/Title-styled paragraph."""
    body = _Body(path, headings, limits)
    stack: list[str] = []
    for event, element in _events(path, archive, name, limits):
        tag = _local(element.tag)
        if event == "start":
            stack.append(tag)
            body.start(tag)
            continue
        stack.pop()
        body.end(tag, element, stack[-1] if stack else "")
        _free(element)
    return body.blocks, body.heading
