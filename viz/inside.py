"""Figures for "Inside the model": logit lens, layer change, A→B attention, the KV-cache stepper,
decoding strategies, teacher forcing and the training report. Arrays in, figures/HTML out."""

from __future__ import annotations

import html
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import PANEL_GAP_PX, cell_text, finish, marked, quoted, subplots, unique_labels, visible_token
from .palette import HEATMAP_SCALE, OKABE_ITO, SERIES_COLOURS, probability_colour

CELL_TEXT_LIMIT = 24  # more columns than this and the per-cell token text stops being readable
SURPRISAL_CAP = 10.0  # nats; anything above is coloured as "very surprising"


def _one_line(token: str) -> str:
    """A token for running HTML text: newlines and tabs become visible marks instead of breaking the
    line (a loop of newline tokens would otherwise be a tower of empty lines)."""
    return html.escape(marked(token))


def _plotly_text(text: str) -> str:
    """Escape for Plotly's HTML-like text: it decodes &lt; &gt; &amp; but shows &quot; literally."""
    return html.escape(text, quote=False)


def _heatmap_height(rows: int) -> int:
    return max(320, 34 * rows + 190)


def logit_lens_grid(
    final_probs: np.ndarray,
    top_tokens: np.ndarray,
    top_probs: np.ndarray,
    final_tokens: Sequence[str],
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    title: str,
    summary: str,
    axis_titles: tuple[str, str],
    colour_title: str,
    final_template: str,
    top_notes: np.ndarray | None = None,
) -> go.Figure:
    """Rows = residual streams (embeddings at the bottom, the output on top), columns = positions.

    Colour: the probability each row gives the model's final prediction ``final_probs [R, T]``;
    cell text: that row's own top token; hover: its top k (``top_tokens``/``top_probs [R, T, k]``,
    each followed by its ``top_notes`` entry, if any) and ``final_template`` (with ``{token}`` and
    ``{p}``) for the final prediction.
    """
    rows, positions, k = top_probs.shape
    notes = np.full(top_probs.shape, "", dtype=object) if top_notes is None else top_notes
    hover = [
        [
            "<br>".join(_plotly_text(f"{quoted(top_tokens[r, c, j])}: {top_probs[r, c, j]:.3f}{notes[r, c, j]}")
                        for j in range(k))
            + "<br>" + _plotly_text(final_template.format(token=quoted(final_tokens[c]), p=final_probs[r, c]))
            for c in range(positions)
        ]
        for r in range(rows)
    ]
    columns = unique_labels(list(column_labels))
    shown = [[_plotly_text(visible_token(str(token))) for token in row] for row in top_tokens[:, :, 0]]
    fig = go.Figure(
        go.Heatmap(
            z=final_probs, x=columns, y=list(row_labels), zmin=0, zmax=1, colorscale=HEATMAP_SCALE,
            text=shown, **cell_text(shown, 10, "%{text}" if len(columns) <= CELL_TEXT_LIMIT else ""),
            customdata=np.asarray(hover, dtype=object),
            hovertemplate="%{y} · %{x}<br>%{customdata}<extra></extra>", colorbar={"title": colour_title},
            xgap=1, ygap=1,
        )
    )
    fig.update_xaxes(title=axis_titles[0], type="category", tickangle=-45)
    fig.update_yaxes(title=axis_titles[1], type="category")
    return finish(fig, title, summary, height=_heatmap_height(len(row_labels)))


def layer_change_heatmap(
    distances: np.ndarray, row_labels: Sequence[str], column_labels: Sequence[str], title: str, summary: str,
    axis_titles: tuple[str, str], colour_title: str,
) -> go.Figure:
    """Cosine distance between each block's input and output, blocks × positions."""
    fig = go.Figure(
        go.Heatmap(z=distances, x=unique_labels(list(column_labels)), y=list(row_labels), zmin=0,
                   colorscale=HEATMAP_SCALE, colorbar={"title": colour_title}, xgap=1, ygap=1,
                   hovertemplate="%{y} · %{x}<br>1 − cos = %{z:.4f}<extra></extra>")
    )
    fig.update_xaxes(title=axis_titles[0], type="category", tickangle=-45)
    fig.update_yaxes(title=axis_titles[1], type="category")
    return finish(fig, title, summary, height=_heatmap_height(len(row_labels)))


