"""The web app on a Milvus server shared by several replicas (``python app.py --store http://...``), against a real
``milvus-lite server`` on 127.0.0.1 (started here, stopped after), with the real model:

- replica A: the app's Blocks launched in this process (its controller does what the Documents tab does), which
  indexes the documents folder into Milvus on first start;
- replica B: ``python app.py --store URI`` as a subprocess with no documents folder and no index folder of its own,
  asked through its HTTP API (``gradio_client``: ``/chat``, ``/search``);
- replica C: a third ``ChatApp`` in this process, for the Documents tab's list.

A document uploaded to A is answered by B (quotes cut from the text kept in Milvus: B never saw the file) and
listed by C; removed on A, it is gone for B and C."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")
gradio_client = pytest.importorskip("gradio_client")

from qa.web import ui  # noqa: E402
from qa.web.controller import ChatApp  # noqa: E402
from qa.web.state import ChatState  # noqa: E402
from tests.conftest import DOCUMENTS, ROOT  # noqa: E402
from tests.integration.app_server import (  # noqa: E402
    LIGHTHOUSE, LIGHTHOUSE_QUESTION, app_env, free_port, stop_process, store_config)
from tests.integration.test_milvus_server import MilvusServer, running_server  # noqa: E402

pytestmark = [pytest.mark.app, pytest.mark.slow, pytest.mark.timeout(900)]



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    with running_server(tmp_path_factory.mktemp("milvus-app") / "data") as s:
        yield s


def _last(gen):
    state = None
    for state in gen:  # noqa: B007 - the last one is wanted
        pass
    return state


def _client(url: str, proc: subprocess.Popen | None, log: Path | None, timeout: float = 300.0):
    """A gradio_client for the app at ``url`` once its index answers ``/search``."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"replica B exited: {log.read_text(errors='replace')[-3000:] if log else ''}")
        try:
            client = gradio_client.Client(url, verbose=False)
            client.predict("lighthouse", 1, api_name="/search")
            return client
        except Exception as e:  # noqa: BLE001 - not up, or not ready yet
            last = e
            time.sleep(2)
    raise RuntimeError(f"{url} not ready in {timeout:.0f}s: {last}\n{log.read_text(errors='replace')[-3000:] if log else ''}")


def _start_replica(root: Path, uri: str, log: Path) -> tuple[subprocess.Popen, str]:
    """``python app.py`` with QA_STORE_URI: its own (empty) folders, nothing but the store's URI in common."""
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port),
             "--documents", str(root / "no-documents"), "--index-dir", str(root / "index"),
             "--uploads", str(root / "uploads"), "--feedback", str(root / "feedback")],
            cwd=root, env=app_env(QA_STORE_URI=uri), stdout=out, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}/"


def test_replicas_share_documents_uploads_answers_and_removals(server: MilvusServer, tmp_path: Path) -> None:
    uri = f"{server.uri}?collection=webapp"
    docs = tmp_path / "a" / "documents"
    shutil.copytree(DOCUMENTS, docs)
    # replica A: first start on an empty store indexes its documents folder into Milvus
    a = ChatApp(store_config(tmp_path / "a", uri, docs))
    a.prepare()
    assert a.progress.error is None and a.require_index().store.kind == "milvus", a.progress.message
    n_docs = len(list(docs.iterdir()))
    assert len(a.documents_rows()) == n_docs
    assert not (tmp_path / "a" / "index" / "manifest.json").exists()
    demo = ui.build_ui(a)
    demo.queue(default_concurrency_limit=2)
    port_a = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port_a, prevent_thread_lock=True, show_error=True, quiet=True)
    b_root = tmp_path / "b"
    b_root.mkdir()
    log = b_root / "app.log"
    proc = None
    try:
        client_a = _client(f"http://127.0.0.1:{port_a}/", None, None)
        proc, url_b = _start_replica(b_root, uri, log)
        client_b = _client(url_b, proc, log)

        # upload to A (what the Documents tab's upload box calls): indexed into Milvus, no copy kept on A
        gradio_copy = tmp_path / "gradio" / "varnholm.txt"
        gradio_copy.parent.mkdir()
        gradio_copy.write_text(LIGHTHOUSE, encoding="utf-8")
        msg = a.upload([gradio_copy])
        assert "Added" in msg and "varnholm" in msg, msg
        assert not list((tmp_path / "a" / "uploads").glob("*.txt"))

        # B answers from it, quoting the text it reads from Milvus
        for client in (client_b, client_a):
            result = client.predict(LIGHTHOUSE_QUESTION, api_name="/chat")
            assert result["found"], result
            quotes = [c for c in result["citations"] if c["doc_id"] == "varnholm.txt"]
            assert quotes, result["citations"]
            assert all(LIGHTHOUSE[c["start"]:c["end"]] == c["quote"] for c in quotes)
        assert "Lindqvist" in result["text"]

        # replica C: the same Documents list, the same answer
        c = ChatApp(store_config(tmp_path / "c", uri), index=None)
        c.prepare(embedder=a.require_index().embedder)
        assert c.documents_rows() == a.documents_rows() and len(c.documents_rows()) == n_docs + 1
        state = _last(c.ask(LIGHTHOUSE_QUESTION, ChatState()))
        assert any(ct.doc_id == "varnholm.txt" for ct in state.turns[-1].answer.citations)
        # C's chat is saved in Milvus: every replica lists it
        assert [x[1] for x in a.chat_choices("")] == [state.chat_id] == [x[1] for x in c.chat_choices("")]

        # remove on A: gone for B and C
        assert "Removed" in a.remove("varnholm.txt")
        hits = client_b.predict("Varnholm lighthouse keeper Edda Lindqvist", 5, api_name="/search")
        assert all(h["doc_id"] != "varnholm.txt" for h in hits)
        assert len(c.documents_rows()) == n_docs and all(r[1] != "varnholm.txt" for r in c.documents_rows())
        assert a.require_index().store.check() == []
    finally:
        if proc is not None:
            stop_process(proc)
        demo.close()
