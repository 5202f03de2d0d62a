"""Answer evaluation: is the gold answer inside the quoted answer, how long are answers, when do we abstain?

- ``squad-answers``: SQuAD v1.1 dev, all 2,067 paragraphs as one corpus. Gold-in-answer (SQuAD's answer
  normalisation: lower-case, no punctuation or articles, collapsed whitespace) over the quoted text of the
  answer, mean quoted characters per answered question, share answered; abstention on off-topic questions
  (SciFact claims asked against the SQuAD corpus) and on hard negatives (SQuAD questions asked against the
  corpus without their own article). Questions are split by article: articles ``i % 5 == 0`` are the dev
  slice the weights and thresholds were tuned on, the rest is ``test`` (the default report).
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
import re
import string
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.claims import check
from qa.answer.compose import quotes_answer
from qa.answer.config import DEFAULT_CONFIG, AnswerConfig
from qa.answer.evidence import Evidence, gather, warm
from qa.embed.base import Embedder
from qa.embed.cache import VECTORS
from qa.embed.registry import default_embedder
from qa.embed.words import word_vectors
from qa.index import ChunkingConfig, Index, build_index
from qa.paths import cache_dir
from qa.text.sentences import quote_spans
from qa.types import Answer, Document

from .evaluation import EvalResult, index_for, load_multihop, load_squad

logger = logging.getLogger(__name__)

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "data" / "conflict_pairs.jsonl"


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


def squad_split(questions: list[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """``dev`` = questions of articles i % 5 == 0 (tuning), ``test`` = the others, ``all`` = everything."""
    if split == "all":
        return questions
    articles: dict[str, int] = {}
    for q in questions:
        articles.setdefault(q["doc_id"].rsplit("#", 1)[0], len(articles))
    want = 0 if split == "dev" else 1
    if split not in ("dev", "test"):
        raise ValueError(f"unknown split {split!r}; choose dev, test or all")
    return [q for q in questions if (articles[q["doc_id"].rsplit("#", 1)[0]] % 5 != 0) == bool(want)]


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
            for t, v in zip(json.loads(str(z["texts"])), z["vectors"]):
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
        known.update(zip(todo, vecs))
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
    VECTORS.maxsize = max(VECTORS.maxsize, len(ordered) + 10_000)
    VECTORS.put_many(index.embedder, ordered, cached_vectors(ordered, index.embedder, name, query=False, progress=progress))
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


def run_questions(index: Index, questions: Sequence[str], golds: Sequence[Sequence[str]] | None,
                  vectors: np.ndarray, *, k: int = 5, config: AnswerConfig = DEFAULT_CONFIG,
                  doc_filters: Sequence[Any] | None = None, positive: bool = True,
                  progress: bool = False, desc: str = "answering",
                  keep_evidence: list[Evidence] | None = None) -> list[AnswerRecord]:
    out = []
    for i in _progress(range(len(questions)), progress, desc):
        q = questions[i]
        ev = gather(index, q, k=k, config=config, query_vector=vectors[i],
                    doc_ids=doc_filters[i] if doc_filters is not None else None)
        if keep_evidence is not None:
            keep_evidence.append(ev)
        ans = quotes_answer(index, q, q, ev, config)
        text = quoted_text(ans)
        hit = bool(golds) and ans.found and contains_answer(text, golds[i])
        out.append(AnswerRecord(q, positive, ans.found, hit, len(text) if ans.found else 0, ev.best, ans.conflict))
    return out


def answer_metrics(pos: Sequence[AnswerRecord], negs: dict[str, Sequence[AnswerRecord]]) -> dict[str, float]:
    answered = [r for r in pos if r.found]
    m = {
        "gold_in_answer": float(np.mean([r.hit for r in pos])) if pos else 0.0,
        "gold_in_answer_if_answered": float(np.mean([r.hit for r in answered])) if answered else 0.0,
        "mean_quoted_chars": float(np.mean([r.chars for r in answered])) if answered else 0.0,
        "answered": len(answered) / len(pos) if pos else 0.0,
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


def eval_squad_answers(path: str | Path, *, split: str = "test", limit: int | None = None,
                       negatives: str | Path | None = None, hard_negatives: int | None = 1000,
                       index_dir: Path | None = None, embedder: Embedder | None = None,
                       config: AnswerConfig = DEFAULT_CONFIG, k: int = 5, progress: bool = False) -> EvalResult:
    """Answer metrics on SQuAD v1.1 dev (see the module docstring). ``negatives`` is SciFact's
    ``queries.jsonl`` (default: ``beir-scifact/queries.jsonl`` beside the SQuAD folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "dev-v1.1.json"
    docs, questions = load_squad(path)
    qs = squad_split(questions, split)[:limit]
    index = index_for("squad-v1.1", docs, index_dir, embedder or default_embedder(), ChunkingConfig(), progress)
    warm(index)
    warm_sentences(index, "squad-v1.1", progress)
    texts = [q["question"] for q in qs]
    vecs = cached_vectors(texts, index.embedder, "squad-v1.1", query=True)
    t0 = time.perf_counter()
    pos = run_questions(index, texts, [q["answers"] for q in qs], vecs, k=k, config=config, progress=progress,
                        desc="squad")
    seconds = time.perf_counter() - t0
    negs: dict[str, list[AnswerRecord]] = {}
    neg_path = Path(negatives) if negatives else path.parent.parent / "beir-scifact" / "queries.jsonl"
    if neg_path.exists():
        claims = scifact_claims(neg_path, split)[:limit]
        cv = cached_vectors(claims, index.embedder, "scifact-claims", query=True)
        negs["offtopic"] = run_questions(index, claims, None, cv, k=k, config=config, positive=False,
                                         progress=progress, desc="off-topic")
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
        negs["other_article"] = run_questions(index, [q["question"] for q in hard], None, hv, k=k, config=config,
                                              doc_filters=filters, positive=False, progress=progress,
                                              desc="other-article")
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
                       ChunkingConfig(max_tokens=256), progress)
    warm(index)
    nonnull = [q for q in queries if q["question_type"] != "null_query"][:limit]
    null = [q for q in queries if q["question_type"] == "null_query"][:limit]
    texts = [q["query"] for q in nonnull] + [q["query"] for q in null]
    vecs = cached_vectors(texts, index.embedder, "multihop-rag", query=True)
    hits, by_type, found = [], {}, []
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


