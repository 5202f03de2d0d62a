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
    // the upload box is a button named "Click to upload..." whose visible text says "Drop File Here - or - Click
    // to Upload": its name becomes its visible text (what a speech-input user would say)
    document.querySelectorAll('#qa-upload .upload-container[aria-label]').forEach((b) => {
      const text = (b.innerText || '').replace(/\s+/g, ' ').trim();
      if (text && b.getAttribute('aria-label') !== text) b.setAttribute('aria-label', text);
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
  // small screens: the reader (with the documents and settings) is a drawer; a citation opens it
  const small = () => window.matchMedia('(max-width: 768px)').matches;
  document.addEventListener('click', (e) => {
    if (small() && e.target && e.target.closest && e.target.closest('a.qa-cite')) window.qaDrawer(true);
  }, true);
  const drawerOpen = () => {
    const side = document.getElementById('qa-side');
    return !!side && side.dataset.qaDrawer === 'open';
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && drawerOpen()) window.qaDrawer(false);
  });
  // the state is a data attribute of the drawer itself (Gradio scopes the page's CSS inside its container, and
  // leaves attributes it does not know alone)
  window.qaDrawer = (open) => {
    const side = document.getElementById('qa-side');
    if (!side) return;
    side.dataset.qaDrawer = open ? 'open' : 'closed';
    side.toggleAttribute('inert', small() && !open);
    const target = document.getElementById(open ? 'qa-drawer-close' : 'qa-drawer-open');
    if (target && small()) setTimeout(() => target.focus(), 50);
  };
  // the sidebar starts closed on a phone (it covers the whole screen when open), open on a wide screen; the
  // closed sidebar's controls (off screen) are inert, so Tab never lands on something out of sight
  let closedOnce = false;
  const sidebar = () => {
    const s = document.getElementById('qa-sidebar');
    if (!s) return;
    if (!closedOnce && small() && s.classList.contains('open')) {
      closedOnce = true;
      const t = s.querySelector('.toggle-button');
      if (t) t.click();
    }
    const content = s.querySelector('.sidebar-content');
    if (content) content.toggleAttribute('inert', !s.classList.contains('open'));
    const side = document.getElementById('qa-side');
    if (side) side.toggleAttribute('inert', small() && !drawerOpen());
  };
  new MutationObserver(sidebar).observe(document.body, {attributes: true, attributeFilter: ['class'], subtree: true,
                                                        childList: true});
  window.addEventListener('resize', sidebar);
  sidebar();
}
"""

OPEN_DRAWER = "() => { window.qaDrawer && window.qaDrawer(true); }"
CLOSE_DRAWER = "() => { window.qaDrawer && window.qaDrawer(false); }"

# Save the exported chat (Markdown made by the server) as a file: a download of a Blob, so the export never sits in
# a file on the server.
DOWNLOAD_MARKDOWN = """(text, name) => {
  if (!text || !name) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], {type: 'text/markdown;charset=utf-8'}));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}"""

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
