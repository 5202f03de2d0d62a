"""The qa web chat: ``python app.py [--port 8000 --documents ~/notes ...]`` (see ``python app.py --help``).

The app lives in ``qa.web``: ``qa.web.controller`` (behaviour) and ``qa.web.ui`` (the Gradio wiring)."""
from qa.web.ui import main

if __name__ == "__main__":
    raise SystemExit(main())
