"""Readers and writers of one Index at once, in threads (as the web app's worker threads use it): answers and
searches running while ``Index.update`` / ``Index.remove`` swap the snapshot must never fail and never
quote text at offsets of another generation. The fast, model-free HashingEmbedder keeps this quick.

Each request must read ``index.snapshot`` once: the deterministic tests swap the snapshot in the middle of
a request (inside the query encoder) and check the answer still comes whole from the generation it started
with; the stress test hammers ask/search from several threads while writers update and remove documents."""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.ingest import loaders
from qa.store.disk import check_index

pytest.importorskip("gradio", reason="the web app needs gradio")
from qa.web import uploads  # noqa: E402
from qa.web.config import AppConfig  # noqa: E402
from qa.web.controller import ChatApp  # noqa: E402
from qa.web.state import ChatState  # noqa: E402

pytestmark = pytest.mark.timeout(120)

LIGHTHOUSE = ("Varnholm lighthouse\n\nThe Varnholm lighthouse stands on a granite skerry. Edda Lindqvist painted the "
              "lighthouse tower red in 1931. The lamp was electrified in 1952 and automated in 1989.")
OTHERS = {
    "bees": ("Honey bees", ("Honey bees live in colonies ruled by a single queen. The queen can lay up to 2,000 eggs "
                            "per day in spring. Bees communicate the location of food with a waggle dance.")),
    "rivers": ("Great rivers", ("The Nile is often called the longest river in the world. The Amazon carries more "
                                "water than any other river. Its basin covers roughly seven million square kilometres.")),
    "solar": ("Solar power", ("Solar panels convert sunlight into electricity. Most home panels are made of silicon. "
                              "A typical panel lasts about 25 years.")),
}
QUESTIONS = ["Who painted the lighthouse tower red?", "When was the lamp electrified?",
             "How many eggs can the queen lay per day?", "Which river carries more water than any other river?",
             "What are most home panels made of?", "What is the recipe for goulash?"]
LOOSE = -50.0  # answer threshold low enough that the hashing embedder always finds a quote


class SwapMidRequest(qa.HashingEmbedder):
    """Runs ``hook`` (once) when the next query is encoded: after a request has read the snapshot for
    retrieval and before it builds the quotes — the moment another thread's write would land."""

    def __init__(self) -> None:
        super().__init__(128)
        self.hook: Callable[[], None] | None = None

    def encode_queries(self, texts) -> np.ndarray:  # type: ignore[override]
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return super().encode_queries(texts)


def _docs(lighthouse: str = LIGHTHOUSE) -> list[qa.Document]:
    return [qa.Document("lighthouse", "Varnholm lighthouse", lighthouse)] + \
        [qa.Document(i, t, x) for i, (t, x) in OTHERS.items()]


@pytest.fixture
def swapping(tmp_path: Path) -> tuple[qa.Index, SwapMidRequest]:
    embedder = SwapMidRequest()
    return qa.build_index(_docs(), tmp_path / "index", embedder=embedder), embedder


def _assert_verbatim(ans: qa.Answer, texts: dict[str, str]) -> None:
    for c in ans.citations:
        text = texts[c.doc_id]
        assert text[c.start:c.end] == c.quote, (c.doc_id, c.start, c.end, c.quote)
        assert text[c.context_start:c.context_start + len(c.context)] == c.context


# ------------------------------------------------------------------------------------------ deterministic


def test_a_document_removed_mid_request_does_not_break_the_answer(swapping) -> None:
    idx, embedder = swapping
    embedder.hook = lambda: idx.remove(["lighthouse"])
    ans = idx.ask("Who painted the lighthouse tower red?", threshold=LOOSE)
    assert "lighthouse" not in {sd.document.id for sd in idx.documents()}  # the removal did happen
    assert ans.found and any("Edda Lindqvist" in c.quote for c in ans.citations)
    _assert_verbatim(ans, {"lighthouse": LIGHTHOUSE, **{i: x for i, (_, x) in OTHERS.items()}})


def test_a_document_changed_mid_request_is_quoted_from_the_version_searched(swapping) -> None:
    idx, embedder = swapping
    moved = "Preface added later, which shifts every offset of the text below.\n\n" + LIGHTHOUSE
    embedder.hook = lambda: idx.update(_docs(moved))
    ans = idx.ask("Who painted the lighthouse tower red?", threshold=LOOSE)
    assert idx.document("lighthouse").text == moved
    quotes = [c for c in ans.citations if c.doc_id == "lighthouse"]
    assert quotes and any("Edda Lindqvist painted" in c.quote for c in quotes)
    _assert_verbatim(ans, {"lighthouse": LIGHTHOUSE, **{i: x for i, (_, x) in OTHERS.items()}})


