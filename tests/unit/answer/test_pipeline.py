"""The answer pipeline on the hashing embedder: streaming events, argument checks, document filter, config
overrides, an empty index."""
from __future__ import annotations

from pathlib import Path

import pytest

import qa
from qa.answer import Partial, stream_answer
from tests.conftest import CountingEmbedder
from tests.unit.answer.grounding import assert_grounded


@pytest.fixture
def fake_index(corpus_dir: Path, tmp_path: Path) -> qa.Index:
    return qa.build_index(corpus_dir, tmp_path / "index", embedder=CountingEmbedder())


def test_stream_yields_partials_then_the_answer(fake_index: qa.Index) -> None:
    events = list(stream_answer(fake_index, "How many eggs can the queen lay per day?", threshold=-50))
    assert isinstance(events[-1], qa.Answer)
    assert events[:-1] and all(isinstance(e, Partial) for e in events[:-1])
    assert events[-2].text == events[-1].text
    ans = events[-1]
    assert ans.found and "2,000 eggs" in ans.citations[0].quote
    assert ans.mode == "quotes" and ans.query == "How many eggs can the queen lay per day?"
    assert_grounded(fake_index, ans)


def test_bad_arguments(fake_index: qa.Index) -> None:
    with pytest.raises(ValueError, match="mode"):
        fake_index.ask("bees?", mode="poetry")
    with pytest.raises(ValueError, match="empty"):
        fake_index.ask("  ")
    with pytest.raises(TypeError, match="unexpected"):
        fake_index.ask("bees?", temperature=0.3)
    with pytest.raises(KeyError):
        fake_index.ask("bees?", doc_ids=["nope"])


def test_doc_filter_and_config_overrides(fake_index: qa.Index) -> None:
    ans = fake_index.ask("Which river carries more water than any other river?", doc_ids=["corpus/rivers.txt"],
                         max_quotes=1, threshold=-50)
    assert {c.doc_id for c in ans.citations} == {"corpus/rivers.txt"} and len(ans.citations) == 1
    assert "Amazon carries more water" in ans.citations[0].quote
    never = fake_index.ask("Which river carries more water than any other river?", threshold=1e9)
    assert not never.found and never.related


def test_empty_index_abstains(tmp_path: Path) -> None:
    idx = qa.build_index([], tmp_path / "empty", embedder=CountingEmbedder())
    ans = idx.ask("anything at all?")
    assert not ans.found and not ans.related
