"""A stand-in Bitcoin node for tests: a real HTTP server on 127.0.0.1 that
speaks Bitcoin Core's JSON-RPC (basic auth, cookie user, batches, Core's error
objects and status codes) and Esplora's REST API, serving real blocks. Tests
move its tip, switch it to a competing branch, and inject faults."""

from __future__ import annotations

import base64
import json
import secrets
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from chaintrail.bitcoin.hashing import hash_to_hex, sha256d

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BLOCKS = SHARED / "data" / "blocks"
MAINNET_BLK_FILES = (
    BLOCKS / "mainnet-0-599" / "blk00000.dat",
    BLOCKS / "mainnet-0-599" / "blk00001.dat",
)
REORG_DIR = BLOCKS / "reorg-btcd"

COOKIE_USER = "__cookie__"
FAULT_KINDS = ("500", "401", "429", "truncate", "garbage", "drop")


def read_framed(path: Path) -> list[bytes]:
    """Blocks of a blk*.dat-style file: 4 magic bytes, 4-byte little-endian length, block."""
    data = path.read_bytes()
    blocks = []
    pos = 0
    while pos + 8 <= len(data):
        (length,) = struct.unpack_from("<I", data, pos + 4)
        blocks.append(data[pos + 8 : pos + 8 + length])
        pos += 8 + length
    return blocks


def block_hash(raw: bytes) -> str:
    return hash_to_hex(sha256d(raw[:80]))


def mainnet_blocks() -> list[bytes]:
    """Mainnet blocks 0-599 in height order."""
    return [b for path in MAINNET_BLK_FILES for b in read_framed(path)]


def reorg_branches() -> tuple[list[bytes], list[bytes]]:
    """btcd's reorg fixture: the chain 0-4, and the heavier branch 0-2, 3A, 4A, 5A."""
    first = read_framed(REORG_DIR / "blk_0_to_4.dat")
    a_branch = [read_framed(REORG_DIR / f"blk_{name}.dat")[0] for name in ("3A", "4A", "5A")]
    return first, first[:3] + a_branch


@dataclass
class _Fault:
    kind: str
    match: str
    remaining: int


