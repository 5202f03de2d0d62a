"""Broad questions are recognised by kind (summary / entity / event / compare / list) and factoids are left alone;
the pattern file is checked when loaded."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.answer.broad.kinds import DATA, classify, patterns
from qa.text.wordlists import WordListError
from tests.conftest import changed_copy

KINDS = [
    ("What are these articles about?", "summary", "gist"),
    ("Give me an overview of the documents.", "summary", "summary"),
    ("Summarize everything for me", "summary", "points"),
    ("What are the key points of the document?", "summary", "points"),
    ("tl;dr", "summary", "gist"),
    ("Briefly, what does the document claim?", "summary", "gist"),
    ("What topics do the documents cover?", "summary", "summary"),
    ("Who is Valery Gerasimov?", "entity", ""),
    ("Tell me about the Amazon river", "entity", ""),
    ("What do the documents say about solar panels?", "entity", ""),
    ("What happened in Izium?", "event", ""),
    ("What happened to the general after the attack at the headquarters", None, ""),
    ("What happened to Gerasimov?", "event", ""),
    ("How do the two articles differ on Gerasimov's fate?", "compare", ""),
    ("Do the sources agree on the number of victims?", "compare", ""),
    ("Compare the documents.", "compare", ""),
    ("List the places mentioned.", "list", ""),
    ("Which people are mentioned in the articles?", "list", ""),
    ("What organisations are named?", "list", ""),
    ("Who is mentioned?", "list", ""),
    ("How many eggs can the queen lay per day?", None, ""),
    ("Who is the chief of the Russian General Staff?", None, ""),
    ("What is the capital of France?", None, ""),
    ("What was different about the 2016 Super Bowl?", None, ""),
    ("Which general was mentioned as the commander?", None, ""),
    ("What are ctenophora commonly known as?", None, ""),
]


@pytest.mark.parametrize(("question", "kind", "length"), KINDS)
def test_kinds(question: str, kind: str | None, length: str) -> None:
    got = classify(question)
    assert (got.kind if got else None) == kind, question
    if got is not None and length:
        assert got.length == length


def test_topics_and_items() -> None:
    assert classify("What happened in Izium?").topic == "izium"
    assert classify("Tell me about the Amazon river").topic == "the amazon river"
    assert classify("How do the two articles differ on Gerasimov's fate?").topic == "gerasimov's fate"
    items = {q: classify(q).item for q in ("List the places mentioned.", "Which people are mentioned?",
                                            "What organisations are named in the documents?",
                                            "What dates are mentioned?", "What numbers are given?")}
    assert list(items.values()) == ["place", "person", "org", "date", "number"]
    generals = classify("Which generals are mentioned?")
    assert generals.item == "person" and generals.topic == "generals"


def test_a_closing_here_or_in_all_this_does_not_hide_the_kind() -> None:
    for q in ("What is Tom Berg's role here?", "What is Tom Berg's role in all this?", "Who is Tom Berg in this story?",
              "What's Tom Berg's role in the bridge saga?"):
        got = classify(q)
        assert got is not None and (got.kind, got.topic) == ("entity", "tom berg"), q
    assert classify("Where was the bridge built in this story?") is None  # still a factoid


def test_where_someone_comes_into_it_asks_their_role() -> None:
    for q in ("Where does Tom Berg come into it?", "How does Tom Berg fit in?", "Where does Tom Berg fit into this?",
              "How does Tom Berg figure in all this?"):
        got = classify(q)
        assert got is not None and (got.kind, got.topic) == ("entity", "tom berg"), q
    for q in ("Where did Tom Berg come in?", "How does the lid fit in the box?", "Where did the name come from?"):
        assert classify(q) is None, q  # a place in a race, a fact, an origin: factoids


def test_two_named_documents_make_a_comparison() -> None:
    assert classify("How does the document differ from the document?", references=2).kind == "compare"


def test_broken_pattern_file_names_itself(tmp_path: Path) -> None:
    bad = changed_copy(DATA, tmp_path, event=["what happened (?P<topic>.+"])
    with pytest.raises(WordListError, match="kinds.json"):
        patterns.__wrapped__(bad)
    bad = changed_copy(DATA, tmp_path, event=["what happened in (.+)"])  # no topic group
    with pytest.raises(WordListError, match="topic"):
        patterns.__wrapped__(bad)


PROBES = Path(__file__).resolve().parents[2] / "data" / "broad_kind_probes.jsonl"


def _probes() -> list[tuple[str, str | None]]:
    rows = [json.loads(line) for line in PROBES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["question"], r["kind"]) for r in rows]


@pytest.mark.parametrize(("question", "kind"), _probes())
def test_phrasings_written_apart_from_the_evaluation_set(question: str, kind: str | None) -> None:
    """Other ways people ask the same kinds (tests/data/broad_kind_probes.jsonl, written for the classifier, not
    taken from tests/data/broad_questions.jsonl): "Brief me on the documents.", "Who exactly is ...", "Walk me
    through what happened at ...", "Name all the places in the articles."; factoids stay factoids."""
    got = classify(question)
    assert (got.kind if got else None) == kind, question


