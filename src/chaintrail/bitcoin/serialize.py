"""Wire primitives: CompactSize varints and a bounds-checked byte reader.

Every read names what it was reading when the bytes ran out, so a decode
error can say which field of which transaction is broken.
"""

from __future__ import annotations

import struct

from chaintrail.errors import DecodeError

MAX_SIZE = 0x02000000  # Core's MAX_SIZE: no length field may exceed 32 MiB


def ser_compact_size(n: int) -> bytes:
    """Encode a non-negative integer as a CompactSize varint."""
    if n < 0:
        raise ValueError("compact size must be non-negative")
    if n < 0xFD:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def ser_bytes(b: bytes) -> bytes:
    """Length-prefixed bytes (scripts, witness items)."""
    return ser_compact_size(len(b)) + b


class ByteReader:
    """Sequential reader over a bytes-like object with explicit bounds checks."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf: bytes | bytearray | memoryview, pos: int = 0, end: int | None = None):
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end

    def remaining(self) -> int:
        return self.end - self.pos

    def read(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise DecodeError(
                f"truncated data reading {what} at byte {self.pos}: "
                f"need {n}, have {self.end - self.pos}"
            )
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.read(1, what)[0]

    def u32(self, what: str) -> int:
        return struct.unpack("<I", self.read(4, what))[0]

    def i32(self, what: str) -> int:
        return struct.unpack("<i", self.read(4, what))[0]

    def i64(self, what: str) -> int:
        return struct.unpack("<q", self.read(8, what))[0]

    def compact_size(self, what: str) -> int:
        first = self.u8(what)
        if first < 0xFD:
            n = first
        elif first == 0xFD:
            n = struct.unpack("<H", self.read(2, what))[0]
            if n < 0xFD:
                raise DecodeError(f"non-canonical compact size for {what} at byte {self.pos - 3}")
        elif first == 0xFE:
            n = struct.unpack("<I", self.read(4, what))[0]
            if n <= 0xFFFF:
                raise DecodeError(f"non-canonical compact size for {what} at byte {self.pos - 5}")
        else:
            n = struct.unpack("<Q", self.read(8, what))[0]
            if n <= 0xFFFFFFFF:
                raise DecodeError(f"non-canonical compact size for {what} at byte {self.pos - 9}")
        if n > MAX_SIZE:
            raise DecodeError(f"{what} of {n} exceeds the 32 MiB limit at byte {self.pos}")
        return n

    def var_bytes(self, what: str) -> bytes:
        return self.read(self.compact_size(what + " length"), what)
