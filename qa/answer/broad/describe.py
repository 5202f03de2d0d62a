"""Who is X / what is X / tell me about X / what happened in X: the sentences that describe it, best first,
from every document that does.

The topic's words are looked for in every sentence of the documents in scope, by stem and, for a name, by
spelling too (transliterations differ: "Izium" / "Izyum", "Arestovych" / "Aretovych"; a word at least
``FUZZY`` similar, same first letter). A sentence's weight is the share of the topic's (IDF-weighted) words it
has, its closeness to the question (word-vector means), and a cue that it describes (an entity: the name
followed by an apposition or "is/was/who"; an event: a verb in the past tense). Each document keeps its best
few; documents are ordered by their best sentence. Nothing mentioning the topic: None (the caller falls back
to the factoid path, which retrieves by meaning and says honestly when nothing answers).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from ...text.tokens import query_stopwords, stem, tokenize
from ..candidates import Sentence
from .lists import DATE, FUZZY
from .pool import Pool, cues
from .summary import mmr

PASSAGE_WEIGHT = 0.6  # weight of the sentence's passage's similarity to the question (stored model vectors)
MAX_QUOTES = 8
PER_DOCUMENT = 3
MAX_PER_DOCUMENT = 5  # when few documents describe it, each may give this many
MAX_DOCUMENTS = 6
MIN_COVERAGE = 0.5  # share of the topic's weighted words a sentence must have
# words of a topic that say what is asked, not about what ("Gerasimov's fate", "the role of X")
GENERIC = frozenset("fate role situation story news thing things happened happen say said claim claims report "
                    "reports mention mentioned about according article articles document documents source sources "
                    "background details information info reason reasons explanation explanations account accounts "
                    "version versions effect effects impact impacts".split())


@dataclass(frozen=True)
class Match:
    row: int
    score: float
    coverage: float


@dataclass(frozen=True)
class Term:
    """One word of the topic: the stems that stand for it, an alias pattern ("US" ~ "United States"), its
    weight, and whether it is a name (written with a capital in the question: a sentence must name one)."""

    stems: frozenset[str]
    alias: re.Pattern[str] | None
    weight: float
    name: bool
    when: bool = False  # a month, weekday, year or number: it narrows the topic, it is not the topic


def topic_terms(topic: str) -> list[str]:
    """The topic's content words, lower case, in order (generic and stop words out; an acronym is kept)."""
    stop = query_stopwords()
    words = [w for w in re.findall(r"[\w'’-]+", topic) if (w.lower() not in stop or w.isupper()) and
             w.lower() not in GENERIC]
    return [re.sub(r"['’]s$", "", w.lower()) for w in words if len(w) > 1]


def _alias(term: str) -> re.Pattern[str] | None:
    for group in cues()["aliases"]:
        if term in {a.lower() for a in group}:
            return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in group) + r")(?![\w])")
    return None


def terms_of(pool: Pool, topic: str, question: str) -> list[Term]:
    """The topic's terms, weighted by rarity in the pool (IDF); names are those capitalised in ``question``."""
    words = topic_terms(topic)
    vocabulary = {w for s in pool.sentences for w in re.findall(r"[a-z]+", s.text.lower()) if len(w) >= 4}
    # a name's close spellings are names too: words the pool writes with a capital ("Aristovich"), not "yell" for Yellen
    capitalised = {w.lower() for s in pool.sentences for w in re.findall(r"(?<!\w)[^\W\d_]{4,}", s.text) if w[0].isupper()
                   and w[1:].islower()}  # letters with accents too ("Aretović")
    top = max(pool.idf.values(), default=1.0)
    out = []
    for w in words:
        m = re.search(r"(?<![\w-])" + re.escape(w) + r"(?![\w-])", question, re.IGNORECASE)
        when = bool(_WHEN.fullmatch(w))
        name = bool(m and m.group()[:1].isupper() and m.start() > 0) and not when
        parts = [x for x in w.split("-") if x]
        if len(parts) > 1:  # "Bankman-Fried": its parts together (a sentence tokenizes them apart)
            weight = max([pool.idf.get(stem(x), top) for x in parts], default=top)
            out.append(Term(frozenset(), hyphenated(parts), max(weight, 0.5), name, when))
            continue
        stems = frozenset(_variants(w, capitalised if name else vocabulary))
        weight = max([pool.idf[v] for v in stems if v in pool.idf], default=top)
        out.append(Term(stems, _alias(w), max(weight, 0.5), name, when))
    return out


