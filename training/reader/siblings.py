"""No-answer examples from the same document ("sibling" kind): a train question paired with the paragraph of its
own article that best matches it by words (BM25 over that article's paragraphs) and does not hold its answer.

This is the reader's most common mistake in the product: a user's document has many passages, the retriever
hands the reader the top three, mostly of one document, and the reader reads its answer in the wrong one. On
400 SQuAD v1.1 dev questions over all 2,067 paragraphs, the best reading came from another paragraph than the
gold one for a third of them, and was then right 9% of the time. The other negatives do not look like this:
"retrieved" ones come from other articles, "dropped" ones are the question's own paragraph with the answer cut
out. A sibling is a whole paragraph of the same article, on its topic and names, that does not say the answer
(no gold answer string anywhere in it). Sources whose "articles" are unrelated texts (Reddit comments) are left out.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from qa.text.tokens import stopwords, tokenize

from .dropped import holds
from qa_tools.reading import normalize

SOURCES = frozenset({"squad2-train", "squad2-devhalf", "shifts-wiki", "shifts-amazon", "tydi-train", "tydi-train2"})
K1, B = 1.2, 0.75  # BM25


class _Article:
    """An article's paragraphs, tokenized once, for BM25 (IDF within the article: what sets a paragraph apart
    in its own article)."""

    def __init__(self, paragraphs: dict[str, str]) -> None:
        stop = stopwords()
        self.ids = list(paragraphs)
        self.texts = [paragraphs[i] for i in self.ids]
        self.docs = [Counter(t for t in tokenize(p) if t not in stop) for p in self.texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = max(sum(self.lengths) / max(1, len(self.lengths)), 1e-9)
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def bm25(self, question: str) -> list[float]:
        terms = [t for t in dict.fromkeys(tokenize(question)) if t in self.idf]
        return [sum(self.idf[t] * d[t] * (K1 + 1) / (d[t] + K1 * (1 - B + B * length / self.avg)) for t in terms if t in d)
                for d, length in zip(self.docs, self.lengths, strict=True)]


def sibling_negative(ex: dict[str, Any], article: _Article) -> dict[str, Any] | None:
    """The best-matching other paragraph of ``ex``'s ``article`` that holds none of its answers, as a no-answer
    example; None when there is none or no other paragraph shares a word with the question."""
    golds = [normalize(a["text"]) for a in ex["answers"] if normalize(a["text"])]
    if not golds:
        return None
    ranked = sorted(zip(article.bm25(ex["question"]), article.ids, article.texts, strict=True), key=lambda x: -x[0])
    for score, pid, text in ranked:
        if score <= 0:
            return None
        if pid != ex["paragraph"] and not holds(text, golds):
            return {**ex, "id": f"{ex['id']}-sibling", "paragraph": pid, "context": text, "answers": [],
                    "kind": "sibling"}
    return None


def sibling_negatives(examples: Sequence[dict[str, Any]], n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Up to ``n`` sibling negatives from a shuffled draw of the answerable ``examples`` of ``SOURCES``."""
    if n <= 0:
        return []
    articles: dict[tuple[str, str], dict[str, str]] = {}
    for e in examples:
        if e["source"] in SOURCES and e["kind"] in ("gold", "unanswerable"):
            articles.setdefault((e["source"], e["article"]), {})[e["paragraph"]] = e["context"]
    pool = [e for e in examples if e["source"] in SOURCES and e["kind"] == "gold" and e["answers"]
            and len(articles.get((e["source"], e["article"]), {})) > 1]
    rng.shuffle(pool)
    read: dict[tuple[str, str], _Article] = {}
    out: list[dict[str, Any]] = []
    for ex in pool:
        key = (ex["source"], ex["article"])
        if key not in read:
            read[key] = _Article(articles[key])
        neg = sibling_negative(ex, read[key])
        if neg is not None:
            out.append(neg)
            if len(out) >= n:
                break
    return out
