"""Attention heatmaps, masks and their small multiples."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import HOVER_WORDS, PANEL_GAP_PX, finish, subplots, unique_labels
from .palette import HEATMAP_SCALE, MASK_SCALE, SERIES_COLOURS



def _hover(words: Mapping[str, str], value: str = "weight", number: str = "%{z:.4f}") -> str:
    return f"{words['query']} %{{y}}<br>{words['key']} %{{x}}<br>{words[value]} {number}<extra></extra>"


DENSE_LABELS = 16  # more tick labels than this stand upright instead of at 45°, so they do not overlap


def _runs(positions: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive positions as (first, last) runs: 0 1 2 5 → (0, 2), (5, 5)."""
    runs: list[tuple[int, int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


def _mark_pads(fig: go.Figure, pad_rows: Sequence[int], pad_columns: Sequence[int], n_rows: int, n_cols: int, **where) -> None:
    """Outline each block of pad rows and of pad columns with one dashed box, visible without colour."""
    style = {"line": {"color": "#D55E00", "width": 2, "dash": "dot"}, "fillcolor": "rgba(0,0,0,0)"}
    for first, last in _runs(pad_rows):
        fig.add_shape(type="rect", x0=-0.5, x1=n_cols - 0.5, y0=first - 0.5, y1=last + 0.5, **style, **where)
    for first, last in _runs(pad_columns):
        fig.add_shape(type="rect", x0=first - 0.5, x1=last + 0.5, y0=-0.5, y1=n_rows - 0.5, **style, **where)


def attention_heatmap(
    weights: np.ndarray,
    labels: Sequence[str],
    title: str,
    summary: str,
    pads: Sequence[int] = (),
    axis_titles: tuple[str, str] = ("key (attended to)", "query (attending)"),
    words: Mapping[str, str] = HOVER_WORDS,
) -> go.Figure:
    """One head: rows are queries, columns keys; cell = attention probability."""
    names = unique_labels(list(labels))
    fig = go.Figure(
        go.Heatmap(z=weights, x=names, y=names, colorscale=HEATMAP_SCALE, zmin=0, zmax=1, hovertemplate=_hover(words),
                   colorbar={"title": "p"})
    )
    fig.update_yaxes(autorange="reversed", title=axis_titles[1], type="category")
    fig.update_xaxes(title=axis_titles[0], type="category", tickangle=-90 if len(names) > DENSE_LABELS else -45)
    _mark_pads(fig, pads, pads, len(names), len(names))
    return finish(fig, title, summary, height=max(420, 26 * len(names) + 160))


def heads_grid(weights: np.ndarray, labels: Sequence[str], title: str, summary: str, head_label: str = "head",
               words: Mapping[str, str] = HOVER_WORDS) -> go.Figure:
    """All heads of one layer as small multiples sharing one colour scale."""
    heads = weights.shape[0]
    columns = min(heads, 4)
    rows = math.ceil(heads / columns)
    names = unique_labels(list(labels))
    fig = subplots(
        [[go.Heatmap(z=weights[h], x=names, y=names, colorscale=HEATMAP_SCALE, zmin=0, zmax=1,
                     showscale=h == 0, hovertemplate=f"{head_label} {h}<br>" + _hover(words))] for h in range(heads)],
        columns, [f"{head_label} {h}" for h in range(heads)], horizontal_spacing=0.03, vertical_spacing=0.08, min_panel_px=70,
        x_axis={"showticklabels": False, "type": "category"},
        y_axis={"autorange": "reversed", "showticklabels": False, "type": "category"},
    )
    fig = finish(fig, title, summary, height=260 * rows + 100)
    return fig.update_layout(margin={"l": 20})  # no tick labels to make room for: the panels get the width


def mask_heatmap(mask: np.ndarray, labels: Sequence[str], title: str, summary: str, pads: Sequence[int] = (),
                 words: Mapping[str, str] = HOVER_WORDS) -> go.Figure:
    """The boolean mask that was applied: blue = may attend, grey = blocked."""
    names = unique_labels(list(labels))
    fig = go.Figure(
        go.Heatmap(z=mask.astype(int), x=names, y=names, colorscale=MASK_SCALE, zmin=0, zmax=1, showscale=False,
                   xgap=1, ygap=1, hovertemplate=_hover(words, "allowed", "%{z}"))
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", tickangle=-90 if len(names) > DENSE_LABELS else -45)
    _mark_pads(fig, pads, pads, len(names), len(names))
    return finish(fig, title, summary, height=max(380, 26 * len(names) + 160))


def mask_gallery(masks: Mapping[str, np.ndarray], labels: Sequence[str], title: str, summary: str,
                 pads: Sequence[int] = (), words: Mapping[str, str] = HOVER_WORDS) -> go.Figure:
    """Every mask kind side by side on the same positions, pads outlined as in the applied mask.

    The first panel names the query rows; every panel names both tokens on hover.
    """
    names = list(masks)
    tokens = unique_labels(list(labels))
    columns = len(names) if len(names) <= 4 else 3
    rows = math.ceil(len(names) / columns)
    fig = subplots(
        [[go.Heatmap(z=masks[name].astype(int), x=tokens, y=tokens, colorscale=MASK_SCALE, zmin=0, zmax=1, showscale=False,
                     xgap=1, ygap=1, hovertemplate=f"{name}<br>" + _hover(words, "allowed", "%{z}"))]
         for name in names],
        columns, names, horizontal_spacing=0.05, vertical_spacing=0.12, min_panel_px=110,
        x_axis={"showticklabels": False, "type": "category"},
        y_axis={"autorange": "reversed", "showticklabels": False, "type": "category"},
    )
    fig.update_layout(yaxis={"showticklabels": True, "tickfont": {"size": 10}})
    for i in range(len(names)):
        suffix = "" if i == 0 else str(i + 1)
        _mark_pads(fig, pads, pads, len(tokens), len(tokens), xref=f"x{suffix}", yref=f"y{suffix}")
    return finish(fig, title, summary, height=250 * rows + 100)


def prediction_bars(predictions: Mapping[str, tuple[Sequence[str], Sequence[float]]], title: str, summary: str) -> go.Figure:
    """Top next-token probabilities under several conditions, one horizontal bar group each."""
    top = max((max(probs, default=0.0) for _, probs in predictions.values()), default=0.0)
    fig = subplots(
        [[go.Bar(x=list(probs), y=unique_labels(list(tokens)), orientation="h", marker_color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                 name=name, showlegend=False, hovertemplate="%{y}: %{x:.4f}<extra></extra>")]  # the panel titles name them
         for i, (name, (tokens, probs)) in enumerate(predictions.items())],
        len(predictions), list(predictions), horizontal_spacing=0.12, min_panel_px=200, row_gap_px=PANEL_GAP_PX + 24,
        x_axis={"range": [0, min(1.0, top * 1.15) or 1.0], "title": {"text": "p"}},
        y_axis={"autorange": "reversed", "type": "category"},
    )
    return finish(fig, title, summary, height=380)
