"""What a named person or body said: the sentences of the documents that give their words.

"What did Merrick Garland say?", "What did Arestovych say?", "What has Kelce said?" ask for statements, which news
and reports attribute in a few fixed ways. A sentence is the speaker's when:

- it names them (any spelling the documents use; a full name by its surname) as the subject of a verb of saying
  ("Zhao told Binance employees", "Aretovych, adviser to ..., admitted"), after an attributing verb and titles
  ("... said Aretović", "said Gartner analyst Arun Chandrasekaran", "according to Mark Cohen"), or as the agent of
  words given in the passive or as a noun ("reported by ... Arsen Avakov that", "the statement of Oleksiy Aretovich");
- or a pronoun of theirs speaks ("..., he said.") while they are the one the document last quoted or named, a few
  sentences back, with nobody else given words since;
- or their quotation goes on into the next sentence.

A name in the quoted words, after a preposition or a verb ("connected with Kelce"), or in the possessive is not the
speaker. The words of attribution are lists of ``qa/answer/data/broad_text.json`` (``statement_*``). Per document in
the Documents-list order, at most ``PER_DOCUMENT`` statements in reading order (``chosen``: with a topic, the closest
to the question first). The caller says so when the documents name the speaker but give no words of theirs.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

from ...text.tokens import stem
from ...text.wordlists import load_wordlists
from .ask import plain
from .describe import matches, terms_of
from .lists import FUZZY
from .pool import DATA as TEXT
from .pool import Pool

@dataclass(frozen=True)
class Rules:
    """The attribution patterns, built from the ``statement_*`` lists of ``broad_text.json`` (checked on load)."""

    saying: re.Pattern[str]  # a verb of saying after the name ("Zhao told", "Aretovych, adviser ..., admitted")
    inverted: re.Pattern[str]  # ... before it ("said Aretović", "argued Rehn", "according to Mark Cohen")
    agent: re.Pattern[str]  # the words given in the passive or as a noun ("reported by", "the statement of")
    pronoun_says: re.Pattern[str]  # "he said", "she told the outlet", "said he"
    object_before: re.Pattern[str]  # what makes the next name an object ("with Kelce", "dating Kelce")
    titles: frozenset[str]  # words that may come between "said" / "reported by" and the name


def _alternatives(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def rules() -> Rules:
    c = load_wordlists(TEXT, {k: "words" for k in ("statement_verbs", "statement_verbs_before_name", "statement_passive_verbs",
                                                   "statement_nouns", "statement_objects", "statement_title_words",
                                                   "person_titles")})
    verbs = _alternatives(c["statement_verbs"])
    # lower case only ("the United States" states nothing), but a sentence may open with "According to"
    saying = re.compile(rf"\b(?:{verbs}|According\s+to)\b")
    # a verb before the name gives the name's words only when nothing is told to it: "said Aretović" - but "told
    # Time", "told TechCrunch" name whom they were said to (no "told" in this list)
    inverted = re.compile(rf"\b(?:{_alternatives(c['statement_verbs_before_name'])}|According\s+to)\b")
    agent = re.compile(rf"\b(?:(?:{_alternatives(c['statement_passive_verbs'])})\s+by|"
                       rf"(?:{_alternatives(c['statement_nouns'])})\s+(?:of|by|from|with))\b")
    pronoun_says = re.compile(rf"\b(?:[Hh]e|[Ss]he|[Tt]hey)\s+(?:(?:also|later|then|once|previously|has|had|have)\s+)?"
                              rf"(?:{verbs})\b|\b(?:{verbs})\s+(?:he|she|they)\b")
    object_before = re.compile(rf"(?:\b(?:{_alternatives(c['statement_objects'])})|\b[a-z]{{3,}}(?:ing|ed))"
                               r"\s+(?:[A-Z][\w’'.-]*\s+){0,3}$")
    return Rules(saying, inverted, agent, pronoun_says, object_before,
                 frozenset(c["statement_title_words"]) | frozenset(c["person_titles"]))


NAME_BY = 10  # words from "reported by" / "the statement of" to the name
_QUOTED = re.compile(r"“[^”]*”?|\"[^\"]*\"?")
_OPENS_QUOTE = re.compile(r"^\W{0,2}[“\"‘]")
_WORD = re.compile(r"[\w’'-]+")
_CAPITAL = re.compile(r"\b[A-Z][\w’'-]+")
NAME_BEFORE = 12  # words from the speaker's name to the verb after it ("Aretovych, adviser to the government of ...")
NAME_AFTER = 4  # words from a verb to the name after it ("said Gartner analyst Arun Chandrasekaran")
PRONOUN_GAP = 3  # sentences since the speaker was last named or quoted within which "he said" is still theirs
MIN_SPELLING = 5  # names this long or longer are matched by close spellings
PER_DOCUMENT = 6  # statements quoted per document, at most
MAX_STATEMENTS = 10
TOPIC_WORDS = 0.3  # weight of the topic's words beside the model's closeness
THREAD = 0.9  # a statement's closeness to the question, at least this share of its neighbour statement's


@dataclass(frozen=True)
class Statement:
    row: int
    named: bool  # the sentence names the speaker (else a pronoun or a quotation goes on with their words)


def _word_index(text: str, offsets: Sequence[int]) -> list[int]:
    """The word number of each character offset of ``text``."""
    starts = [m.start() for m in _WORD.finditer(text)]
    return [sum(1 for s in starts if s < o) for o in offsets]


def _bare(word: str) -> str:
    return re.sub(r"['’]s$", "", word.lower())


def attributed(text: str, names: Sequence[str]) -> bool:
    """Whether ``text`` gives words to someone named by one of ``names`` (lower case): a verb of saying up to
    ``NAME_BEFORE`` words after a capitalised name word, or an attributing verb up to ``NAME_AFTER`` before it."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]  # a name inside the quoted words is not who speaks them
    hits = [m for m in _CAPITAL.finditer(text) if _bare(m.group()) in names and not any(a < m.start() < b for a, b in quoted)]
    if not hits:
        return False
    # the name first speaks only as a subject: not after a preposition ("connected with Kelce", "alongside Travis")
    # nor as a possessive ("in Kelce's convertible, according to photos posted online")
    subjects = [m.start() for m in hits if not re.search(r"['’]s$", m.group()) and not rules().object_before.search(text[: m.start()])]
    subject_at = _word_index(text, subjects)
    after = _word_index(text, [m.start() for m in rules().saying.finditer(text) if not m.group().lower().startswith("according")])
    return any(0 < v - n <= NAME_BEFORE for n in subject_at for v in after) or \
        any(_names_next(_WORD.findall(text[m.end():])[:NAME_AFTER], names) for m in rules().inverted.finditer(text)) or \
        _agent(text, names)


