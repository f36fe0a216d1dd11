"""Deep links, presets, CSV export, palette and the Space files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import numpy as np
import pytest

from model import get_tokenizer

ROOT = Path(__file__).resolve().parent.parent

# One non-default, valid value per linkable input, per tab.
LINK_STATES = {
    "tokens": {"text": "你好 🍎", "special": True, "bytes": False},
    "attention": {"a": "To be or not", "b": "Hi", "side": "right", "mask": "prefix_lm", "prefix": 3, "window": 2,
                  "layer": 1, "head": 2, "row": 1, "extend": 4},
    "padding": {"prompts": "one\ntwo three", "new": 7, "strategy": "right-naive", "row": 1},
    "inside": {"text": "Hello there", "k": 3, "a": -1, "b": 1, "decoding": "KING:", "teacher": "To be"},
    "sampling": {"prompt": "KING:", "penalty": 1.3, "temperature": 0.7, "top_k": 40, "top_p": 0.85, "min_p": 0.05,
                 "draws": 2000, "seed": 9, "new": 12},
}


@pytest.fixture(scope="module")
def links():
    import app

    return app.demo.deep_links


@pytest.mark.parametrize("tab", sorted(LINK_STATES))
def test_deep_link_round_trip(links, tab):
    state = LINK_STATES[tab]
    assert set(state) == set(links.tabs[tab].fields), "every linkable input is covered"
    query = links.to_query(tab, state, "zh", "bundled")
    parsed_tab, values, notices = links.from_query(dict(parse_qsl(urlparse(query).query)))
    assert notices == [] and parsed_tab == tab
    assert values.pop("lang") == "zh" and values.pop("model") == "bundled"
    assert values == state


def test_links_write_whole_numbers_as_slider_values_arrive():
    from ui.deeplinks import DeepLinks
    import gradio as gr

    links = DeepLinks()
    with gr.Blocks():
        links.tab("padding").fields.update(new=gr.Slider(1, 48, step=1), side=gr.Slider(0.0, 1.0, step=0.1))
    query = links.to_query("padding", {"new": 10.0, "side": 0.5})
    assert "new=10&" in query + "&" and "side=0.5" in query


def test_prepared_lessons_keep_each_heading_out_of_the_bullet_above_it():
    from ui.presets import presets_markdown

    text = presets_markdown("en", {"tokens": "Tokens", "padding": "Padding"})
    assert text.startswith("**Tokens**\n\n- [") and "\n\n**Padding**\n\n- [" in text


def test_malformed_links_are_ignored_with_a_notice(links):
    tab, values, notices = links.from_query(
        {"tab": "padding", "strategy": "sideways", "new": "NaN", "row": "99", "colour": "red", "model": "/etc/passwd"}
    )
    assert tab == "padding" and values == {}
    assert len(notices) == 5
    assert links.from_query({"tab": "nowhere"})[0] is None


def test_a_fractional_index_in_a_link_is_dropped_with_a_notice(links):
    _, values, notices = links.from_query({"tab": "attention", "layer": "1.5", "head": "2.0"})
    assert values.get("head") == 2 and "layer" not in values
    assert notices == ["layer='1.5' (expected a whole number)"]


def test_a_link_past_the_models_last_layer_is_dropped_with_a_notice(links):
    import app

    config = app.hub.get("bundled").model.config
    last_layer, last_head = config.n_layer - 1, config.n_head - 1
    assert last_layer < 11 and last_head < 11, "the slider allows more than this model has"
    query = {"tab": "attention", "layer": str(last_layer + 1), "head": str(last_head)}
    _, values, notices = links.from_query(query)
    assert values == {"head": last_head}
    assert notices == [f"layer='{last_layer + 1}' (outside 0…{last_layer})"]
    assert links.from_query({**query, "layer": str(last_layer)})[1]["layer"] == last_layer
    for below_or_huge in ("-1", "99999999999999999999"):  # the range named is this model's, whichever side is missed
        assert links.from_query({**query, "layer": below_or_huge})[2] == [f"layer={below_or_huge!r} (outside 0…{last_layer})"]
    assert links.from_query({"tab": "sampling", "temperature": "NaN"})[2] == ["temperature='NaN' (expected a number)"]


def test_a_model_limit_is_asked_for_only_when_the_value_is_a_number(links):
    """Asking for GPT-2's last layer may load GPT-2: not for ``layer=abc``."""
    limits, asked = links.tabs["attention"].model_limits, []
    original = limits["layer"]
    limits["layer"] = lambda name: asked.append(name) or original(name)
    try:
        assert links.from_query({"tab": "attention", "layer": "abc", "model": "gpt2"})[2] == ["layer='abc' (expected a number)"]
        assert asked == []
        links.from_query({"tab": "attention", "layer": "1"})
        assert asked == ["bundled"]
    finally:
        limits["layer"] = original


