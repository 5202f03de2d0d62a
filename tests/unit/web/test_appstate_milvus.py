"""The app state in Milvus (qa.web.appstate_milvus, collections_milvus, chats_milvus, milvus_records) on a real Milvus
Lite file: the same behaviour as the SQLite state (tests/unit/web/test_store.py) for collections and saved chats,
records split in parts when large, nothing lost when two clients write at once, values made once; and the factory
choosing the backend by the served store."""
from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")

from qa.types import Citation  # noqa: E402
from qa.web.appdb import DEFAULT_COLLECTION  # noqa: E402
from qa.web.appstate import SqliteAppState, open_app_state  # noqa: E402
from qa.web.appstate_milvus import MilvusAppState  # noqa: E402
from qa.web.collections_milvus import with_collection  # noqa: E402
from qa.web.config import AppConfig  # noqa: E402
from tests.unit.web.test_store import TEXT, _answer  # noqa: E402

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"milvus://{tmp_path / 'x.db'}?collection=team"


@pytest.fixture
def state(uri: str) -> MilvusAppState:
    s = MilvusAppState(uri)
    yield s
    s.close()


def test_the_factory_chooses_by_the_served_store(tmp_path: Path, uri: str) -> None:
    local = open_app_state(AppConfig(index_dir=tmp_path / "index"))
    assert isinstance(local, SqliteAppState) and local.where == str(tmp_path / "index" / "qa.sqlite3")
    local.close()
    shared = open_app_state(AppConfig(index_dir=tmp_path / "index2", store=uri))
    assert isinstance(shared, MilvusAppState) and shared.where.endswith("(team_app)")
    assert shared.collections.list()[0].name == "team"
    shared.close()
    assert not (tmp_path / "index2").exists()  # nothing kept on the replica


def test_collection_uris_keep_the_other_settings() -> None:
    assert with_collection("http://h:19530?collection=team&index=HNSW", "team_x_1") == \
        "http://h:19530?collection=team_x_1&index=HNSW"
    assert with_collection("milvus:///data/qa.db", "qa_y_2") == "milvus:///data/qa.db?collection=qa_y_2"


def test_create_rename_delete_collections(state: MilvusAppState, uri: str) -> None:
    cols = state.collections
    assert [(c.id, c.name) for c in cols.list()] == [(DEFAULT_COLLECTION, "team")]
    work = cols.create("Work notes")
    assert work.folder == f"work_notes_{work.id[:6]}"
    assert cols.store_uri(work) == with_collection(uri, f"team_{work.folder}")
    assert cols.store_uri(cols.get(None)) == uri
    assert [c.name for c in cols.list()] == ["team", "Work notes"]
    with pytest.raises(ValueError, match="already a collection named “Work notes”"):
        cols.create("work NOTES")
    with pytest.raises(ValueError, match="already a collection named “team”"):
        cols.create("TEAM")
    with pytest.raises(ValueError, match="not '/'"):
        cols.create("a/b")
    renamed = cols.rename(work.id, "Office")
    assert renamed.folder == work.folder and cols.find("office").id == work.id  # the Milvus name stays
    again = cols.create("Work notes")  # the old name is free again; another Milvus prefix
    assert again.folder != work.folder
    assert cols.rename(DEFAULT_COLLECTION, "Shared docs").name == "Shared docs"  # the default one can be renamed
    assert cols.list()[0].id == DEFAULT_COLLECTION and cols.store_uri(cols.get(None)) == uri
    cols.delete(work.id)
    with pytest.raises(KeyError):
        cols.get(work.id)
    with pytest.raises(KeyError, match="no collection named 'Office'"):
        cols.find("Office")
    with pytest.raises(ValueError, match="default collection"):
        cols.delete(DEFAULT_COLLECTION)
    assert cols.gone_names() == {work.id: "Office"}
    other = MilvusAppState(uri)  # another replica: the same list
    assert [c.name for c in other.collections.list()] == ["Shared docs", "Work notes"]
    other.close()


