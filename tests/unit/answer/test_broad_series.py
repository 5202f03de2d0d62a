"""Typed lists (qa.answer.broad.series): the items of the asked type are found where the text lists them - a series
a word for the type opens, a name a word for the type stands before, a kind of it named by a modifier - from every
document in scope, each once with its quote."""
from __future__ import annotations

from pathlib import Path

import pytest

import qa
from qa.answer.broad.series import affiliations, head_noun, kind_phrases, named_kinds, possessor, role_names, series_in
from tests.conftest import CountingEmbedder
from tests.unit.answer.grounding import assert_grounded, index_of

NONE: dict[str, float] = {}


def items(text: str, noun: str, close: dict[str, float] = NONE) -> list[str]:
    return [item for s in series_in(text, noun, close) for item, _ in s.items]


@pytest.mark.parametrize(("topic", "noun"), [
    ("animals", "animals"),
    ("temüjin's relatives", "relatives"),
    ("risk categories openai's framework uses", "categories"),
    ("han chinese and khitan generals", "generals"),
    ("other contenders for person of the year", "contenders"),
    ("large mammals of the andean forests", "mammals"),
])
def test_the_asked_noun(topic: str, noun: str) -> None:
    assert head_noun(topic) == noun


def test_whose_items_are_asked_for() -> None:
    assert possessor("temüjin's relatives") == "temüjin"
    assert possessor("risk categories openai's framework uses") == ""  # the noun comes first: no owner
    assert possessor("animals") == ""


def test_a_series_after_a_colon_leaves_out_parentheses_and_quotes() -> None:
    text = ("Teams rate each model on four risk categories: cybersecurity, “persuasion” (e.g., disinfo), model "
            "autonomy (i.e., acting on its own), and CBRN (chemical and nuclear threats).")
    assert items(text, "categories") == ["cybersecurity", "persuasion", "model autonomy", "CBRN"]


def test_a_series_after_such_as_ends_where_its_last_noun_does() -> None:
    text = "Occasionally oceanic species such as bottlenose dolphins, orcas, and beaked whales visit the waters."
    assert items(text, "animals", {"species": 0.7}) == ["bottlenose dolphins", "orcas", "beaked whales"]
    assert items(text, "animals", {"species": 0.2}) == []  # "species" is not close enough to animals


def test_names_right_after_the_noun_and_after_including() -> None:
    text = "The four Han Generals Zhang Rou, Yan Shi, Shi Tianze, and Liu Heima commanded the four tumens."
    assert items(text, "generals") == ["Zhang Rou", "Yan Shi", "Shi Tianze", "Liu Heima"]
    text = "He met world leaders including President Joe Biden and French President Emmanuel Macron, among others."
    assert items(text, "leaders") == ["President Joe Biden", "French President Emmanuel Macron"]


def test_no_series_from_a_clause_that_is_not_one() -> None:
    assert items("The first two categories, being real and not fictional, have a rubric.", "categories") == []
    assert items("The peaks are high.", "peaks") == []


def test_the_comma_of_a_figure_does_not_split_a_series() -> None:
    text = "Between the two passes, the peaks range from 5,000 feet (1,500 m) to more than 9,000 feet (2,700 m)."
    assert items(text, "peaks") == []


def test_a_name_after_a_word_for_the_type_with_a_possessive() -> None:
    text = "He was the son of his father Yesügei, an ally of Toghrul Khan, and of his mother Hoelun."
    close = {"father": 0.53, "mother": 0.57, "ally": 0.3}
    assert [n for n, _ in role_names(text, "relatives", close)] == ["Yesügei", "Hoelun"]
    assert role_names("They crossed the high Andes.", "peaks", {"high": 0.52}) == []  # no possessive: no role


def test_a_typed_list_answers_from_every_document_with_each_item_once(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lake.txt").write_text(
        "Lake Arlen\n\nThe lake is home to many birds, including herons, grebes and kingfishers. "
        "Fishermen come in spring. Herons nest on the north shore.", encoding="utf-8")
    (folder / "marsh.txt").write_text(
        "Kelmar marsh\n\nThe marsh shelters rare birds such as bitterns, ospreys and marsh harriers. "
        "A new path opened in May.", encoding="utf-8")
    idx = qa.build_index(folder, tmp_path / "index", embedder=CountingEmbedder())
    ans = idx.ask("Which birds are mentioned?")
    assert_grounded(idx, ans)
    assert ans.found and {c.doc_id for c in ans.citations} == {"docs/lake.txt", "docs/marsh.txt"}
    for bird in ("herons", "grebes", "kingfishers", "bitterns", "ospreys", "marsh harriers"):
        assert f"**{bird}**" in ans.text
    assert ans.text.count("**herons**") == 1
    assert ans.text.startswith("**Birds mentioned** (6)")


