"""The addresses table: first occurrences found by the numba kernel equal
the plain-Python twin, and a store ingested in several commits numbers its
addresses exactly as one ingested at once (first appearance order, no
duplicates, every output address present), whether the stored addresses are
found by their hashes in memory or by DuckDB on the stored segments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaintrail.chain import open as open_chain
from chaintrail.store.address_index import KnownAddresses
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


def _pairs(keys) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([a * 0x9E3779B97F4A7C15 % 2**64 for a, _ in keys], np.uint64),
            np.array([b for _, b in keys], np.uint64))


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2)), unique=True, max_size=60),
       st.lists(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2)), unique=True, max_size=50),
                max_size=5),
       st.integers(0, 20))
def test_known_addresses_match_the_twin(stored, commits, spare):
    """Seeded with the stored addresses' hashes, then given each commit's distinct candidates
    (the table growing as it needs), the table gives a stored address its id and a new one the
    next id, as the plain-Python numbering of everything in order does."""
    known = KnownAddresses.seed(_pairs(stored), spare)
    assert known is not None and known.count == len(stored)
    valid = [[True] * len(c) for c in commits]
    want = number_strings_reference([(*_pairs(stored), [True] * len(stored))]
                                    + [(*_pairs(c), v) for c, v in zip(commits, valid)])[1:]
    for c, (number, first) in zip(commits, want):
        ha, hb = _pairs(c)
        ids, new = np.empty(len(c), np.int64), np.empty(len(c), np.bool_)
        known.number(ha, hb, np.ones(len(c), np.bool_), ids, new)
        assert (ids.tolist(), new.tolist()) == (number, first)
    assert known.count == len(stored) + sum(sum(f) for _, f in want)


def test_known_addresses_keep_to_their_budget():
    """The table is refused, or refuses more, where it would pass its memory budget."""
    ha, hb = _pairs([(k, 1) for k in range(1000)])
    need = KnownAddresses().nbytes_for(1000 + 10)
    assert KnownAddresses.seed((ha, hb), 10, budget=need - 1) is None
    known = KnownAddresses.seed((ha, hb), 10, budget=need)
    assert known is not None and known.nbytes_for(known.count + 10) <= need
    assert known.fits(10, budget=need) and not known.fits(10_000, budget=need)


def test_known_addresses_keep_to_the_free_memory(monkeypatch):
    """By default the table grows only into half the memory the machine has free."""
    import psutil

    ha, hb = _pairs([(k, 1) for k in range(1000)])
    known = KnownAddresses.seed((ha, hb), 10)
    assert known is not None and known.fits(5000)
    grow = known.nbytes_for(known.count + 5000) - known.nbytes_for(known.count)

    class Free:
        available = 2 * grow - 2

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Free)
    assert not known.fits(5000)
    assert known.fits(10)  # the room it has already
    Free.available = 2 * grow
    assert known.fits(5000)


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


@pytest.mark.parametrize("budget", ["default", "none", "half", "late"])
def test_two_runs_of_many_commits_number_addresses_as_one(tmp_path, monkeypatch, budget):
    """A second run on an indexed store, many commits each, numbers the addresses as one run
    does (the second half pays many addresses of the first), and every output's address id
    in the index is that of its address: the stored addresses found by their hashes in memory
    (the second run's table seeded from the index), by DuckDB (no memory for the table), by
    the one and then the other (the table passes its budget midway), or by the other and then
    the one (the second run's first commit too small to seed the table for)."""
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.ingest import pipeline
    from chaintrail.sim import simulate
    from chaintrail.store import address_index
    from chaintrail.store.arrays import ChainArrays
    from chaintrail.store.store import Store

    simulate(tmp_path / "sim", n_txs=6000, seed=5, profile="test")
    (blk,) = sorted((tmp_path / "sim" / "blocks").glob("blk*.dat"))
    _split_blk(blk, tmp_path / "a.dat", tmp_path / "b.dat")
    once, parts = tmp_path / "once", tmp_path / "parts"
    run_ingest([str(blk)], str(once), show_progress=False)
    n_addresses = len(_table(once))
    limit = {"none": 0, "half": KnownAddresses().nbytes_for(n_addresses // 2)}.get(
        budget, address_index.KNOWN_ADDRESSES_BYTES)
    monkeypatch.setattr(address_index, "KNOWN_ADDRESSES_BYTES", limit)
    if budget == "late":
        monkeypatch.setattr(pipeline, "SEED_SHARE", 1)
    monkeypatch.setattr(pipeline, "CHECKPOINT_OUTPUTS", 500)  # a commit every few blocks
    r1 = run_ingest([str(tmp_path / "a.dat")], str(parts), show_progress=False, batch_mb=0)
    r2 = run_ingest([str(tmp_path / "b.dat")], str(parts), show_progress=False, batch_mb=0)
    assert r1["index"]["fed"] and r2["index"]["fed"] and not r2["index"]["rebuilt"]
    lookups = [r1["address_lookups"], r2["address_lookups"]]
    if budget == "default":
        assert all(set(k) == {"hashes"} and k["hashes"] > 5 for k in lookups)
    elif budget == "late":
        assert set(lookups[0]) == {"hashes"} and lookups[1]["duckdb"] == 1 and lookups[1]["hashes"] > 5
    elif budget == "none":
        assert all(set(k) == {"duckdb"} and k["duckdb"] > 5 for k in lookups)
    else:
        assert sum(k.get("hashes", 0) for k in lookups) > 2 and sum(k.get("duckdb", 0) for k in lookups) > 2
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


def test_a_failed_commit_leaves_no_table_behind(tmp_path, monkeypatch):
    """A commit that fails after numbering its new addresses leaves the ingest no table of
    known addresses (its ids were never committed); the run goes on in the same process,
    the table seeded again from the index's hashes, to the store one clean run gives."""
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.ingest import pipeline
    from chaintrail.sim import simulate
    from chaintrail.sources.files import expand_paths
    from chaintrail.store.arrays import ChainArrays
    from chaintrail.store.index_build import update_index
    from chaintrail.store.store import Store

    simulate(tmp_path / "sim", n_txs=6000, seed=5, profile="test")
    (blk,) = sorted((tmp_path / "sim" / "blocks").glob("blk*.dat"))
    once, parts = tmp_path / "once", tmp_path / "parts"
    run_ingest([str(blk)], str(once), show_progress=False)
    monkeypatch.setattr(pipeline, "CHECKPOINT_OUTPUTS", 500)  # a commit every few blocks
    merge_tail, calls = pipeline.merge_tail, []

    def failing_merge(*args):  # each commit merges the tails of five tables
        calls.append(1)
        if len(calls) == 16:
            raise OSError("no space left on device")
        return merge_tail(*args)

    monkeypatch.setattr(pipeline, "merge_tail", failing_merge)
    store = Store.open_writer(parts)
    ing = pipeline.Ingester(store, batch_bytes=0)
    for src in expand_paths(str(blk)):
        for rb in src.scan():
            ing.offer(rb)
    with pytest.raises(OSError):
        ing.run()
    assert ing.known is None and ing.report.address_lookups == {"hashes": 4}
    monkeypatch.setattr(pipeline, "merge_tail", merge_tail)
    ing.run()
    ing.commit()
    assert set(ing.report.address_lookups) == {"hashes"} and ing.report.address_lookups["hashes"] > 8
    assert ing.known is not None and ing.known.count == store.manifest.counts["addresses"]
    assert update_index(store)["fed"]
    store.close()
    assert _table(parts) == _table(once)
    s = Store.open(parts)
    a = ChainArrays.open(s.root, s.manifest)
    want = open_chain(parts).sql("SELECT coalesce(a.address_id, -1) FROM outputs o LEFT JOIN addresses a "
                                 "USING (address) ORDER BY output_id").fetchnumpy()
    assert np.array_equal(np.asarray(a.out_address), next(iter(want.values())))
