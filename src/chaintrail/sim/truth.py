"""Ground truth of a simulated chain, written as Parquet (zstd) while the
blocks are made: rows are buffered per table and flushed in row groups, so
memory stays bounded whatever the chain's length.

docs/simulator.md documents every table and column.
"""

from __future__ import annotations

import binascii
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numba import njit

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.address_kernels import encode_addresses_arrow
from chaintrail.bitcoin.native_hash import new_hash_scratch
from chaintrail.bitcoin.networks import Network
from chaintrail.sim import codes as K
from chaintrail.sim.script_kernels import payload, write_bare_multisig

FLUSH_ROWS = 1 << 18
BATCH_TXS = 1 << 16   # transactions buffered before their rows are built and written
PAYLOAD_WIDTH = 40
UNIQUE_COLUMNS = frozenset({"txid", "address", "hash", "script_pubkey"})


@njit(cache=True, nogil=True)
def address_payloads(ids, stypes, key, out, plen, wver):
    """Payload bytes, lengths and witness versions of addresses (ids, types)."""
    scratch = np.empty(160, np.uint8)
    sc = new_hash_scratch()
    for i in range(ids.shape[0]):
        n = payload(stypes[i], key, ids[i], out[i], 0, scratch, sc)
        plen[i] = n
        wver[i] = 1 if stypes[i] == K.ST_P2TR else 0


@njit(cache=True, nogil=True)
def bare_multisig_script(key, addr, out):
    return write_bare_multisig(out, 0, key, addr)


