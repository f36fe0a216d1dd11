"""Next-Token Lab: the Gradio page. Composes the tabs in ``ui/`` over the engine in ``model/``.

Run ``python app.py`` (binds 127.0.0.1; set GRADIO_SERVER_NAME=0.0.0.0 to expose, as Spaces does).
``--gpt2-folder`` points the GPT-2 choice at a local HF-layout folder instead of the Hub.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Idle OpenMP threads sleep instead of spinning: on a small shared box spinning steals the other request's core.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gradio as gr  # noqa: E402
import torch  # noqa: E402

from ui import classroom, tab_attention, tab_inside, tab_padding, tab_sampling, tab_tokens  # noqa: E402
from ui.common import Translated, friendly, t  # noqa: E402
from ui.deeplinks import DeepLinks  # noqa: E402
from ui.figure_layout import FIGURE_CSS, FIGURE_LAYOUT_JS  # noqa: E402
from ui.hub import MODEL_CHOICES, ModelHub, ModelUnavailableError  # noqa: E402
from ui.i18n import LANGUAGES  # noqa: E402
from viz.tokens import CSS  # noqa: E402

log = logging.getLogger("next_token_lab")
TAB_IDS = ("tokens", "attention", "padding", "sampling", "inside")
# A link's ?lang= wins; otherwise the browser's language decides. <html lang> is set here too:
# choosing the radio's default value fires no change event, and Gradio sets it to the browser's.
DETECT_LANGUAGE_JS = (
    "() => { const asked = new URLSearchParams(location.search).get('lang');"
    " const code = (asked || navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';"
    " document.documentElement.lang = code; return code; }"
)


def build_demo(hub: ModelHub) -> gr.Blocks:
    translated = Translated()
    # delete_cache: Gradio's copies of the CSV downloads go after a day, checked every hour.
    with gr.Blocks(title="Next-Token Lab", delete_cache=(3600, 86_400)) as demo:
        with gr.Row():
            with gr.Column(scale=4):
                translated(gr.Markdown(t("app.title")), value="app.title")
                translated(gr.Markdown(t("app.subtitle")), value="app.subtitle")
                status = gr.Markdown(t("app.status_loading"), elem_id="model-status")
                bar = classroom.build_bar(translated, {tab: f"tab.{tab}" for tab in TAB_IDS})
            with gr.Column(scale=1, min_width=200):
                language = translated(
                    gr.Radio([(name, code) for code, name in LANGUAGES.items()], value="en",
                             label=t("app.language"), elem_id="language"),
                    label="app.language",
                )
                model_choice = translated(
                    gr.Dropdown(list(MODEL_CHOICES), value="bundled", label=t("app.model"), elem_id="model-choice"),
                    label="app.model", info="app.model_info",
                )
        links = DeepLinks()
        # On a phone the tab bar wraps onto a second row: by default Gradio hides the tabs that do
        # not fit behind an unlabelled "⋯" menu, where a student at home may never find them.
        with gr.Tabs(overflow_behavior="wrap") as tabs:
            with translated(gr.Tab(t("tab.tokens"), id="tokens"), label="tab.tokens") as tokens_tab:
                tab_tokens.build(translated, language, links.tab("tokens"))
            with translated(gr.Tab(t("tab.attention"), id="attention"), label="tab.attention") as attention_tab:
                layer, head = tab_attention.build(translated, hub, model_choice, language, links.tab("attention"))
            with translated(gr.Tab(t("tab.padding"), id="padding"), label="tab.padding") as padding_tab:
                tab_padding.build(translated, hub, model_choice, language, links.tab("padding"))
            with translated(gr.Tab(t("tab.sampling"), id="sampling"), label="tab.sampling") as sampling_tab:
                tab_sampling.build(translated, hub, model_choice, language, links.tab("sampling"))
            with translated(gr.Tab(t("tab.inside"), id="inside"), label="tab.inside") as inside_tab:
                tab_inside.build(translated, hub, model_choice, language, links.tab("inside"))
        tab_components = dict(zip(TAB_IDS, (tokens_tab, attention_tab, padding_tab, sampling_tab, inside_tab)))
        demo.deep_links = links  # for tests and scripts: the registry behind every link

        @friendly
        def unavailable_note(fell_back: dict, language_code: str) -> str:
            reason = t("app.unavailable.download", language_code) if fell_back["reason"] == "download" else fell_back["detail"]
            return t("app.model_unavailable", language_code).format(model=fell_back["model"], reason=reason)

        def describe_model(model_name: str, language_code: str, fell_back: dict | None = None):
            """Load (once) and describe the chosen model; this is also the page's warm-up.

            A model that cannot be loaded here (GPT-2 without network) puts the page back on the
            bundled one and says why, instead of leaving every control showing "Error". The page
            keeps that fallback (``fell_back``), so a language switch writes its note again.
            """
            try:
                loaded = hub.get(model_name)
            except ModelUnavailableError as error:
                log.warning("%s unavailable, falling back to the bundled model: %s", model_name, error)
                fell_back = {"model": model_name, "reason": error.reason, "detail": str(error)}
                gr.Warning(unavailable_note(fell_back, language_code), title=t("app.warning_title", language_code))
                loaded = hub.get("bundled")
            facts = loaded.describe()
            text = ("⚠️ " + unavailable_note(fell_back, language_code) if fell_back else "") + t("app.status", language_code).format(**facts)
            if loaded.random_weights:
                text += t("app.random_note", language_code)
            return (text, facts, gr.update(maximum=facts["layers"] - 1), gr.update(maximum=facts["heads"] - 1),
                    loaded.key, fell_back)

        model_facts = gr.JSON(visible=False)
        translated_components = translated.components
        # <html lang> follows the page's language: toast titles (CSS) and CJK glyph choice read it.
        language.change(lambda code: translated.updates(code), language, translated_components,
                        api_name="switch_language", api_visibility="private", queue=False,
                        js="(code) => { document.documentElement.lang = code; return code; }")
        fell_back = gr.State()  # the model that could not be loaded, while the page shows the bundled one instead
        described = [status, model_facts, layer, head, model_choice, fell_back]
        # A smaller model has fewer layers and heads: the view moves onto the last one that exists
        # (in the browser, so no request carries the out-of-range value to the server's check).
        # ``select``: a person's choice (a dropdown's ``input`` fires twice per choice in Gradio 6.31:
        # two downloads tried, two warnings), which also ends an earlier fallback. The page's own
        # changes (a link's model, the fallback to the bundled one) are described by the warm-up.
        model_choice.select(describe_model, [model_choice, language], described, api_name="model_info").then(
            None, [layer, head, model_facts], [layer, head],
            js="(layer, head, facts) => [Math.min(layer, facts.layers - 1), Math.min(head, facts.heads - 1)]")
        language.change(describe_model, [model_choice, language, fell_back], described, api_name="model_info_in_language",
                        api_visibility="private")
        demo.load(None, None, language, js=DETECT_LANGUAGE_JS, api_name="detect_language", api_visibility="private")
        # The warm-up runs after a link has chosen the model, so it describes (and sizes the sliders
        # for) that model, never racing it with the default one.
        classroom.wire(demo, links, tabs, tab_components, bar, language, model_choice,
                       warm_up=(describe_model, [model_choice, language], described))
    return demo


# show_error: Gradio's own input checks (wrong argument count, a value outside a slider) reach the
# person as their message; our handlers already turn every failure into a clear gr.Error.
# Gradio keeps each session's copy of the page state (~0.3 MB here), and every API call made without
# a session opens a new one: its default of 10,000 kept sessions would grow to ~3 GB. A class of 30
# (tabs, reloads) fits well within 256, the oldest are dropped first.
SESSIONS_KEPT = 256
# A figure not drawn yet (a section whose button was not pressed) is a slim bar, not a 400-px empty
# box; its spinner still shows there while it computes.
EMPTY_FIGURE_CSS = ".block:has(> [aria-label='Empty value']) .empty.large { height: 3rem; min-height: 3rem; }\n"
# A failed run keeps the last good drawing in view, faded: Gradio's error state would cover it with
# an opaque box; here it shrinks to a badge in the corner, which says (error_words_css) that this is
# the previous drawing, and why (ERROR_REASONS_JS: the toast said it, but it goes after a few seconds).
KEEP_DRAWING_ON_ERROR_CSS = (
    "[data-testid=status-tracker].wrap:has(> .error) { background: transparent; inset: 0 0 auto auto; width: auto;"
    " height: auto; min-height: 0; padding: var(--size-1) !important; flex-direction: row; }\n"
    "[data-testid=status-tracker].wrap:has(> .error) .clear-status { position: static; }\n"
    "[data-testid=status-tracker].wrap > .error { white-space: pre-line; max-width: min(28rem, 70vw); }\n"
    "[data-testid=status-tracker].wrap > .error[data-reason]::after { content: '\\A' attr(data-reason); font-size: var(--text-sm); }\n"
    ":has(> [data-testid=status-tracker].wrap > .error) > :not([data-testid=status-tracker]) { opacity: 0.45; }\n"
    ":has(> [data-testid=status-tracker].wrap > .error) .modebar-container { display: none; }\n"  # the badge sits there
)
# The badge also gives the failure's reason, from the toast that said it (the toast goes, the badge stays).
# A badge drawn just before its toast arrives takes that toast's reason too.
ERROR_REASONS_JS = """() => {
  let reason = '', since = 0;
  new MutationObserver(() => {
    const fresh = [...document.querySelectorAll('.toast-message-text.error:not([data-read])')];
    fresh.forEach((text) => { text.dataset.read = '1'; reason = text.textContent.trim(); since = Date.now(); });
    document.querySelectorAll('[data-testid=status-tracker].wrap > .error').forEach((badge) => {
      const stale = !badge.dataset.reason || (fresh.length && Date.now() - Number(badge.dataset.since) < 1000);
      if (reason && stale && badge.dataset.reason !== reason) {
        badge.dataset.reason = reason;
        badge.dataset.since = String(since);
        badge.title = reason;
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
RADIO_GROUPS_JS = """() => {
  const group = () => document.querySelectorAll('fieldset').forEach((fieldset, i) => {
    const name = `ntl-radio-${fieldset.id || i}`;
    fieldset.querySelectorAll('input[type=radio]').forEach((radio) => { if (radio.name !== name) radio.name = name; });
  });
  group();
  new MutationObserver(group).observe(document.body, {childList: true, subtree: true});
}"""


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
LAUNCH_OPTIONS = {"i18n": GRADIO_WORDS, "css": CSS + classroom.PROJECTOR_CSS + classroom.NOTICE_CSS + EMPTY_FIGURE_CSS + KEEP_DRAWING_ON_ERROR_CSS + TOASTS_BELOW_CSS + SLIDER_LABEL_CSS + FOCUS_CSS + MARKDOWN_TABLE_CSS + FIGURE_CSS + error_words_css(), "js": f"() => {{ ({KEYBOARD_COMMITS_JS})(); ({ERROR_REASONS_JS})(); ({RADIO_GROUPS_JS})(); ({FIGURE_LAYOUT_JS})(); }}",
                  "ssr_mode": False, "share": False, "footer_links": ["api"], "show_error": True,
                  "state_session_capacity": SESSIONS_KEPT}
# A full queue answers "Queue is full" at once; two model calls run at a time on a 2-core box.
CONCURRENCY = 2
QUEUE_OPTIONS = {"max_size": 64, "default_concurrency_limit": CONCURRENCY}
hub = ModelHub(gpt2_folder=os.environ.get("NEXT_TOKEN_LAB_GPT2_FOLDER"))
demo = build_demo(hub)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's per-thread memory pools before the server's threads start.

    Each worker thread that allocates gets its own arena (up to 8 per core), and tensors freed
    there stay mapped: over 600 requests the server grew from 630 to 741 MB and was still
    climbing; with two arenas it settled near 660 MB (measured). No-op without glibc.
    """
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def trim_freed_memory_every(seconds: float = 10.0) -> threading.Thread | None:
    """Hand freed heap pages back to the system every ``seconds``, on a background thread.

    glibc raises its mmap threshold after the first large free, so vocabulary-sized tensors then
    come from the heap, and a few small results that outlive them (a cached Padding-lab
    comparison's top tokens) pin whole stretches of it: 100 new Padding-lab batches took the
    server from 440 to 800–880 MB (measured). ``malloc_trim`` releases the free pages inside the
    heap (about 6 ms a call, arenas locked meanwhile); a fixed mmap threshold would too, but made
    sampled generation 20–28 % slower. No-op without glibc.
    """
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None

    def trim_forever() -> None:
        while True:
            time.sleep(seconds)
            trim(0)

    thread = threading.Thread(target=trim_forever, name="malloc-trim", daemon=True)
    thread.start()
    return thread


def main() -> None:
    limit_malloc_arenas()
    trim_freed_memory_every()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gpt2-folder", help="local folder with GPT-2's config.json + model.safetensors")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    args = parser.parse_args()
    if args.gpt2_folder:
        hub.gpt2_folder = Path(args.gpt2_folder)
    # Two requests run at once; each gets its share of the cores instead of fighting over all of them.
    torch.set_num_threads(int(os.environ.get("NEXT_TOKEN_LAB_THREADS", max(1, (os.cpu_count() or 1) // CONCURRENCY))))
    hub.get("bundled")  # load before serving so the first click is fast
    demo.queue(**QUEUE_OPTIONS).launch(
        server_name=args.host, server_port=args.port, **LAUNCH_OPTIONS
    )


if __name__ == "__main__":
    main()
