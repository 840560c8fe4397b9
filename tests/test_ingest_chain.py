"""Chain assembly, incremental and idempotent ingest, reorgs, loose blocks,
truncated and malformed files, and refusal of invalid blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaintrail.chain import open as open_chain
from chaintrail.errors import InvalidBlockError, SourceError
from chaintrail.sources.files import expand_paths

from conftest import BLOCKS, BUILTIN, ingest, needs_shared

TABLES = ("blocks", "txs", "outputs", "inputs", "addresses")


def snapshot(store: Path) -> dict[str, list]:
    """Every row of every view, ordered by id: two stores are equal when this is."""
    chain = open_chain(store)
    order = {"blocks": "chain_seq", "txs": "tx_id", "outputs": "output_id", "inputs": "input_id",
             "addresses": "address_id"}
    return {t: chain.sql(f"SELECT * FROM {t} ORDER BY {order[t]}").fetchall() for t in TABLES}


def manifest(store: Path) -> dict:
    return json.loads((store / "manifest.json").read_text())


def test_idempotent_and_incremental(tmp_path):
    full = tmp_path / "full"
    ingest(full, BUILTIN)
    once = snapshot(full)
    again = ingest(full, BUILTIN)
    assert again["blocks_applied"] == 0 and again["blocks_rolled_back"] == 0
    assert snapshot(full) == once
    # the same chain in two runs, one file each
    inc = tmp_path / "inc"
    ingest(inc, BUILTIN / "blk00000.dat")
    assert open_chain(inc).tip[0] == 299
    r = ingest(inc, BUILTIN / "blk00001.dat")
    assert r["blocks_applied"] == 300 and r["blocks_rolled_back"] == 0
    assert snapshot(inc) == once
    # appending did not rewrite the earlier blocks' segments (only a small tail may be merged)
    m = manifest(inc)
    assert m["counts"]["blocks"] == 600


def test_loose_blocks_find_their_place(tmp_path):
    """Blocks 300-599 without their ancestors are loose (no BIP34 in 2009: height unknown);
    when 0-299 arrive the store becomes exactly the full chain."""
    store = tmp_path / "s"
    ingest(store, BUILTIN / "blk00001.dat")
    c = open_chain(store)
    assert c.status()["loose_blocks"] == 300
    assert c.sql("SELECT count(*) FROM blocks WHERE height IS NULL").fetchall()[0][0] == 300
    r = ingest(store, BUILTIN / "blk00000.dat")
    assert r["loose_blocks"] == 0
    full = tmp_path / "full"
    ingest(full, BUILTIN)
    assert snapshot(store) == snapshot(full)


@needs_shared
def test_reorg_btcd_fixture(tmp_path, expected):
    store = tmp_path / "s"
    reorg = BLOCKS / "reorg-btcd"
    ingest(store, reorg / "blk_0_to_4.dat")
    assert open_chain(store).tip[0] == 4
    main = {e["height"]: e for e in expected if e["file"] == "reorg-btcd/blk_0_to_4.dat"}
    abandoned = set(main[3]["txids"][1:] + main[4]["txids"][1:] + main[3]["txids"][:1] + main[4]["txids"][:1])
    r = ingest(store, reorg / "blk_3A.dat")  # a side branch of less work: nothing changes
    assert r["blocks_applied"] == 0 and open_chain(store).tip == (4, main[4]["hash"])
    r = ingest(store, reorg / "blk_4A.dat")  # equal work: the first seen (4) stays the tip
    assert r["blocks_applied"] == 0 and open_chain(store).tip == (4, main[4]["hash"])
    r = ingest(store, reorg / "blk_5A.dat")  # A is heavier now: reorg
    assert r["blocks_rolled_back"] == 2 and r["blocks_applied"] == 3
    a5 = next(e for e in expected if e["file"] == "reorg-btcd/blk_5A.dat")
    chain = open_chain(store)
    assert chain.tip == (5, a5["hash"])
    hashes = [h for (h,) in chain.sql("SELECT hash FROM blocks ORDER BY height").fetchall()]
    assert hashes[:3] == [main[h]["hash"] for h in range(3)]
    assert hashes[3:] == [e["hash"] for f in ("blk_3A", "blk_4A", "blk_5A")
                          for e in expected if e["file"] == f"reorg-btcd/{f}.dat"]
    stored = {t for (t,) in chain.sql("SELECT txid FROM txs").fetchall()}
    a_txids = {t for e in expected if e["file"].startswith("reorg-btcd/blk_") and "A" in e["file"]
               for t in e["txids"]}
    assert a_txids <= stored
    assert not (abandoned - a_txids) & stored
    # values still conserved and every input resolved after the reorg
    assert chain.sql("SELECT count(*) FROM inputs i JOIN txs t USING (tx_id) "
                     "WHERE NOT t.is_coinbase AND i.spent_output_id IS NULL").fetchall()[0][0] == 0
    assert chain.sql("SELECT count(*) FROM outputs WHERE spending_tx_id IS NULL").fetchall()[0][0] \
        == chain.status()["utxo_count"]
    # the same blocks in one run give the same store
    one = tmp_path / "one"
    ingest(one, *(reorg / f for f in ("blk_0_to_4.dat", "blk_3A.dat", "blk_4A.dat", "blk_5A.dat")))
    assert snapshot(one) == snapshot(store)


@needs_shared
def test_truncated_blk_file(tmp_path):
    store = tmp_path / "s"
    r = ingest(store, BLOCKS / "truncated-blk.dat")
    assert r["blocks_applied"] == 150 and r["tip_height"] == 149
    assert any("cut off" in w for w in r["warnings"])
    with pytest.raises(SourceError, match="cut off"):
        from chaintrail.cli.store_cmds import run_ingest
        run_ingest([str(BLOCKS / "truncated-blk.dat")], str(tmp_path / "strict"), show_progress=False,
                   strict=True)


@needs_shared
def test_malformed_blk_file_resynchronises(tmp_path, expected):
    """NBitcoin's incompleteblk.dat holds mainnet blocks 300-599, a stray byte, block 598
    again and zero padding (../shared/README.md says 0-299; the bytes say 300-599)."""
    store = tmp_path / "s"
    r = ingest(store, BLOCKS / "malformed-blk.dat")
    chain = open_chain(store)
    assert r["blocks_seen"] == 301 and r["blocks_applied"] == 300  # the repeated 598 counted once
    assert r["loose_blocks"] == 300  # their ancestors are absent and 2009 blocks state no height
    assert [w for w in r["warnings"] if "junk" in w and "offset 70449" in w]
    by_hash = {e["hash"]: e for e in expected if e["file"] == "mainnet-0-599/blk00001.dat"}
    stored = {h for (h,) in chain.sql("SELECT hash FROM blocks").fetchall()}
    assert stored == set(by_hash)
    # with blocks 0-299 the loose blocks find their place: exactly the chain 0-599
    ingest(store, BUILTIN / "blk00000.dat")
    chain = open_chain(store)
    assert chain.tip[0] == 599 and chain.status()["loose_blocks"] == 0
    full = tmp_path / "full"
    ingest(full, BUILTIN)
    assert snapshot(store) == snapshot(full)


def _corrupt_copy(tmp_path: Path, at_tx_byte: int) -> tuple[Path, int, str]:
    """blk00000.dat with one byte flipped inside block 100's transactions."""
    src = BUILTIN / "blk00000.dat"
    frames = [rb for f in expand_paths(str(src)) for rb in f.scan()]
    loc = frames[100].location
    data = bytearray(src.read_bytes())
    pos = loc.offset + 81 + at_tx_byte
    data[pos] ^= 0x01
    out = tmp_path / "blk00000.dat"
    out.write_bytes(bytes(data))
    from chaintrail.bitcoin.block import BlockHeader
    return out, loc.offset, BlockHeader.from_bytes(bytes(data[loc.offset:loc.offset + 80])).hash


