"""The compliance desk's pages under /desk: sign-in as a desk user,
requests (list, intake form, review, four-eyes approval, refusal,
production), customers (references; a record only inside a case, with the
reason), freezes, the audit log with its verification, and the
transparency report. The pages call the same ``chaintrail.desk`` functions
as the CLI and the REST API, so roles and purpose binding hold here too.

A desk sign-in keeps the user and token in server memory under a random
session id (HttpOnly, SameSite=Strict cookie); every page logs in again,
so a disabled user or reset token takes effect at once."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from chaintrail.web.pages import render

router = APIRouter(prefix="/desk", include_in_schema=False)
COOKIE = "chaintrail_desk"
_lock = threading.Lock()


def _sessions(request: Request) -> dict:
    st = request.app.state
    with _lock:
        if not hasattr(st, "desk_sessions"):
            st.desk_sessions = {}
    return st.desk_sessions


def _login(request: Request):
    """The desk session of this browser, or None (not signed in)."""
    from chaintrail.api.routes_desk import _engine
    from chaintrail.desk.errors import AuthError
    from chaintrail.desk.session import Desk

    sid = request.cookies.get(COOKIE)
    cred = _sessions(request).get(sid) if sid else None
    if cred is None:
        return None
    h = request.app.state.holder
    desk = Desk(_engine(request), h.path)
    desk.use_chain(h.chain())
    try:
        return desk.login(*cred)
    except AuthError:
        _sessions(request).pop(sid, None)
        return None


def _page(request: Request, name: str, s=None, status: int = 200, **ctx) -> HTMLResponse:
    me = {"user": s.user, "roles": list(s.roles)} if s is not None else None
    return render(request, f"desk/{name}", status=status, me=me, **ctx)


def _guard(request: Request, fn, *args, **kw):
    """Run a page body as the signed-in user; sign-in, desk errors and refusals as pages."""
    from chaintrail.api.routes_desk import _NotInitialised
    from chaintrail.desk.errors import DeskError, PermissionDenied, RuleRefusal

    try:
        s = _login(request)
    except _NotInitialised as exc:
        return render(request, "error.html", status=503, title="Desk not initialised", detail=str(exc))
    if s is None:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/desk/login?next={quote(nxt, safe='')}", status_code=303)
    try:
        return fn(s, *args, **kw)
    except (PermissionDenied, RuleRefusal, DeskError, ValueError) as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 409 if isinstance(exc, RuleRefusal) \
            else 404 if type(exc).__name__ == "DeskNotFound" else 400
        return render(request, "error.html", status=status, title="Not done", detail=str(exc))


async def _form(request: Request) -> dict[str, list[str]]:
    return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


def _one(form: dict, key: str) -> str | None:
    v = (form.get(key) or [""])[0].strip()
    return v or None


def _intake_lists() -> dict:
    from chaintrail.desk.categories import CATEGORIES, INSTRUMENTS, REQUESTER_TYPES

    return {"categories": list(CATEGORIES), "instruments": INSTRUMENTS,
            "requester_types": REQUESTER_TYPES}


# --- sign-in ---------------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/desk"):  # noqa: A002 - the query name
    return _page(request, "login.html", title="Sign in", next=_safe(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request):
    from chaintrail.api.routes_desk import _engine
    from chaintrail.desk.errors import AuthError
    from chaintrail.desk.session import Desk

    form = await _form(request)
    user, token, nxt = _one(form, "user") or "", _one(form, "token") or "", _safe(_one(form, "next"))
    try:
        Desk(_engine(request), request.app.state.holder.path).login(user, token)
    except AuthError as exc:
        return _page(request, "login.html", status=401, title="Sign in", next=nxt, error=str(exc))
    sid = secrets.token_urlsafe(32)
    _sessions(request)[sid] = (user, token)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/",
                    secure=request.url.scheme == "https")
    return resp


@router.post("/logout")
def logout(request: Request):
    _sessions(request).pop(request.cookies.get(COOKIE), None)
    resp = RedirectResponse("/desk/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


def _safe(target: str | None) -> str:
    t = target or "/desk"
    return t if t.startswith("/") and not t.startswith("//") else "/desk"


# --- requests --------------------------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse)
def requests_page(request: Request):
    from chaintrail.desk import requests

    return _guard(request, lambda s: _page(request, "requests.html", s, title="Requests",
                                           rows=requests.list_requests(s), **_intake_lists()))


@router.post("/requests")
async def request_new(request: Request):
    from chaintrail.desk import requests

    form = await _form(request)

    def create(s):
        def date(k):
            v = _one(form, k)
            return dt.date.fromisoformat(v) if v else None
        targets = [t.strip() for t in (_one(form, "targets") or "").splitlines() if t.strip()]
        r = requests.create(
            s, _one(form, "agency") or "", _one(form, "country") or "", _one(form, "instrument") or "",
            form.get("categories") or [], targets, (date("window_start"), date("window_end")),
            _one(form, "requester_type") or "law_enforcement", _one(form, "officer"),
            _one(form, "contact"), _one(form, "verification") or "unverified",
            _one(form, "case_number"), _one(form, "legal_basis"), _one(form, "agreement"),
            date("deadline"), None, None, None, bool(_one(form, "gag_order")), date("gag_until"),
            bool(_one(form, "tipping_off")), int(_one(form, "max_hops") or 2))
        return RedirectResponse(f"/desk/requests/{r['id']}", status_code=303)

    return _guard(request, create)


@router.get("/requests/{rid}", response_class=HTMLResponse)
def request_page(request: Request, rid: int):
    from chaintrail.desk import requests
    from chaintrail.desk.requests import _latest

    def show(s):
        r = requests.show(s, rid)
        with s.tx() as conn:
            dec = _latest(conn, rid, ("approve", "review"))
        verdict = json.loads(dec.verdict) if dec is not None and dec.verdict else None
        links = requests.links(s, rid, 500) if r["linked_customers"] else []
        produced = r["status"] in ("produced", "partly_produced", "no_records")
        return _page(request, "request.html", s, title=f"Request {rid}", r=r, verdict=verdict,
                     links=links, produced=produced)

    return _guard(request, show)


def _action(request: Request, rid: int, form: dict, what: str):
    from chaintrail.desk import production, requests

    def act(s):
        if what == "review":
            requests.review(s, rid)
        elif what == "approve":
            requests.approve(s, rid, _one(form, "reason") or "")
        elif what == "refuse":
            requests.refuse(s, rid, _one(form, "reason") or "")
        elif what == "produce":
            from pathlib import Path

            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
            production.produce(s, rid, Path(s.desk.store) / "desk" / "packages"
                               / f"request-{rid}-{stamp}")
        return RedirectResponse(f"/desk/requests/{rid}", status_code=303)

    return _guard(request, act)


@router.post("/requests/{rid}/{what}")
async def request_action(request: Request, rid: int, what: str):
    if what not in ("review", "approve", "refuse", "produce"):
        return render(request, "error.html", status=404, title="Not found", detail=f"no action {what}")
    return _action(request, rid, await _form(request), what)


# --- customers, freezes ------------------------------------------------------------------------------------
@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request, offset: int = Query(0, ge=0)):
    from chaintrail.desk import customers

    def page(s):
        rep = customers.list_customers(s, limit=100, offset=offset)
        return _page(request, "customers.html", s, title="Customers", rows=rep["customers"],
                     total=rep["total"], offset=offset)

    return _guard(request, page)


@router.get("/customers/{ref}", response_class=HTMLResponse)
def customer_page(request: Request, ref: str, case: str | None = None, why: str | None = None):
    from chaintrail.desk import customers

    def page(s):
        c = customers.view_customer(s, ref, case, why) if case and why else None
        return _page(request, "customer.html", s, title=f"Customer {ref}", ref=ref, c=c, case=case)

    return _guard(request, page)


@router.get("/freezes", response_class=HTMLResponse)
def freezes_page(request: Request):
    from chaintrail.desk import freezes

    return _guard(request, lambda s: _page(request, "freezes.html", s, title="Freezes",
                                           rows=freezes.list_freezes(s)))


# --- audit and report --------------------------------------------------------------------------------------
@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, since: int = Query(0, ge=0), verify: bool = False):
    from chaintrail.desk import auditing

    def page(s):
        ver = auditing.verify_log(s) if verify else None
        rows = auditing.log_entries(s, since, 200)
        return _page(request, "audit.html", s, title="Audit log", rows=rows, verify=ver, limit=200)

    return _guard(request, page)


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, period: str | None = Query(None, max_length=32)):
    from chaintrail.desk import transparency
    from chaintrail.desk.report_html import report_html

    def page(s):
        p = period or str(dt.datetime.now(dt.timezone.utc).year)
        return HTMLResponse(report_html(transparency.transparency_report(s, p)))

    return _guard(request, page)
