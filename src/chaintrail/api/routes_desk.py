"""REST endpoints of the compliance desk under /api/v1/desk: customers,
cases, authorities' requests (intake, review, four-eyes approval, refusal,
production and the package's files), sanctions screening, freezes and
offboarding, the audit log and the transparency report.

Every endpoint acts as a desk user: send ``X-Desk-User`` and
``X-Desk-Token`` (the token ``chaintrail desk user add`` printed). Roles and
purpose binding are checked by ``chaintrail.desk`` exactly as on the
command line; refusals are problem+json documents (401 authentication, 403
role or purpose binding, 404 unknown, 409 refused by the rules). The desk's
database is the store's (``chaintrail desk init``), or ``$CHAINTRAIL_DESK_DB``."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path as FsPath

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from chaintrail.api.problems import MEDIA_TYPE, PROBLEM_SCHEMA

_TITLES = {400: "Bad request", 401: "Desk authentication required", 403: "Not allowed",
           404: "Not found", 409: "Refused by the rules", 503: "Desk not initialised"}


def _problem(request: Request, status: int, kind: str, detail: str) -> JSONResponse:
    body = {"type": f"/problems/{kind}", "title": _TITLES.get(status, "Error"), "status": status,
            "detail": (detail.strip().splitlines() or [""])[0][:1000] or _TITLES.get(status, "Error"),
            "instance": request.url.path}
    headers = {"WWW-Authenticate": 'DeskToken header="X-Desk-Token"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def desk_problem(request: Request, exc: Exception) -> JSONResponse:
    """The problem document of a desk error."""
    from chaintrail.desk.errors import (
        AuthError,
        DeskNotFound,
        PermissionDenied,
        PurposeError,
        RuleRefusal,
    )

    if isinstance(exc, AuthError):
        return _problem(request, 401, "desk-authentication", str(exc))
    if isinstance(exc, PurposeError):
        return _problem(request, 403, "purpose-binding", str(exc))
    if isinstance(exc, PermissionDenied):
        return _problem(request, 403, "desk-permission-denied", str(exc))
    if isinstance(exc, RuleRefusal):
        return _problem(request, 409, "refused-by-rules", str(exc))
    if isinstance(exc, DeskNotFound):
        return _problem(request, 404, "not-found", str(exc))
    if isinstance(exc, _NotInitialised):
        return _problem(request, 503, "desk-not-initialised", str(exc))
    return _problem(request, 400, "bad-request", str(exc))


class _NotInitialised(Exception):
    pass


class DeskRoute(APIRoute):
    """A route whose desk errors (and bad values) answer as problem+json with the right status."""

    def get_route_handler(self):
        original = super().get_route_handler()

        async def handler(request: Request):
            from chaintrail.desk.errors import DeskError

            try:
                return await original(request)
            except (DeskError, _NotInitialised, ValueError) as exc:
                return desk_problem(request, exc)

        return handler


def _responses(*statuses: int) -> dict:
    return {s: {"description": _TITLES.get(s, "Error"),
                "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}} for s in statuses}


router = APIRouter(prefix="/api/v1/desk", route_class=DeskRoute,
                   responses=_responses(400, 401, 403, 404, 409, 422, 503))

_lock = threading.Lock()


def _engine(request: Request):
    """The desk's engine, opened once per app (503 until `chaintrail desk init` ran)."""
    st = request.app.state
    eng = getattr(st, "desk_engine", None)
    if eng is not None:
        return eng
    from chaintrail.desk.errors import DeskError
    from chaintrail.desk.session import Desk

    with _lock:
        if getattr(st, "desk_engine", None) is None:
            try:
                desk = Desk.open(getattr(st, "desk_db", None), st.holder.path)
            except DeskError as exc:
                raise _NotInitialised(str(exc)) from None
            st.desk_engine = desk.engine
    return st.desk_engine


