"""Shared by the answer tests: an index of a few text files, and the check that an answer's citations (and short
answer) are verbatim and its [n] markers exist."""
from __future__ import annotations

import re
from pathlib import Path

import qa
from tests.conftest import CountingEmbedder


def index_of(tmp_path: Path, files: dict[str, str], folder_name: str = "docs") -> qa.Index:
    """An index (fast fake embedder) of ``files`` (name -> text) written into ``tmp_path / folder_name``."""
    folder = tmp_path / folder_name
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return qa.build_index(folder, tmp_path / "index", embedder=CountingEmbedder())


def assert_grounded(idx: qa.Index, ans: qa.Answer) -> None:
    """Every citation is verbatim at its offsets, its context too, and every [n] in the text exists."""
    ns = [c.n for c in ans.citations]
    assert ns == list(range(1, len(ns) + 1))
    for c in ans.citations:
        text = idx.document(c.doc_id).text
        assert text[c.start : c.end] == c.quote
        assert c.context and text[c.context_start : c.context_start + len(c.context)] == c.context
        assert c.context_start <= c.start and c.end <= c.context_start + len(c.context)
        assert f"[{c.n}]" in ans.text
    for m in re.findall(r"\[(\d+)\]", ans.text):
        assert 1 <= int(m) <= len(ns)
    if ans.answer is not None:  # the short answer: verbatim, inside the quote it cites
        a = ans.answer
        assert idx.document(a.doc_id).text[a.start : a.end] == a.text
        cited = ans.citations[a.citation - 1]
        assert cited.doc_id == a.doc_id and cited.start <= a.start and a.end <= cited.end
