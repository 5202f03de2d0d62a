"""Shared helpers for the benchmark scripts: timing, memory, machine facts, datasets, results files.

Every script writes one JSON file into the results folder (``--results``, default ``benchmarks/results``)
and ``run_all.py`` turns them into BENCHMARKS.md. Figures are compared with a baseline measured in the
same run (the machine is shared and noisy): wall-clock and CPU seconds are both recorded.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DATA = Path(os.environ.get("QA_BENCH_DATA", ROOT.parent / "shared" / "data"))
if not DATA.exists():
    DATA = Path("/work/shared/data")
SCIFACT = DATA / "beir-scifact"
MULTIHOP = DATA / "multihop-rag"
RESULTS = Path(__file__).resolve().parent / "results"
WORK = Path(os.environ.get("QA_BENCH_WORK", "/tmp/qa-bench"))


@dataclass
class Clock:
    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed() -> Iterator[Clock]:
    """Wall seconds and CPU seconds (all threads of this process) spent inside the block."""
    clock = Clock()
    w, c = time.perf_counter(), time.process_time()
    try:
        yield clock
    finally:
        clock.wall = time.perf_counter() - w
        clock.cpu = time.process_time() - c


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    import numpy as np

    a = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "mean": float(a.mean()), "n": len(a)}


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0.0
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    from importlib.metadata import PackageNotFoundError, version

    for mod, dist in (("torch", "torch"), ("onnxruntime", "onnxruntime"), ("faiss", "faiss-cpu"),
                      ("sentence_transformers", "sentence-transformers"), ("txtai", "txtai"), ("bm25s", "bm25s"),
                      ("numpy", "numpy")):
        try:
            versions[mod] = version(dist)
        except PackageNotFoundError:
            versions[mod] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "python": platform.python_version(),
            "platform": platform.platform(), "load_avg": os.getloadavg(), "versions": versions,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def write_result(name: str, data: dict[str, Any], results: Path = RESULTS) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.json"
    data = {"name": name, "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "load_avg_end": load_avg(), **data}
    path.write_text(json.dumps(data, indent=2, default=float), encoding="utf-8")
    return path


def read_result(name: str, results: Path = RESULTS) -> dict[str, Any] | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# ------------------------------------------------------------------------------------------- datasets


def scifact_documents(limit: int | None = None):
    from qa.types import Document

    docs = []
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            docs.append(Document(str(r["_id"]), r.get("title") or "", r["text"]))
            if limit and len(docs) >= limit:
                break
    return docs


def scifact_queries(limit: int | None = None) -> list[str]:
    from qa_tools.evaluation import load_beir

    _, queries, _ = load_beir(SCIFACT)
    return list(queries.values())[:limit]


def multihop_documents(limit: int | None = None):
    from qa_tools.evaluation import load_multihop

    docs, _ = load_multihop(MULTIHOP)
    return docs[:limit] if limit else docs


def multihop_queries(limit: int | None = None) -> list[str]:
    from qa_tools.evaluation import load_multihop

    _, queries = load_multihop(MULTIHOP)
    return [q["query"] for q in queries if q["question_type"] != "null_query"][:limit]


def documents(corpus: str, limit: int | None = None):
    return scifact_documents(limit) if corpus == "scifact" else multihop_documents(limit)


def queries(corpus: str, limit: int | None = None) -> list[str]:
    return scifact_queries(limit) if corpus == "scifact" else multihop_queries(limit)


def window_passages(doc, words: int = 200) -> list[str]:
    """The plain pipeline's chunking for long documents: fixed windows of ``words`` whitespace words,
    title first (what a tutorial RAG pipeline does)."""
    tokens = doc.text.split()
    if len(tokens) <= words:
        return [f"{doc.title}\n{doc.text}" if doc.title else doc.text]
    return [(f"{doc.title}\n" if doc.title else "") + " ".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


def plain_passages(corpus: str, docs) -> list[str]:
    """SciFact abstracts are embedded whole (the model truncates at 256 word pieces); MultiHop-RAG articles
    (~2,300 word pieces) are cut into 200-word windows first, or 90% of each article would be dropped."""
    if corpus == "scifact":
        return [f"{d.title}\n{d.text}" if d.title else d.text for d in docs]
    return [p for d in docs for p in window_passages(d)]


def word_pieces(texts: list[str], max_len: int = 256) -> int:
    """Word pieces the encoder actually processes (with [CLS]/[SEP], truncated as the model does)."""
    from tokenizers import Tokenizer

    from qa.embed.base import bundled_model_dir

    tok = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
    tok.enable_truncation(max_len)
    tok.no_padding()
    total = 0
    for i in range(0, len(texts), 1000):
        total += sum(len(e.ids) for e in tok.encode_batch(texts[i : i + 1000]))
    return total
