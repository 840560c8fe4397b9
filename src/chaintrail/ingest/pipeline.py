"""Ingest: index the headers offered by the sources, plan the best chain,
roll back what no longer belongs to it, apply the new blocks in batches
(parse, validate, resolve spends, write segments) and commit atomically.

The store is only ever changed by a commit (a manifest switch): an error or
a kill at any point leaves the store as the last commit left it, and a
re-run resumes from there because planning compares what the store holds
with what the best chain needs.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.address_kernels import encode_addresses_arrow
from chaintrail.bitcoin.classify_kernels import classify_scripts
from chaintrail.bitcoin.hashing import hash_to_hex, sha256d
from chaintrail.bitcoin.networks import MAINNET, Network, get_network, target_from_bits
from chaintrail.bitcoin.script import bip34_height
from chaintrail.bitcoin.serialize import ByteReader
from chaintrail.errors import InvalidBlockError, NetworkMismatchError
from chaintrail.ingest import utxo_kernels as UK
from chaintrail.ingest.chain_index import ChainIndex, ChainPlan
from chaintrail.ingest.parse_batch import ParsedBatch, concat_blocks, parse_batch_at, validate_batch
from chaintrail.ingest.reader import BlockReader
from chaintrail.ingest.rollback import rollback_to
from chaintrail.ingest.tables import Classified, Placement, Resolved, build_tables
from chaintrail.ingest.utxo import UtxoSet
from chaintrail.sources.base import BlockLocation, RawBlock
from chaintrail.store.address_index import (
    SEED_SHARE,
    KnownAddresses,
    OutputAddresses,
    extend_addresses,
    extend_from_outputs,
)
from chaintrail.store.index_feed import IndexFeed
from chaintrail.store.manifest import Manifest
from chaintrail.store.segments import SegmentWriter, merge_tail
from chaintrail.store.store import Store

BATCH_BYTES = 48 << 20
MERGE_ROWS = 2_000_000
# a commit at least every this many outputs, which bounds the memory of extending `addresses`
# and of folding spends into an output segment (a segment holds one commit's outputs)
CHECKPOINT_OUTPUTS = 6_000_000
TABLES = ("blocks", "txs", "outputs", "inputs")


@dataclass
class AppliedBlock:
    """A block the store's views hold, with the first ids it was given."""

    hash: str
    chain_seq: int
    first_tx_id: int
    first_output_id: int
    first_input_id: int
    height: int | None


