"""Tests for qa.ingest.loaders: every supported format, encodings, broken files and folder discovery.

All fixtures are generated in tmp_path (PDFs are written by hand, .docx files with python-docx).
"""
from __future__ import annotations

import io
import os
import pickle
import socket
import zipfile
from pathlib import Path

import pytest

from qa.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    LoadError,
    decode_text,
    discover,
    load_file,
)

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, one page per list."""
    n_pages = len(pages)
    first_page = 4
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (
            "<< /Type /Pages /Count %d /Kids [%s] >>"
            % (n_pages, " ".join(f"{first_page + 2 * i} 0 R" for i in range(n_pages)))
        ).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        content_id = first_page + 2 * i + 1
        objects.append(
            (
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
            ).encode()
        )
        ops = ["BT", "/F1 12 Tf", "72 720 Td"]
        for j, line in enumerate(lines):
            if j:
                ops.append("0 -16 Td")
            ops.append(f"{_pdf_string(line)} Tj")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info_id = None
    if title is not None:
        objects.append(f"<< /Title {_pdf_string(title)} /Producer (tests) >>".encode("latin-1"))
        info_id = len(objects)

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R"
    if info_id:
        trailer += f" /Info {info_id} 0 R"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


TWO_PAGES = [
    ["Quarterly Report", "Revenue grew by 12 percent."],
    ["Second page here", "Costs were stable."],
]


def make_docx(path: Path, core_title: str | None = "Project Plan") -> Path:
    import docx

    document = docx.Document()
    if core_title is not None:
        document.core_properties.title = core_title
    document.add_heading("Plan Overview", level=1)
    document.add_paragraph("The project starts in March.")
    document.add_paragraph("")  # empty paragraphs are dropped
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Task"
    table.cell(0, 1).text = "Owner"
    table.cell(1, 0).text = "Design"
    table.cell(1, 1).text = "Alice"
    document.add_paragraph("Budget is 10k EUR.")
    document.save(str(path))
    return path


# --------------------------------------------------------------------------------------------
# plain text and encodings
# --------------------------------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


def test_txt_utf8_title_and_metadata(tmp_path: Path) -> None:
    content = "\nMeeting notes\r\nWe agreed on the budget.\r\nNext: hire.\rEnd\n"
    path = write(tmp_path / "notes.txt", content)
    doc = load_file(path)
    assert doc.id == "notes.txt"
    assert doc.title == "Meeting notes"
    assert doc.text == "\nMeeting notes\nWe agreed on the budget.\nNext: hire.\nEnd\n"
    assert doc.source == str(path.resolve())
    assert doc.metadata["format"] == "txt"
    assert doc.metadata["encoding"] == "utf-8"
    assert doc.metadata["size"] == len(content.encode())
    assert doc.metadata["mtime"] == pytest.approx(path.stat().st_mtime)


def test_txt_doc_id_is_passed_through(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Hello")
    assert load_file(str(path), doc_id="folder/a.txt").id == "folder/a.txt"


def test_txt_title_falls_back_to_readable_stem(tmp_path: Path) -> None:
    sentence = "This first line is an ordinary sentence, so it is not a title at all."
    path = write(tmp_path / "my_notes-2024.txt", sentence + "\nMore text.\n")
    assert load_file(path).title == "my notes 2024"
    long_line = "word " * 40
    path = write(tmp_path / "long__line.txt", long_line)
    assert load_file(path).title == "long line"


def test_txt_short_line_with_period_is_still_a_title(tmp_path: Path) -> None:
    path = write(tmp_path / "x.txt", "Chapter 1.\nIt was a dark night.")
    assert load_file(path).title == "Chapter 1."


def test_txt_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", b"\xef\xbb\xbfTitle line\nbody")
    doc = load_file(path)
    assert doc.text == "Title line\nbody"  # BOM removed
    assert doc.title == "Title line"
    assert doc.metadata["encoding"] == "utf-8-sig"


def test_txt_cp1251_russian(tmp_path: Path) -> None:
    text = "Заметки о проекте\nВстреча назначена на вторник. Обсудим бюджет и сроки.\n"
    path = write(tmp_path / "ru.txt", text.encode("cp1251"))
    doc = load_file(path)
    assert doc.text == text
    assert doc.title == "Заметки о проекте"
    assert doc.metadata["encoding"] == "cp1251"


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_txt_western_european(tmp_path: Path, codec: str) -> None:
    text = "Café crème, Größe\nLe garçon a mangé une crêpe. Die Größe ist überwältigend.\n"
    path = write(tmp_path / "fr.txt", text.encode(codec))
    doc = load_file(path)
    assert doc.text == text
    assert doc.metadata["encoding"] == "cp1252"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_txt_utf16_and_utf32_with_bom(tmp_path: Path, codec: str) -> None:
    text = "Größe и размер\r\nsecond line"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    doc = load_file(write(tmp_path / "wide.txt", data))
    assert doc.text == "Größe и размер\nsecond line"
    assert doc.title == "Größe и размер"


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Привет мир", "cp1251"),
        ("Съешь же ещё этих мягких французских булок, да выпей чаю.", "koi8_r"),
        ("Ça va? Très bien, merci — “au revoir”.", "cp1252"),
        ("Straße, Äpfel, Öl, Übung — 5 €", "cp1252"),
        ("été", "latin-1"),
        ("Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
    ],
)
def test_decode_text_guesses_common_codecs(text: str, codec: str) -> None:
    assert decode_text(text.encode(codec))[0] == text


def test_decode_text_rejects_binary() -> None:
    junk = bytes((i * 7919 + 13) % 256 for i in range(4000))
    for data in (junk, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(1, 32)) * 20, "hi".encode("utf-16-le")):
        with pytest.raises(ValueError, match="binary"):
            decode_text(data)


def test_decode_text_keeps_ansi_escapes_and_tabs() -> None:
    text = "col1\tcol2\n\x1b[31mred\x1b[0m\n"
    assert decode_text(text.encode()) == (text, "utf-8")


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def test_md_atx_title_and_the_text_it_renders_to(tmp_path: Path) -> None:
    content = "Intro line\n\n# The **Real** Title #\n\nSome *markdown* [link](http://x).\n"
    doc = load_file(write(tmp_path / "readme.md", content))
    assert doc.title == "The Real Title"
    assert doc.text == "Intro line\n\nThe Real Title\n\nSome markdown link."
    assert doc.metadata["format"] == "md"


README = """<h1 align="center">
<img src="https://example.org/logo.svg" width="300">
</h1><br>

