"""Reading-comprehension data and the reader's gold-passage evaluation (``python -m qa eval reader``).

Shared by ``training/reader`` (which trains on the ``train`` split) and the evaluation commands. Rules of
../shared/data (see its READMEs), enforced here: the six reserved SQuAD v1.1 dev articles are never put in a
training or fitting split; NewsQA dev (and MultiHop-RAG, not read here) are evaluation only (``heldout``);
every split is by article, so a paragraph never sits in two splits.

Splits: ``train`` (trained on), ``dev`` (calibration, checkpoint choice), ``heldout`` (reported, never trained
or tuned on). SQuAD v1.1 keeps the answer evaluation's split (articles i % 5 == 0 are dev, the rest held out),
less the articles SQuAD 2.0 dev-half shares with it that the reader trains or is calibrated on there.
"""
from __future__ import annotations

import collections
import gzip
import hashlib
import json
import math
import re
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.reader.windows import Span, batch, best_span, windows

RESERVED = frozenset({"Normans", "Rhine", "Nikola_Tesla", "Amazon_rainforest", "Kenya", "Victoria_and_Albert_Museum"})
FILES = {
    "squad1": "squad-v1.1/dev-v1.1.json",
    "squad2-train": "reading-comprehension/squad2-train-subset/train-v2.0.json",
    "squad2-devhalf": "reading-comprehension/squad2-dev-half/dev-v2.0-15-articles.json",
    "tydi-train": "reading-comprehension/tydiqa-en/tydiqa.en.train.json",
    "tydi-train2": "reading-comprehension/tydiqa-en/tydiqa.en.dev.json",
    "tydi-dev": "reading-comprehension/tydiqa-en/tydiqa-goldp-dev-english.json",
    "shifts-wiki": "reading-comprehension/squadshifts/new_wiki_v1.0.json",
    "shifts-amazon": "reading-comprehension/squadshifts/amazon_reviews_v1.0.json",
    "shifts-reddit": "reading-comprehension/squadshifts/reddit_v1.0.json",
    "newsqa": "reading-comprehension/newsqa-dev/NewsQA.jsonl.gz",
}
Runner = Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _bucket(key: str, n: int = 10) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % n


def _hash_split(key: str) -> str:
    """A stable 60 / 10 / 30 split of articles by name."""
    b = _bucket(key)
    return "train" if b < 6 else "dev" if b == 6 else "heldout"


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower-case, no punctuation or articles, collapsed whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"“", "”", "’", "‘", "–", "—"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _verbatim(spans: list[dict[str, Any]], context: str) -> list[dict[str, Any]]:
    """SQuAD answer spans as ``{"text", "start"}``, those found verbatim at their offset only."""
    return [{"text": a["text"], "start": a["answer_start"]} for a in spans
            if context[a["answer_start"]:a["answer_start"] + len(a["text"])] == a["text"]]


def _squad_like(source: str, path: Path) -> Iterator[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    seen: set[tuple[str, str]] = set()
    for i, article in enumerate(data):
        title = article.get("title") or ""
        for p, para in enumerate(article["paragraphs"]):
            context = para["context"]
            for qa in para["qas"]:
                if (context, qa["question"]) in seen:
                    continue
                seen.add((context, qa["question"]))
                answers = [] if qa.get("is_impossible") else _verbatim(qa["answers"], context)
                if not qa.get("is_impossible") and not answers:
                    continue
                example = {"source": source, "article": title or f"{source}-{i}", "article_index": i,
                           "paragraph": f"{title or i}#{p}", "id": qa["id"], "question": qa["question"],
                           "context": context, "answers": answers, "kind": "unanswerable" if not answers else "gold"}
                plausible = _verbatim(qa.get("plausible_answers", []), context)
                if plausible and not answers:  # SQuAD 2.0: the span a written unanswerable seems to ask for
                    example["plausible"] = plausible
                yield example


def _squad1_split(ex: dict[str, Any]) -> str | None:
    if ex["article"] in RESERVED:
        return None
    return "dev" if ex["article_index"] % 5 == 0 else "heldout"


def _squad2_dev_split(ex: dict[str, Any]) -> str:
    i = ex["article_index"]
    return "dev" if i == 0 else "heldout" if i % 2 == 1 else "train"


def _tydi_train_split(ex: dict[str, Any]) -> str:
    return "dev" if _bucket(ex["context"]) == 0 else "train"


# How each source is split (by article; reddit's one "article" holds independent comments: by comment).
SPLITS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "squad1": _squad1_split,
    "squad2-train": lambda ex: "train",
    "squad2-devhalf": _squad2_dev_split,
    "tydi-train": _tydi_train_split,
    "tydi-train2": _tydi_train_split,
    "tydi-dev": lambda ex: "heldout",
    "shifts-wiki": lambda ex: _hash_split(ex["article"]),
    "shifts-amazon": lambda ex: _hash_split(ex["article"]),
    "shifts-reddit": lambda ex: _hash_split(ex["paragraph"]),
}


