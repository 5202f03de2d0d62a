"""Descriptions and events follow the thread of their document: the sentences after the one that names the topic
when they go on about it ("This leads to ...", "Consequently, ..."), the sentence before one that only names what
it described ("The phenomenon is known as ..."), and a person named by surname alone in the document that gives
the full name ("Ray said", for John J. Ray III; not "Eva Holm" for Mark Holm)."""
from __future__ import annotations

from pathlib import Path

import qa
from qa.answer.broad.describe import _by_surname, _opens_thread
from tests.unit.answer.grounding import assert_grounded, index_of

DOCS = {
    "lake.txt": "Lake Varn\n\nLake Varn lies in a deep basin north of Arlen. Its bottom water is cold and salty. "
    "About a third of Lake Varn's floor is a dead zone where the heavy water stays on the bottom. This leads to "
    "falling oxygen levels within the zone. Consequently, only bacteria grow there, releasing a foul gas. Fishing "
    "boats from Arlen work the upper waters all year.\n\nThe shore around the lake is still rising after the ice "
    "melted, by about a centimetre a year. The phenomenon is known as shore lift. Ferries now dock further out.",
    "audit.txt": "The audit of Kelmar Freight\n\nThe board of Kelmar Freight appointed Mark T. Holm III, a veteran "
    "of three turnarounds, as its new chief executive in May. Holm told a hearing in Arlen that the firm had kept "
    "no records of its spending at all. The firm's founder, Eva Holm, declined to comment on the audit. Trucks of "
    "the firm still run between Arlen and the port every day.",
}


def _index(tmp_path: Path) -> qa.Index:
    return index_of(tmp_path, DOCS)


def _quotes(idx: qa.Index, question: str) -> str:
    ans = idx.ask(question)
    assert_grounded(idx, ans)
    assert ans.found, ans.text
    return "\n".join(c.quote for c in ans.citations)


def test_an_event_goes_on_to_the_sentences_that_say_what_followed(tmp_path: Path) -> None:
    quoted = _quotes(_index(tmp_path), "What's going on with Lake Varn's floor?")
    assert "dead zone" in quoted
    assert "This leads to falling oxygen levels" in quoted  # what it leads to, without naming the floor
    assert "Consequently, only bacteria grow there" in quoted
    assert "Fishing boats" not in quoted  # the thread ends where a sentence does not go on about it


def test_a_term_named_after_its_description_brings_the_description(tmp_path: Path) -> None:
    quoted = _quotes(_index(tmp_path), "What is shore lift?")
    assert "The phenomenon is known as shore lift" in quoted
    assert "still rising after the ice melted" in quoted  # the sentence it names


def test_a_person_is_also_named_by_surname_in_the_document_that_gives_the_full_name(tmp_path: Path) -> None:
    quoted = _quotes(_index(tmp_path), "Who is Mark T. Holm III?")
    assert "a veteran of three turnarounds" in quoted
    assert "Holm told a hearing in Arlen" in quoted
    assert "Eva Holm" not in quoted  # the same surname after another first name is someone else


def test_thread_openers_and_surnames() -> None:
    assert _opens_thread("This leads to decreased oxygen.") and _opens_thread("“Consequently, the sea shrinks.")
    assert not _opens_thread("Thistles grow on the shore.") and not _opens_thread("The sea shrinks.")
    own = frozenset({"john", "ray", "iii"})
    assert _by_surname("When asked, Ray said there were no controls.", "ray", own)
    assert _by_surname("John J. Ray III was appointed.", "ray", own)
    assert not _by_surname("Kublai Ray built schools.", "ray", own)
    assert not _by_surname("A ray of light fell on the desk.", "ray", own)


def test_two_names_apart_in_an_event_are_two_and_a_contrast_goes_on(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"visit.txt": (
        "The planned visit\n\nMayor Tom Berg planned a visit to the port of Kelmar in May. The city of Arlen learned "
        "about the visit early, but Arlen did not share this with the port. However, the port's unions asked the "
        "harbour board to cancel the whole trip. Ferries from the port run twice a day to the islands.")})
    quoted = _quotes(idx, "What happened once Arlen learned of Berg's visit?")
    # the sentence names Arlen, not Berg: two people asked about, either will do ("Berg" is not a surname of Arlen)
    assert "Arlen did not share this with the port" in quoted
    assert "However, the port's unions asked the harbour board to cancel" in quoted  # a contrast goes on
    assert "Ferries" not in quoted
