"""Load: 50 concurrent ``gradio_client`` clients x 20 questions against the running app (loopback only), while
a document is uploaded and removed through the app's own handlers — see ``scripts/load_test.py``, which
does the work and prints the figures for the README.

No request may fail, every quote must be verbatim in a version of its document that was indexed (answers in
flight while the index is swapped keep their snapshot), uploads keep working, and the app's memory must stop
growing. Bounded: questions not asked within ``QA_LOAD_DEADLINE`` seconds (150) are skipped, not failed, so
a slow machine makes the test shorter rather than longer. Figures: test-artifacts/load-test.json."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict

import pytest

from tests.integration.app_server import ROOT, RunningApp, start_app

pytestmark = [pytest.mark.load, pytest.mark.app, pytest.mark.timeout(480)]

gradio_client = pytest.importorskip("gradio_client")
psutil = pytest.importorskip("psutil")

from scripts.load_test import LoadResult, run_load  # noqa: E402 - after the importorskips

CLIENTS = int(os.environ.get("QA_LOAD_CLIENTS", "50"))
QUESTIONS = int(os.environ.get("QA_LOAD_QUESTIONS", "20"))
DEADLINE = float(os.environ.get("QA_LOAD_DEADLINE", "150"))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(tmp_path_factory.mktemp("load-app"), extra_documents=())
    yield app
    app.stop()


@pytest.fixture(scope="module")
def load(running: RunningApp) -> LoadResult:
    running.log_offset = running.log.stat().st_size  # type: ignore[attr-defined] - what the load adds is checked
    result = run_load(running.url, running.proc.pid, running.documents, clients=CLIENTS, questions=QUESTIONS,
                      upload_every=2.0, deadline=DEADLINE)
    print("\nload:", result.summary())
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "load-test.json").write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    return result


def test_no_request_fails(load: LoadResult) -> None:
    assert load.errors == 0, load.samples
    assert load.requests >= 0.5 * CLIENTS * QUESTIONS, f"only {load.requests} answered in {DEADLINE:.0f}s"
    assert load.requests + load.not_run == CLIENTS * QUESTIONS


def test_every_quote_is_verbatim_while_the_index_changes(load: LoadResult) -> None:
    assert load.invalid == 0, load.samples


def test_uploads_and_removals_work_during_the_load(load: LoadResult) -> None:
    assert load.upload_errors == 0, load.samples
    assert load.uploads >= 1 and (load.uploads < 2 or load.removals >= 1), (load.uploads, load.removals)
    asked = load.found.get("uploaded", [0, 0])
    assert asked[1] == 0 or asked[0] > 0, "the uploaded document was never found"


def test_answers_stay_right_under_load(load: LoadResult) -> None:
    found, asked = load.found.get("answerable", [0, 0])
    assert asked and found >= 0.8 * asked, load.found
    found, asked = load.found.get("unanswerable", [0, 0])
    assert found <= 0.1 * asked, load.found


def test_memory_stops_growing(load: LoadResult) -> None:
    assert load.rss_start_mb > 0
    assert load.rss_peak_mb - load.rss_start_mb < 500, load.summary()  # 50 sessions, queues, caches
    assert load.rss_half_mb == 0 or load.rss_end_mb - load.rss_half_mb < 100, load.summary()  # no leak per request


def test_the_app_is_healthy_afterwards(load: LoadResult, running: RunningApp) -> None:
    client = gradio_client.Client(running.url, verbose=False)
    try:
        result = client.predict("Was General Gerasimov wounded in the attack?", api_name="/chat")
    finally:
        client.close()
    assert result["found"] and result["citations"]
    assert running.proc.poll() is None
    with open(running.log, "rb") as fh:
        fh.seek(running.log_offset)  # type: ignore[attr-defined]
        log = fh.read().decode(errors="replace")
    assert "Traceback" not in log and " ERROR " not in log, log[-6000:]
