"""``python -m qa collections ...`` and ``--collection NAME`` on the per-index commands: the same collections the web
chat shows (one database, one folder per collection), on indexes built with the fast HashingEmbedder."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import qa
from qa import cli
from qa.web.collections import COLLECTIONS_FOLDER


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_collections_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_DB", raising=False)
    root = str(tmp_path / "index")
    code, out, _ = _run(capsys, "collections", "--index-dir", root)
    assert code == 0 and out.strip() == f"default\t{root}\t(default)"
    assert not (tmp_path / "index").exists()  # listing makes nothing

    code, out, _ = _run(capsys, "collections", "create", "Work notes", "--index-dir", root)
    assert code == 0 and "created collection 'Work notes'" in out
    folder = tmp_path / "index" / COLLECTIONS_FOLDER / "work-notes"
    assert folder.is_dir()
    code, _, err = _run(capsys, "collections", "create", "a/b", "--index-dir", root)
    assert code == 2 and "error: A collection name may hold" in err
    code, _, err = _run(capsys, "collections", "create", "WORK notes", "--index-dir", root)
    assert code == 2 and "already a collection" in err

    qa.build_index([qa.Document("bees.md", "Bees", "Honey bees live in colonies ruled by a single queen.")], folder,
                   embedder=qa.HashingEmbedder(64))
    code, out, _ = _run(capsys, "list", "--index-dir", root, "--collection", "work notes")
    assert code == 0 and "bees.md" in out
    code, out, _ = _run(capsys, "search", "queen bees", "--index-dir", root, "--collection", "Work notes", "--json")
    assert code == 0 and json.loads(out)[0]["doc_id"] == "bees.md"
    code, _, err = _run(capsys, "list", "--index-dir", root, "--collection", "play")
    assert code == 2 and "no collection named 'play'" in err and "collections create" in err

    code, out, _ = _run(capsys, "collections", "rename", "Work notes", "Hive", "--index-dir", root)
    assert code == 0 and "renamed 'Work notes' to 'Hive'" in out
    code, out, _ = _run(capsys, "collections", "list", "--json", "--index-dir", root)
    assert [c["name"] for c in json.loads(out)] == ["default", "Hive"]
    assert json.loads(out)[1]["folder"] == str(folder)  # renaming keeps the folder

    code, _, err = _run(capsys, "collections", "delete", "default", "--index-dir", root, "--yes")
    assert code == 2 and "cannot be deleted" in err
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = _run(capsys, "collections", "delete", "Hive", "--index-dir", root)
    assert code == 2 and "add --yes" in err and folder.is_dir()  # never without a yes
    code, out, _ = _run(capsys, "collections", "delete", "Hive", "--index-dir", root, "--yes")
    assert code == 0 and not folder.exists()
    code, _, err = _run(capsys, "collections", "rename", "Hive", "--index-dir", root)
    assert code == 2 and "takes 2 names" in err


def test_qa_db_moves_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_DB", str(tmp_path / "elsewhere.sqlite3"))
    code, _, _ = _run(capsys, "collections", "create", "Moved", "--index-dir", str(tmp_path / "index"))
    assert code == 0 and (tmp_path / "elsewhere.sqlite3").is_file()
    assert not (tmp_path / "index" / "qa.sqlite3").exists()
