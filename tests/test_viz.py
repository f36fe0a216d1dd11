"""viz/: arrays in, figures out; no torch, no gradio; the fast subplot grid equals plotly's own."""

import json
import math
import subprocess
import sys

import numpy as np

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from viz.common import PANEL_GAP_PX, SUMMARY_COLUMNS, TEMPLATE, TITLE_LINE_PX, cell_text, finish, subplots, wrapped
from viz.sampling import cumulative_curve


def test_viz_imports_neither_torch_nor_gradio():
    code = ("import sys, viz.attention, viz.common, viz.export, viz.inside, viz.padding, viz.sampling, viz.tokens; "
            "print(sorted(m for m in ('torch', 'gradio') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("panels, columns, spacing, widths", [
    (6, 4, (0.03, 0.08), None),
    (5, 3, (None, None), None),
    (3, 3, (0.04, None), [0.5, 0.25, 0.25]),
    (2, 2, (0.1, None), None),
    (4, 2, (None, None), [2, 1]),
])
def test_subplots_lays_out_panels_as_make_subplots_does(panels, columns, spacing, widths):
    titles = [f"panel {i}" for i in range(panels)]
    rows = -(-panels // columns)
    options = {k: v for k, v in zip(("horizontal_spacing", "vertical_spacing"), spacing) if v is not None}
    reference = make_subplots(rows=rows, cols=columns, subplot_titles=titles, column_widths=widths, **options)
    for i in range(panels):
        reference.add_trace(go.Bar(x=[1], y=[i]), row=i // columns + 1, col=i % columns + 1)
    ours = subplots([[go.Bar(x=[1], y=[i])] for i in range(panels)], columns, titles, column_widths=widths, **options)

    for i in range(panels):
        suffix = "" if i == 0 else str(i + 1)
        for axis in ("xaxis", "yaxis"):
            assert ours.layout[axis + suffix].domain == pytest.approx(reference.layout[axis + suffix].domain)
        assert (ours.data[i].xaxis, ours.data[i].yaxis) == (reference.data[i].xaxis, reference.data[i].yaxis)
    for mine, theirs in zip(ours.layout.annotations, reference.layout.annotations, strict=True):
        assert (mine.text, mine.x, mine.y) == (theirs.text, pytest.approx(theirs.x), pytest.approx(theirs.y))


def test_subplots_sets_shared_axis_settings_as_update_axes_would():
    cells = [[go.Bar(x=[1], y=[i])] for i in range(5)]
    ours = subplots(cells, 3, x_axis={"range": [0, 1], "title": {"text": "p"}}, y_axis={"autorange": "reversed"})
    reference = subplots([[go.Bar(x=[1], y=[i])] for i in range(5)], 3)
    reference.update_xaxes(range=[0, 1], title="p")
    reference.update_yaxes(autorange="reversed")
    assert json.loads(ours.to_json()) == json.loads(reference.to_json())


def test_a_grid_says_how_the_browser_may_reflow_it_and_finish_keeps_that():
    cells = [[go.Heatmap(z=[[0, 1]])] for _ in range(6)]
    fig = finish(subplots(cells, 4, [f"head {h}" for h in range(6)], horizontal_spacing=0.03, min_panel_px=70), "T", "S")
    assert fig.layout.meta["panels"] == {"count": 6, "columns": 4, "titles": 6, "title_size": 16, "gap_x": 0.03,
                                         "gap_y": 0.25, "gap_y_px": PANEL_GAP_PX, "min_px": 70}
    assert fig.layout.annotations[0].font.size == 16
    assert fig.layout.yaxis.domain[0] - fig.layout.yaxis5.domain[1] == pytest.approx(0.25)  # the gap the browser restores
    assert fig.layout.meta["summary"] == "S"
    assert "meta" not in subplots(cells, 4).to_plotly_json()["layout"]  # reflowing is asked for
    assert "meta" not in subplots(cells[:2], 2, column_widths=[2, 1], min_panel_px=70).to_plotly_json()["layout"]


def test_cell_text_sends_what_the_browser_measures_and_the_grid_shape():
    texts = [["·a", "好的"], ["·abcd", "1"], ["", "x"]]
    written = cell_text(texts, 11)
    # token text: the browser measures the trace's own texts (a width in characters is not a width in pixels)
    assert written["meta"]["cell_text"] == {"size": 11, "template": "%{text}", "rows": 3, "columns": 2}
    assert written["texttemplate"] == "%{text}" and written["textfont"] == {"size": 11}
    numbers = [[f"{v:.2f}" for v in row] for row in np.linspace(0, 1, 40).reshape(2, 20)]
    samples = cell_text(numbers, 11, "%{z:.2f}")["meta"]["cell_text"]["samples"]
    assert len(samples) == 12 and set(samples) <= {text for row in numbers for text in row}  # a few, not 40
    assert cell_text(texts, 11, "") == {"texttemplate": ""}  # no text in the cells: nothing to fit
    go.Heatmap(z=[[0, 1], [1, 0], [0, 0]], text=texts, **written)  # valid Plotly


def test_finish_adds_title_summary_and_the_light_template():
    fig = finish(go.Figure(go.Bar(x=[1], y=[2])), "Title <b>", "one line")
    assert fig.layout.title.text.startswith("Title &lt;b&gt;<br><sup>one line")
    assert fig.layout.meta["summary"] == "one line"
    assert fig.layout.template.layout.plot_bgcolor == TEMPLATE["layout"]["plot_bgcolor"] == "white"


@pytest.mark.parametrize("text", [
    "Cross-entropy in nats per token. Validation is whole works never trained on, so the gap is part "
    "unfamiliar text and not simply overfitting; the dotted line is what matters most here.",
    "颜色 = 该层已经给模型最终答案多大的概率；格中文字 = 该层自己的首选。最后一个位置上，最终答案 “the” 从「第 3 层」起一直是首选。",
])
def test_long_summaries_wrap_into_lines_that_fit_and_lose_nothing(text):
    lines = wrapped(text)
    fewest = math.ceil(sum(2 if "\u4e00" <= c <= "\u9fff" or c in "；。，「」“”" else 1 for c in text) / SUMMARY_COLUMNS)
    assert fewest >= 2 and fewest <= len(lines) <= fewest + 1  # wrapped, and lines filled (words stay whole)
    assert all(sum(2 if "\u4e00" <= c <= "\u9fff" or c in "；。，「」" else 1 for c in line) <= SUMMARY_COLUMNS for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not lines[1].startswith(("。", "，", "；"))  # CJK punctuation never starts a line
    fig = finish(go.Figure(), "T", text, height=300)
    extra = TITLE_LINE_PX * (len(lines) - 1)
    assert fig.layout.height == 300 + extra and fig.layout.margin.t == 100 + extra
    assert fig.layout.title.text.count("<sup>") == len(lines) > 1


@pytest.mark.parametrize("text", [
    "Pads on the right and attended like text; short rows read their next token from a pad.",
    "颜色 = 该层已经给模型最终答案多大的概率；格中文字 = 该层自己的首选。最后一个位置上，最终答案 “the” 从「第 3 层」起一直是首选。",
])
def test_wrapped_summaries_leave_no_lone_word_and_the_browser_gets_their_units(text):
    lines = wrapped(text)
    widths = [sum(2 if "\u4e00" <= c <= "\u9fff" or c in "；。，「」“”" else 1 for c in line) for line in lines]
    assert len(lines) == 2 and min(widths) >= 0.6 * max(widths), lines  # not one full line and a lone word
    fig = finish(go.Figure(), "Title", text)
    assert "".join(fig.layout.meta["title_units"]) == "Title"
    assert "".join(fig.layout.meta["summary_units"]) == text, "the units the page rewraps from are the whole summary"


def test_a_quoted_token_is_never_split_from_its_quotes():
    text = "The top token with the chosen mask: “ and” (0.41), and without it: “ the” (0.38) — " * 3
    for columns in range(20, 71):
        for line in wrapped(text, columns):
            assert not line.endswith("“") and not line.startswith("”") and not line.startswith("and”"), (columns, line)


@pytest.mark.parametrize("vocabulary, nucleus", [(1000, 301), (40, 7)])
def test_nucleus_marker_sits_inside_the_rank_axis(vocabulary, nucleus):
    probs = np.sort(np.random.default_rng(0).dirichlet(np.ones(vocabulary)))[::-1]
    fig = cumulative_curve(probs, 0.9, nucleus, "t", "s")
    log_axis = fig.layout.xaxis.type == "log"
    assert log_axis == (vocabulary > 50)
    upper = math.log10(vocabulary) if log_axis else vocabulary  # annotations on a log axis are in log10 units
    data_annotations = [a for a in fig.layout.annotations if a.xref in (None, "x")]
    assert data_annotations and all(0 <= a.x <= upper for a in data_annotations)
    assert any(a.text == str(nucleus) for a in data_annotations)


@pytest.mark.parametrize("columns, cell_text", [(12, True), (60, False)])
def test_padding_grid_writes_cell_text_only_while_it_is_readable(columns, cell_text):
    from viz.padding import layout_grids

    mask = np.ones((2, columns), dtype=int)
    text = [[f"t{c}" for c in range(columns)] for _ in range(2)]
    fig = layout_grids(text, mask, np.arange(columns)[None].repeat(2, 0), ("a", "b", "c"), "T", "S")
    assert [bool(trace.texttemplate) for trace in fig.data] == [cell_text] * 3
    assert (fig.data[0].texttemplate == "%{text}") is cell_text  # tokens; the mask and positions write their numbers
    assert fig.data[0].customdata[1][columns - 1] == f"t{columns - 1}"  # hover keeps every token either way
    assert "%{customdata}" in fig.data[0].hovertemplate  # whole, where the browser shortens a token to fit its cell


def test_pad_blocks_get_one_outline_each_and_dense_labels_stand_upright():
    from viz.attention import DENSE_LABELS, attention_heatmap, mask_heatmap

    n = DENSE_LABELS + 4
    pads = [0, 1, 2, 3, 7]  # two runs: 0-3 and 7
    for fig in (attention_heatmap(np.eye(n), ["t"] * n, "T", "S", pads), mask_heatmap(np.eye(n, dtype=bool), ["t"] * n, "T", "S", pads)):
        boxes = sorted((s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes)
        assert boxes == sorted([(-0.5, n - 0.5, -0.5, 3.5), (-0.5, n - 0.5, 6.5, 7.5), (-0.5, 3.5, -0.5, n - 0.5), (6.5, 7.5, -0.5, n - 0.5)])
        assert fig.layout.xaxis.tickangle == -90
    assert attention_heatmap(np.eye(3), ["a", "b", "c"], "T", "S").layout.xaxis.tickangle == -45


def test_decoding_table_keeps_spaces_and_marks_exactly_the_repeating_tail():
    from viz.inside import decoding_table_html

    rows = [{"strategy": "greedy", "penalty": "off", "pieces": ["A", " cat", " sat", "\n", " cat", " sat"], "loop": (2, 2),
             "logprob": -3.0, "repeated": 0.5},
            {"strategy": "top-k", "penalty": "1.3", "pieces": [" no", " loop"], "loop": None, "logprob": -1.0, "repeated": 0.0}]
    table = decoding_table_html(rows, ["s", "p", "out", "lp", "rep", "loop"], "from {start} (period {period})", "none")
    greedy, top_k = table.split("<tr>")[2:]
    assert greedy.count('class="ntl-loop"') == 4 and "<span> cat</span><span class=\"ntl-loop\"> sat</span>" in greedy
    assert "<span>↵</span>" not in greedy and '<span class="ntl-loop">↵</span>' in greedy  # newlines as visible marks
    assert "from 3 (period 2)" in greedy and "ntl-loop" not in top_k and "<span> no</span><span> loop</span>" in top_k


def test_generated_text_never_calls_a_sampled_token_p_0_and_lists_only_possible_alternatives():
    from viz.sampling import generated_html, probability_text

    assert [probability_text(p) for p in (0.25, 0.0004, 0.0)] == ["0.250", "4.0e-04", "0"]
    page = generated_html("Hi", [(" there", 0.0004, 0.002, [(" you", 0.9), (" there", 0.0004), ("!", 0.0)])], "legend")
    tip = page.split('title="')[1].split('"')[0]
    assert tip.startswith("p=4.0e-04 (model alone: 0.002) · ") and ": 0.900 | " in tip and tip.endswith(": 4.0e-04")
    assert tip.count("|") == 1 and "p=0.000" not in page  # "!" (p = 0) is not listed


def test_stage_panels_write_counts_with_thousands_separators_like_the_table():
    from viz.sampling import stage_bars

    fig = stage_bars({"softmax": (["a", "b"], [0.6, 0.4], 50257)}, "T", "S", "kept")
    assert fig.layout.annotations[0].text == "softmax · kept 50,257"


def test_stage_bars_carry_their_values_so_a_flattened_stage_can_be_read():
    from viz.sampling import stage_bars

    flat = [0.0021, 0.00099]
    fig = stage_bars({"softmax": (["a", "b"], [0.6, 0.4], 50257), "temperature": (["a", "b"], flat, 50257)}, "T", "S")
    assert list(fig.data[0].text) == ["0.600", "0.400"]
    assert list(fig.data[1].text) == ["0.002", "9.9e-04"], "slivers on the shared scale still read as numbers"
    assert fig.data[1].cliponaxis is False


def test_one_drawable_token_keeps_a_bar_width_instead_of_filling_the_axis():
    from viz.sampling import FEWEST_SLOTS, draws_vs_distribution

    alone = draws_vs_distribution(["?"], [1.0], [1.0], ("p", "f"), "T", "S").layout.xaxis.range
    assert alone[1] - alone[0] == FEWEST_SLOTS and sum(alone) == 0, "centred on its one token"
    many = draws_vs_distribution(list("abcdefghij"), [0.1] * 10, [0.1] * 10, ("p", "f"), "T", "S").layout.xaxis.range
    assert list(many) == [-0.5, 9.5]


def test_log_rank_axis_writes_every_tick_in_full():
    figure = cumulative_curve(np.full(800, 1 / 800), 0.9, 720, "T", "S")
    axis = figure.layout.xaxis
    assert axis.type == "log"
    assert list(axis.tickvals) == [1, 2, 5, 10, 20, 50, 100, 200, 500]
    assert list(axis.ticktext)[-2:] == ["200", "500"], "no bare '2' standing for 20"
    vocabulary = cumulative_curve(np.full(50_257, 1 / 50_257), 0.9, 45_000, "T", "S").layout.xaxis
    assert list(vocabulary.ticktext) == ["1", "10", "100", "1,000", "10,000"] and vocabulary.tickangle == 0


def test_hover_labels_speak_the_pages_language():
    from ui.common import hover_words
    from viz.attention import attention_heatmap, mask_gallery
    from viz.padding import layout_grids

    words = hover_words("zh")
    heatmap = attention_heatmap(np.eye(2), ["a", "b"], "T", "S", words=words)
    gallery = mask_gallery({"causal": np.eye(2, dtype=bool)}, ["a", "b"], "T", "S", words=words)
    grids = layout_grids([["a"]], np.array([[1]]), np.array([[0]]), ("t", "m", "p"), "T", "S", words=words)
    templates = [heatmap.data[0].hovertemplate, gallery.data[0].hovertemplate] + [trace.hovertemplate for trace in grids.data]
    for template in templates:
        assert "查询" in template or "行" in template, template
        assert not any(word in template for word in ("query", "row ", "column", "allowed", "weight")), template


def test_the_nucleus_curve_hover_names_the_rank_not_the_whole_axis_title():
    from ui.common import hover_words
    from viz.sampling import cumulative_curve

    curve = cumulative_curve([0.5, 0.3, 0.2], 0.9, 3, "T", "S", ("按概率排序的词元（名次）", "累计概率"), hover_words("zh"))
    assert curve.data[0].hovertemplate.startswith("名次 %{x}"), curve.data[0].hovertemplate


def test_the_temperature_sweep_marks_the_temperature_the_page_is_set_to():
    from viz.sampling import temperature_sweep

    sweep = temperature_sweep([0.5, 1.0, 2.0], ("entropy", [1.0, 2.0, 3.0]), {"p('a')": [0.9, 0.5, 0.2]}, "T", "S",
                              current=(0.7, "now: T = 0.7"))
    assert [shape.x0 for shape in sweep.layout.shapes] == [0.7]
    assert "now: T = 0.7" in [note.text for note in sweep.layout.annotations]


def test_a_short_number_never_starts_a_summary_line():
    """'…each non-empty row sums to / 1. The colours…' read as a numbered list."""
    from viz.common import _unbreakable_units

    assert _unbreakable_units("rows sum to 1. The colours keep layer 12 and 12345678") == [
        "rows ", "sum ", "to 1. ", "The ", "colours ", "keep ", "layer 12 ", "and ", "12345678"]
    filler = "word " * 12 + "it sums to"
    for extra in range(0, 12):  # wherever the line ends, "1." goes with "to"
        lines = wrapped("x" * extra + " " + filler + " 1. The colours keep a fixed scale for every head.")
        assert not any(line.startswith("1.") for line in lines), lines
