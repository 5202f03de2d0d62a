"""Product-like entailment pairs made from reading-comprehension questions (no labelling by hand).

The product judges a passage sentence against a claim made from a question. A question with its gold answer
gives such a claim ("When did the war end?" + "1945" -> "The war ended in 1945."), and from it three pairs:

- **entailment**: the sentence that holds the answer -> the claim;
- **contradiction**: the same sentence -> the claim with the answer swapped for another number, date or name of
  the same passage ("The war ended in 1939."), or the claim negated ("The war did not end in 1945.");
- with ``antonyms``: the claim with one of its words replaced by its opposite (``training/nli/antonyms.json``:
  "approved" -> "rejected", "wounded" -> "unharmed"), and that claim as a premise against the plain one, so that
  a contradiction need not carry a "not" or another value;
- the negated claim as a premise contradicts the claim and entails itself (so a "not" in the premise counts too);
- **neutral**: another sentence of the same passage, which does not hold the answer -> the claim (or its
  swapped or negated form, so that a swap or a "not" alone never means contradiction).

Questions come from the reader's **train** split only (``qa_tools.reading``: split by article, the reserved SQuAD
articles and NewsQA never in it); a passage that quotes any of qa's labelled evaluation texts
(``tests/data``) is skipped. Claims are built by rules (``qa.text.questions.to_claim`` plus the wh-word
patterns below); questions no rule covers are skipped.
"""
from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from qa.text.questions import grammar, participle, to_claim
from qa.text.sentences import split_sentences

from .data import LABELS, REPO, _jsonl

_BE_HAVE = frozenset({"is", "was", "are", "were", "has", "have", "had", "can", "could", "will", "would", "should",
                      "may", "might", "must"})
_DO = frozenset({"do", "does", "did"})
_WHEN = re.compile(r"^(when|(in |during |by )?(what|which) (year|month|day|date|decade|century))\b", re.I)
_WHERE = re.compile(r"^(where|(in |at )?(what|which) (city|country|place|town|state|location))\b", re.I)
_NUMBER = re.compile(r"\d+(?:[,.]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w’'-]*(?:[ \t]+(?:of[ \t]+|the[ \t]+|de[ \t]+|van[ \t]+|von[ \t]+)?[A-Z][\w’'-]*){0,3}")
_MONTH_DAY = re.compile(r"^((Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?(January|February|March|"
                        r"April|May|June|July|August|September|October|November|December)\s+\d|^\d{1,2}\s+[A-Z][a-z]+\s+\d")
ANTONYMS = Path(__file__).resolve().parent / "antonyms.json"
SOURCES = ("squad2-train", "squad2-devhalf", "shifts-wiki", "tydi-train", "tydi-train2")  # encyclopedic, like documents


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _strip(claim: str) -> str:
    return claim.rstrip(". ")


def _finish(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:] + "."


def _first_aux(words: Sequence[str], lo: int, hi: int) -> int:
    g = grammar()
    for i in range(lo, min(hi, len(words))):
        if words[i].lower() in g["auxiliaries"]:
            return i
    return -1


def _preposition_or_participle(word: str) -> bool:
    return word.lower() in grammar()["prepositions"] or participle(word)


def claims(question: str, answer: str, *, negate: bool = False) -> str | None:
    """The declarative claim that ``question`` with ``answer`` makes (negated if asked); None if no rule fits."""
    q = re.sub(r"[?!.\s]+$", "", question.strip())
    words = q.split()
    if len(words) < 3 or len(words) > 25:
        return None
    place = _WHEN.match(q) or _WHERE.match(q)
    if place:
        return _place_claim(words, len(place.group(0).split()), answer, negate, when=bool(_WHEN.match(q)))
    w0 = words[0].lower()
    if w0 in ("who", "what", "which", "whom") or q.lower().startswith(("how many", "how much")):
        return _wh_claim(words, answer, negate)
    return None


