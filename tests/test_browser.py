"""Headless Chromium walks every tab in both languages, runs its example and waits for the figure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("NTL_SCREENSHOTS", Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TABS = [  # (tab id, button to press, element that must render)
    ("tokens", "#tok-run", "#tok-chips .ntl-chip"),
    ("attention", "#att-run", "#att-heatmap .js-plotly-plot"),
    ("padding", "#pad-run", "#pad-grids .js-plotly-plot"),
    ("sampling", "#smp-run", "#smp-stages .js-plotly-plot"),
    ("inside", "#ins-probe-run", "#ins-lens .js-plotly-plot"),
]

pytestmark = pytest.mark.browser
# Figures whose title or summary runs past their right edge (Plotly never wraps; it cuts text off).
TITLES_CUT_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((plot) => {
  const title = plot.querySelector('.gtitle');
  if (!title || !plot.offsetParent) return [];
  return title.getBoundingClientRect().right > plot.getBoundingClientRect().right + 1 ? [title.textContent.slice(0, 60)] : [];
})"""
# Figures whose title block (title + wrapped summary) reaches below the top of any text inside the figure.
TITLE_OVERLAPS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((plot) => {
  const title = plot.querySelector('.gtitle');
  if (!title || !plot.offsetParent) return [];
  const bottom = title.getBoundingClientRect().bottom;
  const below = [...plot.querySelectorAll('.annotation-text, .xtick text, .ytick text')]
    .map((e) => e.getBoundingClientRect().top).filter((top) => top > 0);
  return below.some((top) => top < bottom - 1) ? [title.textContent.slice(0, 60)] : [];
})"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, locale: str | None = "en-US"):
    """A page as a laptop shows it; ``locale=None`` keeps the browser's own."""
    return browser.new_page(viewport={"width": 1400, "height": 1000}, **({"locale": locale} if locale else {}))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_tab_renders_without_errors(app_url, browser, language):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locale = "zh-CN" if language == "zh" else "en-US"
    page = new_page(browser, locale)
    errors, foreign, overlaps = [], [], []
    local_host = urlparse(app_url).hostname
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url)
            if urlparse(r.url).hostname not in (local_host, "localhost", "127.0.0.1", None) and not r.url.startswith("data:") else None)
    page.goto(app_url)
    page.wait_for_selector("#model-status", timeout=30_000)
    expected_title = "分词" if language == "zh" else "Tokenization"
    page.get_by_role("tab", name=expected_title, exact=False).wait_for(timeout=15_000)
    for tab_id, button, rendered in TABS:
        page.locator(f"button[role=tab][id$='{tab_id}-button'], button[role=tab]").nth([t[0] for t in TABS].index(tab_id)).click()
        page.locator(button).click()
        page.wait_for_selector(rendered, timeout=60_000)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / f"{tab_id}-{language}.png"), full_page=True)
        overlaps += page.evaluate(TITLE_OVERLAPS_JS)
    # Every word on the page, the hidden ones a screen reader reads too, is a word and not a key.
    text = page.evaluate("document.body.innerText")
    page.close()
    from ui.i18n import EN

    keys = [key for key in [*EN, "common.complete", "common.error"] if key in text]
    assert not keys, f"translation keys shown instead of words: {keys}"
    assert not overlaps, f"a figure's title or summary runs into its panel titles: {overlaps}"
    assert not foreign, f"requests to non-local hosts: {foreign}"
    assert not errors, f"console errors: {errors}"


def test_deep_link_opens_the_tab_with_its_inputs_and_figure(app_url, browser):
    from urllib.parse import urlencode

    query = urlencode({"tab": "padding", "lang": "zh", "strategy": "right-masked", "new": "6",
                       "prompts": "Friends, Romans, countrymen\nHAMLET:\nAll the world's a stage", "bogus": "1"})
    page = new_page(browser)
    page.goto(f"{app_url}?{query}")
    page.wait_for_selector("#pad-grids .js-plotly-plot", timeout=60_000)
    assert "HAMLET:" in page.locator("#pad-prompts textarea").input_value()
    assert "right-masked" in page.locator("#pad-grids").inner_text()
    assert page.get_by_role("tab", name="填充实验", exact=False).get_attribute("aria-selected") == "true"
    assert "bogus" in page.locator("#link-notice").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "deep-link-padding-zh.png"), full_page=True)
    page.locator("#language label", has_text="English").click()  # written in the link's language, it goes
    page.locator("#link-notice").wait_for(state="hidden", timeout=10_000)
    page.close()


def test_keyboard_only_walk_through_the_tokenization_tab(app_url, browser):
    page = new_page(browser)
    page.goto(app_url)
    page.wait_for_selector("#tok-chips .ntl-chip", timeout=30_000)  # the opening example has run
    page.locator("#tok-text textarea").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("keyboard only 键盘")
    for _ in range(12):  # tab forward until the run button has focus, then press Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "tok-run":
            break
    assert page.evaluate("document.activeElement.id") == "tok-run", "the run button is reachable by Tab"
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#tok-chips').innerText.includes('keyboard')", timeout=30_000)
    for _ in range(40):  # the small controls show where the focus is
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.matches('#projector input')"):
            break
    outline = page.evaluate("(({outlineStyle, outlineWidth}) => [outlineStyle, parseFloat(outlineWidth)])(getComputedStyle(document.activeElement))")
    assert outline[0] != "none" and outline[1] >= 2, f"the focused checkbox is visibly marked: {outline}"
    page.close()


