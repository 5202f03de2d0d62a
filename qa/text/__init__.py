"""Text toolkit shared by every stage: words (``tokens``: tokenize, stem, stopwords), ``sentences`` (spans with
exact offsets) and ``numbers`` (values and units stated in text). Imports nothing else of qa."""
