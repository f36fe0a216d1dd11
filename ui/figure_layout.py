"""How the browser lays out each figure: projector-size fonts, titles, panels and cell text that fit, a name for screen readers.

The server wraps each figure's summary to a width that fits a half-width figure
(``viz.common.wrapped``) and leaves the title on one line. In the browser a figure's real width is
known, so the page rewraps both to it, from the units the server split them into
(``layout.meta``): on a full-width figure a two-line summary becomes one line instead of leaving a
lone word on the second, and on a phone a long title takes two lines instead of being cut off.
"""

from __future__ import annotations

import json

from viz.common import FONT_SIZE, TITLE_LINE_PX

from .i18n import LANGUAGES, t

MODEBAR_PX = 60  # the toolbar's two buttons sit over the end of the title's first line
COLORBAR_PX = 80  # a heatmap's colour bar, to the right of the plot area
MIN_CELL_TEXT_PX = 7  # text in heatmap cells is shrunk to fit down to this size, then left out
SUMMARY_EMS = 55  # the longest summary line, in ems of its font: about 100 Latin characters or 55 CJK ones

# Plotly's own words, in each language of the page: a Plotly locale per language (``ntl-zh``), used
# by every figure drawn while ``<html lang>`` is that language.
PLOTLY_WORDS = {code: {"Download plot as a PNG": t("fig.download_png", code), "Reset axes": t("fig.reset_axes", code),
                       "Double-click to zoom back out": t("fig.zoom_back", code),
                       "Double-click on legend to isolate one trace": t("fig.legend_isolate", code)}
                for code in LANGUAGES}

# The toolbar's Plotly logo is one more keyboard stop that teaches nothing.
FIGURE_CSS = ".modebar-btn--logo { display: none; }\n"