def test_a_link_may_name_a_section_of_its_tab_to_run(links):
    tab, values, notices = links.from_query({"tab": "inside", "run": "decoding"})
    assert (tab, values, notices) == ("inside", {"run": "decoding"}, [])
    _, values, notices = links.from_query({"tab": "inside", "run": "everything"})
    assert "run" not in values and notices == ["run='everything' (expected one of kv, decoding, teacher, about)"]
    _, values, notices = links.from_query({"tab": "sampling", "run": "decoding"})  # a tab without sections
    assert "run" not in values and notices == ["unknown parameter 'run'"]


def test_every_preset_is_a_valid_deep_link(links):
    from ui.presets import load_presets, preset_query

    presets = load_presets()
    assert {p["tab"] for p in presets} >= {"tokens", "attention", "padding", "sampling", "inside"}
    for preset in presets:
        assert preset["en"] and preset["zh"]
        tab, _, notices = links.from_query(dict(parse_qsl(preset_query(preset, "zh")[1:])))
        assert tab == preset["tab"] and notices == [], (preset, notices)


def test_csv_holds_the_plotted_numbers():
    from viz.attention import attention_heatmap
    from viz.export import figures_to_csv

    weights = np.array([[1.0, 0.0], [0.25, 0.75]])
    csv_text = figures_to_csv([attention_heatmap(weights, ["a", "b"], "T", "S").to_json()])
    rows = [line.split(",") for line in csv_text.strip().splitlines()[1:]]
    assert sorted(float(r[-1]) for r in rows) == sorted(weights.ravel().tolist())


def test_csv_export_covers_every_figure_on_the_page():
    import gradio as gr

    import app
    from ui.classroom import components_in

    tabs = [block for block in app.demo.blocks.values() if isinstance(block, gr.Tab)]
    exported = {id(plot) for tab in tabs for plot in components_in(tab, gr.Plot)}
    figures = [block for block in app.demo.blocks.values() if isinstance(block, gr.Plot)]
    assert len(figures) >= 15 and {id(f) for f in figures} == exported


def test_subplot_traces_are_named_by_their_panel_and_cell_words_are_exported():
    import csv
    import io

    import numpy as np

    from viz.common import visible_token
    from viz.export import figures_to_csv
    from viz.padding import layout_grids

    tokens = [["To", " be"], ["<pad>", "Hi"]]
    figure = layout_grids(tokens, np.array([[1, 1], [0, 1]]), np.array([[0, 1], [0, 0]]),
                          ("tokens", "attention mask", "position ids"), "T", "S")
    rows = list(csv.reader(io.StringIO(figures_to_csv([figure.to_json()]))))[1:]
    assert {row[1] for row in rows} == {"tokens", "tokens · text", "attention mask", "position ids"}
    assert [row[4] for row in rows if row[1] == "tokens · text"] == [visible_token(t) for row in tokens for t in row]


def test_csv_holds_plain_text_where_the_figure_holds_plotly_markup():
    import csv
    import io

    from viz.export import figures_to_csv

    figure = {"layout": {"title": {"text": "Rows of &lt;pad&gt; &amp; text<br><sub>summary</sub>"}},
              "data": [{"type": "heatmap", "name": "a &lt; b", "z": [[0.5, 0.25, 0, 1]], "x": [0, 1, 2, 3], "y": [0],
                        "text": [["&lt;|endoftext|&gt;", " the", "<pad>", "<b>a</b><br>b"]]}]}
    rows = list(csv.reader(io.StringIO(figures_to_csv([figure]))))[1:]
    assert {row[0] for row in rows} == {"Rows of <pad> & text"} and {row[1] for row in rows} == {"a < b", "a < b · text"}
    # As Plotly draws them: entities decoded, its formatting tags gone, any other "<...>" kept, spaces kept.
    assert [row[4] for row in rows if row[1].endswith("· text")] == ["<|endoftext|>", " the", "<pad>", "a b"]


