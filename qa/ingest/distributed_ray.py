"""Ingestion on Ray: files are loaded, chunked and embedded in a Ray Data actor pool (each actor holds
one embedder), and the driver writes the results to the chosen store.

``python -m qa index DIR --ray [ADDRESS]`` and ``build_index(..., ray=True | "ADDRESS")`` use it:

- without an address, a local Ray is started for the job (``RAY_CPUS`` CPUs, bound to 127.0.0.1, an
  object store of ``OBJECT_STORE_MB``), and shut down after;
- with one (``ray://...`` or ``host:port``), the job runs on that cluster and leaves it running.

The plan (which files changed, by content hash) is the local one (``qa.ingest.plan``); the actors load,
chunk and embed only what changed. Passages whose content hash is already in the index (the old versions
of the documents being replaced) are not embedded again: their keys are sent to the actors, which skip
them, and the writer takes the stored vectors. The documents, passages and their ids come out exactly as
the in-process ingestion makes them (the same loaders, chunker and embedder run in the actors).

Writing: to Milvus, batch by batch as the actors finish (``qa.ingest.distributed.write_prepared``: a killed
job re-run skips what was committed and overwrites, never duplicates, what was half-written); to an index
folder, one new generation at the end, assembled in the driver from the actors' vectors.

On a 2-core machine give the actors fractional CPUs (``ACTOR_CPUS``) and keep the object store bounded:
Ray Data's back-pressure otherwise waits for resources that never free up.
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..embed.base import Embedder
from ..embed.registry import describe, embedder_from_manifest
from ..errors import LoadError, StoreUnavailableError
from ..store.milvus import MilvusStore, PassageSpan
from ..store.snapshot import StoredDocument
from . import loaders
from .assemble import passage_key
from .chunking import ChunkingConfig
from .distributed import DOCS_PER_BATCH, Prepared, chunk_prepared
from .plan import Plan, plan_update

logger = logging.getLogger(__name__)

RAY_CPUS = 2
ACTORS = 2
ACTOR_CPUS = 0.5  # two actors and Ray Data's own tasks fit on 2 CPUs
OBJECT_STORE_MB = 256
DOCS_PER_TASK = 8  # documents per actor call
ACTORS_START_S = 600  # how long the actors may take to start (each loads the embedding model)
# Ray gives a starting node a fixed 30 s to register, and its GCS server 30 s to publish its port; a loaded or cold
# machine (CI's first Ray start after a fresh install, evaluations running beside it) can take longer, and Ray then
# fails with one of these messages. A local start is tried this often, and the GCS is given GCS_PORT_WAIT_S
# (Ray's own RAY_gcs_server_port_wait_time_s, unless set).
START_TRIES = 3
START_TIMEOUT_MESSAGES = ("timed out during startup", "Timed out waiting for file")
GCS_PORT_WAIT_S = 120


def load_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - Ray Data must be installed too
    except ImportError:
        raise StoreUnavailableError("ingestion on Ray needs ray[data]: pip install -r requirements-scale.txt") from None
    return ray


class PrepareActor:
    """The actor of the pool: one embedder, loaded once; each call loads, chunks and embeds a few documents."""

    def __init__(self, embedder: dict[str, Any], chunking: dict[str, Any], known: Sequence[str] = ()) -> None:
        self.embedder = embedder_from_manifest(embedder)
        if self.embedder.fingerprint != embedder.get("fingerprint"):
            raise RuntimeError(f"this Ray worker's embedder ({self.embedder.fingerprint}) is not the index's "
                               f"({embedder.get('fingerprint')}): install the same model on every node")
        self.embedder.warm_up()
        self.chunking = ChunkingConfig(**chunking)
        self.known = set(known)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out: dict[str, list[Any]] = {"item": [], "doc": [], "spans": [], "vectors": [], "error": [], "node": []}
        node = _node_id()
        prepared: list[tuple[int, Prepared]] = []
        for i, raw in enumerate(batch["item"]):
            item = json.loads(str(raw))
            out["item"].append(str(raw))
            out["doc"].append("")
            out["spans"].append("[]")
            out["vectors"].append(b"")
            out["error"].append("")
            out["node"].append(node)
            try:
                sd = _load(item)
                p = chunk_prepared(sd, self.embedder, self.chunking)
            except LoadError as e:
                out["error"][i] = json.dumps([e.path, e.reason])
                continue
            except OSError as e:
                out["error"][i] = json.dumps([item.get("path", ""), e.strerror or str(e)])
                continue
            out["doc"][i] = json.dumps(p.stored.to_json(), ensure_ascii=False)
            out["spans"][i] = json.dumps([[s.start, s.end, s.page, s.key] for s in p.spans])
            prepared.append((i, p))
        self._embed(prepared, out)
        return {k: np.array(v, dtype=object) for k, v in out.items()}

    def _embed(self, prepared: list[tuple[int, Prepared]], out: dict[str, list[Any]]) -> None:
        from .assemble import embed_text

        todo: dict[str, str] = {}
        for _, p in prepared:
            for s in p.spans:
                if s.key not in self.known and s.key not in todo:
                    todo[s.key] = embed_text(p.stored.document, s.start, s.end, self.chunking)
        vectors = dict(zip(todo, self.embedder.encode_documents(list(todo.values())), strict=True)) if todo else {}
        for i, p in prepared:
            rows = [vectors[s.key] if s.key in vectors else np.full(self.embedder.dim, np.nan, np.float32)
                    for s in p.spans]
            out["vectors"][i] = np.asarray(rows, np.float32).tobytes() if rows else b""


def _node_id() -> str:
    import ray

    return str(ray.get_runtime_context().get_node_id())


def _load(item: dict[str, Any]) -> StoredDocument:
    """A work item: a file to read (``path``), or a document given whole (``stored``)."""
    if "stored" in item:
        return StoredDocument.from_json(item["stored"])
    doc = loaders.load_file(Path(item["path"]), item["doc_id"])
    return StoredDocument(doc, item["digest"], item.get("origin"))


def _items(plan: Plan, documents: Iterable[StoredDocument]) -> list[str]:
    items = [json.dumps({"stored": sd.to_json()}, ensure_ascii=False) for sd in plan.given.values()]
    items += [json.dumps({"path": str(p.path), "doc_id": p.doc_id, "origin": p.origin, "digest": p.digest})
              for p in plan.pending]
    items += [json.dumps({"stored": sd.to_json()}, ensure_ascii=False) for sd in documents]
    return items


def _stop_half_started(error: BaseException) -> None:
    """Stop the processes of a Ray node whose start failed: ``ray.init`` loses the node object on the way
    out, so it is taken from the failed constructor's frame (its ``self``) and told to kill what it started."""
    from ray._private.node import Node

    tb = error.__traceback__
    while tb is not None:
        node = tb.tb_frame.f_locals.get("self")
        if isinstance(node, Node):
            try:
                node.kill_all_processes(check_alive=False, allow_graceful=False)
            except Exception:  # a process already gone: nothing left to stop
                logger.debug("stopping the half-started Ray node", exc_info=True)
            return
        tb = tb.tb_next


