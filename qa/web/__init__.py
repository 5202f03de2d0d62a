"""The web chat: ``render`` (escaping and HTML/Markdown of answers), ``controller`` (``ChatApp``, the behaviour,
no Gradio; with its parts ``documents``, ``conversation`` and ``library``), the app state ``appstate`` (collections
and saved chats: the SQLite ``appdb`` with ``collections`` and ``chats``, or records in the Milvus store with
``appstate_milvus``, ``collections_milvus``, ``chats_milvus``, ``milvus_records``), ``activity`` (the progress bar), ``config``, ``state``, ``uploads``,
``feedback``; and the Gradio wiring ``ui`` (with ``ui_sidebar``, ``ui_documents`` and ``ui_parts``, the only
modules that import Gradio)."""
