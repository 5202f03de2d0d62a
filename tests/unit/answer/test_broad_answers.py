"""Broad answers on the hashing embedder: every point a verbatim, cited quote; summaries per document in
Documents-list order and of the asked length; descriptions from every document that has them; lists with the
quote where each item appears; comparisons side by side; honest not-found; factoids left to the usual path."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import qa
from qa.answer import stream_answer
from qa.answer.broad import broad_answer
from qa.answer.config import DEFAULT_CONFIG, AnswerConfig
from tests.conftest import CountingEmbedder, QueryCountingEmbedder
from tests.unit.answer.grounding import assert_grounded, index_of

NEWS = {
    "harbour-fire.txt": "Fire at the Kelmar harbour warehouse\n\nA large fire broke out at the Kelmar harbour warehouse "
    "on Monday night. Fire chief Anna Lind said that nobody was hurt in the blaze. About 40 firefighters fought the "
    "flames for six hours. The warehouse stored timber and paper for the port of Kelmar. Police in Kelmar are "
    "investigating the cause of the fire.\n\nRead also: Weather warning for the coast\n\nLeave a Reply",
    "harbour-fire-2.txt": "Kelmar blaze injures two workers\n\nA fire at the harbour warehouse in Kelmar injured two "
    "workers on Monday night, the Kelmar Gazette reported. About 60 firefighters fought the flames for six hours. "
    "Mayor Tom Berg visited the site in Kelmar on Tuesday. The warehouse belongs to the Northern Timber Company.",
    "bridge.txt": "Council votes for the new bridge\n\nThe city council of Arlen voted 7 to 2 for the new river bridge. "
    "Mayor Tom Berg called the vote historic for Arlen. The bridge will cost 40 million euros and open in 2027. "
    "Engineers from Delta Works in Rotterdam designed the bridge. Critics say the old ferry service is cheaper.",
}


@pytest.fixture
def news_index(tmp_path: Path) -> qa.Index:
    return index_of(tmp_path, NEWS, "news")


def ask(idx: qa.Index, question: str, **kw: object) -> qa.Answer:
    ans = idx.ask(question, **kw)  # type: ignore[arg-type]
    assert_grounded(idx, ans)
    return ans


def test_summary_of_everything(news_index: qa.Index) -> None:
    ans = ask(news_index, "What are these documents about?")
    assert ans.found and ans.citations
    order = ["news/bridge.txt", "news/harbour-fire.txt", "news/harbour-fire-2.txt"]  # the Documents list: by title
    cited = list(dict.fromkeys(c.doc_id for c in ans.citations))
    assert cited == order  # every document, in Documents-list order
    assert "Read also" not in ans.text and "Leave a Reply" not in ans.text
    longer = ask(news_index, "What are the key points of the documents?")
    assert len(longer.citations) > len(ans.citations)


def test_summary_of_one_named_document(news_index: qa.Index) -> None:
    ans = ask(news_index, "Summarize the third article.")
    assert ans.found and {c.doc_id for c in ans.citations} == {"news/harbour-fire-2.txt"}
    by_name = ask(news_index, "What are the key points of bridge.txt?")
    assert {c.doc_id for c in by_name.citations} == {"news/bridge.txt"}
    quotes = [c.start for c in by_name.citations]
    assert quotes == sorted(quotes)  # reading order


def test_entity_from_every_document(news_index: qa.Index) -> None:
    ans = ask(news_index, "Who is Tom Berg?")
    assert ans.found and {c.doc_id for c in ans.citations} == {"news/harbour-fire-2.txt", "news/bridge.txt"}
    assert all("Berg" in c.quote for c in ans.citations)


def test_named_document_without_the_topic_says_so(news_index: qa.Index) -> None:
    ans = ask(news_index, "What does the second article say about Rotterdam?")
    assert "Fire at the Kelmar harbour warehouse* does not mention" in ans.text
    assert ans.found and all("Rotterdam" in c.quote for c in ans.citations)


def test_event(news_index: qa.Index) -> None:
    ans = ask(news_index, "What happened at the Kelmar harbour?")
    assert ans.found and {c.doc_id for c in ans.citations} >= {"news/harbour-fire.txt", "news/harbour-fire-2.txt"}


def test_list_each_item_with_its_quote(news_index: qa.Index) -> None:
    ans = ask(news_index, "List the places mentioned.")
    items = re.findall(r"^- \*\*(.+?)\*\*", ans.text, re.M)
    assert {"Kelmar", "Arlen", "Rotterdam"} <= set(items)
    people = ask(news_index, "Which people are mentioned?")
    names = re.findall(r"^- \*\*(.+?)\*\*", people.text, re.M)
    assert "Anna Lind" in names and "Tom Berg" in names
    for line in people.text.splitlines()[1:]:
        assert re.search(r"\[\d+\]", line)


def test_comparison_finds_the_differing_figures(news_index: qa.Index) -> None:
    ans = ask(news_index, "How do the second and third articles differ on the fire?", config=DEFAULT_CONFIG)
    assert ans.found and {c.doc_id for c in ans.citations} == {"news/harbour-fire.txt", "news/harbour-fire-2.txt"}
    assert "Where they differ" in ans.text and ans.conflict


def test_honest_not_found(news_index: qa.Index) -> None:
    ans = ask(news_index, "Tell me about volcanoes in Iceland.", threshold=0.0)
    assert not ans.found


def test_factoids_take_the_usual_path(news_index: qa.Index) -> None:
    q = "How many firefighters fought the flames?"
    assert broad_answer(news_index, q, q) is None
    events = list(stream_answer(news_index, "Give me an overview of the documents."))
    assert isinstance(events[-1], qa.Answer) and events[-2].text == events[-1].text


def test_unknown_document_filter_is_refused(news_index: qa.Index) -> None:
    with pytest.raises(KeyError):
        news_index.ask("Summarize the documents.", doc_ids=["nope"])


def test_a_list_reads_the_sentences_on_its_qualifier(news_index: qa.Index) -> None:
    everywhere = ask(news_index, "List the places mentioned.")
    assert "Kelmar" in everywhere.text and "Arlen" in everywhere.text
    ans = ask(news_index, "Which places are mentioned in connection with the bridge?")
    assert ans.found and {c.doc_id for c in ans.citations} == {"news/bridge.txt"}
    assert "Arlen" in ans.text and "Kelmar" not in ans.text


def test_a_comparison_compares_the_documents_on_its_topic(tmp_path: Path) -> None:
    # more documents than a comparison shows, the first ones in the Documents list not on the fire: the two
    # fire reports are compared, with their differing figures
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in NEWS.items():
        (folder / name).write_text(text, encoding="utf-8")
    for i in range(4):
        (folder / f"a{i}.txt").write_text(f"A report number {i}\n\nThe city council of Arlen met {i + 2} times this "
                                          "year to discuss the budget. The mayor spoke about new parks.",
                                          encoding="utf-8")
    idx = qa.build_index(folder, tmp_path / "index", embedder=CountingEmbedder())
    ans = ask(idx, "Do the sources agree about the harbour fire?")
    assert ans.found and {c.doc_id for c in ans.citations} == {"news/harbour-fire.txt", "news/harbour-fire-2.txt"}
    assert "40" in ans.text and "60" in ans.text and ans.conflict


REVIEW = ("Review of the Arlen ferry\n\nThe council asked for a review of the ferry service after a year of delays. "
          "The review makes five recommendations.\n\n1. Replace the two oldest boats by 2026.\n\nBoth boats are over "
          "forty years old.\n\n2. Publish the timetable a month ahead.\n\nPassengers complained about late changes.\n\n"
          "3) Add an evening crossing on Fridays.\n\n4. Train more crew for winter.\n\n5. Review the fares each "
          "spring.\n\nThe council will vote on the recommendations in March.")


def test_a_list_of_what_a_document_numbers_gives_its_items(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "review.txt").write_text(REVIEW, encoding="utf-8")
    for name, text in NEWS.items():
        (folder / name).write_text(text, encoding="utf-8")
    idx = qa.build_index(folder, tmp_path / "index", embedder=CountingEmbedder())
    ans = ask(idx, "Which recommendations does the ferry review make?")
    items = ["Replace the two oldest boats by 2026.", "Publish the timetable a month ahead.",
             "3) Add an evening crossing on Fridays.", "Train more crew for winter.", "Review the fares each spring."]
    assert [c.quote for c in ans.citations] == items  # in the document's order, verbatim (as the quotes split them)
    assert {c.doc_id for c in ans.citations} == {"docs/review.txt"}
    # a summary of it gives some of its own points a place
    summary = ask(idx, "Summarize the Review of the Arlen ferry.")
    assert {c.doc_id for c in summary.citations} == {"docs/review.txt"}
    assert any(c.quote in items for c in summary.citations)


def test_enumerations_need_three_items_counting_up() -> None:
    from qa.answer.broad.enumerations import _counting

    assert _counting([(1, 10), (2, 11), (3, 12)]) == [10, 11, 12]
    assert _counting([(1, 10), (3, 11), (4, 12)]) == [10]  # a gap ends a run
    assert _counting([(7, 10), (8, 11), (9, 12)]) == []  # a list starts at 1 or 2


def test_bulleted_items_count_too(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"guide.txt": (
        "Winter guide for the Arlen ferry\n\nBefore you travel in winter, check these points.\n\n"
        "• Book the crossing a day ahead.\n• Arrive at the quay thirty minutes early.\n• Keep your ticket on your phone.\n\n"
        "The ferry does not sail in storms above force eight."), "bridge.txt": NEWS["bridge.txt"]})
    ans = ask(idx, "Which tips does the winter guide give?")
    assert [c.quote for c in ans.citations] == ["Book the crossing a day ahead.", "Arrive at the quay thirty minutes early.",
                                               "Keep your ticket on your phone."]  # each item's words, its bullet left out


def test_short_list_items_are_the_documents_points(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"plan.txt": (
        "Harbour plan for 2026\n\nThe harbour authority set out its plans for next year at its meeting on Friday.\n\n"
        "Priorities for 2026:\n- Rebuild the grain warehouse by September.\n- Electrify two tug boats.\n"
        "- Open a second rail siding to the container yard.\n\nThe plan costs 14 million euros."),
        "bridge.txt": NEWS["bridge.txt"]})
    ans = ask(idx, "List the priorities in the harbour plan.")
    assert [c.quote for c in ans.citations] == ["Rebuild the grain warehouse by September.", "Electrify two tug boats.",
                                               "Open a second rail siding to the container yard."]  # four words too


def test_a_short_labelled_line_is_the_documents_fact(tmp_path: Path) -> None:
    # "Absent: Elena Voss." fell under the pool's five-word floor for furniture: no one listed or described her
    idx = index_of(tmp_path, {"notes.txt": (
        "Product team meeting, 12 November\n\nAttendees: Priya Raman (product lead), Tom Becker (backend). Absent: "
        "Elena Voss.\n\nThe release planned for 20 November is moved to 4 December.\n\nSource: team wiki"),
        "bridge.txt": NEWS["bridge.txt"]})
    ans = ask(idx, "Who is Elena Voss?")
    assert ans.found and [c.quote for c in ans.citations] == ["Absent: Elena Voss."]
    listed = ask(idx, "List the people mentioned in the notes.")
    assert "Elena Voss" in listed.text
    summary = ask(idx, "Summarize the notes.")
    assert all("team wiki" not in c.quote for c in summary.citations)  # a furniture label stays furniture


def test_sources_a_comparison_names_are_shown_even_when_they_say_little_of_its_topic(tmp_path: Path) -> None:
    # "How do the Courier and the Gazette report ...": the Gazette's story never says "verdict" or "trial" (too
    # little of the topic to be on it), yet it is the source asked about; the Herald, on topic, is not asked
    docs = [
        qa.Document("courier.txt", "Hale convicted", "Hale convicted\n\nThe jury in Jon Hale's arson trial reached its "
                    "verdict on Friday after two days. The arson trial had lasted a month.", "https://courier.example/a",
                    {"outlet": "Daily Courier"}),
        qa.Document("gazette.txt", "Warehouse owner guilty", "Warehouse owner guilty\n\nJon Hale was found guilty on "
                    "Friday. He will be sentenced in May. The warehouse burned down last year.",
                    "https://gazette.example/b", {"outlet": "Kelmar Gazette"}),
        qa.Document("herald.txt", "Arson case", "Arson case\n\nJon Hale's arson trial began in March. A verdict in the "
                    "arson trial was expected within weeks.", "https://herald.example/c", {"outlet": "Herald"}),
    ]
    idx = qa.build_index(docs, tmp_path / "index", embedder=CountingEmbedder())
    ans = ask(idx, "How do the Courier and the Gazette report the verdict in Hale's arson trial?")
    assert ans.found and {c.doc_id for c in ans.citations} == {"courier.txt", "gazette.txt"}
    assert any("found guilty" in c.quote for c in ans.citations)


def test_people_of_a_kind_are_those_a_series_names_and_those_given_the_title(tmp_path: Path) -> None:
    # "which generals": the two a series of generals names, and the one given the title elsewhere, cut short
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "parade.txt").write_text(
        "Parade in Arlen\n\nTwo generals, Tom Berg and Ivo Hart, led the parade in Arlen on Sunday. Later that day "
        "Gen. Ana Lind inspected the troops near the river. Mayor Eva Holm watched the parade from the town hall.",
        encoding="utf-8")
    idx = qa.build_index(folder, tmp_path / "index", embedder=CountingEmbedder())
    ans = ask(idx, "Which generals are mentioned?")
    listed = set(re.findall(r"\*\*([^*]+)\*\* —", ans.text))
    assert listed == {"Tom Berg", "Ivo Hart", "Ana Lind"}, ans.text


def test_a_summary_of_what_the_documents_say_about_something_reads_the_documents_on_it(news_index: qa.Index) -> None:
    ans = ask(news_index, "Summarize what these documents say about the new river bridge.")
    assert ans.found and {c.doc_id.rsplit("/", 1)[-1] for c in ans.citations} == {"bridge.txt"}, ans.text
    everything = ask(news_index, "Summarize these documents.")
    assert {c.doc_id.rsplit("/", 1)[-1] for c in everything.citations} == set(NEWS)



def test_key_points_about_a_topic_the_documents_only_touch_on_quote_what_they_say_of_it(news_index: qa.Index) -> None:
    ans = ask(news_index, "What are the key points about Mayor Tom Berg?")  # one sentence in each of two documents
    assert ans.found and ans.citations and all("Tom Berg" in c.quote for c in ans.citations), ans.text
    assert {c.doc_id.rsplit("/", 1)[-1] for c in ans.citations} == {"bridge.txt", "harbour-fire-2.txt"}
    subject = ask(news_index, "Give me the key points about the new bridge.")  # what bridge.txt is about: its summary
    assert {c.doc_id.rsplit("/", 1)[-1] for c in subject.citations} == {"bridge.txt"}
    assert len(subject.citations) >= 3 and not all("bridge" in c.quote for c in subject.citations), subject.text

TRIAL = {
    "trial.txt": "Jury hears opening statements in the Vance fraud trial\n\nThe trial of banker Leo Vance began on "
    "Tuesday in Dorel. The prosecution told the jury that Vance stole money from his clients for years. The defence "
    "said Vance acted in good faith and lost the money in a market crash. Ann Moss, a prosecutor for the state, spoke "
    "first. “He lied to every client he had,” Moss told the jury. The judge said the trial may last six weeks.",
    "harbour.txt": "Fire at the Kelmar harbour warehouse\n\nA large fire broke out at the Kelmar harbour warehouse on "
    "Monday night. About 40 firefighters fought the flames for six hours. Police are investigating the cause.",
    "bridge.txt": "Council votes for the new bridge\n\nThe city council of Arlen voted 7 to 2 for the new river bridge. "
    "The bridge will cost 40 million euros and open in 2027. Critics say the old ferry service is cheaper.",
}


@pytest.mark.parametrize("question", ["How do the prosecution and the defence differ in the trial article?",
                                      "Set the prosecution's story beside the defence's in the trial article."])
def test_two_sides_within_the_document_named(tmp_path: Path, question: str) -> None:
    idx = index_of(tmp_path, TRIAL, "court")
    ans = ask(idx, question)
    assert ans.found and {c.doc_id for c in ans.citations} == {"court/trial.txt"}  # that document, no other
    quoted = " ".join(c.quote for c in ans.citations)
    assert "The prosecution told the jury" in quoted and "The defence said" in quoted
    assert "Moss told the jury" in quoted  # a prosecutor's words are the prosecution's side
    assert "*the prosecution" in ans.text and "*the defence" in ans.text and " on the prosecution" not in ans.text


def test_a_list_reads_the_names_of_a_caption_without_its_credits(tmp_path: Path) -> None:
    text = ("The talks ended late on Friday in the capital after a long day of meetings.\n\n"
            "Defense Minister Marek Halvorsen and General Ilse BrandtPAP / EPA / POOL\n\n"
            "Negotiators said the next round of talks would begin in the spring.")
    idx = index_of(tmp_path, {"talks.txt": text})
    people = idx.ask("Which people are mentioned in the article?")
    assert "Marek Halvorsen" in people.text and "PAP" not in "".join(c.quote for c in people.citations)
    assert_grounded(idx, people)
    summary = idx.ask("Summarize the article.")  # a caption is no point of a summary
    assert "Halvorsen" not in summary.text


def test_an_item_named_in_several_documents_is_listed_once_with_where_else(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {
        "a.txt": "Parade report\n\nGeneral Valeriy Horak led the parade in Arlen on Sunday morning. Crowds cheered "
                 "as the soldiers marched past the town hall.",
        "b.txt": "Parade notes\n\nThe parade was led by General Valery Horak, as the mayor had announced. Mayor Eva "
                 "Holm spoke after the parade ended.",
    })
    ans = ask(idx, "Which people are mentioned in the two reports?")
    lines = [ln for ln in ans.text.splitlines() if "Horak" in ln]
    assert len(lines) == 1 and "; also [" in lines[0], ans.text  # two spellings of one man, the second document's too
    assert {c.doc_id.rsplit("/", 1)[-1] for c in ans.citations} == {"a.txt", "b.txt"}
    assert_grounded(idx, ans)


def test_a_description_adds_at_most_the_factoid_paths_best_sentences(news_index: qa.Index) -> None:
    """``broad_evidence``: the topic's sentences, plus up to that many the factoid path finds (never a repeat)."""
    question = "What happened at the Kelmar harbour warehouse?"
    alone = ask(news_index, question, config=AnswerConfig(broad_evidence=0))
    more = ask(news_index, question)
    assert alone.found and more.found
    before = [(c.doc_id, c.start) for c in alone.citations]
    after = [(c.doc_id, c.start) for c in more.citations]
    assert set(before) <= set(after) and 0 < len(after) - len(before) <= DEFAULT_CONFIG.broad_evidence
    assert len(set(after)) == len(after)


def test_a_description_embeds_the_question_once(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in NEWS.items():
        (folder / name).write_text(text, encoding="utf-8")
    embedder = QueryCountingEmbedder()
    idx = qa.build_index(folder, tmp_path / "index", embedder=embedder)
    embedder.queries.clear()
    idx.ask("Who is Tom Berg?")  # the passages' relevance and the factoid path's evidence share one vector
    assert embedder.queries == ["Who is Tom Berg?"]
