"""Memory of the running web app (``app.py``) serving the SciFact index built by ``bench_ingest.py``, and the
end-to-end latency of its ``/chat`` API (quotes mode) through ``gradio_client`` on this machine.

The app is started on a free loopback port with an empty documents folder (so it only opens the index),
asked warm-up questions, then the measured ones; its VmRSS/VmHWM are read from /proc. Stopped at the end.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS, ROOT, WORK, load_avg, machine, percentiles, queries, rss_mb, write_result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="scifact")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    app = ROOT / "app.py"
    if not app.exists():
        print("bench_app: app.py does not exist; skipped")
        return
    from gradio_client import Client

    work = Path(tempfile.mkdtemp(prefix="qa-app-", dir=WORK))
    index = work / "index"
    shutil.copytree(WORK / f"qa-{args.corpus}", index)
    (work / "documents").mkdir()
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, str(app), "--host", "127.0.0.1", "--port", str(port), "--documents", str(work / "documents"),
           "--index-dir", str(index), "--uploads", str(work / "uploads"), "--feedback", str(work / "feedback")]
    start = load_avg()
    t0 = time.perf_counter()
    with open(work / "app.log", "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=log)
    result: dict = {"corpus": args.corpus, "load_avg_start": start, "machine": machine()}
    try:
        client = None
        qs = queries(args.corpus, args.n + 3)
        deadline = time.monotonic() + args.timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited ({proc.returncode}): {(work / 'app.log').read_text()[-2000:]}")
            try:
                client = client or Client(f"http://127.0.0.1:{port}/", verbose=False)
                client.predict(qs[0], api_name="/search")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        result["ready_s"] = time.perf_counter() - t0
        result["rss_ready_mb"] = rss_mb(proc.pid)
        for q in qs[1:3]:
            client.predict(q, api_name="/chat")
        lat = []
        for q in qs[3:]:
            t1 = time.perf_counter()
            client.predict(q, api_name="/chat")
            lat.append((time.perf_counter() - t1) * 1000)
        result["chat_ms"] = percentiles(lat)
        result["rss_after_mb"] = rss_mb(proc.pid)
        print(f"app: ready in {result['ready_s']:.1f}s, RSS {result['rss_after_mb']['VmRSS']:.0f} MiB "
              f"(peak {result['rss_after_mb']['VmHWM']:.0f}), /chat p50 {result['chat_ms']['p50']:.0f} ms")
    except Exception as e:  # noqa: BLE001 - recorded in the report
        result["error"] = f"{type(e).__name__}: {e}"
        print(f"bench_app: {result['error']}")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    write_result(f"app-{args.corpus}", result, args.results)


if __name__ == "__main__":
    main()
