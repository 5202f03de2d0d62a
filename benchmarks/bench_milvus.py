"""Milvus behind the store and Ray for ingestion (issue 14), measured against the index folder in the same run.

1. Quality and agreement on SciFact (5,183 abstracts, the test queries): the index folder (FAISS + bm25s)
   vs the same passages and vectors in a ``milvus-lite server`` on 127.0.0.1 (written from the folder's
   vectors: the store is measured, not the model twice): nDCG@10 of each, and how often their top 10
   documents are the same.
2. Latency, warm, interleaved per question: search p50/p95 on the index folder, a Milvus Lite file and the
   Milvus server; the quotes answer on the index folder and the server.
3. Ingest throughput on the first ``--docs`` SciFact abstracts with the real model: in-process (index
   folder) vs Ray on one node (2 CPUs, 2 actors x 0.5 CPU) vs Ray on two simulated nodes (1 CPU each, a
   subprocess: ``ray.cluster_utils.Cluster`` on loopback), each into a fresh index folder.
4. ``--big N``: N random unit vectors (384-d) in the server: insert time, index build (HNSW), query
   p50/p95 and recall@10 against exact search (numpy), dense field only.

    python benchmarks/bench_milvus.py                 # ~5 min on the shared 2-core machine
    python benchmarks/bench_milvus.py --big 20000     # random vectors (the 1M target with real-distribution
                                                      # vectors and the store's index: bench_milvus_scale.py)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import ROOT, SCIFACT, WORK, load_avg, machine, percentiles, scifact_documents, timed, write_result

BENCH = WORK / "milvus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data: Path) -> None:
        self.data, self.port = data, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        exe = shutil.which("milvus-lite") or "milvus-lite"
        self.proc = subprocess.Popen([exe, "server", "--data-dir", str(self.data), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(150):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("milvus-lite server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
        return 0.0


def folder_index():
    """The SciFact index folder of bench_ingest (reused read-only when it is there), else built here."""
    import qa
    from qa.embed.registry import default_embedder

    emb = default_embedder()
    shared = WORK / "qa-scifact"
    try:
        idx = qa.load_index(shared, embedder=emb)
        if len(idx.documents()) == 5183:
            return idx, {"reused": str(shared)}
    except Exception as e:  # noqa: BLE001 - any problem: build our own
        print(f"not reusing {shared}: {e}", file=sys.stderr)
    with timed() as t:
        idx = qa.build_index(scifact_documents(), BENCH / "scifact-folder", embedder=emb)
    return idx, {"built_s": t.wall}


def milvus_copy(folder, uri: str):
    """The folder's documents written to Milvus with the folder's own vectors (nothing re-embedded)."""
    import qa
    from qa.ingest.distributed_ray import PrecomputedEmbedder

    keys = folder.snapshot.passages.keys
    table = {k: np.asarray(folder.snapshot.vectors[i]) for i, k in enumerate(keys)}
    emb = PrecomputedEmbedder(folder.embedder, table)
    with timed() as t:
        idx = qa.build_index([sd.document for sd in folder.documents()], BENCH / "unused", embedder=emb, store=uri)
    idx.embedder = folder.embedder
    report = idx.last_report
    return idx, {"write_s": t.wall, "write_cpu_s": t.cpu, "passages": len(idx), "embedded": report.embedded}


def quality(indexes: dict, queries: dict[str, str], qrels: dict[str, set[str]]) -> dict:
    """nDCG@10 of each index, and how the top 10 documents of each Milvus index agree with the folder's."""
    from qa.search.fusion import RetrievalConfig
    from qa_tools.evaluation import ndcg_at_k, rankings

    ids = list(queries)
    out: dict = {}
    tops = {}
    for name, idx in indexes.items():
        nd, top = [], []
        for qid, rows in zip(ids, rankings(idx, [queries[q] for q in ids], 100, RetrievalConfig(), False), strict=True):
            docs: list[str] = []
            for r in rows:
                d = idx.snapshot.passages.record(r).doc_id
                if d not in docs:
                    docs.append(d)
            nd.append(ndcg_at_k(docs, qrels[qid]))
            top.append(docs[:10])
        out[name] = {"ndcg@10": float(np.mean(nd))}
        tops[name] = top
    for name in indexes:
        if name == "folder":
            continue
        pairs = list(zip(tops["folder"], tops[name], strict=True))
        out[name]["identical_top10"] = float(np.mean([a == b for a, b in pairs]))
        out[name]["mean_overlap@10"] = float(np.mean([len(set(a) & set(b)) / max(1, len(a)) for a, b in pairs]))
        out[name]["ndcg_difference"] = out[name]["ndcg@10"] - out["folder"]["ndcg@10"]
    out["queries"] = len(ids)
    return out