def test_names_that_end_with_the_asked_noun_are_of_its_type() -> None:
    text = "The Varn dynasty followed the Old Kelmar dynasty and preceded the Arlen dynasty, the chroniclers say."
    assert [n for n, _ in named_kinds(text, "dynasties")] == ["Varn dynasty", "Old Kelmar dynasty", "Arlen dynasty"]
    assert [n for n, _ in named_kinds("In 1300 Berg Khan succeeded his uncle.", "khans")] == ["Berg Khan"]
    # no name before it, or a possessive ("Arlen's bridge" is whose, not which)
    assert named_kinds("The old bridge and Arlen's bridge were closed.", "bridges") == []
    # the offset is the name's own, whatever the spacing between its words (a line break in the text)
    text = "Ruled by the Old \nKelmar dynasty."
    assert [(n, text[at:at + len(n)]) for n, at in named_kinds(text, "dynasties")] == [("Old \nKelmar dynasty",) * 2]


def test_a_typed_list_gives_the_names_its_noun_ends(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"annals.txt": (
        "Annals of Arlen\n\nThe Varn dynasty ruled Arlen for two centuries. It followed the Old Kelmar dynasty, whose "
        "last king fled north. Trade with the coast grew under the Varn kings. The Holm dynasty ended its rule in "
        "1402.")})
    ans = idx.ask("Which dynasties does the annals text mention?")
    assert_grounded(idx, ans)
    quoted = "\n".join(c.quote for c in ans.citations)
    assert all(n in quoted for n in ("Varn dynasty", "Old Kelmar dynasty", "Holm dynasty")), ans.text


def test_the_bodies_a_profession_is_tied_to() -> None:
    def bodies(text: str, noun: str) -> list[str]:
        found = affiliations(text, noun)
        assert all(text[at:at + len(name)] == name for name, at in found)  # offsets into the sentence
        return [name for name, _ in found]

    assert bodies("In a note, analysts at Mizuho raised the target.", "analysts") == ["Mizuho"]
    assert bodies("JPMorgan Chase analysts wrote last week.", "analysts") == ["JPMorgan Chase"]
    assert bodies("Volume fell, according to crypto analyst site CoinGecko.", "analysts") == ["CoinGecko"]
    assert bodies("It followed the Song dynasty and the Jin dynasty.", "dynasties") == []  # names: named_kinds
    assert bodies("Coinbase executives met analysts.", "analysts") == []
    assert bodies("Two generals, Tom Berg and Ivo Hart, led the parade.", "generals") == []  # a number is no body


def test_names_a_word_for_a_kind_of_the_noun_opens() -> None:
    text = "The highest peak of the range is Mount Arlen (3,100 m); Mt. Berg is lower. Lake Varn lies below."
    assert [n for n, _ in named_kinds(text, "peaks")] == ["Mount Arlen", "Mt. Berg"]
    assert [n for n, _ in named_kinds(text, "lakes")] == ["Lake Varn"]
    assert named_kinds("They climbed a mount in spring.", "peaks") == []  # no name after it


def test_a_comparative_or_superlative_is_no_kind() -> None:
    close = {"elevations": 0.9, "peaks": 1.0}
    assert kind_phrases("The highest elevations and lower elevations are cold.", "peaks", close) == []
    assert [p for p, _ in kind_phrases("Volcanic peaks and granite peaks rise here.", "summits", close)] == [
        "Volcanic peaks", "granite peaks"]


def test_a_kind_named_after_a_preposition_or_as_a_title_is_the_name_alone() -> None:
    text = "Before Varn Khan died, he named Ögedei Khan his heir; the land was ruled by Great Khans."
    assert [n for n, _ in named_kinds(text, "khans")] == ["Varn Khan", "Ögedei Khan"]
    assert affiliations(text, "khans") == []  # "Great Khans" is a title, not the khans of a body called "Great"