def test_corrupted_block_is_refused_and_store_unchanged(tmp_path):
    store = tmp_path / "s"
    ingest(store, BUILTIN / "blk00001.dat")
    before = snapshot(store)
    gen = manifest(store)["generation"]
    bad, offset, h = _corrupt_copy(tmp_path, 60)  # inside the coinbase output script
    with pytest.raises(InvalidBlockError) as ei:
        ingest(store, bad)
    msg = str(ei.value)
    assert h in msg and str(bad) in msg and str(offset) in msg and "merkle" in msg
    assert "\n" not in msg
    assert manifest(store)["generation"] == gen
    assert snapshot(store) == before


def test_truncation_inside_a_transaction_names_the_offset(tmp_path):
    from chaintrail.bitcoin.block import BlockHeader

    raw = next(iter(expand_paths(str(BUILTIN / "blk00000.dat"))[0].scan())).data
    f = tmp_path / "cut.raw"
    f.write_bytes(raw[:-10])
    with pytest.raises(InvalidBlockError, match=BlockHeader.from_bytes(raw).hash):
        ingest(tmp_path / "s", f)
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_bad_inputs_give_one_line_errors(tmp_path):
    garbage = tmp_path / "garbage.hex"
    garbage.write_text("zz" * 100)
    with pytest.raises(SourceError, match="garbage.hex: text but not hex"):
        ingest(tmp_path / "s1", garbage)
    odd = tmp_path / "odd.hex"
    odd.write_text("abc")
    with pytest.raises(SourceError, match="odd number"):
        ingest(tmp_path / "s2", odd)
    wrong_magic = tmp_path / "blk00000.dat"
    data = bytearray((BUILTIN / "blk00000.dat").read_bytes())
    data[0:4] = b"\x01\x02\x03\x04"
    data = data[: 300]
    wrong_magic.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="no block framed"):
        ingest(tmp_path / "s3", wrong_magic)
    with pytest.raises(SourceError, match="no such file"):
        ingest(tmp_path / "s4", tmp_path / "missing.dat")


def test_xor_obfuscated_blocks_dir(tmp_path):
    """Bitcoin Core 28+ obfuscates blk files with the 8-byte key in blocks/xor.dat."""
    import numpy as np

    d = tmp_path / "blocks"
    d.mkdir()
    key = bytes.fromhex("a1b2c3d4e5f60718")
    (d / "xor.dat").write_bytes(key)
    for name in ("blk00000.dat", "blk00001.dat"):
        raw = np.frombuffer((BUILTIN / name).read_bytes(), np.uint8)
        pattern = np.resize(np.frombuffer(key, np.uint8), len(raw))
        (d / name).write_bytes((raw ^ pattern).tobytes())
    store = tmp_path / "s"
    ingest(store, tmp_path)  # a datadir: its blocks/ subdirectory is found
    full = tmp_path / "full"
    ingest(full, BUILTIN)
    assert snapshot(store) == snapshot(full)
