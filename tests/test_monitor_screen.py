"""Screening customer transfers on a simulated chain with true tags: the transfers equal an
independent SQL query, exposure equals the trace engine's exposure figures, and every alert
is backed by evidence that checks out against the truth and the store."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from chaintrail.monitor.evaluate import structuring_findings
from chaintrail.monitor.exposure import trace_transfers
from chaintrail.monitor.rules import load_rules, parse_rules
from chaintrail.monitor.screen import Screener, load_book
from chaintrail.monitor.transfers import DEPOSIT, SPEND, WITHDRAWAL, find_transfers
from chaintrail.monitor.watch import CAT_CODES

from support.monitor_env import new_desk


@pytest.fixture(scope="module")
def env(monitor_env):  # the session's (conftest.py)
    return monitor_env


@pytest.fixture(scope="module")
def chain(monitor_chain):
    return monitor_chain


@pytest.fixture(scope="module")
def desk(env, tmp_path_factory):
    d, users, tokens = new_desk(tmp_path_factory.mktemp("mdesk") / "desk.sqlite", env.store, env.truth)
    yield d, users
    d.close()


@pytest.fixture(scope="module")
def screener(chain, desk):
    return Screener(chain, load_book(desk[0].engine, chain), load_rules())


@pytest.fixture(scope="module")
def screened(chain, screener):
    return screener.screen(0, chain._arrays.counts["txs"])


def _customer_addresses(desk) -> list[tuple[int, str, str]]:
    with desk[0].engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT a.customer_id, aa.address, aa.kind FROM account_addresses aa "
            "JOIN accounts a ON a.id = aa.account_id")]


def test_transfers_equal_an_independent_sql_query(chain, desk, screened):
    con = duckdb.connect()
    rows = _customer_addresses(desk)
    import pyarrow as pa

    cust = pa.table({"customer_id": [r[0] for r in rows], "address": [r[1] for r in rows],
                     "kind": [r[2] for r in rows]})
    def table(q):
        t = chain.sql(q).arrow()
        return t if isinstance(t, pa.Table) else t.read_all()

    outs = table("SELECT txid, vout, address FROM outputs WHERE address IS NOT NULL")
    ins = table("SELECT txid, vin, address FROM inputs WHERE address IS NOT NULL")
    con.register("cust_all", cust)
    # a withdrawal address more than three customers share is a third party's (left out)
    con.execute("""CREATE VIEW cust AS SELECT * FROM cust_all WHERE kind = 'deposit' OR address IN
                   (SELECT address FROM cust_all WHERE kind = 'withdrawal' GROUP BY address
                    HAVING count(DISTINCT customer_id) <= 3)""")
    con.register("outs", outs)
    con.register("ins", ins)
    want_out = set(con.sql("""
        SELECT DISTINCT o.txid, o.vout, c.customer_id, c.kind FROM outs o JOIN cust c USING (address)
        WHERE NOT EXISTS (SELECT 1 FROM ins i WHERE i.txid = o.txid AND i.address = o.address)
    """).fetchall())
    want_spend = set(con.sql("""
        SELECT DISTINCT i.txid, c.customer_id FROM ins i JOIN cust c USING (address)
        WHERE c.kind = 'withdrawal'""").fetchall())
    tr = screened.transfers
    from chaintrail.trace import labels

    txids = labels.txids(chain._arrays, tr.tx.tolist())
    got_out = {(txids[k], int(tr.index[k]), int(tr.customer[k]),
                "deposit" if tr.direction[k] == DEPOSIT else "withdrawal")
               for k in range(len(tr)) if tr.direction[k] in (DEPOSIT, WITHDRAWAL)}
    got_spend = {(txids[k], int(tr.customer[k])) for k in range(len(tr)) if tr.direction[k] == SPEND}
    assert len(want_out) > 1000 and len(want_spend) > 10
    assert got_out == want_out
    assert got_spend == want_spend
    # values are the outputs' values
    k = int(np.nonzero(tr.direction == DEPOSIT)[0][0])
    v = chain.sql("SELECT value FROM outputs WHERE txid = ? AND vout = ?",
                  params=[txids[k], int(tr.index[k])]).fetchall()[0][0]
    assert v == tr.value[k]


def test_block_ranges_add_up_to_the_whole(chain, screener, screened):
    a = chain._arrays
    n = a.counts["txs"]
    parts = [find_transfers(a, screener.book, lo, min(n, lo + 997)) for lo in range(0, n, 997)]
    assert sum(len(p) for p in parts) == len(screened.transfers)
    assert int(sum(p.value.sum() for p in parts)) == int(screened.transfers.value.sum())


def test_exposure_kernel_equals_its_plain_twin(chain, screener, screened):
    from chaintrail.monitor.exposure import trace_reference

    tr = screened.transfers
    rows = np.arange(0, len(tr), 12)
    a = trace_transfers(chain, screener.watch, tr, 4, rows=rows)
    b = trace_reference(chain, screener.watch, tr, 4, rows=rows)
    assert (a.by_hop == b.by_hop).all() and (a.base == b.base).all()
    assert (a.exhausted == b.exhausted).all() and a.by_hop.sum() > 0
    only = np.unique(np.asarray(chain._arrays.out_address)[:5000])
    a = trace_transfers(chain, screener.watch, tr, 3, rows=rows, only_addresses=only)
    b = trace_reference(chain, screener.watch, tr, 3, rows=rows, only_addresses=only)
    assert (a.by_hop == b.by_hop).all() and (a.base == b.base).all()


def test_exposure_equals_the_trace_engines_figures(chain, screener, screened):
    """Per transfer, what the monitor sums per category equals trace.exposure's summary of the
    same trace (entities mapped to their monitored category)."""
    from chaintrail.trace.engine import run_trace
    from chaintrail.trace.exposure import summarise
    from chaintrail.trace.start import Start

    w = screener.watch
    tr = screened.transfers
    ex = trace_transfers(chain, w, tr, 4)
    hit = [k for k in range(len(tr)) if ex.by_hop[k].sum() > 0]
    assert len(hit) >= 3, "expected some exposed transfers in the simulated economy"
    for k in hit[:12] + list(range(5)):
        starts = tr.starts[tr.s0[k]:tr.s0[k] + tr.sn[k]]
        d = "forward" if tr.direction[k] == SPEND else "backward"
        res = run_trace(chain, Start("t", "outputs", np.sort(starts)), d, "haircut", 4, 0, 50_000,
                        ("any",), "output", w.resolver, stop_mask=w.mask, engine="python")
        own = w.resolver.codes(np.array([tr.address[k]]))
        side = summarise(res, set(own[own >= 0].tolist()))
        want = np.zeros((len(CAT_CODES) + 1, 2), np.int64)
        for depth, col in (("direct", 0), ("indirect", 1)):
            for f in getattr(side, depth):
                cat = int(w.entity_cat[w.resolver.entity(f.entity_id).code])
                if cat:
                    want[cat, col] += f.amount
        got = np.stack([ex.by_hop[k, :, 1], ex.by_hop[k, :, 2:].sum(axis=1)], axis=1)
        assert (got == want).all(), k
        assert ex.base[k] == side.external


def test_every_exposure_alert_is_backed_by_true_tags_and_real_paths(chain, env, screened):
    truth_cat = dict(duckdb.sql(f"""
        SELECT a.address, e.kind FROM read_parquet('{env.truth}/addresses.parquet') a
        JOIN read_parquet('{env.truth}/entities.parquet') e USING (entity_id)""").fetchall())
    exp = [f for f in screened.findings if f.rule.kind == "exposure"]
    assert exp, "the simulated ransomware flows reach customers"
    want_kind = {"ransomware": "ransomware", "sanctioned": "sanctioned_exchange"}
    for f in exp:
        hits = f.evidence["hits"]
        assert hits and f.evidence["direct_sat"] + f.evidence["indirect_sat"] > 0
        for h in hits:
            assert truth_cat[h["address"]] == want_kind[f.category]
            if h["hop"] > 1:
                assert len(h["path"]) == h["hop"]
                for step in h["path"]:
                    assert chain.sql("SELECT count(*) FROM txs WHERE txid = ?",
                                     params=[step["txid"]]).fetchall()[0][0] == 1


def test_direct_ransomware_inputs_always_alert(chain, desk, screened, screener):
    """Oracle: every deposit whose transaction spends a ransomware-tagged coin alerts."""
    tr = screened.transfers
    from chaintrail.trace import labels

    txids = labels.txids(chain._arrays, tr.tx.tolist())
    ransom_txs = {t for (t,) in chain.sql("""
        SELECT DISTINCT i.txid FROM inputs i JOIN tags t ON t.address = i.address
        WHERE t.abuse = 'ransomware'""").fetchall()}
    dep = {k for k in range(len(tr)) if tr.direction[k] == DEPOSIT and txids[k] in ransom_txs}
    alerted = {f.row for f in screened.findings if f.rule.id == "ransomware-exposure"}
    assert dep <= alerted


def test_coinjoin_and_jurisdiction_alerts(chain, screener, screened):
    from chaintrail.desk.chainlink import tx_id
    from chaintrail.trace.rooms import coinjoin_codes

    cj = coinjoin_codes(chain)
    a = chain._arrays
    book = screener.book
    for f in screened.findings:
        if f.rule.kind == "coinjoin":
            for c in f.evidence["coinjoins"]:
                assert cj[tx_id(chain, c["txid"])] > 0
                assert c["protocol"] in ("wasabi1", "wasabi2", "whirlpool", "joinmarket")
        if f.rule.kind == "jurisdiction":
            k = f.row
            p = int(book.position(np.array([screened.transfers.customer[k]]))[0])
            assert set(book.nationality[p]) & {"RU", "BY", "KP", "IR", "SY", "CU"} or \
                book.residence[p] in {"RU", "BY", "KP", "IR", "SY", "CU"}
            assert screened.transfers.direction[k] == DEPOSIT
            assert f.evidence["single"] or f.evidence["window_total_sat"] >= 2 * 10**8
    kinds = {f.rule.kind for f in screened.findings}
    assert {"exposure", "coinjoin", "jurisdiction"} <= kinds
    assert cj.size == a.counts["txs"]


def test_structuring_finds_deposits_just_under_a_threshold(chain, screener, screened):
    """A rule whose band holds three deposits of one customer within seven days alerts on the
    third; an SQL count over the store agrees."""
    tr = screened.transfers
    times = np.asarray(chain._arrays.tx_time)[tr.tx].astype(np.int64)
    dep = np.nonzero(tr.direction == DEPOSIT)[0]
    order = dep[np.lexsort((times[dep], tr.customer[dep]))]
    target = None
    for j in range(len(order) - 2):
        a, c = order[j], order[j + 2]
        if tr.customer[a] == tr.customer[c] and times[c] - times[a] <= 7 * 86400:
            target = (a, order[j + 1], c)
            break
    assert target is not None
    vals = tr.value[list(target)]
    hi = int(vals.max()) + 1
    band = min(0.99, 1 - (int(vals.min()) - 1) / hi)
    rules = parse_rules(f"""
