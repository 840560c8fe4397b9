"""The unspent-output set kept in memory during ingest and saved with each
commit of the store. Its size is the only ingest memory that grows with the
chain: 80 bytes a slot (16 of key, 64 of value), at most 75% full: about
107 bytes an unspent output, 19 GB for the ~180 million of today's chain.

A commit saves only the slots written since the previous save (the kernels
log them): a *delta* directory naming the directory it follows. The whole
table is written again (a *snapshot*) when it has been rehashed, or when the
deltas since the last snapshot hold more than a quarter of its slots, which
bounds both the extra disk and the reading back. The newest directory's
``chain`` file lists the snapshot and every delta after it, oldest first:
the store keeps exactly those."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from chaintrail.ingest import utxo_kernels as K
from chaintrail.store.manifest import UTXO_CHAIN, utxo_chain

MAX_LOAD = 0.75
#: deltas since the last snapshot, as a share of the table's slots, that make the next save a
#: snapshot
DELTA_SHARE = 0.25
#: the longest chain of deltas after a snapshot
MAX_DELTAS = 64


def _empty(cap: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.empty((cap, 2), np.uint64)
    keys[:, 1] = K.EMPTY
    keys[:, 0] = 0
    return keys, np.zeros((cap, K.WORDS), np.int64)


def _write(path: Path, arr: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, arr, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _write_text(path: Path, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


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
        self.log = np.zeros(1, np.int64)  # [count, slots written since the last save...]
        self.chain: list[str] = []  # the directories of the last save, oldest first
        self.delta_rows = 0  # slots in the deltas of `chain`
        self.whole = True  # the next save writes a snapshot (new or rehashed table)

    @property
    def capacity(self) -> int:
        return self.keys.shape[0]

    def table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, value rows, log of written slots): the arrays the kernels take."""
        return self.keys, self.vals, self.log

    def reserve(self, extra: int) -> None:
        """Grow (rehash into double size or more) so `extra` more entries stay under the load limit."""
        self._log_room(4 * extra)  # an insert and a delete a coin, and the deletes' shifts
        need = self.count + extra
        if need <= self.capacity * MAX_LOAD:
            return
        cap = self.capacity
        while need > cap * MAX_LOAD:
            cap *= 2
        keys, vals = _empty(cap)
        K.rehash(self.keys, self.vals, keys, vals)
        self.keys, self.vals = keys, vals
        self.log[0] = 0
        self.whole = True

    def _log_room(self, more: int) -> None:
        """Room in the log for `more` entries, up to half the table's slots (a delta that large
        would exceed the share that makes a snapshot anyway: the log then overflows)."""
        n = int(self.log[0])
        if n < 0 or self.whole:
            return
        size = min(n + 1 + more, self.capacity // 2 + 1)
        if size > self.log.shape[0]:
            log = np.empty(max(size, 2 * self.log.shape[0]), np.int64)
            log[:n + 1] = self.log[:n + 1]
            self.log = log

    def nbytes(self) -> int:
        return self.keys.nbytes + self.vals.nbytes

    # --- persistence -------------------------------------------------------
    def save(self, root: Path, rel: str) -> None:
        """Write the state into the fresh directory `rel` under `root` (files fsynced): the
        slots written since the last save, or the whole table (see the module's note)."""
        directory = root / rel
        directory.mkdir(parents=True, exist_ok=False)
        n = int(self.log[0])
        slots = np.unique(self.log[1:n + 1]) if n > 0 else np.zeros(0, np.int64)
        snapshot = (self.whole or n < 0 or not self.chain or len(self.chain) > MAX_DELTAS
                    or self.delta_rows + slots.size > DELTA_SHARE * self.capacity)
        if snapshot:
            _write(directory / "keys.npy", self.keys)
            _write(directory / "vals.npy", self.vals)
            self.chain, self.delta_rows = [rel], 0
        else:
            _write(directory / "slots.npy", slots)
            _write(directory / "keys.npy", self.keys[slots])
            _write(directory / "vals.npy", self.vals[slots])
            self.chain = [*self.chain, rel]
            self.delta_rows += int(slots.size)
            _write_text(directory / UTXO_CHAIN, "\n".join(self.chain) + "\n")
        _write_text(directory / "count", str(self.count))
        _write_text(directory / "capacity", str(self.capacity))
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.log[0] = 0
        self.whole = False

    @classmethod
    def load(cls, root: Path, rel: str) -> UtxoSet:
        """The state saved as `rel`: its snapshot with every delta after it applied in order."""
        chain = utxo_chain(root, rel)
        first = root / chain[0]
        u = cls(keys=np.load(first / "keys.npy", allow_pickle=False),
                vals=np.load(first / "vals.npy", allow_pickle=False))
        for d in chain[1:]:
            slots = np.load(root / d / "slots.npy", allow_pickle=False)
            u.keys[slots] = np.load(root / d / "keys.npy", allow_pickle=False)
            u.vals[slots] = np.load(root / d / "vals.npy", allow_pickle=False)
            u.delta_rows += int(slots.size)
        u.count = int((root / rel / "count").read_text())
        u.chain, u.whole = chain, False
        return u

    # --- reorg undo ---------------------------------------------------------
    def remove(self, k0: np.ndarray, k2: np.ndarray, vout: np.ndarray, oid: np.ndarray) -> int:
        self._log_room(4 * len(k0))
        n = K.remove_keys(*self.table(), k0, k2, vout, oid)
        self.count -= n
        return n

    def restore(self, k0, k2, vout, oid, value, stype, wver, plen, payload) -> None:
        """Put back outputs that rolled-back inputs had spent."""
        self.reserve(len(k0))
        self.count += K.insert_many(*self.table(), k0, k2, vout, oid, value, stype, wver, plen,
                                    np.ascontiguousarray(payload).view(np.int64))
