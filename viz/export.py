"""The numbers behind any figure of the page, as one long-format CSV (figure, trace, x, y, value)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
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


def _title(layout: dict) -> str:
    title = layout.get("title", {})
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    return re.sub(r"<[^>]+>", " ", text.split("<br>")[0]).strip()


def figure_rows(figure: dict) -> Iterable[tuple[str, str, str, str, float | str]]:
    """(figure title, trace name, x, y, value) for every plotted number: heatmap cells, bars, points."""
    title = _title(figure.get("layout", {}))
    for index, trace in enumerate(figure.get("data", [])):
        name = str(trace.get("name") or f"{trace.get('type', 'trace')} {index}")
        if "z" in trace:
            z = _array(trace["z"])
            xs = _array(trace.get("x")) or list(range(len(z[0]) if z else 0))
            ys = _array(trace.get("y")) or list(range(len(z)))
            for y, row in zip(ys, z):
                for x, value in zip(xs, row):
                    yield title, name, str(x), str(y), value
        else:
            xs, ys = _array(trace.get("x")), _array(trace.get("y"))
            values, labels = (xs, ys) if trace.get("orientation") == "h" else (ys, xs)
            for label, value in zip(labels, values):
                yield title, name, str(label), "", value


def figures_to_csv(figures_json: Iterable[str | dict | None]) -> str:
    """Plotly figures (as JSON strings or dicts) → CSV text; missing figures are skipped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["figure", "trace", "x", "y", "value"])
    for figure in figures_json:
        if figure is None:
            continue
        figure = json.loads(figure) if isinstance(figure, str) else figure
        writer.writerows(figure_rows(figure))
    return buffer.getvalue()
