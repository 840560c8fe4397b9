"""Feeding the analysis arrays (``arrays.py``) during ingest: the writer
threads append each batch's per-id arrays from the tables they just built,
and each commit appends the new addresses and the address id of every
output it covers. The index update that follows then only adds the lookups,
instead of reading all four tables back from Parquet and hashing every
address again.

Crash safety is that of ``index_build``: bytes are only appended beyond the
lengths the manifest's index entry records (or to new files the manifest
does not name yet), and nothing is visible until ``update_index`` commits
the entry. An interrupted run leaves bytes that the next update cuts off,
or files the next writer deletes.
"""

from __future__ import annotations

import json
import uuid

import numpy as np
import pyarrow as pa

from chaintrail.store.arrays import ROOM, SCHEMA
from chaintrail.store.index_build import (
    Appender,
    append_address_rows,
    append_input_rows,
    append_output_rows,
    append_tx_rows,
    cut_back,
    diverged,
    fresh_entry,
)
from chaintrail.store.store import Store


class IndexFeed:
    """Arrays appended by one ingest, to become the store's index entry at the next update."""

    def __init__(self, store: Store, entry: dict, fresh: bool):
        self.root = store.root
        self.entry = entry
        self.fresh = fresh
        self.discarded = False
        self.consumed = False
        (self.root / "rooms" / ROOM).mkdir(parents=True, exist_ok=True)
        cut_back(self.root, entry)
        self.app = Appender(self.root, entry)
        for name in SCHEMA:  # open every file now: two writer threads append (to different files)
            self.app.open(name)

    @classmethod
    def open(cls, store: Store) -> IndexFeed | None:
        """A feed when the index is current with the store (or the store is empty); else None,
        and the next update reads what it lacks from the segments."""
        m = store.manifest
        old = m.extra.get(ROOM)
        if old is None:
            if any(m.counts.get(k) for k in ("blocks", "txs", "outputs", "inputs", "addresses")):
                return None
            return cls(store, fresh_entry(uuid.uuid4().hex[:10]), True)
        up = old["upto"]
        current = (all(up[k] == m.counts[k] for k in up) and old["spent_by_upto"] == m.counts["inputs"]
                   and all(s["length"] == up[_space(n)] for n, s in old["arrays"].items()
                           if _space(n) in up))
        if not current or diverged(store, old):
            return None
        return cls(store, json.loads(json.dumps(old)), False)

    def files(self) -> set[str]:
        """The array files (relative to the store) the feed writes."""
        return {s["file"] for s in self.entry["arrays"].values()}

    # --- appending (writer threads: txs and outputs on one, inputs on the other) ------
    def add_txs(self, t: pa.Table) -> None:
        for rb in t.to_batches():
            append_tx_rows(self.app, rb)

    def add_outputs(self, t: pa.Table) -> None:
        for rb in t.to_batches():
            append_output_rows(self.app, rb)

    def add_inputs(self, t: pa.Table) -> None:
        for rb in t.to_batches():
            append_input_rows(self.app, rb)

    # --- appending at a commit (main thread, writers idle) ---------------------------
    def add_address_rows(self, t: pa.Table, hashes: tuple[np.ndarray, np.ndarray]) -> None:
        """New rows of the addresses table, with the two string hashes of their addresses."""
        t = t.combine_chunks()
        for rb in t.to_batches():  # one batch
            append_address_rows(self.app, rb, hashes if rb.num_rows == t.num_rows else None)

    def address_hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """The two string hashes of every address appended so far, in address_id order
        (read-only maps of the files)."""
        self.app.flush()
        return self._array("addr_ha"), self._array("addr_hb")

    def _array(self, name: str) -> np.ndarray:
        spec = self.entry["arrays"][name]
        if spec["length"] == 0:
            return np.zeros(0, np.dtype(spec["dtype"]))
        return np.memmap(self.root / spec["file"], np.dtype(spec["dtype"]), "r", shape=(spec["length"],))

    def add_out_address(self, out_address: np.ndarray) -> None:
        """The address id (-1: none) of each output of a commit."""
        self.app.append("out_address", out_address)

    # --- handing over ------------------------------------------------------------------
    def covers(self, counts: dict[str, int]) -> bool:
        """Whether every array holds exactly the rows the store counts."""
        if self.discarded:
            return False
        lengths = {n: s["length"] for n, s in self.entry["arrays"].items()}
        return all(lengths[n] == counts[_space(n)] for n in lengths if _space(n) in counts)

    def finish(self) -> dict:
        """Close the files (fsynced); the entry, ready for the lookups and the manifest."""
        self.app.close()
        self.consumed = True
        return self.entry

    def discard(self) -> None:
        """Stop feeding; what was appended is cut off (or deleted) by the next update."""
        try:
            self.app.close()
        finally:
            self.discarded = True
            self.consumed = True


def _space(name: str) -> str:
    """The id space of an array (addr_text: the address bytes, not counted by the store)."""
    return SCHEMA[name][0]
