"""The web chat without a browser: rendering and escaping (qa.webui), feedback cases (qa.feedback and
``python -m qa eval cases``), and the app's handlers (app.ChatApp) on a small index built with the fast,
model-free HashingEmbedder."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import qa
from qa.web import feedback
from qa.web import render as webui
from qa_tools import replay
from qa.types import Answer, Citation, Hit
from tests.conftest import CORPUS

pytest.importorskip("gradio", reason="the web app needs gradio")
from qa.web import controller, ui  # noqa: E402
from qa.web.config import AppConfig, parse_args, parse_auth  # noqa: E402
from qa.web.controller import ChatApp  # noqa: E402
from qa.web.state import ChatState  # noqa: E402

XSS = ('<img src=x onerror="window.__pwned=1"> [click](javascript:alert(1)) ![p](http://evil.example/p.png) '
       "<script>x</script>")


# ------------------------------------------------------------------------------------------ fixtures


def _citation(n: int = 1, *, quote: str = "Most home panels are made of silicon.", doc_text: str = CORPUS["solar.txt"],
              doc_id: str = "corpus/solar.txt", title: str = "Solar Power Basics", score: float = 1.25) -> Citation:
    start = doc_text.index(quote)
    ctx_start = doc_text.rfind(". ", 0, start) + 2 if doc_text.rfind(". ", 0, start) > 0 else 0
    ctx_end = doc_text.find(".", start + len(quote)) + 1 or len(doc_text)
    return Citation(n, quote, doc_id, title, f"/data/{doc_id}", start, start + len(quote), score,
                    context=doc_text[ctx_start:ctx_end], context_start=ctx_start)


def _answer(text: str = "According to *Solar Power Basics*: “Most home panels are made of silicon.” [1]",
            **kw) -> Answer:
    kw.setdefault("citations", (_citation(),))
    return Answer("What are panels made of?", text, True, query="What are panels made of?", **kw)


@pytest.fixture
def index(corpus_dir: Path, tmp_path: Path) -> qa.Index:
    return qa.build_index([corpus_dir], tmp_path / "index", embedder=qa.HashingEmbedder(128))


def _config(tmp_path: Path, documents: Path | None = None, **kw) -> "AppConfig":
    return AppConfig(documents_dir=documents or tmp_path / "documents", index_dir=tmp_path / "index",
                                upload_dir=tmp_path / "uploads", feedback_dir=tmp_path / "feedback", **kw)


@pytest.fixture
def chat(index: qa.Index, tmp_path: Path, corpus_dir: Path) -> "ChatApp":
    return ChatApp(_config(tmp_path, corpus_dir), index=index)


def _last_state(gen):
    state = None
    for state in gen:  # noqa: B007 - the last one is wanted
        pass
    return state


# ------------------------------------------------------------------------------------------ escaping


def test_md_text_escapes_every_markup_character() -> None:
    out = webui.md_text(XSS + "\n# heading\n- item `code` *em* _em_ $x$ www.example.com a@b.co")
    bare = re.sub(r"&#\d+;", "", out)
    for raw in ("<", ">", "[", "]", "(", ")", "`", "*", "_", "$", "#", "www.", "@", "\n", "&"):
        assert raw not in bare, raw
    assert "&#60;img src&#61;x onerror" in out  # shown as the characters it is


def test_safe_answer_markdown_keeps_text_and_markers_but_no_links_images_or_html() -> None:
    out = webui.safe_answer_markdown(f"**Quote** [1] and [12]. {XSS} see https://evil.example and www.evil.example")
    assert "<img" not in out and "<script" not in out
    assert "](" not in out and "[click]" not in out  # no link or image syntax survives
    assert "https://" not in out and "www.evil" not in out  # no autolinks
    assert "<sup>&#91;1&#93;</sup>" in out and "<sup>&#91;12&#93;</sup>" in out
    assert out.startswith("**Quote**")  # light formatting kept


def test_safe_answer_markdown_defuses_reference_definitions() -> None:
    out = webui.safe_answer_markdown("[1]: http://evil.example/track.png\n\nText [1]")
    assert not re.search(r"^\[1\]:", out, re.M)


def test_sources_show_title_file_and_the_quote_highlighted_in_context_but_no_raw_score() -> None:
    c = _citation()
    out = webui.render_sources(_answer(citations=(c,)))
    assert "Solar Power Basics" in out
    assert "<code>solar&#46;txt</code>" in out or "<code>solar.txt</code>" in out
    assert "score" not in out and "1.25" not in out  # raw log-odds mean nothing to a reader (the API keeps them)
    assert "<mark>Most home panels are made of silicon&#46;</mark>" in out or \
        "<mark>Most home panels are made of silicon.</mark>" in out
    before = c.context[: c.start - c.context_start].strip()
    assert webui.md_text(before) in out  # the surrounding sentence is shown too


def test_sources_escape_untrusted_titles_quotes_and_file_names() -> None:
    doc = f"Intro. {XSS} is here. End."
    c = Citation(1, XSS, "evil/<b>x</b>.md", f"Title {XSS}", "/tmp/<i>evil</i>.md", doc.index(XSS),
                 doc.index(XSS) + len(XSS), 0.5, context=doc, context_start=0)
    out = webui.render_sources(_answer(citations=(c,)))
    assert "<img" not in out and "<script" not in out and "<b>" not in out and "<i>" not in out
    assert "](" not in out


def test_quote_in_context_falls_back_to_search_when_offsets_disagree() -> None:
    c = Citation(1, "beta", "d", "T", None, 999, 1003, context="alpha beta gamma", context_start=0)
    view = webui.quote_in_context(c)
    assert (view.before, view.quote, view.after) == ("alpha ", "beta", " gamma")
    missing = Citation(1, "delta", "d", "T", None, 0, 5, context="alpha beta", context_start=0)
    assert webui.quote_in_context(missing) == webui.QuoteView("", "delta", "")


def test_conflict_is_shown_prominently() -> None:
    a = _answer("**The sources disagree on this:** compare [1] (A) with [2] (B).\n\nAccording to *A*: “x” [1]",
                conflict=True)
    out = webui.render_answer(a)
    assert out.startswith('<span class="qa-conflict">⚠ The sources disagree')
    assert out.count("sources disagree") == 1
    plain = webui.render_answer(_answer("According to *A*: “x” [1]", conflict=True))
    assert plain.startswith(webui.CONFLICT_BANNER)


def test_not_found_looks_different_and_lists_related_passages() -> None:
    hit = Hit("Bees communicate with a waggle dance.", 0.3, "corpus/bees.md", "Honey Bees", "/x/bees.md", 10, 48)
    a = Answer("q", "I could not find an answer to this in your documents.\n\nRelated, but not an answer:\n- *x*: y",
               False, related=(hit,))
    msgs = webui.chat_messages("q", a)
    assert msgs[1]["content"].startswith('<span class="qa-notfound">Not in your documents</span>')
    assert "Related, but not an answer" not in msgs[1]["content"]  # listed in its own block instead
    assert msgs[2]["metadata"]["title"].startswith("Related passages, not an answer")
    assert "bees&#46;md" in msgs[2]["content"] or "bees.md" in msgs[2]["content"]


def test_chat_messages_put_sources_in_a_collapsed_block_under_the_answer() -> None:
    msgs = webui.chat_messages("What are panels made of?", _answer())
    assert [m["role"] for m in msgs] == ["user", "assistant", "assistant"]
    assert msgs[0]["content"] == "What are panels made of?"
    assert "<sup>&#91;1&#93;</sup>" in msgs[1]["content"]
    assert msgs[2]["metadata"] == {"title": "Sources (1)", "status": "done"}


def test_notes_are_shown_as_escaped_small_print() -> None:
    msgs = webui.chat_messages("q", _answer(notes=("Removed a sentence no quote supports: “<b>x</b>”",)))
    expected = "<small>Note: Removed a sentence no quote supports&#58; “&#60;b&#62;x&#60;/b&#62;”</small>"
    assert expected in msgs[1]["content"]


def test_document_reader_escapes_and_highlights() -> None:
    text = f"Start {XSS} middle cited part end"
    start = text.index("cited part")
    out = webui.render_document_html(text, "T <b>", "f<i>.md", (start, start + len("cited part")))
    assert '<mark id="qa-mark">cited part</mark>' in out
    assert "<img" not in out and "<script>" not in out and "<i>" not in out
    assert "<b>T &lt;b&gt;</b>" in out and "&lt;script&gt;" in out


# ------------------------------------------------------------------------------------------ uploads & auth


@pytest.mark.parametrize("original, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\Windows\\win.ini.md", "win.ini.md"),
    ("/abs/path/notes.md", "notes.md"),
    (".hidden.txt", "hidden.txt"),
    ("bad\x00name\x07.txt", "badname.txt"),
    ("we<ird>|na:me?.html", "we_ird_na_me_.html"),
    ("Ünïcode résumé.docx", "Ünïcode résumé.docx"),
])
def test_safe_upload_name(original: str, expected: str) -> None:
    assert webui.safe_upload_name(original) == expected


@pytest.mark.parametrize("original", ["", "..", "../", "....", "/"])
def test_safe_upload_name_rejects_empty_names(original: str) -> None:
    with pytest.raises(webui.UploadRejected):
        webui.safe_upload_name(original)


def test_safe_upload_name_caps_length_and_keeps_suffix() -> None:
    name = webui.safe_upload_name("a" * 500 + ".md")
    assert len(name) <= 120 and name.endswith(".md")


def test_check_upload_allow_list_and_size_cap() -> None:
    assert webui.check_upload("x.PDF", 10, 100) == "x.PDF"
    with pytest.raises(webui.UploadRejected, match="cannot be indexed.*allowed: docx"):
        webui.check_upload("run.exe", 10, 100)
    with pytest.raises(webui.UploadRejected, match="no file extension"):
        webui.check_upload("README", 10, 100)
    with pytest.raises(webui.UploadRejected, match="too large .*limit is"):
        webui.check_upload("big.txt", 5_000_000, 1_000_000)
    with pytest.raises(webui.UploadRejected, match="empty"):
        webui.check_upload("e.txt", 0, 100)


def test_parse_auth(tmp_path: Path) -> None:
    assert parse_auth(None) is None and parse_auth("  ") is None
    assert parse_auth("ann:s3cret:with:colons") == [("ann", "s3cret:with:colons")]
    f = tmp_path / "users"
    f.write_text("# users\nann:one\n\nbob:two\n", encoding="utf-8")
    assert parse_auth(str(f)) == [("ann", "one"), ("bob", "two")]
    with pytest.raises(ValueError, match="user:password"):
        parse_auth("no-colon")
    f.write_text("ann:\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        parse_auth(str(f))


# ------------------------------------------------------------------------------------------ configuration


def test_parse_args_defaults_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "QA_HOST", "QA_PORT", "QA_DOCUMENTS_DIR", "QA_INDEX_DIR",
                "QA_AUTH", "QA_MAX_UPLOAD_MB"):
        monkeypatch.delenv(var, raising=False)
    cfg = parse_args([])
    assert (cfg.host, cfg.port) == ("127.0.0.1", 7860)
    assert (cfg.documents_dir, cfg.index_dir) == (Path("documents"), Path("index"))
    assert cfg.auth is None
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    monkeypatch.setenv("QA_DOCUMENTS_DIR", "/data/docs")
    monkeypatch.setenv("QA_INDEX_DIR", "/data/index")
    monkeypatch.setenv("QA_AUTH", "ann:pw")
    monkeypatch.setenv("QA_MAX_UPLOAD_MB", "2")
    cfg = parse_args([])
    assert (cfg.host, cfg.port) == ("0.0.0.0", 8123)
    assert (str(cfg.documents_dir), str(cfg.index_dir)) == ("/data/docs", "/data/index")
    assert cfg.auth == [("ann", "pw")] and cfg.max_upload_bytes == 2 * 1024 * 1024
    cfg = parse_args(["--host", "127.0.0.2", "--port", "9000", "--documents", "d", "--index-dir", "i"])
    assert (cfg.host, cfg.port, cfg.documents_dir, cfg.index_dir) == ("127.0.0.2", 9000, Path("d"), Path("i"))


# ------------------------------------------------------------------------------------------ the handlers


def test_prepare_builds_the_index_once_then_reuses_it(tmp_path: Path, corpus_dir: Path, fake_embedder) -> None:
    cfg = _config(tmp_path, corpus_dir)
    first = ChatApp(cfg)
    assert not first.progress.ready and "Starting" in first.status_markdown()
    first.prepare(embedder=fake_embedder)
    assert first.progress.ready and first.progress.error is None
    assert len(first.index.documents()) == len(CORPUS)
    assert "3 documents" in first.status_markdown()
    embedded = len(fake_embedder.embedded)
    assert embedded > 0
    second = ChatApp(cfg)
    second.prepare(embedder=fake_embedder)
    assert len(second.index.documents()) == len(CORPUS)
    assert len(fake_embedder.embedded) == embedded  # reused index/: nothing embedded again


def test_prepare_reports_failures_in_the_status_line(tmp_path: Path, corpus_dir: Path) -> None:
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "manifest.json").write_text("{not json", encoding="utf-8")
    chat = ChatApp(_config(tmp_path, corpus_dir))
    chat.prepare(embedder=qa.HashingEmbedder(128))
    assert chat.progress.error and not chat.progress.ready
    assert "Could not open the index" in chat.status_markdown()
    state = _last_state(chat.ask("anything?", ChatState()))
    assert "Not ready yet" in state.messages[-1]["content"]


def test_progress_has_one_true_total_and_the_header_is_busy_meanwhile(tmp_path: Path, corpus_dir: Path) -> None:
    chat = ChatApp(_config(tmp_path, corpus_dir))
    seen: list[tuple[int, int | None, str, str]] = []
    step = chat.activity.step

    def spy(done: int, total: int | None) -> None:
        step(done, total)
        seen.append((done, total, chat.status_markdown(), chat.progress_html()))

    chat.activity.step = spy  # type: ignore[method-assign]
    chat.prepare(embedder=qa.HashingEmbedder(128))
    assert seen and seen[-1][0] == seen[-1][1] > 0
    totals = {t for _, t, _, _ in seen if t is not None}
    assert len(totals) == 1  # never a total that changes later
    assert [d for d, *_ in seen] == sorted(d for d, *_ in seen)  # the count never goes back
    for done, total, status, bar in seen:
        assert "qa-busy" in status and "Indexing" in status and "Ready" not in status
        assert bar.count("<progress") == 1
        if total is not None:
            assert f'max="{total}" value="{done}"' in bar
    assert chat.progress_html() == "" and "Ready" in chat.status_markdown()  # idle again


def test_examples_are_about_the_sample_articles(tmp_path: Path) -> None:
    docs = tmp_path / "documents"
    docs.mkdir()
    for name in controller.SAMPLE_EXAMPLES:
        (docs / name).write_text("General Gerasimov. The attack.", encoding="utf-8")
    chat = ChatApp(_config(tmp_path, docs))
    assert any("Gerasimov" in q for q in chat.examples())  # known before the index is ready
    chat.prepare(embedder=qa.HashingEmbedder(64))
    assert any("Gerasimov" in q for q in chat.examples())


def test_ask_streams_then_shows_answer_with_sources(chat) -> None:
    state = ChatState()
    steps = [[dict(m) for m in s.messages] for s in chat.ask("What are solar panels made of?", state)]
    assert steps[0][-1]["content"] == "…"  # the question shows at once, the answer is pending
    final = steps[-1]
    assert final[0] == {"role": "user", "content": "What are solar panels made of?"}
    assert state.turns and state.turns[0].answer.found
    assert "silicon" in final[1]["content"]
    assert final[2]["metadata"]["title"].startswith("Sources")
    assert "solar.txt" in final[2]["content"].replace("&#46;", ".")


def test_ask_streams_partial_text(chat) -> None:
    def fake(index, question, history=None, mode="quotes", *, k=5, doc_ids=None):
        yield "Most home "
        yield "panels [1]"
        yield _answer()

    chat._answer_stream = fake
    steps = [s.messages[-1]["content"] for s in chat.ask("q?", ChatState())]
    assert steps[1].startswith("Most home") and steps[2].startswith("Most home panels <sup>")
    assert steps[2].endswith("▍")


def test_follow_up_passes_the_history(chat) -> None:
    calls: list[dict] = []

    def fake(index, question, history=None, mode="quotes", *, k=5, doc_ids=None):
        calls.append({"question": question, "history": history, "mode": mode, "k": k, "doc_ids": doc_ids})
        yield _answer(f"answer to {question} [1]")

    chat._answer_stream = fake
    state = ChatState()
    _last_state(chat.ask("first question?", state, k=3, doc_ids=["corpus/solar.txt"]))
    _last_state(chat.ask("and then?", state))
    assert calls[0]["history"] == [] and calls[0]["k"] == 3 and calls[0]["doc_ids"] == ["corpus/solar.txt"]
    assert calls[1]["history"] == [{"role": "user", "content": "first question?"},
                                   {"role": "assistant", "content": "answer to first question? [1]"}]
    assert len(state.turns) == 2 and state.turns[1].first_message == 3


def test_ask_with_an_unknown_document_filter_is_a_clear_message(chat) -> None:
    state = _last_state(chat.ask("bees?", ChatState(), doc_ids=["no/such.txt"]))
    assert "no such document" in state.messages[-1]["content"]
    assert not state.turns


def test_an_engine_failure_is_said_in_the_chat(chat) -> None:
    def broken(index, question, **kw):
        raise RuntimeError("the model <b>crashed</b>")
        yield  # pragma: no cover

    chat._answer_stream = broken
    state = _last_state(chat.ask("q?", ChatState()))
    assert state.messages[-1]["content"].startswith("⚠ Could not answer: RuntimeError")
    assert "<b>" not in state.messages[-1]["content"] and not state.turns


def test_blank_question_does_nothing(chat) -> None:
    assert list(chat.ask("   ", ChatState())) == []


def test_only_some_documents(chat) -> None:
    state = _last_state(chat.ask("How long does a panel last?", ChatState(), doc_ids=["corpus/rivers.txt"]))
    answer = state.turns[0].answer
    assert all(c.doc_id == "corpus/rivers.txt" for c in answer.citations)
    assert all(h.doc_id == "corpus/rivers.txt" for h in answer.related)


def test_api_handlers(chat) -> None:
    out = chat.chat_api("What are solar panels made of?")
    json.dumps(out)  # JSON-friendly
    assert out["found"] and out["citations"]
    assert {"quote", "doc_id", "start", "end", "context"} <= set(out["citations"][0])
    hits = chat.search_api("waggle dance", 2)
    assert len(hits) <= 2 and hits[0]["doc_id"] == "corpus/bees.md"
    with pytest.raises(ValueError):
        chat.search_api("  ")


def test_open_a_citation_in_its_document(chat) -> None:
    state = _last_state(chat.ask("What are solar panels made of?", ChatState()))
    choices = chat.citation_choices(state)
    assert choices and choices[0][1] == "0:1"
    html = chat.open_citation(choices[0][1], state)
    c = state.turns[0].answer.citations[0]
    assert f'<mark id="qa-mark">{c.quote}</mark>' in html
    assert "Not in" not in html
    assert "no longer" in chat.open_citation("7:1", state)
    assert "not in the index" in chat.open_document("nope")


def test_documents_table_and_row_lookup(chat) -> None:
    rows = chat.documents_rows()
    assert [r[1] for r in rows] == ["rivers.txt", "bees.md", "solar.txt"]  # sorted by title
    assert rows[1][0] == "Honey Bees" and rows[1][2] >= 1 and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[1][3])
    assert chat.doc_id_for_row(rows[1]) == "corpus/bees.md"
    assert chat.doc_id_for_row(["Nope", "bees.md"]) is None
    assert [d for _, d in chat.document_choices()] == ["corpus/rivers.txt", "corpus/bees.md", "corpus/solar.txt"]


def _upload(tmp_path: Path, name: str, data: bytes) -> dict:
    root = tmp_path / "gradio-tmp"
    src = root / str(len(list(root.glob("*"))) if root.exists() else 0)  # one folder per upload, as Gradio does
    src.mkdir(parents=True, exist_ok=True)
    path = src / "upload.bin"
    path.write_bytes(data)
    return {"path": str(path), "orig_name": name}


def test_upload_is_indexed_and_searchable_at_once(chat, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    msg = chat.upload([_upload(tmp_path, "lighthouse.txt", b"Varnholm\n\nEdda Lindqvist painted the tower red.")],
                      lambda d, t: seen.append((d, t)))
    assert "Added" in msg and "lighthouse" in msg
    assert (chat.config.upload_dir / "lighthouse.txt").is_file()
    assert seen and seen[-1][0] == seen[-1][1]
    assert chat.search_api("Lindqvist painted", 1)[0]["doc_id"] == "lighthouse.txt"
    assert "4 documents" in chat.status_markdown()
    again = chat.upload([_upload(tmp_path, "lighthouse.txt", b"Varnholm\n\nEdda Lindqvist painted the tower red.")])
    assert "already indexed" in again


def test_upload_rejections_are_clear(chat, tmp_path: Path) -> None:
    chat.config.max_upload_mb = 0.001  # 1000 bytes
    msg = chat.upload([
        _upload(tmp_path, "tool.exe", b"MZ"),
        _upload(tmp_path, "big.txt", b"x" * 5000),
        _upload(tmp_path, "empty.md", b""),
        _upload(tmp_path, "binary.txt", bytes(range(256)) * 3),
    ])
    msg = html.unescape(msg)
    assert "tool.exe: this type of file cannot be indexed ('.exe'); allowed: docx" in msg
    assert "too large" in msg and "empty" in msg
    assert "binary" in msg
    assert sorted(p.name for p in chat.config.upload_dir.glob("*")) == []  # nothing kept
    assert len(chat.documents_rows()) == 3


def test_upload_names_cannot_escape_the_uploads_folder(chat, tmp_path: Path) -> None:
    msg = chat.upload([_upload(tmp_path, "../../../outside.md", b"# Outside\n\nThe pelican eats fish.")])
    assert "Added" in msg
    assert (chat.config.upload_dir / "outside.md").is_file()
    assert not (tmp_path / "outside.md").exists() and not (tmp_path.parent / "outside.md").exists()


def test_remove_deletes_an_upload_but_never_a_file_of_the_documents_folder(chat, tmp_path: Path,
                                                                          corpus_dir: Path) -> None:
    chat.upload([_upload(tmp_path, "note.md", b"# Note\n\nThe heron nests by the mill pond.")])
    msg = chat.remove("note.md")
    assert "Removed" in msg and "Note" in msg
    assert not (chat.config.upload_dir / "note.md").exists()
    msg = chat.remove("corpus/bees.md")
    assert "Removed" in msg
    assert (corpus_dir / "bees.md").is_file()  # the person's own file stays
    assert "corpus/bees.md" not in [d for _, d in chat.document_choices()]
    assert "not in the index" in chat.remove("corpus/bees.md")
    assert "Pick a document" in chat.remove(None)


def test_rescan_picks_up_new_files(chat, corpus_dir: Path) -> None:
    (corpus_dir / "new.txt").write_text("Owls\n\nOwls hunt at night.", encoding="utf-8")
    msg = chat.rescan()
    assert "1 added" in msg
    assert "corpus/new.txt" in [d for _, d in chat.document_choices()]


# ------------------------------------------------------------------------------------------ feedback


def test_thumbs_down_then_pick_the_right_passage_saves_a_case(chat) -> None:
    state = ChatState()
    _last_state(chat.ask("What are solar panels made of?", state))
    question, choices = chat.rate(state, 1, liked=False)
    assert question == "What are solar panels made of?"
    assert choices and all(isinstance(v, int) for _, v in choices)
    spans = state.candidates
    assert not any(a is not b and a.overlaps(b.doc_id, b.start, b.end) for a in spans for b in spans)
    assert "Pick the passage" in chat.save_case(state, None)
    pick = next(i for i, s in enumerate(spans) if s.doc_id == "corpus/solar.txt")
    msg = chat.save_case(state, pick, "should cite the silicon line")
    assert "Saved as an evaluation case" in msg
    cases = feedback.load_cases(chat.cases_path)
    assert len(cases) == 1 and cases[0].question == "What are solar panels made of?"
    assert cases[0].expected.doc_id == "corpus/solar.txt" and cases[0].comment == "should cite the silicon line"
    ratings = chat.ratings_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(ratings[0])["rating"] == "down"
    assert "thumbs-down first" in chat.save_case(state, 0)


def test_thumbs_up_is_recorded(chat) -> None:
    state = ChatState()
    _last_state(chat.ask("What are solar panels made of?", state))
    assert chat.rate(state, 2, liked=True) == ("", [])  # the sources block belongs to the same answer
    assert json.loads(chat.ratings_path.read_text(encoding="utf-8"))["rating"] == "up"
    assert chat.rate(state, 99, liked=False) == ("", [])


def test_cases_round_trip_and_replay(index: qa.Index, tmp_path: Path) -> None:
    text = index.document("corpus/bees.md").text
    quote = "The queen can lay up to 2,000 eggs per day in spring."
    start = text.index(quote)
    case = feedback.make_case("How many eggs does the queen lay?", _answer(),
                              feedback.Span("corpus/bees.md", start, start + len(quote), quote, "Honey Bees"))
    missing = feedback.EvalCase("Where is it?", feedback.Span("gone.txt", 0, 5, "hello"))
    path = tmp_path / "cases.jsonl"
    feedback.save_case(path, case)
    feedback.save_case(path, missing)
    loaded = feedback.load_cases(path)
    assert loaded[0] == case
    report = replay.replay(index, loaded, k=3)
    ok, gone = report.results
    assert ok.status == "ok" and ok.retrieved_rank is not None and ok.cited is not None
    assert gone.status == "missing"
    assert report.retrieved_rate == 1.0
    text_report = replay.format_report(report)
    assert "2 cases, 1 evaluated" in text_report and "retrieved (top 3): 1/1" in text_report


def test_replay_re_anchors_a_moved_passage(index: qa.Index) -> None:
    text = index.document("corpus/bees.md").text
    quote = "Worker bees collect nectar and pollen from flowers."
    case = feedback.EvalCase("Who collects nectar?", feedback.Span("corpus/bees.md", 0, len(quote), quote))
    result = replay.replay_case(index, case, k=3, check_answers=False)
    assert result.expected.start == text.index(quote) and result.retrieved_rank == 1 and result.cited is None


def test_load_cases_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"question": "q", "expected": {"doc_id": "d", "start": 0, "end": 1}}\n\n{"nope": 1}\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        feedback.load_cases(path)


def test_cli_eval_cases(index: qa.Index, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qa.cli import main

    text = index.document("corpus/rivers.txt").text
    quote = "The Amazon carries more water than any other river."
    start = text.index(quote)
    path = tmp_path / "cases.jsonl"
    feedback.save_case(path, feedback.EvalCase("Which river carries the most water?",
                                               feedback.Span("corpus/rivers.txt", start, start + len(quote), quote)))
    assert main(["eval", "cases", str(path), "--index-dir", str(index.path), "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert "1 cases, 1 evaluated" in out and "right passage retrieved (top 3): 1/1 (100%)" in out
    assert "right passage cited:" in out
    assert main(["eval", "cases", str(path), "--index-dir", str(index.path), "--json", "--no-answers"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["retrieved_rate"] == 1.0 and data["cited_rate"] is None
    assert main(["eval", "cases", str(tmp_path / "missing.jsonl"), "--index-dir", str(index.path)]) == 2
    assert "No such file" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ the Gradio app


def test_build_ui_exposes_chat_and_search_and_keeps_handlers_private(chat) -> None:
    demo = ui.build_ui(chat)
    public = {d["api_name"] for d in demo.config["dependencies"] if d.get("api_visibility", "public") == "public"}
    assert public == {"chat", "search"}


def test_written_mode_offered_only_when_available(chat, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(controller, "written_mode_available", lambda: False)
    assert chat.written_available() is False
    monkeypatch.setattr(controller, "written_mode_available", lambda: True)
    assert chat.written_available() is True