def _place_claim(words: list[str], head: int, answer: str, negate: bool, *, when: bool) -> str | None:
    """"When did the war end" + A -> "The war ended in A" (``head``: the words of the wh-phrase)."""
    if head >= len(words) or words[head].lower() not in grammar()["auxiliaries"]:
        return None
    base = _claim_from(words[head:], negate)
    if base is None:
        return None
    prep = "on" if when and _MONTH_DAY.match(answer) else "in"
    if (_strip(base).split()[-1].lower() in grammar()["prepositions"]
            or answer.split()[0].lower() in grammar()["prepositions"]):
        prep = ""
    return _finish(f"{_strip(base)} {prep} {answer}")


def _wh_claim(words: list[str], answer: str, negate: bool) -> str | None:  # noqa: PLR0911 - one return per pattern
    """Who / what / which / how many questions: the answer takes the wh-phrase's place."""
    w0 = words[0].lower()
    head = 2 if w0 == "how" else 1
    aux = _first_aux(words, head, head + 4)
    np_words = words[head:aux] if aux > 0 else []
    count = w0 == "how" and re.fullmatch(r"[\d,.]+", answer) is not None
    if aux > 0 and words[aux].lower() in _DO or (aux > 0 and _preposition_or_participle(words[-1])
                                               and words[aux].lower() in _BE_HAVE and aux + 1 < len(words) - 1):
        # object question: "What did X build" -> "X built A"; "Who was X married to" -> "X was married to A"
        base = _claim_from(words[aux:], negate)
        if base is None:
            return None
        obj = f"{answer} {' '.join(np_words)}" if count else answer
        return _finish(f"{_strip(base)} {obj}")
    if count and aux < 0 and not negate:
        return _finish(f"{answer} {' '.join(words[head:])}")  # "How many people live in X" -> "A people live in X"
    if aux == head or (aux < 0 and w0 == "who"):
        # subject question: "Who founded X" -> "A founded X"; "What is the capital" -> "A is the capital"
        subject = f"{answer} {' '.join(np_words)}" if count and np_words else answer
        rest = words[head:]
        if negate:
            if rest[0].lower() not in ("is", "was", "are", "were") or len(answer.split()) > 4:
                return None
            rest = [rest[0], "not", *rest[1:]]
        return _finish(f"{subject} {' '.join(rest)}")
    if count and aux > head and np_words and words[aux].lower() in _BE_HAVE:
        # "How many students were enrolled" -> "A students were enrolled"
        rest = words[aux:]
        if negate:
            rest = [rest[0], "not", *rest[1:]]
        return _finish(f"{answer} {' '.join(np_words)} {' '.join(rest)}")
    return None


def _claim_from(words: Sequence[str], negate: bool) -> str | None:
    """``to_claim`` of the yes/no question these words make ("did the war end" -> "The war ended.")."""
    if negate:
        aux = words[0].lower()
        neg = {"can": "can't", "will": "won't"}.get(aux, aux + "n't")
        words = [neg, *words[1:]]
    claim = to_claim(" ".join(words) + "?")
    if claim is None or (negate and " not " not in f" {claim} "):
        return None
    return claim


