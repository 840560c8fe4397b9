"""`chaintrail simulate` as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(*args):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "chaintrail", *map(str, args)],
                          capture_output=True, text=True, env=env)


def test_simulate_json_and_stats(tmp_path):
    out = tmp_path / "sim"
    p = run("simulate", "--out", out, "--txs", 800, "--seed", 3, "--profile", "test",
            "--stats", "--json")
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["txs"] == 800 and s["blocks"] == s["tip_height"] + 1
    assert (out / "blocks" / "blk00000.dat").exists() and (out / "truth" / "txs.parquet").exists()
    assert s["truth_rows"]["txs"] == 801  # the genesis coinbase is in the truth too
    assert 0 <= s["stats"]["address_reuse_share"] <= 1


def test_simulate_table_output_and_set(tmp_path):
    p = run("simulate", "--out", tmp_path / "s", "--txs", 300, "--profile", "test", "--stats",
            "--quiet", "--set", "payment_median=200000", "--set", "txs_per_block=50")
    assert p.returncode == 0, p.stderr
    assert "realism" in p.stdout and "transactions with address reuse" in p.stdout


def test_simulate_errors_are_one_line(tmp_path):
    p = run("simulate", "--out", tmp_path / "x", "--txs", 10, "--profile", "nope")
    assert p.returncode != 0
    assert p.stderr.strip().count("\n") == 0 and "unknown simulator profile" in p.stderr
    p = run("simulate", "--out", tmp_path / "x", "--txs", 10, "--set", "bogus=1")
    assert p.returncode != 0 and "bogus" in p.stderr and p.stderr.strip().count("\n") == 0