def session(request: Request,
            x_desk_user: str | None = Header(None, max_length=128, description="Desk user name."),
            x_desk_token: str | None = Header(None, max_length=256, description="The user's token.")):
    """The authenticated desk user of this request, with this thread's view of the store."""
    from chaintrail.desk.errors import AuthError
    from chaintrail.desk.session import Desk

    if not x_desk_user or not x_desk_token:
        raise AuthError("send the desk user and token in the X-Desk-User and X-Desk-Token headers")
    h = request.app.state.holder
    desk = Desk(_engine(request), h.path)
    desk.use_chain(h.chain())
    return desk.login(x_desk_user, x_desk_token)


S = Depends(session)
RequestId = Path(..., ge=1, le=2**31 - 1, description="Request number.")
Ref = Path(..., max_length=128, description="Customer reference.")


# --- bodies -------------------------------------------------------------------------------------
class UserIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=128)
    roles: list[str] = Field(..., min_length=1, max_length=5,
                             description="analyst, reviewer, approver, auditor, admin")


class CaseIn(BaseModel):
    purpose: str = Field(..., min_length=1, max_length=2000)
    customers: list[str] = Field(default_factory=list, max_length=10_000)


class Reason(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)


class EmergencyIn(BaseModel):
    danger: str = Field("", max_length=2000)
    at_risk: str = Field("", max_length=2000)
    data_needed: str = Field("", max_length=2000)
    why_not_normal: str = Field("", max_length=2000)


class RequestIn(BaseModel):
    agency: str = Field(..., min_length=1, max_length=256, description="Requesting agency.")
    country: str = Field(..., min_length=2, max_length=2, description="ISO 3166 alpha-2 code.")
    instrument: str = Field(..., description="subpoena, court_order, warrant, mlat, emergency, informal")
    categories: list[str] = Field(..., min_length=1, max_length=10,
                                  description="identity, accounts, access_logs, transactions, "
                                              "kyc_documents, communications")
    targets: list[str] = Field(default_factory=list, max_length=100_000,
                               description="Addresses, txids, or customer:REF.")
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    requester_type: str = "law_enforcement"
    officer: str | None = Field(None, max_length=256)
    contact: str | None = Field(None, max_length=256)
    verification: str = Field("unverified", description="unverified, verified, failed")
    case_number: str | None = Field(None, max_length=128)
    legal_basis: str | None = Field(None, max_length=4000)
    agreement: str | None = Field(None, max_length=256)
    deadline: dt.date | None = None
    emergency: EmergencyIn | None = None
    followup: str | None = Field(None, max_length=256)
    followup_due: dt.date | None = None
    gag_order: bool = False
    gag_until: dt.date | None = None
    tipping_off: bool = False
    max_hops: int = Field(2, ge=0, le=6)


class RequestUpdate(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)
    verification: str | None = None
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    agreement: str | None = Field(None, max_length=256)
    followup: str | None = Field(None, max_length=256)
    followup_due: dt.date | None = None
    deadline: dt.date | None = None
    legal_basis: str | None = Field(None, max_length=4000)
    gag_order: bool | None = None
    gag_until: dt.date | None = None
    tipping_off: bool | None = None
    max_hops: int | None = Field(None, ge=0, le=6)
    emergency: EmergencyIn | None = None


class Approval(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)
    exclude: list[str] = Field(default_factory=list, max_length=100_000)


class ScreenIn(BaseModel):
    lists: list[str] = Field(default_factory=lambda: ["ofac", "eu"], max_length=4)
    on: dt.date | None = None
    threshold: float = Field(0.90, ge=0.5, le=1.0)


class FreezeIn(BaseModel):
    basis: str = Field(..., min_length=1, max_length=2000)
    court_order: str | None = Field(None, max_length=256)
    entry: str | None = Field(None, max_length=64)
    list_name: str | None = Field(None, max_length=64)


class BlanketIn(BaseModel):
    basis: str = Field(..., min_length=1, max_length=2000)
    nationality: str | None = Field(None, max_length=8)
    residence: str | None = Field(None, max_length=8)


