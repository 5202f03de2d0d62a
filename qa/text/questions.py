"""Yes/no questions -> the claim they ask about: "Was the mayor injured in the crash?" -> "The mayor was
injured in the crash."; "Did the port reopen on Wednesday?" -> "The port reopened on Wednesday." (an entailment
model judges claims, not questions).

No parser ships here, so the subject is found with closed-class words (``data/question_grammar.json``):
after be / have, the predicate opens at the first participle ("destroyed", "been") or, failing one, at the
first preposition, determiner or verb-like word after the subject's head; after do / can / will, it opens at
the base verb (a listed verb, or the word before a preposition, determiner or the end). "did" + verb becomes the
past tense, "does" + verb the third person; "anyone" becomes "someone". When no split is found, the claim is the
question without its auxiliary.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .wordlists import load_wordlists

_BASE_VERB_AUX = frozenset({"do", "does", "did", "can", "could", "will", "would", "shall", "should", "may", "might", "must"})
_MAX_SUBJECT = 7
_LISTS = ("auxiliaries", "negated_auxiliaries", "determiners", "quantifiers", "prepositions", "verbs", "participles",
          "predicate_openers", "pronouns", "relative_pronouns", "wh_words", "how_degree", "time_nouns",
          "request_verbs", "compound_fillers", "compound_anaphors")
_BE = frozenset({"is", "are", "was", "were", "am"})


@lru_cache(maxsize=1)
def grammar() -> dict[str, Any]:
    g = load_wordlists(Path(__file__).resolve().parent / "data" / "question_grammar.json",
                       {**dict.fromkeys(_LISTS, "words"), "irregular_past": "pairs", "negative_polarity": "pairs",
                        "adjunct_prepositions": "pairs", "negated_indefinites": "pairs"})
    out: dict[str, Any] = {k: frozenset(g[k]) for k in _LISTS}
    out["irregular_past"] = dict(g["irregular_past"])
    out["negative_polarity"] = dict(g["negative_polarity"])
    out["adjunct_prepositions"] = dict(g["adjunct_prepositions"])
    out["negated_indefinites"] = dict(g["negated_indefinites"])
    return out


def _aux(word: str) -> tuple[str, bool] | None:
    """(auxiliary, negated) of the question's first word, or None when it does not open a yes/no question."""
    w = re.sub(r"^\W+|[^\w']+$", "", word.lower().replace("’", "'"))  # "“Was" / "Is," open a question too
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


def participle(word: str) -> bool:
    w = word.lower()
    return w in grammar()["participles"] or (w.endswith("ed") and len(w) > 4)


def _verb_like(word: str, base_verbs: bool) -> bool:
    g = grammar()
    w = word.lower()
    if w in g["prepositions"] or w in g["predicate_openers"] or w in g["participles"]:
        return True
    if base_verbs:
        return w in g["verbs"]
    return w in g["verbs"] or participle(w) or (w.endswith("ing") and len(w) > 5) or w in g["determiners"]


def _opens_object(word: str) -> bool:
    """A word that may follow a verb: a preposition, determiner, quantifier or number ("handle more cargo", "hire
    200 people"), pronoun or predicate opener."""
    g = grammar()
    w = word.lower()
    return w in g["prepositions"] or w in g["determiners"] or w in g["quantifiers"] or w[:1].isdigit() or \
        w in g["pronouns"] or w in g["predicate_openers"]


def _participle_split(words: list[str]) -> int:
    """be / have questions: the first participle (or "not", "already" ...) after the subject's head; 0 if none."""
    g = grammar()
    lo = 2 if words[0].lower() in g["determiners"] else 1
    for k in range(lo, len(words)):
        low = words[k].lower()
        if low in g["relative_pronouns"]:  # "the people who fell into the river rescued": the last participle
            return next((j for j in range(len(words) - 1, k + 1, -1) if participle(words[j])), 0)
        if low in g["predicate_openers"] or participle(words[k]):
            return k
    return 0


