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

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT = 60_000  # ms; the two CPU cores are shared

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


class Page:
    """A fresh browser tab (a fresh chat session) with the outside world cut off and recorded."""

    def __init__(self, browser: object, running: RunningApp) -> None:
        self.app = running
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.external: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if re.match(r"^(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/", url) or url.startswith(("data:", "blob:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.external.append(url)
            route.abort()  # type: ignore[attr-defined]

    def open(self) -> "Page":
        self.page.goto(self.app.url)
        self.page.wait_for_selector("#qa-status:has-text('Ready')", timeout=ANSWER_TIMEOUT)
        return self

    def ask(self, question: str) -> object:
        """Ask and wait for the answer; returns the locator of the last bot message."""
        bots = self.page.locator("#qa-chat .bot-row")
        before = bots.count()
        self.page.fill("#qa-question textarea", question)
        self.page.click("#qa-ask")
        self.page.wait_for_function(
            "n => document.querySelectorAll(\"#qa-chat .bot-row\").length > n", arg=before,
            timeout=ANSWER_TIMEOUT)
        # done when the pending ellipsis has been replaced and the question box is cleared
        self.page.wait_for_function(
            "() => { const b = document.querySelectorAll(\"#qa-chat .bot-row\"); "
            "const t = b[b.length - 1].innerText.trim(); return t !== '…' && !t.endsWith('▍'); }",
            timeout=ANSWER_TIMEOUT)
        return bots.last

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def shot(self, name: str, full_page: bool = False) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def pwned(self) -> object:
        return self.page.evaluate("() => window.__pwned")

    def close(self) -> None:
        self.context.close()


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
    assert "score" in body
    ui.shot("03-sources-open")

    # open a quote in its document: the reader shows the full text with the cited span highlighted
    page.locator("#qa-cited input").click()
    page.locator("[role=option]").first.click()
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
    assert "<script>" in shown or "<img src=x" in shown, "the HTML of the document is shown as text"
    page.locator("#qa-cited input").click()
    page.locator("[role=option]").first.click()
    page.locator("#qa-reader mark").wait_for(timeout=15_000)
    reader = page.inner_text("#qa-reader")
    assert "<script>window.__pwned='script'</script>" in reader
    assert "[read the rules](javascript:" in reader
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
    page.click("#qa-remove")
    page.wait_for_selector("#qa-upload-status:has-text('Removed')", timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(500)
    assert "short-lived-note.md" not in page.inner_text("#qa-docs")
    assert not (ui.app.uploads / "short-lived-note.md").exists()
    assert (ROOT / "documents").is_dir()  # the repository's own documents were never touched
    ui.shot("10-removed")
