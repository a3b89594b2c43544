"""Charts as SVG strings drawn on the server from numbers: pure functions, no Flask, no database.

Every chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>` (the
figures in words), through `aria-labelledby`, so it reads without JavaScript, in a screen reader
and on paper. Colours are presentation attributes (the page's CSP allows no inline style), each
at least 3:1 against white (WCAG 1.4.11), and every series also has its name in the legend.
Nothing is drawn from another host. The pages put the same figures in a table beside the chart.
"""
from markupsafe import Markup, escape

# Series colours: this year, the year before (or the comparison), a third series.
COLOURS = ("#0b5cab", "#6b7280", "#b45309")
INK = "#1b1f24"
GRID = "#c9ced6"
TITLE_H = 20  # the drawn title's band at the top of every chart
FONT = "IPAGothic, 'IPAPGothic', 'Noto Sans CJK JP', sans-serif"


def _num(value):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _nice_max(values):
    """A round top for the value axis (at least 1) and its step."""
    top = max([v for v in values if v is not None] + [0])
    if top <= 0:
        return 1, 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 5:
            break
    ticks = -(-top // step)
    return ticks * step, step


def _open(chart_id, width, height, title, desc):
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="{escape(FONT)}">',
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
            # The title drawn for the eye too (inside role="img" it is not read twice).
            f'<text x="0" y="{TITLE_H - 6}" font-size="13" font-weight="bold" '
            f'fill="{INK}">{escape(title)}</text>']


def _legend(names, x, y):
    parts = []
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{COLOURS[i]}"/>'
                     f'<text x="{x + 14}" y="{y}" font-size="11" fill="{INK}">{escape(name)}</text>')
        x += 24 + 12 * len(name)
    return parts


def series_description(categories, series, unit=""):
    """The chart in words: 'category: a 3件, b 2件; ...' (the <desc>, and a fallback text)."""
    parts = []
    for i, category in enumerate(categories):
        values = ", ".join(f"{name} {_num(values[i])}{unit}" for name, values in series)
        parts.append(f"{category}: {values}")
    return "; ".join(parts)


def column_chart(chart_id, title, categories, series, *, unit="", desc=None, height=200,
                 max_value=None):
    """Grouped columns: one group per category (e.g. month), one column per series (e.g. this
    fiscal year and the last). `series` is [(name, [value per category]), ...]; `max_value`
    fixes the top of the axis (41 municipalities, a 5-point scale)."""
    left, top, bottom = 34, 22 + TITLE_H, 36
    group = max(24, 12 * len(series) + 10)
    width = left + group * len(categories) + 8
    plot = height - top - bottom
    top_value, step = _nice_max([v for _n, vals in series for v in vals] + [max_value or 0])
    out = _open(chart_id, width, height, title,
                desc or series_description(categories, series, unit))
    out += _legend([name for name, _v in series], left, TITLE_H + 12)
    for tick in range(0, int(top_value) + 1, int(step) or 1):
        y = top + plot - tick / top_value * plot
        out.append(f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
                   f'fill="{INK}">{tick}</text>')
    bar = (group - 10) / len(series)
    for i, category in enumerate(categories):
        gx = left + i * group + 5
        for s, (_name, values) in enumerate(series):
            value = values[i] or 0
            h = value / top_value * plot
            out.append(f'<rect x="{gx + s * bar:.1f}" y="{top + plot - h:.1f}" '
                       f'width="{bar - 1:.1f}" height="{h:.1f}" fill="{COLOURS[s]}"/>')
        out.append(f'<text x="{gx + (group - 10) / 2:.1f}" y="{height - bottom + 14}" '
                   f'font-size="10" text-anchor="middle" fill="{INK}">{escape(category)}</text>')
    out.append(f'<line x1="{left}" x2="{width - 4}" y1="{top + plot}" y2="{top + plot}" '
               f'stroke="{INK}" stroke-width="1"/>')
    if unit:
        out.append(f'<text x="2" y="{top - 6}" font-size="10" fill="{INK}">({escape(unit)})</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(chart_id, title, labels, series, *, unit="", desc=None, max_value=None):
    """Grouped horizontal bars with the number written at the end of each bar: one row per
    label (e.g. 初回対応の中央値), one bar per series (当月, 前月, 前年同月). None draws no bar
    and writes —."""
    # A full-width glyph is about as wide as the font is high: room for the longest label.
    # One width for every bar chart, so that side by side they share a type size.
    label_w, plot, row_gap, bar_h = 250, 220, 8, 13
    width = label_w + plot + 48
    rows_h = len(series) * bar_h + row_gap
    height = TITLE_H + 24 + rows_h * len(labels)
    top_value = max_value or _nice_max([v for _n, vals in series for v in vals])[0]
    out = _open(chart_id, width, height, title, desc or series_description(labels, series, unit))
    out += _legend([name for name, _v in series], 0, TITLE_H + 12)
    for i, label in enumerate(labels):
        y0 = TITLE_H + 22 + i * rows_h
        out.append(f'<text x="0" y="{y0 + rows_h / 2 + 2:.1f}" font-size="11" '
                   f'fill="{INK}">{escape(label)}</text>')
        for s, (_name, values) in enumerate(series):
            value = values[i]
            w = (value or 0) / top_value * plot
            y = y0 + s * bar_h
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                       f'fill="{COLOURS[s]}"/>'
                       f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" font-size="10" '
                       f'fill="{INK}">{_num(value)}{escape(unit) if value is not None else ""}'
                       f'</text>')
    out.append("</svg>")
    return Markup("".join(out))


