"""REST endpoints of the analysis rooms: clusters, tags, screening, trace,
exposure and privacy audit. Traces, exposure and audits are heavy: they
run one per core, each within a work budget the request may lower but not
raise past the server's ceiling."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from chaintrail.api import analysis, deps
from chaintrail.api.graph import flow_graph
from chaintrail.api.limits import (
    DEFAULT_GRAPH_NODES,
    MAX_AUDIT_ADDRESSES,
    MAX_AUDIT_HOPS,
    MAX_EXPOSURE_HOPS,
    MAX_GRAPH_NODES,
    MAX_SCREEN,
    MAX_TRACE_BUDGET,
    MAX_TRACE_HOPS,
    TRACE_BUDGET,
    Page,
    page,
)
from chaintrail.api.problems import responses

router = APIRouter(prefix="/api/v1", responses=responses(400, 404, 422, 501, 503))

Direction = Literal["backward", "forward"]
Policy = Literal["poison", "haircut", "fifo", "lifo", "tiho"]
Level = Literal["output", "address", "cluster"]
ClusterId = Path(..., ge=0, le=2**62, description="Cluster id (its smallest address id).")


# --- clusters ------------------------------------------------------------------
@router.get("/clusters/{cluster_id}", summary="A cluster")
def cluster(request: Request, cluster_id: int = ClusterId) -> dict:
    """A cluster's figures and the labels its members' tags give it."""
    h = deps.holder(request)
    return analysis.cluster_summary(h.chain(), deps.clusters(h), cluster_id)


@router.get("/clusters/{cluster_id}/addresses", summary="A cluster's addresses")
def cluster_addresses(request: Request, cluster_id: int = ClusterId, p: Page = Depends(page)) -> dict:
    """A page of a cluster's addresses (any cluster size: constant time per page)."""
    return analysis.cluster_members(deps.clusters(deps.holder(request)), cluster_id, p)


@router.get("/why", summary="Why two addresses share a cluster")
def why(request: Request, a: str = Query(..., max_length=200), b: str = Query(..., max_length=200)) -> dict:
    """The shortest chain of recorded merges linking two addresses."""
    return analysis.cluster_why(deps.clusters(deps.holder(request)), a, b)


# --- attribution ---------------------------------------------------------------
@router.get("/tags/{ref}", summary="Tags of an address or cluster")
def tags(request: Request, ref: str = Path(..., max_length=200,
                                            description="Address or cluster id.")) -> dict:
    """Tags and sanctions of an address (and its cluster's labels), or a cluster's labels."""
    return analysis.tags_of(deps.chain(request), ref.strip())


class ScreenRequest(BaseModel):
    """Addresses to screen against the store's sanctions lists and tags."""

    addresses: list[str] = Field(..., min_length=1, max_length=MAX_SCREEN,
                                 description=f"Up to {MAX_SCREEN:,} addresses.")
    fail_on: Literal["any", "abuse", "sanctions"] = "any"


@router.post("/screen", summary="Screen addresses (batch)")
def screen(request: Request, body: ScreenRequest) -> dict:
    """Direct, tag and cluster hits per address; batches over 1,000 list only hits and errors."""
    h = deps.holder(request)
    addrs = [a[:200] for a in body.addresses]
    with deps.heavy(request).slot():
        return analysis.screen(deps.screener(h), addrs, body.fail_on)


# --- tracing -------------------------------------------------------------------
@router.get("/trace", summary="Trace the flow of funds", response_model=None,
            responses={200: {"content": {"application/json": {}, "application/graphml+xml": {},
                                         "text/csv": {}}}})
