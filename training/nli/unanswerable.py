"""Span-check pairs from SQuAD 2.0's written unanswerable questions: what ``qa.answer.verify`` judges, labelled.

The product's span check builds the claim the reader's span makes as the answer ("Where was the ambush?" +
"near Izium" -> "The ambush was near Izium.", ``qa.text.questions.answer_claim``) and asks the entailment model
whether the sentence holding the span entails it. SQuAD 2.0's annotators wrote unanswerable questions with a
*plausible answer*: the span a reader would wrongly pick. So each such question gives the pair the product sees
when it should refuse:

- the sentence holding the plausible answer -> the claim it makes: **not entailed**; labelled *contradiction*
  where the question turns the sentence around (a negation the sentence lacks, or a word whose opposite the
  sentence uses: ``training/nli/antonyms.json``), *neutral* otherwise (another entity, a condition the
  sentence does not state);
- as many answerable questions of the same sources: the sentence holding the gold answer -> its claim:
  *entailment*.

Questions come from the ``split`` asked (the reader's split, by article); the reserved SQuAD articles, NewsQA and
MultiHop-RAG are never in these sources.
"""
from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Any

from qa.answer.verify import holding_sentence
from qa.text.questions import answer_claim

from .data import LABELS
from .synth import antonym_table

SOURCES = ("squad2-train", "squad2-devhalf")  # the only data here with written unanswerables
_NEGATION = re.compile(r"\b(not|never|no|n't|without|none|neither|nor)\b|n't\b", re.I)
MAX_ANSWER_WORDS = 8
MAX_SENTENCE = 600


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def turned_around(question: str, sentence: str, table: dict[str, str]) -> bool:
    """Does ``question`` negate or reverse what ``sentence`` says (so its claim is contradicted, not unstated)?"""
    if _NEGATION.search(question) and not _NEGATION.search(sentence):
        return True
    asked, said = _words(question), _words(sentence)
    return any(w not in said and table.get(w) in said for w in asked)


def _pair(e: dict[str, Any], span: dict[str, Any]) -> tuple[str, str] | None:
    text = span["text"].strip()
    if not text or len(text.split()) > MAX_ANSWER_WORDS:
        return None
    sentence = holding_sentence(e["context"], span["start"], span["start"] + len(span["text"])).strip()
    if len(sentence) > MAX_SENTENCE:
        return None
    return sentence, answer_claim(e["question"], text)


def pairs(examples: Iterable[dict[str, Any]], *, split: str = "train", seed: int = 41) -> list[dict[str, Any]]:
    """Every ``split`` written unanswerable with a plausible answer (not entailed) and as many answerable
    questions of the same sources (entailed), shuffled."""
    rng = random.Random(seed)
    table = antonym_table()
    pool = [e for e in examples if e["split"] == split and e["source"] in SOURCES]
    out: list[dict[str, Any]] = []
    for e in pool:
        if e["kind"] != "unanswerable" or not e.get("plausible"):
            continue
        found = _pair(e, e["plausible"][0])
        if found is None:
            continue
        sentence, claim = found
        label = "contradiction" if turned_around(e["question"], sentence, table) else "neutral"
        out.append({"premise": sentence, "hypothesis": claim, "label": LABELS.index(label), "set": "qa-unanswerable",
                    "split": split, "source": e["source"], "article": e["article"], "kind": f"unanswerable-{label}"})
    answerable = [e for e in pool if e["kind"] == "gold" and e["answers"]]
    rng.shuffle(answerable)
    wanted = len(out)
    for e in answerable:
        if wanted <= 0:
            break
        found = _pair(e, e["answers"][0])
        if found is None:
            continue
        wanted -= 1
        out.append({"premise": found[0], "hypothesis": found[1], "label": LABELS.index("entailment"),
                    "set": "qa-unanswerable", "split": split, "source": e["source"], "article": e["article"],
                    "kind": "answerable"})
    rng.shuffle(out)
    return out
