"""Answer evaluation: is the gold answer inside the quoted answer, how long are answers, when do we abstain?

- ``squad-answers``: SQuAD v1.1 dev, all 2,067 paragraphs as one corpus. Gold-in-answer (SQuAD's answer
  normalisation: lower-case, no punctuation or articles, collapsed whitespace) over the quoted text of the
  answer, mean quoted characters per answered question, share answered; abstention on off-topic questions
  (SciFact claims asked against the SQuAD corpus) and on hard negatives (SQuAD questions asked against the
  corpus without their own article). Questions are split by article: articles ``i % 5 == 0`` are the dev
  slice the weights and thresholds were tuned on, the rest is ``test`` (the default report), less every article a
  fitted part of the answer path has seen (``fitted_articles``: the entailment model's product-like pairs, and the
  SQuAD 2.0 dev-half articles the reader trains or is calibrated on, which are SQuAD v1.1 dev articles too);
  ``--limit`` draws that many at random (seeded) across the split's articles.
- ``multihop-answers``: MultiHop-RAG, quotes mode: share of non-null queries whose answer string appears in
  the answer text, and abstention on the null queries.
- ``conflicts``: the labelled agreeing/disagreeing passage pairs of ``tests/data/conflict_pairs.jsonl``.
- ``latency``: quotes-mode latency percentiles on an index.

Sentence and query vectors are cached under ``~/.cache/qa/eval/`` so a re-run embeds nothing new.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import string
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.compose import quotes_answer
from qa.answer.config import DEFAULT_CONFIG, AnswerConfig
from qa.answer.evidence import Evidence, gather, warm
from qa.embed.base import Embedder
from qa.embed.registry import default_embedder
from qa.index import ChunkingConfig, Index
from qa.paths import cache_dir
from qa.text.sentences import quote_spans
from qa.types import Answer

from .checks import eval_claims, eval_conflict_pairs, eval_conflicts, eval_latency, latency, load_pairs, pair_documents
from .evaluation import EvalResult, index_for, load_multihop, load_squad

logger = logging.getLogger(__name__)



# ----------------------------------------------------------------------------------------- helpers


def normalize_answer(text: str) -> str:
    """SQuAD's official normalisation: lower-case, punctuation and articles removed, whitespace collapsed."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"“", "”", "’", "‘", "–", "—"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_answer(text: str, golds: Iterable[str]) -> bool:
    norm = f" {normalize_answer(text)} "
    return any(f" {normalize_answer(g)} " in norm for g in golds if normalize_answer(g))


def quoted_text(ans: Answer) -> str:
    return " ".join(c.quote for c in ans.citations)


_LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data"
NLI_PRODUCT = (_LABELLED / "nli_product.jsonl", _LABELLED / "nli_product_more.jsonl")


@lru_cache(maxsize=1)
def entailment_fitted_articles(paths: tuple[Path, ...] = NLI_PRODUCT) -> frozenset[str]:
    """The SQuAD v1.1 articles whose sentences gave the entailment model's product-like **train or dev** pairs
    (``tests/data/nli_product.jsonl`` and ``nli_product_more.jsonl``, ``source`` = "squad1:<article>"). The answer
    path runs that model (the check of the reader's span, the found / not-found gate), so their questions are no
    held-out test of it."""
    out = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            row = json.loads(line) if line.strip() else {}
            source = str(row.get("source", ""))
            if row.get("split") in ("train", "dev") and source.startswith("squad1:"):
                out.add(source.split(":", 1)[1])
    return frozenset(out)


def sample(items: Sequence[Any], limit: int | None, seed: int = 7) -> list[Any]:
    """``limit`` items drawn at random (seeded) from every article, in their original order; all when no limit.
    (The first ``limit`` would be two or three articles.)"""
    if not limit or limit >= len(items):
        return list(items)
    keep = sorted(random.Random(seed).sample(range(len(items)), limit))
    return [items[i] for i in keep]


def fitted_articles(data: Path) -> frozenset[str]:
    """Every SQuAD v1.1 dev article a fitted part of the answer path has seen: those of the entailment model's
    product-like train/dev pairs, and those SQuAD 2.0 dev-half shares with SQuAD v1.1 that the reader trains or
    is calibrated on (``data``: ../shared/data)."""
    from .reading import squad2_fitted_articles

    return entailment_fitted_articles() | squad2_fitted_articles(data)