def test_the_app_chat_reads_one_snapshot_per_answer(swapping, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    idx, embedder = swapping
    from dataclasses import replace

    from qa.answer import pipeline

    monkeypatch.setattr(pipeline, "DEFAULT_CONFIG", replace(pipeline.DEFAULT_CONFIG, threshold=LOOSE))
    cfg = AppConfig(documents_dir=tmp_path / "documents", index_dir=idx.path,
                               upload_dir=tmp_path / "uploads", feedback_dir=tmp_path / "feedback")
    chat = ChatApp(cfg, index=idx)
    others = {i: x for i, (_, x) in OTHERS.items()}
    # the /chat API handler, while the document is changed under it: quoted from the version it searched
    moved = "Moved.\n\n" + LIGHTHOUSE
    embedder.hook = lambda: idx.update(_docs(moved))
    payload = chat.chat_api("Who painted the lighthouse tower red?")
    assert any(c["doc_id"] == "lighthouse" for c in payload["citations"]), payload
    for c in payload["citations"]:
        assert {"lighthouse": LIGHTHOUSE, **others}[c["doc_id"]][c["start"]:c["end"]] == c["quote"]
    # the chat (streamed), while the document is removed under it: an answer, not an error notice
    embedder.hook = lambda: idx.remove(["lighthouse"])
    state = list(chat.ask("Who painted the lighthouse tower red?", ChatState()))[-1]
    assert len(state.turns) == 1, state.messages[-1]["content"]
    assert any(c.doc_id == "lighthouse" for c in state.turns[0].answer.citations)
    _assert_verbatim(state.turns[0].answer, {"lighthouse": moved, **others})


def test_removing_the_same_document_twice_at_once_is_not_an_error(tmp_path: Path) -> None:
    idx = qa.build_index(_docs(), tmp_path / "index", embedder=qa.HashingEmbedder(128))
    cfg = AppConfig(documents_dir=tmp_path / "documents", index_dir=idx.path,
                               upload_dir=tmp_path / "uploads", feedback_dir=tmp_path / "feedback")
    chat = ChatApp(cfg, index=idx)
    barrier = threading.Barrier(2)
    out: list[str] = []

    def click() -> None:
        barrier.wait()
        out.append(chat.remove("lighthouse"))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(out) == 2, "a remove raised"
    assert sorted(m.split()[0] for m in out) == ["Removed", "That"], out  # one removes it, one is told it is gone


def test_an_upload_of_the_same_name_waits_for_the_one_being_indexed(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Two people upload notes.txt at once; the second copy is slow (a big file). It must not overwrite the
    file while the first upload reads it — which made the first fail ("empty file") and then delete the
    second's file — but wait its turn, so both succeed and the index ends with the second version."""
    idx = qa.build_index(_docs(), tmp_path / "index", embedder=qa.HashingEmbedder(128))
    cfg = AppConfig(documents_dir=tmp_path / "documents", index_dir=idx.path,
                               upload_dir=tmp_path / "uploads", feedback_dir=tmp_path / "feedback")
    chat = ChatApp(cfg, index=idx)
    first, second = tmp_path / "a" / "notes.txt", tmp_path / "b" / "notes.txt"
    for i, src in enumerate((first, second)):
        src.parent.mkdir()
        src.write_text(f"Notes {i}\n\nThe heron nests by the mill pond, version {i}.", encoding="utf-8")

    def slow_copy(src: str, dst: str) -> None:  # a large upload: the target exists, empty, for a while
        with open(dst, "wb") as out:
            time.sleep(0.4)
            out.write(Path(src).read_bytes())

    monkeypatch.setattr(uploads.shutil, "copyfile", slow_copy)
    real_load = loaders.load_file
    results: dict[str, str] = {}
    other = threading.Thread(target=lambda: results.update(second=chat.upload([{"path": str(second),
                                                                                  "orig_name": "notes.txt"}])))

    def load_file(path, doc_id=None):  # the first upload is being read: the second one arrives
        if not other.is_alive() and "second" not in results:
            other.start()
            time.sleep(0.2)
        return real_load(path, doc_id)

    monkeypatch.setattr(loaders, "load_file", load_file)
    results["first"] = chat.upload([{"path": str(first), "orig_name": "notes.txt"}])
    other.join(30)
    assert "Added" in results["first"] and "✗" not in results["first"], results
    assert "Updated" in results["second"] and "✗" not in results["second"], results
    assert (cfg.upload_dir / "notes.txt").read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    assert idx.document("notes.txt").text.endswith("version 1.")


def test_a_very_long_unicode_upload_name_is_shortened_to_fit_the_file_system(tmp_path: Path) -> None:
    idx = qa.build_index(_docs(), tmp_path / "index", embedder=qa.HashingEmbedder(128))
    cfg = AppConfig(documents_dir=tmp_path / "documents", index_dir=idx.path,
                               upload_dir=tmp_path / "uploads", feedback_dir=tmp_path / "feedback")
    chat = ChatApp(cfg, index=idx)
    src = tmp_path / "src.txt"
    src.write_text("Lighthouse log\n\nThe keeper wrote in the log every night.", encoding="utf-8")
    msg = chat.upload([{"path": str(src), "orig_name": "灯塔看守人的日志" * 40 + ".txt"}])  # 960 bytes of name
    assert "Added" in msg, msg
    (saved,) = cfg.upload_dir.iterdir()
    assert saved.name.endswith(".txt") and saved.name.startswith("灯塔") and len(saved.name.encode()) <= 255


# ------------------------------------------------------------------------------------------ stress


def test_readers_and_writers_hammering_one_index(tmp_path: Path) -> None:  # noqa: C901, PLR0915 - one scenario, read top to bottom
    """4 reader threads (ask, search, follow-ups) against 2 writer threads (update a moving document, remove
    and re-add another) until the snapshot was swapped a few dozen times: no request fails, every quote and passage is verbatim in a
    version of its document that was indexed at some point, and the index on disk is sound afterwards."""
    idx = qa.build_index(_docs(), tmp_path / "index", embedder=qa.HashingEmbedder(128))
    versions: dict[str, set[str]] = {d.id: {d.text} for d in _docs()}
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    counts = {"ask": 0, "search": 0, "update": 0, "remove": 0}

    def version_text(i: int) -> str:
        return f"Revision {i}. " + "Filler sentence about nothing. " * (i % 7) + LIGHTHOUSE

    def writer_update() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            text = version_text(i)
            with lock:
                versions["lighthouse"].add(text)
            idx.update([qa.Document("lighthouse", "Varnholm lighthouse", text)], prune=False)
            counts["update"] += 1
            time.sleep(0.05)  # let the other writer take the lock too

    def writer_remove() -> None:
        title, text = OTHERS["bees"]
        while not stop.is_set():
            idx.remove(["bees"])
            time.sleep(0.005)
            idx.update([qa.Document("bees", title, text)], prune=False)
            counts["remove"] += 1
            time.sleep(0.05)

    def check(ans: qa.Answer) -> None:
        with lock:
            known = {d: set(v) for d, v in versions.items()}
        for c in ans.citations:
            assert any(t[c.start:c.end] == c.quote and t[c.context_start:c.context_start + len(c.context)]
                       == c.context for t in known[c.doc_id]), (c.doc_id, c.start, c.end, c.quote)

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        history: list[dict[str, str]] = []
        while not stop.is_set():
            q = rng.choice(QUESTIONS)
            if rng.random() < 0.5:
                ans = idx.ask(q, history=history[-4:] or None, threshold=LOOSE)
                check(ans)
                history += [{"role": "user", "content": q}, {"role": "assistant", "content": ans.text}]
                counts["ask"] += 1
            else:
                with lock:
                    known = {d: set(v) for d, v in versions.items()}
                for h in idx.search(q, k=4):
                    assert any(t[h.start:h.end] == h.text for t in known[h.doc_id]), (h.doc_id, h.start, h.end)
                counts["search"] += 1

    def guarded(fn: Callable, *args) -> Callable[[], None]:
        def run() -> None:
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - reported by the test
                errors.append(e)
                stop.set()
        return run

    threads = [threading.Thread(target=guarded(reader, s), name=f"reader-{s}") for s in range(4)]
    threads += [threading.Thread(target=guarded(writer_update), name="writer-update"),
                threading.Thread(target=guarded(writer_remove), name="writer-remove")]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30.0  # until the writers have swapped the snapshot often enough
    while time.monotonic() < deadline and not stop.is_set() and (counts["update"] < 8 or counts["remove"] < 5):
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    assert counts["ask"] > 20 and counts["search"] > 20 and counts["update"] > 3 and counts["remove"] > 3, counts
    assert check_index(idx.path) == []
    reloaded = qa.load_index(idx.path, embedder=qa.HashingEmbedder(128))
    assert {sd.document.id for sd in reloaded.documents()} == {"lighthouse", "bees", "rivers", "solar"}
    assert reloaded.document("lighthouse").text == idx.document("lighthouse").text