@pytest.mark.parametrize(("question", "topic", "item", "scope"), [
    ("Which plants and trees does the document mention?", "plants and trees", "other", ""),  # any plural, active verb
    ("Name the bridges the document talks about.", "bridges", "other", ""),  # the documents as the verb's subject
    ("List the people the articles quote", "", "person", ""),
    ("Name every khan mentioned across these.", "khans", "other", ""),  # a singular after every / each
    ("Name every general mentioned in the two articles.", "generals", "person", ""),
    ("Which analysts or research firms get quoted on Coinbase?", "analysts or research firms", "person", "coinbase"),
])
def test_lists_asked_in_more_ways(question: str, topic: str, item: str, scope: str) -> None:
    got = classify(question)
    assert got is not None and (got.kind, got.topic, got.item, got.scope) == ("list", topic, item, scope)


def test_a_noun_phrase_is_put_in_the_plural() -> None:
    from qa.answer.broad.kinds import plural
    assert [plural(w) for w in ("khan", "city", "day", "church", "mongol khan")] == [
        "khans", "cities", "days", "churches", "mongol khans"]


def test_events_going_on_now_and_between_two_parties() -> None:
    got = classify("What went on between Binance and the Justice Department?")
    assert got is not None and (got.kind, got.topic) == ("event", "binance and the justice department")
    got = classify("What's going on with the Baltic's seafloor?")
    assert got is not None and (got.kind, got.topic) == ("event", "the baltic's seafloor")
    assert classify("What is happening to the average age of teachers in Wales?") is None  # a factoid, as before


def test_highlights_of_a_document_after_any_verb() -> None:
    got = classify("Pull out the highlights of the document for me.", 1)
    assert got is not None and (got.kind, got.length) == ("summary", "points")
    assert classify("Who was given the highlights of most of the matches?") is None


def test_summaries_of_what_the_documents_say_and_their_essentials() -> None:
    got = classify("Lay out, point by point, what the two reports say.")
    assert got is not None and (got.kind, got.length) == ("summary", "points")
    for question in ("Sum up what these articles report.", "Give me the essentials of the documents.",
                     "What areas do the documents cover?"):
        got = classify(question)
        assert got is not None and got.kind == "summary", question
    got = classify("Briefly, what's the document's take on the strike?", 1)  # a named document's account of X
    assert got is not None and (got.kind, got.length) == ("summary", "gist")
    assert classify("What are the essentials of a balanced diet?") is None  # no document: a factoid


def test_sources_that_name_the_same_things_are_compared() -> None:
    got = classify("Do the Courier and the Gazette name the same suspects after the raid?")
    assert got is not None and (got.kind, got.topic) == ("compare", "suspects after the raid")
    assert got.sides == ("the courier", "the gazette")


def test_an_event_asked_by_the_clause_that_started_it_may_be_longer() -> None:
    got = classify("What happened once Arlen learned of the mayor's visit to the port?")
    assert got is not None and (got.kind, got.topic) == ("event", "arlen learned of the mayor's visit to the port")
    assert classify("What happened to the old harbour walls that the council wanted to pull down?") is None


def test_a_summary_of_what_the_documents_say_about_something_keeps_its_topic() -> None:
    got = classify("Summarize what this collection says about the crypto exchanges.")
    assert got is not None and (got.kind, got.topic) == ("summary", "the crypto exchanges")
    got = classify("Summarize what these articles say about them.")  # the documents themselves: no topic
    assert got is not None and (got.kind, got.topic) == ("summary", "")
    got = classify("Summarize the article about the bridge.", 1)  # a document named by what it is about
    assert got is not None and (got.kind, got.topic) == ("summary", "")


