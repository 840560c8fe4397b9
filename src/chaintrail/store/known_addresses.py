"""The addresses a store holds, by their two string hashes, while an ingest
run adds more: which of a commit's addresses are known already, and their
ids. The index's sorted lookup covers every address up to the run's start;
the addresses each commit of the run adds become a sorted run of their own,
and runs are merged pairwise as they grow (the younger run into the older
once it is at least half its size), so a run of n addresses keeps about
log2(n) runs and checking a commit's addresses costs binary searches, not a
pass over every address stored. Runs live in files under the store's
``state`` directory (memory-mapped; a commit keeps them, an interrupted run
leaves them to the next writer's clean-up)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import numpy as np

from chaintrail.store.known_addresses_kernels import find_sorted, merge_runs


class _Run:
    """One sorted run: hash A, hash B and address id, memory-mapped from three files."""

    def __init__(self, folder: Path, n: int):
        self.folder = folder
        self.n = n  # > 0
        folder.mkdir(parents=True, exist_ok=True)
        self.a, self.b, self.i = (np.memmap(folder / f"{name}.bin", dtype, "w+", shape=(n,))
                                  for name, dtype in (("a", np.uint64), ("b", np.uint64), ("i", np.int64)))

    def drop(self) -> None:
        self.a = self.b = self.i = None
        shutil.rmtree(self.folder, ignore_errors=True)


class KnownAddresses:
    """Address ids by (hash A, hash B): a base lookup (the index's, sorted by hash A) and the
    sorted runs of what this ingest run added."""

    def __init__(self, root: Path, base: tuple[np.ndarray, np.ndarray, np.ndarray] | None):
        self.rel = f"state/known-addresses-{uuid.uuid4().hex[:10]}"
        self.folder = root / self.rel
        self.base = base
        self.runs: list[_Run] = []

    @classmethod
    def from_index(cls, root: Path, entry: dict, n_addresses: int) -> KnownAddresses | None:
        """From an index entry whose address lookup covers the store's `n_addresses`; None when
        it does not (the caller checks addresses another way)."""
        if n_addresses == 0:
            return cls(root, None)
        spec = entry.get("lookups", {})
        if any(spec.get(k, {}).get("length") != n_addresses for k in ("addr_key", "addr_key2", "addr_id")):
            return None
        base = tuple(np.memmap(root / spec[k]["file"], np.dtype(spec[k]["dtype"]), "r",
                               shape=(n_addresses,)) for k in ("addr_key", "addr_key2", "addr_id"))
        return cls(root, base)

    def __len__(self) -> int:
        return (self.base[0].shape[0] if self.base else 0) + sum(r.n for r in self.runs)

    def find(self, ha: np.ndarray, hb: np.ndarray) -> np.ndarray:
        """The address id of each (hash A, hash B); -1 where the address is not known."""
        order = np.argsort(np.asarray(ha, np.uint64))
        out = np.empty(order.shape[0], np.int64)
        out[order] = self._find_sorted(np.asarray(ha, np.uint64)[order], np.asarray(hb, np.uint64)[order])
        return out

    def add(self, ha: np.ndarray, hb: np.ndarray, ids: np.ndarray) -> None:
        """Take these addresses (none of them known before) as known, with their ids."""
        order = np.argsort(np.asarray(ha, np.uint64))  # equal hash A: any order (find scans them)
        self._add_sorted(np.asarray(ha, np.uint64)[order], np.asarray(hb, np.uint64)[order],
                         np.asarray(ids, np.int64)[order])

    def assign(self, ha: np.ndarray, hb: np.ndarray, first_id: int) -> np.ndarray:
        """Ids of these distinct addresses: a known one's id, else new ids from first_id in the
        order given; the new ones become known (one sort for both)."""
        order = np.argsort(np.asarray(ha, np.uint64))
        qa, qb = np.asarray(ha, np.uint64)[order], np.asarray(hb, np.uint64)[order]
        found = self._find_sorted(qa, qb)
        ids = np.empty(order.shape[0], np.int64)
        ids[order] = found
        new = ids < 0
        ids[new] = np.arange(first_id, first_id + int(np.count_nonzero(new)), dtype=np.int64)
        fresh = found < 0
        self._add_sorted(qa[fresh], qb[fresh], ids[order[fresh]])
        return ids

    def _find_sorted(self, qa: np.ndarray, qb: np.ndarray) -> np.ndarray:
        found = np.full(qa.shape[0], -1, np.int64)
        for key, key2, ids in ([self.base] if self.base else []) + [(r.a, r.b, r.i) for r in self.runs]:
            find_sorted(qa, qb, key, key2, ids, found)
        return found

    def _add_sorted(self, a: np.ndarray, b: np.ndarray, i: np.ndarray) -> None:
        """A run of entries sorted by hash A; younger runs merged into older ones as they grow."""
        if a.shape[0] == 0:
            return
        run = _Run(self.folder / uuid.uuid4().hex[:8], a.shape[0])
        run.a[:], run.b[:], run.i[:] = a, b, i
        self.runs.append(run)
        while len(self.runs) > 1 and self.runs[-2].n <= 2 * self.runs[-1].n:
            young = self.runs.pop()
            old = self.runs.pop()
            merged = _Run(self.folder / uuid.uuid4().hex[:8], old.n + young.n)
            merge_runs(old.a, old.b, old.i, young.a, young.b, young.i, merged.a, merged.b, merged.i)
            old.drop()
            young.drop()
            self.runs.append(merged)

    def close(self) -> None:
        """Delete the runs' files."""
        for r in self.runs:
            r.drop()
        self.runs = []
        shutil.rmtree(self.folder, ignore_errors=True)
