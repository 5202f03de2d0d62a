"""The bad-input matrix: every kind of messy input gets a clear message naming the file (or input) and the
reason, the rest of the batch still indexes, and the index stays loadable and unchanged for what failed."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

import qa

from tests import bombs
from tests.conftest import CountingEmbedder

GOOD = "Good file\n\nThe lighthouse keeper lit the lamp at dusk every evening."


def _minimal_pdf(text: str) -> bytes:
    return bombs.pdf(1, content=f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_minimal_pdf("Secret text"))))
    writer.encrypt(user_password="pw", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _junk_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("junk.bin", os.urandom(200))
    return buf.getvalue()


# name -> (bytes, expected reason fragment or None when the file must index fine)
def _matrix() -> dict[str, tuple[bytes, str | None]]:
    return {
        "empty.txt": (b"", "empty"),
        "blank.txt": (b"   \n\t  \n", "no text"),
        "junk.txt": (bytes(range(256)) * 40, "binary"),
        "truncated.pdf": (_minimal_pdf("Cut short")[:60], "not a valid PDF"),
        "encrypted.pdf": (_encrypted_pdf(), "encrypted"),
        "malformed.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage garbage", "PDF"),
        "junk.docx": (_junk_docx(), "not a valid .docx"),
        "notzip.docx": (b"plain text pretending to be a docx", "not a valid .docx"),
        "scripts-only.html": (b"<html><head><script>alert(1)</script></head><body><script>x()</script></body></html>",
                              "no readable text"),
        "cp1251.txt": ("Заголовок\n\nМаяк зажигал лампу каждый вечер.".encode("cp1251"), None),
        "latin1.txt": ("Café crème\n\nLe gardien allumait la lampe à la tombée du jour.".encode("latin-1"), None),
        "utf16.txt": ("Titel\n\nDer Leuchtturmwärter zündete die Lampe an.".encode("utf-16"), None),
        "long line.txt": ((" ".join(["endless"] * 20000)).encode(), None),
        "ünïcode näme ..weird.md": ("# Unicode name\n\nA file whose name has spaces, unicode and dots.".encode(), None),
        "good.txt": (GOOD.encode(), None),
    }


def test_bad_files_matrix(tmp_path: Path) -> None:
    folder = tmp_path / "messy"
    folder.mkdir()
    for name, (data, _) in _matrix().items():
        (folder / name).write_bytes(data)
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # a symlink loop
    (folder / "image.png").write_bytes(b"\x89PNG\r\n")  # unsupported type, ignored in a folder
    index_dir = tmp_path / "index"
    idx = qa.build_index(folder, index_dir, embedder=CountingEmbedder(), chunk_size=64)
    failed = {Path(p).name: reason for p, reason in idx.last_report.failed}
    for name, (_, expected) in _matrix().items():
        if expected is None:
            assert f"messy/{name}" in idx.last_report.added, (name, failed.get(name))
        else:
            assert name in failed, name
            assert expected.lower() in failed[name].lower(), (name, failed[name])
    assert set(failed) == {n for n, (_, e) in _matrix().items() if e}
    loaded = qa.load_index(index_dir, embedder=CountingEmbedder())
    assert loaded.document("messy/cp1251.txt").text.startswith("Заголовок")
    assert "Leuchtturmwärter" in loaded.document("messy/utf16.txt").text
    assert loaded.search("lighthouse keeper lamp", k=1)[0].doc_id == "messy/good.txt"
    assert all(len(h.text) < 2000 for h in loaded.search("endless", k=3))  # the long line was cut at words


def test_a_file_that_breaks_keeps_its_previous_version(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "report.txt").write_text(GOOD, encoding="utf-8")
    index_dir = tmp_path / "index"
    qa.build_index(folder, index_dir, embedder=CountingEmbedder())
    (folder / "report.txt").write_bytes(bytes(range(256)) * 10)  # now corrupted
    idx = qa.build_index(folder, index_dir, embedder=CountingEmbedder())
    assert [Path(p).name for p, _ in idx.last_report.failed] == ["report.txt"]
    assert idx.document("docs/report.txt").text == GOOD  # the old version is still there, not removed


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "secret.txt").write_text("Secret\n\nHidden text.", encoding="utf-8")
    (folder / "open.txt").write_text(GOOD, encoding="utf-8")
    import qa.ingest.plan as qi

    real = qi.hash_file

    def deny(path: Path) -> str:
        if path.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(qi, "hash_file", deny)
    idx = qa.build_index(folder, tmp_path / "index", embedder=CountingEmbedder())
    assert [(Path(p).name, r) for p, r in idx.last_report.failed] == [("secret.txt", "Permission denied")]
    assert idx.last_report.added == ["docs/open.txt"]


def test_missing_source_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    idx = qa.build_index([tmp_path / "nope", good], tmp_path / "index", embedder=CountingEmbedder())
    assert idx.last_report.failed == [(str(tmp_path / "nope"), "no such file or folder")]
    assert idx.last_report.added == ["good.txt"]


@pytest.mark.parametrize("question", ["?!...", "x" * 10_000, "Кто зажигал лампу?", "灯塔看守人", "lamp " * 3000])
def test_odd_questions_still_search(tmp_path: Path, question: str) -> None:
    idx = qa.build_index(qa.Document("d", "Doc", GOOD), tmp_path / "index", embedder=CountingEmbedder())
    hits = idx.search(question, k=3)
    assert len(hits) <= 1 and all(h.doc_id == "d" for h in hits)


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused_clearly(tmp_path: Path, question: str) -> None:
    idx = qa.build_index(qa.Document("d", "Doc", GOOD), tmp_path / "index", embedder=CountingEmbedder())
    with pytest.raises(ValueError, match="question is empty"):
        idx.search(question)
