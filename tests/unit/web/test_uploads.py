"""Uploads off the request path: the background queue's per-file status, Gradio's copy deleted, refused files
deleted at once, a small upload never silently stuck behind a large one, crash leftovers re-queued, and the raw
upload route's type guard (issue 13)."""
from __future__ import annotations

import asyncio
import html
import json
import threading
import time
from pathlib import Path

import pytest

import qa
from qa.ingest.plan import IndexReport
from qa.ingest.queue import IngestQueue
from qa.web.config import AppConfig
from qa.web.controller import ChatApp
from qa.web.guard import UploadTypeGuard
from qa.web.render import ALLOWED_UPLOAD_SUFFIXES, check_upload
from tests import bombs

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


@pytest.fixture
def chat(tmp_path: Path) -> ChatApp:
    idx = qa.build_index([qa.Document("fog", "Fog", "The harbour master rang the fog bell twice at noon.")],
                         tmp_path / "index", embedder=qa.HashingEmbedder(128))
    return ChatApp(AppConfig(documents_dir=tmp_path / "documents", index_dir=tmp_path / "index",
                             upload_dir=tmp_path / "uploads", feedback_dir=tmp_path / "feedback"), index=idx)


def _cached(cache: Path, name: str, data: bytes) -> dict:
    folder = cache / f"h{len(list(cache.glob('*'))) if cache.exists() else 0}"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    return {"path": str(folder / name), "orig_name": name}


def test_gradio_copies_are_deleted_and_refused_files_are_not_kept(chat: ChatApp, cache: Path) -> None:
    files = [_cached(cache, "ok.txt", b"Ok\n\nThe ferry left at dawn."), _cached(cache, "bomb.docx",
             bombs.docx_one_text_node(30 * 1024 * 1024)), _cached(cache, "tool.exe", b"MZ")]
    msg = html.unescape(chat.upload(files))
    assert "Added **ok.txt**" in msg
    assert "✗ bomb.docx: this .docx unpacks to more than the limit of 20 MiB for one part" in msg
    assert "✗ tool.exe: this type of file cannot be indexed" in msg
    assert [p for p in cache.rglob("*") if p.is_file()] == []  # no copy left in Gradio's cache
    assert sorted(p.name for p in chat.config.upload_dir.iterdir()) == ["ok.txt"]
    states = {s.name: s.state for s in chat.desk.queue.statuses()}
    assert states == {"ok.txt": "done", "bomb.docx": "refused", "tool.exe": "refused"}
    assert "✗ bomb.docx: refused (this .docx unpacks" in html.unescape(chat.uploads_markdown())


def test_a_file_outside_gradios_cache_is_never_deleted(chat: ChatApp, tmp_path: Path, cache: Path) -> None:
    mine = tmp_path / "mine.txt"
    mine.write_text("Mine\n\nA note of my own.", encoding="utf-8")
    assert "Added" in chat.upload([{"path": str(mine), "orig_name": "mine.txt"}])
    assert mine.is_file()


def test_a_small_upload_behind_a_large_one_says_where_it_is(chat: ChatApp, tmp_path: Path, cache: Path) -> None:
    release = threading.Event()
    def real(paths: list[Path], step) -> IndexReport:
        return chat._index_files("default", paths, step)

    def slow(paths: list[Path], step) -> IndexReport:
        if any(p.name == "big.txt" for p in paths):
            step(3, 100)
            release.wait(30)
        return real(paths, step)

    chat.desk.queue._index_files = slow
    big = threading.Thread(target=chat.upload, args=([_cached(cache, "big.txt", b"Big\n\nA big file.")],))
    big.start()
    while not any(s.state == "indexing" for s in chat.desk.queue.statuses()):
        threading.Event().wait(0.01)
    msg = chat.upload([_cached(cache, "small.txt", b"Small\n\nA small note.")], wait=0.2)
    assert "**small.txt** is queued (1 upload ahead)" in msg and "keep asking meanwhile" in msg, msg
    assert "indexing 2 uploads" in chat.status_markdown()
    assert "big.txt: indexing (passages 3 of 100)" in chat.uploads_markdown()
    assert chat.search_api("fog bell", 1)[0]["doc_id"] == "fog"  # questions keep working meanwhile
    release.set()
    big.join(30)
    assert chat.desk.queue.wait_idle(30)
    assert {s.name: s.state for s in chat.desk.queue.statuses()} == {"big.txt": "done", "small.txt": "done"}
    assert "indexing" not in chat.status_markdown()


