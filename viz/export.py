"""The numbers behind a tab, as one long-format CSV (figure, trace, x, y, value): every plotted
number, the tab's tables (the tokenizer comparison, the pipeline's stages, ...), then its JSON
panels (token ids, the facts behind the figures) flattened."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from html.parser import HTMLParser
from typing import Any, Iterable

import numpy as np


def _array(value: Any) -> list:
    """Plotly serialises numpy arrays as ``{"dtype", "bdata", "shape"}``; turn them back into lists."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            array = array.reshape([int(n) for n in str(shape).split(",")])
        return array.tolist()
    return list(value) if value is not None else []


# The tags Plotly draws as formatting; any other "<...>" (a token such as <pad>) it shows as typed.
PLOTLY_TAGS = re.compile(r"</?(?:br|b|i|em|sup|sub|span|a|s|u)\b[^>]*>", re.IGNORECASE)


def _plain(markup: str) -> str:
    """Plotly's HTML-like text as it reads on screen: its formatting tags gone, ``&lt;`` shown as ``<``."""
    return html.unescape(PLOTLY_TAGS.sub(lambda tag: " " if tag[0].lower().startswith("<br") else "", markup))


def _title(layout: dict) -> str:
    title = layout.get("title", {})
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    return _plain(text.split("<br>")[0]).strip()


def _panel_titles(layout: dict) -> dict[str, str]:
    """Subplot axis → its panel's title: ``viz.common.subplots`` writes panel ``i``'s title as the
    ``i``-th annotation, anchored to the paper above the panel."""
    notes = [note for note in layout.get("annotations", [])
             if note.get("xref") == "paper" and note.get("yref") == "paper" and note.get("yanchor") == "bottom"]
    return {("x" if i == 0 else f"x{i + 1}"): _plain(note.get("text", "")).strip() for i, note in enumerate(notes)}


def figure_rows(figure: dict) -> Iterable[tuple[str, str, str, str, float | str]]:
    """(figure title, trace name, x, y, value) for every plotted number: heatmap cells, bars, points.

    An unnamed trace takes its panel's title; the words a heatmap carries per cell (tokens, a layer's
    top guess) follow its numbers as a trace of its own, ``<name> · text``.
    """
    layout = figure.get("layout", {})
    title, panels = _title(layout), _panel_titles(layout)
    for index, trace in enumerate(figure.get("data", [])):
        name = _plain(str(trace.get("name") or "")).strip() or str(panels.get(trace.get("xaxis", "x")) or f"{trace.get('type', 'trace')} {index}")
        if "z" in trace:
            z = _array(trace["z"])
            xs = _array(trace.get("x")) or list(range(len(z[0]) if z else 0))
            ys = _array(trace.get("y")) or list(range(len(z)))
            for y, row in zip(ys, z):
                for x, value in zip(xs, row):
                    yield title, name, str(x), str(y), value
            text = trace.get("text")
            if isinstance(text, list) and text and isinstance(text[0], list) and text[0] and isinstance(text[0][0], str):
                for y, row in zip(ys, text):
                    for x, value in zip(xs, row):
                        yield title, f"{name} · text", str(x), str(y), _plain(value)
        else:
            xs, ys = _array(trace.get("x")), _array(trace.get("y"))
            values, labels = (xs, ys) if trace.get("orientation") == "h" else (ys, xs)
            for label, value in zip(labels, values):
                yield title, name, str(label), "", value


def json_rows(title: str, data: Any, path: str = "") -> Iterable[tuple[str, str, str, str, Any]]:
    """(title, key path, list index, field, value) for every leaf of a JSON panel: a list of numbers
    becomes one row per element, so token ids land one per row; a list of flat records (each token's
    id, text and bytes) one row per field, the record's index as x and the field as y."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from json_rows(title, value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list) and all(not isinstance(v, (dict, list)) for v in data):
        for index, value in enumerate(data):
            yield title, path, str(index), "", value
    elif isinstance(data, list) and all(isinstance(v, dict) and not any(isinstance(f, (dict, list)) for f in v.values())
                                        for v in data):
        for index, record in enumerate(data):  # a table: one row per field, the record's index as x
            for key, value in record.items():
                yield title, path, str(index), str(key), value
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from json_rows(title, value, f"{path}[{index}]")
    else:
        yield title, path, "", "", data


class _Tables(HTMLParser):
    """The ``ntl-table`` tables of an HTML fragment: each its heading row (``thead``) and body rows, as cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._inside = False
        self._in_head = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table" and "ntl-table" in (dict(attrs).get("class") or "").split():
            self.tables.append(([], []))
            self._inside = True
        elif self._inside and tag == "thead":
            self._in_head = True
        elif self._inside and tag == "tr" and not self._in_head:
            self.tables[-1][1].append([])
        elif self._inside and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif tag == "thead":
            self._in_head = False
        elif self._cell is not None and tag in ("td", "th"):
            head, rows = self.tables[-1]
            (head if self._in_head else rows[-1]).append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(markup: str) -> Iterable[tuple[str, str, str, str, str]]:
    """(table, row, column, "", cell) for every cell of the fragment's tables: a table is named by its
    first heading (one without headings by its first cell), a row by its first cell, a column by its heading."""
    parser = _Tables()
    parser.feed(markup or "")
    for head, rows in parser.tables:
        name = head[0] if head else (rows[0][0] if rows and rows[0] else "table")
        for row in rows:
            for index, cell in enumerate(row[1:], start=1):
                yield name, row[0], head[index] if index < len(head) else "", "", _number(cell)


def _number(cell: str) -> float | int | str:
    """A table's "50,257", "0.0312" or "59%" (0.59) as the number a spreadsheet can sum; other cells as written."""
    plain = cell.replace(",", "")
    if re.fullmatch(r"-?\d+(\.\d+)?\s?%", plain):
        return float(plain.rstrip("% ")) / 100
    if re.fullmatch(r"-?\d+", plain):
        return int(plain)
    if re.fullmatch(r"-?\d*\.\d+(e[-+]?\d+)?|-?\d+e[-+]?\d+", plain):
        return float(plain)
    return cell


def figures_to_csv(figures_json: Iterable[str | dict | None], panels: dict[str, Any] | None = None,
                   tables: Iterable[str | None] = ()) -> str:
    """Plotly figures (as JSON strings or dicts), HTML fragments holding tables, then JSON panels by
    title → CSV text; missing ones are skipped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["figure", "trace", "x", "y", "value"])
    for figure in figures_json:
        if figure is None:
            continue
        figure = json.loads(figure) if isinstance(figure, str) else figure
        writer.writerows(figure_rows(figure))
    for markup in tables:
        writer.writerows(table_rows(markup))
    for title, data in (panels or {}).items():
        if data not in (None, {}, []):
            writer.writerows(json_rows(title, data))
    return buffer.getvalue()
