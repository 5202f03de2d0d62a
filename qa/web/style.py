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
.info-text, .min_value, .max_value, #qa-upload .or { color: #52525b !important; opacity: 1 !important; }
.qa-feedback { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.5rem; }
#qa-reader .qa-doc-note { margin: 0 0 0.5rem; font-size: 0.9rem; color: #52525b; }
.qa-progress { margin: 0.4rem 0; }
.qa-progress-label { font-size: 0.9rem; margin-bottom: 0.25rem; }
.qa-progress progress { width: 100%; height: 0.8rem; accent-color: #c2410c; }
.qa-confirm { border: 1px solid #b91c1c !important; border-radius: 8px; padding: 0.5rem; }
#qa-chats label { font-size: 0.9rem; }
#qa-remove-ask, #qa-remove, #qa-collection-delete, #qa-collection-delete-yes, #qa-chat-delete, #qa-chat-delete-yes {
  background: #b91c1c; border-color: #b91c1c; color: #fff; }
#qa-drawer-open, #qa-drawer-close { display: none !important; }
@media (max-width: 768px) {  /* phones: the question box stays above the fold; the reader is a drawer */
  #qa-chat { height: 50vh !important; min-height: 260px; }
  .qa-header h1 { font-size: 1.2rem; }
  .qa-header p { display: none; }
  #qa-top { flex-wrap: wrap; gap: 0.25rem 0.5rem; }
  #qa-top .qa-header { padding-left: 1.75rem; flex: 1 1 50% !important; min-width: 0 !important; }
  #qa-status { order: 3; flex: 1 1 100% !important; min-width: 0 !important; }
  #qa-drawer-open, #qa-drawer-close { display: inline-flex !important; }
  #qa-side > #qa-drawer-close { align-self: flex-end; width: auto !important; }
  #qa-side { position: fixed !important; left: 0; right: 0; bottom: 0; height: 82vh; z-index: 900;
             min-width: 0 !important; overflow-y: auto; padding: 0.5rem 0.75rem 1rem;
             background: var(--background-fill-primary); border-top: 1px solid var(--border-color-primary);
             border-radius: 12px 12px 0 0; box-shadow: 0 -6px 20px rgba(0, 0, 0, 0.18);
             transform: translateY(105%); visibility: hidden; transition: transform 0.2s ease, visibility 0.2s;
             display: flex !important; flex-direction: column !important; flex-wrap: nowrap !important; }
  #qa-side > * { width: 100% !important; min-width: 0 !important; flex: 0 0 auto !important; }
  #qa-side[data-qa-drawer="open"] { transform: none; visibility: visible; }
  #qa-reader .qa-doc-text { max-height: 52vh; }
}
"""

