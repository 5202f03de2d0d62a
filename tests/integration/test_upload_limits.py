"""Hostile or huge uploads against the running app (issue 13): each bomb is refused with its message while the
app's memory stays under ``RSS_BOUND`` above its resting size, the index stays sound and questions are answered
right after; a removed upload is served by no route; the raw upload route refuses other types; a kill -9 during a
multi-file upload leaves every file indexed or reported after the restart."""
from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.store.disk import check_index, read_snapshot
from tests import bombs
from tests.integration.app_server import ROOT, RunningApp, app_env, free_port, start_app, stop_process, wait_ready

pytest.importorskip("gradio", reason="the web app needs gradio")
psutil = pytest.importorskip("psutil")
from scripts.load_test import UIEvents  # noqa: E402

# What processing any one upload may add to the app's resident memory (README "Memory bound"): reading, checking,
# refusing, and indexing (embedding included: onnxruntime's arena holds one batch of 32 x 256 word pieces, about
# 300 MiB, reused after), up to the largest text the budgets admit (10M characters: benchmarks/bench_index_memory.py)
RSS_BOUND = 576 * 1024 * 1024
GOOD_QUESTION = "Was General Gerasimov wounded in the attack?"


def _rss(pid: int) -> int:
    proc = psutil.Process(pid)
    return proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))


