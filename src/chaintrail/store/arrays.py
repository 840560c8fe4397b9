"""The store's analysis arrays: one memory-mapped NumPy array per field,
indexed by the dense ids (tx_id, output_id, input_id, address_id), for the
numba kernels of clustering and tracing and for lookups in well under a
millisecond. Built from the Parquet segments by ``index_build`` (or
appended during ingest by ``index_feed``); this module only reads them.

    a = ChainArrays.open(store)      # or None when the index was never built
    a.out_value[a.tx_first_out[t]]   # value of transaction t's first output
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOM = "index"

#: per-id arrays: name -> (id space, dtype, trailing shape)
SCHEMA: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "tx_hash": ("txs", "u1", (32,)),  # txid, display order
    "tx_first_in": ("txs", "<i8", ()),
    "tx_first_out": ("txs", "<i8", ()),
    "tx_n_in": ("txs", "<i4", ()),
    "tx_n_out": ("txs", "<i4", ()),
    "tx_height": ("txs", "<i4", ()),  # -1 unknown
    "tx_time": ("txs", "<u4", ()),
    "tx_version": ("txs", "<i4", ()),
    "tx_locktime": ("txs", "<u4", ()),
    "tx_vsize": ("txs", "<i4", ()),
    "tx_flags": ("txs", "u1", ()),  # FLAG_* bits
    "tx_in_value": ("txs", "<i8", ()),  # -1 unknown
    "tx_out_value": ("txs", "<i8", ()),
    "tx_fee": ("txs", "<i8", ()),  # -1 unknown
    "out_tx": ("outputs", "<i8", ()),
    "out_value": ("outputs", "<i8", ()),
    "out_type": ("outputs", "u1", ()),
    "out_address": ("outputs", "<i8", ()),  # -1: no address
    "out_spent_by": ("outputs", "<i8", ()),  # input id, -1 unspent
    "in_tx": ("inputs", "<i8", ()),
    "in_spent": ("inputs", "<i8", ()),  # output id, -1 unresolved
    "in_sequence": ("inputs", "<u4", ()),
    "addr_first_height": ("addresses", "<i4", ()),
    "addr_type": ("addresses", "u1", ()),
    "addr_ha": ("addresses", "<u8", ()),  # the two string hashes of the address
    "addr_hb": ("addresses", "<u8", ()),
    "addr_end": ("addresses", "<i8", ()),  # address a's text is addr_text[addr_end[a-1]:addr_end[a]]
    "addr_text": ("address_bytes", "u1", ()),
}

#: lookup structures, rebuilt whole at each update: name -> (dtype, trailing shape)
LOOKUPS: dict[str, tuple[str, tuple[int, ...]]] = {
    "txid_key": ("<u8", ()),  # first 8 bytes of the display-order txid, sorted
    "txid_tx": ("<i8", ()),  # tx_id of each txid_key
    "addr_key": ("<u8", ()),  # hash A of the address string, sorted
    "addr_key2": ("<u8", ()),  # hash B, same order
    "addr_id": ("<i8", ()),  # address_id, same order
    "ao_start": ("<i8", ()),  # outputs of address a: ao_ids[ao_start[a]:ao_start[a+1]]
    "ao_ids": ("<i8", ()),
}

FLAG_COINBASE = 1
FLAG_SEGWIT = 2


@dataclass
class ChainArrays:
    """Read-only memory maps of the index, at the counts the manifest recorded."""

    root: Path
    entry: dict
    _cache: dict

    @classmethod
    def open(cls, root: Path, manifest) -> ChainArrays | None:
        entry = manifest.extra.get(ROOM)
        if not entry:
            return None
        return cls(root, entry, {})

    @property
    def counts(self) -> dict[str, int]:
        return self.entry["upto"]

    def current(self, manifest) -> bool:
        """Whether the index covers everything the manifest holds."""
        return all(self.entry["upto"].get(k) == manifest.counts[k]
                   for k in ("txs", "outputs", "inputs", "addresses", "blocks"))

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_") or name in ("root", "entry"):
            raise AttributeError(name)
        if name in self._cache:
            return self._cache[name]
        spec = self.entry["arrays"].get(name) or self.entry.get("lookups", {}).get(name)
        if spec is None:
            raise AttributeError(f"the index has no array {name!r}")
        shape = (spec["length"], *spec["tail"])
        if spec["length"] == 0:
            arr = np.zeros(shape, np.dtype(spec["dtype"]))
        else:
            arr = np.memmap(self.root / spec["file"], np.dtype(spec["dtype"]), "r", shape=shape)
        self._cache[name] = arr
        return arr

    def address_text(self, address_id: int) -> str:
        """The address string of an address id."""
        end = self.addr_end
        lo = int(end[address_id - 1]) if address_id > 0 else 0
        return bytes(self.addr_text[lo:int(end[address_id])]).decode()

    def address_texts(self, address_ids) -> dict[int, str]:
        """Address id -> address string of many ids (-1 skipped), in one pass: what
        ``address_text`` gives, without its per-call cost."""
        ids = np.unique(np.asarray(list(address_ids), np.int64))
        ids = ids[ids >= 0]
        if ids.size == 0:
            return {}
        end = np.asarray(self.addr_end)
        text = np.asarray(self.addr_text)
        his = end[ids].tolist()
        los = np.where(ids > 0, end[np.maximum(ids - 1, 0)], 0).tolist()
        return {aid: text[lo:hi].tobytes().decode() for aid, lo, hi in zip(ids.tolist(), los, his)}