# Runs once at page load. Each figure is laid out before Plotly draws it: Gradio's calls to
# ``Plotly.react`` / ``newPlot`` are wrapped, so a figure is drawn once, already fitted (a second
# draw measures every tick label again: on a language switch that doubled seconds of drawing).
# ``window.ntlLayoutFigures`` applies the same layout to figures already drawn (the first one, a
# resized window, projector mode switched); a MutationObserver calls it once per frame.
# Every relayout that sets a height also says ``autosize: true, width: null``: otherwise Plotly fixes
# the width it has now, and the figure keeps it when the window narrows (a phone turned upright).
FIGURE_LAYOUT_JS = rf"""() => {{
  const measure = document.createElement('canvas').getContext('2d');
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // Projector mode: every font of the figure scaled to the projector's size, and room for them.
  // Returns [layout changes as relayout paths, [trace index, text size] pairs]. ``height`` is the
  // figure's: after a draw Gradio's resize deletes ``layout.height``, so a drawn figure passes its own.
  const fontChanges = (layout, data, height) => {{
    const now = layout.font && layout.font.size;
    if (!window.ntlFigureFont || !now || now === window.ntlFigureFont) return [{{}}, []];
    const scale = window.ntlFigureFont / now;
    const update = {{'font.size': window.ntlFigureFont, height: Math.round(height * scale),
                    'margin.t': Math.round(layout.margin.t * scale)}};
    (layout.annotations || []).forEach((note, i) => {{  // panel titles carry their own size
      if (note.font && note.font.size) update[`annotations[${{i}}].font.size`] = Math.round(note.font.size * scale);
    }});
    Object.keys(layout).filter((key) => /^[xy]axis[0-9]*$/.test(key)).forEach((key) => {{  // so do some tick labels
      const size = layout[key].tickfont && layout[key].tickfont.size;
      if (size) update[`${{key}}.tickfont.size`] = Math.round(size * scale);
    }});
    // and the numbers on bars (text in heatmap cells is sized to its cells: ``cellTextChanges``)
    const texts = data.map((trace, i) => [i, !cellsOf(trace) && trace.textfont && trace.textfont.size])
      .filter(([, size]) => size).map(([i, size]) => [i, Math.round(size * scale)]);
    return [update, texts];
  }};
  const cellsOf = (trace) => trace.meta && trace.meta.cell_text;
  const axisKey = (axis, i) => (i === 0 ? `${{axis}}axis` : `${{axis}}axis${{i + 1}}`);
  // The plot area's size: the figure's less its margins and, beside a heatmap, the colour bar.
  const plotSize = (layout, data, width, height) => {{
    const bar = data.some((trace) => trace.type === 'heatmap' && trace.showscale !== false) ? {COLORBAR_PX} : 0;
    return [width - layout.margin.l - layout.margin.r - bar, height - layout.margin.t - layout.margin.b];
  }};
  // A grid of panels the server let reflow (``viz.common.subplots``): as many columns as leave each
  // panel ``min_px`` wide and wider than its title, rows as tall as the server drew them. A phone
  // gets one or two columns instead of slivers under overlapping titles; a wide window gets back
  // the server's grid.
  const panelChanges = (layout, data, width, height) => {{
    const grid = layout.meta && layout.meta.panels;
    if (!grid || !width) return {{}};
    const [plotWidth, plotHeight] = plotSize(layout, data, width, height);
    const titles = (layout.annotations || []).slice(0, grid.titles);
    const widest = Math.max(0, ...titles.map((note) => {{
      measure.font = `${{(note.font && note.font.size) || layout.font.size}}px ${{layout.font.family}}`;
      return measure.measureText(note.text).width;
    }}));
    const share = (columns) => (1 - grid.gap_x * (columns - 1)) / columns;
    let columns = grid.columns;
    while (columns > 1 && share(columns) * plotWidth < Math.max(grid.min_px, widest + 8)) columns -= 1;
    const domain = (i) => layout[axisKey('y', i)].domain;
    const shownColumns = [...Array(grid.count).keys()].filter((i) => Math.abs(domain(i)[1] - domain(0)[1]) < 1e-9).length;
    if (columns === shownColumns) return {{}};
    const panel = (domain(0)[1] - domain(0)[0]) * plotHeight;  // px, kept
    const rows = Math.ceil(grid.count / columns);
    const grown = rows * panel + (rows - 1) * grid.gap_y_px;
    const update = {{height: Math.round(height + grown - plotHeight)}};
    [...Array(grid.count).keys()].forEach((i) => {{
      const left = (i % columns) * (share(columns) + grid.gap_x);
      const top = 1 - Math.floor(i / columns) * (panel + grid.gap_y_px) / grown;
      update[`${{axisKey('x', i)}}.domain`] = [left, Math.min(1, left + share(columns))];
      update[`${{axisKey('y', i)}}.domain`] = [Math.max(0, top - panel / grown), top];
      if (i < titles.length) Object.assign(update, {{[`annotations[${{i}}].x`]: left + share(columns) / 2, [`annotations[${{i}}].y`]: top}});
    }});
    const legend = layout.legend && layout.legend.y;  // a legend under the plot stays as far under it
    if (typeof legend === 'number' && legend < 0) update['legend.y'] = legend * plotHeight / grown;
    return update;
  }};
  // Text in heatmap cells at the server's size (scaled with the figure's font), shrunk to fit the
  // cells it has now, or left out where it would have to be smaller than {MIN_CELL_TEXT_PX} px: smeared
  // text teaches nothing, and hovering a cell still names it. [trace index, size, texttemplate] each.
  const cellTextChanges = (layout, data, width, height) => {{
    const [plotWidth, plotHeight] = plotSize(layout, data, width, height);
    return data.flatMap((trace, i) => {{
      const cells = cellsOf(trace);
      if (!cells || !cells.columns || !width) return [];
      const x = (layout[`xaxis${{(trace.xaxis || 'x').slice(1)}}`] || {{}}).domain || [0, 1];
      const y = (layout[`yaxis${{(trace.yaxis || 'y').slice(1)}}`] || {{}}).domain || [0, 1];
      const cellWidth = (x[1] - x[0]) * plotWidth / cells.columns - (trace.xgap || 0);
      const cellHeight = (y[1] - y[0]) * plotHeight / cells.rows - (trace.ygap || 0);
      const wanted = cells.size * layout.font.size / {FONT_SIZE};
      measure.font = `${{wanted}}px ${{layout.font.family}}`;
      const textWidth = measure.measureText(cells.widest).width;
      const size = Math.min(wanted, textWidth ? wanted * (cellWidth - 4) / textWidth : wanted, 0.8 * cellHeight);
      return size >= {MIN_CELL_TEXT_PX} ? [[i, Math.floor(2 * size) / 2, cells.template]] : [[i, wanted, '']];
    }});
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
  // The title and its summary rewrapped to ``width``; the same layout changes as relayout paths.
  const titleChanges = (layout, width, height) => {{
    const meta = layout.meta;
    if (!meta || !meta.title_units || !layout.title || !width) return {{}};
    const fontSize = layout.font.size;
    const size = (layout.title.font && layout.title.font.size) || Math.round(1.4 * fontSize);  // Plotly's default
    const family = layout.font.family;
    const room = 0.98 * width - 8;  // the title starts at 1 % of the figure's width
    const titleLines = linesOf(meta.title_units, `${{size}}px ${{family}}`, room - {MODEBAR_PX});
    // A summary line is <sup>: 70 % of the title's font.
    const summaryLines = linesOf(meta.summary_units, `${{0.7 * size}}px ${{family}}`, Math.min(room, {SUMMARY_EMS} * 0.7 * size));
    const text = titleLines.map(escape).join('<br>') + summaryLines.map((line) => `<br><sup>${{escape(line)}}</sup>`).join('');
    if (text === layout.title.text) return {{}};
    const lines = (shown) => {{
      const summary = (shown.match(/<sup>/g) || []).length;
      return [(shown.match(/<br>/g) || []).length + 1 - summary, summary];
    }};
    const [titleBefore, summaryBefore] = lines(layout.title.text);
    const scale = fontSize / {FONT_SIZE};  // projector mode draws everything larger
    const change = Math.round(((titleLines.length - titleBefore) * {TITLE_LINE_PX} + (summaryLines.length - summaryBefore) * {TITLE_LINE_PX}) * scale);
    return {{'title.text': text, height: height + change, 'margin.t': layout.margin.t + change}};
  }};
  const setPath = (object, path, value) => {{  // relayout's 'annotations[2].font.size' on a plain layout
    const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
    let node = object;
    keys.slice(0, -1).forEach((key) => {{ node = node[key] = node[key] || {{}}; }});
    node[keys[keys.length - 1]] = value;
  }};
  // A figure about to be drawn into ``plot``: laid out in place, at the width it will get.
  const beforeDrawing = (plot, data, layout) => {{
    if (!layout || !Array.isArray(data)) return;
    if (!layout.height || !layout.margin) return;  // every figure from ``viz.common.finish`` has both
    const [update, texts] = fontChanges(layout, data, layout.height);
    Object.entries(update).forEach(([path, value]) => setPath(layout, path, value));
    texts.forEach(([i, size]) => {{ data[i].textfont.size = size; }});
    const width = plot.clientWidth;
    Object.entries(panelChanges(layout, data, width, layout.height)).forEach(([path, value]) => setPath(layout, path, value));
    Object.entries(titleChanges(layout, width, layout.height)).forEach(([path, value]) => setPath(layout, path, value));
    cellTextChanges(layout, data, width, layout.height).forEach(([i, size, template]) => {{
      data[i].textfont = {{...data[i].textfont, size}};
      data[i].texttemplate = template;
    }});
  }};
  const words = {json.dumps(PLOTLY_WORDS, ensure_ascii=False)};
  const wrapPlotly = () => {{
    if (!window.Plotly || window.Plotly.ntlWrapped) return;
    Object.entries(words).forEach(([code, dictionary]) => {{
      window.Plotly.register({{moduleType: 'locale', name: `ntl-${{code}}`, dictionary}});
    }});
    ['react', 'newPlot'].forEach((name) => {{
      const draw = window.Plotly[name];
      window.Plotly[name] = (plot, data, layout, config, ...rest) => {{
        if (!Array.isArray(data)) return draw.call(window.Plotly, plot, data, layout, config, ...rest);
        try {{ beforeDrawing(plot, data, layout); }} catch (error) {{ console.warn('figure layout', error); }}
        const language = document.documentElement.lang in words ? document.documentElement.lang : 'en';
        return draw.call(window.Plotly, plot, data, layout, {{...config, locale: `ntl-${{language}}`}}, ...rest);
      }};
    }});
    window.Plotly.ntlWrapped = true;
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
  const relayout = (plot, update) => {{
    if (Object.keys(update).length) window.Plotly.relayout(plot, {{autosize: true, width: null, ...update}});
  }};
  window.ntlLayoutFigures = () => {{
    wrapPlotly();
    document.querySelectorAll('.js-plotly-plot').forEach((plot) => {{
      if (!window.Plotly || !plot._fullLayout || !plot.layout || !plot.offsetParent) return;
      const [update, texts] = fontChanges(plot.layout, plot.data, plot._fullLayout.height);
      relayout(plot, update);
      if (texts.length) {{
        window.Plotly.restyle(plot, {{'textfont.size': texts.map(([, size]) => size)}}, texts.map(([i]) => i));
      }}
      // Wrapped for the width the figure has on the page: Plotly's own width is stale for a figure
      // drawn in a hidden tab (its 700 px default) until the relayout below snaps it to the page.
      const width = plot.clientWidth;
      const key = () => [width, plot.layout.font.size, plot.layout.title && plot.layout.title.text].join('|');
      if (plot.ntlTitleKey !== key()) {{  // not laid out for this width, font and text yet
        relayout(plot, panelChanges(plot.layout, plot.data, width, plot._fullLayout.height));
        relayout(plot, titleChanges(plot.layout, width, plot._fullLayout.height));
        const cells = cellTextChanges(plot.layout, plot.data, width, plot._fullLayout.height)
          .filter(([i, size, template]) => plot.data[i].textfont.size !== size || plot.data[i].texttemplate !== template);
        if (cells.length) {{
          window.Plotly.restyle(plot, {{'textfont.size': cells.map(([, size]) => size), texttemplate: cells.map(([, , t]) => t)}},
                                cells.map(([i]) => i));
        }}
        plot.ntlTitleKey = key();
      }}
      nameOf(plot);
    }});
  }};
  new MutationObserver(() => {{
    wrapPlotly();
    cancelAnimationFrame(window.ntlFigureFrame);
    window.ntlFigureFrame = requestAnimationFrame(window.ntlLayoutFigures);
  }}).observe(document.body, {{childList: true, subtree: true}});
}}"""
