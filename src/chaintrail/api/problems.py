"""Errors as RFC 9457 problem details (``application/problem+json``): every
failure the API reports has a ``type`` (a stable name under /problems/),
``title``, ``status`` and a one-line ``detail``; chaintrail's own errors map
to statuses here, so endpoints just raise them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from chaintrail.errors import AddressError, ChaintrailError, DecodeError, NotFoundError, StoreError

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request", 401: "API key required", 403: "API key refused", 404: "Not found",
    405: "Method not allowed", 413: "Request too large", 422: "Invalid parameters",
    500: "Internal error", 501: "Not implemented yet", 503: "Store not ready",
}


class Problem(Exception):
    """An HTTP failure with a problem type and a one-line detail."""

    def __init__(self, status: int, detail: str, kind: str | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _slug(TITLES.get(status, "error"))
        self.extra = extra


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def problem_response(request: Request | None, status: int, detail: str, kind: str | None = None,
                     headers: dict | None = None, **extra: Any):
    """A problem+json response (an HTML error page for the UI's pages)."""
    html = _html_error(request)
    if html is not None:
        return html(request, status, TITLES.get(status, "Error"), detail)
    body = {"type": f"/problems/{kind or _slug(TITLES.get(status, 'error'))}",
            "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _html_error(request: Request | None):
    """The UI's error page renderer, for requests to pages (not the API)."""
    if request is None:
        return None
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/openapi") or path.startswith("/static/"):
        return None
    return getattr(request.app.state, "html_error", None)


def status_of(exc: ChaintrailError) -> tuple[int, str]:
    """The HTTP status and problem type of one of chaintrail's errors."""
    if isinstance(exc, (NotFoundError, AddressError)):
        return 404, "not-found"
    if isinstance(exc, DecodeError):
        return 400, "bad-request"
    if isinstance(exc, StoreError):
        return 503, "store-not-ready"
    return 400, "bad-request"  # option errors of the rooms (TraceError, usage errors...)


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:500]


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(request, exc.status, exc.detail, exc.kind, **exc.extra)

    @app.exception_handler(ChaintrailError)
    async def _chaintrail(request: Request, exc: ChaintrailError):
        status, kind = status_of(exc)
        return problem_response(request, status, _first_line(str(exc)), kind)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
        return problem_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
                  for e in exc.errors()][:20]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'][1:]) or 'request'}: {first['msg']}"
        return problem_response(request, 422, detail, "invalid-parameters", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return problem_response(request, 500, f"{type(exc).__name__}: {_first_line(str(exc))}",
                                "internal-error")


#: OpenAPI description of the problem responses every endpoint may give
PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "instance": {"type": "string"}},
    "required": ["type", "title", "status", "detail"],
}


def responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses` entries for problem statuses."""
    return {s: {"description": TITLES.get(s, "Error"),
                "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}} for s in statuses}
