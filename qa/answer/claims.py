"""The claim checker for written answers: every sentence must be backed by a quote it cites.

A sentence of generated text is *supported* by a quote (or by the union of the quotes it cites) when

- most of its content words occur in the quote (``lexical``: the share of the sentence's stemmed content
  words found in the quotes, at least ``LEXICAL_MIN``), and the sentence and quote mean similar things
  (``dense``: embedding cosine at least ``DENSE_MIN``); or the sentence is almost entirely lexically
  covered (``lexical >= LEXICAL_STRONG``);
- every number it states appears in the quotes, every name it mentions too, at most a third of its content
  words are absent from the quotes (neither the word nor a close paraphrase: "closed forever" is not backed
  by "closes at 6 pm"), and it does not contradict them (a negated or antonymous concept: ``qa.answer.conflicts``).

A sentence whose citation is missing, out of range or unsupporting is *repaired* when another quote supports
it (its markers are replaced), and otherwise removed (``CheckResult.removed``). Thresholds were measured on
``tests/data/claim_support.jsonl`` (see ``qa_tools.answer_eval.eval_claims``).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..text.frames import unasserted
from ..text.numbers import numbers_in
from ..text.tokens import query_stopwords, tokenize
from ..text.wordlists import load_wordlists
from .candidates import SOFT_MATCH
from .conflicts import FUNCTION_WORDS, find_conflict
from .entail import Entailer

logger = logging.getLogger(__name__)

Encoder = Callable[[Sequence[str]], np.ndarray]  # texts -> unit vectors

LEXICAL_MIN = 0.5
DENSE_MIN = 0.5
LEXICAL_STRONG = 0.85

_MARKER = re.compile(r"\s*(?:\[(\d+(?:\s*[,;]\s*\d+)*)\]|【(\d+)】|\^(\d+)\^?)")
WORDS = load_wordlists(Path(__file__).resolve().parent / "data" / "claim_words.json", {"meta": "words", "titles": "words"})
_META = frozenset(WORDS["meta"])  # words about the answer, not the world: never "new" content


@dataclass(frozen=True)
class CheckedSentence:
    text: str  # without citation markers
    cited: tuple[int, ...]  # quote numbers (1-based) after repair; () when removed
    status: str  # "supported", "repaired", "removed", "connective"
    lexical: float = 0.0
    dense: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class CheckResult:
    sentences: tuple[CheckedSentence, ...]

    @property
    def kept(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.status in ("supported", "repaired", "connective")]

    @property
    def removed(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.status == "removed"]

    @property
    def repaired(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.status == "repaired"]


def split_claims(text: str) -> list[str]:
    """Sentences of generated text; citation markers stay with the sentence they follow."""
    text = re.sub(r"^\s*[-*•]\s+|^\s*\d+\.\s+", "", text.strip(), flags=re.MULTILINE)
    parts = re.split(r"(?<=[.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*)\s+(?=[A-Z0-9“\"'(])|\n+", text)
    out: list[str] = []
    i = 0
    while i < len(parts):
        piece = parts[i] or ""
        if i + 1 < len(parts) and parts[i + 1] and re.fullmatch(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+", parts[i + 1]):
            piece += parts[i + 1]
            i += 1
        i += 1
        if piece.strip():
            out.append(piece.strip())
    return out


def markers(sentence: str) -> tuple[str, list[int]]:
    """(sentence without markers, cited numbers in order)."""
    nums: list[int] = []
    for m in _MARKER.finditer(sentence):
        for g in m.groups():
            if g:
                nums.extend(int(x) for x in re.split(r"\s*[,;]\s*", g))
    clean = _MARKER.sub("", sentence).strip()
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    return clean, list(dict.fromkeys(nums))


def content_terms(text: str) -> list[str]:
    return [t for t in tokenize(text) if t not in _META and not t.isdigit()]


def lexical_support(sentence: str, quote: str) -> float:
    terms = set(content_terms(sentence))
    if not terms:
        return 1.0
    return len(terms & set(tokenize(quote))) / len(terms)


def _numbers_ok(sentence: str, quote: str) -> bool:
    """Every number the sentence states is in the quote."""
    have = numbers_in(quote)
    return all(any(abs(s - h) <= 1e-9 * max(1.0, abs(h)) for h in have) for s in numbers_in(sentence))


_TITLES = frozenset(WORDS["titles"])


def _names_ok(sentence: str, quote: str) -> bool:
    """Every name the sentence mentions (a capitalised word past its first word, titles aside) occurs in the
    quote, allowing another transliteration (same first five letters: "Aretovych" ~ "Aretović")."""
    words = re.findall(r"[\w'’-]+", sentence)
    low = quote.lower()
    quote_words = {w.lower() for w in re.findall(r"[\w'’-]+", quote)}
    for w in words[1:]:
        name = w.lower().strip("'’")
        if not w[:1].isupper() or len(name) < 2 or name in _TITLES or name in low:
            continue
        stem = name[: min(5, len(name) - 1)]
        if not any(q.startswith(stem) for q in quote_words):
            return False
    return True


def _new_words(sentence: str, quote: str, word_vectors: Encoder | None) -> list[str]:
    """Content words of the sentence that the quote has neither as such nor as a close paraphrase (word-vector
    cosine >= ``qa.answer.candidates.SOFT_MATCH``); a claim may carry only a few of them (a third of its words)."""
    have = set(tokenize(quote))
    vocab = sorted({w for w in re.findall(r"[a-z]+", quote.lower()) if len(w) > 2})
    skip = FUNCTION_WORDS | _META | {"while", "although", "though", "whereas", "however", "also", "both", "yes"}
    abbreviations = {a.lower() for a in re.findall(r"\b([A-Za-z]{2,6})\.", quote)}  # "incl." covers "including"
    raw = [w for w in re.findall(r"[a-z]+", sentence.lower()) if len(w) > 2 and w not in skip]
    missing = list(dict.fromkeys(
        w for w in raw if (t := tokenize(w)) and t[0] not in have
        and not any(w.startswith(a) for a in abbreviations)))
    if not missing or not vocab or word_vectors is None:
        return missing
    sims = word_vectors(missing) @ word_vectors(vocab).T
    return [w for w, row in zip(missing, sims, strict=True) if row.max() < SOFT_MATCH]


def _model_support(entailer: Entailer, sentence: str, quote: str, lex: float) -> tuple[bool, float, str]:
    j = entailer.entails(quote, sentence)
    if j.contradicts:
        return False, lex, f"contradicts the quote (contradiction probability {j.contradiction:.2f})"
    if j.entails and unasserted(quote, sentence):
        return False, lex, "the quote states an intent or an attempt, not that it happened"
    if j.entails:
        return True, lex, ""
    return False, lex, f"not backed by the quote (entailment probability {j.entailment:.2f})"


def support(sentence: str, quote: str, dense: float, word_vectors: Encoder | None = None,
            entailer: Entailer | None = None) -> tuple[bool, float, str]:
    """(supported?, lexical share, reason when not). With ``entailer``, a sentence the rules accept must also be
    entailed by the quote according to the trained entailment model (chosen on the dev claims: precision 0.79,
    unsupported rejected 82%, against 0.75 / 76% for the rules alone and 0.75 / 74% for the model alone)."""
    ok, lex, why = _rule_support(sentence, quote, dense, word_vectors)
    if ok and entailer is not None:
        return _model_support(entailer, sentence, quote, lex)
    return ok, lex, why


def _rule_support(sentence: str, quote: str, dense: float, word_vectors: Encoder | None) -> tuple[bool, float, str]:
    """The word-list and overlap rules on their own."""
    stop = query_stopwords()
    lex = lexical_support(sentence, quote)
    why = "" if _numbers_ok(sentence, quote) else "states a number the quote does not"
    why = why or ("" if _names_ok(sentence, quote) else "names someone or something the quote does not")
    if why:
        return False, lex, why
    names = frozenset(w.lower() for w in re.findall(r"\b[A-Z][\w'’-]+", f"{sentence} {quote}"))
    clash = find_conflict(sentence, [sentence, quote], ["claim", "quote"], stop=stop, word_vectors=word_vectors,
                          entity_words=names)
    if clash is not None:
        return False, lex, f"contradicts the quote ({clash.reason})"
    new = _new_words(sentence, quote, word_vectors)
    if len(new) > (len(content_terms(sentence)) - 1) // 3:
        return False, lex, f"adds what the quote does not say ({', '.join(new)})"
    if lex >= LEXICAL_STRONG or (lex >= LEXICAL_MIN and dense >= DENSE_MIN):
        return True, lex, ""
    return False, lex, f"not backed by the quote (word overlap {lex:.2f}, similarity {dense:.2f})"


def _contradicting(sentence: str, cited: Sequence[int], quotes: Sequence[str], sims: np.ndarray,
                   word_vectors: Encoder | None, *, entailer: Entailer | None = None) -> dict[int, str]:
    """Of a sentence's several citations, those whose quote on its own contradicts it and shares little of
    its wording (number -> reason). Empty when it has one citation, or when every cited quote contradicts
    it; a sentence that reports both sides ("wounded, but officials say he was not among the dead [1][2]")
    shares enough of each quote's wording to keep both."""
    if len(cited) < 2:
        return {}
    out = {}
    for n in cited:
        ok, lex, why = support(sentence, quotes[n - 1], float(sims[n - 1]), word_vectors, entailer)
        if not ok and why.startswith("contradicts") and lex < LEXICAL_MIN:
            out[n] = why
    return out if len(out) < len(cited) else {}


