"""A document named in a question: by ordinal (Documents-list order), file name, title or source words, a phrase
after the document noun; ambiguous and unmatched references are reported."""
from __future__ import annotations

from qa.answer.broad.targets import resolve
from qa.types import Document

DOCS = [
    Document("news/harbour-fire.txt", "Fire at the harbour warehouse", "A fire broke out at the Kelmar harbour. "
             "Chief Anna Lind said nobody was hurt.", "news/harbour-fire.txt", {"source": "Kelmar Gazette"}),
    Document("news/bridge-vote.txt", "Council votes on the new bridge", "The council voted 7 to 2 for the bridge. "
             "Mayor Tom Berg called it historic.", "news/bridge-vote.txt", {"source": "Daily Courier"}),
    Document("news/bridge-cost.txt", "Bridge costs rise again", "The bridge will cost 40 million. Engineers blame "
             "steel prices.", "news/bridge-cost.txt", {"source": "Daily Courier"}),
]


def test_ordinals_follow_the_documents_list() -> None:
    assert resolve("Summarize the second article.", DOCS).doc_ids == ("news/bridge-vote.txt",)
    assert resolve("What does the last document say?", DOCS).doc_ids == ("news/bridge-cost.txt",)
    t = resolve("How does the first article differ from the third one?", DOCS)
    assert t.doc_ids == ("news/harbour-fire.txt", "news/bridge-cost.txt") and t.references == 2
    assert t.question == "How does the document differ from the document?"
    assert resolve("What is the first article of the constitution?", DOCS).doc_ids is None


def test_file_names_titles_sources_and_phrases() -> None:
    assert resolve("What is harbour-fire.txt about?", DOCS).doc_ids == ("news/harbour-fire.txt",)
    assert resolve("What does the Kelmar Gazette article say?", DOCS).doc_ids == ("news/harbour-fire.txt",)
    assert resolve("Briefly, what does the article quoting Anna Lind claim?", DOCS).doc_ids == ("news/harbour-fire.txt",)
    assert resolve("What does the report about steel prices say?", DOCS).doc_ids == ("news/bridge-cost.txt",)


def test_ambiguous_and_unmatched() -> None:
    t = resolve("What does the Daily Courier article say?", DOCS)
    assert t.doc_ids is not None and len(t.doc_ids) == 1 and t.ambiguous == ("the Daily Courier article",)
    none = resolve("What does the Guardian article say?", DOCS)
    assert none.doc_ids is None and none.unresolved == ("the Guardian article",)
    assert resolve("What does the fifth article say?", DOCS).unresolved == ("the fifth article",)


def test_an_outlet_whose_name_ends_in_a_document_noun_must_be_given_whole() -> None:
    # "Kelmar" is in a text, "Kelmar Post" in none: no document is the Kelmar Post
    none = resolve("What does the Kelmar Post say?", DOCS)
    assert none.doc_ids is None and none.unresolved == ("the Kelmar Post",)
    docs = [*DOCS, Document("news/post.txt", "Harbour reopens", "The Kelmar Post reports the harbour reopened.",
                            "news/post.txt", {})]
    assert resolve("What does the Kelmar Post say?", docs).doc_ids == ("news/post.txt",)


def test_no_reference() -> None:
    t = resolve("What are these articles about?", DOCS)
    assert t.doc_ids is None and t.references == 0 and t.question == "What are these articles about?"


def test_the_summarize_buttons_question_names_its_document() -> None:
    # qa.web's "Summarize" asks 'Summarize “<title>”.' (ChatApp.summary_question)
    for d in DOCS:
        assert resolve(f"Summarize “{d.title}”.", DOCS).doc_ids == (d.id,)


def test_a_whole_title_written_out_names_its_document() -> None:
    t = resolve("Summarize the Council votes on the new bridge", DOCS)
    assert t.doc_ids == ("news/bridge-vote.txt",) and t.question == "Summarize the document"
    # a short title may be what the question is about, not a reference
    short = [Document("g.txt", "Genghis Khan", "Genghis Khan was the founder of the Mongol Empire.")]
    assert resolve("Who was Genghis Khan?", short).doc_ids is None


