"""Exports of a trace's flow graph: JSON, CSV, GraphML (written directly;
amounts as GraphML ``long`` satoshis plus ``double`` BTC, so Gephi and
Cytoscape can size nodes and edges by value) and a networkx graph."""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any
from xml.sax.saxutils import escape, quoteattr

SAT = 100_000_000


def rows(columns: dict[str, list]) -> list[dict]:
    """Column lists -> row dicts."""
    names = list(columns)
    return [dict(zip(names, vals)) for vals in zip(*(columns[n] for n in names))]


def to_json(data: Any) -> str:
    """JSON text, readable yet fast: a dict's lists hold one compact row per line (the C
    encoder does every row; an indented dump of a large graph takes seconds)."""
    if not isinstance(data, dict):
        return json.dumps(data, default=str) + "\n"
    parts = []
    for k, v in data.items():
        key = json.dumps(str(k))
        if isinstance(v, list) and v:
            body = ",\n  ".join(json.dumps(x, default=str, separators=(",", ":")) for x in v)
            parts.append(f"{key}: [\n  {body}\n ]")
        else:
            parts.append(f"{key}: {json.dumps(v, default=str)}")
    return "{\n " + ",\n ".join(parts) + "\n}\n"


def to_csv(data: list[dict]) -> str:
    buf = io.StringIO()
    if data:
        w = csv.DictWriter(buf, fieldnames=list(data[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(data)
    return buf.getvalue()


def write_text(path: str | os.PathLike | None, text: str) -> str:
    """text, also written to path when one is given."""
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return text


def _clean(d: dict) -> dict:
    """GraphML attributes: no None values (GraphML has no null)."""
    return {k: v for k, v in d.items() if v is not None}


def to_networkx(result, level: str):
    """The flow graph at a level as a networkx DiGraph."""
    import networkx as nx

    g = nx.DiGraph(direction=result.direction, policy=result.policy, level=level,
                   start=result.start.ref, injected_sat=result.injected,
                   budget_exhausted=result.budget_exhausted)
    for r in rows(result.node_table(level)):
        attrs = _clean({**r, "amount_btc": r["amount"] / SAT})
        attrs["label"] = r["label"] or r["node"]
        g.add_node(r["node"], **attrs)
    for r in rows(result.edge_table(level)):
        attrs = _clean({k: v for k, v in r.items() if k not in ("source", "target")})
        attrs["amount_btc"] = r["amount"] / SAT
        g.add_edge(r["source"], r["target"], **attrs)
    return g


_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}


def _keys(records: list[dict], domain: str, skip: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(key id, attribute name, GraphML type) of the attributes of node or edge rows."""
    types: dict[str, str] = {}
    for r in records:
        for k, v in r.items():
            if k in skip or v is None or k in types:
                continue
            types[k] = _GRAPHML_TYPES.get(type(v), "string")
    return [(f"{domain[0]}_{k}", k, t) for k, t in types.items()]


def _data(r: dict, keys: list[tuple[str, str, str]]) -> str:
    parts = []
    for kid, name, typ in keys:
        v = r.get(name)
        if v is None:
            continue
        if typ == "boolean":
            text = "true" if v else "false"
        elif typ in ("long", "double") and not isinstance(v, str):
            text = str(v)  # a number needs no escaping
        else:
            text = escape(str(v))
        parts.append(f'<data key="{kid}">{text}</data>')
    return "".join(parts)


def to_graphml(result, level: str) -> str:
    """GraphML text of the flow graph (nodes keyed by their display id; amounts in
    satoshis as ``long`` and in BTC as ``double``)."""
    nodes = rows(result.node_table(level))
    for r in nodes:
        r["label"] = r["label"] or r["node"]
        r["amount_btc"] = r["amount"] / SAT
    edges = rows(result.edge_table(level))
    for r in edges:
        r["amount_btc"] = r["amount"] / SAT
    nkeys = _keys(nodes, "node", ("node",))
    ekeys = _keys(edges, "edge", ("source", "target"))
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    for domain, keys in (("node", nkeys), ("edge", ekeys)):
        for kid, name, typ in keys:
            out.append(f'<key id="{kid}" for="{domain}" attr.name="{name}" attr.type="{typ}"/>')
    out.append(f'<graph id={quoteattr(result.start.ref)} edgedefault="directed">')
    for r in nodes:
        out.append(f"<node id={quoteattr(r['node'])}>{_data(r, nkeys)}</node>")
    for k, r in enumerate(edges):
        out.append(f'<edge id="e{k}" source={quoteattr(r["source"])} '
                   f'target={quoteattr(r["target"])}>{_data(r, ekeys)}</edge>')
    out.append("</graph></graphml>")
    return "\n".join(out) + "\n"
