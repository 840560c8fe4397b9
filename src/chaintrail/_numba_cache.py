"""Keep numba's on-disk cache honest across edits.

numba checks a cached function only against the file it is defined in, but
compiles into it the kernels it calls from other files and the constants it
reads from them: after an edit to, say, ``bitcoin/native_hash.py``, a cached
ingest kernel would keep running the old code. At import, each kernel file
is compared by the digest of its own source and of every package module it
imports, directly or through others; the caches of the kernel files whose
digest changed are dropped, and only those are compiled again.

The check costs a few milliseconds: files are compared by size and
modification time, and read only when those changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_STAMP = _PACKAGE / "__pycache__" / "numba-sources.json"
_FROM = re.compile(rb"^\s*from\s+chaintrail((?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(rb"^\s*import\s+chaintrail((?:\.\w+)+)", re.M)


def _py_files() -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(_PACKAGE):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for fn in filenames:
            if fn.endswith(".py"):
                st = os.stat(os.path.join(dirpath, fn))
                out[os.path.relpath(os.path.join(dirpath, fn), _PACKAGE)] = (st.st_mtime_ns, st.st_size)
    return out


def _module_file(parts: list[str], files: dict) -> str | None:
    base = os.path.join(*parts) if parts else ""
    for rel in (base + ".py", os.path.join(base, "__init__.py")):
        if rel in files:
            return rel
    return None


def _imports(data: bytes, files: dict) -> set[str]:
    """The package files a source imports (modules, packages, and modules named in from-imports)."""
    out = set()
    for m in _IMPORT.finditer(data):
        rel = _module_file(m.group(1).decode().split(".")[1:], files)
        if rel:
            out.add(rel)
    for m in _FROM.finditer(data):
        parts = m.group(1).decode().split(".")[1:]
        rel = _module_file(parts, files)
        if rel:
            out.add(rel)
        names = m.group(2) if m.group(2).startswith(b"(") else m.group(2).split(b"#")[0]
        for name in re.findall(rb"\w+", names):
            sub = _module_file(parts + [name.decode()], files)
            if sub:
                out.add(sub)
    return out


def _kernel_digests(files: dict) -> dict[str, str]:
    """For each file defining numba kernels, a digest of it and everything it imports."""
    data = {rel: (_PACKAGE / rel).read_bytes() for rel in files}
    deps = {rel: _imports(src, files) for rel, src in data.items()}
    out = {}
    for rel in sorted(data):
        if b"numba" not in data[rel] or rel == "_numba_cache.py":
            continue
        seen, todo = {rel}, [rel]
        while todo:
            for d in deps[todo.pop()]:
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        h = hashlib.sha256()
        for d in sorted(seen):
            h.update(d.encode() + b"\0" + data[d])
        out[rel] = h.hexdigest()
    return out


def _drop_caches(rel: str) -> None:
    folder = _PACKAGE / os.path.dirname(rel) / "__pycache__"
    stem = os.path.basename(rel)[:-3] + "."
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for fn in names:
        if fn.startswith(stem) and fn.endswith((".nbi", ".nbc")):
            os.unlink(folder / fn)


def guard_numba_cache() -> None:
    """Drop the numba caches of every kernel file whose source, or a source it imports, changed."""
    try:
        files = _py_files()
        stamp = json.loads(_STAMP.read_text()) if _STAMP.exists() else {}
        if stamp.get("files") == {k: list(v) for k, v in files.items()}:
            return
        digests = _kernel_digests(files)
        old = stamp.get("kernels")
        old = old if isinstance(old, dict) else {}
        for rel, digest in digests.items():
            if old.get(rel) != digest:
                _drop_caches(rel)
        _STAMP.parent.mkdir(exist_ok=True)
        _STAMP.write_text(json.dumps({"kernels": digests,
                                      "files": {k: list(v) for k, v in files.items()}}))
    except OSError:
        pass  # a read-only install: numba's own checks apply
