"""Same seed, same bytes; another seed, another chain; xor.dat obfuscation
and blk file roll-over."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from chaintrail.bitcoin.block import Block
from chaintrail.sim import SimulationError, simulate
from chaintrail.sim.blockfiles import read_blocks
from chaintrail.sources.framing import xor_bytes

N = 1500


def digest(out: Path) -> dict[str, str]:
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "sim.json")
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    out = tmp_path_factory.mktemp("det") / "a"
    simulate(out, N, seed=5, profile="test")
    return out


def test_same_seed_same_bytes(base, tmp_path):
    simulate(tmp_path / "b", N, seed=5, profile="test")
    assert digest(base) == digest(tmp_path / "b")


def test_other_seed_other_chain(base, tmp_path):
    simulate(tmp_path / "c", N, seed=6, profile="test")
    a, c = digest(base), digest(tmp_path / "c")
    assert a.keys() == c.keys()
    assert a["blocks/blk00000.dat"] != c["blocks/blk00000.dat"]
    assert a["truth/txs.parquet"] != c["truth/txs.parquet"]


def test_overrides_change_the_chain(base, tmp_path):
    simulate(tmp_path / "d", N, seed=5, profile="test", payment_median=900_000)
    assert digest(base)["blocks/blk00000.dat"] != digest(tmp_path / "d")["blocks/blk00000.dat"]
    with pytest.raises(SimulationError):
        simulate(tmp_path / "e", N, seed=5, profile="test", no_such_knob=1)


def test_xor_obfuscation_round_trip(base, tmp_path):
    out = tmp_path / "x"
    simulate(out, N, seed=5, profile="test", xor=True)
    key = (out / "blocks" / "xor.dat").read_bytes()
    assert len(key) == 8 and any(key)
    raw = (out / "blocks" / "blk00000.dat").read_bytes()
    plain = (base / "blocks" / "blk00000.dat").read_bytes()
    assert raw != plain
    assert xor_bytes(raw, key, 0) == plain
    assert read_blocks(out / "blocks") == read_blocks(base / "blocks")


def test_block_files_roll_over_at_the_limit(base, tmp_path):
    out = tmp_path / "r"
    limit = 64 * 1024
    res = simulate(out, N, seed=5, profile="test", max_file_size=limit)
    files = sorted((out / "blocks").glob("blk*.dat"))
    assert len(files) > 3 and [p.name for p in files] == [f"blk{i:05d}.dat" for i in range(len(files))]
    assert [p.name for p in res.block_files] == [p.name for p in files]
    blocks = read_blocks(out / "blocks")
    assert blocks == read_blocks(base / "blocks")
    for p in files:
        data = p.read_bytes()
        # a file passes the limit only when a single record is larger than it
        if len(data) > limit:
            assert int.from_bytes(data[4:8], "little") + 8 == len(data)
        pos = 0
        while pos < len(data):
            assert data[pos:pos + 4] == bytes.fromhex("fabfb5da")
            n = int.from_bytes(data[pos + 4:pos + 8], "little")
            Block.from_bytes(data[pos + 8:pos + 8 + n])
            pos += 8 + n
        assert pos == len(data)


def test_refuses_foreign_output_dir(tmp_path):
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "blk00000.dat").write_bytes(b"not ours")
    with pytest.raises(SimulationError):
        simulate(tmp_path, 10, seed=1, profile="test")
