"""Server-rendered SVG charts for the staff console's overview.

Plain SVG written here (no script, no CDN, nothing for the CSP to allow): a chart is
read at a glance and prints as it looks. Each mark carries a ``<title>`` (the exact
number on hover and for screen readers) and each chart an ``aria-label``.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Sequence, Tuple

from markupsafe import Markup, escape

BAR = "#c0392b"
PALETTE = ("#c0392b", "#1f6feb", "#2e7d32", "#b26a00", "#6a3fb5", "#7a7f87")
PRESENT, MISSING = "#2e7d32", "#f3d9a4"


def _text(x: float, y: float, text: object, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(str(text))}</text>'


def bars(items: Sequence[Tuple[str, int]], label: str, width: int = 640, row: int = 24) -> Markup:
    """Horizontal bars, largest first as given: a name, its bar and its count."""
    if not items:
        return Markup("")
    name_w, biggest = 200, max(n for _, n in items) or 1
    span = width - name_w - 60
    parts = [f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {row * len(items) + 6}" '
             f'class="chart bars" width="100%">']
    for i, (name, n) in enumerate(items):
        y = i * row
        w = max(n / biggest * span, 1.5)
        parts.append(f'<g>{_text(name_w - 8, y + 16, name, "end")}'
                     f'<rect x="{name_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BAR}">'
                     f'<title>{escape(name)}：{n}</title></rect>{_text(name_w + w + 6, y + 16, n)}</g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(months: Sequence[Tuple[str, Mapping[str, int]]], label: str, width: int = 640,
                    height: int = 240, series: int = 5) -> Markup:
    """A column per month, stacked by topic (the ``series`` commonest topics, the rest as 其他), with a legend."""
    if not months:
        return Markup("")
    totals: Dict[str, int] = {}
    for _, counts in months:
        for topic, n in counts.items():
            totals[topic] = totals.get(topic, 0) + n
    named = [t for t, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:series]]
    keys = named + (["其他"] if len(totals) > len(named) else [])
    colours = dict(zip(keys, PALETTE))
    top, bottom, left = 26, 40, 36
    plot_h = height - top - bottom
    biggest = max(sum(c.values()) for _, c in months) or 1
    step = (width - left - 10) / len(months)
    col_w = min(step * 0.7, 48)
    parts = [f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height + 22 * ((len(keys) + 3) // 4)}" '
             f'class="chart columns" width="100%">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#7a7f87"/>',
             _text(left - 6, top + 10, biggest, "end"), _text(left - 6, top + plot_h, 0, "end")]
    for i, (month, counts) in enumerate(months):
        x = left + i * step + (step - col_w) / 2
        y: float = top + plot_h
        grouped: Dict[str, int] = {}
        for topic, n in counts.items():
            key = topic if topic in named else "其他"
            grouped[key] = grouped.get(key, 0) + n
        for key in keys:
            n = grouped.get(key, 0)
            if not n:
                continue
            h = n / biggest * plot_h
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" fill="{colours[key]}">'
                         f'<title>{escape(month)} {escape(key)}：{n}</title></rect>')
        parts.append(_text(x + col_w / 2, y - 4, sum(counts.values()), "middle"))
        parts.append(_text(x + col_w / 2, top + plot_h + 16, month[2:] if len(months) > 8 else month, "middle"))
    for j, key in enumerate(keys):
        lx, ly = left + (j % 4) * 150, height + (j // 4) * 22 - 8
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colours[key]}"/>'
                     + _text(lx + 16, ly, key))
    parts.append("</svg>")
    return Markup("".join(parts))


def coverage_grid(table: Mapping[str, Mapping[str, object]], label: str, cell: int = 26) -> Markup:
    """Provinces down, items across: a filled square where the province has its own figure, pale where not."""
    if not table:
        return Markup("")
    provinces = list(table)
    items: List[str] = list(next(iter(table.values())))
    name_w, head_h = 130, 120
    width, height = name_w + cell * len(items) + 90, head_h + cell * len(provinces) + 6
    parts = [f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" class="chart grid" '
             f'width="{width}">']
    for j, item in enumerate(items):
        x = name_w + j * cell + cell / 2
        parts.append(_text(x, head_h - 6, item, "start", f' transform="rotate(-60 {x:.1f} {head_h - 6})"'))
    for i, province in enumerate(provinces):
        y = head_h + i * cell
        parts.append(_text(name_w - 6, y + cell * 0.7, province, "end"))
        for j, item in enumerate(items):
            c = table[province][item]
            present = bool(getattr(c, "present", False))
            what = getattr(c, "text", "") if present else "没有本省数据"
            parts.append(f'<rect x="{name_w + j * cell + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" '
                         f'fill="{PRESENT if present else MISSING}" class="{"have" if present else "gap"}">'
                         f'<title>{escape(province)} {escape(item)}：{escape(str(what))}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))
