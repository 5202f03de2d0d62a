"""Whether a sentence asserts what a claim says, or only an intent, an attempt or a refusal to do it.

A small entailment model reads word overlap as entailment: "..., the purpose of which was to kill General
Gerasimov" -> "Gerasimov was killed." scored 0.76, "Rebels tried to seize the airport." -> "Rebels seized the
airport." 0.89 (qa's hand-written implicative pairs: 28% right). Retraining with intent/attempt pairs taught the
pairs but cost the yes/no questions (model card of ``qa/models/nli``), so this check stays a rule, as data
(``data/frames.json``): a claim's word that the sentence has only as the verb after "to" governed by an intent,
attempt or refusal word a few words before ("tried to kill", "purpose ... was to kill", "in an attempt to
force", "refused to sign") is not asserted there.
"""
from __future__ import annotations

import re
from pathlib import Path

from .tokens import stem, stopwords
from .wordlists import load_wordlists

_DATA = load_wordlists(Path(__file__).resolve().parent / "data" / "frames.json",
                       {"cues": "words", "window": "words", "irregular": "pairs"})
CUES = frozenset(_DATA["cues"])
IRREGULAR: tuple[tuple[str, str], ...] = tuple((base, past) for base, past in _DATA["irregular"])  # simple past first
_BASE_OF = {past: base for base, past in IRREGULAR}
WINDOW = int(_DATA["window"][0])  # how many words before "to" the cue may stand ("the purpose of which was to")
_WORD = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?|[.;:!?]")


def framed_stems(sentence: str) -> tuple[set[str], set[str]]:
    """(stems of the verbs the sentence puts under an intent / attempt / refusal frame, stems of the words it
    uses elsewhere, with the base forms of past tenses)."""
    words = _WORD.findall(sentence)
    framed: set[str] = set()
    plain: set[str] = set()
    for i, w in enumerate(words):
        if not w[0].isalpha():
            continue
        if i >= 2 and words[i - 1].lower() == "to" and _cued(words, i - 1):
            framed.add(stem(w.lower()))
        else:
            plain |= _forms(w.lower())  # "retook" stated is "retake" stated
    return framed, plain


def _cued(words: list[str], to: int) -> bool:
    for j in range(to - 1, max(-1, to - 1 - WINDOW), -1):
        if not words[j][0].isalpha():
            return False  # a clause or sentence boundary
        if words[j].lower() in CUES:
            return True
    return False


def unasserted(premise: str, claim: str) -> bool:
    """Whether ``premise`` has one of ``claim``'s content words only under an intent, attempt or refusal frame
    (so it does not state the claim, whatever the words it shares). A word the claim itself frames ("the purpose
    was to kill") or has as a gerund ("was against eliminating") asserts nothing, and counts for nothing."""
    framed, plain = framed_stems(premise)
    if not framed:
        return False
    stop = stopwords()
    only = framed - plain
    in_claim = framed_stems(claim)[0]  # "The attack's purpose was to kill X" claims no more than its quote
    return any(_forms(w) & only for w in re.findall(r"[a-z]+", claim.lower())
               if w not in stop and stem(w) not in stop | in_claim and not w.endswith("ing"))  # "against eliminating"


def _forms(word: str) -> set[str]:
    """Stems of the base forms a past-tense ``word`` may have ("retook" -> "retak", "sued" -> "sue", "carried" ->
    "carri"), with its own stem."""
    out = {stem(word)}
    if word in _BASE_OF:
        out.add(stem(_BASE_OF[word]))
    if word.endswith("ed") and len(word) > 4:
        out |= {stem(word[:-1]), stem(word[:-2])}
        if word.endswith("ied"):
            out.add(stem(word[:-3] + "y"))
        if len(word) > 5 and word[-3] == word[-4]:
            out.add(stem(word[:-3]))  # "stopped" -> "stop"
    return out
