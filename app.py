"""Next-Token Lab: the Gradio page. Composes the tabs in ``ui/`` over the engine in ``model/``.

Run ``python app.py`` (binds 127.0.0.1; set GRADIO_SERVER_NAME=0.0.0.0 to expose, as Spaces does).
``--gpt2-folder`` points the GPT-2 choice at a local HF-layout folder instead of the Hub.
"""

from __future__ import annotations

import argparse
import ctypes
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

from ui import classroom, page, tab_attention, tab_inside, tab_padding, tab_sampling, tab_tokens  # noqa: E402
from ui.common import Translated, friendly, t  # noqa: E402
from ui.deeplinks import DeepLinks  # noqa: E402
from ui.hub import MODEL_CHOICES, ModelHub, ModelUnavailableError  # noqa: E402
from ui.i18n import LANGUAGES  # noqa: E402

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
LAUNCH_OPTIONS = {"i18n": page.GRADIO_WORDS, "css": page.CSS, "js": page.JS,
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
