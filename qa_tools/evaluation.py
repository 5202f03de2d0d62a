"""Retrieval evaluation on public benchmarks, with their published baselines printed beside ours.

- ``beir``: BEIR-format folders (SciFact): nDCG@10, Recall@10, MRR@10 over documents (a document's score
  is its best passage's).
- ``multihop``: MultiHop-RAG with the paper's protocol: chunks of at most 256 tokens, a retrieved chunk is a
  hit when a gold evidence ``fact`` (whitespace removed) is a substring of it (whitespace removed);
  Hits@4, Hits@10, MRR@10 over the 2,255 non-null queries.
- ``squad``: SQuAD v1.1 dev, every paragraph a document; Recall@1/5/10 and MRR@10 of the gold paragraph.

Indexes are built (incrementally, so re-runs embed nothing) under ``~/.cache/qa/eval/`` unless an index
folder is given.
"""
from __future__ import annotations

import csv
import json
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.embed.base import Embedder
from qa.embed.registry import default_embedder
from qa.index import Index, build_index
from qa.ingest.chunking import ChunkingConfig
from qa.paths import cache_dir
from qa.search.fusion import RetrievalConfig
from qa.search.retrieval import collapse, rank
from qa.types import Document

logger = logging.getLogger(__name__)

BASELINES: dict[str, list[tuple[str, dict[str, float]]]] = {
    "beir-scifact": [
        ("all-MiniLM-L6-v2 dense (MTEB)", {"ndcg@10": 0.64508, "recall@10": 0.78333, "mrr@10": 0.60472}),
        ("BM25, Elasticsearch (BEIR paper)", {"ndcg@10": 0.665}),
        ("BM25, bm25s (MTEB baseline)", {"ndcg@10": 0.68736, "recall@10": 0.81867}),
        ("BM25 + cross-encoder (BEIR paper)", {"ndcg@10": 0.688}),
    ],
    "multihop-rag": [
        ("bge-large-en-v1.5, no reranker (paper Table 5)", {"mrr@10": 0.4298, "hits@10": 0.6718, "hits@4": 0.5221}),
        ("best row + bge-reranker-large (paper Table 5)", {"mrr@10": 0.5860, "hits@10": 0.7467, "hits@4": 0.6625}),
    ],
    "squad-v1.1": [],
}


