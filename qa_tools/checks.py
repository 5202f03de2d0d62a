"""Evaluations of the answer checks: the conflict detector on labelled passage pairs, the claim checker on
labelled claims, and quotes-mode latency."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.claims import check
from qa.answer.config import DEFAULT_CONFIG, AnswerConfig
from qa.answer.entail import Entailer
from qa.answer.evidence import warm
from qa.embed.base import Embedder
from qa.embed.registry import default_embedder
from qa.embed.words import word_vectors
from qa.index import Index, build_index
from qa.paths import cache_dir
from qa.types import Answer, Document

from .evaluation import EvalResult

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PAIRS = DATA / "conflict_pairs.jsonl"
CLAIMS = DATA / "claim_support.jsonl"
# written later, with their own dev / heldout split (the first files' items count as dev where unmarked)
MORE_PAIRS = DATA / "conflict_pairs_more.jsonl"
MORE_CLAIMS = DATA / "claim_support_more.jsonl"


def load_all(first: Path, more: Path) -> list[dict[str, Any]]:
    items = load_pairs(first)
    if more.exists():
        items += load_pairs(more)
    return items


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


def _per_split(outcomes: dict[str, list[tuple[bool, bool]]],
               measure: Callable[[Sequence[tuple[bool, bool]]], dict[str, float]]) -> dict[str, float]:
    """``measure`` of every group of (predicted, truth) outcomes: "all" unprefixed, the splits as ``<split>_``."""
    metrics: dict[str, float] = {}
    for key, outs in outcomes.items():
        for name, value in measure(outs).items():
            metrics[name if key == "all" else f"{key}_{name}"] = value
    return metrics


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
    return EvalResult("conflict pairs", len(pairs), _per_split(outcomes, _prf), {}, []), answers


def eval_conflict_pairs(path: str | Path | None = None, *, embedder: Embedder | None = None,
                        index_dir: Path | None = None, config: AnswerConfig = DEFAULT_CONFIG) -> EvalResult:
    """Conflict detection on the labelled pairs (both files unless ``path`` names one) as ``config`` says and,
    in the same run, the word-list rules alone (``entailment=False``) and the entailment model deciding
    conflicts (``entail_conflicts=True``) as baselines."""
    pairs = load_pairs(path) if path else load_all(PAIRS, MORE_PAIRS)
    embedder = embedder or default_embedder()
    tag = hashlib.sha1((embedder.fingerprint + str(len(pairs))).encode()).hexdigest()[:10]
    folder = index_dir or cache_dir() / "eval" / f"conflict-pairs-{tag}"
    index = build_index(pair_documents(pairs), folder, embedder=embedder)
    result = eval_conflicts(index, pairs, config)[0]
    for label, other in (("word-list rules (entailment=False)", replace(config, entailment=False)),
                         ("entailment model (entail_conflicts=True)", replace(config, entailment=True, entail_conflicts=True))):
        if other != config:
            result.baselines.append((label, eval_conflicts(index, pairs, other)[0].metrics))
    return result


# ----------------------------------------------------------------------------------------- claims


def _claim_metrics(outcomes: Sequence[tuple[bool, bool]]) -> dict[str, float]:
    m = _prf(outcomes)
    tn, fp = m["tn"], m["fp"]
    return {**m, "unsupported_rejected": tn / (tn + fp) if tn + fp else 1.0}


def _claims_run(items: Sequence[dict[str, Any]], embedder: Embedder, entailer: Entailer | None) -> dict[str, float]:
    outcomes: dict[str, list[tuple[bool, bool]]] = {"all": []}
    for it in items:
        marks = "".join(f"[{i + 1}]" for i in range(len(it["quotes"])))
        res = check(f"{it['claim'].rstrip('.')} {marks}.", it["quotes"], embedder.encode_queries, word_vectors(embedder),
                    entailer)
        accepted = bool(res.kept) and all(s.status in ("supported", "repaired") for s in res.sentences)
        for key in ("all", it.get("split", "dev")):
            outcomes.setdefault(key, []).append((accepted, bool(it["supported"])))
    return _per_split(outcomes, _claim_metrics)


def eval_claims(embedder: Embedder | None = None, path: str | Path | None = None, *,
                entailment: bool = True) -> EvalResult:
    """The claim checker on hand-labelled (claim, quotes, supported?) items (both files unless ``path`` names
    one): precision and recall of accepting a claim (kept, with its citation or a repaired one), per split,
    with the entailment model and, in the same run, with the word-list rules as the baseline."""
    embedder = embedder or default_embedder()
    items = load_pairs(path) if path else load_all(CLAIMS, MORE_CLAIMS)
    entailer = Entailer() if entailment else None
    if entailer is not None and not entailer.available:
        entailer = None
    metrics = _claims_run(items, embedder, entailer)
    baselines = [("word-list rules", _claims_run(items, embedder, None))] if entailer is not None else []
    return EvalResult("claim support", len(items), metrics, {"entailment": entailer is not None}, baselines)


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


SAMPLE_QUESTIONS = [
    "Was Gerasimov wounded?", "Who admitted to carrying out the missile attack?", "Where did the attack take place?",
    "Why did the United States oppose the attack?", "How many officers were killed?", "Which general was killed?",
    "Who is Valery Gerasimov?", "When did the attack happen?", "What did the New York Times report?",
    "What is the boiling point of mercury?", "Who won the 2018 World Cup?", "Where did Gerasimov land?",
    "What did Arsen Avakov report?", "What happened to General Simonov?", "What was in the video of the strikes?",
    "Did Gerasimov leave before the strike?", "How did Russia respond?", "What is the capital of Australia?",
    "Who is Mark Fegin?", "What did the UK intelligence briefing reveal?",
]


__all__ = ["CLAIMS", "PAIRS", "SAMPLE_QUESTIONS", "eval_claims", "eval_conflict_pairs", "eval_conflicts", "eval_latency",
           "latency", "load_pairs", "pair_documents"]