def _agent(text: str, names: Sequence[str]) -> bool:
    """Whether one of ``names`` is the agent of words given in the passive or as a noun: after "reported by" / "the
    statement of", within ``NAME_BY`` words and before the clause that says what ("... Arsen Avakov that General
    Gerasimov had suffered": Avakov, not Gerasimov)."""
    for m in rules().agent.finditer(text):
        phrase = re.split(r"\bthat\b|[,;:“\"]", text[m.end():], maxsplit=1)[0]
        if _names_next(_WORD.findall(phrase)[:NAME_BY], names):
            return True
    return False


def _names_next(words: Sequence[str], names: Sequence[str]) -> bool:
    """Whether ``words`` (those after an attributing verb or "by") reach one of ``names`` through titles and
    capitalised words only."""
    for w in words:
        if _bare(w) in names and w[:1].isupper():
            return True
        if not (w[:1].isupper() or w.lower() in rules().titles):
            return False
    return False


def _someone_else(text: str, names: Sequence[str]) -> bool:
    """Whether ``text`` gives words to a named someone other than the speaker ("..., Rehn said" in Cohen's thread)."""
    if not rules().saying.search(text):
        return False
    others = {_bare(m.group()) for m in _CAPITAL.finditer(text) if m.start() > 0} - set(names)
    return any(attributed(text, [o]) for o in others)


def speaker_names(pool: Pool, rows: Sequence[int], name: str, question: str) -> list[str]:
    """The words by which the documents name the speaker (lower case): each capitalised word of ``rows`` whose
    stem stands for a word of ``name`` (``describe.terms_of``: close spellings of a name too), then every
    capitalised word of the documents close to one of those (accents aside: "Aretović" beside "Aretovych")."""
    terms = terms_of(pool, name, question)
    names = [t for t in terms if t.name]
    if len(names) > 1:  # a full name: its last word names the person ("Cohen"); "Mark" alone is also Mark Surman
        terms = names[-1:]
    out: set[str] = set()
    for r in rows:
        for m in _CAPITAL.finditer(pool.sentences[r].text):
            w = _bare(m.group())
            if any(stem(w) in t.stems or (t.alias is not None and t.alias.fullmatch(m.group())) for t in terms):
                out.add(w)
    spelled = {w for w in out if len(w) >= MIN_SPELLING}
    if spelled:
        words = {_bare(m.group()) for s in pool.sentences for m in _CAPITAL.finditer(s.text)} - out
        out |= {w for w in words if len(w) >= MIN_SPELLING and any(
            w[0] == v[0] and SequenceMatcher(None, plain(w), plain(v)).ratio() >= FUZZY for v in spelled)}
    return sorted(out)


