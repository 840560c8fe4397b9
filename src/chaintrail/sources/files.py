"""Block files on disk: a Bitcoin Core blocks directory, blk*.dat files, and
single blocks as raw binary, hex text or magic+length framed files."""

from __future__ import annotations

import mmap
import os
import re
from pathlib import Path
from typing import Iterator

from chaintrail.bitcoin.networks import BY_MAGIC, Network
from chaintrail.errors import SourceError
from chaintrail.sources.base import BlockLocation, RawBlock
from chaintrail.sources.framing import FrameScan, scan_frames, xor_bytes

_BLK_RE = re.compile(r"^blk(\d{5,})\.dat$")
_HEX_RE = re.compile(rb"^[0-9a-fA-F]+$")


def read_xor_key(blocks_dir: Path) -> bytes:
    """The obfuscation key of a Core >= 28 blocks dir (8 bytes), or b'' if none."""
    p = blocks_dir / "xor.dat"
    if not p.exists():
        return b""
    key = p.read_bytes()
    if len(key) != 8:
        raise SourceError(f"{p}: xor key must be 8 bytes, found {len(key)}")
    return key


class BlkFile:
    """One blk*.dat file (possibly XOR-obfuscated).

    Scanning yields each block's first PREFIX bytes only (header and the
    start of the coinbase: enough to index it); ingest reads whole blocks
    again by location, in chain order.
    """

    PREFIX = 512

    def __init__(self, path: Path, xor_key: bytes = b""):
        self.path = path
        self.xor_key = xor_key
        self.description = str(path)
        self.scan_result: FrameScan | None = None

    def scan(self) -> Iterator[RawBlock]:
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size == 0:
                    self.scan_result = FrameScan()
                    return
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                    view = mm if not any(self.xor_key) else xor_bytes(mm[:], self.xor_key, 0)
                    self.scan_result = scan = scan_frames(view)
                    if not scan.frames and scan.truncated is None and view[:4096].strip(b"\x00"):
                        raise SourceError(
                            f"{self.path}: no block framed with a known network magic "
                            f"(first bytes {bytes(view[:4]).hex()})"
                        )
                    for fr in scan.frames:
                        loc = BlockLocation("file", str(self.path), fr.offset, fr.length,
                                            self.xor_key, "framed")
                        head = bytes(view[fr.offset:fr.offset + min(fr.length, self.PREFIX)])
                        yield RawBlock(head, loc, fr.network)
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read: {exc.strerror}") from None


class SingleBlockFile:
    """A file holding one block: raw binary, hex text, or magic+length framed."""

    def __init__(self, path: Path, network: Network | None = None):
        self.path = path
        self.network = network
        self.description = str(path)
        self.scan_result: FrameScan | None = None

    def scan(self) -> Iterator[RawBlock]:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read: {exc.strerror}") from None
        stripped = data.strip()
        if stripped and _HEX_RE.match(stripped):
            if len(stripped) % 2:
                raise SourceError(f"{self.path}: hex text has an odd number of digits")
            raw = bytes.fromhex(stripped.decode())
            yield RawBlock(raw, BlockLocation("file", str(self.path), 0, len(raw), b"", "hex"), self.network)
            return
        if stripped and _is_text(stripped):
            bad = next(i for i, c in enumerate(stripped) if chr(c) not in "0123456789abcdefABCDEF")
            raise SourceError(
                f"{self.path}: text but not hex (character {chr(stripped[bad])!r} at position {bad})")
        if len(data) >= 8 and data[:4] in BY_MAGIC:
            blk = BlkFile(self.path)
            for rb in blk.scan():
                whole = data[rb.location.offset:rb.location.offset + rb.location.length]
                yield RawBlock(whole, rb.location, rb.network)
            self.scan_result = blk.scan_result
            return
        if len(data) < 81:
            raise SourceError(f"{self.path}: {len(data)} bytes is too short to be a block")
        yield RawBlock(data, BlockLocation("file", str(self.path), 0, len(data), b"", "raw"), self.network)


def _is_text(data: bytes) -> bool:
    """Printable ASCII and whitespace only: a hex file gone wrong, never a binary block."""
    return all(32 <= c < 127 or c in (9, 10, 13) for c in data[:4096])


def expand_paths(spec: str, network: Network | None = None) -> list[BlkFile | SingleBlockFile]:
    """Turn a path given on the command line into file sources.

    A directory is read as a Bitcoin Core blocks dir (blk*.dat in numeric
    order, with xor.dat) if it has blk files, else every regular file in it
    is a single block file, in name order.
    """
    p = Path(spec)
    if not p.exists():
        raise SourceError(f"{spec}: no such file or directory")
    if p.is_dir():
        blks = sorted(
            (f for f in p.iterdir() if _BLK_RE.match(f.name)),
            key=lambda f: int(_BLK_RE.match(f.name).group(1)),
        )
        if not blks and (p / "blocks").is_dir():
            return expand_paths(str(p / "blocks"), network)
        if blks:
            key = read_xor_key(p)
            return [BlkFile(f, key) for f in blks]
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
        if not files:
            raise SourceError(f"{spec}: directory holds no block files")
        return [SingleBlockFile(f, network) for f in files]
    if _BLK_RE.match(p.name):
        return [BlkFile(p, read_xor_key(p.parent))]
    return [SingleBlockFile(p, network)]


def read_location(loc: BlockLocation) -> bytes:
    """Read a block again from where a file source found it."""
    if loc.kind != "file":
        raise SourceError(f"cannot read {loc.describe()} as a file")
    try:
        with open(loc.path, "rb") as f:
            if loc.fmt == "hex":
                raw = bytes.fromhex(f.read().decode().strip())
                return raw
            f.seek(loc.offset)
            data = f.read(loc.length)
    except (OSError, ValueError) as exc:
        raise SourceError(f"{loc.describe()}: cannot read block again: {exc}") from None
    if len(data) != loc.length:
        raise SourceError(f"{loc.describe()}: file changed, block no longer complete")
    return xor_bytes(data, loc.xor_key, loc.offset)


def file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