@dataclass
class IngestReport:
    blocks_seen: int = 0
    new_headers: int = 0
    blocks_applied: int = 0
    blocks_rolled_back: int = 0
    txs_applied: int = 0
    bytes_applied: int = 0
    elapsed: float = 0.0
    tip_height: int | None = None
    tip_hash: str | None = None
    loose_blocks: int = 0
    side_blocks: int = 0
    commits: int = 0
    warnings: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent per phase
    # commits by how they found which new addresses were stored: "hashes" (the table in
    # memory) or "duckdb" (a join with the stored segments)
    address_lookups: dict[str, int] = field(default_factory=dict)
    # the UTXO set at the last commit: unspent outputs, and the bytes its table holds in memory
    utxo_count: int = 0
    utxo_bytes: int = 0
    # the bytes the table of stored addresses held at its largest (address_index.KnownAddresses)
    known_bytes: int = 0

    def timed(self, phase: str, t0: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - t0


ProgressFn = Callable[[str, int, int, int, int], None]  # phase, done, total, txs, bytes


class Ingester:
    """One ingest run over a writable store."""

    def __init__(self, store: Store, network: Network | None = None,
                 batch_bytes: int = BATCH_BYTES, checkpoint_seconds: float = 600.0,
                 progress: ProgressFn | None = None):
        self.store = store
        m = store.manifest
        stored = get_network(m.network) if m.network else None
        if stored and network and stored != network:
            raise NetworkMismatchError(
                f"{store.root}: store holds {stored.name} blocks, not {network.name}")
        self.net: Network | None = stored or network
        self.explicit_network = network is not None or stored is not None
        self.batch_bytes = batch_bytes
        self.checkpoint_seconds = checkpoint_seconds
        self.progress = progress
        self.index = ChainIndex.load(store.root / m.chain_index) if m.chain_index else ChainIndex()
        self.utxo = UtxoSet.load(store.root, m.utxo) if m.utxo else UtxoSet()
        self.reader = BlockReader(store.root / "pool")
        self.segments = {t: list(v) for t, v in m.segments.items()}
        self.counts = dict(m.counts)
        self.applied = self._load_applied()
        self.writers: dict[str, SegmentWriter] | None = None
        # Tables are built and written on a second thread (numba and Arrow release the GIL)
        # while the next batch is parsed; at most one batch waits, which bounds memory.
        # two writer threads: inputs on one, blocks/txs/outputs on the other
        self._write_pools = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"segment-writer-{k}")
                             for k in range(2)]
        self._pending: list[Future] = []
        self.report = IngestReport()
        self._last_commit = time.monotonic()
        self._t0 = time.monotonic()
        self.addr_watermark = self.counts["outputs"]  # outputs below this are in `addresses`
        # the addresses of the outputs applied since the last commit, gathered in memory
        # (None after a rollback: the next commit reads them back from the segments)
        self.gathered: OutputAddresses | None = OutputAddresses(self.addr_watermark)
        # the committed addresses by their hashes (address_index.KnownAddresses): None until a
        # commit seeds it, and while a commit runs (so a failed one leaves none behind)
        self.known: KnownAddresses | None = None
        self._known_over_budget = False
        # the analysis arrays, appended as batches are written (None when the index lags)
        self.feed: IndexFeed | None = None
        self._open_feed()
        self.plan: ChainPlan | None = None

    def _open_feed(self) -> None:
        """Feed the index when it is current (or the store empty) and nothing is uncommitted."""
        if self.feed is not None and not self.feed.consumed:
            return
        m = self.store.manifest
        self.feed = None
        if self.writers is None and self.counts == m.counts and self.addr_watermark == self.counts["outputs"]:
            self.feed = IndexFeed.open(self.store)
        self.store.index_feed = self.feed

    def _drop_feed(self) -> None:
        if self.feed is not None:
            self.feed.discard()
        self.feed = self.store.index_feed = None

    # --- what the store holds ------------------------------------------------
    def _load_applied(self) -> list[AppliedBlock]:
        if not self.counts.get("blocks"):
            return []
        con = self.store.connect()
        rows = con.sql(
            "SELECT hash, chain_seq, first_tx_id, first_output_id, first_input_id, height "
            "FROM blocks ORDER BY chain_seq").fetchall()
        con.close()
        return [AppliedBlock(*r) for r in rows]

    # --- scanning --------------------------------------------------------------
    def offer(self, rb: RawBlock, keep_bytes: bool = False) -> str:
        """Index one block's header (checking network and proof of work); returns its hash."""
        self.report.blocks_seen += 1
        net = rb.network
        if net is not None:
            if self.net is None:
                self.net = net
            elif net != self.net:
                raise NetworkMismatchError(
                    f"{rb.location.describe()}: {net.name} block, but this store holds "
                    f"{self.net.name} blocks")
        elif self.net is None:
            self.net = MAINNET
        data = rb.data
        if len(data) < 81:
            raise InvalidBlockError(f"{rb.location.describe()}: {len(data)} bytes is too short for a block")
        header = bytes(data[:80])
        h = hash_to_hex(sha256d(header))
        if h in self.index:
            if keep_bytes:
                self.reader.memo[h] = bytes(data)
            return h
        version = int.from_bytes(header[0:4], "little", signed=True)
        bits = int.from_bytes(header[72:76], "little")
        target = target_from_bits(bits)
        if target <= 0 or target > self.net.pow_limit or int(h, 16) > target:
            raise InvalidBlockError(
                f"block {h} ({rb.location.describe()}): proof of work does not meet nBits {bits:08x}")
        self.index.add(h, hash_to_hex(header[4:36]), version,
                       int.from_bytes(header[68:72], "little"), bits,
                       _coinbase_height(data) if version >= 2 else None, rb.location)
        self.report.new_headers += 1
        if keep_bytes:
            self.reader.memo[h] = bytes(data)
        return h

    # --- planning and applying ------------------------------------------------
    def run(self) -> IngestReport:
        """Bring the store's views to the best chain of everything indexed so far."""
        self._check_held()
        if self.net is None:
            self.net = MAINNET
        self._open_feed()
        plan = self.plan = self.index.plan(self.net)
        p = 0
        limit = min(len(plan.order), len(self.applied))
        while p < limit and plan.order[p] == self.applied[p].hash:
            p += 1
        applied_set = set(plan.order)
        self._pool_side_blocks(applied_set)
        if p < len(self.applied):
            self._ensure_writers_closed()
            n = len(self.applied) - p
            rollback_to(self, p)
            self.report.blocks_rolled_back += n
            # ids are reassigned: the index rebuilds, and the addresses step rereads its outputs
            self._drop_feed()
            self.gathered = None
            self.known = None
        todo = plan.order[p:]
        self._apply(todo, plan)
        self.report.loose_blocks = len(plan.order) - plan.main_len
        self.report.side_blocks = len(self.index) - len(plan.order)
        return self.report

    def _pool_side_blocks(self, applied_set: set[str]) -> None:
        """Keep a copy of every block off the best chains, so a later reorg can use it."""
        pool = self.store.root / "pool"
        for e in list(self.index.entries.values()):
            if e.hash in applied_set or e.loc.kind == "pool":
                continue
            data = self.reader.read(e.hash, e.loc)
            path = pool / f"{e.hash}.blk"
            tmp = pool / f".{e.hash}.tmp"
            tmp.write_bytes(data)
            tmp.replace(path)
            self.index.relocate(e.hash, BlockLocation("pool", str(path), 0, len(data)))

    def _apply(self, todo: list[str], plan: ChainPlan) -> None:
        """Apply blocks in order, in batches of about batch_bytes.

        Consecutive blocks of one blk file are parsed where they lie in its
        image; anything else is copied into a batch buffer.
        """
        batch = _Batch()
        total = len(todo)
        done = 0
        for h in todo:
            t0 = time.perf_counter()
            loc = self.index.entries[h].loc
            span = self.reader.span(h, loc)
            self.report.timed("read blocks", t0)
            if span is not None and not batch.fits(span[0]):
                done = self._flush(batch, plan, done, total)
            t0 = time.perf_counter()
            if span is not None:
                batch.add_span(h, *span)
            else:
                if batch.image is not None:
                    batch.to_bytes()
                batch.add_bytes(h, self.reader.read(h, loc))
            self.report.timed("read blocks", t0)
            if batch.size >= self.batch_bytes:
                done = self._flush(batch, plan, done, total)
                if (time.monotonic() - self._last_commit > self.checkpoint_seconds
                        or self.counts["outputs"] - self.addr_watermark > CHECKPOINT_OUTPUTS):
                    self.commit()
        self._flush(batch, plan, done, total)

    def _flush(self, batch: _Batch, plan: ChainPlan, done: int, total: int) -> int:
        if not batch.hashes:
            return done
        self._apply_batch(batch, plan)
        done += len(batch.hashes)
        self._tick(done, total)
        batch.clear()
        return done

    def _tick(self, done: int, total: int) -> None:
        if self.progress:
            self.progress("apply", done, total, self.report.txs_applied, self.report.bytes_applied)

    def _ensure_writers(self) -> dict[str, SegmentWriter]:
        if self.writers is None:
            self.writers = {t: SegmentWriter(self.store.root, t) for t in TABLES}
            # the new outputs may be spent by any input from here on; none is in their file yet
            self._spends_from = self.counts["inputs"]
        return self.writers

    def _wait_writes(self) -> None:
        pending, self._pending = self._pending, []
        for f in pending:
            f.result()

    def _ensure_writers_closed(self) -> None:
        self._wait_writes()
        if self.writers is not None:
            for t, w in self.writers.items():
                seg = w.close()
                if seg:
                    if t == "outputs":
                        seg.spends_upto = self._spends_from
                    self.segments[t].append(seg)
            self.writers = None

    def release(self) -> None:
        """Let go of what only more blocks need (the UTXO set, the table of stored addresses,
        the addresses gathered, the block file images), after the last commit, so that the
        index update that follows does not hold them too. Nothing can be applied after;
        ``abort`` still works."""
        self._wait_writes()
        self.utxo = None
        self.known = None
        self.gathered = None
        self.reader = BlockReader(self.store.root / "pool")

    def _check_held(self) -> None:
        if self.utxo is None:
            raise RuntimeError("this ingester was released: it applies and commits no more blocks")

    def abort(self) -> None:
        """Drop uncommitted files (the store keeps its last committed state)."""
        try:
            self._wait_writes()
        except Exception:
            pass
        self._drop_feed()
        if self.writers is not None:
            for w in self.writers.values():
                w.abort()
            self.writers = None

    def _apply_batch(self, batch: _Batch, plan: ChainPlan) -> None:
        hashes = batch.hashes
        rep = self.report
        t0 = time.perf_counter()
        pb, problem = parse_batch_at(*batch.buffer())
        rep.timed("parse+hash", t0)
        if problem:
            self._refuse(hashes[problem.index], problem.reason, problem.offset_in_block)
        got = [hash_to_hex(pb.block_hash[b].tobytes()) for b in range(pb.n_blocks)]
        for want, have in zip(hashes, got):
            if want != have:
                self._refuse(want, f"bytes read back hash to {have}; the file changed since it was scanned")
        t0 = time.perf_counter()
        problem = validate_batch(pb)
        if problem:
            self._refuse(hashes[problem.index], problem.reason)
        rep.timed("validate", t0)
        t0 = time.perf_counter()
        cls = _classify(pb)
        rep.timed("classify", t0)
        t0 = time.perf_counter()
        first_byte = np.where(pb.out_script_len > 0, pb.buf[np.minimum(pb.out_script_off, len(pb.buf) - 1)], 0)
        spendable = ~((pb.out_script_len > 0) & (first_byte == 0x6A)) & (pb.out_script_len <= 10_000)
        ni = len(pb.in_prev_off)
        in_stype = np.full(ni, st.NONSTANDARD, np.uint8)  # unresolved inputs: no type, no address
        in_wver = np.zeros(ni, np.uint8)
        in_plen = np.zeros(ni, np.uint8)
        in_payload = np.zeros((ni, UK.PAYLOAD), np.uint8)
        in_spent = np.empty(ni, np.int64)
        in_value = np.empty(ni, np.int64)
        tx_in_value = np.empty(pb.n_txs, np.int64)
        self.utxo.reserve(len(pb.out_value))
        oid0 = self.counts["outputs"]
        added, missing = UK.resolve(
            *self.utxo.table(), pb.buf, pb.txid, pb.tx_first_in, pb.tx_nin, pb.tx_first_out,
            pb.tx_nout, pb.tx_coinbase(), pb.in_prev_off, pb.in_prev_vout,
            pb.out_value, cls.stype, cls.wver, cls.plen, cls.payload.view(np.int64), spendable, oid0,
            in_spent, in_value, in_stype, in_wver, in_plen, in_payload.view(np.int64), tx_in_value)
        self.utxo.count += added
        rep.timed("resolve", t0)
        heights = np.array([-1 if plan.heights[h] is None else plan.heights[h] for h in hashes], np.int64)
        if missing:
            self._check_missing(pb, hashes, in_spent, plan)
        place = Placement(len(self.applied), self.counts["txs"], oid0, self.counts["inputs"], heights)
        res = Resolved(in_spent, in_value, in_stype, in_wver, in_plen, in_payload, tx_in_value)
        writers = self._ensure_writers()
        if self.feed is not None and self.feed.consumed:  # an index update took or refused it
            self.feed = None
        t0 = time.perf_counter()
        self._wait_writes()
        rep.timed("wait for writer", t0)
        # building the Arrow tables (address encoding, hex) and writing them run on the writer
        # thread while this thread parses and resolves the next batch
        self._pending = [
            self._write_pools[0].submit(_build_and_write, writers, pb, place, cls, res, self.net,
                                        frozenset({"inputs"}), self.feed, None),
            self._write_pools[1].submit(_build_and_write, writers, pb, place, cls, res, self.net,
                                        frozenset({"blocks", "txs", "outputs"}), self.feed,
                                        self.gathered),
        ]
        for b, h in enumerate(hashes):
            hh = int(heights[b])
            self.applied.append(AppliedBlock(
                h, place.chain_seq0 + b, place.tx_id0 + int(pb.first_tx[b]),
                oid0 + int(pb.first_out[b]), place.input_id0 + int(pb.first_in[b]),
                None if hh < 0 else hh))
        self.counts["blocks"] += pb.n_blocks
        self.counts["txs"] += pb.n_txs
        self.counts["outputs"] += len(pb.out_value)
        self.counts["inputs"] += ni
        self.report.blocks_applied += pb.n_blocks
        self.report.txs_applied += pb.n_txs
        self.report.bytes_applied += int(pb.blk_len.sum())

    def _check_missing(self, pb: ParsedBatch, hashes: list[str], in_spent: np.ndarray,
                       plan: ChainPlan) -> None:
        """In the genesis-rooted chain every input must spend a known unspent output."""
        main = set(plan.order[:plan.main_len])
        coinbase = pb.tx_coinbase()
        in_tx = np.repeat(np.arange(pb.n_txs), pb.tx_nin)
        bad = np.nonzero((in_spent < 0) & ~coinbase[in_tx])[0]
        for j in bad.tolist():
            t = int(in_tx[j])
            b = int(pb.tx_block[t])
            if hashes[b] in main:
                txid = hash_to_hex(pb.txid[t].tobytes())
                vin = j - int(pb.tx_first_in[t])
                self._refuse(hashes[b], f"input {vin} of transaction {txid} spends an output "
                                        f"that is unknown or already spent")

    def _refuse(self, block_hash: str, reason: str, offset_in_block: int | None = None) -> None:
        loc = self.index.entries[block_hash].loc
        where = loc.describe()
        if offset_in_block is not None and loc.kind == "file" and loc.fmt != "hex":
            where = f"{loc.path} offset {loc.offset + offset_in_block}"
        raise InvalidBlockError(f"block {block_hash} ({where}): {reason}")

    # --- committing ------------------------------------------------------------
    def commit(self) -> None:
        """Make everything applied so far the store's state (atomic)."""
        self._check_held()
        t0 = time.perf_counter()
        self._ensure_writers_closed()
        self.report.timed("finish writes", t0)
        root = self.store.root
        m = self.store.manifest
        addr_segs = list(self.segments.get("addresses", []))
        t0 = time.perf_counter()
        g = self.gathered
        known, self.known = self.known, None
        if g is not None and g.start == self.addr_watermark and g.start + g.n == self.counts["outputs"]:
            feed = self.feed
            if feed is not None and (feed.consumed or feed.entry["arrays"]["out_address"]["length"] != g.start):
                self._drop_feed()
                feed = None
            known = self._known_addresses(known, feed, g.count)
            if g.count:
                self._count_lookup("hashes" if known is not None else "duckdb")
            new_addr, out_address = extend_from_outputs(root, addr_segs, g, self.counts["addresses"],
                                                         feed.add_address_rows if feed else None, known)
            if feed is not None:
                feed.add_out_address(out_address)
        else:
            known = None
            self._count_lookup("duckdb")
            new_addr = extend_addresses(root, addr_segs, self.segments["outputs"], self.addr_watermark,
                                        self.counts["addresses"])
            self._drop_feed()
        self.gathered = OutputAddresses(self.counts["outputs"])
        if new_addr is not None:
            addr_segs.append(new_addr)
            self.counts["addresses"] += new_addr.rows
        self.segments["addresses"] = addr_segs
        self.addr_watermark = self.counts["outputs"]
        self.report.timed("address index", t0)
        t0 = time.perf_counter()
        for t in TABLES + ("addresses",):
            self.segments[t] = merge_tail(root, t, self.segments[t], MERGE_ROWS)
        tag = uuid.uuid4().hex[:10]
        utxo_dir = f"state/utxo-{tag}"
        self.utxo.save(root, utxo_dir)
        index_file = f"chain/index-{tag}.parquet"
        self.index.save(root / index_file)
        tip = self._tip()
        new = Manifest(
            network=self.net.name if self.net else None,
            tip_height=tip.height if tip else None,
            tip_hash=tip.hash if tip else None,
            counts=dict(self.counts),
            segments={k: list(v) for k, v in self.segments.items()},
            utxo=utxo_dir, chain_index=index_file, utxo_count=self.utxo.count,
            loose_blocks=self.report.loose_blocks,
            updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            extra=dict(m.extra),
        )
        feeding = self.feed is not None and not self.feed.consumed
        self.store.commit(new, keep=self.feed.files() if feeding else None)
        self.known = known
        self.report.timed("commit", t0)
        self._last_commit = time.monotonic()
        self.report.commits += 1
        self.report.tip_height = new.tip_height
        self.report.tip_hash = new.tip_hash
        self.report.utxo_count, self.report.utxo_bytes = self.utxo.count, self.utxo.nbytes()
        if known is not None:
            self.report.known_bytes = max(self.report.known_bytes, known.nbytes_for(known.count))
        self.report.elapsed = time.monotonic() - self._t0

    def _count_lookup(self, how: str) -> None:
        self.report.address_lookups[how] = self.report.address_lookups.get(how, 0) + 1

    def _known_addresses(self, known: KnownAddresses | None, feed: IndexFeed | None,
                         more: int) -> KnownAddresses | None:
        """The table of the committed addresses for a commit numbering up to `more` new ones:
        the one kept, else seeded from the index's hashes; None (DuckDB) when it would pass the
        budget, there is nothing to seed it from, or seeding would not pay (``SEED_SHARE``)."""
        n = self.counts["addresses"]
        if known is not None and known.count != n:
            known = None
        if known is None:
            if self._known_over_budget:
                return None
            if n == 0:
                hashes = (np.zeros(0, np.uint64), np.zeros(0, np.uint64))
            elif (feed is not None and feed.entry["arrays"]["addr_ha"]["length"] == n
                  and (more * SEED_SHARE >= n or self.report.address_lookups)):
                hashes = feed.address_hashes()
            else:
                return None
            known = KnownAddresses.seed(hashes, more)
        if known is None or not known.fits(more):
            self._known_over_budget = True  # the table would not fit: DuckDB from here on
            return None
        return known

    def _tip(self) -> AppliedBlock | None:
        """The last block of the genesis-rooted chain, else the last block applied."""
        if not self.applied:
            return None
        main_len = self.plan.main_len if self.plan else 0
        if 0 < main_len <= len(self.applied):
            return self.applied[main_len - 1]
        return self.applied[-1]


