"""The desk on a real (simulated) chain: customers imported from the
simulator's truth tables, request targets linked to customers through the
chain (kernel checked against its pure-Python twin, evidence paths checked
against the store's transactions), the demo's desk scene, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

N_TXS = 6_000
SEED = 5


@pytest.fixture(scope="session")
def sim_store(tmp_path_factory) -> dict:
    """A small donation economy, simulated and ingested once per session."""
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.sim import simulate

    base = tmp_path_factory.mktemp("desksim")
    res = simulate(base / "sim", N_TXS, seed=SEED, profile="donations", txs_per_block=300)
    store = base / "store"
    run_ingest([str(res.blocks_dir)], str(store), show_progress=False)
    return {"store": store, "truth": Path(res.truth_dir), "base": base}


@pytest.fixture(scope="session")
def chain(sim_store):
    from chaintrail.chain import open as open_chain

    ch = open_chain(sim_store["store"])
    yield ch
    ch.close()


def _truth(sim_store, sql: str) -> list[tuple]:
    t = sim_store["truth"]
    return duckdb.sql(sql.replace("$T", str(t))).fetchall()


@pytest.fixture
def desk_on_chain(sim_store, chain, tmp_path):
    """A desk (SQLite, home DE) linked to the simulated chain, customers imported from the truth."""
    from chaintrail.desk import Desk, add_user, customers

    desk, token = Desk.init(db=f"sqlite:///{tmp_path / 'desk.sqlite'}", home_country="DE")
    desk.use_chain(chain)
    admin = desk.login("admin", token)
    users = {r: desk.login(r, add_user(admin, r, r)) for r in ("analyst", "reviewer", "approver",
                                                               "auditor")}
    rep = customers.import_truth(users["analyst"], sim_store["truth"], btc_eur=20_000.0)
    yield desk, users, rep
    desk.use_chain(None)
    desk.close()


def test_truth_import_matches_the_simulator(sim_store, desk_on_chain):
    desk, users, rep = desk_on_chain
    from sqlalchemy import select

    from chaintrail.desk.schema import account_addresses, accounts, customers

    n_truth = _truth(sim_store, "SELECT count(*) FROM read_parquet('$T/customers.parquet')")[0][0]
    assert rep["customers_new"] == n_truth > 100
    with desk.engine.connect() as conn:
        rows = conn.execute(select(customers.c.ref, account_addresses.c.address, account_addresses.c.kind)
                            .select_from(account_addresses.join(accounts).join(customers))).all()
        perms = dict(conn.execute(select(customers.c.ref, customers.c.residence_permits)).all())
    deposits = {(r, a) for r, a, k in rows if k == "deposit"}
    truth_dep = set(_truth(sim_store, "SELECT customer_id, address FROM "
                                      "read_parquet('$T/customer_addresses.parquet')"))
    assert deposits == truth_dep
    # every withdrawal address was paid by a withdrawal batch of the customer's own exchange
    wd = {(r, a) for r, a, k in rows if k == "withdrawal"}
    assert rep["withdrawal_addresses"] == len(wd) > 0
    paid = set(_truth(sim_store, """
        SELECT c.customer_id, a.address FROM read_parquet('$T/customers.parquet') c
        JOIN read_parquet('$T/addresses.parquet') a ON a.entity_id = c.entity_id
        UNION SELECT c.customer_id, d.donation_address FROM read_parquet('$T/donations.parquet') d
        JOIN read_parquet('$T/customers.parquet') c ON c.entity_id = d.donor_entity_id
        WHERE d.source = 'exchange_withdrawal'"""))
    assert wd <= paid
    truth_perm = dict(_truth(sim_store, "SELECT customer_id, residence_permits FROM "
                                        "read_parquet('$T/customers.parquet')"))
    assert all((perms[r] or "") == ",".join(truth_perm[r] or []) for r in perms)


def _random_targets(chain, rng, n: int) -> list[tuple[str, str]]:
    a = chain._arrays
    picks = rng.integers(0, a.counts["addresses"], n)
    out = [("address", a.address_text(int(x))) for x in picks]
    txs = rng.integers(1, a.counts["txs"], max(2, n // 4))
    out += [("txid", bytes(a.tx_hash[int(t)]).hex()) for t in txs]
    return out


@pytest.mark.parametrize("max_hops,window", [(1, None), (2, None), (3, ("2014-01-01", "2014-01-20"))])
def test_kernel_matches_the_reference(sim_store, chain, desk_on_chain, max_hops, window):
    from chaintrail.desk.address_cache import customer_addresses
    from chaintrail.desk.chainlink import time_bounds
    from chaintrail.desk.link_reference import reference_links, reference_sweeps
    from chaintrail.desk.linking import (
        FORWARD,
        customer_mask,
        exchange_wallets,
        graph_arrays,
        link_targets,
        make_seeds,
        shared_mask,
    )

    desk, _, _ = desk_on_chain
    with desk.engine.connect() as conn:
        cust = customer_addresses(conn, chain)
    rng = np.random.default_rng(max_hops)
    donation = _truth(sim_store, "SELECT donation_address FROM read_parquet('$T/donations.parquet') "
                                 "LIMIT 1")[0][0]
    # targets that are customer addresses, random addresses, txids and one unknown address
    n = len(cust.row)
    targets = [("address", donation), ("address", cust.text(3, chain)),
               ("address", cust.text(n - 1, chain))]
    targets += _random_targets(chain, rng, 24) + [("address", "mzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    win = tuple(dt.date.fromisoformat(x) for x in window) if window else (None, None)
    res = link_targets(chain, targets, cust, max_hops, win, hub_limit=200, budget=10**9)
    assert not res.exhausted and res.unresolved == [len(targets) - 1]
    is_customer, cust_ids = customer_mask(chain, cust)
    seeds = [(s[0], s[1], s[2], s[4]) for s in make_seeds(chain, targets)]
    t_lo, t_hi = time_bounds(*win)
    arr = graph_arrays(chain)
    no_cross = set(np.nonzero(exchange_wallets(chain, cust))[0].tolist())
    # the exchange's wallets: every address a deposit address was swept into, but no customer's
    sweeps = reference_sweeps(arr, cust.ids[cust.kind == 0].tolist(), 0)
    assert no_cross == sweeps - set(cust.ids.tolist()) and no_cross
    ref = reference_links(arr, seeds, is_customer, max_hops, 200, t_lo, t_hi, no_cross)
    shared = shared_mask(cust)
    got = {(lk.target, int(cust_ids[lk.index]), lk.hops,
            FORWARD if lk.relation in ("is", "paid_by_target") else 1)
           for lk in res.links if not shared[lk.index]}
    assert got == ref
    # shared third-party addresses (the donation address customers withdrew to) link at hop 0 only
    third = [lk for lk in res.links if shared[lk.index]]
    assert third and all(lk.hops == 0 and lk.address == targets[lk.target][1] for lk in third)
    assert len(ref) > 5  # the comparison is not vacuous
    assert max(h for _, _, h, _ in ref) <= max_hops


def test_evidence_paths_are_real_transactions(sim_store, chain, desk_on_chain):
    from chaintrail.desk.address_cache import customer_addresses
    from chaintrail.desk.linking import link_targets

    desk, _, _ = desk_on_chain
    with desk.engine.connect() as conn:
        cust = customer_addresses(conn, chain)
    targets = _random_targets(chain, np.random.default_rng(11), 40)
    res = link_targets(chain, targets, cust, 3, hub_limit=200)
    checked = 0
    for lk in res.links:
        if lk.hops == 0:
            assert lk.address == targets[lk.target][1] and lk.path == []
            continue
        assert len(lk.path) == lk.hops
        kind, value = targets[lk.target]
        for k, step in enumerate(lk.path):
            tx = chain.tx(step["txid"])
            ins = {i["address"] for i in tx.to_dict()["inputs"]}
            outs = {o["address"] for o in tx.to_dict()["outputs"]}
            if not step["from"].startswith("tx "):
                assert step["from"] in ins
            if not step["to"].startswith("tx "):
                assert step["to"] in outs
            if k:
                assert lk.path[k - 1]["to"] == step["from"] or step["from"].startswith("tx ")
        ends = (lk.path[0]["from"], lk.path[-1]["to"])
        if lk.relation == "paid_by_target":  # money went from the target to the customer
            assert ends[1] == lk.address
            assert ends[0] == value if kind == "address" else lk.path[0]["txid"] == value
        else:
            assert ends[0] == lk.address
            assert ends[1] == value if kind == "address" else lk.path[-1]["txid"] == value
        checked += 1
    assert checked > 3


def test_request_for_the_donors_finds_them_through_the_chain(sim_store, desk_on_chain, tmp_path):
    from chaintrail.desk import production, requests

    desk, u, _ = desk_on_chain
    donation = _truth(sim_store, "SELECT donation_address FROM read_parquet('$T/donations.parquet') "
                                 "LIMIT 1")[0][0]
    r = requests.create(u["analyst"], "BKA", "DE", "court_order", "identity,transactions",
                        [donation], "2013-01-01..2030-12-31", verification="verified",
                        legal_basis="court order", max_hops=1)
    rev = requests.review(u["reviewer"], r["id"])
    assert rev["status"] == "reviewed" and rev["link"]["chain_used"]
    linked = set(rev["verdict"]["scope"]["customers"])
    # the truth's donors who gave through an exchange withdrawal are all found
    donors = {c for (c,) in _truth(sim_store, """
        SELECT DISTINCT c.customer_id FROM read_parquet('$T/donations.parquet') d
        JOIN read_parquet('$T/customers.parquet') c ON c.entity_id = d.donor_entity_id
        JOIN read_parquet('$T/txs.parquet') x ON x.txid = d.txid AND x.sender_entity_id = c.exchange_id
        WHERE d.source = 'exchange_withdrawal'""")}
    assert donors and donors <= linked
    links = requests.links(u["reviewer"], r["id"], 100_000)
    assert all(x["hops"] <= 1 for x in links)
    assert {x["relation"] for x in links} <= {"is", "paid_target", "paid_by_target"}
    # the tracing room's evidence: value traced between the target and each hop-1 customer address
    ev = [x for x in requests.links(u["reviewer"], r["id"], 100_000, evidence=True) if x["hops"]]
    assert ev and all(x["evidence"]["path"] == [] or len(x["evidence"]["path"]) <= x["hops"]
                      for x in ev)
    traced = [x for x in ev if x["evidence"]["amount"]]
    assert traced
    for x in traced:
        step = x["evidence"]["path"][0]
        assert step["amount"] > 0 and chain_tx_pays(desk.chain, step["txid"], x, donation)
    requests.approve(u["approver"], r["id"], "court order checked")
    prod = production.produce(u["analyst"], r["id"], tmp_path / "pkg")
    pkg = json.loads((tmp_path / "pkg" / "package.json").read_text())
    assert {c["customer_id"] for c in pkg["customers"]} == linked
    assert prod["outcome"] == "produced" and pkg["categories_produced"] == ["identity", "transactions"]
    # transfers are deposits inside the window, each a real output to the customer's address
    for c in pkg["customers"]:
        mine = {a["address"] for a in c["addresses"]}
        assert "accounts" not in c  # not approved, not produced
        for t in c["transfers"]:
            assert t["address"] in mine and t["time"][:4] >= "2013"


def chain_tx_pays(chain, txid: str, link: dict, target: str) -> bool:
    """Whether a traced transaction moved coins between the customer's address and the target."""
    d = chain.tx(txid).to_dict()
    ins = {i["address"] for i in d["inputs"]}
    outs = {o["address"] for o in d["outputs"]}
    if link["relation"] == "paid_target":
        return link["address"] in ins and target in outs
    return target in ins and link["address"] in outs


