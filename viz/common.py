"""Figure conventions shared by every tab: titles with a one-line summary, readable fonts."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from .palette import SERIES_COLOURS

_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "zerolinewidth": 2,
         "ticks": "", "automargin": True, "title": {"standoff": 15}}
# plotly_white's look for what these figures use. Naming "plotly_white" instead copies and
# validates its defaults for every trace type: about 10 ms per figure, on every request.
TEMPLATE = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": "#2a3f5f"}, "hovermode": "closest",
    "hoverlabel": {"align": "left"}, "colorway": SERIES_COLOURS, "xaxis": _AXIS, "yaxis": _AXIS,
})


def finish(fig: go.Figure, title: str, summary: str, height: int = 420) -> go.Figure:
    """Title plus a one-line text summary (the figure's text alternative), consistent layout."""
    fig.update_layout(
        title={"text": f"{html.escape(title, quote=False)}<br><sup>{html.escape(summary, quote=False)}</sup>", "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 80, "b": 50},
        font={"family": "Noto Sans, Noto Sans CJK SC, Arial, sans-serif", "size": 13},
        template=TEMPLATE,
        meta={"summary": summary},
    )
    return fig


def visible_token(text: str) -> str:
    """Make whitespace visible in axis labels: space → ·, newline → ↵, tab → →."""
    text = text.replace(" ", "·").replace("\n", "↵").replace("\t", "→")
    # Other control characters (bytes 0-31, 127) become Unicode's Control Pictures: ␀ ␇ ␛ ␡
    return "".join(chr(0x2400 + ord(c)) if ord(c) < 32 else "␡" if ord(c) == 127 else c for c in text) or "∅"


def unique_labels(labels: list[str]) -> list[str]:
    """Plotly merges equal category labels; suffix the position to keep every token apart."""
    return [f"{i}:{visible_token(label)}" for i, label in enumerate(labels)]
