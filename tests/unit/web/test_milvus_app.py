"""The web app's behaviour (``ChatApp``) on a Milvus store (``--store`` / ``QA_STORE_URI``), here a Milvus Lite
file with the model-free HashingEmbedder: the documents folder indexed into Milvus, uploads indexed there with no
copy kept, removal, answers, and what is refused (other collections, saved chats). Several replicas against a real
``milvus-lite server`` are in tests/integration/test_milvus_app.py."""
from __future__ import annotations

import html
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
    assert app.chat_choices("") == [] and state.chat_id is None  # not saved: it would live on one replica
    assert "replica" in app.remove_question("lighthouse.txt")
    assert "Removed" in app.remove("lighthouse.txt")
    assert all(r[1] != "lighthouse.txt" for r in app.documents_rows())
    assert all(h["doc_id"] != "lighthouse.txt" for h in app.search_api("Varnholm lighthouse keeper", 5))
    assert app.require_index().store.check() == []


def test_collections_and_saved_chats_are_refused_plainly(app: ChatApp) -> None:
    cid, msg = app.create_collection("Work notes")
    msg = html.unescape(msg)
    assert cid is None and "Milvus collection" in msg and "collection=NAME" in msg
    assert "Milvus collection" in app.rename_collection(None, "x")
    assert "Milvus collection" in app.delete_collection("default")
    state = ChatState()
    assert "Saved chats are off" in app.rename_chat(state, "t")
    assert "Saved chats are off" in app.delete_chat(state)
    name, text = app.export_chat(state)
    assert name == "" and "Saved chats are off" in text
    with pytest.raises(KeyError):
        app.open_chat("anything", "")
    with pytest.raises(KeyError):
        app.index_of("another")
    assert app.collection(None).name == "team"