def test_every_exported_panel_is_named_and_repeated_headings_count_from_one():
    import csv

    import gradio as gr

    import app
    from ui.classroom import panels_in
    from ui.i18n import t

    for tab in (b for b in app.demo.blocks.values() if isinstance(b, gr.Tab)):
        panels = panels_in(tab)
        assert all(heading for _, heading in panels), f"{tab.id}: a panel without a heading exports under no name"
        file = _export_csv(tab.id, "en", {panel: {"n": index} for index, (panel, _) in enumerate(panels)})
        with open(file.value["path"], encoding="utf-8-sig") as handle:
            names = [row[0] for row in list(csv.reader(handle))[1:]]
        headings = [t(heading, "en") for _, heading in panels]
        expected = [h if headings.count(h) == 1 else f"{h} {headings[:i + 1].count(h)}" for i, h in enumerate(headings)]
        assert names == expected, tab.id
    assert "Numbers behind the draws" in [t(h, "en") for tab in app.demo.blocks.values() if isinstance(tab, gr.Tab)
                                          for _, h in panels_in(tab)]


def test_json_panels_flatten_into_csv_rows():
    from viz.export import figures_to_csv, json_rows

    rows = list(json_rows("facts", {"ids": {"gpt2": [7, 8]}, "loop": None, "steps": [{"ms": 1.5}]}))
    assert rows == [("facts", "ids.gpt2", "0", "", 7), ("facts", "ids.gpt2", "1", "", 8), ("facts", "loop", "", "", None),
                    ("facts", "steps", "0", "ms", 1.5)]  # a list of flat records: index as x, field as y
    assert list(json_rows("t", {"nested": [{"a": [1]}]})) == [("t", "nested[0].a", "0", "", 1)]
    assert figures_to_csv([], {"empty": {}, "ids": [3]}).splitlines()[1:] == ["ids,,0,,3"]


def _export_csv(tab_id: str, language: str, filled: dict):
    """Call the page's CSV export as the button does, with ``filled`` {component: value} and the rest empty."""
    import app

    block_fn = next(f for f in app.demo.fns.values() if f.api_name == "export_csv")
    values = [filled.get(component) for component in block_fn.inputs[2:]]
    return block_fn.fn(tab_id, language, *values)


