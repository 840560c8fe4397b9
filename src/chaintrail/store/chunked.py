"""Reading and writing the analysis arrays' files in bounded memory: chunks read
into one reused buffer (plain reads: the pages stay in the page cache, not in
this process's resident set as a memory map's would), and a writable memory
map whose resident pages are let go once they could exceed a limit (writes
fault in one page each; reads would fault in their neighbours too)."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

PAGE = mmap.PAGESIZE


def read_chunks(path: Path, dtype: str | np.dtype, tail: tuple[int, ...], start: int, stop: int,
                rows: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, rows) of rows start..stop of an array file, at most `rows` at a time; each
    chunk is a view of one buffer that the next chunk overwrites."""
    dtype = np.dtype(dtype)
    row_bytes = dtype.itemsize * int(np.prod(tail or (1,)))
    rows = max(1, min(rows, stop - start))
    if stop <= start:
        return
    buf = np.empty((rows, *tail), dtype)
    raw = memoryview(buf).cast("B")
    with open(path, "rb", buffering=0) as f:
        f.seek(start * row_bytes)
        at = start
        while at < stop:
            k = min(rows, stop - at)
            want, got = k * row_bytes, 0
            while got < want:
                n = f.readinto(raw[got:want])
                if not n:
                    raise OSError(f"{path}: ends at row {at + got // row_bytes}, expected {stop} rows")
                got += n
            yield at, buf[:k]
            at += k


class OutFile:
    """An array file written front to back, synced on close."""

    def __init__(self, path: Path):
        self.path = path
        self.f = open(path, "wb")
        self.length = 0

    def write(self, arr: np.ndarray) -> None:
        arr = np.ascontiguousarray(arr)
        if arr.size:
            self.f.write(memoryview(arr.reshape(-1).view(np.uint8)))
        self.length += arr.shape[0]

    def close(self) -> None:
        self.f.flush()
        os.fsync(self.f.fileno())
        self.f.close()


class Mapped:
    """A memory map of an array file that drops its resident pages (the data stays in the
    file and the page cache) whenever the pages touched since could pass `limit` bytes."""

    def __init__(self, path: Path, dtype: str | np.dtype, n: int, limit: int, write: bool = False):
        self.n = n
        self.limit_pages = max(1, limit // PAGE)
        self.touched = 0
        self._mm = None
        if n == 0:
            self.arr = np.zeros(0, dtype)
            return
        nbytes = n * np.dtype(dtype).itemsize
        with open(path, "r+b" if write else "rb") as f:
            self._mm = mmap.mmap(f.fileno(), nbytes, access=mmap.ACCESS_WRITE if write else mmap.ACCESS_READ)
        self.small = nbytes <= limit  # all of it may stay resident
        self.arr = np.frombuffer(self._mm, dtype, n)

    def will_touch(self, k: int) -> None:
        """Say that `k` elements are about to be read or written (each may touch a page of its
        own): the pages touched before are let go if the `k` could pass the limit."""
        if self._mm is None or self.small:
            return
        if self.touched and self.touched + k > self.limit_pages:
            self._mm.madvise(mmap.MADV_DONTNEED)  # a shared file map: dirty pages go to the cache
            self.touched = 0
        self.touched += k

    def close(self, sync: bool = False) -> None:
        self.arr = None
        if self._mm is not None:
            if sync:
                self._mm.flush()
            self._mm.close()
            self._mm = None
