"""API keys: optional on loopback, required on any other bind address;
with keys configured every API call and page needs one (header or the
login page's session cookie), static files stay open."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from test_api_fixtures import running  # noqa: I001

from chaintrail.api.auth import AuthConfigError, KeyRing, check_bind, is_loopback, read_keys

KEY = "k" * 12 + "-secret-0001"
OTHER = "o" * 12 + "-secret-0002"
HAL = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("[::1]") and is_loopback("127.3.4.5")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("::")
    assert not is_loopback("example.org")


def test_bind_needs_keys_off_loopback():
    check_bind("127.0.0.1", [])  # fine without keys
    check_bind("0.0.0.0", [KEY])
    with pytest.raises(AuthConfigError, match="without API keys"):
        check_bind("0.0.0.0", [])


def test_read_keys(tmp_path):
    f = tmp_path / "keys.txt"
    f.write_text(f"# analysts\n{KEY}\n\n  {OTHER}  \n")
    assert read_keys(f, env={}) == [KEY, OTHER]
    assert read_keys(None, env={"CHAINTRAIL_API_KEYS": f"{KEY}, {OTHER}"}) == [KEY, OTHER]
    with pytest.raises(AuthConfigError, match="at least 16"):
        read_keys(None, env={"CHAINTRAIL_API_KEYS": "short"})
    with pytest.raises(AuthConfigError, match="cannot read"):
        read_keys(tmp_path / "absent.txt", env={})


def test_keyring_sessions_are_not_keys():
    ring = KeyRing([KEY])
    assert ring.valid_key(KEY) and not ring.valid_key(OTHER) and not ring.valid_key("")
    token = ring.session_for(KEY)
    assert KEY not in token and ring.valid_session(token)
    assert not KeyRing([KEY]).valid_session(token)  # a new process draws a new secret


def test_serve_refuses_public_bind_without_keys(chain_0_599):
    p = subprocess.run([sys.executable, "-m", "chaintrail", "serve", "--host", "0.0.0.0", "--port", "1",
                        "--store", str(chain_0_599.path)], capture_output=True, text=True, timeout=120,
                       env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert p.returncode != 0
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and "without API keys" in err[0], p.stderr


@pytest.fixture(scope="module")
def server(chain_0_599):
    from chaintrail.api import create_app

    with running(create_app(chain_0_599.path, keys=[KEY])) as base:
        yield base


def test_api_requires_a_key(server):
    with httpx.Client(base_url=server) as c:
        r = c.get("/api/v1/status")
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"] == "/problems/api-key-required" and "X-API-Key" in r.headers["www-authenticate"]
        r = c.get("/api/v1/status", headers={"X-API-Key": OTHER})
        assert r.status_code == 403 and r.json()["status"] == 403
        r = c.get(f"/api/v1/addresses/{HAL}", headers={"X-API-Key": KEY})
        assert r.status_code == 200 and r.json()["address"] == HAL
        assert c.get("/openapi.json").status_code == 401  # the schema is behind the key too
        assert c.get("/static/app.css").status_code == 200  # code, not data


def test_browser_login_sets_a_session(server):
    with httpx.Client(base_url=server, follow_redirects=False) as c:
        r = c.get(f"/address/{HAL}", headers={"Accept": "text/html"})
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        bad = c.post("/login", data={"key": OTHER, "next": f"/address/{HAL}"})
        assert bad.status_code == 403 and "not valid" in bad.text
        ok = c.post("/login", data={"key": KEY, "next": f"/address/{HAL}"})
        assert ok.status_code == 303 and ok.headers["location"] == f"/address/{HAL}"
        assert KEY not in ok.headers["set-cookie"]
        page = c.get(f"/address/{HAL}", headers={"Accept": "text/html"})
        assert page.status_code == 200 and HAL in page.text
        assert c.get("/api/v1/status").status_code == 200  # the same session works for the UI's fetches
        # no open redirect after login
        ext = c.post("/login", data={"key": KEY, "next": "//evil.example/"})
        assert ext.headers["location"] == "/"