def hex_hashes(hashes: np.ndarray) -> pa.StringArray:
    """uint8[n, 32] internal-order hashes -> display-order hex strings."""
    n = hashes.shape[0]
    data = binascii.hexlify(np.ascontiguousarray(hashes[:, ::-1]).tobytes())
    offsets = np.arange(0, 64 * (n + 1), 64, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _dict_strings(codes: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    """Small-vocabulary string column from integer codes (-1 or '' -> null)."""
    vocab = pa.array([x if x else None for x in names], pa.string())
    idx = pa.array(np.asarray(codes, np.int32), mask=np.asarray(codes) < 0)
    return vocab.take(idx)


TYPE_NAMES = st.NAMES


class TableWriter:
    """One Parquet file written in row groups from buffered record batches."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self.parts: list[pa.RecordBatch] = []
        self.rows = 0
        self.total = 0
        # dictionary-encode only the small-vocabulary columns: trying it on
        # txids and addresses costs time and falls back anyway
        small = [f.name for f in schema if f.type == pa.string() and f.name not in UNIQUE_COLUMNS]
        self.writer = pq.ParquetWriter(str(path), schema, compression="zstd",
                                       compression_level=1, use_dictionary=small or False,
                                       write_statistics=True)

    def add(self, **cols) -> None:
        batch = pa.record_batch([cols[f.name] for f in self.schema], schema=self.schema)
        if batch.num_rows == 0:
            return
        self.parts.append(batch)
        self.rows += batch.num_rows
        self.total += batch.num_rows
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.writer.write_table(pa.Table.from_batches(self.parts, self.schema),
                                    row_group_size=max(self.rows, 1))
            self.parts = []
            self.rows = 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


ADDRESSES = pa.schema([
    ("address_id", pa.int64()), ("address", pa.string()), ("script_type", pa.string()),
    ("wallet_id", pa.int64()), ("entity_id", pa.int64()), ("first_height", pa.int32()),
    ("script_pubkey", pa.string()),
])
TXS = pa.schema([
    ("txid", pa.string()), ("height", pa.int32()), ("block_pos", pa.int32()),
    ("kind", pa.string()), ("protocol", pa.string()), ("sender_wallet_id", pa.int64()),
    ("sender_entity_id", pa.int64()), ("change_vout", pa.int32()), ("fee", pa.int64()),
    ("vsize", pa.int32()), ("n_inputs", pa.int32()), ("n_outputs", pa.int32()),
    ("address_reuse", pa.bool_()),
])
PARTICIPANTS = pa.schema([
    ("txid", pa.string()), ("height", pa.int32()), ("protocol", pa.string()),
    ("wallet_id", pa.int64()), ("entity_id", pa.int64()), ("role", pa.string()),
    ("n_inputs", pa.int32()), ("n_outputs", pa.int32()), ("input_value", pa.int64()),
    ("output_value", pa.int64()),
])
DONATIONS = pa.schema([
    ("txid", pa.string()), ("vout", pa.int32()), ("height", pa.int32()), ("value", pa.int64()),
    ("donation_address", pa.string()), ("donor_entity_id", pa.int64()),
    ("donor_wallet_id", pa.int64()), ("source", pa.string()),
])
CUSTOMER_ADDRESSES = pa.schema([
    ("exchange_id", pa.int64()), ("customer_id", pa.string()), ("address", pa.string()),
    ("address_id", pa.int64()), ("first_height", pa.int32()),
])
BLOCKS = pa.schema([
    ("height", pa.int32()), ("hash", pa.string()), ("time", pa.int64()), ("n_tx", pa.int32()),
    ("pool_entity_id", pa.int64()), ("coinbase_tag", pa.string()), ("fees", pa.int64()),
    ("subsidy", pa.int64()),
])
SANCTIONED = pa.schema([
    ("address", pa.string()), ("address_id", pa.int64()), ("entity_id", pa.int64()),
    ("entity", pa.string()), ("first_height", pa.int32()), ("listed", pa.bool_()),
])


class TruthWriter:
    """All ground-truth tables of one simulation."""

    def __init__(self, truth_dir: Path, network: Network, key: int, pop, listed: int):
        self.dir = truth_dir
        self.net = network
        self.key = np.uint64(key)
        self.pop = pop
        self.wallet_entity = pop.wallet_entity
        self.listed_max = listed
        truth_dir.mkdir(parents=True, exist_ok=True)
        pq.write_table(pop.entities, truth_dir / "entities.parquet", compression="zstd")
        pq.write_table(pop.wallets, truth_dir / "wallets.parquet", compression="zstd")
        pq.write_table(pop.customers, truth_dir / "customers.parquet", compression="zstd")
        self.addresses = TableWriter(truth_dir / "addresses.parquet", ADDRESSES)
        self.txs = TableWriter(truth_dir / "txs.parquet", TXS)
        self.participants = TableWriter(truth_dir / "coinjoin_participants.parquet", PARTICIPANTS)
        self.donations = TableWriter(truth_dir / "donations.parquet", DONATIONS)
        self.cust_addr = TableWriter(truth_dir / "customer_addresses.parquet", CUSTOMER_ADDRESSES)
        self.blocks = TableWriter(truth_dir / "blocks.parquet", BLOCKS)
        self.sanctioned_rows: list[pa.Table] = []
        self.n_listed = 0
        self.donation_address: str | None = None
        self.cust_ids = pop.customers.column("customer_id").combine_chunks()
        self.cust_exchange = pop.customers.column("exchange_id").to_numpy()
        # sanctioned entity's addresses are found by wallet
        self.sanct_wallets = np.nonzero(self.wallet_entity == pop.sanctioned_entity)[0]
        self.sanct_name = pop.entities.column("name")[pop.sanctioned_entity].as_py()
        self.donation_wallet = int(pop.DIR[5])
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chaintrail-truth")
        self._future = None
        self._reset()

    # ------------------------------------------------------------------ per block
    def add_block(self, h: int, block_hash: str, time: int, T: np.ndarray, ntx: int,
                  txids: np.ndarray, A: np.ndarray, na: int, P: np.ndarray, npart: int,
                  D: np.ndarray, nd: int, CA: np.ndarray, nca: int, apay: np.ndarray,
                  aplen: np.ndarray, pool_entity: int, tag: str, fees: int, subsidy: int) -> None:
        """Buffer one block's rows (copies); they are written in batches."""
        base = self._ntx
        self._b_t.append(T[:ntx].copy())
        self._b_txid.append(txids[:ntx].copy())
        self._b_h.append(np.full(ntx, h, np.int32))
        self._b_pos.append(np.arange(ntx, dtype=np.int32))
        self._b_blocks.append((h, block_hash, time, ntx, pool_entity, tag or None, fees, subsidy))
        if na:
            self._b_a.append(A[:na].copy())
            self._b_ah.append(np.full(na, h, np.int32))
            self._b_apay.append(apay[:na].copy())
            self._b_aplen.append(aplen[:na].copy())
        if npart:
            p_ = P[:npart].copy()
            p_[:, K.P_TX] += base
            self._b_p.append(p_)
            self._b_ph.append(np.full(npart, h, np.int32))
        if nd:
            d_ = D[:nd].copy()
            d_[:, K.D_TX] += base
            self._b_d.append(d_)
            self._b_dh.append(np.full(nd, h, np.int32))
        if nca:
            self._b_ca.append(CA[:nca].copy())
            self._b_cah.append(np.full(nca, h, np.int32))
        self._ntx += ntx
        if self._ntx >= BATCH_TXS:
            self._flush()

    def _reset(self) -> None:
        self._ntx = 0
        self._b_t, self._b_txid, self._b_h, self._b_pos, self._b_blocks = [], [], [], [], []
        self._b_a, self._b_ah, self._b_p, self._b_ph = [], [], [], []
        self._b_apay, self._b_aplen = [], []
        self._b_d, self._b_dh, self._b_ca, self._b_cah = [], [], [], []

    def _flush(self) -> None:
        """Hand the buffered rows to the truth thread (one batch at a time, in order)."""
        if self._ntx == 0 and not self._b_blocks:
            return
        batch = _Batch(self)
        self._reset()
        if self._future is not None:
            self._future.result()  # surfaces errors; keeps at most one batch in flight
        self._future = self._pool.submit(self._write_batch, batch)

    def _write_batch(self, b: "_Batch") -> None:
        self._build_and_write(b)

    def _build_and_write(self, b: "_Batch") -> None:
        T = np.concatenate(b.t)
        txid_hex = hex_hashes(np.concatenate(b.txid))
        sender = T[:, K.T_SENDER]
        kind = T[:, K.T_KIND]
        self.txs.add(
            txid=txid_hex,
            height=pa.array(np.concatenate(b.h)),
            block_pos=pa.array(np.concatenate(b.pos)),
            kind=_dict_strings(kind, K.KIND_NAMES),
            protocol=_dict_strings(T[:, K.T_PROTO], K.PROTOCOL_NAMES),
            sender_wallet_id=pa.array(sender, mask=sender < 0),
            sender_entity_id=pa.array(self.wallet_entity[np.maximum(sender, 0)], mask=sender < 0),
            change_vout=pa.array(T[:, K.T_CHANGE].astype(np.int32)),
            fee=pa.array(T[:, K.T_FEE]),
            vsize=pa.array(T[:, K.T_VSIZE].astype(np.int32)),
            n_inputs=pa.array(np.where(kind == K.K_COINBASE, 1, T[:, K.T_NIN]).astype(np.int32)),
            n_outputs=pa.array(T[:, K.T_NOUT].astype(np.int32)),
            address_reuse=pa.array(T[:, K.T_REUSE] == 1),
        )
        bl = list(zip(*b.blocks))
        self.blocks.add(
            height=pa.array(bl[0], pa.int32()), hash=pa.array(bl[1], pa.string()),
            time=pa.array(bl[2], pa.int64()), n_tx=pa.array(bl[3], pa.int32()),
            pool_entity_id=pa.array(bl[4], pa.int64()), coinbase_tag=pa.array(bl[5], pa.string()),
            fees=pa.array(bl[6], pa.int64()), subsidy=pa.array(bl[7], pa.int64()),
        )
        if b.a:
            An = np.concatenate(b.a)
            ah = np.concatenate(b.ah)
            na = len(An)
            ids = np.ascontiguousarray(An[:, K.A_ID])
            stypes = np.ascontiguousarray(An[:, K.A_STYPE])
            # payloads as the serializer computed them (twin: address_payloads)
            pay = np.concatenate(b.apay)
            plen = np.concatenate(b.aplen)
            plen[stypes == K.ST_MULTISIG] = 0
            wver = (stypes == K.ST_P2TR).astype(np.uint8)
            addr = encode_addresses_arrow(stypes.astype(np.uint8), wver, plen, pay, self.net)
            wal = An[:, K.A_WALLET]
            ms = np.nonzero(stypes == K.ST_MULTISIG)[0]
            if len(ms):
                spk_list = [None] * na
                buf = np.zeros(80, np.uint8)
                for i in ms:
                    n = bare_multisig_script(self.key, np.int64(ids[i]), buf)
                    spk_list[i] = buf[:n].tobytes().hex()
                spk = pa.array(spk_list, pa.string())
            else:
                spk = pa.nulls(na, pa.string())
            self.addresses.add(
                address_id=pa.array(ids), address=addr,
                script_type=_dict_strings(stypes, TYPE_NAMES),
                wallet_id=pa.array(wal), entity_id=pa.array(self.wallet_entity[wal]),
                first_height=pa.array(ah), script_pubkey=spk,
            )
            sm = np.nonzero(np.isin(wal, self.sanct_wallets))[0]
            if len(sm):
                k = len(sm)
                listed = np.zeros(k, bool)
                listed[:max(0, self.listed_max - self.n_listed)] = True
                self.n_listed += int(listed.sum())
                self.sanctioned_rows.append(pa.table({
                    "address": addr.take(pa.array(sm)), "address_id": pa.array(ids[sm]),
                    "entity_id": pa.array(np.full(k, self.pop.sanctioned_entity, np.int64)),
                    "entity": pa.array([self.sanct_name] * k, pa.string()),
                    "first_height": pa.array(ah[sm]),
                    "listed": pa.array(listed),
                }))
            if self.donation_address is None:
                dm = np.nonzero(wal == self.donation_wallet)[0]
                if len(dm):
                    self.donation_address = addr[int(dm[0])].as_py()
            if b.ca:
                CAn = np.concatenate(b.ca)
                rows = np.searchsorted(ids, CAn[:, K.CA_ADDR])  # ids ascend
                cust = CAn[:, K.CA_CUST]
                self.cust_addr.add(
                    exchange_id=pa.array(self.cust_exchange[cust]),
                    customer_id=self.cust_ids.take(pa.array(cust)),
                    address=addr.take(pa.array(rows)), address_id=pa.array(CAn[:, K.CA_ADDR]),
                    first_height=pa.array(np.concatenate(b.cah)),
                )
        if b.p:
            Pn = np.concatenate(b.p)
            t = Pn[:, K.P_TX]
            w = Pn[:, K.P_WALLET]
            self.participants.add(
                txid=txid_hex.take(pa.array(t)), height=pa.array(np.concatenate(b.ph)),
                protocol=_dict_strings(T[t, K.T_PROTO], K.PROTOCOL_NAMES),
                wallet_id=pa.array(w), entity_id=pa.array(self.wallet_entity[w]),
                role=_dict_strings(Pn[:, K.P_ROLE], K.PARTICIPANT_ROLE_NAMES),
                n_inputs=pa.array(Pn[:, K.P_NIN].astype(np.int32)),
                n_outputs=pa.array(Pn[:, K.P_NOUT].astype(np.int32)),
                input_value=pa.array(Pn[:, K.P_INVAL]), output_value=pa.array(Pn[:, K.P_OUTVAL]),
            )
        if b.d:
            Dn = np.concatenate(b.d)
            nd = len(Dn)
            donor = Dn[:, K.D_DONOR]
            self.donations.add(
                txid=txid_hex.take(pa.array(Dn[:, K.D_TX])),
                vout=pa.array(Dn[:, K.D_VOUT].astype(np.int32)),
                height=pa.array(np.concatenate(b.dh)), value=pa.array(Dn[:, K.D_VALUE]),
                donation_address=pa.array([self.donation_address] * nd, pa.string()),
                donor_entity_id=pa.array(self.wallet_entity[donor]), donor_wallet_id=pa.array(donor),
                source=_dict_strings(Dn[:, K.D_SOURCE], K.DONATION_SOURCE_NAMES),
            )

    def close(self) -> dict[str, int]:
        self._flush()
        if self._future is not None:
            self._future.result()
        self._pool.shutdown(wait=True)
        for w in (self.addresses, self.txs, self.participants, self.donations, self.cust_addr,
                  self.blocks):
            w.close()
        if self.sanctioned_rows:
            sanct = pa.concat_tables(self.sanctioned_rows)
        else:
            sanct = SANCTIONED.empty_table()
        pq.write_table(sanct, self.dir / "sanctioned.parquet", compression="zstd")
        listed = [a for a, ok in zip(sanct.column("address").to_pylist(),
                                     sanct.column("listed").to_pylist()) if ok]
        (self.dir / "sanctioned_addresses.txt").write_text("".join(f"{a}\n" for a in listed))
        return {
            "addresses": self.addresses.total, "txs": self.txs.total,
            "coinjoin_participants": self.participants.total, "donations": self.donations.total,
            "customer_addresses": self.cust_addr.total, "blocks": self.blocks.total,
            "sanctioned": sanct.num_rows, "sanctioned_listed": len(listed),
        }


class _Batch:
    """The rows buffered for one write (moved out of the writer before it is reset)."""

    def __init__(self, w: "TruthWriter"):
        self.t, self.txid, self.h, self.pos, self.blocks = w._b_t, w._b_txid, w._b_h, w._b_pos, w._b_blocks
        self.a, self.ah, self.p, self.ph = w._b_a, w._b_ah, w._b_p, w._b_ph
        self.d, self.dh, self.ca, self.cah = w._b_d, w._b_dh, w._b_ca, w._b_cah
        self.apay, self.aplen = w._b_apay, w._b_aplen
