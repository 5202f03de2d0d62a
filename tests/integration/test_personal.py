"""A person's own papers on the real model: a lease (Markdown with headings), team meeting notes (plain text with
numbered sections and lists), a trip plan (HTML) and a CV (.docx). What their owner asks of them is answered from
the right paper, every quote verbatim."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import qa
from tests.unit.answer.grounding import assert_grounded

PAPERS = Path(__file__).resolve().parents[1] / "fixtures" / "personal"
LEASE = "lease-agreement.md"


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory, real_embedder: qa.Embedder) -> qa.Index:
    folder = tmp_path_factory.mktemp("personal") / "papers"
    shutil.copytree(PAPERS, folder)
    return qa.build_index(folder, tmp_path_factory.mktemp("personal-index") / "index", embedder=real_embedder)


def _ask(idx: qa.Index, question: str) -> qa.Answer:
    ans = idx.ask(question)
    assert_grounded(idx, ans)
    return ans


def test_what_a_named_paper_says_about_a_topic(papers: qa.Index) -> None:
    """The lease's own word is no clue to its pets clause: every quote is on pets, none is a bare heading."""
    ans = _ask(papers, "What does the lease say about pets?")
    assert ans.found and {c.doc_id.rsplit("/", 1)[-1] for c in ans.citations} == {LEASE}
    assert any("pet deposit of $400" in c.quote for c in ans.citations)
    assert all(re.search(r"(?i)\bpets?\b|animal", c.quote) for c in ans.citations), [c.quote for c in ans.citations]
