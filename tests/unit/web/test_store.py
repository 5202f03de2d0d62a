"""The web app's database (qa.web.appdb), its collections (qa.web.collections) and saved chats (qa.web.chats):
SQLite from the standard library, schema versioned, WAL mode; chats scoped to their owner."""
from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from qa.types import Answer, Citation, Hit, ShortAnswer
from qa.web import appdb
from qa.web.appdb import AppDB, DatabaseError
from qa.web.chats import ChatStore, answer_from_json, answer_to_json, check_title
from qa.web.collections import COLLECTIONS_FOLDER, Collections, check_name, collection_dir

TEXT = "Solar Power Basics\n\nMost home panels are made of silicon. A panel lasts about 25 years."


def _answer(question: str = "What are panels made of?") -> Answer:
    quote = "Most home panels are made of silicon."
    start = TEXT.index(quote)
    cite = Citation(1, quote, "solar.txt", "Solar Power Basics", "/data/solar.txt", start, start + len(quote), 1.5,
                    context=quote, context_start=start)
    return Answer(question, f"“{quote}” [1]", True, (cite,), query=question, notes=("a note",),
                  answer=ShortAnswer("silicon", "solar.txt", start + 29, start + 36, 0.91, 1),
                  related=(Hit("A panel lasts about 25 years.", 0.4, "solar.txt", "Solar Power Basics", None, 58, 87),))


@pytest.fixture
def db(tmp_path: Path) -> AppDB:
    return AppDB(tmp_path / "index" / "qa.sqlite3")


# ------------------------------------------------------------------------------------------ the database


def test_the_database_is_versioned_and_in_wal_mode(db: AppDB) -> None:
    assert db.version == appdb.SCHEMA_VERSION >= 1
    assert db.journal_mode().lower() == "wal"
    db.close()
    again = AppDB(db.path)  # reopening migrates nothing and keeps the data
    assert again.version == appdb.SCHEMA_VERSION
    assert [c.id for c in Collections(again, db.path.parent).list()] == ["default"]


