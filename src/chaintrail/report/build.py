"""What a report holds, gathered through the same functions as the API:
the target's figures and tags, its exposure (with the transactions behind
each figure), a trace graph from it, and the evidence table; then the
rendering into one HTML file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import chaintrail
from chaintrail.api import analysis
from chaintrail.api.graph import flow_graph
from chaintrail.api.limits import TRACE_BUDGET
from chaintrail.api.problems import Problem
from chaintrail.chain import Chain
from chaintrail.errors import ChaintrailError, NotFoundError

_CLUSTER = re.compile(r"^(?:cluster:)?(\d+)$", re.IGNORECASE)
#: edges of the trace listed in the evidence table (largest first)
EVIDENCE_EDGES = 100
#: evidence rows per direction (largest first; the exposure tables hold every figure)
EVIDENCE_ROWS = 60


@dataclass
class ReportData:
    """Everything a report shows, as plain data."""

    kind: str  # address | cluster
    ref: str  # the trace/exposure reference (address or cluster:ID)
    title: str
    subject: dict
    tags: dict | None
    tags_note: str | None
    exposure: dict | None
    exposure_note: str | None
    graph: dict | None
    graph_note: str | None
    evidence: list[dict]
    flows: list[dict]
    params: dict
    store: dict
    generated: str
    notes: list[str] = field(default_factory=list)


def _subject(chain: Chain, ref: str) -> tuple[str, str, dict]:
    """(kind, trace reference, figures) of an address or cluster reference."""
    m = _CLUSTER.match(ref.strip())
    if m:
        cid = int(m.group(1))
        cl = analysis.clusters_handle(chain)
        return "cluster", f"cluster:{cid}", analysis.cluster_summary(chain, cl, cid)
    addr = chain.address(ref.strip())
    d = addr.to_dict()
    cl = analysis.clusters_handle(chain) if analysis.has_clustering(chain) else None
    d["cluster_id"] = analysis.cluster_of_address(cl, addr.address_id)
    return "address", addr.address, d


def _soft(fn, *args) -> tuple[Any, str | None]:
    """A room's answer, or None and the reason it could not be given."""
    try:
        return fn(*args), None
    except Problem as exc:
        return None, exc.detail
    except ChaintrailError as exc:
        return None, str(exc)


def _evidence(exposure: dict | None) -> list[dict]:
    """One row per transaction where the flow met an entity (from exposure --explain)."""
    rows = []
    for side in ("incoming", "outgoing"):
        s = (exposure or {}).get(side) or {}
        for depth in ("direct", "indirect"):
            for f in s.get(depth, []):
                for ev in f.get("evidence", []):
                    rows.append({"direction": side, "depth": depth, "entity": f["label"],
                                 "category": f["category"], "amount": ev["amount"], "hop": ev["hop"],
                                 "output": ev["output"], "address": ev["address"],
                                 "txids": ev["txids"], "path": ev.get("path", [])})
    rows.sort(key=lambda r: (r["direction"], -r["amount"]))
    out: list[dict] = []
    for side in ("incoming", "outgoing"):
        out += [r for r in rows if r["direction"] == side][:EVIDENCE_ROWS]
    return out


def gather(chain: Chain, ref: str, max_hops: int = 4, direction: str = "backward",
           policy: str = "haircut", max_nodes: int = 400, resolver=None) -> ReportData:
    """Collect a report's contents (raises NotFoundError for an unknown address or cluster)."""
    kind, target, subject = _subject(chain, ref)
    if resolver is None:
        resolver, _ = _soft(analysis.resolver_for, chain)
    tags, tags_note = _soft(analysis.tags_of, chain, str(subject.get("cluster_id")) if kind == "cluster"
                            else target)
    exposure, exposure_note = _soft(analysis.exposure, chain, resolver, target, "both", max_hops, policy,
                                    True)
    level = "cluster" if kind == "cluster" else "address"
    res, graph_note = _soft(analysis.run_trace, chain, resolver, target, direction, policy, max_hops, 0,
                            TRACE_BUDGET, None, level)
    graph = flow_graph(res, level, max_nodes) if res is not None else None
    flows = sorted(graph["edges"], key=lambda e: -e["amount"])[:EVIDENCE_EDGES] if graph else []
    m = chain._store.manifest
    title = (f"Cluster {subject['cluster_id']}" if kind == "cluster" else f"Address {target}")
    if kind == "cluster" and subject.get("labels"):
        title += f" ({subject['labels'][0]['label']})"
    return ReportData(
        kind=kind, ref=target, title=title, subject=subject, tags=tags, tags_note=tags_note,
        exposure=exposure, exposure_note=exposure_note, graph=graph, graph_note=graph_note,
        evidence=_evidence(exposure), flows=flows,
        params={"max_hops": max_hops, "direction": direction, "policy": policy, "max_nodes": max_nodes,
                "budget": TRACE_BUDGET, "level": level},
        store={"path": chain.path, "network": m.network, "tip_height": m.tip_height,
               "tip_hash": m.tip_hash, "generation": m.generation, "updated": m.updated},
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))


def build_report(chain: Chain, ref: str, max_hops: int = 4, direction: str = "backward",
                 policy: str = "haircut", max_nodes: int = 400, resolver=None) -> str:
    """The report on an address or cluster as one self-contained HTML document."""
    from chaintrail.report.render import render

    if not ref or not ref.strip():
        raise NotFoundError("give an address or a cluster id")
    data = gather(chain, ref, max_hops, direction, policy, max_nodes, resolver)
    return render(data, version=chaintrail.__version__)
