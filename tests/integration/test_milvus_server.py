"""The Milvus store against a real ``milvus-lite server`` on 127.0.0.1 (started here, stopped after): the
same hits as the index folder with the real model, two app replicas (two clients) sharing one index, the
data kept across a server restart, an open index going on through a restart (and a clear error while the server is
down), and the command line with ``--store http://...``."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")

import qa  # noqa: E402
from qa.errors import ModelMismatchError, StoreUnavailableError  # noqa: E402
from tests.conftest import CORPUS, DOCUMENTS, ROOT  # noqa: E402
from tests.integration.app_server import free_port  # noqa: E402
from tests.unit.store.test_milvus import hits_agree  # noqa: E402

QUESTIONS = ["who admitted the missile attack?", "who was wounded?", "what was destroyed"]


class MilvusServer:
    """``milvus-lite server`` as a subprocess bound to 127.0.0.1."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port = data_dir, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        exe = shutil.which("milvus-lite") or "milvus-lite"
        self.proc = subprocess.Popen([exe, "server", "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"milvus-lite server did not listen on 127.0.0.1:{self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def running_server(data_dir: Path) -> Iterator[MilvusServer]:
    """A started ``MilvusServer`` on ``data_dir``, stopped on exit (the module fixtures of every Milvus test)."""
    s = MilvusServer(data_dir)
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    with running_server(tmp_path_factory.mktemp("milvus") / "data") as s:
        yield s


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("docs") / "documents"
    docs.mkdir()
    for f in DOCUMENTS.iterdir():
        if f.is_file():
            (docs / f.name).write_bytes(f.read_bytes())
    return docs


@pytest.fixture(scope="module")
def onnx_embedder() -> qa.Embedder:
    from qa.embed.registry import default_embedder

    return default_embedder()  # the bundled model on the int8 ONNX path, as the app uses it


@pytest.mark.slow
def test_same_hits_as_the_index_folder_with_the_real_model(server: MilvusServer, documents: Path, tmp_path: Path,
                                                           onnx_embedder: qa.Embedder) -> None:
    uri = f"{server.uri}?collection=real"
    disk = qa.build_index(documents, tmp_path / "index", embedder=onnx_embedder)
    milvus = qa.build_index(documents, tmp_path / "unused", embedder=onnx_embedder, store=uri)
    assert milvus.manifest["counts"] == disk.manifest["counts"] and milvus.store.check() == []
    for q in QUESTIONS:
        hits_agree(disk.search(q, 5), milvus.search(q, 5))
        a, b = disk.ask(q), milvus.ask(q)
        assert (a.found, a.text) == (b.found, b.text)


def test_replicas_share_one_index_and_it_survives_a_restart(server: MilvusServer, tmp_path: Path) -> None:
    uri = f"{server.uri}?collection=shared"
    emb = qa.HashingEmbedder(64)
    writer = qa.build_index([qa.Document("a", "A", "Apples grow on trees in the orchard.")], tmp_path / "x",
                            embedder=emb, store=uri)
    replica = qa.load_index(store=uri, embedder=emb)  # another app process would do the same
    assert replica.search("apples", 1)[0].doc_id == "a"
    writer.update([qa.Document("b", "B", "Bananas ripen in the tropical sun.")])
    assert replica.search("bananas ripen", 1)[0].doc_id == "b"  # follows the writer's new generation
    writer.remove(["a"])
    assert {h.doc_id for h in replica.search("apples orchard", 5)} == {"b"}
    server.stop()
    server.start()
    after = qa.load_index(store=uri, embedder=emb)
    assert len(after) == 1 and after.search("bananas", 1)[0].text == "Bananas ripen in the tropical sun."
    assert after.store.check() == []


def test_an_open_index_goes_on_after_a_server_restart(server: MilvusServer, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A replica's open index (and a writer's) keep working through the same objects when the server restarts on
    the same data dir and port (the collections come back released: loaded again, the call retried); other errors
    are not retried; a stopped server is a StoreUnavailableError naming the URI, at once."""
    uri = f"{server.uri}?collection=restart"
    emb = qa.HashingEmbedder(64)
    writer = qa.build_index([qa.Document(name, name, text) for name, text in CORPUS.items()], tmp_path / "x",
                            embedder=emb, store=uri)
    replica = qa.load_index(store=uri, embedder=emb)
    questions = ["how long do solar panels last", "how many eggs does the queen lay", "which river is the longest"]
    before = {q: replica.search(q, 3) for q in questions}
    server.stop()
    server.start()
    with caplog.at_level(logging.WARNING, logger="qa.store.milvus_client"):
        for q in questions:
            hits_agree(before[q], replica.search(q, 3))
    assert "loaded restart_meta" in caplog.text and "restart_passages" in caplog.text

    server.stop()
    server.start()
    writer.update([qa.Document("moon.txt", "Moon", "The Moon orbits the Earth every 27 days.")])
    writer.remove(["bees.md"])
    assert replica.search("moon orbit", 1)[0].doc_id == "moon.txt"
    assert "bees.md" not in {h.doc_id for h in replica.search("queen bees eggs", 5)}
    assert writer.store.check() == []

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qa.store.milvus_client"):
        with pytest.raises(ModelMismatchError):
            qa.load_index(store=uri, embedder=qa.HashingEmbedder(32))
        with pytest.raises(Exception, match="key") as wrong:  # a row missing its fields: pymilvus's error, once
            replica.store.client.upsert("restart_meta", [{"value": "{}"}])
    assert not isinstance(wrong.value, StoreUnavailableError) and not caplog.records

    server.stop()
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match=re.escape(f"{uri}: the Milvus server cannot be reached")):
            replica.search("solar panels", 1)
        with pytest.raises(StoreUnavailableError, match=re.escape(uri)):
            writer.update([qa.Document("mars.txt", "Mars", "Mars has two small moons.")])
        assert time.monotonic() - started < 10
    finally:
        server.start()
    assert replica.search("moon orbit", 1)[0].doc_id == "moon.txt"  # and back when the server is


def test_cli_with_a_server_store(server: MilvusServer, documents: Path, tmp_path: Path) -> None:
    uri = f"{server.uri}?collection=cli"
    qa.build_index(documents, tmp_path / "unused", embedder=qa.HashingEmbedder(64), store=uri)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "qa", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)

    r = run("index", str(documents), "--store", uri, "--json")  # the manifest's embedder: unchanged, nothing embedded
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["index_dir"] == uri and len(report["unchanged"]) == 2 and report["embedded"] == 0
    r = run("search", "who admitted the missile attack?", "--store", uri, "--json", "-k", "1")
    hit = json.loads(r.stdout)[0]
    assert (documents / Path(hit["doc_id"]).name).read_text(encoding="utf-8")[hit["start"] : hit["end"]] == hit["text"]
    env["QA_STORE_URI"] = uri
    r = run("check")
    assert r.returncode == 0 and "index is sound" in r.stdout
    assert not (tmp_path / "index").exists()  # nothing written to a local folder