def test_chats_are_saved_listed_renamed_and_deleted(state: MilvusAppState) -> None:
    store, default = state.chats, state.collections.get(None)
    chat = store.create("", default, "What are panels made of?")
    assert chat.title == "What are panels made of?" and chat.collection_name == "team"
    assert store.add_turn(chat.id, "", "What are panels made of?", _answer(), k=5, doc_ids=None) == 0
    assert store.add_turn(chat.id, "", "And how long do they last?", _answer("And how long?"), k=7,
                          doc_ids=["solar.txt"]) == 1
    saved = store.get(chat.id, "")
    assert [t.question for t in saved.turns] == ["What are panels made of?", "And how long do they last?"]
    assert saved.turns[0].answer == _answer() and saved.turns[1].k == 7 and saved.turns[1].doc_ids == ["solar.txt"]
    second = store.create("", default, "x" * 300)
    assert len(second.title) <= 60
    assert {c.id for c in store.list("")} == {chat.id, second.id}
    store.rename(chat.id, "", "  Solar\npanels  ")
    assert store.info(chat.id, "").title == "Solar panels"
    assert len(store.get(chat.id, "").turns) == 2  # a rename keeps the turns
    with pytest.raises(ValueError, match="needs a title"):
        store.rename(chat.id, "", " \n ")
    name, text = store.export_markdown(chat.id, "")
    quote = "Most home panels are made of silicon."
    assert name == "qa-chat-solar-panels.md" and f"characters {TEXT.index(quote)}-" in text
    store.delete(chat.id, "")
    with pytest.raises(KeyError):
        store.get(chat.id, "")
    with pytest.raises(KeyError):
        store.add_turn(chat.id, "", "late?", _answer(), k=5, doc_ids=None)
    assert state.records.find(["turn", "touch"], parent=chat.id) == []  # its turns went with it
    assert [c.id for c in store.list("")] == [second.id]


def test_each_user_sees_only_their_own_chats(state: MilvusAppState) -> None:
    store = state.chats
    alice = store.create("alice", state.collections.get(None), "Alice's question")
    store.add_turn(alice.id, "alice", "Alice's question", _answer(), k=5, doc_ids=None)
    assert [c.id for c in store.list("alice")] == [alice.id]
    assert store.list("bob") == [] and store.list("") == []
    for attempt in (lambda: store.get(alice.id, "bob"), lambda: store.rename(alice.id, "bob", "mine"),
                    lambda: store.delete(alice.id, "bob"), lambda: store.export_markdown(alice.id, "bob"),
                    lambda: store.add_turn(alice.id, "bob", "q", _answer(), k=5, doc_ids=None),
                    lambda: store.get(None, "alice")):
        with pytest.raises(KeyError):
            attempt()
    assert len(store.get(alice.id, "alice").turns) == 1


def test_a_renamed_then_deleted_collection_leaves_its_chats_readable(state: MilvusAppState) -> None:
    cols, store = state.collections, state.chats
    work = cols.create("Work")
    chat = store.create("", work, "What are panels made of?")
    store.add_turn(chat.id, "", "What are panels made of?", _answer(), k=5, doc_ids=None)
    cols.rename(work.id, "Office")
    assert store.info(chat.id, "").collection_name == "Office" and store.list("")[0].collection_name == "Office"
    cols.delete(work.id)
    info = store.info(chat.id, "")
    assert info.collection_id is None and info.collection_name == "Office"
    assert store.list("")[0].collection_id is None
    assert store.get(chat.id, "").turns[0].answer.citations[0].quote == "Most home panels are made of silicon."


def test_a_large_answer_is_kept_in_parts(state: MilvusAppState) -> None:
    """A saved answer larger than one VARCHAR (60,000 bytes) is split, and read back whole."""
    answer = _answer()
    big = dataclasses.replace(answer, citations=tuple(
        Citation(i + 1, "é" * 3_000 + str(i), "solar.txt", "Solar", None, 0, 3_001, 1.0) for i in range(40)))
    store = state.chats
    chat = store.create("", state.collections.get(None), "big")
    store.add_turn(chat.id, "", "big", big, k=20, doc_ids=None)
    rows = state.records._rows(f'kind == "turn" and parent == "{chat.id}"')
    assert len(rows) >= 4  # ~240 KB of UTF-8 in parts of at most 60,000 bytes
    assert store.get(chat.id, "").turns[0].answer == big