def split_of(ex: dict[str, Any]) -> str | None:
    """The split of an example (None: reserved, never used)."""
    return SPLITS[ex["source"]](ex)


def _newsqa(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            row = json.loads(line)
            if "header" in row:
                continue
            context = row["context"]
            for q in row["qas"]:
                spans = [s for a in q.get("detected_answers", []) for s in a["char_spans"]]
                answers = [{"text": context[s:e + 1], "start": s} for s, e in spans]
                if answers:
                    yield {"source": "newsqa", "article": f"newsqa-{i}", "article_index": i,
                           "paragraph": f"newsqa-{i}", "id": q["qid"], "question": q["question"],
                           "context": context, "answers": answers, "kind": "gold", "split": "heldout"}


def load_all(data: Path) -> list[dict[str, Any]]:
    """Every usable example of ``FILES`` under ``data`` (../shared/data), each with its ``split``."""
    out: list[dict[str, Any]] = []
    for source, rel in FILES.items():
        if source == "newsqa":
            out.extend(_newsqa(data / rel))
            continue
        for ex in _squad_like(source, data / rel):
            split = split_of(ex)
            if split is not None:
                ex["split"] = split
                out.append(ex)
    if any(e["article"] in RESERVED and e["source"] == "squad1" for e in out):
        raise AssertionError("a reserved SQuAD article slipped into the data")
    # SQuAD 2.0 dev-half holds SQuAD v1.1 dev articles: those the reader trains or is calibrated on there are no
    # held-out test of it in SQuAD v1.1 either (the same paragraphs, most of the same questions)
    return _without_fitted_squad1(out, squad2_fitted_articles(data))


def _without_fitted_squad1(examples: list[dict[str, Any]], fitted: set[str] | frozenset[str]) -> list[dict[str, Any]]:
    """``examples`` less the held-out SQuAD v1.1 ones of an article in ``fitted`` (``squad2_fitted_articles``)."""
    return [e for e in examples if not (e["source"] == "squad1" and e["split"] == "heldout" and e["article"] in fitted)]


def squad2_fitted_articles(data: Path) -> frozenset[str]:
    """The SQuAD 2.0 dev-half articles (titles) the reader trains on or is calibrated on (``_squad2_dev_split``):
    they are SQuAD v1.1 dev articles too, so no SQuAD v1.1 held-out figure may count them."""
    articles = json.loads((data / FILES["squad2-devhalf"]).read_text(encoding="utf-8"))["data"]
    return frozenset(a["title"] for i, a in enumerate(articles) if _squad2_dev_split({"article_index": i}) != "heldout")


# ----------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Prediction:
    text: str  # best span (always filled when the context has tokens)
    start: int
    end: int
    margin: float  # best span score - no-answer score (higher: more likely answered)


def predict(examples: Sequence[dict[str, Any]], run: Runner, batch_size: int = 32) -> list[Prediction]:
    """The reader's best span and margin for each example's (question, context)."""
    items: list[tuple[int, Any]] = []
    for i, ex in enumerate(examples):
        items.extend((i, w) for w in windows(ex["question"], ex["context"]))
    order = sorted(range(len(items)), key=lambda k: len(items[k][1].input_ids))
    best: dict[int, Span] = {}
    nulls: dict[int, float] = {}
    for b in range(0, len(order), batch_size):
        chunk = [items[k] for k in order[b:b + batch_size]]
        start, end = run(batch([w for _, w in chunk]))
        for (i, w), s, e in zip(chunk, start, end, strict=True):
            span = best_span(w, s, e)
            nulls[i] = min(nulls.get(i, math.inf), float(s[0] + e[0]))
            if span is not None and (i not in best or span.score > best[i].score):
                best[i] = span
    out = []
    for i, ex in enumerate(examples):
        sp = best.get(i)
        if sp is None:
            out.append(Prediction("", 0, 0, -math.inf))
        else:
            out.append(Prediction(ex["context"][sp.start:sp.end], sp.start, sp.end, sp.score - nulls[i]))
    return out


def f1(pred: str, gold: str) -> float:
    p, g = normalize(pred).split(), normalize(gold).split()
    if not p or not g:
        return float(p == g)
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def score(examples: Sequence[dict[str, Any]], preds: Sequence[Prediction], threshold: float = 0.0) -> dict[str, Any]:
    """SQuAD 2.0 scoring: an example is answered when ``margin > threshold``; no-answer gold wants no answer."""
    rows: dict[str, list[tuple[float, float, bool]]] = collections.defaultdict(list)
    for ex, p in zip(examples, preds, strict=True):
        answered = p.margin > threshold
        golds = [a["text"] for a in ex["answers"]]
        if golds:
            em = max(float(normalize(p.text) == normalize(g)) for g in golds) if answered else 0.0
            fs = max(f1(p.text, g) for g in golds) if answered else 0.0
        else:
            em = fs = float(not answered)
        for key in ("all", ex["source"], "has_answer" if golds else "no_answer"):
            rows[key].append((em, fs, answered))
    return {k: {"n": len(v), "em": round(100 * float(np.mean([r[0] for r in v])), 2),
                "f1": round(100 * float(np.mean([r[1] for r in v])), 2),
                "answered": round(100 * float(np.mean([r[2] for r in v])), 2)} for k, v in sorted(rows.items())}


def load_split(split: str, path: Path, sources: set[str] | None = None,
               kinds: set[str] | None = None) -> list[dict[str, Any]]:
    """Examples of one split from an ``examples.jsonl`` written by ``training.reader.data``. Held out: never a
    SQuAD v1.1 article that SQuAD 2.0 dev-half trains or calibrates the reader on (as ``load_all``; a file
    written before that rule still labels them held out)."""
    out, fitted = [], set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            ex = json.loads(line)
            if ex["source"] == "squad2-devhalf" and ex["split"] in ("train", "dev"):
                fitted.add(ex["article"])
            if ex["split"] == split and (sources is None or ex["source"] in sources) \
                    and (kinds is None or ex["kind"] in kinds):
                out.append(ex)
    return _without_fitted_squad1(out, fitted) if split == "heldout" else out


def eval_reader(data: Path, run: Runner, threshold: float, *, split: str = "heldout",
                limit: int | None = None) -> dict[str, Any]:
    """Gold-passage EM/F1 (overall, has-answer, no-answer, per source) on ``split`` of the data in ``data``."""
    examples = first_per_source([e for e in load_all(data) if e["split"] == split], limit)
    return score(examples, predict(examples, run), threshold)


def first_per_source(examples: Sequence[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` examples of each source, in order (all of them when ``limit`` is 0 or None)."""
    if not limit:
        return list(examples)
    per: collections.Counter[str] = collections.Counter()
    kept = []
    for ex in examples:
        if per[ex["source"]] < limit:
            per[ex["source"]] += 1
            kept.append(ex)
    return kept
