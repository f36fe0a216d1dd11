"""The page's behaviour beyond Gradio's defaults: its CSS and the JavaScript it runs once loaded.

Each rule or script says which default it changes and why; most of them are about a class
watching a projector, a student on a phone, or someone on a keyboard or a screen reader.
"""

from __future__ import annotations

import json

import gradio as gr

from viz.tokens import CSS as TOKEN_CSS

from . import classroom
from .figure_layout import FIGURE_CSS, FIGURE_LAYOUT_JS
from .i18n import LANGUAGES, t

# A figure not drawn yet (a section whose button was not pressed) is a slim bar, not a 400-px empty
# box; its spinner still shows there while it computes.
EMPTY_FIGURE_CSS = ".block:has(> [aria-label='Empty value']) .empty.large { height: 3rem; min-height: 3rem; }\n"
# A failed run keeps the last good drawing in view, faded: Gradio's error state would cover it with
# an opaque box; here it shrinks to a badge in the corner, which says (error_words_css) that this is
# the previous drawing, and why (ERROR_REASONS_JS: the toast said it, but it goes after a few seconds).
KEEP_DRAWING_ON_ERROR_CSS = (
    "[data-testid=status-tracker].wrap:has(> .error) { background: transparent; inset: 0 0 auto auto; width: auto;"
    " height: auto; min-height: 0; padding: var(--size-1) !important; flex-direction: row-reverse; align-items: flex-start; }\n"
    "[data-testid=status-tracker].wrap:has(> .error) .clear-status { position: static; }\n"
    # a box with rounded corners, not a pill: the reason wraps onto several lines on a phone
    "[data-testid=status-tracker].wrap > .error { white-space: pre-line; max-width: min(28rem, 70vw);"
    " border-radius: var(--radius-lg); padding: var(--size-1) var(--size-3); }\n"
    "[data-testid=status-tracker].wrap > .error[data-reason]::after { content: '\\A' attr(data-reason); font-size: var(--text-sm); }\n"
    ":has(> [data-testid=status-tracker].wrap > .error) > :not([data-testid=status-tracker]) { opacity: 0.45; }\n"
    ":has(> [data-testid=status-tracker].wrap > .error) .modebar-container { display: none; }\n"  # the badge sits there
)
# The badge also gives the failure's reason, from the toast that said it (the toast goes, the badge
# stays): the toast nearest in time to the badge's first appearance, within 1.5 s (Gradio adds the
# toast about 10 ms before its badges). Two failures a moment apart keep their own reasons.
ERROR_REASONS_JS = """() => {
  const toasts = [];  // [when it appeared, its message], the latest few
  new MutationObserver(() => {
    const now = Date.now();
    document.querySelectorAll('.toast-message-text.error:not([data-read])').forEach((text) => {
      text.dataset.read = '1';
      toasts.push([now, text.textContent.trim()]);
      if (toasts.length > 20) toasts.shift();
    });
    document.querySelectorAll('[data-testid=status-tracker].wrap > .error').forEach((badge) => {
      if (!badge.dataset.seen) badge.dataset.seen = String(now);
      const seen = Number(badge.dataset.seen);
      const near = toasts.filter(([when]) => Math.abs(when - seen) < 1500)
        .sort(([a], [b]) => Math.abs(a - seen) - Math.abs(b - seen));
      if (near.length && badge.dataset.reason !== near[0][1]) {
        badge.dataset.reason = near[0][1];
        badge.title = near[0][1];
      }
    });
  }).observe(document.body, {childList: true, subtree: true});
}"""
# Toasts at the bottom right: Gradio puts them at the top right, over the language switch and the model choice.
TOASTS_BELOW_CSS = ".toast-wrap { top: auto !important; bottom: var(--size-4) !important; }\n"
# A slider's label takes the whole width, its number box goes below: side by side, a narrow column
# split the label ("Repetition / penalty") and the sliders of one row lined up differently.
SLIDER_LABEL_CSS = (".head:has(> .tab-like-container) { flex-wrap: wrap; }\n"
                    ".head:has(> .tab-like-container) > label { flex: 1 0 100%; }\n")
# Markdown tables (the model's training report) as the lab's own: words break between words only
# ("parameter|s" on a phone), and a table too wide for that scrolls sideways.
MARKDOWN_TABLE_CSS = (".prose:has(> table) { display: block; overflow-x: auto; }\n"
                      ".prose table td { word-break: normal; overflow-wrap: normal; }\n")
# A keyboard's focus is plain to see on the small controls too (checkboxes, radios), from the back of a room.
FOCUS_CSS = ("input[type=checkbox]:focus-visible, input[type=radio]:focus-visible {"
             " outline: 3px solid var(--color-accent); outline-offset: 2px; }\n")