def test_leftovers_of_a_crash_are_indexed_or_reported_on_start(chat: ChatApp) -> None:
    uploads = chat.config.upload_dir
    (uploads / ".incoming" / "x1").mkdir(parents=True)
    (uploads / ".incoming" / "x1" / "received.md").write_text("# Received\n\nThe heron nests by the pond.")
    (uploads / "copied.txt").write_text("Copied\n\nThe mill wheel turns slowly.")
    (uploads / "deep.html").write_bytes(bombs.html_nested(1_000))
    assert chat.recover_uploads() == 3
    assert chat.desk.queue.wait_idle(30)
    states = {s.name: (s.state, s.detail) for s in chat.desk.queue.statuses()}
    assert states["received.md"][0] == states["copied.txt"][0] == "done"
    assert states["deep.html"][0] == "refused" and "too deeply nested" in states["deep.html"][1]
    assert sorted(p.name for p in uploads.iterdir()) == ["copied.txt", "received.md"]  # refused: not left behind
    assert {"received.md", "copied.txt"} <= {d for _, d in chat.document_choices()}
    assert chat.recover_uploads() == 0


def test_the_worker_survives_a_crash_of_one_batch(tmp_path: Path) -> None:
    def boom(paths: list[Path], step) -> IndexReport:
        raise RuntimeError("disk on fire")

    q = IngestQueue(boom)
    q.submit([tmp_path / "a.txt"]).wait(10)
    assert [(s.name, s.state) for s in q.statuses()] == [("a.txt", "refused")]
    assert "internal error" in q.statuses()[0].detail and "fire" not in q.statuses()[0].detail


def test_upload_cap_is_said_in_mib() -> None:
    with pytest.raises(ValueError, match=r"too large \(50\.0 MiB; the limit is 25 MiB\)"):
        check_upload("big.pdf", 50 * 1024 * 1024, 25 * 1024 * 1024)


def test_upload_names_lose_control_and_direction_characters_in_messages(chat: ChatApp, cache: Path) -> None:
    msg = chat.upload([_cached(cache, "x", b"x"), _cached(cache, "evil\u202egnp.exe", b"MZ")])
    assert "\u202e" not in msg and "evilgnp.exe" in html.unescape(msg)