@dataclass
class EvalResult:
    dataset: str
    queries: int
    metrics: dict[str, float]
    config: dict[str, Any] = field(default_factory=dict)
    baselines: list[tuple[str, dict[str, float]]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------------------------- datasets


def load_beir(folder: Path, split: str = "test") -> tuple[list[Document], dict[str, str], dict[str, set[str]]]:
    docs = []
    with open(folder / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            docs.append(Document(str(r["_id"]), r.get("title") or "", r["text"]))
    queries = {}
    with open(folder / "queries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            queries[str(r["_id"])] = r["text"]
    qrels: dict[str, set[str]] = {}
    with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels.setdefault(row["query-id"].strip(), set()).add(row["corpus-id"].strip())
    return docs, {q: queries[q] for q in qrels}, qrels


def load_multihop(folder: Path) -> tuple[list[Document], list[dict[str, Any]]]:
    corpus = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    docs = [Document(a["url"], a["title"], a["body"], a["url"], {"source": a.get("source"), "published_at": a.get("published_at")})
            for a in corpus]
    queries = json.loads((folder / "MultiHopRAG.json").read_text(encoding="utf-8"))
    return docs, queries


def load_squad(path: Path) -> tuple[list[Document], list[dict[str, Any]]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    docs, questions = [], []
    for article in data:
        for i, para in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}#{i}"
            docs.append(Document(doc_id, article["title"].replace("_", " "), para["context"]))
            for qa in para["qas"]:
                questions.append({"id": qa["id"], "question": qa["question"], "doc_id": doc_id,
                                  "answers": [a["text"] for a in qa["answers"]]})
    return docs, questions


# ------------------------------------------------------------------------------------------- metrics


def ndcg_at_k(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def mrr_at_k(hits: list[bool], k: int = 10) -> float:
    for i, h in enumerate(hits[:k]):
        if h:
            return 1.0 / (i + 1)
    return 0.0


# ------------------------------------------------------------------------------------------- running


def index_for(name: str, docs: list[Document], index_dir: Path | None, embedder: Embedder,
              chunking: ChunkingConfig, *, progress: bool) -> Index:
    """The evaluation index of a corpus (cached under ``<cache_dir>/eval``, updated incrementally)."""
    if index_dir is None:
        tag = f"{embedder.fingerprint.split('@')[-1][:8]}-{chunking.max_tokens}-{chunking.overlap_tokens}-{int(chunking.embed_title)}"
        index_dir = cache_dir() / "eval" / f"{name}-{embedder.name.split('/')[-1]}-{tag}"
    logger.info("evaluation index for %s: %s", name, index_dir)
    return build_index(docs, index_dir, embedder=embedder, chunk_size=chunking.max_tokens,
                       chunk_overlap=chunking.overlap_tokens, embed_title=chunking.embed_title, progress=progress)


def rankings(index: Index, questions: list[str], depth: int, config: RetrievalConfig,
              progress: bool) -> Iterable[list[int]]:
    """Collapsed passage rows per question, best first (queries embedded in one batch)."""
    snap = index.snapshot
    qv = index.embedder.encode_queries(questions) if config.fusion != "sparse" else [None] * len(questions)
    it: Iterable = range(len(questions))
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="searching", unit="query")
    for i in it:
        ranked = rank(snap, index.embedder, questions[i], depth, config, query_vector=qv[i])
        yield [s.row for s in collapse(snap, ranked, depth)]


def eval_beir(folder: str | Path, split: str = "test", *, index_dir: Path | None = None,
              embedder: Embedder | None = None, chunking: ChunkingConfig = ChunkingConfig(max_tokens=256),
              retrieval: RetrievalConfig = RetrievalConfig(), progress: bool = False) -> EvalResult:
    folder = Path(folder)
    docs, queries, qrels = load_beir(folder, split)
    index = index_for(folder.name, docs, index_dir, embedder or default_embedder(), chunking, progress=progress)
    ids = list(queries)
    nd, rc, mr = [], [], []
    ranked = rankings(index, [queries[q] for q in ids], retrieval.depth, retrieval, progress)
    for qid, rows in zip(ids, ranked, strict=True):
        ranked_docs: list[str] = []
        for r in rows:
            d = index.snapshot.passages.doc_ids[r]
            if d not in ranked_docs:
                ranked_docs.append(d)
        rel = qrels[qid]
        nd.append(ndcg_at_k(ranked_docs, rel))
        rc.append(len(rel & set(ranked_docs[:10])) / len(rel))
        mr.append(mrr_at_k([d in rel for d in ranked_docs]))
    metrics = {"ndcg@10": float(np.mean(nd)), "recall@10": float(np.mean(rc)), "mrr@10": float(np.mean(mr))}
    return EvalResult(folder.name if folder.name != "beir-scifact" else "beir-scifact", len(ids), metrics,
                      {"split": split, "chunking": asdict(chunking), "retrieval": asdict(retrieval)},
                      BASELINES.get(folder.name, []))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def eval_multihop(folder: str | Path, *, index_dir: Path | None = None, embedder: Embedder | None = None,
                  chunking: ChunkingConfig = ChunkingConfig(max_tokens=256),
                  retrieval: RetrievalConfig = RetrievalConfig(), progress: bool = False,
                  limit: int | None = None) -> EvalResult:
    if chunking.max_tokens > 256:
        raise ValueError("the MultiHop-RAG protocol uses chunks of at most 256 tokens")
    folder = Path(folder)
    docs, queries = load_multihop(folder)
    queries = [q for q in queries if q["question_type"] != "null_query"][:limit]
    index = index_for("multihop-rag", docs, index_dir, embedder or default_embedder(), chunking, progress=progress)
    snap = index.snapshot
    h4, h10, mrr = [], [], []
    ranked = rankings(index, [q["query"] for q in queries], retrieval.depth, retrieval, progress)
    for q, rows in zip(queries, ranked, strict=True):
        facts = [squash(e["fact"]) for e in q["evidence_list"]]
        hits = [any(f in squash(snap.passage_text(r)) for f in facts) for r in rows[:10]]
        h4.append(any(hits[:4]))
        h10.append(any(hits[:10]))
        mrr.append(mrr_at_k(hits))
    metrics = {"hits@4": float(np.mean(h4)), "hits@10": float(np.mean(h10)), "mrr@10": float(np.mean(mrr))}
    return EvalResult("multihop-rag", len(queries), metrics,
                      {"chunking": asdict(chunking), "retrieval": asdict(retrieval)}, BASELINES["multihop-rag"])


def eval_squad_retrieval(path: str | Path, *, index_dir: Path | None = None, embedder: Embedder | None = None,
                         chunking: ChunkingConfig = ChunkingConfig(), retrieval: RetrievalConfig = RetrievalConfig(),
                         progress: bool = False, limit: int | None = None) -> EvalResult:
    path = Path(path)
    if path.is_dir():
        path = path / "dev-v1.1.json"
    docs, questions = load_squad(path)
    questions = questions[:limit]
    index = index_for("squad-v1.1", docs, index_dir, embedder or default_embedder(), chunking, progress=progress)
    snap = index.snapshot
    r1, r5, r10, mrr = [], [], [], []
    ranked = rankings(index, [q["question"] for q in questions], retrieval.depth, retrieval, progress)
    for q, rows in zip(questions, ranked, strict=True):
        ranked_docs: list[str] = []
        for r in rows:
            d = snap.passages.doc_ids[r]
            if d not in ranked_docs:
                ranked_docs.append(d)
        hits = [d == q["doc_id"] for d in ranked_docs]
        r1.append(any(hits[:1]))
        r5.append(any(hits[:5]))
        r10.append(any(hits[:10]))
        mrr.append(mrr_at_k(hits))
    metrics = {"recall@1": float(np.mean(r1)), "recall@5": float(np.mean(r5)), "recall@10": float(np.mean(r10)),
               "mrr@10": float(np.mean(mrr))}
    return EvalResult("squad-v1.1", len(questions), metrics,
                      {"chunking": asdict(chunking), "retrieval": asdict(retrieval)}, [])


def format_result(result: EvalResult) -> str:
    """A plain-text table: our figures first, then the published baselines on the same metrics."""
    names = list(result.metrics)
    rows = [("qa (this run)", result.metrics)] + result.baselines
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{result.dataset}: {result.queries} queries; config {json.dumps(result.config)}",
             "system".ljust(width) + "".join(n.rjust(11) for n in names)]
    for label, m in rows:
        lines.append(label.ljust(width) + "".join((f"{m[n]:.4f}" if n in m else "-").rjust(11) for n in names))
    return "\n".join(lines)


Evaluator = Callable[..., EvalResult]