def multihop(server: Server, limit: int) -> dict:
    """MultiHop-RAG Hits@10 (evidence fact inside one of the top 10 passages) on the index folder and on the
    Milvus server holding the same passages and vectors."""
    import qa
    from qa.embed.registry import default_embedder
    from qa.search.fusion import RetrievalConfig
    from qa_tools.evaluation import load_multihop, rankings, squash

    from common import MULTIHOP

    docs, queries = load_multihop(MULTIHOP)
    queries = [q for q in queries if q["question_type"] != "null_query"][:limit]
    with timed() as t:
        folder = qa.build_index(docs, BENCH / "multihop-folder", embedder=default_embedder())
    milvus, write = milvus_copy(folder, f"{server.uri}?collection=multihop")
    out: dict = {"build_folder_s": t.wall, "milvus_write": write, "queries": len(queries)}
    for name, idx in (("folder", folder), ("milvus server", milvus)):
        h10 = []
        for q, rows in zip(queries, rankings(idx, [q["query"] for q in queries], 100, RetrievalConfig(), False),
                           strict=True):
            facts = [squash(e["fact"]) for e in q["evidence_list"]]
            h10.append(any(any(f in squash(idx.snapshot.passage_text(r)) for f in facts) for r in rows[:10]))
        out[name] = {"hits@10": float(np.mean(h10))}
    out["hits_difference"] = out["milvus server"]["hits@10"] - out["folder"]["hits@10"]
    milvus.store.close()
    return out


def latency(indexes: dict, questions: list[str], answers: int) -> dict:
    from qa.answer.evidence import warm

    res: dict = {}
    for idx in indexes.values():
        for q in questions[:5]:
            idx.search(q, 5)
    times: dict[str, list[float]] = {f"search {k}": [] for k in indexes}
    for q in questions:
        for name, idx in indexes.items():
            time.sleep(0.02)
            t = time.perf_counter()
            idx.search(q, 5)
            times[f"search {name}"].append((time.perf_counter() - t) * 1000)
    answered = {k: v for k, v in indexes.items() if k in ("folder", "milvus server")}
    for idx in answered.values():
        warm(idx)
    for name in answered:
        times[f"answer {name}"] = []
    for q in questions[:answers]:
        for name, idx in answered.items():
            time.sleep(0.05)
            t = time.perf_counter()
            idx.ask(q)
            times[f"answer {name}"].append((time.perf_counter() - t) * 1000)
    for k, v in times.items():
        res[k] = percentiles(v)
    return res