[![Build](https://img.shields.io/badge/build-passing-green.svg)](
https://ci.example.org)
[![Downloads](https://static.example.org/badge/month)](https://example.org/stats)

**Pollen** is a small library for
reading weather stations, written in `Rust` with [Python bindings](https://example.org/py).

It provides:
- a reader for *station* files
- 3 exporters

| format | since |
|---|---|
| CSV | 1.0 |
| JSON | 1.2 |

```bash
$ pip install pollen
```

> [!TIP]
> Pin the version.

<!-- generated by a template: do not edit -->
<p>Licensed under the MIT &amp; Apache licences.</p>

## Contributing

Open an issue first.
"""


def test_md_readme_reads_as_its_text(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "pollen.md", README))
    assert doc.text.split("\n\n") == [
        "Pollen is a small library for reading weather stations, written in Rust with Python bindings.",
        "It provides:\n- a reader for station files\n- 3 exporters",  # the lead-in holds its list
        "format | since\nCSV | 1.0\nJSON | 1.2",
        "$ pip install pollen",
        "Pin the version.",  # a GitHub alert box without its "[!TIP]"
        "Licensed under the MIT & Apache licences.",
        "Contributing",
        "Open an issue first.",
    ]  # badges, images, link addresses, emphasis marks and the HTML comment are gone
    assert doc.title == "pollen"  # "Contributing" is a section far into the text, not the title


def test_md_file_hash_carries_the_rendering(tmp_path: Path) -> None:
    from qa.ingest.loaders import RENDERINGS
    from qa.ingest.plan import hash_file
    from qa.store.disk import sha256_file

    md, txt = write(tmp_path / "a.md", "# T\n\nBody.\n"), write(tmp_path / "a.txt", "T\n\nBody.\n")
    assert hash_file(txt) == sha256_file(txt)  # other formats: the bytes alone
    assert hash_file(md) != sha256_file(md) and len(hash_file(md)) == 64  # an index read with an older
    assert RENDERINGS[".md"] == RENDERINGS[".markdown"]  # rendering re-reads the file


def test_md_of_only_markup_is_refused_by_name(tmp_path: Path) -> None:
    path = write(tmp_path / "badges.md", "[![Build](https://x/b.svg)](https://x)\n\n<img src='a.png'>\n")
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert "badges.md" in str(err.value) and "no readable text" in str(err.value)


def test_md_setext_title(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "a.markdown", "My Setext Title\n===============\n\nBody.\n"))
    assert doc.title == "My Setext Title"


def test_md_ignores_code_fences_and_uses_front_matter(tmp_path: Path) -> None:
    fenced = "```bash\n# not a title\n```\n\n## Real one\n"
    assert load_file(write(tmp_path / "f.md", fenced)).title == "Real one"
    front = "---\ntitle: 'From Front Matter'\ntags: [a]\n---\n# Heading\n"
    assert load_file(write(tmp_path / "g.md", front)).title == "From Front Matter"


def test_md_without_heading_uses_stem(tmp_path: Path) -> None:
    assert load_file(write(tmp_path / "todo_list.md", "- buy milk\n- call Bob\n")).title == "todo list"


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

ARTICLE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Growing Tomatoes at Home</title>
<script>var tracking = "SCRIPTJUNK";</script><style>body{color:red}</style></head>
<body>
<header><div class="logo">MySiteLogo</div></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>
<li><a href="/contact">Contact</a></li></ul></nav>
<main><article>
<h1>Growing Tomatoes at Home</h1>
<p>Tomatoes need at least six hours of direct sunlight every day to produce a good harvest.
Plant them after the last frost, when the soil has warmed up.</p>
<p>Water deeply but infrequently, about two to three times a week, so that the roots grow
down into the soil instead of staying near the surface.</p>
<h2>Feeding</h2>
<p>Use a balanced fertiliser when planting and switch to a potassium-rich feed once the first
fruits appear. Avoid too much nitrogen, which produces leaves instead of fruit.</p>
</article>
<section class="related"><h3>Related articles</h3><ul>
<li><a href="/cucumbers">How to grow cucumbers</a></li>
<li><a href="/peppers">Pepper plants for beginners</a></li></ul></section>
<section id="comments"><h3>Leave a comment</h3><form action="/comment" method="post">
<label>Name</label><input name="name"><textarea name="comment">Write your comment here</textarea>
<button>Post comment</button></form></section>
</main>
<footer><p>Copyright 2024 MySite. All rights reserved.</p></footer>
</body></html>
"""


def test_html_main_content_extraction(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "page.html", ARTICLE_PAGE))
    assert doc.title == "Growing Tomatoes at Home"
    assert doc.metadata["format"] == "html"
    assert doc.metadata["encoding"] == "utf-8"
    assert "six hours of direct sunlight" in doc.text
    assert "potassium-rich feed" in doc.text
    assert "Feeding" in doc.text
    for cruft in ("SCRIPTJUNK", "color:red", "MySiteLogo", "About us", "Related articles",
                  "cucumbers", "Leave a comment", "Write your comment", "Post comment", "Copyright"):
        assert cruft not in doc.text, cruft


PLAIN_PAGE = """<!DOCTYPE html><html><head><title>Lisbon trip, May 2026</title></head><body>
<nav><a href="/">Home</a> <a href="/trips">All trips</a></nav>
<h1>Lisbon trip, May 2026</h1>
<p>Travellers: Jane and Sam. The flight lands in Lisbon at 13:05 on 9 May.</p>
<h2>Plan</h2>
<ul>
<li>10 May: Belem and the Jeronimos Monastery, tickets booked for 10:30.</li>
<li>11 May: day trip to Sintra by train from Rossio station.</li>
<li>12 May: Alfama walking tour with a guide named Rita, meeting at 9:30 by the cathedral.</li>
</ul>
<footer>Saved from my notes app</footer>
</body></html>
"""


def test_html_of_a_plain_document_keeps_its_headings_and_lists(tmp_path: Path) -> None:
    # trafilatura's precision mode dropped the <h2> and the whole <ul>: the plan could not be asked about
    doc = load_file(write(tmp_path / "trip.html", PLAIN_PAGE))
    assert doc.title == "Lisbon trip, May 2026"
    for kept in ("Plan", "11 May: day trip to Sintra by train from Rossio station.", "meeting at 9:30 by the cathedral",
                 "Travellers: Jane and Sam."):
        assert kept in doc.text, kept
    for cruft in ("All trips", "Saved from my notes app"):
        assert cruft not in doc.text, cruft


def test_html_reading_is_part_of_the_content_hash(tmp_path: Path) -> None:
    from qa.ingest import loaders
    from qa.ingest.plan import hash_file

    page = write(tmp_path / "trip.html", PLAIN_PAGE)
    text = write(tmp_path / "trip.txt", PLAIN_PAGE)
    assert loaders.RENDERINGS[".html"] == loaders.RENDERINGS[".htm"]
    assert hash_file(page) != hash_file(text)  # same bytes, but the page is read by the versioned HTML reading


def test_html_does_not_touch_the_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert "sunlight" in load_file(write(tmp_path / "p.htm", ARTICLE_PAGE)).text


def test_html_title_from_h1_and_fallback_text(tmp_path: Path) -> None:
    page = "<html><body><nav>Menu</nav><h1>Only Heading</h1><div>Short note.</div></body></html>"
    doc = load_file(write(tmp_path / "short.htm", page))
    assert doc.title == "Only Heading"
    assert "Short note." in doc.text
    assert "Menu" not in doc.text


def test_html_fallback_when_trafilatura_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *args, **kwargs: None)
    doc = load_file(write(tmp_path / "page.html", ARTICLE_PAGE.replace(
        "</article>", "<table><tr><td>Variety</td><td>Roma</td></tr></table></article>")))
    assert doc.title == "Growing Tomatoes at Home"
    assert "Tomatoes need at least six hours" in doc.text
    assert "Variety | Roma" in doc.text
    for cruft in ("SCRIPTJUNK", "color:red", "MySiteLogo", "About us", "Write your comment", "Copyright"):
        assert cruft not in doc.text, cruft


def test_html_declared_charset_and_xml_declaration(tmp_path: Path) -> None:
    page = (
        '<?xml version="1.0" encoding="windows-1251"?>\n'
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "<title>Заголовок</title></head><body><p>Текст статьи о погоде в Москве.</p></body></html>"
    )
    doc = load_file(write(tmp_path / "ru.html", page.encode("cp1251")))
    assert doc.title == "Заголовок"
    assert "Текст статьи о погоде в Москве." in doc.text
    assert doc.metadata["encoding"] == "cp1251"


def test_html_without_title_uses_stem(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "saved-page.html", "<html><body><p>Just text.</p></body></html>"))
    assert doc.title == "saved page"
    assert doc.text == "Just text."


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


def test_pdf_two_pages_with_offsets(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "report.pdf", make_pdf(TWO_PAGES)))
    assert doc.metadata["format"] == "pdf"
    assert [number for _, number in doc.metadata["pages"]] == [1, 2]
    (start1, _), (start2, _) = doc.metadata["pages"]
    assert start1 == 0
    page1, page2 = doc.text[:start2], doc.text[start2:]
    assert page1.endswith("\n\n")
    assert "Quarterly Report" in page1 and "Revenue grew by 12 percent." in page1
    assert "Second page here" in page2 and "Costs were stable." in page2
    assert doc.text[start2:].startswith("Second page here")
    assert doc.title == "Quarterly Report"  # no /Title: first short line


def test_pdf_title_from_metadata(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "r.pdf", make_pdf(TWO_PAGES, title="Annual Summary 2024")))
    assert doc.title == "Annual Summary 2024"
    pdf = make_pdf([["revenue grew by twelve percent this quarter."]], title="untitled.docx")
    trivial = load_file(write(tmp_path / "quarterly_report.pdf", pdf))
    assert trivial.title == "quarterly report"