def test_a_database_from_a_newer_qa_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "qa.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {appdb.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DatabaseError, match="newer qa"):
        AppDB(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == appdb.SCHEMA_VERSION + 1
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    conn.close()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "qa.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match=r"qa\.sqlite3: not a usable qa database"):
        AppDB(path)


def test_meta_values_are_made_once(db: AppDB) -> None:
    first = db.meta("secret", lambda: "abc")
    assert db.meta("secret", lambda: "other") == first == "abc"


def test_qa_db_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("QA_DB", raising=False)
    assert appdb.default_db_path(tmp_path / "index") == tmp_path / "index" / "qa.sqlite3"
    monkeypatch.setenv("QA_DB", str(tmp_path / "elsewhere.db"))
    assert appdb.default_db_path(tmp_path / "index") == tmp_path / "elsewhere.db"


# ------------------------------------------------------------------------------------------ collections


@pytest.mark.parametrize(("name", "problem"), [
    ("", "needs a name"), ("   ", "needs a name"), ("x" * 41, "at most 40"), ("a/b", "not '/'"),
    ("../etc", "not '/'"), ("-dash", "starts with a letter"), ("a  b", "double spaces"), ("tab\there", "U+0009"),
    ("<script>", "not '<' '>'"),
])
def test_bad_collection_names_are_refused_with_a_clear_message(name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        check_name(name)


def test_good_collection_names(db: AppDB) -> None:
    assert check_name("  Work notes 2024  ") == "Work notes 2024"
    assert check_name("Études_v1.2") == "Études_v1.2"


def test_create_rename_delete_collections(db: AppDB, tmp_path: Path) -> None:
    root = tmp_path / "index"
    cols = Collections(db, root)
    work = cols.create("Work notes")
    assert cols.path(work) == root / COLLECTIONS_FOLDER / "work-notes" and cols.path(work).is_dir()
    assert [c.name for c in cols.list()] == ["default", "Work notes"]
    with pytest.raises(ValueError, match="already a collection named “Work notes”"):
        cols.create("work NOTES")
    renamed = cols.rename(work.id, "Office")
    assert renamed.folder == work.folder and cols.find("office").id == work.id  # the folder stays
    with pytest.raises(ValueError, match="already"):
        cols.rename(work.id, "Default")
    again = cols.create("Work notes")  # the old name is free again; a new folder beside the first
    assert again.folder != work.folder
    (cols.path(work) / "manifest.json").write_text("{}", encoding="utf-8")
    cols.delete(work.id)
    assert not cols.path(work).exists()
    with pytest.raises(KeyError, match="no collection named 'Office'"):
        cols.find("Office")
    with pytest.raises(ValueError, match="default collection"):
        cols.delete("default")
    assert root.is_dir()


def test_collection_dir_for_the_cli(db: AppDB, tmp_path: Path) -> None:
    root = tmp_path / "index"
    work = Collections(db, root).create("work")
    assert collection_dir(root, None) == root
    assert collection_dir(root, "DEFAULT", db.path) == root
    assert collection_dir(root, "Work", db.path) == root / COLLECTIONS_FOLDER / work.folder
    with pytest.raises(KeyError, match="no collection named 'play'"):
        collection_dir(root, "play", db.path)
    fresh = tmp_path / "fresh"
    assert collection_dir(fresh, "default", fresh / "qa.sqlite3") == fresh and not fresh.exists()  # nothing made


# ------------------------------------------------------------------------------------------ chats


def test_an_answer_round_trips_through_json() -> None:
    answer = _answer()
    assert answer_from_json(answer_to_json(answer)) == answer
    data = answer_to_json(answer).replace('"mode": "quotes"', '"mode": "quotes", "from_the_future": 1')
    assert answer_from_json(data) == answer  # unknown fields of a newer qa are ignored


def test_chats_are_saved_listed_renamed_and_deleted(db: AppDB, tmp_path: Path) -> None:
    cols = Collections(db, tmp_path / "index")
    store = ChatStore(db)
    chat = store.create("", cols.get("default"), "What are panels made of?")
    assert chat.title == "What are panels made of?" and chat.collection_name == "default"
    store.add_turn(chat.id, "", "What are panels made of?", _answer(), k=5, doc_ids=None)
    store.add_turn(chat.id, "", "And how long do they last?", _answer("And how long?"), k=7, doc_ids=["solar.txt"])
    saved = store.get(chat.id, "")
    assert [t.question for t in saved.turns] == ["What are panels made of?", "And how long do they last?"]
    assert saved.turns[0].answer == _answer() and saved.turns[1].k == 7 and saved.turns[1].doc_ids == ["solar.txt"]
    second = store.create("", cols.get("default"), "x" * 300)
    assert len(second.title) <= 60
    assert [c.id for c in store.list("")][0] in (chat.id, second.id)
    store.rename(chat.id, "", "  Solar\npanels  ")
    assert store.info(chat.id, "").title == "Solar panels"
    with pytest.raises(ValueError, match="needs a title"):
        store.rename(chat.id, "", " \n ")
    store.delete(chat.id, "")
    with pytest.raises(KeyError):
        store.get(chat.id, "")
    with pytest.raises(KeyError):
        store.add_turn(chat.id, "", "late?", _answer(), k=5, doc_ids=None)
    assert db.rows("SELECT * FROM turns WHERE chat_id = ?", (chat.id,)) == []  # its turns went with it


def test_each_user_sees_only_their_own_chats(db: AppDB, tmp_path: Path) -> None:
    cols = Collections(db, tmp_path / "index")
    store = ChatStore(db)
    alice = store.create("alice", cols.get("default"), "Alice's question")
    store.add_turn(alice.id, "alice", "Alice's question", _answer(), k=5, doc_ids=None)
    assert [c.id for c in store.list("alice")] == [alice.id]
    assert store.list("bob") == [] and store.list("") == []
    for attempt in (lambda: store.get(alice.id, "bob"), lambda: store.rename(alice.id, "bob", "mine"),
                    lambda: store.delete(alice.id, "bob"), lambda: store.export_markdown(alice.id, "bob"),
                    lambda: store.add_turn(alice.id, "bob", "q", _answer(), k=5, doc_ids=None)):
        with pytest.raises(KeyError):
            attempt()
    assert store.info(alice.id, "alice").title == "Alice's question"
    assert len(store.get(alice.id, "alice").turns) == 1


def test_a_deleted_collection_leaves_its_chats_readable(db: AppDB, tmp_path: Path) -> None:
    cols = Collections(db, tmp_path / "index")
    store = ChatStore(db)
    work = cols.create("Work")
    chat = store.create("", work, "What are panels made of?")
    store.add_turn(chat.id, "", "What are panels made of?", _answer(), k=5, doc_ids=None)
    cols.rename(work.id, "Office")
    assert store.info(chat.id, "").collection_name == "Office"
    cols.delete(work.id)
    info = store.info(chat.id, "")
    assert info.collection_id is None and info.collection_name == "Office"
    assert store.get(chat.id, "").turns[0].answer.citations[0].quote == "Most home panels are made of silicon."


def test_export_markdown_has_every_quote_with_its_document_and_offsets(db: AppDB, tmp_path: Path) -> None:
    store = ChatStore(db)
    chat = store.create("", Collections(db, tmp_path / "index").get("default"), "What are panels made of?")
    store.add_turn(chat.id, "", "What are panels made of?", _answer(), k=5, doc_ids=None)
    not_found = Answer("Who won the cup?", "I could not find this in your documents.", False,
                       related=(Hit("A panel lasts about 25 years.", 0.2, "solar.txt", "Solar", None, 58, 87),))
    store.add_turn(chat.id, "", "Who won the cup?", not_found, k=5, doc_ids=None)
    name, text = store.export_markdown(chat.id, "")
    assert name == "qa-chat-what-are-panels-made-of.md"
    quote = "Most home panels are made of silicon."
    start = TEXT.index(quote)
    assert text.startswith("# What are panels made of?\n")
    assert "## 1. What are panels made of?" in text and "## 2. Who won the cup?" in text
    assert f"- [1] “{quote}”" in text
    assert f"Solar Power Basics, solar.txt · document `solar.txt` · characters {start}-{start + len(quote)}" in text
    assert "Related passages (not an answer):" in text and "characters 58-87" in text


def test_titles_are_one_clean_line() -> None:
    assert check_title("a\x00b\u202e c\n\td") == "ab c d"
    assert len(check_title("y" * 500)) == 100


def test_concurrent_writers_do_not_lose_turns(db: AppDB, tmp_path: Path) -> None:
    store = ChatStore(db)
    chat = store.create("", Collections(db, tmp_path / "index").get("default"), "q")
    other = ChatStore(AppDB(db.path))  # a second connection, as the CLI or another process would have

    def write(s: ChatStore) -> None:
        for i in range(20):
            s.add_turn(chat.id, "", f"q{i}", _answer(), k=5, doc_ids=None)

    threads = [threading.Thread(target=write, args=(s,)) for s in (store, store, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.get(chat.id, "").turns) == 60