# ----------------------------------------------------------------------------------------- conflicts


def load_pairs(path: str | Path = PAIRS) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pair_documents(pairs: Sequence[dict[str, Any]]) -> list[Document]:
    docs = []
    for p in pairs:
        for side in ("a", "b"):
            d = p[side]
            docs.append(Document(f"{p['id']}-{side}", d["title"], d["text"]))
    return docs


def _prf(outcomes: Sequence[tuple[bool, bool]]) -> dict[str, float]:
    """Precision/recall of ``predicted`` against ``truth`` over (predicted, truth) pairs."""
    tp = sum(p and t for p, t in outcomes)
    fp = sum(p and not t for p, t in outcomes)
    fn = sum(t and not p for p, t in outcomes)
    return {"precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
            "tp": tp, "fp": fp, "fn": fn, "tn": len(outcomes) - tp - fp - fn}


def eval_conflicts(index: Index, pairs: Sequence[dict[str, Any]], config: AnswerConfig = DEFAULT_CONFIG
                   ) -> tuple[EvalResult, list[tuple[dict[str, Any], Answer]]]:
    """Ask each pair's question against its two documents; a predicted conflict must cite both. Metrics for
    all pairs and per ``split`` (``dev``: written first and used while building the detector; ``heldout``:
    written afterwards)."""
    answers = []
    outcomes: dict[str, list[tuple[bool, bool]]] = {"all": []}
    for p in pairs:
        ans = index.ask(p["question"], doc_ids=[f"{p['id']}-a", f"{p['id']}-b"], config=config)
        answers.append((p, ans))
        predicted = ans.conflict and len({c.doc_id for c in ans.citations}) == 2
        for key in ("all", p.get("split", "dev")):
            outcomes.setdefault(key, []).append((predicted, bool(p["conflict"])))
    metrics: dict[str, float] = {}
    for key, outs in outcomes.items():
        for name, value in _prf(outs).items():
            metrics[name if key == "all" else f"{key}_{name}"] = value
    return EvalResult("conflict pairs", len(pairs), metrics, {}, []), answers


