"""The app's API through ``gradio_client`` against the running app (``/chat`` and ``/search``)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.app_server import RunningApp, start_app

pytestmark = [pytest.mark.app, pytest.mark.timeout(300)]

gradio_client = pytest.importorskip("gradio_client")

WOUNDED = "gerasimov-reportedly-wounded-in-izium-ambush.txt"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(tmp_path_factory.mktemp("client-app"))
    yield app
    app.stop()


@pytest.fixture(scope="module")
def client(running: RunningApp):
    return gradio_client.Client(running.url, verbose=False)


def _doc_text(running: RunningApp, doc_id: str) -> str:
    return (running.documents / Path(doc_id).name).read_text(encoding="utf-8")


def test_api_lists_chat_and_search(client) -> None:
    info = client.view_api(print_info=False, return_format="dict")
    names = set(info["named_endpoints"])
    assert {"/chat", "/search"} <= names
    ui_only = {n for n in names if n not in ("/chat", "/search")}
    assert not ui_only, f"UI event handlers should not be public API endpoints: {ui_only}"


def test_chat_returns_answer_with_verbatim_citations(client, running: RunningApp) -> None:
    result = client.predict("Was General Gerasimov wounded in the attack?", api_name="/chat")
    assert result["found"] is True
    assert result["citations"], result
    assert "[1]" in result["text"]
    for c in result["citations"]:
        text = _doc_text(running, c["doc_id"])
        assert text[c["start"]:c["end"]] == c["quote"]  # verbatim, at the stated offsets
        assert c["title"] and c["source"]
    assert any(c["doc_id"].endswith(WOUNDED) for c in result["citations"])


def test_chat_follow_up_uses_history(client) -> None:
    first = client.predict("Was General Gerasimov wounded in the attack?", api_name="/chat")
    history = [{"role": "user", "content": first["question"]}, {"role": "assistant", "content": first["text"]}]
    follow = client.predict("Where was he wounded?", history, api_name="/chat")
    assert "Gerasimov" in follow["query"]  # the follow-up was made stand-alone from the conversation
    assert follow["citations"]


def test_chat_not_found(client) -> None:
    result = client.predict("What is the recipe for Hungarian goulash soup?", api_name="/chat")
    assert result["found"] is False
    assert result["citations"] == []


def test_search_returns_ranked_passages(client, running: RunningApp) -> None:
    hits = client.predict("shrapnel wound right shin", 3, api_name="/search")
    assert 1 <= len(hits) <= 3
    assert hits[0]["doc_id"].endswith(WOUNDED)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    top = hits[0]
    assert _doc_text(running, top["doc_id"])[top["start"]:top["end"]] == top["text"]


def test_search_only_some_documents(client) -> None:
    doc_ids = [h["doc_id"] for h in client.predict("Gerasimov", 10, api_name="/search")]
    other = next(d for d in doc_ids if not d.endswith(WOUNDED))
    hits = client.predict("shrapnel wound right shin", 5, [other], api_name="/search")
    assert hits and all(h["doc_id"] == other for h in hits)


def test_bad_requests_are_clear_errors(client) -> None:
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/search")
    with pytest.raises(Exception, match="no such document"):
        client.predict("Gerasimov", doc_ids=["no/such/doc.txt"], api_name="/chat")