def test_pdf_encrypted_with_empty_user_password_loads(tmp_path: Path) -> None:
    data = _encrypt(make_pdf(TWO_PAGES), user_password="")
    doc = load_file(write(tmp_path / "open.pdf", data))
    assert "Costs were stable." in doc.text


def test_pdf_encrypted_with_password_fails(tmp_path: Path) -> None:
    path = write(tmp_path / "locked.pdf", _encrypt(make_pdf(TWO_PAGES), user_password="secret"))
    with pytest.raises(LoadError, match="encrypted PDF") as err:
        load_file(path)
    assert "locked.pdf" in str(err.value)


def _encrypt(pdf: bytes, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_without_text_is_reported_as_scanned(tmp_path: Path) -> None:
    path = write(tmp_path / "scan.pdf", make_pdf([[], []]))
    with pytest.raises(LoadError, match=r"no extractable text \(scanned PDF\? OCR is not supported\)"):
        load_file(path)


@pytest.mark.parametrize("cut", [40, 300])
def test_pdf_truncated(tmp_path: Path, cut: int) -> None:
    path = write(tmp_path / "cut.pdf", make_pdf(TWO_PAGES)[:cut])
    with pytest.raises(LoadError, match="not a valid PDF") as err:
        load_file(path)
    assert str(err.value).startswith(f"{path}: ")


def test_pdf_not_a_pdf_at_all(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not a valid PDF"):
        load_file(write(tmp_path / "fake.pdf", "just some text"))


# --------------------------------------------------------------------------------------------
# docx
# --------------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_in_body_order(tmp_path: Path) -> None:
    doc = load_file(make_docx(tmp_path / "plan.docx"))
    assert doc.title == "Project Plan"
    assert doc.metadata["format"] == "docx"
    assert doc.text == (
        "Plan Overview\n\nThe project starts in March.\n\n"
        "Task | Owner\nDesign | Alice\n\nBudget is 10k EUR."
    )


def test_docx_title_from_heading_when_no_core_title(tmp_path: Path) -> None:
    assert load_file(make_docx(tmp_path / "plan.docx", core_title=None)).title == "Plan Overview"


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'


def _docx_package(body: str, *, part: str = "word/document.xml", styles: str | None = None,
                  title: str | None = None) -> bytes:
    """A .docx written by hand: ``body`` (the inside of w:body) in the main part ``part``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                          'package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                                  'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                                  'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                                  f'Target="/{part}"/></Relationships>')
        z.writestr(part, f'<?xml version="1.0"?><w:document {_W} {_MC}><w:body>{body}</w:body></w:document>')
        if styles is not None:
            z.writestr("word/styles.xml", f'<?xml version="1.0"?><w:styles {_W}>{styles}</w:styles>')
        if title is not None:
            z.writestr("docProps/core.xml", '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.'
                                            'openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc='
                                            f'"http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
                                            '</cp:coreProperties>')
    return out.getvalue()


def _p(*runs: str, style: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{''.join(runs)}</w:p>"


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def test_docx_reads_what_word_shows_and_not_what_it_hides(tmp_path: Path) -> None:
    """Content controls, smart tags, hyperlinks, tracked insertions, field results and text boxes are read; deleted
    text and Word's compatibility fallback (a copy of the text box) are not; tabs and line breaks kept, page breaks
    dropped, tab stops of the paragraph properties ignored."""
    textbox = (f"<w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><w:txbxContent>{_p(_r('In the box.'))}"
               f"</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>{_p(_r('In the box.'))}"
               "</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>")
    body = "".join([
        _p(_r("Harbour Log"), style="Heading1"),
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        f'{_r("Keeper")}<w:r><w:tab/><w:t>Edda</w:t><w:br/><w:t>line two</w:t><w:br w:type="page"/></w:r></w:p>',
        f'<w:sdt><w:sdtContent>{_p(_r("In a content control."))}</w:sdtContent></w:sdt>',
        _p(f'<w:smartTag w:element="place">{_r("Varnholm")}</w:smartTag>', _r(" lies "),
           f'<w:hyperlink r:id="x" xmlns:r="urn:r">{_r("north")}</w:hyperlink>', _r(" of "),
           f'<w:ins w:id="1">{_r("the")}</w:ins>', '<w:del w:id="2"><w:r><w:delText>DELETED</w:delText></w:r></w:del>',
           _r(" bay; pier "), f'<w:fldSimple w:instr="PAGE">{_r("7")}</w:fldSimple>', _r(".")),
        _p(_r("Before the box."), textbox),
    ])
    styles = ('<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>'
              '<w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/></w:style>')
    doc = load_file(write(tmp_path / "log.docx", _docx_package(body, part="word/document2.xml", styles=styles)))
    assert doc.title == "Harbour Log"  # the first Heading-styled paragraph (no core title)
    assert doc.text == ("Harbour Log\n\nKeeper\tEdda\nline two\n\nIn a content control.\n\n"
                        "Varnholm lies north of the bay; pier 7.\n\nIn the box.\n\nBefore the box.")


def test_docx_tables_merged_and_nested_cells(tmp_path: Path) -> None:
    def tc(text: str, props: str = "") -> str:
        return f"<w:tc>{'<w:tcPr>' + props + '</w:tcPr>' if props else ''}{_p(_r(text)) if text else _p()}</w:tc>"

    inner = f"<w:tbl><w:tr>{tc('in1')}{tc('in2')}</w:tr></w:tbl>"
    span, restart = '<w:gridSpan w:val="2"/>', '<w:vMerge w:val="restart"/>'
    table = ("<w:tbl>"
             f"<w:tr>{tc('wide', span)}{tc('tall', restart)}</w:tr>"
             f"<w:tr>{tc('a')}<w:tc>{_p(_r('b'))}{inner}</w:tc>{tc('', '<w:vMerge/>')}</w:tr>"
             f"<w:tr>{tc('')}{tc('')}{tc('')}</w:tr>"
             "</w:tbl>")
    doc = load_file(write(tmp_path / "t.docx", _docx_package(_p(_r("Table:")) + table, title="Tides")))
    assert doc.title == "Tides"
    assert doc.text == "Table:\n\nwide | tall\na | b in1 in2 | tall"  # a merged cell once per row, empty rows dropped


def test_docx_without_a_document_part_or_with_damaged_xml(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/other.xml", "<x/>")
    with pytest.raises(LoadError, match=r"not a valid \.docx \(no document part"):
        load_file(write(tmp_path / "empty.docx", out.getvalue()))
    broken = _docx_package(_p(_r("ok")) + "<w:p>")  # never closed
    with pytest.raises(LoadError, match=r"not a valid \.docx \(its text is damaged\)"):
        load_file(write(tmp_path / "broken.docx", broken))
    with pytest.raises(LoadError, match="no text in this .docx"):
        load_file(write(tmp_path / "blank.docx", _docx_package(_p())))


def test_docx_junk_zip_and_non_zip(tmp_path: Path) -> None:
    junk_zip = io.BytesIO()
    with zipfile.ZipFile(junk_zip, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    for name, data in (("zip.docx", junk_zip.getvalue()), ("plain.docx", b"PK but not really"),
                       ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)):
        path = write(tmp_path / name, data)
        with pytest.raises(LoadError, match=r"not a valid \.docx") as err:
            load_file(path)
        assert name in str(err.value)


# --------------------------------------------------------------------------------------------
# broken files (any format)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("empty.pdf", b"", "empty file"),
        ("blank.txt", b"  \n\t\r\n  ", "no text"),
        ("blank.md", "\u00a0\n \n".encode(), "no text"),
        ("junk.txt", bytes((i * 7919 + 13) % 256 for i in range(3000)), "binary"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        ("scripts.html", b"<html><head><script>var a = 1;</script></head>"
                         b"<body><script>document.write('x')</script><style>p{}</style></body></html>",
         "no readable text"),
    ],
)
def test_broken_files_raise_load_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = write(tmp_path / name, data)
    with pytest.raises(LoadError) as err:
        load_file(path)
    assert name in str(err.value)
    assert reason in err.value.reason
    assert str(err.value) == f"{err.value.path}: {err.value.reason}"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "secret.txt", "hidden")

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(LoadError, match="permission denied"):
        load_file(path)


def test_load_file_rejects_unsupported_and_missing(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"unsupported file type '\.xyz' \(supported: .*\.txt"):
        load_file(write(tmp_path / "a.xyz", "text"))
    with pytest.raises(LoadError, match="no such file"):
        load_file(tmp_path / "missing.txt")
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(LoadError, match="folder"):
        load_file(tmp_path / "dir.txt")


def test_load_error_is_picklable() -> None:
    err = pickle.loads(pickle.dumps(LoadError("/x/a.pdf", "encrypted PDF")))
    assert (err.path, err.reason, str(err)) == ("/x/a.pdf", "encrypted PDF", "/x/a.pdf: encrypted PDF")


# --------------------------------------------------------------------------------------------
# discover()
# --------------------------------------------------------------------------------------------


def _tree(root: Path) -> Path:
    docs = root / "documents"
    write(docs / "a.txt", "a")
    write(docs / "b.MD", "# b")
    write(docs / "sub" / "c.pdf", make_pdf([["c"]]))
    write(docs / "sub" / "deeper" / "d.html", "<p>d</p>")
    write(docs / "sub" / "image.png", b"\x89PNG")
    write(docs / "notes.xyz", "x")
    write(docs / ".hidden.txt", "secret")
    write(docs / ".git" / "config.txt", "secret")
    write(docs / "sub" / ".cache" / "e.txt", "secret")
    return docs


def test_discover_folder_recursive(tmp_path: Path) -> None:
    docs = _tree(tmp_path)
    found = discover([docs])
    assert [doc_id for _, doc_id in found] == [
        "documents/a.txt",
        "documents/b.MD",
        "documents/sub/c.pdf",
        "documents/sub/deeper/d.html",
    ]
    assert found[2][0] == docs / "sub" / "c.pdf"
    assert all(isinstance(path, Path) for path, _ in found)


def test_discover_direct_files_and_dedupe(tmp_path: Path) -> None:
    docs = _tree(tmp_path)
    found = discover([docs / "a.txt", str(docs), docs / "sub" / ".." / "a.txt"])
    ids = [doc_id for _, doc_id in found]
    assert ids.count("a.txt") + ids.count("documents/a.txt") == 1
    assert ids[0] == "a.txt"  # first mention wins
    assert len(found) == 4


def test_discover_direct_hidden_file_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path / ".notes.txt", "x")
    assert discover([path]) == [(path, ".notes.txt")]


def test_discover_current_folder_uses_its_real_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _tree(tmp_path)
    monkeypatch.chdir(docs)
    assert discover(["."])[0][1] == "documents/a.txt"


def test_discover_errors(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file or folder") as err:
        discover([tmp_path / "nope"])
    assert "nope" in str(err.value)
    with pytest.raises(LoadError, match=r"unsupported file type '\.xyz'"):
        discover([write(tmp_path / "x.xyz", "x")])


def test_discover_same_id_twice_gets_suffix(tmp_path: Path) -> None:
    one = write(tmp_path / "one" / "notes.txt", "1")
    two = write(tmp_path / "two" / "notes.txt", "2")
    assert discover([one, two]) == [(one, "notes.txt"), (two, "notes.txt~2")]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_discover_symlinks(tmp_path: Path) -> None:
    docs = _tree(tmp_path)
    outside = write(tmp_path / "outside" / "linked.txt", "linked")
    (docs / "sub" / "loop").symlink_to(docs, target_is_directory=True)  # a loop
    (docs / "link.txt").symlink_to(outside)  # symlinked file: followed
    (docs / "broken.txt").symlink_to(tmp_path / "gone.txt")  # dangling: skipped
    (docs / "self.txt").symlink_to(docs / "self.txt")  # self loop: skipped
    ids = [doc_id for _, doc_id in discover([docs])]
    assert ids == [
        "documents/a.txt",
        "documents/b.MD",
        "documents/link.txt",
        "documents/sub/c.pdf",
        "documents/sub/deeper/d.html",
    ]
    assert load_file(docs / "link.txt").source == str(outside.resolve())
    with pytest.raises(LoadError, match="no such file or folder"):
        discover([docs / "broken.txt"])


def test_discover_then_load_everything(tmp_path: Path) -> None:
    docs = _tree(tmp_path)
    loaded = [load_file(path, doc_id) for path, doc_id in discover([docs])]
    assert [d.id for d in loaded] == [
        "documents/a.txt", "documents/b.MD", "documents/sub/c.pdf", "documents/sub/deeper/d.html"
    ]
    assert loaded[1].title == "b"
    assert loaded[3].text == "d"
