"""Minimal-edit entailment pairs made from passage sentences (no labelling by hand).

A small cross-encoder trained on ~20k NLI pairs learns to read entailment as word overlap: "Three people were
taken to hospital." -> "Four people were taken to hospital." scored 0.91 entailment. Each sentence of a
train-split passage gives a pair in which one edit changes what it says, and a pair in which an edit does not,
so that neither overlap nor a changed word alone decides the label:

- **contradiction**: a number replaced by another value ("three" -> "four", "1887" -> "1893"), a weekday or
  month by another, a "not" added after the first auxiliary or removed, or a word replaced by its opposite
  (``training/nli/antonyms.json``); some of these also read the other way (the edited sentence as the premise);
- **entailment**: the sentence with a comma-delimited part dropped (a shorter claim it states), or a small
  number written in words instead of digits (or back);
- **neutral**: another sentence of the same passage against either hypothesis.

Hypotheses are shortened like claims: where the sentence has a comma-delimited part away from the edit, it is
dropped half of the time. Sentences come from the reader's **train** split only (``qa_tools.reading``: split by
article, never the reserved SQuAD articles, NewsQA or MultiHop-RAG); passages that quote qa's labelled evaluation
texts are skipped (``synth._blocked_texts``).
"""
from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterable
from typing import Any

from qa.text.numbers import NUMBER_WORDS, WEEKDAYS
from qa.text.sentences import split_sentences

from .data import LABELS
from .synth import _blocked_texts, gold_passages, antonym_table, opposite, outside

Edit = Callable[[str, random.Random], "tuple[str, tuple[int, int]] | None"]

