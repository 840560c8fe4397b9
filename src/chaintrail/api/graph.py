"""A trace's flow graph as the API and the browser get it: the trace
room's nodes, edges and terminals, cut to at most `max_nodes` nodes.

The cut keeps whole hop layers from the start outwards and, in the last
layer it reaches, the nodes the most flow reached; since a node's least hop
is one more than some neighbour's, every kept node still links back to the
start. ``truncated`` and the totals say what was left out.
"""

from __future__ import annotations

from typing import Any


def flow_graph(result: Any, level: str | None = None, max_nodes: int = 1000) -> dict:
    """{"summary", "terminals", "nodes", "edges", "truncated", "nodes_total", "edges_total"}."""
    d = result.to_dict(level)
    nodes, edges = d["nodes"], d["edges"]
    _add_abuse(result, nodes)
    total_n, total_e = len(nodes), len(edges)
    if total_n > max_nodes:
        ranked = sorted(nodes, key=lambda n: (not n["start"], n["kind"] == "fee", n["hop"],
                                              -n["amount"], n["node"]))
        nodes = ranked[:max_nodes]
        keep = {n["node"] for n in nodes}
        edges = [e for e in edges if e["source"] in keep and e["target"] in keep]
    return {"summary": d["summary"], "terminals": d["terminals"], "nodes": nodes, "edges": edges,
            "truncated": total_n > max_nodes, "nodes_total": total_n, "edges_total": total_e}


def _add_abuse(result: Any, nodes: list[dict]) -> None:
    """The abuse concept (ransomware, sanction...) of each attributed node's entity."""
    entity = getattr(result.resolver, "entity", None)
    for n in nodes:
        e = entity(n["entity_id"]) if entity and n.get("entity_id") else None
        n["abuse"] = getattr(e, "abuse", None)