def test_a_radio_group_is_one_tab_stop_and_its_arrow_keys_choose(app_url, browser):
    page = new_page(browser)
    page.goto(f"{app_url}?tab=padding")
    page.wait_for_selector("#pad-grids .js-plotly-plot", timeout=60_000)
    names = page.evaluate("""() => [...document.querySelectorAll('fieldset')].filter((f) => f.querySelector('input[type=radio]'))
        .map((f) => new Set([...f.querySelectorAll('input[type=radio]')].map((r) => r.name)).size)""")
    assert names and set(names) == {1}, f"each group's options share one name: {names}"
    page.locator("#language input[value=en]").focus()
    page.keyboard.press("Tab")
    assert not page.evaluate("document.activeElement.matches('#language input')"), "中文 is not a second Tab stop"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.value") == "en"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.documentElement.lang === 'zh'", timeout=30_000)
    assert page.locator("#language input[value=zh]").is_checked()
    page.close()


def test_plotlys_and_gradios_own_words_follow_the_pages_language(app_url, browser):
    """The figure toolbar's tooltips (Plotly's), and a slider's number box and reset button (Gradio's)."""
    from ui.i18n import t

    page = new_page(browser)
    page.goto(f"{app_url}?tab=sampling&lang=zh")
    page.wait_for_selector("#smp-stages .js-plotly-plot .gtitle", timeout=60_000)
    tooltips = "() => [...document.querySelectorAll('#smp-stages .modebar-btn')].map((b) => b.dataset.title).slice(0, 2)"
    controls = """() => { const slider = [...document.querySelectorAll('.block')].find((b) => b.querySelector('input[type=range]'));
        return [slider.querySelector('input[type=number]').getAttribute('aria-label'), slider.querySelector('.reset-button').title]; }"""
    label = page.evaluate("() => [...document.querySelectorAll('.block')].find((b) => b.querySelector('input[type=range]')).querySelector('[data-testid=block-info]').textContent.trim()")
    assert page.evaluate(tooltips) == [t("fig.download_png", "zh"), t("fig.reset_axes", "zh")]
    assert page.evaluate(controls) == [t("a11y.number_box", "zh").format(label=label), t("a11y.reset", "zh")]
    page.locator("#language input[value=en]").check()
    page.wait_for_function(f"({tooltips})()[0] === {t('fig.download_png', 'en')!r}", timeout=30_000)
    page.wait_for_timeout(500)
    label = page.evaluate("() => [...document.querySelectorAll('.block')].find((b) => b.querySelector('input[type=range]')).querySelector('[data-testid=block-info]').textContent.trim()")
    assert page.evaluate(controls) == [t("a11y.number_box", "en").format(label=label), t("a11y.reset", "en")]
    page.close()


def test_projector_mode_and_copy_link(app_url, browser):
    page = new_page(browser)
    page.goto(app_url)
    page.wait_for_selector("#projector input")
    page.locator("#projector input").check()
    page.wait_for_function("document.body.classList.contains('ntl-projector')")
    from ui.classroom import PROJECTOR_FONT_SIZE

    page.get_by_role("tab", name="Sampling", exact=False).click()  # figures drawn after the switch grow too
    page.wait_for_selector("#smp-stages .js-plotly-plot")
    page.wait_for_function(f"[...document.querySelectorAll('.js-plotly-plot')].every("
                           f"p => p._fullLayout && p._fullLayout.font.size === {PROJECTOR_FONT_SIZE})")
    page.wait_for_timeout(300)
    assert page.evaluate(TITLE_OVERLAPS_JS) == [], "larger text still leaves the panel titles clear"
    assert page.evaluate("getComputedStyle(document.querySelector('.ntl-table th')).wordBreak") == "keep-all", \
        "table headings break at word boundaries, not inside a Chinese word"
    panel_titles = page.evaluate("[...document.querySelectorAll('#smp-stages .annotation-text')].map(e => e.getBoundingClientRect().height)")
    tick_labels = page.evaluate("[...document.querySelectorAll('#smp-stages .xtick text')].map(e => e.getBoundingClientRect().height)")
    assert panel_titles and min(panel_titles) > max(tick_labels), "panel titles grow with the rest"
    token_labels = page.evaluate("Math.min(...[...document.querySelectorAll('#smp-stages .ytick text')].map(e => parseFloat(e.style.fontSize)))")
    assert token_labels >= 14, "the bars' token labels (their own size) grow too"
    sizes = page.evaluate("""() => ['#smp-prompt label span', 'button[role=tab]', '#smp-run', '.gallery-item'].map(
        s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))""")
    assert min(sizes) >= 18, f"control labels, tabs, buttons and examples are readable from the back: {sizes}"
    assert page.evaluate("getComputedStyle(document.querySelector('#smp-prompt label span')).wordBreak") == "keep-all", \
        "larger Chinese labels break at their brackets, not inside a word"
    prompt = page.locator("#smp-prompt textarea")
    assert prompt.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), "no line of the prompt is cut off"
    sliders = page.evaluate("""() => [...document.querySelectorAll('.head:has(> .tab-like-container)')].filter((h) => h.offsetParent).map((head) => {
        const name = head.querySelector('label [data-testid=block-info]');
        const range = document.createRange(); range.selectNodeContents(name);
        return [name.textContent, new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size,
                Math.round(head.querySelector('input[type=number]').getBoundingClientRect().top)]; })""")
    assert len(sliders) >= 5 and all(lines == 1 for _, lines, _ in sliders), f"each slider's label on one line: {sliders}"
    assert len({top for _, _, top in sliders[:5]}) == 1, f"the five knobs' number boxes line up: {sliders}"
    assert page.locator("#link-box").count() == 0 or not page.locator("#link-box").is_visible(), "no empty box before a link"
    page.locator("#copy-link").click()
    page.wait_for_function("(document.querySelector('#link-box textarea, #link-box input') || {value: ''}).value.includes('tab=sampling')")
    link = page.locator("#link-box textarea, #link-box input").first.input_value()
    assert link.startswith(app_url.rstrip("/")) and "prompt=" in link
    page.locator("button[role=tab]").nth(4).click()
    page.locator("#link-box").wait_for(state="hidden", timeout=10_000)  # the sampling link does not linger
    page.locator("button[role=tab]").nth(4).click()  # the longest summaries sit over panel titles here
    for button, figure in (("#ins-kv-run", "#ins-kv-timing"), ("#ins-dec-run", "#ins-dec-bars"),
                           ("#ins-about-run", "#ins-about-curves")):
        page.locator(button).click()
        page.wait_for_function(f"document.querySelector('{figure} .js-plotly-plot')?._fullLayout?.font.size === {PROJECTOR_FONT_SIZE}",
                               timeout=60_000)
    page.wait_for_timeout(300)
    assert page.evaluate(TITLE_OVERLAPS_JS) == []
    assert page.evaluate(TITLES_CUT_JS) == [], "half-width figures keep their summaries at projector size"
    cell_text = page.evaluate("document.querySelector('#ins-lens .js-plotly-plot').data[0].textfont.size")
    assert cell_text >= 13, f"the tokens written in the logit lens's cells grow too ({cell_text} px)"
    page.locator("button[role=tab]").nth(1).click()
    page.wait_for_function(f"document.querySelector('#att-mask .js-plotly-plot')?._fullLayout?.font.size === {PROJECTOR_FONT_SIZE}",
                           timeout=60_000)
    page.wait_for_timeout(300)
    assert page.evaluate(TITLES_CUT_JS) == []
    page.goto(f"{app_url}?tab=padding")  # a reload, or a lesson opened from the presets: still on
    page.wait_for_function("document.body.classList.contains('ntl-projector')", timeout=30_000)
    assert page.locator("#projector input").is_checked()
    page.locator("#projector input").uncheck()
    page.reload()
    page.wait_for_selector("#pad-grids .js-plotly-plot", timeout=60_000)
    assert not page.locator("#projector input").is_checked() and page.evaluate("!document.body.classList.contains('ntl-projector')")
    page.close()