def token_attention_grid(
    weights: np.ndarray, row_labels: Sequence[str], column_labels: Sequence[str], title: str, summary: str,
    axis_titles: tuple[str, str],
) -> go.Figure:
    """Attention from A to B in every layer (rows) and head (columns), with the value in each cell.

    The colour runs from 0 to the largest cell (values are often far below 1).
    """
    fig = go.Figure(
        go.Heatmap(z=weights, x=list(column_labels), y=list(row_labels), zmin=0, colorscale=HEATMAP_SCALE,
                   **cell_text([[f"{p:.2f}" for p in row] for row in weights], 11, "%{z:.2f}"),
                   colorbar={"title": "p"}, xgap=1, ygap=1,
                   hovertemplate="%{y} · %{x}<br>p = %{z:.4f}<extra></extra>")
    )
    fig.update_xaxes(title=axis_titles[0], type="category")
    fig.update_yaxes(title=axis_titles[1], type="category")
    return finish(fig, title, summary, height=_heatmap_height(len(row_labels)))


def cache_attention(
    weights: np.ndarray, row_labels: Sequence[str], column_labels: Sequence[str], newest: int, title: str,
    summary: str, axis_titles: tuple[str, str],
) -> go.Figure:
    """What the newest token reads in the cache: layers × cached positions (mean over heads).
    The newest position itself (the column just written) is outlined; colour runs from 0 to the maximum."""
    columns = unique_labels(list(column_labels))
    fig = go.Figure(
        go.Heatmap(z=weights, x=columns, y=list(row_labels), zmin=0, colorscale=HEATMAP_SCALE,
                   colorbar={"title": "p"}, xgap=1, ygap=1,
                   hovertemplate="%{y} · %{x}<br>p = %{z:.4f}<extra></extra>")
    )
    fig.add_shape(type="rect", x0=newest - 0.5, x1=newest + 0.5, y0=-0.5, y1=len(row_labels) - 0.5,
                  line={"color": OKABE_ITO[5], "width": 3}, fillcolor="rgba(0,0,0,0)")
    fig.update_xaxes(title=axis_titles[0], type="category", tickangle=-45)
    fig.update_yaxes(title=axis_titles[1], type="category")
    return finish(fig, title, summary, height=_heatmap_height(len(row_labels)))


def cache_timing(
    ms_with: Sequence[float], ms_without: Sequence[float], columns_with: Sequence[int], columns_without: Sequence[int],
    current: int, names: tuple[str, str], panel_titles: tuple[str, str, str], step_title: str, title: str,
    summary: str,
) -> go.Figure:
    """Measured time per step, its running total, and the columns each step pushes through the model.

    Without a cache step ``i`` recomputes the whole sequence, so the total grows quadratically;
    with it, each step adds one column and the total grows linearly. The shown step is marked.
    """
    steps = list(range(1, len(ms_with) + 1))
    panels = (
        (ms_with, ms_without),
        (np.cumsum(ms_with), np.cumsum(ms_without)),
        (np.cumsum(columns_with), np.cumsum(columns_without)),
    )
    fig = subplots(
        [[go.Scatter(x=steps, y=list(values), mode="lines+markers", name=name, legendgroup=name,
                     showlegend=column == 0, line={"color": OKABE_ITO[4 if i == 0 else 5], "dash": "solid" if i == 0 else "dash"},
                     marker={"symbol": "circle" if i == 0 else "diamond", "size": 5})
          for i, (name, values) in enumerate(zip(names, pair))]
         for column, pair in enumerate(panels)],
        3, list(panel_titles), horizontal_spacing=0.08, min_panel_px=160, row_gap_px=PANEL_GAP_PX + 32,
        x_axis={"title": {"text": step_title}}, y_axis={"rangemode": "tozero"},
    )
    for axis in ("", "2", "3"):  # the shown step, marked on every panel
        fig.add_shape(type="line", x0=current, x1=current, xref=f"x{axis}", y0=0, y1=1, yref=f"y{axis} domain",
                      line={"color": "#999999", "dash": "dot"})
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return finish(fig, title, summary, height=400)


