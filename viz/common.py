"""Figure conventions shared by every tab: titles with a one-line summary, readable fonts."""

from __future__ import annotations

import html
import math
import re
import unicodedata
from typing import Sequence

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from .palette import SERIES_COLOURS

# Latin fonts before the CJK one: a machine without Noto Sans would otherwise draw English quotes
# and punctuation from the CJK font, full width ("“↵”" with wide gaps); Chinese falls through to it.
FONT_FAMILY = "Noto Sans, Arial, Helvetica, Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
# Words inside hover labels and tooltips, in English unless a page in another language passes its own.
HOVER_WORDS = {"query": "query", "key": "key", "weight": "weight", "allowed": "allowed", "row": "row",
               "column": "column", "mask": "mask", "position": "position", "rank": "rank", "bytes": "bytes"}

_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "zerolinewidth": 2,
         "ticks": "", "automargin": True, "title": {"standoff": 15}}
# plotly_white's look for what these figures use. Naming "plotly_white" instead copies and
# validates its defaults for every trace type: about 10 ms per figure, on every request.
# The toolbar keeps "download as PNG" and "reset axes" (a drag still zooms): each button is a stop
# for a keyboard, and eight of them per figure buried the page's own controls.
TOOLBAR_REMOVED = ["zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"]
TEMPLATE = {"layout": {
    "paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": "#2a3f5f"}, "hovermode": "closest",
    "hoverlabel": {"align": "left"}, "colorway": SERIES_COLOURS, "xaxis": _AXIS, "yaxis": _AXIS,
    "modebar": {"remove": TOOLBAR_REMOVED},
}}


CELL_TEXT_SAMPLES = 12  # formatted numbers sent for the browser to measure: the longest few
PANEL_TITLE_SIZE = 16
PANEL_TITLE_LIFT_PX = 8  # above its panel, clear of a tick label at the panel's top edge (scaled in projector mode)
PANEL_GAP_PX = 64  # between the rows of a reflowed grid: a row's x tick labels, then the next row's panel titles