def eval_conflict_pairs(path: str | Path = PAIRS, *, embedder: Embedder | None = None,
                        index_dir: Path | None = None) -> EvalResult:
    pairs = load_pairs(path)
    embedder = embedder or default_embedder()
    folder = index_dir or cache_dir() / "eval" / f"conflict-pairs-{hashlib.sha1(embedder.fingerprint.encode()).hexdigest()[:10]}"
    index = build_index(pair_documents(pairs), folder, embedder=embedder)
    return eval_conflicts(index, pairs)[0]


# ----------------------------------------------------------------------------------------- claims


def eval_claims(embedder: Embedder | None = None, path: str | Path = PAIRS.with_name("claim_support.jsonl")) -> EvalResult:
    """The claim checker on hand-labelled (claim, quotes, supported?) items: precision and recall of
    accepting a claim (a claim is accepted when it is kept, with its citation or a repaired one)."""
    embedder = embedder or default_embedder()
    items = load_pairs(path)
    tp = fp = fn = tn = 0
    for it in items:
        marks = "".join(f"[{i + 1}]" for i in range(len(it["quotes"])))
        res = check(f"{it['claim'].rstrip('.')} {marks}.", it["quotes"], embedder.encode_queries, word_vectors(embedder))
        accepted = bool(res.kept) and all(s.status in ("supported", "repaired") for s in res.sentences)
        if accepted and it["supported"]:
            tp += 1
        elif accepted:
            fp += 1
        elif it["supported"]:
            fn += 1
        else:
            tn += 1
    metrics = {"precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
               "unsupported_rejected": tn / (tn + fp) if tn + fp else 1.0, "tp": tp, "fp": fp, "fn": fn, "tn": tn}
    return EvalResult("claim support", len(items), metrics, {}, [])


# ----------------------------------------------------------------------------------------- latency


def latency(index: Index, questions: Sequence[str], *, repeats: int = 2, k: int = 5) -> dict[str, float]:
    """Quotes-mode wall-clock latency of ``index.ask`` in ms. One unmeasured call loads the model; the first
    pass over the questions (sentences and words not embedded yet: ``first_*``) is reported apart from the
    ``repeats`` passes after it (everything cached but the question's own embedding)."""
    warm(index)
    index.ask(questions[0], k=k)

    def timed(qs: Sequence[str]) -> np.ndarray:
        out = []
        for q in qs:
            t0 = time.perf_counter()
            index.ask(q, k=k)
            out.append(1000 * (time.perf_counter() - t0))
        return np.array(out)

    first = timed(questions)
    again = np.concatenate([timed(questions) for _ in range(repeats)])
    return {"p50_ms": float(np.percentile(again, 50)), "p95_ms": float(np.percentile(again, 95)),
            "max_ms": float(again.max()), "first_p50_ms": float(np.percentile(first, 50)),
            "first_p95_ms": float(np.percentile(first, 95)), "n": float(len(again))}


def eval_latency(index: Index, questions: Sequence[str] | None = None, *, repeats: int = 2) -> EvalResult:
    """``latency`` on the sample questions (about the bundled news articles) or on ``questions``."""
    qs = list(questions or SAMPLE_QUESTIONS)
    return EvalResult("quotes-mode latency", len(qs), latency(index, qs, repeats=repeats),
                      {"index": str(index.path), "passages": len(index), "repeats": repeats}, [])


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
    return "\n".join(lines)


SAMPLE_QUESTIONS = [
    "Was Gerasimov wounded?", "Who admitted to carrying out the missile attack?", "Where did the attack take place?",
    "Why did the United States oppose the attack?", "How many officers were killed?", "Which general was killed?",
    "Who is Valery Gerasimov?", "When did the attack happen?", "What did the New York Times report?",
    "What is the boiling point of mercury?", "Who won the 2018 World Cup?", "Where did Gerasimov land?",
    "What did Arsen Avakov report?", "What happened to General Simonov?", "What was in the video of the strikes?",
    "Did Gerasimov leave before the strike?", "How did Russia respond?", "What is the capital of Australia?",
    "Who is Mark Fegin?", "What did the UK intelligence briefing reveal?",
]



__all__ = [
    "AnswerRecord", "answer_metrics", "cached_vectors", "contains_answer", "eval_conflict_pairs", "eval_conflicts",
    "eval_claims", "eval_latency", "eval_multihop_answers", "eval_squad_answers", "format_answer_result", "latency", "load_pairs", "normalize_answer", "pair_documents",
    "quoted_text", "run_questions", "scifact_claims", "squad_split", "warm_sentences",
]
