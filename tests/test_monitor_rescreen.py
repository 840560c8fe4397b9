"""Re-screening after a list or tag update: only what is newly listed raises alerts, each
carrying the date the item was listed and when the monitor learnt of it (a transfer that
happened before the listing is marked so); a second run, or another source naming the same
addresses, adds nothing."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from sqlalchemy import text

from chaintrail.attribution.service import import_sanctions, import_tags
from chaintrail.chain import open as open_chain
from chaintrail.monitor.rescreen import rescreen
from chaintrail.monitor.rules import load_rules
from chaintrail.monitor.screen import Screener, load_book

from support.monitor_env import LIST_DATE, build, copy_store, new_desk


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return build(tmp_path_factory)


def _rescreen(store, desk):
    chain = open_chain(store)
    try:
        return rescreen(desk.engine, Screener(chain, load_book(desk.engine, chain), load_rules()))
    finally:
        chain.close()


def test_rescreen_alerts_only_on_newly_listed_items(env, tmp_path):
    store = copy_store(env, tmp_path / "store")
    desk, users, _ = new_desk(tmp_path / "desk.sqlite", store, env.truth)
    first = _rescreen(store, desk)
    assert first.initialised and first.items > 100 and not first.alerts
    assert _rescreen(store, desk).new_items == 0  # nothing changed: nothing new

    import_tags(str(store), [str(env.sanctioned_tags)])  # the sanctioned exchange gets tagged
    rep = _rescreen(store, desk)
    n_tags = sum(1 for _ in open(env.sanctioned_tags)) - 1
    assert rep.new_items == n_tags and rep.new_addresses > 0 and rep.transfers > 1000
    assert rep.alerts, "customers received funds from the sanctioned exchange"
    sanctioned = {a for (a,) in duckdb.sql(f"""
        SELECT a.address FROM read_parquet('{env.truth}/addresses.parquet') a
        JOIN read_parquet('{env.truth}/entities.parquet') e USING (entity_id)
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
    lst.write_text((env.truth / "sanctioned_addresses.txt").read_text())
    import_sanctions(str(store), str(lst), "test-list", dt.date(2022, 7, 1))
    third = _rescreen(store, desk)
    assert third.new_items > 0 and third.new_addresses == 0 and not third.alerts
    with desk.engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM monitor_alerts")).scalar()
    assert n == len(rep.alerts)
    desk.close()
