"""Figures for the sampling pipeline: stages, the nucleus cut, draws against their source, sweeps."""

from __future__ import annotations

import html
import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import HOVER_WORDS, finish, quoted, subplots, unique_labels
from .palette import OKABE_ITO, SERIES_COLOURS, probability_colour


def stage_bars(
    stages: Mapping[str, tuple[Sequence[str], Sequence[float], int]], title: str, summary: str, kept_label: str = "kept"
) -> go.Figure:
    """One panel per pipeline stage: the same top tokens' probabilities; panel title says how many survive.

    Every bar carries its value: on the shared scale a flattened stage (a high temperature) is a row of
    slivers, and the numbers are what a class reads off it."""
    names = list(stages)
    columns = 3
    rows = math.ceil(len(names) / columns)
    top = max((max(probs, default=0.0) for _, probs, _ in stages.values()), default=0.0)
    fig = subplots(
        [[go.Bar(x=list(probs), y=unique_labels(list(tokens)), orientation="h", marker_color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                 text=[probability_text(p) for p in probs], textposition="outside", cliponaxis=False,
                 textfont={"size": 10}, showlegend=False,
                 hovertemplate="%{y}: p=%{x:.4f}<extra>" + html.escape(name) + "</extra>")]
         for i, (name, (tokens, probs, _)) in enumerate(stages.items())],
        columns, [f"{n} · {kept_label} {stages[n][2]:,}" for n in names], horizontal_spacing=0.14, vertical_spacing=0.16,
        min_panel_px=200,
        x_axis={"range": [0, min(1.0, top * 1.15) or 1.0]},  # one shared scale so stages compare
        y_axis={"autorange": "reversed", "type": "category", "tickfont": {"size": 11}},
    )
    return finish(fig, title, summary, height=330 * rows + 90)


def _ranks_drawn(count: int, marked: int, every_up_to: int = 300, further: int = 700) -> np.ndarray:
    """Ranks 1..``count`` to draw: each of the first ``every_up_to``, then ``further`` spaced evenly on
    the log axis, plus ``marked``. A 50,257-token curve stays light, and its end is still drawn."""
    first = np.arange(1, min(count, every_up_to) + 1)
    rest = np.geomspace(every_up_to + 1, count, further) if count > every_up_to else []
    return np.unique(np.concatenate([first, np.round(rest), [count, min(max(marked, 1), count)]]).astype(int))


def cumulative_curve(sorted_probs: Sequence[float], top_p: float, nucleus_size: int, title: str, summary: str,
                     axis: tuple[str, str] = ("rank", "cumulative probability"),
                     words: Mapping[str, str] = HOVER_WORDS, fewest: int | None = None) -> go.Figure:
    """Cumulative mass over every token sorted by probability, with the top-p line and the nucleus edge.

    ``fewest``: the fewest tokens reaching ``top_p``, marked too where ties make top-p keep more.
    """
    cumulative = np.cumsum(np.asarray(sorted_probs, dtype=float))
    ranks = _ranks_drawn(len(cumulative), nucleus_size)
    fig = go.Figure(go.Scatter(x=ranks, y=cumulative[ranks - 1], mode="lines+markers", line={"color": OKABE_ITO[4]},
                               marker={"size": 4}, hovertemplate=f"{words['rank']} %{{x}}: %{{y:.4f}}<extra></extra>",
                               name=axis[1]))
    log_axis = len(cumulative) > 50
    # The label sits under the line at the left, clear of the edge lines at the right.
    fig.add_hline(y=top_p, line={"color": OKABE_ITO[5], "dash": "dash"}, annotation_text=f"p = {top_p:g}",
                  annotation_position="bottom left")
    edges = [nucleus_size] + ([fewest] if fewest and fewest != nucleus_size else [])
    for edge, colour, anchor in zip(edges, (OKABE_ITO[2], OKABE_ITO[7]), ("left", "right")):
        fig.add_vline(x=edge, line={"color": colour, "dash": "dot"})
        # An annotation on a log axis is placed in log10 units (a shape is not): 301 would mean 10^301.
        fig.add_annotation(x=math.log10(edge) if log_axis else edge, y=1, yref="y domain", yanchor="bottom",
                           xanchor=anchor if len(edges) > 1 else "center", text=f"{edge:,}", showarrow=False,
                           font={"color": colour})
    fig.update_xaxes(title=axis[0], type="log" if log_axis else "linear", tickangle=0)
    if log_axis:  # every tick written out: plotly's own log ticks read "10 2 5 100", and "2" means 20
        steps = (1, 2, 5) if len(cumulative) <= 1000 else (1,)  # past 1,000 the labels would crowd and touch
        ticks = [m * 10**e for e in range(6) for m in steps if m * 10**e <= len(cumulative)]
        fig.update_xaxes(tickvals=ticks, ticktext=[f"{v:,}" for v in ticks])
    else:
        fig.update_xaxes(dtick=1 if len(cumulative) <= 10 else None)  # whole ranks: no "0.5"
    fig.update_yaxes(title=axis[1], range=[0, 1.02])
    return finish(fig, title, summary, height=360)