def hyphenated(parts: Sequence[str]) -> re.Pattern[str]:
    """A hyphenated word written with a hyphen, a dash, a space or nothing between its parts."""
    return re.compile(r"(?<!\w)" + r"[-‐‑–\s]?".join(re.escape(x) for x in parts) + r"(?!\w)", re.IGNORECASE)


def has_term(term: Term, tokens: set[str], text: str) -> bool:
    return bool(term.stems & tokens) or bool(term.alias and term.alias.search(text))


_WHEN = re.compile(r"\d[\d,.]*(?:s|st|nd|rd|th)?|january|february|march|april|may|june|july|august|september|october|"
                   r"november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|year|"
                   r"month|week|day|weekend|night|morning|spring|summer|autumn|fall|winter")


def _variants(term: str, vocabulary: set[str]) -> set[str]:
    """Stems that stand for ``term``: its own, and close spellings of a name (same first letter)."""
    own = stem(term)
    out = {own}
    if len(term) >= 4:
        for w in vocabulary:
            if w[0] == term[0] and abs(len(w) - len(term)) <= 3 and SequenceMatcher(None, term, w).ratio() >= FUZZY:
                out.add(stem(w))
    return out


_PAST_WORDS = r"(?:\w{3,}ed|was|were|had|took|fled|hit|struck|killed|left|sent|fell|lost|won|began|went|made|became|ran|" \
    r"came|gave|got|met|paid|sold|quit|shut|split|broke|drove|led|held|told|said)"
_PAST = re.compile(r"\b" + _PAST_WORDS + r"\b")
DATED = 0.05  # an event sentence that says when ("filed for Chapter 11 ... mid-November 2022"): narration
PARTICIPANT = 0.15  # an event sentence in which the topic does or undergoes something ("FTX ... filed for")


def _participant(text: str, names: Sequence[str]) -> bool:
    """Whether a topic word is the subject of a past-tense verb (within three words before it: "FTX and Alameda
    filed") or what one was done to ("triggered a bank run on FTX")."""
    low = text.lower()
    stop = query_stopwords()
    for n in names:
        if len(n) < 3 or n in stop or _WHEN.fullmatch(n):
            continue
        w = re.escape(n)
        if re.search(r"\b" + w + r"\w*(?:['’]s)?(?:\s+[\w'’-]+){0,3}?\s+" + _PAST_WORDS + r"\b", low) or re.search(
                r"\b" + _PAST_WORDS + r"\b(?:\s+[\w'’-]+){0,4}?\s+(?:on|to|against|at|in|into|from|with)\s+(?:the\s+)?"
                + w + r"\b", low):
            return True
    return False


def _cue(kind: str, text: str, names: Sequence[str]) -> float:
    if kind == "event":
        if not _PAST.search(text):
            return 0.0
        return 0.1 + (PARTICIPANT if _participant(text, names) else 0.0) + (DATED if DATE.search(text) else 0.0)
    low = text.lower()
    for n in names:
        i = low.find(n)
        if i >= 0 and re.match(r"\W{0,3}(?:,\s*(?:the|a|an|who|which|[a-z]+ (?:of|to|for))\b|\s+(?:is|was|are|were|has been)\b|\s+\()",
                               low[i + len(n):i + len(n) + 40]):
            return 0.15
    return 0.0


_QUESTION = re.compile(r"\?[\s\"'”’)\]]*$")  # a sentence that ends with a question mark

TITLE_WEIGHT = 0.5  # a document whose title names the topic ("Genghis Khan") describes it first
DOCUMENT_WEIGHT = 0.3  # and one whose best passage is closest to the question