# [has a scrolling box, that box inside the page, the table still displayed as a table] for a table.
SCROLLS_INSIDE_THE_PAGE_JS = """(selector) => { const table = document.querySelector(selector);
  let box = table.parentElement; while (box && getComputedStyle(box).overflowX !== 'auto') box = box.parentElement;
  return [Boolean(box) && box.scrollWidth >= table.offsetWidth, Boolean(box) && box.getBoundingClientRect().right <= innerWidth,
          getComputedStyle(table).display]; }"""
SUMMARY_LINES_JS = "(selector) => (document.querySelector(selector).layout.title.text.match(/<sup>/g) || []).length"


def test_figure_titles_and_summaries_fit_the_figures_width_and_name_it(app_url, browser):
    page = new_page(browser)
    page.goto(f"{app_url}?tab=padding")
    plot = "#pad-grids .js-plotly-plot"
    page.wait_for_selector(f"{plot} .gtitle", timeout=60_000)
    # The server wraps this summary for a half-width figure (two lines); on a full-width one it is one line.
    served = page.evaluate(f"() => document.querySelector('{plot}').layout.meta.summary")
    from viz.common import wrapped

    assert len(wrapped(served)) == 2
    page.wait_for_function(f"({SUMMARY_LINES_JS})('{plot}') === 1", timeout=10_000)
    assert page.evaluate(TITLES_CUT_JS) == [] and page.evaluate(TITLE_OVERLAPS_JS) == []
    plot_area = page.evaluate(f"document.querySelector('{plot}')._fullLayout._size.h")  # the grids themselves
    # A screen reader meets the figure as one image named by its title and summary; a keyboard
    # meets two toolbar buttons, not eight and a logo.
    role, name = page.eval_on_selector(f"{plot} svg.main-svg", "(svg) => [svg.getAttribute('role'), svg.getAttribute('aria-label')]")
    assert role == "img" and name.startswith("What the first forward pass sees") and name.endswith(served)
    toolbar = page.eval_on_selector_all(f"{plot} .modebar-btn", "(all) => all.filter((b) => getComputedStyle(b).display !== 'none').length")
    assert toolbar == 2
    # A figure drawn now is laid out before Plotly draws it: no second draw to fit its title.
    page.evaluate("""() => { window.relayouts = 0; const relayout = window.Plotly.relayout;
        window.Plotly.relayout = (...args) => { window.relayouts += 1; return relayout(...args); }; }""")
    page.locator("#pad-strategy input").click()
    page.get_by_role("option", name="left", exact=False).first.click()
    page.wait_for_function(f"document.querySelector('{plot} .gtitle')?.textContent.includes('left:')", timeout=30_000)
    page.wait_for_timeout(500)
    assert page.evaluate(f"({SUMMARY_LINES_JS})('{plot}')") == 1 and page.evaluate("window.relayouts") == 0
    page.set_viewport_size({"width": 480, "height": 1000})  # a phone: more lines, titles too, none cut off
    page.wait_for_function(f"({SUMMARY_LINES_JS})('{plot}') >= 2", timeout=10_000)
    page.wait_for_timeout(300)
    assert page.evaluate(TITLES_CUT_JS) == [] and page.evaluate(TITLE_OVERLAPS_JS) == []
    resized_area = page.evaluate(f"document.querySelector('{plot}')._fullLayout._size.h")
    assert abs(resized_area - plot_area) <= 1, f"longer titles add height, not take it from the grids: {plot_area} → {resized_area}"
    tabs = page.eval_on_selector_all("button[role=tab]", "(all) => all.filter((tab) => tab.offsetParent).length")
    assert tabs == 5 and not page.get_by_label("More tabs").is_visible(), "every tab in the bar, none behind a menu"
    # The strategy table is wider than a phone: it stays inside the page and scrolls to its verdicts.
    assert page.evaluate(SCROLLS_INSIDE_THE_PAGE_JS, ".ntl-table") == [True, True, "table"]
    from ui.classroom import PROJECTOR_FONT_SIZE

    page.locator("#projector input").check()  # a figure already drawn grows with its text
    page.wait_for_function(f"document.querySelector('{plot}')._fullLayout.font.size === {PROJECTOR_FONT_SIZE}", timeout=10_000)
    page.wait_for_timeout(500)
    assert page.evaluate(f"document.querySelector('{plot}')._fullLayout._size.h") > resized_area
    assert page.evaluate(TITLES_CUT_JS) == []
    page.close()


