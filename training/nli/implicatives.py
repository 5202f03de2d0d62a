"""Pairs that teach intent, attempt and condition apart from fact (no labelling by hand).

A small cross-encoder trained on ~20k NLI pairs reads word overlap as entailment: "Rebels tried to seize the airport."
-> "Rebels seized the airport." scored 0.89 entailment, and so did "planned to", "hoped to", "was expected to", "If
the talks collapse, the union will strike." -> "The union will strike." (qa's hand-written check:
``tests/data/nli_implicatives.jsonl``, 28% right before these pairs). For a yes/no question that is the worst
mistake: "The purpose was to kill the general" read as "yes, the general was killed".

From a train-split passage sentence that says someone *<verb> to <do>* ("tried to seize"), the hypothesis is the
sentence with that phrase made a plain past ("seized"), and the premise is the sentence with the verb in one of
three groups, so that only the verb decides the label (the overlap is the same in all three):

- an intent or attempt verb ("tried", "planned", "hoped", "was expected", ...): **neutral**;
- a verb that says it happened ("managed", "was able"): **entailment**;
- a verb that says it did not ("failed", "refused", "was unable"): **contradiction** (also read the other way: the
  plain past as premise contradicts "failed to").

A sentence that opens with a condition ("If ..., the rest.", "Unless ...") against the rest is **neutral**; one that
opens with a cause or a time ("Because ...", "After ...", "When ...") against the rest is **entailment**.

Sentences come from the reader's **train** split only (``qa_tools.reading``: split by article, never the reserved
SQuAD articles, NewsQA or MultiHop-RAG); passages that quote qa's labelled evaluation texts are skipped.
"""
from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable
from typing import Any

from qa.text.frames import IRREGULAR
from qa.text.sentences import split_sentences

from .data import LABELS
from .synth import _blocked_texts, gold_passages, outside

INTENT = ("tried", "attempted", "sought", "planned", "wanted", "hoped", "aimed", "intended", "vowed", "promised",
          "threatened", "pledged", "proposed", "wished")
HAPPENED = ("managed",)
DID_NOT = ("failed", "refused")
INTENT_BE = ("expected", "scheduled", "supposed", "meant", "set", "due", "going")
HAPPENED_BE = ("able",)
DID_NOT_BE = ("unable",)
_VERB = "|".join(INTENT + HAPPENED + DID_NOT + ("declined",))
_BE = "|".join(INTENT_BE + HAPPENED_BE + DID_NOT_BE)
_PHRASE = re.compile(rf"\b(?:(?P<verb>{_VERB})|(?P<be>was|were) (?P<adj>{_BE})) to (?P<do>[a-z]+)\b")
_NEGATORS = re.compile(r"\b(not|no|never|n't|nor|without|neither|but)\b", re.IGNORECASE)
_CONDITION = re.compile(r"^(If|Unless|Should|Were|Had|Once|Provided that) [^,]{3,120}, (?P<rest>[a-z][^,;]{12,}\.)$")
_CAUSE = re.compile(r"^(Because|Since|After|When|Although|Though|While|As) [^,]{3,120}, (?P<rest>[a-z][^,;]{12,}\.)$")

# base -> simple past of irregular verbs: the first pair of each base in qa's frames data (which lists the simple
# past before the participle)
_IRREGULAR: dict[str, str] = {}
for _base, _past in IRREGULAR:
    _IRREGULAR.setdefault(_base, _past)
_NOT_VERBS = frozenset("be the a an his her their its this that these those all some any more such".split())
# a word before a simple past that makes it a participle or an adjective ("was captured", "the captured city")
_NOT_BEFORE = frozenset("was were is are be been being had has have having the a an of by to and or this that these "
                        "those its his her their newly recently well".split())