class _Batch:
    """Blocks gathered for one parse: spans of one blk file image, or copied bytes."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.hashes: list[str] = []
        self.image: np.ndarray | None = None
        self.offs: list[int] = []
        self.lens: list[int] = []
        self.chunks: list[bytes] | None = None
        self.size = 0

    def fits(self, image: np.ndarray) -> bool:
        """Whether a span of `image` can join without copying (same image, or empty batch)."""
        return not self.hashes or (self.image is image and self.chunks is None)

    def add_span(self, h: str, image: np.ndarray, off: int, n: int) -> None:
        self.hashes.append(h)
        self.image = image
        self.offs.append(off)
        self.lens.append(n)
        self.size += n

    def to_bytes(self) -> None:
        """Switch to copying (a block from elsewhere joins the batch)."""
        self.chunks = [self.image[o:o + n].tobytes() for o, n in zip(self.offs, self.lens)]
        self.image = None

    def add_bytes(self, h: str, data: bytes) -> None:
        if self.chunks is None:
            self.chunks = []
        self.hashes.append(h)
        self.chunks.append(data)
        self.size += len(data)

    def buffer(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.chunks is not None:
            return concat_blocks(self.chunks)
        return (self.image, np.array(self.offs, np.int64), np.array(self.lens, np.int64))


def _build_and_write(writers: dict[str, SegmentWriter], pb: ParsedBatch, place: Placement,
                     cls: Classified, res: Resolved, net: Network, parts: frozenset[str],
                     feed: IndexFeed | None, gathered: OutputAddresses | None) -> None:
    tables = build_tables(pb, place, cls, res, net, encode_addresses_arrow, parts)
    for t, table in tables.items():
        writers[t].write(table)
    if "outputs" in tables and gathered is not None:
        gathered.add(tables["outputs"])
    if feed is not None:
        if "txs" in tables:
            feed.add_txs(tables["txs"])
        if "outputs" in tables:
            feed.add_outputs(tables["outputs"])
        if "inputs" in tables:
            feed.add_inputs(tables["inputs"])


def _classify(pb: ParsedBatch) -> Classified:
    n = len(pb.out_value)
    c = Classified(np.empty(n, np.uint8), np.empty(n, np.uint8), np.empty(n, np.uint8),
                   np.zeros((n, UK.PAYLOAD), np.uint8))
    if n:
        classify_scripts(pb.buf, pb.out_script_off, pb.out_script_len, c.stype, c.wver, c.plen, c.payload)
    return c


def _coinbase_height(block: bytes) -> int | None:
    """BIP34 height stated by the block's coinbase, if its bytes show one."""
    try:
        r = ByteReader(block, 80)
        r.compact_size("tx count")
        r.read(4, "version")
        n_in = r.compact_size("input count")
        if n_in == 0:
            r.read(1, "flag")
            r.compact_size("input count")
        r.read(36, "prevout")
        script = r.var_bytes("coinbase script")
    except Exception:
        return None
    return bip34_height(script)


