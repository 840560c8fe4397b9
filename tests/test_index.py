"""The analysis arrays agree with the SQL views they are built from, stay
correct when updated incrementally, after a reorg, and after a crash."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chaintrail.chain import open as open_chain
from chaintrail.store.address_outputs_kernels import address_outputs, address_outputs_reference
from chaintrail.store.arrays import FLAG_COINBASE, ChainArrays
from chaintrail.store.index_build import update_index
from chaintrail.store.store import Store

from conftest import BLOCKS, BUILTIN, ingest, needs_shared


def build(store_dir):
    with Store.open_writer(store_dir) as s:
        return update_index(s)


def arrays(store_dir) -> ChainArrays:
    s = Store.open(store_dir)
    a = ChainArrays.open(s.root, s.manifest)
    assert a is not None and a.current(s.manifest)
    return a


def check_against_views(store_dir) -> None:
    a = arrays(store_dir)
    c = open_chain(store_dir)
    o = c.sql("SELECT o.output_id, o.tx_id, o.value, coalesce(o.spending_input_id, -1) AS spent_by, "
              "coalesce(ad.address_id, -1) AS address_id "
              "FROM outputs o LEFT JOIN addresses ad USING (address) ORDER BY output_id").fetchnumpy()
    assert np.array_equal(a.out_tx, o["tx_id"])
    assert np.array_equal(a.out_value, o["value"])
    assert np.array_equal(a.out_spent_by, o["spent_by"])
    assert np.array_equal(a.out_address, o["address_id"])
    i = c.sql("SELECT tx_id, coalesce(spent_output_id, -1) AS spent FROM inputs ORDER BY input_id").fetchnumpy()
    assert np.array_equal(a.in_tx, i["tx_id"])
    assert np.array_equal(a.in_spent, i["spent"])
    t = c.sql("SELECT txid, first_output_id, n_outputs, height, is_coinbase FROM txs ORDER BY tx_id").fetchall()
    assert [bytes(h).hex() for h in np.asarray(a.tx_hash)] == [r[0] for r in t]
    assert list(a.tx_first_out) == [r[1] for r in t] and list(a.tx_n_out) == [r[2] for r in t]
    assert list((np.asarray(a.tx_flags) & FLAG_COINBASE) > 0) == [r[4] for r in t]
    # txid lookup: every txid's key leads to its tx
    keys = np.ascontiguousarray(np.asarray(a.tx_hash)[:, :8]).view("<u8").reshape(-1)
    pos = np.searchsorted(a.txid_key, keys)
    assert np.array_equal(np.asarray(a.txid_tx)[pos], np.arange(len(keys))) or \
        all(keys[np.asarray(a.txid_tx)[p]] == k for p, k in zip(pos, keys))
    # outputs of each address, in output order
    rows = c.sql("SELECT address_id, list(output_id ORDER BY output_id) FROM outputs JOIN addresses "
                 "USING (address) GROUP BY 1").fetchall()
    for aid, outs in rows:
        assert list(a.ao_ids[a.ao_start[aid]:a.ao_start[aid + 1]]) == outs


def test_index_matches_views_and_updates_incrementally(tmp_path):
    from chaintrail.cli.store_cmds import run_ingest

    inc = tmp_path / "inc"
    run_ingest([str(BUILTIN / "blk00000.dat")], str(inc), show_progress=False, index=False)
    assert build(inc)["rebuilt"]
    check_against_views(inc)
    run_ingest([str(BUILTIN / "blk00001.dat")], str(inc), show_progress=False, index=False)
    r = build(inc)
    assert not r["rebuilt"] and r["blocks"] == 600
    check_against_views(inc)
    full = tmp_path / "full"
    ingest(full, BUILTIN)
    build(full)
    a, b = arrays(inc), arrays(full)
    for name in a.entry["arrays"]:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_interrupted_update_is_cut_back(tmp_path):
    s = tmp_path / "s"
    ingest(s, BUILTIN / "blk00000.dat")
    build(s)
    a = arrays(s)
    # an update killed after appending: junk beyond the recorded lengths
    for spec in a.entry["arrays"].values():
        with open(s / spec["file"], "ab") as f:
            f.write(b"\xff" * 37)
    from chaintrail.cli.store_cmds import run_ingest

    run_ingest([str(BUILTIN / "blk00001.dat")], str(s), show_progress=False, index=False)
    build(s)
    check_against_views(s)


@needs_shared
def test_reorg_rebuilds_index(tmp_path):
    s = tmp_path / "s"
    reorg = BLOCKS / "reorg-btcd"
    from chaintrail.cli.store_cmds import run_ingest

    ingest(s, reorg / "blk_0_to_4.dat")
    run_ingest([str(reorg / f) for f in ("blk_3A.dat", "blk_4A.dat", "blk_5A.dat")], str(s),
               show_progress=False, index=False)
    r = build(s)
    assert r["rebuilt"]
    check_against_views(s)


def test_ingest_builds_index_unless_told_not_to(tmp_path):
    from chaintrail.cli.store_cmds import run_ingest

    s = tmp_path / "s"
    run_ingest([str(BUILTIN)], str(s), show_progress=False, index=False)
    assert ChainArrays.open(Store.open(s).root, Store.open(s).manifest) is None
    r = run_ingest([str(BUILTIN)], str(s), show_progress=False)
    assert r["index"]["txs"] == 609 or r["index"]["txs"] > 0
    check_against_views(s)


def test_spends_are_folded_into_output_segments(tmp_path):
    """After ingest (and its index update) every spend is in the output files, so the
    outputs view needs no join; a partial fold still gives the same view."""
    import json

    from chaintrail.cli.store_cmds import run_ingest

    from test_ingest_chain import snapshot

    full = tmp_path / "full"
    ingest(full, BUILTIN)
    m = json.loads((full / "manifest.json").read_text())
    assert all(sg["spends_upto"] == m["counts"]["inputs"] for sg in m["segments"]["outputs"])
    # a store whose index has not folded anything yet shows the same outputs
    raw = tmp_path / "raw"
    run_ingest([str(BUILTIN)], str(raw), show_progress=False, index=False)
    m = json.loads((raw / "manifest.json").read_text())
    assert all(sg["spends_upto"] < m["counts"]["inputs"] for sg in m["segments"]["outputs"])
    assert snapshot(raw)["outputs"] == snapshot(full)["outputs"]


def test_index_fed_by_ingest_equals_index_read_from_segments(tmp_path, monkeypatch):
    """The arrays an ingest appends as it writes (many commits, a fresh and then an existing
    index) are those an update reading the Parquet segments builds, lookups included."""
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.ingest import pipeline

    monkeypatch.setattr(pipeline, "CHECKPOINT_OUTPUTS", 40)  # a commit every ~40 blocks
    fed = tmp_path / "fed"
    opts = dict(show_progress=False, batch_mb=0)
    r1 = run_ingest([str(BUILTIN / "blk00000.dat")], str(fed), **opts)
    r2 = run_ingest([str(BUILTIN / "blk00001.dat")], str(fed), **opts)
    assert r1["index"]["fed"] and r1["index"]["rebuilt"]
    assert Store.open(fed).manifest.generation > 5  # several commits
    assert r2["index"]["fed"] and not r2["index"]["rebuilt"]
    check_against_views(fed)
    ref = tmp_path / "ref"
    run_ingest([str(BUILTIN)], str(ref), show_progress=False, index=False)
    assert not build(ref)["fed"]
    a, b = arrays(fed), arrays(ref)
    for name in [*a.entry["arrays"], *a.entry["lookups"]]:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_index_not_fed_when_it_lags(tmp_path):
    """An ingest on a store whose index lags reads what the index lacks from the segments."""
    from chaintrail.cli.store_cmds import run_ingest

    s = tmp_path / "s"
    run_ingest([str(BUILTIN / "blk00000.dat")], str(s), show_progress=False, index=False)
    r = run_ingest([str(BUILTIN / "blk00001.dat")], str(s), show_progress=False)
    assert not r["index"]["fed"] and r["index"]["rebuilt"]
    check_against_views(s)


def test_feed_left_behind_is_cut_off(tmp_path):
    """An ingest that fed the index but never handed it over (as if killed before the
    update) leaves bytes beyond the recorded lengths: the next update cuts them off."""
    from chaintrail.cli.store_cmds import run_ingest

    s = tmp_path / "s"
    ingest(s, BUILTIN / "blk00000.dat")
    files = {n: spec["file"] for n, spec in arrays(s).entry["arrays"].items()}
    sizes = {n: (s / f).stat().st_size for n, f in files.items()}
    run_ingest([str(BUILTIN / "blk00001.dat")], str(s), show_progress=False, index=False)
    assert (s / files["out_tx"]).stat().st_size > sizes["out_tx"]  # fed, not handed over
    assert not build(s)["fed"]
    check_against_views(s)


@settings(deadline=None)
@given(st.lists(st.integers(-1, 6), max_size=120), st.integers(0, 3))
def test_address_outputs_match_the_twin(addr, extra):
    """The counting sort of outputs by address equals the stable-sort twin (addresses with no
    output included)."""
    out_address = np.array(addr, np.int64)
    n_addr = max(addr, default=-1) + 1 + extra
    got = address_outputs(out_address, n_addr)
    want = address_outputs_reference(out_address, n_addr)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