def _document_boost(pool: Pool, main: Sequence[Term], total: float,
                    passage_relevance: np.ndarray | None) -> dict[str, float]:
    """Per document: how much its title names the topic, and how close its best passage is to the question."""
    out: dict[str, float] = {}
    titles = {s.doc_id: s.title for s in pool.sentences}
    for d, title in titles.items():
        toks = set(tokenize(title))
        out[d] = TITLE_WEIGHT * sum(t.weight for t in main if has_term(t, toks, title)) / total
    if passage_relevance is not None and len(passage_relevance):
        for d in titles:
            rows = [i for i, s in enumerate(pool.sentences) if s.doc_id == d]
            out[d] += DOCUMENT_WEIGHT * float(max(passage_relevance[rows]))
    return out


def matches(pool: Pool, topic: str, kind: str, query_vector: np.ndarray, *, question: str = "",
            passage_relevance: np.ndarray | None = None, min_coverage: float = MIN_COVERAGE) -> list[Match]:
    """Sentences of the pool that mention the topic (at least ``min_coverage`` of its weighted words), best
    first. ``passage_relevance``: per sentence, its passage's similarity to the question (the model's own
    vectors, stored in the index)."""
    terms = terms_of(pool, topic, question or topic)
    if not terms:
        return []
    main = [t for t in terms if not t.when] or terms
    total = sum(t.weight for t in main)
    names = [t for t in terms if t.name]
    sims = pool.dense @ query_vector if len(pool.sentences) else np.zeros(0)
    lows = [re.sub(r"['’]s$", "", w.lower()) for w in topic.split()]
    boost = _document_boost(pool, main, total, passage_relevance)
    # a name of several words is named by its last ("Gerasimov", "Bankman-Fried"): "Sam" alone is someone else
    at = [i for i, t in enumerate(terms) if t.name]
    one_name = len(names) > 1 and at[-1] - at[0] + 1 == len(at)  # the names' words in one run
    last = names[-1] if one_name else None  # (two names apart, "Washington learned of Gerasimov's trip", are two)
    surname = _surname(topic, terms) if len(names) > 1 and len(names) == len(main) else None
    tokens = [set(tokenize(s.text)) for s in pool.sentences]  # each sentence's, read once
    full = _documents_naming(pool, tokens, names, every=True) if surname else set()
    naming = _documents_naming(pool, tokens, names) if kind == "event" and names else set()
    out: list[Match] = []
    for i, s in enumerate(pool.sentences):
        if _QUESTION.search(s.text):
            continue  # "Is he a liar and a fraud?": a question the text asks describes nothing
        toks = tokens[i]
        has = [has_term(t, toks, s.text) for t in terms]
        if names and not any(h for h, t in zip(has, terms, strict=True) if t.name) and not (
                kind == "event" and s.doc_id in naming and _all_else(has, terms)):
            continue  # a topic that names someone: the sentence must name them (an event's sentence may leave
            # them to its document: "SBF's bail" - "He was released on a $250 million bail bond")
        # "Ray said", in the document that names John J. Ray III: him, though less surely than his full name
        by_surname = surname is not None and s.doc_id in full and _by_surname(s.text, *surname)
        if last is not None and not has_term(last, toks, s.text) and not by_surname:
            continue
        coverage = sum(t.weight for h, t in zip(has, terms, strict=True) if h and t in main) / total
        if by_surname:
            coverage = max(coverage, min_coverage)
        if coverage < min_coverage:
            continue
        when = sum(0.2 for h, t in zip(has, terms, strict=True) if h and t.when and t not in main) if len(main) < len(
            terms) else 0.0
        score = coverage + when + 0.5 * float(sims[i]) + _cue(kind, s.text, lows) + 0.05 / (1 + s.index / 5) + \
            boost.get(s.doc_id, 0.0)
        if passage_relevance is not None:
            score += PASSAGE_WEIGHT * float(passage_relevance[i])
        out.append(Match(i, score, coverage))
    out += _continuations(pool, out, kind, topic)
    out.sort(key=lambda m: -m.score)
    return out