def test_hop_limit_zero_links_only_the_named_addresses(sim_store, desk_on_chain):
    from chaintrail.desk import requests

    desk, u, _ = desk_on_chain
    dep = _truth(sim_store, "SELECT customer_id, address FROM read_parquet('$T/customer_addresses.parquet') "
                            "ORDER BY customer_id LIMIT 1")[0]
    r = requests.create(u["analyst"], "BKA", "DE", "court_order", "identity", [dep[1]],
                        "2013-01-01..2030-12-31", verification="verified", max_hops=0)
    rev = requests.review(u["reviewer"], r["id"])
    assert rev["verdict"]["scope"]["customers"] == [dep[0]]


def test_desk_demo_scene(sim_store, chain, tmp_path):
    from chaintrail.desk.demo import demo_scene

    lines: list[str] = []
    scene = demo_scene(chain, sim_store["truth"], tmp_path, say=lines.append)
    assert scene.disclosed_customers > 0 and scene.outcome == "partly_produced"
    pkg = json.loads((Path(scene.package) / "package.json").read_text())
    assert "communications" not in pkg["categories_produced"]
    assert pkg["categories_not_given"] == ["communications"]
    text = "\n".join(lines)
    assert "NARROW" in text and "GDPR Art. 48" in text and "REFUSE" in text
    assert "hash chain intact: True" in text
    html = Path(scene.report_html).read_text()
    assert "<svg" in html and "Every figure above equals" in html


