"""A flow graph as a static SVG, for reports written where Cytoscape.js is
not installed: nodes in hop columns (the start on the right for a
backward trace, on the left for a forward one), heaviest first, coloured
as the interactive graph colours them, edges with their amounts."""

from __future__ import annotations

from html import escape

from chaintrail.web.format import btc, short

COL, ROW, PAD = 230, 34, 40
MAX_ROWS = 40
UNATTRIBUTED = "#b8c2cc"
COLOURS = {"exchange": "#2f6fb3", "wallet_service": "#4f8fd6", "payment_processor": "#3aa6a0",
           "shop": "#58a55c", "market": "#8a6d3b", "gambling": "#c17d11", "miner": "#7f7f7f",
           "mixing_service": "#8e44ad", "coinjoin": "#a569bd", "donation": "#e377c2",
           "ransomware": "#c0392b", "sanction": "#e74c3c", "scam": "#d35400"}


def _colour(n: dict) -> str:
    if n["kind"] == "fee":
        return "#f1c40f"
    return COLOURS.get(n.get("abuse") or "", COLOURS.get(n.get("category") or "",
                                                        "#34495e" if n.get("entity_id") else UNATTRIBUTED))


def graph_svg(graph: dict) -> str:
    """SVG markup of a flow graph (the API's trace JSON)."""
    nodes = graph["nodes"]
    backward = graph["summary"].get("direction") == "backward"
    cols: dict[int, list[dict]] = {}
    for n in nodes:
        cols.setdefault(int(n["hop"]), []).append(n)
    hops = sorted(cols)
    pos: dict[str, tuple[float, float]] = {}
    rows = min(MAX_ROWS, max((len(v) for v in cols.values()), default=1))
    for k, h in enumerate(hops):
        col = sorted(cols[h], key=lambda n: -n["amount"])[:MAX_ROWS]
        x = PAD + (len(hops) - 1 - k if backward else k) * COL
        for i, n in enumerate(col):
            pos[n["node"]] = (x, PAD + i * ROW)
    width = PAD * 2 + max(len(hops) - 1, 0) * COL + 160
    height = PAD * 2 + rows * ROW
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="10" role="img">']
    for e in graph["edges"]:
        if e["source"] in pos and e["target"] in pos:
            (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
            out.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#9aa5b1" stroke-width="1">'
                       f'<title>{escape(btc(e["amount"]))} hop {e["hop"]}</title></line>')
    for n in nodes:
        if n["node"] not in pos:
            continue
        x, y = pos[n["node"]]
        ring = ' stroke="#111" stroke-width="3"' if n["start"] else ' stroke="#4b5563"'
        out.append(f'<circle cx="{x}" cy="{y}" r="7" fill="{_colour(n)}"{ring}>'
                   f'<title>{escape(n["node"])}: {escape(btc(n["amount"]))}</title></circle>')
        out.append(f'<text x="{x + 10}" y="{y + 4}">{escape(n.get("label") or short(n["node"], 6))} '
                   f'{escape(btc(n["amount"], 4))}</text>')
    out.append("</svg>")
    return "".join(out)
