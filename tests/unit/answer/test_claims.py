"""The claim checker's parsing of generated text: sentences and their citation markers."""
from __future__ import annotations

from qa.answer.claims import markers, split_claims


def test_split_claims_and_markers() -> None:
    text = "Gerasimov was wounded [1]. Aretovych says he left early [2][3]. Up to 20 died.[3]\n- A list item [1, 2]."
    parts = split_claims(text)
    assert parts == ["Gerasimov was wounded [1].", "Aretovych says he left early [2][3].", "Up to 20 died.[3]",
                     "A list item [1, 2]."]
    assert markers(parts[1]) == ("Aretovych says he left early.", [2, 3])
    assert markers("No marker here.") == ("No marker here.", [])
    assert markers("Odd markers【2】 and ^1^.")[1] == [2, 1]
