"""The UI's pages: search, blocks, transactions, addresses, clusters, the
trace graph, exposure, the privacy audit and report downloads. Each page
calls the same functions as the REST API and renders a template; every
address, transaction, block and cluster on a page links to its own page."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chaintrail.api import analysis, deps, lookups
from chaintrail.api.auth import COOKIE
from chaintrail.api.limits import (
    DEFAULT_GRAPH_NODES,
    MAX_EXPOSURE_HOPS,
    MAX_GRAPH_NODES,
    MAX_OFFSET,
    MAX_TRACE_HOPS,
    TX_IO_LIMIT,
    Page,
)
from chaintrail.api.problems import Problem
from chaintrail.api.routes_store import address_json
from chaintrail.errors import ChaintrailError
from chaintrail.web.assets import library_path
from chaintrail.web.charts import exposure_charts
from chaintrail.web.templating import environment

router = APIRouter(include_in_schema=False)
PAGE = 50


def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    """A page from its template, with what every page needs (search box, key state)."""
    tpl = environment().get_template(name)
    html = tpl.render(request=request, cytoscape=library_path("cytoscape") is not None, **ctx)
    return HTMLResponse(html, status_code=status)


def _page(offset: int, limit: int = PAGE) -> Page:
    return Page(limit, max(0, min(int(offset), MAX_OFFSET)))


def _optional(fn, *args):
    """A room's answer, or None with the reason when it cannot be given (no tags, no clustering)."""
    try:
        return fn(*args), None
    except Problem as exc:
        return None, exc.detail
    except ChaintrailError as exc:
        return None, str(exc)


@router.get("/", response_class=HTMLResponse)
def index(request: Request):
    chain = deps.chain(request)
    m = chain._store.manifest
    blocks = lookups.recent_blocks(chain, _page(0, 15))
    return render(request, "index.html", tip=chain.tip, network=m.network, counts=m.counts,
                  rooms=analysis.rooms_status(chain), blocks=blocks["items"])


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = Query("", max_length=200)):
    h = deps.holder(request)
    cl = deps.clusters_or_none(h)
    exists = (lambda n: analysis.cluster_exists(cl, n)) if cl is not None else None
    hits = lookups.search(h.chain(), q, exists)
    if len(hits) == 1:
        return RedirectResponse(hits[0]["url"], status_code=303)
    return render(request, "search.html", q=q, hits=hits, status=200 if hits else 404)


