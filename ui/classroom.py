"""Classroom tools around the tabs: deep links, a copy-link button, prepared lessons, projector mode, CSV.

Everything here works through the tabs' ``TabLink`` registrations, so a new tab gets links, presets
and CSV export by registering its inputs, handler and outputs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import gradio as gr

from viz.common import FONT_SIZE
from viz.export import figures_to_csv

from .common import Translated, normalise_language, t
from .i18n import EN
from .deeplinks import DeepLinks, TabLink
from .presets import presets_markdown

PROJECTOR_FONT_SIZE = 17
# Projector mode: large page text (CSS), and every figure's font relaid out in the browser
# (``ui/figure_layout.py``): the ones on the page now, and every figure drawn later while it is on.
PROJECTOR_JS = f"""(on) => {{
  document.body.classList.toggle('ntl-projector', Boolean(on));
  try {{ localStorage.setItem('ntl-projector', on ? '1' : '0'); }} catch (error) {{}}  // kept for the next page
  window.ntlFigureFont = on ? {PROJECTOR_FONT_SIZE} : {FONT_SIZE};
  if (window.ntlLayoutFigures) window.ntlLayoutFigures();
}}"""
# A lesson opened from the presets, or a reload, keeps the projector on (this browser only: a copied
# link does not switch it on for a student at home).
REMEMBERED_PROJECTOR_JS = "() => { try { return localStorage.getItem('ntl-projector') === '1'; } catch (error) { return false; } }"


def run_section_js(links: DeepLinks) -> str:
    """Page-load JS for a link's ``run=section``: once the linked tab has drawn its own example (so the
    link's values are in the inputs), press that section's button, as a person would. A person who
    acts first (a click, a key) keeps the page as they make it: the press is called off."""
    buttons = {tab: link.section_buttons for tab, link in links.tabs.items() if link.section_buttons}
    return f"""() => {{
  const query = new URLSearchParams(location.search), buttons = {json.dumps(buttons)};
  const tab = query.get('tab'), run = query.get('run');
  if (!Object.hasOwn(buttons, tab) || !Object.hasOwn(buttons[tab], run)) return;
  const id = buttons[tab][run], started = Date.now();
  let calledOff = false;
  const callOff = () => {{ calledOff = true; }};
  ['pointerdown', 'keydown'].forEach((kind) => document.addEventListener(kind, callOff, {{once: true, capture: true}}));
  const press = () => {{
    if (calledOff) return;
    const button = document.getElementById(id);
    const panel = button && button.closest('[role=tabpanel]');
    if (button && button.offsetParent && panel && panel.querySelector('.js-plotly-plot .main-svg')) button.click();
    else if (Date.now() - started < 120000) setTimeout(press, 250);
  }};
  press();
}}"""


ABSOLUTE_LINK_JS = (
    "(query) => { if (!query) return query; const url = location.origin + location.pathname + query;"
    " if (navigator.clipboard) { navigator.clipboard.writeText(url).catch(() => {}); } return url; }"
)
# The opened link's notice reads as a note, not as part of the lesson text.
NOTICE_CSS = """
#link-notice { border-left: 4px solid var(--color-accent); background: var(--background-fill-secondary);
  padding: 0.4em 0.8em; border-radius: var(--radius-sm); }
"""
PROJECTOR_CSS = """
body.ntl-projector .gradio-container { --text-sm: 16px; --text-md: 20px; --text-lg: 24px; --text-xl: 30px;
  --body-text-color: #000; --block-label-text-color: #000; --body-text-color-subdued: #111;
  --block-label-text-size: 18px; --block-info-text-size: 16px; --block-title-text-size: 20px; --input-text-size: 20px;
  --button-small-text-size: 18px; --button-medium-text-size: 20px; --button-large-text-size: 22px;
  --section-header-text-size: 20px; --block-info-text-color: #222; --block-title-text-color: #000;
  --checkbox-label-text-size: 18px; }
