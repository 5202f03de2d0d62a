"""Word lists are data files checked on load."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.answer import conflicts
from qa.text.wordlists import WordListError, dump_wordlists, load_wordlists

ROOT = Path(__file__).resolve().parents[3]
FILES = sorted((ROOT / "qa").rglob("data/*.json"))


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_every_data_file_says_what_it_is_and_where_it_comes_from() -> None:
    assert len(FILES) >= 5
    for path in FILES:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc.get("what") and (doc.get("source") or doc.get("fitted_on")), path


def test_conflict_lexicon_loads_into_the_detector() -> None:
    assert {"not", "never", "n't"} <= conflicts._NEGATORS
    assert ["kill", "killed", "dead", "die", "died", "death"] in conflicts._SYNONYMS
    assert ("kill", "survive") in conflicts._ANTONYMS
    assert conflicts._AVOIDED.search("He managed to leave before the strike")
    assert "source" in conflicts.LEXICON and "sample article" in conflicts.LEXICON["source"]


def test_shapes_are_checked(tmp_path: Path) -> None:
    base = {"what": "w", "source": "s"}
    ok = load_wordlists(_write(tmp_path, {**base, "a": ["x"], "g": [["x", "y"]], "p": [["x", "y"]]}),
                        {"a": "words", "g": "groups", "p": "pairs"})
    assert ok["g"] == [["x", "y"]]
    for bad, shape in (({"a": "x"}, "words"), ({"a": [["x"]]}, "words"), ({"a": [" x"]}, "words"),
                       ({"a": [["x", "y", "z"]]}, "pairs"), ({"a": []}, "groups")):
        with pytest.raises(WordListError, match="'a' is not a non-empty list"):
            load_wordlists(_write(tmp_path, {**base, **bad}), {"a": shape})


def test_missing_list_provenance_or_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WordListError, match="no 'a' list"):
        load_wordlists(_write(tmp_path, {"what": "w", "source": "s"}), {"a": "words"})
    with pytest.raises(WordListError, match="where it comes from"):
        load_wordlists(_write(tmp_path, {"a": ["x"]}), {"a": "words"})
    with pytest.raises(WordListError, match="cannot be read"):
        load_wordlists(tmp_path / "missing.json", {"a": "words"})


def test_dump_round_trips() -> None:
    doc = {"what": "w", "source": "s", "a": ["x", "é"], "g": [["x", "y"], ["z"]]}
    assert json.loads(dump_wordlists(doc)) == doc
