"""numpy's OpenBLAS is held to one thread while questions are answered, and given back after the last one."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

import qa
from qa.embed.hashing import HashingEmbedder
from qa.threads import blas_threads, question_threads

pytestmark = pytest.mark.skipif(blas_threads() < 2, reason="needs a multi-threaded BLAS (two or more cores)")


def test_one_blas_thread_inside_and_restored_after() -> None:
    before = blas_threads()
    with question_threads():
        assert blas_threads() == 1
        with question_threads():  # nested
            assert blas_threads() == 1
        assert blas_threads() == 1
    assert blas_threads() == before


def test_concurrent_questions_restore_only_when_the_last_one_ends() -> None:
    before = blas_threads()
    inside, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def other() -> None:  # a question in a worker thread, as Gradio runs them
        with question_threads():
            inside.set()
            release.wait(10)
            seen.append(blas_threads())

    t = threading.Thread(target=other)
    t.start()
    assert inside.wait(10)
    with question_threads():
        pass  # this question ends first: the other one must still run with one thread
    release.set()
    t.join(10)
    assert seen == [1]
    assert blas_threads() == before


class RecordingEmbedder(HashingEmbedder):
    """Records the BLAS thread count each time a question is embedded."""

    def __init__(self) -> None:
        super().__init__(64)
        self.threads: list[int] = []

    def encode_queries(self, texts):  # type: ignore[override]
        self.threads.append(blas_threads())
        return super().encode_queries(texts)


def test_ask_and_search_run_with_one_thread_and_give_it_back(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("The bridge was opened in 1932. It spans the harbour.", encoding="utf-8")
    embedder = RecordingEmbedder()
    index = qa.build_index(tmp_path / "docs", tmp_path / "index", embedder=embedder)
    before = blas_threads()
    assert index.search("When was the bridge opened?")
    assert index.ask("When was the bridge opened?").found
    assert embedder.threads == [1, 1]
    assert blas_threads() == before
