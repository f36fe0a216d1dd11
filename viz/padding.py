"""The padded batch as a picture: token grid, attention mask and position ids side by side."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import HOVER_WORDS, cell_text, finish, subplots, visible_token
from .palette import HEATMAP_SCALE, MASK_SCALE

CELL_TEXT_COLUMNS = 40  # wider grids show no text in the cells (hover still has it): a browser draws
# a 256-column grid with text in seconds, and the text would be too small to read anyway


def layout_grids(
    token_text: Sequence[Sequence[str]],
    attention_mask: np.ndarray,
    position_ids: np.ndarray,
    titles: tuple[str, str, str],
    title: str,
    summary: str,
    first_pass: tuple[int, str] | None = None,
    words: Mapping[str, str] = HOVER_WORDS,
) -> go.Figure:
    """Three aligned grids stacked full width (rows = prompts, columns = positions in the padded batch).

    ``first_pass`` (columns, label) marks where the first forward pass stops when it does not
    take the whole grid (LLaMA's right-masked start); later columns are fed one step at a time.
    """
    rows, columns = attention_mask.shape
    text = [[visible_token(t) for t in row] for row in token_text]
    font = {"size": 11 if columns <= 32 else 9}
    in_cells = "%{text}" if columns <= CELL_TEXT_COLUMNS else ""
    where = f"{words['row']} %{{y}}, {words['column']} %{{x}}"
    cell = {"xgap": 2 if columns <= CELL_TEXT_COLUMNS else 0, "ygap": 2, "showscale": False}

    def numbers(values) -> dict:
        return cell_text([[str(v) for v in row] for row in values], font["size"], in_cells and "%{z}")

    fig = subplots([
        # the tokens: the browser may shorten one to fit a narrow cell, so the hover names it from customdata
        [go.Heatmap(z=attention_mask, text=text, customdata=text, **cell_text(text, font["size"], in_cells),
                    colorscale=MASK_SCALE, zmin=0, zmax=1, hovertemplate=f"{where}: %{{customdata}}<extra></extra>", **cell)],
        [go.Heatmap(z=attention_mask, **numbers(attention_mask), colorscale=MASK_SCALE,
                    zmin=0, zmax=1, hovertemplate=f"{where}: {words['mask']} %{{z}}<extra></extra>", **cell)],
        [go.Heatmap(z=position_ids, **numbers(position_ids), colorscale=HEATMAP_SCALE,
                    hovertemplate=f"{where}: {words['position']} %{{z}}<extra></extra>", **cell)],
    ], 1, titles, vertical_spacing=0.3 / 3,
        x_axis={"tickmode": "array", "tickvals": list(range(columns)), "tickfont": font} if in_cells else {},
        y_axis={"autorange": "reversed", "tickmode": "array", "tickvals": list(range(rows)), "ticktext": [f"#{r}" for r in range(rows)]})
    if first_pass is not None and first_pass[0] < columns:
        boundary, label = first_pass
        for suffix in ("", "2", "3"):
            fig.add_shape(type="line", x0=boundary - 0.5, x1=boundary - 0.5, y0=0, y1=1, xref=f"x{suffix}", yref=f"y{suffix} domain",
                          line={"color": "#000", "width": 3, "dash": "dash"})
        fig.add_annotation(x=boundary - 0.5, y=0, xref="x3", yref="y3 domain", yshift=-24, text=label, showarrow=False,
                           xanchor="left", yanchor="top", font={"size": 12})
    return finish(fig, title, summary, height=200 + 3 * (36 * rows + 50))