class FakeNode:
    """A node serving a chain of raw blocks over JSON-RPC (POST /) and Esplora (GET /api/...)."""

    def __init__(
        self,
        blocks: Iterable[bytes] = (),
        *,
        chain: str = "main",
        user: str = "alice",
        password: str = "correct horse",
        cookie_dir: Path | None = None,
        start_height: int = 0,
        latency: float = 0.0,
    ):
        self.chain = chain
        self.user = user
        self.password = password
        self.latency = latency
        self.cookie_path: Path | None = None
        self._cookie_password = secrets.token_hex(32)
        if cookie_dir is not None:
            self.cookie_path = Path(cookie_dir) / ".cookie"
            self._write_cookie()
        self._lock = threading.Lock()
        self._blocks: dict[str, bytes] = {}  # every block the node has seen, stale ones included
        self._active: dict[int, str] = {}  # height -> hash of the active chain
        self._active_height: dict[str, int] = {}
        self._served_tip = -1
        self._faults: list[_Fault] = []
        self.http_requests = 0
        self.rpc_calls: Counter[str] = Counter()
        self.esplora_gets = 0
        self.set_chain(list(blocks), start_height)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- what the node serves --------------------------------------------------

    def set_chain(self, blocks: list[bytes], start_height: int = 0) -> None:
        """Make these blocks the active chain from ``start_height`` on and serve all of them."""
        with self._lock:
            self._active = {start_height + i: block_hash(b) for i, b in enumerate(blocks)}
            self._active_height = {h: height for height, h in self._active.items()}
            for b in blocks:
                self._blocks[block_hash(b)] = b
            self._served_tip = start_height + len(blocks) - 1 if blocks else -1

    def set_tip(self, height: int) -> None:
        """Serve the active chain only up to ``height``; raise it later to make the chain grow."""
        with self._lock:
            if height not in self._active:
                raise ValueError(f"height {height} is not in the active chain")
            self._served_tip = height

    @property
    def tip(self) -> int:
        return self._served_tip

    def hash_at(self, height: int) -> str | None:
        with self._lock:
            return self._active.get(height) if height <= self._served_tip else None

    def _block(self, h: str) -> bytes | None:
        """A block the node knows by hash: on the served chain, or stale from an earlier branch."""
        with self._lock:
            height = self._active_height.get(h)
            if height is not None and height > self._served_tip:
                return None  # not yet "mined" as far as clients can tell
            return self._blocks.get(h)

    def fail(self, kind: str, times: int = 1, match: str = "") -> None:
        """Answer the next ``times`` matching requests with a fault.

        kind: 500 (non-JSON server error), 401, 429 (with Retry-After: 0),
        truncate (body cut off mid-way, connection closed), garbage (HTTP 200
        with an HTML page), drop (connection closed without a reply). match:
        an RPC method name, or a substring of an Esplora path; empty matches all.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.append(_Fault(kind, match, times))

    def rotate_cookie(self) -> None:
        """Write a new cookie, as Core does at each start; the old one stops working."""
        self._cookie_password = secrets.token_hex(32)
        self._write_cookie()

    def _write_cookie(self) -> None:
        assert self.cookie_path is not None
        self.cookie_path.write_text(f"{COOKIE_USER}:{self._cookie_password}")

    def _take_fault(self, keys: set[str], path: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                hit = (
                    not fault.match or fault.match in keys or (path != "/" and fault.match in path)
                )
                if hit and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault.kind
        return None

    # -- server lifecycle ----------------------------------------------------

    def start(self) -> FakeNode:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.node = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-node",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "node not started"
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rpc_url(self) -> str:
        """RPC URL with the user name and password in it."""
        return f"http://{self.user}:{self.password.replace(' ', '%20')}@127.0.0.1:{self.port}/"

    @property
    def esplora_url(self) -> str:
        return f"esplora+{self.base}/api"

    # -- JSON-RPC ------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            pair = base64.b64decode(header[6:].strip()).decode()
        except ValueError:
            return False
        return pair in (f"{self.user}:{self.password}", f"{COOKIE_USER}:{self._cookie_password}")

    def rpc(self, method: str, params: list[Any]) -> Any:
        """Run one call; raise _RpcError with Core's code and message on failure."""
        with self._lock:
            self.rpc_calls[method] += 1
        if method == "getblockchaininfo":
            tip = self._served_tip
            return {
                "chain": self.chain,
                "blocks": tip,
                "headers": tip,
                "bestblockhash": self.hash_at(tip),
                "initialblockdownload": False,
                "pruned": False,
                "warnings": "",
            }
        if method == "getblockcount":
            return self._served_tip
        if method == "getbestblockhash":
            return self.hash_at(self._served_tip)
        if method == "getblockhash":
            height = _param(params, 0, int)
            found = self.hash_at(height)
            if height < 0 or found is None:
                raise _RpcError(-8, "Block height out of range")
            return found
        if method == "getblock":
            h = _param(params, 0, str)
            verbosity = params[1] if len(params) > 1 else 1
            if isinstance(verbosity, bool):
                verbosity = int(verbosity)
            if len(h) != 64:
                raise _RpcError(-8, f"blockhash must be of length 64 (not {len(h)}, for '{h}')")
            if any(c not in "0123456789abcdefABCDEF" for c in h):
                raise _RpcError(-8, f"blockhash must be hexadecimal string (not '{h}')")
            raw = self._block(h.lower())
            if raw is None:
                raise _RpcError(-5, "Block not found")
            if verbosity == 0:
                return raw.hex()
            return self._block_json(raw, int(verbosity))
        raise _RpcError(-32601, "Method not found")

    def _block_json(self, raw: bytes, verbosity: int) -> dict[str, Any]:
        from chaintrail.bitcoin.block import Block
        from chaintrail.bitcoin.decode_json import block_to_core_json
        from chaintrail.bitcoin.networks import get_network

        height = self._active_height.get(block_hash(raw))
        doc = block_to_core_json(Block.from_bytes(raw), get_network(self.chain), height=height)
        if verbosity == 1:
            doc["tx"] = [tx["txid"] for tx in doc["tx"]]
        return doc

    # -- Esplora -------------------------------------------------------------

    def esplora(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for an Esplora GET below /api."""
        with self._lock:
            self.esplora_gets += 1
        text = "text/plain"
        parts = path.strip("/").split("/")
        if parts == ["blocks", "tip", "height"]:
            return 200, text, str(self._served_tip).encode()
        if parts == ["blocks", "tip", "hash"]:
            return 200, text, (self.hash_at(self._served_tip) or "").encode()
        if len(parts) == 2 and parts[0] == "block-height":
            if not parts[1].isdigit():
                return 400, text, b"Invalid height"
            found = self.hash_at(int(parts[1]))
            return (200, text, found.encode()) if found else (404, text, b"Block not found")
        if len(parts) == 3 and parts[0] == "block" and parts[2] in ("raw", "header"):
            h = parts[1].lower()
            if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
                return 400, text, b"Invalid hex string"
            raw = self._block(h)
            if raw is None:
                return 404, text, b"Block not found"
            if parts[2] == "header":
                return 200, text, raw[:80].hex().encode()
            return 200, "application/octet-stream", raw
        return 404, text, b"not found"


class _RpcError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _param(params: list[Any], i: int, kind: type) -> Any:
    if len(params) <= i:
        raise _RpcError(
            -1, "missing required parameter"
        )  # Core answers with the method's help text
    value = params[i]
    if not isinstance(value, kind) or isinstance(value, bool):
        names = {int: "number", str: "string"}
        raise _RpcError(
            -3, f"JSON value of type {type(value).__name__} is not of expected type {names[kind]}"
        )
    return value


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-bitcoind/0.1"
    disable_nagle_algorithm = (
        True  # headers and body go out in separate writes; don't stall on ACKs
    )

    @property
    def node(self) -> FakeNode:
        return self.server.node  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, ctype: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _fault(self, kind: str, ok_body: bytes, ctype: str) -> None:
        if kind == "500":
            self._send(
                500, "text/html", b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            )
        elif kind == "401":
            self._send(401, "text/html", b"", {"WWW-Authenticate": 'Basic realm="jsonrpc"'})
        elif kind == "429":
            self._send(429, "text/plain", b"Too Many Requests", {"Retry-After": "0"})
        elif kind == "garbage":
            self._send(200, "text/html", b"<html><body>Welcome to nginx!</body></html>")
        elif kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(ok_body)))
            self.end_headers()
            self.wfile.write(ok_body[: len(ok_body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif kind == "drop":
            self.close_connection = True

    def _count(self) -> None:
        with self.node._lock:
            self.node.http_requests += 1
        if self.node.latency:
            time.sleep(self.node.latency)

    def do_GET(self) -> None:
        self._count()
        path = self.path.split("?", 1)[0]
        if not path.startswith("/api/"):
            self._send(405, "text/plain", b"JSONRPC server handles only POST requests")
            return
        status, ctype, body = self.node.esplora(path[len("/api") :])
        fault = self.node._take_fault(set(), path)
        if fault:
            self._fault(fault, body, ctype)
            return
        self._send(status, ctype, body)

    def do_POST(self) -> None:
        self._count()
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            request = json.loads(raw)
        except ValueError:
            request = None
        calls = (
            request if isinstance(request, list) else [request] if isinstance(request, dict) else []
        )
        methods = {c.get("method") for c in calls if isinstance(c, dict)}
        fault = self.node._take_fault({m for m in methods if isinstance(m, str)}, "/")
        if fault and fault != "truncate":
            self._fault(fault, b"", "application/json")
            return
        if not self.node.authorized(self.headers.get("Authorization")):
            time.sleep(0.01)  # Core waits 250 ms to deter guessing; keep tests quick
            self._send(401, "text/html", b"", {"WWW-Authenticate": 'Basic realm="jsonrpc"'})
            return
        status, reply = self._dispatch(request)
        body = json.dumps(reply).encode() + b"\n"
        if fault == "truncate":
            self._fault(fault, body, "application/json")
            return
        self._send(status, "application/json", body)

    def _dispatch(self, request: Any) -> tuple[int, Any]:
        if request is None:
            return 500, {
                "result": None,
                "error": {"code": -32700, "message": "Parse error"},
                "id": None,
            }
        if isinstance(request, list):
            return 200, [self._one(item)[1] for item in request]
        if isinstance(request, dict):
            return self._one(request)
        return 500, {
            "result": None,
            "error": {"code": -32700, "message": "Top-level object parse error"},
            "id": None,
        }

    def _one(self, call: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, reply object) as Core gives for one call, legacy or JSON-RPC 2.0."""
        if not isinstance(call, dict):
            err = {"code": -32600, "message": "Invalid Request object"}
            return 400, {"result": None, "error": err, "id": None}
        v2 = call.get("jsonrpc") == "2.0"
        rid = call.get("id")
        method = call.get("method")
        params = call.get("params") or []
        try:
            if not isinstance(method, str):
                raise _RpcError(-32600, "Method must be a string")
            if not isinstance(params, list):
                raise _RpcError(-32600, "Params must be an array")
            result = self.node.rpc(method, params)
        except _RpcError as exc:
            err = {"code": exc.code, "message": exc.message}
            if v2:
                return 200, {"jsonrpc": "2.0", "error": err, "id": rid}
            status = 404 if exc.code == -32601 else 400 if exc.code == -32600 else 500
            return status, {"result": None, "error": err, "id": rid}
        if v2:
            return 200, {"jsonrpc": "2.0", "result": result, "id": rid}
        return 200, {"result": result, "error": None, "id": rid}