def cache_step_html(rows: Sequence[tuple[str, str]], cached: Sequence[str], produced: str) -> str:
    """A two-column table of the step's shapes and numbers, then the cached tokens with the newest
    (the query) marked, an arrow, and the token it produced."""
    table = "".join(f"<tr><th>{html.escape(name)}</th><td><code>{html.escape(value)}</code></td></tr>" for name, value in rows)
    chips = "".join(
        f'<span class="{"ntl-diverge" if i == len(cached) - 1 else "ntl-prompt"}">{_one_line(token)}</span>'
        for i, token in enumerate(cached)
    )
    return (f'<table class="ntl-table"><tbody>{table}</tbody></table>'
            f'<div class="ntl-gen">{chips} ⇒ <span class="ntl-match">{_one_line(produced)}</span></div>')


def decoding_table_html(
    rows: Sequence[Mapping[str, object]], headers: Sequence[str], loop_note: str, no_loop: str,
) -> str:
    """One row per strategy run: its text with the repeating tail highlighted, log-probability, repetition.

    Each row mapping holds ``strategy``, ``penalty``, ``pieces`` (token texts), ``loop`` (``(start,
    period)`` or ``None``), ``logprob`` and ``repeated``.
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        loop = row["loop"]
        pieces = []
        for i, piece in enumerate(row["pieces"]):
            in_loop = loop is not None and i >= loop[0]
            pieces.append(f'<span class="ntl-loop">{_one_line(piece)}</span>' if in_loop else f"<span>{_one_line(piece)}</span>")
        loop_text = loop_note.format(start=loop[0] + 1, period=loop[1]) if loop else no_loop  # counted from 1
        body.append(
            f"<tr><td>{html.escape(str(row['strategy']))}</td><td>{html.escape(str(row['penalty']))}</td>"
            f'<td class="ntl-seq">{"".join(pieces)}</td>'
            f"<td>{row['logprob']:.2f}</td><td>{row['repeated']:.0%}</td><td>{html.escape(loop_text)}</td></tr>"
        )
    return f'<table class="ntl-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def decoding_bars(
    strategies: Sequence[str], series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    panel_titles: tuple[str, str], title: str, summary: str,
) -> go.Figure:
    """Sequence log-probability and repeated-trigram share per strategy; one bar colour per penalty setting.

    ``series`` maps a setting's name to its (log-probabilities, repeated shares), one per strategy.
    """
    left, right = [], []
    for i, (name, (logprobs, repeated)) in enumerate(series.items()):
        colour = OKABE_ITO[[0, 4][i % 2]]
        pattern = {"shape": "" if i == 0 else "/"}
        left.append(go.Bar(x=list(strategies), y=list(logprobs), name=name, legendgroup=name, marker_color=colour,
                           marker_pattern=pattern, hovertemplate="%{x}: %{y:.2f}<extra>" + html.escape(name) + "</extra>"))
        right.append(go.Bar(x=list(strategies), y=list(repeated), name=name, legendgroup=name, showlegend=False,
                            marker_color=colour, marker_pattern=pattern,
                            hovertemplate="%{x}: %{y:.0%}<extra>" + html.escape(name) + "</extra>"))
    fig = subplots([left, right], 2, list(panel_titles), horizontal_spacing=0.1, x_axis={"tickangle": -30}, min_panel_px=200,
                   row_gap_px=PANEL_GAP_PX + 48)
    fig.update_layout(barmode="group", yaxis2={"tickformat": ".0%", "range": [0, 1]})
    finish(fig, title, summary, height=460)
    # Below the rotated strategy names, with room for them.
    fig.update_layout(legend={"orientation": "h", "y": -0.5}, margin={"b": 140})
    return fig


def surprisal_colour(nats: float) -> str:
    """Pale yellow for an expected token, dark for a surprising one (same ramp as probabilities)."""
    return probability_colour(1.0 - min(max(nats, 0.0), SURPRISAL_CAP) / SURPRISAL_CAP)


def surprisal_html(
    first: str, tokens: Sequence[str], surprisals: Sequence[float], tips: Sequence[str], legend: str,
) -> str:
    """The text with every predicted token shaded by its surprisal (−log p, nats); hover tells more.

    ``first`` is the first token, which nothing predicts; ``legend`` labels the colour key.
    """
    parts = [f'<div class="ntl-gen"><span class="ntl-prompt">{_one_line(first)}</span>']
    for token, nats, tip in zip(tokens, surprisals, tips):
        parts.append(f'<span style="background:{surprisal_colour(nats)}" title="{html.escape(tip)}">{_one_line(token)}</span>')
    parts.append("</div>")
    key = "".join(
        f'<span style="background:{surprisal_colour(v)};padding:1px 6px;margin-right:2px">{v:g}</span>'
        for v in np.linspace(0, SURPRISAL_CAP, 6)
    )
    parts.append(f'<div style="margin-top:6px;font-size:0.85em">{html.escape(legend)} {key}</div>')
    return "".join(parts)


def generation_html(prompt: str, tokens: Sequence[str], matches: Sequence[bool], tips: Sequence[str]) -> str:
    """A generated continuation after its prompt; tokens equal to the original text's are marked."""
    parts = [f'<div class="ntl-gen"><span class="ntl-prompt">{_one_line(prompt)}</span>']
    for token, same, tip in zip(tokens, matches, tips):
        parts.append(f'<span class="{"ntl-match" if same else "ntl-diverge"}" title="{html.escape(tip)}">{_one_line(token)}</span>')
    parts.append("</div>")
    return "".join(parts)