# Per figure: panel titles that overlap each other, and text wider than the heatmap cell it is written in.
PANEL_TITLES_OVERLAP_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter((plot) => plot.offsetParent).flatMap((plot) => {
  const boxes = [...plot.querySelectorAll('.annotation-text')].map((e) => e.getBoundingClientRect());
  const apart = (a, b) => a.right <= b.left + 1 || b.right <= a.left + 1 || a.bottom <= b.top + 1 || b.bottom <= a.top + 1;
  return boxes.some((a, i) => boxes.slice(i + 1).some((b) => !apart(a, b))) ? [plot.layout.meta.title_units.join('')] : [];
})"""
CELL_TEXT_OVERFLOWS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter((plot) => plot.offsetParent).flatMap((plot) =>
  plot._fullData.filter((trace) => trace.type === 'heatmap' && trace.texttemplate).flatMap((trace) => {
    const cell = plot._fullLayout[trace.xaxis.replace('x', 'xaxis')]._length / trace.z[0].length - (trace.xgap || 0);
    const texts = [...plot.querySelectorAll(`.subplot.${trace.xaxis}${trace.yaxis} .heatmaplayer text`)];
    return texts.filter((text) => text.getBBox().width > cell).map((text) => `${text.textContent}: ${text.getBBox().width} > ${cell}`);
  }))"""
GRID_COLUMNS_JS = """(selector) => { const layout = document.querySelector(selector).layout;
  const top = layout.yaxis.domain[1];
  return Object.keys(layout).filter((key) => /^yaxis[0-9]*$/.test(key) && Math.abs(layout[key].domain[1] - top) < 1e-9).length; }"""


# Per figure: panel titles that touch a tick label or an axis title (the row above's), or run past the figure's sides.
PANEL_TITLES_CLASH_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter((plot) => plot.offsetParent).flatMap((plot) => {
  const titles = [...plot.querySelectorAll('.annotation-text')].map((e) => [e.textContent, e.getBoundingClientRect()]);
  const labels = [...plot.querySelectorAll('.xtick text, .g-xtitle text, .ytick text')].map((e) => e.getBoundingClientRect());
  const edges = plot.getBoundingClientRect();
  const apart = (a, b) => a.right <= b.left + 1 || b.right <= a.left + 1 || a.bottom <= b.top + 1 || b.bottom <= a.top + 1;
  return titles.filter(([, box]) => labels.some((label) => !apart(box, label)) || box.left < edges.left - 1 || box.right > edges.right + 1)
    .map(([text]) => `${plot.layout.meta.title_units.join('')}: ${text}`);
})"""


@pytest.mark.parametrize(("query", "projector"), [
    ("?tab=attention", False), ("?tab=padding", False), ("?tab=sampling", True), ("?tab=inside&run=decoding", True),
    # a wide letter and a narrow one: which text is widest is measured, not counted in characters
    ("?tab=padding&prompts=mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm%0A%2C%2C%2C%2C%2C%2C%2C%2C+a", False),
])
def test_on_a_phone_panels_titles_and_cell_text_never_overlap(app_url, browser, query, projector):
    """A grid of panels reflows into fewer columns, heatmap cell text shrinks to its cells (tokens
    are cut to fit), titles shrink to their panels, and titles with long summaries push the
    panels down, on a 390 px phone, in projector mode too."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True, has_touch=True)
    page.goto(f"{app_url}{query}")
    page.wait_for_selector(".js-plotly-plot .gtitle", timeout=60_000)
    if "run=decoding" in query:
        page.wait_for_selector("#ins-dec-bars .js-plotly-plot .gtitle", timeout=90_000)
    if projector:
        page.locator("#projector input").check()
    page.wait_for_timeout(1500)
    assert page.evaluate(TITLES_CUT_JS) == [] and page.evaluate(TITLE_OVERLAPS_JS) == []
    assert page.evaluate(PANEL_TITLES_OVERLAP_JS) == [] and page.evaluate(PANEL_TITLES_CLASH_JS) == []
    assert page.evaluate(CELL_TEXT_OVERFLOWS_JS) == []
    if "tab=padding" in query:  # the tokens are still there to read, cut to fit where they must be
        tokens = page.eval_on_selector_all("#pad-grids .subplot.xy .heatmaplayer text", "(all) => all.map((e) => e.textContent)")
        assert sum(1 for token in tokens if token and token != "…") >= 6, tokens
    if query == "?tab=attention":
        heads = "#att-heads .js-plotly-plot"
        assert page.evaluate(GRID_COLUMNS_JS, heads) == 2
    page.close()


