"""Keep numba's on-disk cache honest across edits.

numba checks a cached function only against the file it is defined in, but
compiles the kernels it calls from other files into it: after an edit to,
say, ``bitcoin/native_hash.py``, a cached ingest kernel would keep running
the old code. At import, a digest of every source file that defines numba
kernels is compared with the one the caches were made from; when they
differ, every cache file of the package is dropped and numba compiles again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_STAMP = _PACKAGE / "__pycache__" / "numba-sources.digest"


def _kernel_sources() -> list[Path]:
    return sorted(p for p in _PACKAGE.rglob("*.py") if b"numba" in p.read_bytes())


def guard_numba_cache() -> None:
    """Drop the package's numba caches if any kernel source changed since they were made."""
    try:
        h = hashlib.sha256()
        for p in _kernel_sources():
            h.update(str(p.relative_to(_PACKAGE)).encode())
            h.update(p.read_bytes())
        want = h.hexdigest()
        if _STAMP.exists() and _STAMP.read_text() == want:
            return
        for cache in _PACKAGE.rglob("__pycache__"):
            for f in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
                f.unlink(missing_ok=True)
        _STAMP.parent.mkdir(exist_ok=True)
        _STAMP.write_text(want)
    except OSError:
        pass  # a read-only install: numba's own checks apply
