"""Milvus at scale (issue 14's "1M passages" target): N passage vectors in a ``milvus-lite server`` on
127.0.0.1, the dense index the Milvus store builds, and exact search (numpy) as the reference.

Measured, in one run: insert time (batches of ``--batch`` entities through ``MilvusClient.insert``, then
``flush``), index build time (``create_index`` with the store's default dense index, AUTOINDEX, inner
product, no build parameters: what ``qa.store.milvus_schema`` asks for; milvus-lite 3.2.2 makes it a FAISS
HNSW, M=16, efConstruction=200, per segment of at most 100k rows; then ``load_collection``), query latency
p50/p95 (one query per call, top 10, ``ef=128`` as ``qa.store.milvus_view.MilvusDense``), recall@10 against
the exact top 10 (brute-force inner product in numpy over the same vectors), the server's memory and its
data folder's size.

The vectors. Embedding 1M real passages takes days on this CPU (~25 abstracts/s), so the collection is
made of **real MiniLM vectors** (the app's int8 ONNX all-MiniLM-L6-v2) of the SciFact corpus (9,011
passages) and of SQuAD v1.1 dev paragraphs (2,238), taken as they are, plus synthetic ones up to N: each
is a real vector moved part of the way (``t`` uniform in [0, 0.5]) towards one of its 20 nearest real
neighbours, plus Gaussian noise of norm ``--noise`` (default 0.25), normalised. So they stay on the
model's cone and in its topics (the mean cosine of a synthetic vector to the real one it came from is
printed). The queries are real: SciFact claims encoded by the same model (``--queries``, default 300).
Only the dense field is stored (the store's passages also carry BM25 weights and scalars: not measured here).

    python benchmarks/bench_milvus_scale.py --n 100000        # ~15 min on the shared 2-core machine
    python benchmarks/bench_milvus_scale.py --n 1000000       # ~1.5 GB of vectors here and in the server; insert
                                                              # ~25 min, index build ~1.5 h at load 15 (BENCHMARKS.md)

``--attach PORT --wait-log LOG`` queries a collection a run left loaded in its server (that run killed after its
index build, the server left running): for when the query phase would not fit in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import numpy as np
from bench_milvus import Server
from common import WORK, load_avg, machine, percentiles, timed, write_result

EVAL = Path(os.environ.get("QA_EVAL_CACHE", Path.home() / ".cache" / "qa" / "eval"))
SCIFACT_INDEX = WORK / "qa-scifact"  # bench_ingest's SciFact index folder
SQUAD_INDEX = EVAL / "squad-v1.1-all-MiniLM-L6-v2-onnx-int-256-0-1"  # python -m qa eval squad's index
QUERY_VECTORS = EVAL / "queries-alone-scifact-claims-c82a91d111.npz"
NAME = "scalebench"
DIM = 384


def real_vectors() -> tuple[np.ndarray, dict]:
    """The real passage vectors (SciFact, SQuAD dev) of the app's model, as stored in their index folders."""
    parts, where = [], {}
    for folder in (SCIFACT_INDEX, SQUAD_INDEX):
        found = sorted(folder.glob("vectors.*.npy"), key=lambda p: int(p.name.split(".")[1]))
        if not found:
            print(f"warning: no vectors in {folder} (python benchmarks/bench_ingest.py; python -m qa eval squad)",
                  file=sys.stderr)
            continue
        path = found[-1]  # the current generation
        v = np.load(path).astype(np.float32)
        parts.append(v)
        where[str(path)] = len(v)
    if not parts:
        sys.exit("no real passage vectors found: build the SciFact or SQuAD index first")
    base = np.concatenate(parts)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    return base, where


def neighbours(base: np.ndarray, k: int = 20, block: int = 2048) -> np.ndarray:
    """Each real vector's ``k`` nearest other real vectors (exact)."""
    out = np.empty((len(base), k), np.int64)
    for i in range(0, len(base), block):
        s = base[i : i + block] @ base.T
        for r in range(len(s)):
            s[r, i + r] = -np.inf
        out[i : i + block] = np.argpartition(-s, k, axis=1)[:, :k]
    return out