def test_a_wide_window_gets_the_servers_grid_back_exactly(app_url, browser):
    page = new_page(browser)
    page.goto(f"{app_url}?tab=attention")
    heads = "#att-heads .js-plotly-plot"
    page.wait_for_selector(f"{heads} .gtitle", timeout=60_000)
    page.wait_for_timeout(1000)
    shape = f"() => {{ const p = document.querySelector('{heads}'); return [p._fullLayout.height, p.layout.yaxis.domain, p.layout.yaxis5.domain]; }}"
    served = page.evaluate(shape)
    assert page.evaluate(GRID_COLUMNS_JS, heads) == 4
    page.set_viewport_size({"width": 390, "height": 900})
    page.wait_for_function(f"({GRID_COLUMNS_JS})('{heads}') === 2", timeout=10_000)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_function(f"({GRID_COLUMNS_JS})('{heads}') === 4", timeout=10_000)
    page.wait_for_timeout(1000)
    height, first, fifth = page.evaluate(shape)
    assert abs(height - served[0]) <= 2, f"{served[0]} px served, {height} px after a phone's width and back"
    assert first == pytest.approx(served[1], abs=0.01) and fifth == pytest.approx(served[2], abs=0.01)
    assert page.evaluate(PANEL_TITLES_OVERLAP_JS) == [] and page.evaluate(PANEL_TITLES_CLASH_JS) == []
    page.locator("#projector input").check()  # larger titles shrink a little rather than break the grid
    page.wait_for_timeout(1500)
    assert page.evaluate(GRID_COLUMNS_JS, "#att-gallery .js-plotly-plot") == 4
    assert page.evaluate(GRID_COLUMNS_JS, heads) == 4
    page.close()


def test_two_failures_a_moment_apart_keep_their_own_reasons(app_url, browser):
    from ui.i18n import t

    page = new_page(browser)
    page.goto(f"{app_url}?tab=inside")
    page.wait_for_selector("#ins-lens .js-plotly-plot", timeout=60_000)
    page.locator("#ins-probe-text textarea").fill("")
    page.locator("#ins-tf-input textarea").fill("")
    page.locator("#ins-probe-run").click()
    page.wait_for_timeout(400)
    page.locator("#ins-tf-run").click()
    page.wait_for_function("document.querySelectorAll('.toast-message-text.error').length >= 2", timeout=30_000)
    page.wait_for_timeout(1000)
    reason = "(selector) => document.querySelector(`${selector} [data-testid=status-tracker] .error`).dataset.reason"
    assert page.evaluate(reason, "#ins-lens").startswith(t("ins.probe_text", "en") + ":")
    assert page.evaluate(reason, "#ins-tf-bars").startswith(t("ins.tf.text", "en") + ":")
    page.close()


def test_the_kv_steps_cannot_be_touched_before_a_run(app_url, browser):
    """Leaving the step box (Tab, a click) fires its release: before a run that was an error toast."""
    page = new_page(browser)
    page.goto(f"{app_url}?tab=inside")
    controls = "#ins-kv-step-number input[type=number], #ins-kv-step-number input[type=range], #ins-kv-next"
    page.wait_for_selector("#ins-lens .js-plotly-plot", timeout=60_000)
    assert page.eval_on_selector_all(controls, "(all) => all.map((e) => e.disabled)") == [True, True, True]
    page.locator("#ins-kv-step-number input[type=number]").click(force=True)  # what raised two toasts before a run
    page.keyboard.press("Tab")
    page.wait_for_timeout(1500)
    assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
    page.locator("#ins-kv-run").click()
    page.wait_for_selector("#ins-kv-timing .js-plotly-plot", timeout=60_000)
    assert page.eval_on_selector_all(controls, "(all) => all.map((e) => e.disabled)") == [False, False, False]
    page.locator("#ins-kv-step-number input[type=range]").focus()
    for _ in range(6):  # quick key presses: each releases the slider, and the last one is the step shown
        page.keyboard.press("ArrowRight", delay=20)
    page.wait_for_function("document.querySelector('#ins-kv-step').innerText.includes('7 / ')", timeout=30_000)
    page.wait_for_timeout(1500)
    assert "7 / " in page.locator("#ins-kv-step").inner_text()
    assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
    page.close()


