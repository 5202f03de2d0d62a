"""The chat a person keeps using, in a real browser (Debian's chromium driven by Playwright) against ``python app.py``:
saved chats (a reload and a restart find the conversation; renamed, exported as Markdown, deleted), collections
(a second one created, uploaded to, asked, switched back from, renamed, deleted; the default one refused), removal
with confirmation (the chat keeps its quote), one progress bar with a true total and a busy header, a 390 px
screen with the reader as a drawer, axe-core on all of it; and, over HTTP with ``QA_AUTH``, each user seeing only
their own chats. Screenshots of these views go to docs/screenshots/ (the README shows them)."""
from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.app_server import FIXTURES, RunningApp, restart_app, start_app
from tests.integration.browser_page import ANSWER_TIMEOUT, CHROMIUM, CHROMIUM_ARGS, Page

pytestmark = [pytest.mark.browser, pytest.mark.app, pytest.mark.timeout(600)]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

QUESTION = "Was General Gerasimov wounded in the attack?"
LIGHTHOUSE = "Who painted the Varnholm lighthouse red?"


class Holder:
    """The app under test (replaced when a test restarts it)."""

    def __init__(self, app: RunningApp) -> None:
        self.app = app


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Holder]:
    holder = Holder(start_app(tmp_path_factory.mktemp("library-app"), extra_documents=()))
    yield holder
    holder.app.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def ui(browser: Any, running: Holder) -> Iterator[Page]:
    page = Page(browser, running.app).open()
    yield page
    try:
        assert page.external == [], f"requests to non-loopback hosts: {page.external}"
        assert page.errors == [], page.errors
    finally:
        page.close()


# ------------------------------------------------------------------------------------------ helpers


def _loaded(ui: Page) -> None:
    """Wait until the page's first state is in (the sidebar's chats list and the collection are filled)."""
    ui.page.wait_for_function("() => !!document.querySelector('#qa-chats') && "
                              "document.querySelector('#qa-collection input').value !== ''", timeout=30_000)
    ui.page.wait_for_timeout(300)


def _saved_chats(ui: Page) -> list[str]:
    return [t.strip() for t in ui.page.locator("#qa-chats label").all_inner_texts()]


def _pick_collection(ui: Page, name: str) -> None:
    page = ui.page
    box = page.locator("#qa-collection input")
    for _ in range(20):  # the list may be refreshed under the click: pick until it holds
        box.click()
        option = page.locator(f"[role=option]:has-text('{name}')").first
        if option.count():
            option.click()
        page.wait_for_timeout(300)
        if box.input_value() == name:
            break
    assert box.input_value() == name
    page.wait_for_timeout(800)  # the view of the collection comes in


def _upload(ui: Page, path: Path) -> None:
    ui.tab("Documents")
    ui.page.set_input_files("#qa-upload input[type=file]", str(path))
    ui.page.wait_for_selector(f"#qa-upload-status:has-text('{path.name}')", timeout=ANSWER_TIMEOUT)
    ui.page.wait_for_function(
        "(n) => !document.querySelector('#qa-upload-status').innerText.includes('indexing ') && "
        "document.querySelector('#qa-docs').innerText.includes(n)", arg=path.name, timeout=3 * ANSWER_TIMEOUT)


def _pick_document(ui: Page, title: str) -> None:
    page = ui.page
    pick = page.locator("#qa-doc-pick input")
    for _ in range(20):
        pick.click()
        option = page.locator(f"[role=option]:has-text('{title}')").first
        if option.count():
            option.click()
        page.wait_for_timeout(250)
        if title in pick.input_value():
            break
    assert title in pick.input_value()


def _reader_mark(ui: Page) -> str:
    ui.page.locator("#qa-reader mark").wait_for(timeout=15_000)
    return ui.page.inner_text("#qa-reader mark")


# ------------------------------------------------------------------------------------------ saved chats