def ingest_remote(ing: Ingester, source, window: int = 1000, progress: ProgressFn | None = None) -> None:
    """Fetch the blocks a node has beyond the store's main chain (from the fork point, if the
    node's chain differs) and apply them, `window` blocks at a time."""
    net = source.network()
    if ing.net is not None and net != ing.net:
        raise NetworkMismatchError(
            f"{source.description}: node is on {net.name}, but this store holds {ing.net.name}")
    ing.net = net
    loc = source.location()
    ing.reader.remotes[loc.path] = source
    tip = source.tip_height()
    start = _fork_height(ing, source, tip)
    n = 0
    total = max(0, tip - start + 1)
    for height, h, raw in source.iter_blocks(start, tip):
        ing.offer(RawBlock(raw, loc, net), keep_bytes=True)
        n += 1
        if progress:
            progress("fetch", n, total, ing.report.txs_applied, ing.report.bytes_applied)
        if n % window == 0:
            ing.run()
    ing.run()


def _fork_height(ing: Ingester, source, tip: int) -> int:
    """First height the node's best chain and the store's main chain disagree on."""
    if ing.plan is None and ing.applied:
        ing.plan = ing.index.plan(ing.net)
    main = [a for a in ing.applied[: ing.plan.main_len]] if ing.plan else []
    if not main:
        return 0
    by_height = {a.height: a.hash for a in main}
    h = min(main[-1].height, tip)
    step = 1
    while h >= 0:
        if source.block_hash(h) == by_height.get(h):
            break
        h -= step
        step *= 2
    if h < 0:
        return 0
    # walk forward again to the exact fork point after an exponential step back
    while h + 1 <= min(main[-1].height, tip) and source.block_hash(h + 1) == by_height.get(h + 1):
        h += 1
    return h + 1
