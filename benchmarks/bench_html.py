"""Cost of reading an HTML page (``qa.ingest.loaders.html.parse_html``), 2026-12-03.

Two readings, interleaved per page in one process: today's (navigation, forms, asides and footers removed with lxml,
then trafilatura in its recall mode) and the baseline it replaced (trafilatura's precision mode on the page as it
is). Pages: a small document-like page (a trip plan with headings and a list), a news-like article page with a
header, navigation, related links, a comment form and a footer, the same article page grown to ~1.5 million
characters (the largest size trafilatura still reads: ``MAIN_CONTENT_MAX_CHARS``), and the rustdoc pages of the
installed Rust toolchain when there are any. CPU milliseconds per page, and the words each reading keeps.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import lxml.html
from common import machine, write_result

from qa.ingest.loaders import html

RUSTDOC = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/rustdoc"

TRIP = """<!DOCTYPE html><html><head><title>Lisbon trip, May 2026</title></head><body>
<h1>Lisbon trip, May 2026</h1>
<p>Travellers: Jane and Sam. Flight TP 1347 leaves Portland at 17:40 on 8 May and lands in Lisbon at 13:05 on 9 May (via Newark).</p>
<h2>Where we stay</h2>
<p>Casa do Largo, Rua da Rosa 112, Bairro Alto. Check-in from 15:00 on 9 May, check-out by 11:00 on 15 May. Booking reference HX-55821. The room costs €148 per night, breakfast included.</p>
<h2>Plan</h2>
<ul>
<li>10 May: Belém — Jerónimos Monastery (tickets booked for 10:30), then pastéis de nata at Pastéis de Belém.</li>
<li>11 May: day trip to Sintra by train from Rossio station; Pena Palace at 11:00.</li>
<li>12 May: Alfama walking tour with a guide named Rita, meeting at 9:30 by the cathedral.</li>
<li>13 May: free day; dinner at Taberna da Rua das Flores (no reservations, go early).</li>
<li>14 May: LX Factory and the Tagus river cruise at 18:00.</li>
</ul>
<h2>Money</h2>
<p>Budget: €2,400 for the two of us, not counting flights. The flights cost $1,310 in total.</p>
<p>Travel insurance is with SafeTrip, policy number ST-2026-77310; emergency line +1 800 555 0199.</p>
</body></html>"""

PARAGRAPH = ("<p>On day {i} the council voted to fund bridge number {i}, which engineers say will carry {i} thousand "
             "vehicles a day once it opens, and residents of both banks spoke for and against it at meeting {i}.</p>\n")


def article(paragraphs: int) -> str:
    return ("<!DOCTYPE html><html><head><title>Council votes for the bridge</title><script>var t = 1;</script></head>"
            "<body><header><div>SiteLogo</div><h1>Council votes for the bridge</h1></header><nav><ul>"
            + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(20)) + "</ul></nav><main><article>"
            + "".join(PARAGRAPH.format(i=i) for i in range(paragraphs)) + "</article><section><h3>Related</h3><ul>"
            + "".join(f"<li><a href='/r{i}'>Related story {i}</a></li>" for i in range(10))
            + "</ul></section><form><textarea>Your comment</textarea><button>Post</button></form></main>"
            "<footer>Copyright</footer></body></html>")


def pages() -> dict[str, list[str]]:
    out = {"trip_plan": [TRIP] * 50, "article": [article(12)] * 50, "article_1.5M_chars": [article(6500)]}
    docs = sorted(RUSTDOC.glob("*.html")) if RUSTDOC.is_dir() else []
    if docs:
        out["rustdoc"] = [p.read_text(encoding="utf-8") for p in docs]
    return out


def _time(pages: list[str], baseline: bool) -> tuple[float, int]:
    main, strip = html._main_text, html._without_furniture
    if baseline:
        html._without_furniture = lambda root: str(lxml.html.tostring(root, encoding="unicode"))  # the page as it is

        def precision(page: str) -> str:
            import trafilatura

            extracted = trafilatura.extract(page, include_comments=False, include_tables=True, include_images=False,
                                            include_links=False, favor_precision=True, with_metadata=False,
                                            deduplicate=False)
            return html._tidy_lines(extracted or "")
        html._main_text = precision
    try:
        words = 0
        start = time.process_time()
        for p in pages:
            words += len(html.parse_html(Path("page.html"), p.encode())[1].split())
        return time.process_time() - start, words
    finally:
        html._main_text, html._without_furniture = main, strip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per reading")
    ap.add_argument("--results", type=Path, default=None)
    args = ap.parse_args()
    out: dict[str, dict[str, Any]] = {}
    for name, group in pages().items():
        base = today = 0.0
        base_words = today_words = 0
        for _ in range(args.rounds):  # interleaved: the machine's noise falls on both
            b, base_words = _time(group, True)
            n, today_words = _time(group, False)
            base, today = base + b, today + n
        per = 1000 / len(group) / args.rounds
        out[name] = {"pages": len(group), "baseline_ms_per_page": round(base * per, 2),
                     "today_ms_per_page": round(today * per, 2), "ratio": round(today / base, 3),
                     "baseline_words": base_words, "today_words": today_words}
        print(name, out[name])
    kw = {"results": args.results} if args.results else {}
    write_result("html", {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "pages": out}, **kw)


if __name__ == "__main__":
    main()
