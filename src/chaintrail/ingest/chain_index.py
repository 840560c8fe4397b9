"""Every block header the store has seen, linked by prev-hash into trees,
and the plan of which blocks the store's views should hold, in what order.

Blocks arrive out of order and include stale branches (a Bitcoin Core
blocks dir), so ingest first indexes headers, then plans: for each tree the
branch with the most cumulative work (ties go to the block seen first, as
Core does); the tree holding the network's genesis block comes first, then
trees whose ancestors are unknown ("loose" blocks), each in height order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from chaintrail.bitcoin.networks import Network, work_from_bits
from chaintrail.sources.base import BlockLocation

NULL_HASH = "0" * 64


@dataclass
class HeaderEntry:
    hash: str
    prev_hash: str
    version: int
    time: int
    bits: int
    bip34_height: int | None
    seq: int
    loc: BlockLocation


@dataclass
class ChainPlan:
    """The blocks the views should hold, in id order, with heights (None = unknown)."""

    order: list[str]
    heights: dict[str, int | None]
    main_len: int  # the first main_len blocks of order are the genesis-rooted chain
    n_trees: int

    @property
    def tip(self) -> str | None:
        return self.order[self.main_len - 1] if self.main_len else (self.order[-1] if self.order else None)


class ChainIndex:
    """Block headers by hash, with where each block can be read again."""

    def __init__(self) -> None:
        self.entries: dict[str, HeaderEntry] = {}
        self.next_seq = 0

    def __contains__(self, h: str) -> bool:
        return h in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, hash_: str, prev_hash: str, version: int, time: int, bits: int,
            bip34_height: int | None, loc: BlockLocation) -> bool:
        """Record a header; returns False if it was known already (first location wins)."""
        if hash_ in self.entries:
            return False
        self.entries[hash_] = HeaderEntry(hash_, prev_hash, version, time, bits, bip34_height,
                                          self.next_seq, loc)
        self.next_seq += 1
        return True

    def relocate(self, hash_: str, loc: BlockLocation) -> None:
        self.entries[hash_].loc = loc

    def plan(self, network: Network) -> ChainPlan:
        """Best branch of every tree, genesis tree first, then loose trees by first sight."""
        entries = self.entries
        children: dict[str, list[str]] = defaultdict(list)
        roots = []
        for e in entries.values():
            if e.prev_hash in entries:
                children[e.prev_hash].append(e.hash)
            else:
                roots.append(e)
        trees = []
        for root in roots:
            best_hash, best_work, best_seq = root.hash, work_from_bits(root.bits), root.seq
            stack = [(root.hash, best_work)]
            while stack:
                h, w = stack.pop()
                s = entries[h].seq
                if w > best_work or (w == best_work and s < best_seq):
                    best_hash, best_work, best_seq = h, w, s
                for c in children.get(h, ()):
                    stack.append((c, w + work_from_bits(entries[c].bits)))
            chain = []
            h = best_hash
            while True:
                chain.append(h)
                if h == root.hash:
                    break
                h = entries[h].prev_hash
            chain.reverse()
            is_genesis = root.prev_hash == NULL_HASH and root.hash == network.genesis_hash
            trees.append((not is_genesis, root.seq, chain, is_genesis))
        trees.sort(key=lambda t: (t[0], t[1]))
        order: list[str] = []
        heights: dict[str, int | None] = {}
        main_len = 0
        for _, _, chain, is_genesis in trees:
            base = 0 if is_genesis else _base_height(chain, entries)
            for k, h in enumerate(chain):
                heights[h] = None if base is None else base + k
            if is_genesis:
                main_len = len(chain)
            order.extend(chain)
        return ChainPlan(order, heights, main_len, len(trees))

    # --- persistence ---------------------------------------------------------
    def save(self, path: Path) -> None:
        es = sorted(self.entries.values(), key=lambda e: e.seq)
        table = pa.table({
            "hash": [e.hash for e in es],
            "prev_hash": [e.prev_hash for e in es],
            "version": pa.array([e.version for e in es], pa.int32()),
            "time": pa.array([e.time for e in es], pa.int64()),
            "bits": pa.array([e.bits for e in es], pa.int64()),
            "bip34_height": pa.array([e.bip34_height for e in es], pa.int64()),
            "seq": pa.array([e.seq for e in es], pa.int64()),
            "loc_kind": [e.loc.kind for e in es],
            "loc_path": [e.loc.path for e in es],
            "loc_offset": pa.array([e.loc.offset for e in es], pa.int64()),
            "loc_length": pa.array([e.loc.length for e in es], pa.int64()),
            "loc_xor": pa.array([e.loc.xor_key for e in es], pa.binary()),
            "loc_fmt": [e.loc.fmt for e in es],
        })
        pq.write_table(table, path, compression="zstd")

    @classmethod
    def load(cls, path: Path) -> ChainIndex:
        idx = cls()
        t = pq.read_table(path).to_pydict()
        for i in range(len(t["hash"])):
            loc = BlockLocation(t["loc_kind"][i], t["loc_path"][i], t["loc_offset"][i],
                                t["loc_length"][i], t["loc_xor"][i], t["loc_fmt"][i])
            e = HeaderEntry(t["hash"][i], t["prev_hash"][i], t["version"][i], t["time"][i],
                            t["bits"][i], t["bip34_height"][i], t["seq"][i], loc)
            idx.entries[e.hash] = e
            idx.next_seq = max(idx.next_seq, e.seq + 1)
        return idx


def _base_height(chain: list[str], entries: dict[str, HeaderEntry]) -> int | None:
    """Height of a loose tree's first block, from the first BIP34 height its branch states."""
    for k, h in enumerate(chain):
        e = entries[h]
        if e.version >= 2 and e.bip34_height is not None and e.bip34_height >= k:
            return e.bip34_height - k
    return None