def test_the_training_report_on_a_phone_breaks_between_words(app_url, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
    page.goto(f"{app_url}?tab=inside")
    page.wait_for_selector("#ins-about-run", timeout=60_000)
    page.locator("#ins-about-run").click()
    page.wait_for_selector("#ins-about table td", timeout=60_000)
    styles = page.eval_on_selector_all("#ins-about table td", "(all) => [...new Set(all.map((td) => getComputedStyle(td).wordBreak + ' ' + getComputedStyle(td).overflowWrap))]")
    assert styles == ["normal normal"], styles
    assert page.evaluate(SCROLLS_INSIDE_THE_PAGE_JS, "#ins-about table") == [True, True, "table"]
    page.close()


def test_a_lesson_link_runs_the_section_it_names(app_url, browser):
    from ui.presets import load_presets, preset_query

    lesson = next(p for p in load_presets() if p["query"].get("run") == "decoding")
    page = browser.new_page(viewport={"width": 420, "height": 900}, locale="en-US")  # a phone
    page.goto(f"{app_url}{preset_query(lesson, 'en')}")
    page.wait_for_selector("#ins-dec-bars .js-plotly-plot", timeout=90_000)  # drawn without a click
    assert "greedy" in page.locator("#ins-dec-table").inner_text()
    assert page.locator("#ins-kv-timing .js-plotly-plot").count() == 0, "only the section the link names"
    # Redrawn in Chinese while its tab is hidden, the figure's title still fits when the tab is back.
    page.locator("button[role=tab]").nth(0).click()
    page.get_by_text("中文").click()
    page.wait_for_timeout(3000)
    page.locator("button[role=tab]").nth(4).click()
    page.wait_for_function("/[\\u4e00-\\u9fff]/.test(document.querySelector('#ins-dec-bars .gtitle')?.textContent || '')", timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.evaluate(TITLES_CUT_JS) == []
    page.close()


def test_csv_download_holds_the_open_tabs_numbers(app_url, browser):
    import urllib.request

    page = new_page(browser)
    page.goto(f"{app_url}?tab=padding")
    page.wait_for_selector("#pad-grids .js-plotly-plot", timeout=60_000)
    page.locator("#csv-button").click()
    page.wait_for_selector("#csv-file a", timeout=30_000)
    href = page.locator("#csv-file a").first.get_attribute("href")
    url = href if href.startswith("http") else f"{app_url}/{href.lstrip('/')}"
    rows = urllib.request.urlopen(url).read().decode("utf-8-sig").splitlines()
    assert rows[0] == "figure,trace,x,y,value" and len(rows) > 50
    assert any("right-naive" in row for row in rows[1:])
    assert any("(blue = attended) · text" in row for row in rows[1:]), "the token grid's words, not only its colours"
    page.locator("button[role=tab]").nth(0).click()
    page.locator("#csv-file").wait_for(state="hidden", timeout=10_000)  # the padding file is not offered on Tokens
    page.close()


def test_choosing_gpt2_offline_falls_back_to_the_bundled_model(app_url, browser):
    page = new_page(browser, None)
    page.goto(app_url)
    status = page.locator("#model-status")
    status.get_by_text("bundled").wait_for(timeout=30_000)
    page.locator("#model-choice input").click()
    page.get_by_role("option", name="gpt2").click()
    page.get_by_text("could not be loaded here").first.wait_for(timeout=30_000)  # the warning says why
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "gpt2-offline.png"))
    assert page.locator("#model-choice input").input_value() == "bundled"
    page.wait_for_timeout(1500)  # the fallback's own change of the dropdown must not describe it again
    warnings = " ".join(page.locator(".toast-body").all_inner_texts())
    assert warnings.count("could not be loaded here") == 1, f"one choice, one attempt, one warning: {warnings!r}"
    assert "bundled ·" in status.inner_text() and "could not be loaded here" in status.inner_text()
    assert page.locator(".error").count() == 0, "no control is left showing Error"
    page.locator("#language label", has_text="中文").click()  # the note stays, in the new language
    page.wait_for_function("document.querySelector('#model-status').innerText.includes('无法加载 gpt2')", timeout=30_000)
    page.locator("#model-choice input").click()
    page.get_by_role("option", name="bundled").click()  # a person's own choice ends the fallback
    page.wait_for_function("!document.querySelector('#model-status').innerText.includes('gpt2')", timeout=30_000)
    page.close()


def test_teacher_forcing_marks_generated_tokens_that_match_the_text_in_green(app_url, browser):
    page = new_page(browser)
    page.goto(f"{app_url}?tab=inside")
    page.locator("#ins-tf-run").click()
    page.wait_for_selector("#ins-tf-generation .ntl-match", timeout=60_000)
    colours = page.evaluate("""() => ['.ntl-match', '.ntl-diverge', '.ntl-prompt'].map(
        c => getComputedStyle(document.querySelector('#ins-tf-generation ' + c)).color)""")
    page.locator("#ins-tf-generation").screenshot(path=str(SCREENSHOTS / "teacher-forcing.png"))
    page.close()
    assert colours[0] == "rgb(0, 158, 115)", "a matching token is green"
    assert len(set(colours)) == 3, "match, divergence and prompt are told apart"


def test_each_tab_shows_its_example_on_first_visit_without_a_click(app_url, browser):
    page = new_page(browser)
    page.goto(app_url)
    page.wait_for_selector("#tok-chips .ntl-chip", timeout=30_000)
    for tab_id, _, rendered in TABS[1:]:
        page.locator("button[role=tab]").nth([t[0] for t in TABS].index(tab_id)).click()
        page.wait_for_selector(rendered, timeout=60_000)
    page.close()


