"""Load test of the web chat through its API: many concurrent ``gradio_client`` clients asking questions
while documents are uploaded and removed, on this machine's loopback only. Stops by itself.

    python scripts/load_test.py                        # starts app.py on a temporary copy of documents/
    python scripts/load_test.py --clients 10 --questions 5 --json
    python scripts/load_test.py --url http://127.0.0.1:7860/ --pid 12345 --documents documents   # a running app

Each client is its own ``gradio_client.Client`` (its own session) and asks ``--questions`` questions through
``/chat``, one after the other: answerable ones about the sample articles, unanswerable ones, follow-ups
(with the client's conversation as history) and questions about the document being uploaded. Meanwhile an
uploader, using the app's own upload and remove handlers over HTTP exactly as the browser does, keeps
uploading new versions of a document (every version shifts its text) and removing it.

Every answer is checked: no error, and every citation is verbatim ``document_text[start:end]`` (and its
context too) for a version of its document that was indexed at some point — an answer whose snapshot
changed under it would quote text at stale offsets. The app's resident memory (RSS, via psutil) is
sampled throughout. Printed: clients, questions, errors, p50/p95/max latency, throughput, RSS
start/peak/end, uploads and removals.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ANSWERABLE = [
    "Was General Gerasimov wounded in the attack?",
    "How many Russian officers were killed in Izium?",
    "Who said Gerasimov left before the strike?",
    "Did the United States know about the attack?",
    "What wound did Gerasimov suffer according to Avakov?",
    "Where did Gerasimov land after he was evacuated?",
    "Which general was confirmed killed in the attack?",
    "Why was the United States against eliminating Gerasimov?",
]
UNANSWERABLE = [
    "What is the recipe for Hungarian goulash soup?",
    "What is the boiling point of mercury?",
    "Who won the 1998 football world cup?",
]
FOLLOW_UPS = ["Where was he wounded?", "Who reported that?", "When did it happen?", "What happened to him then?"]
UPLOADED = [
    "Who painted the Varnholm lighthouse red?",
    "When was the lamp of the Varnholm lighthouse electrified?",
]
UPLOAD_NAME = "varnholm-log.txt"
UPLOAD_BODY = ("The lighthouse on the island of Varnholm was built in 1887 from grey granite quarried on the island.\n\n"
               "In 1911 the lighthouse keeper, Edda Lindqvist, painted the whole tower red so that fishermen could "
               "see it against the winter snow.\n\nThe lamp was electrified in 1952 and the last keeper left the "
               "island in 1979, when the light became automatic.\n")


def upload_version(i: int) -> bytes:
    """Version ``i`` of the uploaded document: a different preface, so every offset after it moves."""
    preface = f"Varnholm lighthouse log, revision {i}\n\n" + "Weather: fog, then clear. " * (i % 6) + "\n\n"
    return (preface + UPLOAD_BODY).encode("utf-8")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


# ------------------------------------------------------------------------------------------ what we know


class Corpus:
    """Every version of every document the app may have indexed, as the app's loaders read them."""

    def __init__(self, documents: Path) -> None:
        from qa.ingest import loaders

        self._lock = threading.Lock()
        self.texts: dict[str, set[str]] = {}
        self._tmp = Path(tempfile.mkdtemp(prefix="qa-load-"))
        for path, doc_id in loaders.discover([documents]):
            self.texts.setdefault(doc_id, set()).add(loaders.load_file(path, doc_id).text)

    def add_upload(self, name: str, data: bytes) -> None:
        from qa.ingest import loaders

        path = self._tmp / name
        path.write_bytes(data)
        text = loaders.load_file(path, name).text
        with self._lock:
            self.texts.setdefault(name, set()).add(text)

    def problems(self, answer: dict[str, Any]) -> list[str]:
        """What is wrong with a /chat answer (empty when every citation is verbatim and numbered)."""
        out = []
        with self._lock:
            known = {d: list(v) for d, v in self.texts.items()}
        cites = answer.get("citations") or []
        for c in cites:
            versions = known.get(c["doc_id"])
            if not versions:
                out.append(f"citation of an unknown document {c['doc_id']!r}")
                continue
            if not any(t[c["start"]:c["end"]] == c["quote"] and
                       t[c["context_start"]:c["context_start"] + len(c["context"])] == c["context"] for t in versions):
                out.append(f"[{c['n']}] is not verbatim at {c['doc_id']}[{c['start']}:{c['end']}]: {c['quote'][:60]!r}")
        if [c["n"] for c in cites] != list(range(1, len(cites) + 1)):
            out.append(f"citations are not numbered 1..{len(cites)}")
        for m in re.findall(r"\[(\d+)\]", answer.get("text", "")):
            if not 1 <= int(m) <= len(cites):
                out.append(f"marker [{m}] has no citation")
        if answer.get("found") and not cites:
            out.append("found=True without citations")
        return out


