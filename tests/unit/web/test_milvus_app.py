"""The web app's behaviour (``ChatApp``) on a Milvus store (``--store`` / ``QA_STORE_URI``), here a Milvus Lite
file with the model-free HashingEmbedder: the documents folder indexed into Milvus, uploads indexed there with no
copy kept, removal, answers, and collections and saved chats kept in Milvus too (nothing in the index folder).
Several replicas against a real ``milvus-lite server`` are in tests/integration/test_milvus_app.py."""
from __future__ import annotations

from pathlib import Path

import pytest

import qa

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("gradio", reason="the web app needs gradio")

from qa.web.config import AppConfig, parse_args  # noqa: E402
from qa.web.controller import ChatApp  # noqa: E402
from qa.web.state import ChatState  # noqa: E402
from tests.conftest import CORPUS  # noqa: E402

EMB = qa.HashingEmbedder(128)
LIGHTHOUSE = b"Varnholm Light\n\nThe keeper Edda Lindqvist painted the Varnholm lighthouse red in 1911."


def _last(gen):
    state = None
    for state in gen:  # noqa: B007 - the last one is wanted
        pass
    return state


def _upload(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "gradio-copies"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture
def app(tmp_path: Path, corpus_dir: Path) -> ChatApp:
    cfg = AppConfig(documents_dir=corpus_dir, index_dir=tmp_path / "index", upload_dir=tmp_path / "uploads",
                    feedback_dir=tmp_path / "feedback", store=f"milvus://{tmp_path / 'qa.db'}?collection=team")
    chat = ChatApp(cfg)
    chat.prepare(embedder=EMB)
    assert chat.progress.error is None, chat.progress.message
    yield chat
    chat.require_index().store.close()


def test_store_flag_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = parse_args(["--store", "http://127.0.0.1:19530?collection=docs"])
    assert cfg.shared and cfg.store_collection == "docs" and cfg.store_uri == "http://127.0.0.1:19530?collection=docs"
    monkeypatch.setenv("QA_STORE_URI", "http://milvus.example:19530")
    cfg = parse_args([])
    assert cfg.shared and cfg.store_collection == "qa"
    cfg = parse_args(["--store", "other-index"])  # a folder: the index folder, as for python -m qa
    assert not cfg.shared and cfg.index_dir == Path("other-index") and cfg.store_uri == "other-index"
    monkeypatch.delenv("QA_STORE_URI")
    assert not parse_args([]).shared


def test_documents_folder_is_indexed_into_milvus(app: ChatApp, tmp_path: Path) -> None:
    index = app.require_index()
    assert index.store.kind == "milvus" and len(index.documents()) == len(CORPUS)
    assert not (tmp_path / "index" / "manifest.json").exists()  # nothing in the index folder
    assert "3 documents" in app.status_markdown()
    assert app.collection_choices() == [("team", "default")]
    again = ChatApp(app.config)  # a restart (or another replica) opens it: nothing embedded again
    again.prepare(embedder=EMB)
    assert len(again.require_index().documents()) == len(CORPUS)


def test_upload_answer_remove(app: ChatApp, tmp_path: Path) -> None:
    msg = app.upload([_upload(tmp_path, "lighthouse.txt", LIGHTHOUSE)])
    assert "Added" in msg and "lighthouse" in msg
    assert not list(app.config.upload_dir.glob("*.txt"))  # the text lives in Milvus, not on this replica
    assert ["Varnholm Light", "lighthouse.txt"] in [r[:2] for r in app.documents_rows()]
    state = _last(app.ask("Who painted the Varnholm lighthouse?", ChatState()))
    answer = state.turns[-1].answer
    assert answer.found and answer.citations[0].doc_id == "lighthouse.txt"
    text = LIGHTHOUSE.decode()
    assert all(text[c.start:c.end] == c.quote for c in answer.citations if c.doc_id == "lighthouse.txt")
    assert [c[1] for c in app.chat_choices("")] == [state.chat_id]  # saved in Milvus, beside the index
    assert "replica" in app.remove_question("lighthouse.txt")
    assert "Removed" in app.remove("lighthouse.txt")
    assert all(r[1] != "lighthouse.txt" for r in app.documents_rows())
    assert all(h["doc_id"] != "lighthouse.txt" for h in app.search_api("Varnholm lighthouse keeper", 5))
    assert app.require_index().store.check() == []


def _collections(app: ChatApp) -> set[str]:
    return set(app.require_index().store.client.list_collections())


def test_collections_are_milvus_indexes_of_their_own(app: ChatApp, tmp_path: Path) -> None:
    cid, msg = app.create_collection("Work notes")
    assert cid and "Created the collection" in msg
    assert app.create_collection("work NOTES")[0] is None  # taken (any case)
    assert app.create_collection("TEAM")[0] is None  # the default collection is named after the store
    assert [c[0] for c in app.collection_choices()] == ["team", "Work notes"]
    folder = app.collection(cid).folder
    assert "Added" in app.upload([_upload(tmp_path, "lighthouse.txt", LIGHTHOUSE)], collection=cid)
    assert f"team_{folder}_passages" in _collections(app)
    assert [r[1] for r in app.documents_rows(cid)] == ["lighthouse.txt"]
    assert all(r[1] != "lighthouse.txt" for r in app.documents_rows(None))  # the default collection is untouched
    there = _last(app.ask("Who painted the Varnholm lighthouse?", app.new_chat("", cid)))
    assert any("Lindqvist" in c.quote for c in there.turns[0].answer.citations)
    assert app.index_of(cid).store.check() == []

    assert "Renamed" in app.rename_collection(cid, "Lighthouse")
    assert app.chats.info(there.chat_id, "").collection_name == "Lighthouse"
    again = ChatApp(app.config)  # a restart (or another replica): the same collections and chats
    again.prepare(embedder=EMB)
    assert again.collection_choices() == app.collection_choices()
    assert [r[1] for r in again.documents_rows(cid)] == ["lighthouse.txt"]

    assert "default collection" in app.delete_collection("default")
    assert "Deleted the collection" in app.delete_collection(cid)
    assert not {n for n in _collections(app) if n.startswith(f"team_{folder}")}  # its Milvus collections dropped
    assert [c[1] for c in again.collection_choices()] == ["default"]
    with pytest.raises(KeyError):
        again.index_of(cid)  # the other app closes it at its next use
    kept = again.open_chat(there.chat_id, "")  # its chat stays readable, says why it cannot ask more
    assert kept.collection is None and "Lighthouse" in kept.messages[-1]["content"]
    assert "team_passages" in _collections(app)  # the served index stays


def test_saved_chats_live_in_milvus(app: ChatApp, tmp_path: Path) -> None:
    state = _last(app.ask("Where did Edda Lindqvist live?", ChatState()))
    state = _last(app.ask("And what did she paint?", state))
    assert state.chat_id and [c[1] for c in app.chat_choices("")] == [state.chat_id]
    assert "team_app" in _collections(app)
    assert not (tmp_path / "index").exists() or not list((tmp_path / "index").iterdir())  # no SQLite file
    other = ChatApp(app.config)  # another replica on the same store
    opened = other.open_chat(state.chat_id, "")
    assert opened.messages == state.messages and len(opened.turns) == 2
    assert "Renamed" in other.rename_chat(opened, "Lighthouse keeper")
    assert app.chat_choices("")[0][0].startswith("Lighthouse keeper")
    name, text = app.export_chat(state)
    assert name == "qa-chat-lighthouse-keeper.md" and "## 2. And what did she paint?" in text
    assert app.chat_choices("mallory") == [] and "✗" in app.delete_chat(ChatState(chat_id=state.chat_id,
                                                                                    owner="mallory"))
    assert app.browser_secret() == other.browser_secret()
    assert "Deleted the chat" in other.delete_chat(opened)
    assert app.chat_choices("") == []
    with pytest.raises(KeyError):
        app.open_chat(state.chat_id, "")


def test_the_page_offers_collections_and_saved_chats(app: ChatApp) -> None:
    from qa.web import ui

    props = {c["props"]["elem_id"]: c["props"] for c in ui.build_ui(app).config["components"]
             if c.get("props", {}).get("elem_id")}
    assert props["qa-collections-manage"].get("visible", True) is True
    assert props["qa-chat-manage"].get("visible", True) is True
    assert "qa-shared-collections" not in props and "off" not in str(props["qa-chats"].get("info"))