@pytest.mark.parametrize(("question", "topic", "length"), [
    ("What are the key points about the Black Death?", "the black death", "points"),
    ("Give me the main takeaways on the bridge collapse.", "the bridge collapse", "points"),
    ("Summarize the Black Death.", "the black death", "summary"),
    ("Can you give me a quick overview of the merger talks?", "the merger talks", "gist"),
    ("Harbour fire: key points", "harbour fire", "points"),
    ("Summarize the documents.", "", "summary"),
    ("Key points of the article?", "", "points"),
    ("What are the highlights from these reports?", "", "points"),
])
def test_a_summary_of_a_topic_keeps_the_topic(question: str, topic: str, length: str) -> None:
    got = classify(question)
    assert got is not None and (got.kind, got.topic, got.length) == ("summary", topic, length)


@pytest.mark.parametrize(("question", "scope"), [
    ("Who are the remaining board members of OpenAI?", "openai's board"),
    ("Who are the members of the board of OpenAI after the firing?", "openai's board"),
    ("Name the members of the jury.", "the jury"),
    ("List the committee members.", "committee"),
])
def test_the_members_of_a_group_are_a_list_of_people(question: str, scope: str) -> None:
    got = classify(question)
    assert got is not None and (got.kind, got.item, got.scope) == ("list", "person", scope)


def test_members_of_what_is_not_a_group_stay_a_factoid() -> None:
    assert classify("Who are the members of the Beatles?") is None  # a name, not a word for a group
    assert classify("How many members of the board voted against it?") is None


@pytest.mark.parametrize(("question", "topic"), [
    ("I'd like to know more about the harbour master: his background and his role.", "the harbour master"),
    ("I want to learn about the Kelmar bridge", "the kelmar bridge"),
    ("I'm curious about the council's vote", "the council's vote"),
])
def test_wanting_to_know_about_something_asks_for_its_description(question: str, topic: str) -> None:
    got = classify(question)
    assert got is not None and (got.kind, got.topic) == ("entity", topic)


def test_an_event_requested_with_when_it_happened_is_still_the_event() -> None:
    got = classify("Walk me through how the vote played out on Monday")
    assert got is not None and (got.kind, got.topic) == ("event", "the vote")
    got = classify("walk me through how the mayor's resignation went down that Friday")
    assert got is not None and (got.kind, got.topic) == ("event", "the mayor's resignation")


@pytest.mark.parametrize(("question", "kind", "topic"), [
    ("so what's the deal with the harbour master?", "entity", "the harbour master"),
    ("What is up with the port?", "entity", "the port"),
    ("Reel off the names of the judges.", "list", ""),
])
def test_casual_requests(question: str, kind: str, topic: str) -> None:
    got = classify(question)
    assert got is not None and (got.kind, got.topic) == (kind, topic)


def test_a_comparison_of_what_two_things_have_names_both_and_what() -> None:
    got = classify("Contrast the climates of the Varn Hills and the Kelmar coast.")
    assert got is not None and got.kind == "compare"
    assert (got.topic, got.sides) == ("climates", ("the varn hills", "the kelmar coast"))
    got = classify("Compare how things turned out for Arlen and for Kelmar.")  # a clause is no noun compared
    assert got is not None and got.kind == "compare" and got.topic != "how things turned out"


@pytest.mark.parametrize(("question", "kind", "topic"), [
    ("Fill us in on Valery Gerasimov.", "entity", "valery gerasimov"),
    ("Say something about the Izium ambush.", "entity", "the izium ambush"),
    ("Unpack the Preparedness Framework.", "entity", "the preparedness framework"),
    ("Profile Sam Altman.", "entity", "sam altman"),
    ("Catch me up on the documents.", "summary", ""),
    ("Bring me up to speed on these articles.", "summary", ""),
    ("Lay out the document and tell me what stands out.", "summary", ""),
    ("Walk me through how the strike played out.", "event", "the strike"),
    ("Run me through what happened at the summit.", "event", "the summit"),
    ("Tell me what went wrong at the launch.", "event", "the launch"),
    ("Pit the Andes against the Alps when it comes to rainfall.", "compare", "rainfall"),
    ("Collect the dates the document gives.", "list", ""),
])
def test_requests_in_the_imperative(question: str, kind: str, topic: str) -> None:
    """A request opens with its verb ("fill us in on", "walk me through", "pit X against Y"); what it asks for
    is read from its object."""
    got = classify(question)
    assert got is not None and (got.kind, got.topic) == (kind, topic), (question, got)


