"""The long-running monitor against a node: a loopback server speaking Bitcoin Core's JSON-RPC
serves the simulated chain's real blocks (a test double of the node, not of the monitor).
The monitor follows a growing tip, stores exactly the alerts an offline screening of each block
finds, marks the alerts of blocks a reorganisation abandons, delivers every alert to a webhook
that fails at first, and survives being killed (SIGKILL) at any point of its work."""

from __future__ import annotations

import json
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, text

from chaintrail.bitcoin.block import Block, BlockHeader, merkle_root
from chaintrail.bitcoin.hashing import hash160, sha256d
from chaintrail.bitcoin.tx import COINBASE_VOUT, NULL_TXID, Tx, TxIn, TxOut
from chaintrail.chain import open as open_chain
from chaintrail.monitor.follow import Monitor, main_chain
from chaintrail.monitor.rules import load_rules
from chaintrail.monitor.screen import Screener, load_book

from support.chainmaker import REGTEST_BITS, mine
from support.fake_node import FakeNode, read_framed
from support.monitor_env import new_desk


@pytest.fixture(scope="module")
def blocks(monitor_env) -> list[bytes]:
    return [b for p in sorted(monitor_env.blocks.glob("blk*.dat")) for b in read_framed(p)]


def mint(parent: bytes, height: int, n: int, tag: bytes = b"reorg") -> list[bytes]:
    """n coinbase-only regtest blocks on top of `parent` (a competing branch)."""
    out = []
    prev = sha256d(parent[:80])
    t = int.from_bytes(parent[68:72], "little")
    for k in range(n):
        h = height + k
        cb = Tx(2, [TxIn(NULL_TXID, COINBASE_VOUT, bytes([3]) + struct.pack("<I", h)[:3] + tag,
                         0xFFFFFFFF)], [TxOut(50 * 10**8, b"\x00\x14" + hash160(tag + bytes([k])))], 0)
        header = mine(BlockHeader(0x20000000, prev, merkle_root([cb.txid_bytes()]), t + 1 + k,
                                  REGTEST_BITS, 0))
        raw = Block(header, [cb]).serialize()
        prev = sha256d(raw[:80])
        out.append(raw)
    return out


def offline_keys(store, engine) -> set[tuple]:
    """(rule, txid, direction, customer, block hash) of what screening each block finds."""
    chain = open_chain(store)
    try:
        sc = Screener(chain, load_book(engine, chain), load_rules())
        out = set()
        for _h, bh, ft, n in main_chain(chain):
            for r in sc.rows(sc.screen(ft, ft + n), "live", bh):
                out.add((r.rule_id, r.txid, r.direction, r.customer_id, bh))
        return out
    finally:
        chain.close()


def stored_keys(engine, status: str | None = None) -> list[tuple]:
    q = "SELECT rule_id, txid, direction, customer_id, block_hash FROM monitor_alerts"
    if status:
        q += f" WHERE status = '{status}'"
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(q))]


