"""The general rules of the broad path, one by one, on small fixtures (no model): hyphenated names, which
sentence a pronoun goes on about, names a comparison is about and which documents it compares, figures that
differ only when they are about the same thing, storyline and possessive references that name no document,
a list's qualifier, one list item per person, the headline of a news document, by-lines as page furniture."""
from __future__ import annotations

from collections import Counter

import numpy as np

from qa.answer.broad import classify
from qa.answer.broad.comparison import compared, question_names
from qa.answer.broad.compare import _numbers_differ
from qa.answer.broad.describe import Term, _other_name, _subject, has_term, hyphenated, topic_terms
from qa.answer.broad.lists import close_spelling, find_items
from qa.answer.broad.pool import Pool, lexical_vectors
from qa.answer.broad.summary import figures_in, title_similarity
from qa.answer.broad.targets import resolve
from qa.answer.candidates import Sentence
from qa.text.tokens import tokenize
from qa.types import Document


def test_a_hyphenated_name_is_matched_whole() -> None:
    assert topic_terms("sam bankman-fried") == ["sam", "bankman-fried"]
    term = Term(frozenset(), hyphenated(["bankman", "fried"]), 1.0, True)
    for text in ("Sam Bankman-Fried spoke.", "Bankman Fried spoke.", "BANKMAN–FRIED"):
        assert has_term(term, set(tokenize(text)), text)
    # its parts alone are not it ("fried" stems like "Friday")
    assert not has_term(term, set(tokenize("On Friday he fried eggs.")), "On Friday he fried eggs.")


def test_a_pronoun_goes_on_about_the_subject_only() -> None:
    words = ["brady"]
    assert not _subject("The former CEO hobnobbed with celebrities like Tom Brady and Larry David.", words)
    assert _subject("Tom Brady said he would retire after the season ended.", words)
    # the subject of a later clause counts ("it was reported that General Gerasimov had suffered ...")
    assert _subject("Following the attack, it was reported by a former minister that General Gerasimov had "
                    "suffered a minor shrapnel wound.", ["gerasimov"])
    # a next sentence whose clause has another subject before its pronoun is about that one
    assert _other_name("While not trained as an engineer, Altman, now 38, has been seen as a wunderkind since ",
                       "microsoft")
    assert not _other_name("But later on X, formerly Twitter, Brockman posted a message ", "greg brockman")
    assert not _other_name("The 33-year-old singer spoke about the romance after ", "taylor swift")


def test_what_a_comparison_compares() -> None:
    assert question_names("Compare how things turned out for Binance and for FTX.") == ["Binance", "FTX"]
    assert question_names("How do The Guardian and the BBC differ?") == ["Guardian", "BBC"]
    assert question_names("how do the articles differ?") == []
    used = ["a", "b", "c", "d", "e", "f"]  # Documents-list order
    # the named documents first, then those on the topic (best first), at most four, shown in list order
    assert compared(used, ["f"], ["c", "a", "e", "b"]) == ["a", "c", "e", "f"]
    assert compared(used, [], ["e", "b"]) == ["b", "e"]


def test_figures_differ_only_on_the_same_thing() -> None:
    assert _numbers_differ("About 40 firefighters fought the flames.", "About 60 firefighters fought the flames.")
    # a calendar year is not a duration
    assert not _numbers_differ("Musk left the board in 2018 and founded a firm.",
                               "The firm aims to add 10 years to the human lifespan.")
    # the same unit, but nothing else in common
    assert not _numbers_differ("Graham's 2014 announcement named Altman president.",
                               "Microsoft made over 100 announcements across its stack.")
    # the topic's own words do not tie two figures together
    assert not _numbers_differ("Swift and Kelce: the 2022 album, Midnights, was a hit.",
                               "Swift and Kelce: her 2014 album is due again.", "swift and kelce")


DOCS = [
    Document(f"d{i}.txt", title, text) for i, (title, text) in enumerate([
        ("OpenAI board ousts Altman", "OpenAI fired Altman. Microsoft invested billions."),
        ("OpenAI names an interim CEO", "OpenAI named Murati interim CEO."),
        ("OpenAI staff threaten to quit", "OpenAI staff wrote a letter."),
        ("Fortune: the board went rogue", "Brockman quit."),
    ])
]


def test_a_storyline_names_no_document() -> None:
    t = resolve("What is Microsoft's role in the OpenAI story?", DOCS)
    assert t.doc_ids is None and t.question == "What is Microsoft's role in the OpenAI story?"
    # a possessive before a preposition does not name the owner's document; an outlet's report does
    assert resolve("What is Brockman's part in the OpenAI story?", DOCS).doc_ids is None
    assert resolve("Sum up Fortune's report.", DOCS).doc_ids == ("d3.txt",)


def test_a_list_keeps_its_qualifier() -> None:
    kind = classify("List the AI companies named as OpenAI's rivals or alternatives.")
    assert kind is not None and kind.item == "org" and kind.scope == "openai's rivals or alternatives"
    assert classify("Which places are mentioned in connection with the ambush?").scope == "the ambush"  # type: ignore[union-attr]
    for q in ("List the places mentioned.", "Which people are mentioned in the articles?"):
        kind = classify(q)
        assert kind is not None and kind.kind == "list" and kind.scope == ""


def _pool(title: str, texts: list[str]) -> Pool:
    sentences = [Sentence(doc_id="d", title=title, source="d", page=None, start=i, end=i + 1, text=t, rank=0,
                          index=i) for i, t in enumerate(texts)]
    tokens = [Counter(tokenize(t)) for t in texts]
    idf = {t: 1.0 for tk in tokens for t in tk}
    n = len(texts)
    return Pool(sentences=sentences, dense=np.zeros((n, 4), np.float32), lexical=lexical_vectors(tokens, idf), idf=idf,
                passage_centrality=np.zeros(n, np.float32), doc_order=["d"])