# Tile fills for the municipality map: (fill, ink on it). Dark to light; each ink has 4.5:1.
TILE_SHADES = (("#0b3d91", "#ffffff"), ("#2f6bbf", "#ffffff"), ("#bcd4f2", "#1b1f24"),
               ("#f3f4f6", "#1b1f24"))


def tile_map(chart_id, title, tiles, legend, *, desc=None, size=58):
    """The municipalities as a tile grid laid out like the prefecture's map. `tiles` are dicts
    with name, col, row, shade (an index into TILE_SHADES) and note (a short text drawn under
    the name, so the tile does not speak by colour alone); `legend` is [(shade, words), ...]."""
    cols = max((t["col"] for t in tiles), default=0) + 1
    rows = max((t["row"] for t in tiles), default=0) + 1
    legend_h = 20 * len(legend) + 8
    width, height = cols * size + 4, TITLE_H + rows * size + legend_h + 4
    words = dict(legend)
    if desc is None:
        desc = "; ".join(f"{t['name']}: {words.get(t['shade'], '')} {t.get('note') or ''}".strip()
                         for t in sorted(tiles, key=lambda t: (t["row"], t["col"])))
    out = _open(chart_id, width, height, title, desc)
    for t in tiles:
        fill, ink = TILE_SHADES[t["shade"]]
        x, y = 2 + t["col"] * size, TITLE_H + 2 + t["row"] * size
        name = t["name"]
        font = 10 if len(name) <= 4 else 9
        out.append(f'<g><rect x="{x}" y="{y}" width="{size - 3}" height="{size - 3}" rx="3" '
                   f'fill="{fill}" stroke="{INK}" stroke-width="0.5"/>'
                   f'<text x="{x + (size - 3) / 2:.1f}" y="{y + 22}" font-size="{font}" '
                   f'text-anchor="middle" fill="{ink}">{escape(name)}</text>')
        if t.get("note"):
            out.append(f'<text x="{x + (size - 3) / 2:.1f}" y="{y + 40}" font-size="9" '
                       f'text-anchor="middle" fill="{ink}">{escape(t["note"])}</text>')
        out.append("</g>")
    y = TITLE_H + rows * size + 14
    for shade, text in legend:
        fill, _ink = TILE_SHADES[shade]
        out.append(f'<rect x="2" y="{y - 11}" width="14" height="14" fill="{fill}" '
                   f'stroke="{INK}" stroke-width="0.5"/>'
                   f'<text x="22" y="{y}" font-size="11" fill="{INK}">{escape(text)}</text>')
        y += 20
    out.append("</svg>")
    return Markup("".join(out))
