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

MODEBAR_PX = 84  # the toolbar's two buttons (76 px) sit over the end of the title's first line
COLORBAR_PX = 80  # a heatmap's colour bar, to the right of the plot area
MIN_CELL_TEXT_PX = 7  # numbers in heatmap cells are shrunk to fit down to this size, then left out
LEGIBLE_CELL_TEXT_PX = 9  # tokens in heatmap cells are not shrunk below this size: each is cut to fit instead
TITLE_SHRINK = 0.8  # a panel title may shrink to this share of its size before the grid loses a column
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
    (layout.annotations || []).forEach((note, i) => {{  // panel titles carry their own size and lift
      if (note.font && note.font.size) update[`annotations[${{i}}].font.size`] = Math.round(note.font.size * scale);
      if (note.yshift) update[`annotations[${{i}}].yshift`] = Math.round(note.yshift * scale);
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
  const decoder = document.createElement('textarea');
  const plain = (text) => {{ decoder.innerHTML = String(text); return decoder.value; }};  // Plotly text is HTML: &lt; is one character
  const widthOf = (text, size, family) => {{ measure.font = `${{size}}px ${{family}}`; return measure.measureText(text).width; }};
  const halfPixels = (size) => Math.floor(2 * size) / 2;
  // The plot area's size at ``width`` × ``height``: the figure's less its margins and what Plotly
  // added to them when it last drew the figure (tick labels, a colour bar), which hardly depends on
  // the width. Before the first draw a colour bar is all that is counted.
  const plotSize = (layout, data, width, height, drawn) => {{
    const margin = layout.margin;
    if (drawn && drawn._size) {{
      const addedWidth = drawn.width - drawn._size.w - drawn.margin.l - drawn.margin.r;
      const addedHeight = drawn.height - drawn._size.h - drawn.margin.t - drawn.margin.b;
      return [width - margin.l - margin.r - addedWidth, height - margin.t - margin.b - addedHeight];
    }}
    const bar = data.some((trace) => trace.type === 'heatmap' && trace.showscale !== false) ? {COLORBAR_PX} : 0;
    return [width - margin.l - margin.r - bar, height - margin.t - margin.b];
  }};
  // A grid of panels the server let reflow (``viz.common.subplots``). Its columns: as many as leave
  // each panel ``min_px`` wide and wide enough for its title at {TITLE_SHRINK:.0%} of its size, then
  // as few empty places as that allows (4 panels as 2 × 2, not 3 + 1); the server's own grid when it
  // fits. Reflowed rows keep the panels' height and stand ``gap_y_px`` apart (scaled with the font);
  // the server's grid comes back exactly as served. Panel titles shrink to fit their panel.
  const panelChanges = (layout, data, width, height, drawn) => {{
    const grid = layout.meta && layout.meta.panels;
    if (!grid || !width) return {{}};
    const scale = layout.font.size / {FONT_SIZE};
    const family = layout.font.family;
    const [plotWidth, plotHeight] = plotSize(layout, data, width, height, drawn);
    const titles = (layout.annotations || []).slice(0, grid.titles);
    const titleSize = grid.title_size * scale;
    const widest = Math.max(0, ...titles.map((note) => widthOf(plain(note.text), titleSize, family)));
    const share = (columns) => (1 - grid.gap_x * (columns - 1)) / columns;
    const fits = (columns) => share(columns) * plotWidth >= Math.max(grid.min_px, {TITLE_SHRINK} * widest + 8);
    let most = grid.columns;
    while (most > 1 && !fits(most)) most -= 1;
    let columns = most;
    const empty = (count) => Math.ceil(grid.count / count) * count - grid.count;
    if (most < grid.columns) {{
      for (let count = most - 1; count >= Math.ceil(most / 2); count -= 1) if (empty(count) < empty(columns)) columns = count;
    }}
    const update = {{}};
    const room = share(columns) * plotWidth - 8;
    const fitted = halfPixels(Math.max(8, widest > room ? titleSize * room / widest : titleSize));
    titles.forEach((note, i) => {{ if (!note.font || note.font.size !== fitted) update[`annotations[${{i}}].font.size`] = fitted; }});
    const domain = (i) => layout[axisKey('y', i)].domain;
    const shown = [...Array(grid.count).keys()].filter((i) => Math.abs(domain(i)[1] - domain(0)[1]) < 1e-9).length;
    if (columns === shown) return update;
    const panel = (domain(0)[1] - domain(0)[0]) * plotHeight;  // px, kept
    const rows = Math.ceil(grid.count / columns);
    let grown, top, bottom;
    if (columns === grid.columns) {{  // the server's grid: its own fractions (``viz.common.subplots``)
      const tall = (1 - grid.gap_y * (rows - 1)) / rows;
      grown = panel / tall;
      top = (row) => 1 - row * (tall + grid.gap_y);
      bottom = (row) => Math.max(0, top(row) - tall);
    }} else {{
      const gap = grid.gap_y_px * scale;
      grown = rows * panel + (rows - 1) * gap;
      top = (row) => 1 - row * (panel + gap) / grown;
      bottom = (row) => Math.max(0, top(row) - panel / grown);
    }}
    update.height = Math.round(height + grown - plotHeight);
    [...Array(grid.count).keys()].forEach((i) => {{
      const row = Math.floor(i / columns), left = (i % columns) * (share(columns) + grid.gap_x);
      update[`${{axisKey('x', i)}}.domain`] = [left, Math.min(1, left + share(columns))];
      update[`${{axisKey('y', i)}}.domain`] = [bottom(row), top(row)];
      if (i < titles.length) Object.assign(update, {{[`annotations[${{i}}].x`]: left + share(columns) / 2, [`annotations[${{i}}].y`]: top(row)}});
    }});
    const legend = layout.legend && layout.legend.y;  // a legend under the plot stays as far under it
    if (typeof legend === 'number' && legend < 0) update['legend.y'] = legend * plotHeight / grown;
    return update;
  }};
  // ``text`` shortened with '…' to what fits ``room`` px at ``size`` (HTML, as Plotly takes it); '' when not even one character does.
  const shorten = (text, size, family, room) => {{
    if (widthOf(text, size, family) <= room) return escape(text);
    const characters = [...text];
    for (let count = characters.length - 1; count > 0; count -= 1) {{
      const cut = characters.slice(0, count).join('') + '…';
      if (widthOf(cut, size, family) <= room) return escape(cut);
    }}
    return '';
  }};
  // Text in heatmap cells at the server's size (scaled with the figure's font), shrunk to fit the
  // cells it has now. Token text that would have to be smaller than {LEGIBLE_CELL_TEXT_PX} px keeps that size
  // instead, each cell showing what fits of its own token ('·questi…'; hovering a cell names it
  // whole); numbers are shrunk down to {MIN_CELL_TEXT_PX} px, then left out. Smeared text teaches nothing.
  // [trace index, size, texttemplate, text (a grid of HTML) or null to keep the trace's] each.
  const cellTextChanges = (layout, data, width, height, drawn) => {{
    if (!width || !data.some(cellsOf)) return [];
    const [plotWidth, plotHeight] = plotSize(layout, data, width, height, drawn);
    const family = layout.font.family;
    return data.flatMap((trace, i) => {{
      const cells = cellsOf(trace);
      if (!cells || !cells.columns) return [];
      const tokens = cells.template === '%{{text}}';
      if (tokens && !cells.texts) cells.texts = trace.text;  // the server's, before any shortening
      const x = (layout[`xaxis${{(trace.xaxis || 'x').slice(1)}}`] || {{}}).domain || [0, 1];
      const y = (layout[`yaxis${{(trace.yaxis || 'y').slice(1)}}`] || {{}}).domain || [0, 1];
      const room = (x[1] - x[0]) * plotWidth / cells.columns - (trace.xgap || 0) - 4;
      const cellHeight = (y[1] - y[0]) * plotHeight / cells.rows - (trace.ygap || 0);
      const most = Math.min(cells.size * layout.font.size / {FONT_SIZE}, 0.8 * cellHeight);
      const texts = tokens ? cells.texts.map((row) => row.map(plain)) : [cells.samples];
      const widest = Math.max(0, ...texts.flat().map((text) => widthOf(text, most, family)));
      const fitted = widest > room ? most * room / widest : most;
      if (fitted >= {LEGIBLE_CELL_TEXT_PX} || (!tokens && fitted >= {MIN_CELL_TEXT_PX})) return [[i, halfPixels(fitted), cells.template, tokens ? cells.texts : null]];
      if (!tokens || most < {MIN_CELL_TEXT_PX}) return [[i, halfPixels(most), '', null]];
      const size = halfPixels(Math.min(most, {LEGIBLE_CELL_TEXT_PX}));
      return [[i, size, cells.template, texts.map((row) => row.map((text) => shorten(text, size, family, room)))]];
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
    const lines = (shown) => (shown.match(/<br>/g) || []).length + 1;  // title and summary lines alike
    const scale = fontSize / {FONT_SIZE};  // projector mode draws everything larger
    const change = Math.round((lines(text) - lines(layout.title.text)) * {TITLE_LINE_PX} * scale);
    return {{'title.text': text, height: height + change, 'margin.t': layout.margin.t + change}};
  }};
  const setPath = (object, path, value) => {{  // relayout's 'annotations[2].font.size' on a plain layout
    const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
    let node = object;
    keys.slice(0, -1).forEach((key) => {{ node = node[key] = node[key] || {{}}; }});
    node[keys[keys.length - 1]] = value;
  }};
  // Every layout step for a figure ``width`` px wide: projector fonts, then (where ``full()``)
  // panels, title and cell text. Each step reads what the steps before it changed: the layout
  // changes are applied to ``layout`` as they come, and returned as relayout paths with the traces'
  // changes, [paths, Map(trace index → {{attribute: value}})].
  const planLayout = (layout, data, width, height, drawn, full) => {{
    const layoutUpdate = {{}}, traceUpdates = new Map();
    const apply = (update) => Object.entries(update).forEach(([path, value]) => {{
      setPath(layout, path, value);
      layoutUpdate[path] = value;
      if (path === 'height') height = value;
    }});
    const change = (i, attribute, value) => traceUpdates.set(i, {{...traceUpdates.get(i), [attribute]: value}});
    const [update, texts] = fontChanges(layout, data, height);
    apply(update);
    texts.forEach(([i, size]) => change(i, 'textfont.size', size));
    if (full()) {{
      apply(panelChanges(layout, data, width, height, drawn));
      apply(titleChanges(layout, width, height));
      cellTextChanges(layout, data, width, height, drawn).forEach(([i, size, template, text]) => {{
        const trace = data[i];
        if (!trace.textfont || trace.textfont.size !== size) change(i, 'textfont.size', size);
        if (trace.texttemplate !== template) change(i, 'texttemplate', template);
        if (text && JSON.stringify(trace.text) !== JSON.stringify(text)) change(i, 'text', text);
      }});
    }}
    return [layoutUpdate, traceUpdates];
  }};
  // A figure about to be drawn into ``plot``: laid out in place, at the width it will get.
  const beforeDrawing = (plot, data, layout) => {{
    if (!layout || !Array.isArray(data)) return;
    if (!layout.height || !layout.margin) return;  // every figure from ``viz.common.finish`` has both
    const [, traceUpdates] = planLayout(layout, data, plot.clientWidth, layout.height, null, () => true);
    traceUpdates.forEach((changes, i) => Object.entries(changes).forEach(([path, value]) => setPath(data[i], path, value)));
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
  // A drawn figure laid out for the width it has now, in one ``Plotly.update`` (each separate call
  // is a whole redraw), planned on a copy of its layout. Plotly's own width is stale for a figure
  // drawn in a hidden tab (its 700 px default) until this update snaps it to the page.
  const layoutDrawn = (plot) => {{
    const work = JSON.parse(JSON.stringify(plot.layout));
    const width = plot.clientWidth;
    const key = () => [width, work.font.size, work.title && work.title.text].join('|');
    const [layoutUpdate, traceUpdates] = planLayout(work, plot.data, width, plot._fullLayout.height, plot._fullLayout,
                                                    () => plot.ntlLayoutKey !== key());  // not laid out for this width, font and text yet
    plot.ntlLayoutKey = key();
    const indices = [...traceUpdates.keys()];
    if (!indices.length && !Object.keys(layoutUpdate).length) return;
    const current = {{'textfont.size': (trace) => trace.textfont && trace.textfont.size,
                     texttemplate: (trace) => trace.texttemplate, text: (trace) => trace.text}};
    const attributes = [...new Set(indices.flatMap((i) => Object.keys(traceUpdates.get(i))))];
    const restyle = Object.fromEntries(attributes.map((attribute) => [attribute, indices.map((i) =>
      (attribute in traceUpdates.get(i) ? traceUpdates.get(i)[attribute] : current[attribute](plot.data[i])))]));
    const relayout = Object.keys(layoutUpdate).length ? {{autosize: true, width: null, ...layoutUpdate}} : {{}};
    window.Plotly.update(plot, restyle, relayout, indices.length ? indices : undefined);
  }};
  window.ntlLayoutFigures = () => {{
    wrapPlotly();
    document.querySelectorAll('.js-plotly-plot').forEach((plot) => {{
      if (!window.Plotly || !plot._fullLayout || !plot.layout || !plot.offsetParent) return;
      try {{
        layoutDrawn(plot);
        nameOf(plot);
      }} catch (error) {{ console.warn('figure layout', error); }}
    }});
  }};
  new MutationObserver(() => {{
    wrapPlotly();
    cancelAnimationFrame(window.ntlFigureFrame);
    window.ntlFigureFrame = requestAnimationFrame(window.ntlLayoutFigures);
  }}).observe(document.body, {{childList: true, subtree: true}});
}}"""
