"""Small pieces for the desk's self-contained HTML pages: a page shell, an
escaped table, and horizontal bar charts as inline SVG (no scripts, no
network)."""

from __future__ import annotations

from html import escape

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:960px;margin:2em auto;
color:#1b1f24;padding:0 1em;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}td,th{border:1px solid #d0d7de;
padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f6f8fa}
.muted{color:#57606a}.ok{color:#1a7f37}.bad{color:#cf222e}code{font-size:.9em}
.chart{margin:.4em 0 1em}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document."""
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}"
            f"</title><style>{STYLE}</style></head><body>{body}</body></html>\n")


def table(headers: list[str], rows: list[list]) -> str:
    """An HTML table with every cell escaped."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in r)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar_chart(items: list[tuple[str, float]], width: int = 560, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), as inline SVG."""
    if not items:
        return "<p class=\"muted\">none</p>"
    top = max(v for _, v in items) or 1
    bar_h, gap, label_w = 18, 6, 180
    h = len(items) * (bar_h + gap)
    parts = [f"<svg class=\"chart\" width=\"{width}\" height=\"{h}\" role=\"img\" "
             f"xmlns=\"http://www.w3.org/2000/svg\">"]
    for i, (label, v) in enumerate(items):
        y = i * (bar_h + gap)
        w = int((width - label_w - 70) * (v / top))
        parts.append(f"<text x=\"0\" y=\"{y + 13}\" font-size=\"12\">{escape(str(label))}</text>"
                     f"<rect x=\"{label_w}\" y=\"{y}\" width=\"{max(w, 1)}\" height=\"{bar_h}\" "
                     f"fill=\"#0969da\"/><text x=\"{label_w + w + 6}\" y=\"{y + 13}\" "
                     f"font-size=\"12\">{escape(f'{v:,.0f}{unit}')}</text>")
    parts.append("</svg>")
    return "".join(parts)