class OffboardIn(BaseModel):
    on: dt.date | None = None


class Note(BaseModel):
    note: str = Field(..., min_length=1, max_length=2000)


# --- who am I, users ------------------------------------------------------------------------------
@router.get("/me", summary="The desk user of this request")
def me(s=S) -> dict:
    """The authenticated user's name and roles."""
    return {"user": s.user, "roles": list(s.roles)}


@router.get("/users", summary="Desk users (admin)")
def users(s=S) -> list[dict]:
    from chaintrail.desk.session import list_users

    return list_users(s)


@router.post("/users", summary="Add a desk user (admin)", status_code=201)
def add_user(body: UserIn, s=S) -> dict:
    """Creates the user; the token in the answer is shown once."""
    from chaintrail.desk.session import add_user as add

    return {"user": body.name, "roles": body.roles, "token": add(s, body.name, body.roles)}


# --- customers and cases ------------------------------------------------------------------------------
@router.get("/customers", summary="Customer references (no personal data)")
def customers_list(s=S, status: str | None = Query(None, max_length=16),
                   exchange: str | None = Query(None, max_length=128),
                   limit: int = Query(100, ge=1, le=10_000), offset: int = Query(0, ge=0)) -> dict:
    from chaintrail.desk import customers

    return customers.list_customers(s, status, exchange, limit, offset)


