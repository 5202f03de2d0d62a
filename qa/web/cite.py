"""Clickable citations: every ``[n]`` of an answer in the chat is a link to its quote (``#qa-cite-<turn>-<n>``);
the page's script (``qa.web.scripts.CITE_BRIDGE``) turns a click (or Enter) on one into ``ChatApp.open_citation``
with the key ``"<turn>:<n>"``. Hovering shows the quote (the link's title). No Gradio here."""
from __future__ import annotations

import html
import re

from ..types import Answer
from .render import CiteLink, short

_HREF = re.compile(r"#qa-cite-(\d{1,6})-(\d{1,3})$")
TOOLTIP_CHARS = 280


def cite_links(turn: int, answer: Answer) -> CiteLink:
    """The markup of the [n] markers of ``answer`` (turn ``turn`` of the conversation): a link whose title is
    the quote (escaped: document text is untrusted), for the numbers the answer cites; None for others."""
    by_n = {c.n: c for c in answer.citations}

    def link(n: int) -> str | None:
        c = by_n.get(n)
        if c is None:
            return None
        tip = html.escape(f"{short(c.title or c.doc_id, 60)}: “{short(c.quote, TOOLTIP_CHARS)}”", quote=True)
        return f'<a class="qa-cite" href="#qa-cite-{turn}-{n}" title="{tip}">&#91;{n}&#93;</a>'

    return link


def cite_key(href: str | None) -> str | None:
    """``"<turn>:<n>"`` for a citation link's href (or the key itself); None for anything else."""
    if not href:
        return None
    m = _HREF.search(href) or re.fullmatch(r"(\d{1,6}):(\d{1,3})", href)
    return f"{m.group(1)}:{m.group(2)}" if m else None