@pytest.mark.parametrize("question", [
    "Tell me when the treaty was signed.", "Give me the population of Warsaw.", "Name the CEO of the company.",
    "Tell me who killed the general.", "Show me where the ambush happened.", "Get me the date of the trial.",
    "Tell me how many soldiers died.", "Skim the document and tell me who wrote it.",
    "Say a bit about the population of Warsaw.",
])
def test_a_request_for_one_fact_stays_a_factoid(question: str) -> None:
    assert classify(question) is None, question


def test_a_requested_comparison_has_two_sides() -> None:
    got = classify("Weigh the Andes against the Sierra Nevada when it comes to height.")
    assert got is not None and got.sides == ("the andes", "the sierra nevada") and got.topic == "height"
    got = classify("Lay out the document and tell me what stands out.")
    assert got is not None and got.kind == "summary"  # "and" joins two requests, not two sides


@pytest.mark.parametrize(("question", "length"), [
    ("What's the upshot of the document?", "gist"),
    ("So what is the bottom line?", "gist"),
    ("What is the crux of these articles?", "gist"),
])
def test_the_upshot_or_bottom_line_asks_for_a_gist(question: str, length: str) -> None:
    got = classify(question)
    assert got is not None and (got.kind, got.length) == ("summary", length), (question, got)
    assert classify("What is the bottom line of the company's income statement?") is None  # of a thing, not the documents


def test_an_event_at_a_place_during_an_occasion_is_about_the_place() -> None:
    got = classify("What took place at Kelmar Arena during the harvest festival?")
    assert got is not None and (got.kind, got.topic) == ("event", "kelmar arena")
    got = classify("What's been going on along the northern coast of the Gulf of Varn?")  # articles and "of" not counted
    assert got is not None and (got.kind, got.topic) == ("event", "the northern coast of the gulf of varn")


def test_which_of_two_named_things_has_more_is_a_comparison_of_them() -> None:
    got = classify("Which gets more rainfall, the Varn Hills or the Kelmar coast?")
    assert got is not None and got.kind == "compare"
    assert (got.topic, got.sides) == ("rainfall", ("varn hills", "kelmar coast"))
    got = classify("Which of the two is older, Arlen or Kelmar?")
    assert got is not None and (got.topic, got.sides) == ("older", ("arlen", "kelmar"))
    assert classify("Which team has more wins?") is None  # no two sides named


def test_two_sources_that_part_ways_or_leave_daylight_are_compared() -> None:
    got = classify("Where do the Herald and the Courier part ways on why the mayor resigned?")
    assert got is not None and got.kind == "compare" and got.sides == ("the herald", "the courier")
    assert got.topic == "why the mayor resigned"
    got = classify("Is there any daylight between the two reports on whether the mayor was warned?")
    assert got is not None and (got.kind, got.topic) == ("compare", "whether the mayor was warned")


def test_going_by_a_document_reads_like_according_to_it() -> None:
    got = classify("What happened to the harbour, going by the document maintenance report?")
    assert got is not None and (got.kind, got.topic) == ("event", "the harbour")


@pytest.mark.parametrize(("question", "kind", "topic"), [
    ("so who's this Marta Lind woman running the port authority", "entity", "marta lind"),
    ("Who is this Act named after?", None, ""),  # a factoid about the Act, no person called "act named after"
    ("What happened the night the mayor resigned?", "event", "the mayor resigned"),
    ("what went on the weekend the storm hit the coast", "event", "the storm hit the coast"),
    ("What happened the day before?", None, ""),
    ("How were the Alps built up over time, geologically speaking?", "event", "the alps"),
    ("How was the lake formed?", "event", "the lake"),
    ("How were some modern inequalities created?", None, ""),  # a factoid (SQuAD asks it so)
    ("I'd like to know what happened in the harbour.", "event", "the harbour"),
    ("I wonder who Marta Lind is.", "entity", "marta lind"),
])
def test_everyday_wordings_of_descriptions_and_events(question: str, kind: str | None, topic: str) -> None:
    got = classify(question)
    assert (got.kind, got.topic) == (kind, topic) if kind else got is None


@pytest.mark.parametrize(("question", "item", "topic", "scope"), [
    ("names of everyone left on the council after the mayor resigned", "person", "", "the council"),
    ("rattle off the alpine lakes that get named, with their depths", "other", "alpine lakes", ""),
    ("What are all the cities the plague reached?", "place", "", "the plague reached"),
])
def test_lists_asked_in_everyday_wordings(question: str, item: str, topic: str, scope: str) -> None:
    got = classify(question)
    assert got is not None and (got.kind, got.item, got.topic, got.scope) == ("list", item, topic, scope)