def synthetic(base: np.ndarray, n: int, noise: float, seed: int = 0) -> tuple[np.ndarray, float]:
    """``n`` vectors: the real ones first, then real ones moved towards a near neighbour, plus noise."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float32)
    m = min(n, len(base))
    out[:m] = base[:m]
    if n <= m:
        return out, 1.0
    near = neighbours(base)
    cos = []
    for i in range(m, n, 100_000):
        j = min(n, i + 100_000)
        src = rng.integers(0, len(base), j - i)
        other = near[src, rng.integers(0, near.shape[1], j - i)]
        t = rng.uniform(0.0, 0.5, (j - i, 1)).astype(np.float32)
        v = (1 - t) * base[src] + t * base[other]
        v += rng.standard_normal(v.shape, dtype=np.float32) * (noise / np.sqrt(base.shape[1]))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[i:j] = v
        cos.append(np.einsum("ij,ij->i", v, base[src]))
    return out, float(np.concatenate(cos).mean())


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = 10, block: int = 200_000) -> np.ndarray:
    """The exact top ``k`` rows per query (inner product), by blocks of ``vectors``."""
    best_s = np.full((len(queries), k), -np.inf, np.float32)
    best_i = np.full((len(queries), k), -1, np.int64)
    for i in range(0, len(vectors), block):
        s = queries @ vectors[i : i + block].T
        cand = np.argpartition(-s, k, axis=1)[:, :k]
        cs = np.take_along_axis(s, cand, axis=1)
        all_s, all_i = np.concatenate([best_s, cs], 1), np.concatenate([best_i, cand + i], 1)
        top = np.argsort(-all_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(all_s, top, 1), np.take_along_axis(all_i, top, 1)
    return best_i


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def heartbeat(data: Path, stop: threading.Event, every: float = 60.0) -> None:
    """While the index builds: the segments' index files written so far (one per segment of at most 100k rows)."""
    start = time.monotonic()
    while not stop.wait(every):
        done = sorted(p.name for p in data.rglob("*.idx"))
        print(f"  index build: {time.monotonic() - start:.0f} s, {len(done)} segment index files "
              f"({time.strftime('%H:%M:%S')}, load {load_avg()[0]})", flush=True)


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def connect(server: Server):
    from pymilvus import DataType, MilvusClient

    # one create_index call runs for minutes: pymilvus's default keepalive pings (every 10 s) make the
    # milvus-lite server answer GOAWAY "too_many_pings", and the client then retries the call
    c = MilvusClient(uri=server.uri, grpc_options={"grpc.keepalive_time_ms": 3_600_000,
                                                   "grpc.keepalive_permit_without_calls": 0})
    if c.has_collection(NAME):
        c.drop_collection(NAME)
    schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    c.create_collection(NAME, schema=schema, consistency_level="Strong")
    return c