def _documents_naming(pool: Pool, tokens: Sequence[set[str]], names: Sequence[Term], *, every: bool = False) -> set[str]:
    """The documents of the pool with a sentence that names one of ``names`` (with ``every``: all of them, the
    full name); ``tokens``: each sentence's tokens."""
    named = all if every else any
    return {s.doc_id for s, toks in zip(pool.sentences, tokens, strict=True)
            if named(has_term(t, toks, s.text) for t in names)}


_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _surname(topic: str, terms: Sequence[Term]) -> tuple[str, frozenset[str]] | None:
    """The surname of a person's name asked about ("ray" of "John J. Ray III": its last name but a suffix) and
    the name's other words; None when the topic is not only a name."""
    words = topic_terms(topic)
    if len(words) != len(terms):
        return None
    names = [w for w, t in zip(words, terms, strict=True) if t.name and w not in _SUFFIXES]
    return (names[-1], frozenset(words)) if len(names) > 1 else None


def _by_surname(text: str, surname: str, own: frozenset[str]) -> bool:
    """Whether ``text`` names someone by ``surname`` alone or with the name's own words ("Ray said", not
    "Kublai Khan" for Möngke Khan)."""
    for m in re.finditer(r"(?<![\w-])" + re.escape(surname) + r"(?![\w-])", text, re.IGNORECASE):
        if not m.group()[:1].isupper():
            continue
        before = re.search(r"([\w'’.-]+)\s*$", text[: m.start()])
        word = before.group(1) if before else ""
        if not word[:1].isupper() or word.lower().rstrip(".") in own or re.fullmatch(r"[A-Z]\.", word):
            return True
    return False


def _all_else(has: Sequence[bool], terms: Sequence[Term]) -> bool:
    """Whether a sentence has every word of the topic that is not a name or a time (and there is one)."""
    rest = [h for h, t in zip(has, terms, strict=True) if not t.name and not t.when]
    return bool(rest) and all(rest)


# "... Gerasimov had suffered a minor shrapnel wound. It is thought that the injury forced the top commander to be
# evacuated": the next sentences that go on about it without naming it (a pronoun, "the injury", "the general")
_REFERS = {"entity": re.compile(r"\b(?:he|she|him|his|her|hers|they|them|their)\b", re.IGNORECASE),
           "event": re.compile(r"\b(?:he|she|him|his|her|they|them|their|it)\b", re.IGNORECASE)}
CONTINUATION = 0.9  # a continuation's score, relative to the sentence it follows
FOLLOW = {"entity": 2, "event": 3}  # how many following sentences may go on about it (what happened next)
# "The phenomenon is known as post-glacial rebound": a sentence that names what the one before it describes
_NAMING = re.compile(r"^\W*(?:the|this|these|that|those|such) [a-z]+ (?:is|are|was|were) (?:known|called|termed|"
                     r"referred to|named|described)\b", re.IGNORECASE)


def _opens_thread(text: str) -> bool:
    """Whether ``text`` opens by going on about the sentence before it ("This leads to ...", "Consequently,
    ..."): one of the openers of ``broad_text.json``, as its first words."""
    low = re.sub(r"^\W+", "", text.lower())
    return any(low.startswith(o) and not low[len(o):len(o) + 1].isalnum() for o in cues()["thread_openers"])


def _goes_on(text: str, kind: str, topic: str) -> bool:
    """Whether ``text`` goes on about what the sentence before it said: it opens by referring back, or a
    pronoun in it does (not one after someone else's name: "While not trained as an engineer, Altman ...")."""
    if _opens_thread(text):
        return True
    pronoun = _REFERS[kind].search(text)
    return pronoun is not None and not _other_name(text[: pronoun.start()], topic)


_SUBJECT = re.compile(r"(?:^|, )(?P<name>[A-Z][\w'’-]+)(?=,| (?:[a-z]+ed|[a-z]+s|has|had|is|was|were|are|said|says|"
                      r"will|would|told|went|made|took|saw|gave|became|began|wrote)\b)")


