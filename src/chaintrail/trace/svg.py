"""Small inline SVG charts for self-contained HTML reports: horizontal bar
charts with one or more series. No scripts, no external files."""

from __future__ import annotations

from html import escape

PALETTE = ("#3b6ea8", "#e08a2e", "#4a9a5b", "#b8483e", "#7d5ba6", "#8c6d4f", "#c768a8", "#6b6b6b")


def bars(labels: list[str], series: list[tuple[str, list[float]]], fmt=lambda v: f"{v:.1%}",
         width: int = 720, bar_h: int = 14, label_w: int = 260, max_value: float | None = None) -> str:
    """Horizontal bars: one group per label, one bar per series (name, values)."""
    n_s = max(len(series), 1)
    group_h = n_s * (bar_h + 2) + 10
    legend_h = 22 if len(series) > 1 else 0
    height = legend_h + group_h * len(labels) + 8
    top = max([max(vals, default=0) for _n, vals in series] + [max_value or 0, 1e-12])
    plot_w = width - label_w - 90
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'role="img" font-family="sans-serif" font-size="12">']
    if len(series) > 1:
        x = label_w
        for k, (name, _v) in enumerate(series):
            out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>')
            out.append(f'<text x="{x + 16}" y="14">{escape(name)}</text>')
            x += 24 + 7 * len(name)
    for g, label in enumerate(labels):
        y0 = legend_h + g * group_h
        out.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2 + 2}" text-anchor="end">'
                   f'{escape(label)}</text>')
        for k, (_name, vals) in enumerate(series):
            v = vals[g] if g < len(vals) else 0
            w = max(0.0, plot_w * v / top)
            y = y0 + 4 + k * (bar_h + 2)
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)}: '
                       f'{escape(fmt(v))}</title></rect>')
            out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}">{escape(fmt(v))}</text>')
    out.append("</svg>")
    return "".join(out)


def stacked(segments: list[tuple[str, float]], fmt=lambda v: f"{v:.1%}", width: int = 720,
            height: int = 26) -> str:
    """One bar split into segments (name, share of the whole), with a legend below."""
    total = sum(v for _n, v in segments) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height + 22 * ((len(segments) + 2) // 3) + 8}" role="img" '
           f'font-family="sans-serif" font-size="12">']
    x = 0.0
    for k, (name, v) in enumerate(segments):
        w = width * v / total
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" '
                   f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(name)}: {escape(fmt(v))}'
                   '</title></rect>')
        x += w
    for k, (name, v) in enumerate(segments):
        lx = (k % 3) * (width // 3)
        ly = height + 10 + 22 * (k // 3)
        out.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly + 10}">{escape(name)} {escape(fmt(v))}</text>')
    out.append("</svg>")
    return "".join(out)