# ------------------------------------------------------------------------------------------ the browser's protocol


class UIEvents:
    """The app's upload and remove handlers, called over HTTP the way the browser calls them (they are UI
    events, not public API endpoints, so gradio_client will not call them). One browser session: the
    document picker the remove button reads only offers what this session has been shown."""

    def __init__(self, url: str, auth: tuple[str, str] | None = None, timeout: float = 120.0) -> None:
        import httpx

        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        if auth:
            self.http.post("/login", data={"username": auth[0], "password": auth[1]}).raise_for_status()
        config = self.http.get("/config").json()
        self.prefix = config.get("api_prefix", "/gradio_api")
        self.session = uuid.uuid4().hex[:12]
        elem = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
        self.fns: dict[tuple[str, str], tuple[int, int]] = {}
        for i, dep in enumerate(config["dependencies"]):
            for target, event in dep.get("targets", []):
                if target is not None and elem.get(target):
                    self.fns[(elem[target], event)] = (dep.get("id", i), target)

    def _call(self, key: tuple[str, str], data: list[Any]) -> dict[str, Any]:
        fn_index, trigger = self.fns[key]
        r = self.http.post(f"{self.prefix}/queue/join", json={
            "data": data, "fn_index": fn_index, "trigger_id": trigger, "session_hash": self.session,
            "event_data": None})
        r.raise_for_status()
        with self.http.stream("GET", f"{self.prefix}/queue/data", params={"session_hash": self.session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed":
                        return msg
        raise RuntimeError("the event stream ended without a result")

    def upload(self, name: str, data: bytes) -> str:
        """Upload one file through the Documents tab's handler; returns the status message shown."""
        return self.upload_many([(name, data)])

    def upload_many(self, files: list[tuple[str, bytes]]) -> str:
        """Upload files together (one drop on the Documents tab); returns the status message shown."""
        r = self.http.post(f"{self.prefix}/upload", files=[("files", (n, d, "text/plain")) for n, d in files])
        if r.status_code == 415:  # the raw upload route refuses types that cannot be indexed
            raise RuntimeError(f"upload refused: {r.text}")
        r.raise_for_status()
        data = [{"path": path, "orig_name": n, "size": len(d), "mime_type": "text/plain",
                 "meta": {"_type": "gradio.FileData"}} for path, (n, d) in zip(r.json(), files, strict=True)]
        msg = self._call(("qa-upload", "upload"), [data])
        if not msg.get("success"):
            raise RuntimeError(f"upload failed: {msg.get('output')}")
        return str(msg["output"]["data"][0])

    def remove(self, doc_id: str) -> str:
        msg = self._call(("qa-remove", "click"), [doc_id])
        if not msg.get("success"):
            raise RuntimeError(f"remove failed: {msg.get('output')}")
        return str(msg["output"]["data"][0])

    def close(self) -> None:
        self.http.close()


# ------------------------------------------------------------------------------------------ the load


@dataclass
class LoadResult:
    clients: int
    questions_per_client: int
    requests: int = 0  # answered or failed
    errors: int = 0  # a request that raised (gr.Error, timeout, connection)
    invalid: int = 0  # answered, but a citation is not verbatim (or numbering is off)
    not_run: int = 0  # questions not asked before the deadline
    found: dict[str, list[int]] = field(default_factory=dict)  # kind -> [found, asked]
    latency_p50: float = 0.0
    latency_p95: float = 0.0
    latency_max: float = 0.0
    wall_seconds: float = 0.0
    throughput: float = 0.0  # answers per second
    rss_start_mb: float = 0.0
    rss_half_mb: float = 0.0  # when half the questions were answered: growth after it would be a leak
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    uploads: int = 0
    removals: int = 0
    upload_errors: int = 0
    samples: list[str] = field(default_factory=list)  # the first few errors / problems, for the report

    def summary(self) -> str:
        found = ", ".join(f"{k} {f}/{n}" for k, (f, n) in sorted(self.found.items()))
        return (f"{self.clients} clients x {self.questions_per_client} questions: {self.requests} requests, "
                f"{self.errors} errors, {self.invalid} invalid, {self.not_run} not run; latency p50 "
                f"{self.latency_p50:.2f}s p95 {self.latency_p95:.2f}s max {self.latency_max:.2f}s; "
                f"{self.throughput:.1f} answers/s over {self.wall_seconds:.0f}s; app RSS start "
                f"{self.rss_start_mb:.0f} MB, half-way {self.rss_half_mb:.0f} MB, peak {self.rss_peak_mb:.0f} MB, "
                f"end {self.rss_end_mb:.0f} MB; "
                f"{self.uploads} uploads + {self.removals} removals during the load ({self.upload_errors} failed); "
                f"found: {found}")


class RSSMonitor(threading.Thread):
    def __init__(self, pid: int | None, every: float = 0.2) -> None:
        super().__init__(daemon=True, name="rss-monitor")
        import psutil

        self.proc = psutil.Process(pid) if pid else None
        self.every = every
        self.peak = 0
        self._stop_event = threading.Event()

    def rss(self) -> int:
        if self.proc is None:
            return 0
        value = self.proc.memory_info().rss
        self.peak = max(self.peak, value)
        return value

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            try:
                self.rss()
            except Exception:  # noqa: BLE001 - the process ended
                return

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


def _plan(rng: random.Random, n: int) -> list[str]:
    """The kinds of this client's questions, in order (a follow-up always comes after an answerable one)."""
    kinds: list[str] = []
    while len(kinds) < n:
        r = rng.random()
        if r < 0.45:
            kinds.append("answerable")
            if rng.random() < 0.5 and len(kinds) < n:
                kinds.append("follow-up")
        elif r < 0.7:
            kinds.append("unanswerable")
        else:
            kinds.append("uploaded")
    return kinds[:n]


def run_load(url: str, pid: int | None, documents: Path, *, clients: int = 50, questions: int = 20,
             upload_every: float = 2.0, deadline: float = 600.0, request_timeout: float = 180.0,
             auth: tuple[str, str] | None = None, seed: int = 7,
             log: Callable[[str], None] | None = None) -> LoadResult:
    """Run the load against the app at ``url`` (process ``pid``, serving ``documents``); see the module doc."""
    from gradio_client import Client

    log = log or (lambda s: None)
    corpus = Corpus(documents)
    result = LoadResult(clients, questions)
    lock = threading.Lock()
    latencies: list[float] = []
    stop_uploads = threading.Event()

    def note(kind: str, text: str) -> None:
        with lock:
            if len(result.samples) < 10:
                result.samples.append(f"{kind}: {text}")

    # warm up (the first answers load models and fill caches), then take the starting RSS
    warm = Client(url, auth=auth, verbose=False)
    for q in ANSWERABLE[:2] + UNANSWERABLE[:1]:
        warm.predict(q, api_name="/chat")
    warm.close()
    monitor = RSSMonitor(pid)
    time.sleep(0.5)
    result.rss_start_mb = monitor.rss() / 1e6
    monitor.peak = 0
    monitor.start()
    ui = UIEvents(url, auth)

    def upload(i: int) -> None:
        data = upload_version(i)
        corpus.add_upload(UPLOAD_NAME, data)  # known before the app can quote it
        message = ui.upload(UPLOAD_NAME, data)
        if "✗" in message or not any(w in message for w in ("Added", "Updated", "already indexed")):
            raise RuntimeError(message)

    def uploader() -> None:
        i = 0
        while not stop_uploads.wait(upload_every):
            i += 1
            try:
                upload(i)
                with lock:
                    result.uploads += 1
                if i % 3 == 2:
                    message = ui.remove(UPLOAD_NAME)
                    if "Removed" not in message:
                        raise RuntimeError(message)
                    with lock:
                        result.removals += 1
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    result.upload_errors += 1
                note("upload", f"{type(e).__name__}: {e}")

    upload(0)  # a known version of the uploaded document, whatever an earlier run left in the app

    start_gate = threading.Barrier(clients + 1)
    t_end = time.monotonic() + deadline

    def client_run(ci: int) -> None:
        rng = random.Random(seed * 1000 + ci)
        plan = _plan(rng, questions)
        try:
            client = Client(url, auth=auth, verbose=False)
        except Exception as e:  # noqa: BLE001
            with lock:
                result.errors += questions
            note("connect", f"{type(e).__name__}: {e}")
            start_gate.wait()
            return
        start_gate.wait()
        last: tuple[str, str] | None = None
        try:
            for qi, kind in enumerate(plan):
                if time.monotonic() > t_end:
                    with lock:
                        result.not_run += len(plan) - qi
                    return
                history = None
                if kind == "answerable":
                    q = rng.choice(ANSWERABLE)
                elif kind == "follow-up" and last:
                    q = rng.choice(FOLLOW_UPS)
                    history = [{"role": "user", "content": last[0]}, {"role": "assistant", "content": last[1]}]
                elif kind == "uploaded":
                    q = rng.choice(UPLOADED)
                else:
                    kind, q = "unanswerable", rng.choice(UNANSWERABLE)
                t0 = time.perf_counter()
                try:
                    job = client.submit(q, history, api_name="/chat")
                    answer = job.result(timeout=request_timeout)
                except Exception as e:  # noqa: BLE001 - counted and reported
                    with lock:
                        result.requests += 1
                        result.errors += 1
                    note("request", f"{q!r}: {type(e).__name__}: {e}")
                    continue
                dt = time.perf_counter() - t0
                problems = corpus.problems(answer) if isinstance(answer, dict) else ["not a dict"]
                with lock:
                    result.requests += 1
                    if result.requests == clients * questions // 2:
                        result.rss_half_mb = monitor.rss() / 1e6
                    latencies.append(dt)
                    tally = result.found.setdefault(kind, [0, 0])
                    tally[0] += bool(answer.get("found"))
                    tally[1] += 1
                    if problems:
                        result.invalid += 1
                if problems:
                    note("answer", f"{q!r}: {'; '.join(problems)}")
                if kind == "answerable" and answer.get("found"):
                    last = (q, answer["text"])
        finally:
            client.close()

    threads = [threading.Thread(target=client_run, args=(i,), name=f"client-{i}", daemon=True)
               for i in range(clients)]
    up = threading.Thread(target=uploader, name="uploader", daemon=True)
    for t in threads:
        t.start()
    start_gate.wait()  # every client connected
    log(f"{clients} clients connected; asking {questions} questions each")
    t0 = time.perf_counter()
    up.start()
    for t in threads:
        t.join(max(1.0, t_end - time.monotonic() + request_timeout))
    result.wall_seconds = time.perf_counter() - t0
    stop_uploads.set()
    up.join(request_timeout)
    ui.close()
    time.sleep(1.0)
    monitor.stop()
    result.rss_end_mb = monitor.rss() / 1e6
    result.rss_peak_mb = max(monitor.peak / 1e6, result.rss_start_mb, result.rss_end_mb)
    if any(t.is_alive() for t in threads):
        result.errors += sum(t.is_alive() for t in threads)
        note("hang", "a client was still waiting after the deadline")
    if latencies:
        result.latency_p50 = statistics.median(latencies)
        result.latency_p95 = percentile(latencies, 0.95)
        result.latency_max = max(latencies)
    result.throughput = len(latencies) / result.wall_seconds if result.wall_seconds else 0.0
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--questions", type=int, default=20, help="questions per client")
    ap.add_argument("--upload-every", type=float, default=2.0, help="seconds between uploads during the load")
    ap.add_argument("--deadline", type=float, default=600.0, help="stop asking new questions after this many seconds")
    ap.add_argument("--url", help="an app already running (default: start one on a temporary copy of documents/)")
    ap.add_argument("--pid", type=int, help="its process id (for RSS)")
    ap.add_argument("--documents", type=Path, help="the documents folder it serves (to check the quotes)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    auth = None
    if os.environ.get("QA_AUTH") and ":" in os.environ["QA_AUTH"]:
        user, _, password = os.environ["QA_AUTH"].partition(":")
        auth = (user, password)
    app = None
    if args.url:
        if not args.documents:
            ap.error("--url needs --documents (the folder the app serves)")
        url, pid, documents = args.url, args.pid, args.documents
    else:
        from tests.app_server import start_app

        root = Path(tempfile.mkdtemp(prefix="qa-load-app-"))
        print(f"starting the app in {root} …", file=sys.stderr, flush=True)
        app = start_app(root, extra_documents=())
        url, pid, documents = app.url, app.proc.pid, app.documents
    try:
        result = run_load(url, pid, documents, clients=args.clients, questions=args.questions,
                          upload_every=args.upload_every, deadline=args.deadline, auth=auth,
                          log=lambda s: print(s, file=sys.stderr, flush=True))
    finally:
        if app is not None:
            app.stop()
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(result.summary())
        print()
        print("| clients | questions | errors | p50 | p95 | max | throughput | RSS start / peak / end |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| {result.clients} | {result.requests} | {result.errors + result.invalid} | "
              f"{result.latency_p50:.2f} s | {result.latency_p95:.2f} s | {result.latency_max:.2f} s | "
              f"{result.throughput:.1f} answers/s | {result.rss_start_mb:.0f} / {result.rss_peak_mb:.0f} / "
              f"{result.rss_end_mb:.0f} MB |")
        for s in result.samples:
            print("  ", s)
    return 0 if result.errors == 0 and result.invalid == 0 and result.upload_errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
