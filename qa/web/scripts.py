"""The page's JavaScript, kept small: the citation bridge (a click or Enter on a ``[n]`` link in the chat opens its
quote in the reader) and the in-box scroll of the reader. No Gradio import; ``qa.web.ui`` wires these."""
from __future__ import annotations

# js_on_load of a hidden gr.HTML (the bridge): one capturing listener on the document catches clicks on citation
# links (Enter on a focused link is a click too), stops the navigation to "#qa-cite-..." and fires the bridge's
# "click" event with {cite: "<turn>:<n>"}. It also gives Gradio's Sources toggle an accessible shape: the toggle
# (a div role=button) holds an unnamed icon button, which is disabled (so neither focusable nor nested
# interactive; CSS lets clicks through to the toggle) and hidden from assistive technology: the toggle itself is
# the control, named by its text ("Sources (3)"). The example questions (a role=list holding buttons, which a
# list may not) become a named group.
CITE_BRIDGE = """
window.__qaCiteTrigger = trigger;
if (!window.__qaCiteBound) {
  window.__qaCiteBound = true;
  document.addEventListener('click', (e) => {
    const a = e.target && e.target.closest ? e.target.closest('a.qa-cite') : null;
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    const m = /#qa-cite-(\\d+)-(\\d+)$/.exec(a.getAttribute('href') || '');
    if (m) window.__qaCiteTrigger('click', {cite: m[1] + ':' + m[2]});
  }, true);
  const fix = () => {
    document.querySelectorAll('#qa-chat .examples[role=list]').forEach((g) => {
      g.setAttribute('role', 'group');
      g.setAttribute('aria-label', 'Example questions');
    });
    document.querySelectorAll('#qa-chat [role=button].title').forEach((t) => {
      t.querySelectorAll('button').forEach((b) => {
        b.disabled = true;
        b.setAttribute('tabindex', '-1');
        b.setAttribute('aria-hidden', 'true');
      });
    });
  };
  new MutationObserver(fix).observe(document.body, {childList: true, subtree: true});
  fix();
}
"""

# After the reader shows a document: scroll its own text box (never the page) so that the highlighted quote is in
# the middle of it. Waits for the mark to be laid out (the Reader tab may just have been selected).
SCROLL_READER_TO_MARK = """() => {
  let tries = 0;
  const go = () => {
    const box = document.querySelector('#qa-reader .qa-doc-text');
    const m = box ? box.querySelector('mark') : null;
    if (!m || !m.getClientRects().length) { if (tries++ < 40) setTimeout(go, 50); return; }
    const b = box.getBoundingClientRect(), r = m.getBoundingClientRect();
    box.scrollTop += (r.top - b.top) - (box.clientHeight - r.height) / 2;
  };
  setTimeout(go, 30);
}"""
