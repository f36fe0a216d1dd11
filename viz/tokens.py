"""Token chips as HTML: each token's text (or hex bytes), id, and the character group it belongs to."""

from __future__ import annotations

import html
import unicodedata
from itertools import groupby
from typing import Protocol, Sequence

import regex  # tiktoken's own dependency; its \X finds characters as a reader sees them

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


def composed_characters(text: str, limit: int = 6) -> list[str]:
    """Characters as a reader sees them (grapheme clusters) that are several code points, each
    once, in order: a flag is two regional indicators, a skin tone adds one, e + a combining
    accent is two. Tokenizers read code points (as bytes), so these split where a reader sees one."""
    composed = (c for c in regex.findall(r"\X", text) if len(c) > 1 and not c.isspace())
    return list(dict.fromkeys(composed))[:limit]


def _code_point(char: str) -> str:
    """One code point shown alone: a combining mark on a dotted circle, an invisible one named."""
    return f"◌{char}" if unicodedata.combining(char) else visible_token(char)


def composed_note(characters: Sequence[str], sentence: str, item: str) -> str:
    """``sentence`` (with ``{list}``) listing each composed character as ``item`` (with ``{char}``,
    ``{parts}``, ``{n}`` code points and ``{bytes}``), e.g. 🇨🇳 = 🇨 + 🇳 (2 code points, 8 bytes)."""
    items = [item.format(char=f"<code>{html.escape(c)}</code>",
                         parts=" + ".join(f"<code>{html.escape(_code_point(p))}</code>" for p in c),
                         n=len(c), bytes=len(c.encode("utf-8")))
             for c in characters]
    return f'<p class="ntl-note">{sentence.format(list="; ".join(items))}</p>'


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
