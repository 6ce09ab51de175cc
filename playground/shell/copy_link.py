"""The **Copy link** button (Train, Boundaries): one click puts the page's link on the
clipboard and the button says "Copied".

A small custom component (``st.components.v2``, in the page, no iframe) draws a plain
button styled with the theme's ``--st-*`` variables to look like its ``st.button``
neighbours. ``navigator.clipboard.writeText`` needs a secure context (https, or
localhost) and the browser's leave; where either is missing (say, the app opened over
plain http from another machine) the button shows the link in a field, selected, to
copy with Ctrl+C. What it trades away: Python never learns whether the copy worked
(nothing to rerun for), and its tooltip is the browser's own (the ``title``
attribute), not Streamlit's.
"""

from __future__ import annotations

import streamlit as st

from playground.common.i18n import FONT_FAMILY, N_, _

NAME = "mlp_playground_copy_link"
LABEL = N_("Copy link")
COPIED = N_("Copied")
#: The button's other words, in the tab's language (sent with every render: the HTML is fixed).
FIELD_LABEL = N_("The link")
NOTE = N_("The browser would not let the page copy: press Ctrl+C (⌘C on a Mac).")
STATUS = N_("Link copied")
#: How long the button says "Copied" before it reads "Copy link" again.
COPIED_MS = 2500

_HTML = f"""
<div class="cl-root">
  <button type="button" class="cl-button"><span class="cl-icon" aria-hidden="true">link</span><span
    class="cl-label">{LABEL}</span></button>
  <div class="cl-fallback" hidden>
    <input class="cl-field" type="text" readonly aria-label="The link">
    <div class="cl-note">The browser would not let the page copy: press Ctrl+C (⌘C on a Mac).</div>
  </div>
  <div class="cl-status" role="status" aria-live="polite"></div>
</div>
"""

_CSS = """
.cl-root { font-family: var(--st-font, FONT_FAMILY); color: var(--st-text-color, #31333f); }
.cl-button { box-sizing: border-box; width: 100%; min-height: 2.5rem; margin: 0;
             display: inline-flex; align-items: center; justify-content: center; gap: 0.5rem;
             padding: 0.25rem 0.75rem; cursor: pointer; font: inherit; font-size: 0.875rem;
             line-height: 1.6; color: inherit; background: transparent;
             border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
             border-radius: var(--st-button-radius, var(--st-base-radius, 0.5rem)); }
.cl-button:hover, .cl-button.cl-done { border-color: var(--st-primary-color, #e4572e);
                                       color: var(--st-primary-color, #e4572e); }
.cl-button:focus-visible { outline: 2px solid var(--st-primary-color, #e4572e);
                           outline-offset: 1px; }
/* Streamlit's bundled icon font, as on its own buttons (no download). */
.cl-icon { font-family: "Material Symbols Rounded"; font-size: 1rem; line-height: 1;
           font-weight: 400; font-style: normal; letter-spacing: normal; white-space: nowrap;
           -webkit-font-feature-settings: "liga"; font-feature-settings: "liga"; }
.cl-label { white-space: nowrap; }
.cl-fallback { margin-top: 0.5rem; }
.cl-field { box-sizing: border-box; width: 100%; font: inherit; font-size: 0.8rem;
            padding: 0.3rem 0.5rem; color: inherit;
            background: var(--st-secondary-background-color, #f0f2f6);
            border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
            border-radius: var(--st-base-radius, 0.5rem); }
.cl-note { font-size: 0.8rem; opacity: 0.75; margin-top: 0.25rem; }
.cl-status { position: absolute; width: 1px; height: 1px; overflow: hidden;
             clip: rect(0 0 0 0); white-space: nowrap; }
""".replace("FONT_FAMILY", FONT_FAMILY)

_JS = f"""
const COPIED_MS = {COPIED_MS};

function showCopied(root) {{
  const button = root.querySelector(".cl-button");
  root.querySelector(".cl-label").textContent = root.__words.copied;
  root.querySelector(".cl-icon").textContent = "check";
  root.querySelector(".cl-status").textContent = root.__words.status;
  button.classList.add("cl-done");
  clearTimeout(root.__timer);
  root.__timer = setTimeout(() => {{
    root.querySelector(".cl-label").textContent = root.__words.label;
    root.querySelector(".cl-icon").textContent = "link";
    root.querySelector(".cl-status").textContent = "";
    button.classList.remove("cl-done");
  }}, COPIED_MS);
}}

function showField(root) {{
  // No clipboard for this page: the link, selected, for the reader to copy.
  const field = root.querySelector(".cl-field");
  field.value = root.__link;
  root.querySelector(".cl-fallback").hidden = false;
  field.focus();
  field.select();
}}

async function copy(root) {{
  try {{
    if (!window.isSecureContext || !navigator.clipboard) throw new Error("no clipboard");
    await navigator.clipboard.writeText(root.__link);
    root.querySelector(".cl-fallback").hidden = true;
    showCopied(root);
  }} catch (error) {{
    showField(root);
  }}
}}

export default function (component) {{
  const {{ data, parentElement }} = component;
  const root = parentElement.querySelector(".cl-root");
  if (!root || !data) return;
  root.__link = data.link;
  root.__words = data.words;
  root.querySelector(".cl-button").title = data.help;
  if (!root.querySelector(".cl-button").classList.contains("cl-done")) {{
    root.querySelector(".cl-label").textContent = data.words.label;
  }}
  root.querySelector(".cl-field").setAttribute("aria-label", data.words.field);
  root.querySelector(".cl-note").textContent = data.words.note;
  const fallback = root.querySelector(".cl-fallback");
  if (!fallback.hidden) root.querySelector(".cl-field").value = data.link;
  if (!root.__wired) {{
    root.__wired = true;
    root.querySelector(".cl-button").addEventListener("click", () => copy(root));
  }}
}}
"""

_component = st.components.v2.component(NAME, html=_HTML, css=_CSS, js=_JS)


def copy_link_button(link: str, *, key: str, help: str) -> None:
    """A full-width **Copy link** button that copies ``link`` in one click.

    ``help`` is its tooltip: one sentence on what the link opens."""
    if not link.startswith(("http://", "https://")):
        raise ValueError(f"copy_link_button wants an http(s) address, not {link!r}")
    words = {"label": _(LABEL), "copied": _(COPIED), "field": _(FIELD_LABEL), "note": _(NOTE),
             "status": _(STATUS)}
    _component(data={"link": link, "help": help, "words": words}, key=key)
