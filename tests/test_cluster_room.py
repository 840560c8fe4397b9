"""Writing the clusters room piece by piece gives what writing it at once gives: a Parquet
file streamed in pieces has the table and the row groups of the one-shot file, and the
evidence streamed chunk by chunk during the pass has the arrays and segment of the evidence
written after it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chaintrail.cluster import room as R
from chaintrail.cluster.outputs import EV_KEYS, EvidenceStream, _append_group, evidence_table


def _row_groups(path) -> list[int]:
    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


def _edges(rng, n: int) -> dict:
    return {"tx": np.sort(rng.integers(0, 10**6, n)).astype(np.int64),
            "a": rng.integers(0, 5000, n).astype(np.int32), "b": rng.integers(0, 5000, n).astype(np.int32),
            "kind": rng.integers(0, 3, n).astype(np.uint8), "support": rng.integers(0, 512, n).astype(np.uint16)}


@pytest.mark.parametrize("pieces", [[95], [10, 10, 10], [3, 0, 17, 9, 40, 1, 15], [0, 0]])
def test_streamed_parquet_equals_one_shot(tmp_path, pieces):
    rng = np.random.default_rng(len(pieces))
    n = sum(pieces)
    table = pa.table({"id": np.arange(n, dtype=np.int64), "v": rng.integers(0, 99, n).astype(np.int64),
                      "name": pa.array([f"x{i % 7}" for i in range(n)], pa.string())})
    whole = R.write_parquet(tmp_path, "whole", "t", table, row_group=10)
    s = R.ParquetStream(tmp_path, "streamed", "t", table.schema, row_group=10)
    at = 0
    for k in pieces:
        s.write(table.slice(at, k))
        at += k
    rel = s.close()
    got = pq.read_table(tmp_path / rel)
    assert got.equals(pq.read_table(tmp_path / whole)) and got.num_rows == n
    assert _row_groups(tmp_path / rel) == _row_groups(tmp_path / whole)
    if n:
        assert all(g == 10 for g in _row_groups(tmp_path / rel)[:-1])


@pytest.mark.parametrize("sizes", [[], [7], [100, 3, 50]])
@pytest.mark.parametrize("earlier", [False, True])
def test_evidence_stream_equals_writing_after_the_pass(tmp_path, sizes, earlier):
    rng = np.random.default_rng(sum(sizes) + earlier)
    prev = None
    if earlier:  # an earlier build's evidence arrays, which both ways append to
        prev = _append_group(tmp_path, None, "ev", _edges(rng, 20), EV_KEYS)
    chunks = [_edges(rng, n) for n in sizes]
    empty = {k: v[:0] for k, v in _edges(rng, 0).items()}
    allc = {k: np.concatenate([c[k] for c in chunks]) if chunks else empty[k] for k in EV_KEYS}
    # one way: after the pass, as write_outputs does without a stream (on a copy of the arrays)
    other = tmp_path / "other"
    other.mkdir()
    prev_other = None
    if prev:
        (other / R.DIR).mkdir(parents=True)
        prev_other = {k: dict(spec) for k, spec in prev.items()}
        for spec in prev_other.values():
            (other / spec["file"]).write_bytes((tmp_path / spec["file"]).read_bytes())
    want = _append_group(other, prev_other, "ev", allc, EV_KEYS)
    want_seg = R.write_parquet(other, "evidence", "w", evidence_table(allc, False)) \
        if (sizes or not earlier) else None
    # the other: chunk by chunk while the pass runs
    stream = EvidenceStream(tmp_path, prev, need_segment=not earlier)
    for c in chunks:
        stream.put(c)
    group, seg = stream.finish(empty)
    assert list(group) == list(EV_KEYS)
    for k in EV_KEYS:
        assert group[k]["length"] == want[k]["length"] == (20 if earlier else 0) + sum(sizes)
        assert np.array_equal(R.read_array(tmp_path, group[k]), R.read_array(other, want[k]))
        assert R.read_array(tmp_path, group[k]).dtype == R.read_array(other, want[k]).dtype
    assert (seg is None) == (want_seg is None)
    if seg is not None:
        assert pq.read_table(tmp_path / seg).equals(pq.read_table(other / want_seg))