def antonym_table(path: Path = ANTONYMS) -> dict[str, str]:
    """word -> its opposite, both ways (the file's pairs, checked: two different lower-case words each)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for pair in raw["pairs"]:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(w, str) and w == w.lower() and w.strip()
                                                                  for w in pair) and pair[0] != pair[1]):
            raise ValueError(f"{path}: a pair must be two different lower-case words: {pair!r}")
        table.setdefault(pair[0], pair[1])
        table.setdefault(pair[1], pair[0])
    return table


def opposite(claim: str, answer: str, table: dict[str, str]) -> str | None:
    """``claim`` with its first lower-case word that has an opposite (outside the answer) replaced by it, or None."""
    inside = {w.lower() for w in re.findall(r"[A-Za-z]+", answer)}
    for m in re.finditer(r"[A-Za-z]+", claim):
        word = m.group(0)
        other = table.get(word)  # lower-case words only: "The Walking Dead" is a name
        if other is None or word in inside:
            continue
        return claim[: m.start()] + other + claim[m.end():]
    return None


def _swap(answer: str, context: str, golds: Sequence[str], question: str, rng: random.Random, *,
          sentence: str = "") -> str | None:
    """Another number / name of the passage in place of the answer (a different value), or None. With
    ``sentence`` (the one holding the answer), one of its own numbers / names when it has any: the hardest
    swap, as every other word of the claim is still in the sentence ("Who admitted to the attack?" answered by the
    attack's target, not its author: the reader's typical wrong span, which the span check must not pass)."""
    nums = _NUMBER.findall(answer)
    gold_norm = {_norm(g) for g in golds}
    if nums:
        old = nums[0]
        pool = [n for n in set(_NUMBER.findall(context)) if n.strip(".,") != old.strip(".,")
                and len(n.strip(".,")) == len(old.strip(".,")) and not any(n in g for g in golds)]
        near = [n for n in pool if re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", sentence)] if sentence else []
        pool = near or pool
        if not pool:
            if not old.isdigit():
                return None
            value = int(old)
            new = value + rng.choice([-1, 1]) * rng.randint(1, 12) if len(old) == 4 else max(2, value * rng.choice([2, 3]) + 1)
            pool = [str(new)]
        return answer.replace(old, rng.choice(sorted(pool)), 1)
    if not answer[:1].isupper():
        return None
    q = _norm(question)
    pool = sorted({m.group(0).strip(" .") for m in _NAME.finditer(context)
                   if m.start() > 0 and context[m.start() - 2:m.start()].strip() not in (".", "")})
    lowered = context.lower()
    several = len(answer.split()) > 1
    pool = [p for p in pool if len(p) > 3 and _norm(p) not in q and not any(_norm(p) in g or g in _norm(p) for g in gold_norm)
            and len(p.split()) <= max(3, len(answer.split()) + 1) and (len(p.split()) > 1) == several
            and not re.search(rf"(?<![\w.] ){re.escape(p.lower())}", lowered)
            and p.lower() not in re.sub(re.escape(p), "", context).lower()]
    near = [p for p in pool if p in sentence] if sentence else []
    pool = near or pool
    if not pool:
        return None
    return rng.choice(pool)


def _blocked_texts() -> list[str]:
    """Every premise, quote and source text of qa's labelled evaluation sets (never trained on)."""
    data = REPO / "tests" / "data"
    out: list[str] = [r["premise"] for r in _jsonl(data / "nli_product.jsonl") if r["split"] != "train"]
    for name in ("claim_support.jsonl", "claim_support_more.jsonl", "conflict_pairs.jsonl", "conflict_pairs_more.jsonl"):
        for r in _jsonl(data / name):
            out.extend(r.get("quotes", []))
            out.extend(side["text"] for key in ("a", "b") if isinstance(side := r.get(key), dict))
    return [_norm(t)[:120] for t in out if len(t) > 30]


def gold_passages(examples: Iterable[dict[str, Any]], split: str, rng: random.Random) -> list[dict[str, Any]]:
    """One example per distinct passage of ``split`` from the encyclopedic ``SOURCES``, shuffled by ``rng`` (the
    sentences ``edits`` and ``implicatives`` make pairs from)."""
    seen: set[str] = set()
    contexts = []
    for e in examples:
        if e["split"] == split and e["kind"] == "gold" and e["source"] in SOURCES and e["paragraph"] not in seen:
            seen.add(e["paragraph"])
            contexts.append(e)
    rng.shuffle(contexts)
    return contexts