_WORD_NUMBERS = {w: n for w, n in NUMBER_WORDS.items() if 2 <= n <= 20}
_NUMBER_OF = {n: w for w, n in _WORD_NUMBERS.items()}
_DIGITS = re.compile(r"(?<![\w.,$€£-])\d{1,7}(?![\w.,%]\d|[\w%-])")
_NUMWORD = re.compile(r"\b(" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_DAYS = list(WEEKDAYS)
_MONTHS = "January February March April June July August September October November December".split()  # not "May"
_DAY_OR_MONTH = re.compile(r"\b(" + "|".join(_DAYS + _MONTHS) + r")\b")
_AUX = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could)\b(?! not\b| only\b)(?=\s+[a-z])")
_NEGATED = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|does|did|do)( not|n't)\b(?! only\b)")
_NEGATORS = re.compile(r"\b(not|no|never|n't|nor|without|neither)\b", re.IGNORECASE)


def _other_number(n: int, rng: random.Random) -> int:
    if 1000 <= n <= 2100:  # a year: a near one
        return n + rng.choice([-1, 1]) * rng.randint(1, 12)
    if n <= 20:
        return rng.choice([m for m in range(2, 21) if m != n] if n >= 2 else [2, 3, 5])
    return rng.choice([n * 2, n + n // 2, max(1, n // 2), n + rng.randint(1, 9) * 10 ** (len(str(n)) - 1)])


def change_number(s: str, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """Another value in place of one number of ``s`` (digits or a number word); None if it has none."""
    found = [(m, True) for m in _DIGITS.finditer(s)] + [(m, False) for m in _NUMWORD.finditer(s)]
    if not found:
        return None
    m, digits = rng.choice(found)
    if digits:
        n = int(m.group(0))
        new = str(_other_number(n, rng))
        if new == m.group(0):
            return None
    else:
        word = m.group(0)
        other = _NUMBER_OF[rng.choice([n for n in _NUMBER_OF if n != _WORD_NUMBERS[word.lower()]])]
        new = other.capitalize() if word[0].isupper() else other
    return s[:m.start()] + new + s[m.end():], (m.start(), m.start() + len(new))


def change_day_or_month(s: str, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """Another weekday / month in place of one of ``s``'s."""
    found = list(_DAY_OR_MONTH.finditer(s))
    if not found:
        return None
    m = rng.choice(found)
    pool = _DAYS if m.group(0) in _DAYS else _MONTHS
    new = rng.choice([x for x in pool if x != m.group(0)])
    return s[:m.start()] + new + s[m.end():], (m.start(), m.start() + len(new))


def flip_negation(s: str, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """``s`` with its first negated auxiliary made positive, or else "not" after its first auxiliary."""
    m = _NEGATED.search(s)
    if m:
        return s[:m.start(2)] + s[m.end(2):], (m.start(), m.start(2))
    if _NEGATORS.search(s):
        return None  # another negator would make a double negation
    m = _AUX.search(s)
    if not m:
        return None
    return s[:m.end()] + " not" + s[m.end():], (m.start(), m.end() + 4)


def number_in_words(s: str, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """A small number written the other way ("3" <-> "three"): the same claim."""
    for m in _DIGITS.finditer(s):
        n = int(m.group(0))
        if n in _NUMBER_OF and re.match(r"\s+[a-z]", s[m.end():]):  # "2 instruments", not "10 October"
            return s[:m.start()] + _NUMBER_OF[n] + s[m.end():], (m.start(), m.start() + len(_NUMBER_OF[n]))
    for m in _NUMWORD.finditer(s):
        if not re.match(r"\s+[a-z]", s[m.end():]):
            continue
        digits = str(_WORD_NUMBERS[m.group(0).lower()])
        return s[:m.start()] + digits + s[m.end():], (m.start(), m.start() + len(digits))
    return None


_LEADING = re.compile(r"^(In|On|At|By|During|After|Before|Since|From|Until|Under|Throughout|Following|As of|"
                      r"According to|Today|Later|Eventually|Originally|Traditionally|Currently)\b[^,]{0,60}, ")
_RELATIVE = re.compile(r", (which|who|whose|where|when|including|[a-z]+ing)\b[^,;]*?(?=,|\.$)")


def drop_part(s: str, rng: random.Random, keep: tuple[int, int] | None = None) -> tuple[str, tuple[int, int]] | None:
    """``s`` without a leading adverbial ("In 1990, "), or without a relative or participle clause (", which ...",
    ", including ...") that is not the span ``keep`` and has no negator: a shorter claim that ``s`` states (at
    least six words). None if it has no such part."""
    options: list[tuple[int, int]] = []
    if (m := _LEADING.match(s)) and len(m.group(0).split()) <= 8:
        options.append((0, m.end()))
    options += [(m.start(), m.end() + (s[m.end():m.end() + 1] == ",")) for m in _RELATIVE.finditer(s)]
    kept = []
    for a, b in options:
        if (keep and a < keep[1] and keep[0] < b) or _NEGATORS.search(s[a:b]):
            continue
        rest = s[b:] if a == 0 else s[:a] + s[b:]
        rest = re.sub(r"\s+", " ", rest).strip()
        if len(rest.split()) >= 6:
            kept.append((rest[:1].upper() + rest[1:], a))
    if not kept:
        return None
    rest, a = rng.choice(kept)
    return rest, (a, a)


CONTRADICTING: dict[str, Edit] = {"number": change_number, "date": change_day_or_month, "negation": flip_negation}
STATING: dict[str, Edit] = {"drop": drop_part, "number-form": number_in_words}


def _shorten(text: str, span: tuple[int, int], rng: random.Random) -> str:
    """Half of the time, ``text`` without a comma-delimited part away from ``span`` (claims are short)."""
    if rng.random() < 0.5:
        got = drop_part(text, rng, keep=span)
        if got is not None:
            return got[0]
    return text


def sentence_pairs(sentence: str, others: list[str], rng: random.Random, table: dict[str, str]
                   ) -> list[tuple[str, str, str, str]]:
    """(premise, hypothesis, label, kind) pairs of one sentence: a contradiction and an entailment when an edit
    applies, and a neutral pair with another sentence of its passage."""
    out: list[tuple[str, str, str, str]] = []
    kinds = list(CONTRADICTING.items())
    rng.shuffle(kinds)
    contra = None
    for kind, edit in kinds:
        got = edit(sentence, rng)
        if got is not None:
            contra = (kind, *got)
            break
    if contra is None and table and (flipped := opposite(sentence, "", table)) is not None:
        contra = ("antonym", flipped, (0, len(flipped)))
    if contra is None:
        return out
    kind, edited, span = contra
    hyp = _shorten(edited, span, rng)
    out.append((sentence, hyp, "contradiction", f"edit-{kind}"))
    if rng.random() < 0.3:  # the edited sentence as the premise contradicts the plain one too
        out.append((edited, _shorten(sentence, span, rng), "contradiction", f"edit-{kind}-premise"))
    stating = [(k, got) for k, e in STATING.items() if (got := e(sentence, rng)) is not None]
    if stating:
        k, (stated, _) = rng.choice(stating)
        out.append((sentence, stated, "entailment", f"edit-{k}"))
    else:
        out.append((sentence, sentence, "entailment", "edit-same"))
    if others and rng.random() < 0.5:
        words = set(re.findall(r"\w+", sentence.lower()))
        other = max(others, key=lambda o: len(words & set(re.findall(r"\w+", o.lower()))))
        out.append((other, rng.choice([hyp, out[-1][1]]), "neutral", "edit-other-sentence"))
    return out


def pairs(examples: Iterable[dict[str, Any]], *, split: str = "train", limit: int = 0, seed: int = 53,
          antonyms: bool = True) -> list[dict[str, Any]]:
    """Minimal-edit pairs from up to ``limit`` sentences (0: all) of the ``split`` passages (one sentence per
    passage, 8-50 words, preferring sentences with a number, a date or an auxiliary)."""
    rng = random.Random(seed)
    table = antonym_table() if antonyms else {}
    blocked = _blocked_texts()
    contexts = gold_passages(examples, split, rng)
    made = (rows for e in outside(contexts, blocked) if (rows := _passage_pairs(e, split, rng, table)))
    return [r for rows in itertools.islice(made, limit or None) for r in rows]


def _passage_pairs(e: dict[str, Any], split: str, rng: random.Random, table: dict[str, str]) -> list[dict[str, Any]]:
    """The pairs of one sentence of the passage of ``e`` (none when it has no usable sentence or no edit applies)."""
    context = e["context"]
    sents = [context[s.start:s.end].strip() for s in split_sentences(context)]
    sents = [s for s in sents if 8 <= len(s.split()) <= 50 and s[:1].isupper() and s.endswith(".")]
    if not sents:
        return []
    sentence = rng.choice(sents)
    base = {"set": "edit-synth", "split": split, "source": e["source"], "article": e["article"]}
    return [{**base, "premise": p, "hypothesis": h, "label": LABELS.index(lab), "kind": k}
            for p, h, lab, k in sentence_pairs(sentence, [s for s in sents if s != sentence], rng, table)]