def test_an_outlets_plural_names_all_its_documents_and_a_demonym_its_place() -> None:
    from qa.answer.broad.targets import resolve as _resolve
    from qa.types import Document as _Doc

    docs = [_Doc(id="a.txt", title="Board fires chief", text="The board fired its chief.", source="x",
                 metadata={"outlet": "Fortune"}),
            _Doc(id="b.txt", title="Trial opens", text="The trial opened in New York.", source="y",
                 metadata={"outlet": "Fortune"}),
            _Doc(id="c.txt", title="Mountains of California", text="The range lies in California.", source="z",
                 metadata={"outlet": "The Age"})]
    both = _resolve("Contrast Fortune's two stories.", docs)
    assert both.doc_ids == ("a.txt", "b.txt") and both.references == 2
    assert _resolve("What does the article on the Californian mountains cover?", docs).doc_ids == ("c.txt",)
    assert _resolve("Summarize The Age's timeline.", docs).doc_ids == ("c.txt",)


def test_a_modifier_holds_no_determiner_and_a_noun_before_its_object_is_a_verb() -> None:
    t = resolve("Name the people the Kelmar Gazette article quotes.", DOCS)
    assert t.doc_ids == ("news/harbour-fire.txt",) and t.question == "Name the people the document quotes."
    assert resolve("How do the Kelmar and Courier report the vote?", DOCS).doc_ids is None
    person = [Document("p.txt", "Person of the Year", "Taylor Swift is the Person of the Year.")]
    assert resolve("What does the Person of the Year piece highlight?", person).doc_ids == ("p.txt",)


def test_according_to_the_source_a_text_names_itself() -> None:
    from qa.answer.broad.targets import source_lines
    express = Document("e.txt", "Putin humiliated again", "Putin humiliated again\n\nThe ambush near Izium was filmed."
                       "\n\nsource: express.co.uk")
    byline = Document("c.txt", "Coinbase rallies", "Coinbase rallies\n\nCNBC, 2023-11-30\n\nCoinbase shares rose.")
    other = Document("o.txt", "Another story", "Another story\n\nThe ambush was near Izium, the Express said.")
    assert source_lines(express.text) == ["express.co.uk"] and source_lines(byline.text) == ["CNBC, 2023-11-30"]
    t = resolve("What happened at Izium according to the Express?", [express, byline, other])
    assert t.doc_ids == ("e.txt",) and t.question == "What happened at Izium according to the document?"
    assert resolve("What rallied, according to CNBC?", [express, byline]).doc_ids == ("c.txt",)


def test_two_documents_named_by_what_each_is_about() -> None:
    t = resolve("Compare the articles on the harbour fire and on the bridge vote.", DOCS)
    assert t.doc_ids == ("news/harbour-fire.txt", "news/bridge-vote.txt") and t.question == "Compare the document."
    # a phrase that fits several documents is a storyline, not a document
    assert resolve("Compare the articles about the bridge and the fire.", DOCS).doc_ids is None


def test_a_partys_story_is_not_a_document() -> None:
    t = resolve("Set the council's story beside the engineers' in the bridge costs piece.", DOCS)
    assert t.doc_ids == ("news/bridge-cost.txt",) and t.references == 1  # "the council's story": what it tells
    assert t.question.startswith("Set the council's story beside")
    assert resolve("What does the Courier's story say?", DOCS).references == 1  # a source's story is a document


def test_going_by_or_judging_from_a_source_names_it_like_according_to() -> None:
    t = resolve("What happened at the harbour, going by the Kelmar Gazette?", DOCS)
    assert t.doc_ids == ("news/harbour-fire.txt",) and t.question == "What happened at the harbour, going by the document?"
    assert resolve("Judging from the Kelmar Gazette, was anyone hurt?", DOCS).doc_ids == ("news/harbour-fire.txt",)
    assert resolve("What does it cost, as per the Daily Courier?", DOCS).doc_ids is not None


