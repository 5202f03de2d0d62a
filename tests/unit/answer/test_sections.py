"""A quoted heading stands for its section (qa.answer.sections): what is below it, in reading order."""
from __future__ import annotations

from qa.answer.candidates import Sentence
from qa.answer.sections import expand, headed, is_heading, section
from qa.text.sentences import quote_spans

NOTES = """Product team meeting - 12 November 2026

1. Release 4.2

The release planned for 20 November is moved to 4 December. Tom reported that 3% of test payments time out.

Action items
- Priya: inform sales about the new release date.
- Tom: work with the payment provider on the timeouts.
- Marcus: test the onboarding flow on Android devices.

Next meeting: 26 November 2026, 10:00.
"""


def _sentences(text: str, doc: str = "notes.txt") -> list[Sentence]:
    return [Sentence(doc, "Notes", None, None, a, b, text[a:b], 0, i, score=-float(i))
            for i, (a, b) in enumerate(quote_spans(text, 0, len(text)))]


def _find(sentences: list[Sentence], text: str) -> Sentence:
    return next(s for s in sentences if s.text == text)


def test_headings_are_short_lines_alone_with_text_below() -> None:
    ss = _sentences(NOTES)
    assert is_heading(NOTES, *_span(_find(ss, "Action items")))
    assert is_heading(NOTES, *_span(_find(ss, "Release 4.2")))  # after its section number
    for not_one in ("Next meeting: 26 November 2026, 10:00.", "Tom reported that 3% of test payments time out.",
                    "Priya: inform sales about the new release date."):
        assert not is_heading(NOTES, *_span(_find(ss, not_one))), not_one


def _span(s: Sentence) -> tuple[int, int]:
    return s.start, s.end


def test_a_section_is_its_first_paragraph_or_list() -> None:
    ss = _sentences(NOTES)
    items = section(_find(ss, "Action items"), ss, NOTES)
    assert [s.text for s in items] == ["Priya: inform sales about the new release date.",
                                       "Tom: work with the payment provider on the timeouts.",
                                       "Marcus: test the onboarding flow on Android devices."]
    # a sentence the candidates do not hold ends it: nothing is quoted out of order
    gappy = [s for s in ss if not s.text.startswith("Tom: ")]
    assert [s.text[:6] for s in section(_find(gappy, "Action items"), gappy, NOTES)] == ["Priya:"]


def test_a_chosen_heading_is_replaced_by_its_section_at_its_rank() -> None:
    ss = _sentences(NOTES)
    head, other = _find(ss, "Action items"), _find(ss, "Next meeting: 26 November 2026, 10:00.")
    out = expand([head, other], ss, lambda d: NOTES)
    assert [s.text[:6] for s in out] == ["Priya:", "Tom: w", "Marcus", "Next m"]
    assert all(s.score == head.score for s in out[:3])  # cited where the heading would have been
    assert expand([other], ss, lambda d: NOTES) == [other]


CV = """Jane Okafor

Data analyst with six years of experience.

Skills
SQL, Python (pandas), Tableau, Spanish (fluent).

Education
B.Sc. in Statistics, University of Washington, 2019.
"""


def test_a_heading_naming_the_question_answers_it() -> None:
    ss = [Sentence("cv.docx", "Jane Okafor", None, None, a, b, CV[a:b], 0, i, score=-float(i))
          for i, (a, b) in enumerate(quote_spans(CV, 0, len(CV)))]
    skills = _find(ss, "Skills")
    best = [skills, *[s for s in ss if s is not skills]]
    assert headed("What are Jane's skills?", best, lambda d: CV) is skills  # "Jane": the document's title
    assert headed("What are Tom's skills?", best, lambda d: CV) is None  # a word neither heading nor title has
    assert headed("Where did Jane study?", best, lambda d: CV) is None  # the heading must name what is asked
    assert headed("What are Jane's skills?", [skills], lambda d: CV) is None  # no section among the candidates


def test_a_heading_that_must_be_cited_by_its_own_span_stays() -> None:
    ss = _sentences(NOTES)
    head = _find(ss, "Action items")
    assert expand([head], ss, lambda d: NOTES, keep=[head]) == [head]  # e.g. it holds the short answer
