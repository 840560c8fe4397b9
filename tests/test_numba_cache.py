"""The numba cache guard drops the caches of exactly the kernel files whose
source, or a package source they import, changed."""

from __future__ import annotations

import os

from chaintrail import _numba_cache as guard


def _caches(folder) -> set[str]:
    return {fn.split(".")[0] for fn in os.listdir(folder / "__pycache__") if fn.endswith(".nbi")}


def _fake_cache(folder, stem: str) -> None:
    (folder / "__pycache__" / f"{stem}.run-10.py311.nbi").write_bytes(b"index")
    (folder / "__pycache__" / f"{stem}.run-10.py311.1.nbc").write_bytes(b"code")


def test_only_dependent_kernels_lose_their_caches(tmp_path, monkeypatch):
    pkg = tmp_path / "chaintrail"
    (pkg / "room" / "__pycache__").mkdir(parents=True)
    (pkg / "__pycache__").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "room" / "__init__.py").write_text("")
    (pkg / "room" / "codes.py").write_text("LIMIT = 3\n")
    (pkg / "room" / "a_kernels.py").write_text(
        "from numba import njit\nfrom chaintrail.room.codes import LIMIT\n")
    (pkg / "room" / "b_kernels.py").write_text(
        "from numba import njit\nfrom chaintrail.room import (\n    a_kernels,  # calls it\n)\n")
    (pkg / "room" / "c_kernels.py").write_text("from numba import njit\n")
    monkeypatch.setattr(guard, "_PACKAGE", pkg)
    monkeypatch.setattr(guard, "_STAMP", pkg / "__pycache__" / "numba-sources.json")
    guard.guard_numba_cache()
    for stem in ("a_kernels", "b_kernels", "c_kernels"):
        _fake_cache(pkg / "room", stem)
    guard.guard_numba_cache()  # nothing changed: every cache stays
    assert _caches(pkg / "room") == {"a_kernels", "b_kernels", "c_kernels"}

    (pkg / "room" / "codes.py").write_text("LIMIT = 4\n")  # a constant compiled into a, and b through a
    guard.guard_numba_cache()
    assert _caches(pkg / "room") == {"c_kernels"}

    _fake_cache(pkg / "room", "a_kernels")
    (pkg / "room" / "b_kernels.py").write_text("from numba import njit\n# edited\n")
    guard.guard_numba_cache()
    assert _caches(pkg / "room") == {"a_kernels", "c_kernels"}
