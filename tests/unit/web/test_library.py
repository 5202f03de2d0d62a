"""The chat's collections and saved chats at run time (qa.web.library, through ChatApp), on small indexes built with
the fast, model-free HashingEmbedder: a chat is saved with its first answer and reopens as it was; each collection
has its own index, uploads and documents; removal and deletion keep quotes readable; users never see each other's
chats; the UI's wiring builds (Gradio, no browser)."""
from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

import qa
from qa.web.appdb import DEFAULT_COLLECTION
from qa.web.cite import cite_key
from qa.web.collections import COLLECTIONS_FOLDER
from qa.web.config import AppConfig
from qa.web.controller import ChatApp
from qa.web.state import ChatState

pytest.importorskip("gradio", reason="the web app needs gradio")
from qa.web import ui  # noqa: E402

pytestmark = pytest.mark.timeout(120)

FOG = "The harbour master rang the fog bell twice at noon."
LIGHT = "Edda Lindqvist painted the Varnholm lighthouse red in 1911."


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


def _config(tmp_path: Path) -> AppConfig:
    return AppConfig(documents_dir=tmp_path / "documents", index_dir=tmp_path / "index",
                     upload_dir=tmp_path / "uploads", feedback_dir=tmp_path / "feedback")


@pytest.fixture
def chat(tmp_path: Path) -> ChatApp:
    idx = qa.build_index([qa.Document("fog.txt", "Fog", FOG)], tmp_path / "index", embedder=qa.HashingEmbedder(128))
    return ChatApp(_config(tmp_path), index=idx)


def _file(cache: Path, name: str, text: str) -> dict:
    folder = cache / f"u{len(list(cache.glob('*'))) if cache.exists() else 0}"
    folder.mkdir(parents=True)
    (folder / name).write_text(text, encoding="utf-8")
    return {"path": str(folder / name), "orig_name": name}


def _ask(chat: ChatApp, question: str, state: ChatState) -> ChatState:
    for _ in chat.ask(question, state):  # the state is updated in place as the answer streams in
        pass
    return state


# ------------------------------------------------------------------------------------------ saved chats


def test_a_chat_is_saved_with_its_first_answer_and_reopens_as_it_was(chat: ChatApp) -> None:
    state = ChatState()
    assert chat.chat_choices("") == []
    state = _ask(chat, "When was the fog bell rung?", state)
    assert state.chat_id and state.title == "When was the fog bell rung?"
    state = _ask(chat, "Who rang the fog bell?", state)
    assert [c[1] for c in chat.chat_choices("")] == [state.chat_id]  # one chat, two turns

    again = ChatApp(chat.config, index=chat.index)  # another process on the same database
    opened = again.open_chat(state.chat_id, "")
    assert opened.messages == state.messages
    assert [t.question for t in opened.turns] == ["When was the fog bell rung?", "Who rang the fog bell?"]
    assert opened.turns[1].answer == state.turns[1].answer
    shown = again.open_citation(cite_key("#qa-cite-1-1"), opened)  # its citations open their quotes
    assert f'<mark id="qa-mark">{html.escape(opened.turns[1].answer.citations[0].quote)}</mark>' in shown
    follow = _ask(again, "And when?", opened)  # the conversation goes on, saved in the same chat
    assert len(again.chats.get(follow.chat_id, "").turns) == 3


def test_nothing_is_saved_for_a_refusal_or_an_error(chat: ChatApp) -> None:
    state = _ask(chat, "When was the fog bell rung?", ChatState())
    saved = len(chat.chats.get(state.chat_id, "").turns)
    for bad in (dict(k=0), dict(mode="written")):
        for _ in chat.ask("Again?", state, **bad):
            pass
    assert len(chat.chats.get(state.chat_id, "").turns) == saved
    assert chat.chat_choices("") and len(chat.chat_choices("")) == 1
    assert chat.chats.list("") and _ask(chat, "   ", ChatState()).chat_id is None


def test_rename_delete_and_export_go_through_the_owner(chat: ChatApp) -> None:
    state = _ask(chat, "When was the fog bell rung?", ChatState())
    assert "Renamed" in chat.rename_chat(state, "Fog bell")
    assert chat.chat_choices("")[0][0].startswith("Fog bell")
    assert "✗" in chat.rename_chat(state, "  ")
    name, text = chat.export_chat(state)
    assert name == "qa-chat-fog-bell.md" and FOG[:30] in text and "document `fog.txt`" in text
    intruder = ChatState(chat_id=state.chat_id, owner="mallory")
    assert "✗" in chat.rename_chat(intruder, "mine") and "✗" in chat.delete_chat(intruder)
    assert chat.export_chat(intruder)[0] == ""
    with pytest.raises(KeyError):
        chat.open_chat(state.chat_id, "mallory")
    assert chat.chat_choices("mallory") == []
    assert "Deleted the chat" in chat.delete_chat(state)
    assert chat.chat_choices("") == []
    assert "✗" in chat.delete_chat(ChatState())  # nothing saved: nothing to delete


