"""Hostile files for the resource-limit tests, generated small (a few KB to a few MB on disk, never unpacked)."""
from __future__ import annotations

import io
import zipfile

SENTENCE = "The Varnholm lighthouse was painted red in 1911 by the keeper Edda Lindqvist."

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                  b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
                  b'.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="'
                  b'/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
                  b'document.main+xml"/></Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
         b'wordprocessingml/2006/main"><w:body>')
_TAIL = b"</w:body></w:document>"
_CHUNK = 1 << 20


def docx(body_parts: list[tuple[bytes, int]]) -> bytes:
    """A .docx whose body is each (bytes, repeat) written ``repeat`` times, streamed into the zip (deflated,
    so a gigabyte of repeated text is about a megabyte on disk and is never held in memory here)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(_HEAD)
            for part, repeat in body_parts:
                per_write = max(1, _CHUNK // max(1, len(part)))
                while repeat > 0:
                    n = min(repeat, per_write)
                    fh.write(part * n)
                    repeat -= n
            fh.write(_TAIL)
    return out.getvalue()


def paragraph(text: str) -> bytes:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode()


def docx_one_text_node(n_bytes: int) -> bytes:
    """A .docx whose body is a real sentence and then one text node of ``n_bytes`` letters."""
    return docx([(paragraph(SENTENCE), 1), (b"<w:p><w:r><w:t>", 1), (b"a", n_bytes), (b"</w:t></w:r></w:p>", 1)])


def docx_many_paragraphs(n_bytes: int) -> bytes:
    """A .docx of about ``n_bytes`` of small paragraphs."""
    p = paragraph("lorem ipsum dolor")
    return docx([(paragraph(SENTENCE), 1), (p, n_bytes // len(p))])


def docx_nested(depth: int) -> bytes:
    """A .docx whose one sentence sits ``depth`` elements deep (smart tags inside smart tags)."""
    return docx([(b"<w:p>", 1), (b"<w:smartTag>", depth), (b"<w:r><w:t>" + SENTENCE.encode() + b"</w:t></w:r>", 1),
                 (b"</w:smartTag>", depth), (b"</w:p>", 1)])


def pdf(n_pages: int = 1, content: bytes | None = None, page_extra: bytes = b"") -> bytes:
    """A valid PDF of ``n_pages`` pages sharing one content stream (the sentence), ~70 bytes per extra page."""
    content = content if content is not None else f"BT /F1 12 Tf 72 720 Td ({SENTENCE}) Tj ET".encode()
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(n_pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 612 792] " % n_pages
            + b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    objs += [b"<< /Type /Page /Parent 2 0 R /Contents 3 0 R " + page_extra + b">>"] * n_pages
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % off for off in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def pdf_nested_array(depth: int) -> bytes:
    """A one-page PDF whose page dictionary holds an array ``depth`` arrays deep."""
    return pdf(1, page_extra=b"/Deep " + b"[" * depth + b"]" * depth + b" ")


def html_nested(depth: int) -> bytes:
    return (b"<html><head><title>Deep</title></head><body>" + b"<div>" * depth + f"<p>{SENTENCE}</p>".encode()
            + b"</div>" * depth + b"</body></html>")


_WORDS = ("harbour keeper lantern ferry island storm beacon tide north south cliff signal rope anchor gull "
          "winter summer morning evening ledger visitor painted older newer quiet bright narrow wide stone").split()


def docx_formatted(n_bytes: int, words: int = 4, seed: int = 7) -> bytes:
    """A heavily formatted .docx of about ``n_bytes`` of body XML: every ``words`` words their own run with fonts,
    bold, colour, size, spacing and a bookmark; a table every 50 paragraphs. Words and colours drawn with a seeded
    generator, so it compresses like a real document (10-15 to 1), within the zip budgets up to the part limit."""
    import random

    rng = random.Random(seed)
    rpr = ('<w:rPr><w:rFonts w:ascii="Georgia" w:hAnsi="Georgia" w:cs="Georgia"/><w:b/><w:i/><w:color w:val="{c:06X}"/>'
           '<w:spacing w:val="{p}"/><w:sz w:val="{z}"/><w:szCs w:val="{z}"/><w:lang w:val="en-GB"/></w:rPr>')
    parts: list[tuple[bytes, int]] = [(paragraph(SENTENCE), 1)]
    size, n = 0, 0
    while size < n_bytes:
        n += 1
        if n % 50 == 0:
            cells = "".join(f"<w:tc><w:p><w:r><w:t>{rng.choice(_WORDS)} {n}</w:t></w:r></w:p></w:tc>" for _ in range(3))
            block = f"<w:tbl><w:tr>{cells}</w:tr><w:tr>{cells}</w:tr></w:tbl>"
        else:
            runs = "".join(f'<w:bookmarkStart w:id="{n}{i}" w:name="b{rng.randrange(10**9)}"/><w:r>'
                           f"{rpr.format(c=rng.randrange(1 << 24), p=rng.randrange(-20, 20), z=rng.choice((20, 22, 24)))}"
                           f'<w:t xml:space="preserve">{" ".join(rng.choices(_WORDS, k=words))} </w:t></w:r>'
                           f'<w:bookmarkEnd w:id="{n}{i}"/>' for i in range(rng.randint(3, 12)))
            block = f'<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr>{runs}</w:p>'
        data = block.encode()
        parts.append((data, 1))
        size += len(data)
    return docx(parts)


def prose(n_chars: int, vocabulary: int = 40_000, seed: int = 13) -> str:
    """About ``n_chars`` of seeded plain-text prose: sentences of 6-30 words drawn Zipf-like from ``vocabulary``
    made-up words (a real text's spread of rare terms, for BM25), in paragraphs of 4-9 sentences. The made-up
    words cost ~2.6 characters per word piece (English ~4.5), so a text of them holds more passages per MB."""
    import itertools
    import random

    rng = random.Random(seed)
    syllables = [a + b for a in "bcdfghklmnprstvz" for b in ("a", "e", "i", "o", "u", "ar", "en", "or", "ul")]
    lexicon = sorted({"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(vocabulary)})
    rng.shuffle(lexicon)
    cumulative = list(itertools.accumulate(1 / (rank + 10) for rank in range(len(lexicon))))
    paragraphs, size = [], 0
    while size < n_chars:
        sentences = [" ".join(rng.choices(lexicon, cum_weights=cumulative, k=rng.randint(6, 30))).capitalize() + "."
                     for _ in range(rng.randint(4, 9))]
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)
