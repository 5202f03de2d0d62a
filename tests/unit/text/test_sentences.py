"""Sentences as quotes see them: a line wrapped inside a paragraph (PDF text, hard-wrapped HTML or plain text) does
not end a sentence, while headings, list items, table rows and blank lines still do; a list item is quoted without
its bullet."""
from __future__ import annotations

from qa.text.sentences import quote_spans, split_sentences


def _quotes(text: str) -> list[str]:
    return [text[a:b] for a, b in quote_spans(text, 0, len(text))]


def test_a_wrapped_line_goes_on() -> None:
    text = ("Applications may be installed in /usr, /usr/local and the user's home directory (in the\n"
            "XDG_DATA_HOME directory). Cargo can generate\ndocumentation for each crate.")
    assert _quotes(text) == [
        "Applications may be installed in /usr, /usr/local and the user's home directory (in the\nXDG_DATA_HOME directory).",
        "Cargo can generate\ndocumentation for each crate.",
    ]


def test_lines_that_end_a_unit_still_end_it() -> None:
    text = ("Shared Database\nThis is version 0.21.\n- item one\n- item two\nformat | since\ncsv | 1.0\n"
            "Installing:\nrun the script.\nOne paragraph ends here\n\nand a new one starts.")
    assert _quotes(text) == ["Shared Database", "This is version 0.21.", "item one", "item two", "format | since",
                             "csv | 1.0", "Installing:", "run the script.", "One paragraph ends here",
                             "and a new one starts."]


def test_spans_stay_verbatim() -> None:
    text = "Line one of a\nwrapped sentence.\n• Bullet item here.\n"
    for s in split_sentences(text):
        assert text[s.start:s.end].strip() == text[s.start:s.end]
    assert _quotes(text) == ["Line one of a\nwrapped sentence.", "Bullet item here."]


def test_a_list_item_wraps_too() -> None:
    text = "• Applications are installed in the user's home directory (in the\nnormal Unix way) and used.\n• Next item."
    assert _quotes(text) == ["Applications are installed in the user's home directory (in the\nnormal Unix way) and used.",
                             "Next item."]


def test_a_wrapped_line_may_go_on_with_a_bracket() -> None:
    text = "Each Contributor grants a perpetual, irrevocable\n(except as stated in this section) patent license."
    assert _quotes(text) == [text]