def insert(c, vectors: np.ndarray, batch: int) -> float:
    """Insert every vector in batches, then flush; returns the wall seconds."""
    n = len(vectors)
    progress_every = max(batch, n // 20)
    with timed() as t:
        for i in range(0, n, batch):
            j = min(n, i + batch)
            c.insert(NAME, [{"id": r, "vector": vectors[r].tolist()} for r in range(i, j)])
            if j % progress_every < batch or j == n:
                print(f"  inserted {j:,} / {n:,} ({time.strftime('%H:%M:%S')}, load {load_avg()[0]})", flush=True)
        c.flush(NAME)
    return t.wall


def index(c, server: Server, index_type: str) -> float:
    """create_index (the store's dense index) and load_collection; returns the wall seconds."""
    params = c.prepare_index_params()
    params.add_index(field_name="vector", index_type=index_type, metric_type="IP", params={})
    stop = threading.Event()
    threading.Thread(target=heartbeat, args=(server.data, stop), daemon=True).start()
    with timed() as t:
        try:
            c.create_index(NAME, params, timeout=None)
        except Exception as e:  # noqa: BLE001 - a retried call after the build finished: the index is there
            if "already exists" not in str(e):
                raise
            print(f"create_index was retried by the client after the build: {e}", flush=True)
        c.load_collection(NAME, timeout=None)
    stop.set()
    return t.wall


def query(c, queries: np.ndarray, exact: np.ndarray, ef: int) -> tuple[list[float], list[float]]:
    """(latency ms, recall@10) per query, one query per call."""
    params = {"metric_type": "IP", "params": {"ef": ef}}
    for q in queries[:10]:  # warm up
        c.search(NAME, data=[q.tolist()], anns_field="vector", limit=10, search_params=params)
    lat, recall = [], []
    for q, want in zip(queries, exact, strict=True):
        t = time.perf_counter()
        hits = c.search(NAME, data=[q.tolist()], anns_field="vector", limit=10, search_params=params)[0]
        lat.append((time.perf_counter() - t) * 1000)
        recall.append(len(set(want.tolist()) & {int(h["id"]) for h in hits}) / 10)
    return lat, recall


def run(server: Server, vectors: np.ndarray, queries: np.ndarray, args: argparse.Namespace) -> dict:
    n = len(vectors)
    c = connect(server)
    assert server.proc is not None
    pid = server.proc.pid
    cpu0 = cpu_s(pid)
    insert_s = insert(c, vectors, args.batch)
    cpu1 = cpu_s(pid)
    print(f"insert: {insert_s:.0f} s ({n / insert_s:,.0f}/s), server CPU {cpu1 - cpu0:.0f} s", flush=True)
    index_s = index(c, server, args.index)
    cpu2 = cpu_s(pid)
    print(f"index build + load: {index_s:.0f} s, server CPU {cpu2 - cpu1:.0f} s", flush=True)
    rss_loaded, disk = server.rss_mb(), dir_mb(server.data)
    with timed() as t_exact:
        exact = exact_top(vectors, queries)
    cpu3 = cpu_s(pid)
    lat, recall = query(c, queries, exact, args.ef)
    result = {"vectors": n, "batch": args.batch, "insert_s": insert_s, "insert_per_s": n / insert_s,
              "insert_server_cpu_s": cpu1 - cpu0, "index": args.index, "index_build_and_load_s": index_s,
              "index_server_cpu_s": cpu2 - cpu1, "ef": args.ef, "queries": len(queries), "query_ms": percentiles(lat),
              "query_server_cpu_ms": (cpu_s(pid) - cpu3) * 1000 / len(queries),
              "recall@10": float(np.mean(recall)), "recall@10_min": float(np.min(recall)),
              "exact_numpy_s_per_query": t_exact.wall / len(queries), "server_rss_mb": rss_loaded,
              "server_data_mb": disk, "load_avg": load_avg()}
    if not args.keep:
        c.drop_collection(NAME)
    c.close()
    return result


def attach(args: argparse.Namespace, vectors: np.ndarray, queries: np.ndarray, result: dict) -> None:
    """``--attach PORT``: query a collection another run of this script built and loaded (that run stopped after
    its index build, its server left running): exact top 10 first, then wait for the collection to be loaded."""
    from pymilvus import MilvusClient

    with timed() as t_exact:
        exact = exact_top(vectors, queries)
    c = MilvusClient(uri=f"http://127.0.0.1:{args.attach}")
    while args.wait_log and "index build + load:" not in Path(args.wait_log).read_text(errors="replace"):
        time.sleep(10)  # the building run's log says when its create_index and load_collection returned
    while "Loaded" not in str(c.get_load_state(NAME).get("state", "")):
        time.sleep(10)
    pid = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
               and f"--port\0{args.attach}".encode() in (p / "cmdline").read_bytes())
    cpu0 = cpu_s(pid)
    lat, recall = query(c, queries, exact, args.ef)
    result["scale"] = {"vectors": len(vectors), "ef": args.ef, "queries": len(queries), "query_ms": percentiles(lat),
                       "query_server_cpu_ms": (cpu_s(pid) - cpu0) * 1000 / len(queries),
                       "recall@10": float(np.mean(recall)), "recall@10_min": float(np.min(recall)),
                       "exact_numpy_s_per_query": t_exact.wall / len(queries), "load_avg": load_avg(),
                       "server_rss_mb": next(float(x.split()[1]) / 1024 for x in
                                             Path(f"/proc/{pid}/status").read_text().splitlines()
                                             if x.startswith("VmRSS")),
                       "count": c.query(NAME, filter="", output_fields=["count(*)"])[0]["count(*)"]}
    c.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="passage vectors in the collection")
    ap.add_argument("--batch", type=int, default=5_000, help="entities per insert call")
    ap.add_argument("--queries", type=int, default=300, help="SciFact claims used as queries")
    ap.add_argument("--noise", type=float, default=0.25, help="norm of the noise added to synthetic vectors")
    ap.add_argument("--index", default="AUTOINDEX", help="dense index type (the store's default: AUTOINDEX)")
    ap.add_argument("--ef", type=int, default=128, help="HNSW search breadth (the store's MilvusDense uses 128)")
    ap.add_argument("--keep", action="store_true", help="keep the collection (and the server's data folder)")
    ap.add_argument("--name", default="", help="results file name (default milvus_scale_<n>)")
    ap.add_argument("--attach", type=int, default=0,
                    help="only query the collection a stopped run left loaded in the server on this port")
    ap.add_argument("--wait-log", default="", help="with --attach: wait until this log of the building run says "
                                                   "its index is built and loaded")
    args = ap.parse_args()
    result: dict = {"machine": machine(), "load_avg_start": load_avg()}
    base, where = real_vectors()
    with timed() as t_gen:
        vectors, cos = synthetic(base, args.n, args.noise)
    z = np.load(QUERY_VECTORS)
    queries = np.asarray(z["vectors"][: args.queries], np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    result["data"] = {"real_passages": where, "real_used": min(args.n, len(base)),
                      "synthetic": max(0, args.n - len(base)), "noise": args.noise,
                      "mean_cosine_to_source": cos, "queries": f"{len(queries)} SciFact claims ({QUERY_VECTORS.name})",
                      "generate_s": t_gen.wall}
    print(json.dumps(result["data"]), flush=True)
    if args.attach:
        attach(args, vectors, queries, result)
        print(json.dumps(result["scale"], indent=1), flush=True)
        print(write_result(args.name or f"milvus_scale_{args.n}_queries", result))
        return
    data = WORK / "milvus-scale" / "server"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    with Server(data) as server:
        result["scale"] = run(server, vectors, queries, args)
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    import milvus_lite
    import pymilvus

    result["versions"] = {"pymilvus": pymilvus.__version__, "milvus_lite": milvus_lite.__version__}
    print(json.dumps(result["scale"], indent=1), flush=True)
    print(write_result(args.name or f"milvus_scale_{args.n}", result))


if __name__ == "__main__":
    main()
