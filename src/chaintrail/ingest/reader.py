"""Reading a block's bytes again from the location the chain index recorded:
a blk file (whole-file images cached, since blocks are read mostly in file
order), a single block file, the store's pool, or a remote node."""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import numpy as np

from chaintrail.errors import SourceError
from chaintrail.sources.base import BlockLocation
from chaintrail.sources.files import read_location
from chaintrail.sources.framing import xor_bytes


class BlockReader:
    """Fetches block bytes by location; remote locations go to the matching open source."""

    def __init__(self, pool_dir: Path, remotes: dict | None = None, cache_files: int = 2):
        self.pool_dir = pool_dir
        self.remotes = remotes or {}
        self._images: OrderedDict[tuple[str, bytes], np.ndarray] = OrderedDict()
        self._cache_files = cache_files
        self.memo: dict[str, bytes] = {}  # blocks fetched from remotes in this run

    def _image(self, path: str, key: bytes) -> np.ndarray:
        k = (path, key)
        img = self._images.get(k)
        if img is None:
            try:
                raw = Path(path).read_bytes()
            except OSError as exc:
                raise SourceError(f"{path}: cannot read block file again: {exc.strerror}") from None
            img = np.frombuffer(xor_bytes(raw, key, 0), np.uint8)
            _advise_next(path)
            self._images[k] = img
            while len(self._images) > self._cache_files:
                self._images.popitem(last=False)
        else:
            self._images.move_to_end(k)
        return img

    def span(self, block_hash: str, loc: BlockLocation) -> tuple[np.ndarray, int, int] | None:
        """(file image, offset, length) of a block inside a blk file, read without copying."""
        if loc.kind != "file" or loc.fmt != "framed" or block_hash in self.memo:
            return None
        img = self._image(loc.path, loc.xor_key)
        if loc.offset + loc.length > len(img):
            raise SourceError(f"block {block_hash}: {loc.describe()} is no longer complete")
        return img, loc.offset, loc.length

    def read(self, block_hash: str, loc: BlockLocation) -> bytes:
        if block_hash in self.memo:
            return self.memo.pop(block_hash)
        if loc.kind == "pool":
            p = self.pool_dir / f"{block_hash}.blk"
            try:
                return p.read_bytes()
            except OSError:
                raise SourceError(f"block {block_hash}: pooled copy {p} is missing") from None
        if loc.kind == "file":
            if loc.fmt == "framed":
                img, off, n = self.span(block_hash, loc)
                return img[off:off + n].tobytes()
            return read_location(loc)
        source = self.remotes.get(loc.path)
        if source is None:
            raise SourceError(
                f"block {block_hash} must be read again from {loc.describe()}; "
                f"pass that source to this ingest"
            )
        return source.raw_block(block_hash)

    def drop_cache(self) -> None:
        self._images.clear()


def _advise_next(path: str) -> None:
    """Ask the kernel to start reading the next blk file while this one is parsed."""
    p = Path(path)
    stem = p.stem
    if not (stem.startswith("blk") and stem[3:].isdigit()):
        return
    nxt = p.with_name(f"blk{int(stem[3:]) + 1:0{len(stem) - 3}d}{p.suffix}")
    try:
        fd = os.open(nxt, os.O_RDONLY)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
    finally:
        os.close(fd)
