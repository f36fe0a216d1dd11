"""How figures are laid out in the browser once drawn: projector-size fonts, and titles that fit.

The server wraps each figure's summary to a width that fits a half-width figure
(``viz.common.wrapped``) and leaves the title on one line. In the browser a figure's real width is
known, so the page rewraps both to it, from the units the server split them into
(``layout.meta``): on a full-width figure a two-line summary becomes one line instead of leaving a
lone word on the second, and on a phone a long title takes two lines instead of being cut off.
"""

from __future__ import annotations

from viz.common import FONT_SIZE, SUMMARY_LINE_PX

SUMMARY_EMS = 55  # the longest summary line, in ems of its font: about 100 Latin characters or 55 CJK ones
TITLE_LINE_PX = 24  # one more title line: Plotly's line spacing (1.3) of the 18 px title font

# The toolbar's Plotly logo is one more keyboard stop that teaches nothing.
FIGURE_CSS = ".modebar-btn--logo { display: none; }\n"

# Runs once at page load. ``window.ntlLayoutFigures`` lays out every figure on the page; a
# MutationObserver calls it again (once per frame) whenever figures are drawn, redrawn or resized.
# Every relayout that sets a height also says ``autosize: true, width: null``: otherwise Plotly fixes
# the width it has now, and the figure keeps it when the window narrows (a phone turned upright).
FIGURE_LAYOUT_JS = f"""() => {{
  const measure = document.createElement('canvas').getContext('2d');
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const fontOf = (plot) => {{
    if (!window.ntlFigureFont || plot._fullLayout.font.size === window.ntlFigureFont) return;
    const scale = window.ntlFigureFont / plot._fullLayout.font.size;  // room for the text, title and summary
    const update = {{autosize: true, width: null, 'font.size': window.ntlFigureFont, height: Math.round(plot._fullLayout.height * scale),
                    'margin.t': Math.round(plot._fullLayout.margin.t * scale)}};
    (plot.layout.annotations || []).forEach((note, i) => {{  // panel titles carry their own size
      if (note.font && note.font.size) update[`annotations[${{i}}].font.size`] = Math.round(note.font.size * scale);
    }});
    Object.keys(plot.layout).filter((key) => /^[xy]axis[0-9]*$/.test(key)).forEach((key) => {{  // so do some tick labels
      const size = plot.layout[key].tickfont && plot.layout[key].tickfont.size;
      if (size) update[`${{key}}.tickfont.size`] = Math.round(size * scale);
    }});
    window.Plotly.relayout(plot, update);
    const texts = plot.data.map((trace, i) => [i, trace.textfont && trace.textfont.size]).filter(([, size]) => size);
    if (texts.length) {{  // and the numbers or tokens written in heatmap cells
      window.Plotly.restyle(plot, {{'textfont.size': texts.map(([, size]) => Math.round(size * scale))}}, texts.map(([i]) => i));
    }}
  }};
  // Units (words with their trailing space, single CJK characters) in lines no wider than ``room``
  // pixels in ``font``: as few lines as fit, then as even as they go, so no line is a lone word.
  const linesOf = (units, font, room) => {{
    measure.font = font;
    const sized = units.map((unit) => [unit, measure.measureText(unit).width, measure.measureText(unit.trimEnd()).width]);
    const fill = (width) => {{
      const lines = [['', 0]];
      sized.forEach(([unit, size, trimmed]) => {{
        const line = lines[lines.length - 1];
        if (line[0] && line[1] + trimmed > width) lines.push(['', 0]);
        lines[lines.length - 1][0] += unit;
        lines[lines.length - 1][1] += size;
      }});
      return lines.map(([text]) => text.trimEnd()).filter((text) => text.trim());
    }};
    const count = fill(room).length;
    let narrow = 0, wide = room;
    while (wide - narrow > 1) {{
      const middle = (narrow + wide) / 2;
      if (fill(middle).length === count) wide = middle; else narrow = middle;
    }}
    return fill(wide);
  }};
  const titleOf = (plot) => {{
    const full = plot._fullLayout, meta = plot.layout.meta;
    if (!meta || !meta.title_units || !plot.layout.title) return;
    const size = full.title.font.size, family = full.title.font.family;
    const key = [full.width, size, plot.layout.title.text].join('|');
    if (plot.ntlTitleKey === key) return;  // laid out for this width, font and text already
    const room = 0.98 * full.width - 8;  // the title starts at 1 % of the figure's width
    const titleLines = linesOf(meta.title_units, `${{size}}px ${{family}}`, room);
    // A summary line is <sup>: 70 % of the title's font.
    const summaryLines = linesOf(meta.summary_units, `${{0.7 * size}}px ${{family}}`, Math.min(room, {SUMMARY_EMS} * 0.7 * size));
    const text = titleLines.map(escape).join('<br>') + summaryLines.map((line) => `<br><sup>${{escape(line)}}</sup>`).join('');
    const lines = (shown) => {{
      const summary = (shown.match(/<sup>/g) || []).length;
      return [(shown.match(/<br>/g) || []).length + 1 - summary, summary];
    }};
    const [titleBefore, summaryBefore] = lines(plot.layout.title.text);
    const scale = full.font.size / {FONT_SIZE};  // projector mode draws everything larger
    const change = Math.round(((titleLines.length - titleBefore) * {TITLE_LINE_PX} + (summaryLines.length - summaryBefore) * {SUMMARY_LINE_PX}) * scale);
    plot.ntlTitleKey = [full.width, size, text].join('|');
    if (text !== plot.layout.title.text) {{
      window.Plotly.relayout(plot, {{autosize: true, width: null, 'title.text': text, height: full.height + change, 'margin.t': full.margin.t + change}});
    }}
  }};
  // A screen reader meets a figure as one image named by its title and summary, not as the
  // hundreds of SVG labels inside it (read with the words of wrapped lines run together).
  const nameOf = (plot) => {{
    const meta = plot.layout.meta;
    if (!meta || !meta.title_units) return;
    const name = [meta.title_units.join(''), meta.summary].filter(Boolean).join(' — ');
    plot.querySelectorAll('svg.main-svg').forEach((layer, i) => {{
      if (i > 0) layer.setAttribute('aria-hidden', 'true');
      else if (layer.getAttribute('aria-label') !== name) {{
        layer.setAttribute('role', 'img');
        layer.setAttribute('aria-label', name);
      }}
    }});
  }};
  window.ntlLayoutFigures = () => document.querySelectorAll('.js-plotly-plot').forEach((plot) => {{
    if (!window.Plotly || !plot._fullLayout || !plot.layout || !plot.offsetParent) return;
    fontOf(plot);
    titleOf(plot);
    nameOf(plot);
  }});
  new MutationObserver(() => {{
    cancelAnimationFrame(window.ntlFigureFrame);
    window.ntlFigureFrame = requestAnimationFrame(window.ntlLayoutFigures);
  }}).observe(document.body, {{childList: true, subtree: true}});
}}"""
