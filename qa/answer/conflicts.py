"""Do two sources disagree on the point asked? A conflict is only ever claimed with two quotes that show it.

Model-free, in the spirit of Marneffe, Rafferty & Manning (2008), "Finding contradictions in text": two
on-point sentences from different documents contradict each other when

- **polarity**: they take opposite stances on a concept of the question. A sentence asserts a concept when
  it contains the question's word (same stem, a listed synonym, or a word whose embedding is close to it)
  and denies it when that word is negated ("did not attend", "has not been arrested"), when it contains a
  listed antonym ("stayed open" against "closed", "survived" against "killed"), or, for harm questions
  (wounded, killed, sunk, ...), when it says the subject avoided the harm ("managed to leave", "escaped",
  "unhurt", "was not among them"). A direct mention outranks an inferred avoidance in the same sentence.
- **number**: the question asks for a quantity or a date and the two sentences give different values for
  the same unit ("12 people" against "27 people", "founded in 1887" against "in 1902") - in the product, only
  the values the reader reads as the answer (``answers``), so a year of another event is no disagreement.

The product asks for stances only on yes/no questions (``qa.answer.compose.detect_conflict``): on a wh-question
two documents' stances on its words are about different things ("scored 11 points" against "ended with no points").

Measured on ``tests/data/conflict_pairs.jsonl`` (see ``qa_tools.answer_eval.eval_conflicts``).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..embed.words import WordEncoder, known
from ..text.numbers import quantities, same
from ..text.tokens import stem, stopwords
from ..text.wordlists import load_wordlists

logger = logging.getLogger(__name__)

SYNONYM_THRESHOLD = 0.6  # cosine of two single words' MiniLM vectors (hurt~wounded 0.62, killed~wounded 0.52)

# The lexicon (negators, synonym groups, antonym pairs, harm concepts, avoided-harm phrasings, function
# words) is data: qa/answer/data/conflict_lexicon.json, checked on load.
LEXICON = load_wordlists(Path(__file__).resolve().parent / "data" / "conflict_lexicon.json", {
    "negators": "words", "clause_breaks": "words", "synonyms": "groups", "antonyms": "pairs", "harm_stems": "words",
    "avoided_harm_patterns": "words", "function_words": "words",
})
_NEGATORS = frozenset(LEXICON["negators"])
_CLAUSE_BREAK = frozenset(LEXICON["clause_breaks"])
# Groups of words that name the same concept (compared by stem); the first word names the concept.
_SYNONYMS: list[list[str]] = LEXICON["synonyms"]
# Pairs of concepts that exclude each other (the first word of each side is looked up in _SYNONYMS too).
_ANTONYMS: list[tuple[str, str]] = [(a, b) for a, b in LEXICON["antonyms"]]
# Concepts where "he got away" means "no": asking whether harm happened.
_HARM = frozenset(LEXICON["harm_stems"])
_AVOIDED = re.compile(r"\b(?:" + "|".join(LEXICON["avoided_harm_patterns"]) + r")\b", re.IGNORECASE)
FUNCTION_WORDS = frozenset(LEXICON["function_words"])

_NUMERIC_QUESTION = re.compile(
    r"\b(how (?:many|much|tall|long|high|old|far|big|large|deep|often)|when|what (?:year|date|day|month|time|percentage|share|number|age|price)|"
    r"which (?:year|date|day|month))\b", re.IGNORECASE)


@dataclass(frozen=True)
class Stance:
    concept: str  # the question word it is about
    polarity: int  # +1 asserts, -1 denies
    strength: int  # 2 = direct (the word, a synonym or an antonym), 1 = inferred (an avoidance phrase)
    evidence: str  # the words that show it


@dataclass(frozen=True)
class Conflict:
    """Two quotes (indexes into the sentences given) that disagree, and why."""

    a: int
    b: int
    kind: str  # "polarity" or "number"
    reason: str


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, str], dict[str, set[str]]]:
    """(stem -> concept id, concept id -> antonym concept ids)."""
    concept: dict[str, str] = {}
    for words in _SYNONYMS:
        for w in words:
            concept.setdefault(stem(w), stem(words[0]))
    opposite: dict[str, set[str]] = {}
    for a, b in _ANTONYMS:
        ca, cb = concept.get(stem(a), stem(a)), concept.get(stem(b), stem(b))
        opposite.setdefault(ca, set()).add(cb)
        opposite.setdefault(cb, set()).add(ca)
    return concept, opposite


@lru_cache(maxsize=1)
def _harm_concepts() -> frozenset[str]:
    return frozenset({concept_of(h) for h in _HARM} | {stem(h) for h in _HARM})


def concept_of(word: str) -> str:
    s = stem(word)
    return _lexicon()[0].get(s, s)


def _words(text: str) -> list[str]:
    return re.findall(r"n't|[\w'’-]+|[^\w\s]", text.lower().replace("’", "'"))


def _negated(words: list[str], i: int, window: int = 4) -> bool:
    """A negator in the few words before position ``i``, in the same clause, with no other content word
    between them ("did not attend the summit" negates "attend", not "summit")."""
    skip = _function_words()
    for j in range(i - 1, max(-1, i - 1 - window), -1):
        w = words[j]
        if w in _CLAUSE_BREAK:
            return False
        if w in _NEGATORS or w.endswith("n't"):
            return True
        if w.isalpha() and w not in skip:
            return False
    return False


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    return (stopwords() | FUNCTION_WORDS) - _NEGATORS


@lru_cache(maxsize=1)
def _antonym_words() -> frozenset[str]:
    return frozenset(w for pair in _ANTONYMS for w in pair)


def question_concepts(question: str, stop: frozenset[str]) -> list[str]:
    """The question's content words (raw, lower-case), as candidates for the point asked."""
    out = []
    for w in _words(question):
        if w.isalpha() and (w not in stop or w in _antonym_words()) and len(w) > 2 and w not in out:
            out.append(w)
    return out


