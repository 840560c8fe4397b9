"""Keep numba's on-disk cache honest across edits.

numba checks a cached function only against the file it is defined in, but
compiles the kernels it calls from other files into it: after an edit to,
say, ``bitcoin/native_hash.py``, a cached ingest kernel would keep running
the old code. At import, the sources that define numba kernels are compared
with the ones the caches were made from; when any differs, every cache file
of the package is dropped and numba compiles again.

The check costs a few milliseconds: files are compared by size and
modification time, and read only when those changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_STAMP = _PACKAGE / "__pycache__" / "numba-sources.json"


def _py_files() -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(_PACKAGE):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for fn in filenames:
            if fn.endswith(".py"):
                st = os.stat(os.path.join(dirpath, fn))
                out[os.path.relpath(os.path.join(dirpath, fn), _PACKAGE)] = (st.st_mtime_ns, st.st_size)
    return out


def _kernel_digest(files: dict[str, tuple[int, int]]) -> tuple[str, list[str]]:
    h = hashlib.sha256()
    kernels = []
    for rel in sorted(files):
        data = (_PACKAGE / rel).read_bytes()
        if b"numba" in data:
            kernels.append(rel)
            h.update(rel.encode())
            h.update(data)
    return h.hexdigest(), kernels


def guard_numba_cache() -> None:
    """Drop the package's numba caches if a kernel source changed since they were made."""
    try:
        files = _py_files()
        stamp = json.loads(_STAMP.read_text()) if _STAMP.exists() else {}
        if stamp.get("files") == {k: list(v) for k, v in files.items()}:
            return
        digest, kernels = _kernel_digest(files)
        if stamp.get("digest") != digest:
            for dirpath, _, filenames in os.walk(_PACKAGE):
                if os.path.basename(dirpath) == "__pycache__":
                    for fn in filenames:
                        if fn.endswith((".nbi", ".nbc")):
                            os.unlink(os.path.join(dirpath, fn))
        _STAMP.parent.mkdir(exist_ok=True)
        _STAMP.write_text(json.dumps({"digest": digest, "kernels": kernels,
                                      "files": {k: list(v) for k, v in files.items()}}))
    except OSError:
        pass  # a read-only install: numba's own checks apply
