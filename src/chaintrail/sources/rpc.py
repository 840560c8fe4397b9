"""Bitcoin Core over JSON-RPC: the chain, its tip and raw blocks by height,
fetched in JSON-RPC batches with several batches in flight so that ingest from
a node across a network is bound by bandwidth, not round trips."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from chaintrail.bitcoin.hashing import hash_to_hex, sha256d
from chaintrail.bitcoin.networks import Network, get_network
from chaintrail.errors import NetworkMismatchError, SourceError
from chaintrail.sources.remote import (
    HttpSource,
    Retryable,
    one_line,
    ordered_prefetch,
    redact_url,
    retry_after,
    with_retries,
)

DEFAULT_PORT = 8332
RPC_IN_WARMUP = -28  # Core is still loading its block index: worth waiting for
_HASH_RE = re.compile(r"[0-9a-f]{64}")


def read_cookie(path: str | Path) -> tuple[str, str]:
    """(user, password) from Bitcoin Core's ``.cookie`` file (``__cookie__:<hex>``)."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SourceError(f"cannot read RPC cookie file {path}: {exc.strerror or exc}") from None
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise SourceError(f"RPC cookie file {path} does not hold 'user:password'")
    return user, password


class RpcSource(HttpSource):
    """A Bitcoin Core node read over JSON-RPC (implements RemoteSource).

    ``url`` is ``http(s)://[user:pass@]host[:port][/path][?cookie=PATH]``;
    ``cookie`` (or ``?cookie=``) names Core's ``.cookie`` file, which is read
    again if the node rejects it (Core writes a new one at each start).
    Credentials go in the Authorization header only, never into
    ``description``, errors or logs.
    """

    kind = "rpc"

    def __init__(
        self,
        url: str,
        cookie: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.5,
        workers: int = 4,
        max_batch: int = 64,
        batch_bytes: int = 8_000_000,
        jsonrpc: str = "2.0",
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(f"{redact_url(url)}: not an http(s) URL of a Bitcoin Core RPC server")
        try:
            port = parts.port or (DEFAULT_PORT if parts.scheme == "http" else 443)
        except ValueError:
            raise SourceError(f"{redact_url(url)}: invalid port in RPC URL") from None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self.url = f"{parts.scheme}://{host}:{port}{parts.path or '/'}"
        self.description = f"Bitcoin Core RPC {self.url}"
        query_cookie = parse_qs(parts.query).get("cookie", [None])[0]
        self._cookie_path = cookie or query_cookie
        self._url_auth: tuple[str, str] | None = None
        if parts.username is not None:
            self._url_auth = (unquote(parts.username), unquote(parts.password or ""))
        self._auth_lock = threading.Lock()
        self._auth = self._current_auth()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.workers = max(1, workers)
        self.max_batch = max(1, max_batch)
        self.batch_bytes = batch_bytes
        self.jsonrpc = jsonrpc
        self._ids = itertools.count(1)
        self._network: Network | None = None
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(
                max_connections=self.workers + 2, max_keepalive_connections=self.workers + 2
            ),
            headers={"User-Agent": "chaintrail", "Content-Type": "application/json"},
            follow_redirects=False,
        )

    # -- plumbing -----------------------------------------------------------

    def _current_auth(self) -> tuple[str, str] | None:
        if self._cookie_path:
            return read_cookie(self._cookie_path)
        return self._url_auth

    def _reload_cookie(self, rejected: tuple[str, str] | None) -> bool:
        """Re-read the cookie file after a 401; True when it now holds other credentials."""
        if not self._cookie_path:
            return False
        with self._auth_lock:
            if self._auth != rejected:
                return True  # another thread already picked up a new cookie
            fresh = read_cookie(self._cookie_path)
            if fresh == self._auth:
                return False
            self._auth = fresh
            return True

    def _auth_hint(self) -> str:
        if self._cookie_path:
            return (
                f"the node rejected the cookie in {self._cookie_path} (HTTP 401): "
                "is it this node's cookie file?"
            )
        if self._url_auth:
            return "the node rejected the user name and password in the URL (HTTP 401)"
        return (
            "the node requires credentials (HTTP 401): give them as http://user:pass@host:port "
            "or with --rpc-cookie PATH"
        )

    def _send(self, body: str, auth: tuple[str, str] | None) -> httpx.Response:
        return self._client.post(
            self.url, content=body, auth=auth if auth else httpx.USE_CLIENT_DEFAULT
        )

    def _post(self, payload: Any, what: str) -> Any:
        """POST one JSON-RPC request or batch once; the decoded JSON reply.

        Raises Retryable for what another attempt may cure (callers retry).
        """
        body = json.dumps(payload)
        auth = self._auth
        response = self._send(body, auth)
        if response.status_code == 401 and self._reload_cookie(auth):
            response = self._send(body, self._auth)  # the node restarted and wrote a new cookie
        status = response.status_code
        if status == 401:
            raise SourceError(f"{self.url}: {what}: {self._auth_hint()}")
        if status == 403:
            raise SourceError(
                f"{self.url}: {what}: access forbidden (HTTP 403): "
                "does rpcallowip admit this machine?"
            )
        if status in (429, 502, 503, 504):
            raise Retryable(f"server busy (HTTP {status})", retry_after(response))
        try:
            reply = response.json()
        except ValueError:
            snippet = one_line(response.text) or "empty body"
            if status >= 500:
                raise Retryable(f"HTTP {status} with a reply that is not JSON: {snippet}") from None
            ctype = response.headers.get("content-type", "no content type")
            raise SourceError(
                f"{self.url}: {what}: the reply is not JSON-RPC (HTTP {status}, {ctype}): {snippet}"
            ) from None
        if not isinstance(reply, (dict, list)):
            raise SourceError(
                f"{self.url}: {what}: the reply is not JSON-RPC (HTTP {status}): "
                f"{one_line(response.text)}"
            )
        return reply

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        req: dict[str, Any] = {"method": method, "params": list(params), "id": next(self._ids)}
        if self.jsonrpc:
            req["jsonrpc"] = self.jsonrpc
        return req

    def _result(self, reply: Any, what: str) -> Any:
        if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
            raise SourceError(
                f"{self.url}: {what}: the reply is not a JSON-RPC response: "
                f"{one_line(json.dumps(reply))}"
            )
        error = reply.get("error")
        if error is not None:
            if isinstance(error, dict):
                code, message = error.get("code"), error.get("message", "")
                if code == RPC_IN_WARMUP:
                    raise Retryable(f"node is starting up: {message}", wait=None)
                raise SourceError(f"{self.url}: {what}: RPC error {code}: {one_line(str(message))}")
            raise SourceError(f"{self.url}: {what}: RPC error: {one_line(str(error))}")
        return reply.get("result")

    def call(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call; its result, or a SourceError naming the server and the call."""
        what = " ".join([method, *map(str, params)])

        def attempt() -> Any:
            return self._result(self._post(self._request(method, params), what), what)

        return with_retries(f"{self.url}: {what}", attempt, self.retries, self.backoff)

    def batch(self, method: str, param_lists: Sequence[Sequence[Any]]) -> list[Any]:
        """Many calls of one method in a single JSON-RPC batch; results in the order asked."""
        if not param_lists:
            return []
        span = (
            f"{param_lists[0][0]}..{param_lists[-1][0]}"
            if len(param_lists) > 1
            else f"{param_lists[0][0]}"
        )
        what = f"batch of {len(param_lists)} {method} ({span})"

        def attempt() -> list[Any]:
            requests = [self._request(method, p) for p in param_lists]
            reply = self._post(requests, what)
            if not isinstance(reply, list):
                # Core answers a batch it cannot run with one error object.
                self._result(reply, what)
                raise SourceError(f"{self.url}: {what}: the node did not answer with a batch")
            by_id = {item.get("id"): item for item in reply if isinstance(item, dict)}
            results = []
            for req, params in zip(requests, param_lists, strict=True):
                item = by_id.get(req["id"])
                call = " ".join([method, *map(str, params)])
                if item is None:
                    raise SourceError(
                        f"{self.url}: {call}: no reply in the batch for request id {req['id']}"
                    )
                results.append(self._result(item, call))
            return results

        return with_retries(f"{self.url}: {what}", attempt, self.retries, self.backoff)

    # -- RemoteSource -------------------------------------------------------

    def network(self) -> Network:
        """The node's chain from getblockchaininfo (main, test, testnet4, signet, regtest)."""
        if self._network is None:
            info = self.call("getblockchaininfo")
            chain = info.get("chain") if isinstance(info, dict) else None
            try:
                self._network = get_network(str(chain))
            except NetworkMismatchError:
                raise SourceError(
                    f"{self.url}: getblockchaininfo: unknown chain {chain!r}"
                ) from None
        return self._network

    def tip_height(self) -> int:
        """Height of the node's best block (getblockcount)."""
        result = self.call("getblockcount")
        if not isinstance(result, int) or isinstance(result, bool) or result < 0:
            raise SourceError(
                f"{self.url}: getblockcount: not a block height: {one_line(repr(result))}"
            )
        return result

    def block_hash(self, height: int) -> str:
        """Hash of the best-chain block at ``height`` (getblockhash)."""
        return self.block_hashes([height])[0]

    def block_hashes(self, heights: Sequence[int]) -> list[str]:
        """Best-chain hashes at many heights in one round trip."""
        results = self.batch("getblockhash", [[h] for h in heights])
        for h, value in zip(heights, results, strict=True):
            if not isinstance(value, str) or not _HASH_RE.fullmatch(value):
                raise SourceError(
                    f"{self.url}: getblockhash {h}: not a block hash: {one_line(repr(value))}"
                )
        return results

    def raw_block(self, block_hash: str) -> bytes:
        """The serialized block with this hash (getblock HASH 0), checked against the hash."""
        return self.raw_blocks([block_hash])[0]

    def raw_blocks(self, hashes: Sequence[str]) -> list[bytes]:
        """Many serialized blocks in one round trip, each checked against its hash."""
        results = self.batch("getblock", [[h, 0] for h in hashes])
        return [self._decode_block(h, value) for h, value in zip(hashes, results, strict=True)]

    def _decode_block(self, block_hash: str, value: Any) -> bytes:
        what = f"{self.url}: getblock {block_hash} 0"
        if not isinstance(value, str):
            raise SourceError(f"{what}: expected the block as hex, got {type(value).__name__}")
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise SourceError(
                f"{what}: the block is not valid hex ({len(value)} characters)"
            ) from None
        check_block_hash(raw, block_hash, what)
        return raw

    def iter_blocks(self, start_height: int, stop_height: int) -> Iterator[tuple[int, str, bytes]]:
        """(height, hash, raw block) for every height from start to stop inclusive, in order.

        Heights go out in batches sized to about ``batch_bytes`` of blocks,
        ``workers`` batches at a time; a hash is the best chain's at the
        moment its batch was asked, so a reorg during the walk shows up as a
        block whose parent is not the previous one.
        """
        sizes = _MeanSize()

        def jobs() -> Iterator[tuple[int, int]]:
            height = start_height
            while height <= stop_height:
                n = sizes.batch_for(self.batch_bytes, self.max_batch)
                yield height, min(stop_height, height + n - 1)
                height += n

        def run(job: tuple[int, int]) -> list[tuple[int, str, bytes]]:
            heights = list(range(job[0], job[1] + 1))
            hashes = self.block_hashes(heights)
            blocks = self.raw_blocks(hashes)
            sizes.add(blocks)
            return list(zip(heights, hashes, blocks, strict=True))

        for chunk in ordered_prefetch(jobs(), run, self.workers, ahead=self.workers + 1):
            yield from chunk


def check_block_hash(raw: bytes, block_hash: str, what: str) -> None:
    """Refuse bytes whose header does not hash to the block that was asked for."""
    if len(raw) < 81:
        raise SourceError(f"{what}: the reply holds {len(raw)} bytes, too short for a block")
    got = hash_to_hex(sha256d(raw[:80]))
    if got != block_hash.lower():
        raise SourceError(f"{what}: the reply is block {got}, not the one asked for")


class _MeanSize:
    """Running mean block size, to size batches by bytes rather than by count."""

    FIRST_BATCH = 4  # before any block is seen, ask for a few: they may be 4 MB each

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._count = 0

    def add(self, blocks: Sequence[bytes]) -> None:
        with self._lock:
            self._total += sum(len(b) for b in blocks)
            self._count += len(blocks)

    def batch_for(self, target_bytes: int, max_batch: int) -> int:
        with self._lock:
            if not self._count:
                return min(self.FIRST_BATCH, max_batch)
            mean = max(1, self._total // self._count)
        return max(1, min(max_batch, target_bytes // mean))