def _similar_words(qconcepts: dict[str, str], content: list[tuple[int, str]],
                   word_vectors: WordEncoder | None) -> set[tuple[str, str]]:
    """(question concept, sentence word) pairs close in meaning (word-vector cosine >= ``SYNONYM_THRESHOLD``)."""
    if word_vectors is None or not qconcepts or not content:
        return set()
    cand = sorted({w for _, w in content} - set(qconcepts))
    if not cand:
        return set()
    qs = list(qconcepts)
    wv = known(word_vectors, cand)  # a rare word the table lacks is matched by spelling only
    sims = word_vectors(qs) @ wv.T
    return {(qs[a], cand[b]) for a, b in zip(*np.nonzero(sims >= SYNONYM_THRESHOLD), strict=True)}


def _direct_stance(q: str, cq: str, words: list[str], content: list[tuple[int, str]], *, concepts_of: list[str],
                   similar: set[tuple[str, str]]) -> Stance | None:
    """The sentence's stance on concept ``cq`` from its own words (the word, a synonym, a close word, an
    antonym; negated or not). A denial anywhere in the sentence outranks a bare mention."""
    opposite = _lexicon()[1].get(cq, set())
    found: Stance | None = None
    for (i, w), cw in zip(content, concepts_of, strict=True):
        if cw == cq or (q, w) in similar and cw not in opposite:
            polarity = -1 if _negated(words, i) else 1
        elif cw in opposite or stem(w) in opposite:
            polarity = 1 if _negated(words, i) else -1
        else:
            continue
        if found is None or (found.polarity == 1 and polarity == -1):
            found = Stance(q, polarity, 2, " ".join(words[max(0, i - 3) : i + 1]))
    return found


def stances(sentence: str, concepts: Sequence[str], word_vectors: WordEncoder | None = None,
            entity_words: frozenset[str] = frozenset()) -> dict[str, Stance]:
    """What the sentence says about each question concept (concepts it does not touch are absent)."""
    words = _words(sentence)
    content = [(i, w) for i, w in enumerate(words) if w.isalpha() and len(w) > 2]
    qconcepts = {q: concept_of(q) for q in concepts if q not in entity_words}
    similar = _similar_words(qconcepts, content, word_vectors)
    concepts_of = [concept_of(w) for _, w in content]
    out: dict[str, Stance] = {}
    for q, cq in qconcepts.items():
        found = _direct_stance(q, cq, words, content, concepts_of=concepts_of, similar=similar)
        if found is None and cq in _harm_concepts():
            m = _AVOIDED.search(sentence)
            if m:
                found = Stance(q, -1, 1, m.group())
        if found is not None:
            out[q] = found
    return out


# ----------------------------------------------------------------------------------------- detection