@router.post("/customers/import", summary="Import customers from CSV", openapi_extra={
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def customers_import(request: Request, s=S) -> dict:
    """The request body is a customers CSV (columns as in docs/desk.md)."""
    import tempfile

    from starlette.concurrency import run_in_threadpool

    from chaintrail.desk import customers

    data = await request.body()
    if not data:
        raise ValueError("the request body must be a customers CSV")
    with tempfile.TemporaryDirectory() as d:
        p = FsPath(d) / "customers.csv"
        p.write_bytes(data)
        rep = await run_in_threadpool(customers.import_csv, s, p)
    rep["source"] = "request body"
    return rep


@router.get("/customers/{ref}", summary="One customer's record (purpose-bound)")
def customer(ref: str = Ref, s=S, case: str | None = Query(None, max_length=32,
                                                          description="Open case covering them."),
             why: str | None = Query(None, max_length=2000, description="Why you view the data."),
             exposure: bool = Query(False, description="Also their addresses' exposure.")) -> dict:
    """Identity, accounts and addresses with on-chain facts; needs an open case and a reason."""
    from chaintrail.desk import customers

    c = customers.view_customer(s, ref, case, why)
    if exposure:
        c["exposure"] = customers.customer_exposure(s, ref, case, why)
    return c


@router.post("/customers/{ref}/offboard", summary="Offboard under EU Reg. 833/2014 Art. 5b")
def offboard(body: OffboardIn, ref: str = Ref, s=S) -> dict:
    from chaintrail.desk import offboarding

    return offboarding.offboard(s, ref, body.on)


@router.post("/customers/{ref}/freeze", summary="Targeted freeze (listed person or court order)")
def freeze(body: FreezeIn, ref: str = Ref, s=S) -> dict:
    from chaintrail.desk import freezes

    return freezes.freeze(s, ref, body.basis, "court_order" if body.court_order else "listed_person",
                          body.entry, body.list_name, body.court_order)


@router.post("/customers/{ref}/unfreeze", summary="Release a freeze")
def unfreeze(body: Reason, ref: str = Ref, s=S) -> dict:
    from chaintrail.desk import freezes

    return freezes.unfreeze(s, ref, body.reason)


@router.post("/freezes/blanket", summary="A blanket freeze (always refused, and logged)")
def freeze_blanket(body: BlanketIn, s=S) -> dict:
    from chaintrail.desk import freezes

    sel = {k: v.upper() for k, v in (("nationality", body.nationality),
                                     ("residence", body.residence)) if v}
    return freezes.freeze_blanket(s, sel or {"all": "customers"}, body.basis)


@router.get("/freezes", summary="Freezes and their OFAC reporting deadlines")
def freezes_list(s=S, active: bool = Query(False)) -> list[dict]:
    from chaintrail.desk import freezes

    return freezes.list_freezes(s, active)


@router.post("/freezes/{freeze_id}/reported", summary="Record a freeze's report to the authority")
def freeze_reported(body: Note, freeze_id: int = Path(..., ge=1, le=2**31 - 1), s=S) -> dict:
    from chaintrail.desk import freezes

    return freezes.mark_reported(s, freeze_id, body.note)


@router.get("/cases", summary="Cases and their purpose")
def cases_list(s=S, all: bool = Query(False, description="Closed cases too.")) -> list[dict]:  # noqa: A002
    from chaintrail.desk import cases

    return cases.list_cases(s, not all)


@router.post("/cases", summary="Open an investigation case", status_code=201)
def case_open(body: CaseIn, s=S) -> dict:
    from chaintrail.desk import cases

    return {"case": cases.open_case(s, body.purpose, body.customers)}


@router.post("/cases/{ref}/close", summary="Close a case")
def case_close(body: Reason, ref: str = Path(..., max_length=32), s=S) -> dict:
    from chaintrail.desk import cases

    cases.close_case(s, ref, body.reason)
    return {"case": ref, "closed": True}


# --- requests ---------------------------------------------------------------------------------------------
@router.get("/requests", summary="Requests from authorities")
def requests_list(s=S, status: str | None = Query(None, max_length=24)) -> list[dict]:
    from chaintrail.desk import requests

    return requests.list_requests(s, status)


@router.post("/requests", summary="Record a request (intake)", status_code=201)
def request_new(body: RequestIn, s=S) -> dict:
    from chaintrail.desk import requests
    from chaintrail.desk.facts import Emergency

    return requests.create(
        s, body.agency, body.country, body.instrument, body.categories, body.targets,
        (body.window_start, body.window_end), body.requester_type, body.officer, body.contact,
        body.verification, body.case_number, body.legal_basis, body.agreement, body.deadline,
        Emergency(**body.emergency.model_dump()) if body.emergency else None, body.followup,
        body.followup_due, body.gag_order, body.gag_until, body.tipping_off, body.max_hops)


@router.get("/requests/{rid}", summary="A request with its targets and decisions")
def request_show(rid: int = RequestId, s=S) -> dict:
    from chaintrail.desk import requests

    return requests.show(s, rid)


@router.post("/requests/{rid}/update", summary="Change intake facts (back to received)")
def request_update(body: RequestUpdate, rid: int = RequestId, s=S) -> dict:
    from chaintrail.desk import requests

    fields = body.model_dump(exclude={"reason"}, exclude_none=True)
    return requests.update_request(s, rid, body.reason, **fields)


@router.post("/requests/{rid}/review", summary="Link the targets and evaluate the rules")
def request_review(rid: int = RequestId, s=S,
                   note: str | None = Body(None, embed=True, max_length=2000)) -> dict:
    from chaintrail.desk import requests

    return requests.review(s, rid, note)


@router.get("/requests/{rid}/links", summary="How each linked customer was reached")
def request_links(rid: int = RequestId, s=S, limit: int = Query(1000, ge=1, le=100_000),
                  evidence: bool = Query(False, description="Also the value traced between target "
                                                            "and customer, with its path.")
                  ) -> list[dict]:
    from chaintrail.desk import requests

    return requests.links(s, rid, limit, evidence)


@router.post("/requests/{rid}/approve", summary="Four-eyes approval (not the reviewer)")
def request_approve(body: Approval, rid: int = RequestId, s=S) -> dict:
    from chaintrail.desk import requests

    return requests.approve(s, rid, body.reason, body.exclude)


@router.post("/requests/{rid}/refuse", summary="Refuse a request")
def request_refuse(body: Reason, rid: int = RequestId, s=S) -> dict:
    from chaintrail.desk import requests

    return requests.refuse(s, rid, body.reason)


def _packages_dir(s) -> FsPath:
    return FsPath(s.desk.store) / "desk" / "packages"


@router.post("/requests/{rid}/produce", summary="Produce the approved data")
def request_produce(rid: int = RequestId, s=S) -> dict:
    """Writes the package (JSON, CSV, HTML summary) on the server; its files are at
    /requests/{rid}/package/{name}."""
    from chaintrail.desk import production

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    rep = production.produce(s, rid, _packages_dir(s) / f"request-{rid}-{stamp}")
    rep["files_url"] = {n: f"/api/v1/desk/requests/{rid}/package/{n}" for n in rep["files"]}
    rep.pop("out", None)
    return rep


@router.get("/requests/{rid}/package/{name}", summary="A file of a request's package",
            response_class=FileResponse)
def request_package(rid: int = RequestId, name: str = Path(..., max_length=64), s=S):
    from sqlalchemy import select

    from chaintrail.desk.errors import DeskNotFound
    from chaintrail.desk.schema import productions

    s.require("request.produce")
    with s.tx() as conn:
        path = conn.execute(select(productions.c.path).where(productions.c.request_id == rid)
                            .order_by(productions.c.id.desc()).limit(1)).scalar()
        allowed = {"package.json", "summary.html", "customers.csv", "accounts.csv",
                   "transactions.csv", "MANIFEST.json"}
        if path is None or name not in allowed or not (FsPath(path) / name).is_file():
            raise DeskNotFound(f"request {rid} has no package file {name}")
        s.audit(conn, "request.package.download", subject=f"request:{rid}", details={"file": name})
    return FileResponse(FsPath(path) / name)


# --- screening -----------------------------------------------------------------------------------------
@router.post("/screenings", summary="Screen customers: names and jurisdiction rules")
def screen(body: ScreenIn, s=S) -> dict:
    from chaintrail.desk import screening

    return screening.screen_customers(s, tuple(body.lists), body.on, body.threshold)


@router.get("/screenings/{run}", summary="A screening run's hits and findings")
def screening_run(run: int = Path(..., ge=1, le=2**31 - 1), s=S,
                  limit: int = Query(200, ge=1, le=100_000)) -> dict:
    from chaintrail.desk import screening

    return screening.run_results(s, run, limit)


@router.post("/hits/{hit}/{decision}", summary="Confirm or clear a name hit")
def hit_decide(body: Reason, hit: int = Path(..., ge=1, le=2**31 - 1),
               decision: str = Path(..., pattern="^(confirm|clear)$"), s=S) -> dict:
    from chaintrail.desk import screening

    return screening.decide_hit(s, hit, decision == "confirm", body.reason)


# --- audit and reports -----------------------------------------------------------------------------------
@router.get("/audit", summary="Audit log entries (auditor, admin)")
def audit_entries(s=S, since: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=10_000),
                  action: str | None = Query(None, max_length=64),
                  case: str | None = Query(None, max_length=32)) -> list[dict]:
    from chaintrail.desk import auditing

    return auditing.log_entries(s, since, limit, action, case)


@router.get("/audit/verify", summary="Verify the audit log's hash chain")
def audit_verify(s=S, anchor: str | None = Query(None, max_length=100,
                                                   pattern="^[0-9]+:[0-9a-fA-F]{64}$")) -> dict:
    from chaintrail.desk import auditing

    return auditing.verify_log(s, anchor)


@router.get("/reports/transparency", summary="The transparency report",
            responses={200: {"content": {"application/json": {}, "text/html": {}}}})
def transparency(s=S, period: str = Query(..., max_length=32,
                                          description="2025, 2025-H1, 2025-Q3, 2025-03 or START..END"),
                 format: str = Query("json", pattern="^(json|html)$")):  # noqa: A002
    from chaintrail.desk import transparency as tr
    from chaintrail.desk.report_html import report_html

    rep = tr.transparency_report(s, period)
    if format == "html":
        return HTMLResponse(report_html(rep))
    return rep