def test_the_headline_steers_a_summary() -> None:
    assert figures_in("Binance to pay $4.3B in fines") == figures_in("it agreed to pay about $4.3 billion") == {4.3e9}
    texts = ["The chief said he would step down.", "Regulators met on Tuesday.", "Binance agreed to pay $4.3 billion."]
    sims = title_similarity(_pool("Binance to pay $4.3B in fines and its chief to step down", texts), [0, 1, 2])
    assert sims[2] > sims[0] > sims[1] == 0.0
    # a title that only names the subject steers nothing
    assert not title_similarity(_pool("Genghis Khan", texts), [0, 1, 2]).any()


def test_who_is_on_a_group_lists_its_people() -> None:
    kind = classify("Who is on OpenAI's board after Altman was removed?")
    assert kind is not None and (kind.kind, kind.item, kind.scope) == ("list", "person", "openai's board")
    assert classify("Who sits on the Supreme Court?").scope == "the supreme court"  # type: ignore[union-attr]
    # not a group: a factoid
    for q in ("Who was in the car?", "Who is on the phone?", "Who was in charge of the army?"):
        assert classify(q) is None, q


def test_an_event_sentence_in_which_the_topic_acts_or_undergoes() -> None:
    from qa.answer.broad.describe import _cue, _participant

    assert _participant("FTX and Alameda filed for Chapter 11 bankruptcy in the U.S.", ["ftx"])
    assert _participant("This essentially triggered a bank run on FTX.", ["ftx"])
    assert not _participant("He hobnobbed with celebrities like Tom Brady and Larry David.", ["ftx"])
    assert _cue("event", "FTX filed for bankruptcy.", ["ftx"]) > _cue("event", "Regulators fined FTX's rival.", ["ftx"])
    assert _cue("event", "FTX is an exchange.", ["ftx"]) == 0.0


def test_a_description_names_the_whole_name_and_is_not_a_question() -> None:
    from qa.answer.broad.describe import matches

    texts = ["Ada Byron-King, the founder of the analytics firm Engine, was found guilty on Friday.",
             "Ada Smith said the firm would appeal.",  # another Ada
             "Is Byron-King a liar or a visionary?",  # a question the text asks
             "Byron-King handed the company to her deputy."]
    pool = _pool("Verdict", texts)
    rows = [m.row for m in matches(pool, "ada byron-king", "entity", np.zeros(4, np.float32),
                                   question="Who is Ada Byron-King?")]
    assert 0 in rows and 3 in rows and 1 not in rows and 2 not in rows


def test_a_names_close_spellings_are_names_not_lowercase_words() -> None:
    """"Aristovich" stands for Arestovych; "yell" does not stand for Yellen."""
    from qa.answer.broad.describe import terms_of

    pool = _pool("Fines", ["Janet Yellen said the rules apply.", "Fans yell at the game.", "Aristovich spoke."])
    yellen = [t for t in terms_of(pool, "janet yellen", "Who is Janet Yellen?") if t.name][-1]
    assert "yell" not in yellen.stems
    named = terms_of(pool, "arestovych", "Who is Arestovych?")[0]
    assert "aristovich" in named.stems


def test_one_person_is_one_list_item_whatever_the_spelling() -> None:
    texts = ["Oleksiy Aretovych, adviser to the government, admitted to carrying out the attack on Valeriy Gerasimov.",
             "The statement of Oleksiy Aretovich, advisor to Ukrainian President Volodymyr Zelensky, was reported.",
             "He managed to leave, said Aretović.", "Valery Gerasimov was not among them, Aristovich said.",
             "Andrew Johnson met Boris Johnston on Monday."]
    people = [it.text for it in find_items(_pool("t", texts), range(len(texts)), "person")]
    assert people == ["Oleksiy Aretovych", "Valeriy Gerasimov", "Volodymyr Zelensky", "Andrew Johnson", "Boris Johnston"]


def test_close_spellings_of_a_name() -> None:
    assert close_spelling("Aretović", "aretovic") and close_spelling("Aretovych", "Aretovich")
    assert close_spelling("Valeriy", "Valery") and not close_spelling("Kelce", "Kelly")
    assert not close_spelling("Ann", "Anne") and not close_spelling("Simonov", "Gimonov")


def test_one_place_is_one_list_item_and_a_direction_is_no_place() -> None:
    texts = ["The ambush near the city of Izium was filmed.", "The headquarters in Izyum was bombed.",
             "Troops moved to the Donbas region.", "The general arrived in Donbass.", "Forces of the West district fled.",
             "Aid arrived in Niger and in Nigeria."]
    places = [it.text for it in find_items(_pool("t", texts), range(len(texts)), "place")]
    assert places == ["Izium", "Donbas", "Niger", "Nigeria"]


def test_organisations_by_their_own_name() -> None:
    texts = ["He was Chief of the General Staff of the Russian Armed Forces.", "Earlier, the American New York Times "
             "reported it.", "According to New York Times sources, it was so."]
    orgs = [it.text for it in find_items(_pool("t", texts), range(len(texts)), "org")]
    assert orgs == ["General Staff", "Russian Armed Forces", "New York Times"]


def test_the_office_before_a_persons_name_is_no_part_of_it() -> None:
    texts = ["It was reported by former minister of Internal Affairs Arsen Avakov that the general was hurt.",
             "The talks were led by Secretary of State Anna Berg on Monday."]
    people = [it.text for it in find_items(_pool("t", texts), range(len(texts)), "person")]
    assert people == ["Arsen Avakov", "Anna Berg"]