def test_a_conversation_survives_a_reload_and_a_restart(browser: Any, running: Holder) -> None:
    ui = Page(browser, running.app).open()
    try:
        _loaded(ui)
        answer = ui.ask(QUESTION)
        assert "Gerasimov" in answer.inner_text()
        ui.page.wait_for_function("(q) => document.querySelector('#qa-chats').innerText.includes(q)", arg=QUESTION[:30])
        assert any(QUESTION[:30] in label for label in _saved_chats(ui))

        ui.page.reload()  # the browser reopens its chat
        ui.page.wait_for_selector("#qa-status:has-text('Ready')", timeout=ANSWER_TIMEOUT)
        ui.page.wait_for_selector("#qa-chat .bot-row", timeout=30_000)
        assert QUESTION in ui.page.inner_text("#qa-chat")
        assert "Gerasimov" in ui.page.locator("#qa-chat .bot-row").first.inner_text()
        assert ui.page.locator("#qa-chats input:checked").count() == 1
        ui.page.locator("#qa-chat a.qa-cite").first.click()  # its citations still open their quotes
        assert _reader_mark(ui).strip()
        ui.doc_shot("saved-chats")
    finally:
        ui.close()

    running.app = restart_app(running.app)  # a new process (and port: the browser's memory is not what helps)
    ui = Page(browser, running.app).open()
    try:
        _loaded(ui)
        assert ui.page.locator("#qa-chat .bot-row").count() == 0  # a new chat ...
        label = ui.page.locator(f"#qa-chats label:has-text('{QUESTION[:30]}')")
        assert label.count() == 1  # ... and the saved one listed
        label.click()
        ui.page.wait_for_selector("#qa-chat .bot-row", timeout=30_000)
        assert QUESTION in ui.page.inner_text("#qa-chat")
        assert ui.errors == [] and ui.external == []
    finally:
        ui.close()