def test_follows_the_tip_and_marks_reorged_alerts(monitor_env, blocks, tmp_path):
    store = tmp_path / "store"
    desk, users, _ = new_desk(tmp_path / "desk.sqlite", monitor_env.store, monitor_env.truth)
    with FakeNode(blocks, chain="regtest", cookie_dir=tmp_path) as node:
        node.set_tip(len(blocks) // 2)
        mon = Monitor(store, desk.engine, load_rules(), node.rpc_url, from_height=0)
        r1 = mon.step()
        assert r1.tip_height == len(blocks) // 2 and r1.blocks_screened == r1.tip_height + 1
        node.set_tip(len(blocks) - 1)
        r2 = mon.step()
        assert r2.blocks_applied == len(blocks) - 1 - len(blocks) // 2
        assert r2.blocks_screened == r2.blocks_applied
        assert mon.step().blocks_screened == 0  # nothing new: nothing screened twice
        got = stored_keys(desk.engine)
        assert len(got) == len(set(got)) > 10
        assert set(got) == offline_keys(store, desk.engine)
        # every alert has a monitoring case covering its customer, and an outbox event
        with desk.engine.connect() as conn:
            bad = conn.execute(text("""
                SELECT count(*) FROM monitor_alerts a LEFT JOIN case_customers cc
                  ON cc.case_id = a.case_id AND cc.customer_id = a.customer_id
                WHERE cc.case_id IS NULL""")).scalar()
            events = conn.execute(text("SELECT count(*) FROM monitor_outbox "
                                       "WHERE event = 'alert.created'")).scalar()
        assert bad == 0 and events == len(got)

        # a competing, heavier branch forks below the last alerts
        with desk.engine.connect() as conn:
            fork = conn.execute(text("SELECT max(height) FROM monitor_alerts")).scalar()
        n_after = sum(1 for k in got if _height(desk.engine, k[4]) >= fork)
        branch = blocks[:fork] + mint(blocks[fork - 1], fork, len(blocks) - fork + 1)
        node.set_chain(branch)
        r3 = mon.step()
    assert r3.blocks_rolled_back == len(blocks) - fork
    assert r3.alerts_abandoned == n_after > 0
    assert r3.blocks_screened == len(blocks) - fork + 1 and not r3.alerts
    abandoned = stored_keys(desk.engine, "abandoned")
    assert len(abandoned) == n_after
    assert all(_height(desk.engine, k[4]) >= fork for k in abandoned)
    with desk.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM monitor_outbox WHERE event = 'alert.abandoned'"
                                 )).scalar() == n_after
        st = dict(conn.execute(text("SELECT status, count(*) FROM monitor_blocks GROUP BY 1")).all())
    assert st["abandoned"] == len(blocks) - fork
    # the desk's audit log holds the alerts and stays intact
    from chaintrail.desk import auditing

    assert auditing.verify_log(users["auditor"])["ok"]
    desk.close()


def _height(engine, block_hash: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT height FROM monitor_blocks WHERE hash = :h"),
                            {"h": block_hash}).scalar()


class Receiver:
    """A webhook endpoint on 127.0.0.1 that fails the first `fail` posts with HTTP 500."""

    def __init__(self, fail: int = 0):
        self.fail = fail
        self.posts: list[tuple[str, dict]] = []
        self.raw: list[tuple[bytes, str | None]] = []
        self.lock = threading.Lock()
        recv = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with recv.lock:
                    if recv.fail > 0:
                        recv.fail -= 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    recv.posts.append((self.headers["X-Chaintrail-Delivery"], json.loads(body)))
                    recv.raw.append((body, self.headers.get("X-Chaintrail-Signature")))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_killed_monitor_loses_and_duplicates_nothing(monitor_env, blocks, tmp_path):
    """SIGKILL the monitor process at random points (ingest, screening, the alerts' transaction,
    delivery), restart it each time; in the end the alerts are exactly an uninterrupted run's,
    each stored once with one creation event, and every one reached the webhook."""
    store = tmp_path / "store"
    db = tmp_path / "desk.sqlite"
    desk, _, _ = new_desk(db, monitor_env.store, monitor_env.truth)
    hook = Receiver(fail=3)
    rng = random.Random(7)
    cmd = [sys.executable, "-m", "chaintrail", "monitor", "run", "--store", str(store),
           "--db", f"sqlite:///{db}", "--from-height", "0", "--poll", "0.05",
           "--webhook", hook.url, "--retry-backoff", "0.05", "--json"]
    kills = 0
    try:
        with FakeNode(blocks, chain="regtest", cookie_dir=tmp_path, latency=0.002) as node:
            cmd[cmd.index("run") + 1:cmd.index("run") + 1] = ["--source", node.rpc_url]
            node.set_tip(len(blocks) // 3)
            for round_ in range(5):
                if round_ == 2:
                    node.set_tip(len(blocks) - 1)
                p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
                # wait until it is at work (blocks being screened), then kill it without warning
                deadline = time.time() + 60
                before = _count(db, "monitor_blocks")
                while time.time() < deadline and _count(db, "monitor_blocks") == before \
                        and _max_height(db) < node.tip and p.poll() is None:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.4))
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                    kills += 1
                p.wait(timeout=30)
                with desk.engine.connect() as conn:  # never a duplicate, whatever the moment
                    dup = conn.execute(text("SELECT count(*) - count(DISTINCT key) FROM monitor_alerts"
                                            )).scalar()
                assert dup == 0
            # finish: run until the tip is screened and the outbox is empty
            for _ in range(40):
                r = subprocess.run(cmd + ["--once"], capture_output=True, text=True, timeout=300)
                assert r.returncode == 0, r.stderr
                if _count(db, "monitor_outbox", "status = 'pending'") == 0 and \
                        _max_height(db) == len(blocks) - 1:
                    break
                time.sleep(0.05)
    finally:
        hook.close()
    assert kills >= 3
    got = stored_keys(desk.engine)
    assert len(got) == len(set(got))
    assert set(got) == offline_keys(store, desk.engine)
    with desk.engine.connect() as conn:
        per_alert = conn.execute(text("""SELECT a.id, count(o.id) FROM monitor_alerts a
            LEFT JOIN monitor_outbox o ON o.alert_id = a.id AND o.event = 'alert.created'
            GROUP BY a.id""")).all()
        ids = {r[0] for r in per_alert}
    assert all(n == 1 for _, n in per_alert)
    delivered = {b["alert_id"] for _, b in hook.posts if b["event"] == "alert.created"}
    assert delivered == ids  # at least once each (repeats carry the same delivery id)
    by_delivery: dict[str, int] = {}
    for did, b in hook.posts:
        assert by_delivery.setdefault(did, b["alert_id"]) == b["alert_id"]
    st = subprocess.run([sys.executable, "-m", "chaintrail", "monitor", "status", "--store",
                         str(store), "--db", f"sqlite:///{db}", "--json"], capture_output=True,
                        text=True)
    assert st.returncode == 0, st.stderr
    st = json.loads(st.stdout)
    assert st["alerts"] == {"open": len(ids)} and st["outbox"] == {"delivered": len(ids)}
    assert st["last_screened"]["height"] == len(blocks) - 1 and st["start_height"] == 0
    desk.close()


