"""Resource budgets: every attack of issue 13 is refused before the work it would cost, with a message naming the
file and the limit; the rest of the batch indexes, the index stays sound and answers right after.

The bombs are generated small (tests/bombs.py); memory is measured with tracemalloc around the load."""
from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

import qa
from qa.ingest.assemble import chunk_document, page_numbers
from qa.ingest.chunking import ChunkingConfig
from qa.ingest.loaders import load_file
from qa.ingest.loaders.limits import Limits, current_limits, set_limits
from qa.store.disk import check_index
from tests import bombs
from tests.conftest import CountingEmbedder

pytestmark = pytest.mark.timeout(120)

GOOD = "Harbour notes\n\nThe harbour master rang the fog bell twice at noon."
PEAK_BYTES = 64 * 1024 * 1024  # what loading (and refusing) any one of these files may allocate


@pytest.fixture(autouse=True)
def default_limits() -> None:
    set_limits(Limits())
    yield
    set_limits(None)


def _refused_in_a_batch(tmp_path: Path, name: str, data: bytes, *expected: str) -> None:
    """Index a good file and ``data`` together: the bomb is refused with ``expected`` in its message (and its
    name), the good file is indexed, the index is sound and a question about the good file is answered."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / name).write_bytes(data)
    idx = qa.build_index([folder], tmp_path / "index", embedder=CountingEmbedder())
    failed = dict((Path(src).name, reason) for src, reason in idx.last_report.failed)
    assert name in failed, idx.last_report
    for words in expected:
        assert words in failed[name], failed[name]
    assert "Error" not in failed[name] and "XML_PARSE" not in failed[name] and str(tmp_path) not in failed[name]
    assert [sd.document.id.rsplit("/", 1)[-1] for sd in idx.documents()] == ["good.txt"]
    assert check_index(tmp_path / "index") == []
    hits = idx.search("who rang the fog bell?", k=1)
    assert hits and "fog bell" in hits[0].text


def _peak(load: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        try:
            load()
        except qa.LoadError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_docx_with_one_huge_text_node_is_refused_from_its_zip_directory(tmp_path: Path) -> None:
    data = bombs.docx_one_text_node(300 * 1024 * 1024)  # ~300 KB on disk
    assert len(data) < 1_000_000
    (tmp_path / "bomb.docx").write_bytes(data)
    assert _peak(lambda: load_file(tmp_path / "bomb.docx")) < PEAK_BYTES
    _refused_in_a_batch(tmp_path, "bomb.docx", data, "unpacks to more than the limit of 20 MiB for one part")


def test_docx_of_many_small_paragraphs_is_refused(tmp_path: Path) -> None:
    data = bombs.docx_many_paragraphs(200_000_000)
    path = _write(tmp_path, "x.docx", data)
    assert _peak(lambda: load_file(path)) < PEAK_BYTES
    _refused_in_a_batch(tmp_path, "paragraphs.docx", data, "unpacks to more than the limit")


def test_docx_compression_ratio_and_total_size_are_limits(tmp_path: Path) -> None:
    data = bombs.docx_one_text_node(15 * 1024 * 1024)  # under the part limit, but 15 MiB from a few KB
    _refused_in_a_batch(tmp_path, "ratio.docx", data, "compressed suspiciously well", "the limit is 100 to 1")
    set_limits(Limits(max_unzipped_mib=1, max_zip_ratio=10_000))
    with pytest.raises(qa.LoadError, match="unpacks to 15 MiB, more than the limit of 1 MiB"):
        load_file(_write(tmp_path, "total.docx", data))


def test_docx_text_is_counted_while_streaming(tmp_path: Path) -> None:
    set_limits(Limits(max_chars=10_000))
    data = bombs.docx_many_paragraphs(400_000)  # ~20k paragraphs of 17 characters: within the zip budgets
    with pytest.raises(qa.LoadError, match=r"too much text \(10,0\d\d characters; the limit is 10,000 per document\)"):
        load_file(_write(tmp_path, "long.docx", data))


_RSS_GROWTH = """
import resource, sys
from pathlib import Path
import lxml.etree
from qa.ingest.loaders import load_file
path = Path(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = load_file(path).text
print(len(text), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_heavily_formatted_docx_is_read_in_memory_proportional_to_a_paragraph(tmp_path: Path) -> None:
    """No python-docx tree: the body is streamed out of the zip and freed as it is read. Measured as the peak
    resident memory of a fresh process (lxml's tree lives outside Python's allocator, where tracemalloc does not
    look): a 4 MiB body of one-word runs adds a few MiB (python-docx's tree added ~60 MiB; +290 MiB at 19 MiB)."""
    import subprocess
    import sys

    path = _write(tmp_path, "heavy.docx", bombs.docx_formatted(4 * 1024 * 1024, words=1))
    out = subprocess.run([sys.executable, "-c", _RSS_GROWTH, str(path)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[3], timeout=120).stdout.split()
    chars, grown_kib = int(out[0]), int(out[1])
    assert chars > 50_000
    assert grown_kib < 16 * 1024, grown_kib


def test_deeply_nested_docx_is_refused_as_too_deeply_nested(tmp_path: Path) -> None:
    _refused_in_a_batch(tmp_path, "nested.docx", bombs.docx_nested(300), "too deeply nested", "more than 200 levels")


def test_docx_within_the_budgets_still_reads(tmp_path: Path) -> None:
    text = load_file(_write(tmp_path, "fine.docx", bombs.docx_many_paragraphs(2_000))).text
    assert text.startswith(bombs.SENTENCE + "\n\nlorem ipsum dolor")


def test_pdf_over_the_page_cap_is_refused_fast(tmp_path: Path) -> None:
    data = bombs.pdf(99_000)
    t0 = time.process_time()  # this process's CPU time: another process's load does not count
    with pytest.raises(qa.LoadError, match=r"too many pages \(99,000; the limit is 5,000 pages per PDF\)"):
        load_file(_write(tmp_path, "pages.pdf", data))
    assert time.process_time() - t0 < 2.0  # a bound on work (not reading 99,000 pages), not a speed target
    _refused_in_a_batch(tmp_path, "pages.pdf", data, "too many pages")


def test_pdf_page_cap_counts_the_real_pages_too(tmp_path: Path) -> None:
    set_limits(Limits(max_pdf_pages=10))
    forged = bombs.pdf(12).replace(b"/Count 12", b"/Count 1 ")  # the declared count lies
    with pytest.raises(qa.LoadError, match=r"too many pages \(12; the limit is 10"):
        load_file(_write(tmp_path, "forged.pdf", forged))


def test_deeply_nested_pdf_is_refused_as_too_deeply_nested_not_scanned(tmp_path: Path) -> None:
    _refused_in_a_batch(tmp_path, "nested.pdf", bombs.pdf_nested_array(100_000), "too deeply nested")


def test_a_large_html_page_is_read_without_the_costly_extractor_and_its_text_counted_first(tmp_path: Path) -> None:
    page = "<html><body>" + "<div><p>The ferry left at dawn with forty visitors aboard.</p></div>" * 40_000
    assert len(page) > 2_000_000
    text = load_file(_write(tmp_path, "big.html", page.encode())).text
    assert text.count("The ferry left at dawn") == 40_000
    set_limits(Limits(max_chars=100_000))
    with pytest.raises(qa.LoadError, match=r"too much text \(2,000,000 characters; the limit is 100,000"):
        load_file(tmp_path / "big.html")


def test_deeply_nested_html_is_refused_as_too_deeply_nested_not_unreadable(tmp_path: Path) -> None:
    _refused_in_a_batch(tmp_path, "nested.html", bombs.html_nested(10_000), "too deeply nested",
                        "more than 200 levels")
    assert bombs.SENTENCE in load_file(_write(tmp_path, "ok.html", bombs.html_nested(100))).text


def test_characters_per_document(tmp_path: Path) -> None:
    set_limits(Limits(max_chars=1_000))
    _refused_in_a_batch(tmp_path, "long.txt", ("word " * 400).encode(), "too much text (2,000 characters; "
                        "the limit is 1,000 per document)")


def test_passages_per_document(tmp_path: Path) -> None:
    set_limits(Limits(max_passages=3))
    text = " ".join(f"Sentence number {i} talks about the weather." for i in range(200))
    _refused_in_a_batch(tmp_path, "many.txt", text.encode(), "too many passages", "the limit is 3 per document")


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_MAX_PDF_PAGES", "7")
    monkeypatch.setenv("QA_MAX_CHARS", "not a number")
    set_limits(None)
    assert current_limits() == Limits(max_pdf_pages=7)


def test_page_mapping_and_chunking_are_linear_in_the_pages() -> None:
    def seconds(n_pages: int) -> float:
        page = "The keeper wrote a line in the log. " * 3
        text = "\n\n".join([page] * n_pages)
        starts = [i * (len(page) + 2) for i in range(n_pages)]
        doc = qa.Document("big", "Big", text, metadata={"pages": [[s, i + 1] for i, s in enumerate(starts)]})
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()  # CPU time of this process: a loaded machine does not skew the ratio
            spans = chunk_document(doc, CountingEmbedder(), ChunkingConfig(max_tokens=64), Limits(max_passages=10**6))
            best = min(best, time.process_time() - t0)
        assert len(spans) == n_pages and spans[-1][2] == n_pages  # one passage per page, on its page
        return best

    small, large = seconds(2_000), seconds(8_000)
    assert large < 8 * small, (small, large)  # 4x the pages: ~4x the time (quadratic would be 16x)
    assert page_numbers([[0, 1], [10, 2], [20, 5]], [0, 9, 10, 25]) == [1, 1, 2, 5]


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path
