"""Yes/no questions -> the claim they ask about: "Was the mayor injured in the crash?" -> "The mayor was
injured in the crash." (an entailment model judges claims, not questions).

No parser ships here, so the subject is found with closed-class words (``data/question_grammar.json``): it
opens with a determiner, a possessive or a name and ends before the predicate, which opens with a verb (base
form after do / can / will ...), a participle, an -ing form, a preposition or a determiner. When no split is
found, the claim is the question without its auxiliary.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .wordlists import load_wordlists

_BASE_VERB_AUX = frozenset({"do", "does", "did", "can", "could", "will", "would", "shall", "should", "may", "might", "must"})
_MAX_SUBJECT = 7


@lru_cache(maxsize=1)
def grammar() -> dict[str, Any]:
    g = load_wordlists(Path(__file__).resolve().parent / "data" / "question_grammar.json", {
        "auxiliaries": "words", "negated_auxiliaries": "words", "determiners": "words", "prepositions": "words",
        "verbs": "words", "participles": "words", "predicate_openers": "words", "pronouns": "words"})
    return {k: frozenset(v) for k, v in g.items() if isinstance(v, list)}


def _aux(word: str) -> tuple[str, bool] | None:
    """(auxiliary, negated) of the question's first word, or None when it does not open a yes/no question."""
    w = word.lower().replace("’", "'")
    g = grammar()
    if w in g["auxiliaries"]:
        return w, False
    if w in g["negated_auxiliaries"]:
        base = {"can't": "can", "won't": "will", "shan't": "shall"}.get(w, w[:-3])
        return base, True
    return None


def is_yes_no(question: str) -> bool:
    words = question.strip().split()
    return bool(words) and _aux(words[0]) is not None


def _verb_like(word: str, base_verbs: bool) -> bool:
    g = grammar()
    w = word.lower()
    if w in g["prepositions"] or w in g["predicate_openers"] or w in g["participles"]:
        return True
    if base_verbs:
        return w in g["verbs"]
    return w in g["verbs"] or (w.endswith("ed") and len(w) > 4) or (w.endswith("ing") and len(w) > 5) or w in g["determiners"]


def _subject_end(words: list[str], base_verbs: bool) -> int:
    """How many of ``words`` (the question after its auxiliary) form the subject; 0 when unsure."""
    g = grammar()
    if words[0].lower() in g["pronouns"]:
        return 1
    i = 0
    after_det = False
    while i < min(len(words), _MAX_SUBJECT):
        w = words[i]
        low = w.lower()
        if i == 0 or after_det:
            after_det = low in g["determiners"] or low.endswith(("'s", "’s"))
            i += 1
            continue
        if low == "of":  # "the mayor of Paris", "dozens of Russians": the subject goes on
            after_det = True
            i += 1
            continue
        if w[:1].isupper() and not _verb_like(w, base_verbs) and low not in g["determiners"]:
            after_det = low.endswith(("'s", "’s"))
            i += 1
            continue
        if _verb_like(w, base_verbs):
            return i
        if base_verbs:  # do/can...: the subject runs until the base verb
            i += 1
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt and _verb_like(nxt, base_verbs):  # "the new mayor injured": a noun before the predicate
            i += 1
            continue
        return i
    return i if i < len(words) else 0


def to_claim(question: str) -> str | None:
    """The declarative claim a yes/no question asks about, or None when it is not a yes/no question."""
    words = re.sub(r"[?!.\s]+$", "", question.strip()).split()
    if len(words) < 2:
        return None
    found = _aux(words[0])
    if found is None:
        return None
    aux, negated = found
    rest = words[1:]
    if rest[0].lower() == "not":
        negated, rest = True, rest[1:]
    end = _subject_end(rest, aux in _BASE_VERB_AUX)
    if end == 0 or end >= len(rest):
        claim = " ".join(rest)
    else:
        claim = " ".join([*rest[:end], aux + (" not" if negated else ""), *rest[end:]])
    return claim[:1].upper() + claim[1:] + "."
