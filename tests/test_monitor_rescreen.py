"""Re-screening after a list or tag update: only what is newly listed raises alerts, each
carrying the date the item was listed and when the monitor learnt of it (a transfer that
happened before the listing is marked so); a second run, or another source naming the same
addresses, adds nothing."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
from sqlalchemy import text

from chaintrail.attribution.service import import_sanctions, import_tags
from chaintrail.chain import open as open_chain
from chaintrail.monitor.rescreen import rescreen
from chaintrail.monitor.rules import load_rules
from chaintrail.monitor.screen import Screener, load_book
from chaintrail.monitor.watch import CAT_CODES

from support.monitor_env import LIST_DATE, copy_store, new_desk


def _rescreen(store, desk):
    chain = open_chain(store)
    try:
        return rescreen(desk.engine, Screener(chain, load_book(desk.engine, chain), load_rules()))
    finally:
        chain.close()


def test_rescreen_alerts_only_on_newly_listed_items(monitor_env, tmp_path):
    store = copy_store(monitor_env, tmp_path / "store")
    desk, users, _ = new_desk(tmp_path / "desk.sqlite", store, monitor_env.truth)
    first = _rescreen(store, desk)
    assert first.initialised and first.items > 100 and not first.alerts
    assert _rescreen(store, desk).new_items == 0  # nothing changed: nothing new

    import_tags(str(store), [str(monitor_env.sanctioned_tags)])  # the sanctioned exchange gets tagged
    rep = _rescreen(store, desk)
    n_tags = sum(1 for _ in open(monitor_env.sanctioned_tags)) - 1
    assert rep.new_items == n_tags and rep.new_addresses > 0 and rep.reached_txs > 100
    assert rep.transfers >= rep.candidates > 0
    assert rep.alerts, "customers received funds from the sanctioned exchange"
    sanctioned = {a for (a,) in duckdb.sql(f"""
        SELECT a.address FROM read_parquet('{monitor_env.truth}/addresses.parquet') a
        JOIN read_parquet('{monitor_env.truth}/entities.parquet') e USING (entity_id)
        WHERE e.kind = 'sanctioned_exchange'""").fetchall()}
    from chaintrail.monitor.alerts import get_alert

    for aid in rep.alerts:
        a = get_alert(users["reviewer"], aid)
        assert a["origin"] == "rescreen" and a["rule_id"] == "sanctioned-exposure"
        assert a["listed_since"] == LIST_DATE and a["known_since"]
        ev = a["evidence"]
        assert ev["hits"] and all(h["address"] in sanctioned for h in ev["hits"])
        retro = ev["retrospective"]
        assert retro["listed_since"] == LIST_DATE
        assert retro["before_listing"] == (dt.date.fromisoformat(retro["transfer_date"])
                                           < dt.date.fromisoformat(LIST_DATE))
        assert "listed since 2022-06-01" in a["summary"]
    # nothing else was flagged: the ransomware tags were known before the update
    with desk.engine.connect() as conn:
        cats = {c for (c,) in conn.execute(text("SELECT DISTINCT category FROM monitor_alerts"))}
    assert cats == {"sanctioned"}

    again = _rescreen(store, desk)
    assert again.new_items == 0 and not again.alerts

    # the same addresses on a sanctions list: new items, but no new exposure
    lst = tmp_path / "sanctioned_addresses_XBT.txt"
    lst.write_text((monitor_env.truth / "sanctioned_addresses.txt").read_text())
    import_sanctions(str(store), str(lst), "test-list", dt.date(2022, 7, 1))
    third = _rescreen(store, desk)
    assert third.new_items > 0 and third.new_addresses == 0 and not third.alerts
    with desk.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM monitor_alerts")).scalar()
    assert n == len(rep.alerts)
    desk.close()


def _updated(monitor_env, tmp_path):
    """A store copy whose snapshot predates the sanctioned exchange's tags, the tags imported,
    and a desk with the truth's customers."""
    store = copy_store(monitor_env, tmp_path / "store")
    desk, _users, _ = new_desk(tmp_path / "desk.sqlite", store, monitor_env.truth)
    assert _rescreen(store, desk).initialised
    import_tags(str(store), [str(monitor_env.sanctioned_tags)])
    return store, desk


def _new_addresses(chain, desk):
    from chaintrail.monitor.rescreen import item_addresses, snapshot_keys
    from chaintrail.monitor.watch import watch_items

    items = watch_items(chain)
    have = snapshot_keys(desk.engine)
    rows = [r for r in items.to_pylist() if r["key"] not in have]
    return item_addresses(chain, rows)


