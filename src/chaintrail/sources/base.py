"""What every block source hands to ingest: raw block bytes and where they
came from, so that a block can be read again later (a reorg or a loose block
that finds its parent) without keeping a copy of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from chaintrail.bitcoin.networks import Network


@dataclass(frozen=True)
class BlockLocation:
    """Where a block's bytes live.

    kind is 'file' (path, offset, length; xor_key for obfuscated blk files),
    'rpc' or 'esplora' (path is the server URL without credentials; the block
    is fetched again by hash), or 'pool' (a copy kept inside the store).
    """

    kind: str
    path: str
    offset: int = 0
    length: int = 0
    xor_key: bytes = b""
    fmt: str = "raw"  # raw | hex | framed: how the bytes at path are encoded

    def describe(self) -> str:
        if self.kind == "file":
            return f"{self.path} offset {self.offset}"
        return f"{self.kind} {self.path}"


@dataclass
class RawBlock:
    """One block's serialized bytes (no framing) and its origin."""

    data: bytes
    location: BlockLocation
    network: Network | None = None  # known when the framing carried magic bytes


class FileSource(Protocol):
    """A finite set of blocks on disk: scanned once per ingest."""

    description: str

    def scan(self) -> Iterator[RawBlock]: ...


class RemoteSource(Protocol):
    """A node that serves blocks by height and hash and can be followed."""

    description: str

    def network(self) -> Network: ...

    def tip_height(self) -> int: ...

    def block_hash(self, height: int) -> str: ...

    def raw_block(self, block_hash: str) -> bytes: ...