def surprisal_bars(labels: Sequence[str], surprisals: Sequence[float], title: str, summary: str,
                   axis_titles: tuple[str, str]) -> go.Figure:
    """Each position's loss (the training objective before averaging), coloured like the text."""
    fig = go.Figure(go.Bar(x=unique_labels(list(labels)), y=list(surprisals),
                           marker_color=[surprisal_colour(v) for v in surprisals], marker_line={"color": "#555", "width": 0.5},
                           hovertemplate="%{x}<br>%{y:.3f} nats<extra></extra>"))
    fig.update_xaxes(title=axis_titles[0], type="category", tickangle=-45)
    fig.update_yaxes(title=axis_titles[1], rangemode="tozero")
    return finish(fig, title, summary, height=380)


def curves(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str, summary: str,
           axis_titles: tuple[str, str], height: int = 380) -> go.Figure:
    """Lines over a shared x axis (training steps): one per named series ``(x, y)``."""
    fig = go.Figure()
    for i, (name, (x, y)) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(x), y=list(y), mode="lines+markers" if len(x) < 40 else "lines", name=name,
                                 line={"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "dash": ["solid", "dash", "dot", "dashdot"][i % 4]}))
    fig.update_xaxes(title=axis_titles[0])
    fig.update_yaxes(title=axis_titles[1])
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return finish(fig, title, summary, height=height)


def value_bars(values: Mapping[str, float], title: str, summary: str, axis_title: str) -> go.Figure:
    """One bar per name (e.g. the final validation loss of each channel), value printed on the bar."""
    names = list(values)
    fig = go.Figure(go.Bar(x=names, y=[values[n] for n in names], text=[f"{values[n]:.3f}" for n in names],
                           textposition="outside", marker_color=[SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(names))]))
    top = max(values.values(), default=1.0)
    fig.update_yaxes(title=axis_title, range=[0, top * 1.15 or 1.0])
    return finish(fig, title, summary, height=360)


def message_figure(text: str, title: str) -> go.Figure:
    """An empty figure whose title and summary say why there is nothing to plot (e.g. no report yet)."""
    fig = go.Figure()
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish(fig, title, text, height=260)