def check(text: str, quotes: Sequence[str], encode: Encoder, word_vectors: Encoder | None = None,
          entailer: Entailer | None = None) -> CheckResult:
    """Check every sentence of ``text`` against the numbered ``quotes`` (``[1]`` is ``quotes[0]``); with
    ``entailer``, support and contradiction are the trained entailment model's judgement."""
    claims = [markers(s) for s in split_claims(text)]
    claims = [(c, n) for c, n in claims if c]
    if not claims:
        return CheckResult(())
    vecs = encode([c for c, _ in claims] + list(quotes)) if quotes else np.zeros((len(claims), 1), np.float32)
    cv, qv = vecs[: len(claims)], vecs[len(claims):]
    sims = cv @ qv.T if len(quotes) else np.zeros((len(claims), 0))
    out: list[CheckedSentence] = []
    for i, (clean, cited) in enumerate(claims):
        if not content_terms(clean) and not re.search(r"\d", clean):
            out.append(CheckedSentence(clean, (), "connective"))
            continue
        valid = [n for n in cited if 1 <= n <= len(quotes)]
        reason = "no citation" if not cited else ("citation out of range" if not valid else "")
        if valid:
            joined = " ".join(quotes[n - 1] for n in valid)
            dense = max(float(sims[i, n - 1]) for n in valid)
            ok, lex, why = support(clean, joined, dense, word_vectors, entailer)
            if ok:
                contra = _contradicting(clean, valid, quotes, sims[i], word_vectors, entailer=entailer)
                if contra:  # "He was wounded [1][2]." where [2] says he was not: [2] is dropped
                    keep = tuple(n for n in valid if n not in contra)
                    why = "dropped a citation: " + "; ".join(contra.values())  # numbers change on renumbering
                    out.append(CheckedSentence(clean, keep, "repaired", lex, dense, why))
                else:
                    out.append(CheckedSentence(clean, tuple(valid), "supported", lex, dense))
                continue
            reason = why
        best: CheckedSentence | None = None  # repair: the quote that supports it best
        for j in np.argsort(-sims[i]) if len(quotes) else ():
            ok, lex, _ = support(clean, quotes[j], float(sims[i, j]), word_vectors, entailer)
            if ok:
                best = CheckedSentence(clean, (int(j) + 1,), "repaired", lex, float(sims[i, j]), reason)
                break
        if best is None:
            dense = float(sims[i].max()) if len(quotes) else 0.0
            best = CheckedSentence(clean, (), "removed", 0.0, dense, reason or "not backed by any quote")
        out.append(best)
    return CheckResult(tuple(out))