def test_each_users_chats_are_their_own(chat: ChatApp) -> None:
    ann = _ask(chat, "When was the fog bell rung?", ChatState(owner="ann"))
    bob = _ask(chat, "Who rang the fog bell?", ChatState(owner="bob"))
    assert [c[1] for c in chat.chat_choices("ann")] == [ann.chat_id]
    assert [c[1] for c in chat.chat_choices("bob")] == [bob.chat_id]
    assert chat.chat_choices("") == []
    with pytest.raises(KeyError):
        chat.open_chat(ann.chat_id, "bob")
    stolen = ChatState(chat_id=ann.chat_id, owner="bob")  # a state pointing at ann's chat saves nothing into it
    _ask(chat, "Anything?", stolen)
    assert len(chat.chats.get(ann.chat_id, "ann").turns) == 1
    assert stolen.chat_id != ann.chat_id


# ------------------------------------------------------------------------------------------ collections


def test_a_second_collection_has_its_own_documents_uploads_and_answers(chat: ChatApp, cache: Path) -> None:
    cid, message = chat.create_collection("Field notes")
    assert cid and "Created the collection" in message
    assert chat.create_collection("field NOTES")[0] is None  # taken (any case)
    assert chat.create_collection("a/b")[1].startswith("✗")
    assert chat.documents_rows(cid) == []
    msg = chat.upload([_file(cache, "lighthouse.txt", f"Varnholm\n\n{LIGHT}")], collection=cid)
    assert "Added **lighthouse.txt**" in msg, msg
    assert (chat.config.upload_dir / COLLECTIONS_FOLDER / "field-notes" / "lighthouse.txt").is_file()
    assert (chat.config.index_dir / COLLECTIONS_FOLDER / "field-notes" / "manifest.json").is_file()
    assert [r[1] for r in chat.documents_rows(cid)] == ["lighthouse.txt"]
    assert [r[1] for r in chat.documents_rows(None)] == ["fog.txt"]  # the default collection is untouched

    there = _ask(chat, "Who painted the Varnholm lighthouse?", chat.new_chat("", cid))
    assert there.turns and any("Lindqvist" in c.quote for c in there.turns[0].answer.citations)
    here = _ask(chat, "Who painted the Varnholm lighthouse?", chat.new_chat("", None))
    assert not any("Lindqvist" in c.quote for t in here.turns for c in t.answer.citations)
    assert chat.chats.info(there.chat_id, "").collection_name == "Field notes"
    assert "Field notes" in chat.status_markdown(cid) and "1 document" in chat.status_markdown(cid)

    assert "Renamed" in chat.rename_collection(cid, "Lighthouse")
    assert chat.chats.info(there.chat_id, "").collection_name == "Lighthouse"
    assert "default collection" in chat.delete_collection(DEFAULT_COLLECTION)
    assert "Deleted the collection" in chat.delete_collection(cid)
    assert not (chat.config.index_dir / COLLECTIONS_FOLDER / "field-notes").exists()
    assert not (chat.config.upload_dir / COLLECTIONS_FOLDER / "field-notes").exists()
    assert [c[1] for c in chat.collection_choices()] == [DEFAULT_COLLECTION]

    kept = chat.open_chat(there.chat_id, "")  # its chat stays readable, says why it cannot ask more
    assert kept.collection is None and "was deleted" in kept.messages[-1]["content"]
    assert "Lindqvist" in chat.open_citation("0:1", kept)
    refused = _ask(chat, "Who painted it?", kept)
    assert "was deleted" in refused.messages[-1]["content"] and len(refused.turns) == 1


def test_a_collection_reopens_after_a_restart(chat: ChatApp, cache: Path) -> None:
    cid, _ = chat.create_collection("Field notes")
    chat.upload([_file(cache, "lighthouse.txt", f"Varnholm\n\n{LIGHT}")], collection=cid)
    again = ChatApp(chat.config, index=chat.index)
    assert [r[1] for r in again.documents_rows(cid)] == ["lighthouse.txt"]
    assert again.index_of(cid).embedder is chat.index.embedder  # one model for every collection


