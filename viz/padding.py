"""The padded batch as a picture: token grid, attention mask and position ids side by side."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from .common import finish, subplots, visible_token
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
    text = [[visible_token(t) for t in row] for row in token_text]
    fig = subplots([
        [go.Heatmap(z=attention_mask, text=text, texttemplate="%{text}", textfont={"size": 11}, colorscale=MASK_SCALE, zmin=0, zmax=1,
                    showscale=False, xgap=2, ygap=2, hovertemplate="row %{y}, column %{x}: %{text}<extra></extra>")],
        [go.Heatmap(z=attention_mask, text=attention_mask, texttemplate="%{text}", colorscale=MASK_SCALE, zmin=0, zmax=1,
                    showscale=False, xgap=2, ygap=2, hovertemplate="row %{y}, column %{x}: mask %{z}<extra></extra>")],
        [go.Heatmap(z=position_ids, text=position_ids, texttemplate="%{text}", colorscale=HEATMAP_SCALE, showscale=False,
                    xgap=2, ygap=2, hovertemplate="row %{y}, column %{x}: position %{z}<extra></extra>")],
    ], 3, titles, horizontal_spacing=0.04, column_widths=[0.5, 0.25, 0.25],
        x_axis={"tickmode": "array", "tickvals": list(range(columns))},
        y_axis={"autorange": "reversed", "tickmode": "array", "tickvals": list(range(rows)), "ticktext": [f"#{r}" for r in range(rows)]})
    return finish(fig, title, summary, height=140 + 48 * rows)