class _Memo:
    """Word vectors remembered for the length of one ``find_conflict`` call (``stances`` asks for the same
    words sentence after sentence)."""

    def __init__(self, word_vectors: WordEncoder) -> None:
        self._wv = word_vectors
        self._full: dict[str, np.ndarray] = {}
        self._known: dict[str, np.ndarray] = {}

    def _get(self, words: Sequence[str], fn: WordEncoder, store: dict[str, np.ndarray]) -> np.ndarray:
        todo = [w for w in dict.fromkeys(words) if w not in store]
        if todo:
            store.update(zip(todo, fn(todo), strict=True))
        return np.stack([store[w] for w in words]) if words else fn([])

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        return self._get(words, self._wv, self._full)

    def known(self, words: Sequence[str]) -> np.ndarray:
        return self._get(words, lambda ws: known(self._wv, ws), self._known)


def _mixed(concepts: Sequence[str], st: Sequence[dict[str, Stance]], doc_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(document, concept) pairs where the document says both yes and no: it has no clear stance on it."""
    mixed: set[tuple[str, str]] = set()
    for d in set(doc_ids):
        rows = [i for i, x in enumerate(doc_ids) if x == d]
        for q in concepts:
            if len({st[i][q].polarity for i in rows if q in st[i]}) > 1:
                mixed.add((d, q))
    return mixed


def _pair_conflict(i: int, j: int, concepts: Sequence[str], *, st: Sequence[dict[str, Stance]],
                   qty: Sequence[dict[str, set[float]]], clear: Callable[[int, str], bool]) -> Conflict | None:
    """Whether sentences ``i`` and ``j`` disagree: opposite stances on a concept (both clear), or different
    values for the same unit."""
    for q in concepts if st else ():
        a, b = st[i].get(q), st[j].get(q)
        if a and b and a.polarity != b.polarity and clear(i, q) and clear(j, q):
            pos, neg = (a, b) if a.polarity > 0 else (b, a)
            return Conflict(i, j, "polarity", f"“{pos.evidence}” against “{neg.evidence}”")
    for unit in qty[i].keys() & qty[j].keys():
        va, vb = qty[i][unit], qty[j][unit]
        if not any(same(x, y) for x in va for y in vb):
            return Conflict(i, j, "number", f"{_fmt(va)} against {_fmt(vb)} ({unit})")
    return None


def find_conflict(question: str, sentences: Sequence[str], doc_ids: Sequence[str], *, stop: frozenset[str],
                  word_vectors: WordEncoder | None = None, entity_words: frozenset[str] = frozenset(),
                  polarity: bool = True, answers: Sequence[Sequence[tuple[int, int]]] | None = None) -> Conflict | None:
    """The best pair of sentences from different documents that disagree on the question, or None.

    ``sentences`` should be on-point quotes only (the caller keeps those that answer the question), best
    first; the first disagreeing pair in that order is returned. With ``polarity=False`` only numbers are
    compared (the entailment model judges the rest: ``qa.answer.disagreement``). With ``answers`` (per sentence,
    the character spans the reader read as the answer in it), only the numbers inside those spans are compared:
    two documents disagree on a number when they answer the question with different values, not whenever they
    hold different numbers of one unit."""
    concepts = question_concepts(question, stop) if polarity else []
    numeric = bool(_NUMERIC_QUESTION.search(question))
    if not polarity and not numeric:
        return None
    if word_vectors is not None:  # every word looked up (or encoded) once, in one batch
        word_vectors = _Memo(word_vectors)
        word_vectors.known(sorted({w for s in sentences for w in _words(s) if w.isalpha() and len(w) > 2}))
    st = [stances(s, concepts, word_vectors, entity_words) for s in sentences] if polarity else []
    qty = [quantities(s, stop, answers[i] if answers is not None else None) for i, s in enumerate(sentences)] \
        if numeric else [{} for _ in sentences]
    mixed = _mixed(concepts, st, doc_ids) if polarity else set()

    def clear(i: int, q: str) -> bool:
        return (doc_ids[i], q) not in mixed

    for i in range(len(sentences)):
        for j in range(i + 1, len(sentences)):
            if doc_ids[i] != doc_ids[j] and (found := _pair_conflict(i, j, concepts, st=st, qty=qty, clear=clear)) is not None:
                return found
    return None


def _fmt(values: set[float]) -> str:
    return "/".join(f"{v:g}" for v in sorted(values))