def name_of(speaker: str, question: str) -> str:
    """The speaker as named: its capitalised words in the question when a name ends the phrase ("Thane Rehn" of
    "the prosecutor Thane Rehn"), else the whole phrase ("analysts at mizuho" asked in lower case; "Ukraine's
    intelligence", "the Kremlin spokesman": the name only qualifies who speaks)."""
    low = question.lower().replace("’", "'")
    i = low.find(speaker)
    shown = question[i : i + len(speaker)] if i >= 0 else speaker
    words = shown.split()
    caps = [w for w in words if w[:1].isupper()]
    return " ".join(caps) if caps and words[-1][:1].isupper() else shown


def _open_quote(text: str) -> bool:
    """Whether a quotation opened in ``text`` is still open at its end (the next sentence goes on with it)."""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


@dataclass(frozen=True)
class Speaker:
    """The speaker as the documents name them: their names (lower case), the sentences naming them, and the
    pronoun the documents use for them ("he" / "she"; "" when unclear)."""

    names: tuple[str, ...]
    named: frozenset[int]
    pronoun: str
    role: str = ""  # the stem of the role's head when a name only qualifies it (``role_head``)

    def says(self, text: str) -> bool:
        """Whether ``text`` gives the speaker's words (``attributed``; of a role: ``role_attributed``)."""
        return role_attributed(text, self.role, self.names) if self.role else attributed(text, self.names)


_HE = re.compile(r"\b(?:[Hh]e|him|his)\b")
_SHE = re.compile(r"\b(?:[Ss]he|her|hers)\b")
GENDER_MARGIN = 2  # one pronoun at least this many times as often as the other, in the sentences naming the speaker


def speaker(pool: Pool, who: str, query_vector: np.ndarray, question: str) -> Speaker:
    """How the documents name ``who`` (see ``Speaker``); no names when they never do."""
    name = name_of(who, question)
    found = sorted({m.row for m in matches(pool, name, "entity", query_vector, question=question)})
    names = speaker_names(pool, found, name, question)
    # the sentences that name the speaker (``matches`` also gives those that go on about them without naming them)
    named = frozenset(r for r, s in enumerate(pool.sentences)
                      if names and any(_bare(m.group()) in names for m in _CAPITAL.finditer(s.text)))
    if head := role_head(name):  # "Ukraine's intelligence": Ukraine named without it is not the speaker
        named = frozenset(r for r in named if _qualified(pool.sentences[r].text, head, names))
        names = names if named else []
    return Speaker(tuple(names), named, _pronoun(pool, names, named), head)


ROLE_GAP = 3  # a role's qualifying name stands at most this many words before its head ("Ukraine's military intelligence")


def _role_at(words: Sequence[str], head: str, names: Sequence[str]) -> list[int]:
    """The word numbers of the role's ``head`` with one of ``names`` up to ``ROLE_GAP`` words before it."""
    return [i for i, w in enumerate(words) if stem(w.lower()) == head
            and any(_bare(v) in names for v in words[max(0, i - ROLE_GAP):i])]


def _qualified(text: str, head: str, names: Sequence[str]) -> bool:
    """Whether ``text`` names the role (``_role_at``)."""
    return bool(_role_at(_WORD.findall(text), head, names))


def role_attributed(text: str, head: str, names: Sequence[str]) -> bool:
    """Whether ``text`` gives words to the role: a verb of saying up to ``NAME_BEFORE`` words after its head
    ("Norland's coast guard told reporters"), or one up to ``NAME_AFTER`` words before its name ("said the Norland
    coast guard", "reported by Norland's coast guard")."""
    at = _role_at(_WORD.findall(text), head, names)
    if not at:
        return False
    said = _word_index(text, [m.start() for m in rules().saying.finditer(text) if not m.group().lower().startswith("according")])
    before = _word_index(text, [m.end() for m in rules().inverted.finditer(text)] + [m.end() for m in rules().agent.finditer(text)])
    return any(0 < v - i <= NAME_BEFORE for i in at for v in said) or \
        any(0 <= i - v <= NAME_AFTER + ROLE_GAP for i in at for v in before)


def role_head(name: str) -> str:
    """The stem of the common noun that ends a speaker's phrase whose names only qualify it ("intelligence" of
    "Ukraine's intelligence", "spokesman" of "the Kremlin spokesman"); "" when a name ends it ("Thane Rehn")."""
    words = name.split()
    return stem(words[-1].lower()) if len(words) > 1 and not words[-1][:1].isupper() and \
        any(w[:1].isupper() for w in words) else ""