def _other_name(before: str, topic: str) -> bool:
    """Whether ``before`` (a sentence up to its first pronoun) has someone else as its subject ("While not
    trained as an engineer, Altman, now 38, ..."): a name, not of the topic, opening a clause before a verb or
    an apposition."""
    words = {w.lower() for w in re.findall(r"\w+", topic)}
    stop = query_stopwords()
    return any(m.group("name").lower() not in words and m.group("name").lower() not in stop
               for m in _SUBJECT.finditer(before))


SUBJECT_SHARE = 0.4  # a topic named in the first this share of a sentence may be what its next one goes on about


def _subject(text: str, words: Sequence[str]) -> bool:
    """Whether the topic is named early in ``text`` (as its subject, so that a pronoun next can refer to it)."""
    low = text.lower()
    at = [i for i in (low.find(w) for w in words) if i >= 0]
    if not at or min(at) <= SUBJECT_SHARE * len(low):
        return True
    # or the subject of a clause later on ("it was reported that General Gerasimov had suffered a wound")
    return any(re.match(r"[\w'’-]*(?:\s+[A-Z][\w'’-]*)*\s+(?:had|has|was|is|were|are|would|will|could|said|says|"
                        r"\w+ed)\b", text[i:]) for i in at)


def _continuations(pool: Pool, found: Sequence[Match], kind: str, topic: str = "") -> list[Match]:
    if kind not in ("event", "entity"):
        return []
    have = {m.row for m in found}
    out: dict[int, Match] = {}
    words = [w for w in topic_terms(topic) if len(w) > 2]
    def add(r: int, m: Match, step: int) -> None:
        score = m.score * CONTINUATION ** step
        if r not in out or out[r].score < score:
            out[r] = Match(r, score, m.coverage * CONTINUATION ** step)

    for m in found:
        s = pool.sentences[m.row]
        before = m.row - 1
        if before >= 0 and before not in have and pool.sentences[before].doc_id == s.doc_id and (
                _opens_thread(s.text) or _NAMING.match(s.text)):
            add(before, m, 1)  # "The land is still emerging ... The phenomenon is known as post-glacial rebound"
        if not (_subject(s.text, words) or _NAMING.match(s.text)):
            continue  # "... hobnobbed with celebrities like Tom Brady. He repeatedly ...": "he" is the subject
        for step in range(1, FOLLOW[kind] + 1):
            r = m.row + step
            if r >= len(pool.sentences) or pool.sentences[r].doc_id != s.doc_id or r in have:
                break
            if not _goes_on(pool.sentences[r].text, kind, topic):
                break
            add(r, m, step)
    return list(out.values())


def describe(pool: Pool, topic: str, kind: str, query_vector: np.ndarray, *, question: str = "",
             passage_relevance: np.ndarray | None = None, per_document: int = PER_DOCUMENT,
             budget: int = MAX_QUOTES) -> list[list[Sentence]]:
    """Per document (best document first) its best sentences on ``topic``, ``budget`` quotes in all; [] when
    none mentions it. ``query_vector``: the question in the pool's word-vector space (``dense_vectors``)."""
    found = matches(pool, topic, kind, query_vector, question=question, passage_relevance=passage_relevance)
    by_doc: dict[str, list[Match]] = {}
    for m in found:
        by_doc.setdefault(pool.sentences[m.row].doc_id, []).append(m)
    docs = list(by_doc.values())[:MAX_DOCUMENTS]
    groups: list[list[Sentence]] = []
    chosen: list[int] = []
    for k, ms in enumerate(docs):
        # every document that describes it keeps one quote; the best describe it most (5, 3, then 2), within
        # the budget
        left = budget - len(chosen) - (len(docs) - k - 1)
        per_document = max(per_document, (MAX_PER_DOCUMENT, 3, 2)[min(k, 2)])
        rows = [m.row for m in ms]
        relevance = np.array([m.score for m in ms], np.float32)
        picked = mmr(pool, rows, relevance, max(1, min(per_document, left)), chosen)
        chosen.extend(picked)
        groups.append([pool.sentences[r] for r in picked])
    return [g for g in groups if g]