FEWEST_SLOTS = 8  # the draw histogram is laid out for at least this many tokens


def draws_vs_distribution(tokens: Sequence[str], expected: Sequence[float], observed: Sequence[float],
                          names: tuple[str, str], title: str, summary: str) -> go.Figure:
    """Observed frequencies of seeded draws next to the probabilities they were drawn from."""
    labels = unique_labels(list(tokens))
    fig = go.Figure([
        go.Bar(x=labels, y=list(expected), name=names[0], marker_color=OKABE_ITO[4]),
        go.Bar(x=labels, y=list(observed), name=names[1], marker_color=OKABE_ITO[0]),
    ])
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.3})
    # A few tokens (one at T = 0) keep the width they have among many, centred, instead of filling the axis.
    spare = max(0.0, (FEWEST_SLOTS - len(labels)) / 2)
    fig.update_xaxes(type="category", tickangle=-45, range=[-0.5 - spare, len(labels) - 0.5 + spare])
    fig.update_yaxes(title="p")
    return finish(fig, title, summary, height=400)


def temperature_sweep(temperatures: Sequence[float], entropy: tuple[str, Sequence[float]],
                      probabilities: Mapping[str, Sequence[float]], title: str, summary: str,
                      axis_titles: tuple[str, str] = ("temperature", "probability"),
                      current: tuple[float, str] | None = None) -> go.Figure:
    """How entropy (left axis, nats) and the top tokens' probabilities (right axis, 0–1) move with temperature.

    Two axes because the scales differ tenfold: on one axis the probabilities would lie flat.
    ``current`` (temperature, label) marks the temperature the page is set to.
    """
    name, values = entropy
    fig = go.Figure(go.Scatter(x=list(temperatures), y=list(values), mode="lines+markers", name=name,
                               line={"color": SERIES_COLOURS[0], "width": 3}))
    for i, (token, probs) in enumerate(probabilities.items(), start=1):
        fig.add_trace(go.Scatter(x=list(temperatures), y=list(probs), mode="lines+markers", name=token, yaxis="y2",
                                 line={"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "dash": "dot"}))
    fig.update_layout(
        xaxis={"title": axis_titles[0]},
        yaxis={"title": name, "rangemode": "tozero"},
        yaxis2={"title": axis_titles[1], "overlaying": "y", "side": "right", "range": [0, 1.02], "showgrid": False},
        legend={"orientation": "h", "y": -0.25},
    )
    if current is not None:
        fig.add_vline(x=current[0], line={"color": OKABE_ITO[7], "dash": "dash"}, annotation_text=current[1],
                      annotation_position="top")
    return finish(fig, title, summary, height=380)


def _with_line_breaks(text: str) -> str:
    """Newlines shown as ↵ and kept as line breaks (the text box is ``white-space: pre-wrap``)."""
    return html.escape(text.replace("\n", "↵\n").replace("\t", "→\t"))


def probability_text(p: float) -> str:
    """Three decimals, or two significant digits below 0.001 (a sampled token never reads "p=0.000")."""
    return "0" if p == 0 else f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def generated_html(prompt: str, tokens: Sequence[tuple[str, float, float, Sequence[tuple[str, float]]]], legend: str,
                   model_label: str = "model alone: ") -> str:
    """A legend, the prompt, then each new token shaded by the probability it was drawn with; hover adds
    what the model alone gave it (before the knobs: at T = 0 every drawn token reads 1) and the top alternatives.

    ``tokens`` are (text, drawn-with p, model's p, alternatives)."""
    swatches = "".join(f'<span style="background:{probability_colour(p)}">{p:g}</span>' for p in (0, 0.25, 0.5, 0.75, 1))
    parts = [f'<p class="ntl-legend">{html.escape(legend)} <span class="ntl-gen">{swatches}</span></p>',
             f'<div class="ntl-gen ntl-lines"><span class="ntl-prompt">{_with_line_breaks(prompt)}</span>']
    for text, prob, model_prob, alternatives in tokens:
        # Tokens the knobs removed (p = 0) are not alternatives; a small but real p is not rounded to 0.
        tip = " | ".join(f"{quoted(alt)}: {probability_text(p)}" for alt, p in alternatives if p > 0)
        parts.append(
            f'<span style="background:{probability_colour(prob)}" '
            f'title="p={probability_text(prob)} ({html.escape(model_label)}{probability_text(model_prob)}) · {html.escape(tip)}">'
            f"{_with_line_breaks(text)}</span>"
        )
    parts.append("</div>")
    return "".join(parts)
