"""Indexing a large text holds less at once (issue 13), with the same results: sentences counted in slices and
kept in compact columns, a very long sentence counted in pieces, the new vectors placed block by block, and a
document's text written to the index in slices (the same bytes)."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from qa.ingest import chunking
from qa.ingest.assemble import _place_new
from qa.ingest.chunking import _count_long, chunk_text
from qa.store import disk
from qa.store.snapshot import StoredDocument
from qa.text.sentences import Span, count_words, iter_sentences, split_sentences
from qa.types import Document

rng = random.Random(5)
WORDS = "the harbour keeper lit a lantern at dusk e.g. when Dr. Smith came by ferry 1911 storm".split()
TEXT = " ".join(rng.choice(WORDS) + rng.choice(["", "", "", ".", "!", "?", ",", ".\n"]) for _ in range(6000))


def test_sentences_one_at_a_time_are_the_sentences() -> None:
    assert list(iter_sentences(TEXT)) == split_sentences(TEXT)
    assert list(iter_sentences(TEXT, 100, 5000)) == split_sentences(TEXT, 100, 5000)
    assert list(iter_sentences("   ")) == split_sentences("   ") == []


def test_a_long_sentence_counted_in_pieces_has_the_count_of_the_whole(monkeypatch) -> None:
    line = " ".join(rng.choice(WORDS) for _ in range(5000))  # no sentence end
    monkeypatch.setattr(chunking, "LONG_SENTENCE", 97)
    assert _count_long(line, Span(0, len(line)), count_words) == count_words([line])[0]
    blob = "x" * 1000  # no space: cut where a piece reaches the length
    assert _count_long(blob, Span(0, len(blob)), count_words) == 11


@pytest.mark.parametrize(("max_tokens", "overlap", "boundaries"), [(40, 0, ()), (64, 12, ()), (30, 5, (999, 20_000))])
def test_slices_and_pieces_change_no_passage(monkeypatch, max_tokens: int, overlap: int, boundaries) -> None:
    text = TEXT + " " + " ".join(rng.choice(WORDS).strip(".") for _ in range(3000)) + " end."
    calls: list[int] = []

    def counting(texts):
        calls.append(len(texts))
        return count_words(texts)

    whole = chunk_text(text, max_tokens, overlap, count_words, boundaries=boundaries)
    monkeypatch.setattr(chunking, "COUNT_SLICE", 7)
    monkeypatch.setattr(chunking, "LONG_SENTENCE", 50)
    assert chunk_text(text, max_tokens, overlap, counting, boundaries=boundaries) == whole
    assert max(calls) <= 7


def test_new_vectors_are_placed_block_by_block() -> None:
    gen = np.random.default_rng(0)
    parts = [gen.standard_normal((n, 4)).astype(np.float32) for n in (5, 3, 7)]
    new = np.concatenate(parts)
    new_index = np.array([-1, 3, 0, 14, -1, 3, 7, 9, 1, 2, 4, 5, 6, 8, 10, 11, 12, 13, -1])  # -1: carried over
    vectors = np.full((len(new_index), 4), 9.0, np.float32)
    assert _place_new(vectors, new_index, list(parts)) == 15
    np.testing.assert_array_equal(vectors[new_index >= 0], new[new_index[new_index >= 0]])
    assert (vectors[new_index < 0] == 9.0).all()


def test_documents_are_written_in_slices_with_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    alphabet = 'ab "\\\n\t\x01\x1f/é€😀\u2028'
    docs = [StoredDocument(Document(f"d{i}", 'T"ü', "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 900))),
                                    None, {"pages": [[0, 1]]}), "h", None, "a", "b", 3) for i in range(20)]
    docs.append(StoredDocument(Document("empty", "", "", None, {}), "h", None, "", "", 0))
    monkeypatch.setattr(disk, "TEXT_SLICE", 7)
    disk._write_jsonl(tmp_path / "whole.jsonl", (sd.to_json() for sd in docs))
    disk._write_documents(tmp_path / "slices.jsonl", iter(docs))
    assert (tmp_path / "slices.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    back = [json.loads(line) for line in (tmp_path / "slices.jsonl").read_bytes().split(b"\n")[:-1]]
    assert [r["text"] for r in back] == [sd.document.text for sd in docs]
