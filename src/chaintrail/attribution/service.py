"""The attribution verbs over a store, as the CLI and the Python API use
them: import tags, pools and sanctions lists, show what is known about an
address or cluster, list the sanctions versions, screen addresses and
names."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa

from chaintrail.attribution.mining_pools import is_pools_document, pools_from_document
from chaintrail.attribution.name_screening import DEFAULT_THRESHOLD, NameIndex, NameMatch
from chaintrail.attribution.pool_labels import label_coinbases, payout_address_tags
from chaintrail.attribution.propagation import cluster_labels, suspected_false_merges
from chaintrail.attribution.room import commit_sanctions, commit_tags, entry_of, now
from chaintrail.attribution.sanctions import SanctionsError, parse_sanctions_file
from chaintrail.attribution.screening import Screener
from chaintrail.attribution.sdn_csv import SdnEntry
from chaintrail.attribution.tagpacks import YAML_SUFFIXES, parse_tagpacks, tag_files
from chaintrail.attribution.tags import empty_tags
from chaintrail.attribution.tags_csv import parse_tags_csv
from chaintrail.bitcoin.networks import MAINNET, Network, get_network
from chaintrail.chain import Chain
from chaintrail.chain import open as open_chain
from chaintrail.errors import ChaintrailError, NotFoundError
from chaintrail.store.store import Store


def _network(store: Store) -> Network:
    return get_network(store.manifest.network) if store.manifest.network else MAINNET


def _pools_doc(path: Path) -> object | None:
    if path.suffix.lower() != ".json":
        return None
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError):
        return None
    return doc if is_pools_document(doc) else None


def import_tags(store_path: str | os.PathLike | None, paths: list[str]) -> dict:
    """Import TagPacks, ActorPacks, CSV tag files and mining-pool files into a store."""
    files = tag_files(paths)
    if not files:
        raise ChaintrailError(f"no tag files in {', '.join(map(str, paths))}")
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise ChaintrailError(f"{missing[0]}: no such file")
    imported = now()
    with Store.open_writer(store_path) as store:
        net = _network(store)
        yaml_files = [f for f in files if f.suffix.lower() in YAML_SUFFIXES]
        tags, actors, report = parse_tagpacks(yaml_files, net, imported)
        tables = [tags]
        pools_table = None
        pool_report = None
        for f in files:
            if f.suffix.lower() == ".csv":
                t, r = parse_tags_csv(f, net, imported)
                tables.append(t)
                report.merge(r)
            elif f.suffix.lower() == ".json":
                doc = _pools_doc(f)
                if doc is None:
                    report.file_errors.append(f"{f}: not a mining-pools file (pools.json or pool-list.json)")
                    continue
                pools = pools_from_document(doc, str(f))
                payout, n_bad = payout_address_tags(pools, imported)
                tables.append(payout)
                report.files += 1
                report.read += sum(len(p.addresses) for p in pools.pools)
                report.imported += payout.num_rows
                if n_bad:
                    report.skipped["invalid address"] += n_bad
                if store.manifest.tip_height is not None or store.manifest.loose_blocks:
                    pools_table, cb_tags, pool_report = label_coinbases(store, pools, imported)
                    tables.append(cb_tags)
                    report.imported += cb_tags.num_rows
        all_tags = pa.concat_tables(tables) if tables else empty_tags()
        commit_tags(store, all_tags, actors, [os.path.abspath(f) for f in files], pools_table)
    out = report.to_dict()
    out["tags_in_store"] = _count(store_path, "tags")
    if pool_report is not None:
        out["coinbases"] = pool_report.to_dict()
    return out


def _count(store_path, view: str) -> int:
    chain = open_chain(store_path)
    try:
        return chain.sql(f"SELECT count(*) FROM {view}").fetchall()[0][0]
    finally:
        chain.close()


def import_sanctions(store_path: str | os.PathLike | None, path: str, list_name: str | None = None,
                     list_date: dt.date | None = None, asset: str | None = None) -> dict:
    """Import one sanctions list file as a new version of its list (refused if it would empty the list)."""
    with Store.open_writer(store_path) as store:
        parsed = parse_sanctions_file(path, _network(store), asset)
        result = commit_sanctions(store, parsed, list_name, list_date)
    return result.to_dict()


def list_sanctions(store_path: str | os.PathLike | None) -> list[dict]:
    """Every imported list version: list, version, dates, counts, file and checksum."""
    store = Store.open(store_path)
    versions = entry_of(store).get("sanction_versions", [])
    return [{k: v for k, v in sorted(ver.items()) if k != "file"} for ver in
            sorted(versions, key=lambda v: (v["list"], v["version"]))]


def show_tags(chain: Chain, ref: str) -> dict:
    """Tags of an address (and its cluster), or labels of a cluster id, with suspected false merges."""
    if "attribution" not in chain._store.manifest.extra:
        raise NotFoundError("no tags imported in this store (run `chaintrail tags import`)")
    ref = ref.strip()
    if ref.isdigit():
        cid = int(ref)
        labels = cluster_labels(chain, cid)
        return {"cluster_id": cid, "labels": labels,
                "suspected_false_merge": (suspected_false_merges(chain, cid) or [None])[0]}
    result = Screener(chain).screen([ref])[0]
    if not result.valid and not result.tags and not result.sanctions:
        raise ChaintrailError(result.error or f"{ref}: not an address")
    out = {"address": ref, "tags": result.tags, "sanctions": result.sanctions,
           "cluster_id": result.cluster_id, "cluster_labels": [], "suspected_false_merge": None}
    if result.cluster_id is not None:
        out["cluster_labels"] = cluster_labels(chain, result.cluster_id)
        out["suspected_false_merge"] = (suspected_false_merges(chain, result.cluster_id) or [None])[0]
    return out


def sdn_entries(store_path: str | os.PathLike | None = None, sdn_file: str | None = None) -> list[SdnEntry]:
    """The SDN records for name screening: from a given sdn.csv/xml, or the store's last SDN import."""
    if sdn_file:
        return parse_sanctions_file(sdn_file).entries
    store = Store.open(store_path)
    rel = entry_of(store).get("sdn_names_file")
    if not rel:
        raise SanctionsError("no SDN names in the store: import sdn.csv with `chaintrail sanctions "
                             "import`, or pass --sdn FILE")
    import pyarrow.parquet as pq

    t = pq.read_table(store.root / rel).to_pylist()
    return [SdnEntry(r["ent_num"], r["name"], r["sdn_type"], r["programs"] or [], "",
                     [("aka", a) for a in r["aliases"] or []], r["countries"] or [])
            for r in t]


def screen_names(names: list[str], entries: list[SdnEntry], country: str | None = None,
                 threshold: float = DEFAULT_THRESHOLD, limit: int = 10) -> list[list[NameMatch]]:
    """Matches of each name among the SDN names and aliases, best first."""
    return NameIndex(entries).search_many(names, threshold, country, limit)
