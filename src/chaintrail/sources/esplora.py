"""An Esplora REST server (Blockstream's and mempool.space's block explorer
API): the tip, hashes by height and raw blocks, with backoff when the server
rate-limits and several requests in flight."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from chaintrail.bitcoin.networks import NETWORKS, Network
from chaintrail.errors import SourceError
from chaintrail.sources.remote import (
    HttpSource,
    Retryable,
    one_line,
    ordered_prefetch,
    redact_url,
    retry_after,
    with_retries,
)
from chaintrail.sources.rpc import check_block_hash

_HASH_RE = re.compile(r"[0-9a-f]{64}")


class EsploraSource(HttpSource):
    """An Esplora server at a base URL such as ``https://blockstream.info/api`` (a RemoteSource).

    A ``user:pass@`` in the URL (a private instance behind basic auth) is sent
    as an Authorization header and kept out of ``description`` and errors.
    """

    kind = "esplora"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        retries: int = 5,
        backoff: float = 0.5,
        workers: int = 4,
    ):
        if not url.lower().startswith(("http://", "https://")):
            raise SourceError(f"{redact_url(url)}: not an http(s) URL of an Esplora server")
        self.url = redact_url(url).rstrip("/")
        self.description = f"Esplora {self.url}"
        self.retries = retries
        self.backoff = backoff
        self.workers = max(1, workers)
        self._network: Network | None = None
        parts = urlsplit(url)
        auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
        self._base = urlunsplit(
            (parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")
        ).rstrip("/")
        self._client = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(
                max_connections=self.workers + 2, max_keepalive_connections=self.workers + 2
            ),
            headers={"User-Agent": "chaintrail"},
            follow_redirects=True,
        )

    def _get(self, path: str, what: str) -> httpx.Response:
        """GET ``base + path``, retrying on 429, 5xx and dropped connections."""

        def attempt() -> httpx.Response:
            response = self._client.get(self._base + path)
            status = response.status_code
            if status == 200:
                return response
            snippet = one_line(response.text) or "empty body"
            if status == 429 or status >= 500:
                raise Retryable(f"HTTP {status}: {snippet}", retry_after(response))
            if status == 404:
                raise SourceError(f"{self.url}: {what}: not found (HTTP 404: {snippet})")
            raise SourceError(f"{self.url}: {what}: HTTP {status}: {snippet}")

        return with_retries(f"{self.url}: {what}", attempt, self.retries, self.backoff)

    def network(self) -> Network:
        """The network whose genesis block the server has at height 0."""
        if self._network is None:
            genesis = self.block_hash(0)
            for net in NETWORKS.values():
                if net.genesis_hash == genesis:
                    self._network = net
                    break
            else:
                raise SourceError(
                    f"{self.url}: genesis block {genesis} belongs to no network chaintrail knows"
                )
        return self._network

    def tip_height(self) -> int:
        """Height of the server's best block (``/blocks/tip/height``)."""
        text = self._get("/blocks/tip/height", "tip height").text.strip()
        if not text.isdigit():
            raise SourceError(f"{self.url}: tip height: not a block height: {one_line(text)}")
        return int(text)

    def block_hash(self, height: int) -> str:
        """Hash of the best-chain block at ``height`` (``/block-height/:height``)."""
        text = (
            self._get(f"/block-height/{height}", f"block at height {height}").text.strip().lower()
        )
        if not _HASH_RE.fullmatch(text):
            raise SourceError(
                f"{self.url}: block at height {height}: not a block hash: {one_line(text)}"
            )
        return text

    def raw_block(self, block_hash: str) -> bytes:
        """The serialized block with this hash (``/block/:hash/raw``), checked against the hash."""
        what = f"block {block_hash}"
        raw = self._get(f"/block/{block_hash}/raw", what).content
        check_block_hash(raw, block_hash, f"{self.url}: {what}")
        return raw

    def iter_blocks(self, start_height: int, stop_height: int) -> Iterator[tuple[int, str, bytes]]:
        """(height, hash, raw block) for every height from start to stop inclusive, in order,
        with ``workers`` heights in flight (Esplora has no batch requests)."""

        def run(height: int) -> tuple[int, str, bytes]:
            block_hash = self.block_hash(height)
            return height, block_hash, self.raw_block(block_hash)

        yield from ordered_prefetch(
            range(start_height, stop_height + 1), run, self.workers, self.workers * 2
        )
