"""The web chat: ``render`` (escaping and HTML/Markdown of answers), ``controller`` (``ChatApp``, the behaviour,
no Gradio; with its parts ``documents``, ``conversation`` and ``library``), the app's database ``appdb`` with its
``collections`` and saved ``chats``, ``activity`` (the progress bar), ``config``, ``state``, ``uploads``,
``feedback``; and the Gradio wiring ``ui`` (with ``ui_sidebar``, ``ui_documents`` and ``ui_parts``, the only
modules that import Gradio)."""