def test_switching_language_redraws_the_open_tab_and_later_the_others(app_url, browser):
    page = new_page(browser)
    page.goto(app_url)
    page.wait_for_selector("#tok-chips .ntl-chip", timeout=30_000)
    page.locator("button[role=tab]").nth(3).click()  # sampling, drawn in English
    page.wait_for_function("document.querySelector('#smp-stages .gtitle')?.textContent.length > 0", timeout=60_000)
    english = page.locator("#smp-stages .gtitle").first.text_content()
    page.locator("#smp-generate").click()  # a section drawn by its own button redraws too
    page.wait_for_selector("#smp-generated .ntl-lines", timeout=60_000)
    english_generation = page.locator("#smp-generated").inner_text()
    page.locator("#language label", has_text="中文").click()
    page.wait_for_function(f"document.querySelector('#smp-stages .gtitle')?.textContent !== {english!r}", timeout=30_000)
    assert any("\u4e00" <= c <= "\u9fff" for c in page.locator("#smp-stages .gtitle").first.text_content())
    # (Its text changes first while the redraw is pending: wait for the words, not for any change.)
    page.wait_for_function("/[\u4e00-\u9fff]/.test(document.querySelector('#smp-generated').innerText)", timeout=30_000)
    assert page.locator("#smp-generated").inner_text() != english_generation
    assert page.locator("#smp-histogram .js-plotly-plot").count() == 0, "a section never drawn stays empty"
    page.locator("button[role=tab]").nth(0).click()  # tokens: drawn in English before the switch
    page.wait_for_function("document.querySelector('#tok-chips h4')?.textContent.includes('个词元')", timeout=30_000)
    page.locator("button[role=tab]").nth(4).click()
    page.locator("#ins-kv-run").click()  # drawn in Chinese, then the page goes back to English
    page.wait_for_function("/[\u4e00-\u9fff]/.test(document.querySelector('#ins-kv-timing .gtitle')?.textContent)", timeout=60_000)
    page.locator("#language label", has_text="English").click()
    page.wait_for_function("!/[\u4e00-\u9fff]/.test(document.querySelector('#ins-kv-timing .gtitle').textContent)", timeout=30_000)
    page.close()


def test_the_token_chips_follow_the_special_token_box_and_the_examples_without_the_button(app_url, browser):
    page = new_page(browser, "zh-CN")
    page.goto(app_url)
    page.wait_for_selector("#tok-chips .ntl-chip", timeout=30_000)
    page.get_by_text("Hello<|endoftext|>World").first.click()  # an example: its tokens, not the old text's
    page.wait_for_function("document.querySelector('#tok-chips').innerText.includes('World')", timeout=30_000)
    assert page.locator("#tok-text label span").first.inner_text() == "文本", "choosing an example keeps the label's language"
    as_text = page.locator("#tok-chips h4").first.inner_text()
    page.get_by_text("把 <|endoftext|> 当作特殊词元").click()
    page.wait_for_function(f"document.querySelector('#tok-chips h4').innerText !== {as_text!r}", timeout=30_000)
    assert page.locator("#tok-chips h4").first.inner_text().startswith("gpt2 · 3 ")  # Hello, <|endoftext|>, World
    page.close()


def test_a_language_switch_redraws_the_tab_and_its_sections_from_the_inputs_they_were_drawn_with(app_url, browser):
    """A seed and a prompt changed after drawing, no button pressed: the switch changes the words, not the numbers."""
    page = new_page(browser)
    page.goto(f"{app_url}?tab=sampling")
    page.wait_for_selector("#smp-stages .js-plotly-plot", timeout=60_000)
    page.locator("#smp-generate").click()
    page.wait_for_selector("#smp-generated .ntl-lines", timeout=60_000)
    generated = ""
    while generated != (generated := page.locator("#smp-generated .ntl-lines").inner_text()):  # until the stream ends
        page.wait_for_timeout(1000)
    stage_tokens = page.evaluate("[...document.querySelectorAll('#smp-stages .ytick text')].map(e => e.textContent)")
    page.locator("#smp-seed input").fill("7")
    page.locator("#smp-prompt textarea").fill("JULIET:")
    page.locator("#language label", has_text="中文").click()
    page.wait_for_function("/[\u4e00-\u9fff]/.test(document.querySelector('#smp-generated').innerText)", timeout=30_000)
    assert page.locator("#smp-generated .ntl-lines").inner_text() == generated
    page.wait_for_function("/[\u4e00-\u9fff]/.test(document.querySelector('#smp-stages .gtitle').textContent)", timeout=30_000)
    assert page.evaluate("[...document.querySelectorAll('#smp-stages .ytick text')].map(e => e.textContent)") == stage_tokens, \
        "the open tab too: the prompt typed since is not drawn until its button is pressed"
    page.close()