def test_rename_export_and_delete_a_chat(ui: Page) -> None:
    page = ui.page
    _loaded(ui)
    ui.ask("How many Russian officers were killed in Izium?")
    page.locator("#qa-chat-manage").get_by_text("This chat").click()
    title = page.locator("#qa-chat-title textarea, #qa-chat-title input").first
    title.wait_for(timeout=10_000)
    title.fill("Izium casualties")
    page.click("#qa-chat-rename")
    page.wait_for_selector("#qa-chat-status:has-text('Renamed')", timeout=15_000)
    page.wait_for_selector("#qa-chats label:has-text('Izium casualties')", timeout=15_000)

    with page.expect_download(timeout=30_000) as download:
        page.click("#qa-chat-export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "qa-chat-izium-casualties.md"
    assert exported.startswith("# Izium casualties")
    assert "## 1. How many Russian officers were killed in Izium?" in exported
    quotes = re.findall(r"- \[\d+\] “(.+?)”  \n  .+ · document `(.+?)` · characters (\d+)-(\d+)", exported)
    assert quotes, exported
    docs = ui.app.documents
    for quote, doc_id, start, end in quotes:  # every quote is verbatim at its offsets in its document
        text = (docs / Path(doc_id).name).read_text(encoding="utf-8")
        assert " ".join(text[int(start):int(end)].split()) == quote

    page.click("#qa-chat-delete")
    page.wait_for_selector("#qa-chat-confirm:has-text('Delete the chat')", timeout=15_000)
    page.click("#qa-chat-delete-yes")
    page.wait_for_selector("#qa-chat-status:has-text('Deleted the chat')", timeout=15_000)
    assert not any("Izium casualties" in label for label in _saved_chats(ui))
    assert page.locator("#qa-chat .bot-row").count() == 0


# ------------------------------------------------------------------------------------------ collections


def test_a_second_collection_is_created_uploaded_to_asked_and_left(ui: Page) -> None:
    page = ui.page
    _loaded(ui)
    page.locator("#qa-collections-manage").get_by_text("Manage collections").click()
    page.fill("#qa-collection-name input, #qa-collection-name textarea", "notes/2024")
    page.click("#qa-collection-create")
    page.wait_for_selector("#qa-collection-status:has-text('not')", timeout=15_000)
    assert "'/'" in page.inner_text("#qa-collection-status")  # a clear reason

    page.fill("#qa-collection-name input, #qa-collection-name textarea", "Field notes")
    page.click("#qa-collection-create")
    page.wait_for_selector("#qa-collection-status:has-text('Created the collection')", timeout=15_000)
    assert page.locator("#qa-collection input").input_value() == "Field notes"
    ui.tab("Documents")
    assert "gerasimov" not in page.inner_text("#qa-docs").lower()  # a new collection starts empty
    _upload(ui, FIXTURES / "varnholm-lighthouse.txt")
    assert (ui.app.root / "uploads" / "collections" / "field-notes" / "varnholm-lighthouse.txt").is_file()
    answer = ui.ask(LIGHTHOUSE)
    assert "Edda Lindqvist" in answer.inner_text(), answer.inner_text()
    assert "Field notes" in page.inner_text("#qa-status")
    ui.doc_shot("collections")

    _pick_collection(ui, "default")  # switch back: the sample articles, without the lighthouse
    ui.tab("Documents")
    docs = page.inner_text("#qa-docs")
    assert "varnholm" not in docs.lower() and "gerasimov" in docs.lower()
    assert page.locator("#qa-chat .bot-row").count() == 0  # a chat asks one collection: a new chat here
    missing = ui.ask(LIGHTHOUSE)
    assert "Edda Lindqvist" not in missing.inner_text()

    _pick_collection(ui, "Field notes")  # and back again
    assert "Edda Lindqvist" in ui.ask(LIGHTHOUSE).inner_text()

    page.fill("#qa-collection-name input, #qa-collection-name textarea", "Lighthouse notes")
    page.click("#qa-collection-rename")
    page.wait_for_selector("#qa-collection-status:has-text('Renamed')", timeout=15_000)
    assert page.locator("#qa-collection input").input_value() == "Lighthouse notes"

    page.click("#qa-collection-delete")
    page.wait_for_selector("#qa-collection-confirm:has-text('Delete')", timeout=15_000)
    assert "1 document" in page.inner_text("#qa-collection-confirm")
    page.click("#qa-collection-delete-yes")
    page.wait_for_selector("#qa-collection-status:has-text('Deleted the collection')", timeout=15_000)
    assert page.locator("#qa-collection input").input_value() == "default"
    assert not (ui.app.root / "index" / "collections" / "field-notes").exists()
    page.click("#qa-collection-delete")  # the default collection is refused, with the reason
    page.wait_for_selector("#qa-collection-status:has-text('cannot be deleted')", timeout=15_000)

    # the chats of the deleted collection stay readable
    page.locator("#qa-chats label:has-text('Lighthouse notes')").first.click()
    page.wait_for_selector("#qa-chat .bot-row", timeout=30_000)
    shown = page.inner_text("#qa-chat")
    assert "Edda Lindqvist" in shown and "was deleted" in shown
    page.locator("#qa-chat a.qa-cite").first.click()
    assert "Lindqvist" in _reader_mark(ui) or page.inner_text("#qa-reader").strip()


# ------------------------------------------------------------------------------------------ removal


def test_remove_asks_first_and_the_chat_keeps_its_quote(ui: Page, tmp_path: Path) -> None:
    page = ui.page
    _loaded(ui)
    note = tmp_path / "heron-note.md"
    note.write_text("# Heron note\n\nThe blue heron nests by the old mill pond every spring.\n", encoding="utf-8")
    _upload(ui, note)
    answer = ui.ask("Where does the blue heron nest?")
    assert "mill pond" in answer.inner_text(), answer.inner_text()

    _pick_document(ui, "Heron note")
    page.click("#qa-remove-ask")
    page.wait_for_selector("#qa-remove-confirm:has-text('Remove')", timeout=15_000)
    assert "keep their quotes" in page.inner_text("#qa-remove-confirm")
    ui.doc_shot("remove-confirm")
    page.click("#qa-remove-cancel")  # changed one's mind: nothing removed
    page.wait_for_timeout(500)
    assert "heron-note.md" in page.inner_text("#qa-docs")
    page.click("#qa-remove-ask")
    page.click("#qa-remove")
    page.wait_for_selector("#qa-upload-status:has-text('Removed')", timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(500)
    assert "heron-note.md" not in page.inner_text("#qa-docs")
    assert not (ui.app.uploads / "heron-note.md").exists()

    assert "mill pond" in page.inner_text("#qa-chat")  # the chat still shows its quote
    page.locator("#qa-chat a.qa-cite").first.click()
    assert "mill pond" in _reader_mark(ui)
    assert "no longer in the collection" in page.inner_text("#qa-reader")
    page.reload()  # and so does the saved chat
    page.wait_for_selector("#qa-chat .bot-row", timeout=30_000)
    assert "mill pond" in page.inner_text("#qa-chat")


# ------------------------------------------------------------------------------------------ progress


PROGRESS = """() => {
  // bars drawn: <progress> elements (the upload box's transfer bar is one, ours another) and Gradio's overlays
  const shown = [...document.querySelectorAll('progress, .eta-bar')].filter(p => p.offsetParent !== null);
  const b = document.querySelector('#qa-progress progress');
  return {n: shown.length, what: shown.map(e => (e.closest('[id]') || {}).id + ' ' + e.tagName + '.' + e.className),
          ours: !!b, max: b && b.hasAttribute('max') ? Number(b.max) : null,
          value: b && b.hasAttribute('value') ? Number(b.value) : null,
          status: document.querySelector('#qa-status').innerText};
}"""


def test_one_progress_bar_with_a_true_total_and_a_busy_header(ui: Page, tmp_path: Path) -> None:
    page = ui.page
    _loaded(ui)
    big = tmp_path / "harbour-log.txt"
    big.write_text("Harbour log\n\n" + "\n\n".join(
        f"Entry {i}. The ferry number {i} left the harbour at dawn with {i * 3} passengers, and the harbour master "
        f"wrote that the wind came from the {['north', 'south', 'east', 'west'][i % 4]} while gulls followed it "
        f"past the breakwater, the lighthouse and the old customs house on the quay. " * 6
        for i in range(150)), encoding="utf-8")
    ui.tab("Documents")
    samples: list[dict[str, Any]] = []
    page.set_input_files("#qa-upload input[type=file]", str(big))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        s = page.evaluate(PROGRESS)
        samples.append(s)
        if s["max"] is not None and s["value"] and not any(x.get("shot") for x in samples):
            ui.doc_shot("progress")
            s["shot"] = True
        if "harbour-log.txt" in page.inner_text("#qa-docs") and "Ready" in s["status"]:
            break
        page.wait_for_timeout(150)
    assert "harbour-log.txt" in page.inner_text("#qa-docs"), samples[-3:]
    assert all(s["n"] <= 1 for s in samples), [s["what"] for s in samples if s["n"] > 1][:3]  # one bar at a time
    totals = {s["max"] for s in samples if s["max"] is not None}
    assert len(totals) == 1, totals  # one total, never a jump
    values = [s["value"] for s in samples if s["value"] is not None]
    assert values == sorted(values) and values, values
    assert any("Indexing" in s["status"] and "harbour-log.txt" in s["status"] for s in samples)
    assert not any("Ready" in s["status"] for s in samples if s["ours"])  # never "Ready" while the bar shows
    assert page.locator("#qa-progress progress").count() == 0  # gone when done


# ------------------------------------------------------------------------------------------ accessibility, phones


def test_accessibility_of_the_sidebar_dialogs_and_drawer(ui: Page, browser: Any, running: Holder) -> None:
    page = ui.page
    _loaded(ui)
    ui.ask(QUESTION)
    page.locator("#qa-collections-manage").get_by_text("Manage collections").click()
    page.locator("#qa-chat-manage").get_by_text("This chat").click()
    page.click("#qa-chat-delete")
    page.wait_for_selector("#qa-chat-confirm:has-text('Delete the chat')", timeout=15_000)
    found = ui.axe_violations()
    assert not found, found  # the sidebar open, with a saved chat and a confirmation
    page.click("#qa-chat-delete-no")
    ui.tab("Documents")
    _pick_document(ui, "Putin humiliated")
    page.click("#qa-remove-ask")
    page.wait_for_selector("#qa-remove-confirm:has-text('Remove')", timeout=15_000)
    found = ui.axe_violations()
    assert not found, found  # the Documents tab, with a removal to confirm
    ids = page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id).filter(Boolean)")
    assert len(ids) == len(set(ids)), sorted(i for i in set(ids) if ids.count(i) > 1)
    page.click("#qa-remove-cancel")

    small = Page(browser, running.app, width=390, height=844).open()
    try:
        _loaded(small)
        assert small.axe_violations() == []
        small.page.click("#qa-drawer-open")
        small.page.wait_for_timeout(400)
        assert small.axe_violations() == []  # the drawer open
    finally:
        small.close()


def test_small_screen_question_above_the_fold_and_the_reader_as_a_drawer(browser: Any, running: Holder) -> None:
    small = Page(browser, running.app, width=390, height=844).open()
    try:
        page = small.page
        _loaded(small)
        box = page.locator("#qa-question textarea").bounding_box()
        assert box and box["y"] + box["height"] <= 844, box
        sidebar = page.locator("#qa-sidebar").bounding_box()
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 1, sidebar  # closed on a phone
        side = page.locator("#qa-side").bounding_box()
        assert side is None or side["y"] >= 844, side  # the reader waits in its drawer
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        small.shot("20-small-start")
        small.doc_shot("small-screen")

        small.ask(QUESTION)
        box = page.locator("#qa-question textarea").bounding_box()
        assert box and box["y"] + box["height"] <= 844, box
        page.locator("#qa-chat a.qa-cite").first.click()
        mark = page.locator("#qa-reader mark")
        mark.wait_for(timeout=15_000)
        page.wait_for_timeout(500)
        m = mark.bounding_box()
        assert m and 0 <= m["y"] and m["y"] + m["height"] <= 844, m  # the quote is on screen, in the drawer
        assert 0 <= m["x"] and m["x"] + m["width"] <= 390, m
        assert page.evaluate("window.scrollY") == 0
        small.shot("21-small-reader")
        small.doc_shot("small-screen-reader")
        page.keyboard.press("Escape")
        page.wait_for_timeout(400)
        side = page.locator("#qa-side").bounding_box()
        assert side is None or side["y"] >= 844, side
        assert small.errors == [] and small.external == []
    finally:
        small.close()


# ------------------------------------------------------------------------------------------ QA_AUTH


def test_each_user_sees_only_their_own_chats(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Over HTTP, the way the page calls the app: ann's chat is listed for ann only; bob cannot open it."""
    from scripts.load_test import UIEvents

    root = tmp_path_factory.mktemp("auth-app")
    users = root / "users.txt"
    users.write_text("ann:ann-Pa55word\nbob:bob-Pa55word\n", encoding="utf-8")
    users.chmod(0o600)
    app = start_app(root, extra_documents=(), QA_AUTH=str(users))
    try:
        ann = UIEvents(app.url, ("ann", "ann-Pa55word"))
        bob = UIEvents(app.url, ("bob", "bob-Pa55word"))
        try:
            done = ann._call(("qa-question", "submit"), [QUESTION, None, "quotes", 5, []])
            assert done.get("success"), done
            with sqlite3.connect(app.root / "index" / "qa.sqlite3") as db:
                rows = db.execute("SELECT id, owner, title FROM chats").fetchall()
            assert [(r[1], r[2]) for r in rows] == [("ann", QUESTION)]
            chat_id = rows[0][0]

            def listed(who: Any) -> list[Any]:  # the chats list a new chat shows
                out = who._call(("qa-new", "click"), [None])["output"]["data"]
                return [c[1] if isinstance(c, (list, tuple)) else c for c in out[2].get("choices", [])]

            assert chat_id in listed(ann)
            assert listed(bob) == []
            stolen = bob._call(("qa-chats", "input"), [chat_id, None])  # refused: not among bob's chats
            assert QUESTION not in json.dumps(stolen, default=str), stolen
            renamed = bob._call(("qa-chat-rename", "click"), ["mine now", None])["output"]["data"]
            assert "✗" in str(renamed[0])
        finally:
            ann.close()
            bob.close()
        with sqlite3.connect(app.root / "index" / "qa.sqlite3") as db:
            assert db.execute("SELECT owner, title FROM chats").fetchall() == [("ann", QUESTION)]
    finally:
        app.stop()


def test_two_sessions_in_two_collections_do_not_mix(browser: Any, running: Holder) -> None:
    """Uploads go to the collection of the session that made them, while another session works elsewhere."""
    a, b = Page(browser, running.app).open(), Page(browser, running.app).open()
    try:
        _loaded(a)
        _loaded(b)
        a.page.locator("#qa-collections-manage").get_by_text("Manage collections").click()
        a.page.fill("#qa-collection-name input, #qa-collection-name textarea", "Quillby")
        a.page.click("#qa-collection-create")
        a.page.wait_for_selector("#qa-collection-status:has-text('Created the collection')", timeout=15_000)
        b.ask(QUESTION)  # b works in the default collection meanwhile
        _upload(a, FIXTURES / "quillby-festival.md")
        b.tab("Documents")
        b.page.wait_for_timeout(500)
        assert "quillby" not in b.page.inner_text("#qa-docs").lower()
        assert (running.app.root / "uploads" / "collections" / "quillby" / "quillby-festival.md").is_file()
        assert not (running.app.root / "uploads" / "quillby-festival.md").exists()
    finally:
        a.close()
        b.close()
