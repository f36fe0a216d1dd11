"""Token chips as HTML: each token's text (or hex bytes), id, and the character group it belongs to."""

from __future__ import annotations

import html
from itertools import groupby
from typing import Protocol, Sequence

from .common import visible_token
from .palette import chip_colour


class Piece(Protocol):
    id: int
    bytes: bytes
    text: str
    partial: bool
    special: bool
    group: int
    group_text: str


def _shown(text: str) -> str:
    """The same whitespace marks as every figure's labels (space ·, newline ↵, tab →)."""
    return html.escape(visible_token(text))


def token_chips(pieces: Sequence[Piece], show_bytes: bool = False, partial_label: str = "partial UTF-8",
                special_label: str = "special: one id, not bytes of text", bytes_label: str = "bytes") -> str:
    """Chips coloured per token; tokens that only together make a character are framed as one group.

    A special token's name is not text the model read byte by byte, so it shows ``special_label``
    where other chips show their bytes."""
    parts = ['<div class="ntl-chips" role="list">']
    index = 0
    for _, members in groupby(pieces, key=lambda p: p.group):
        group = list(members)
        framed = len(group) > 1 and any(p.partial for p in group)
        if framed:
            parts.append(
                f'<span class="ntl-group" title="{html.escape(partial_label)}: '
                f'{html.escape(group[0].group_text)}"><span class="ntl-group-text">{_shown(group[0].group_text)}</span>'
            )
        for piece in group:
            colour = "#FFFFFF" if piece.special else chip_colour(index)
            classes = "ntl-chip" + (" ntl-partial" if piece.partial else "") + (" ntl-special" if piece.special else "")
            hex_bytes = html.escape(special_label) if piece.special else " ".join(f"{b:02X}" for b in piece.bytes)
            detail = f'<span class="ntl-bytes">{hex_bytes}</span>' if show_bytes else ""
            parts.append(
                f'<span class="{classes}" role="listitem" style="background:{colour}" '
                f'title="id {piece.id} · {hex_bytes if piece.special else html.escape(bytes_label) + " " + hex_bytes}">'
                f'<span class="ntl-text">{html.escape(piece.text) if piece.partial else _shown(piece.text)}</span>'
                f'<span class="ntl-id">{piece.id}</span>{detail}</span>'
            )
            index += 1
        if framed:
            parts.append("</span>")
    parts.append("</div>")
    return "".join(parts)


def comparison_table(rows: Sequence[dict], headers: Sequence[str]) -> str:
    """A plain HTML table; ``rows`` are dicts whose values follow ``headers``' order."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>" for row in rows
    )
    return f'<table class="ntl-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


CSS = """
.ntl-chips { display:flex; flex-wrap:wrap; gap:6px 4px; align-items:flex-end; line-height:1.2; }
.ntl-chip { display:inline-flex; flex-direction:column; align-items:center; padding:3px 5px; border-radius:6px;
  border:1px solid #888; font-family: 'Noto Sans Mono', 'DejaVu Sans Mono', monospace; color:#111; }
.ntl-chip .ntl-id { font-size:0.7em; color:#333; }
.ntl-chip .ntl-bytes { font-size:0.65em; color:#444; }
.ntl-partial { border:2px dashed #D55E00; }
.ntl-special { border:2px solid #0072B2; font-weight:bold; }
.ntl-group { display:inline-flex; flex-wrap:nowrap; gap:2px; padding:17px 3px 3px; border:2px solid #CC79A7;
  border-radius:8px; position:relative; }
.ntl-group-text { position:absolute; top:1px; left:5px; line-height:1.1; font-size:0.85em; color:#111; }
/* A table wider than a phone scrolls sideways (its box does: the table keeps its table semantics)
   instead of hiding its last columns; words break between words only ("parameter|s"). */
.ntl-table { border-collapse:collapse; margin:6px 0; }
:has(> .ntl-table) { overflow-x:auto; }
@media (max-width: 640px) { .ntl-table th { white-space:nowrap; } }
.ntl-table th, .ntl-table td { border:1px solid #bbb; padding:3px 8px; text-align:left; }
.ntl-table td { word-break:normal; overflow-wrap:normal; }  /* headings: projector mode's keep-all */
.ntl-gen { line-height:2; font-family: 'Noto Sans Mono', monospace; }
:where(.ntl-gen span) { padding:1px 2px; border-radius:3px; color:#111; }  /* no specificity: .ntl-match etc. win */
.ntl-prompt { color:#555; }
.ntl-lines { white-space: pre-wrap; }
.ntl-legend { font-size: 0.9em; color:#444; }
/* Running text read token by token: spaces as written, each token's extent shown by alternating shades. */
.ntl-seq { line-height:1.9; white-space:pre-wrap; color:#111; }
.ntl-seq span { padding:1px 0; border-radius:2px; }
.ntl-seq span:nth-child(even) { background:#E4E9F2; }
.ntl-seq span.ntl-loop { background:#F0E442; border-bottom:2px solid #D55E00; }
.ntl-seq span.ntl-loop:nth-child(even) { background:#F8F19A; }
.ntl-match { color:#009E73; font-weight:bold; }
.ntl-near { color:#D55E00; font-weight:bold; }
.ntl-diverge { background:#E69F00; color:#000; font-weight:bold; padding:0 3px; border-radius:3px; }
"""