CLUSTER_JOB = """
import json, sys, time
sys.path.insert(0, {root!r})
import ray
from ray.cluster_utils import Cluster
import qa
from qa.embed.registry import default_embedder
from qa.ingest.distributed_ray import RayIngest
from qa.ingest.assemble import empty_snapshot
from qa.ingest.chunking import ChunkingConfig
sys.path.insert(0, {bench!r})
from common import scifact_documents
docs = scifact_documents({n})
t0 = time.perf_counter()
cluster = Cluster(initialize_head=True, head_node_args={{"num_cpus": 1, "node_ip_address": "127.0.0.1",
                  "object_store_memory": 128 << 20, "include_dashboard": False}})
cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1", object_store_memory=128 << 20)
cluster.wait_for_nodes()
emb = default_embedder()
idx = qa.Index({out!r}, empty_snapshot(emb, ChunkingConfig()), emb)
with RayIngest(cluster.address, actor_cpus=0.6) as pool:
    t1 = time.perf_counter()
    pool.update(idx, docs, prune=False, progress=False, chunking=ChunkingConfig(), rebuild=False)
    t2 = time.perf_counter()
    nodes = len(pool.nodes)
ray.shutdown(); cluster.shutdown()
print(json.dumps({{"wall_s": t2 - t1, "startup_s": t1 - t0, "nodes": nodes, "passages": len(idx)}}))
"""


def ingest(n: int) -> dict:
    import qa
    from qa.embed.registry import default_embedder
    from qa.ingest.assemble import empty_snapshot
    from qa.ingest.chunking import ChunkingConfig
    from qa.ingest.distributed_ray import RayIngest

    docs = scifact_documents(n)
    out: dict = {"documents": n}
    emb = default_embedder()
    emb.warm_up()
    shutil.rmtree(BENCH / "ingest", ignore_errors=True)
    with timed() as t:
        local = qa.build_index(docs, BENCH / "ingest" / "local", embedder=emb)
    out["in-process"] = {"wall_s": t.wall, "cpu_s": t.cpu, "passages": len(local)}
    with timed() as t_start:
        pool = RayIngest().__enter__()
    try:
        idx = qa.Index(BENCH / "ingest" / "ray1", empty_snapshot(emb, ChunkingConfig()), emb)
        with timed() as t:
            pool.update(idx, docs, prune=False, progress=False, chunking=ChunkingConfig(), rebuild=False)
        out["ray, 1 node (2 actors x 0.5 CPU)"] = {"wall_s": t.wall, "driver_cpu_s": t.cpu, "startup_s": t_start.wall,
                                                   "passages": len(idx), "nodes": len(pool.nodes)}
        assert list(idx.snapshot.passages.rows()) == list(local.snapshot.passages.rows())  # type: ignore[attr-defined]
    finally:
        pool.__exit__(None, None, None)
    job = CLUSTER_JOB.format(root=str(ROOT), bench=str(Path(__file__).parent), n=n, out=str(BENCH / "ingest" / "ray2"))
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    r = subprocess.run([sys.executable, "-c", job], env=env, capture_output=True, text=True, timeout=1800)
    if r.returncode == 0:
        out["ray, 2 simulated nodes (1 CPU each, 2 actors x 0.6 CPU)"] = json.loads(r.stdout.strip().splitlines()[-1])
    else:
        out["ray, 2 simulated nodes"] = {"error": r.stderr[-1500:]}
    for v in out.values():
        if isinstance(v, dict) and v.get("wall_s"):
            v["docs_per_s"] = n / v["wall_s"]
    return out