_AUX_WORDS = frozenset("was were is are be been being had has have having".split())
_AUXILIARIES = frozenset("have do be get".split())
_AMBIGUOUS_PAST = frozenset("read set put cut hit let lay cast cost bet quit shut split spread upset hurt beat "
                            "found ground bound wound lit".split())


def past(verb: str) -> str | None:
    """The simple past of a base-form verb by the usual spelling rules ("seize" -> "seized", "stop" -> "stopped",
    "carry" -> "carried"); None for "be" and for what does not look like a verb."""
    if verb in _NOT_VERBS or len(verb) < 2:
        return None
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ied"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", verb):  # one syllable ending consonant-vowel-consonant
        return verb + verb[-1] + "ed"
    return verb + "ed"


def past_forms(contexts: Iterable[str], minimum: int = 3) -> dict[str, str]:
    """Simple past -> base form, for the verbs the texts use as infinitives ("to capture" at least ``minimum``
    times): the verbs a fact sentence's past can be turned back into ("captured" -> "capture")."""
    counts: dict[str, int] = {}
    for text in contexts:
        for v in re.findall(r"\bto ([a-z]{3,})\b", text):
            counts[v] = counts.get(v, 0) + 1
    out: dict[str, str] = {}
    for v, n in counts.items():
        if n >= minimum and (p := past(v)) is not None and p != v and p not in _AMBIGUOUS_PAST:
            out.setdefault(p, v)
    return out


AIMS = ("aim", "goal", "purpose", "plan", "intention", "objective")


def fact_pairs(sentence: str, forms: dict[str, str], rng: random.Random, *, nominal: bool = False
               ) -> list[tuple[str, str, str, str]]:
    """(premise, hypothesis, label, kind) pairs of a fact sentence ("the crusaders captured the city"): the
    sentence itself is the hypothesis; the premise says "tried to capture" (neutral), "managed to capture"
    (entailment) or "failed to capture" (contradiction). With ``nominal``, when the verb's subject is a short
    phrase, also "The aim of the crusaders was to capture the city" (neutral), "The crusaders set out to capture
    the city, and succeeded" (entailment) and "..., but failed" (contradiction)."""
    words = list(re.finditer(r"[A-Za-z]+", sentence))
    for i in range(1, min(len(words) - 1, 14)):
        w, prev = words[i].group(), words[i - 1].group().lower()
        before = {x.group().lower() for x in words[max(0, i - 3):i]}
        if w in forms and forms[w] not in _AUXILIARIES and prev not in _NOT_BEFORE and not before & _AUX_WORDS \
                and words[i + 1].group().lower() != "by" and sentence[words[i].start() - 1] not in "-'’" and not _NEGATORS.search(sentence[:words[i].start()]):
            break
    else:
        return []
    m = words[i]
    out = []
    for group, label in ((INTENT, "neutral"), (HAPPENED, "entailment"), (DID_NOT + ("never managed",), "contradiction")):
        premise = sentence[:m.start()] + f"{rng.choice(group)} to {forms[m.group()]}" + sentence[m.end():]
        out.append((premise, sentence, label, f"implicative-{label}"))
    subject, rest = sentence[:m.start()].strip(), sentence[m.end():].rstrip(".")
    determined = subject.split()[:1] in (["The"], ["A"], ["An"], ["Its"], ["His"], ["Her"], ["Their"])
    named = all(w[:1].isupper() for w in subject.split())  # "Galileo", "Joseph Stalin"
    if nominal and 1 <= len(subject.split()) <= 6 and (determined or named) and not re.search(r"[,;:()\"]", subject):
        lowered = subject[0].lower() + subject[1:] if determined else subject
        base = forms[m.group()]
        out += [(f"The {rng.choice(AIMS)} of {lowered} was to {base}{rest}.", sentence, "neutral", "nominal-neutral"),
                (f"{subject} set out to {base}{rest}, and succeeded.", sentence, "entailment", "nominal-entailment"),
                (f"{subject} set out to {base}{rest}, but failed.", sentence, "contradiction", "nominal-contradiction")]
    return out


