"""Exposure charts as inline SVG (no script, so the same markup serves the
pages and the self-contained report): per direction, the share of external
value by category (direct and indirect) and the entities with the largest
exposure. Bars are drawn by the trace room's `svg` helpers."""

from __future__ import annotations

from chaintrail.web.format import btc

TOP_ENTITIES = 12


def _entities(side: dict) -> list[tuple[str, int, int]]:
    """(label, direct amount, indirect amount) of the most exposed entities."""
    acc: dict[str, list] = {}
    for depth in ("direct", "indirect"):
        for f in side.get(depth, []):
            row = acc.setdefault(f["entity_id"], [f["label"] or f["entity_id"], 0, 0])
            row[1 if depth == "direct" else 2] += f["amount"]
    rows = sorted(acc.values(), key=lambda r: -(r[1] + r[2]))[:TOP_ENTITIES]
    return [(r[0], r[1], r[2]) for r in rows]


def side_charts(side: dict | None) -> dict | None:
    """SVG charts and headline figures of one direction of an exposure report."""
    if not side:
        return None
    from chaintrail.trace.svg import bars, stacked

    ext = side["external"] or 0
    base = ext or 1
    cats = side.get("by_category", [])
    out = {"direction": side["direction"], "external": ext, "exposed": side["exposed"],
           "exposed_share": side.get("exposed_share", 0.0), "budget_exhausted": side["budget_exhausted"],
           "by_category": None, "entities": None, "composition": None}
    if cats:
        out["by_category"] = bars([c["category"] for c in cats],
                                  [("direct", [c["direct"] / base for c in cats]),
                                   ("indirect", [c["indirect"] / base for c in cats])])
    ents = _entities(side)
    if ents:
        out["entities"] = bars([e[0] for e in ents],
                               [("direct", [e[1] for e in ents]), ("indirect", [e[2] for e in ents])],
                               fmt=lambda v: btc(int(v), 4))
    if ext:
        parts = [(c["category"], c["amount"] / base) for c in cats]
        parts += [(f"not attributed: {k}", v / base) for k, v in side.get("unattributed", {}).items() if v]
        out["composition"] = stacked(parts) if parts else None
    return out


def exposure_charts(report: dict) -> list[dict]:
    """Charts of the incoming and outgoing sides present in an exposure report (its to_dict)."""
    return [c for c in (side_charts(report.get("incoming")), side_charts(report.get("outgoing"))) if c]