def _pronoun(pool: Pool, names: Sequence[str], named: frozenset[int]) -> str:
    """"he" / "she" for the speaker, "" when unclear: the pronoun that speaks right after their own words ("..., Kelce
    said." - "“...,” he said."), else the pronouns of the sentences naming them, one at least ``GENDER_MARGIN``
    times as often as the other."""
    votes = {"he": 0, "she": 0}
    for r in sorted(named):
        if r + 1 < len(pool.sentences) and pool.sentences[r + 1].doc_id == pool.sentences[r].doc_id \
                and attributed(pool.sentences[r].text, names) and (m := rules().pronoun_says.search(pool.sentences[r + 1].text)):
            said = re.search(r"\b(?:he|she)\b", m.group(), re.IGNORECASE)
            if said:
                votes[said.group().lower()] += 1
    he, she = votes["he"], votes["she"]
    if not he and not she:
        he = sum(len(_HE.findall(pool.sentences[r].text)) for r in named)
        she = sum(len(_SHE.findall(pool.sentences[r].text)) for r in named)
    return "he" if he and he >= GENDER_MARGIN * she else "she" if she and she >= GENDER_MARGIN * he else ""


def _other_pronoun(text: str, pronoun: str) -> bool:
    """Whether the pronoun that speaks in ``text`` is not the speaker's ("he said" of a speaker the documents call
    "she")."""
    m = rules().pronoun_says.search(text)
    if m is None or not pronoun:
        return False
    said = re.search(r"\b(?:he|she|they)\b", m.group(), re.IGNORECASE)
    return said is not None and said.group().lower() in ("he", "she") and said.group().lower() != pronoun


def statements(pool: Pool, who: str, query_vector: np.ndarray, *, question: str = "",
               found: Speaker | None = None) -> list[Statement]:
    """The sentences of the pool that give ``who``'s words (see the module docstring), in reading order."""
    question = question or who
    sp = found or speaker(pool, who, query_vector, question)
    names, named = list(sp.names), sp.named
    if not names:
        return []
    out: list[Statement] = []
    for doc in pool.doc_order:
        last = -10**6  # sentence number (in the document) where the speaker was last named or quoted
        theirs = False  # the speaker is the one the document last gave words to, or last named
        for k, r in enumerate(pool.of(doc)):
            text = pool.sentences[r].text
            if r in named and sp.says(text):
                out.append(Statement(r, True))
                last, theirs = k, True
                continue
            if r in named:  # named, not speaking: "he said" here is someone else ("He said he'd ... kiss Swift"),
                # and whoever this sentence quotes speaks next ("Varga was no liar, according to Henrik Dahl")
                last, theirs = k, not _someone_else(text, names)
                continue
            # their quotation goes on: still open, or a new one right after theirs that no one else is given
            goes_on = theirs and bool(out) and out[-1].row == r - 1 and (_open_quote(pool.sentences[r - 1].text) or (
                _OPENS_QUOTE.search(text) is not None and not rules().saying.search(text)))
            if _other_pronoun(text, sp.pronoun):  # "he said", of a speaker the documents call "she": someone else
                theirs = False
            elif theirs and k - last <= PRONOUN_GAP and (rules().pronoun_says.search(text) or goes_on):
                out.append(Statement(r, False))
                last = k
            elif _someone_else(text, names):
                theirs = False
    return out


def chosen(pool: Pool, found: Sequence[Statement], topic: str,
           closeness: Callable[[Sequence[int]], np.ndarray] | None = None) -> list[list[int]]:
    """Rows to quote, per document in Documents-list order and in reading order within it: at most
    ``PER_DOCUMENT`` each and ``MAX_STATEMENTS`` in all. With a topic, the statements closest to the question
    (``closeness`` of sentence rows: the model's sentence vectors against the question's) over every document;
    else each document's first ones."""
    rows = [s.row for s in found]
    if topic and rows and closeness is not None:
        # a statement is as close as its thread: the speaker's sentence before or after it, a little less
        # ("according to Kelce, he's not letting the media affect ..." - "I'm not running away from any of it"),
        # or the sentence it answers ("Swift's attendance at Kelce's games has received pushback" - "I'm just there
        # to support Travis"); plus the topic's IDF-weighted stems
        near = sorted({x for r in rows for x in (r - 1, r, r + 1) if 0 <= x < len(pool.sentences)
                       and pool.sentences[x].doc_id == pool.sentences[r].doc_id})
        score = closeness(near) + TOPIC_WORDS * (pool.lexical[near] @ pool.encode_lexical(topic))
        own = dict(zip(near, score.tolist(), strict=True))
        best = [max(own[r], THREAD * own.get(r - 1, -9.0), THREAD * own.get(r + 1, -9.0)) for r in rows]
        rows = [rows[i] for i in np.argsort(-np.array(best), kind="stable")]
    taken: dict[str, list[int]] = {}
    for r in rows:
        doc = taken.setdefault(pool.sentences[r].doc_id, [])
        if len(doc) < PER_DOCUMENT and sum(map(len, taken.values())) < MAX_STATEMENTS:
            doc.append(r)
    return [sorted(taken[d]) for d in pool.doc_order if taken.get(d)]