def test_csv_export_of_the_tokens_tab_holds_every_token_id_and_each_tokens_text_and_bytes():
    import csv

    import gradio as gr

    import app
    from ui.classroom import panels_in
    from ui.i18n import t
    from ui.tab_tokens import tokenize

    tokens_tab = next(b for b in app.demo.blocks.values() if isinstance(b, gr.Tab) and b.id == "tokens")
    (ids_panel, ids_heading), (each_panel, each_heading) = panels_in(tokens_tab)
    chips, stats, ids, each = tokenize("héllo 你好 🍎", False, True, "en")
    chips_html, stats_html = (next(b for b in app.demo.blocks.values() if getattr(b, "elem_id", None) == name)
                              for name in ("tok-chips", "tok-stats"))
    file = _export_csv("tokens", "en", {ids_panel: ids, each_panel: each, chips_html: chips, stats_html: stats})
    assert file.value["orig_name"] == "next-token-lab-tokens.csv"  # the name the download gets
    with open(file.value["path"], "rb") as handle:
        assert handle.read(3) == b"\xef\xbb\xbf", "a byte-order mark, so Excel reads UTF-8"
    with open(file.value["path"], encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[1:]
    # The comparison table: each tokenizer's counts, as numbers a spreadsheet can sum.
    table = {(r[1], r[2]): r[4] for r in rows if r[0] == t("tok.h.name", "en")}
    assert {name: int(table[(name, t("tok.h.tokens", "en"))]) for name in ids} == {name: len(v) for name, v in ids.items()}
    assert table[("gpt2", t("tok.h.bytes", "en"))] == str(len("héllo 你好 🍎".encode()))
    assert table[("gpt2", t("tok.h.vocab", "en"))] == "50257", "50,257 on the page, a number in the file"
    ids_rows = [r for r in rows if r[0] == t(ids_heading, "en")]  # one panel per heading: no number
    for name, expected in ids.items():
        assert [int(r[4]) for r in ids_rows if r[1] == name] == expected
    # One token per x, its fields as y: the text and bytes of every gpt2 token, in order.
    each_rows = [r for r in rows if r[0] == t(each_heading, "en") and r[1] == "gpt2"]
    gpt2 = get_tokenizer("gpt2")
    pieces = gpt2.pieces(ids["gpt2"])
    assert [r[4] for r in each_rows if r[3] == "text"] == [p.text for p in pieces]
    assert [r[4] for r in each_rows if r[3] == "bytes"] == [" ".join(f"{b:02X}" for b in p.bytes) for p in pieces]
    assert b"".join(bytes.fromhex(r[4]) for r in each_rows if r[3] == "bytes").decode() == "héllo 你好 🍎"
    file = _export_csv("tokens", "zh", {ids_panel: ids})
    with open(file.value["path"], encoding="utf-8-sig") as handle:
        assert {row[0] for row in list(csv.reader(handle))[1:]} == {t(ids_heading, "zh")} != {t(ids_heading, "en")}


def test_csv_export_before_anything_ran_says_so_in_the_page_language():
    import gradio as gr

    with pytest.raises(gr.Error, match="请先运行这一页"):
        _export_csv("padding", "zh", {})
    with pytest.raises(gr.Error, match="Run this tab first"):
        _export_csv("../../etc", "en", {})


def test_palettes_are_colour_blind_safe():
    from viz import palette

    assert palette.OKABE_ITO == ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"]
    assert set(palette.COLOUR_SCALES) <= {"Viridis", "Cividis", "Plasma", "Inferno", "Magma"}
    sources = "\n".join(p.read_text() for p in (ROOT / "viz").glob("*.py"))
    named = set(re.findall(r'colorscale="(\w+)"', sources))
    assert not named - {"Viridis", "Cividis"}, f"unvetted colour scales: {named}"
    assert not re.search(r"RdYlGn|RdBu|Jet|Rainbow|#FF0000|#00FF00", sources, re.IGNORECASE)


def test_space_files_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    assert requirements == project["dependencies"]
    front = (ROOT / "README.md").read_text().split("---")[1]
    meta = dict(line.split(": ", 1) for line in front.strip().splitlines())
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["python_version"] == '"3.11"'
    import gradio

    assert meta["sdk_version"] == gradio.__version__
    for key in ("title", "emoji", "short_description", "license"):
        assert meta.get(key)


def test_readme_python_api_runs_as_written(capsys):
    readme = (ROOT / "README.md").read_text()
    snippet = readme.split("## Python API")[1].split("```python\n")[1].split("```")[0]
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    assert [row.matches_alone for row in namespace["comparison"].rows["right-naive"]] == [True, False]
    assert namespace["out"].logits.shape[-1] == 50257


def test_server_binds_loopback_by_default():
    import app

    source = (ROOT / "app.py").read_text()
    assert 'os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")' in source
    assert app.LAUNCH_OPTIONS["share"] is False


def test_bars_and_lines_avoid_the_pale_yellow():
    sources = "\n".join(p.read_text() for p in (ROOT / "viz").glob("*.py") if p.name != "palette.py")
    assert "OKABE_ITO[i %" not in sources, "series colours cycle through SERIES_COLOURS (no yellow on white)"



def test_csv_exports_share_one_folder_that_drops_exports_older_than_an_hour():
    import os
    import time

    from ui.classroom import EXPORTS_KEPT_SECONDS, _export_root

    root = _export_root()
    old, recent = root / "old-export", root / "recent-export"
    old.mkdir(exist_ok=True), recent.mkdir(exist_ok=True)
    hours_ago = time.time() - EXPORTS_KEPT_SECONDS - 60
    os.utime(old, (hours_ago, hours_ago))
    assert _export_root() == root and not old.exists() and recent.exists()
    recent.rmdir()


def test_html_tables_export_cell_by_cell_with_their_headings():
    from viz.export import table_rows

    headed = ('<p>note</p><table class="ntl-table"><thead><tr><th>stage</th><th>tokens kept</th><th>entropy</th></tr></thead>'
              '<tbody><tr><td>model softmax</td><td>50,257</td><td>5.039</td></tr><tr><td>top-p</td><td>461</td><td>&lt;1</td></tr>'
              '</tbody></table><table><tr><td>not ours</td><td>1</td></tr></table>')
    assert list(table_rows(headed)) == [("stage", "model softmax", "tokens kept", "", 50257), ("stage", "model softmax", "entropy", "", 5.039),
                                        ("stage", "top-p", "tokens kept", "", 461), ("stage", "top-p", "entropy", "", "<1")]
    unheaded = '<table class="ntl-table"><tbody><tr><th>Step</th><td>1 / 6</td></tr><tr><th>max |Δlogit|</th><td>1.2e-05</td></tr></tbody></table>'
    assert list(table_rows(unheaded)) == [("Step", "Step", "", "", "1 / 6"), ("Step", "max |Δlogit|", "", "", 1.2e-05)]
    assert list(table_rows(None)) == []
    percent = '<table class="ntl-table"><thead><tr><th>strategy</th><th>repeated</th></tr></thead><tbody><tr><td>greedy</td><td>59%</td></tr></tbody></table>'
    assert list(table_rows(percent)) == [("strategy", "greedy", "repeated", "", 0.59)]
