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
