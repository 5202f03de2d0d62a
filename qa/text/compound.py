"""Compound questions: one message that asks several things ("What was Alameda Research, and how was it tied up
with FTX?", "Run me through the plea deal. What did CZ admit to, and who takes over?"), split into its parts, each
a question of its own, so that each is answered with its own quotes (``parts``); and one question that names its
subject apart ("the Øresund crossing - what is it?"), asked whole (``standalone``).

A message splits into the sentences that ask something (a wh-word, an auxiliary or a request verb first, or a
question mark last; a statement such as "I have no time to read these." asks nothing and is left out), and a
sentence splits again where "and" (with commas before, in a series) opens another wh-clause. A part must hold a
word of its own (not only "fill me in"), and a request after a question says how to answer it ("How have the two
fared? Contrast them."), not another question. A part that says "it" of what the message names first ("The
Øresund crossing - what is it, and what does it link up?", "What is Alameda Research, and how was it tied to
FTX?") gets that name in its place; a later part that still leans on another ("..., and what does each one
cover?") keeps the message whole. A message that asks one thing (or more than ``MAX_PARTS``) is not compound:
``parts`` returns [].

The closed-class words come from ``data/question_grammar.json`` (``qa.text.questions.grammar``), checked on load.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .questions import grammar

MAX_PARTS = 4  # more is a list of topics, not of questions: answered as one
MIN_CLAUSE_WORDS = 3  # "..., and when?" is part of the clause before it, not a question of its own
_LEADING = re.compile(r"^(?:(?:so|and|but|ok|okay|well|also|then|plus|now|oh|hey|right)\b,?\s+)+", re.IGNORECASE)
_FRONTED = re.compile(r"^(?P<topic>[^,;:?]{2,80}?)\s*(?:\s[-\u2013\u2014]+|:)\s+(?P<rest>.+)$")
_WHAT_IS = re.compile(r"^(?P<wh>what|who)(?: (?:kind|sort|type) of [\w-]+)?(?:'s|(?: exactly| really)? (?:is|was|are|were)) "
                      r"(?P<x>[^,;]+)$", re.IGNORECASE)  # "what (kind of company) is X", "who's X"
_SUBJECT = re.compile(r"^(?P<x>(?:the |a |an )?(?:[A-Z][\w'\u2019.-]*)(?: (?:of |the |and )*[A-Z][\w'\u2019.-]*)*)")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


def _opener(text: str) -> str:
    words = _words(_LEADING.sub("", text.strip()))
    return words[0].split("'")[0] if words else ""


def _asks(text: str) -> bool:
    """Whether ``text`` asks something: a wh-word, an auxiliary or a request verb first, or a question mark last."""
    g = grammar()
    first = _opener(text)
    return text.rstrip().endswith("?") or first in g["wh_words"] or first in g["auxiliaries"] or \
        first in g["request_verbs"]


def _has_content(text: str) -> bool:
    g = grammar()
    closed = (g["wh_words"] | g["auxiliaries"] | g["pronouns"] | g["determiners"] | g["prepositions"] |
              g["request_verbs"] | g["compound_fillers"])
    return any(len(w) > 2 and w.split("'")[0] not in closed for w in _words(text))


def _clauses(sentence: str) -> list[str]:
    """``sentence`` cut where a comma or "and" opens another wh-clause of its own (``MIN_CLAUSE_WORDS`` words or
    more, with a verb) after one that is itself a question ("According to X, what ...": one clause; "Tell me
    who won, and ...": the wh-clause is what is asked to be told)."""
    g = grammar()
    wh = "|".join(sorted(g["wh_words"]))
    joined = rf",?\s+(?:and|plus)\s+(?=(?:{wh})\b)"  # "but who ..." goes on a relative clause
    if not re.search(joined, sentence, flags=re.IGNORECASE):
        return [sentence]  # a comma alone before a wh-word opens a relative clause ("the coach, who was hired ...")
    pieces = re.split(rf"{joined}|,\s+(?=(?:{wh})\b)", sentence, flags=re.IGNORECASE)
    out: list[str] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        own = len(_words(piece)) >= MIN_CLAUSE_WORDS and _has_content(piece) and _has_verb(piece)
        if out and not (own and _opener(out[-1]) in g["wh_words"] | g["auxiliaries"]):
            joiner = " and " if len(_words(piece)) < MIN_CLAUSE_WORDS else ", "
            out[-1] = f"{out[-1]}{joiner}{piece}"  # "which albums came out, and when": one clause
        else:
            out.append(piece)
    return out


def _has_verb(clause: str) -> bool:
    """Whether ``clause`` has a verb after its first word ("who takes over": yes; "where on the Sierra": no)."""
    g = grammar()
    words = [w.split("'")[0] for w in _words(clause)[1:]]
    past = set(g["irregular_past"].values())
    return any(w in g["auxiliaries"] or w in g["verbs"] or w in past or re.search(r"[a-z]{2}(?:ed|es|s|ing)$", w) and
               w not in g["prepositions"] for w in words) or "'" in clause.split()[0]


def _named(part: str, antecedent: str, person: bool) -> str:
    """``part`` with "it" / "its" (for a person asked about with "who": "he", "she", "his", ...) replaced by
    ``antecedent``, the thing the message named first."""
    if not antecedent or re.search(re.escape(antecedent), part, re.IGNORECASE):
        return part
    if person:
        part = re.sub(r"\b(?:his|her)(?=\s+(?!(?:%s)\b)[a-z])" % "|".join(sorted(grammar()["prepositions"])),
                      f"{antecedent}'s", part)
        return re.sub(r"\b(?:he|she|him|her)\b", antecedent, part)
    part = re.sub(r"\bits\b", f"{antecedent}'s", part)
    return re.sub(r"\bit\b", antecedent, part)


def _finish(part: str) -> str:
    part = _LEADING.sub("", part.strip(" ,;")).strip()
    part = part[:1].upper() + part[1:]
    return part if part.endswith(("?", ".", "!")) else part + ("?" if _opener(part) not in grammar()["request_verbs"]
                                                               else ".")


def _sentences(text: str) -> list[str]:
    """``text`` cut at "?" or "!", or at "." after a word and before a capital ("deal. What"; not "John J.", "Mr."
    or "Bungie Inc. founder"), never inside quotation marks ("Who said, \"Here I stand. I can do no other\"?")."""
    out, start = [], 0
    for m in re.finditer(r"(?:(?<=[?!])\s+(?=\S)|(?<=[a-z0-9\"')\u201d]{2}\.)\s+(?=[A-Z0-9\"\u201c]))", text):
        before = text[start:m.start()]
        if before.count('"') % 2 or before.count("\u201c") > before.count("\u201d"):
            continue
        out.append(before)
        start = m.end()
    return [*out, text[start:]]


def _asked_in(body: str, asked: Sequence[tuple[str, str]], antecedent: str,
              person: bool) -> tuple[list[tuple[str, str]], str, bool]:
    """The parts the sentence ``body`` adds to ``asked`` (each with the clause it was made from), and the
    (possibly new) antecedent."""
    out: list[tuple[str, str]] = []
    for clause in _clauses(body):
        if not _has_content(clause) and not (antecedent and re.search(r"\bits?\b", clause)):
            continue  # "fill me in": nothing asked of its own
        if (asked or out) and _opener(clause) in grammar()["request_verbs"]:
            continue  # "... each fared? Contrast the two.": how to answer the question before, not another
        if not antecedent and (m := _WHAT_IS.match(_LEADING.sub("", clause).replace("\u2019", "'"))):
            # "What is Alameda Research, and how was it ...?", "Who's Arsen Avakov and what did he say?"
            antecedent, person = m.group("x").strip(), m.group("wh").lower() == "who"
        out.append((_finish(_named(clause, antecedent, person)), clause))
    return out, antecedent, person


def parts(question: str) -> list[str]:
    """The questions ``question`` asks, each stand-alone; [] when it asks one thing (or too many to split)."""
    asked = [part for part, _ in _asked(question)]
    if any(set(_words(part)) & grammar()["compound_anaphors"] for part in asked[1:]):
        return []  # "..., and what does each one cover?" leans on the answer before it: one question
    return asked if 1 < len(asked) <= MAX_PARTS else []


def standalone(question: str) -> str | None:
    """The one question ``question`` asks, rewritten to stand alone when it names its subject apart ("the Øresund
    crossing - what is it?" -> "What is the Øresund crossing?"; "The Secret History keeps coming up. What is
    it?"); None when it needs no rewriting (or asks several things: ``parts``)."""
    asked = _asked(question)
    if len(asked) != 1:
        return None
    part, clause = asked[0]
    it = re.compile(r"\bits?\b", re.IGNORECASE)
    return part if it.search(clause) and not it.search(part) else None  # its "it" named


def _asked(question: str) -> list[tuple[str, str]]:
    """Every part ``question`` asks, stand-alone, each with the clause it was made from (see the module)."""
    text = re.sub(r"\s+", " ", question).strip()
    asked: list[tuple[str, str]] = []
    antecedent, person = "", False
    for sentence in _sentences(text):
        body = sentence.strip().rstrip("?!. ")
        if not body:
            continue
        front = _FRONTED.match(body)
        if front and _asks(front.group("rest")) and not _asks(front.group("topic")):
            antecedent = antecedent or front.group("topic").strip()  # "Alameda Research - what was it"
            body = front.group("rest")
        elif not _asks(sentence):  # a statement: what it is about may be the "it" of the next part
            subject = _SUBJECT.match(_LEADING.sub("", body))
            g = grammar()
            name = re.sub(r"^(?:[Tt]he|[Aa]n?)\s+(?=[A-Z])", "", subject.group("x")) if subject else ""
            if subject and not antecedent and _opener(name) not in \
                    g["pronouns"] | g["determiners"] | g["prepositions"] | g["wh_words"] | g["auxiliaries"]:
                antecedent = subject.group("x").strip()  # a name ("The Secret History"), not "Some" of "Some species"
            continue
        added, antecedent, person = _asked_in(body, asked, antecedent, person)
        asked += added
    return asked