def test_cli_round_trip_and_tampering(sim_store, tmp_path):
    """init, users, CSV import, a request through to production, audit verify, and a tampered log."""
    import csv
    import sqlite3

    from typer.testing import CliRunner

    from chaintrail.cli.main import app

    run = CliRunner()
    store = tmp_path / "s"
    store.mkdir()

    def ok(*args, user=None, tok=None):
        env = {"CHAINTRAIL_DESK_USER": user, "CHAINTRAIL_DESK_TOKEN": tok} if user else {}
        r = run.invoke(app, ["desk", *args, "--store", str(store)], env=env)
        assert r.exit_code == 0, r.output
        return r

    init = json.loads(ok("init", "--home", "DE", "--json").stdout)
    admin = init["token"]
    tok = {}
    for name, roles in (("ana", "analyst"), ("rita", "reviewer"), ("paul", "approver"),
                        ("aud", "auditor")):
        tok[name] = json.loads(ok("user", "add", name, "--roles", roles, "--json", user="admin",
                                  tok=admin).stdout)["token"]
    path = tmp_path / "c.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "name", "nationality", "residence", "deposit_addresses"])
        w.writerow(["K-1", "Jane Roe", "DE", "DE", "addr-1;addr-2"])
    ok("customers", "import", str(path), user="ana", tok=tok["ana"])
    r = ok("request", "new", "--from", "BKA", "--country", "DE", "--instrument", "court_order",
           "--legal-basis", "order", "--targets", "addr-2", "--categories", "identity",
           "--window", "2024-01-01..2024-12-31", "--verification", "verified", "--json",
           user="ana", tok=tok["ana"])
    rid = str(json.loads(r.stdout)["id"])
    ok("request", "review", rid, user="rita", tok=tok["rita"])
    ok("request", "approve", rid, "--reason", "ok", user="paul", tok=tok["paul"])
    ok("request", "produce", rid, "--out", str(tmp_path / "pkg"), user="ana", tok=tok["ana"])
    assert "Jane Roe" in (tmp_path / "pkg" / "customers.csv").read_text()
    ok("audit", "verify", user="aud", tok=tok["aud"])
    # bad input: one line naming the problem, non-zero exit
    bad = run.invoke(app, ["desk", "customers", "import", str(tmp_path / "nope.csv"), "--store",
                           str(store)], env={"CHAINTRAIL_DESK_USER": "ana",
                                             "CHAINTRAIL_DESK_TOKEN": tok["ana"]})
    assert bad.exit_code != 0
    # tamper with the database directly: the CLI's verify fails
    db = sqlite3.connect(store / "desk" / "desk.sqlite")
    db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    db.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 5")
    db.commit()
    db.close()
    r = run.invoke(app, ["desk", "audit", "verify", "--store", str(store)],
                   env={"CHAINTRAIL_DESK_USER": "aud", "CHAINTRAIL_DESK_TOKEN": tok["aud"]})
    assert r.exit_code == 1 and "entry 5: hash" in r.output