def _guarded(stored: list[str]) -> tuple[int, bytes]:
    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": json.dumps(stored).encode()})

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    guard = UploadTypeGuard(app, ALLOWED_UPLOAD_SUFFIXES)
    asyncio.run(guard({"type": "http", "method": "POST", "path": "/gradio_api/upload"}, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_raw_upload_route_guard(tmp_path: Path) -> None:
    ok, exe = tmp_path / "a" / "notes.pdf", tmp_path / "b" / "tool.exe"
    for p in (ok, exe):
        p.parent.mkdir()
        p.write_bytes(b"x")
    assert _guarded([str(ok)]) == (200, json.dumps([str(ok)]).encode())
    status, body = _guarded([str(ok), str(exe)])
    assert status == 415 and b"cannot be indexed ('.exe')" in body and str(tmp_path).encode() not in body
    assert not exe.exists() and not exe.parent.exists()


def _event(body: bytes, path: str = "/gradio_api/queue/join", chunk: int = 0) -> tuple[int, bytes, bytes | None]:
    """Run the guard on a POST of ``body`` (in pieces of ``chunk`` bytes); returns (status, response body, the
    body the app received or None when it was not called)."""
    seen: list[bytes] = []

    async def app(scope, receive, send) -> None:
        got = b""
        while True:
            m = await receive()
            got += m.get("body", b"")
            if not m.get("more_body"):
                break
        seen.append(got)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    pieces = [body[i:i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    incoming = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": [(b"content-type", b"application/json")]}
    asyncio.run(UploadTypeGuard(app, ALLOWED_UPLOAD_SUFFIXES)(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), seen[0] if seen else None


def _join(path: str) -> bytes:
    return json.dumps({"data": [[{"path": path, "orig_name": "a.txt", "meta": {"_type": "gradio.FileData"}}]],
                       "fn_index": 3, "session_hash": "x"}).encode()


def test_a_forged_file_path_is_refused_without_naming_a_server_path(cache: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.txt").write_text("a file of the server's working folder")
    (cache / "h1").mkdir(parents=True)
    (cache / "h1" / "ok.txt").write_text("Ok\n\nThe ferry left at dawn.")
    (cache / "h1" / "link.txt").symlink_to(tmp_path / "secret.txt")
    forged = ["/etc/passwd", str(tmp_path / "secret.txt"), "secret.txt", "../../etc/hosts", "http://127.0.0.1:1/x",
              str(cache / "h1" / ".." / ".." / "secret.txt"), str(cache / "h1" / "missing.txt"), str(cache / "h1"),
              str(cache / "h1" / "link.txt"), ""]
    for path in forged:
        for route in ("/gradio_api/queue/join", "/gradio_api/call/chat", "/gradio_api/run/predict"):
            status, body, passed = _event(_join(path), route)
            assert (status, passed) == (400, None), (path, route)
            assert b"not uploaded to this app" in body and str(tmp_path).encode() not in body
    status, body, passed = _event(json.dumps({"data": ["q", [{"role": "user", "path": 7}]]}).encode())
    assert (status, passed) == (400, None)
    good = _join(str(cache / "h1" / "ok.txt"))
    assert _event(good, chunk=7) == (200, b"ok", good)  # a real upload passes, its body replayed unchanged
    for other in (b'{"data": ["Who rang the fog bell?", [], "quotes", 5, null]}', b"not json", b""):
        assert _event(other) == (200, b"ok", other)


def test_an_oversized_event_body_is_refused(cache: Path) -> None:
    from qa.web.guard import MAX_JSON_BYTES

    status, body, passed = _event(b"[" + b" " * MAX_JSON_BYTES + b"]", chunk=1024 * 1024)
    assert (status, passed) == (413, None) and b"too large" in body


def test_the_refused_suffix_is_shown_without_direction_characters(tmp_path: Path) -> None:
    exe = tmp_path / "c" / "a.t\u202eexe"
    exe.parent.mkdir()
    exe.write_bytes(b"x")
    status, body = _guarded([str(exe)])
    assert status == 415 and "\u202e" not in body.decode() and "('.texe')" in body.decode()


def test_remove_during_a_long_batch_queues_behind_it_instead_of_blocking(chat: ChatApp, cache: Path) -> None:
    assert "Added" in chat.upload([_cached(cache, "gone.txt", b"Gone\n\nThe old pier was torn down in May.")])
    index = chat.index_of(None)
    release, entered = threading.Event(), threading.Event()
    real_update = index.update

    def slow_update(*args, **kwargs):  # the batch holds the write lock until released
        entered.set()
        release.wait(30)
        return real_update(*args, **kwargs)

    index.update = slow_update
    big = threading.Thread(target=chat.upload, args=([_cached(cache, "big.txt", b"Big\n\nA big file.")],),
                           kwargs={"wait": 0})
    big.start()
    assert entered.wait(10)
    try:
        t0 = time.monotonic()
        msg = html.unescape(chat.remove("gone.txt"))
        assert time.monotonic() - t0 < 2.0  # never waits for the batch
        assert "will be removed as soon as the upload being indexed is done" in msg, msg
        assert "gone.txt: queued (removal after 1 upload ahead)" in html.unescape(chat.uploads_markdown())
        assert "gone.txt" in {d for _, d in chat.document_choices()}  # still there until its turn
        assert chat.search_api("fog bell", 1)[0]["doc_id"] == "fog"  # questions keep working meanwhile
    finally:
        release.set()
    big.join(30)
    assert chat.desk.queue.wait_idle(30)
    assert "gone.txt" not in {d for _, d in chat.document_choices()}
    assert not (chat.config.upload_dir / "gone.txt").exists()
    states = {s.name: (s.state, s.detail) for s in chat.desk.queue.statuses()}
    assert states["gone.txt"] == ("done", "removed") and states["big.txt"][0] == "done"
    assert "Removed" in chat.remove("big.txt")  # the lock is free again: removed at once
    assert "not in the index" in chat.remove("big.txt")
