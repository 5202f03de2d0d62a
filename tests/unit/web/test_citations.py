"""Clickable citations, one relevance scale and checked settings in the web chat (issue 15), without a browser:
the [n] links and their tooltips (escaped), the key a click sends back, the Sources block without raw scores,
the reader's own scroll box, and k / written mode refused with a message (page and API alike)."""
from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import qa
from qa.types import Answer, Citation
from qa.web import render as webui
from qa.web.cite import cite_key, cite_links
from qa.web.settings import WRITTEN_INSTALL, check_k, check_mode
from tests.conftest import CORPUS

pytest.importorskip("gradio", reason="the web app needs gradio")
from qa.web import controller  # noqa: E402
from qa.web.config import AppConfig  # noqa: E402
from qa.web.controller import ChatApp  # noqa: E402
from qa.web.state import ChatState  # noqa: E402

XSS = '<img src=x onerror="window.__pwned=1"> "quoted" [2] & <script>x</script>'


def _citation(n: int, quote: str, score: float, title: str = "Solar Power Basics") -> Citation:
    text = CORPUS["solar.txt"]
    start = text.index(quote) if quote in text else 0
    return Citation(n, quote, "corpus/solar.txt", title, "/data/solar.txt", start, start + len(quote), score,
                    context=quote, context_start=start)


def _answer(text: str, *citations: Citation) -> Answer:
    return Answer("What are panels made of?", text, True, citations=citations, query="q")


@pytest.fixture
def chat(corpus_dir: Path, tmp_path: Path) -> ChatApp:
    index = qa.build_index([corpus_dir], tmp_path / "index", embedder=qa.HashingEmbedder(128))
    config = AppConfig(documents_dir=corpus_dir, index_dir=tmp_path / "index", upload_dir=tmp_path / "uploads",
                       feedback_dir=tmp_path / "feedback")
    return ChatApp(config, index=index)


def _last(gen):
    state = None
    for state in gen:  # noqa: B007 - the last one is wanted
        pass
    return state


# ------------------------------------------------------------------------------------------ links


def test_each_cited_marker_becomes_a_link_to_its_quote_with_the_quote_as_tooltip() -> None:
    a = _answer("**silicon** [1]\\n\\nAccording to *Solar*: “Most home panels are **made of silicon**.” [1] [2] [9]",
                _citation(1, "Most home panels are made of silicon.", 1.0), _citation(2, "Panels last.", 0.2))
    out = webui.render_answer(a, cite_links(3, a))
    assert out.startswith('**silicon** <sup><a class="qa-cite" href="#qa-cite-3-1" title="Solar Power Basics: '
                          '“Most home panels are made of silicon.”">&#91;1&#93;</a></sup>')  # bold short answer kept
    assert "**made of silicon**" in out  # the short answer stays bold inside its quote
    assert out.count('href="#qa-cite-3-1"') == 2 and out.count('href="#qa-cite-3-2"') == 1
    assert "<sup>&#91;9&#93;</sup>" in out  # a number no citation has stays a plain marker


def test_tooltips_escape_untrusted_quotes_and_titles() -> None:
    a = _answer("Text [1]", _citation(1, XSS, 0.5, title=f"T {XSS}"))
    link = cite_links(0, a)(1) or ""
    title = re.search(r'title="([^"]*)"', link)
    assert title and "<" not in title.group(1) and '"' not in title.group(1)
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in title.group(1)
    assert link.count("<a ") == 1 and link.endswith("&#91;1&#93;</a>")
    assert len(title.group(1)) < 700  # long quotes are shortened


def test_the_sources_block_links_its_entries_too_and_marks_the_best_match_without_scores() -> None:
    a = _answer("x [1] [2]", _citation(1, "Most home panels are made of silicon.", -2.68),
                _citation(2, "A typical panel lasts about 25 years", 2.71))
    msgs = webui.chat_messages("q", a, cite_links(0, a))
    sources = msgs[2]["content"]
    assert '**<a class="qa-cite" href="#qa-cite-0-1"' in sources and 'href="#qa-cite-0-2"' in sources
    assert "score" not in sources and "2.71" not in sources and "-2.68" not in sources
    entries = sources.split("\n\n> ")
    assert "best match" in entries[1].split("\n")[-1] and "best match" not in entries[0]  # [2] scored higher
    assert "best match" not in webui.render_sources(_answer("x [1]", _citation(1, "Panels.", 1.0)))  # only one