def subplots(
    cells: Sequence[Sequence[BaseTraceType]],
    columns: int,
    titles: Sequence[str] = (),
    horizontal_spacing: float | None = None,
    vertical_spacing: float | None = None,
    column_widths: Sequence[float] | None = None,
    x_axis: dict | None = None,
    y_axis: dict | None = None,
    min_panel_px: int | None = None,
    row_gap_px: int = PANEL_GAP_PX,
) -> go.Figure:
    """A grid of panels, row by row: ``cells[i]`` holds the traces of panel ``i`` (axes ``x{i+1}``/``y{i+1}``).

    With ``min_panel_px``, the browser may reflow the grid into fewer columns (``ui/figure_layout.py``)
    where a panel would be narrower than that or than its title: a phone gets one or two columns of
    panels as tall as the server drew them, instead of slivers under overlapping titles. Its rows
    are then ``row_gap_px`` apart: room for a row's x labels (more for an axis title or slanted
    labels) and the next row's panel titles.

    The layout plotly's ``make_subplots`` builds (same domains, same panel titles), written out
    directly and validated once: about 3x faster, which every request feels. ``x_axis`` and
    ``y_axis`` are set on every panel's axes in the same pass (an ``update_xaxes`` afterwards
    validates every axis again).
    """
    rows = math.ceil(len(cells) / columns)
    gap_x = 0.2 / columns if horizontal_spacing is None else horizontal_spacing
    gap_y = (0.5 if titles else 0.3) / rows if vertical_spacing is None else vertical_spacing
    shares = [w / sum(column_widths) for w in column_widths] if column_widths else [1 / columns] * columns
    widths = [share * (1 - gap_x * (columns - 1)) for share in shares]
    height = (1 - gap_y * (rows - 1)) / rows
    layout: dict = {"annotations": []}
    traces = []
    for i, cell in enumerate(cells):
        row, column = divmod(i, columns)
        suffix = "" if i == 0 else str(i + 1)
        left = sum(widths[:column]) + gap_x * column
        top = 1 - row * (height + gap_y)
        layout[f"xaxis{suffix}"] = {"domain": [left, min(1.0, left + widths[column])], "anchor": f"y{suffix}", **(x_axis or {})}
        layout[f"yaxis{suffix}"] = {"domain": [max(0.0, top - height), top], "anchor": f"x{suffix}", **(y_axis or {})}
        if i < len(titles):
            layout["annotations"].append({"text": titles[i], "x": left + widths[column] / 2, "y": top, "xref": "paper",
                                          "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                                          "showarrow": False, "font": {"size": PANEL_TITLE_SIZE}, "yshift": PANEL_TITLE_LIFT_PX})
        for trace in cell:
            trace.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
            traces.append(trace)
    if min_panel_px is not None and columns > 1 and not column_widths:
        layout["meta"] = {"panels": {"count": len(cells), "columns": columns, "titles": len(titles), "title_size": PANEL_TITLE_SIZE,
                                     "gap_x": gap_x, "gap_y": gap_y, "gap_y_px": row_gap_px, "min_px": min_panel_px}}
    return go.Figure(traces, layout)


FONT_SIZE = 13  # every figure's base font; projector mode redraws figures larger in the browser
SUMMARY_COLUMNS = 70  # fits a half-width figure even at projector size (17 px for 13), and reads well at full width
TITLE_LINE_PX = 24  # each line of a title and of its summary: Plotly spaces lines 1.3 em of the 18 px title font


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def cell_text(texts: Sequence[Sequence[str]], size: int, template: str = "%{text}") -> dict:
    """A heatmap's arguments for writing ``template`` in its cells (``texts``: what each cell shows),
    with what the browser needs to fit that text to the cells it gets (``ui/figure_layout.py``).

    For ``%{text}`` the browser measures the trace's own texts. For a number format the texts are
    sent as ``samples``: the few longest, which the browser measures (a width in characters is not
    a width in pixels: "mmm" is wider than ",,,,,,").
    """
    if not template:
        return {"texttemplate": ""}
    cells = {"size": size, "template": template, "rows": len(texts), "columns": len(texts[0]) if len(texts) else 0}
    if template != "%{text}":
        distinct = sorted({str(text) for row in texts for text in row}, key=_columns, reverse=True)
        cells["samples"] = distinct[:CELL_TEXT_SAMPLES]
    return {"texttemplate": template, "textfont": {"size": size}, "meta": {"cell_text": cells}}


def _unbreakable_units(text: str) -> list[str]:
    """Words with their trailing spaces, and single CJK characters (their punctuation stays with them).
    A quoted token stays whole: in “ and” the space after the quote is the token's own."""
    units: list[str] = []
    for char in text:
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        previous = units[-1][-1] if units else None
        continues_word = previous is not None and not wide and not previous.isspace() and _columns(previous) == 1
        inside_quote = bool(units) and units[-1].count("“") > units[-1].count("”") and len(units[-1]) < 24
        if previous is not None and (char.isspace() or continues_word or inside_quote or wide and unicodedata.category(char).startswith("P")):
            units[-1] += char
        else:
            units.append(char)
    # A short number stays with the word before it: "sums to / 1." would read as a list's "1.".
    for i in range(len(units) - 1, 0, -1):
        if _SHORT_NUMBER.fullmatch(units[i]) and units[i - 1][-1:].isspace() and _columns(units[i - 1]) == len(units[i - 1]):
            units[i - 1 : i + 1] = [units[i - 1] + units[i]]
    return units


_SHORT_NUMBER = re.compile(r"[-−]?\d[\d.,]{0,4}[.,;:)]?\s*")


def _filled(units: list[tuple[str, int, int]], columns: int) -> list[str]:
    """Units ``(text, columns, columns without its trailing space)`` greedily into lines of at most
    ``columns``."""
    lines: list[str] = []
    line, used = "", 0
    for unit, width, trimmed in units:
        if line and used + trimmed > columns:
            lines.append(line)
            line, used = "", 0
        line, used = line + unit, used + width
    lines.append(line)
    return [line.rstrip() for line in lines if line.strip()]


def wrapped(text: str, columns: int = SUMMARY_COLUMNS) -> list[str]:
    """``text`` in lines of at most ``columns`` (a CJK character counts two): Plotly never wraps a
    title by itself, it cuts it off at the figure's edge. As few lines as fit, then as even as they
    go, so no line is a lone word. (The page rewraps them to each figure's width in the browser,
    ``ui/figure_layout.py``, from the same units.)"""
    return _balanced(_unbreakable_units(text), columns)


def _balanced(texts: list[str], columns: int) -> list[str]:
    units = [(unit, _columns(unit), _columns(unit.rstrip())) for unit in texts]
    count = len(_filled(units, columns))
    narrow, wide = 0, columns  # the narrowest width that still needs only ``count`` lines lies in (narrow, wide]
    while wide - narrow > 1:
        middle = (narrow + wide) // 2
        narrow, wide = (narrow, middle) if len(_filled(units, middle)) == count else (middle, wide)
    return _filled(units, wide)


def finish(fig: go.Figure, title: str, summary: str, height: int = 420) -> go.Figure:
    """Title plus a text summary (the figure's text alternative) wrapped to fit, consistent layout.

    Set as one relayout: the same layout as ``update_layout`` gives, in a fifth of the time.
    """
    summary_units = _unbreakable_units(summary)  # wrapped here, and sent for the browser to rewrap
    lines = _balanced(summary_units, SUMMARY_COLUMNS)
    extra = TITLE_LINE_PX * max(0, len(lines) - 1)
    shown = "<br>".join(f"<sup>{html.escape(line, quote=False)}</sup>" for line in lines)
    fig.plotly_update(relayout_data={
        # Hung from the top: a title centred in the margin (Plotly's default) grows down into the
        # panel titles below it once the summary wraps.
        "title": {"text": html.escape(title, quote=False) + (f"<br>{shown}" if shown else ""), "x": 0.01,
                  "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 24}},
        "height": height + extra,
        "margin": {"l": 60, "r": 20, "t": 100 + extra, "b": 50},  # room for the title, its summary and panel titles
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE},
        "template": TEMPLATE,
        # What the browser needs to rewrap the title and summary to the figure's real width.
        "meta": {**(fig.layout.meta or {}), "summary": summary, "title_units": _unbreakable_units(title),
                 "summary_units": summary_units},
    })
    return fig


HEX_LABEL = re.compile(r"<[0-9A-F]{2}( [0-9A-F]{2})*>")  # how a partial UTF-8 piece is named: <E4 BD>


INVISIBLE_NAMES = {"\u200d": "ZWJ", "\u200c": "ZWNJ", "\ufe0f": "VS16", "\ufe0e": "VS15", "\ufeff": "BOM"}


def _visible_char(char: str) -> str:
    if ord(char) < 32:  # control characters become Unicode's Control Pictures: ␀ ␇ ␛
        return chr(0x2400 + ord(char))
    if ord(char) == 127:
        return "␡"
    # Characters that draw nothing (joiners, variation selectors, direction marks) are named.
    if char in INVISIBLE_NAMES or unicodedata.category(char) == "Cf" or 0xFE00 <= ord(char) <= 0xFE0F:
        return f"⟨{INVISIBLE_NAMES.get(char, f'U+{ord(char):04X}')}⟩"
    return char


def visible_token(text: str) -> str:
    """Make whitespace and invisible characters visible in labels: space → ·, newline → ↵, tab → →,
    a zero-width joiner → ⟨ZWJ⟩. A partial UTF-8 piece's hex label is shown as it is (its spaces
    only separate bytes)."""
    if HEX_LABEL.fullmatch(text):
        return text
    text = text.replace(" ", "·").replace("\n", "↵").replace("\t", "→")
    return "".join(_visible_char(c) for c in text) or "∅"


def marked(token: str) -> str:
    """Newlines and tabs as visible marks, spaces kept: for tokens inside running text."""
    return token.replace("\n", "↵").replace("\t", "→")


def quoted(token: str) -> str:
    """A token inside a sentence, title or tip: curly quotes show a leading space, ↵/→ a newline/tab.
    (``repr`` would bring backslashes and, for a token with an apostrophe, double quotes that
    Plotly shows as ``&quot;`` once escaped.)"""
    return f"“{marked(token)}”"


def unique_labels(labels: list[str]) -> list[str]:
    """Plotly merges equal category labels; suffix the position to keep every token apart."""
    return [f"{i}:{visible_token(label)}" for i, label in enumerate(labels)]
