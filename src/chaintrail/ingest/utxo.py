"""The unspent-output set kept in memory during ingest and saved with each
commit of the store. Its size is the only ingest memory that grows with the
chain: 75 bytes a slot, at most 75% full."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from chaintrail.ingest import utxo_kernels as K

_FIELDS = ("k1", "k2", "vout", "oid", "value", "meta", "payload")
MAX_LOAD = 0.75


def _empty_arrays(cap: int) -> dict[str, np.ndarray]:
    vout = np.empty(cap, np.uint32)
    vout.fill(K.EMPTY)
    return {
        "k1": np.zeros(cap, np.uint64),
        "k2": np.zeros(cap, np.uint32),
        "vout": vout,
        "oid": np.zeros(cap, np.int64),
        "value": np.zeros(cap, np.int64),
        "meta": np.zeros((cap, 3), np.uint8),
        "payload": np.zeros((cap, K.PAYLOAD), np.uint8),
    }


class UtxoSet:
    """Outpoint -> (output id, value, script type, witness version, payload length, payload)."""

    def __init__(self, capacity: int = 1 << 16, arrays: dict[str, np.ndarray] | None = None,
                 count: int = 0):
        if arrays is None:
            cap = 1 << max(4, (capacity - 1).bit_length())
            arrays = _empty_arrays(cap)
        self.a = arrays
        self.count = count

    @property
    def capacity(self) -> int:
        return self.a["k1"].shape[0]

    def table(self) -> tuple[np.ndarray, ...]:
        return tuple(self.a[f] for f in _FIELDS)

    def reserve(self, extra: int) -> None:
        """Grow (rehash into double size) so that `extra` more entries stay under the load limit."""
        need = self.count + extra
        if need <= self.capacity * MAX_LOAD:
            return
        cap = self.capacity
        while need > cap * MAX_LOAD:
            cap *= 2
        new = _empty_arrays(cap)
        K.rehash(*self.table(), *(new[f] for f in _FIELDS))
        self.a = new

    def nbytes(self) -> int:
        return sum(v.nbytes for v in self.a.values())

    # --- persistence -------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the table as .npy files (fsynced) into a fresh directory."""
        directory.mkdir(parents=True, exist_ok=False)
        for f in _FIELDS:
            path = directory / f"{f}.npy"
            with open(path, "wb") as fh:
                np.save(fh, self.a[f], allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
        (directory / "count").write_text(str(self.count))

    @classmethod
    def load(cls, directory: Path) -> UtxoSet:
        arrays = {f: np.load(directory / f"{f}.npy", allow_pickle=False) for f in _FIELDS}
        return cls(arrays=arrays, count=int((directory / "count").read_text()))

    # --- reorg undo ---------------------------------------------------------
    def remove(self, k1: np.ndarray, k2: np.ndarray, vout: np.ndarray, oid: np.ndarray) -> int:
        n = K.remove_keys(*self.table(), k1, k2, vout, oid)
        self.count -= n
        return n

    def restore(self, k1, k2, vout, oid, value, meta, payload) -> None:
        """Put back outputs that rolled-back inputs had spent."""
        self.reserve(len(k1))
        added = K.insert_many(*self.table(), k1, k2, vout, oid, value, meta, payload)
        self.count += added

