"""End-to-end tests of the web chat in a real browser: Debian's chromium driven by Playwright, against
``python app.py`` started once for this module on a free loopback port, over a temporary copy of documents/
plus a document full of HTML/Markdown/script payloads. Screenshots of the main states go to test-artifacts/.

Every request the page makes to a host other than the app's loopback address is recorded and aborted (it
never leaves the machine); the tests assert there are none."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.app_server import FIXTURES, ROOT, RunningApp, start_app
from tests.integration.browser_page import ANSWER_TIMEOUT, CHROMIUM, CHROMIUM_ARGS, Page

pytestmark = [pytest.mark.browser, pytest.mark.app, pytest.mark.timeout(300)]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(tmp_path_factory.mktemp("browser-app"))
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def ui(browser: object, running: RunningApp) -> Iterator[Page]:
    page = Page(browser, running).open()
    yield page
    try:
        assert page.external == [], f"requests to non-loopback hosts: {page.external}"
        assert page.pwned() is None
    finally:
        page.close()


def test_start_page(ui: Page) -> None:
    page = ui.page
    assert "documents" in page.inner_text("#qa-status")
    examples = page.locator("#qa-chat button:has-text('Gerasimov')")
    assert examples.count() >= 1, "example questions about the sample articles are offered"
    ui.shot("01-start")


def test_ask_answer_citation_and_sources(ui: Page) -> None:
    page = ui.page
    answer = ui.ask("Was General Gerasimov wounded in the attack?")
    text = answer.inner_text()
    assert "[1]" in text, text
    assert "Gerasimov" in text
    assert answer.locator("sup").count() >= 1  # the [n] markers
    ui.shot("02-answer")
    sources = answer.locator(".title:has-text('Sources')")
    sources.first.click()
    quote = answer.locator("blockquote mark").first
    quote.wait_for(timeout=10_000)
    assert quote.inner_text().strip()
    quote.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    body = answer.inner_text()
    assert "gerasimov-reportedly-wounded-in-izium-ambush.txt" in body or \
        "gerasimov-left-before-izium-strike-arestovych.txt" in body
    assert "score" not in body  # no raw fused scores (one relevance scale: "best match", probabilities)
    ui.shot("03-sources-open")

    # open a quote in its document: the reader shows the full text with the cited span highlighted
    answer.locator("a.qa-cite").first.click()
    mark = page.locator("#qa-reader mark")
    mark.wait_for(timeout=15_000)
    assert mark.inner_text().strip()
    ui.shot("04-reader")


def test_follow_up_and_not_found(ui: Page) -> None:
    ui.ask("Was General Gerasimov wounded in the attack?")
    follow = ui.ask("Where was he wounded?")
    assert "[1]" in follow.inner_text(), follow.inner_text()
    missing = ui.ask("What is the recipe for Hungarian goulash soup?")
    assert "Not in your documents" in missing.inner_text()
    assert missing.locator("sup").count() == 0
    ui.shot("05-follow-up-and-not-found")


def test_untrusted_document_shown_as_text(ui: Page) -> None:
    page = ui.page
    answer = ui.ask("When is the Quillby marmalade festival held?")
    answer.locator(".title:has-text('Sources')").first.click()
    page.wait_for_timeout(300)
    shown = answer.inner_text()
    assert "October" in shown
    # Markdown is read as the text it renders to: its HTML is dropped when read (a script's content too), never shown
    assert "<script>" not in shown and "<img" not in shown and "__pwned='script'" not in shown
    answer.locator("a.qa-cite").first.click()
    page.locator("#qa-reader mark").wait_for(timeout=15_000)
    reader = page.inner_text("#qa-reader")
    assert "held every October in the old town square" in reader
    assert "<script>" not in reader and "__pwned='script'" not in reader
    assert "[read the rules](javascript:" in reader  # a javascript: link is no link in Markdown: its text, as text
    ui.tab("Documents")
    page.wait_for_timeout(500)
    assert "quillby-festival.md" in page.inner_text("#qa-docs")
    ui.shot("06-untrusted-document")
    # nothing from the document became markup: no image, script, frame, svg or link from it
    for selector in ("img[src='x']", "#qa-chat script", "#qa-reader script", "iframe", "svg[onload]",
                     "a[href^='javascript']", "a[href*='pwned']", "img[src*='pwned']"):
        assert page.locator(selector).count() == 0, selector
    assert ui.pwned() is None
    assert ui.errors == []


def test_upload_then_ask(ui: Page, tmp_path: Path) -> None:
    page = ui.page
    ui.tab("Documents")
    page.set_input_files("#qa-upload input[type=file]", str(FIXTURES / "varnholm-lighthouse.txt"))
    page.wait_for_selector("#qa-upload-status:has-text('Added')", timeout=ANSWER_TIMEOUT)
    assert "varnholm-lighthouse.txt" in page.inner_text("#qa-docs")
    ui.shot("07-uploaded")
    answer = ui.ask("Who painted the Varnholm lighthouse red?")
    assert "Edda Lindqvist" in answer.inner_text(), answer.inner_text()
    ui.shot("08-answer-from-upload")

    # a file type that is not allowed is refused with a clear message (by the page, and again by the server)
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ\x90\x00")
    page.locator("#qa-upload input[type=file]").evaluate("e => e.removeAttribute('accept')")
    page.set_input_files("#qa-upload input[type=file]", str(bad))
    page.wait_for_selector("text=/Invalid file type|cannot be indexed/", timeout=15_000)
    assert not (ui.app.uploads / "notes.exe").exists()


def test_feedback_saves_an_evaluation_case(ui: Page) -> None:
    page = ui.page
    ui.ask("How many Russian officers were killed in Izium?")
    page.locator("#qa-chat button[aria-label='Dislike']").last.click()
    page.wait_for_selector("#qa-feedback-choice label", timeout=15_000)
    page.locator("#qa-feedback-choice label").first.click()
    page.click("#qa-feedback-save")
    page.wait_for_selector("#qa-feedback-status:has-text('Saved as an evaluation case')", timeout=15_000)
    ui.shot("09-feedback-saved")
    cases = (ui.app.feedback / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    assert cases and "How many Russian officers" in cases[-1]


def test_remove_document(ui: Page, tmp_path: Path) -> None:
    page = ui.page
    doc = tmp_path / "short-lived-note.md"
    doc.write_text("# Short-lived note\n\nThe blue heron nests by the old mill pond every spring.\n", encoding="utf-8")
    ui.tab("Documents")
    page.set_input_files("#qa-upload input[type=file]", str(doc))
    page.wait_for_selector("#qa-upload-status:has-text('Added')", timeout=ANSWER_TIMEOUT)
    pick = page.locator("#qa-doc-pick input")
    # the upload refreshes the document list; pick (again) until the choice has landed, then remove
    for _ in range(20):
        pick.click()
        page.locator("[role=option]:has-text('Short-lived note')").click()
        page.wait_for_timeout(250)
        if "Short-lived note" in pick.input_value():
            break
    assert "Short-lived note" in pick.input_value()
    page.click("#qa-remove-ask")  # asks first
    page.wait_for_selector("#qa-remove-confirm:has-text('Remove')", timeout=15_000)
    page.click("#qa-remove")
    page.wait_for_selector("#qa-upload-status:has-text('Removed')", timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(500)
    assert "short-lived-note.md" not in page.inner_text("#qa-docs")
    assert not (ui.app.uploads / "short-lived-note.md").exists()
    assert (ROOT / "documents").is_dir()  # the repository's own documents were never touched
    ui.shot("10-removed")


# ------------------------------------------------------------------------------------------ issue 15

MARK_IN_READER = """() => {
  const box = document.querySelector('#qa-reader .qa-doc-text');
  const m = box && box.querySelector('mark');
  if (!m) return null;
  const b = box.getBoundingClientRect(), r = m.getBoundingClientRect();
  return {inside: r.top >= b.top - 1 && r.bottom <= b.bottom + 1, onScreen: b.top >= 0 && b.bottom <= innerHeight,
          scrolls: box.scrollHeight > box.clientHeight, text: m.innerText};
}"""


def _reader_shows(page: object, quote_tip: str) -> dict:
    """Wait until the reader's highlighted quote is the one of ``quote_tip`` (a link's title) and in view."""
    quote = " ".join(quote_tip.split(": “", 1)[1].rstrip("”").split())[:40]
    page.wait_for_function(  # type: ignore[attr-defined]
        f"(q) => {{ const s = ({MARK_IN_READER})(); return s && s.inside && "
        "s.text.replace(/\\s+/g, ' ').startsWith(q); }", arg=quote, timeout=15_000)
    return page.evaluate(MARK_IN_READER)  # type: ignore[attr-defined]


def test_a_citation_opens_its_quote_inside_the_reader_box_and_the_page_stays(ui: Page) -> None:
    page = ui.page
    answer = ui.ask("Was General Gerasimov wounded in the attack?")
    links = answer.locator("a.qa-cite")
    assert links.count() >= 2
    assert page.locator("#qa-cited").count() == 0  # the old "open a quote" dropdown is gone
    page.evaluate("window.scrollTo(0, 0)")
    for i in range(links.count()):
        link = links.nth(i)
        tip = link.get_attribute("title") or ""
        assert "“" in tip, tip  # hovering shows the quote
        link.click()
        state = _reader_shows(page, tip)
        assert state["onScreen"] and state["scrolls"], state  # the text scrolls inside its box, which fits on screen
        assert page.evaluate("window.scrollY") == 0, "opening a quote scrolled the page"
        question = page.locator("#qa-question textarea").bounding_box()
        assert question and question["y"] + question["height"] <= page.viewport_size["height"]
    ui.shot("11-citation-in-reader")
    ui.doc_shot("answer-and-reader")


def test_a_citation_is_reachable_with_the_keyboard(ui: Page) -> None:
    page = ui.page
    ui.ask("Was General Gerasimov wounded in the attack?")
    page.locator("#qa-chat .user-row").last.click()  # start the tab sequence at the question bubble
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('a.qa-cite')"):
            break
    focused = page.locator("a.qa-cite:focus")
    assert focused.count() == 1, "Tab never reached a citation"
    tip = focused.get_attribute("title") or ""
    page.keyboard.press("Enter")
    assert _reader_shows(page, tip)["inside"]
    assert page.evaluate("window.scrollY") == 0


def test_accessibility_axe_core_finds_no_serious_or_critical_violation(ui: Page) -> None:
    page = ui.page
    assert ui.axe_violations() == []  # the start page
    answer = ui.ask("Was General Gerasimov wounded in the attack?")
    answer.locator(".title:has-text('Sources')").first.click()
    answer.locator("a.qa-cite").first.click()
    page.locator("#qa-reader mark").wait_for(timeout=15_000)
    assert ui.axe_violations() == []  # answer, sources open, a quote in the reader
    ui.tab("Settings")
    assert ui.axe_violations() == []
    ids = page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id).filter(Boolean)")
    assert len(ids) == len(set(ids)), sorted(i for i in set(ids) if ids.count(i) > 1)
    assert page.get_by_role("textbox", name="Your question").count() == 1
    assert page.get_by_role("button", name=re.compile("Sources")).count() >= 1
    page.locator("#qa-question textarea").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "qa-ask"  # question, then Ask


def test_settings_refuse_what_cannot_run(ui: Page) -> None:
    from qa.answer.pipeline import written_available

    page = ui.page
    ui.tab("Settings")
    mode = page.locator("#qa-mode")
    written = mode.locator("input[value=written]")
    assert written.count() == 1  # always shown
    if written_available():
        assert written.is_enabled()
    else:
        assert written.is_disabled()
        assert "pip install -r requirements-llm.txt" in mode.inner_text()
    assert page.locator("#qa-k input[type=range]").get_attribute("max") == "20"
    ui.shot("12-settings")


def test_small_screen_keeps_the_question_box_above_the_fold(browser: object, running: RunningApp) -> None:
    small = Page(browser, running, width=390, height=844).open()
    try:
        page = small.page
        box = page.locator("#qa-question textarea").bounding_box()
        assert box and box["y"] + box["height"] <= 844, box
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        small.shot("13-small-screen")
        small.doc_shot("small-screen")
        assert small.external == []
    finally:
        small.close()
