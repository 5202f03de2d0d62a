"""Evaluation tools, outside the runtime package ``qa``: retrieval benchmarks (``evaluation``), answer quality
(``answer_eval``) and the replay of evaluation cases saved from the chat (``replay``). ``python -m qa eval``
runs them; the fitting and tuning scripts in ``scripts/`` build on them."""
