"""Tags: every real GraphSense TagPack imports, header fields are inherited,
skipped tags are counted by reason, CSV tags and the taxonomy."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import yaml
from test_attribution_fixtures import TAGPACKS, TRON, needs_tags, screened_store  # noqa: F401

from chaintrail.attribution.tagpacks import parse_tagpacks, tag_files
from chaintrail.attribution.tags_csv import parse_tags_csv
from chaintrail.attribution.taxonomy import CONFIDENCE_LEVELS, confidence_score, normalise_concept
from chaintrail.attribution.yaml_plain import load_plain
from chaintrail.bitcoin.networks import TESTNET3
from chaintrail.chain import open as open_chain

FIXED = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)


@needs_tags
def test_every_tagpack_imports_with_counts_by_reason():
    files = tag_files([TAGPACKS / "packs", TAGPACKS / "actors"])
    tags, actors, rep = parse_tagpacks(files, imported=FIXED)
    assert rep.files == 53 and not rep.file_errors
    assert rep.read == 502_792
    assert rep.skipped["other currency"] == 3_465 and rep.other_currencies["ETH"] == 3_087
    assert rep.skipped["invalid address"] == 10
    assert rep.imported == tags.num_rows == rep.read - 3_465 - 10
    bad = {s["address"]: s for s in rep.invalid_samples}
    assert TRON in bad and "ofac.yaml" in bad[TRON]["file"] and "0x41" in bad[TRON]["reason"]
    assert actors.num_rows == 3_813 and rep.actors == 3_813
    assert set(pc.unique(tags["currency"]).to_pylist()) == {"BTC"}
    assert tags["label"].null_count == 0


@needs_tags
def test_header_fields_are_inherited_and_tags_override_them():
    tags, _, _ = parse_tagpacks([TAGPACKS / "packs" / "Alt-Right.yaml", TAGPACKS / "packs" / "chaininfo.yaml",
                                 TAGPACKS / "packs" / "binance_hack.yaml"], imported=FIXED)
    rows = {(r["address"], r["pack"]): r for r in tags.to_pylist()}
    alt = rows[("37xQhztFMKYnPLqv6YoR61tCHqToCC8eby", "Alt-Right tag pack")]
    assert (alt["label"], alt["abuse"], alt["confidence"], alt["confidence_score"]) == \
        ("Alt-Right Entity", "extremism", "forensic", 50)
    assert alt["source"] == "https://www.splcenter.org/bitcoin-and-alt-right"
    huobi = rows[("35hK24tcLEWcgNA4JxpvbkNkoAcDGqQPsP", "Cold Wallets Tagpack")]
    assert (huobi["label"], huobi["actor"], huobi["category"]) == ("Huobi.com", "huobi", "exchange")
    assert huobi["is_cluster_definer"] is True and huobi["lastmod"] == "2021-11-09"
    hack = {r["address"]: r["is_cluster_definer"] for r in tags.to_pylist() if r["pack"] == "GraphSense Binance"}
    assert hack["14QZ2wB8b8ZQNgb978Lwptdc8Vhv5aZQM2"] is True
    assert hack["17Bmh2aNne8sR9kRwMwDzWHAYeZaZPRm28"] is False


@needs_tags
def test_plain_yaml_reader_agrees_with_pyyaml():
    for name in ("demo.yaml", "hacks.yaml", "interpol-real_services.yaml", "binance_hack.yaml"):
        text = (TAGPACKS / "packs" / name).read_text()
        ours = load_plain(text)
        ref = yaml.safe_load(text)
        assert len(ours["tags"]) == len(ref["tags"])
        for a, b in zip(ours["tags"], ref["tags"]):
            assert {k: str(v).lower() for k, v in a.items()} == {k: str(v).lower() for k, v in b.items()}


def test_csv_tags_address_and_cluster_rows(tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text(
        "address,label,category,abuse,confidence,currency,cluster_id\n"
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,genesis,user,,ownership,BTC,\n"
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4,upper bech32,exchange,,,,\n"
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb,typo,,,,BTC,\n"
        "0xdeadbeef,an eth one,,,,ETH,\n"
        ",a cluster,Mixer,,web_crawl,,42\n")
    tags, rep = parse_tags_csv(f, imported=FIXED)
    assert rep.read == 5 and rep.imported == 3
    assert rep.skipped == {"other currency": 1, "invalid address": 1}
    rows = tags.to_pylist()
    assert rows[0]["confidence_score"] == 100
    assert rows[1]["address"] == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # canonical spelling
    assert rows[2]["cluster_id"] == 42 and rows[2]["address"] is None
    assert rows[2]["category"] == "mixing_service"  # the taxonomy's name for a mixer


def test_csv_tags_are_validated_for_the_store_network(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("address,label\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,mainnet\n"
                 "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn,testnet\n")
    _, rep = parse_tags_csv(f, network=TESTNET3, imported=FIXED)
    assert rep.imported == 1 and "wrong network" in rep.invalid_samples[0]["reason"]


def test_taxonomy_levels_and_aliases():
    assert [c.score for c in CONFIDENCE_LEVELS.values()] == sorted(
        (c.score for c in CONFIDENCE_LEVELS.values()), reverse=True)
    assert confidence_score("authority_data") == 60 and confidence_score("web_crawl") == 20
    assert confidence_score(None) == 20 and confidence_score("nonsense") == 20
    assert normalise_concept("Mixer") == "mixing_service"
    assert normalise_concept("sanctioned") == "sanction"


@needs_tags
def test_store_import_is_idempotent_per_file(screened_store, tmp_path):  # noqa: F811
    from chaintrail.attribution.service import import_tags

    rep = screened_store["tags"]
    assert rep["tags_in_store"] == rep["imported"] and rep["imported"] > 499_000
    chain = open_chain(screened_store["path"])
    n = chain.sql("SELECT count(*) FROM tags").fetchall()[0][0]
    assert chain.sql("SELECT count(*) FROM actors").fetchall()[0][0] == 3_813
    again = import_tags(screened_store["path"], [TAGPACKS / "packs" / "demo.yaml"])
    assert again["tags_in_store"] == n  # the same file replaces its own tags
    assert open_chain(screened_store["path"]).sql(
        "SELECT label FROM tags WHERE address = '1Archive1n2C579dMsAu3iC6tWzuQJz8dN'").fetchall() == \
        [("Internet Archive",)]