def _count(db, table: str, where: str = "1=1") -> int:
    e = create_engine(f"sqlite:///{db}")
    try:
        with e.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()
    except Exception:  # noqa: BLE001 - the table appears with the first migration run
        return 0
    finally:
        e.dispose()


def _max_height(db) -> int:
    e = create_engine(f"sqlite:///{db}")
    try:
        with e.connect() as conn:
            return conn.execute(text("SELECT max(height) FROM monitor_blocks "
                                     "WHERE status = 'screened'")).scalar() or -1
    finally:
        e.dispose()


def test_webhook_retries_then_gives_up_and_can_be_retried(monitor_env, tmp_path):
    """Delivery: failures back off and count attempts; after the limit an event is dead until
    `--retry-dead`; the body is signed when a secret is set."""
    import datetime as dt

    from chaintrail.monitor import delivery
    from chaintrail.monitor.alerts import AlertRow, now_ts, store_alerts

    desk, users, _ = new_desk(tmp_path / "desk.sqlite", monitor_env.store, monitor_env.truth)
    with desk.engine.begin() as conn:
        cust = conn.execute(text("SELECT min(id) FROM customers")).scalar()
        store_alerts(conn, [AlertRow("k1", "r", "1", "1", "high", "live", cust, "ab" * 32, None, 5,
                                     None, None, "deposit", 1000, "mixer", 1.0, "s", {"x": 1})],
                     now_ts())
    hook = Receiver(fail=100)
    try:
        t = dt.datetime.now(dt.timezone.utc)
        for k in range(3):
            rep = delivery.deliver_pending(desk.engine, hook.url, max_attempts=3, backoff=1.0,
                                           now=t + dt.timedelta(hours=k + 1))
            assert rep.delivered == 0 and rep.failed == 1
        assert delivery.outbox_counts(desk.engine) == {"dead": 1}
        hook.fail = 0
        assert delivery.deliver_pending(desk.engine, hook.url).delivered == 0  # dead: not sent
        assert delivery.retry_dead(desk.engine) == 1
        rep = delivery.deliver_pending(desk.engine, hook.url, secret="s3cret")
        assert rep.delivered == 1 and delivery.outbox_counts(desk.engine) == {"delivered": 1}
    finally:
        hook.close()
    (did, body), = hook.posts
    assert body["event"] == "alert.created" and body["rule"] == "r" and body["evidence"] == {"x": 1}
    raw, sig = hook.raw[0]
    assert sig == delivery.sign("s3cret", raw) and sig != delivery.sign("other", raw)
    desk.close()
