"""Ingestion on Ray, for real: a local Ray (2 CPUs, 127.0.0.1) writing an index folder and a Milvus Lite
file, and a simulated two-node cluster (``ray.cluster_utils.Cluster``) on loopback in a subprocess. The
passages, their ids and vectors must be the in-process ingestion's; a re-run embeds nothing; a file that
cannot be read is reported as it is without Ray."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray.data", reason="ray[data] is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")

import qa  # noqa: E402
from qa.embed.hashing import HashingEmbedder  # noqa: E402
from qa.ingest.assemble import empty_snapshot  # noqa: E402
from qa.ingest.distributed_ray import RayIngest  # noqa: E402
from qa.store.milvus import MilvusStore  # noqa: E402
from tests.conftest import CORPUS, ROOT  # noqa: E402

EMB = HashingEmbedder(128)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    for i in range(12):  # enough documents for several actor calls
        (folder / f"note{i:02d}.txt").write_text(f"Note {i}\n\nItem {i} is stored on shelf {i % 4}. " * (1 + i % 3),
                                                 encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    return folder


def rows_of(idx: qa.Index) -> list[tuple[str, int, int, int, str]]:
    """Every passage (document, start, end, page, content hash), in a store-independent order."""
    p = idx.snapshot.passages
    rows = p.rows_of([sd.document.id for sd in idx.documents()])
    return sorted((r.doc_id, r.start, r.end, r.page, r.key) for r in (p.record(int(i)) for i in rows))


def test_local_ray_gives_the_in_process_index(corpus: Path, tmp_path: Path) -> None:
    local = qa.build_index(corpus, tmp_path / "local", embedder=EMB, chunk_size=24)
    with RayIngest() as pool:  # one local Ray for both stores (starting one takes ~10 s here)
        fresh = qa.Index(tmp_path / "ray", empty_snapshot(EMB, local.chunking), EMB)
        report = pool.update(fresh, [corpus], prune=True, progress=False, chunking=local.chunking, rebuild=False)
        assert len(pool.nodes) == 1
        milvus = qa.build_index([], tmp_path / "unused", embedder=EMB, chunk_size=24, store=f"milvus://{tmp_path}/qa.db")
        mreport = pool.update(milvus, [corpus], prune=True, progress=False, chunking=local.chunking, rebuild=False)
        again = pool.update(milvus, [corpus], prune=True, progress=False, chunking=local.chunking, rebuild=False)
    # the index folder written from the actors' vectors is the in-process one
    a, b = local.snapshot, fresh.snapshot
    assert list(a.passages.rows()) == list(b.passages.rows())  # type: ignore[attr-defined]
    assert np.allclose(a.vectors, b.vectors, atol=1e-6)
    assert sorted(report.added) == sorted(local.last_report.added)  # type: ignore[union-attr]
    assert [f[0] for f in report.failed] == [str(corpus / "broken.pdf")]
    # Milvus: the same passages, vectors and hits; a re-run embeds nothing
    assert sorted(mreport.added) == sorted(report.added) and mreport.failed == report.failed
    assert rows_of(milvus) == rows_of(local)
    store = milvus.store
    assert isinstance(store, MilvusStore)
    stored = store.known_vectors(a.passages.keys)
    assert all(np.allclose(stored[k], a.vectors[i], atol=1e-6) for i, k in enumerate(a.passages.keys))
    assert again.embedded == 0 and len(again.unchanged) == len(local.documents())
    for q in ["queen eggs", "shelf 3 item", "longest river"]:
        assert [(h.doc_id, h.start) for h in local.search(q, 3)] == [(h.doc_id, h.start) for h in milvus.search(q, 3)]
    assert store.check() == []


CLUSTER_JOB = textwrap.dedent("""
    import json, sys
    import ray
    from ray.cluster_utils import Cluster
    import qa
    from qa.embed.hashing import HashingEmbedder
    from qa.ingest.distributed_ray import RayIngest

    corpus, db = sys.argv[1], sys.argv[2]
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 100 << 20, "include_dashboard": False})
    cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1", object_store_memory=100 << 20)
    cluster.wait_for_nodes()
    try:
        emb = HashingEmbedder(128)
        idx = qa.build_index([], "unused", embedder=emb, chunk_size=24, store=f"milvus://{db}")
        # 0.6 CPU per actor: two cannot share one 1-CPU node, so the pool spans both nodes
        with RayIngest(cluster.address, actor_cpus=0.6) as pool:
            report = pool.update(idx, [corpus], prune=True, progress=False, chunking=idx.chunking, rebuild=False)
            alive = len([n for n in ray.nodes() if n["Alive"]])
        print(json.dumps({"nodes": sorted(pool.nodes), "added": report.added, "failed": report.failed,
                          "cluster_nodes": alive}))
    finally:
        ray.shutdown()
        cluster.shutdown()
""")


def test_two_node_cluster_on_loopback(corpus: Path, tmp_path: Path) -> None:
    # RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0: Ray keeps 127.0.0.1 when a driver connects to a cluster (else it
    # resolves loopback to the machine's outward address); everything stays on this machine
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    r = subprocess.run([sys.executable, "-c", CLUSTER_JOB, str(corpus), str(tmp_path / "qa.db")], env=env,
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["cluster_nodes"] == 2 and len(out["nodes"]) == 2  # both nodes' actors prepared documents
    assert [f[0] for f in out["failed"]] == [str(corpus / "broken.pdf")]
    local = qa.build_index(corpus, tmp_path / "local", embedder=EMB, chunk_size=24)
    milvus = qa.load_index(store=f"milvus://{tmp_path / 'qa.db'}", embedder=EMB)
    assert sorted(out["added"]) == sorted(local.last_report.added)  # type: ignore[union-attr]
    assert rows_of(milvus) == rows_of(local) and milvus.store.check() == []