def _subject_end(words: list[str], base_verbs: bool) -> int:
    """How many of ``words`` (the question after its auxiliary) form the subject; 0 when unsure."""
    g = grammar()
    if words[0].lower() in g["pronouns"]:
        return 1
    if not base_verbs and (k := _participle_split(words)):
        return k
    i = 0
    after_det = False
    while i < min(len(words), _MAX_SUBJECT):
        w = words[i]
        low = w.lower()
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if base_verbs and low in g["relative_pronouns"] and i + 2 < len(words):  # "the company that built ..."
            i += 2
            after_det = True
            continue
        if i == 0 or after_det or low == "of":
            after_det = low in g["determiners"] or low.endswith(("'s", "’s")) or low == "of"
            i += 1
            continue
        if w[:1].isupper() and not _verb_like(w, base_verbs) and low not in g["determiners"]:
            after_det = low.endswith(("'s", "’s"))
            i += 1
            continue
        if _verb_like(w, base_verbs) or (base_verbs and (not nxt or _opens_object(nxt))):
            return i
        if base_verbs or (nxt and _verb_like(nxt, base_verbs)):  # "the new mayor injured": a noun before the predicate
            i += 1
            continue
        return i
    return i if i < len(words) else 0


def _past(verb: str) -> str:
    low = verb.lower()
    irregular = grammar()["irregular_past"]
    if low in irregular:
        return str(irregular[low])
    if low.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ied"
    if len(re.findall(r"[aeiou]+", low)) == 1 and re.search(r"[^aeiou][aeiou][^aeiouwxy]$", low):
        return verb + verb[-1] + "ed"  # stop -> stopped
    return verb + "ed"