def test_the_short_answer_shows_the_readers_probability_as_a_percentage() -> None:
    a = _answer("**silicon** [1]", _citation(1, "Most home panels are made of silicon.", 1.0))
    with_short = SimpleNamespace(**{f: getattr(a, f) for f in ("citations", "found")},
                                 answer=SimpleNamespace(text="silicon", probability=0.873))
    line = webui.short_answer_line(with_short)  # type: ignore[arg-type]
    assert line.startswith("Short answer **silicon**") and "87%" in line
    assert webui.short_answer_line(a) == ""  # no short answer: no number at all
    assert webui.render_sources(with_short).startswith(line)  # type: ignore[arg-type]


def test_related_passages_show_no_score() -> None:
    hit = qa.Hit("Bees dance.", -3.14159, "corpus/bees.md", "Honey Bees", "/x/bees.md", 0, 11)
    out = webui.render_related([hit])
    assert "score" not in out and "3.14" not in out and "Honey Bees" in out


def test_cite_key_reads_the_links_href_and_nothing_else() -> None:
    assert cite_key("#qa-cite-12-3") == "12:3"
    assert cite_key("http://127.0.0.1:7860/#qa-cite-0-1") == "0:1"
    assert cite_key("0:4") == "0:4"
    for bad in (None, "", "#qa-cite-x-1", "javascript:alert(1)", "1:2:3", "#qa-cite-1-2-3x"):
        assert cite_key(bad) is None, bad


def test_the_reader_text_is_its_own_keyboard_scrollable_box() -> None:
    out = webui.render_document_html("a b c", 'T "x"', "f.md", (2, 3))
    assert '<div class="qa-doc-text" tabindex="0" role="region" aria-label="Document text">' in out
    assert 'T "x"' not in out.split("qa-doc-text", 1)[1].split(">", 1)[0]  # no document text in an attribute
    assert '<mark id="qa-mark">b</mark>' in out


# ------------------------------------------------------------------------------------------ the app


def test_a_clicked_citation_opens_its_quote_in_the_reader(chat: ChatApp) -> None:
    state = _last(chat.ask("What are solar panels made of?", ChatState()))
    answer_message = state.messages[1]["content"]
    href = re.search(r'href="(#qa-cite-\d+-\d+)"', answer_message)
    assert href and href.group(1) == "#qa-cite-0-1"
    c = state.turns[0].answer.citations[0]
    shown = chat.open_citation(cite_key(href.group(1)), state)
    assert f'<mark id="qa-mark">{c.quote}</mark>' in shown
    second = _last(chat.ask("What are solar panels made of?", state))  # turn 1: its links say so
    assert 'href="#qa-cite-1-1"' in second.messages[second.turns[1].first_message + 1]["content"]


# ------------------------------------------------------------------------------------------ settings


@pytest.mark.parametrize("k", [-1, 0, 21, 2.5, True, "many", [3]])
def test_k_outside_1_to_20_is_refused_not_changed(k: object) -> None:
    with pytest.raises(ValueError, match="k must be a whole number from 1 to 20"):
        check_k(k)


def test_k_accepts_whole_numbers_in_range_and_defaults_when_absent() -> None:
    assert [check_k(v) for v in (1, 20, 7.0, "3", None, "")] == [1, 20, 7, 3, 5, 5]


def test_written_mode_without_its_model_says_why_and_how_to_install() -> None:
    with pytest.raises(ValueError) as e:
        check_mode("written", written_available=False)
    assert WRITTEN_INSTALL in str(e.value) and "not installed" in str(e.value)
    assert check_mode("written", written_available=True) == "written"
    assert check_mode(None, written_available=False) == "quotes"
    with pytest.raises(ValueError, match="unknown answer mode"):
        check_mode("poetry", written_available=True)


def test_the_chat_and_the_api_refuse_bad_settings_with_a_message(chat: ChatApp,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for k in (0, -1, 25):
        state = _last(chat.ask("What are solar panels made of?", ChatState(), k=k))
        assert "k must be a whole number from 1 to 20" in state.messages[-1]["content"], k
        assert not state.turns
        with pytest.raises(ValueError, match="from 1 to 20"):
            chat.chat_api("What are solar panels made of?", k=k)
        with pytest.raises(ValueError, match="from 1 to 20"):
            chat.search_api("silicon", k)
    monkeypatch.setattr(controller, "written_mode_available", lambda: False)
    state = _last(chat.ask("What are solar panels made of?", ChatState(), mode="written"))
    assert "pip install -r requirements-llm.txt" in html.unescape(state.messages[-1]["content"])
    with pytest.raises(ValueError, match="requirements-llm.txt"):
        chat.chat_api("What are solar panels made of?", mode="written")
    assert len(chat.search_api("silicon", 20)) >= 1