def verb_pairs(sentence: str, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(premise, hypothesis, label, kind) pairs of a sentence with an intent/attempt phrase: the same plain-past
    hypothesis against the sentence with an intent, a happened and a did-not verb."""
    m = _PHRASE.search(sentence)
    if not m or _NEGATORS.search(sentence[:m.start()]) or (done := past(m.group("do"))) is None:
        return []
    hyp = sentence[:m.start()] + done + sentence[m.end():]
    groups: tuple[tuple[tuple[str, ...], str], ...]
    if m.group("verb"):
        groups = ((INTENT, "neutral"), (HAPPENED, "entailment"), (DID_NOT, "contradiction"))
        make = lambda w: w  # noqa: E731
    else:
        groups = ((INTENT_BE, "neutral"), (HAPPENED_BE, "entailment"), (DID_NOT_BE, "contradiction"))
        make = lambda w: f"{m.group('be')} {w}"  # noqa: E731
    out = []
    for words, label in groups:
        premise = sentence[:m.start()] + f"{make(rng.choice(words))} to {m.group('do')}" + sentence[m.end():]
        out.append((premise, hyp, label, f"implicative-{label}"))
    if rng.random() < 0.3:
        failed = sentence[:m.start()] + f"{make(DID_NOT[0] if m.group('verb') else DID_NOT_BE[0])} to {m.group('do')}" \
            + sentence[m.end():]
        out.append((hyp, failed, "contradiction", "implicative-fact-premise"))
    return out


def clause_pairs(sentence: str) -> list[tuple[str, str, str, str]]:
    """A condition's main clause is not stated (neutral); a cause's or a time clause's main clause is (entailment)."""
    for pattern, label in ((_CONDITION, "neutral"), (_CAUSE, "entailment")):
        if (m := pattern.match(sentence)) and not _NEGATORS.search(m.group("rest")):
            rest = m.group("rest")
            return [(sentence, rest[:1].upper() + rest[1:], label, f"clause-{label}")]
    return []


def pairs(examples: Iterable[dict[str, Any]], *, split: str = "train", limit: int = 0, seed: int = 59,
          nominal: bool = False) -> list[dict[str, Any]]:
    """The pairs of up to ``limit`` sentences (0: all) of the ``split`` passages: every sentence with an intent phrase
    or a leading clause, and one fact sentence per passage."""
    rng = random.Random(seed)
    blocked = _blocked_texts()
    contexts = gold_passages(examples, split, rng)
    forms = past_forms(e["context"] for e in contexts)
    made = (rows for e in outside(contexts, blocked) for rows in _passage_pairs(e, split, rng, forms, nominal))
    return [r for rows in itertools.islice(made, limit or None) for r in rows]


def _passage_pairs(e: dict[str, Any], split: str, rng: random.Random, forms: dict[str, str], nominal: bool
                   ) -> Iterable[list[dict[str, Any]]]:
    context = e["context"]
    base = {"set": "implicative-synth", "split": split, "source": e["source"], "article": e["article"]}
    facts = []
    for s in split_sentences(context):
        sentence = context[s.start:s.end].strip()
        if not (6 <= len(sentence.split()) <= 45 and sentence[:1].isupper() and sentence.endswith(".")):
            continue
        got = verb_pairs(sentence, rng) or clause_pairs(sentence)
        if got:
            yield [{**base, "premise": p, "hypothesis": h, "label": LABELS.index(lab), "kind": k} for p, h, lab, k in got]
        elif len(sentence.split()) <= 30:
            facts.append(sentence)
    rng.shuffle(facts)
    for sentence in facts:
        if got := fact_pairs(sentence, forms, rng, nominal=nominal):
            yield [{**base, "premise": p, "hypothesis": h, "label": LABELS.index(lab), "kind": f"fact-{k}"}
                   for p, h, lab, k in got]
            break
