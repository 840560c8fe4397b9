"""The FastAPI application of `chaintrail serve`: the REST API under
/api/v1 (OpenAPI document at /openapi.json, browsable at /docs), the web
UI's pages and static files, API keys, and problem+json errors.

    app = create_app("./data")            # uvicorn.run(app) serves it
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import chaintrail
from chaintrail.api import problems
from chaintrail.api.auth import KeyMiddleware, KeyRing
from chaintrail.api.deps import HeavyGate
from chaintrail.api.holder import StoreHolder

#: the store a worker process of `chaintrail serve --workers N` opens
STORE_ENV = "CHAINTRAIL_SERVE_STORE"

DESCRIPTION = """Open, explainable Bitcoin forensics over one chaintrail store.

Every list takes `limit` and `offset` (with maxima) and answers with `items`, `total` and
`next_offset`; every trace runs within a work budget. Errors are RFC 9457 problem details
(`application/problem+json`); unknown ids answer 404. When the server has API keys, send one
in the `X-API-Key` header. Amounts are satoshis."""


def create_app(store: str | os.PathLike | None = None, keys: list[str] | None = None,
               heavy_slots: int | None = None, holder: StoreHolder | None = None) -> FastAPI:
    """The app over a store (opened once, read-only); `keys` turns API keys on."""
    app = FastAPI(title="chaintrail", version=chaintrail.__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.holder = holder or StoreHolder(store)
    app.state.keys = KeyRing(list(keys or []))
    app.state.heavy = HeavyGate(heavy_slots)
    problems.install(app)
    _routes(app)
    app.add_middleware(KeyMiddleware, ring=app.state.keys)
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process of `chaintrail serve --workers N` (store and keys from the
    environment the parent checked)."""
    from chaintrail.api.auth import read_keys

    return create_app(os.environ[STORE_ENV], keys=read_keys())


def _routes(app: FastAPI) -> None:
    from chaintrail.api.routes_analysis import router as analysis_router
    from chaintrail.api.routes_store import router as store_router
    from chaintrail.web.assets import STATIC, library_path
    from chaintrail.web.pages import render
    from chaintrail.web.pages import router as pages_router

    app.include_router(store_router, tags=["store"])
    app.include_router(analysis_router, tags=["analysis"])
    from chaintrail.api.routes_desk import router as desk_router

    app.include_router(desk_router, tags=["desk"])
    from chaintrail.api.routes_monitor import router as monitor_router

    app.include_router(monitor_router, tags=["monitor"])

    def html_error(request: Request, status: int, title: str, detail: str):
        return render(request, "error.html", status=status, title=title, detail=detail)

    app.state.html_error = html_error

    vendor = {"cytoscape.min.js": "cytoscape", "swagger-ui-bundle.js": "swagger-ui-js",
              "swagger-ui.css": "swagger-ui-css"}

    @app.get("/static/vendor/{name}", include_in_schema=False)
    def vendor_file(name: str):
        lib = vendor.get(name)
        path = library_path(lib) if lib else None
        if path is None:
            raise problems.Problem(404, f"{name} is not installed: run `make setup` (npm ci)")
        return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs():
        if library_path("swagger-ui-js") and library_path("swagger-ui-css"):
            return get_swagger_ui_html(openapi_url="/openapi.json", title="chaintrail API",
                                       swagger_js_url="/static/vendor/swagger-ui-bundle.js",
                                       swagger_css_url="/static/vendor/swagger-ui.css",
                                       swagger_favicon_url="/static/favicon.svg")
        return HTMLResponse(_plain_docs(app))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return RedirectResponse("/static/favicon.svg")

    from chaintrail.web.desk_pages import router as desk_pages_router
    from chaintrail.web.monitor_pages import router as monitor_pages_router

    app.include_router(monitor_pages_router)
    app.include_router(desk_pages_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=Path(STATIC)), name="static")


def _plain_docs(app: FastAPI) -> str:
    """The endpoints of the OpenAPI document as a plain page (when Swagger UI is not installed)."""
    from html import escape

    rows = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            params = ", ".join(p["name"] for p in op.get("parameters", []))
            rows.append(f"<tr><td>{method.upper()}</td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(op.get('summary', ''))}</td><td>{escape(params)}</td></tr>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>chaintrail API</title>"
            "<link rel='stylesheet' href='/static/app.css'></head><body><main><h1>chaintrail API</h1>"
            "<p>The OpenAPI document: <a href='/openapi.json'>/openapi.json</a> (Swagger UI is not "
            "installed: run <code>make setup</code>).</p><table class='grid'><tr><th>method</th>"
            "<th>path</th><th>summary</th><th>parameters</th></tr>" + "".join(rows) +
            "</table></main></body></html>")
