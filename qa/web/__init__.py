"""The web chat: ``render`` (escaping and HTML/Markdown of answers), ``controller`` (``ChatApp``, the behaviour,
no Gradio), ``ui`` (the Gradio Blocks wiring and ``main``), plus ``config``, ``state``, ``uploads`` and
``feedback``. Only ``ui`` imports Gradio."""
