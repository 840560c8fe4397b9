"""Bitcoin Core's block files: ``blk00000.dat``, ``blk00001.dat``, ... each a
run of (network magic, 4-byte little-endian length, block) records, a new
file started when the next record would pass the size limit (Core's
MAX_BLOCKFILE_SIZE, 128 MiB), and, since Core 28, an optional 8-byte
``xor.dat`` key that obfuscates every byte at file offset i with key[i % 8].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MAX_BLOCKFILE_SIZE = 128 * 1024 * 1024


class BlockFileWriter:
    """Appends framed blocks to blk*.dat files in ``blocks_dir``."""

    def __init__(self, blocks_dir: Path, magic: bytes, max_file_size: int = MAX_BLOCKFILE_SIZE,
                 xor_key: bytes | None = None):
        self.dir = blocks_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.magic = np.frombuffer(magic, np.uint8)
        self.max = int(max_file_size)
        self.key = np.frombuffer(xor_key, np.uint8) if xor_key else None
        if xor_key is not None:
            if len(xor_key) != 8:
                raise ValueError("xor key must be 8 bytes")
            (self.dir / "xor.dat").write_bytes(xor_key)
        self._ktile = None
        self.index = -1
        self.fh = None
        self.size = 0
        self.paths: list[Path] = []
        self.bytes_written = 0
        self._open_next()

    def _open_next(self) -> None:
        if self.fh is not None:
            self.fh.close()
        self.index += 1
        path = self.dir / f"blk{self.index:05d}.dat"
        self.fh = open(path, "wb", buffering=1 << 20)
        self.paths.append(path)
        self.size = 0

    def write_framed(self, buf: np.ndarray, start: int, end: int) -> tuple[int, int]:
        """Write the block buf[start+8:end] framed in place: magic and length go in
        buf[start:start+8]. Returns (file index, offset of the block data)."""
        record = end - start
        if self.size > 0 and self.size + record > self.max:
            self._open_next()
        buf[start:start + 4] = self.magic
        n = end - start - 8
        buf[start + 4:start + 8] = np.frombuffer(int(n).to_bytes(4, "little"), np.uint8)
        view = buf[start:end]
        if self.key is not None:
            view = self._xor(view, self.size)
        self.fh.write(memoryview(view))
        off = self.size + 8
        self.size += record
        self.bytes_written += record
        return self.index, off

    def _xor(self, view: np.ndarray, file_offset: int) -> np.ndarray:
        n = len(view)
        need = n + 8
        if self._ktile is None or len(self._ktile) < need:
            self._ktile = np.resize(self.key, max(need, 1 << 22))
        k0 = file_offset % 8
        return np.bitwise_xor(view, self._ktile[k0:k0 + n])

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def read_blocks(blocks_dir: Path) -> list[bytes]:
    """Every block in a blocks directory, in file order (test and tool helper)."""
    key_path = blocks_dir / "xor.dat"
    key = np.frombuffer(key_path.read_bytes(), np.uint8) if key_path.exists() else None
    out = []
    for p in sorted(blocks_dir.glob("blk*.dat")):
        data = np.frombuffer(p.read_bytes(), np.uint8)
        if key is not None and key.any():
            data = np.bitwise_xor(data, np.resize(key, len(data)))
        raw = data.tobytes()
        pos = 0
        while pos + 8 <= len(raw):
            n = int.from_bytes(raw[pos + 4:pos + 8], "little")
            out.append(raw[pos + 8:pos + 8 + n])
            pos += 8 + n
    return out