body.ntl-projector button[role=tab] { font-size: 20px; }
/* Chinese labels break at their brackets, not inside a word ("核采/样") */
body.ntl-projector label span, body.ntl-projector .ntl-table th { word-break: keep-all; }
body.ntl-projector textarea { field-sizing: content; height: auto !important; }  /* every line of a prompt stays in view */
body.ntl-projector .gradio-container, body.ntl-projector .prose { font-size: 20px; color: #000; }
body.ntl-projector .ntl-chip { font-size: 1.3em; border-width: 2px; }
body.ntl-projector .gallery-item { font-size: 18px; }  /* the Examples under a text box */
body.ntl-projector .ntl-table { font-size: 1.15em; }
"""


@dataclass
class ClassroomBar:
    projector: gr.Checkbox
    copy_link: gr.Button
    link_box: gr.Textbox
    notice: gr.Markdown
    csv_button: gr.Button
    csv_file: gr.File


def build_bar(translated: Translated, tab_titles: dict[str, str]) -> ClassroomBar:
    """The row of classroom controls shown above the tabs."""
    with gr.Row(equal_height=True):
        projector = translated(gr.Checkbox(False, label=t("app.projector"), elem_id="projector"), label="app.projector")
        copy_link = translated(gr.Button(t("app.copy_link"), size="sm", elem_id="copy-link"), value="app.copy_link")
        csv_button = translated(gr.Button(t("app.csv"), size="sm", elem_id="csv-button"), value="app.csv")
    link_box = translated(gr.Textbox(label=t("app.link"), interactive=False, visible=False, elem_id="link-box",
                                     buttons=["copy"], max_lines=2), label="app.link")
    csv_file = translated(gr.File(label=t("app.csv_file"), visible=False, elem_id="csv-file"), label="app.csv_file")
    notice = gr.Markdown(visible=False, elem_id="link-notice")
    with translated(gr.Accordion(t("app.presets"), open=False, elem_id="presets"), label="app.presets"):
        titles = {tab: key for tab, key in tab_titles.items()}
        translated(gr.Markdown(presets_markdown("en", {k: t(v, "en") for k, v in titles.items()})),
                   value=lambda language: presets_markdown(language, {k: t(v, language) for k, v in titles.items()}))
    return ClassroomBar(projector, copy_link, link_box, notice, csv_button, csv_file)


def components_in(block, kind: type) -> list:
    """Every component of ``kind`` inside ``block`` (a tab), in page order. The CSV export covers a
    tab's figures (``gr.Plot``) and the tables in its HTML outputs (``gr.HTML``)."""
    found = []
    for child in getattr(block, "children", []):
        if isinstance(child, kind):
            found.append(child)
        found.extend(components_in(child, kind))
    return found


def panels_in(block, heading: str = "") -> list[tuple[gr.JSON, str]]:
    """Every JSON panel inside ``block`` with the text key (or label) of the accordion holding it:
    the numbers a tab shows beside its figures (Tab 1's token ids, each section's facts), also exported."""
    found = []
    for child in getattr(block, "children", []):
        if isinstance(child, gr.JSON):
            found.append((child, heading))
        if isinstance(child, gr.Accordion):
            found.extend(panels_in(child, getattr(child, "label_key", None) or child.label))
        else:
            found.extend(panels_in(child, heading))
    return found


EXPORTS_KEPT_SECONDS = 3600  # long enough to download; Gradio serves its own copy afterwards


def _export_root() -> Path:
    """The one folder this process writes CSV files under, cleared of exports older than an hour
    on every export, so a term of clicks does not pile up in the temporary directory."""
    root = Path(tempfile.gettempdir()) / f"next-token-lab-exports-{os.getpid()}"
    root.mkdir(exist_ok=True)
    for old in root.iterdir():
        if time.time() - old.stat().st_mtime > EXPORTS_KEPT_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    return root


def wire(demo: gr.Blocks, links: DeepLinks, tabs: gr.Tabs, tab_components: dict[str, gr.Tab], bar: ClassroomBar,
         language, model_choice, warm_up: tuple[Callable, list, list]) -> None:
    """Events: remember the open tab, build links, open links on load, projector mode, CSV export.

    On load: the link's values, then ``warm_up`` (load and describe the model the link chose), then
    the linked tab's example."""
    current_tab = gr.State(next(iter(tab_components)))
    examples_run = gr.State([])

    fields = [(tab_id, name, component) for tab_id, link in links.tabs.items() for name, component in link.fields.items()]
    field_components = [component for _, _, component in fields]

    def make_link(tab_id: str, language_code: str, model_name: str, *values):
        """The query string that reopens the current tab with its current inputs (the box appears with it)."""
        chosen = {name: value for (tab, name, _), value in zip(fields, values) if tab == tab_id}
        return gr.update(value=links.to_query(tab_id, chosen, language_code, model_name), visible=True)

    bar.copy_link.click(make_link, [current_tab, language, model_choice, *field_components], bar.link_box,
                        api_name="make_link").then(None, bar.link_box, bar.link_box, js=ABSOLUTE_LINK_JS)

    def open_link(request: gr.Request):
        """Apply the page URL's query parameters; returns updates for every linkable input."""
        params = dict(request.query_params) if request is not None else {}
        tab_id, values, notices = links.from_query(params)
        updates = [gr.Tabs(selected=tab_id) if tab_id else gr.skip(),
                   gr.update(value=values["model"]) if "model" in values else gr.skip()]
        updates += [gr.update(value=values[name]) if tab == tab_id and name in values else gr.skip()
                    for tab, name, _ in fields]
        link_language = values.get("lang", "en")
        text = t("app.link_notice", link_language).format(notices=t("link.separator", link_language).join(notices)) if notices else ""
        # Without a link the first tab's example runs anyway (it is cheap), so the page never opens blank.
        # That tab counts as visited at once: selecting it (a link does) must not run it a second time.
        opened = tab_id or next(iter(tab_components))
        updates += [gr.update(value=text, visible=bool(notices)), tab_id or gr.skip(), opened, [opened]]
        return updates

    pending = gr.State("")
    runnable = [link for link in links.tabs.values() if link.handler is not None]
    run_inputs = list(dict.fromkeys(c for link in runnable for c in link.inputs))
    run_outputs = list(dict.fromkeys(c for link in runnable for c in link.outputs))

    def runs(tab_id: str) -> bool:
        return bool(tab_id) and tab_id in links.tabs and links.tabs[tab_id].handler is not None

    def draw(link: TabLink, values: list) -> list:
        """``link``'s handler on its own inputs' ``values``, spread over every tab's outputs."""
        result = link.handler(*values)
        produced = dict(zip(link.outputs, result if isinstance(result, tuple) else (result,)))
        return [produced.get(c, gr.skip()) for c in run_outputs]

    def run_link(tab_id: str, *values):
        """Run the linked tab's example with the values the link just filled in."""
        if not runs(tab_id):
            return [gr.skip()] * len(run_outputs)
        by_component = dict(zip(run_inputs, values))
        return draw(links.tabs[tab_id], [by_component[c] for c in links.tabs[tab_id].inputs])

    # What each tab was last drawn from (tab id → its inputs' values), so that a language switch
    # changes the words of the open tab and nothing else: a prompt edited since, without its button
    # pressed, is not drawn by the switch.
    drawn_from = gr.State({})

    def remember(tab_id: str, drawn: dict, *values):
        if not runs(tab_id):
            return gr.skip()
        by_component = dict(zip(run_inputs, values))
        return {**drawn, tab_id: [by_component[c] for c in links.tabs[tab_id].inputs]}

    for tab_id, link in links.tabs.items():
        for event in link.drawn_by:
            event.success(lambda drawn, *values, tab_id=tab_id: {**drawn, tab_id: list(values)}, [drawn_from, *link.inputs],
                          drawn_from, queue=False, api_name=f"remember_{tab_id}", api_visibility="private")

    def redraw_open_tab(tab_id: str, language_code: str, drawn: dict):
        """The open tab in the new language, from the inputs it was drawn with. Inputs that no longer
        run keep the drawing, as sections do, instead of answering a language switch with an error."""
        if not runs(tab_id) or tab_id not in drawn:
            return [gr.skip()] * len(run_outputs)
        link = links.tabs[tab_id]
        try:
            return draw(link, [language_code if c is language else v for c, v in zip(link.inputs, drawn[tab_id])])
        except gr.Error:
            return [gr.skip()] * len(run_outputs)

    # Tabs whose example has run in this page: a tab opened for the first time runs its example
    # (tens of milliseconds on the bundled model), so no tab ever shows empty figure boxes.

    def run_once(tab_id: str, done: list[str], drawn: dict, *values):
        if not tab_id or tab_id in done:
            return [gr.skip(), gr.skip()] + [gr.skip()] * len(run_outputs)
        return [done + [tab_id], remember(tab_id, drawn, *values)] + run_link(tab_id, *values)

    def select(tab_id: str):
        """Open ``tab_id``; the link and the CSV file made for the previous tab are put away."""
        return tab_id, gr.update(visible=False), gr.update(value=None, visible=False)

    # Not the opened link's notice: selecting the link's tab (and the first tab, on load) fires this too.
    for tab_id, tab in tab_components.items():
        tab.select(lambda tab_id=tab_id: select(tab_id), None, [current_tab, bar.link_box, bar.csv_file],
                   api_name=f"select_{tab_id}", api_visibility="private").then(
            run_once, [current_tab, examples_run, drawn_from, *run_inputs], [examples_run, drawn_from, *run_outputs],
            api_name=f"first_visit_{tab_id}", api_visibility="private")

    # A person's language switch redraws the open tab in the new language (the link handler with the
    # inputs it was drawn from); every other tab forgets that it was shown, so it redraws on its next visit.
    # ``input``, not ``change``: the language detected on load must not race a link's own run.
    # The opened link's notice, written in the link's language, is put away.
    # Sections drawn by their own button (samples, the KV cache, ...) redraw after that, so the
    # figures a person is looking at change first: the browser sends a trigger's events one by one.
    redrawn = language.input(lambda tab_id: ([tab_id], gr.update(visible=False)), current_tab, [examples_run, bar.notice], queue=False,
                             api_name="forget_drawn_tabs", api_visibility="private").then(
        redraw_open_tab, [current_tab, language, drawn_from], run_outputs, api_name="redraw_in_language", api_visibility="private")
    for link in links.tabs.values():
        for section in link.sections:
            redrawn.then(section.redraw, section.inputs, section.outputs, api_name=section.name, api_visibility="private")

    demo.load(open_link, None, [tabs, model_choice, *field_components, bar.notice, current_tab, pending, examples_run],
              api_name="open_link", api_visibility="private").then(
        *warm_up, api_name="warm_up", api_visibility="private").then(
        run_link, [pending, *run_inputs], run_outputs, api_name="run_link", api_visibility="private").success(
        remember, [pending, drawn_from, *run_inputs], drawn_from, queue=False, api_name="remember_link",
        api_visibility="private")

    demo.load(None, None, None, js=run_section_js(links), api_name="run_linked_section", api_visibility="private")
    bar.projector.change(None, bar.projector, None, js=PROJECTOR_JS, api_name="projector", api_visibility="private")
    demo.load(None, None, bar.projector, js=REMEMBERED_PROJECTOR_JS, api_name="projector_remembered", api_visibility="private")

    plots = {tab_id: components_in(tab, gr.Plot) for tab_id, tab in tab_components.items()}
    panels = {tab_id: panels_in(tab) for tab_id, tab in tab_components.items()}
    all_plots = list(dict.fromkeys(p for group in plots.values() for p in group))
    all_panels = list(dict.fromkeys(p for group in panels.values() for p, _ in group))
    tables = {tab_id: components_in(tab, gr.HTML) for tab_id, tab in tab_components.items()}
    all_tables = list(dict.fromkeys(h for group in tables.values() for h in group))

    def export_csv(tab_id: str, language_code: str, *values):
        """Write the open tab's figures, tables and JSON panels as one CSV file named after the tab."""
        by_component = dict(zip(all_plots + all_panels + all_tables, values))
        chosen = [getattr(figure, "plot", figure) for plot in plots.get(tab_id, [])
                  if (figure := by_component.get(plot)) is not None]
        language_code = normalise_language(language_code)
        section = {heading: t(heading, language_code) if heading in EN else heading for _, heading in panels.get(tab_id, [])}
        headings = [heading for _, heading in panels.get(tab_id, [])]
        # Several panels under one heading (tab 5 has one per section) are numbered 1, 2, 3 under it.
        counted: Counter[str] = Counter()
        shown = {}
        for panel, heading in panels.get(tab_id, []):
            counted[heading] += 1
            shown[section[heading] if headings.count(heading) == 1 else f"{section[heading]} {counted[heading]}"] = \
                by_component.get(panel)
        if tab_id not in tab_components or not chosen and all(value in (None, {}, []) for value in shown.values()):
            raise gr.Error(t("err.no_figures", language_code), title=t("err.title", language_code))
        path = Path(tempfile.mkdtemp(dir=_export_root())) / f"next-token-lab-{tab_id}.csv"
        # With a byte-order mark, Excel reads the file as UTF-8 (a Chinese Windows would guess GBK).
        markup = [by_component.get(html) for html in tables.get(tab_id, [])]
        path.write_text(figures_to_csv(chosen, shown, markup), encoding="utf-8-sig", newline="")
        return gr.File(value=str(path), visible=True)

    bar.csv_button.click(export_csv, [current_tab, language, *all_plots, *all_panels, *all_tables], bar.csv_file,
                         api_name="export_csv")
