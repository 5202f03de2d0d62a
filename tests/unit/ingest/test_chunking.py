from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest.chunking import chunk_text
from qa.text.sentences import count_words, split_sentences

TEXT = (
    "Dr. Smith arrived at 9 a.m. on Monday. He met Mr. Jones, e.g. the mayor, at the U.S. embassy! Was it useful? "
    "Nobody knows.\n\nA new paragraph starts here. It has two sentences.\nA headline line\nThe end."
)


def test_sentences_are_exact_and_respect_abbreviations() -> None:
    spans = split_sentences(TEXT)
    sents = [TEXT[s.start : s.end] for s in spans]
    assert sents[0] == "Dr. Smith arrived at 9 a.m. on Monday."
    assert sents[1] == "He met Mr. Jones, e.g. the mayor, at the U.S. embassy!"
    assert "Was it useful?" in sents and "A headline line" in sents and sents[-1] == "The end."
    for s in spans:
        assert TEXT[s.start : s.end] == TEXT[s.start : s.end].strip() != ""


def test_passages_hold_whole_sentences_within_the_limit() -> None:
    sentences = [TEXT[s.start : s.end] for s in split_sentences(TEXT)]
    for max_tokens in (8, 12, 20, 40, 1000):
        chunks = chunk_text(TEXT, max_tokens=max_tokens)
        covered = " ".join(TEXT[c.start : c.end] for c in chunks)
        for sent in sentences:
            if count_words([sent])[0] <= max_tokens:
                assert any(sent in TEXT[c.start : c.end] for c in chunks), (max_tokens, sent)
        for c in chunks:
            piece = TEXT[c.start : c.end]
            assert count_words([piece])[0] <= max_tokens or len(split_sentences(piece)) == 1
        assert all(w in covered for w in TEXT.split())


def test_long_sentence_is_cut_at_word_boundaries() -> None:
    text = "word " * 500 + "end."
    chunks = chunk_text(text, max_tokens=50)
    assert len(chunks) >= 10
    for c in chunks:
        piece = text[c.start : c.end]
        assert count_words([piece])[0] <= 55
        assert not piece.startswith(" ") and not piece.endswith(" ")
        assert piece.split()[0] in {"word", "end."}


def test_overlap_repeats_trailing_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    plain = chunk_text(text, max_tokens=30)
    overlapped = chunk_text(text, max_tokens=30, overlap_tokens=12)
    assert len(overlapped) > len(plain)
    for a, b in itertools.pairwise(overlapped):
        assert b.start < a.end  # each passage starts inside the previous one
        assert b.start > a.start  # and always makes progress


def test_passages_never_cross_boundaries() -> None:
    text = "Page one text. More of page one.\n\nPage two starts. It ends here."
    boundary = text.index("Page two")
    chunks = chunk_text(text, max_tokens=100, boundaries=[boundary])
    assert [text[c.start : c.end] for c in chunks] == ["Page one text. More of page one.", "Page two starts. It ends here."]


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        chunk_text("x", max_tokens=0)
    with pytest.raises(ValueError):
        chunk_text("x", max_tokens=10, overlap_tokens=10)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(["Hello there.", "Mr. X went home!", "why?", "\n\n", "  ", "a" * 40, "Zürich ünd ßtraße.",
                              "3.14 is pi.", "“Quoted.”", "\n", "word"]), max_size=40),
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=0, max_value=29),
)
def test_offsets_are_exact_for_any_text(parts: list[str], max_tokens: int, overlap: int) -> None:
    text = " ".join(parts)
    overlap = min(overlap, max_tokens - 1)
    chunks = chunk_text(text, max_tokens=max_tokens, overlap_tokens=overlap)
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        piece = text[c.start : c.end]
        assert piece == piece.strip() and piece
    # every non-space character is covered by some passage
    covered = [False] * len(text)
    for c in chunks:
        for i in range(c.start, c.end):
            covered[i] = True
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
