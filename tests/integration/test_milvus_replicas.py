"""Collections and saved chats shared by app replicas through a real ``milvus-lite server`` on 127.0.0.1 (started
here with the same ``running_server`` as the other Milvus tests, stopped after): two ``ChatApp`` replicas on one
store URI, nothing in common but the URI (own index, upload and feedback folders), the model-free HashingEmbedder.

A collection created on A is listed by B and answers there; a chat saved on A opens on B; what B deletes is gone
from A; both saving chats at the same moment lose none; and everything is there after the server restarts."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("gradio", reason="the web app needs gradio")

import qa  # noqa: E402
from qa.web.controller import ChatApp  # noqa: E402
from qa.web.state import ChatState  # noqa: E402
from tests.integration.app_server import LIGHTHOUSE, LIGHTHOUSE_QUESTION, store_config  # noqa: E402
from tests.integration.test_milvus_server import MilvusServer, running_server  # noqa: E402

pytestmark = pytest.mark.timeout(600)

EMB = qa.HashingEmbedder(128)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    with running_server(tmp_path_factory.mktemp("milvus-replicas") / "data") as s:
        yield s


def _replica(root: Path, uri: str, documents: Path | None = None) -> ChatApp:
    app = ChatApp(store_config(root, uri, documents))
    app.prepare(embedder=EMB)
    assert app.progress.error is None, app.progress.message
    return app


def _ask(app: ChatApp, question: str, state: ChatState) -> ChatState:
    for _ in app.ask(question, state):
        pass
    return state


def _upload(root: Path, name: str, text: str) -> Path:
    path = root / "gradio" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def replicas(server: MilvusServer, tmp_path: Path, corpus_dir: Path) -> Iterator[tuple[ChatApp, ChatApp]]:
    uri = f"{server.uri}?collection=replicas_{tmp_path.name[-12:].replace('-', '_')}"
    a = _replica(tmp_path / "a", uri, corpus_dir)  # indexes its documents folder into the empty store
    b = _replica(tmp_path / "b", uri)  # no documents of its own: serves what the store holds
    yield a, b
    for app in (a, b):
        app.appstate.close()


def test_a_collection_made_on_one_replica_is_listed_answered_and_deleted_on_the_other(
        replicas: tuple[ChatApp, ChatApp], tmp_path: Path) -> None:
    a, b = replicas
    cid, msg = a.create_collection("Field notes")
    assert cid and "Created" in msg
    assert ("Field notes", cid) in b.collection_choices()  # listed on B at once
    assert b.create_collection("field notes")[0] is None  # the name is taken for every replica
    assert "Added" in a.upload([_upload(tmp_path / "a", "varnholm.txt", LIGHTHOUSE)], collection=cid)
    assert [r[1] for r in b.documents_rows(cid)] == ["varnholm.txt"]
    state = _ask(b, LIGHTHOUSE_QUESTION, b.new_chat("", cid))  # B answers from the collection A made and filled
    quotes = [c for c in state.turns[0].answer.citations if c.doc_id == "varnholm.txt"]
    assert quotes and all(LIGHTHOUSE[c.start:c.end] == c.quote for c in quotes)
    assert all(r[1] != "varnholm.txt" for r in b.documents_rows(None))

    assert "Renamed" in b.rename_collection(cid, "Lighthouse")
    assert ("Lighthouse", cid) in a.collection_choices()
    assert a.chat_choices("")[0][0].endswith("· Lighthouse")  # B's chat, listed on A with the new name

    assert "Deleted the collection" in b.delete_collection(cid)
    assert [c[1] for c in a.collection_choices()] == ["default"]
    with pytest.raises(KeyError):
        a.index_of(cid)  # A had it open: closed at its next use
    assert a.documents_rows(cid) == [] and "Lindqvist" in a.open_chat(state.chat_id, "").messages[1]["content"]


def test_a_chat_saved_on_one_replica_opens_on_the_other_and_deletes_everywhere(
        replicas: tuple[ChatApp, ChatApp]) -> None:
    a, b = replicas
    state = _ask(a, "When was the fog bell rung?", ChatState())
    state = _ask(a, "Who rang it?", state)
    assert [c[1] for c in b.chat_choices("")] == [state.chat_id]
    opened = b.open_chat(state.chat_id, "")
    assert opened.messages == state.messages and [t.answer for t in opened.turns] == [t.answer for t in state.turns]
    _ask(b, "And at what time?", opened)  # the conversation goes on on B, saved in the same chat
    assert len(a.open_chat(state.chat_id, "").turns) == 3
    assert a.browser_secret() == b.browser_secret()  # a browser's saved chat reopens on any replica
    assert b.chat_choices("ann") == []
    assert "Deleted the chat" in b.delete_chat(opened)
    assert a.chat_choices("") == []
    with pytest.raises(KeyError):
        a.open_chat(state.chat_id, "")


def test_two_replicas_saving_chats_at_once_lose_none(replicas: tuple[ChatApp, ChatApp]) -> None:
    a, b = replicas
    saved: dict[str, list[str]] = {"a": [], "b": []}
    questions = ["When was the fog bell rung?", "Who rang the fog bell?", "What did the harbour master do?"]

    def chat(app: ChatApp, who: str) -> None:
        for q in questions:
            state = _ask(app, q, ChatState(owner="ann"))
            saved[who].append(str(state.chat_id))

    threads = [threading.Thread(target=chat, args=(app, who)) for app, who in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = set(saved["a"]) | set(saved["b"])
    assert len(expected) == 6 and "None" not in expected
    for app in (a, b):
        assert {c[1] for c in app.chat_choices("ann")} == expected


def test_collections_and_chats_survive_a_server_restart(server: MilvusServer, replicas: tuple[ChatApp, ChatApp]) -> None:
    a, b = replicas
    cid, _ = a.create_collection("Kept")
    state = _ask(a, "When was the fog bell rung?", ChatState())
    server.stop()
    server.start()
    assert ("Kept", cid) in b.collection_choices()  # the running replicas go on (the collection is loaded again)
    assert [c[1] for c in b.chat_choices("")] == [state.chat_id]
    assert b.open_chat(state.chat_id, "").messages == state.messages