def test_a_document_noun_that_is_the_questions_verb() -> None:
    # "what did the X report?": "report" is the verb; X names a document only as its source or title
    t = resolve("What did the Kelmar Gazette report?", DOCS)
    assert t.doc_ids == ("news/harbour-fire.txt",) and t.question == "What did the document report?"
    named_in_text = resolve("What did the Kelmar harbour chief report about the fire?", DOCS)
    assert named_in_text.doc_ids is None and named_in_text.question.endswith("report about the fire?")
    assert resolve("What does the Kelmar Gazette report say?", DOCS).question == "What does the document say?"


def test_documents_followed_by_their_verb_are_no_reference() -> None:
    t = resolve("Compare what the articles report about the bridge's cost.", DOCS)
    assert t.references == 0 and not t.unresolved  # "the articles report": the documents and what they do
    assert resolve("What does the Daily Courier report say about the vote?", DOCS).references == 1


def test_a_document_that_says_is_named_by_its_title() -> None:
    from qa.answer.broad.targets import speaking_document

    docs = [Document("apache.txt", "Apache License", "Grant of Patent License. Each contributor grants ..."),
            Document("khan.txt", "Genghis Khan", "Genghis Khan founded the Mongol Empire.")]
    t = speaking_document("What does the Apache license say about patents?", "the apache license", docs)
    assert t is not None and t.doc_ids == ("apache.txt",) and t.question == "What does the document say about patents?"
    # a name written as a name is someone speaking, even beside a document so titled
    assert speaking_document("What did Genghis Khan say about his sons?", "genghis khan", docs) is None
    assert speaking_document("What does the Kelmar license say?", "the kelmar license", docs) is None  # no such title


def test_a_summary_of_a_document_described_by_its_title_and_file_name() -> None:
    from qa.answer.broad.targets import summarised_document

    docs = [Document("shared-mime-info-spec.pdf", "Shared MIME-info Database", "The database maps file names to types."),
            Document("lints.html", "Rustdoc-specific lints", "rustdoc provides lints."),
            Document("rustdoc.html", "What is rustdoc?", "rustdoc generates documentation.")]
    t = summarised_document("Summarize the shared MIME info specification.", "the shared mime info specification", docs)
    assert t is not None and t.doc_ids == ("shared-mime-info-spec.pdf",)
    assert t.question == "Summarize the document."
    # what the documents say about a topic is a topic, and a phrase two documents fit names neither
    assert summarised_document("Summarize what they say about the MIME database.", "the mime database", docs) is None
    assert summarised_document("Summarize rustdoc.", "rustdoc", docs) is None


PAPERS = [
    Document("me/jane-okafor-cv.docx", "Jane Okafor", "Data analyst. Skills: SQL, Python.", "me/jane-okafor-cv.docx"),
    Document("me/lease-agreement.md", "Residential Lease Agreement", "The lease ends on March 31, 2027.",
             "me/lease-agreement.md"),
    Document("me/team-meeting-2026-11-12.txt", "Product team meeting - 12 November 2026", "Action items: Priya "
             "informs sales.", "me/team-meeting-2026-11-12.txt"),
]


def test_a_persons_own_papers_by_their_kind() -> None:
    t = resolve("Give me the key points of the meeting notes.", PAPERS)
    assert t.doc_ids == ("me/team-meeting-2026-11-12.txt",) and t.question == "Give me the key points of the document."
    assert resolve("Summarize the lease.", PAPERS).doc_ids == ("me/lease-agreement.md",)
    t = resolve("What are the skills in my CV?", PAPERS)
    assert t.doc_ids == ("me/jane-okafor-cv.docx",) and t.question == "What are the skills in the document?"
    # a paper no document is: a thing the documents may talk about, not a reference (and no "matched nothing" note)
    for q in ("What did the trade agreement say?", "Summarize my resume.", "What does the open letter demand?"):
        t = resolve(q, PAPERS)
        assert t.doc_ids is None and not t.unresolved, q