def squad_split(questions: list[dict[str, Any]], split: str, exclude: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """``dev`` = questions of articles i % 5 == 0 (tuning), ``test`` = the others, less ``exclude`` (default:
    the articles the entailment model was trained or tuned on, ``entailment_fitted_articles``; the evaluations
    pass ``fitted_articles``), ``all`` = everything."""
    if split == "all":
        return questions
    articles: dict[str, int] = {}
    for q in questions:
        articles.setdefault(q["doc_id"].rsplit("#", 1)[0], len(articles))
    if split not in ("dev", "test"):
        raise ValueError(f"unknown split {split!r}; choose dev, test or all")
    if split == "dev":
        return [q for q in questions if articles[q["doc_id"].rsplit("#", 1)[0]] % 5 == 0]
    fitted = entailment_fitted_articles() if exclude is None else exclude
    return [q for q in questions if articles[a := q["doc_id"].rsplit("#", 1)[0]] % 5 != 0 and a not in fitted]


def scifact_claims(path: Path, split: str) -> list[str]:
    """SciFact claims (the off-topic negatives), split like SQuAD: ``_id`` % 5 == 0 is dev."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            dev = int(r["_id"]) % 5 == 0
            if split == "all" or (split == "dev") == dev:
                out.append(r["text"])
    return out


def _vector_file(kind: str, embedder: Embedder, name: str) -> Path:
    fp = hashlib.sha1(embedder.fingerprint.encode()).hexdigest()[:10]
    return cache_dir() / "eval" / f"{kind}-{name}-{fp}.npz"


def cached_vectors(texts: Sequence[str], embedder: Embedder, name: str, *, query: bool,
                   progress: bool = False) -> np.ndarray:
    """Vectors for ``texts``, cached on disk by text (only new texts are embedded)."""
    path = _vector_file("queries-alone" if query else "sentences", embedder, name)  # (queries encoded one by one)
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            for t, v in zip(json.loads(str(z["texts"])), z["vectors"], strict=True):
                known[t] = v
    todo = sorted({t for t in texts if t not in known})
    if todo:
        logger.info("embedding %d %s for %s", len(todo), "queries" if query else "sentences", name)
        if query:
            vecs = embedder.encode_queries(todo)
        elif progress:
            from tqdm import tqdm

            with tqdm(total=len(todo), desc="embedding sentences", unit="sentence") as bar:
                vecs = embedder.encode_documents(todo, progress=bar.update)
        else:
            vecs = embedder.encode_documents(todo)
        known.update(zip(todo, vecs, strict=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(known)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, texts=np.array(json.dumps(keys)), vectors=np.stack([known[k] for k in keys]).astype(np.float32))
        tmp.replace(path)
    return np.stack([known[t] for t in texts]) if texts else np.zeros((0, embedder.dim), np.float32)


def warm_sentences(index: Index, name: str, progress: bool = False) -> int:
    """Embed every sentence of the index once (cached on disk) and put them in the in-memory cache."""
    snap = index.snapshot
    texts: set[str] = set()
    for row in range(len(snap.passages)):
        doc = snap.documents[snap.passages.doc_ids[row]].document
        for a, b in quote_spans(doc.text, int(snap.passages.starts[row]), int(snap.passages.ends[row])):
            texts.add(doc.text[a:b])
    ordered = sorted(texts)
    cache = index.embedder.vector_cache()
    cache.maxsize = max(cache.maxsize, len(ordered) + 10_000)
    cache.put_many(index.embedder, ordered, cached_vectors(ordered, index.embedder, name, query=False, progress=progress))
    return len(ordered)


def _progress(items: Sequence[Any], on: bool, desc: str) -> Iterable[Any]:
    if not on:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="question")


# ----------------------------------------------------------------------------------------- SQuAD


@dataclass
class AnswerRecord:
    """One question's outcome (for metrics and for tuning)."""

    question: str
    positive: bool  # a question the corpus answers
    found: bool
    hit: bool  # gold answer inside the quoted text
    chars: int
    best: float
    conflict: bool
    short: bool = False  # a short answer (``Answer.answer``) was given
    short_em: bool = False  # ... and it equals a gold answer (SQuAD normalisation)


@dataclass(frozen=True)
class QuestionSet:
    """Questions to answer in one run: their vectors (cached), gold answers (None for negatives) and document
    filters."""

    questions: Sequence[str]
    vectors: np.ndarray
    golds: Sequence[Sequence[str]] | None = None
    doc_filters: Sequence[Any] | None = None
    positive: bool = True
    desc: str = "answering"


def run_questions(index: Index, qset: QuestionSet, *, k: int = 5, config: AnswerConfig = DEFAULT_CONFIG,
                  progress: bool = False, keep_evidence: list[Evidence] | None = None) -> list[AnswerRecord]:
    out = []
    for i in _progress(range(len(qset.questions)), progress, qset.desc):
        q = qset.questions[i]
        ev = gather(index, q, k=k, config=config, query_vector=qset.vectors[i],
                    doc_ids=qset.doc_filters[i] if qset.doc_filters is not None else None)
        if keep_evidence is not None:
            keep_evidence.append(ev)
        ans = quotes_answer(index, q, q, ev, config)
        text = quoted_text(ans)
        hit = qset.golds is not None and ans.found and contains_answer(text, qset.golds[i])
        golds = qset.golds[i] if qset.golds is not None else []
        short = ans.answer is not None
        em = ans.answer is not None and any(normalize_answer(ans.answer.text) == normalize_answer(g) for g in golds)
        out.append(AnswerRecord(q, qset.positive, ans.found, hit, len(text) if ans.found else 0, ev.best, ans.conflict,
                                short, em))
    return out


def answer_metrics(pos: Sequence[AnswerRecord], negs: Mapping[str, Sequence[AnswerRecord]]) -> dict[str, float]:
    answered = [r for r in pos if r.found]
    m = {
        "gold_in_answer": float(np.mean([r.hit for r in pos])) if pos else 0.0,
        "gold_in_answer_if_answered": float(np.mean([r.hit for r in answered])) if answered else 0.0,
        "mean_quoted_chars": float(np.mean([r.chars for r in answered])) if answered else 0.0,
        "answered": len(answered) / len(pos) if pos else 0.0,
        "short_answer_em": float(np.mean([r.short_em for r in pos])) if pos else 0.0,
        "short_answered": float(np.mean([r.short for r in pos])) if pos else 0.0,
    }
    pos_abstained = len(pos) - len(answered)
    for name, recs in negs.items():
        if not recs:
            continue
        abstained = sum(not r.found for r in recs)
        m[f"abstain_recall_{name}"] = abstained / len(recs)
        # precision over the positives plus this set of negatives
        m[f"abstain_precision_{name}"] = abstained / (abstained + pos_abstained) if abstained + pos_abstained else 1.0
    return m


def eval_squad_answers(  # noqa: PLR0913 - an evaluation entry point: each option is a CLI flag
        path: str | Path, *, split: str = "test", limit: int | None = None,
                       negatives: str | Path | None = None, hard_negatives: int | None = 1000,
                       index_dir: Path | None = None, embedder: Embedder | None = None,
                       config: AnswerConfig = DEFAULT_CONFIG, k: int = 5, progress: bool = False) -> EvalResult:
    """Answer metrics on SQuAD v1.1 dev (see the module docstring). ``negatives`` is SciFact's
    ``queries.jsonl`` (default: ``beir-scifact/queries.jsonl`` beside the SQuAD folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "dev-v1.1.json"
    docs, questions = load_squad(path)
    qs = sample(squad_split(questions, split, fitted_articles(path.parents[1])), limit)
    index = index_for("squad-v1.1", docs, index_dir, embedder or default_embedder(), ChunkingConfig(), progress=progress)
    warm(index)
    warm_sentences(index, "squad-v1.1", progress)
    texts = [q["question"] for q in qs]
    vecs = cached_vectors(texts, index.embedder, "squad-v1.1", query=True)
    t0 = time.perf_counter()
    pos = run_questions(index, QuestionSet(texts, vecs, [q["answers"] for q in qs], desc="squad"), k=k, config=config,
                        progress=progress)
    seconds = time.perf_counter() - t0
    negs: dict[str, list[AnswerRecord]] = {}
    neg_path = Path(negatives) if negatives else path.parent.parent / "beir-scifact" / "queries.jsonl"
    if neg_path.exists():
        claims = scifact_claims(neg_path, split)[:limit]
        cv = cached_vectors(claims, index.embedder, "scifact-claims", query=True)
        negs["offtopic"] = run_questions(index, QuestionSet(claims, cv, positive=False, desc="off-topic"), k=k,
                                         config=config, progress=progress)
    else:
        logger.warning("no off-topic negatives: %s not found", neg_path)
    if hard_negatives:
        hard = qs[:: max(1, len(qs) // hard_negatives)][:hard_negatives]
        by_article: dict[str, list[str]] = {}
        for d in docs:
            by_article.setdefault(d.id.rsplit("#", 1)[0], []).append(d.id)
        all_ids = [d.id for d in docs]
        filters = []
        for q in hard:
            own = set(by_article[q["doc_id"].rsplit("#", 1)[0]])
            filters.append([d for d in all_ids if d not in own])
        hv = cached_vectors([q["question"] for q in hard], index.embedder, "squad-v1.1", query=True)
        hset = QuestionSet([q["question"] for q in hard], hv, doc_filters=filters, positive=False, desc="other-article")
        negs["other_article"] = run_questions(index, hset, k=k, config=config, progress=progress)
    metrics = answer_metrics(pos, negs)
    metrics["ms_per_question"] = 1000 * seconds / max(len(pos), 1)
    return EvalResult("squad-v1.1 answers", len(pos), metrics,
                      {"split": split, "k": k, "answer": asdict(config),
                       "negatives": {n: len(r) for n, r in negs.items()}}, [])


# ----------------------------------------------------------------------------------------- MultiHop


def eval_multihop_answers(folder: str | Path, *, limit: int | None = None, index_dir: Path | None = None,
                          embedder: Embedder | None = None, config: AnswerConfig = DEFAULT_CONFIG, k: int = 5,
                          progress: bool = False) -> EvalResult:
    """MultiHop-RAG in quotes mode: answer string in the answer text (non-null queries), null abstention."""
    folder = Path(folder)
    docs, queries = load_multihop(folder)
    index = index_for("multihop-rag", docs, index_dir, embedder or default_embedder(),
                      ChunkingConfig(max_tokens=256), progress=progress)
    warm(index)
    nonnull = [q for q in queries if q["question_type"] != "null_query"][:limit]
    null = [q for q in queries if q["question_type"] == "null_query"][:limit]
    texts = [q["query"] for q in nonnull] + [q["query"] for q in null]
    vecs = cached_vectors(texts, index.embedder, "multihop-rag", query=True)
    hits: list[bool] = []
    found: list[bool] = []
    by_type: dict[str, list[bool]] = {}
    for i in _progress(range(len(nonnull)), progress, "multihop"):
        q = nonnull[i]
        ev = gather(index, q["query"], k=k, config=config, query_vector=vecs[i])
        ans = quotes_answer(index, q["query"], q["query"], ev, config)
        hit = ans.found and normalize_answer(q["answer"]) in normalize_answer(ans.text)
        hits.append(hit)
        found.append(ans.found)
        by_type.setdefault(q["question_type"], []).append(hit)
    null_abstained = []
    for j in _progress(range(len(null)), progress, "null queries"):
        q = null[j]
        ev = gather(index, q["query"], k=k, config=config, query_vector=vecs[len(nonnull) + j])
        null_abstained.append(not quotes_answer(index, q["query"], q["query"], ev, config).found)
    metrics = {"answer_in_text": float(np.mean(hits)) if hits else 0.0,
               "answered": float(np.mean(found)) if found else 0.0,
               "null_abstained": float(np.mean(null_abstained)) if null_abstained else 0.0}
    for t, h in sorted(by_type.items()):
        metrics[f"answer_in_text_{t.replace('_query', '')}"] = float(np.mean(h))
    return EvalResult("multihop-rag answers", len(nonnull), metrics,
                      {"k": k, "null_queries": len(null), "answer": asdict(config)}, [])


def format_answer_result(result: EvalResult) -> str:
    """One metric per line (answer metrics have long names)."""
    width = max((len(n) for n in result.metrics), default=10) + 2
    lines = [f"{result.dataset}: {result.queries} questions"]
    if result.config:
        lines.append(f"config: {json.dumps(result.config)}")
    lines.append("metric".ljust(width) + "value".rjust(10))
    for name, value in result.metrics.items():
        shown = f"{value:.1f}" if name.endswith(("_ms", "chars")) else (
            f"{int(value)}" if float(value).is_integer() and name in ("tp", "fp", "fn", "tn", "n") or name.endswith(("_tp", "_fp", "_fn", "_tn")) else f"{value:.4f}")
        lines.append(name.ljust(width) + shown.rjust(10))
    for label, metrics in result.baselines:
        lines.append(f"baseline, same run: {label}")
        lines.extend(f"  {name}".ljust(width) + f"{value:.4f}".rjust(10) for name, value in metrics.items())
    return "\n".join(lines)


__all__ = [
    "AnswerRecord", "answer_metrics", "cached_vectors", "contains_answer", "eval_conflict_pairs", "eval_conflicts",
    "eval_claims", "eval_latency", "eval_multihop_answers", "eval_squad_answers", "format_answer_result", "latency", "load_pairs", "normalize_answer", "pair_documents",
    "QuestionSet", "quoted_text", "run_questions", "scifact_claims", "squad_split", "warm_sentences",
]
