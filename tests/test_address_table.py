"""The addresses table: first occurrences found by the numba kernel equal
the plain-Python twin, and a store ingested in several commits numbers its
addresses exactly as one ingested at once (first appearance order, no
duplicates, every output address present)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chaintrail.chain import open as open_chain
from chaintrail.store.first_seen_kernels import (
    fill_slots,
    first_occurrences,
    first_occurrences_reference,
    number_strings,
    number_strings_reference,
)


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=200))
def test_first_occurrences_match_the_twin(pairs):
    ha = np.array([a * 0x9E3779B97F4A7C15 % 2**64 for a, _ in pairs], np.uint64)
    hb = np.array([b for _, b in pairs], np.uint64)
    assert first_occurrences(ha, hb).tolist() == first_occurrences_reference(ha, hb)


@settings(deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2), st.booleans()), max_size=60),
                min_size=1, max_size=4))
def test_numbering_over_batches_matches_the_twin(batches):
    """Numbering batch after batch, the slot table growing in between (as ``OutputAddresses``
    does), gives the plain-Python numbering."""
    arrays = [(np.array([a * 0x9E3779B97F4A7C15 % 2**64 for a, _, _ in b], np.uint64),
               np.array([x for _, x, _ in b], np.uint64), np.array([v for _, _, v in b], np.bool_))
              for b in batches]
    total = sum(len(b) for b in batches)
    ka, kb = np.zeros(total + 1, np.uint64), np.zeros(total + 1, np.uint64)
    slots = np.full(4, -1, np.int32)
    count = 0
    got = []
    for ha, hb, valid in arrays:
        size = len(slots)
        while size < 2 * (count + len(ha)):
            size *= 2
        if size > len(slots):
            slots = np.full(size, -1, np.int32)
            fill_slots(slots, ka, count)
        number, first = np.empty(len(ha), np.int64), np.empty(len(ha), np.bool_)
        count = number_strings(slots, ka, kb, count, ha, hb, valid, number, first)
        got.append((number.tolist(), first.tolist()))
    assert got == number_strings_reference(arrays)


def _table(store):
    return open_chain(store).sql("SELECT address_id, address, script_type, first_height, "
                                 "first_output_id FROM addresses ORDER BY address_id").fetchall()


def test_addresses_in_several_commits_equal_one(tmp_path):
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.sim import simulate

    simulate(tmp_path / "sim", n_txs=6000, seed=3, profile="test")
    blocks = str(tmp_path / "sim" / "blocks")
    once, parts = tmp_path / "once", tmp_path / "parts"
    run_ingest([blocks], str(once), show_progress=False, index=False)
    rep = run_ingest([blocks], str(parts), show_progress=False, index=False, batch_mb=1,
                     checkpoint_seconds=0)
    assert rep["txs_applied"] > 6000
    rows = _table(once)
    expect = open_chain(once).sql("""SELECT address, min(output_id) FROM outputs
                                     WHERE address IS NOT NULL GROUP BY 1 ORDER BY 2""").fetchall()
    assert [(r[1], r[4]) for r in rows] == [tuple(e) for e in expect]
    assert [r[0] for r in rows] == list(range(len(rows)))
    gen = {s: open_chain(s)._store.manifest.generation for s in (once, parts)}
    assert gen[parts] > gen[once] + 1  # several commits
    assert _table(parts) == rows


def _split_blk(src, first, second, at: float = 0.5) -> None:
    """Write the magic-framed blocks of blk file `src` to two files, the first `at` of them
    to `first` and the rest to `second`."""
    data = src.read_bytes()
    frames, p = [], 0
    while p + 8 <= len(data):
        n = int.from_bytes(data[p + 4:p + 8], "little")
        frames.append(data[p:p + 8 + n])
        p += 8 + n
    k = int(len(frames) * at)
    first.write_bytes(b"".join(frames[:k]))
    second.write_bytes(b"".join(frames[k:]))


def test_two_runs_of_many_commits_number_addresses_as_one(tmp_path, monkeypatch):
    """A second run on an indexed store, many commits each, numbers the addresses as one run
    does (the second half pays many addresses of the first), and every output's address id
    in the index is that of its address."""
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.ingest import pipeline
    from chaintrail.sim import simulate
    from chaintrail.store.arrays import ChainArrays
    from chaintrail.store.store import Store

    simulate(tmp_path / "sim", n_txs=6000, seed=5, profile="test")
    (blk,) = sorted((tmp_path / "sim" / "blocks").glob("blk*.dat"))
    _split_blk(blk, tmp_path / "a.dat", tmp_path / "b.dat")
    once, parts = tmp_path / "once", tmp_path / "parts"
    run_ingest([str(blk)], str(once), show_progress=False)
    monkeypatch.setattr(pipeline, "CHECKPOINT_OUTPUTS", 500)  # a commit every few blocks
    r1 = run_ingest([str(tmp_path / "a.dat")], str(parts), show_progress=False, batch_mb=0)
    r2 = run_ingest([str(tmp_path / "b.dat")], str(parts), show_progress=False, batch_mb=0)
    assert r1["index"]["fed"] and r2["index"]["fed"] and not r2["index"]["rebuilt"]
    assert _table(parts) == _table(once)
    reused = open_chain(parts).sql("""SELECT count(*) FROM outputs o JOIN addresses a USING (address)
                                      WHERE a.first_output_id < (SELECT min(first_output_id)
                                      FROM blocks WHERE height >= (SELECT max(height) / 2 FROM blocks))
                                      AND o.output_id >= (SELECT min(first_output_id) FROM blocks
                                      WHERE height >= (SELECT max(height) / 2 FROM blocks))""").fetchall()[0][0]
    assert reused > 100  # the second half pays many addresses of the first
    s = Store.open(parts)
    a = ChainArrays.open(s.root, s.manifest)
    want = open_chain(parts).sql("SELECT coalesce(a.address_id, -1) FROM outputs o LEFT JOIN addresses a "
                                 "USING (address) ORDER BY output_id").fetchnumpy()
    assert np.array_equal(np.asarray(a.out_address), next(iter(want.values())))
