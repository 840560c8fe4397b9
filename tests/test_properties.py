"""Hypothesis properties of the wire format, the numba parser, the UTXO table
and ingest as a whole, each against an independent reference."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from chaintrail.bitcoin.block import Block
from chaintrail.bitcoin.hashing import hash_to_hex
from chaintrail.bitcoin.tx import Tx, TxIn, TxOut
from chaintrail.chain import open as open_chain
from chaintrail.ingest import utxo_kernels as UK
from chaintrail.ingest.parse_batch import parse_batch, validate_batch
from chaintrail.ingest.utxo import UtxoSet
from chaintrail.store.manifest import utxo_chain

from conftest import ingest
from support.chainmaker import random_chain, regtest_genesis, write_blk

u32 = s.integers(0, 2**32 - 1)
scripts = s.binary(min_size=0, max_size=120)
txins = s.builds(TxIn, s.binary(min_size=32, max_size=32), u32, scripts, u32,
                 s.lists(s.binary(max_size=80), max_size=3))
txouts = s.builds(TxOut, s.integers(0, 21_000_000 * 100_000_000), scripts)
txs = s.builds(Tx, s.integers(-(2**31), 2**31 - 1), s.lists(txins, min_size=1, max_size=5),
               s.lists(txouts, min_size=0, max_size=5), u32)


@given(txs)
def test_tx_serialize_parse_round_trip(tx):
    raw = tx.serialize()
    back = Tx.from_bytes(raw)
    assert back.serialize() == raw
    assert back.txid == tx.txid and back.wtxid == tx.wtxid
    if not tx.has_witness:
        assert tx.txid == tx.wtxid and tx.size == tx.stripped_size
    assert tx.weight == 3 * tx.stripped_size + tx.size


save_ops = s.lists(s.one_of(
    s.tuples(s.just("insert"), s.integers(0, 300), s.integers(0, 3)),
    s.tuples(s.just("delete"), s.integers(0, 300), s.integers(0, 3)),
    s.tuples(s.just("save"), s.just(0), s.just(0))), max_size=500)


@given(save_ops)
@settings(max_examples=60, deadline=None)
def test_utxo_saves_read_back_as_the_table(tmp_path_factory, sequence):
    """Saved after any run of inserts and deletes (deltas, snapshots when rehashed or the
    deltas grow, chains of both), a state reads back as the very table in memory, and its
    chain lists exactly the directories it is read from."""
    root = tmp_path_factory.mktemp("utxo")
    u = UtxoSet(16)
    payload = np.zeros((1, 5), np.int64)
    saved: list[tuple[str, np.ndarray, np.ndarray, int]] = []
    for n, (op, key, vout) in enumerate(sequence + [("save", 0, 0)]):
        k0, k1 = np.uint64(key * 0x9E3779B1 % 211), np.uint64(vout)
        if op == "insert":
            u.reserve(1)
            u.count += UK.insert(*u.table(), k0, k1, n, n, 0, payload, 0)
        elif op == "delete":
            slot = UK.find(u.keys, k0, k1)
            if slot >= 0:
                UK.delete(*u.table(), slot)
                u.count -= 1
        else:
            rel = f"state/utxo-{n}"
            u.save(root, rel)
            saved.append((rel, u.keys.copy(), u.vals.copy(), u.count))
    for rel, keys, vals, count in saved:
        back = UtxoSet.load(root, rel)
        assert back.count == count == int((keys[:, 1] != UK.EMPTY).sum())
        assert np.array_equal(back.keys, keys) and np.array_equal(back.vals, vals)
        chain = utxo_chain(root, rel)
        assert chain[-1] == rel and not (root / chain[0] / "slots.npy").exists()
        assert all((root / d / "slots.npy").exists() for d in chain[1:])


def test_utxo_commit_writes_the_slots_written_since_the_last(tmp_path):
    """A save after a few changes writes those slots only (a delta on the chain); a rehash, or
    deltas past a quarter of the table, make the next save a whole snapshot again."""
    u = UtxoSet(64)
    payload = np.zeros((1, 5), np.int64)

    def put(n: int) -> None:
        u.reserve(1)
        u.count += UK.insert(*u.table(), np.uint64(n * 7919), np.uint64(n % 3), n, n, 0, payload, 0)

    for n in range(10):
        put(n)
    u.save(tmp_path, "s0")
    assert utxo_chain(tmp_path, "s0") == ["s0"] and (tmp_path / "s0" / "keys.npy").exists()
    put(100)
    u.save(tmp_path, "s1")
    assert utxo_chain(tmp_path, "s1") == ["s0", "s1"]
    assert np.load(tmp_path / "s1" / "slots.npy").size == 1
    slot = UK.find(u.keys, np.uint64(3 * 7919), np.uint64(0))
    UK.delete(*u.table(), slot)
    u.count -= 1
    u.save(tmp_path, "s2")
    assert utxo_chain(tmp_path, "s2") == ["s0", "s1", "s2"]
    assert 1 <= np.load(tmp_path / "s2" / "slots.npy").size <= 11
    for n in range(200, 260):  # past 48 entries: the table doubles
        put(n)
    u.save(tmp_path, "s3")
    assert utxo_chain(tmp_path, "s3") == ["s3"] and u.capacity > 64
    gone = np.arange(200, 200 + u.capacity // 4 + 1)  # more slots than a quarter of the table
    u.remove(gone * 7919, np.zeros(gone.size, np.uint64), gone % 3, gone)
    u.save(tmp_path, "s4")
    assert utxo_chain(tmp_path, "s4") == ["s4"] and u.count == 70 - gone.size
    put(400)
    u.log[0] = -1  # a log that overflowed: the next save is a snapshot
    u.save(tmp_path, "s5")
    assert utxo_chain(tmp_path, "s5") == ["s5"]
    put(401)
    u.save(tmp_path, "s6")
    assert utxo_chain(tmp_path, "s6") == ["s5", "s6"]
    back = UtxoSet.load(tmp_path, "s2")
    assert back.count == 10 and UK.find(back.keys, np.uint64(100 * 7919), np.uint64(1)) >= 0


@given(s.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_numba_parser_equals_python(seed):
    chain = random_chain(seed, n_blocks=3)
    raws = [b.serialize() for b in chain.blocks]
    pb, problem = parse_batch(raws)
    assert problem is None and validate_batch(pb) is None
    t = 0
    i = 0
    o = 0
    for b, block in enumerate(chain.blocks):
        assert hash_to_hex(pb.block_hash[b].tobytes()) == block.hash
        for tx in block.txs:
            assert hash_to_hex(pb.txid[t].tobytes()) == tx.txid
            assert hash_to_hex(pb.wtxid[t].tobytes()) == tx.wtxid
            assert pb.tx_version[t] == tx.version and pb.tx_locktime[t] == tx.locktime
            assert (pb.tx_wit_off[t] >= 0) == tx.has_witness
            assert pb.tx_stripped_len()[t] == tx.stripped_size and pb.tx_len[t] == tx.size
            for txin in tx.inputs:
                off = pb.in_prev_off[i]
                assert pb.buf[off:off + 32].tobytes() == txin.prev_txid
                assert pb.in_prev_vout[i] == txin.prev_vout and pb.in_seq[i] == txin.sequence
                so, sl = pb.in_script_off[i], pb.in_script_len[i]
                assert pb.buf[so:so + sl].tobytes() == txin.script_sig
                i += 1
            for txout in tx.outputs:
                assert pb.out_value[o] == txout.value
                so, sl = pb.out_script_off[o], pb.out_script_len[o]
                assert pb.buf[so:so + sl].tobytes() == txout.script_pubkey
                o += 1
            t += 1


ops = s.lists(s.tuples(s.sampled_from(["insert", "delete", "find"]), s.integers(0, 40), s.integers(0, 3)),
              max_size=400)


@given(ops)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_utxo_table_equals_dict(sequence):
    """Insert/overwrite/delete/find on a tiny table (long probe runs, wrap-around) vs a dict."""
    u = UtxoSet(16)
    ref: dict[tuple[int, int], int] = {}
    payload = np.zeros((1, 5), np.int64)
    keys, vals, log = u.table()
    for n, (op, key, vout) in enumerate(sequence):
        k0 = np.uint64(key * 0x9E3779B1 % 97)  # few distinct home slots: collisions on purpose
        k1 = np.uint64(vout)
        if op == "insert" and (len(ref) < 11 or (key, vout) in ref):
            UK.insert(keys, vals, log, k0, k1, n, n, 0, payload, 0)
            ref[(key, vout)] = n
        elif op == "delete":
            slot = UK.find(keys, k0, k1)
            assert (slot >= 0) == ((key, vout) in ref)
            if slot >= 0:
                UK.delete(keys, vals, log, slot)
                del ref[(key, vout)]
        else:
            slot = UK.find(keys, k0, k1)
            assert (slot >= 0) == ((key, vout) in ref)
            if slot >= 0:
                assert vals[slot, 0] == ref[(key, vout)]
    for (key, vout), v in ref.items():
        slot = UK.find(keys, np.uint64(key * 0x9E3779B1 % 97), np.uint64(vout))
        assert slot >= 0 and vals[slot, 0] == v
    assert int((keys[:, 1] != UK.EMPTY).sum()) == len(ref)


@given(s.integers(0, 10_000))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_ingest_conserves_value(tmp_path_factory, seed):
    """Random regtest chains: every input resolves, and inputs = outputs + fee for every tx."""
    chain = random_chain(seed, n_blocks=5)
    d = tmp_path_factory.mktemp("chain")
    write_blk(d / "blk00000.dat", [regtest_genesis()] + [b.serialize() for b in chain.blocks])
    ingest(d / "store", d / "blk00000.dat")
    c = open_chain(d / "store")
    rows = c.sql("SELECT txid, input_value, output_value, fee FROM txs WHERE NOT is_coinbase").fetchall()
    assert len(rows) == len(chain.fees)
    for txid, vin, vout, fee in rows:
        assert fee == chain.fees[txid] and vin == vout + fee
    assert c.sql("SELECT count(*) FROM inputs i JOIN txs t USING (tx_id) WHERE NOT t.is_coinbase "
                 "AND i.spent_output_id IS NULL").fetchall()[0][0] == 0
    # the genesis output counts as unspent here (Core never adds it to its UTXO set)
    assert c.status()["utxo_count"] == len(chain.utxos) + 1
    unspent = c.sql("SELECT sum(value) FROM outputs WHERE spending_tx_id IS NULL AND script_type != 'op_return'"
                    ).fetchall()[0][0]
    assert unspent == sum(chain.utxos.values()) + 50 * 100_000_000
    assert Block.from_bytes(chain.blocks[-1].serialize()).hash == c.tip[1]
