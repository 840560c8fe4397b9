"""Shared set-up of the monitoring tests: one simulated economy of the
``jurisdiction`` profile (Russian customers' deposits rise after
2022-02-24), its blocks ingested into a store with the simulator's true
tags (services, ransomware, the sanctioned exchange), and a desk with the
simulator's customers. Built once per test session, in the session's base
temporary directory, and copied where a test writes."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

N_TXS = 20_000
SEED = 11
LIST_DATE = "2022-06-01"
#: entity kinds tagged from the start; the sanctioned exchange comes with a later update
BASE_KINDS = ("exchange", "merchant", "payment_processor", "mining_pool", "coinjoin_coordinator",
              "ransomware", "donation_org")


@dataclass
class MonitorEnv:
    base: Path
    blocks: Path
    truth: Path
    store: Path  # ingested, base tags imported (read-only for tests: copy before writing)
    sanctioned_tags: Path  # CSV: the sanctioned exchange's addresses, lastmod LIST_DATE


def truth_tags(truth: Path, path: Path, kinds: tuple[str, ...], lastmod: str | None = None) -> int:
    """A tags CSV of the truth's addresses of these entity kinds."""
    from chaintrail.trace.truthcheck import KIND_TAGS

    ents = pq.read_table(truth / "entities.parquet").to_pydict()
    kind_of = dict(zip(ents["entity_id"], ents["kind"]))
    name_of = dict(zip(ents["entity_id"], ents["name"]))
    addrs = pq.read_table(truth / "addresses.parquet", columns=["address", "entity_id"]).to_pydict()
    n = 0
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["address", "label", "category", "abuse", "actor", "source", "confidence",
                    "lastmod"])
        for a, e in zip(addrs["address"], addrs["entity_id"]):
            kind = kind_of.get(e)
            if a is None or kind not in kinds:
                continue
            cat, abuse = KIND_TAGS[kind]
            w.writerow([a, name_of[e], cat or "", abuse or "", name_of[e], "simulator truth",
                        "ownership", lastmod or ""])
            n += 1
    return n


def build(tmp_path_factory) -> MonitorEnv:
    """The session's environment (built by the first test that asks)."""
    from chaintrail.attribution.service import import_tags
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.sim import simulate

    base = tmp_path_factory.getbasetemp() / "monitor-env"
    ready = base / "READY"
    env = MonitorEnv(base, base / "sim" / "blocks", base / "sim" / "truth", base / "store",
                     base / "sanctioned-tags.csv")
    if ready.exists():
        return env
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    simulate(base / "sim", N_TXS, seed=SEED, profile="jurisdiction")
    run_ingest([str(env.blocks)], str(env.store), show_progress=False)
    tags = base / "base-tags.csv"
    truth_tags(env.truth, tags, BASE_KINDS)
    import_tags(str(env.store), [str(tags)])
    truth_tags(env.truth, env.sanctioned_tags, ("sanctioned_exchange",), LIST_DATE)
    ready.write_text("ok\n")
    return env


def copy_store(env: MonitorEnv, dest: Path) -> Path:
    """A private copy of the environment's store."""
    shutil.copytree(env.store, dest, ignore=shutil.ignore_patterns(".lock"))
    return dest


def new_desk(db_path: Path, store: Path, truth: Path):
    """A desk (SQLite) with one user per role and the truth's customers; (desk, users)."""
    from chaintrail.chain import open as open_chain
    from chaintrail.desk import Desk, add_user, customers

    desk, token = Desk.init(db=f"sqlite:///{db_path}", home_country="DE")
    admin = desk.login("admin", token)
    tokens = {r: add_user(admin, r, r) for r in ("analyst", "reviewer", "approver", "auditor")}
    users = {r: desk.login(r, t) for r, t in tokens.items()}
    users["admin"] = admin
    chain = open_chain(store)
    desk.use_chain(chain)
    customers.import_truth(users["analyst"], truth, chain=chain)
    desk.use_chain(None)
    chain.close()
    return desk, users, tokens | {"admin": token}
