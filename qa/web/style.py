"""The chat's look: system fonts only (no outside request), and its CSS."""
from __future__ import annotations

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


CSS = """
.qa-header h1 { margin: 0; font-size: 1.5rem; }
.qa-header p { margin: 0.2rem 0 0; opacity: 0.75; }
.qa-status { font-size: 0.9rem; }
.qa-busy { color: #b45309; }
.qa-error { color: #b91c1c; }
#qa-reader { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.75rem 1rem;
             background: var(--background-fill-primary); overflow: hidden; }
#qa-reader .qa-doc-head { margin-bottom: 0.6rem; padding-bottom: 0.4rem;
                         border-bottom: 1px solid var(--border-color-primary); }
#qa-reader .qa-doc-text { white-space: pre-wrap; line-height: 1.55; font-size: 0.95rem;
                         max-height: min(60vh, 560px); overflow-y: auto; overscroll-behavior: contain; }
#qa-reader mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#qa-reader .qa-doc-empty { opacity: 0.7; }
#qa-chat .qa-conflict { display: inline-block; background: #fef3c7; color: #78350f; font-weight: 600;
                       padding: 0.1rem 0.5rem; border-radius: 4px; border: 1px solid #f59e0b; }
#qa-chat .qa-notfound { display: inline-block; background: #e0e7ff; color: #3730a3; font-weight: 600;
                       padding: 0.1rem 0.5rem; border-radius: 4px; border: 1px solid #818cf8; }
#qa-docs td, #qa-docs td *, #qa-docs th, #qa-docs th * { font-family: var(--font) !important; font-size: 0.85rem; }
#qa-chat mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
#qa-chat a.qa-cite { text-decoration: none; font-weight: 600; color: #1e3a8a; border-radius: 3px; padding: 0 1px; }
#qa-chat a.qa-cite:hover { text-decoration: underline; background: #dbeafe; }
#qa-chat a.qa-cite:focus-visible { outline: 2px solid #1d4ed8; outline-offset: 1px; }
#qa-chat [role=button].title button { pointer-events: none; }
/* contrast (axe-core, WCAG AA): the theme's orange on white is too light for text */
#qa-chat span.md.prose { opacity: 1; }  /* Gradio dims the Sources block's text to 0.8: too faint to read */
#qa-ask { background: #c2410c; border-color: #c2410c; color: #fff; }
#qa-ask:hover { background: #9a3412; }
[role=tab].selected { color: #c2410c; }
footer .show-api, footer a { color: #52525b; }
.info-text, .min_value, .max_value { color: #52525b !important; opacity: 1 !important; }
@media (max-width: 640px) {  /* phones: the question box stays above the fold */
  #qa-chat { height: 50vh !important; min-height: 260px; }
  .qa-header h1 { font-size: 1.2rem; }
  .qa-header p { display: none; }
}
#qa-feedback { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.5rem; }
"""