@router.get("/blocks", response_class=HTMLResponse)
def blocks(request: Request, offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    page = lookups.recent_blocks(deps.chain(request), _page(offset))
    return render(request, "blocks.html", page=page)


@router.get("/block/{ref}", response_class=HTMLResponse)
def block(request: Request, ref: str, offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    chain = deps.chain(request)
    b = chain.block(ref)
    txs = lookups.block_txs(chain, b, _page(offset))
    tip = chain.tip[0]
    return render(request, "block.html", b=lookups.block_dict(b), txs=txs, tip=tip)


@router.get("/tx/{txid}", response_class=HTMLResponse)
def tx(request: Request, txid: str, in_offset: int = Query(0, ge=0, le=MAX_OFFSET),
       out_offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    chain = deps.chain(request)
    t = chain.tx(txid)
    d = t.row()
    ins = lookups.tx_io(t, "in", _page(in_offset, TX_IO_LIMIT))
    outs = lookups.tx_io(t, "out", _page(out_offset, TX_IO_LIMIT))
    return render(request, "tx.html", tx=d, ins=ins, outs=outs)


@router.get("/address/{address}", response_class=HTMLResponse)
def address(request: Request, address: str, offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    h = deps.holder(request)
    chain = h.chain()
    a = address_json(h, address)
    hist = lookups.address_history(chain.address(address), _page(offset))
    tags, tags_note = _optional(analysis.tags_of, chain, address)
    return render(request, "address.html", a=a, hist=hist, tags=tags, tags_note=tags_note,
                  target=address)


@router.get("/cluster/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: int, offset: int = Query(0, ge=0, le=MAX_OFFSET)):
    h = deps.holder(request)
    cl = deps.clusters(h)
    s = analysis.cluster_summary(h.chain(), cl, cluster_id)
    members = analysis.cluster_members(cl, cluster_id, _page(offset))
    return render(request, "cluster.html", c=s, members=members, target=f"cluster:{cluster_id}")


@router.get("/trace", response_class=HTMLResponse)
def trace(request: Request, start: str = Query("", max_length=200),
          direction: str = "backward", policy: str = "haircut",
          max_hops: int = Query(4, ge=0, le=MAX_TRACE_HOPS), level: str = "",
          stop_at: str = Query("", max_length=200), min_value: int = Query(0, ge=0),
          max_nodes: int = Query(DEFAULT_GRAPH_NODES, ge=1, le=MAX_GRAPH_NODES)):
    level = level or ("cluster" if start.strip().lower().startswith("cluster:") else "address")
    params = {"start": start.strip(), "direction": direction, "policy": policy, "max_hops": max_hops,
              "level": level, "stop_at": stop_at, "min_value": min_value, "max_nodes": max_nodes}
    api = "/api/v1/trace?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return render(request, "trace.html", p=params, api_url=api if start.strip() else None)


def _exposure(request: Request, target: str, max_hops: int, policy: str, explain: bool) -> dict:
    h = deps.holder(request)
    with deps.heavy(request).slot():
        return analysis.exposure(h.chain(), deps.resolver(h), target, "both", max_hops, policy, explain)


@router.get("/exposure", response_class=HTMLResponse)
def exposure(request: Request, target: str = Query(..., max_length=200),
             max_hops: int = Query(4, ge=1, le=MAX_EXPOSURE_HOPS), policy: str = "haircut"):
    rep = _exposure(request, target.strip(), max_hops, policy, True)
    return render(request, "exposure.html", rep=rep, charts=exposure_charts(rep), target=target.strip(),
                  max_hops=max_hops, policy=policy)


@router.get("/fragments/exposure", response_class=HTMLResponse)
def exposure_fragment(request: Request, target: str = Query(..., max_length=200)):
    """The exposure charts of an address or cluster page (loaded after the page)."""
    try:
        rep = _exposure(request, target.strip(), 4, "haircut", False)
    except (Problem, ChaintrailError) as exc:
        detail = exc.detail if isinstance(exc, Problem) else str(exc)
        return render(request, "_exposure_charts.html", rep=None, charts=[], note=detail, target=target)
    return render(request, "_exposure_charts.html", rep=rep, charts=exposure_charts(rep), note=None,
                  target=target)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, address: list[str] = Query(..., max_length=100),
          hops: int = Query(3, ge=1, le=6), policy: str = "haircut"):
    h = deps.holder(request)
    with deps.heavy(request).slot():
        rep = analysis.privacy_audit(h.chain(), deps.resolver(h), address, hops, [policy], 0.5)
        return HTMLResponse(rep.to_html())


@router.get("/report")
def report(request: Request, ref: str = Query(..., max_length=200),
           max_hops: int = Query(4, ge=1, le=MAX_TRACE_HOPS)):
    """The self-contained HTML report of an address or cluster, as a download."""
    from chaintrail.report import build_report

    h = deps.holder(request)
    with deps.heavy(request).slot():
        html = build_report(h.chain(), ref.strip(), max_hops=max_hops, resolver=deps.resolver(h))
    name = "".join(ch if ch.isalnum() else "-" for ch in ref.strip())[:80]
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="chaintrail-{name}.html"'})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/"):  # noqa: A002 - the query name
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request):
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    nxt = _safe_next((form.get("next") or ["/"])[0])
    ring = request.app.state.keys
    if not ring.valid_key(key):
        return render(request, "login.html", status=403, next=nxt, error="That key is not valid.")
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(COOKIE, ring.session_for(key), httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    return resp


def _safe_next(target: str) -> str:
    """Only local paths after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def page_url(path: str, **query) -> str:
    return path + ("?" + urlencode(query) if query else "")


__all__ = ["router", "render", "quote"]
