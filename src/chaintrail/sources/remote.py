"""What the remote block sources share: picking Bitcoin Core RPC or Esplora
from a URL, the retry policy for flaky HTTP, and the ordered prefetcher that
keeps several requests in flight so that ingest is not bound by latency."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from chaintrail.errors import SourceError
from chaintrail.sources.base import BlockLocation, RemoteSource

log = logging.getLogger(__name__)

ESPLORA_PREFIX = "esplora+"

J = TypeVar("J")
R = TypeVar("R")


def is_remote_url(text: str) -> bool:
    """True when a SOURCE argument names a server rather than a file."""
    lowered = text.lower()
    return lowered.startswith(
        ("http://", "https://", ESPLORA_PREFIX + "http://", ESPLORA_PREFIX + "https://")
    )


def open_remote(url: str, cookie: str | None = None, **options: object) -> RemoteSource:
    """The source a URL names: ``esplora+http(s)://...`` is Esplora, ``http(s)://...`` Core RPC.

    ``cookie`` is the path of Bitcoin Core's ``.cookie`` file (RPC only);
    ``options`` go to the source's constructor (timeout, retries, workers...).
    """
    if url.lower().startswith(ESPLORA_PREFIX):
        if cookie is not None:
            raise SourceError(
                f"{redact_url(url)}: an RPC cookie file makes no sense for an Esplora server"
            )
        from chaintrail.sources.esplora import EsploraSource

        return EsploraSource(url[len(ESPLORA_PREFIX) :], **options)  # type: ignore[arg-type]
    if url.lower().startswith(("http://", "https://")):
        from chaintrail.sources.rpc import RpcSource

        return RpcSource(url, cookie=cookie, **options)  # type: ignore[arg-type]
    raise SourceError(
        f"{redact_url(url)}: not a server URL: use http://user:pass@host:8332 for Bitcoin Core RPC "
        "or esplora+https://host/api for Esplora"
    )


def redact_url(url: str) -> str:
    """The URL with any user name, password and query string removed, fit for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "<unparsable URL>"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def one_line(text: str, limit: int = 120) -> str:
    """Squeeze a server's reply into a short single line for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe_transport_error(exc: httpx.TransportError) -> str:
    """A short cause for a connection-level failure (refused, timed out, cut off)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the reply"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "refused" in text.lower():
            return "connection refused"
        return f"cannot connect ({one_line(text, 80) or type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke off the reply ({one_line(str(exc), 80) or 'protocol error'})"
    return one_line(str(exc), 80) or type(exc).__name__


class Retryable(Exception):
    """A failure worth another attempt (a dropped connection, HTTP 429/5xx, a node warming up)."""

    def __init__(self, cause: str, wait: float | None = None):
        super().__init__(cause)
        self.cause = cause
        self.wait = wait  # seconds the server asked for (Retry-After), if any


def with_retries(what: str, attempt: Callable[[], R], retries: int, backoff: float) -> R:
    """Run ``attempt``, retrying up to ``retries`` times on Retryable or transport errors.

    Waits grow exponentially from ``backoff`` seconds (capped at 30 s, or the
    server's Retry-After). The final failure is a SourceError whose message
    is ``what`` followed by the cause.
    """
    delay = backoff
    for n in range(retries + 1):
        try:
            return attempt()
        except Retryable as exc:
            cause, wait = exc.cause, exc.wait
        except httpx.TransportError as exc:
            cause, wait = describe_transport_error(exc), None
        if n == retries:
            tries = f" after {retries + 1} attempts" if retries else ""
            raise SourceError(f"{what}: {cause}{tries}") from None
        pause = min(30.0, wait if wait is not None else delay)
        log.warning("%s: %s; retrying in %.2f s (%d/%d)", what, cause, pause, n + 1, retries)
        time.sleep(pause)
        delay *= 2
    raise AssertionError("unreachable")


def retry_after(response: httpx.Response) -> float | None:
    """Seconds a 429/503 reply asks us to wait, when it says so in whole seconds."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def ordered_prefetch(
    jobs: Iterable[J], run: Callable[[J], R], workers: int, ahead: int
) -> Iterator[R]:
    """Run ``run(job)`` on a thread pool, ``ahead`` jobs in flight; yield results in job order.

    ``jobs`` is consumed lazily, one job per result taken, so a job generator
    may adapt later jobs to what earlier ones returned. The first failure is
    raised when its result is due; jobs not yet started are then cancelled.
    """
    job_iter = iter(jobs)
    pending: deque[Future[R]] = deque()
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="chaintrail-fetch")
    try:
        for job in job_iter:
            pending.append(pool.submit(run, job))
            if len(pending) >= max(1, ahead):
                break
        while pending:
            result = pending.popleft().result()
            for job in job_iter:
                pending.append(pool.submit(run, job))
                break
            yield result
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True)


class HttpSource:
    """What RPC and Esplora sources share: an httpx client, a kind and a credential-free URL."""

    kind = "http"
    url: str
    _client: httpx.Client

    def location(self) -> BlockLocation:
        """Where blocks from this source live: the server, asked again by hash."""
        return BlockLocation(kind=self.kind, path=self.url)

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"