def test_an_incomplete_record_is_not_shown(state: MilvusAppState) -> None:
    """A record whose parts are not all written yet (a write in progress, or a replica that died) is left out."""
    store = state.chats
    chat = store.create("", state.collections.get(None), "q")
    store.add_turn(chat.id, "", "q", _answer(), k=5, doc_ids=None)
    turn = state.records.find(["turn"], parent=chat.id)[0]
    client = state._store.client
    client.upsert(state.records.name, [{"key": f"turn:{turn.id}#0", "kind": "turn", "rid": turn.id, "owner": "",
                                        "parent": chat.id, "part": 0, "parts": 2, "data": "{", "v": [0.0, 0.0]}])
    assert store.get(chat.id, "").turns == []


def test_two_clients_writing_at_once_lose_nothing(state: MilvusAppState, uri: str) -> None:
    """Two replicas (two clients) saving turns of one chat and chats of their own at the same time."""
    other = MilvusAppState(uri)
    shared = state.chats.create("", state.collections.get(None), "shared")
    made: dict[str, list[str]] = {"a": [], "b": []}

    def write(s: MilvusAppState, who: str) -> None:
        for i in range(8):
            s.chats.add_turn(shared.id, "", f"{who}{i}", _answer(), k=5, doc_ids=None)
            made[who].append(s.chats.create("", s.collections.get(None), f"{who} chat {i}").id)

    threads = [threading.Thread(target=write, args=(s, w)) for s, w in ((state, "a"), (other, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    turns = [t.question for t in other.chats.get(shared.id, "").turns]
    assert sorted(turns) == sorted([f"a{i}" for i in range(8)] + [f"b{i}" for i in range(8)])
    assert [q for q in turns if q.startswith("a")] == [f"a{i}" for i in range(8)]  # each writer's in its order
    listed = {c.id for c in state.chats.list("")}
    assert set(made["a"]) | set(made["b"]) | {shared.id} == listed and len(listed) == 17
    other.close()


def test_values_are_made_once(state: MilvusAppState, uri: str) -> None:
    first = state.meta("browser_secret", lambda: "one")
    assert first == "one" and state.meta("browser_secret", lambda: "two") == "one"
    other = MilvusAppState(uri)
    assert other.meta("browser_secret", lambda: "three") == "one"
    other.close()


def test_records_go_on_when_their_collection_is_released(state: MilvusAppState,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """A restarted server holds every collection released: the records' calls load it again (the store's client,
    qa.store.milvus_client) and go on."""
    made = state.collections.create("Kept")
    state._store.client.raw.release_collection(state.records.name)
    with caplog.at_level(logging.WARNING, logger="qa.store.milvus_client"):
        assert state.collections.get(made.id).name == "Kept"
    assert f"loaded {state.records.name}" in caplog.text


def test_an_unreachable_server_is_a_database_error(tmp_path: Path) -> None:
    from qa.web.appdb import DatabaseError

    s = MilvusAppState("http://127.0.0.1:9?collection=team")  # nothing listens on port 9
    with pytest.raises(DatabaseError, match="127.0.0.1:9"):
        s.collections.list()


def test_collections_of_a_milvus_store_from_the_command_line(uri: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import qa
    from qa import cli

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main([*argv, "--store", uri, "--index-dir", str(tmp_path / "index")])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("collections", "create", "Work notes")
    assert code == 0 and "created collection 'Work notes' in milvus://" in out and "collection=team_work_notes_" in out
    code, out, _ = run("collections", "list", "--json")
    listed = json.loads(out)
    assert [c["name"] for c in listed] == ["team", "Work notes"] and listed[0]["folder"] == uri
    qa.build_index([qa.Document("bees.md", "Bees", "Honey bees live in colonies ruled by a single queen.")],
                   tmp_path / "unused", embedder=qa.HashingEmbedder(64), store=listed[1]["folder"])
    code, out, _ = run("list", "--collection", "work NOTES")
    assert code == 0 and "bees.md" in out
    code, _, err = run("list", "--collection", "play")
    assert code == 2 and "no collection named 'play'" in err
    code, out, _ = run("collections", "delete", "Work notes", "--yes")
    after = MilvusAppState(uri)
    assert code == 0 and [c.name for c in after.collections.list()] == ["team"]
    prefix = listed[1]["folder"].split("collection=")[1]
    assert not [n for n in after._store.client.list_collections() if n.startswith(prefix)]  # dropped
    after.close()
    assert not (tmp_path / "index").exists()  # nothing in the index folder