def test_sessions_remember_their_collection(chat: ChatApp) -> None:
    cid, _ = chat.create_collection("Field notes")
    assert chat.session_collection("s1") == DEFAULT_COLLECTION
    chat.bind("s1", cid)
    chat.bind("s2", DEFAULT_COLLECTION)
    assert chat.session_collection("s1") == cid and chat.session_collection("s2") == DEFAULT_COLLECTION
    chat.delete_collection(cid)
    assert chat.session_collection("s1") == DEFAULT_COLLECTION  # deleted: back to the default one


# ------------------------------------------------------------------------------------------ removal


def test_removed_documents_stay_quoted_as_text(chat: ChatApp, cache: Path) -> None:
    chat.upload([_file(cache, "lighthouse.txt", f"Varnholm\n\n{LIGHT}")])
    state = _ask(chat, "Who painted the Varnholm lighthouse?", ChatState())
    c = next(c for c in state.turns[0].answer.citations if "Lindqvist" in c.quote)
    key = f"0:{c.n}"
    question = chat.remove_question("lighthouse.txt")
    assert question.startswith("Remove **Varnholm**") and "uploaded copy is deleted" in question
    assert "keep their quotes" in question
    assert chat.remove_question(None) == "Pick a document to remove."
    assert "Removed" in chat.remove("lighthouse.txt")
    shown = chat.open_citation(key, state)
    assert "no longer in the collection" in shown and f'<mark id="qa-mark">{html.escape(c.quote)}</mark>' in shown
    assert f"characters {c.start}-{c.end}" in shown
    reopened = chat.open_chat(state.chat_id, "")
    assert any("Lindqvist" in m["content"] for m in reopened.messages)


def test_a_changed_document_shows_its_quote_where_it_moved_or_as_saved(chat: ChatApp, cache: Path) -> None:
    chat.upload([_file(cache, "lighthouse.txt", f"Varnholm\n\n{LIGHT}")])
    state = _ask(chat, "Who painted the Varnholm lighthouse?", ChatState())
    c = next(c for c in state.turns[0].answer.citations if "Lindqvist" in c.quote)
    chat.upload([_file(cache, "lighthouse.txt", f"Varnholm, a new preface.\n\n{LIGHT}")])  # the quote moved
    moved = chat.open_citation(f"0:{c.n}", state)
    assert f'<mark id="qa-mark">{html.escape(c.quote)}</mark>' in moved and "a new preface" in moved
    chat.upload([_file(cache, "lighthouse.txt", "Varnholm\n\nNobody knows who painted it.")])  # the quote is gone
    gone = chat.open_citation(f"0:{c.n}", state)
    assert "has changed since it was quoted" in gone and html.escape(c.quote) in gone


# ------------------------------------------------------------------------------------------ the page


def test_the_page_builds_and_keeps_its_handlers_private(chat: ChatApp) -> None:
    demo = ui.build_ui(chat)
    config = demo.config
    public = {d["api_name"] for d in config["dependencies"] if d.get("api_visibility", "public") == "public"}
    assert public == {"chat", "search"}
    ids = [c.get("props", {}).get("elem_id") for c in config["components"]]
    ids = [i for i in ids if i]
    assert len(ids) == len(set(ids))
    for needed in ("qa-sidebar", "qa-collection", "qa-chats", "qa-remove-ask", "qa-remove", "qa-progress",
                   "qa-drawer-open", "qa-chat-export", "qa-collection-delete-yes"):
        assert needed in ids, needed
    _ask(chat, "When was the fog bell rung?", ChatState())
    assert "When was the fog bell" not in json.dumps(ui.build_ui(chat).config, default=str)  # not in the shared page


def test_the_browser_secret_is_kept(chat: ChatApp) -> None:
    first = chat.browser_secret()
    assert len(first) >= 24 and ChatApp(chat.config, index=chat.index).browser_secret() == first


def test_a_collections_crash_leftovers_are_indexed_when_it_is_first_opened(chat: ChatApp) -> None:
    cid, _ = chat.create_collection("Field notes")
    folder = chat.config.upload_dir / COLLECTIONS_FOLDER / "field-notes"
    folder.mkdir(parents=True)
    (folder / "lighthouse.txt").write_text(f"Varnholm\n\n{LIGHT}", encoding="utf-8")  # copied, never indexed
    again = ChatApp(chat.config, index=chat.index)
    again.index_of(cid)
    assert again.desk_of(cid).queue.wait_idle(30)
    assert [r[1] for r in again.documents_rows(cid)] == ["lighthouse.txt"]
    assert [r[1] for r in again.documents_rows(None)] == ["fog.txt"]
