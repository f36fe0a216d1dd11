"""The padded batch as a picture: token grid, attention mask and position ids side by side."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import finish, visible_token
from .palette import HEATMAP_SCALE, MASK_SCALE


def layout_grids(
    token_text: Sequence[Sequence[str]],
    attention_mask: np.ndarray,
    position_ids: np.ndarray,
    titles: tuple[str, str, str],
    title: str,
    summary: str,
) -> go.Figure:
    """Three aligned grids (rows = prompts, columns = positions in the padded batch)."""
    rows, columns = attention_mask.shape
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.04, column_widths=[0.5, 0.25, 0.25])
    text = [[visible_token(t) for t in row] for row in token_text]
    fig.add_trace(
        go.Heatmap(z=attention_mask, text=text, texttemplate="%{text}", textfont={"size": 11}, colorscale=MASK_SCALE, zmin=0, zmax=1,
                   showscale=False, xgap=2, ygap=2, hovertemplate="row %{y}, column %{x}: %{text}<extra></extra>"),
        row=1, col=1,
    )
    fig.add_trace(
        go.Heatmap(z=attention_mask, text=attention_mask, texttemplate="%{text}", colorscale=MASK_SCALE, zmin=0, zmax=1,
                   showscale=False, xgap=2, ygap=2, hovertemplate="row %{y}, column %{x}: mask %{z}<extra></extra>"),
        row=1, col=2,
    )
    fig.add_trace(
        go.Heatmap(z=position_ids, text=position_ids, texttemplate="%{text}", colorscale=HEATMAP_SCALE, showscale=False,
                   xgap=2, ygap=2, hovertemplate="row %{y}, column %{x}: position %{z}<extra></extra>"),
        row=1, col=3,
    )
    fig.update_yaxes(autorange="reversed", tickmode="array", tickvals=list(range(rows)), ticktext=[f"#{r}" for r in range(rows)])
    fig.update_xaxes(tickmode="array", tickvals=list(range(columns)))
    return finish(fig, title, summary, height=140 + 48 * rows)
