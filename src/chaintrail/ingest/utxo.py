"""The unspent-output set kept in memory during ingest and saved with each
commit of the store. Its size is the only ingest memory that grows with the
chain: 80 bytes a slot (16 of key, 64 of value), at most 75% full: about
107 bytes an unspent output, 19 GB for the ~180 million of today's chain."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from chaintrail.ingest import utxo_kernels as K

MAX_LOAD = 0.75


def _empty(cap: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.empty((cap, 2), np.uint64)
    keys[:, 1] = K.EMPTY
    keys[:, 0] = 0
    return keys, np.zeros((cap, K.WORDS), np.int64)


class UtxoSet:
    """Outpoint -> (output id, value, script type, witness version, payload length, payload)."""

    def __init__(self, capacity: int = 1 << 16, keys: np.ndarray | None = None,
                 vals: np.ndarray | None = None, count: int = 0):
        if keys is None:
            cap = 1 << max(4, (capacity - 1).bit_length())
            keys, vals = _empty(cap)
        self.keys = keys
        self.vals = vals
        self.count = count

    @property
    def capacity(self) -> int:
        return self.keys.shape[0]

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, value rows): the arrays the kernels take."""
        return self.keys, self.vals

    def reserve(self, extra: int) -> None:
        """Grow (rehash into double size or more) so `extra` more entries stay under the load limit."""
        need = self.count + extra
        if need <= self.capacity * MAX_LOAD:
            return
        cap = self.capacity
        while need > cap * MAX_LOAD:
            cap *= 2
        keys, vals = _empty(cap)
        K.rehash(self.keys, self.vals, keys, vals)
        self.keys, self.vals = keys, vals

    def nbytes(self) -> int:
        return self.keys.nbytes + self.vals.nbytes

    # --- persistence -------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the table as .npy files (fsynced) into a fresh directory."""
        directory.mkdir(parents=True, exist_ok=False)
        for name, arr in (("keys", self.keys), ("vals", self.vals)):
            with open(directory / f"{name}.npy", "wb") as fh:
                np.save(fh, arr, allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
        (directory / "count").write_text(str(self.count))

    @classmethod
    def load(cls, directory: Path) -> UtxoSet:
        keys = np.load(directory / "keys.npy", allow_pickle=False)
        vals = np.load(directory / "vals.npy", allow_pickle=False)
        return cls(keys=keys, vals=vals, count=int((directory / "count").read_text()))

    # --- reorg undo ---------------------------------------------------------
    def remove(self, k0: np.ndarray, k2: np.ndarray, vout: np.ndarray, oid: np.ndarray) -> int:
        n = K.remove_keys(*self.table(), k0, k2, vout, oid)
        self.count -= n
        return n

    def restore(self, k0, k2, vout, oid, value, stype, wver, plen, payload) -> None:
        """Put back outputs that rolled-back inputs had spent."""
        self.reserve(len(k0))
        self.count += K.insert_many(*self.table(), k0, k2, vout, oid, value, stype, wver, plen,
                                    np.ascontiguousarray(payload).view(np.int64))
