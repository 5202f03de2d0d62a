"""Crash safety: SIGKILL an ingest at random moments; the index must always load and hold, for every
document, either its old or its new passages — never a mix — and a re-run must complete the job."""
from __future__ import annotations

import multiprocessing as mp
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import qa

from tests.conftest import ROOT

KILLS = 25


def _write_corpus(folder: Path, version: str, n: int, skip: set[int] = frozenset()) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        path = folder / f"doc{i:03d}.txt"
        if i in skip:
            path.unlink(missing_ok=True)
            continue
        body = " ".join(f"Document {i} {version} sentence {j} mentions topic{(i * j) % 17}." for j in range(40))
        path.write_text(f"Title {i} {version}\n\n{body}", encoding="utf-8")


def _state(index_dir: Path) -> dict[str, frozenset[str]]:
    idx = qa.load_index(index_dir, embedder=qa.HashingEmbedder(64))
    snap = idx.snapshot
    out: dict[str, set[str]] = {}
    for i in range(len(snap.passages)):
        out.setdefault(snap.passages.doc_ids[i], set()).add(snap.passage_text(i))
    assert idx.search("topic3 sentence", k=3)  # it answers
    return {d: frozenset(p) for d, p in out.items()}


def _ingest(folder: str, index_dir: str) -> None:
    qa.build_index(folder, index_dir, embedder=qa.HashingEmbedder(64), chunk_size=60)
    os._exit(0)


@pytest.mark.timeout(300)
def test_sigkill_during_ingest_never_mixes_states(tmp_path: Path) -> None:
    folder, index_dir = tmp_path / "docs", tmp_path / "index"
    _write_corpus(folder, "old", 120)
    qa.build_index(folder, index_dir, embedder=qa.HashingEmbedder(64), chunk_size=60)
    old = _state(index_dir)
    # the new state: 40 documents changed, 40 added, 10 deleted
    pristine = tmp_path / "pristine-old-index"
    shutil.copytree(index_dir, pristine)
    # the new state: 50 documents changed, 60 unchanged, 10 deleted, 40 added
    _write_corpus(folder, "new", 160, skip=set(range(100, 110)))
    for i in range(40, 100):
        unchanged = folder / f"doc{i:03d}.txt"
        unchanged.write_text(unchanged.read_text().replace(" new", " old"), encoding="utf-8")
    reference = tmp_path / "reference"
    qa.build_index(folder, reference, embedder=qa.HashingEmbedder(64), chunk_size=60)
    new = _state(reference)
    assert old != new

    ctx = mp.get_context("fork")
    t0 = time.perf_counter()
    p = ctx.Process(target=_ingest, args=(str(folder), str(tmp_path / "timing")))
    p.start()
    p.join()
    duration = time.perf_counter() - t0

    rng = random.Random(1234)
    outcomes = {"old": 0, "new": 0}
    for _ in range(KILLS):
        p = ctx.Process(target=_ingest, args=(str(folder), str(index_dir)))
        p.start()
        time.sleep(rng.uniform(0, duration * 1.1))
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        state = _state(index_dir)
        for doc_id in old.keys() | new.keys():
            assert state.get(doc_id) in (old.get(doc_id), new.get(doc_id)), doc_id
        assert state in (old, new), "the index holds a mix of two generations"
        outcomes["new" if state == new else "old"] += 1
        if state == new:  # start over from the old state so later kills hit the write again
            shutil.rmtree(index_dir)
            shutil.copytree(pristine, index_dir)
    assert outcomes["old"] > 0
    qa.build_index(folder, index_dir, embedder=qa.HashingEmbedder(64), chunk_size=60)
    assert _state(index_dir) == new
    assert not [f for f in index_dir.iterdir() if f.name.startswith(".tmp-")]


def test_two_index_commands_at_once_are_serialised(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _write_corpus(folder, "v1", 30)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import sys, qa; idx = qa.build_index(sys.argv[1], sys.argv[2], embedder=qa.HashingEmbedder(64)); "
            "print(idx.last_report.summary())")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(folder), str(tmp_path / "index")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    summaries = sorted(o[0].strip() for o in outs)
    # one built everything; the other waited for the lock, then found nothing to do
    assert summaries[0].startswith("0 added") and "30 unchanged" in summaries[0]
    assert summaries[1].startswith("30 added")
    assert len(_state_docs(tmp_path / "index")) == 30


def _state_docs(index_dir: Path) -> list[str]:
    return [sd.document.id for sd in qa.load_index(index_dir, embedder=qa.HashingEmbedder(64)).documents()]
