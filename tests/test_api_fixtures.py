"""Helpers of the API, web and report tests (no tests here): a synchronous
httpx client over the ASGI app, a real uvicorn server on a free loopback
port, and the headless Chromium of the browser tests.

The rich store is the tracing tests' simulated economy (20,000
transactions, clustered and tagged from the simulator's truth; see
test_trace_fixtures.py), built once per session and shared with them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import httpx

CHROMIUM = Path(os.environ.get("CHAINTRAIL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-extensions", "--disable-default-apps", "--mute-audio"]


class Api:
    """httpx over the app's ASGI interface, called synchronously."""

    def __init__(self, app, headers: dict | None = None):
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                        base_url="http://testserver", headers=headers or {},
                                        timeout=120)

    def get(self, url: str, **kw) -> httpx.Response:
        return self.loop.run_until_complete(self.client.get(url, **kw))

    def post(self, url: str, **kw) -> httpx.Response:
        return self.loop.run_until_complete(self.client.post(url, **kw))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(app, port: int | None = None):
    """A real uvicorn server of the app on 127.0.0.1 in a thread; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not t.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(timeout=30)


def has_chromium() -> bool:
    return CHROMIUM.exists()


def has_cytoscape() -> bool:
    from chaintrail.web.assets import library_path

    return library_path("cytoscape") is not None


def browser_skip_reason() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not has_chromium():
        return f"{CHROMIUM} is missing (make setup installs Debian's chromium)"
    if not has_cytoscape():
        return "cytoscape is not in node_modules (make setup runs npm ci)"
    return None


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