# A number typed into a slider's box counts when the box loses focus (Gradio's "release"): Enter does
# that too, so typing 0.7 and pressing Enter redraws like dragging the slider does. A number past the
# box's range is brought inside first: Gradio would send it as typed and only then show the clamp.
# A slider moved with the arrow keys (Home, End, Page Up/Down) is released when the key comes up:
# Gradio releases a slider only on the pointer's release, so a keyboard left the figure stale.
KEYBOARD_COMMITS_JS = """() => {
  document.addEventListener('keydown', (event) => {
    const box = event.target;
    if (event.key !== 'Enter' || !box.matches('input[type=number]')) return;
    const value = parseFloat(box.value), low = parseFloat(box.min), high = parseFloat(box.max);
    const inside = Math.min(isNaN(high) ? value : high, Math.max(isNaN(low) ? value : low, value));
    if (!isNaN(value) && inside !== value) {
      box.value = String(inside);
      box.dispatchEvent(new Event('input', {bubbles: true}));
    }
    box.blur();
  });
  const moves = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'];
  const before = new WeakMap();  // a slider's value when the key went down: Home at the minimum moves nothing
  document.addEventListener('keydown', (event) => {
    if (moves.includes(event.key) && event.target.matches('input[type=range]') && !event.repeat) {
      before.set(event.target, event.target.value);
    }
  });
  document.addEventListener('keyup', (event) => {
    const slider = event.target;
    if (moves.includes(event.key) && slider.matches('input[type=range]') && before.get(slider) !== slider.value) {
      before.delete(slider);
      slider.dispatchEvent(new PointerEvent('pointerup', {bubbles: true}));
    }
  });
}"""


# Gradio 6.31 names each option of a radio group differently, so every option was a Tab stop of
# its own and the arrow keys moved nothing. One name per group makes it one stop whose arrow keys
# choose (the browser's own radio group; Gradio hears the change as a click).
# It also names a slider's number box "number input for <label>" and its reset button "Reset to
# default value" in English whatever the page's language: both are said in the page's language
# (and the reset button, a bare "↺", gets them as its tooltip too).
CONTROL_WORDS = {code: {"number": t("a11y.number_box", code), "reset": t("a11y.reset", code)} for code in LANGUAGES}
GRADIO_CONTROLS_JS = f"""() => {{
  const words = {json.dumps(CONTROL_WORDS, ensure_ascii=False)};
  const gradioNumber = 'number input for ';
  const fix = () => {{
    document.querySelectorAll('fieldset').forEach((fieldset, i) => {{
      const name = fieldset.id ? `ntl-radio-${{fieldset.id}}` : `ntl-radio-unnamed-${{i}}`;
      fieldset.querySelectorAll('input[type=radio]').forEach((radio) => {{ if (radio.name !== name) radio.name = name; }});
    }});
    const said = words[document.documentElement.lang] || words.en;
    document.querySelectorAll('input[type=number][aria-label]').forEach((box) => {{
      const label = box.getAttribute('aria-label');
      if (label.startsWith(gradioNumber)) box.dataset.ntlLabel = label.slice(gradioNumber.length);
      const ours = box.dataset.ntlLabel !== undefined && said.number.replace('{{label}}', () => box.dataset.ntlLabel);
      if (ours && label !== ours) box.setAttribute('aria-label', ours);
    }});
    document.querySelectorAll('button.reset-button').forEach((button) => {{
      if (button.getAttribute('aria-label') !== said.reset) button.setAttribute('aria-label', said.reset);
      if (button.title !== said.reset) button.title = said.reset;
    }});
  }};
  fix();
  new MutationObserver(fix).observe(document.documentElement,
    {{childList: true, subtree: true, attributes: true, attributeFilter: ['aria-label', 'lang']}});
}}"""


def error_words_css() -> str:
    """Gradio 6.31 titles every toast with its kind ("Error", "Warning") and ignores the title we
    pass, and a failed output's badge says only "Error": the page's language, kept on ``<html lang>``,
    swaps those words for ours in CSS.

    English is the default, so a ``lang`` the page never set (Gradio's own, from the browser:
    "fr", "zh-CN") still gets words. The error title must also fit Gradio's own errors (a full
    queue, a lost connection), so it says that something did not run; the message says why.
    """
    badge = "[data-testid=status-tracker].wrap > .error"
    rules = [f".toast-title.error, .toast-title.warning, {badge} {{ font-size: 0; }}",
             ".toast-title::before, .toast-title .toast-count { font-size: var(--text-lg); }",
             f"{badge}::before {{ font-size: var(--text-md); }}"]
    default, *others = LANGUAGES
    for code in (default, *others):
        scope = "" if code == default else f":lang({code}) "
        for selector, key in ((".toast-title.error", "err.title"), (".toast-title.warning", "app.warning_title"),
                              (badge, "err.badge")):
            rules.append(f'{scope}{selector}::before {{ content: {json.dumps(t(key, code), ensure_ascii=False)}; }}')
    return "\n".join(rules) + "\n"


# Gradio 6.31 announces a finished run to screen readers with the key "common.complete", which its own
# dictionaries lack, so the key itself was read out. It speaks the browser's language, not the page's.
GRADIO_WORDS = gr.I18n(**{locale: {"common.complete": t("app.run_complete", code)}
                          for locale, code in (("en", "en"), ("zh", "zh"), ("zh-CN", "zh"), ("zh-TW", "zh"))})

CSS = (TOKEN_CSS + classroom.PROJECTOR_CSS + classroom.NOTICE_CSS + EMPTY_FIGURE_CSS + KEEP_DRAWING_ON_ERROR_CSS
       + TOASTS_BELOW_CSS + SLIDER_LABEL_CSS + FOCUS_CSS + MARKDOWN_TABLE_CSS + FIGURE_CSS + error_words_css())
JS = f"() => {{ ({KEYBOARD_COMMITS_JS})(); ({ERROR_REASONS_JS})(); ({GRADIO_CONTROLS_JS})(); ({FIGURE_LAYOUT_JS})(); }}"