def outside(examples: Iterable[dict[str, Any]], blocked: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The examples whose passage quotes none of the ``blocked`` texts (``_blocked_texts``)."""
    for e in examples:
        flat = _norm(e["context"])
        if not any(b in flat for b in blocked):
            yield e


def _question_pair(e: dict[str, Any], golds: Sequence[str]) -> tuple[str, str, str, list[str]] | None:
    """(answer, claim, the sentence holding the answer, the passage's other sentences without it) or None."""
    context = e["context"]
    gold = e["answers"][0]
    answer = gold["text"].strip()
    if not answer or len(answer.split()) > 6:
        return None
    claim = claims(e["question"], answer)
    if claim is None:
        return None
    sents = [(s.start, s.end) for s in split_sentences(context)]
    holder = next(((a, b) for a, b in sents if a <= gold["start"] < b), None)
    if holder is None or gold["start"] + len(answer) > holder[1] + 1:
        return None
    premise = context[holder[0]:holder[1]].strip()
    if len(premise) > 600:
        return None
    others = [context[a:b].strip() for a, b in sents if (a, b) != holder
              and not any(_norm(g) in _norm(context[a:b]) for g in golds) and 20 < b - a < 600]
    return answer, claim, premise, others


def pairs(examples: Iterable[dict[str, Any]], *, split: str = "train", limit: int = 0, seed: int = 41,
          negations: bool = True, antonyms: bool = False, same_sentence: float = 0.0) -> list[dict[str, Any]]:
    """Entailment / neutral / contradiction pairs (about a third each) from the ``split`` questions' gold answers
    (``negations=False``: no negated claims, only swapped answers contradict; ``antonyms``: claims with a word
    replaced by its opposite contradict too; ``same_sentence``: the share of questions whose swapped answer is
    taken from the answer's own sentence when it holds another number / name, ``_swap``)."""
    rng = random.Random(seed)
    table = antonym_table() if antonyms else {}
    blocked = _blocked_texts()
    pool = [e for e in examples if e["split"] == split and e["answers"] and e["kind"] == "gold" and e["source"] in SOURCES]
    rng.shuffle(pool)
    out: list[dict[str, Any]] = []
    used = 0
    for e in outside(pool, blocked):
        if limit and used >= limit:
            break
        context = e["context"]
        golds = [a["text"] for a in e["answers"]]
        found = _question_pair(e, golds)
        if found is None:
            continue
        answer, claim, premise, others = found
        used += 1
        base = {"set": "qa-synth", "split": split, "source": e["source"], "article": e["article"]}
        out.append({**base, "premise": premise, "hypothesis": claim, "label": LABELS.index("entailment"), "kind": "qa-gold"})
        near = premise if same_sentence and rng.random() < same_sentence else ""
        swapped = _swap(answer, context, golds, e["question"], rng, sentence=near)
        swapped_claim = claims(e["question"], swapped) if swapped else None
        negated = claims(e["question"], answer, negate=True) if negations else None
        flipped = opposite(claim, answer, table) if table else None
        options = [(k, c) for k, c in (("qa-swap", swapped_claim), ("qa-negated", negated), ("qa-antonym", flipped))
                   if c and c != claim]
        if flipped and flipped != claim and rng.random() < 0.5:
            # the opposite as the premise: "X rejected the plan" contradicts "X approved the plan" too
            out.append({**base, "premise": flipped, "hypothesis": claim, "label": LABELS.index("contradiction"),
                        "kind": "qa-antonym-premise"})
        if options:
            kind, contra = rng.choice(options)
            out.append({**base, "premise": premise, "hypothesis": contra, "label": LABELS.index("contradiction"), "kind": kind})
        if negated and negated != claim and rng.random() < 0.3:
            # a "not" in the premise counts too: the negated claim contradicts the claim and entails itself
            out.append({**base, "premise": negated, "hypothesis": claim, "label": LABELS.index("contradiction"),
                        "kind": "qa-negated-premise"})
            out.append({**base, "premise": negated, "hypothesis": negated, "label": LABELS.index("entailment"),
                        "kind": "qa-negated-both"})
        if others:
            words = set(re.findall(r"\w+", claim.lower()))
            others.sort(key=lambda s: -len(words & set(re.findall(r"\w+", s.lower()))))
            other = others[0] if rng.random() < 0.7 else rng.choice(others)
            hyp_kind, hyp = rng.choice([("qa-other-sentence", claim), *[(f"{k}-other-sentence", c) for k, c in options]])
            out.append({**base, "premise": other, "hypothesis": hyp, "label": LABELS.index("neutral"), "kind": hyp_kind})
    return out


def load_examples(path: Path) -> list[dict[str, Any]]:
    """The reader's examples (``python -m training.reader.data``), read line by line (the file is large)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
