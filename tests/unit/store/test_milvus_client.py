"""``qa.store.milvus_client.ReloadingClient`` (what the Milvus store and the web app's records both talk through):
a call failing on a released collection or a dropped connection loads the collections again and runs once more,
logged at WARNING; any other error is raised at once, untouched; a server still unreachable on the second try is a
StoreUnavailableError naming the store. On a fake client here (no pymilvus needed), and on a Milvus Lite file whose
collections are released under an open index and app state. The restart of a real server is in
tests/integration/test_milvus_server.py."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from qa.errors import StoreUnavailableError
from qa.store.milvus_client import QuietRecovered, ReloadingClient, recoverable

WHERE = "http://127.0.0.1:19530?collection=qa"


class FakeError(Exception):
    """Shaped like pymilvus's MilvusException: a ``code`` property and a ``message``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


RELEASED = FakeError(101, "Collection 'qa_meta' is in state 'released'; call load() before search/get/query")
DOWN = FakeError(2, "Fail connecting to server on 127.0.0.1:19530, illegal connection params or server unavailable")
SCHEMA = FakeError(1100, "the num_rows (1) of field (v) is not equal to passed num_rows (0)")


class FakeClient:
    """Collections by name with a load state; ``fail`` lists the errors the next ``get`` calls raise."""

    def __init__(self, fail: list[Exception], down_after: bool = False) -> None:
        self.fail = fail
        self.down_after = down_after
        self.state = {"qa_meta": "NotLoad", "qa_passages": "NotLoad", "other": "Loaded"}
        self.calls: list[str] = []

    def get(self, name: str, ids: list[str]) -> list[dict[str, Any]]:
        self.calls.append(f"get {name}")
        if self.fail:
            raise self.fail.pop(0)
        return [{"key": i} for i in ids]

    def has_collection(self, name: str) -> bool:
        if self.down_after:
            raise DOWN
        return name in self.state

    def get_load_state(self, name: str) -> dict[str, str]:
        return {"state": f"<LoadState: {self.state[name]}>"}

    def load_collection(self, name: str) -> None:
        self.calls.append(f"load {name}")
        self.state[name] = "Loaded"

    def create_collection(self, name: str) -> None:
        raise RELEASED  # not a retried call: passed through as it came


def client(fake: FakeClient) -> ReloadingClient:
    return ReloadingClient(fake, WHERE, lambda: ["qa_meta", "qa_passages", "qa_gone"])


def test_a_released_collection_is_loaded_again_and_the_call_retried(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeClient([RELEASED])
    with caplog.at_level(logging.WARNING, logger="qa.store.milvus_client"):
        assert client(fake).get("qa_meta", ids=["manifest"]) == [{"key": "manifest"}]
    assert fake.calls == ["get qa_meta", "load qa_meta", "load qa_passages", "get qa_meta"]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert WHERE in caplog.text and "loaded qa_meta, qa_passages again" in caplog.text


def test_a_dropped_connection_that_came_back_is_retried() -> None:
    fake = FakeClient([DOWN])
    assert client(fake).get("other", ids=["a"]) == [{"key": "a"}]
    assert fake.calls == ["get other", "load qa_meta", "load qa_passages", "get other"]


def test_other_errors_are_raised_at_once_untouched(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeClient([SCHEMA])
    with caplog.at_level(logging.WARNING), pytest.raises(FakeError) as raised:
        client(fake).get("qa_meta", ids=["x"])
    assert raised.value is SCHEMA and fake.calls == ["get qa_meta"] and not caplog.records
    with pytest.raises(FakeError):  # calls that are not idempotent are never run twice
        client(fake).create_collection("qa_meta")
    assert not recoverable(ValueError("bad input")) and recoverable(RELEASED) and recoverable(DOWN)


def test_a_server_still_down_is_a_store_error_naming_the_uri() -> None:
    fake = FakeClient([DOWN], down_after=True)
    with pytest.raises(StoreUnavailableError, match=r"^http://127\.0\.0\.1:19530\?collection=qa: the Milvus server "
                                                    r"cannot be reached \(FakeError: Fail connecting"):
        client(fake).get("qa_meta", ids=["x"])
    fake = FakeClient([RELEASED, RELEASED])  # loaded, yet still refused: pymilvus's error, not retried again
    with pytest.raises(FakeError):
        client(fake).get("qa_meta", ids=["x"])
    assert fake.calls.count("get qa_meta") == 2


def test_pymilvus_reports_of_handled_failures_are_quiet() -> None:
    quiet = QuietRecovered()

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("pymilvus.decorators", logging.ERROR, __file__, 1, msg, None, None)

    assert not quiet.filter(record("RPC error: [query], <MilvusException: (code=101, message=...)>\nTraceback:\n..."))
    down = record(f"RPC error: [get], <MilvusException: (code=2, message={DOWN.message})>\nTraceback:\n  File ...")
    assert quiet.filter(down) and "\n" not in down.getMessage()
    other = record("RPC error: [upsert], <MilvusException: (code=1100, message=...)>\nTraceback:\n  File ...")
    assert quiet.filter(other) and "Traceback" in other.getMessage()  # not ours to handle: left as pymilvus logs it


def test_an_open_index_goes_on_when_its_collections_are_released(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """What a restarted server does to it, on a Milvus Lite file: every collection released."""
    pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
    pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")
    import qa

    uri = f"milvus://{tmp_path / 'qa.db'}?collection=rel"
    emb = qa.HashingEmbedder(64)
    index = qa.build_index([qa.Document("a", "A", "Apples grow on trees in the orchard."),
                            qa.Document("b", "B", "Bananas ripen in the tropical sun.")], tmp_path / "x",
                           embedder=emb, store=uri)
    before = [(h.doc_id, h.start, h.end, h.score) for h in index.search("bananas ripen", 2)]
    raw = index.store.client.raw
    for name in raw.list_collections():
        raw.release_collection(name)
    with caplog.at_level(logging.WARNING, logger="qa.store.milvus_client"):
        assert [(h.doc_id, h.start, h.end, h.score) for h in index.search("bananas ripen", 2)] == before
        index.update([qa.Document("c", "C", "Cherries are red.")])
    assert index.search("cherries", 1)[0].doc_id == "c" and index.store.check() == []
    assert "loaded rel_meta" in caplog.text and len(caplog.records) == 1  # one reload, all collections
    index.store.close()
