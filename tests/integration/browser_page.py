"""The browser tests' page helper: a fresh Playwright tab on the app under test, with every request to a host other
than the app's loopback address recorded and aborted; asking, tabs, screenshots (test-artifacts/, and docs/screenshots/
for the views the README shows) and axe-core (npm package ``axe-core``, installed by .ci/run into .ci/node)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.integration.app_server import ROOT, RunningApp

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE_PATHS = (ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js",
             ROOT / "node_modules" / "axe-core" / "axe.min.js")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT = 60_000  # ms; the two CPU cores are shared


def axe_script() -> Path | None:
    """axe.min.js from the npm package axe-core (``npm install --no-save --prefix .ci/node axe-core``), or None."""
    return next((p for p in AXE_PATHS if p.is_file()), None)


class Page:
    """A fresh browser tab (a fresh chat session) with the outside world cut off and recorded."""

    def __init__(self, browser: object, running: RunningApp, width: int = 1400, height: int = 1000) -> None:
        self.app = running
        self.context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
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

    def doc_shot(self, name: str) -> None:
        """A screenshot the README shows (docs/screenshots/), refreshed by every run of the browser tests."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def axe_violations(self, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
        """axe-core's violations of at least these impacts on the page as it is now (rule id, help, the nodes)."""
        script = axe_script()
        assert script is not None, "axe-core is not installed (npm install --no-save --prefix .ci/node axe-core)"
        self.settle()
        self.page.add_script_tag(path=str(script))
        return self.page.evaluate(
            "async (impacts) => (await axe.run(document)).violations.filter(v => impacts.includes(v.impact))"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))",
            list(impacts))

    def settle(self, timeout: int = 15_000) -> None:
        """Wait until no event is pending (Gradio dims a pending output to opacity .2, which axe rightly reports as
        too little contrast) and no transition runs, so that a check sees the page as the user will."""
        self.page.wait_for_function(
            "() => !document.querySelector('.pending, .generating') && !document.getAnimations()"
            ".some(a => a.playState === 'running' && a.effect && isFinite(a.effect.getComputedTiming().endTime))",
            timeout=timeout)
        self.page.wait_for_timeout(150)

    def pwned(self) -> object:
        return self.page.evaluate("() => window.__pwned")

    def close(self) -> None:
        self.context.close()