def test_rescreen_equals_screening_every_transfer_one_by_one(monitor_env, tmp_path):
    """Every past customer transfer traced on its own (the plain twin, one trace per transfer),
    its exposure to the new addresses put through the rules: the same alerts, with the same
    evidence, as the re-screening's sweep, batch traces and batch evidence."""
    from chaintrail.monitor.evaluate import exposure_findings
    from chaintrail.monitor.exposure import evidence, trace_reference
    from chaintrail.monitor.rescreen import candidates
    from chaintrail.monitor.transfers import find_transfers

    store, desk = _updated(monitor_env, tmp_path)
    chain = open_chain(store)
    try:
        sc = Screener(chain, load_book(desk.engine, chain), load_rules())
        new_addr = _new_addresses(chain, desk)
        assert new_addr.size > 0
        # one by one, over the whole history
        tr = find_transfers(chain._arrays, sc.book, 0, chain._arrays.counts["txs"])
        hops = sc.ruleset.max_hops()
        ex = trace_reference(chain, sc.watch, tr, hops, only_addresses=new_addr)
        rules = sc.ruleset.of_kind("exposure")
        want = exposure_findings(chain, sc.watch, rules, tr, ex, only_addresses=new_addr)
        exposed = np.nonzero(ex.by_hop.sum(axis=(1, 2)) > 0)[0]
        assert want and exposed.size > len(want) // 2

        def key(t, f):
            return (f.rule.id, int(t.tx[f.row]), int(t.direction[f.row]), int(t.index[f.row]),
                    int(t.customer[f.row]))

        # every transfer with any exposure to the new addresses is among the candidates
        sub, reached, _n = candidates(chain, sc, new_addr)
        assert reached > 0 and len(sub) < len(tr)
        cand = set(zip(sub.tx.tolist(), sub.direction.tolist(), sub.index.tolist(),
                       sub.customer.tolist()))
        for k in exposed.tolist():
            assert (int(tr.tx[k]), int(tr.direction[k]), int(tr.index[k]),
                    int(tr.customer[k])) in cand

        # the batch evidence equals the plain per-transfer evidence
        for f in want:
            cat = CAT_CODES[f.rule["category"]]
            plain = [e for e in evidence(chain, sc.watch, tr, ex, f.row, cat, limit=20)
                     if e["address_id"] in set(new_addr.tolist())][:5]
            for e in plain:
                e.pop("address_id")
            assert f.evidence["hits"] == [{k: v for k, v in e.items() if k != "listings"}
                                          | {"listings": h["listings"]}
                                          for e, h in zip(plain, f.evidence["hits"])]
    finally:
        chain.close()

    rep = _rescreen(store, desk)
    got = {}
    with desk.engine.connect() as conn:
        rows = conn.execute(text("SELECT rule_id, txid, direction, evidence, customer_id "
                                 "FROM monitor_alerts")).fetchall()
    chain = open_chain(store)
    try:
        from chaintrail.monitor.transfers import DIRECTION_NAMES
        from chaintrail.trace import labels

        txid = labels.txids(chain._arrays, tr.tx)
        want_keys = {(k[0], txid[tr.tx.tolist().index(k[1])], DIRECTION_NAMES[k[2]], k[3], k[4]):
                     f for f in want for k in [key(tr, f)]}
    finally:
        chain.close()
    import json

    from chaintrail.monitor.jsontext import plain

    for rule_id, tx, d, ev, cust in rows:
        e = json.loads(ev)
        got[(rule_id, tx, d, e["transfer"]["index"], cust)] = e
    assert len(rep.alerts) == len(rows) == len(want)
    assert set(got) == set(want_keys)
    for k, f in want_keys.items():
        assert got[k]["hits"] == plain(f.evidence["hits"])
        assert got[k]["direct_sat"] == f.evidence["direct_sat"]
        assert got[k]["indirect_sat"] == f.evidence["indirect_sat"]
        assert got[k]["base_sat"] == f.evidence["base_sat"]
    desk.close()


def test_reach_sweep_equals_its_plain_twin(monitor_env, tmp_path):
    from chaintrail.monitor.reach import attributed, levels, levels_reference, seed_outputs
    from chaintrail.monitor.reach_kernels import UNREACHED

    store, desk = _updated(monitor_env, tmp_path)
    chain = open_chain(store)
    try:
        sc = Screener(chain, load_book(desk.engine, chain), load_rules())
        seeds = seed_outputs(chain._arrays, _new_addresses(chain, desk))
        attr = attributed(chain, sc.watch)
        for to_spenders in (True, False):
            for hops, budget in ((4, 50_000), (2, 50_000), (4, 40)):
                got = levels(chain, seeds, to_spenders, hops, budget, attr)
                want = levels_reference(chain, seeds, to_spenders, hops, budget, attr)
                assert np.array_equal(got, want)
                assert (got < UNREACHED).sum() > 0
                assert got.min() >= 1 and got[got < UNREACHED].max() <= hops
    finally:
        chain.close()
        desk.close()


def test_attributed_addresses_are_the_resolvers(monitor_env):
    from chaintrail.monitor.reach import attributed
    from chaintrail.monitor.watch import watch_of

    chain = open_chain(monitor_env.store)
    try:
        w = watch_of(chain)
        n = chain._arrays.counts["addresses"]
        got = attributed(chain, w)
        assert got.sum() > 100 and np.array_equal(got, w.resolver.codes(np.arange(n)) >= 0)
    finally:
        chain.close()