def _third_person(verb: str) -> str:
    low = verb.lower()
    if low == "have":
        return "has"
    if re.search(r"(s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


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
    if not rest:
        return None
    end = _subject_end(rest, aux in _BASE_VERB_AUX)
    if 0 < end < len(rest) - 1 and rest[end].lower() == "not":  # "Did the court not review it?"
        negated, rest = True, [*rest[:end], *rest[end + 1:]]
    if not negated:  # "Was anyone hurt?" asks whether someone was
        swap = grammar()["negative_polarity"]
        rest = [w for w in rest if w.lower() != "ever"]
        rest = [swap.get(w.lower(), w) if w.lower() in swap else w for w in rest]
    end = _subject_end(rest, aux in _BASE_VERB_AUX)
    if end == 0 or end >= len(rest):
        claim = " ".join(rest)
    elif aux in ("did", "does") and not negated:
        verb = _past(rest[end]) if aux == "did" else _third_person(rest[end])
        claim = " ".join([*rest[:end], verb, *rest[end + 1:]])
    else:
        claim = " ".join([*rest[:end], aux + (" not" if negated else ""), *rest[end:]])
    return claim[:1].upper() + claim[1:] + "."


def negated_claim(question: str) -> str | None:
    """The opposite of the claim a yes/no question asks about ("Was the mayor injured?" -> "The mayor was not
    injured."; "Wasn't he told?" -> "He was told."), or None when it is not a yes/no question: what a source that
    answers "no" says."""
    words = question.strip().split()
    found = _aux(words[0]) if words else None
    if found is None:
        return None
    aux, negated = found
    nobody = grammar()["negated_indefinites"]  # "anyone" -> "no one"
    if negated:
        flipped = [aux, *words[1:]]
    elif len(words) > 1 and words[1].lower() == "not":
        flipped = [words[0], *words[2:]]
    elif len(words) > 1 and words[1].lower() in nobody:  # "Was anyone hurt?" -> "No one was hurt."
        flipped = [words[0], nobody[words[1].lower()], *words[2:]]
    else:
        flipped = [words[0], "not", *words[1:]]
    return to_claim(" ".join(flipped))


def _negated_do(words: list[str]) -> bool:
    """Do ``words`` (after a wh-word) open with a negated "do" and then the verb: "did not attend", "didn't come"
    (so the wh-phrase is the subject), not "didn't he say" (an object question)?"""
    found = _aux(words[0])
    if found is None or found[0] not in ("do", "does", "did") or len(words) < 2:
        return False
    nxt = words[1].lower()
    if not found[1]:
        return nxt == "not"
    g = grammar()
    return nxt not in g["pronouns"] and nxt not in g["determiners"] and not words[1][:1].isupper()


def answer_claim(question: str, answer: str) -> str:
    """The claim ``answer`` makes as the answer to the wh-question ``question``: the wh-phrase replaced by the
    answer ("Who wrote Hamlet?" + "Shakespeare" -> "Shakespeare wrote Hamlet."), or, after an auxiliary, the
    question turned into a statement with the answer where the wh-phrase asked ("When did the war end?" + "1945"
    -> "The war ended in 1945."; "What is the capital?" + "Paris" -> "The capital is Paris."). A question with
    no wh-word early on gives "question: answer." The claim need not be fluent: the entailment model reads
    rough claims well enough (``qa.answer.verify``)."""
    g = grammar()
    words = re.sub(r"[?!.\s]+$", "", question.strip()).split()
    answer = answer.strip()
    i = next((k for k, w in enumerate(words[:4]) if w.lower().strip(",") in g["wh_words"]), None)
    if i is None or not answer:
        return f"{' '.join(words)}: {answer}."
    wh = words[i].lower().strip(",")
    j = i + 1 + int(wh == "how" and i + 1 < len(words) and words[i + 1].lower() in g["how_degree"])
    k = next((m for m in range(j, min(j + 4, len(words))) if _aux(words[m]) is not None), None)
    if k is None or k == j and _negated_do(words[k:]):
        return _sentence(f"{answer} {' '.join(words[j:])}")  # "Which team won?" -> "<answer> team won."
    rest = words[k:]
    aux = rest[0].lower()
    head = {w.lower() for w in words[i + 1:k]}
    subject = _subject_claim(words, answer, wh, (i, j, k), head)
    if subject is not None:
        return subject
    claim = (to_claim(" ".join(rest)) or " ".join(rest[1:])).rstrip(".")
    if aux in _BE and aux not in claim.lower().split():  # "What is the capital?" -> "The capital is <answer>."
        return _sentence(f"{claim} {aux} {answer}")
    lead = " ".join(words[:i]).lower()  # "In what year ...": the question's own preposition
    if not lead and (wh in g["adjunct_prepositions"] and j == i + 1 or head & g["time_nouns"]):
        opens = answer.split()[0].lower()
        lead = "" if opens in g["prepositions"] or opens == "because" else g["adjunct_prepositions"].get(wh, "in")
    return _sentence(" ".join(x for x in (claim, lead, answer) if x))


def _subject_claim(words: list[str], answer: str, wh: str, at: tuple[int, int, int], head: set[str]) -> str | None:
    """The claim when the wh-phrase is the subject of what follows its auxiliary (``at``: the wh-word, the
    phrase's end, the auxiliary), else None."""
    g = grammar()
    i, j, k = at
    rest = words[k:]
    aux = rest[0].lower()
    if aux in ("do", "does", "did") or len(rest) < 2:
        return None
    if wh in _SUBJECT_WH and not head & g["time_nouns"]:
        verbless = not any(_verbal(w) for w in rest[1:])
        if _verbal(rest[1]) or (verbless and (k > j or aux not in _BE)):
            # "What weapon was used in X?", "Which team is the largest?", "Who has the most titles?" ->
            # "<answer> was used in X.", ...
            return _sentence(f"{answer} {' '.join(rest)}")
        if verbless:  # "Who was the first president?" -> "The first president was <answer>."
            return _sentence(f"{' '.join(rest[1:])} {aux} {answer}")
    if wh == "how" and j > i + 1 and k > j and _verbal(rest[1]):
        # "How many people were killed?" -> "<answer> people were killed."
        return _sentence(" ".join([answer, *words[j:k], *rest]))
    return None


_SUBJECT_WH = frozenset({"who", "what", "which"})


def _verbal(word: str) -> bool:
    """A verb form that may follow an auxiliary: a participle ("used", "been"), an -ing form or a known verb."""
    w = word.lower().strip(",")
    return participle(w) or (w.endswith("ed") and len(w) > 3) or (w.endswith("ing") and len(w) > 5) or \
        w in ("be", "been", "being") or w in grammar()["verbs"]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
