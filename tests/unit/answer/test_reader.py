"""The reader component and the short answer: verbatim offsets, load checks, composition, the off switch."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

import qa
from qa.answer.compose import compose, in_quotes
from qa.answer.reader import Reader, ReaderUnavailableError
from qa.answer.reader.model import MODEL_DIR
from qa.types import Citation, Hit, ShortAnswer

TEXT = ("The lighthouse on Karst Point was built in 1872 by the harbour board. It is 31 metres tall and its lamp "
        "can be seen from 40 kilometres away. The keeper, Anna Holm, lived there until 1931.")


def _hit(text: str, start: int = 0, doc_id: str = "karst") -> Hit:
    return Hit(text=text[start:], score=1.0, doc_id=doc_id, title="Karst", source=None, start=start, end=len(text))


def test_missing_model_is_reported(tmp_path: Path) -> None:
    reader = Reader(tmp_path / "nothing")
    assert not reader.available
    with pytest.raises(ReaderUnavailableError, match="no reader model"):
        reader.warm_up()


def test_damaged_model_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    data = bytearray((folder / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ReaderUnavailableError, match="does not match graph.json"):
        Reader(folder).warm_up()


def test_calibration_is_checked_on_load(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    (folder / "calibration.json").write_text('{"logistic": {"a": 1, "b": 0}}')
    with pytest.raises(ReaderUnavailableError, match="missing margin_threshold"):
        Reader(folder).warm_up()


def test_a_reading_other_than_the_gates_is_warned_about_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    calibration = json.loads((folder / "calibration.json").read_text())
    calibration["gate"]["reading"] = {"read_top": 2, "reader_focus": 64}
    (folder / "calibration.json").write_text(json.dumps(calibration))
    reader = Reader(folder)
    assert reader.check_reading(2, 64)
    with caplog.at_level(logging.WARNING, logger="qa.answer.reader.model"):
        assert not reader.check_reading(3, 64)
        assert not reader.check_reading(3, 96)
    warned = [r for r in caplog.records if "gate was fitted reading 2 passages focused to 64" in r.getMessage()]
    assert len(warned) == 1


def test_readings_are_verbatim_document_slices() -> None:
    reader = Reader()
    offset = TEXT.index("It is 31")
    hits = [_hit(TEXT), _hit(TEXT, offset, "karst-tail")]
    readings = reader.read("Who was the keeper of the lighthouse?", hits)
    assert len(readings) == 2
    assert [r.margin for r in readings] == sorted((r.margin for r in readings), reverse=True)
    for r in readings:
        assert TEXT[r.start:r.end] == r.text
        assert 0.0 <= r.probability <= 1.0
    assert "Anna Holm" in readings[0].text


def test_compose_puts_the_short_answer_first_and_highlights_it() -> None:
    start = TEXT.index("Anna Holm")
    sent_start = TEXT.index("The keeper")
    quote = TEXT[sent_start:]
    cite = Citation(n=1, quote=quote, doc_id="karst", title="Karst", source=None, start=sent_start, end=len(TEXT))
    short = ShortAnswer("Anna Holm", "karst", start, start + 9, 0.9, 1)
    text = compose([cite], short=short)
    first, rest = text.split("\n\n", 1)
    assert first == "**Anna Holm** [1]"
    assert "“The keeper, **Anna Holm**, lived there until 1931.” [1]" in rest


def test_a_quote_that_is_one_quotation_is_not_put_in_quotation_marks_twice() -> None:
    text = 'He said: “Up to 20 were killed.” Then: “Several officers died.” And “twice”, said Kyiv.'
    whole = "“Up to 20 were killed.”"
    start = text.index(whole)
    one = Citation(n=1, quote=whole, doc_id="d", title="D", source=None, start=start, end=start + len(whole))
    assert "According to *D*: “Up to 20 were killed.” [1]" in compose([one])
    assert "According to *D*: “Up to **20** were killed.” [1]" in compose([one], short=ShortAnswer("20", "d", start + 7, start + 9, 0.9, 1))
    assert in_quotes('"Up to 20."', '"Up to 20."') == '"Up to 20."'
    # a sentence that opens and closes with quotation marks but holds two quotations, or opens with one only
    assert in_quotes("“A,” he said, “B.”", "x") == "“x”"
    assert in_quotes("“A, he said.", "x") == "“x”"
    assert in_quotes("Plain.", "Plain.") == "“Plain.”"


def _ask(corpus_dir: Path, tmp_path: Path, question: str, **kwargs: object) -> qa.Answer:
    index = qa.build_index([corpus_dir], tmp_path / "index", embedder=qa.HashingEmbedder(128))
    return index.ask(question, **kwargs)


def _bees(tmp_path: Path) -> str:
    """The text the index holds of bees.md (Markdown is read as the text it renders to)."""
    index = qa.load_index(tmp_path / "index", embedder=qa.HashingEmbedder(128))
    (doc_id,) = [d.document.id for d in index.documents() if d.document.id.endswith("bees.md")]
    return index.document(doc_id).text


def test_short_answer_is_a_verbatim_span_of_its_cited_sentence(corpus_dir: Path, tmp_path: Path) -> None:
    ans = _ask(corpus_dir, tmp_path, "How many eggs can the queen lay per day?")
    assert ans.found and ans.answer is not None
    doc = _bees(tmp_path)
    assert doc[ans.answer.start:ans.answer.end] == ans.answer.text
    assert "2,000" in ans.answer.text
    cited = ans.citations[ans.answer.citation - 1]
    assert cited.start <= ans.answer.start and ans.answer.end <= cited.end
    assert ans.text.startswith(f"**{ans.answer.text}** [{ans.answer.citation}]")


def test_reader_can_be_switched_off(corpus_dir: Path, tmp_path: Path) -> None:
    ans = _ask(corpus_dir, tmp_path, "How many eggs can the queen lay per day?", reader=False)
    assert ans.answer is None


def test_off_topic_question_gets_no_short_answer(corpus_dir: Path, tmp_path: Path) -> None:
    ans = _ask(corpus_dir, tmp_path, "Who won the 1998 football world cup final?")
    assert not ans.found and ans.answer is None


def test_yes_no_question_gets_quotes_but_no_short_answer(corpus_dir: Path, tmp_path: Path) -> None:
    ans = _ask(corpus_dir, tmp_path, "Do bees communicate the location of food with a waggle dance?")
    assert ans.found and ans.citations
    assert ans.answer is None


def test_a_yes_no_question_is_not_read(corpus_dir: Path, tmp_path: Path) -> None:
    """No span says yes or no: the reader does not run, and whether the documents answer is the evidence's
    answerability alone (the gate weighs the reader's margin, meaningless here)."""
    from qa.answer.evidence import gather

    index = qa.build_index([corpus_dir], tmp_path / "index", embedder=qa.HashingEmbedder(128))
    ev = gather(index.pinned(), "Do bees communicate with a waggle dance?")
    assert ev.readings == () and ev.gate is None and ev.sentences
    assert gather(index.pinned(), "How do bees communicate?").readings  # a question the reader can answer is read


@pytest.mark.slow
def test_a_focused_passage_is_read_at_document_offsets() -> None:
    from qa.answer.candidates import Sentence
    from qa.answer.focus import focus

    hit = _hit(TEXT, TEXT.index("It is 31"))
    keeper = TEXT.index("The keeper")
    sentences = [Sentence("karst", "Karst", None, None, hit.start, keeper - 1, TEXT[hit.start:keeper - 1], 0, 0, score=-2.0),
                 Sentence("karst", "Karst", None, None, keeper, len(TEXT), TEXT[keeper:], 0, 1, score=2.0)]
    focused = focus(hit, sentences, 20)
    assert focused.start == keeper and focused.text == TEXT[keeper:]
    (reading,) = Reader().read("Who was the keeper of the lighthouse?", [focused])
    assert TEXT[reading.start:reading.end] == reading.text == "Anna Holm"


@pytest.mark.slow
def test_short_answer_from_focused_passages_is_verbatim(corpus_dir: Path, tmp_path: Path) -> None:
    ans = _ask(corpus_dir, tmp_path, "How many eggs can the queen lay per day?", reader_focus=24)
    assert ans.found and ans.answer is not None and "2,000" in ans.answer.text
    doc = _bees(tmp_path)
    assert doc[ans.answer.start:ans.answer.end] == ans.answer.text
    assert all(doc[c.start:c.end] == c.quote for c in ans.citations if c.doc_id.endswith("bees.md"))
