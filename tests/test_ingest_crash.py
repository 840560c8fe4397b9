"""A killed ingest leaves the last committed store, and a re-run resumes to the
same store a clean run gives."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaintrail.chain import open as open_chain

from conftest import BUILTIN, ingest
from test_ingest_chain import snapshot

pytestmark = pytest.mark.slow


def _start(store: Path) -> subprocess.Popen:
    # every block its own batch and a commit after each: many commit points to land a kill between
    return subprocess.Popen(
        [sys.executable, "-m", "chaintrail", "ingest", str(BUILTIN), "--store", str(store),
         "--batch-mb", "0", "--checkpoint-seconds", "0", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # a shell's background jobs inherit SIGINT ignored; give the child Python's handler back
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_ingest_resumes(tmp_path, sig):
    full = tmp_path / "full"
    ingest(full, BUILTIN)
    expected = snapshot(full)
    store = tmp_path / "s"
    proc = _start(store)
    # wait until some commits have happened, then kill in the middle of the run
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        m = store / "manifest.json"
        if m.exists() and '"blocks": 0' not in m.read_text():
            break
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode != 0 and b"interrupted" in proc.stderr.read()
    chain = open_chain(store)
    n = chain.status()["counts"]["blocks"]
    assert 0 < n < 600, "the kill should land mid-run"
    # the store is a consistent prefix of the chain: heights 0..n-1, every input resolved
    heights = [h for (h,) in chain.sql("SELECT height FROM blocks ORDER BY chain_seq").fetchall()]
    assert heights == list(range(n))
    assert chain.sql("SELECT count(*) FROM inputs i JOIN txs t USING (tx_id) WHERE NOT t.is_coinbase "
                     "AND i.spent_output_id IS NULL").fetchall()[0][0] == 0
    assert chain.sql("SELECT count(*) FROM outputs WHERE spending_tx_id IS NULL").fetchall()[0][0] \
        == chain.status()["utxo_count"]
    # no file outside the manifest survives the next writer's open
    r = ingest(store, BUILTIN)
    assert r["blocks_applied"] == 600 - n
    assert snapshot(store) == expected
    leftovers = [p for p in (store / "data").rglob("writing_*")]
    assert not leftovers