def trace(request: Request,
          start: str = Query(..., max_length=200, description="ADDRESS, TXID, TXID:VOUT or cluster:ID."),
          direction: Direction = "backward", policy: Policy = "haircut",
          max_hops: int = Query(6, ge=0, le=MAX_TRACE_HOPS),
          min_value: int = Query(0, ge=0, le=21_000_000 * 100_000_000),
          budget: int = Query(TRACE_BUDGET, ge=1, le=MAX_TRACE_BUDGET,
                              description="Work budget (inputs and outputs split)."),
          stop_at: str | None = Query(None, max_length=200,
                                      description="Stop at entities: any, service, custodial, a "
                                                  "category, an abuse or entity:NAME (comma-separated)."),
          level: Level = "address",
          max_nodes: int = Query(DEFAULT_GRAPH_NODES, ge=1, le=MAX_GRAPH_NODES),
          format: Literal["json", "graphml", "csv"] = "json"):  # noqa: A002 - the query name
    """A flow graph (nodes, edges with satoshis and hops, terminals with categories) under a taint
    policy, within a work budget; the heaviest `max_nodes` nodes are returned."""
    h = deps.holder(request)
    chain = h.chain()
    stops = [s.strip() for s in stop_at.split(",") if s.strip()] if stop_at else None
    with deps.heavy(request).slot():
        res = analysis.run_trace(chain, deps.resolver(h), start.strip(), direction, policy, max_hops,
                                 min_value, budget, stops, level)
        if format == "graphml":
            return PlainTextResponse(res.to_graphml(level=level), media_type="application/graphml+xml")
        if format == "csv":
            return PlainTextResponse(res.to_csv(level=level), media_type="text/csv")
        return flow_graph(res, level, max_nodes)


@router.get("/exposure", summary="Exposure to attributed entities")
def exposure(request: Request,
             target: str = Query(..., max_length=200, description="ADDRESS or cluster:ID."),
             direction: Literal["incoming", "outgoing", "both"] = "both",
             max_hops: int = Query(4, ge=1, le=MAX_EXPOSURE_HOPS), policy: Policy = "haircut",
             explain: bool = Query(False, description="List the transactions behind each figure.")) -> dict:
    """Direct and indirect exposure, by entity and category, with amounts, shares and hops."""
    h = deps.holder(request)
    with deps.heavy(request).slot():
        return analysis.exposure(h.chain(), deps.resolver(h), target.strip(), direction, max_hops,
                                 policy, explain)


class AuditRequest(BaseModel):
    """An organisation's addresses and the audit's options."""

    addresses: list[str] = Field(..., min_length=1, max_length=MAX_AUDIT_ADDRESSES)
    hops: int = Field(3, ge=1, le=MAX_AUDIT_HOPS)
    policies: list[Policy] = Field(default_factory=lambda: ["haircut"], min_length=1, max_length=5)
    threshold: float = Field(0.5, gt=0, le=1)
    rows: bool = Field(False, description="Include every payment's row.")


def _audit(request: Request, body: AuditRequest) -> dict:
    h = deps.holder(request)
    with deps.heavy(request).slot():
        rep = analysis.privacy_audit(h.chain(), deps.resolver(h), [a[:200] for a in body.addresses],
                                     body.hops, list(body.policies), body.threshold)
        return rep.to_dict(with_rows=body.rows)


@router.post("/privacy-audit", summary="Privacy audit of an organisation's addresses")
def privacy_audit(request: Request, body: AuditRequest) -> dict:
    """What payers and payees can learn: custodial sources, CoinJoin, reuse; findings in words."""
    return _audit(request, body)


@router.get("/privacy-audit", summary="Privacy audit (query form)")
def privacy_audit_get(request: Request,
                      address: list[str] = Query(..., min_length=1, max_length=MAX_AUDIT_ADDRESSES),
                      hops: int = Query(3, ge=1, le=MAX_AUDIT_HOPS),
                      policy: list[Policy] = Query(["haircut"], max_length=5),
                      threshold: float = Query(0.5, gt=0, le=1)) -> dict:
    """The same audit for addresses given in the query (linkable)."""
    return _audit(request, AuditRequest(addresses=address, hops=hops, policies=policy or ["haircut"],
                                        threshold=threshold))
