"""Bitcoin Core's blk*.dat framing: 4 magic bytes, a 4-byte little-endian
length, then the block. Files may hold stray bytes (resynchronise on the
next magic, as Core's -loadblock does), trailing zero padding (preallocated
space) and a block cut off by a crash (report it, keep what came before)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chaintrail.bitcoin.block import HEADER_SIZE, MAX_BLOCK_SERIALIZED
from chaintrail.bitcoin.networks import BY_MAGIC, Network


@dataclass(frozen=True)
class Frame:
    """One framed block inside a file: where its bytes start and how many."""

    offset: int  # offset of the block itself (after magic and length)
    length: int
    network: Network


@dataclass
class FrameScan:
    frames: list[Frame] = field(default_factory=list)
    skipped: list[tuple[int, int]] = field(default_factory=list)  # (offset, n bytes) of junk
    truncated: tuple[int, int, int] | None = None  # (frame offset, declared length, bytes present)


def _find_magic(data, start: int, magics: tuple[bytes, ...]) -> int:
    best = -1
    for m in magics:
        k = data.find(m, start)
        if k >= 0 and (best < 0 or k < best):
            best = k
    return best


def scan_frames(data, magics: tuple[bytes, ...] | None = None) -> FrameScan:
    """Locate every framed block in a (de-obfuscated) blk file image."""
    if magics is None:
        magics = tuple(BY_MAGIC)
    buf = data  # bytes or an mmap: both slice, find and count
    n = len(buf)
    scan = FrameScan()
    pos = 0
    while pos < n:
        if pos + 8 <= n and buf[pos:pos + 4] in BY_MAGIC and buf[pos:pos + 4] in magics:
            length = int.from_bytes(buf[pos + 4:pos + 8], "little")
            if HEADER_SIZE + 1 <= length <= MAX_BLOCK_SERIALIZED:
                if pos + 8 + length > n:
                    scan.truncated = (pos, length, n - pos - 8)
                    break
                scan.frames.append(Frame(pos + 8, length, BY_MAGIC[buf[pos:pos + 4]]))
                pos += 8 + length
                continue
        nxt = _find_magic(buf, pos + 1, magics)
        end = n if nxt < 0 else nxt
        # zeros up to the end of the file are Core's preallocation; anything else is junk
        if nxt >= 0 or bytes(buf[pos:end]).strip(b"\x00"):
            scan.skipped.append((pos, end - pos))
        if nxt < 0:
            break
        pos = nxt
    return scan


def xor_bytes(data: bytes, key: bytes, file_offset: int) -> bytes:
    """Undo Bitcoin Core 28's blocks/xor.dat obfuscation for bytes read at file_offset."""
    if not key or not any(key):
        return data
    import numpy as np

    arr = np.frombuffer(data, dtype=np.uint8)
    k = np.frombuffer(key, dtype=np.uint8)
    phase = file_offset % len(key)
    pattern = np.resize(np.roll(k, -phase), len(arr))
    return (arr ^ pattern).tobytes()