def test_choosing_another_view_redraws_without_the_button(app_url, browser):
    page = new_page(browser)
    page.goto(f"{app_url}?tab=padding")
    page.wait_for_function("document.querySelector('#pad-grids .gtitle')?.textContent.includes('right-naive')", timeout=60_000)
    page.locator("#pad-strategy input").click()
    page.get_by_role("option", name="left", exact=False).first.click()
    page.wait_for_function("document.querySelector('#pad-grids .gtitle')?.textContent.includes('left')", timeout=30_000)
    page.locator("button[role=tab]").nth(1).click()
    page.wait_for_function("document.querySelector('#att-heatmap .gtitle')?.textContent.includes('padding')", timeout=60_000)
    page.locator("#att-row label", has_text="A").click()  # row A is the longer prompt: no pads
    page.wait_for_function("!document.querySelector('#att-heatmap .gtitle').textContent.includes('padding')", timeout=30_000)
    from ui.i18n import t

    layer_box = page.locator(f"input[type=number][aria-label='{t('a11y.number_box').format(label=t('att.layer'))}']")
    layer_box.fill("2")
    layer_box.press("Enter")  # a typed number counts on Enter, as a drag does on release
    page.wait_for_function("document.querySelector('#att-heatmap .gtitle').textContent.includes('Layer 2')", timeout=30_000)
    layer_box.fill("9")  # past the bundled model's last layer: brought inside, not sent as typed
    layer_box.press("Enter")
    import app

    last = app.hub.get("bundled").model.config.n_layer - 1
    page.wait_for_function(f"document.querySelector('#att-heatmap .gtitle').textContent.includes('Layer {last},')", timeout=30_000)
    layer_slider = page.locator("input[type=range][aria-label='range slider for Layer']")
    layer_slider.focus()
    page.keyboard.press("Home")  # a keyboard moves the slider and redraws, as a drag does on release
    page.wait_for_function("document.querySelector('#att-heatmap .gtitle').textContent.includes('Layer 0,')", timeout=30_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#att-heatmap .gtitle').textContent.includes('Layer 1,')", timeout=30_000)
    assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
    page.close()


@pytest.fixture
def larger_gpt2(tmp_path):
    """For one test, "gpt2" is a random 12-layer, 12-head GPT made here (the bundled one is smaller)."""
    import torch

    import app
    from model import GPT, GPTConfig
    from model.checkpoint import save_checkpoint

    torch.manual_seed(0)
    save_checkpoint(GPT(GPTConfig(n_positions=64, n_embd=24, n_layer=12, n_head=12)), tmp_path, dtype=torch.float32)
    app.hub.gpt2_folder = tmp_path
    try:
        yield
    finally:
        app.hub.gpt2_folder = None  # back to the Hub (offline here), the folder's model forgotten


def test_a_smaller_model_moves_the_view_onto_its_last_layer_and_head(app_url, browser, larger_gpt2):
    import app

    config = app.hub.get("bundled").model.config
    page = new_page(browser)
    page.goto(f"{app_url}?tab=attention&model=gpt2&layer=10&head=11")
    page.wait_for_function("document.querySelector('#att-heatmap .gtitle')?.textContent.includes('10')", timeout=60_000)
    page.locator("#model-choice input").click()
    page.get_by_role("option", name="bundled").click()
    page.locator("#model-status").get_by_text("bundled").wait_for(timeout=30_000)
    page.locator("#att-run").click()
    expected = f"{config.n_layer - 1}, head {config.n_head - 1}"
    page.wait_for_function(f"document.querySelector('#att-heatmap .gtitle')?.textContent.includes({expected!r})",
                           timeout=30_000)
    assert page.locator(".toast-body").count() == 0, page.locator(".toast-body").all_inner_texts()
    page.close()


@pytest.mark.parametrize(("locale", "asked", "title"), [
    ("en-US", "", "Could not run this"), ("zh-CN", "", "无法运行"),
    ("fr-FR", "", "Could not run this"),  # a language the page lacks: English
    ("zh-CN", "&lang=en", "Could not run this"),  # a link's language wins over the browser's
])
def test_error_toasts_are_titled_in_the_pages_language(app_url, browser, locale, asked, title):
    """Gradio titles a toast "Error" whatever title the server sends; the page's CSS puts ours there."""
    page = new_page(browser, locale)
    page.goto(f"{app_url}?tab=sampling{asked}")
    page.wait_for_selector("#smp-stages .js-plotly-plot", timeout=60_000)
    page.locator("#smp-prompt textarea").fill("  ")
    page.locator("#smp-run").click()
    toast_title = page.locator(".toast-title.error").first
    toast_title.wait_for(timeout=30_000)
    assert toast_title.evaluate("(e) => getComputedStyle(e, '::before').content") == f'"{title}"'
    assert toast_title.evaluate("(e) => getComputedStyle(e).fontSize") == "0px", "Gradio's own word is hidden"
    assert page.evaluate("document.documentElement.lang") == ("zh" if title == "无法运行" else "en")
    toast, switch = page.locator(".toast-body").first.bounding_box(), page.locator("#language").bounding_box()
    assert toast["y"] > switch["y"] + switch["height"], "the toast leaves the language switch uncovered"
    tracker = page.locator("#smp-stages [data-testid=status-tracker]")
    page.wait_for_function("document.querySelector('#smp-stages [data-testid=status-tracker] .error') !== null")
    covered = tracker.bounding_box()
    assert covered["height"] < 80 and page.locator("#smp-stages .js-plotly-plot").is_visible(), \
        f"the last good drawing stays in view under a corner badge, not an opaque box ({covered})"
    badge = page.locator("#smp-stages [data-testid=status-tracker] .error")
    words = badge.evaluate("(e) => getComputedStyle(e, '::before').content")
    assert words == ('"未重画：上次运行失败"' if title == "无法运行" else '"Not redrawn: the last run failed"'), words
    # and why: the toast goes after a few seconds, the badge keeps its reason
    reason = page.locator(".toast-message-text.error").first.inner_text().strip()
    assert reason and page.wait_for_function("(e) => e.dataset.reason", arg=badge.element_handle(), timeout=5_000)
    assert badge.evaluate("(e) => getComputedStyle(e, '::after').content") == f'"\\a {reason}"'
    assert badge.get_attribute("title") == reason
    faded = page.evaluate("""() => { let e = document.querySelector('#smp-stages .js-plotly-plot'), o = 1;
        for (; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o; }""")
    assert faded < 0.6, f"the previous drawing is faded, so it is not read as this input's ({faded})"
    page.close()
