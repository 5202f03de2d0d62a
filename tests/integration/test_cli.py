"""The command line, run as a user would (real model, offline)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DOCUMENTS, ROOT


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_index_then_search_json_and_text(tmp_path: Path) -> None:
    docs = tmp_path / "documents"
    docs.mkdir()
    for f in DOCUMENTS.iterdir():
        (docs / f.name).write_bytes(f.read_bytes())
    (docs / "broken.pdf").write_bytes(b"not a pdf at all")
    r = run("index", "documents", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2 added" in r.stdout and "broken.pdf" in r.stderr and "not a valid PDF" in r.stderr
    assert (tmp_path / "index" / "manifest.json").exists()

    r = run("index", "documents", "--json", cwd=tmp_path)  # unchanged: nothing re-embedded
    report = json.loads(r.stdout)
    assert report["embedded"] == 0 and len(report["unchanged"]) == 2 and not report["added"]

    r = run("search", "who admitted the missile attack?", "--json", "-k", "2", cwd=tmp_path)
    hits = json.loads(r.stdout)
    assert len(hits) == 2 and hits[0]["doc_id"].endswith("arestovych.txt")
    text = (docs / Path(hits[0]["doc_id"]).name).read_text(encoding="utf-8")
    assert text[hits[0]["start"] : hits[0]["end"]] == hits[0]["text"]

    r = run("search", "Simonov", cwd=tmp_path)
    assert r.returncode == 0 and "Simonov" in r.stdout and "[1]" in r.stdout

    r = run("list", cwd=tmp_path)
    assert "2 documents" in r.stdout

    r = run("eval", "latency", "index", "--json", cwd=tmp_path)  # the quotes-mode latency report
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)["metrics"]
    assert m["n"] > 0 and 0 < m["p50_ms"] <= m["p95_ms"] <= m["max_ms"] and m["first_p50_ms"] > 0


def test_clear_errors(tmp_path: Path) -> None:
    r = run("search", "anything", "--index-dir", str(tmp_path / "none"), cwd=tmp_path)
    assert r.returncode == 2 and "no index here" in r.stderr and "Traceback" not in r.stderr
    r = run("index", str(tmp_path / "missing-folder"), "--index-dir", str(tmp_path / "i"), cwd=tmp_path)
    assert r.returncode != 0 and "missing-folder" in r.stderr and "Traceback" not in r.stderr
    for kind in ("beir", "conflicts"):  # a dataset path that does not exist: named, no traceback
        r = run("eval", kind, str(tmp_path / "no-such-data"), cwd=tmp_path)
        assert r.returncode == 2 and "no-such-data" in r.stderr and "Traceback" not in r.stderr
