"""API keys: optional on a loopback address, required on any other.

Keys come from ``$CHAINTRAIL_API_KEYS`` (separated by commas or spaces)
and/or a file (``--api-keys-file`` or ``$CHAINTRAIL_API_KEYS_FILE``, one
key a line, ``#`` comments). When any key is configured every request
needs one: the ``X-API-Key`` header (API clients) or the session cookie set
by the ``/login`` page (browsers); static files and the login page are
open. Keys are compared in constant time; the cookie holds an HMAC of the
key under a secret drawn at start-up, never the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

from chaintrail.errors import ChaintrailError

HEADER = "x-api-key"
COOKIE = "chaintrail_session"
ENV_KEYS = "CHAINTRAIL_API_KEYS"
ENV_FILE = "CHAINTRAIL_API_KEYS_FILE"
#: paths served without a key (the login page and static files: code, not data)
OPEN_PREFIXES = ("/login", "/static/", "/favicon.ico")


class AuthConfigError(ChaintrailError):
    """API keys missing where they are required, or an unreadable key file."""


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def read_keys(file: str | os.PathLike | None = None, env: dict | None = None) -> list[str]:
    """Keys from the environment variable and the key file (if any)."""
    env = os.environ if env is None else env
    keys = [k for k in re.split(r"[\s,]+", env.get(ENV_KEYS, "")) if k]
    path = file or env.get(ENV_FILE)
    if path:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise AuthConfigError(f"{path}: cannot read API keys: {exc.strerror}") from None
        keys += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    short = [k for k in keys if len(k) < 16]
    if short:
        raise AuthConfigError(f"API keys must be at least 16 characters ({len(short)} too short)")
    return keys


def check_bind(host: str, keys: list[str]) -> None:
    """Refuse a non-loopback bind address without keys (one-line error)."""
    if not keys and not is_loopback(host):
        raise AuthConfigError(f"refusing to serve on {host} without API keys: set {ENV_KEYS} or "
                              f"--api-keys-file (keys are optional only on 127.0.0.1/localhost)")


@dataclass
class KeyRing:
    """The configured keys (as digests) and the session-cookie secret."""

    keys: list[str]
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def __post_init__(self) -> None:
        self._digests = [hashlib.sha256(k.encode()).digest() for k in self.keys]
        self._sessions = [self.session_for(k) for k in self.keys]

    @property
    def required(self) -> bool:
        return bool(self.keys)

    def valid_key(self, key: str | None) -> bool:
        if not key:
            return False
        d = hashlib.sha256(key.encode()).digest()
        return any(hmac.compare_digest(d, x) for x in self._digests)

    def session_for(self, key: str) -> str:
        return hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()

    def valid_session(self, token: str | None) -> bool:
        return bool(token) and any(hmac.compare_digest(token, s) for s in self._sessions)


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(headers: dict[str, str], name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    c = SimpleCookie()
    try:
        c.load(raw)
    except Exception:  # a malformed Cookie header is just no session
        return None
    return c[name].value if name in c else None


class KeyMiddleware:
    """ASGI middleware: lets a request through when no key is required or it carries one."""

    def __init__(self, app, ring: KeyRing):
        self.app = app
        self.ring = ring

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.ring.required:
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.startswith(OPEN_PREFIXES):
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        key = headers.get(HEADER)
        if key is not None:
            if self.ring.valid_key(key):
                return await self.app(scope, receive, send)
            return await _refuse(send, 403, "the X-API-Key given is not a valid key", path)
        if self.ring.valid_session(_cookie(headers, COOKIE)):
            return await self.app(scope, receive, send)
        wants_html = "text/html" in headers.get("accept", "") and not path.startswith("/api/")
        if wants_html:
            q = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{q}" if q else "")
            return await _redirect(send, f"/login?next={quote(target, safe='')}")
        return await _refuse(send, 401, "this server requires an API key: send it in the X-API-Key "
                             "header", path)


async def _refuse(send, status: int, detail: str, path: str) -> None:
    import json

    from chaintrail.api.problems import MEDIA_TYPE, TITLES

    body = json.dumps({"type": f"/problems/{'api-key-required' if status == 401 else 'api-key-refused'}",
                       "title": TITLES[status], "status": status, "detail": detail,
                       "instance": path}).encode()
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'ApiKey header="X-API-Key"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
