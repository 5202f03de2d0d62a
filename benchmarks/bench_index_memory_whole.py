"""The worst admissible text read and indexed whole, with the real encoder: peak RSS added.

    python benchmarks/bench_index_memory_whole.py TEXT_FILE     # e.g. 10M characters of generated prose

One process indexes one sentence first (the encoder loaded, as in the app), then reads TEXT_FILE and indexes it
into a new folder while a thread samples the RSS every 20 ms; prints the peak over the RSS before reading. The
encoder's arena is counted (the app's start-up indexing would already have paid part of it), so this is a
conservative figure for the README's memory bound.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def rss_mib() -> float:
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    import qa
    from qa.ingest.loaders import load_file

    work = Path(tempfile.mkdtemp())
    qa.build_index([qa.Document("one", "One", "The lighthouse was painted red in 1911.")], work / "a")
    base = rss_mib()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mib())
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.time()
    doc = load_file(Path(sys.argv[1]))
    qa.build_index([doc], work / "b")
    stop.set()
    thread.join()
    print(json.dumps({"file": sys.argv[1], "chars": len(doc.text), "base_mib": round(base, 1),
                      "peak_added_mib": round(peak[0] - base, 1), "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