class PeakRSS:
    """Samples a process's resident memory every 20 ms while active."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    root = tmp_path_factory.mktemp("limits-app")
    saved = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(root / "gradio-cache")  # the app's upload cache, to look into
    try:
        running = start_app(root, extra_documents=())
    finally:
        if saved is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = saved
    yield running
    running.stop()


@pytest.fixture(scope="module")
def ui(app: RunningApp) -> Iterator[UIEvents]:
    events = UIEvents(app.url)
    yield events
    events.close()


def _answered(app: RunningApp) -> None:
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    try:
        answer = client.predict(GOOD_QUESTION, api_name="/chat")
    finally:
        client.close()
    assert answer["found"] and answer["citations"], answer


def _cached_files(app: RunningApp) -> list[Path]:
    cache = app.root / "gradio-cache"
    return [p for p in cache.rglob("*") if p.is_file()] if cache.is_dir() else []


BOMBS = [
    ("text-node.docx", lambda: bombs.docx_one_text_node(1_200_000_000), "unpacks to more than the limit"),
    ("paragraphs.docx", lambda: bombs.docx_many_paragraphs(200_000_000), "unpacks to more than the limit"),
    ("pages.pdf", lambda: bombs.pdf(99_000), "too many pages (99,000; the limit is 5,000 pages per PDF)"),
    ("nested.pdf", lambda: bombs.pdf_nested_array(100_000), "too deeply nested"),
    ("nested.html", lambda: bombs.html_nested(10_000), "too deeply nested"),
]


@pytest.mark.app
@pytest.mark.timeout(600)
@pytest.mark.parametrize(("name", "make", "expected"), BOMBS, ids=[b[0] for b in BOMBS])
def test_a_bomb_is_refused_within_the_memory_bound(app: RunningApp, ui: UIEvents, name: str, make, expected: str
                                                   ) -> None:
    data = make()
    assert len(data) < 25 * 1024 * 1024
    resting = _rss(app.proc.pid)
    t0 = time.perf_counter()
    with PeakRSS(app.proc.pid) as peak:
        message = html.unescape(ui.upload(name, data))
    seconds = time.perf_counter() - t0
    print(f"{name}: {len(data):,} bytes, {seconds:.1f} s, resident {resting / 2**20:.0f} MiB -> peak "
          f"{peak.peak / 2**20:.0f} MiB (+{(peak.peak - resting) / 2**20:.0f} MiB)")
    assert f"✗ {name}" in message and expected in message, message
    assert str(app.root) not in message and "Error" not in message
    assert peak.peak - resting < RSS_BOUND, (name, peak.peak - resting)
    assert seconds < 60, seconds
    assert not (app.uploads / name).exists()  # refused: not kept
    assert not [p for p in _cached_files(app) if p.name == name]  # nor Gradio's copy
    assert check_index(app.root / "index") == []
    _answered(app)


def _indexed_within_the_bound(app: RunningApp, ui: UIEvents, name: str, data: bytes) -> float:
    """Upload ``name`` and wait until it is in the index; the peak RSS it added to the app, MiB (asserted)."""
    resting = _rss(app.proc.pid)
    t0 = time.perf_counter()
    with PeakRSS(app.proc.pid) as peak:
        message = html.unescape(ui.upload(name, data))
        deadline = time.monotonic() + 600
        while name not in {sd.document.id for sd in read_snapshot(app.root / "index").documents.values()}:
            assert time.monotonic() < deadline and "✗" not in message, message
            time.sleep(1.0)
    added = (peak.peak - resting) / 2**20
    print(f"{name}: {len(data):,} bytes, {time.perf_counter() - t0:.1f} s, resident {resting / 2**20:.0f} MiB -> peak "
          f"{peak.peak / 2**20:.0f} MiB (+{added:.0f} MiB)")
    assert peak.peak - resting < RSS_BOUND, added
    assert check_index(app.root / "index") == []
    return added


@pytest.mark.app
@pytest.mark.timeout(900)
def test_a_large_text_is_indexed_within_the_memory_bound(app: RunningApp, ui: UIEvents) -> None:
    """1 MB of plain-text prose (1,767 passages of up to 256 word pieces; 40,000 distinct words for BM25):
    reading, chunking, embedding and writing under the bound (2026-11-29: +365 MiB, 572 s on a saturated machine). It runs before the .docx below, so that the app's
    first large batches (onnxruntime's arena growing to its full size) are measured here. The worst case the
    budgets admit, 10M characters, takes too long for the suite: ``benchmarks/bench_index_memory.py``."""
    _indexed_within_the_bound(app, ui, "large.txt", bombs.prose(1_000_000).encode())
    _tick(ui)
    assert "Removed" in ui.remove("large.txt")
    _answered(app)


@pytest.mark.app
@pytest.mark.timeout(900)
def test_a_heavily_formatted_docx_at_the_part_limit_is_indexed_within_the_memory_bound(app: RunningApp, ui: UIEvents
                                                                                      ) -> None:
    """The costliest .docx the budgets admit: a 19 MiB body of one-word runs (python-docx's tree of it cost +290 MiB;
    streamed, its text costs what the text does). Measured over the whole upload: reading, chunking, embedding,
    under the same bound as the bombs."""
    _indexed_within_the_bound(app, ui, "heavy.docx", bombs.docx_formatted(19 * 1024 * 1024, words=1))
    _tick(ui)  # the Documents tab's timer refreshes the document picker, as it does in the browser
    assert "Removed" in ui.remove("heavy.docx")
    _answered(app)


def _tick(ui: UIEvents) -> None:
    """Fire the upload-status timer's tick in ``ui``'s session (its outputs refresh the document picker)."""
    config = ui.http.get("/config").json()
    pick = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-doc-pick")
    for i, dep in enumerate(config["dependencies"]):
        targets = dep.get("targets", [])
        if targets and targets[0][1] == "tick" and pick in dep.get("outputs", []):
            ui.fns[("timer", "tick")] = (dep.get("id", i), targets[0][0])
            assert ui._call(("timer", "tick"), [])["success"]
            return
    raise AssertionError("no timer refreshes the document picker")


@pytest.mark.app
@pytest.mark.timeout(300)
def test_a_removed_upload_is_served_by_no_route(app: RunningApp, ui: UIEvents) -> None:
    r = ui.http.post("/gradio_api/upload", files={"files": ("harbour.pdf", bombs.pdf(2), "application/pdf")})
    cached = r.json()[0]
    assert ui.http.get(f"/gradio_api/file={cached}").status_code == 200  # Gradio serves its copy until handled
    msg = ui._call(("qa-upload", "upload"), [[{"path": cached, "orig_name": "harbour.pdf",
                                                 "meta": {"_type": "gradio.FileData"}}]])
    assert "Added" in str(msg["output"]["data"][0]), msg
    saved = app.uploads / "harbour.pdf"
    assert saved.is_file()
    assert ui.http.get(f"/gradio_api/file={cached}").status_code in (403, 404)  # Gradio's copy is gone at once
    assert "Removed" in ui.remove("harbour.pdf")
    assert not saved.exists()
    for path in (cached, str(saved), str(saved.resolve())):
        assert ui.http.get(f"/gradio_api/file={path}").status_code in (403, 404), path
    assert not [p for p in _cached_files(app) if p.name == "harbour.pdf"]
    assert check_index(app.root / "index") == []
    assert "harbour.pdf" not in {sd.document.id for sd in read_snapshot(app.root / "index").documents.values()}


@pytest.mark.app
@pytest.mark.timeout(300)
def test_the_raw_upload_route_refuses_other_types(app: RunningApp, ui: UIEvents) -> None:
    r = ui.http.post("/gradio_api/upload", files={"files": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert r.status_code == 415 and "cannot be indexed ('.exe')" in r.text, (r.status_code, r.text)
    assert str(app.root) not in r.text
    assert not [p for p in _cached_files(app) if p.suffix == ".exe"]


FORGED = ["/etc/passwd", "relative.txt", "../../etc/hosts.txt", "http://127.0.0.1:9/notes.txt", "/nonexistent/a.pdf"]


@pytest.mark.app
@pytest.mark.timeout(300)
def test_a_forged_upload_path_gets_a_plain_error_naming_no_server_path(app: RunningApp, ui: UIEvents) -> None:
    fn_index, trigger = ui.fns[("qa-upload", "upload")]
    for path in FORGED:
        files = [{"path": path, "orig_name": "notes.txt", "meta": {"_type": "gradio.FileData"}}]
        replies = [ui.http.post(f"{ui.prefix}/queue/join", json={
            "data": [files], "fn_index": fn_index, "trigger_id": trigger, "session_hash": ui.session,
            "event_data": None})]
        replies.append(ui.http.post(f"{ui.prefix}/call/chat", json={"data": ["Who was wounded?", [files[0]]]}))
        for r in replies:
            assert r.status_code == 400 and "not uploaded to this app" in r.text, (path, r.status_code, r.text)
            assert str(app.root) not in r.text and path not in r.text and "Traceback" not in r.text
    assert not list(app.uploads.glob("*.txt"))
    _answered(app)


@pytest.mark.app
@pytest.mark.browser
@pytest.mark.timeout(300)
def test_direction_characters_in_a_file_name_in_the_browser(app: RunningApp, tmp_path: Path) -> None:
    """A name with U+202E (right-to-left override) or other control characters: the toast names the file
    readably, the upload box recovers from Gradio's "Error" at once, an allowed file is stored under its clean
    name; a file over the cap is refused in MiB."""
    from tests.integration.browser_page import CHROMIUM, CHROMIUM_ARGS, Page

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    sync_api = pytest.importorskip("playwright.sync_api")
    big = tmp_path / "big\u202efdp.txt"
    with big.open("wb") as fh:
        fh.truncate(26 * 1024 * 1024)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        ui = Page(browser, app).open()
        try:
            page = ui.page
            ui.tab("Documents")
            page.locator("#qa-upload input[type=file]").evaluate("e => e.removeAttribute('accept')")

            def toast_after(action, expected: str) -> str:
                action()
                toast = page.locator("[data-testid=toast-body]", has_text=expected).first
                toast.wait_for(timeout=30_000)
                page.wait_for_timeout(300)
                assert page.locator("#qa-upload [data-testid=status-tracker] .error").count() == 0  # recovered
                text = toast.inner_text()
                assert not any(c in text for c in "\u202e\u0007\u200f"), text
                return text

            def choose(name: str, data: bytes) -> None:
                page.set_input_files("#qa-upload input[type=file]",
                                     files=[{"name": name, "mimeType": "text/plain", "buffer": data}])

            toast_after(lambda: choose("invoice\u202etxt.exe", b"MZ"), "Invalid file type: invoicetxt.exe.")
            toast_after(lambda: page.evaluate("""() => {
              const dt = new DataTransfer();
              dt.items.add(new File(['MZ'], 'drop\\u202etxt.\\u0007exe', {type: 'text/plain'}));
              document.querySelector('#qa-upload button.upload-container').dispatchEvent(
                new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
            }"""), "Invalid file type: droptxt.exe.")
            text = toast_after(lambda: page.set_input_files("#qa-upload input[type=file]", str(big)), "bigfdp.txt")
            assert "maximum allowed size of 25.0 MiB" in text, text
            choose("light\u202ehouse\u200f.md", f"# Lighthouse\n\n{bombs.SENTENCE}".encode())
            page.wait_for_selector("#qa-upload-status:has-text('Added')", timeout=60_000)
            status = page.inner_text("#qa-upload-status")
            assert "lighthouse.md" in status and "\u202e" not in status, status
            assert (app.uploads / "lighthouse.md").is_file()
            assert page.locator("#qa-upload button.upload-container").is_visible()  # ready for the next file
            ui.shot("upload-direction-characters")
        finally:
            ui.close()
            browser.close()


# ------------------------------------------------------------------------------------------ kill -9


def _launch(root: Path) -> RunningApp:
    port = free_port()
    log = root / f"app-{port}.log"
    cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port), "--documents",
           str(root / "documents"), "--index-dir", str(root / "index"), "--uploads", str(root / "uploads"),
           "--feedback", str(root / "feedback")]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=app_env(), stdout=out, stderr=subprocess.STDOUT)
    running = RunningApp(f"http://127.0.0.1:{port}/", root, proc, log)
    wait_ready(running)
    return running


def _settled(app: RunningApp, names: list[str], timeout: float = 300) -> dict[str, str]:
    """Wait until every name is indexed or was reported refused in a log; returns name -> outcome. The logs of
    both runs count: a file the killed run had already refused is reported there, and is gone from uploads/."""
    deadline = time.monotonic() + timeout
    outcome: dict[str, str] = {}
    while time.monotonic() < deadline:
        indexed = {sd.document.id for sd in read_snapshot(app.root / "index").documents.values()}
        skipped = [line for log in sorted(app.root.glob("app*.log"))
                   for line in log.read_text(errors="replace").splitlines() if "skipped" in line]
        outcome = {n: "indexed" if n in indexed else "reported" for n in names
                   if n in indexed or any(f"/{n}: " in line for line in skipped)}
        if len(outcome) == len(names):
            return outcome
        time.sleep(1.0)
    raise AssertionError(f"not settled after {timeout}s: {sorted(set(names) - set(outcome))}\n{app.log_tail()}")


def _files_in(folder: Path) -> int:
    """What ``folder.rglob("*.*")`` counts (entries below it whose name holds a dot), counted while the app
    moves and deletes them: os.walk skips a folder that vanishes mid-walk, where Path.rglob raises."""
    return sum(1 for _, dirs, names in os.walk(folder) for n in (*dirs, *names) if "." in n)


@pytest.mark.app
@pytest.mark.timeout(900)
def test_kill_9_during_a_multi_file_upload_then_every_file_is_indexed_or_reported(tmp_path: Path) -> None:
    first = start_app(tmp_path, extra_documents=())
    files = [(f"note-{i:02d}.txt", f"Note {i}\n\nThe ferry number {i} left the harbour at dawn.".encode())
             for i in range(28)]
    files += [("deep.html", bombs.html_nested(10_000)), ("broken.pdf", b"%PDF-1.4 not really")]
    names = [n for n, _ in files]
    events = UIEvents(first.url)
    sender = threading.Thread(target=lambda: _ignore_errors(lambda: events.upload_many(files)), daemon=True)
    try:
        sender.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _files_in(tmp_path / "uploads") < len(files):
            time.sleep(0.05)
        first.proc.send_signal(signal.SIGKILL)  # received, not yet (all) indexed
        first.proc.wait(10)
    finally:
        events.close()
        stop_process(first.proc)
    left = sorted(p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file())
    assert left, "the upload did not arrive before the kill"
    assert check_index(tmp_path / "index") == []
    second = _launch(tmp_path)
    try:
        outcome = _settled(second, names)
        assert outcome["deep.html"] == outcome["broken.pdf"] == "reported", outcome
        assert all(outcome[n] == "indexed" for n in names if n.startswith("note-")), outcome
        remaining = sorted(p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file())
        assert remaining == sorted(n for n in names if n.startswith("note-"))  # refused ones not left behind
        assert check_index(tmp_path / "index") == []
        _answered(second)
    finally:
        second.stop()


def _ignore_errors(action) -> None:
    try:
        action()
    except Exception:  # the app is killed under it
        pass