class RayIngest:
    """A Ray session for one ingestion job (``with RayIngest(address) as pool: pool.update(index, ...)``)."""

    def __init__(self, address: str | None = None, *, actors: int = ACTORS, actor_cpus: float = ACTOR_CPUS,
                 num_cpus: int = RAY_CPUS, object_store_mb: int = OBJECT_STORE_MB) -> None:
        self.address = address
        self.actors, self.actor_cpus = actors, actor_cpus
        self.num_cpus, self.object_store_mb = num_cpus, object_store_mb
        self._started = False
        self.ray: Any = None
        self.nodes: set[str] = set()  # the Ray nodes whose actors prepared documents in this session

    def __enter__(self) -> RayIngest:
        ray = self.ray = load_ray()
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                self._start_local(ray)
            self._started = True
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        # the whole pool (every actor with its embedder loaded) before work is handed out: else the first
        # actor up takes every block of a small job, and a pool the cluster cannot host fails with a clear error
        ctx.wait_for_min_actors_s = ACTORS_START_S
        return self

    def _start_local(self, ray: Any) -> None:
        os.environ.setdefault("RAY_gcs_server_port_wait_time_s", str(GCS_PORT_WAIT_S))
        for attempt in range(1, START_TRIES + 1):
            try:
                ray.init(address="local", num_cpus=self.num_cpus, _node_ip_address="127.0.0.1",
                         object_store_memory=self.object_store_mb << 20, include_dashboard=False,
                         log_to_driver=False)
                return
            except Exception as e:  # Ray raises a bare Exception for this
                if not any(m in str(e) for m in START_TIMEOUT_MESSAGES) or attempt == START_TRIES:
                    raise
                logger.warning("the local Ray did not start in time (try %d of %d); stopping it and trying again",
                               attempt, START_TRIES)
                _stop_half_started(e)
                ray.shutdown()

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self.ray.shutdown()

    # ------------------------------------------------------------------------------ the pipeline
    def prepare(self, plan: Plan, documents: Iterable[StoredDocument], embedder: Embedder,
                chunking: ChunkingConfig, known: Sequence[str] = ()) -> Iterator[list[Prepared]]:
        """Load (``plan.pending``), chunk and embed in the actor pool; yields batches of ``Prepared`` as they
        finish (a file that cannot be read is reported in ``plan`` and keeps its indexed version)."""
        items = _items(plan, documents)
        if not items:
            return
        ray = self.ray
        blocks = min(len(items), max(2 * self.actors, -(-len(items) // DOCS_PER_TASK)))  # work for every actor
        ds = ray.data.from_items([{"item": i} for i in items], override_num_blocks=blocks)
        out = ds.map_batches(
            PrepareActor, batch_size=DOCS_PER_TASK, batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.actors, max_tasks_in_flight_per_actor=1),
            num_cpus=self.actor_cpus,
            fn_constructor_kwargs={"embedder": describe(embedder), "chunking": asdict(chunking), "known": list(known)},
            ray_remote_args_fn=_spread,  # actors on every node, not packed on the first that fits them
        )
        batch: list[Prepared] = []
        for block in out.iter_batches(batch_size=None, batch_format="numpy"):
            self.nodes.update(str(n) for n in block["node"])
            for j in range(len(block["item"])):
                p = _accepted(plan, block, j, embedder.dim)
                if p is not None:
                    batch.append(p)
                if len(batch) >= DOCS_PER_BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    # ------------------------------------------------------------------------------ one update
    def update(self, index: Any, sources: Iterable[Any], *, prune: bool, progress: bool, chunking: ChunkingConfig,
               rebuild: bool, **kwargs: Any) -> Any:
        """``index.update(...)`` with the loading, chunking and embedding done on Ray (``index`` is a qa.Index)."""
        sources = list(sources)
        if isinstance(index.store, MilvusStore):
            return self._update_milvus(index, sources, prune=prune, progress=progress, chunking=chunking,
                                       rebuild=rebuild, **kwargs)
        # an index folder: the actors compute the vectors, the driver assembles the generation from them
        plan = plan_update(index.snapshot.documents, sources, prune=prune, rebuild=rebuild)
        _, rechunk = plan.kept()
        known = set(index.snapshot.passages.keys) if len(index.snapshot.passages) else set()
        table: dict[str, np.ndarray] = {}
        for batch in self.prepare(plan, rechunk, index.embedder, chunking, sorted(known)):
            for p in batch:
                table.update({s.key: v for s, v in zip(p.spans, p.vectors, strict=True) if v is not None})
        base = index.embedder
        index.embedder = PrecomputedEmbedder(base, table)
        try:
            return index.update(sources, prune=prune, progress=progress, chunking=chunking, rebuild=rebuild, **kwargs)
        finally:
            index.embedder = base

    def _update_milvus(self, index: Any, sources: list[Any], *, chunking: ChunkingConfig, **kwargs: Any) -> Any:
        store: MilvusStore = index.store
        embedder = index.embedder

        def preparer(plan: Plan, documents: Iterable[StoredDocument]) -> Iterable[list[Prepared]]:
            docs = list(documents)
            replaced = [*plan.given, *(p.doc_id for p in plan.pending), *(sd.document.id for sd in docs)]
            known = store.keys_of(replaced)
            return self.prepare(plan, docs, embedder, chunking, sorted(known))

        index.preparer = preparer
        try:
            return index.update(sources, chunking=chunking, **kwargs)
        finally:
            index.preparer = None


def _spread() -> dict[str, Any]:
    return {"scheduling_strategy": "SPREAD"}


def _accepted(plan: Plan, block: dict[str, np.ndarray], j: int, dim: int) -> Prepared | None:
    """One actor result, accepted into the plan (added/updated/failed) as the in-process path would."""
    item = json.loads(str(block["item"][j]))
    if block["error"][j]:
        path, reason = json.loads(str(block["error"][j]))
        plan.report.failed.append((path, reason))
        logger.warning("skipped %s: %s", path, reason)
        return None
    loaded = StoredDocument.from_json(json.loads(str(block["doc"][j])))
    if "path" in item:  # a file: accepted now (dates, added/updated), as Plan.load_pending does
        accepted = plan.accept(loaded.document, item["digest"], item.get("origin"))
        if accepted is None:
            return None
    else:
        accepted = loaded
    spans = [PassageSpan(int(a), int(b), int(c), str(k)) for a, b, c, k in json.loads(str(block["spans"][j]))]
    flat = np.frombuffer(block["vectors"][j], dtype=np.float32) if spans else np.zeros(0, np.float32)
    rows = flat.reshape(len(spans), dim) if spans else np.zeros((0, dim), np.float32)
    stored = StoredDocument(accepted.document, accepted.hash, accepted.origin, accepted.added, accepted.updated,
                            len(spans))
    return Prepared(stored, spans, [None if np.isnan(r[0]) else r.copy() for r in rows])


class PrecomputedEmbedder(Embedder):
    """An embedder answering from vectors computed elsewhere (by content hash), the base one for the rest."""

    def __init__(self, base: Embedder, table: dict[str, np.ndarray]) -> None:
        self.base, self.table = base, table
        self.backend, self.name, self.dim = base.backend, base.name, base.dim
        self.max_tokens, self.batch_size = base.max_tokens, base.batch_size

    @property
    def fingerprint(self) -> str:
        return self.base.fingerprint

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.base.count_tokens(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.base.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        missing = []
        for i, t in enumerate(texts):
            v = self.table.get(passage_key(t))
            if v is None:
                missing.append(i)
            else:
                out[i] = v
        if missing:
            out[missing] = self.base.encode_documents([texts[i] for i in missing])
        if progress:
            progress(len(texts))
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.encode_documents(texts)


__all__ = ["PrecomputedEmbedder", "PrepareActor", "RayIngest"]