ruleset: t
version: "1"
rules:
  - id: s
    version: "1"
    kind: structuring
    description: three deposits under a threshold
    threshold_btc: {hi / 1e8}
    band: {band}
    window_days: 7
    min_count: 3
""")
    got = structuring_findings(chain, rules.rules, screener.book, tr, times, chain._arrays.counts["txs"])
    rows = {f.row for f in got}
    assert int(target[2]) in rows
    f = next(f for f in got if f.row == int(target[2]))
    assert f.evidence["count"] >= 3
    # every finding: at least min_count in-band deposits of that customer in the window
    for f in got:
        k = f.row
        lo_v, hi_v = f.evidence["band_sat"]
        same = (tr.customer == tr.customer[k]) & (tr.direction == DEPOSIT) & \
            (tr.value >= lo_v) & (tr.value < hi_v) & (times <= times[k]) & (times >= times[k] - 7 * 86400)
        assert int(same.sum()) == f.evidence["count"] >= 3


def test_alert_rows_are_keyed_and_dated(chain, screener, screened):
    rows = screener.rows(screened, "live", "00" * 32)
    assert len(rows) == len(screened.findings)
    keys = {r.key for r in rows}
    assert len(keys) == len(rows)
    again = screener.rows(screened, "live", "00" * 32)
    assert [r.key for r in again] == [r.key for r in rows]
    other_block = screener.rows(screened, "live", "11" * 32)
    assert not keys & {r.key for r in other_block}
    for r in rows[:50]:
        assert r.evidence["rule"]["id"] == r.rule_id and r.evidence["transfer"]["txid"] == r.txid
        dt.datetime.strptime(r.block_time, "%Y-%m-%dT%H:%M:%SZ")