def big(uri: str, n: int, queries: int = 200) -> dict:
    """N random unit vectors in the server's dense field (HNSW): insert, index build, latency, recall@10."""
    from pymilvus import DataType, MilvusClient

    rng = np.random.default_rng(0)
    c = MilvusClient(uri=uri)
    name = "bigbench"
    if c.has_collection(name):
        c.drop_collection(name)
    s = c.create_schema(auto_id=False)
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=384)
    c.create_collection(name, schema=s)
    vecs = rng.standard_normal((n, 384), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    with timed() as t_insert:
        for i in range(0, n, 2000):
            c.insert(name, [{"id": j, "vector": vecs[j].tolist()} for j in range(i, min(n, i + 2000))])
        c.flush(name)
    params = c.prepare_index_params()
    params.add_index("vector", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 200})
    with timed() as t_index:
        c.create_index(name, params)
        c.load_collection(name)
    q = vecs[rng.choice(n, queries, replace=False)] + 1.5 * rng.standard_normal((queries, 384)).astype(np.float32) / np.sqrt(384)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    lat, recall = [], []
    for v in q:
        t = time.perf_counter()
        hits = c.search(name, data=[v.tolist()], anns_field="vector", limit=10,
                        search_params={"metric_type": "IP", "params": {"ef": 128}})[0]
        lat.append((time.perf_counter() - t) * 1000)
        exact = set(np.argpartition(-(vecs @ v), 10)[:10].tolist())
        recall.append(len(exact & {int(h["id"]) for h in hits}) / 10)
    c.drop_collection(name)
    c.close()
    return {"vectors": n, "insert_s": t_insert.wall, "insert_per_s": n / t_insert.wall, "index_build_s": t_index.wall,
            "query_ms": percentiles(lat), "recall@10": float(np.mean(recall))}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=400, help="SciFact abstracts for the ingest comparison")
    ap.add_argument("--questions", type=int, default=100, help="questions timed per backend")
    ap.add_argument("--answers", type=int, default=30, help="answers timed per backend")
    ap.add_argument("--big", type=int, default=0, help="random vectors for the scale test (0: skip)")
    ap.add_argument("--multihop", type=int, default=0, help="MultiHop-RAG queries for Hits@10 (0: skip; builds "
                                                            "both stores from the 609 articles, ~5 min)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["quality", "latency", "ingest"])
    ap.add_argument("--name", default="milvus", help="results file name (benchmarks/results/NAME.json)")
    return ap.parse_args()


def scifact_stages(server: Server, args: argparse.Namespace, result: dict) -> None:
    """Quality and latency on SciFact: the folder, its copy in the server (HNSW) and in a Lite file (FLAT)."""
    from qa_tools.evaluation import load_beir

    folder, how = folder_index()
    result["folder_index"] = how
    _, queries, qrels = load_beir(SCIFACT, "test")
    lite_db = BENCH / "scifact.db"
    shutil.rmtree(lite_db, ignore_errors=True)
    milvus, write = milvus_copy(folder, f"{server.uri}?collection=scifact")
    result["milvus_write"] = {**write, "server_rss_mb": server.rss_mb()}
    print("written", write, flush=True)
    lite, result["lite_write"] = milvus_copy(folder, f"milvus://{lite_db}?index=FLAT")
    if "quality" not in args.skip:
        result["quality"] = quality({"folder": folder, "milvus server (AUTOINDEX = HNSW)": milvus,
                                     "milvus lite file (FLAT)": lite}, queries, qrels)
        print("quality", result["quality"], flush=True)
    if "latency" not in args.skip:
        qs = list(queries.values())[: args.questions]
        result["latency_ms"] = latency({"folder": folder, "milvus lite file": lite, "milvus server": milvus},
                                       qs, args.answers)
        print("latency", json.dumps(result["latency_ms"]), flush=True)
    result["server_rss_mb"] = server.rss_mb()
    milvus.store.close()
    lite.store.close()


def main() -> None:
    args = parse_args()
    import qa

    result: dict = {"machine": machine(), "load_avg_start": load_avg()}
    BENCH.mkdir(parents=True, exist_ok=True)
    server_dir = BENCH / "server"
    shutil.rmtree(server_dir, ignore_errors=True)
    with Server(server_dir) as server:
        if not ("quality" in args.skip and "latency" in args.skip):
            scifact_stages(server, args, result)
        if args.multihop:
            result["multihop"] = multihop(server, args.multihop)
            print("multihop", result["multihop"], flush=True)
        if args.big:
            result["big"] = big(server.uri, args.big)
            print("big", result["big"], flush=True)
    if "ingest" not in args.skip:
        result["ingest"] = ingest(args.docs)
        print("ingest", json.dumps(result["ingest"]), flush=True)
    result["versions"] = {m: __import__(m).__version__ for m in ("pymilvus", "milvus_lite", "ray")}
    result["qa"] = qa.__version__
    print(write_result(args.name, result))


if __name__ == "__main__":
    main()
