"""Word lists as data: JSON files next to the code that reads them, checked when loaded.

Each file says what it is and where its words come from (``what``, ``source``); every list the code needs is
checked for its shape (``words``: strings; ``groups``: lists of strings; ``pairs``: two strings each), so a
damaged or hand-broken file fails on load, naming itself, instead of silently matching nothing.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SHAPES = ("words", "groups", "pairs")


class WordListError(ValueError):
    """A word-list file is missing, unreadable, or not shaped as its reader expects."""


def _is_words(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(w, str) and w and w == w.strip() for w in value)


def _check(path: Path, key: str, value: Any, shape: str) -> None:
    ok = {
        "words": _is_words(value),
        "groups": isinstance(value, list) and bool(value) and all(_is_words(g) for g in value),
        "pairs": isinstance(value, list) and bool(value) and all(_is_words(p) and len(p) == 2 for p in value),
    }[shape]
    if not ok:
        raise WordListError(f"{path}: {key!r} is not a non-empty list of {shape}")


def load_wordlists(path: Path, shapes: Mapping[str, str]) -> dict[str, Any]:
    """The lists of ``path`` named in ``shapes`` (key -> "words" / "groups" / "pairs"), each checked."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise WordListError(f"{path}: cannot be read ({e})") from None
    if not isinstance(doc, dict) or not doc.get("what") or not doc.get("source"):
        raise WordListError(f"{path}: a word-list file must say what it is and where it comes from ('what', 'source')")
    for key, shape in shapes.items():
        if shape not in SHAPES:
            raise ValueError(f"unknown word-list shape {shape!r}")
        if key not in doc:
            raise WordListError(f"{path}: no {key!r} list")
        _check(path, key, doc[key], shape)
    return doc


def dump_wordlists(doc: Mapping[str, Any]) -> str:
    """JSON for a word-list file, one list (or one group or pair) per line, for readable diffs."""
    lines = []
    for key, value in doc.items():
        if isinstance(value, list) and value and isinstance(value[0], list):
            inner = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
            lines.append(f" {json.dumps(key)}: [\n{inner}\n ]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
